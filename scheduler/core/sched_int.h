/* sched_int.h: what the parts of the scheduling core share, private to
 * scheduler/core/. sched.c keeps the jobs (table, id order, pending FIFO, the
 * pass) and the decision queue; sched_run.c takes the events of a run's node
 * (started, exited, could not start); sched_node.c keeps the nodes (table,
 * the best-fit index, heartbeats, registration and reconciliation). The
 * shell and everything else see only sched.h.
 */
#ifndef CPHUB_SCHED_INT_H
#define CPHUB_SCHED_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* uthash reports a failed allocation through the element (its oom flag). */
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) ((obj)->oom = true)
#include <uthash.h>
#include <utlist.h>

#include "cphub/constraint.h"
#include "cphub/limits.h"
#include "cphub/resource.h"
#include "scheduler/core/backfill.h"
#include "scheduler/core/place.h"
#include "scheduler/core/priority.h"
#include "scheduler/core/sched.h"

#define SCHED_BUCKETS (NODE_CORES_MAX + 1)
#define SCHED_BUCKET_WORDS ((SCHED_BUCKETS + 63) / 64)

typedef struct job_entry job_entry_t;
/* placement features and job relations, defined in sched_place.c and
 * sched_rel.c */
typedef struct sched_jobx sched_jobx_t;   /* what a job has of them */
typedef struct sched_hold sched_hold_t;   /* a multi-node job on another node */
typedef struct sched_cons sched_cons_t;   /* a parsed --constraint, shared */
typedef struct sched_array sched_array_t; /* one job array */
/* quotas and budgets, defined in quota.c */
typedef struct sched_quota sched_quota_t;               /* every tenant's */
typedef struct sched_quota_tenant sched_quota_tenant_t; /* one tenant's */

/* Did a running job's job.run reach its node? A run that did not, and that
 * its node does not hold when it registers, never began: it is withdrawn,
 * not failed (sched_job_run_lost). */
typedef enum run_reach {
    RUN_REACHED, /* sent (or the node said it runs the job) */
    RUN_UNSENT,  /* the shell could not hand it to the agent */
    RUN_UNKNOWN, /* restored after a restart: the crash may have come between
                  * the start's commit and the job.run going out */
} run_reach_t;

struct job_entry {
    sched_job_t job;                    /* first: a sched_job_t * is a job_entry_t * */
    job_entry_t *id_prev, *id_next;     /* all jobs, id order */
    job_entry_t *pend_prev;             /* pending FIFO (forward: job.next_pending) */
    bool queued;                        /* in the pending FIFO */
    job_entry_t *node_prev, *node_next; /* running on the same node */
    sched_node_t *where;                /* node while RUNNING */
    /* A node that still holds an earlier run of this job (it listed the job
     * when it registered, but the job does not run there now): the job does
     * not start anywhere until that node reports the run's end, goes down,
     * or registers without it. The node's list: stale_prev/stale_next. */
    sched_node_t *stale_on;
    job_entry_t *stale_prev, *stale_next;
    char last_node[NODE_NAME_MAX + 1]; /* where its last run was (requeued) */
    /* A requeued job waits out its delay (job.eligible_time) out of line,
     * in the core's list of delayed jobs; a tick puts it back. */
    bool delayed;
    job_entry_t *delay_prev, *delay_next;
    bool oom;
    /* Whether the run's job.run reached its node, as far as the core knows
     * (run_reach_t); only the node's word (job.started, an exit, a register
     * listing the job) makes it RUN_REACHED. */
    run_reach_t run_reach;
    /* A requeue was asked while it runs: its exit puts it back in line
     * (sched_job_run_requeue) instead of ending it. Not stored: a restart
     * in between ends the run as the exit says. */
    bool requeue_asked;
    /* Put back from the store for one request (sched_job_recall): in the
     * core's list of recalled jobs, which the next forget drops first. */
    bool recalled;
    job_entry_t *recall_prev, *recall_next;
    UT_hash_handle hh;
    /* fair share (priority.h): the tenant's record, found once; the cores
     * the running run counts for while usage_running */
    prio_tenant_t *ptenant;
    uint32_t usage_cores;
    bool usage_running;
    /* placement features and relations (sched_place.c, sched_rel.c): constraint, holds
     * on a multi-node job's other nodes, dependencies, array throttle; NULL for a job
     * that has none of them */
    sched_jobx_t *x;
    /* quotas and budgets (quota.c): the tenant's record (found
     * once), whether the job counts there as not ended (q_active) and as
     * running (q_running), and what its run counts for while it runs */
    sched_quota_tenant_t *qt;
    bool q_active;
    bool q_running;
    uint32_t q_cores;
    uint32_t q_gpus;
    int64_t q_walltime;
};

