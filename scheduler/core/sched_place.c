/* sched_place.c: the scheduling core's placement features beyond a plain fit:
 * --constraint (the spec's parsed expression, one copy shared by the jobs
 * that ask the same text), --exclusive (only idle nodes, all of the node) and jobs that
 * span several nodes. A multi-node job runs on its first node, which holds
 * its allocation the usual way (sched_node_hold); on each other node a
 * "hold" takes the cores, GPUs and memory of its share out of the node's free
 * sets for as long as the job runs, so nothing else is placed there. Holds
 * are given back on every path that gives back the allocation
 * (sched_node_release), applied again when their node registers again, and
 * fail the job when their node fails. Fits use the core's best-fit index
 * (fewest free cores left first, ties by name), as plain jobs do. No I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/core/sched_int.h"

#include "cphub/limits.h"

struct sched_cons {
    char text[JOBSPEC_CONSTRAINT_MAX + 1]; /* key */
    constraint_t *c;
    uint32_t refs;
    bool oom;
    UT_hash_handle hh;
};

/* --- constraints, one shared copy per distinct text ----------------------- */

sched_cons_t *sched_cons_get (sched_t *s, const constraint_t *cons, cphub_error_t *err)
{
    const char *text = constraint_text (cons);
    sched_cons_t *c = NULL;
    constraint_t *parsed;

    HASH_FIND_STR (s->constraints, text, c);
    if (c) {
        c->refs++;
        return c;
    }
    if (!(parsed = constraint_copy (cons))) {
        cphub_fail (err, ENOMEM, "out of memory");
        return NULL;
    }
    if (!(c = calloc (1, sizeof (*c))))
        goto nomem;
    snprintf (c->text, sizeof (c->text), "%s", text);
    c->c = parsed;
    c->refs = 1;
    HASH_ADD_STR (s->constraints, text, c);
    if (c->oom)
        goto nomem;
    return c;
nomem:
    free (c);
    constraint_destroy (parsed);
    cphub_fail (err, ENOMEM, "out of memory");
    return NULL;
}

void sched_cons_put (sched_t *s, sched_cons_t *c)
{
    if (!c || --c->refs > 0)
        return;
    HASH_DEL (s->constraints, c);
    constraint_destroy (c->c);
    free (c);
}

void sched_cons_clear (sched_t *s)
{
    sched_cons_t *c, *tmp;

    HASH_ITER (hh, s->constraints, c, tmp)
    {
        HASH_DEL (s->constraints, c);
        constraint_destroy (c->c);
        free (c);
    }
}

/* --- fits ------------------------------------------------------------------ */

bool sched_spec_special (const jobspec_t *spec)
{
    return spec->constraint || spec->exclusive || jobspec_nodes (spec) > 1;
}

static bool node_idle (const sched_node_t *node)
{
    return node->nfree_cores == node->desc.ncores &&
           node->nfree_gpus == node->desc.ngpus && node->mem_used == 0;
}

/* Does node take share now, counting cores too? */
static bool node_takes (const sched_node_t *node,
                        const jobspec_t *share,
                        const constraint_t *c)
{
    if (jobspec_cores (share) > node->nfree_cores || share->gpus > node->nfree_gpus ||
        share->mem > sched_node_free_mem (node))
        return false;
    if (!constraint_match (c, node->desc.features))
        return false;
    return !share->exclusive || node_idle (node);
}

bool sched_job_node_ok (const job_entry_t *e, const sched_node_t *node)
{
    const constraint_t *c = e->x && e->x->cons ? e->x->cons->c : NULL;

    if (!c)
        c = e->job.spec.constraint; /* not shared (out of memory at submit) */
    return constraint_match (c, node->desc.features);
}

int sched_place_choose (job_entry_t *e, sched_node_t *const *nodes, uint32_t n)
{
    sched_jobx_t *x = sched_jobx (e);
    sched_node_t **chosen;

    if (!x || !(chosen = calloc (n ? n : 1, sizeof (*chosen))))
        return -1;
    memcpy (chosen, nodes, n * sizeof (*chosen));
    free (x->chosen);
    x->chosen = chosen;
    x->nchosen = n;
    return 0;
}

/* The first bucket at or after from that holds a node, or -1. */
static int bucket_next (const sched_t *s, uint32_t from)
{
    return idset_bits_next (s->nonempty, SCHED_BUCKET_WORDS, (int)from);
}

/* Up to want nodes that take share now, from the best-fit index: buckets of
 * fewer free cores first, names in order inside a bucket; exclude is
 * skipped. Returns how many are in out[]. */
