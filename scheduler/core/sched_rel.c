/* sched_rel.c: how jobs relate to each other in the scheduling core: job
 * arrays and dependencies, and the submit that makes them. They come parsed
 * in the spec (jobspec.h); here they meet the hub's rules (its array size,
 * the ids a job may wait on).
 *
 * A submit with --array makes one job per index, with consecutive ids, the
 * first id being the array's id; an array record (hash by that id) keeps
 * the element count and, for a %N throttle, how many elements hold one of
 * its N slots: an element waits outside the pending line ("ArrayTaskLimit")
 * until it gets a slot and keeps it until it ends, when the next element in
 * index order gets it. A job with --after waits outside the line
 * ("Dependency") until each job it names has ended (any:) or completed
 * (ok:); a dependency that ends otherwise cancels it ("dependency 12
 * failed"), and that in turn reaches the jobs waiting on it. Each job keeps
 * the list of links of the jobs waiting on it (a reverse index), so an end
 * touches only its own dependents. Naming an array's id waits on all of its
 * elements. No I/O: decisions go to the core's queue like any other.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/core/sched_int.h"

/* Links one submit may make (elements x jobs they wait on). */
#define SCHED_DEP_LINKS_MAX 1000000
/* Bytes of command or script all elements of one array may copy. */
#define SCHED_ARRAY_BYTES_MAX (256ULL * 1024 * 1024)

struct sched_array {
    uint64_t id;             /* key: the first element's id */
    uint32_t count;          /* elements: ids id .. id + count - 1 */
    uint32_t throttle;       /* %N, 0 = none */
    uint32_t active;         /* elements holding a slot */
    uint32_t next;           /* elements before this offset have had their turn */
    uint32_t known;          /* elements not forgotten */
    jobspec_array_t *ranges; /* its indices: index <-> offset by arithmetic */
    bool dirty;              /* in s->arrays_dirty */
    sched_array_t *dirty_prev, *dirty_next;
    bool oom;
    UT_hash_handle hh;
};

/* One job a submit waits on. */
typedef struct dep_target {
    job_entry_t *job;
    jobspec_after_kind_t kind;
} dep_target_t;

sched_jobx_t *sched_jobx (job_entry_t *e)
{
    if (!e->x && !(e->x = calloc (1, sizeof (*e->x))))
        errno = ENOMEM;
    return e->x;
}

void sched_jobx_destroy (job_entry_t *e)
{
    sched_jobx_t *x = e->x;

    sched_allocs_free (e->job.others, e->job.nothers);
    e->job.others = NULL;
    e->job.nothers = 0;
    if (!x)
        return;
    sched_allocs_free (x->plan, x->nplan);
    free (x->plan_nodes);
    free (x->chosen);
    free (x->holds);
    free (x->deps);
    free (x);
    e->x = NULL;
}

static sched_array_t *array_find (const sched_t *s, uint64_t id)
{
    sched_array_t *a = NULL;

    HASH_FIND (hh, s->arrays, &id, sizeof (id), a);
    return a;
}

static void array_free (sched_t *s, sched_array_t *a)
{
    HASH_DEL (s->arrays, a);
    if (a->dirty)
        DL_DELETE2 (s->arrays_dirty, a, dirty_prev, dirty_next);
    free (a->ranges);
    free (a);
}

/* Let e in line if nothing holds it out any more. */
static void job_release (sched_t *s, job_entry_t *e)
{
    sched_jobx_t *x = e->x;

    if (e->job.state != JOB_PENDING || x->unmet > 0 || x->throttled || x->doomed)
        return;
    sched_job_set_reason (&e->job, "Priority");
    sched_job_enqueue (s, e);
}

/* Give free slots of a's throttle to waiting elements, in index order. */
static void array_grant (sched_t *s, sched_array_t *a)
{
    while (a->throttle > 0 && a->active < a->throttle && a->next < a->count) {
        job_entry_t *e = sched_job_find (s, a->id + a->next++);
        if (!e || !e->x || !e->x->throttled || job_state_is_terminal (e->job.state))
            continue;
        e->x->throttled = false;
        e->x->active = true;
        a->active++;
        if (e->x->unmet > 0 || e->x->doomed)
            sched_job_set_reason (&e->job, "Dependency");
        job_release (s, e);
    }
}

