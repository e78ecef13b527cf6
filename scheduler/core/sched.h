/* sched.h: the pure scheduling core. No I/O, no clock, no logging: it takes
 * events (a job submitted, a node registered, a job exited, tick(now)) and
 * returns decisions (start job J on node N with these cores, kill job K) plus
 * notices of what changed, for the shell to persist and announce.
 *
 * The shell (scheduler/) and the simulator drive it the same way:
 *     sched_job_submit (...); sched_node_register (...); sched_tick (s, now);
 *     while (sched_next (s, &d)) act on d;
 * The policy here is FIFO with best fit across nodes and packed cores inside
 * a node; later policies replace sched.c's pass, not this interface.
 */
#ifndef CPHUB_SCHED_H
#define CPHUB_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "cphub/error.h"
#include "cphub/idset.h"
#include "cphub/job.h"
#include "cphub/jobspec.h"
#include "cphub/msg.h"
#include "cphub/resource.h"

typedef struct sched sched_t;
typedef struct sched_node sched_node_t;

typedef struct sched_config {
    int64_t default_walltime;  /* seconds, for jobs that ask none */
    int64_t max_walltime;      /* seconds; a job asking more is refused */
    double heartbeat_timeout;  /* seconds without a heartbeat: node DOWN */
} sched_config_t;

/* A job as the core keeps it. The shell reads these fields (through
 * sched_job_lookup / iteration) but changes them only through events. */
typedef struct sched_job {
    uint64_t id;
    char tenant[64];
    jobspec_t spec;
    job_state_t state;
    char reason[64];
    int exit_code;
    int signal;
    int64_t walltime;       /* limit in force */
    double submit_time;
    double start_time;
    double end_time;
    double cpu_time;
    uint64_t max_rss;
    /* allocation, while RUNNING and kept after it ends */
    char node[NODE_NAME_MAX + 1];
    idset_t *cores;         /* core indices on the node */
    idset_t *cpus;          /* their PUs */
    idset_t *gpus;
    idset_t *mems;          /* NUMA domains */
    uint64_t mem;
    bool kill_sent;         /* a cancel asked the agent to kill it */
    struct sched_job *next_pending; /* queue link (core-private) */
} sched_job_t;

typedef enum {
    SCHED_START = 0,  /* send job.run for job_id to node */
    SCHED_KILL,       /* send job.kill for job_id to node */
    SCHED_CHANGED,    /* job_id changed state: persist; if ended, answer waiters */
} sched_action_t;

typedef struct sched_decision {
    sched_action_t action;
    uint64_t job_id;
    char node[NODE_NAME_MAX + 1];
} sched_decision_t;

sched_t *sched_create (const sched_config_t *cfg);
void sched_destroy (sched_t *s);

/* The next id sched_job_submit will give (for a shell restoring state). */
void sched_set_next_id (sched_t *s, uint64_t next_id);

/* A tenant submits. Validates spec (jobspec_validate), applies the wall-time
 * default and maximum, and refuses what no node that has ever registered
 * could run: -1/EINVAL "asked 64 cores per task; the largest node has 32"
 * (likewise for total cores, GPUs and memory). With no node known yet the job
 * is accepted and waits. On success *id is the new job's id, the job is
 * PENDING and a SCHED_CHANGED decision is queued. */
int sched_job_submit (sched_t *s, const char *tenant, const jobspec_t *spec,
                      double now, uint64_t *id, cphub_error_t *err);

/* Cancel: a PENDING job becomes CANCELLED at once; a RUNNING job gets a
 * SCHED_KILL decision and becomes CANCELLED when its exit arrives. -1/ENOENT
 * for no such job, -1/EALREADY for a job that already ended. */
int sched_job_cancel (sched_t *s, uint64_t id, double now, cphub_error_t *err);

/* A node (re-)registers. desc is copied. Jobs the core believes RUNNING on
 * it that desc->jobs does not list become NODE_FAIL; jobs desc->jobs lists
 * that are not RUNNING there get a SCHED_KILL. The node is UP afterwards
 * (unless drained). -1/EINVAL if the description is not valid, or if it
 * changes the resources of a node that still has running jobs. */
int sched_node_register (sched_t *s, const node_desc_t *desc, double now,
                         cphub_error_t *err);
/* -1/ENOENT if the node has not registered (the agent must register). */
int sched_node_heartbeat (sched_t *s, const char *node, double now);

/* The agent started the job (job.started): records start_time. Unknown job or
 * wrong node: -1/ENOENT (the shell tells the agent to kill it). */
int sched_job_started (sched_t *s, const char *node, uint64_t id, double time);
/* The agent reports an exit (job.exit). Frees the allocation and sets the
 * final state: EXITED 0 -> COMPLETED, EXITED n / SIGNALED / START_FAILED ->
 * FAILED, TIMEOUT -> TIMEOUT, CANCELLED (or any end after a cancel) ->
 * CANCELLED, LOST -> NODE_FAIL. A report for a job that already ended is
 * ignored (returns 0: exactly once). Unknown job or wrong node: -1/ENOENT. */
int sched_job_exited (sched_t *s, const char *node, const msg_job_exit_t *ex,
                      double now);

/* Time passes: nodes silent for heartbeat_timeout go DOWN (their running jobs
 * become NODE_FAIL), then one scheduling pass starts what fits. */
void sched_tick (sched_t *s, double now);

/* Pop the next decision into *d: true if there was one. */
bool sched_next (sched_t *s, sched_decision_t *d);

/* Lookups and iteration for the shell's queries. NULL if none. Iteration
 * order is by id. */
sched_job_t *sched_job_lookup (sched_t *s, uint64_t id);
sched_job_t *sched_job_first (sched_t *s);
sched_job_t *sched_job_next (sched_t *s, const sched_job_t *job);
/* Forget an ended job (after the shell archived it). -1/EBUSY if not ended. */
int sched_job_forget (sched_t *s, uint64_t id);

/* Fill a job_info_t from a job. */
void sched_job_info (const sched_job_t *job, job_info_t *info);

uint32_t sched_node_count (const sched_t *s);
/* Fill info for node i (0..count-1, registration order). -1/ENOENT. */
int sched_node_info (const sched_t *s, uint32_t i, node_info_t *info);
/* The registered description of a node, or NULL. */
const node_desc_t *sched_node_desc (const sched_t *s, const char *node);

/* Restore a job from the store (the shell, at start): it is put back in its
 * state, with its allocation (cores/gpus/mems as idset text) held on its node
 * if RUNNING; the node need not be registered yet. No decision is queued. */
int sched_job_restore (sched_t *s, const sched_job_t *job, cphub_error_t *err);

#endif
