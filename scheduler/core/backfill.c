/* backfill.c: the scheduling pass of backfill.h. Three parts:
 *  - ordering: every pending job gets its priority (priority.h) and a 64-bit
 *    key; one stable LSD radix sort over the keys (the pending list is in id
 *    order, so equal priorities stay in id order);
 *  - fitting now: the core's best-fit index (buckets of nodes by free cores)
 *    is walked from the job's core count upward, skipping nodes whose GPUs,
 *    memory or reservations say no; needs that fitted nowhere are remembered
 *    for the rest of the pass (free resources only shrink during a pass), so
 *    a long queue behind a full hub costs one failed look-up per job;
 *  - the future: per node, lazily, a profile of what its running jobs give
 *    back and when (start + wall time, sorted, as running sums) plus the
 *    reservations made in this pass. A reservation is the earliest time at
 *    which a node (or, for a job spanning nodes, that many nodes at once)
 *    has the job's share free for its whole wall time; a job starts now on
 *    a node with reservations only when it fits there through its own wall
 *    time. Available resources change only when a running job ends (they
 *    grow) and when a reservation starts (they shrink), so checking a window
 *    means checking its start and the reservation starts inside it.
 * Scratch arrays live in backfill_t and are reused from pass to pass.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/core/sched_int.h"

#define NONE UINT32_MAX
#define MEMO_MAX 64
#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)
#define RADIX_PASSES ((64 + RADIX_BITS - 1) / RADIX_BITS)
#define PREFETCH_AHEAD 8 /* jobs */

/* What a job needs on each of its nodes. */
typedef struct bf_need {
    int64_t cores;
    int64_t gpus;
    int64_t mem;
    uint32_t nodes;
    bool exclusive;
    const void *cons; /* its parsed constraint (shared by equal texts), or NULL */
} bf_need_t;

/* Resources at some time on one node (signed: reservations subtract). */
typedef struct bf_amount {
    int64_t cores;
    int64_t gpus;
    int64_t mem;
} bf_amount_t;

typedef struct bf_item {
    uint64_t key;
    job_entry_t *e;
} bf_item_t;

/* Running sums of what a node's running jobs give back up to time. */
typedef struct bf_event {
    double time;
    bf_amount_t back;
} bf_event_t;

typedef struct bf_resv {
    double start, end;
    bf_amount_t use;
    uint32_t next; /* next reservation on the same node, or NONE */
} bf_resv_t;

typedef struct bf_slot {
    sched_node_t *node;
    uint32_t ev_off, nev;
    bool built;
    uint32_t resv; /* first reservation, or NONE */
} bf_slot_t;

/* A node's earliest start, for jobs spanning nodes. */
typedef struct bf_cand {
    double t;
    uint32_t slot;
} bf_cand_t;

struct backfill {
    bf_item_t *items, *sorted;
    size_t items_cap;
    uint32_t counts[RADIX_PASSES][RADIX_SIZE];
    bf_event_t *ev;
    size_t nev, ev_cap;
    bf_resv_t *resv;
    size_t nresv, resv_cap;
    bf_slot_t *slots;
    size_t nslots, slots_cap;
    double *times;
    size_t times_cap;
    bf_cand_t *cands;
    size_t cands_cap;
    bf_need_t memo[MEMO_MAX]; /* needs that fit nowhere now */
    uint32_t nmemo;
    uint32_t futile; /* reservations sought in vain this pass */
    uint64_t pass_id;
    uint64_t passes;
    uint64_t seen_gen;
    double last_pass;
    size_t last_pending; /* jobs the last pass ordered */
    double now;
};

backfill_t *backfill_create (void)
{
    backfill_t *bf = calloc (1, sizeof (*bf));

    if (!bf)
        errno = ENOMEM;
    return bf;
}

void backfill_destroy (backfill_t *bf)
{
    if (!bf)
        return;
    free (bf->items);
    free (bf->sorted);
    free (bf->ev);
    free (bf->resv);
    free (bf->slots);
    free (bf->times);
    free (bf->cands);
    free (bf);
}

