/* test_jobs_fold.c: the rows of a jobs page without expand
 * (scheduler/jobs_fold.c): the consecutive elements of an array are one
 * job_info with their count, counts by state, the first pending one's
 * reason and their indices with the throttle; jobs that are no array, and
 * every job with expand, keep a row each; the indices text stays bounded.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORE_HELPERS_FIXTURE
#include "scheduler/jobs_fold.h"
#include "tests/unit/core_helpers.h"

TestSuite (jobs_fold, .init = core_setup, .fini = core_teardown);

/* Submit an array of one-core elements as tenant-a; its first id. */
static uint64_t fold_array (const char *ranges, double now)
{
    cphub_error_t err = {{0}};
    jobspec_t spec;
    uint64_t first = 0;
    uint32_t count = 0;

    core_spec (&spec, 1, 1);
    cr_assert_eq (jobspec_set_option (&spec, "array", ranges, &err), 0, "%s", err.text);
    cr_assert_eq (
        sched_job_submit_many (s, "tenant-a", &spec, now, &first, &count, &err), 0,
        "%s", err.text);
    jobspec_clear (&spec);
    return first;
}

/* How many of row's elements are in state. */
static uint32_t fold_count (const job_info_t *row, job_state_t state)
{
    for (uint32_t i = 0; i < row->array_nstates; i++)
        if (row->array_counts[i].state == state)
            return row->array_counts[i].count;
    return 0;
}

/* b's rows and their counts freed. */
static void fold_free (job_list_build_t *b)
{
    for (uint32_t i = 0; i < b->count; i++)
        free (b->jobs[i].array_counts);
    free (b->jobs);
    *b = (job_list_build_t){0};
}

/* Every job of the core into b, folded or not. */
static void fold_walk (job_list_build_t *b, bool fold)
{
    for (sched_job_t *j = sched_job_first (s); j; j = sched_job_next (s, j))
        cr_assert_eq (jobs_fold_push (b, j, fold), 0);
}

Test (jobs_fold, an_array_is_one_row)
{
    job_list_build_t b = {0};
    sched_decision_t d;
    uint64_t before, arr, after;
    job_info_t *row;

    register_node ("n1", 1, 2, 1, NULL, 0);
    before = submit (2, 1); /* takes both cores: the array waits */
    arr = fold_array ("0-9,20-22%4", 1);
    after = submit (1, 1);
    sched_tick (s, 2);
    while (sched_next (s, &d))
        ;
    cr_assert_eq (job (before)->state, JOB_RUNNING);

    fold_walk (&b, true);
    cr_assert_eq (b.count, 3, "plain, the array, plain: %u rows", b.count);
    cr_assert_eq (b.jobs[0].id, before);
    cr_assert_eq (b.jobs[0].array_folded, 0);
    cr_assert_eq (b.jobs[2].id, after);
    cr_assert_eq (b.jobs[2].array_folded, 0);
    row = &b.jobs[1];
    cr_assert_eq (row->id, arr, "the first element's info");
    cr_assert_eq (row->array_id, arr);
    cr_assert_eq (row->array_index, 0);
    cr_assert_eq (row->array_folded, 13);
    cr_assert_str_eq (row->array_tasks, "0-9,20-22%4");
    cr_assert_eq (fold_count (row, JOB_PENDING), 13);
    cr_assert_eq (fold_count (row, JOB_RUNNING), 0);
    cr_assert_neq (row->reason[0], '\0', "a pending element's reason");
    fold_free (&b);

    /* expand: one row per job */
    fold_walk (&b, false);
    cr_assert_eq (b.count, 15);
    cr_assert_eq (b.jobs[5].array_folded, 0);
    cr_assert_null (b.jobs[5].array_counts);
    cr_assert_str_eq (b.jobs[5].array_tasks, "");
    fold_free (&b);
}

Test (jobs_fold, running_and_pending_counted_by_state)
{
    job_list_build_t b = {0};
    sched_decision_t d;
    uint64_t arr;

    register_node ("n1", 1, 4, 1, NULL, 0);
    arr = fold_array ("0-7%3", 1);
    sched_tick (s, 2);
    while (sched_next (s, &d))
        ;
    fold_walk (&b, true);
    cr_assert_eq (b.count, 1);
    cr_assert_eq (b.jobs[0].id, arr);
    cr_assert_eq (b.jobs[0].state, JOB_RUNNING, "element 0 runs");
    cr_assert_eq (fold_count (&b.jobs[0], JOB_RUNNING), 3, "the throttle");
    cr_assert_eq (fold_count (&b.jobs[0], JOB_PENDING), 5);
    cr_assert_eq (b.jobs[0].array_nstates, 2, "only the states elements are in");
    cr_assert_eq (b.jobs[0].array_counts[0].state, JOB_PENDING, "in state order");
    cr_assert_eq (b.jobs[0].array_folded, 8);
    cr_assert_str_eq (b.jobs[0].array_tasks, "0-7%3");
    /* the row's reason is its first pending element's, as its row says it */
    cr_assert_neq (b.jobs[0].reason[0], '\0');
    fold_free (&b);
}

Test (jobs_fold, many_ranges_end_in_dots)
{
    job_list_build_t b = {0};
    size_t len;

    fold_array ("1000-1400:2%7", 1);
    fold_walk (&b, true);
    cr_assert_eq (b.count, 1);
    cr_assert_eq (b.jobs[0].array_folded, 201);
    cr_assert_eq (fold_count (&b.jobs[0], JOB_PENDING), 201);
    len = strlen (b.jobs[0].array_tasks);
    cr_assert_leq (len, JOB_ARRAY_TASKS_MAX);
    cr_assert_eq (strncmp (b.jobs[0].array_tasks, "1000,1002,1004,", 15), 0, "%s",
                  b.jobs[0].array_tasks);
    cr_assert_str_eq (b.jobs[0].array_tasks + len - 5, "...%7", "%s",
                      b.jobs[0].array_tasks);
    fold_free (&b);
}

/* A page cut inside the array: each page's rows start a fold of their own,
 * the client merges them. */
Test (jobs_fold, a_new_page_starts_a_new_row)
{
    job_list_build_t b = {0};
    sched_job_t *j = NULL;

    fold_array ("0-5", 1);
    j = sched_job_first (s);
    for (int i = 0; i < 2; i++, j = sched_job_next (s, j))
        cr_assert_eq (jobs_fold_push (&b, j, true), 0);
    cr_assert_str_eq (b.jobs[0].array_tasks, "0-1");
    cr_assert (jobs_fold_joins (&b, j, true), "element 2 adds no row");
    cr_assert_not (jobs_fold_joins (&b, j, false), "expand: a row each");
    fold_free (&b);
    for (; j; j = sched_job_next (s, j))
        cr_assert_eq (jobs_fold_push (&b, j, true), 0);
    cr_assert_eq (b.count, 1);
    cr_assert_eq (b.jobs[0].array_index, 2);
    cr_assert_eq (b.jobs[0].array_folded, 4);
    cr_assert_str_eq (b.jobs[0].array_tasks, "2-5");
    fold_free (&b);
}
