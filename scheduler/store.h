/* store.h: the scheduler's durable state behind one interface.
 *
 * The shell persists what the pure core changed: every SCHED_CHANGED decision
 * becomes a store_job_put(), every job that ended after running also an
 * accounting record, all inside one batch per event-loop turn (store_begin ...
 * store_commit), and replies go out only after the commit (group commit). At
 * start the shell reloads the jobs into the core with store_jobs_load(); the
 * report reads the accounting records with store_acct_foreach() and counts
 * the jobs with store_jobs_count(). A store is a
 * struct of operations, so that the in-memory store (store_mem.c, for tests
 * and as the reference), the SQLite store and a later PostgreSQL store are
 * interchangeable: each implementation embeds `struct store` as its first
 * member and returns a pointer to it from its _create function.
 */
#ifndef CPHUB_SCHEDULER_STORE_H
#define CPHUB_SCHEDULER_STORE_H

#include <errno.h>
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
/* A count of stored jobs: count of tenant's jobs in state (the report);
 * tenant is valid during the call only. */
typedef struct store_job_count {
    const char *tenant;
    job_state_t state;
    uint64_t count;
} store_job_count_t;
typedef int (*store_count_f) (const store_job_count_t *c, void *arg);
typedef int (*store_acct_f) (const store_acct_t *rec, void *arg);
typedef int (*store_node_f) (const store_node_t *node, void *arg);

/* A query of the stored jobs, the history included: the jobs with an id
 * above after that match every filter set, in id order, at most limit of
 * them. A filter left zero (or NULL) matches every job.
 *
 * What a query costs is the rows it reads: those in its id range (after,
 * the id, the array's ids) that are the tenant's, which every store reaches
 * without a scan. The other filters are tested on each row read, so scan
 * bounds the rows one query reads, a filter matching nothing included: the
 * query then ends early, and *next says where the next page starts. */
typedef struct store_job_query {
    uint64_t after;       /* ids > after: the page before ended there */
    uint64_t id;          /* only this job */
    const char *tenant;   /* only this tenant's jobs */
    uint32_t states;      /* bit (1u << state) for each state asked for */
    const char *name;     /* the job's name (spec.name) */
    const char *node;     /* ran on this node (any of a multi-node job's) */
    double since;         /* still active at or after: not ended, or ended then */
    double until;         /* submitted at or before */
    uint64_t array_id;    /* elements of this array */
    uint32_t array_count; /* its elements (ids array_id .. + count - 1);
                             0: unknown, at most JOBSPEC_ARRAY_SIZE_MAX */
    size_t limit;         /* at most this many jobs; 0: every one */
    size_t scan;          /* at most this many rows read; 0: no bound */
    uint64_t *next;       /* if set: the last id read when limit or scan ended
                             the query (a next page starts after it), else 0 */
    size_t *decoded;      /* if set: the bytes of stored specs the query
                             decoded are added to it (a store that keeps jobs
                             decoded adds nothing), for callers that bound
                             what one request or turn may decode */
} store_job_query_t;

/* Does job match q (after and limit aside)? The stores' one predicate, so
 * that a filter means the same in each (store_query.c). */
bool store_job_query_match (const store_job_query_t *q, const sched_job_t *job);
/* The part of it that reads only a job's plain fields (id, tenant, state,
 * times, array), not its spec or nodes: a store tests it before decoding. */
bool store_job_query_match_plain (const store_job_query_t *q, const sched_job_t *job);
/* The ids q reads: *after < id <= *last. */
void store_job_query_ids (const store_job_query_t *q, uint64_t *after, uint64_t *last);

/* A tenant added at run time (cphub tenant add). A removed tenant
 * stays as a record, so that its name is not given to someone else who
 * would then see its past jobs. */
typedef struct store_tenant {
    const char *name;
    double shares;
    double created;
    bool removed;
    double removed_time;
} store_tenant_t;

/* A tenant key added at run time (cphub key add), or the
 * revocation of any tenant key, the config's included (added 0). */
typedef struct store_key {
    const char *pubkey; /* Z85 */
    const char *tenant;
    double added;
    bool revoked;
    double revoked_time;
} store_key_t;

typedef int (*store_tenant_f) (const store_tenant_t *tenant, void *arg);
typedef int (*store_key_f) (const store_key_t *key, void *arg);

/* One entry of a tenant's budget ledger, an operator's grant or
 * set (the charges are the accounting records). */
typedef sched_grant_t store_grant_t;
typedef int (*store_grant_f) (const store_grant_t *grant, void *arg);

/* The hub a store belongs to, made once when the hub is created (the
 * scheduler's --init) and never changed: agents remember hub_id and refuse
 * a scheduler that answers with another one, so that a scheduler started
 * on a lost or empty database cannot pass for the hub they joined (and
 * hand out its job ids again). */
#define STORE_HUB_ID_LEN 32 /* hex digits: 128 random bits */
typedef struct store_identity {
    char hub_id[STORE_HUB_ID_LEN + 1];
    double created; /* epoch seconds */
} store_identity_t;

