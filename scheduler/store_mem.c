/* store_mem.c: the in-memory store, the reference implementation of store.h.
 *
 * It keeps a deep copy of every job the shell puts (a uthash table keyed by
 * job id), the nodes (another, keyed by name), the next job id and the
 * accounting records in an array, and enforces the batch
 * discipline (writes only between begin and commit) so that the shell's
 * group-commit shape is checked even without a disk. Nothing survives the
 * process: the SQLite store replaces it for durability behind the same ops;
 * so every memory store starts new, with no hub until it is given one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "cphub/hash_free.h"
#include "cphub/idset.h"
#include "cphub/jobspec.h"
#include "cphub/limits.h"
#include "scheduler/store.h"

/* Room of a log when its first record comes. */
#define STORE_MEM_LOG_FIRST 64

/* Records of one size kept in the order they were appended: the accounting
 * records and the budget ledger. */
typedef struct mem_log {
    void *items;
    size_t n;
    size_t cap;
    size_t size; /* bytes of a record */
} mem_log_t;

typedef struct mem_job {
    sched_job_t job; /* deep copy */
    UT_hash_handle hh;
} mem_job_t;

typedef struct mem_node {
    node_desc_t desc; /* deep copy; desc.name is the key */
    node_state_t state;
    char reason[REASON_TEXT_MAX + 1];
    UT_hash_handle hh;
} mem_node_t;

typedef struct store_mem {
    struct store base; /* first: store_t * <-> store_mem_t * */
    mem_job_t *jobs;   /* uthash by job.id */
    mem_log_t acct;    /* store_acct_t */
    mem_node_t *nodes; /* uthash by desc.name */
    uint64_t next_id;  /* 1 when empty */
    bool in_batch;
    struct mem_tenant *tenants; /* uthash by name */
    struct mem_key *keys;       /* uthash by pubkey, in insertion order */
    mem_log_t grants;           /* store_grant_t: the budget ledger */
    store_identity_t identity;  /* hub_id "" until given one */
} store_mem_t;

static store_mem_t *mem_of (store_t *st)
{
    return (store_mem_t *)st;
}

/* Free what a copied job owns (not the job itself). */
static void job_copy_clear (sched_job_t *j)
{
    jobspec_clear (&j->spec);
    sched_alloc_clear (&j->alloc);
    sched_allocs_free (j->others, j->nothers); /* a multi-node job's other nodes */
    j->others = NULL;
    j->nothers = 0;
}

/* Deep copy src into dst (overwritten). 0 or -1/ENOMEM, dst left empty. */
static int job_copy (sched_job_t *dst, const sched_job_t *src)
{
    int saved;

    *dst = *src;
    dst->next_pending = NULL;
    dst->alloc = (sched_alloc_t){.mem = 0}; /* copied below */
    dst->others = NULL;
    dst->nothers = 0;
    jobspec_init (&dst->spec);
    if (jobspec_copy (&dst->spec, &src->spec) < 0) {
        jobspec_init (&dst->spec); /* nothing of a failed copy is ours */
        goto error;
    }
    if (sched_alloc_copy (&dst->alloc, &src->alloc) < 0)
        goto error;
    if (src->nothers > 0 &&
        !(dst->others = sched_allocs_copy (src->others, src->nothers)))
        goto error;
    dst->nothers = dst->others ? src->nothers : 0;
    return 0;
error:
    saved = errno;
    job_copy_clear (dst);
    errno = saved;
    return -1;
}

/* Append a copy of item: 0, or -1/ENOMEM with the log unchanged. */
static int log_append (mem_log_t *log, const void *item)
{
    if (log->n == log->cap) {
        size_t cap = log->cap ? log->cap * 2 : STORE_MEM_LOG_FIRST;
        void *grown = realloc (log->items, cap * log->size);
        if (!grown) {
            errno = ENOMEM;
            return -1;
        }
        log->items = grown;
        log->cap = cap;
    }
    memcpy ((char *)log->items + log->n++ * log->size, item, log->size);
    return 0;
}

/* The caller's callback of a log's load, and its argument. */
typedef struct log_visit {
    union {
        store_acct_f acct;
        store_grant_f grant;
    } cb;
    void *arg;
} log_visit_t;