static uint32_t fit_collect (const sched_t *s,
                             const jobspec_t *share,
                             const constraint_t *c,
                             uint32_t want,
                             const sched_node_t *exclude,
                             sched_node_t **out)
{
    uint32_t need = jobspec_cores (share);
    uint32_t got = 0;

    if (need >= SCHED_BUCKETS)
        return 0;
    for (int k = bucket_next (s, need); k >= 0 && got < want;
         k = k + 1 < SCHED_BUCKETS ? bucket_next (s, (uint32_t)k + 1) : -1) {
        const bucket_t *b = &s->buckets[k];
        uint32_t first = got, room = want - got;
        for (uint32_t i = 0; i < b->n; i++) {
            sched_node_t *node = b->heap[i];
            if (node == exclude || !node_takes (node, share, c))
                continue;
            /* keep out[first..got) the smallest names, in order */
            uint32_t j = got;
            if (got - first == room) {
                if (strcmp (node->desc.name, out[got - 1]->desc.name) >= 0)
                    continue;
                j = --got;
            }
            while (j > first && strcmp (node->desc.name, out[j - 1]->desc.name) < 0) {
                out[j] = out[j - 1];
                j--;
            }
            out[j] = node;
            got++;
        }
    }
    return got;
}

/* --- could it ever run ------------------------------------------------------ */

/* Bytes of a constraint's text quoted in a refusal, so the rest fits. */
#define SCHED_FEATURES_SHOWN 48

static const char *plural_s (uint32_t n)
{
    return n == 1 ? "" : "s";
}

int sched_check_ever (const sched_t *s, const jobspec_t *spec, cphub_error_t *err)
{
    uint32_t want = jobspec_nodes (spec), known = 0, matching = 0, fitting = 0;
    place_capacity_t *caps = NULL;
    const constraint_t *c = spec->constraint;
    char shown[SCHED_FEATURES_SHOWN];
    const char *features = constraint_text_short (c, shown, sizeof (shown));
    cphub_error_t cerr = {{0}};
    jobspec_t share;
    int rc = 0;

    if (!sched_spec_special (spec))
        return place_check_ever (s->caps, s->ncaps, spec, err);
    if (!(caps = calloc (s->nnodes ? s->nnodes : 1, sizeof (*caps))))
        return cphub_fail (err, ENOMEM, "out of memory");
    jobspec_node_share (spec, &share);
    for (uint32_t i = 0; i < s->nnodes; i++) {
        const sched_node_t *node = s->nodes[i];
        if (!(node->has_desc || node->registered) || node->desc.ncores == 0)
            continue;
        known++;
        if (!constraint_match (c, node->desc.features))
            continue;
        place_capacity_of (&node->desc, &caps[matching]);
        fitting += place_capacity_fits (&caps[matching], &share);
        matching++;
    }
    if (known == 0 || fitting >= want)
        goto done;
    if (matching == 0) {
        rc = cphub_fail (err, EINVAL, "no node has features %s", features);
    } else if (fitting == 0) {
        place_check_ever (caps, matching, &share, &cerr);
        rc = cphub_fail (err, EINVAL, "%s%s%s%s", want > 1 ? "on each node: " : "",
                         cerr.text, c ? " with features " : "", features);
    } else {
        rc = cphub_fail (
            err, EINVAL, "asked %u nodes; only %u node%s%s%s can hold %u core%s%s each",
            want, fitting, plural_s (fitting), c ? " with features " : "", features,
            jobspec_cores (&share), plural_s (jobspec_cores (&share)),
            spec->exclusive ? " exclusively" : "");
    }
done:
    free (caps);
    return rc;
}

/* --- starting ----------------------------------------------------------------- */

static place_node_t view_of (const sched_node_t *node)
{
    place_node_t pn = {
        .desc = &node->desc,
        .free_cores = node->free_cores,
        .free_gpus = node->free_gpus,
        .free_mem = sched_node_free_mem (node),
    };
    return pn;
}

/* The share's placement on one node (all of it for --exclusive). */
static int place_share (const sched_node_t *node,
                        const jobspec_t *share,
                        placement_t *p)
{
    place_node_t pn = view_of (node);

    if (share->exclusive)
        return place_whole_node (&pn, share, p);
    return place_job (&pn, share, p);
}

static void plan_clear (sched_jobx_t *x)
{
    sched_allocs_free (x->plan, x->nplan);
    free (x->plan_nodes);
    x->plan = NULL;
    x->plan_nodes = NULL;
    x->nplan = 0;
}

/* The nodes a pass named (sched_place_choose) into others, if there are n
 * of them, none is first, and each still takes share. Clears them. */
