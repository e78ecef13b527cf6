/* sched.h: the pure scheduling core. No I/O, no clock, no logging: it takes
 * events (a job submitted, a node registered, a job exited, tick(now)) and
 * returns decisions (start job J on node N with these cores, kill job K) plus
 * notices of what changed, for the shell to persist and announce.
 *
 * The shell (scheduler/) and the simulator drive it the same way:
 *     sched_job_submit (...); sched_node_register (...); sched_tick (s, now);
 *     while (sched_next (s, &d)) act on d;
 * Pending jobs are ordered by a multi-factor priority (fair share, age, size,
 * boosts: priority.h) and started by the pass of sched_config_t.backfill
 * (FIFO, EASY or conservative backfill: backfill.h), each with best fit
 * across nodes and packed cores inside a node.
 */
#ifndef CPHUB_SCHED_H
#define CPHUB_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "cphub/error.h"
#include "cphub/idset.h"
#include "cphub/job.h"
#include "cphub/jobspec.h"
#include "cphub/limits.h"
#include "cphub/resource.h"

/* Seconds past its wall time a reported run may last (the agent's kill
 * grace, the report's way): no run is charged longer than wall time + this. */
#define SCHED_WALLTIME_SLACK 120.0

typedef struct sched sched_t;
typedef struct sched_node sched_node_t;

/* How a pass picks what starts (sched_config_t.backfill). */
typedef enum {
    SCHED_BACKFILL_FIFO = 0,     /* strict priority order: stop at the first
                                    job that cannot start */
    SCHED_BACKFILL_EASY,         /* the first waiting job gets a reservation;
                                    lower ones start where they do not delay it */
    SCHED_BACKFILL_CONSERVATIVE, /* the first N waiting jobs get reservations */
    SCHED_BACKFILL_COUNT
} sched_backfill_t;

/* "fifo", "easy", "conservative"; parse: -1/EINVAL for another name. */
const char *sched_backfill_name (sched_backfill_t b);
int sched_backfill_parse (const char *name, sched_backfill_t *out);

/* A tenant's fair-share policy (scheduler.conf tenants.[*].shares, .boost).
 * Tenants not listed have 1 share and no boost. */
typedef struct sched_tenant_policy {
    char name[TENANT_NAME_MAX + 1];
    double shares; /* > 0 */
    double boost;  /* priority points added to every job of the tenant */
} sched_tenant_policy_t;

typedef struct sched_config {
    int64_t default_walltime; /* seconds, for jobs that ask none */
    int64_t max_walltime;     /* seconds; a job asking more is refused */
    double heartbeat_timeout; /* seconds without a heartbeat: node DOWN */
    /* Priority and backfill (priority.h, backfill.h). A zeroed
     * config keeps the walking hub's policy: strict FIFO in id order. */
    sched_backfill_t backfill;      /* which pass (scheduler.backfill) */
    uint32_t backfill_reservations; /* conservative: reserve the first N
                                       waiting jobs (0 = 16) */
    double weight_fairshare;        /* priority points of each factor */
    double weight_age;
    double weight_size;
    double max_age;             /* seconds of waiting at which age is 1 (0 = 7 days) */
    double fairshare_half_life; /* seconds in which usage halves (0 = 7 days) */
    uint32_t ntenant_policies;
    const sched_tenant_policy_t *tenant_policies; /* copied by sched_create */
    uint32_t max_array_size;                      /* elements of one job array; 0 or
                                                     more than JOBSPEC_ARRAY_SIZE_MAX: that */
    /* Two ticks further apart than this (seconds) mean that the
     * scheduler itself was away (stopped, stalled on its disk) and heard no
     * node: every node then gets a whole heartbeat_timeout from that tick
     * to be heard again before it goes DOWN. 0 = off (virtual time, where
     * ticks may be sparse); the daemon uses heartbeat_timeout / 2. */
    double stall_after;
    /* A pass over a large queue (more than BACKFILL_SMALL_QUEUE jobs were
     * pending at the last pass) runs at most once per pass_interval seconds,
     * however many submits and exits arrive in between, so its cost is
     * spread over many events instead of paid per loop turn. Small queues
     * pass after every change (low latency on an idle hub). 0 = always. */
    double pass_interval;
    /* A run lost to its node (the node failed, or could not start it) is
     * requeued at most max_requeue times (0 = no limit), the first after
     * requeue_delay seconds, each next one after twice the one before
     * (0 = at once); then the job ends NODE_FAIL. */
    uint32_t max_requeue;
    double requeue_delay;
    /* A node where this many starts in a row failed on the node's side
     * (disk, cgroup, fork, user switch, job directory) drains itself with
     * the last error; 0 = never. */
    uint32_t max_start_failures;
    /* The memory limit of a job that asks none: this many bytes per core
     * it holds; 0 = the node's memory divided by its cores. */
    uint64_t default_mem_per_core;
} sched_config_t;