/* Take e's links off the jobs it waits on (it ended while waiting). */
static void deps_unlink (job_entry_t *e)
{
    sched_jobx_t *x = e->x;

    for (uint32_t i = 0; x && i < x->ndeps; i++) {
        sched_dep_t *d = &x->deps[i];
        if (!d->target)
            continue;
        DL_DELETE2 (d->target->x->dependents, d, prev, next);
        d->target = NULL;
    }
    if (x)
        x->unmet = 0;
}

/* A job waiting on e learns that e ended. */
static void dependent_settle (sched_t *s, job_entry_t *e, sched_dep_t *d)
{
    job_entry_t *w = d->dependent;

    DL_DELETE2 (e->x->dependents, d, prev, next);
    d->target = NULL;
    if (w->x->unmet > 0)
        w->x->unmet--;
    if (job_state_is_terminal (w->job.state))
        return;
    if (d->kind == JOBSPEC_AFTER_ANY || e->job.state == JOB_COMPLETED) {
        job_release (s, w);
        return;
    }
    /* out of memory here leaves it waiting ("Dependency") until cancelled */
    if (sched_dq_reserve (s, SCHED_END_DECISIONS) < 0)
        return;
    sched_job_set_reason (&w->job, "dependency %" PRIu64 " failed", e->job.id);
    sched_job_end (s, w, JOB_CANCELLED, e->job.end_time);
}

/* What e's end (or doom) means for its array and its dependents. */
static void rel_process (sched_t *s, job_entry_t *e, double now)
{
    sched_jobx_t *x = e->x;
    sched_dep_t *d, *tmp;
    sched_array_t *a;

    if (!x)
        return;
    if (x->doomed && !job_state_is_terminal (e->job.state)) {
        if (sched_dq_reserve (s, SCHED_END_DECISIONS) < 0)
            return;
        sched_job_set_reason (&e->job, "dependency %" PRIu64 " failed", x->doomed_by);
        sched_job_end (s, e, JOB_CANCELLED, now); /* comes back here, ended */
        return;
    }
    if (!job_state_is_terminal (e->job.state))
        return;
    deps_unlink (e);
    x->throttled = false;
    if (x->active && (a = array_find (s, e->job.array_id))) {
        x->active = false;
        a->active--;
        array_grant (s, a);
    }
    DL_FOREACH_SAFE2 (x->dependents, d, tmp, next)
    {
        dependent_settle (s, e, d);
    }
}

static void rel_drain (sched_t *s, double now)
{
    s->rel_busy = true;
    while (s->rel_nwork > 0) {
        job_entry_t *e = s->rel_work[--s->rel_nwork];
        rel_process (s, e, now);
    }
    s->rel_busy = false;
}

/* Queue e for rel_process (cancellations reach dependents of dependents
 * without recursion); out of memory processes it at once. */
static void rel_queue (sched_t *s, job_entry_t *e, double now)
{
    if (sched_grow ((void **)&s->rel_work, &s->rel_work_cap, s->rel_nwork + 1,
                    sizeof (*s->rel_work)) < 0) {
        rel_process (s, e, now);
        return;
    }
    s->rel_work[s->rel_nwork++] = e;
}

void sched_rel_job_ended (sched_t *s, job_entry_t *e)
{
    if (!e->x)
        return;
    rel_queue (s, e, e->job.end_time);
    if (!s->rel_busy)
        rel_drain (s, e->job.end_time);
}

void sched_rel_tick (sched_t *s, double now)
{
    sched_array_t *a, *tmp;

    if (s->rel_nwork > 0 && !s->rel_busy)
        rel_drain (s, now);
    DL_FOREACH_SAFE2 (s->arrays_dirty, a, tmp, dirty_next)
    {
        DL_DELETE2 (s->arrays_dirty, a, dirty_prev, dirty_next);
        a->dirty = false;
        array_grant (s, a);
    }
}

/* --- submit -------------------------------------------------------------- */