typedef int (*log_item_f) (const void *item, const log_visit_t *visit);

static int acct_item (const void *item, const log_visit_t *visit)
{
    return visit->cb.acct (item, visit->arg);
}

static int grant_item (const void *item, const log_visit_t *visit)
{
    return visit->cb.grant (item, visit->arg);
}

/* Pass every record in order; -1 with err naming what when one fails. */
static int log_foreach (const mem_log_t *log,
                        log_item_f item,
                        const log_visit_t *visit,
                        const char *what,
                        cphub_error_t *err)
{
    for (size_t i = 0; i < log->n; i++) {
        if (item ((const char *)log->items + i * log->size, visit) < 0)
            return cphub_fail (err, errno, "store: reading %s stopped", what);
    }
    return 0;
}

static int check_batch (store_mem_t *m, cphub_error_t *err)
{
    if (!m->in_batch)
        return cphub_fail (err, EINVAL,
                           "store: write outside a batch (call store_begin)");
    return 0;
}

static int mem_begin (store_t *st, cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);
    if (m->in_batch)
        return cphub_fail (err, EINVAL, "store: a batch is already open");
    m->in_batch = true;
    return 0;
}

static int mem_commit (store_t *st, cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);
    if (!m->in_batch)
        return cphub_fail (err, EINVAL, "store: commit without a batch");
    m->in_batch = false;
    return 0;
}

static int mem_job_put (store_t *st, const sched_job_t *job, cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);
    mem_job_t *entry = NULL;
    sched_job_t copy;

    if (check_batch (m, err) < 0)
        return -1;
    if (job_copy (&copy, job) < 0)
        return cphub_fail (err, ENOMEM, "store: out of memory copying job %ju",
                           (uintmax_t)job->id);
    HASH_FIND (hh, m->jobs, &job->id, sizeof (job->id), entry);
    if (entry) {
        job_copy_clear (&entry->job);
        entry->job = copy;
        return 0;
    }
    if (!(entry = calloc (1, sizeof (*entry)))) {
        job_copy_clear (&copy);
        return cphub_fail (err, ENOMEM, "store: out of memory storing job %ju",
                           (uintmax_t)job->id);
    }
    entry->job = copy;
    HASH_ADD (hh, m->jobs, job.id, sizeof (entry->job.id), entry);
    return 0;
}

static int mem_acct_append (store_t *st, const store_acct_t *rec, cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);

    if (check_batch (m, err) < 0)
        return -1;
    if (log_append (&m->acct, rec) < 0)
        return cphub_fail (err, ENOMEM, "store: out of memory for accounting");
    return 0;
}

static int by_id (const mem_job_t *a, const mem_job_t *b)
{
    return a->job.id < b->job.id ? -1 : a->job.id > b->job.id;
}

static int mem_jobs_load (store_t *st, store_job_f cb, void *arg, cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);
    mem_job_t *entry, *tmp;

    HASH_SORT (m->jobs, by_id);
    HASH_ITER (hh, m->jobs, entry, tmp)
    {
        if (cb (&entry->job, arg) < 0)
            return cphub_fail (err, errno, "store: loading job %ju stopped",
                               (uintmax_t)entry->job.id);
    }
    return 0;
}

/* The reference answer: a scan of every job in id order, reading (and
 * counting against the scan) the rows the SQLite store reads. */
static int mem_jobs_query (store_t *st,
                           const store_job_query_t *q,
                           store_job_f cb,
                           void *arg,
                           cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);
    mem_job_t *entry, *tmp;
    uint64_t after, last, last_read = 0;
    size_t found = 0, read = 0;

    if (q->next)
        *q->next = 0;
    store_job_query_ids (q, &after, &last);
    HASH_SORT (m->jobs, by_id);
    HASH_ITER (hh, m->jobs, entry, tmp)
    {
        const sched_job_t *job = &entry->job;
        if ((q->limit && found == q->limit) || (q->scan && read == q->scan) ||
            job->id > last)
            break;
        if (job->id <= after || (q->tenant && strcmp (job->tenant, q->tenant) != 0))
            continue;
        read++;
        last_read = job->id;
        if (!store_job_query_match (q, job))
            continue;
        found++;
        if (cb (job, arg) < 0)
            return cphub_fail (err, errno, "store: query stopped at job %ju",
                               (uintmax_t)job->id);
    }
    if (q->next && ((q->limit && found == q->limit) || (q->scan && read == q->scan)))
        *q->next = last_read;
    return 0;
}