/* What a job holds on one node: cores there, their PUs, GPUs, NUMA domains
 * and memory. The sets are owned by the allocation; any may be NULL (empty). */
typedef struct sched_alloc {
    char node[NODE_NAME_MAX + 1];
    idset_t *cores; /* core indices on the node */
    idset_t *cpus;  /* their PUs */
    idset_t *gpus;
    idset_t *mems; /* NUMA domains */
    uint64_t mem;  /* bytes */
} sched_alloc_t;

/* Deep copy of src into *dst (overwritten; a NULL set stays NULL). 0, or
 * -1/ENOMEM with *dst empty. */
int sched_alloc_copy (sched_alloc_t *dst, const sched_alloc_t *src);
/* Give *dst what src holds (what *dst held is freed first); src is left
 * empty. */
void sched_alloc_move (sched_alloc_t *dst, sched_alloc_t *src);
/* Free a's sets and empty it (no node, no sets, no memory). */
void sched_alloc_clear (sched_alloc_t *a);

/* Who holds a pending job back (sched_job_hold): a tenant's own hold, which
 * it may release, or an operator's, which only an operator may release (as
 * Slurm's user and admin holds). */
typedef enum {
    SCHED_HOLD_NONE = 0,
    SCHED_HOLD_USER,
    SCHED_HOLD_ADMIN,
} sched_hold_by_t;

/* A job as the core keeps it. The shell reads these fields (through
 * sched_job_lookup / iteration) but changes them only through events. */
typedef struct sched_job {
    uint64_t id;
    char tenant[TENANT_NAME_MAX + 1];
    jobspec_t spec;
    job_state_t state;
    char reason[REASON_TEXT_MAX + 1];
    int exit_code;
    int signal;
    int64_t walltime; /* limit in force */
    double submit_time;
    double start_time;
    double end_time;
    double cpu_time;
    uint64_t max_rss;
    /* allocation on the node it runs on, while RUNNING and kept after it
     * ends (a multi-node job's other nodes: others) */
    sched_alloc_t alloc;
    bool kill_sent;    /* a cancel asked the agent to kill it */
    uint32_t runs;     /* times started (a requeued job runs again) */
    uint32_t requeues; /* runs lost to a node and requeued */
    /* A requeued job starts no earlier, and its age priority counts from
     * it when it is later than submit_time (as Slurm's on a requeue). */
    double eligible_time;
    sched_hold_by_t hold;           /* held: PENDING, reason Held, never starts */
    struct sched_job *next_pending; /* queue link (core-private) */
    /* set by each scheduling pass for a PENDING job */
    double priority;         /* total priority points (sched_job_priority) */
    double expected_start;   /* reserved start time; 0 = not known */
    uint32_t queue_position; /* 1 = next in line; 0 = not pending */
    double boost;            /* operator's boost of this job (sched_job_boost) */
    /* multi-node jobs and arrays (sched_place.c and sched_rel.c) */
    uint32_t nothers;      /* nodes of a multi-node job besides alloc.node */
    sched_alloc_t *others; /* their allocations (owned): the job runs on
                              alloc.node, their cores are held for it */
    uint64_t array_id;     /* the array's id (its first job's); 0 = none */
    uint32_t array_index;  /* the element's index in its array */
} sched_job_t;