uint64_t backfill_passes (const sched_t *s)
{
    return s->bf ? s->bf->passes : 0;
}

/* --- ordering ----------------------------------------------------------------- */

/* Higher priority first: the key orders ascending. */
static uint64_t priority_key (double p)
{
    uint64_t u;

    if (isnan (p))
        p = -INFINITY;
    memcpy (&u, &p, sizeof (u));
    u = (u >> 63) ? ~u : u | (1ULL << 63);
    return ~u;
}

/* Stable LSD radix sort of items[0..n) into *out (items or sorted). */
static bf_item_t *radix_sort (backfill_t *bf, size_t n)
{
    bf_item_t *src = bf->items, *dst = bf->sorted;

    memset (bf->counts, 0, sizeof (bf->counts));
    for (size_t i = 0; i < n; i++)
        for (int d = 0; d < RADIX_PASSES; d++)
            bf->counts[d][(src[i].key >> (d * RADIX_BITS)) & (RADIX_SIZE - 1)]++;
    for (int d = 0; d < RADIX_PASSES; d++) {
        uint32_t *c = bf->counts[d];
        uint32_t sum = 0;
        bool trivial = false;
        for (uint32_t b = 0; b < RADIX_SIZE; b++) {
            if (c[b] == n)
                trivial = true;
            uint32_t k = c[b];
            c[b] = sum;
            sum += k;
        }
        if (trivial)
            continue; /* every key has the same digit here */
        for (size_t i = 0; i < n; i++)
            dst[c[(src[i].key >> (d * RADIX_BITS)) & (RADIX_SIZE - 1)]++] = src[i];
        bf_item_t *tmp = src;
        src = dst;
        dst = tmp;
    }
    return src;
}

/* Priorities of all pending jobs, sorted. NULL/ENOMEM; *n their number. */
static bf_item_t *order_pending (sched_t *s, backfill_t *bf, double now, size_t *n)
{
    size_t count = 0;

    prio_refresh (s->prio, now, sched_largest_cores (s));
    for (job_entry_t *e = s->pend_head; e;
         e = e->job.next_pending ? (job_entry_t *)(void *)e->job.next_pending : NULL) {
        if (count == bf->items_cap) {
            size_t cap = bf->items_cap, cap2 = bf->items_cap;
            if (sched_grow ((void **)&bf->items, &cap, count + 1, sizeof (bf_item_t)) <
                    0 ||
                sched_grow ((void **)&bf->sorted, &cap2, count + 1,
                            sizeof (bf_item_t)) < 0)
                return NULL;
            bf->items_cap = cap < cap2 ? cap : cap2;
        }
        prio_tenant_t *t = sched_job_tenant (s, e);
        double p = t ? prio_job (s->prio, t, sched_job_age_from (&e->job),
                                 jobspec_cores (&e->job.spec), e->job.boost, now, NULL)
                     : e->job.boost;
        e->job.priority = p;
        bf->items[count].key = priority_key (p);
        bf->items[count].e = e;
        count++;
    }
    *n = count;
    return radix_sort (bf, count);
}

/* --- needs and nodes ----------------------------------------------------------- */

static void need_of (const job_entry_t *e, bf_need_t *need)
{
    const jobspec_t *spec = &e->job.spec;
    jobspec_t share;

    need->nodes = jobspec_nodes (spec);
    need->exclusive = spec->exclusive;
    need->cons = e->x ? (const void *)e->x->cons : NULL;
    if (need->nodes == 1) { /* a one-node job's share is its own counts */
        need->cores = jobspec_cores (spec);
        need->gpus = spec->gpus;
        need->mem = (int64_t)spec->mem;
        return;
    }
    jobspec_node_share (spec, &share);
    need->cores = jobspec_cores (&share);
    need->gpus = share.gpus;
    need->mem = (int64_t)share.mem;
    jobspec_clear (&share);
}