static int by_end (const mem_job_t *a, const mem_job_t *b)
{
    double ea = a->job.end_time, eb = b->job.end_time;
    return ea < eb ? -1 : ea > eb ? 1 : by_id (a, b);
}

/* A scan sorted by end: the reference; the SQLite store reads an index. */
static int mem_jobs_expire (
    store_t *st, double before, size_t max, size_t *deleted, cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);
    mem_job_t *entry, *tmp;

    *deleted = 0;
    if (check_batch (m, err) < 0)
        return -1;
    HASH_SORT (m->jobs, by_end);
    HASH_ITER (hh, m->jobs, entry, tmp)
    {
        if (*deleted == max)
            break;
        if (!job_state_is_terminal (entry->job.state) || entry->job.end_time <= 0 ||
            entry->job.end_time >= before)
            continue;
        HASH_DEL (m->jobs, entry);
        job_copy_clear (&entry->job);
        free (entry);
        (*deleted)++;
    }
    return 0;
}

/* The reference count: each job counted once as it is met. */
static int mem_jobs_count (
    store_t *st, const char *tenant, store_count_f cb, void *arg, cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);
    mem_job_t *entry, *tmp;

    HASH_ITER (hh, m->jobs, entry, tmp)
    {
        store_job_count_t c = {
            .tenant = entry->job.tenant, .state = entry->job.state, .count = 1};
        if (tenant && strcmp (entry->job.tenant, tenant) != 0)
            continue;
        if (cb (&c, arg) < 0)
            return cphub_fail (err, errno, "store: counting jobs stopped at job %ju",
                               (uintmax_t)entry->job.id);
    }
    return 0;
}

static int mem_job_state (store_t *st,
                          uint64_t id,
                          job_state_t *state,
                          cphub_error_t *err)
{
    mem_job_t *entry = NULL;

    HASH_FIND (hh, mem_of (st)->jobs, &id, sizeof (id), entry);
    if (!entry)
        return cphub_fail (err, ENOENT, "store: no job %ju", (uintmax_t)id);
    *state = entry->job.state;
    return 0;
}

static int mem_acct_foreach (store_t *st,
                             store_acct_f cb,
                             void *arg,
                             cphub_error_t *err)
{
    log_visit_t visit = {.cb.acct = cb, .arg = arg};

    return log_foreach (&mem_of (st)->acct, acct_item, &visit, "accounting", err);
}

static int mem_node_put (store_t *st, const store_node_t *node, cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);
    mem_node_t *entry = NULL;
    node_desc_t copy;

    if (check_batch (m, err) < 0)
        return -1;
    if (!node->desc)
        return cphub_fail (err, EINVAL, "store: a node needs a description");
    node_desc_init (&copy);
    if (node_desc_copy (&copy, node->desc) < 0) {
        node_desc_init (&copy);
        return cphub_fail (err, ENOMEM, "store: out of memory copying node %s",
                           node->desc->name);
    }
    HASH_FIND_STR (m->nodes, node->desc->name, entry);
    if (!entry) {
        if (!(entry = calloc (1, sizeof (*entry)))) {
            node_desc_clear (&copy);
            return cphub_fail (err, ENOMEM, "store: out of memory storing node %s",
                               node->desc->name);
        }
        entry->desc = copy;
        HASH_ADD_STR (m->nodes, desc.name, entry);
    } else {
        node_desc_clear (&entry->desc);
        entry->desc = copy;
    }
    entry->state = node->state;
    snprintf (entry->reason, sizeof (entry->reason), "%s",
              node->reason ? node->reason : "");
    return 0;
}

static int by_name (const mem_node_t *a, const mem_node_t *b)
{
    return strcmp (a->desc.name, b->desc.name);
}