/* Deep copy of n allocations (NULL when n == 0). NULL/ENOMEM. */
sched_alloc_t *sched_allocs_copy (const sched_alloc_t *src, uint32_t n);
/* Free n allocations and their sets. NULL: nothing. */
void sched_allocs_free (sched_alloc_t *a, uint32_t n);
/* Their text form for a store: "node|cores|cpus|gpus|mems|mem" for each,
 * joined by ';' ("" when n == 0). Caller frees; NULL/ENOMEM. */
char *sched_allocs_encode (const sched_alloc_t *a, uint32_t n);
/* Parse that text: 0 with *out (NULL when empty) and *n, or -1 with errno
 * (EINVAL, ENOMEM) and err. */
int sched_allocs_decode (const char *text,
                         sched_alloc_t **out,
                         uint32_t *n,
                         cphub_error_t *err);

typedef enum {
    SCHED_START = 0,    /* send job.run for job_id to node */
    SCHED_KILL,         /* send job.kill for job_id to node */
    SCHED_CHANGED,      /* job_id changed state: persist; if ended, answer waiters */
    SCHED_ACCOUNT,      /* a run of job_id ended: append d->acct to the accounting */
    SCHED_NODE_CHANGED, /* node d->node registered, went down, drained or
                           resumed: persist it (sched_node_desc/_info) */
} sched_action_t;

/* One run of a job on a node, emitted (SCHED_ACCOUNT) exactly once when the
 * run ends, whatever ends it: an exit, a cancel, a timeout, or its node
 * failing. core_seconds = cores x (end_time - start_time); likewise GPUs.
 * failed_run marks a run that ended through no fault of the job (NODE_FAIL),
 * whether or not the job was requeued afterwards. */
typedef struct sched_acct {
    uint64_t job_id;
    uint32_t run; /* 1 for the first run, 2 after one requeue, ... */
    char tenant[TENANT_NAME_MAX + 1];
    char node[NODE_NAME_MAX + 1];
    uint32_t cores;
    uint32_t gpus;
    double start_time;
    double end_time;
    job_state_t state; /* how the run ended */
    double core_seconds;
    double gpu_seconds;
    bool failed_run;
} sched_acct_t;

typedef struct sched_decision {
    sched_action_t action;
    uint64_t job_id;
    char node[NODE_NAME_MAX + 1];
    sched_acct_t acct; /* SCHED_ACCOUNT only */
} sched_decision_t;

sched_t *sched_create (const sched_config_t *cfg);
void sched_destroy (sched_t *s);

/* The next id sched_job_submit will give (for a shell restoring state). */
void sched_set_next_id (sched_t *s, uint64_t next_id);

/* A tenant submits. The spec comes parsed (its constraint, array and after
 * are typed forms, valid by construction) and, from the network, validated:
 * the shell's codec checked all of it when it decoded the request; the
 * simulator builds specs from a trace. The core does not parse or check the
 * command, script or name again. It checks the numbers it computes with
 * (jobspec_validate_counts: tasks, cores per task, GPUs, memory, wall time,
 * nodes, whoever built the spec) and applies the hub's rules: a tenant name,
 * the wall-time default and maximum, the hub's largest array
 * (max_array_size), the dependency ids, quotas, and refuses what no node
 * that has ever registered could run: -1/EINVAL "asked 64 cores per task;
 * the largest node has 32" (likewise for total cores, GPUs, memory, nodes
 * and features). With no node known yet the job is accepted and waits. On
 * success *id is the new job's id, the job is PENDING and a SCHED_CHANGED
 * decision is queued. */
int sched_job_submit (sched_t *s,
                      const char *tenant,
                      const jobspec_t *spec,
                      double now,
                      uint64_t *id,
                      cphub_error_t *err);

/* Cancel: a PENDING job becomes CANCELLED at once; a RUNNING job gets a
 * SCHED_KILL decision and becomes CANCELLED when its exit arrives. -1/ENOENT
 * for no such job, -1/EALREADY for a job that already ended. */
int sched_job_cancel (sched_t *s, uint64_t id, double now, cphub_error_t *err);