/* The jobs named by after, arrays expanded, for tenant: into *out (caller
 * frees), skipping those already settled. -1 with err. */
static int deps_resolve (sched_t *s,
                         const char *tenant,
                         const jobspec_after_t *after,
                         dep_target_t **out,
                         uint32_t *nout,
                         cphub_error_t *err)
{
    dep_target_t *t = NULL;
    size_t n = 0, cap = 0;

    *out = NULL;
    *nout = 0;
    for (uint32_t i = 0; i < after->count; i++) {
        const jobspec_dep_t *dep = &after->deps[i];
        job_entry_t *e = sched_job_find (s, dep->id);
        const sched_array_t *a;
        uint64_t first = dep->id, last = dep->id;

        if (!e || strcmp (e->job.tenant, tenant) != 0) {
            cphub_fail (err, ENOENT, "--after: no such job %" PRIu64, dep->id);
            goto error;
        }
        if (e->job.array_id == dep->id && (a = array_find (s, dep->id)))
            last = first + a->count - 1;
        for (uint64_t id = first; id <= last; id++) {
            if (!(e = sched_job_find (s, id)))
                continue; /* forgotten long after it ended */
            if (job_state_is_terminal (e->job.state)) {
                if (dep->kind == JOBSPEC_AFTER_ANY || e->job.state == JOB_COMPLETED)
                    continue;
                cphub_fail (err, EINVAL,
                            "--after: job %" PRIu64 " ended %s; ok:%" PRIu64
                            " can never be met",
                            id, job_state_name (e->job.state), dep->id);
                goto error;
            }
            if (n >= JOBSPEC_ARRAY_SIZE_MAX) {
                cphub_fail (err, EINVAL, "--after: waits on more than %d jobs",
                            JOBSPEC_ARRAY_SIZE_MAX);
                goto error;
            }
            if (sched_grow ((void **)&t, &cap, n + 1, sizeof (*t)) < 0 ||
                !sched_jobx (e)) {
                cphub_fail (err, ENOMEM, "out of memory");
                goto error;
            }
            t[n].job = e;
            t[n].kind = dep->kind;
            n++;
        }
    }
    *out = t;
    *nout = (uint32_t)n;
    return 0;
error:
    free (t);
    return -1;
}

/* Link e to wait on targets (none settled yet); out of line if any. */
static int deps_link (job_entry_t *e, const dep_target_t *targets, uint32_t n)
{
    sched_jobx_t *x;

    if (n == 0)
        return 0;
    if (!(x = sched_jobx (e)) || !(x->deps = calloc (n, sizeof (*x->deps))))
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        sched_dep_t *d = &x->deps[i];
        d->dependent = e;
        d->target = targets[i].job;
        d->kind = targets[i].kind;
        DL_APPEND2 (d->target->x->dependents, d, prev, next);
    }
    x->ndeps = n;
    x->unmet = n;
    return 0;
}

/* Undo a submit half made: its jobs and their decisions go. */
static void submit_undo (
    sched_t *s, job_entry_t **made, uint32_t nmade, sched_array_t *a, size_t dq_len)
{
    for (uint32_t i = nmade; i-- > 0;) {
        job_entry_t *e = made[i];
        deps_unlink (e);
        if (e->x)
            sched_cons_put (s, e->x->cons);
        sched_job_uncreate (s, e);
    }
    if (a)
        array_free (s, a);
    s->dq_len = dq_len; /* only this submit's CHANGED were queued since */
}

/* Check an array against this hub: its size and what it would copy. */
static int array_check (const sched_t *s, const jobspec_t *spec, cphub_error_t *err)
{
    const jobspec_array_t *arr = spec->array;
    uint32_t max = s->cfg.max_array_size;
    uint64_t bytes = spec->script ? strlen (spec->script) : 0;

    if (max == 0 || max > JOBSPEC_ARRAY_SIZE_MAX)
        max = JOBSPEC_ARRAY_SIZE_MAX;
    if (arr->count > max)
        return cphub_fail (err, EINVAL,
                           "--array: %" PRIu32
                           " elements; this hub allows at most %" PRIu32,
                           arr->count, max);
    for (int i = 0; i < spec->argc && spec->argv; i++)
        bytes += strlen (spec->argv[i]) + 1;
    if (bytes * arr->count > SCHED_ARRAY_BYTES_MAX)
        return cphub_fail (err, EINVAL,
                           "--array: %" PRIu32 " copies of a %" PRIu64
                           "-byte command would take more than %llu MiB; use a "
                           "smaller script or fewer elements",
                           arr->count, bytes, SCHED_ARRAY_BYTES_MAX >> 20);
    return 0;
}

