/* test_forget.c: the core forgets ended jobs (sched_jobs_forget): only
 * those that ended before the time given, never an active one, a little at
 * a time from where the last call stopped, and an array's first element
 * (which names the array) only after the rest of its array is gone; a job
 * recalled from the store goes back in id order (sched_job_from finds the
 * first id from any id) and leaves at the next call, wherever its walk is.
 */
#define CORE_HELPERS_FIXTURE
#include <inttypes.h>

#include "core_helpers.h"

TestSuite (forget, .init = core_setup, .fini = core_teardown);

/* Cancel pending job id at now, asserting the core took it. */
static void cancel_at (uint64_t id, double now)
{
    cphub_error_t err = {{0}};

    cr_assert_eq (sched_job_cancel (s, id, now, &err), 0, "%s", err.text);
    cr_assert_eq (core_job (s, id)->state, JOB_CANCELLED);
}

Test (forget, only_jobs_ended_before)
{
    uint64_t ended = core_submit (s, "acme", 1, 0, 10.0);
    uint64_t waiting = core_submit (s, "acme", 1, 0, 10.0);

    cancel_at (ended, 100.0);
    cr_assert_eq (sched_jobs_forget (s, 100.0, 100), 0, "ended at 100: kept");
    cr_assert_not_null (sched_job_lookup (s, ended));
    cr_assert_eq (sched_jobs_forget (s, 100.5, 100), 1);
    cr_assert_null (sched_job_lookup (s, ended));
    cr_assert_eq (sched_jobs_forget (s, 1e9, 100), 0, "a pending job stays");
    cr_assert_eq (core_job (s, waiting)->state, JOB_PENDING);
}

Test (forget, a_little_at_a_time_and_around)
{
    uint64_t ids[10];
    uint32_t total = 0, calls = 0;

    for (int i = 0; i < 10; i++)
        ids[i] = core_submit (s, "acme", 1, 0, 10.0);
    for (int i = 0; i < 10; i += 2)
        cancel_at (ids[i], 20.0);
    while (total < 5) {
        uint32_t n = sched_jobs_forget (s, 30.0, 3);
        cr_assert_leq (n, 3, "at most walk jobs a call");
        total += n;
        cr_assert_lt (++calls, 10, "every job is reached");
    }
    for (int i = 0; i < 10; i++) {
        if (i % 2)
            cr_assert_eq (core_job (s, ids[i])->state, JOB_PENDING);
        else
            cr_assert_null (sched_job_lookup (s, ids[i]));
    }
    /* new ends after a wrap are found too */
    cancel_at (ids[1], 40.0);
    for (int i = 0; i < 4; i++)
        total += sched_jobs_forget (s, 50.0, 3);
    cr_assert_eq (total, 6);
    cr_assert_null (sched_job_lookup (s, ids[1]));
}

Test (forget, an_array_by_its_first_element_last)
{
    cphub_error_t err = {{0}};
    jobspec_t spec;
    uint64_t first = 0;
    uint32_t count = 0;

    core_spec (&spec, 1, 1);
    cr_assert_eq (jobspec_set_option (&spec, "array", "0-2", &err), 0, "%s", err.text);
    cr_assert_eq (sched_job_submit_many (s, "acme", &spec, 10.0, &first, &count, &err),
                  0, "%s", err.text);
    jobspec_clear (&spec);
    cr_assert_eq (count, 3);
    for (uint64_t id = first; id < first + count; id++)
        cancel_at (id, 20.0);
    cr_assert_eq (sched_jobs_forget (s, 30.0, 100), 2, "the first element stays");
    cr_assert_not_null (sched_job_lookup (s, first));
    cr_assert_eq (sched_jobs_forget (s, 30.0, 100), 1);
    cr_assert_null (sched_job_lookup (s, first));
}