/* A node (re-)registers. desc is copied. Jobs the core believes RUNNING on
 * it that desc->jobs does not list become NODE_FAIL, unless their job.run
 * did not (sched_job_run_unsent), or may not (restored by
 * sched_job_restore, unconfirmed since), have gone out: those never began
 * and are PENDING again, uncounted. Jobs desc->jobs lists that are not
 * RUNNING there get a SCHED_KILL. The node is UP afterwards (unless
 * drained). -1/EINVAL if the description is not valid, or if it changes the resources
 * of a node that still has running jobs. */
int sched_node_register (sched_t *s,
                         const node_desc_t *desc,
                         double now,
                         cphub_error_t *err);
/* -1/ENOENT if the node has not registered (the agent must register). */
int sched_node_heartbeat (sched_t *s, const char *node, double now);

/* An operator drains (drain=true) or resumes a node: running jobs finish,
 * nothing new starts there while it is drained; reason is shown in node
 * info. The core also drains a node by itself when a job survives KILL
 * (sched_exit_t.survived_kill). -1/ENOENT for an unknown node. */
int sched_node_drain (sched_t *s,
                      const char *node,
                      bool drain,
                      const char *reason,
                      double now,
                      cphub_error_t *err);

/* The agent started the job (job.started) at time, received at now: the
 * start may move later (never before the core's own start, never past
 * now), and the node's count of failed starts in a row is reset. Unknown
 * job or wrong node: -1/ENOENT (the shell tells the agent to kill it). */
int sched_job_started (
    sched_t *s, const char *node, uint64_t id, double time, double now);
/* The job.run of job id could not be handed to node's agent (it has no
 * connection now: a scheduler restart, a reconnect). That is neither a run
 * of the job nor a failed start of the node: the job stays RUNNING there,
 * its allocation held, and the node decides. job.started or an exit report
 * (it got the job after all), or a register that lists the job: it runs
 * there. A register that does not list it, or the node going down: the run
 * is taken back as if it never started (no accounting record, no failed
 * run, no requeue counted, no delay; job.runs goes on numbering runs) and
 * the job is PENDING in its place. No decision is queued. -1/ENOENT if the job is not
 * RUNNING on node. */
int sched_job_run_unsent (sched_t *s, const char *node, uint64_t id);
/* How a run ended, as the core takes it (the shell converts the agent's
 * report; a start that failed is an event of its own:
 * sched_job_start_failed). */
typedef enum {
    SCHED_EXIT_EXITED = 0, /* exit_code valid */
    SCHED_EXIT_SIGNALED,   /* signal valid */
    SCHED_EXIT_TIMEOUT,    /* killed at its wall-time limit */
    SCHED_EXIT_CANCELLED,  /* killed on the core's SCHED_KILL */
    SCHED_EXIT_LOST,       /* the node no longer knows it */
    SCHED_EXIT_OOM,        /* the OOM killer struck in its memory limit */
    SCHED_EXIT_OUTPUT,     /* killed: its output reached the node's limit */
} sched_exit_kind_t;

/* One run's end as its node reports it. */
typedef struct sched_exit {
    uint64_t id;
    sched_exit_kind_t kind;
    int exit_code;
    int signal;
    double start_time;  /* 0: not reported */
    double end_time;    /* 0: now */
    double cpu_time;    /* user + system seconds */
    uint64_t max_rss;   /* bytes */
    const char *text;   /* SCHED_EXIT_OUTPUT: what the node said; may be NULL */
    bool survived_kill; /* a process outlived KILL: drain the node */
    /* The run it ends (job.runs when that run started), as the node echoes
     * it; 0: the caller does not number runs (a simulator), taken as the
     * current run. The scheduler names the run of every node's report: one
     * without a number is the current run's only from the node that run is
     * on (handlers.c report_run). */
    uint32_t run;
} sched_exit_t;

/* The node reports an exit, received at now. Frees the allocation and sets
 * the final state: EXITED 0 -> COMPLETED, EXITED n / SIGNALED / OUTPUT ->
 * FAILED, TIMEOUT -> TIMEOUT, CANCELLED (or any end after a cancel) ->
 * CANCELLED, LOST -> NODE_FAIL, OOM -> OUT_OF_MEMORY (reason "out of memory
 * (limit 64M)").
 * The report may shorten the run, never stretch it: its end is clamped to
 * [the run's start, now], its start to [the core's own start, end]. A
 * report for a job that already ended, or of a run that is not the job's
 * current one (sched_job_run_stale), is ignored (returns 0: exactly
 * once). Unknown job or wrong node: -1/ENOENT. Numbers that are not finite
 * or negative (times, cpu time): -1/EINVAL, nothing changed. */