struct sched_node {
    node_desc_t desc;   /* desc.name is the key; arrays empty until registered */
    bool registered;    /* false: known only from a restored running job */
    node_state_t state; /* NODE_UP or NODE_DOWN; a drain is kept apart */
    char reason[REASON_TEXT_MAX + 1]; /* why it is DOWN */
    bool has_desc; /* desc holds a registered or restored description */
    bool drained;  /* nothing new starts here; shown as DRAIN */
    char drain_reason[REASON_TEXT_MAX + 1];
    job_entry_t *stale;      /* jobs whose earlier run this node still holds */
    uint32_t start_failures; /* starts in a row that failed on its side */
    uint32_t index;          /* in sched.nodes (registration order) */
    idset_t *free_cores;
    idset_t *free_gpus;
    uint32_t nfree_cores;
    uint32_t nfree_gpus;
    uint64_t mem_used;
    uint32_t njobs;
    job_entry_t *jobs; /* running here */
    double last_seen;
    sched_node_t *hb_prev, *hb_next; /* in the list watched says */
    int watched;                     /* WATCH_* */
    int bucket;                      /* in the fit index, or -1 */
    uint32_t heap_pos;
    bool oom;
    UT_hash_handle hh;
    /* backfill.c: this node's profile slot, valid while bf_pass is the
     * current pass */
    uint64_t bf_pass;
    uint32_t bf_slot;
    /* multi-node jobs holding cores here while they run on another node
     * (sched_place.c); counted in njobs_held, not in jobs/njobs */
    sched_hold_t *holds;
    uint32_t njobs_held;
};

/* Which heartbeat list a node is in. */
enum { WATCH_NONE = 0, WATCH_HEARTBEAT, WATCH_UNSEEN };

typedef struct bucket {
    sched_node_t **heap; /* min-heap by name */
    uint32_t n, cap;
} bucket_t;

struct sched {
    sched_config_t cfg;
    uint64_t next_id;
    job_entry_t *jobs; /* hash by id */
    job_entry_t *first, *last;
    job_entry_t *pend_head, *pend_tail;
    job_entry_t *delayed;  /* requeued jobs waiting out their delay (DL) */
    sched_node_t *by_name; /* hash by name */
    sched_node_t **nodes;  /* registration order */
    uint32_t nnodes, nodes_cap;
    sched_node_t *watch;    /* UP nodes, oldest heartbeat first (utlist DL) */
    sched_node_t *unseen;   /* restored nodes waiting for a first tick */
    double last_check;      /* the previous tick's now (heartbeat checks) */
    double hb_grace_until;  /* after a stall of the scheduler: no node goes
                               DOWN before this */
    place_capacity_t *caps; /* Pareto set of capacities ever registered */
    size_t ncaps, caps_cap;
    sched_decision_t *dq; /* ring */
    size_t dq_head, dq_len, dq_cap;
    bucket_t buckets[SCHED_BUCKETS];
    uint64_t nonempty[SCHED_BUCKET_WORDS];
    /* priority and backfill */
    prio_t *prio;
    backfill_t *bf;
    uint64_t gen; /* decisions ever queued: a pass runs when it moved */
    /* features: parsed constraints by text, arrays by id, and the
     * jobs whose end still has to reach their dependents (sched_rel.c) */
    sched_cons_t *constraints;
    sched_array_t *arrays;
    sched_array_t *arrays_dirty; /* arrays that may release elements */
    job_entry_t **rel_work;
    size_t rel_nwork, rel_work_cap;
    bool rel_busy;
    /* tenants' limits, counters and budget ledgers (quota.c) */
    sched_quota_t *quota;
    uint64_t forget_cursor; /* where the walk of sched_jobs_forget goes on */
    job_entry_t *recalled;  /* jobs recalled, the latest first */
};
/* Decisions one job's end may queue (SCHED_ACCOUNT for the run, CHANGED). */
#define SCHED_END_DECISIONS 2

