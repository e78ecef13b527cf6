/* sched_int.h: what the two halves of the scheduling core share, private to
 * scheduler/core/. sched.c keeps the jobs (table, id order, pending FIFO, the
 * pass) and the decision queue; sched_node.c keeps the nodes (table, the
 * best-fit index, heartbeats, registration and reconciliation). The shell and
 * everything else see only sched.h.
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

#include "scheduler/core/place.h"
#include "scheduler/core/sched.h"

#define SCHED_BUCKETS (NODE_CORES_MAX + 1)
#define SCHED_BUCKET_WORDS ((SCHED_BUCKETS + 63) / 64)

typedef struct job_entry job_entry_t;

struct job_entry {
    sched_job_t job;                    /* first: a sched_job_t * is a job_entry_t * */
    job_entry_t *id_prev, *id_next;     /* all jobs, id order */
    job_entry_t *pend_prev;             /* pending FIFO (forward: job.next_pending) */
    bool queued;                        /* in the pending FIFO */
    job_entry_t *node_prev, *node_next; /* running on the same node */
    sched_node_t *where;                /* node while RUNNING */
    bool oom;
    UT_hash_handle hh;
};

struct sched_node {
    node_desc_t desc; /* desc.name is the key; arrays empty until registered */
    bool registered;  /* false: known only from a restored running job */
    node_state_t state;
    char reason[128];
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
    sched_node_t *by_name; /* hash by name */
    sched_node_t **nodes;  /* registration order */
    uint32_t nnodes, nodes_cap;
    sched_node_t *watch;    /* UP nodes, oldest heartbeat first (utlist DL) */
    sched_node_t *unseen;   /* restored nodes waiting for a first tick */
    place_capacity_t *caps; /* Pareto set of capacities ever registered */
    size_t ncaps, caps_cap;
    sched_decision_t *dq; /* ring */
    size_t dq_head, dq_len, dq_cap;
    bucket_t buckets[SCHED_BUCKETS];
    uint64_t nonempty[SCHED_BUCKET_WORDS];
};
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

/* --- sched_node.c -------------------------------------------------------------- */

sched_node_t *sched_node_find (const sched_t *s, const char *name);
/* A node with no description yet (DOWN), in the table. NULL/ENOMEM. */
sched_node_t *sched_node_create (sched_t *s, const char *name);
/* Move a node to the tail of a heartbeat list (WATCH_*), or out of both. */
void sched_node_watch (sched_t *s, sched_node_t *node, int which);
/* Hold a job's allocation (e->job.cores/gpus/mem) on node, or give it back. */
void sched_node_hold (sched_t *s, sched_node_t *node, job_entry_t *e);
void sched_node_release (sched_t *s, job_entry_t *e);
uint64_t sched_node_free_mem (const sched_node_t *node);
/* Is the job's allocation inside the node's description and free on it? */
bool sched_alloc_fits (const sched_node_t *node, const sched_job_t *job);
/* The UP node left with the fewest free cores after placing spec, ties by
 * name; NULL if it fits nowhere now. */
sched_node_t *sched_fit_find (const sched_t *s, const jobspec_t *spec);
/* Tick, node side: restored nodes start their heartbeat clock; nodes silent
 * past the timeout go DOWN and fail their jobs. */
void sched_nodes_check (sched_t *s, double now);
/* Free every node and the index. */
void sched_nodes_destroy (sched_t *s);

#endif