int sched_job_exited (sched_t *s, const char *node, const sched_exit_t *ex, double now);

/* Is run (a node's report names it; 0: not said) not the current run of
 * job id: one that ended before the job was requeued or ran again? Such a
 * report is the old run's, resent or late, and must change nothing of the
 * job's new run. False for an unknown job (the caller's checks say more). */
bool sched_job_run_stale (sched_t *s, uint64_t id, uint32_t run);

/* Job id could not be started on node (text says why, NULL: "could not
 * start"), at time (0: now; clamped as an exit's end), received at now: by
 * the agent, or by the shell that could not hand it its job.run. A start
 * that failed on the node's side (sched_start_fault_is_node) is a lost
 * run: requeued within max_requeue, and counted toward draining the node
 * (max_start_failures). One that failed through the job's own fault ends it
 * FAILED with text as its reason. Exactly once, -1/ENOENT and -1/EINVAL (a
 * time not finite or negative) as sched_job_exited. */
int sched_job_start_failed (sched_t *s,
                            const char *node,
                            uint64_t id,
                            const char *text,
                            double time,
                            double now);

/* The start of the text a job fails with when the job.run that would start
 * it is larger than one message: no node can ever be handed it. */
#define SCHED_START_TOO_LARGE "the job is too large to send to a node"

/* Did a start that failed with this text fail on the node's side (disk,
 * cgroup, fork, user switch, job directory) rather than through the job's
 * own fault (its command cannot be executed)? */
bool sched_start_fault_is_node (const char *text);

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
/* The first job with an id >= id, found without walking the jobs between
 * (NULL if none): where a page that resumes after a forgotten job starts. */
sched_job_t *sched_job_from (sched_t *s, uint64_t id);
/* Forget an ended job (after the shell archived it). -1/EBUSY if not ended. */
int sched_job_forget (sched_t *s, uint64_t id);
/* Forget the jobs that ended before `before` (their end, or their submit
 * if they never ran), walking at most walk jobs from where the last call
 * stopped (wrapping at the end), so that a call costs little whatever the
 * core holds and repeated calls reach every job. Kept: a job some pending
 * job waits on (its end still decides that job), and an array's first
 * element while others of its array are held (the array is named by its
 * id). The shell calls it each turn once the ends are in the store, which
 * answers for forgotten jobs from then on. Returns how many were forgotten. */
uint32_t sched_jobs_forget (sched_t *s, double before, uint32_t walk);

/* Fill a job_info_t from a job. */
void sched_job_info (const sched_job_t *job, job_info_t *info);

uint32_t sched_node_count (const sched_t *s);
/* The index (for sched_node_info) of the node named node. -1/ENOENT. */
int sched_node_index (const sched_t *s, const char *node, uint32_t *index);
/* Fill info for node i (0..count-1, registration order). -1/ENOENT. */
int sched_node_info (const sched_t *s, uint32_t i, node_info_t *info);
/* The registered description of a node, or NULL. */
const node_desc_t *sched_node_desc (const sched_t *s, const char *node);

/* Restore a node from the store (the shell, at start, before jobs): known,
 * not UP until its agent registers again, keeping a drain and its reason. */
int sched_node_restore (sched_t *s,
                        const node_desc_t *desc,
                        node_state_t state,
                        const char *reason,
                        cphub_error_t *err);

/* Restore a job from the store (the shell, at start): it is put back in its
 * state, with its allocation (cores/gpus/mems as idset text) held on its node
 * if RUNNING; the node need not be registered yet. No decision is queued.
 * Whether a RUNNING job's job.run went out before the restart is not known:
 * its node's job.started, exit or register tells (sched_node_register). */
int sched_job_restore (sched_t *s, const sched_job_t *job, cphub_error_t *err);
/* Put an ended job the core forgot back from the store for one request
 * (it names the job): as sched_job_restore, and the next sched_jobs_forget
 * drops it again first, wherever its walk is, unless the request made it
 * active again (a requeue). -1/EINVAL if the job has not ended. */
