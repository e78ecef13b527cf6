/* store.h: the scheduler's durable state behind one interface.
 *
 * The shell persists what the pure core changed: every SCHED_CHANGED decision
 * becomes a store_job_put(), every job that ended after running also an
 * accounting record, all inside one batch per event-loop turn (store_begin ...
 * store_commit), and replies go out only after the commit (group commit). At
 * start the shell reloads the jobs into the core with store_jobs_load(); the
 * report reads the accounting records with store_acct_foreach(). A store is a
 * struct of operations, so that the in-memory store (store_mem.c, for tests
 * and as the reference), the SQLite store and a later PostgreSQL store are
 * interchangeable: each implementation embeds `struct store` as its first
 * member and returns a pointer to it from its _create function.
 */
#ifndef CPHUB_SCHEDULER_STORE_H
#define CPHUB_SCHEDULER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cphub/error.h"
#include "cphub/job.h"
#include "cphub/resource.h"
#include "scheduler/core/sched.h"

typedef struct store store_t;

/* One run of a job on a node, written when the job ends after having been
 * given an allocation. core_seconds = cores x (end_time - start_time), the
 * same for GPUs. failed_run marks a run that ended through no fault of the
 * job (its node failed: NODE_FAIL); a job that is later requeued would have
 * several records, and only the unmarked one is its final run. */
typedef sched_acct_t store_acct_t;

/* A node as stored: its last registered description, and a drain. */
typedef struct store_node {
    const node_desc_t *desc;
    node_state_t state; /* NODE_DRAIN is kept across restarts; else NODE_DOWN */
    const char *reason;
} store_node_t;

/* Iteration callbacks: return 0 to go on, -1 (errno set) to stop; the
 * iterating function then returns -1 with that errno. */
typedef int (*store_job_f) (const sched_job_t *job, void *arg);
typedef int (*store_acct_f) (const store_acct_t *rec, void *arg);
typedef int (*store_node_f) (const store_node_t *node, void *arg);

typedef struct store_ops {
    const char *name; /* "memory", "sqlite" */
    /* Open a batch; writes are only allowed inside one (-1/EINVAL outside). */
    int (*begin) (store_t *st, cphub_error_t *err);
    /* Make the batch durable. -1 (EIO, ...) with err if it could not be. */
    int (*commit) (store_t *st, cphub_error_t *err);
    /* Insert or replace the job with job->id (a deep copy is kept: spec,
     * allocation idsets). */
    int (*job_put) (store_t *st, const sched_job_t *job, cphub_error_t *err);
    /* Append an accounting record (copied). */
    int (*acct_append) (store_t *st, const store_acct_t *rec, cphub_error_t *err);
    /* Call cb for every stored job in id order. The job passed is the store's
     * copy, valid during the call only (sched_job_restore copies it). */
    int (*jobs_load) (store_t *st, store_job_f cb, void *arg, cphub_error_t *err);
    /* Call cb for every accounting record in the order they were appended. */
    int (*acct_foreach) (store_t *st, store_acct_f cb, void *arg, cphub_error_t *err);
    /* Insert or replace a node by name (copied). */
    int (*node_put) (store_t *st, const store_node_t *node, cphub_error_t *err);
    /* Call cb for every stored node, in name order. */
    int (*nodes_load) (store_t *st, store_node_f cb, void *arg, cphub_error_t *err);
    /* The next job id to hand out (1 for an empty store); set inside a batch.
     * Ids are never reused, even after the jobs are purged. */
    int (*next_id_get) (store_t *st, uint64_t *next_id, cphub_error_t *err);
    int (*next_id_set) (store_t *st, uint64_t next_id, cphub_error_t *err);
    void (*destroy) (store_t *st);
    /* Call cb with accounting totals for the report: records summed per
     * (tenant, node) into core_seconds and gpu_seconds, start_time the
     * earliest start_time > 0 (0 if none), end_time the latest; the other
     * fields 0. cb may see one (tenant, node) more than once and must add
     * up what it sees. NULL in a store without it: store_acct_totals() then
     * passes every record through acct_foreach, which adds up the same. */
    int (*acct_totals) (store_t *st, store_acct_f cb, void *arg, cphub_error_t *err);
} store_ops_t;

struct store {
    const store_ops_t *ops;
};

/* The in-memory store (store_mem.c): copies in hash tables, nothing survives
 * the process. NULL/ENOMEM with err. */
store_t *store_mem_create (cphub_error_t *err);

/* How hard the SQLite store makes each commit durable: FULL survives power
 * loss (an fsync of the WAL per commit); NORMAL survives any crash of the
 * process but may lose the last commits on power loss. */
typedef enum store_sync {
    STORE_SYNC_FULL = 0,
    STORE_SYNC_NORMAL,
} store_sync_t;

/* The SQLite store (store_sqlite.c, the only file with sqlite3.h): opens or
 * creates the database at path in WAL mode, migrates its schema forward to
 * the version this program knows, and refuses a file of a newer version or
 * one that is not a cphub store. NULL with errno (EIO, EINVAL, EPROTO for a
 * newer schema, ENOMEM) and err naming the file. */
store_t *store_sqlite_create (const char *path, store_sync_t sync, cphub_error_t *err);

/* Thin wrappers so callers never touch ops directly. */
static inline int store_begin (store_t *st, cphub_error_t *err)
{
    return st->ops->begin (st, err);
}

static inline int store_commit (store_t *st, cphub_error_t *err)
{
    return st->ops->commit (st, err);
}

static inline int store_job_put (store_t *st,
                                 const sched_job_t *job,
                                 cphub_error_t *err)
{
    return st->ops->job_put (st, job, err);
}

static inline int store_acct_append (store_t *st,
                                     const store_acct_t *rec,
                                     cphub_error_t *err)
{
    return st->ops->acct_append (st, rec, err);
}

static inline int store_jobs_load (store_t *st,
                                   store_job_f cb,
                                   void *arg,
                                   cphub_error_t *err)
{
    return st->ops->jobs_load (st, cb, arg, err);
}

static inline int store_acct_foreach (store_t *st,
                                      store_acct_f cb,
                                      void *arg,
                                      cphub_error_t *err)
{
    return st->ops->acct_foreach (st, cb, arg, err);
}

static inline int store_node_put (store_t *st,
                                  const store_node_t *node,
                                  cphub_error_t *err)
{
    return st->ops->node_put (st, node, err);
}

static inline int store_nodes_load (store_t *st,
                                    store_node_f cb,
                                    void *arg,
                                    cphub_error_t *err)
{
    return st->ops->nodes_load (st, cb, arg, err);
}

static inline int store_next_id_get (store_t *st, uint64_t *next_id, cphub_error_t *err)
{
    return st->ops->next_id_get (st, next_id, err);
}

static inline int store_next_id_set (store_t *st, uint64_t next_id, cphub_error_t *err)
{
    return st->ops->next_id_set (st, next_id, err);
}

static inline int store_acct_totals (store_t *st,
                                     store_acct_f cb,
                                     void *arg,
                                     cphub_error_t *err)
{
    if (st->ops->acct_totals)
        return st->ops->acct_totals (st, cb, arg, err);
    return st->ops->acct_foreach (st, cb, arg, err);
}

/* NULL: nothing. */
static inline void store_destroy (store_t *st)
{
    if (st)
        st->ops->destroy (st);
}

#endif