typedef struct store_ops {
    const char *name; /* "memory", "sqlite" */
    /* Open a batch; writes are only allowed inside one (-1/EINVAL outside). */
    int (*begin) (store_t *st, cphub_error_t *err);
    /* Make the batch durable. -1 (ENOSPC: the disk is full; EIO, ...) with
     * err if it could not be: nothing of the batch is kept. */
    int (*commit) (store_t *st, cphub_error_t *err);
    /* Insert or replace the job with job->id (a deep copy is kept: spec,
     * allocation idsets). A job's spec never changes after its submit: a
     * store may keep the spec of the first put. */
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
    /* Tenants and keys changed at run time (tenants.c). Writes
     * inside a batch. NULL in a store without them: the wrappers below then
     * fail with ENOTSUP (and load nothing). */
    /* Insert or replace the tenant by name (copied). */
    int (*tenant_put) (store_t *st, const store_tenant_t *tenant, cphub_error_t *err);
    /* Mark the stored tenant removed at when; -1/ENOENT if it is not stored. */
    int (*tenant_remove) (store_t *st,
                          const char *name,
                          double when,
                          cphub_error_t *err);
    /* Call cb for every stored tenant, removed ones included, in name order. */
    int (*tenants_load) (store_t *st, store_tenant_f cb, void *arg, cphub_error_t *err);
    /* Insert or replace the key by pubkey (copied). */
    int (*key_put) (store_t *st, const store_key_t *key, cphub_error_t *err);
    /* Mark the key revoked at when, storing it (with tenant, added 0) if it
     * was not stored: a config key's revocation. */
    int (*key_revoke) (store_t *st,
                       const char *pubkey,
                       const char *tenant,
                       double when,
                       cphub_error_t *err);
    /* Call cb for every stored key, in the order they were first stored. */
    int (*keys_load) (store_t *st, store_key_f cb, void *arg, cphub_error_t *err);
    /* The budget ledger (budget.c). NULL in a store without it:
     * the wrappers below then fail with ENOTSUP (and load nothing). */
    /* Append a grant or set (copied), inside a batch. */
    int (*grant_append) (store_t *st, const store_grant_t *grant, cphub_error_t *err);
    /* Call cb for every stored grant in the order they were appended. */
    int (*grants_load) (store_t *st, store_grant_f cb, void *arg, cphub_error_t *err);
    /* The store's hub (store_identity_t): 0, or -1/ENOENT when it has none
     * (a new or empty store). */
    int (*identity_get) (store_t *st, store_identity_t *out, cphub_error_t *err);
    /* Give the store its hub, inside a batch: -1/EEXIST if it has one. */
    int (*identity_set) (store_t *st, const store_identity_t *id, cphub_error_t *err);
    /* Call cb for every stored job that matches q (store_job_query_t), in
     * id order; the job is the store's copy, valid during the call only.
     * Served from indexes where the store has them, never by loading every
     * job first. */
    int (*jobs_query) (store_t *st,
                       const store_job_query_t *q,
                       store_job_f cb,
                       void *arg,
                       cphub_error_t *err);
    /* Retention, inside a batch: delete at most max stored jobs that ended
     * before `before`, the oldest ends first, and their state transitions;
     * the accounting records stay. *deleted: how many went. */
    int (*jobs_expire) (
        store_t *st, double before, size_t max, size_t *deleted, cphub_error_t *err);
    /* Call cb with the stored jobs counted by tenant and state, only
     * tenant's when tenant is set: every job the store keeps, the history
     * included (retention's deletions are gone from it). cb may see one
     * (tenant, state) more than once and must add up what it sees. Served
     * from an index where the store has one, never by decoding the jobs. */
    int (*jobs_count) (store_t *st,
                       const char *tenant,
                       store_count_f cb,
                       void *arg,
                       cphub_error_t *err);
    /* The stored state of job id: 0 with *state, or -1/ENOENT if the store
     * does not have it (yet, or any more). */
    int (*job_state) (store_t *st, uint64_t id, job_state_t *state, cphub_error_t *err);
} store_ops_t;

struct store {
    const store_ops_t *ops;
};

/* The initializers of an ops table whose store implements every operation
 * but acct_totals as functions PREFIX_begin, PREFIX_commit, ...:
 * `static const store_ops_t mem_ops = {.name = "memory", STORE_OPS_OF (mem)};` */
#define STORE_OPS_OF(prefix)                                                         \
    .begin = prefix##_begin, .commit = prefix##_commit, .job_put = prefix##_job_put, \
    .acct_append = prefix##_acct_append, .jobs_load = prefix##_jobs_load,            \
    .acct_foreach = prefix##_acct_foreach, .node_put = prefix##_node_put,            \
    .nodes_load = prefix##_nodes_load, .next_id_get = prefix##_next_id_get,          \
    .next_id_set = prefix##_next_id_set, .destroy = prefix##_destroy,                \
    .tenant_put = prefix##_tenant_put, .tenant_remove = prefix##_tenant_remove,      \
    .tenants_load = prefix##_tenants_load, .key_put = prefix##_key_put,              \
    .key_revoke = prefix##_key_revoke, .keys_load = prefix##_keys_load,              \
    .grant_append = prefix##_grant_append, .grants_load = prefix##_grants_load,      \
    .identity_get = prefix##_identity_get, .identity_set = prefix##_identity_set,    \
    .jobs_query = prefix##_jobs_query, .jobs_expire = prefix##_jobs_expire,          \
    .jobs_count = prefix##_jobs_count, .job_state = prefix##_job_state

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