static bool node_takes_jobs (const sched_node_t *node)
{
    return node->state == NODE_UP && node->registered && !node->drained;
}

/* May the job run on this node at all (state, features)? */
static bool node_eligible (const sched_node_t *node, const job_entry_t *e)
{
    return node_takes_jobs (node) && sched_job_node_ok (e, node);
}

/* The job's need on this node: an exclusive job takes all of it. */
static bf_amount_t need_on (const sched_node_t *node, const bf_need_t *need)
{
    bf_amount_t a = {need->cores, need->gpus, need->mem};

    if (need->exclusive) {
        a.cores = node->desc.ncores;
        a.gpus = node->desc.ngpus;
        a.mem = (int64_t)node->desc.mem;
    }
    return a;
}

static bool covers (const bf_amount_t *have, const bf_amount_t *want)
{
    return have->cores >= want->cores && have->gpus >= want->gpus &&
           have->mem >= want->mem;
}

static bf_amount_t free_now (const sched_node_t *node)
{
    bf_amount_t a = {node->nfree_cores, node->nfree_gpus,
                     (int64_t)sched_node_free_mem (node)};
    return a;
}

/* --- profiles ------------------------------------------------------------------ */

/* The node's slot in this pass, created when asked. NONE/ENOMEM. */
static uint32_t slot_of (backfill_t *bf, sched_node_t *node, bool create)
{
    if (node->bf_pass == bf->pass_id)
        return node->bf_slot;
    if (!create)
        return NONE;
    if (sched_grow ((void **)&bf->slots, &bf->slots_cap, bf->nslots + 1,
                    sizeof (*bf->slots)) < 0)
        return NONE;
    bf_slot_t *sl = &bf->slots[bf->nslots];
    sl->node = node;
    sl->built = false;
    sl->nev = 0;
    sl->resv = NONE;
    node->bf_pass = bf->pass_id;
    node->bf_slot = (uint32_t)bf->nslots++;
    return node->bf_slot;
}

static int event_cmp (const void *a, const void *b)
{
    double x = ((const bf_event_t *)a)->time, y = ((const bf_event_t *)b)->time;

    return x < y ? -1 : x > y;
}

/* When a job holding these sets gives them back: its start + wall time, or
 * just after now for a job past its wall time (it is about to be killed). */
static void event_set (const backfill_t *bf,
                       bf_event_t *ev,
                       const sched_job_t *job,
                       const idset_t *cores,
                       const idset_t *gpus,
                       uint64_t mem)
{
    double end = job->start_time + (double)job->walltime;

    ev->time = end > bf->now ? end : bf->now + 1;
    ev->back.cores = cores ? idset_count (cores) : 0;
    ev->back.gpus = gpus ? idset_count (gpus) : 0;
    ev->back.mem = (int64_t)mem;
}

/* What the node's running jobs (and the multi-node jobs holding part of it)
 * give back and when, as running sums. */
static int slot_build (backfill_t *bf, bf_slot_t *sl)
{
    sched_node_t *node = sl->node;
    job_entry_t *e;
    sched_hold_t *h;
    size_t off = bf->nev, k = 0;

    if (sched_grow ((void **)&bf->ev, &bf->ev_cap,
                    bf->nev + node->njobs + node->njobs_held, sizeof (*bf->ev)) < 0)
        return -1;
    DL_FOREACH2 (node->jobs, e, node_next)
    {
        event_set (bf, &bf->ev[off + k++], &e->job, e->job.alloc.cores,
                   e->job.alloc.gpus, e->job.alloc.mem);
    }
    DL_FOREACH (node->holds, h)
    {
        if (!h->held || k >= (size_t)node->njobs + node->njobs_held)
            continue;
        const sched_alloc_t *a = &h->e->job.others[h->index];
        event_set (bf, &bf->ev[off + k++], &h->e->job, a->cores, a->gpus, a->mem);
    }
    qsort (&bf->ev[off], k, sizeof (*bf->ev), event_cmp);
    for (size_t i = 1; i < k; i++) {
        bf->ev[off + i].back.cores += bf->ev[off + i - 1].back.cores;
        bf->ev[off + i].back.gpus += bf->ev[off + i - 1].back.gpus;
        bf->ev[off + i].back.mem += bf->ev[off + i - 1].back.mem;
    }
    sl->ev_off = (uint32_t)off;
    sl->nev = (uint32_t)k;
    sl->built = true;
    bf->nev += k;
    return 0;
}