/* Make one job of a submit: created, then its features. */
static job_entry_t *submit_one (sched_t *s,
                                const char *tenant,
                                const jobspec_t *spec,
                                int64_t walltime,
                                double now,
                                const dep_target_t *targets,
                                uint32_t ntargets,
                                bool throttled)
{
    job_entry_t *e = sched_job_create (s, tenant, spec, walltime, now);
    sched_jobx_t *x;

    if (!e)
        return NULL;
    if (!spec->constraint && ntargets == 0 && !throttled)
        return e;
    if (!(x = sched_jobx (e)))
        goto nomem;
    if (spec->constraint && !(x->cons = sched_cons_get (s, spec->constraint, NULL)))
        goto nomem;
    if (deps_link (e, targets, ntargets) < 0)
        goto nomem;
    if (ntargets > 0) {
        sched_job_set_reason (&e->job, "Dependency");
        sched_job_dequeue (s, e);
    }
    if (throttled) {
        x->throttled = true;
        if (ntargets == 0)
            sched_job_set_reason (&e->job, "ArrayTaskLimit");
        sched_job_dequeue (s, e);
    }
    return e;
nomem:
    deps_unlink (e);
    if (e->x)
        sched_cons_put (s, e->x->cons);
    sched_job_uncreate (s, e);
    errno = ENOMEM;
    return NULL;
}

/* The checks of a submit before its dependencies: the job, the array,
 * the tenant's quotas. */
static int submit_check (sched_t *s,
                         const char *tenant,
                         const jobspec_t *spec,
                         int64_t *walltime,
                         cphub_error_t *err)
{
    if (sched_job_check (s, tenant, spec, walltime, err) < 0)
        return -1;
    if (jobspec_is_array (spec) && array_check (s, spec, err) < 0)
        return -1;
    return sched_quota_submit_check (s, tenant, spec,
                                     spec->array ? spec->array->count : 1, err);
}

int sched_job_submit_check (sched_t *s,
                            const char *tenant,
                            const jobspec_t *spec,
                            cphub_error_t *err)
{
    int64_t walltime;

    return submit_check (s, tenant, spec, &walltime, err);
}

int sched_job_submit_many (sched_t *s,
                           const char *tenant,
                           const jobspec_t *spec,
                           double now,
                           uint64_t *first,
                           uint32_t *count,
                           cphub_error_t *err)
{
    static const jobspec_array_t one = {.count = 1};
    const jobspec_array_t *arr = spec->array ? spec->array : &one;
    dep_target_t *targets = NULL;
    uint32_t ntargets = 0, nmade = 0;
    job_entry_t **made = NULL;
    sched_array_t *a = NULL;
    size_t dq_len = s->dq_len;
    int64_t walltime;

    if (submit_check (s, tenant, spec, &walltime, err) < 0)
        return -1;
    if (jobspec_has_after (spec) &&
        deps_resolve (s, tenant, spec->after, &targets, &ntargets, err) < 0)
        return -1;
    if ((uint64_t)ntargets * arr->count > SCHED_DEP_LINKS_MAX) {
        free (targets);
        return cphub_fail (err, EINVAL,
                           "--after: %" PRIu32 " jobs each waiting on %" PRIu32
                           " is more than %d dependencies",
                           arr->count, ntargets, SCHED_DEP_LINKS_MAX);
    }
    if (!(made = calloc (arr->count, sizeof (*made))) ||
        sched_dq_reserve (s, arr->count) < 0)
        goto nomem;
    if (jobspec_is_array (spec)) {
        if (!(a = calloc (1, sizeof (*a))) || !(a->ranges = jobspec_array_copy (arr))) {
            free (a);
            a = NULL;
            goto nomem;
        }
        a->id = s->next_id; /* the first element's id */
        a->count = arr->count;
        a->known = arr->count;
        a->throttle = arr->throttle;
        HASH_ADD (hh, s->arrays, id, sizeof (a->id), a);
        if (a->oom) {
            free (a->ranges);
            free (a);
            a = NULL;
            goto nomem;
        }
    }
    for (nmade = 0; nmade < arr->count; nmade++) {
        job_entry_t *e = submit_one (s, tenant, spec, walltime, now, targets, ntargets,
                                     arr->throttle > 0);
        if (!e)
            goto nomem;
        made[nmade] = e;
        if (a) {
            e->job.array_id = a->id;
            e->job.array_index = jobspec_array_index (arr, nmade);
        }
    }
    if (a)
        array_grant (s, a);
    *first = made[0]->job.id;
    *count = arr->count;
    free (made);
    free (targets);
    return 0;
nomem:
    if (made)
        submit_undo (s, made, nmade, a, dq_len);
    free (made);
    free (targets);
    return cphub_fail (err, ENOMEM, "out of memory queueing the job");
}

