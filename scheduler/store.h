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
typedef struct store_acct {
    uint64_t job_id;
    char tenant[64];
    char node[NODE_NAME_MAX + 1];
    uint32_t cores;
    uint32_t gpus;
    double start_time;
    double end_time;
    job_state_t state; /* final state of the run */
    double core_seconds;
    double gpu_seconds;
    bool failed_run;
} store_acct_t;

/* Iteration callbacks: return 0 to go on, -1 (errno set) to stop; the
 * iterating function then returns -1 with that errno. */
typedef int (*store_job_f) (const sched_job_t *job, void *arg);
typedef int (*store_acct_f) (const store_acct_t *rec, void *arg);

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
    void (*destroy) (store_t *st);
} store_ops_t;

struct store {
    const store_ops_t *ops;
};

/* The in-memory store (store_mem.c): copies in hash tables, nothing survives
 * the process. NULL/ENOMEM with err. */
store_t *store_mem_create (cphub_error_t *err);

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

/* NULL: nothing. */
static inline void store_destroy (store_t *st)
{
    if (st)
        st->ops->destroy (st);
}

#endif