static bool chosen_take (sched_jobx_t *x,
                         const sched_node_t *first,
                         const jobspec_t *share,
                         const constraint_t *c,
                         uint32_t n,
                         sched_node_t **others)
{
    bool ok;

    if (!x || !x->chosen)
        return false;
    ok = x->nchosen == n;
    for (uint32_t i = 0; ok && i < n; i++) {
        others[i] = x->chosen[i];
        ok = others[i] != first && node_takes (others[i], share, c);
        for (uint32_t j = 0; ok && j < i; j++)
            ok = others[j] != others[i];
    }
    free (x->chosen);
    x->chosen = NULL;
    x->nchosen = 0;
    return ok;
}

int sched_place_prepare (sched_t *s, job_entry_t *e, sched_node_t *node, placement_t *p)
{
    const jobspec_t *spec = &e->job.spec;
    uint32_t want = jobspec_nodes (spec);
    sched_node_t *others[JOBSPEC_NODES_MAX];
    const constraint_t *c = NULL;
    place_node_t pn = view_of (node);
    sched_jobx_t *x = e->x;
    jobspec_t share;
    placement_t op;
    int saved;

    placement_init (p);
    if (x)
        plan_clear (x);
    if (!sched_spec_special (spec))
        return place_job (&pn, spec, p);
    if (spec->constraint) {
        /* taken at submit; a job restored without it takes it now */
        if (!(x = sched_jobx (e)))
            goto nomem;
        if (!x->cons && !(x->cons = sched_cons_get (s, spec->constraint, NULL)))
            return -1;
        c = x->cons->c;
    }
    jobspec_node_share (spec, &share);
    if (want > JOBSPEC_NODES_MAX || !node_takes (node, &share, c))
        goto nospace;
    if (want > 1) {
        if (!chosen_take (x, node, &share, c, want - 1, others) &&
            fit_collect (s, &share, c, want - 1, node, others) < want - 1)
            goto nospace;
        if (!(x = sched_jobx (e)) ||
            !(x->plan = calloc (want - 1, sizeof (*x->plan))) ||
            !(x->plan_nodes = calloc (want - 1, sizeof (*x->plan_nodes))))
            goto nomem;
        if (x->nholds == 0) { /* none held while pending: room for commit */
            free (x->holds);
            if (!(x->holds = calloc (want - 1, sizeof (*x->holds))))
                goto nomem;
        }
        for (uint32_t i = 0; i < want - 1; i++) {
            placement_init (&op);
            if (place_share (others[i], &share, &op) < 0)
                goto error;
            sched_alloc_take (&x->plan[i], &op, others[i]->desc.name);
            x->plan_nodes[i] = others[i];
            x->nplan = i + 1;
        }
    }
    if (place_share (node, &share, p) < 0)
        goto error;
    return 0;
nospace:
    errno = ENOSPC;
    return -1;
nomem:
    errno = ENOMEM;
error:
    saved = errno;
    if (x)
        plan_clear (x);
    errno = saved;
    return -1;
}

/* Take a hold's sets out of its node (or put them back). */
static void hold_apply (sched_t *s, sched_hold_t *h)
{
    const sched_alloc_t *a = &h->e->job.others[h->index];
    sched_node_t *node = h->node;

    idset_subtract (node->free_cores, a->cores);
    if (a->gpus)
        idset_subtract (node->free_gpus, a->gpus);
    node->mem_used += a->mem;
    node->njobs_held++;
    h->held = true;
    sched_node_refresh (s, node);
}

static void hold_unapply (sched_t *s, sched_hold_t *h)
{
    const sched_alloc_t *a = &h->e->job.others[h->index];
    sched_node_t *node = h->node;

    if (!h->held)
        return;
    if (node->registered) {
        (void)idset_add (node->free_cores, a->cores);
        if (a->gpus)
            (void)idset_add (node->free_gpus, a->gpus);
    }
    node->mem_used -= node->mem_used < a->mem ? node->mem_used : a->mem;
    node->njobs_held--;
    h->held = false;
    sched_node_refresh (s, node);
}

/* Take a hold off its node's list (its sets back first). */
static void hold_detach (sched_t *s, sched_hold_t *h)
{
    if (!h->node)
        return;
    hold_unapply (s, h);
    DL_DELETE2 (h->node->holds, h, prev, next);
    h->node = NULL;
}

void sched_place_commit (sched_t *s, job_entry_t *e)
{
    sched_jobx_t *x = e->x;

    if (!x || x->nplan == 0)
        return;
    sched_allocs_free (e->job.others, e->job.nothers);
    e->job.others = x->plan;
    e->job.nothers = x->nplan;
    for (uint32_t i = 0; i < x->nplan; i++) {
        sched_hold_t *h = &x->holds[i];
        memset (h, 0, sizeof (*h));
        h->e = e;
        h->index = i;
        h->node = x->plan_nodes[i];
        DL_APPEND2 (h->node->holds, h, prev, next);
        hold_apply (s, h);
    }
    x->nholds = x->nplan;
    free (x->plan_nodes);
    x->plan = NULL;
    x->plan_nodes = NULL;
    x->nplan = 0;
}