int sched_job_submit (sched_t *s,
                      const char *tenant,
                      const jobspec_t *spec,
                      double now,
                      uint64_t *id,
                      cphub_error_t *err)
{
    uint32_t count;

    return sched_job_submit_many (s, tenant, spec, now, id, &count, err);
}

/* --- lookup by array and index ------------------------------------------ */

int sched_array_count (const sched_t *s, uint64_t array_id, uint32_t *count)
{
    const sched_array_t *a = array_find (s, array_id);

    if (!a) {
        errno = ENOENT;
        return -1;
    }
    *count = a->count;
    return 0;
}

int sched_array_known (const sched_t *s, uint64_t array_id, uint32_t *known)
{
    const sched_array_t *a = array_find (s, array_id);

    if (!a) {
        errno = ENOENT;
        return -1;
    }
    *known = a->known;
    return 0;
}

/* Where index is or would be in a: its offset by the array's ranges (an
 * array restored without them has indices 0..count-1); true when a has an
 * element with that index. */
static bool array_offset (const sched_array_t *a, uint32_t index, uint32_t *offset)
{
    if (a->ranges)
        return jobspec_array_seek (a->ranges, index, offset);
    *offset = index < a->count ? index : a->count;
    return index < a->count;
}

int sched_array_seek (const sched_t *s,
                      uint64_t array_id,
                      uint32_t index,
                      uint32_t *offset)
{
    const sched_array_t *a = array_find (s, array_id);

    if (!a) {
        errno = ENOENT;
        return -1;
    }
    array_offset (a, index, offset);
    return 0;
}

int sched_array_element (const sched_t *s,
                         uint64_t array_id,
                         uint32_t index,
                         uint64_t *id)
{
    const sched_array_t *a = array_find (s, array_id);
    const job_entry_t *e = NULL;
    uint32_t offset;

    if (!a || !array_offset (a, index, &offset) ||
        !(e = sched_job_find (s, array_id + offset)) || e->job.array_index != index) {
        errno = ENOENT;
        return -1;
    }
    *id = e->job.id;
    return 0;
}

bool sched_rel_job_reopened (sched_t *s, job_entry_t *e)
{
    sched_array_t *a = array_find (s, e->job.array_id);
    sched_jobx_t *x;

    if (!a || a->throttle == 0 || !(x = sched_jobx (e)))
        return true;
    if (x->active || a->active < a->throttle) {
        if (!x->active) {
            x->active = true;
            a->active++;
        }
        return true;
    }
    /* wait for a slot: the grant walks on from this element again */
    x->throttled = true;
    sched_job_set_reason (&e->job, "ArrayTaskLimit");
    if (e->job.id - a->id < a->next)
        a->next = (uint32_t)(e->job.id - a->id);
    return false;
}

/* --- restore and forget ---------------------------------------------------------- */

