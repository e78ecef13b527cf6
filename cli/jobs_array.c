/* jobs_array.c: the one row of `cphub jobs` that stands for a job array.
 *
 * The scheduler lists an array's elements as jobs with consecutive ids, in
 * pages that may cut an array anywhere; jobs gathers the elements it gets,
 * page after page, into one row, Slurm's way: the id with the indices and
 * throttle, "42_[4-999%50]", and counts by state where a job's row has its
 * state ("PENDING:950 RUNNING:50"). Only the counts and the first ranges are
 * kept, so an array of any size costs one row. The scheduler sends the
 * active elements already folded into rows (array_folded, array_tasks,
 * array_counts), which are gathered the same way; the history's come one by
 * one. --expand shows the elements, one row each.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* Room a range needs in the id text: "4294967295-4294967295,", and "...]". */
#define CLI_ARRAY_RANGE_ROOM 32

/* Append the range a holds to its id text, or "..." once it is full. */
static void cli_array_put_range (cli_array_t *a)
{
    size_t len = sizeof (a->id);

    if (a->truncated)
        return;
    if (a->pos + CLI_ARRAY_RANGE_ROOM > len) {
        a->pos += (size_t)snprintf (a->id + a->pos, len - a->pos, "...");
        a->truncated = true;
        return;
    }
    if (a->ranges++ > 0)
        a->id[a->pos++] = ',';
    if (a->range_last > a->range_first)
        a->pos +=
            (size_t)snprintf (a->id + a->pos, len - a->pos, "%" PRIu32 "-%" PRIu32,
                              a->range_first, a->range_last);
    else
        a->pos +=
            (size_t)snprintf (a->id + a->pos, len - a->pos, "%" PRIu32, a->range_first);
}

/* Add the indices first..last, which come after those a holds. */
static void cli_array_add_range (cli_array_t *a, uint32_t first, uint32_t last)
{
    if (first >= a->range_first && first <= a->range_last + 1) {
        if (last > a->range_last)
            a->range_last = last;
        return;
    }
    cli_array_put_range (a);
    a->range_first = first;
    a->range_last = last;
}

void cli_array_start (cli_array_t *a, const job_info_t *job)
{
    memset (a, 0, sizeof (*a));
    a->active = true;
    a->first = *job;
    a->first.array_counts = NULL; /* the page's, gone with it */
    a->first.array_nstates = 0;
    a->pos = (size_t)snprintf (a->id, sizeof (a->id), "%" PRIu64 "_[", job->array_id);
    a->range_first = a->range_last = job->array_index;
    if (job->array_folded > 0)
        cli_array_add_folded (a, job);
    else
        cli_array_add (a, job);
}

void cli_array_add (cli_array_t *a, const job_info_t *job)
{
    if ((unsigned)job->state < JOB_STATE_COUNT)
        a->counts[job->state]++;
    if (a->reason[0] == '\0' && job->state == JOB_PENDING)
        snprintf (a->reason, sizeof (a->reason), "%s", job->reason);
    cli_array_add_range (a, job->array_index, job->array_index);
}

void cli_array_add_folded (cli_array_t *a, const job_info_t *row)
{
    const char *p = row->array_tasks;
    char *end;

    for (uint32_t i = 0; i < row->array_nstates; i++) {
        const job_state_count_t *c = &row->array_counts[i];
        if ((unsigned)c->state >= JOB_STATE_COUNT)
            continue;
        a->counts[c->state] += c->count;
        if (a->reason[0] == '\0' && c->state == JOB_PENDING && c->count > 0)
            snprintf (a->reason, sizeof (a->reason), "%s", row->reason);
    }
    /* "0-3,8%50": the ranges up to the throttle; "..." ends a cut list */
    while (*p >= '0' && *p <= '9') {
        uint32_t first = (uint32_t)strtoul (p, &end, 10), last = first;
        if (*end == '-' && end[1] >= '0' && end[1] <= '9')
            last = (uint32_t)strtoul (end + 1, &end, 10);
        cli_array_add_range (a, first, last);
        p = *end == ',' ? end + 1 : end;
    }
    if (strncmp (p, "...", 3) == 0 && !a->truncated) {
        cli_array_put_range (a);
        if (!a->truncated)
            a->pos += (size_t)snprintf (a->id + a->pos, sizeof (a->id) - a->pos, "...");
        a->truncated = true;
    }
}

/* The id text closed: the last range, the throttle and "]". */
static void cli_array_id (const cli_array_t *a, char *buf, size_t len)
{
    cli_array_t end = *a;
    char throttle[16] = "";

    cli_array_put_range (&end);
    if (a->first.array_throttle > 0)
        snprintf (throttle, sizeof (throttle), "%%%" PRIu32, a->first.array_throttle);
    snprintf (buf, len, "%s%s]", end.id, throttle);
}

/* "PENDING:8 RUNNING:2", in state order. */
static void cli_array_states (const cli_array_t *a, char *buf, size_t len)
{
    size_t pos = 0;

    buf[0] = '\0';
    for (int s = 0; s < JOB_STATE_COUNT && pos < len; s++)
        if (a->counts[s] > 0)
            pos += (size_t)snprintf (buf + pos, len - pos, "%s%s:%" PRIu32,
                                     pos > 0 ? " " : "",
                                     job_state_name ((job_state_t)s), a->counts[s]);
}

bool cli_array_cell (const cli_array_t *a, const char *key, char *buf, size_t len)
{
    static const char *const none[] = {"node", "time", "pos", "start", "end", "exit"};

    if (strcmp (key, "id") == 0 || strcmp (key, "array") == 0) {
        cli_array_id (a, buf, len);
        return true;
    }
    if (strcmp (key, "state") == 0) {
        cli_array_states (a, buf, len);
        return true;
    }
    if (strcmp (key, "reason") == 0) {
        snprintf (buf, len, "%s", a->reason);
        return true;
    }
    for (size_t i = 0; i < sizeof (none) / sizeof (none[0]); i++) {
        if (strcmp (key, none[i]) == 0) {
            snprintf (buf, len, "-");
            return true;
        }
    }
    return false;
}