int sched_job_recall (sched_t *s, const sched_job_t *job, cphub_error_t *err);

/* --- hold, release, requeue (sched_hold.c) --- */

/* Hold a PENDING job (submit --hold, `cphub hold`): it stays in the queue
 * with reason "Held" and never starts until released. by is who holds it;
 * an operator's hold replaces a tenant's, a tenant's never lowers an
 * operator's. Queues a CHANGED. -1/ENOENT, -1/EINVAL for a job that is not
 * pending (running or ended), -1/ENOMEM. */
int sched_job_hold (sched_t *s, uint64_t id, sched_hold_by_t by, cphub_error_t *err);
/* Release a held job (a pending job that is not held: 0, nothing changed).
 * by is who asks: -1/EPERM when a tenant asks to release an operator's
 * hold. Queues a CHANGED. -1/ENOENT, -1/EINVAL for a job that is not
 * pending (running or ended), -1/ENOMEM. */
int sched_job_release (sched_t *s, uint64_t id, sched_hold_by_t by, cphub_error_t *err);
/* Put a job back in the queue. A RUNNING job gets a SCHED_KILL; when its
 * exit arrives its run ends (accounted as CANCELLED, as its own record) and
 * the job is PENDING again, its next run numbered on (job.runs); until then
 * it stays RUNNING, so that an exit of the old run can never end a new one.
 * An ended job is PENDING again at once (its runs stay accounted). Queues a
 * CHANGED (and the KILL). -1/ENOENT, -1/EALREADY for a pending job or a
 * running one already being cancelled or requeued, -1/ENOSPC for an ended
 * job whose tenant is at its max_pending_jobs (as a submit), -1/ENOMEM. */
int sched_job_requeue (sched_t *s, uint64_t id, double now, cphub_error_t *err);

/* --- priority (the formula is in priority.h) --- */

/* One job's priority, factor by factor, as `cphub priority ID` explains it.
 * priority = weight_fairshare * fairshare + weight_age * age
 *          + weight_size * size + job_boost + tenant_boost. */
typedef struct sched_priority {
    double priority;
    double fairshare;    /* 0..1: 1 = the tenant used nothing lately */
    double age;          /* 0..1: time waiting / max_age */
    double size;         /* 0..1: cores / cores of the largest node */
    double job_boost;    /* priority points, set by an operator */
    double tenant_boost; /* priority points, from the tenant's config */
    double weight_fairshare;
    double weight_age;
    double weight_size;
    double tenant_shares; /* the tenant's share of the hub, 0..1 */
    double tenant_usage;  /* its decayed core-seconds, running jobs included */
    double usage_share;   /* its part of all tenants' decayed usage, 0..1 */
    double half_life;     /* seconds */
    double max_age;       /* seconds */
} sched_priority_t;

/* Fill *out for job id at now (factors as they are now, not as the last
 * pass saw them). -1/ENOENT for no such job. */
int sched_job_priority (sched_t *s, uint64_t id, double now, sched_priority_t *out);

/* An operator sets job id's boost (priority points, may be negative; it
 * replaces the previous one). -1/ENOENT, -1/EINVAL (not finite, or beyond
 * +-1e9), -1/EALREADY for a job that ended. Queues a CHANGED. */
int sched_job_boost (sched_t *s, uint64_t id, double boost, cphub_error_t *err);

/* Feed past usage to fair share (the shell, at start, for each accounting
 * record it kept): core_seconds of tenant that ended at end_time. Decays like
 * any usage. 0, or -1/ENOMEM. */
int sched_usage_add (sched_t *s,
                     const char *tenant,
                     double core_seconds,
                     double end_time);

/* Fill info for the node named node (as sched_node_info, found by name: a
 * drained node shows NODE_DRAIN and the drain's reason). -1/ENOENT. */
int sched_node_lookup (const sched_t *s, const char *node, node_info_t *info);

/* --- arrays, dependencies, constraints, multi-node --- */