/* The slot of node with its profile built. NONE/ENOMEM. */
static uint32_t slot_ready (backfill_t *bf, sched_node_t *node)
{
    uint32_t i = slot_of (bf, node, true);

    if (i != NONE && !bf->slots[i].built && slot_build (bf, &bf->slots[i]) < 0)
        return NONE;
    return i;
}

/* Index of the last event at or before t, or -1. */
static long last_event (const backfill_t *bf, const bf_slot_t *sl, double t)
{
    long lo = 0, hi = (long)sl->nev - 1, found = -1;

    while (lo <= hi) {
        long mid = (lo + hi) / 2;
        if (bf->ev[sl->ev_off + mid].time <= t) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

/* What the node has free at time t (>= now). */
static bf_amount_t avail_at (const backfill_t *bf, const bf_slot_t *sl, double t)
{
    bf_amount_t a = free_now (sl->node);
    long i = last_event (bf, sl, t);

    if (i >= 0) {
        const bf_amount_t *back = &bf->ev[sl->ev_off + i].back;
        a.cores += back->cores;
        a.gpus += back->gpus;
        a.mem += back->mem;
    }
    for (uint32_t r = sl->resv; r != NONE; r = bf->resv[r].next) {
        const bf_resv_t *rv = &bf->resv[r];
        if (rv->start <= t && t < rv->end) {
            a.cores -= rv->use.cores;
            a.gpus -= rv->use.gpus;
            a.mem -= rv->use.mem;
        }
    }
    return a;
}

/* Does want stay free on the node from t for duration? */
static bool window_ok (const backfill_t *bf,
                       const bf_slot_t *sl,
                       const bf_amount_t *want,
                       double t,
                       double duration)
{
    bf_amount_t a = avail_at (bf, sl, t);

    if (!covers (&a, want))
        return false;
    for (uint32_t r = sl->resv; r != NONE; r = bf->resv[r].next) {
        double rs = bf->resv[r].start;
        if (rs > t && rs < t + duration) {
            a = avail_at (bf, sl, rs);
            if (!covers (&a, want))
                return false;
        }
    }
    return true;
}

static int time_cmp (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* The earliest time before limit at which want fits on the slot's node for
 * duration; INFINITY if none. Candidates: now, each time a running job gives
 * back (from the first at which enough is back at all) and each end of a
 * reservation. */
static double earliest_on (backfill_t *bf,
                           uint32_t slot,
                           const bf_amount_t *want,
                           double duration,
                           double limit)
{
    const bf_slot_t *sl = &bf->slots[slot];
    bf_amount_t base = free_now (sl->node);
    size_t n = 0;

    if (sched_grow ((void **)&bf->times, &bf->times_cap, sl->nev + 1 + bf->nresv,
                    sizeof (*bf->times)) < 0)
        return INFINITY;
    if (covers (&base, want))
        bf->times[n++] = bf->now;
    for (uint32_t i = 0; i < sl->nev; i++) {
        const bf_event_t *ev = &bf->ev[sl->ev_off + i];
        bf_amount_t a = {base.cores + ev->back.cores, base.gpus + ev->back.gpus,
                         base.mem + ev->back.mem};
        if (covers (&a, want) &&
            (i + 1 == sl->nev || bf->ev[sl->ev_off + i + 1].time != ev->time))
            bf->times[n++] = ev->time;
    }
    if (sl->resv != NONE) {
        for (uint32_t r = sl->resv; r != NONE; r = bf->resv[r].next)
            bf->times[n++] = bf->resv[r].end;
        qsort (bf->times, n, sizeof (*bf->times), time_cmp);
    }
    for (size_t i = 0; i < n && bf->times[i] < limit; i++) {
        if (i > 0 && bf->times[i] == bf->times[i - 1])
            continue;
        if (window_ok (bf, sl, want, bf->times[i], duration))
            return bf->times[i];
    }
    return INFINITY;
}

static int resv_add (backfill_t *bf,
                     uint32_t slot,
                     double start,
                     double duration,
                     const bf_amount_t *use)
{
    if (sched_grow ((void **)&bf->resv, &bf->resv_cap, bf->nresv + 1,
                    sizeof (*bf->resv)) < 0)
        return -1;
    bf_resv_t *rv = &bf->resv[bf->nresv];
    rv->start = start;
    rv->end = start + duration;
    rv->use = *use;
    rv->next = bf->slots[slot].resv;
    bf->slots[slot].resv = (uint32_t)bf->nresv++;
    return 0;
}

static int cand_cmp (const void *a, const void *b)
{
    const bf_cand_t *x = a, *y = b;

    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* The later times at which a job spanning nodes may start when it cannot at
 * first: every time after first at which one of the nodes' own earliest
 * starts comes (cands[0..n)), a running job gives back there, or a
 * reservation ends. A node's own earliest window may be cut short by a
 * reservation that starts inside the job's wall time; it fits again when one
 * of these comes. Sorted and unique into bf->times; returns how many, or
 * 0/ENOMEM. */
static size_t multi_times (backfill_t *bf, size_t n, double first)
{
    size_t want = n + bf->nresv, k = 0, u = 0;

    for (size_t j = 0; j < n; j++)
        want += bf->slots[bf->cands[j].slot].nev;
    if (sched_grow ((void **)&bf->times, &bf->times_cap, want, sizeof (*bf->times)) < 0)
        return 0;
    for (size_t j = 0; j < n; j++) {
        const bf_slot_t *sl = &bf->slots[bf->cands[j].slot];
        bf->times[k] = bf->cands[j].t;
        k += bf->times[k] > first;
        for (uint32_t i = 0; i < sl->nev; i++) {
            bf->times[k] = bf->ev[sl->ev_off + i].time;
            k += bf->times[k] > first;
        }
    }
    for (size_t r = 0; r < bf->nresv; r++) {
        bf->times[k] = bf->resv[r].end;
        k += bf->times[k] > first;
    }
    qsort (bf->times, k, sizeof (*bf->times), time_cmp);
    for (size_t i = 0; i < k; i++)
        if (u == 0 || bf->times[i] != bf->times[u - 1])
            bf->times[u++] = bf->times[i];
    return u;
}

/* Do need->nodes of cands[0..ready) hold the job from t for duration? Takes
 * those whose own earliest start is latest and, when reserve, records the
 * reservation there. 1 yes, 0 no, -1/ENOMEM. */
static int multi_fit_at (backfill_t *bf,
                         size_t ready,
                         const bf_need_t *need,
                         double t,
                         double duration,
                         bool reserve)
{
    uint32_t chosen[JOBSPEC_NODES_MAX];
    uint32_t ok = 0;

    for (size_t j = ready; j > 0 && ok < need->nodes && ok + j >= need->nodes; j--) {
        const bf_slot_t *sl = &bf->slots[bf->cands[j - 1].slot];
        bf_amount_t want = need_on (sl->node, need);
        if (window_ok (bf, sl, &want, t, duration))
            chosen[ok++] = bf->cands[j - 1].slot;
    }
    if (ok < need->nodes)
        return 0;
    for (uint32_t j = 0; reserve && j < ok; j++) {
        bf_amount_t want = need_on (bf->slots[chosen[j]].node, need);
        if (resv_add (bf, chosen[j], t, duration, &want) < 0)
            return -1;
    }
    return 1;
}

/* The earliest start of a job spanning need->nodes nodes: the first time at
 * which that many eligible nodes can each hold their share for its whole
 * wall time, tried at the need->nodes-th earliest of the nodes' own earliest
 * starts, then at each of multi_times. The reservation (when reserve) holds
 * the nodes that fit then whose own earliest start is latest: the nodes free
 * now or early stay usable by backfill wherever the job does not need them,
 * as a single pool of nodes would allow. INFINITY if the nodes there are now
 * can never hold it. */
static double earliest_multi (sched_t *s,
                              backfill_t *bf,
                              const job_entry_t *e,
                              const bf_need_t *need,
                              double duration,
                              bool reserve)
{
    size_t n = 0, ready = 0, next = 0, ntimes = 0;

    if (need->nodes > JOBSPEC_NODES_MAX ||
        sched_grow ((void **)&bf->cands, &bf->cands_cap, s->nnodes,
                    sizeof (*bf->cands)) < 0)
        return INFINITY;
    for (uint32_t i = 0; i < s->nnodes; i++) {
        sched_node_t *node = s->nodes[i];
        if (!node_eligible (node, e))
            continue;
        bf_amount_t want = need_on (node, need);
        uint32_t slot = slot_ready (bf, node);
        if (slot == NONE)
            return INFINITY;
        double t = earliest_on (bf, slot, &want, duration, INFINITY);
        if (t < INFINITY)
            bf->cands[n++] = (bf_cand_t){t, slot};
    }
    if (n < need->nodes)
        return INFINITY;
    qsort (bf->cands, n, sizeof (*bf->cands), cand_cmp);
    double first = bf->cands[need->nodes - 1].t, t = first;
    for (;;) {
        while (ready < n && bf->cands[ready].t <= t)
            ready++; /* the nodes that may fit at t: own earliest start by then */
        int rc = multi_fit_at (bf, ready, need, t, duration, reserve);
        if (rc != 0)
            return rc > 0 ? t : INFINITY;
        if (next == 0 && ntimes == 0)
            ntimes = multi_times (bf, n, first);
        if (next == ntimes)
            return INFINITY;
        t = bf->times[next++];
    }
}

/* The job's earliest start on the nodes there are now, and (reserve) its
 * reservation there. INFINITY if they can never hold it. */
static double earliest (sched_t *s,
                        backfill_t *bf,
                        const job_entry_t *e,
                        const bf_need_t *need,
                        bool reserve)
{
    double duration = (double)e->job.walltime;
    double best = INFINITY;
    uint32_t best_slot = NONE;

    if (need->nodes > 1)
        return earliest_multi (s, bf, e, need, duration, reserve);
    for (uint32_t i = 0; i < s->nnodes; i++) {
        sched_node_t *node = s->nodes[i];
        if (!node_eligible (node, e) || node->desc.ncores < need->cores ||
            node->desc.ngpus < need->gpus || (int64_t)node->desc.mem < need->mem)
            continue;
        bf_amount_t want = need_on (node, need);
        uint32_t slot = slot_ready (bf, node);
        if (slot == NONE)
            return INFINITY;
        double t = earliest_on (bf, slot, &want, duration, best);
        if (t < best) {
            best = t;
            best_slot = slot;
        }
    }
    if (reserve && best_slot != NONE) {
        bf_amount_t want = need_on (bf->slots[best_slot].node, need);
        if (resv_add (bf, best_slot, best, duration, &want) < 0)
            return INFINITY;
    }
    return best;
}

/* --- fitting now ------------------------------------------------------------ */

static int next_nonempty (const sched_t *s, uint32_t from)
{
    if (from >= SCHED_BUCKETS)
        return -1;
    return idset_bits_next (s->nonempty, SCHED_BUCKET_WORDS, (int)from);
}

/* Did a need at most this one (same constraint and exclusivity, no more
 * nodes, no more of anything on each) fit nowhere earlier in this pass? */
static bool memo_fails (const backfill_t *bf, const bf_need_t *need)
{
    bf_amount_t want = {need->cores, need->gpus, need->mem};

    for (uint32_t i = 0; i < bf->nmemo; i++) {
        const bf_need_t *m = &bf->memo[i];
        bf_amount_t had = {m->cores, m->gpus, m->mem};
        if (m->cons == need->cons && m->exclusive == need->exclusive &&
            need->nodes >= m->nodes && covers (&want, &had))
            return true;
    }
    return false;
}

static void memo_add (backfill_t *bf, const bf_need_t *need)
{
    if (bf->nmemo < MEMO_MAX)
        bf->memo[bf->nmemo++] = *need;
}

/* Can the job use node from now through its wall time? *by_resv is set when
 * only a reservation says no. */
static bool usable_now (backfill_t *bf,
                        sched_node_t *node,
                        const job_entry_t *e,
                        const bf_need_t *need,
                        bool *by_resv)
{
    bf_amount_t want = need_on (node, need), have = free_now (node);
    uint32_t slot;

    if (!covers (&have, &want) || !node_eligible (node, e))
        return false;
    if (need->exclusive && node->njobs > 0)
        return false;
    slot = slot_of (bf, node, false);
    if (slot == NONE || bf->slots[slot].resv == NONE)
        return true;
    if (!bf->slots[slot].built && slot_build (bf, &bf->slots[slot]) < 0)
        return false;
    if (window_ok (bf, &bf->slots[slot], &want, bf->now, (double)e->job.walltime))
        return true;
    *by_resv = true;
    return false;
}

/* Up to want nodes the job can use now, best fit first (fewest free cores,
 * then name), into out. Returns how many were found. */
static uint32_t fit_now (sched_t *s,
                         backfill_t *bf,
                         const job_entry_t *e,
                         const bf_need_t *need,
                         sched_node_t **out,
                         uint32_t want,
                         bool *by_resv)
{
    uint32_t found = 0;
    uint32_t from = need->exclusive ? 1 : (uint32_t)need->cores;

    for (int k = next_nonempty (s, from); k >= 0 && found < want;
         k = next_nonempty (s, (uint32_t)k + 1)) {
        const bucket_t *b = &s->buckets[k];
        if (want == 1 && b->n > 0 && usable_now (bf, b->heap[0], e, need, by_resv)) {
            out[0] = b->heap[0]; /* the heap's root has the smallest name */
            return 1;
        }
        /* the rest of the bucket in name order is not needed for a fit:
         * take the smallest names among the usable ones */
        uint32_t start = found;
        for (uint32_t i = 0; i < b->n; i++) {
            sched_node_t *node = b->heap[i];
            if (!usable_now (bf, node, e, need, by_resv))
                continue;
            if (found < want) {
                out[found++] = node;
            } else if (strcmp (node->desc.name, out[found - 1]->desc.name) < 0) {
                out[found - 1] = node;
            } else {
                continue;
            }
            for (uint32_t j = found - 1;
                 j > start && strcmp (out[j]->desc.name, out[j - 1]->desc.name) < 0;
                 j--) {
                sched_node_t *tmp = out[j];
                out[j] = out[j - 1];
                out[j - 1] = tmp;
            }
        }
    }
    return found;
}

/* --- the pass ------------------------------------------------------------------ */

static void set_reason (sched_job_t *job, const char *reason)
{
    if (strcmp (job->reason, reason) != 0)
        sched_job_set_reason (job, "%s", reason);
}

/* The node's profile changed (a job started there): rebuild it when next
 * asked. */
static void slot_touch (backfill_t *bf, sched_node_t *node)
{
    uint32_t slot = slot_of (bf, node, false);

    if (slot != NONE)
        bf->slots[slot].built = false;
}

/* Try to start the job now (on as many nodes as it spans). true if it
 * started. */
static bool try_start (
    sched_t *s, backfill_t *bf, job_entry_t *e, const bf_need_t *need, bool *by_resv)
{
    sched_node_t *nodes[JOBSPEC_NODES_MAX];
    uint32_t want = need->nodes <= JOBSPEC_NODES_MAX ? need->nodes : JOBSPEC_NODES_MAX;
    bool resv_seen = false;

    if (memo_fails (bf, need))
        return false;
    if (fit_now (s, bf, e, need, nodes, want, &resv_seen) < want) {
        if (!resv_seen)
            memo_add (bf, need);
        *by_resv = resv_seen;
        return false;
    }
    if (want > 1 && sched_place_choose (e, nodes + 1, want - 1) < 0)
        return false;
    if (sched_dq_reserve (s, 2) < 0 || sched_job_start (s, e, nodes[0], bf->now) < 0)
        return false;
    for (uint32_t i = 0; i < want; i++)
        slot_touch (bf, nodes[i]);
    return true;
}

void backfill_pass (sched_t *s, double now)
{
    backfill_t *bf = s->bf;
    sched_backfill_t policy = s->cfg.backfill;
    uint32_t reservations = 0, most = 1, position = 0;
    bool waiting = false; /* a job before this one waits */
    bf_item_t *order;
    size_t n = 0;

    if (!bf)
        return;
    if (bf->passes > 0 && s->gen == bf->seen_gen && now >= bf->last_pass &&
        now - bf->last_pass < BACKFILL_REFRESH)
        return;
    if (bf->passes > 0 && bf->last_pending > BACKFILL_SMALL_QUEUE &&
        now >= bf->last_pass && now - bf->last_pass < s->cfg.pass_interval)
        return; /* a large queue: the next pass takes this change along */
    if (policy == SCHED_BACKFILL_CONSERVATIVE)
        most = s->cfg.backfill_reservations > 0 ? s->cfg.backfill_reservations
                                                : BACKFILL_DEFAULT_RESERVATIONS;
    bf->pass_id++;
    bf->now = now;
    bf->nev = bf->nresv = bf->nslots = 0;
    bf->nmemo = 0;
    bf->futile = 0;
    if (!(order = order_pending (s, bf, now, &n)))
        return; /* out of memory: try again next tick */
    for (size_t i = 0; i < n; i++) {
        job_entry_t *e = order[i].e;
        sched_job_t *job = &e->job;
        bf_need_t need;
        bool by_resv = false;

        if (i + PREFETCH_AHEAD < n) { /* the queue is far bigger than the cache */
            const sched_job_t *ahead = &order[i + PREFETCH_AHEAD].e->job;
            __builtin_prefetch (&ahead->spec.ntasks);
            __builtin_prefetch (&ahead->spec.nodes);
            __builtin_prefetch (ahead->reason);
            __builtin_prefetch (&ahead->queue_position, 1);
        }

        job->expected_start = 0;
        const char *held = /* held by hand, over quota or budget */
            job->hold != SCHED_HOLD_NONE ? "Held" : sched_quota_hold (e);
        if (held) { /* out of line until its tenant may run it: no
                       reservation, and nobody waits behind it */
            job->queue_position = 0;
            set_reason (job, held);
            continue;
        }
        if (policy == SCHED_BACKFILL_FIFO && waiting) {
            job->queue_position = ++position;
            set_reason (job, "Priority");
            continue;
        }
        need_of (e, &need);
        if (try_start (s, bf, e, &need, &by_resv)) {
            job->queue_position = 0;
            continue;
        }
        job->queue_position = ++position;
        if (policy == SCHED_BACKFILL_FIFO ||
            (reservations < most && bf->futile < BACKFILL_FUTILE_MAX)) {
            double t = earliest (s, bf, e, &need, policy != SCHED_BACKFILL_FIFO);
            if (t < INFINITY) {
                job->expected_start = t;
                reservations++;
            } else {
                bf->futile++; /* no node up now can ever hold it */
            }
            set_reason (job, "Resources");
        } else {
            set_reason (job, by_resv ? "Reservation" : "Priority");
        }
        waiting = true;
    }
    bf->passes++;
    bf->seen_gen = s->gen;
    bf->last_pass = now;
    bf->last_pending = n;
}
