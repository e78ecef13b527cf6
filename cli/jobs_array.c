/* jobs_array.c: the one row of `cphub jobs` that stands for a job array.
 *
 * The scheduler lists an array's elements as jobs with consecutive ids; jobs
 * shows the elements it got as one row, Slurm's way: the id with the indices
 * and throttle, "42_[4-999%50]", and counts by state where a job's row has
 * its state ("PENDING:950 RUNNING:50"). --expand shows the elements, one row
 * each.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* Bytes of the "42_[...]" text; longer index lists end in "...". */
#define CLI_ARRAY_ID_MAX 96
/* Bytes of the state counts, one "PD:N " per state at most. */
#define CLI_ARRAY_STATES_MAX 160

uint32_t cli_array_span (const job_info_t *jobs, uint32_t count)
{
    uint32_t n = 1;

    if (jobs[0].array_id == 0)
        return 1;
    while (n < count && jobs[n].array_id == jobs[0].array_id)
        n++;
    return n;
}

/* "42_[0-3,8,10-11%2]" for the indices of the n elements (increasing). */
static void cli_array_id (const job_info_t *jobs, uint32_t n, char *buf, size_t len)
{
    size_t pos = (size_t)snprintf (buf, len, "%" PRIu64 "_[", jobs[0].array_id);

    for (uint32_t i = 0; i < n && pos < len; i++) {
        uint32_t j = i;
        while (j + 1 < n && jobs[j + 1].array_index == jobs[j].array_index + 1)
            j++;
        if (pos + 24 + 8 > len) {
            pos += (size_t)snprintf (buf + pos, len - pos, "...");
            break;
        }
        if (i > 0)
            buf[pos++] = ',';
        if (j > i)
            pos += (size_t)snprintf (buf + pos, len - pos, "%" PRIu32 "-%" PRIu32,
                                     jobs[i].array_index, jobs[j].array_index);
        else
            pos += (size_t)snprintf (buf + pos, len - pos, "%" PRIu32,
                                     jobs[i].array_index);
        i = j;
    }
    if (pos < len && jobs[0].array_throttle > 0)
        pos += (size_t)snprintf (buf + pos, len - pos, "%%%" PRIu32,
                                 jobs[0].array_throttle);
    if (pos < len)
        snprintf (buf + pos, len - pos, "]");
}

/* "PD:8 R:2" for the n elements, in state order. */
static void cli_array_states (const job_info_t *jobs, uint32_t n, char *buf, size_t len)
{
    uint32_t counts[JOB_STATE_COUNT] = {0};
    size_t pos = 0;

    buf[0] = '\0';
    for (uint32_t i = 0; i < n; i++)
        if ((unsigned)jobs[i].state < JOB_STATE_COUNT)
            counts[jobs[i].state]++;
    for (int s = 0; s < JOB_STATE_COUNT && pos < len; s++)
        if (counts[s] > 0)
            pos += (size_t)snprintf (buf + pos, len - pos, "%s%s:%" PRIu32,
                                     pos > 0 ? " " : "",
                                     job_state_name ((job_state_t)s), counts[s]);
}

int cli_array_row (cli_table_t *t, const job_info_t *jobs, uint32_t n)
{
    char id[CLI_ARRAY_ID_MAX], states[CLI_ARRAY_STATES_MAX], cpus[24];
    const char *reason = "";

    cli_array_id (jobs, n, id, sizeof (id));
    cli_array_states (jobs, n, states, sizeof (states));
    snprintf (cpus, sizeof (cpus), "%" PRIu64,
              (uint64_t)jobs[0].ntasks * jobs[0].cpus_per_task);
    for (uint32_t i = 0; i < n && reason[0] == '\0'; i++)
        if (jobs[i].state == JOB_PENDING)
            reason = jobs[i].reason;
    const char *cells[] = {
        id,
        jobs[0].tenant,
        jobs[0].name[0] != '\0' ? jobs[0].name : jobs[0].command,
        states,
        "-",
        cpus,
        "-",
        "-",
        reason,
    };
    return cli_table_row (t, cells);
}
