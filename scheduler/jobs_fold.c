/* jobs_fold.c: the active elements of an array as one row of a jobs page.
 *
 * Slurm keeps a pending array as one record and squeue shows it as one
 * line; a jobs request without expand gets the same here: the elements of
 * one array that come one after the other in a page of active jobs are one
 * job_info, the first element's, with the count folded, the count by state
 * (an entry per state some element is in: a row of one job carries an empty
 * list, cheap to encode), and the indices as the CLI prints them
 * ("0-999%50"). Encoding and decoding
 * a job_info per element made listing a large pending array cost
 * milliseconds per thousand elements; a row costs the same whatever the
 * array's size. The indices text is bounded: "..." ends it once the next
 * range might not fit. The page's limit counts rows (a full page still
 * folds the elements that follow its last row); the walk's budget still
 * counts jobs, so a page may end inside an array, and the client merges
 * the rows of one array that pages cut.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/jobs_fold.h"

/* Room array_tasks keeps for the last range to grow, then "..." and the
 * throttle: "4294967295-4294967295" and "...%4294967295". */
#define JOBS_FOLD_TAIL_ROOM 36

/* The index where the last range of text starts and the range's last one. */
static const char *jobs_fold_last_range (const char *text, uint32_t *last)
{
    const char *comma = strrchr (text, ',');
    const char *start = comma ? comma + 1 : text;
    const char *dash = strchr (start, '-');

    *last = (uint32_t)strtoul (dash ? dash + 1 : start, NULL, 10);
    return start;
}

/* Add index to the ranges of row's array_tasks, then its throttle. */
static void jobs_fold_tasks (job_info_t *row, uint32_t index)
{
    char *text = row->array_tasks, *cut = strchr (text, '%');
    size_t size = sizeof (row->array_tasks), len;
    const char *start;
    uint32_t last, first;

    if (cut)
        *cut = '\0';
    len = strlen (text);
    if (len < 3 || strcmp (text + len - 3, "...") != 0) {
        start = jobs_fold_last_range (text, &last);
        if (len + JOBS_FOLD_TAIL_ROOM >= size)
            snprintf (text + len, size - len, "...");
        else if (index == last + 1) {
            first = (uint32_t)strtoul (start, NULL, 10);
            len = (size_t)(start - text);
            snprintf (text + len, size - len, "%" PRIu32 "-%" PRIu32, first, index);
        } else {
            snprintf (text + len, size - len, ",%" PRIu32, index);
        }
    }
    len = strlen (text);
    if (row->array_throttle > 0)
        snprintf (text + len, size - len, "%%%" PRIu32, row->array_throttle);
}

/* One more of row's elements in state. */
static void jobs_fold_count (job_info_t *row, job_state_t state)
{
    job_state_count_t *c = row->array_counts;
    uint32_t i = 0;

    while (i < row->array_nstates && c[i].state < state)
        i++;
    if (i == row->array_nstates || c[i].state != state) {
        memmove (&c[i + 1], &c[i], (row->array_nstates - i) * sizeof (*c));
        c[i] = (job_state_count_t){.state = state};
        row->array_nstates++;
    }
    c[i].count++;
}

/* The counts of b's rows freed, when b is to be freed as a plain array. */
static void jobs_fold_release (job_list_build_t *b)
{
    for (uint32_t i = 0; i < b->count; i++) {
        free (b->jobs[i].array_counts);
        b->jobs[i].array_counts = NULL;
        b->jobs[i].array_nstates = 0;
    }
}

/* Start row, an element's info, as a fold of that one element: 0, or -1
 * when memory ran out. */
static int jobs_fold_start (job_info_t *row)
{
    if (!(row->array_counts = calloc (JOB_STATE_COUNT, sizeof (*row->array_counts))))
        return -1;
    row->array_folded = 1;
    jobs_fold_count (row, row->state);
    snprintf (row->array_tasks, sizeof (row->array_tasks), "%" PRIu32,
              row->array_index);
    if (row->array_throttle > 0) {
        size_t len = strlen (row->array_tasks);
        snprintf (row->array_tasks + len, sizeof (row->array_tasks) - len, "%%%" PRIu32,
                  row->array_throttle);
    }
    return 0;
}

bool jobs_fold_joins (const job_list_build_t *b, const sched_job_t *job, bool fold)
{
    const job_info_t *row = b->count > 0 ? &b->jobs[b->count - 1] : NULL;

    return fold && job->array_id != 0 && row && row->array_folded > 0 &&
           row->array_id == job->array_id;
}

int jobs_fold_push (job_list_build_t *b, const sched_job_t *job, bool fold)
{
    job_info_t *row = b->count > 0 ? &b->jobs[b->count - 1] : NULL;

    if (!fold || job->array_id == 0)
        return job_list_push (b, job);
    if (!jobs_fold_joins (b, job, fold)) {
        if (job_list_push (b, job) == 0 &&
            jobs_fold_start (&b->jobs[b->count - 1]) == 0)
            return 0;
        jobs_fold_release (b); /* the caller frees b->jobs alone */
        return -1;
    }
    if (job->state == JOB_PENDING &&
        (row->array_counts[0].state != JOB_PENDING || row->reason[0] == '\0')) {
        job_info_t info; /* the reason as the job's own row has it */
        sched_job_info (job, &info);
        snprintf (row->reason, sizeof (row->reason), "%s", info.reason);
    }
    jobs_fold_count (row, job->state);
    row->array_folded++;
    jobs_fold_tasks (row, job->array_index);
    return 0;
}