static int mem_nodes_load (store_t *st, store_node_f cb, void *arg, cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);
    mem_node_t *entry, *tmp;

    HASH_SORT (m->nodes, by_name);
    HASH_ITER (hh, m->nodes, entry, tmp)
    {
        store_node_t node = {
            .desc = &entry->desc, .state = entry->state, .reason = entry->reason};
        if (cb (&node, arg) < 0)
            return cphub_fail (err, errno, "store: loading node %s stopped",
                               entry->desc.name);
    }
    return 0;
}

static int mem_next_id_get (store_t *st, uint64_t *next_id, cphub_error_t *err)
{
    (void)err;
    *next_id = mem_of (st)->next_id;
    return 0;
}

static int mem_next_id_set (store_t *st, uint64_t next_id, cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);

    if (check_batch (m, err) < 0)
        return -1;
    m->next_id = next_id;
    return 0;
}

static int mem_identity_get (store_t *st, store_identity_t *out, cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);

    *out = m->identity;
    if (!out->hub_id[0])
        return cphub_fail (err, ENOENT, "memory store: no hub here");
    return 0;
}

static int mem_identity_set (store_t *st,
                             const store_identity_t *id,
                             cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);

    if (check_batch (m, err) < 0)
        return -1;
    if (m->identity.hub_id[0])
        return cphub_fail (err, EEXIST, "memory store belongs to hub %s already",
                           m->identity.hub_id);
    m->identity = *id;
    return 0;
}

/* --- tenants and keys ------------------------------------------------------ */

typedef struct mem_tenant {
    char name[TENANT_NAME_MAX + 1]; /* key */
    double shares;
    double created;
    bool removed;
    double removed_time;
    UT_hash_handle hh;
} mem_tenant_t;

typedef struct mem_key {
    char pubkey[41]; /* key */
    char tenant[TENANT_NAME_MAX + 1];
    double added;
    bool revoked;
    double revoked_time;
    UT_hash_handle hh;
} mem_key_t;

static int mem_tenant_put (store_t *st, const store_tenant_t *t, cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);
    mem_tenant_t *entry = NULL;

    if (check_batch (m, err) < 0)
        return -1;
    if (!t->name || t->name[0] == '\0' || strlen (t->name) >= sizeof (entry->name))
        return cphub_fail (err, EINVAL,
                           "store: a tenant needs a name of 1 to %zu bytes",
                           sizeof (entry->name) - 1);
    HASH_FIND_STR (m->tenants, t->name, entry);
    if (!entry) {
        if (!(entry = calloc (1, sizeof (*entry))))
            return cphub_fail (err, ENOMEM, "store: out of memory storing tenant %s",
                               t->name);
        snprintf (entry->name, sizeof (entry->name), "%s", t->name);
        HASH_ADD_STR (m->tenants, name, entry);
    }
    entry->shares = t->shares;
    entry->created = t->created;
    entry->removed = t->removed;
    entry->removed_time = t->removed_time;
    return 0;
}

static int mem_tenant_remove (store_t *st,
                              const char *name,
                              double when,
                              cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);
    mem_tenant_t *entry = NULL;

    if (check_batch (m, err) < 0)
        return -1;
    HASH_FIND_STR (m->tenants, name, entry);
    if (!entry)
        return cphub_fail (err, ENOENT, "store: no tenant %s to remove", name);
    entry->removed = true;
    entry->removed_time = when;
    return 0;
}

static int tenant_by_name (const mem_tenant_t *a, const mem_tenant_t *b)
{
    return strcmp (a->name, b->name);
}

static int mem_tenants_load (store_t *st,
                             store_tenant_f cb,
                             void *arg,
                             cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);
    mem_tenant_t *entry, *tmp;

    HASH_SORT (m->tenants, tenant_by_name);
    HASH_ITER (hh, m->tenants, entry, tmp)
    {
        store_tenant_t t = {.name = entry->name,
                            .shares = entry->shares,
                            .created = entry->created,
                            .removed = entry->removed,
                            .removed_time = entry->removed_time};
        if (cb (&t, arg) < 0)
            return cphub_fail (err, errno, "store: loading tenant %s stopped",
                               entry->name);
    }
    return 0;
}