void sched_place_release (sched_t *s, job_entry_t *e)
{
    sched_jobx_t *x = e->x;

    if (!x || !x->holds)
        return;
    for (uint32_t i = 0; i < x->nholds; i++)
        hold_detach (s, &x->holds[i]);
    free (x->holds);
    x->holds = NULL;
    x->nholds = 0;
}

/* A hold that cannot stand on its node: its job loses the node (a node
 * failure for the job), and its script is killed on the first node. */
static void hold_fail (sched_t *s, sched_hold_t *h, double now, const char *why)
{
    job_entry_t *e = h->e;
    sched_node_t *first = e->where;

    hold_detach (s, h);
    if (e->job.state != JOB_RUNNING ||
        sched_dq_reserve (s, 1 + SCHED_END_DECISIONS) < 0)
        return;
    sched_dq_push (s, SCHED_KILL, e->job.id, e->job.alloc.node);
    sched_job_node_failed (s, e, now, why);
    /* requeued: it waits until the first node reports the killed run */
    if (first && e->job.state == JOB_PENDING)
        sched_job_stale_hold (s, e, first);
}

void sched_place_node_rebuilt (sched_t *s, sched_node_t *node, double now)
{
    sched_hold_t *h, *tmp;
    char why[REASON_TEXT_MAX + 1];

    /* the free sets and memory were rebuilt without the holds */
    DL_FOREACH2 (node->holds, h, next)
    {
        h->held = false;
    }
    node->njobs_held = 0;
    DL_FOREACH_SAFE2 (node->holds, h, tmp, next)
    {
        if (sched_alloc_fits (node, &h->e->job.others[h->index])) {
            hold_apply (s, h);
            continue;
        }
        snprintf (why, sizeof (why), "allocation gone from node %s", node->desc.name);
        hold_fail (s, h, now, why);
    }
}

void sched_place_node_down (sched_t *s, sched_node_t *node, double now)
{
    sched_hold_t *h, *tmp;
    char why[REASON_TEXT_MAX + 1];

    snprintf (why, sizeof (why), "node %s stopped heartbeating", node->desc.name);
    DL_FOREACH_SAFE2 (node->holds, h, tmp, next)
    {
        hold_fail (s, h, now, why);
    }
}

int sched_place_restore (sched_t *s,
                         job_entry_t *e,
                         const sched_job_t *job,
                         cphub_error_t *err)
{
    sched_jobx_t *x;

    e->job.others = NULL;
    e->job.nothers = 0;
    if (job->nothers == 0 || !job->others)
        return 0;
    if (!(e->job.others = sched_allocs_copy (job->others, job->nothers)))
        goto nomem;
    e->job.nothers = job->nothers;
    if (e->job.state != JOB_RUNNING)
        return 0; /* kept to show; held only while it runs */
    if (!(x = sched_jobx (e)) ||
        !(x->holds = calloc (job->nothers, sizeof (*x->holds))))
        goto nomem;
    for (uint32_t i = 0; i < job->nothers; i++) {
        const sched_alloc_t *a = &e->job.others[i];
        sched_node_t *node = sched_node_find (s, a->node);
        sched_hold_t *h = &x->holds[i];
        if (!node) {
            if (!(node = sched_node_create (s, a->node)))
                goto nomem;
            snprintf (node->reason, sizeof (node->reason),
                      "not registered since restart");
        }
        if (!node->registered && node->watched == WATCH_NONE)
            sched_node_watch (s, node, WATCH_UNSEEN);
        if (node->registered && !sched_alloc_fits (node, a)) {
            char cores[128] = "";
            (void)idset_encode (a->cores, cores, sizeof (cores));
            cphub_fail (err, EINVAL, "job %ju: cores %s on node %s are taken",
                        (uintmax_t)e->job.id, cores, a->node);
            goto error;
        }
        h->e = e;
        h->index = i;
        h->node = node;
        DL_APPEND2 (node->holds, h, prev, next);
        x->nholds = i + 1;
        if (node->registered)
            hold_apply (s, h);
    }
    return 0;
nomem:
    cphub_fail (err, ENOMEM, "out of memory restoring job %ju", (uintmax_t)e->job.id);
error:
    sched_node_release (s, e); /* the first node, and the holds made */
    return -1;
}
