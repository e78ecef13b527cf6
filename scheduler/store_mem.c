/* store_mem.c: the in-memory store, the reference implementation of store.h.
 *
 * It keeps a deep copy of every job the shell puts (a uthash table keyed by
 * job id), the nodes (another, keyed by name), the next job id and the
 * accounting records in an array, and enforces the batch
 * discipline (writes only between begin and commit) so that the shell's
 * group-commit shape is checked even without a disk. Nothing survives the
 * process: the SQLite store replaces it for durability behind the same ops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "cphub/idset.h"
#include "cphub/jobspec.h"
#include "scheduler/store.h"

typedef struct mem_job {
    sched_job_t job; /* deep copy */
    UT_hash_handle hh;
} mem_job_t;

typedef struct mem_node {
    node_desc_t desc; /* deep copy; desc.name is the key */
    node_state_t state;
    char reason[128];
    UT_hash_handle hh;
} mem_node_t;

typedef struct store_mem {
    struct store base; /* first: store_t * <-> store_mem_t * */
    mem_job_t *jobs;   /* uthash by job.id */
    store_acct_t *acct;
    size_t nacct;
    size_t acct_cap;
    mem_node_t *nodes; /* uthash by desc.name */
    uint64_t next_id;  /* 1 when empty */
    bool in_batch;
} store_mem_t;

static store_mem_t *mem_of (store_t *st)
{
    return (store_mem_t *)st;
}

/* Free what a copied job owns (not the job itself). */
static void job_copy_clear (sched_job_t *j)
{
    jobspec_clear (&j->spec);
    idset_destroy (j->cores);
    idset_destroy (j->cpus);
    idset_destroy (j->gpus);
    idset_destroy (j->mems);
    j->cores = j->cpus = j->gpus = j->mems = NULL;
    sched_allocs_free (j->others, j->nothers); /* a multi-node job's other nodes */
    j->others = NULL;
    j->nothers = 0;
}

static int idset_dup (idset_t **dst, const idset_t *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    if (!(*dst = idset_copy (src)))
        return -1;
    return 0;
}

/* Deep copy src into dst (overwritten). 0 or -1/ENOMEM, dst left empty. */
static int job_copy (sched_job_t *dst, const sched_job_t *src)
{
    int saved;

    *dst = *src;
    dst->next_pending = NULL;
    dst->cores = dst->cpus = dst->gpus = dst->mems = NULL;
    dst->others = NULL;
    dst->nothers = 0;
    jobspec_init (&dst->spec);
    if (jobspec_copy (&dst->spec, &src->spec) < 0) {
        jobspec_init (&dst->spec); /* nothing of a failed copy is ours */
        goto error;
    }
    if (idset_dup (&dst->cores, src->cores) < 0 ||
        idset_dup (&dst->cpus, src->cpus) < 0 ||
        idset_dup (&dst->gpus, src->gpus) < 0 || idset_dup (&dst->mems, src->mems) < 0)
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
    if (m->nacct == m->acct_cap) {
        size_t cap = m->acct_cap ? m->acct_cap * 2 : 64;
        store_acct_t *grown = realloc (m->acct, cap * sizeof (*grown));
        if (!grown)
            return cphub_fail (err, ENOMEM, "store: out of memory for accounting");
        m->acct = grown;
        m->acct_cap = cap;
    }
    m->acct[m->nacct++] = *rec;
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

static int mem_acct_foreach (store_t *st,
                             store_acct_f cb,
                             void *arg,
                             cphub_error_t *err)
{
    store_mem_t *m = mem_of (st);

    for (size_t i = 0; i < m->nacct; i++) {
        if (cb (&m->acct[i], arg) < 0)
            return cphub_fail (err, errno, "store: reading accounting stopped");
    }
    return 0;
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
    free (m->acct);
    free (m);
}

static const store_ops_t mem_ops = {
    .name = "memory",
    .begin = mem_begin,
    .commit = mem_commit,
    .job_put = mem_job_put,
    .acct_append = mem_acct_append,
    .jobs_load = mem_jobs_load,
    .acct_foreach = mem_acct_foreach,
    .node_put = mem_node_put,
    .nodes_load = mem_nodes_load,
    .next_id_get = mem_next_id_get,
    .next_id_set = mem_next_id_set,
    .destroy = mem_destroy,
};

store_t *store_mem_create (cphub_error_t *err)
{
    store_mem_t *m = calloc (1, sizeof (*m));
    if (!m) {
        cphub_fail (err, ENOMEM, "store: out of memory");
        return NULL;
    }
    m->base.ops = &mem_ops;
    m->next_id = 1;
    return &m->base;
}
