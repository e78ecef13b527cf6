/* job.h: the job's life as everyone outside the scheduler sees it: states,
 * and the job and node records that replies carry.
 */
#ifndef CPHUB_JOB_H
#define CPHUB_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "cphub/limits.h"
#include "cphub/resource.h"

typedef enum {
    JOB_PENDING = 0,
    JOB_RUNNING,
    JOB_COMPLETED, /* exited 0 */
    JOB_FAILED,    /* exited non-zero, killed by a signal, or could not start */
    JOB_CANCELLED,
    JOB_TIMEOUT,
    JOB_NODE_FAIL,
    JOB_OUT_OF_MEMORY, /* the kernel killed it at its memory limit */
    JOB_STATE_COUNT
} job_state_t;

/* "PENDING", ...; parse is case-insensitive. */
const char *job_state_name (job_state_t s);
int job_state_parse (const char *name, job_state_t *out);
bool job_state_is_terminal (job_state_t s);

typedef enum { NODE_UP = 0, NODE_DOWN, NODE_DRAIN, NODE_STATE_COUNT } node_state_t;
const char *node_state_name (node_state_t s);
int node_state_parse (const char *name, node_state_t *out);

/* The longest array_tasks text of a job_info: room for more index ranges
 * than `cphub jobs` shows in an array's row. */
#define JOB_ARRAY_TASKS_MAX 127

/* How many of the elements a job_info stands for are in one state. */
typedef struct job_state_count {
    job_state_t state;
    uint32_t count;
} job_state_count_t;

/* One job as a reply shows it (jobs, show, wait). Strings are always
 * NUL-terminated; empty when unknown. Times are epoch seconds, 0 = not yet. */
typedef struct job_info {
    uint64_t id;
    char tenant[TENANT_NAME_MAX + 1];
    char name[128];
    char command[256]; /* summary */
    job_state_t state;
    char reason[REASON_TEXT_MAX + 1]; /* why pending, or how it ended */
    int exit_code;                    /* valid when ended by exit */
    int signal;                       /* > 0 when ended by a signal */
    uint32_t ntasks;
    uint32_t cpus_per_task;
    uint32_t gpus_count;
    uint64_t mem;                 /* bytes asked */
    int64_t walltime;             /* seconds, the limit in force */
    char node[NODE_NAME_MAX + 1]; /* where it runs or ran */
    char cpus[512];               /* PU ids it is bound to, "0-3" */
    char gpus[128];               /* GPU ids, "0,1" */
    double submit_time;
    double start_time;
    double end_time;
    double cpu_time;  /* user+sys seconds */
    uint64_t max_rss; /* bytes */
    /* multi-node jobs and arrays */
    char nodelist[256];      /* every node of the allocation, "node1,node2" ("..."
                                ends a list too long to show); "" before start */
    uint64_t array_id;       /* the array's first job id; 0 = not an array element */
    uint32_t array_index;    /* the element's index (CPHUB_ARRAY_INDEX) */
    uint32_t array_throttle; /* its array's %N: at most N run at once; 0 = none */
    /* while PENDING, as the scheduler's last pass left it */
    double expected_start;   /* epoch seconds of its reservation; 0 = not known */
    uint32_t queue_position; /* 1 = next in line; 0 = not pending */
    double priority;         /* priority points (cphub priority ID explains) */
    /* a row of `jobs` without expand standing for consecutive elements of
     * one array: the first element's info, its reason the first pending
     * element's */
    uint32_t array_folded;                     /* elements folded; 0 = one job */
    char array_tasks[JOB_ARRAY_TASKS_MAX + 1]; /* their indices and throttle,
                                                  "0-3,8%50"; "..." ends a
                                                  list too long */
    uint32_t array_nstates;                    /* entries of array_counts */
    job_state_count_t *array_counts; /* of them, by state, in state order; NULL
                                        = none. The one pointer: the message
                                        (or list) holding the job_info owns it */
} job_info_t;

/* One node as `cphub nodes` shows it. */
typedef struct node_info {
    char name[NODE_NAME_MAX + 1];
    node_state_t state;
    char reason[REASON_TEXT_MAX + 1];
    uint32_t cores;
    uint32_t cores_used;
    uint32_t gpus;
    uint32_t gpus_used;
    uint64_t mem;
    uint64_t mem_used;
    uint32_t numa;      /* NUMA domains */
    uint32_t jobs;      /* running */
    char features[256]; /* "a100,bigmem" */
    char topology[128]; /* "real" or the synthetic/xml source */
    bool binding;       /* binding applied (real topology) */
    double last_seen;
    char isolation[64]; /* the agent's node_desc_t isolation */
    bool simulated;     /* its agent runs no job (node_desc_t simulated) */
} node_info_t;

#endif