/* The SQLite store (store_sqlite*.c, the only files with sqlite3.h): opens or
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

static inline int store_jobs_query (store_t *st,
                                    const store_job_query_t *q,
                                    store_job_f cb,
                                    void *arg,
                                    cphub_error_t *err)
{
    return st->ops->jobs_query (st, q, cb, arg, err);
}

static inline int store_jobs_expire (
    store_t *st, double before, size_t max, size_t *deleted, cphub_error_t *err)
{
    return st->ops->jobs_expire (st, before, max, deleted, err);
}

static inline int store_jobs_count (
    store_t *st, const char *tenant, store_count_f cb, void *arg, cphub_error_t *err)
{
    return st->ops->jobs_count (st, tenant, cb, arg, err);
}

static inline int store_job_state (store_t *st,
                                   uint64_t id,
                                   job_state_t *state,
                                   cphub_error_t *err)
{
    return st->ops->job_state (st, id, state, err);
}

/* Tenant and key wrappers: -1/ENOTSUP for a store without tenant records, whose
 * loads find nothing. */
static inline int store_tenant_put (store_t *st,
                                    const store_tenant_t *tenant,
                                    cphub_error_t *err)
{
    if (!st->ops->tenant_put)
        return cphub_fail (err, ENOTSUP, "store %s keeps no tenants", st->ops->name);
    return st->ops->tenant_put (st, tenant, err);
}

static inline int store_tenant_remove (store_t *st,
                                       const char *name,
                                       double when,
                                       cphub_error_t *err)
{
    if (!st->ops->tenant_remove)
        return cphub_fail (err, ENOTSUP, "store %s keeps no tenants", st->ops->name);
    return st->ops->tenant_remove (st, name, when, err);
}

static inline int store_tenants_load (store_t *st,
                                      store_tenant_f cb,
                                      void *arg,
                                      cphub_error_t *err)
{
    return st->ops->tenants_load ? st->ops->tenants_load (st, cb, arg, err) : 0;
}

static inline int store_key_put (store_t *st,
                                 const store_key_t *key,
                                 cphub_error_t *err)
{
    if (!st->ops->key_put)
        return cphub_fail (err, ENOTSUP, "store %s keeps no keys", st->ops->name);
    return st->ops->key_put (st, key, err);
}

static inline int store_key_revoke (store_t *st,
                                    const char *pubkey,
                                    const char *tenant,
                                    double when,
                                    cphub_error_t *err)
{
    if (!st->ops->key_revoke)
        return cphub_fail (err, ENOTSUP, "store %s keeps no keys", st->ops->name);
    return st->ops->key_revoke (st, pubkey, tenant, when, err);
}

static inline int store_keys_load (store_t *st,
                                   store_key_f cb,
                                   void *arg,
                                   cphub_error_t *err)
{
    return st->ops->keys_load ? st->ops->keys_load (st, cb, arg, err) : 0;
}

/* Ledger wrappers: -1/ENOTSUP for a store without a budget ledger, whose
 * load finds nothing. */
static inline int store_grant_append (store_t *st,
                                      const store_grant_t *grant,
                                      cphub_error_t *err)
{
    if (!st->ops->grant_append)
        return cphub_fail (err, ENOTSUP, "store %s keeps no budget ledger",
                           st->ops->name);
    return st->ops->grant_append (st, grant, err);
}

static inline int store_grants_load (store_t *st,
                                     store_grant_f cb,
                                     void *arg,
                                     cphub_error_t *err)
{
    return st->ops->grants_load ? st->ops->grants_load (st, cb, arg, err) : 0;
}

/* Identity wrappers: a store without them has no hub (ENOENT) and cannot
 * be given one (ENOTSUP). */
static inline int store_identity_get (store_t *st,
                                      store_identity_t *out,
                                      cphub_error_t *err)
{
    if (!st->ops->identity_get)
        return cphub_fail (err, ENOENT, "store %s keeps no hub identity",
                           st->ops->name);
    return st->ops->identity_get (st, out, err);
}

static inline int store_identity_set (store_t *st,
                                      const store_identity_t *id,
                                      cphub_error_t *err)
{
    if (!st->ops->identity_set)
        return cphub_fail (err, ENOTSUP, "store %s keeps no hub identity",
                           st->ops->name);
    return st->ops->identity_set (st, id, err);
}

/* NULL: nothing. */
static inline void store_destroy (store_t *st)
{
    if (st)
        st->ops->destroy (st);
}

#endif