/* e's array record at restore: made from its spec on the first element. */
static int restore_array (sched_t *s, job_entry_t *e, cphub_error_t *err)
{
    const jobspec_array_t *arr = e->job.spec.array;
    sched_array_t *a = array_find (s, e->job.array_id);
    sched_jobx_t *x;

    if (!a) {
        if (!(a = calloc (1, sizeof (*a))) ||
            (arr && !(a->ranges = jobspec_array_copy (arr)))) {
            free (a);
            goto nomem;
        }
        a->id = e->job.array_id;
        a->count = arr ? arr->count : 1;
        a->throttle = arr ? arr->throttle : 0;
        HASH_ADD (hh, s->arrays, id, sizeof (a->id), a);
        if (a->oom) {
            free (a->ranges);
            free (a);
            goto nomem;
        }
    }
    a->known++;
    if (a->throttle == 0 || job_state_is_terminal (e->job.state))
        return 0;
    if (!(x = sched_jobx (e)))
        goto nomem;
    if (e->job.state == JOB_RUNNING) {
        x->active = true;
        a->active++;
        return 0;
    }
    /* pending: slots are given again at the next tick, in index order */
    x->throttled = true;
    sched_job_set_reason (&e->job, "ArrayTaskLimit");
    sched_job_dequeue (s, e);
    if (!a->dirty) {
        a->dirty = true;
        DL_APPEND2 (s->arrays_dirty, a, dirty_prev, dirty_next);
    }
    return 0;
nomem:
    return cphub_fail (err, ENOMEM, "out of memory restoring job %" PRIu64, e->job.id);
}

/* e's dependencies at restore: those still open are linked again; one that
 * failed meanwhile dooms e (cancelled at the next tick). */
static int restore_deps (sched_t *s, job_entry_t *e, cphub_error_t *err)
{
    const jobspec_after_t *after = e->job.spec.after;
    dep_target_t *targets = NULL;
    size_t n = 0, cap = 0;
    sched_jobx_t *x;

    if (!(x = sched_jobx (e)))
        goto nomem;
    for (uint32_t i = 0; i < after->count; i++) {
        const jobspec_dep_t *dep = &after->deps[i];
        job_entry_t *t = sched_job_find (s, dep->id);
        const sched_array_t *a;
        uint64_t last = dep->id;
        if (t && t->job.array_id == dep->id && (a = array_find (s, dep->id)))
            last = dep->id + a->count - 1;
        for (uint64_t id = dep->id; id <= last; id++) {
            if (!(t = sched_job_find (s, id)) || t->job.id >= e->job.id)
                continue; /* gone long ago: it was settled then */
            if (job_state_is_terminal (t->job.state)) {
                if (dep->kind == JOBSPEC_AFTER_OK && t->job.state != JOB_COMPLETED &&
                    !x->doomed) {
                    x->doomed = true;
                    x->doomed_by = id;
                }
                continue;
            }
            if (sched_grow ((void **)&targets, &cap, n + 1, sizeof (*targets)) < 0 ||
                !sched_jobx (t))
                goto nomem;
            targets[n].job = t;
            targets[n].kind = dep->kind;
            n++;
        }
    }
    if (deps_link (e, targets, (uint32_t)n) < 0)
        goto nomem;
    free (targets);
    if (n > 0 || x->doomed) {
        sched_job_set_reason (&e->job, "Dependency");
        sched_job_dequeue (s, e);
    }
    /* cancelled at the next tick (out of memory: it waits until cancelled) */
    if (x->doomed && sched_grow ((void **)&s->rel_work, &s->rel_work_cap,
                                 s->rel_nwork + 1, sizeof (*s->rel_work)) == 0)
        s->rel_work[s->rel_nwork++] = e;
    return 0;
nomem:
    free (targets);
    return cphub_fail (err, ENOMEM, "out of memory restoring job %" PRIu64, e->job.id);
}

int sched_rel_restored (sched_t *s, job_entry_t *e, cphub_error_t *err)
{
    sched_jobx_t *x;

    if (e->job.spec.constraint && !job_state_is_terminal (e->job.state)) {
        if (!(x = sched_jobx (e)) ||
            !(x->cons = sched_cons_get (s, e->job.spec.constraint, NULL)))
            return cphub_fail (err, ENOMEM, "out of memory restoring job %" PRIu64,
                               e->job.id);
    }
    if (e->job.array_id != 0 && restore_array (s, e, err) < 0)
        return -1;
    if (e->job.state == JOB_PENDING && jobspec_has_after (&e->job.spec) &&
        restore_deps (s, e, err) < 0)
        return -1;
    return 0;
}

