/* sched_node.c: the node half of the scheduling core (see sched_int.h).
 * Nodes live in an array (registration order, for `cphub nodes`) and a hash
 * by name. The UP ones are also in a best-fit index: one min-heap by name per
 * count of free cores, with a bitmap of the counts that have nodes, so that
 * picking the node left with the fewest free cores costs a few heap steps
 * rather than a scan. Nodes that send heartbeats sit in a list ordered by
 * last heartbeat, so a tick looks only at those that are due. Registration
 * reconciles the agent's list of jobs with the core's: a job it no longer
 * holds failed with its node (requeued, see sched_job_node_failed), a job it
 * holds that does not run there is killed and, if requeued, held back until
 * that old run's end is reported. A drained node stays out of the fit index
 * (running jobs finish); a node restored from the store is known, DOWN or
 * DRAIN, before its agent registers. No I/O, no clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/core/sched_int.h"

/* --- the best-fit index --- */

static bool node_before (const sched_node_t *a, const sched_node_t *b)
{
    return strcmp (a->desc.name, b->desc.name) < 0;
}

static void heap_place (bucket_t *b, uint32_t i, sched_node_t *node)
{
    b->heap[i] = node;
    node->heap_pos = i;
}

static void heap_sift (bucket_t *b, uint32_t i)
{
    sched_node_t *node = b->heap[i];

    while (i > 0 && node_before (node, b->heap[(i - 1) / 2])) {
        heap_place (b, i, b->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= b->n)
            break;
        if (c + 1 < b->n && node_before (b->heap[c + 1], b->heap[c]))
            c++;
        if (!node_before (b->heap[c], node))
            break;
        heap_place (b, i, b->heap[c]);
        i = c;
    }
    heap_place (b, i, node);
}

static void index_remove (sched_t *s, sched_node_t *node)
{
    if (node->bucket < 0)
        return;
    bucket_t *b = &s->buckets[node->bucket];
    uint32_t i = node->heap_pos;
    b->n--;
    if (i < b->n) {
        heap_place (b, i, b->heap[b->n]);
        heap_sift (b, i);
    }
    if (b->n == 0)
        s->nonempty[node->bucket / 64] &= ~(1ULL << (node->bucket % 64));
    node->bucket = -1;
}

static int index_insert (sched_t *s, sched_node_t *node)
{
    int k = (int)node->nfree_cores;
    bucket_t *b = &s->buckets[k];
    size_t cap = b->cap;

    if (sched_grow ((void **)&b->heap, &cap, b->n + 1, sizeof (*b->heap)) < 0)
        return -1;
    b->cap = (uint32_t)cap;
    node->bucket = k;
    b->n++;
    heap_place (b, b->n - 1, node);
    heap_sift (b, b->n - 1);
    s->nonempty[k / 64] |= 1ULL << (k % 64);
    return 0;
}

/* Put an UP node in the bucket of its free-core count; others out. A failed
 * insert (ENOMEM) leaves the node out of the index: it gets no new jobs until
 * its next change, which is safe. */
static bool node_takes_jobs (const sched_node_t *node)
{
    return node->state == NODE_UP && node->registered && !node->drained;
}

static void index_update (sched_t *s, sched_node_t *node)
{
    if (node->bucket == (int)node->nfree_cores && node_takes_jobs (node))
        return;
    index_remove (s, node);
    if (node_takes_jobs (node))
        (void)index_insert (s, node);
}

uint64_t sched_node_free_mem (const sched_node_t *node)
{
    return node->desc.mem > node->mem_used ? node->desc.mem - node->mem_used : 0;
}

/* --- nodes --- */

static void node_recount (sched_node_t *node)
{
    node->nfree_cores = (uint32_t)idset_count (node->free_cores);
    node->nfree_gpus = (uint32_t)idset_count (node->free_gpus);
}

void sched_node_refresh (sched_t *s, sched_node_t *node)
{
    node_recount (node);
    index_update (s, node);
}

static void node_destroy (sched_node_t *node)
{
    if (!node)
        return;
    node_desc_clear (&node->desc);
    idset_destroy (node->free_cores);
    idset_destroy (node->free_gpus);
    free (node);
}