/* Job id as the store would give it back: ended CANCELLED at 20. */
static void recall (uint64_t id)
{
    cphub_error_t err = {{0}};
    sched_job_t job = {.id = id, .state = JOB_CANCELLED, .submit_time = 10.0};

    job.end_time = 20.0;
    snprintf (job.tenant, sizeof (job.tenant), "acme");
    jobspec_init (&job.spec);
    core_spec (&job.spec, 1, 1);
    cr_assert_eq (sched_job_recall (s, &job, &err), 0, "%s", err.text);
    jobspec_clear (&job.spec);
}

/* Every job in id order, each once: count of them. */
static uint32_t ordered (void)
{
    uint32_t n = 0;
    uint64_t last = 0;

    for (sched_job_t *j = sched_job_first (s); j; j = sched_job_next (s, j), n++) {
        cr_assert_gt (j->id, last, "job %" PRIu64 " after %" PRIu64, j->id, last);
        last = j->id;
    }
    return n;
}

Test (forget, recalled_jobs_go_in_order_and_leave_first)
{
    uint64_t ids[40];

    for (int i = 0; i < 40; i++)
        ids[i] = core_submit (s, "acme", 1, 0, 10.0);
    for (int i = 0; i < 30; i++)
        cancel_at (ids[i], 20.0);
    cr_assert_eq (sched_jobs_forget (s, 30.0, 100), 30);
    /* an old one alone, then a run of them: each in its place */
    recall (ids[3]);
    for (int i = 10; i < 20; i++)
        recall (ids[i]);
    recall (ids[0]);
    cr_assert_eq (ordered (), 22);
    cr_assert_eq (sched_job_from (s, ids[4])->id, ids[10],
                  "the first id >= the one asked");
    cr_assert_eq (sched_job_from (s, ids[25])->id, ids[30]);
    cr_assert_eq (sched_job_from (s, ids[0])->id, ids[0]);
    cr_assert_null (sched_job_from (s, ids[39] + 1));
    /* a walk that reaches none of them still drops them: their request has
     * had its answer */
    cr_assert_eq (sched_jobs_forget (s, 30.0, 0), 12);
    cr_assert_null (sched_job_lookup (s, ids[3]));
    cr_assert_null (sched_job_lookup (s, ids[15]));
    cr_assert_eq (ordered (), 10);
}

Test (forget, a_recalled_job_made_active_stays)
{
    cphub_error_t err = {{0}};
    uint64_t id = core_submit (s, "acme", 1, 0, 10.0);

    core_submit (s, "acme", 1, 0, 10.0);
    cancel_at (id, 20.0);
    cr_assert_eq (sched_jobs_forget (s, 30.0, 100), 1);
    recall (id);
    cr_assert_eq (sched_job_requeue (s, id, 40.0, &err), 0, "%s", err.text);
    cr_assert_eq (sched_jobs_forget (s, 50.0, 0), 0, "pending again: it stays");
    cr_assert_eq (core_job (s, id)->state, JOB_PENDING);
    cr_assert_eq (sched_jobs_forget (s, 50.0, 100), 0, "and is a job like any other");
}

/* A submit's checks before its --after (what the shell asks before it
 * reads forgotten jobs from the store): they refuse as the submit does, and
 * change nothing. */
Test (forget, a_submit_is_checked_before_its_after)
{
    cphub_error_t err = {{0}}, err2 = {{0}};
    uint64_t id = core_submit (s, "acme", 1, 0, 10.0), first = 0;
    uint32_t count = 0;
    jobspec_t spec;

    core_spec (&spec, 1, 1);
    cr_assert_eq (jobspec_set_option (&spec, "after", "ok:999", &err), 0, "%s",
                  err.text);
    cr_assert_eq (sched_job_submit_check (s, "acme", &spec, &err), 0, "%s", err.text);
    spec.walltime = 8 * 86400; /* over the week the config allows */
    cr_assert_eq (sched_job_submit_check (s, "acme", &spec, &err), -1);
    cr_assert_eq (sched_job_submit_many (s, "acme", &spec, 10.0, &first, &count, &err2),
                  -1);
    cr_assert_str_eq (err.text, err2.text, "the same refusal, not --after's");
    jobspec_clear (&spec);
    cr_assert_null (sched_job_from (s, id + 1), "no job was made");
}