/* --- sched.c ----------------------------------------------------------------- */

/* Grow *array (of *cap elements of size) to hold want. 0 or -1/ENOMEM. */
int sched_grow (void **array, size_t *cap, size_t want, size_t size);
/* Make room for n more decisions so that sched_dq_push cannot fail. */
int sched_dq_reserve (sched_t *s, size_t n);
void sched_dq_push (sched_t *s, sched_action_t action, uint64_t id, const char *node);
void sched_job_set_reason (sched_job_t *job, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
job_entry_t *sched_job_find (const sched_t *s, uint64_t id);
/* The job ends in state at time end: its allocation goes back, it leaves
 * the pending FIFO, a CHANGED is queued (room reserved). The caller sets the
 * reason. */
void sched_job_end (sched_t *s, job_entry_t *e, job_state_t state, double end);
/* The job's node failed under it (why: "node n1 stopped heartbeating"): the
 * run is accounted as failed, and the job is requeued (PENDING, in id order,
 * reason "Requeued: node N failed"), or ends NODE_FAIL if it asked
 * --no-requeue, or CANCELLED if a cancel was under way. Room for
 * SCHED_END_DECISIONS must have been reserved. */
void sched_job_node_failed (sched_t *s, job_entry_t *e, double now, const char *why);
/* e's node registered without it (registered) or went down: a run whose
 * job.run is known not to have gone out (RUN_UNSENT), or, at a register, not
 * known to have gone out (RUN_UNKNOWN), is withdrawn (sched_job_run_withdraw);
 * any other is a failed run (sched_job_node_failed). A node that goes down
 * may have run a restored job for long: that stays a failed run. Room as for
 * sched_job_node_failed. */
void sched_job_run_lost (
    sched_t *s, job_entry_t *e, bool registered, double now, const char *why);
/* e's run never reached its node: taken back as if it had not started.
 * Nothing is accounted or charged, the requeue is not counted (job.runs,
 * which numbers the runs, goes on), the node's failed starts are untouched, and the job
 * is PENDING in its place by id at once (CANCELLED if a cancel was under way). Room for
 * SCHED_END_DECISIONS must have been reserved. */
void sched_job_run_withdraw (sched_t *s, job_entry_t *e, double now);
/* Tick: delayed jobs whose time has come go back in line; the others'
 * reasons say how long they still wait. */
void sched_delayed_check (sched_t *s, double now);
/* Could node hold an earlier run of e: e waits in line and its last run
 * was there? */
bool sched_job_ran_on (const job_entry_t *e, const sched_node_t *node);
/* A start on node worked, or its operator resumed it: no failures in a row. */
void sched_node_start_ok (sched_node_t *node);
/* The memory limit of e on node when it asks none (the config's per-core
 * default, or the node's memory divided by its cores), for cores cores. */
uint64_t sched_default_mem (const sched_t *s, const sched_node_t *node, uint32_t cores);
/* node still holds an earlier run of e: keep e from starting until
 * sched_job_stale_release (no-op for an ended job or one held already). */
void sched_job_stale_hold (sched_t *s, job_entry_t *e, sched_node_t *node);
/* The hold is over (the run's end arrived, or the node is gone): a pending
 * job goes back in line. */
void sched_job_stale_release (sched_t *s, job_entry_t *e);

/* --- sched_node.c -------------------------------------------------------------- */

sched_node_t *sched_node_find (const sched_t *s, const char *name);
/* A node with no description yet (DOWN), in the table. NULL/ENOMEM. */
sched_node_t *sched_node_create (sched_t *s, const char *name);
/* Move a node to the tail of a heartbeat list (WATCH_*), or out of both. */
void sched_node_watch (sched_t *s, sched_node_t *node, int which);
/* Hold a job's allocation (e->job.alloc.cores/gpus/mem) on node, or give it back. */
void sched_node_hold (sched_t *s, sched_node_t *node, job_entry_t *e);
void sched_node_release (sched_t *s, job_entry_t *e);
uint64_t sched_node_free_mem (const sched_node_t *node);
/* Is the allocation (a job's on its node, or one of its others) inside the
 * node's description and free on it (cores and GPUs; not memory)? */
bool sched_alloc_fits (const sched_node_t *node, const sched_alloc_t *a);
/* Tick, node side: restored nodes start their heartbeat clock; nodes silent
 * past the timeout go DOWN and fail their jobs. */
void sched_nodes_check (sched_t *s, double now);
/* Drain (or resume) a node, queueing SCHED_NODE_CHANGED (room reserved by
 * the caller) when that changes anything. */
void sched_node_set_drain (sched_t *s,
                           sched_node_t *node,
                           bool drain,
                           const char *reason);
/* Free every node and the index. */
void sched_nodes_destroy (sched_t *s);

/* --- the pass: sched.c's job start, backfill.c's policy ---------------------- */

/* Start e on node now (place, hold, queue CHANGED and START; room for 2
 * decisions reserved by the caller) and count its cores toward its tenant's
 * usage. 0, or -1 (ENOSPC: does not fit; ENOMEM). In sched.c. */
int sched_job_start (sched_t *s, job_entry_t *e, sched_node_t *node, double now);

/* --- sched_policy.c (priority and usage glue) -------------------------------- */
/* e's tenant record (found once, then kept in e). NULL/ENOMEM. */
prio_tenant_t *sched_job_tenant (sched_t *s, job_entry_t *e);
/* Usage: e's run started at start (also a restored running job), or ended
 * at end (every path through run_end). Each counts once per run. */
void sched_usage_run_start (sched_t *s, job_entry_t *e, double start);
void sched_usage_run_end (sched_t *s, job_entry_t *e, double end);
/* Cores of the largest node ever registered (the size factor's scale). */
uint32_t sched_largest_cores (const sched_t *s);

/* --- placement features and job relations ------------------------------------ */

/* sched.c: the pending line, for jobs that wait outside it (dependencies,
 * array throttle) and come back. Both do nothing when already so. */
void sched_job_enqueue (sched_t *s, job_entry_t *e);
void sched_job_dequeue (sched_t *s, job_entry_t *e);
/* sched.c: a requeued RUNNING job's run ends at end (accounted as
 * CANCELLED, resources back) and the job is PENDING in line again; room
 * for SCHED_END_DECISIONS must have been reserved. */
void sched_job_run_requeue (sched_t *s, job_entry_t *e, double end);
/* sched.c: an ended job is PENDING in line again at now (its age priority
 * counts from now), counted as not ended in its tenant's quota; room for
 * one decision must have been reserved. */
void sched_job_reopen (sched_t *s, job_entry_t *e, double now);
/* Where a job's age priority counts from: its submit, or the later time it
 * became eligible again (a requeue). */
static inline double sched_job_age_from (const sched_job_t *job)
{
    return job->eligible_time > job->submit_time ? job->eligible_time
                                                 : job->submit_time;
}
/* sched.c: the checks of a submit (tenant, jobspec_validate_counts, wall time,
 * sched_check_ever): 0 and *walltime, or -1 with errno and err. */
int sched_job_check (sched_t *s,
                     const char *tenant,
                     const jobspec_t *spec,
                     int64_t *walltime,
                     cphub_error_t *err);
/* sched.c: a new PENDING job in the tables and in line, its CHANGED queued.
 * NULL/ENOMEM (nothing changed then). */
job_entry_t *sched_job_create (sched_t *s,
                               const char *tenant,
                               const jobspec_t *spec,
                               int64_t walltime,
                               double now);
/* sched.c: remove a job that was just created (a submit undone): out of the
 * tables and the line, destroyed. Its decisions are the caller's to drop. */
void sched_job_uncreate (sched_t *s, job_entry_t *e);
/* sched.c: the last job with an id below id (NULL: none). The core's ids
 * are a list, not an array, so three searches go in step and the first to
 * end answers: back from the tail (a new job: at once), forward from the
 * head (a job recalled from the history: few older ones are still held),
 * and down the hash from id - 1 (an array's elements recalled in order:
 * one step). A step of each costs O(1); the whole, the least of the three. */
job_entry_t *sched_job_before (const sched_t *s, uint64_t id);
/* Out of the list of recalled jobs (sched_job_recall), if in it. */
void sched_job_recall_done (sched_t *s, job_entry_t *e);
/* sched_node.c: count a node's free cores and GPUs again and move it in
 * the best-fit index. */
void sched_node_refresh (sched_t *s, sched_node_t *node);

/* What a job has of the placement features and relations (sched_place.c,
 * sched_rel.c). */
typedef struct sched_dep sched_dep_t;
struct sched_hold { /* a running multi-node job on another node */
    job_entry_t *e;
    uint32_t index;            /* into e->job.others */
    sched_node_t *node;        /* NULL once detached (node down, rebuilt) */
    bool held;                 /* its sets are taken from node's free sets */
    sched_hold_t *prev, *next; /* node->holds */
};
struct sched_dep { /* dependent waits on target */
    job_entry_t *dependent;
    job_entry_t *target; /* NULL once settled */
    jobspec_after_kind_t kind;
    sched_dep_t *prev, *next; /* target's x->dependents */
};
struct sched_jobx {
    sched_cons_t *cons;  /* its --constraint, or NULL */
    sched_hold_t *holds; /* job.nothers entries while it holds them */
    uint32_t nholds;
    sched_alloc_t *plan; /* chosen by sched_place_prepare */
    sched_node_t **plan_nodes;
    uint32_t nplan;
    sched_node_t **chosen; /* named by sched_place_choose */
    uint32_t nchosen;
    sched_dep_t *deps; /* what it waits on (ndeps entries) */
    uint32_t ndeps;
    uint32_t unmet;          /* deps not settled yet */
    sched_dep_t *dependents; /* jobs waiting on it (utlist DL) */
    sched_array_t *array;    /* its array, or NULL */
    bool throttled;          /* waits for a slot of its array's %N */
    bool active;             /* holds a slot of its array's %N */
    bool doomed;             /* a dependency failed: cancel at next tick */
    uint64_t doomed_by;
};
/* e's record, made on first use. NULL/ENOMEM. */
sched_jobx_t *sched_jobx (job_entry_t *e);
/* One copy of a spec's constraint, shared by every job that asks the same
 * text (a reference is taken; sched_cons_put gives it back). NULL with err
 * (ENOMEM). */
sched_cons_t *sched_cons_get (sched_t *s, const constraint_t *cons, cphub_error_t *err);
void sched_cons_put (sched_t *s, sched_cons_t *c);
/* Free every constraint whatever its count (sched_destroy). */
void sched_cons_clear (sched_t *s);

/* sched_place.c: constraints, --exclusive and multi-node jobs. */
/* Does the spec need more than a plain fit of cores, GPUs and memory on
 * one node (a constraint, whole nodes, several nodes)? */
bool sched_spec_special (const jobspec_t *spec);
/* Could the job ever run on the nodes ever registered? For plain specs
 * place_check_ever on the capacities; otherwise a look at every known node.
 * 0 (also when no node is known yet) or -1/EINVAL with err. */
int sched_check_ever (const sched_t *s, const jobspec_t *spec, cphub_error_t *err);
/* Does node have the features e's constraint asks (true without one)?
 * Cheap: the constraint was parsed at submit. */
bool sched_job_node_ok (const job_entry_t *e, const sched_node_t *node);
/* A pass that chose the other nodes of a multi-node job itself (n =
 * nodes - 1, best first) names them before sched_job_start(e, first node):
 * they are used if they still take the job's share, else sched_place_prepare
 * chooses by best fit. Used by (and cleared at) the next start of e. 0 or
 * -1/ENOMEM. */
int sched_place_choose (job_entry_t *e, sched_node_t *const *nodes, uint32_t n);
/* Before e starts on node: fill *p with its placement there (all of the
 * node for --exclusive; its share for a multi-node job) and choose and place
 * the other nodes of a multi-node job (kept for sched_place_commit). 0, or
 * -1 (ENOSPC: does not fit now; ENOMEM) with nothing held. */
int sched_place_prepare (sched_t *s,
                         job_entry_t *e,
                         sched_node_t *node,
                         placement_t *p);
/* After e's allocation on its first node is held: hold the other nodes that
 * sched_place_prepare chose, recorded in e->job.others. Cannot fail. */
void sched_place_commit (sched_t *s, job_entry_t *e);
/* Give back what e holds on its other nodes (from sched_node_release). */
void sched_place_release (sched_t *s, job_entry_t *e);
/* A node's description was rebuilt (registration): hold again what
 * multi-node jobs hold there; a job whose cores are gone fails (node failed).
 * A node went down: the multi-node jobs holding cores there fail. */
void sched_place_node_rebuilt (sched_t *s, sched_node_t *node, double now);
void sched_place_node_down (sched_t *s, sched_node_t *node, double now);
/* Restore e's other nodes (deep copy from job) and hold them; on failure
 * everything e held is given back. 0 or -1 with err. */
int sched_place_restore (sched_t *s,
                         job_entry_t *e,
                         const sched_job_t *job,
                         cphub_error_t *err);
/* sched_alloc.c: sched_alloc_copy for an allocation the core holds, which
 * has all four sets: a NULL set of src becomes an empty one. */
int sched_alloc_hold_copy (sched_alloc_t *dst, const sched_alloc_t *src);
/* sched_alloc.c: *a (what it held is freed) takes p's sets and memory on
 * node; p is left empty. */
void sched_alloc_take (sched_alloc_t *a, placement_t *p, const char *node);
/* sched_alloc.c: total cores of e's allocation, over all its nodes. */
uint32_t sched_job_cores_held (const job_entry_t *e);
uint32_t sched_job_gpus_held (const job_entry_t *e);
/* job_info's nodelist and array fields. */
void sched_place_info (const sched_job_t *job, job_info_t *info);

/* sched_rel.c: arrays and dependencies. */
/* e ended (from sched_job_end): its dependents learn of it, its array may
 * let another element in line. */
void sched_rel_job_ended (sched_t *s, job_entry_t *e);
/* e, ended, is pending again (requeue): it takes a slot of its array's
 * throttle, or waits for one. true: it may enter the line now. */
bool sched_rel_job_reopened (sched_t *s, job_entry_t *e);
/* Restore e's array membership and dependencies (from sched_job_restore,
 * after it is in the tables); holds it out of line when it must wait. */
int sched_rel_restored (sched_t *s, job_entry_t *e, cphub_error_t *err);
/* Tick: arrays let elements in line up to their throttle; dependents of
 * jobs that ended while restoring learn of it. */
void sched_rel_tick (sched_t *s, double now);
/* e is forgotten or destroyed: what the features keep of it goes. */
void sched_rel_forget (sched_t *s, job_entry_t *e);
void sched_jobx_destroy (job_entry_t *e);
/* Free the constraints and arrays (sched_destroy). */
void sched_rel_destroy (sched_t *s);

/* --- quota.c: quotas and budgets ---------------------------------------------- */

/* The tables (sched_create), freed by sched_quota_destroy (NULL: nothing). */
sched_quota_t *sched_quota_create (void);
void sched_quota_destroy (sched_quota_t *q);
/* e is in the tables (created or restored): not ended, it counts toward
 * its tenant's jobs. e leaves them or ends: it counts no more. Each is a
 * no-op when already so. */
void sched_quota_job_added (sched_t *s, job_entry_t *e);
void sched_quota_job_gone (sched_t *s, job_entry_t *e);
/* A run of e started (also a restored running job): its cores, GPUs and
 * wall time count toward its tenant's running limits and reserve budget.
 * Its run ended (run_end, with the run's record): they count no more, and
 * unless the run failed (rec->failed_run) its usage is charged. Once per
 * run each. */
void sched_quota_run_start (sched_t *s, job_entry_t *e);
void sched_quota_run_end (sched_t *s, job_entry_t *e, const sched_acct_t *rec);
/* A submit of count jobs by tenant: -1 with err when it would pass the
 * tenant's max_pending_jobs, or when one job asks more cores, GPUs than
 * the tenant may ever run at once (EINVAL); ENOMEM. */
int sched_quota_submit_check (sched_t *s,
                              const char *tenant,
                              const jobspec_t *spec,
                              uint32_t count,
                              cphub_error_t *err);
/* The pass: NULL when e's tenant may start it now, else the reason it
 * waits ("Quota" or "Budget"). O(1). */
const char *sched_quota_hold (const job_entry_t *e);
/* job_info's reason for a job pending with reason "Quota" or "Budget": the
 * limit or the budget that holds it, as of now. Other jobs: nothing. */
void sched_quota_explain (const sched_job_t *job, char *buf, size_t len);

#endif