/* A new node with no description, in the hash and the array. */
sched_node_t *sched_node_create (sched_t *s, const char *name)
{
    sched_node_t *node = calloc (1, sizeof (*node));
    size_t cap = s->nodes_cap;

    if (!node)
        goto error;
    node_desc_init (&node->desc);
    snprintf (node->desc.name, sizeof (node->desc.name), "%s", name);
    node->state = NODE_DOWN;
    node->bucket = -1;
    if (!(node->free_cores = idset_create ()) || !(node->free_gpus = idset_create ()))
        goto error;
    if (sched_grow ((void **)&s->nodes, &cap, s->nnodes + 1, sizeof (*s->nodes)) < 0)
        goto error;
    s->nodes_cap = (uint32_t)cap;
    HASH_ADD_STR (s->by_name, desc.name, node);
    if (node->oom)
        goto error;
    node->index = s->nnodes;
    s->nodes[s->nnodes++] = node;
    return node;
error:
    node_destroy (node);
    errno = ENOMEM;
    return NULL;
}

sched_node_t *sched_node_find (const sched_t *s, const char *name)
{
    sched_node_t *node = NULL;

    HASH_FIND_STR (s->by_name, name, node);
    return node;
}

/* Move node to the tail of a heartbeat list (or out of both). */
void sched_node_watch (sched_t *s, sched_node_t *node, int which)
{
    if (node->watched == WATCH_HEARTBEAT)
        DL_DELETE2 (s->watch, node, hb_prev, hb_next);
    else if (node->watched == WATCH_UNSEEN)
        DL_DELETE2 (s->unseen, node, hb_prev, hb_next);
    node->hb_prev = node->hb_next = NULL;
    node->watched = which;
    if (which == WATCH_HEARTBEAT)
        DL_APPEND2 (s->watch, node, hb_prev, hb_next);
    else if (which == WATCH_UNSEEN)
        DL_APPEND2 (s->unseen, node, hb_prev, hb_next);
}

/* Hold or give back a job's allocation on its node. */
void sched_node_hold (sched_t *s, sched_node_t *node, job_entry_t *e)
{
    idset_subtract (node->free_cores, e->job.alloc.cores);
    if (e->job.alloc.gpus)
        idset_subtract (node->free_gpus, e->job.alloc.gpus);
    node->mem_used += e->job.alloc.mem;
    node->njobs++;
    DL_APPEND2 (node->jobs, e, node_prev, node_next);
    e->where = node;
    node_recount (node);
    index_update (s, node);
}

void sched_node_release (sched_t *s, job_entry_t *e)
{
    sched_node_t *node = e->where;

    sched_place_release (s, e); /* a multi-node job's other nodes */
    if (!node)
        return;
    if (node->registered) {
        (void)idset_add (node->free_cores, e->job.alloc.cores);
        if (e->job.alloc.gpus)
            (void)idset_add (node->free_gpus, e->job.alloc.gpus);
    }
    node->mem_used -=
        node->mem_used < e->job.alloc.mem ? node->mem_used : e->job.alloc.mem;
    node->njobs--;
    DL_DELETE2 (node->jobs, e, node_prev, node_next);
    e->where = NULL;
    node_recount (node);
    index_update (s, node);
}

/* --- events: nodes --- */

static bool desc_same_resources (const node_desc_t *a, const node_desc_t *b)
{
    if (a->npackages != b->npackages || a->nnuma != b->nnuma ||
        a->ncores != b->ncores || a->ngpus != b->ngpus || a->mem != b->mem)
        return false;
    for (uint32_t i = 0; i < a->nnuma; i++)
        if (a->numa_mem && b->numa_mem && a->numa_mem[i] != b->numa_mem[i])
            return false;
    for (uint32_t i = 0; i < a->ncores; i++) {
        const node_core_t *x = &a->cores[i], *y = &b->cores[i];
        if (x->package != y->package || x->numa != y->numa || x->l3 != y->l3 ||
            strcmp (x->pus, y->pus) != 0)
            return false;
    }
    for (uint32_t i = 0; i < a->ngpus; i++)
        if (a->gpus[i].numa != b->gpus[i].numa ||
            strcmp (a->gpus[i].name, b->gpus[i].name))
            return false;
    return true;
}