/* sched_job_submit for any spec, telling how many jobs it made: a job array
 * (spec.array) becomes *count jobs with the ids *first .. *first + *count - 1
 * in index order, the first id being the array's id; otherwise *count is 1.
 * Besides sched_job_submit's refusals: "--array: 20000 elements; this hub
 * allows at most 10000", "--after: no such job 12" (also for another
 * tenant's job), "--after: job 12 ended FAILED; ok:12 can never be met",
 * "no node has features avx512&h100", "asked 3 nodes; only 2 nodes can hold
 * 4 cores each". A job that waits on others is PENDING with reason
 * "Dependency"; an element held back by its array's %N throttle has reason
 * "ArrayTaskLimit"; neither is in line until that clears. */
/* The refusals of sched_job_submit_many that do not look at --after: the
 * job, its array and its tenant's quotas; nothing changes. 0, or -1 with
 * errno and err. */
int sched_job_submit_check (sched_t *s,
                            const char *tenant,
                            const jobspec_t *spec,
                            cphub_error_t *err);

int sched_job_submit_many (sched_t *s,
                           const char *tenant,
                           const jobspec_t *spec,
                           double now,
                           uint64_t *first,
                           uint32_t *count,
                           cphub_error_t *err);

/* The element of array array_id with this index: its id into *id. 0, or
 * -1/ENOENT if array_id names no array the core knows or it has no such
 * element (never had, or forgotten). Visibility is the caller's. */
int sched_array_element (const sched_t *s,
                         uint64_t array_id,
                         uint32_t index,
                         uint64_t *id);

/* Where the elements of array array_id with indices >= index begin: the
 * *offset (element id array_id + *offset) of the first index >= index in
 * the array's spec, forgotten or not; the array's count when there is none.
 * Arithmetic over the spec's ranges, no walk. 0, or -1/ENOENT if the core
 * knows no such array. */
int sched_array_seek (const sched_t *s,
                      uint64_t array_id,
                      uint32_t index,
                      uint32_t *offset);

/* How many elements array array_id has (ids array_id .. array_id + *count -
 * 1, some perhaps forgotten). 0, or -1/ENOENT if the core knows no such
 * array. */
int sched_array_count (const sched_t *s, uint64_t array_id, uint32_t *count);
/* How many of them the core holds (the rest forgotten). 0, or -1/ENOENT as
 * sched_array_count. */
int sched_array_known (const sched_t *s, uint64_t array_id, uint32_t *known);

/* The nodes of a started job for job.run and its environment: nodelist
 * "node1,node2" (its node first) and cpus_per_node "4,4" (cores on each);
 * a one-node job has its node and its core count. -1/ENOSPC if either does
 * not fit its buffer. */
int sched_job_layout (const sched_job_t *job,
                      char *nodelist,
                      size_t nodelist_len,
                      char *cpus_per_node,
                      size_t cpus_len);

/* --- quotas and budgets (scheduler/core/quota.c) --- */

/* A tenant's limits (scheduler.conf tenants.[*], or an operator's tenant
 * commands at run time). A count of 0 means no limit. Over a running limit
 * a job waits with reason "Quota" (job_info.reason explains: "Quota:
 * tenant-a runs 16 of 16 cores allowed"); over max_pending_jobs a submit is
 * refused. Tenants never set have no limits and no budget. */
typedef struct sched_tenant {
    char name[TENANT_NAME_MAX + 1];
    uint32_t max_running_cores; /* cores its running jobs hold at once */
    uint32_t max_running_gpus;
    uint32_t max_running_jobs;
    uint32_t max_pending_jobs; /* PENDING jobs, held or in line */
    /* The budget, in core-hours (one number: a GPU-hour counts as
     * sched_billing_set's gpu_hour core-hours). has_budget false and no
     * grant: unlimited. budget is what the config grants before the
     * ledger's grants (a ledger "set" replaces it). */
    bool has_budget;
    double budget;
} sched_tenant_t;

/* Set a tenant's limits (creating its record): they apply from the next
 * pass on; what it runs and spent stays. 0, or -1/EINVAL (empty or too long
 * name, budget not finite or < 0), -1/ENOMEM. */
int sched_tenant_set (sched_t *s, const sched_tenant_t *limits);
/* A tenant's limits as set. -1/ENOENT for a tenant the core has never heard
 * of (never set, never submitted, no grant). */
