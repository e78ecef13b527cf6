/* store_mem.c: the in-memory store, the reference implementation of store.h.
 *
 * It keeps a deep copy of every job the shell puts (a uthash table keyed by
 * job id) and the accounting records in an array, and enforces the batch
 * discipline (writes only between begin and commit) so that the shell's
 * group-commit shape is checked even without a disk. Nothing survives the
 * process: the SQLite store replaces it for durability behind the same ops.
 */
#include <errno.h>
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

typedef struct store_mem {
    struct store base; /* first: store_t * <-> store_mem_t * */
    mem_job_t *jobs;   /* uthash by job.id */
    store_acct_t *acct;
    size_t nacct;
    size_t acct_cap;
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
    jobspec_init (&dst->spec);
    if (jobspec_copy (&dst->spec, &src->spec) < 0) {
        jobspec_init (&dst->spec); /* nothing of a failed copy is ours */
        goto error;
    }
    if (idset_dup (&dst->cores, src->cores) < 0 ||
        idset_dup (&dst->cpus, src->cpus) < 0 ||
        idset_dup (&dst->gpus, src->gpus) < 0 || idset_dup (&dst->mems, src->mems) < 0)
        goto error;
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

static void mem_destroy (store_t *st)
{
    store_mem_t *m = mem_of (st);
    mem_job_t *entry, *tmp;

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
    return &m->base;
}
