/* job.c: the names of job and node states, as the wire protocol, the store
 * and the CLI's output spell them ("PENDING", "COMPLETED", "UP", "DRAIN"),
 * and which job states are final. Parsing is case-insensitive and also takes
 * Slurm's short codes (PD, R, CD, F, CA, TO, NF) so `--state R` works.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <stddef.h>
#include <strings.h>

#include "cphub/job.h"

static const char *const job_state_names[JOB_STATE_COUNT] = {
    [JOB_PENDING] = "PENDING",     [JOB_RUNNING] = "RUNNING",
    [JOB_COMPLETED] = "COMPLETED", [JOB_FAILED] = "FAILED",
    [JOB_CANCELLED] = "CANCELLED", [JOB_TIMEOUT] = "TIMEOUT",
    [JOB_NODE_FAIL] = "NODE_FAIL", [JOB_OUT_OF_MEMORY] = "OUT_OF_MEMORY",
};

static const char *const job_state_codes[JOB_STATE_COUNT] = {
    [JOB_PENDING] = "PD",   [JOB_RUNNING] = "R",         [JOB_COMPLETED] = "CD",
    [JOB_FAILED] = "F",     [JOB_CANCELLED] = "CA",      [JOB_TIMEOUT] = "TO",
    [JOB_NODE_FAIL] = "NF", [JOB_OUT_OF_MEMORY] = "OOM",
};

static const bool job_state_terminal[JOB_STATE_COUNT] = {
    [JOB_PENDING] = false,  [JOB_RUNNING] = false,      [JOB_COMPLETED] = true,
    [JOB_FAILED] = true,    [JOB_CANCELLED] = true,     [JOB_TIMEOUT] = true,
    [JOB_NODE_FAIL] = true, [JOB_OUT_OF_MEMORY] = true,
};

static const char *const node_state_names[NODE_STATE_COUNT] = {
    [NODE_UP] = "UP",
    [NODE_DOWN] = "DOWN",
    [NODE_DRAIN] = "DRAIN",
};

const char *job_state_name (job_state_t s)
{
    if ((int)s < 0 || s >= JOB_STATE_COUNT)
        return "UNKNOWN";
    return job_state_names[s];
}

int job_state_parse (const char *name, job_state_t *out)
{
    if (name) {
        for (int i = 0; i < JOB_STATE_COUNT; i++) {
            if (strcasecmp (name, job_state_names[i]) == 0 ||
                strcasecmp (name, job_state_codes[i]) == 0) {
                if (out)
                    *out = (job_state_t)i;
                return 0;
            }
        }
    }
    errno = EINVAL;
    return -1;
}

bool job_state_is_terminal (job_state_t s)
{
    if ((int)s < 0 || s >= JOB_STATE_COUNT)
        return false;
    return job_state_terminal[s];
}

const char *node_state_name (node_state_t s)
{
    if ((int)s < 0 || s >= NODE_STATE_COUNT)
        return "UNKNOWN";
    return node_state_names[s];
}

int node_state_parse (const char *name, node_state_t *out)
{
    if (name) {
        for (int i = 0; i < NODE_STATE_COUNT; i++) {
            if (strcasecmp (name, node_state_names[i]) == 0) {
                if (out)
                    *out = (node_state_t)i;
                return 0;
            }
        }
    }
    errno = EINVAL;
    return -1;
}