int sched_tenant_get (const sched_t *s, const char *name, sched_tenant_t *out);
/* Tenants the core knows, in the order it first heard of them: the name
 * after prev (NULL: the first), or NULL after the last. The pointer stays
 * valid until sched_destroy. */
const char *sched_tenant_next (const sched_t *s, const char *prev);

/* Billing weights (scheduler.conf billing.core_hour, billing.gpu_hour):
 * what one core-hour and one GPU-hour cost in budget core-hours (default
 * 1 and 1). They price all usage, past included, so that the balance is
 * always the accounting records converted the same way:
 *     spent = (core_seconds * core_hour + gpu_seconds * gpu_hour) / 3600.
 * -1/EINVAL unless both are finite and in 0..1e6. */
int sched_billing_set (sched_t *s, double core_hour, double gpu_hour);

/* One entry of a tenant's budget ledger: an operator's grant (hours are
 * added; may be negative to take some back) or set (the tenant's budget
 * becomes hours). The ledger is append-only; nothing decays. */
typedef struct sched_grant {
    double time; /* when it was made */
    char tenant[TENANT_NAME_MAX + 1];
    double hours;                     /* core-hours */
    bool set;                         /* false: grant (add), true: set the total */
    char reason[REASON_TEXT_MAX + 1]; /* the operator's words, may be empty */
    char by[64];                      /* the operator's name */
} sched_grant_t;

#define SCHED_GRANT_HOURS_MAX 1e12

/* Would sched_budget_grant take g? Makes the tenant's record (so that the
 * grant cannot fail afterwards). 0, or -1 with err: EINVAL ("hours must be
 * a number from -1e12 to 1e12", "a budget cannot be set below 0"), ENOMEM. */
int sched_budget_grant_check (sched_t *s, const sched_grant_t *g, cphub_error_t *err);
/* Apply a grant or set (the shell, after it is durable; and at start for
 * every stored entry, in order). Jobs waiting for "Budget" may start at the
 * next pass. 0 or -1 as sched_budget_grant_check. */
int sched_budget_grant (sched_t *s, const sched_grant_t *g, cphub_error_t *err);

/* Past usage at start: each stored accounting record, in order. A failed
 * run (failed_run) is not the tenant's to pay and is skipped; running jobs
 * are charged by the core itself when their run ends (SCHED_ACCOUNT).
 * 0 or -1/ENOMEM. */
int sched_budget_charge (sched_t *s, const sched_acct_t *rec);

/* Where a tenant stands. Amounts in core-hours: granted (config budget and
 * ledger), spent (accounting records of runs that ended, failed runs
 * excluded, priced by the billing weights), reserved (each running job's
 * cores and GPUs times its wall-time limit, priced alike: released, and the
 * real run time charged, when it ends) and remaining = granted - spent -
 * reserved. core_seconds and gpu_seconds are the unpriced sums of those
 * records, summed in the order the records were written. An unknown tenant
 * (or NULL, for the billing weights alone) is filled as one with nothing:
 * unlimited, no use. */
typedef struct sched_balance {
    char tenant[TENANT_NAME_MAX + 1];
    bool limited; /* has a budget: config budget or any ledger entry */
    double granted;
    double spent;
    double reserved;
    double remaining;
    double core_seconds;
    double gpu_seconds;
    double core_hour; /* the billing weights in force */
    double gpu_hour;
    sched_tenant_t limits;
    uint32_t running_cores; /* held by its running jobs now */
    uint32_t running_gpus;
    uint32_t running_jobs;
    uint32_t pending_jobs;
} sched_balance_t;

void sched_balance (const sched_t *s, const char *tenant, sched_balance_t *out);

/* --- tenants changed at run time (scheduler/tenants.c) --- */

/* Set a tenant's fair-share policy at run time (cphub tenant add and set;
 * the config's tenants come through sched_config_t.tenant_policies): its
 * shares (> 0, finite, at most 1e9) and boost (finite) count from the next
 * pass on; its past usage stays. 0, or -1/EINVAL with err, -1/ENOMEM. */
int sched_tenant_policy_set (sched_t *s,
                             const sched_tenant_policy_t *pol,
                             cphub_error_t *err);

#endif