int sched_job_recall (sched_t *s, const sched_job_t *job, cphub_error_t *err)
{
    job_entry_t *e;

    if (!job_state_is_terminal (job->state))
        return cphub_fail (err, EINVAL, "job %" PRIu64 " has not ended", job->id);
    if (sched_job_restore (s, job, err) < 0)
        return -1;
    e = sched_job_find (s, job->id);
    e->recalled = true;
    DL_PREPEND2 (s->recalled, e, recall_prev, recall_next);
    return 0;
}

void sched_job_recall_done (sched_t *s, job_entry_t *e)
{
    if (!e->recalled)
        return;
    DL_DELETE2 (s->recalled, e, recall_prev, recall_next);
    e->recall_prev = e->recall_next = NULL;
    e->recalled = false;
}

sched_job_t *sched_job_from (sched_t *s, uint64_t id)
{
    job_entry_t *before = sched_job_before (s, id);
    job_entry_t *e = before ? before->id_next : s->first;

    return e ? &e->job : NULL;
}

/* May e leave the core? See sched_jobs_forget. */
static bool forgettable (const sched_t *s, const job_entry_t *e, double before)
{
    double ended = e->job.end_time > 0 ? e->job.end_time : e->job.submit_time;
    const sched_array_t *a;

    if (!job_state_is_terminal (e->job.state) || ended >= before)
        return false;
    if (e->x && e->x->dependents)
        return false;
    return !(e->job.array_id == e->job.id && (a = array_find (s, e->job.id)) &&
             a->known > 1);
}

uint32_t sched_jobs_forget (sched_t *s, double before, uint32_t walk)
{
    job_entry_t *e, *tmp;
    uint32_t forgotten = 0;

    /* recalled for a request that has had its answer: gone again first, the
     * latest first (an array's elements before its first one) */
    DL_FOREACH_SAFE2 (s->recalled, e, tmp, recall_next)
    {
        sched_job_recall_done (s, e);
        if (forgettable (s, e, before) && sched_job_forget (s, e->job.id) == 0)
            forgotten++;
    }
    /* on after the cursor, the job there perhaps forgotten since */
    e = s->forget_cursor ? (job_entry_t *)sched_job_from (s, s->forget_cursor + 1)
                         : s->first; /* a sched_job_t * is its job_entry_t * */
    for (uint32_t n = 0; e && n < walk; n++) {
        job_entry_t *next = e->id_next;
        if (forgettable (s, e, before) && sched_job_forget (s, e->job.id) == 0)
            forgotten++;
        else
            s->forget_cursor = e->job.id;
        e = next;
    }
    if (!e)
        s->forget_cursor = 0; /* the next call starts from the first job */
    return forgotten;
}

void sched_rel_forget (sched_t *s, job_entry_t *e)
{
    sched_array_t *a;
    sched_dep_t *d, *tmp;

    if (e->job.array_id != 0 && (a = array_find (s, e->job.array_id)) &&
        --a->known == 0)
        array_free (s, a);
    if (!e->x)
        return;
    deps_unlink (e);
    DL_FOREACH_SAFE2 (e->x->dependents, d, tmp, next)
    {
        DL_DELETE2 (e->x->dependents, d, prev, next);
        d->target = NULL;
    }
    sched_cons_put (s, e->x->cons);
    e->x->cons = NULL;
}

void sched_rel_destroy (sched_t *s)
{
    sched_array_t *a, *atmp;

    HASH_ITER (hh, s->arrays, a, atmp)
    {
        HASH_DEL (s->arrays, a);
        free (a->ranges);
        free (a);
    }
    s->arrays_dirty = NULL;
    sched_cons_clear (s);
    free (s->rel_work);
    s->rel_work = NULL;
    s->rel_nwork = s->rel_work_cap = 0;
}