static int id_cmp (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static bool held (const uint64_t *ids, uint32_t n, uint64_t id)
{
    return n > 0 && bsearch (&id, ids, n, sizeof (*ids), id_cmp) != NULL;
}

/* Remember the capacity among the Pareto-largest ones (room reserved). */
static void caps_add (sched_t *s, const node_desc_t *desc)
{
    place_capacity_t cap;
    size_t j = 0;

    place_capacity_of (desc, &cap);
    for (size_t i = 0; i < s->ncaps; i++) {
        const place_capacity_t *c = &s->caps[i];
        if (c->cores >= cap.cores && c->gpus >= cap.gpus && c->mem >= cap.mem)
            return;
    }
    for (size_t i = 0; i < s->ncaps; i++) {
        const place_capacity_t *c = &s->caps[i];
        if (!(cap.cores >= c->cores && cap.gpus >= c->gpus && cap.mem >= c->mem))
            s->caps[j++] = *c;
    }
    s->caps[j++] = cap;
    s->ncaps = j;
}

/* Ids of set all below limit and in free? */
static bool ids_free (const idset_t *set, uint32_t limit, const idset_t *free)
{
    for (int id = idset_first (set); id != IDSET_NONE; id = idset_next (set, id))
        if ((uint32_t)id >= limit || !idset_test (free, id))
            return false;
    return true;
}

bool sched_alloc_fits (const sched_node_t *node, const sched_alloc_t *a)
{
    return ids_free (a->cores, node->desc.ncores, node->free_cores) &&
           ids_free (a->gpus, node->desc.ngpus, node->free_gpus);
}

/* Rebuild what is free from the description and the jobs still running. */
static void node_rebuild (sched_t *s, sched_node_t *node, double now)
{
    job_entry_t *e, *tmp;
    job_entry_t *running = node->jobs;
    char why[256];

    idset_clear_all (node->free_cores);
    idset_clear_all (node->free_gpus);
    for (uint32_t i = 0; i < node->desc.ncores; i++)
        (void)idset_set (node->free_cores, (int)i);
    for (uint32_t i = 0; i < node->desc.ngpus; i++)
        (void)idset_set (node->free_gpus, (int)i);
    node->mem_used = 0;
    node->njobs = 0;
    node->jobs = NULL;
    DL_FOREACH_SAFE2 (running, e, tmp, node_next)
    {
        DL_DELETE2 (running, e, node_prev, node_next);
        e->where = NULL;
        if (sched_alloc_fits (node, &e->job.alloc)) {
            sched_node_hold (s, node, e);
            continue;
        }
        /* its cores are not free there any more: end the run (nothing to
         * give back) and hold the job until the agent reports the end of
         * what it still runs */
        snprintf (why, sizeof (why), "allocation gone from node %s", node->desc.name);
        sched_job_node_failed (s, e, now, why);
        sched_job_stale_hold (s, e, node);
        sched_dq_push (s, SCHED_KILL, e->job.id, node->desc.name);
    }
    node_recount (node);
    sched_place_node_rebuilt (s, node, now); /* multi-node jobs' holds here */
}

int sched_node_register (sched_t *s,
                         const node_desc_t *desc,
                         double now,
                         cphub_error_t *err)
{
    sched_node_t *node = NULL;
    uint64_t *ids = NULL;
    node_desc_t copy;
    job_entry_t *e, *tmp;
    size_t caps_cap = s->caps_cap;
    uint32_t survivors = 0;
    char why[256];

    node_desc_init (&copy);
    if (node_desc_validate (desc, err) < 0)
        return -1;
    node = sched_node_find (s, desc->name);
    if (desc->njobs > 0 && !(ids = malloc (desc->njobs * sizeof (*ids))))
        goto nomem;
    if (ids) {
        memcpy (ids, desc->jobs, desc->njobs * sizeof (*ids));
        qsort (ids, desc->njobs, sizeof (*ids), id_cmp);
    }
    if (node) {
        DL_FOREACH2 (node->jobs, e, node_next)
        {
            survivors += held (ids, desc->njobs, e->job.id);
        }
    }
    if (node && node->registered && survivors > 0 &&
        !desc_same_resources (&node->desc, desc)) {
        free (ids);
        return cphub_fail (err, EINVAL,
                           "node %s changed its cores, GPUs or memory while %u of its "
                           "jobs still run",
                           desc->name, survivors);
    }
    /* room first, so that nothing below can fail half-way: per job an
     * account, a change and a kill; one node change */
    size_t decisions = 3 * ((node ? node->njobs : 0) + (size_t)desc->njobs) + 1;
    if (sched_dq_reserve (s, decisions) < 0)
        goto nomem;
    if (sched_grow ((void **)&s->caps, &caps_cap, s->ncaps + 1, sizeof (*s->caps)) < 0)
        goto nomem;
    if (node_desc_copy (&copy, desc) < 0)
        goto nomem;
    if (!node && !(node = sched_node_create (s, desc->name)))
        goto nomem;
    s->caps_cap = caps_cap;
    /* what the agent no longer holds is lost (or, if its job.run did not
     * or may not have gone out, never ran: in line again); earlier runs it no longer
     * holds hold their jobs back no more */
    DL_FOREACH_SAFE2 (node->jobs, e, tmp, node_next)
    {
        if (held (ids, desc->njobs, e->job.id)) {
            e->run_reach = RUN_REACHED; /* it runs there */
            continue;
        }
        snprintf (why, sizeof (why), "node %s restarted without it", desc->name);
        sched_job_run_lost (s, e, true, now, why);
    }
    DL_FOREACH_SAFE2 (node->stale, e, tmp, stale_next)
    {
        if (!held (ids, desc->njobs, e->job.id))
            sched_job_stale_release (s, e);
    }
    free (copy.jobs);
    copy.jobs = NULL;
    copy.njobs = 0;
    node_desc_clear (&node->desc);
    node->desc = copy;
    node->registered = true;
    node_rebuild (s, node, now);
    /* what the agent holds and should not run is killed (and a job whose
     * earlier run it is waits for that run's end); pending kills again. Only
     * a job whose last run was placed here can have an earlier run here: a
     * claim to any other job (never started, running elsewhere, last run on
     * another node) speaks for another node's job and is not believed; it
     * only gets the kill, on this node. */
    for (uint32_t i = 0; i < desc->njobs; i++) {
        e = sched_job_find (s, desc->jobs[i]);
        if (e && e->where != node && sched_job_ran_on (e, node))
            sched_job_stale_hold (s, e, node);
        if (!e || e->where != node || e->job.kill_sent)
            sched_dq_push (s, SCHED_KILL, desc->jobs[i], node->desc.name);
    }
    free (ids);
    node->has_desc = true;
    node->state = NODE_UP;
    node->reason[0] = '\0';
    node->last_seen = now;
    sched_node_watch (s, node, WATCH_HEARTBEAT);
    index_update (s, node);
    caps_add (s, &node->desc);
    sched_dq_push (s, SCHED_NODE_CHANGED, 0, node->desc.name);
    return 0;
nomem:
    free (ids);
    node_desc_clear (&copy);
    return cphub_fail (err, ENOMEM, "out of memory registering node %s", desc->name);
}

bool sched_job_ran_on (const job_entry_t *e, const sched_node_t *node)
{
    /* a job restored from the store does not know where its last run was:
     * it is believed, as the lesser harm than running it twice */
    return e->job.runs > 0 && e->job.state == JOB_PENDING &&
           (e->last_node[0] == '\0' || strcmp (e->last_node, node->desc.name) == 0);
}

void sched_node_start_ok (sched_node_t *node)
{
    node->start_failures = 0;
}

int sched_node_heartbeat (sched_t *s, const char *node, double now)
{
    sched_node_t *n = sched_node_find (s, node);

    if (!n || !n->registered || n->state == NODE_DOWN) {
        errno = ENOENT; /* unknown, or marked down: it must register again */
        return -1;
    }
    n->last_seen = now;
    sched_node_watch (s, n, WATCH_HEARTBEAT);
    return 0;
}

/* A node went silent: DOWN, and what ran there failed with it. -1/ENOMEM if
 * there was no room for the decisions (nothing changed then). */
static int node_down (sched_t *s, sched_node_t *node, double now)
{
    job_entry_t *e, *tmp;
    char why[256];

    if (sched_dq_reserve (s, SCHED_END_DECISIONS * (size_t)node->njobs + 1) < 0)
        return -1;
    node->state = NODE_DOWN;
    snprintf (node->reason, sizeof (node->reason), "%s",
              node->registered ? "stopped heartbeating"
                               : "did not register again after a scheduler restart");
    snprintf (why, sizeof (why), "node %s %s", node->desc.name, node->reason);
    sched_node_watch (s, node, WATCH_NONE);
    index_update (s, node);
    /* what it held back can go elsewhere; if it comes back still holding
     * an earlier run, its registration holds that job again */
    DL_FOREACH_SAFE2 (node->stale, e, tmp, stale_next)
    {
        sched_job_stale_release (s, e);
    }
    DL_FOREACH_SAFE2 (node->jobs, e, tmp, node_next)
    {
        sched_job_run_lost (s, e, false, now, why);
    }
    sched_place_node_down (s, node, now); /* multi-node jobs holding cores here */
    sched_dq_push (s, SCHED_NODE_CHANGED, 0, node->desc.name);
    return 0;
}

void sched_node_set_drain (sched_t *s,
                           sched_node_t *node,
                           bool drain,
                           const char *reason)
{
    if (drain) {
        if (node->drained && strcmp (node->drain_reason, reason) == 0)
            return;
        snprintf (node->drain_reason, sizeof (node->drain_reason), "%s", reason);
    } else {
        node->start_failures = 0; /* an operator's resume: a fresh start */
        if (!node->drained)
            return;
        node->drain_reason[0] = '\0';
    }
    node->drained = drain;
    index_update (s, node);
    sched_dq_push (s, SCHED_NODE_CHANGED, 0, node->desc.name);
}

int sched_node_drain (sched_t *s,
                      const char *node,
                      bool drain,
                      const char *reason,
                      double now,
                      cphub_error_t *err)
{
    sched_node_t *n = node ? sched_node_find (s, node) : NULL;

    (void)now;
    if (!n)
        return cphub_fail (err, ENOENT, "no node named '%.64s'", node ? node : "");
    if (sched_dq_reserve (s, 1) < 0)
        return cphub_fail (err, ENOMEM, "out of memory draining node %s", node);
    sched_node_set_drain (s, n, drain,
                          reason && reason[0] ? reason : "drained by an operator");
    return 0;
}

int sched_node_restore (sched_t *s,
                        const node_desc_t *desc,
                        node_state_t state,
                        const char *reason,
                        cphub_error_t *err)
{
    sched_node_t *node;
    node_desc_t copy;
    size_t caps_cap = s->caps_cap;

    if (node_desc_validate (desc, err) < 0)
        return -1;
    node = sched_node_find (s, desc->name);
    if (node && node->registered)
        return cphub_fail (err, EEXIST, "node %s has registered already", desc->name);
    node_desc_init (&copy);
    if (sched_grow ((void **)&s->caps, &caps_cap, s->ncaps + 1, sizeof (*s->caps)) <
            0 ||
        node_desc_copy (&copy, desc) < 0 ||
        (!node && !(node = sched_node_create (s, desc->name)))) {
        node_desc_clear (&copy);
        return cphub_fail (err, ENOMEM, "out of memory restoring node %s", desc->name);
    }
    s->caps_cap = caps_cap;
    free (copy.jobs);
    copy.jobs = NULL;
    copy.njobs = 0;
    node_desc_clear (&node->desc);
    node->desc = copy;
    node->has_desc = true;
    node->state = NODE_DOWN;
    node->drained = state == NODE_DRAIN;
    snprintf (
        node->drain_reason, sizeof (node->drain_reason), "%s",
        node->drained ? (reason && reason[0] ? reason : "drained by an operator") : "");
    snprintf (node->reason, sizeof (node->reason), "%s",
              !node->drained && reason && reason[0] ? reason
                                                    : "not registered since restart");
    caps_add (s, &node->desc);
    return 0;
}

uint32_t sched_node_count (const sched_t *s)
{
    return s->nnodes;
}

int sched_node_info (const sched_t *s, uint32_t i, node_info_t *info)
{
    const sched_node_t *node;

    if (i >= s->nnodes) {
        errno = ENOENT;
        return -1;
    }
    node = s->nodes[i];
    memset (info, 0, sizeof (*info));
    snprintf (info->name, sizeof (info->name), "%s", node->desc.name);
    info->state = node->drained ? NODE_DRAIN : node->state;
    snprintf (info->reason, sizeof (info->reason), "%s",
              node->drained ? node->drain_reason : node->reason);
    info->cores = node->desc.ncores;
    info->gpus = node->desc.ngpus;
    info->mem = node->desc.mem;
    if (node->registered) {
        info->cores_used = node->desc.ncores - node->nfree_cores;
        info->gpus_used = node->desc.ngpus - node->nfree_gpus;
    }
    info->mem_used = node->mem_used;
    info->numa = node->desc.nnuma;
    info->jobs = node->njobs + node->njobs_held;
    snprintf (info->features, sizeof (info->features), "%s", node->desc.features);
    snprintf (info->topology, sizeof (info->topology), "%s", node->desc.topology);
    info->binding = node->desc.binding;
    info->last_seen = node->last_seen;
    snprintf (info->isolation, sizeof (info->isolation), "%s", node->desc.isolation);
    info->simulated = node->desc.simulated;
    return 0;
}

const node_desc_t *sched_node_desc (const sched_t *s, const char *node)
{
    const sched_node_t *n = sched_node_find (s, node);

    return n && (n->registered || n->has_desc) ? &n->desc : NULL;
}

int sched_node_index (const sched_t *s, const char *node, uint32_t *index)
{
    const sched_node_t *n = node ? sched_node_find (s, node) : NULL;

    if (!n) {
        errno = ENOENT;
        return -1;
    }
    *index = n->index;
    return 0;
}

int sched_node_lookup (const sched_t *s, const char *node, node_info_t *info)
{
    const sched_node_t *n = node ? sched_node_find (s, node) : NULL;

    if (!n) {
        errno = ENOENT;
        return -1;
    }
    return sched_node_info (s, n->index, info);
}

void sched_nodes_check (sched_t *s, double now)
{
    sched_node_t *node, *tmp;

    DL_FOREACH_SAFE2 (s->unseen, node, tmp, hb_next)
    {
        node->last_seen = now;
        sched_node_watch (s, node, WATCH_HEARTBEAT);
    }
    if (s->cfg.heartbeat_timeout <= 0)
        return;
    /* Ticks more than stall_after apart: the scheduler itself was away
     * (stopped, or stalled on its disk), and heard nobody. Its absence is
     * not the nodes' fault: each gets a whole timeout from now to be heard
     * (what they sent meanwhile is on its way). */
    if (s->cfg.stall_after > 0 && s->last_check > 0 &&
        now - s->last_check > s->cfg.stall_after)
        s->hb_grace_until = now + s->cfg.heartbeat_timeout;
    s->last_check = now;
    if (now < s->hb_grace_until)
        return;
    while (s->watch && now - s->watch->last_seen > s->cfg.heartbeat_timeout) {
        if (node_down (s, s->watch, now) < 0)
            break; /* out of memory: try again next tick */
    }
}

void sched_nodes_destroy (sched_t *s)
{
    HASH_CLEAR (hh, s->by_name);
    for (uint32_t i = 0; i < s->nnodes; i++)
        node_destroy (s->nodes[i]);
    for (uint32_t k = 0; k < SCHED_BUCKETS; k++)
        free (s->buckets[k].heap);
    free (s->nodes);
    free (s->caps);
}