/* The stored key, created (empty, for tenant) when missing. NULL with err. */
static mem_key_t *key_get (store_mem_t *m,
                           const char *pubkey,
                           const char *tenant,
                           cphub_error_t *err)
{
    mem_key_t *entry = NULL;

    if (!pubkey || strlen (pubkey) != sizeof (entry->pubkey) - 1 || !tenant ||
        strlen (tenant) >= sizeof (entry->tenant)) {
        cphub_fail (err, EINVAL, "store: a key needs 40 Z85 characters and a tenant");
        return NULL;
    }
    HASH_FIND_STR (m->keys, pubkey, entry);
    if (entry)
        return entry;
    if (!(entry = calloc (1, sizeof (*entry)))) {
        cphub_fail (err, ENOMEM, "store: out of memory storing a key");
        return NULL;
    }
    snprintf (entry->pubkey, sizeof (entry->pubkey), "%s", pubkey);
    snprintf (entry->tenant, sizeof (entry->tenant), "%s", tenant);
    HASH_ADD_STR (m->keys, pubkey, entry);
    return entry;
}

static int mem_key_put (store_t *st, const store_key_t *k, cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);
    mem_key_t *entry;

    if (check_batch (m, err) < 0 || !(entry = key_get (m, k->pubkey, k->tenant, err)))
        return -1;
    snprintf (entry->tenant, sizeof (entry->tenant), "%s", k->tenant);
    entry->added = k->added;
    entry->revoked = k->revoked;
    entry->revoked_time = k->revoked_time;
    return 0;
}

static int mem_key_revoke (store_t *st,
                           const char *pubkey,
                           const char *tenant,
                           double when,
                           cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);
    mem_key_t *entry;

    if (check_batch (m, err) < 0 || !(entry = key_get (m, pubkey, tenant, err)))
        return -1;
    entry->revoked = true;
    entry->revoked_time = when;
    return 0;
}

static int mem_keys_load (store_t *st, store_key_f cb, void *arg, cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);
    mem_key_t *entry, *tmp;

    HASH_ITER (hh, m->keys, entry, tmp) /* uthash iterates in insertion order */
    {
        store_key_t k = {.pubkey = entry->pubkey,
                         .tenant = entry->tenant,
                         .added = entry->added,
                         .revoked = entry->revoked,
                         .revoked_time = entry->revoked_time};
        if (cb (&k, arg) < 0)
            return cphub_fail (err, errno, "store: loading keys stopped");
    }
    return 0;
}

static void mem_tenants_free (store_mem_t *m)
{
    HASH_FREE_ALL (hh, m->tenants);
    HASH_FREE_ALL (hh, m->keys);
}

/* --- the budget ledger ----------------------------------------------------- */

static int mem_grant_append (store_t *st,
                             const store_grant_t *grant,
                             cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);

    if (check_batch (m, err) < 0)
        return -1;
    if (log_append (&m->grants, grant) < 0)
        return cphub_fail (err, ENOMEM, "store: out of memory");
    return 0;
}

static int mem_grants_load (store_t *st,
                            store_grant_f cb,
                            void *arg,
                            cphub_error_t *err)
{
    log_visit_t visit = {.cb.grant = cb, .arg = arg};

    return log_foreach (&mem_of (st)->grants, grant_item, &visit, "the budget ledger",
                        err);
}

static void mem_destroy (store_t *st)
{
    store_mem_t *m = mem_of (st);
    mem_job_t *entry, *tmp;
    mem_node_t *node, *ntmp;

    HASH_ITER (hh, m->nodes, node, ntmp)
    {
        HASH_DEL (m->nodes, node);
        node_desc_clear (&node->desc);
        free (node);
    }

    HASH_ITER (hh, m->jobs, entry, tmp)
    {
        HASH_DEL (m->jobs, entry);
        job_copy_clear (&entry->job);
        free (entry);
    }
    free (m->acct.items);
    free (m->grants.items);
    mem_tenants_free (m);
    free (m);
}

static const store_ops_t mem_ops = {.name = "memory", STORE_OPS_OF (mem)};

store_t *store_mem_create (cphub_error_t *err)
{
    store_mem_t *m = calloc (1, sizeof (*m));
    if (!m) {
        cphub_fail (err, ENOMEM, "store: out of memory");
        return NULL;
    }
    m->base.ops = &mem_ops;
    m->next_id = 1;
    m->acct.size = sizeof (store_acct_t);
    m->grants.size = sizeof (store_grant_t);
    return &m->base;
}
