/* sched.c: the pure scheduling core behind sched.h, job half (the node half
 * is sched_node.c; what they share is sched_int.h). Jobs live in a hash by id
 * and in a list in id order; pending jobs in a doubly linked FIFO whose
 * forward link is sched_job_t.next_pending. Events change jobs and queue
 * decisions in a ring the shell drains with sched_next. The scheduling pass
 * (priority order, FIFO or backfill, every pending job's reason) is
 * backfill.c's; priority and fair-share usage are priority.c's, tied to the
 * jobs in sched_policy.c. Every run's end, whatever ends it, goes through
 * run_end, which queues its one SCHED_ACCOUNT; a job whose node fails is
 * requeued in its place by id (or ends NODE_FAIL when it asked so), a
 * limited number of times and each time after a longer delay, which it
 * waits out of line in the list of delayed jobs. The events a run's node
 * reports (started, exited, could not start) are sched_run.c's. No I/O, no
 * clock, no logging: now is always an argument.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/parse.h"
#include "scheduler/core/sched_int.h"

static job_entry_t *entry_of (const sched_job_t *job)
{
    return (job_entry_t *)(uintptr_t)job;
}

static job_entry_t *pend_next (const job_entry_t *e)
{
    return e->job.next_pending ? entry_of (e->job.next_pending) : NULL;
}

void sched_job_set_reason (sched_job_t *job, const char *fmt, ...)
{
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (job->reason, sizeof (job->reason), fmt, ap);
    va_end (ap);
}

int sched_grow (void **array, size_t *cap, size_t want, size_t size)
{
    if (want <= *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    while (ncap < want)
        ncap *= 2;
    void *p = realloc (*array, ncap * size);
    if (!p) {
        errno = ENOMEM;
        return -1;
    }
    *array = p;
    *cap = ncap;
    return 0;
}

/* --- decisions --- */

/* Make room for n more decisions, so that pushing cannot fail afterwards. */
int sched_dq_reserve (sched_t *s, size_t n)
{
    if (s->dq_len + n <= s->dq_cap)
        return 0;
    size_t ncap = s->dq_cap ? s->dq_cap * 2 : 64;
    while (ncap < s->dq_len + n)
        ncap *= 2;
    sched_decision_t *dq = malloc (ncap * sizeof (*dq));
    if (!dq) {
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < s->dq_len; i++)
        dq[i] = s->dq[(s->dq_head + i) % s->dq_cap];
    free (s->dq);
    s->dq = dq;
    s->dq_cap = ncap;
    s->dq_head = 0;
    return 0;
}

void sched_dq_push (sched_t *s, sched_action_t action, uint64_t id, const char *node)
{
    sched_decision_t *d = &s->dq[(s->dq_head + s->dq_len) % s->dq_cap];

    d->action = action;
    d->job_id = id;
    snprintf (d->node, sizeof (d->node), "%s", node ? node : "");
    s->dq_len++;
    s->gen++;
}

bool sched_next (sched_t *s, sched_decision_t *d)
{
    if (s->dq_len == 0)
        return false;
    *d = s->dq[s->dq_head];
    s->dq_head = (s->dq_head + 1) % s->dq_cap;
    s->dq_len--;
    return true;
}

/* --- jobs --- */

static void pending_remove (sched_t *s, job_entry_t *e)
{
    job_entry_t *next = pend_next (e);

    if (!e->queued)
        return;
    if (e->pend_prev)
        e->pend_prev->job.next_pending = next ? &next->job : NULL;
    else
        s->pend_head = next;
    if (next)
        next->pend_prev = e->pend_prev;
    else
        s->pend_tail = e->pend_prev;
    e->pend_prev = NULL;
    e->job.next_pending = NULL;
    e->queued = false;
    e->job.queue_position = 0; /* out of line: no place in it, no reservation */
    e->job.expected_start = 0;
}

/* Into the FIFO in id order: at the tail for a new job. */
static void pending_insert (sched_t *s, job_entry_t *e)
{
    job_entry_t *after = s->pend_tail;

    while (after && after->job.id > e->job.id)
        after = after->pend_prev;
    job_entry_t *next = after ? pend_next (after) : s->pend_head;
    e->pend_prev = after;
    e->job.next_pending = next ? &next->job : NULL;
    if (after)
        after->job.next_pending = &e->job;
    else
        s->pend_head = e;
    if (next)
        next->pend_prev = e;
    else
        s->pend_tail = e;
    e->queued = true;
}

/* The list of requeued jobs waiting out their delay, out of line. */
static void delay_add (sched_t *s, job_entry_t *e)
{
    if (e->delayed)
        return;
    pending_remove (s, e);
    DL_APPEND2 (s->delayed, e, delay_prev, delay_next);
    e->delayed = true;
}

static void delay_remove (sched_t *s, job_entry_t *e)
{
    if (!e->delayed)
        return;
    DL_DELETE2 (s->delayed, e, delay_prev, delay_next);
    e->delay_prev = e->delay_next = NULL;
    e->delayed = false;
}

static void delay_reason (const sched_t *s, job_entry_t *e, double now)
{
    double left = ceil (e->job.eligible_time - now);

    if (s->cfg.max_requeue == 0) /* no limit */
        sched_job_set_reason (&e->job, "Requeued %u times; eligible in %.0f s",
                              e->job.requeues, left > 0 ? left : 0);
    else
        sched_job_set_reason (&e->job, "Requeued %u of %u times; eligible in %.0f s",
                              e->job.requeues, s->cfg.max_requeue, left > 0 ? left : 0);
}

void sched_delayed_check (sched_t *s, double now)
{
    job_entry_t *e, *tmp;

    DL_FOREACH_SAFE2 (s->delayed, e, tmp, delay_next)
    {
        if (now < e->job.eligible_time) {
            delay_reason (s, e, now);
            continue;
        }
        delay_remove (s, e);
        if (e->job.requeues > 0)
            sched_job_set_reason (&e->job, "Requeued %u times", e->job.requeues);
        else /* an ended job put back by hand, restored */
            sched_job_set_reason (&e->job, "Requeued");
        if (e->job.state == JOB_PENDING && !e->stale_on) {
            pending_insert (s, e);
            s->gen++; /* the line changed: the next pass must look */
        }
    }
}

/* See sched_int.h: three searches in step. */
job_entry_t *sched_job_before (const sched_t *s, uint64_t id)
{
    job_entry_t *back = s->last, *fwd = s->first, *e;
    uint64_t probe = id;

    if (!back || back->job.id < id)
        return back;
    if (fwd->job.id >= id)
        return NULL;
    for (;;) { /* some job is below id (fwd) and some is not (back) */
        back = back->id_prev;
        if (back->job.id < id)
            return back;
        if (!fwd->id_next || fwd->id_next->job.id >= id)
            return fwd;
        fwd = fwd->id_next;
        if (probe > 1 && (e = sched_job_find (s, --probe)))
            return e;
    }
}

/* Into the table and the id-ordered list. */
static int job_insert (sched_t *s, job_entry_t *e)
{
    job_entry_t *after = sched_job_before (s, e->job.id);

    HASH_ADD (hh, s->jobs, job.id, sizeof (uint64_t), e);
    if (e->oom) {
        errno = ENOMEM;
        return -1;
    }
    e->id_prev = after;
    e->id_next = after ? after->id_next : s->first;
    if (after)
        after->id_next = e;
    else
        s->first = e;
    if (e->id_next)
        e->id_next->id_prev = e;
    else
        s->last = e;
    if (e->job.id >= s->next_id)
        s->next_id = e->job.id + 1;
    sched_quota_job_added (s, e); /* its tenant's jobs, for its quotas */
    return 0;
}

static void job_destroy (job_entry_t *e)
{
    if (!e)
        return;
    jobspec_clear (&e->job.spec);
    sched_alloc_clear (&e->job.alloc);
    sched_jobx_destroy (e);
    free (e);
}

job_entry_t *sched_job_find (const sched_t *s, uint64_t id)
{
    job_entry_t *e = NULL;

    HASH_FIND (hh, s->jobs, &id, sizeof (id), e);
    return e;
}

/* The run of a RUNNING job ends (how: the state it ends in, NODE_FAIL for a
 * failed node): queue its SCHED_ACCOUNT and give its allocation back. Every
 * path that ends a run comes through here, once, because the job leaves
 * RUNNING right after. */
static void run_end (sched_t *s, job_entry_t *e, job_state_t how, double end)
{
    sched_decision_t *d;
    sched_acct_t *a;
    double secs;

    if (e->job.state != JOB_RUNNING)
        return;
    sched_dq_push (s, SCHED_ACCOUNT, e->job.id, e->job.alloc.node);
    d = &s->dq[(s->dq_head + s->dq_len - 1) % s->dq_cap];
    a = &d->acct;
    memset (a, 0, sizeof (*a));
    a->job_id = e->job.id;
    a->run = e->job.runs > 0 ? e->job.runs : 1;
    snprintf (a->tenant, sizeof (a->tenant), "%s", e->job.tenant);
    snprintf (a->node, sizeof (a->node), "%s", e->job.alloc.node);
    a->cores = sched_job_cores_held (e); /* on every node of the job */
    a->gpus = sched_job_gpus_held (e);
    a->start_time = e->job.start_time;
    a->end_time = end;
    a->state = how;
    secs =
        e->job.start_time > 0 && end > e->job.start_time ? end - e->job.start_time : 0;
    a->core_seconds = a->cores * secs;
    a->gpu_seconds = a->gpus * secs;
    a->failed_run = how == JOB_NODE_FAIL;
    sched_usage_run_end (s, e, end);
    sched_quota_run_end (s, e, a); /* quotas; the budget is charged */
    sched_node_release (s, e);
}

/* The job ends in state: its run (if any) is accounted, its resources go
 * back, a CHANGED is queued (room for SCHED_END_DECISIONS must have been
 * reserved). The reason is set by the caller. */
void sched_job_end (sched_t *s, job_entry_t *e, job_state_t state, double end)
{
    run_end (s, e, state, end);
    sched_node_release (s, e);
    pending_remove (s, e);
    delay_remove (s, e);
    e->job.state = state;
    e->job.end_time = end;
    sched_quota_job_gone (s, e);
    sched_dq_push (s, SCHED_CHANGED, e->job.id, NULL);
    sched_rel_job_ended (s, e); /* dependents, array throttle */
}

/* Start e on node now: place it, hold the allocation, queue CHANGED and
 * START (room for both reserved). */
static int job_start (sched_t *s, job_entry_t *e, sched_node_t *node, double now)
{
    placement_t p;

    /* place_job, or the features' placement (sched_place.c) */
    if (sched_place_prepare (s, e, node, &p) < 0)
        return -1;
    if (p.mem == 0) { /* every job has a memory limit, counted on its node */
        uint64_t want = sched_default_mem (s, node, (uint32_t)idset_count (p.cores));
        uint64_t free_mem = sched_node_free_mem (node);
        if (want > free_mem && e->job.spec.nodes <= 1) {
            placement_clear (&p);
            errno = ENOSPC;
            return -1;
        }
        p.mem = want < free_mem ? want : free_mem;
    }
    sched_alloc_take (&e->job.alloc, &p, node->desc.name);
    pending_remove (s, e);
    sched_node_hold (s, node, e);
    sched_place_commit (s, e); /* a multi-node job's other nodes */
    e->job.state = JOB_RUNNING;
    e->job.reason[0] = '\0';
    e->job.start_time = now;
    e->job.end_time = 0;
    e->job.runs++;
    sched_dq_push (s, SCHED_CHANGED, e->job.id, NULL);
    sched_dq_push (s, SCHED_START, e->job.id, node->desc.name);
    return 0;
}

/* --- node failures --- */

void sched_job_stale_hold (sched_t *s, job_entry_t *e, sched_node_t *node)
{
    if (e->stale_on || job_state_is_terminal (e->job.state))
        return;
    e->stale_on = node;
    DL_APPEND2 (node->stale, e, stale_prev, stale_next);
    pending_remove (s, e);
}

void sched_job_stale_release (sched_t *s, job_entry_t *e)
{
    if (!e->stale_on)
        return;
    DL_DELETE2 (e->stale_on->stale, e, stale_prev, stale_next);
    e->stale_on = NULL;
    e->stale_prev = e->stale_next = NULL;
    if (e->job.state == JOB_PENDING && !e->queued && !e->delayed)
        pending_insert (s, e);
}

/* Seconds a job waits before its n-th requeued run (n >= 1): the delay,
 * doubling each time, the doubling bounded so that it stays finite. */
#define SCHED_REQUEUE_DOUBLINGS_MAX 20

static double requeue_wait (const sched_t *s, uint32_t n)
{
    uint32_t doublings = n > 1 ? n - 1 : 0;

    if (doublings > SCHED_REQUEUE_DOUBLINGS_MAX)
        doublings = SCHED_REQUEUE_DOUBLINGS_MAX;
    return s->cfg.requeue_delay > 0 ? ldexp (s->cfg.requeue_delay, (int)doublings) : 0;
}

/* Back to PENDING, without a node, an allocation or the run's results. */
static void job_unplace (job_entry_t *e)
{
    e->job.state = JOB_PENDING;
    sched_alloc_clear (&e->job.alloc);
    e->job.exit_code = e->job.signal = 0;
    e->job.start_time = e->job.end_time = 0;
    e->job.cpu_time = 0;
    e->job.max_rss = 0;
    e->job.kill_sent = false;
    e->requeue_asked = false;
    e->run_reach = RUN_REACHED;
}

/* Back to PENDING after its node failed: the allocation and the run's
 * results are gone, the count of runs stays; in line again by id after its
 * delay, unless a node still holds an earlier run. */
static void job_requeue (sched_t *s, job_entry_t *e, const char *node, double now)
{
    double wait;

    e->job.requeues++;
    wait = requeue_wait (s, e->job.requeues);
    e->job.eligible_time = wait > 0 ? now + wait : 0;
    if (s->cfg.max_requeue == 0)
        sched_job_set_reason (&e->job, "Requeued: node %s failed", node);
    else
        sched_job_set_reason (&e->job, "Requeued %u of %u times: node %s failed",
                              e->job.requeues, s->cfg.max_requeue, node);
    memcpy (e->last_node, e->job.alloc.node, sizeof (e->last_node));
    job_unplace (e);
    if (wait > 0) {
        delay_add (s, e);
        delay_reason (s, e, now);
    } else if (!e->stale_on) {
        pending_insert (s, e);
    }
    sched_dq_push (s, SCHED_CHANGED, e->job.id, NULL);
}

void sched_job_node_failed (sched_t *s, job_entry_t *e, double now, const char *why)
{
    char node[sizeof (e->job.alloc.node)];

    snprintf (node, sizeof (node), "%s", e->job.alloc.node);
    run_end (s, e, JOB_NODE_FAIL, now);
    e->job.state = JOB_NODE_FAIL; /* the run is over (and accounted) */
    if (e->job.kill_sent) {
        sched_job_set_reason (&e->job, "cancelled by user (node %s failed)", node);
        sched_job_end (s, e, JOB_CANCELLED, now);
    } else if (e->job.spec.no_requeue) {
        sched_job_set_reason (&e->job, "%s", why);
        sched_job_end (s, e, JOB_NODE_FAIL, now);
    } else if (s->cfg.max_requeue > 0 && e->job.requeues >= s->cfg.max_requeue) {
        sched_job_set_reason (&e->job, "requeued %u times, the limit: %s",
                              e->job.requeues, why);
        sched_job_end (s, e, JOB_NODE_FAIL, now);
    } else {
        job_requeue (s, e, node, now);
    }
}

void sched_job_run_withdraw (sched_t *s, job_entry_t *e, double now)
{
    bool cancelled = e->job.kill_sent;
    char node[sizeof (e->job.alloc.node)];

    if (e->job.state != JOB_RUNNING)
        return;
    snprintf (node, sizeof (node), "%s", e->job.alloc.node);
    /* its usage ends where it began: what was counted is taken back */
    sched_usage_run_end (s, e, e->job.start_time);
    sched_quota_run_end (s, e, NULL);
    sched_node_release (s, e);
    /* only that node's claim to hold the job is believed (sched_job_ran_on) */
    memcpy (e->last_node, e->job.alloc.node, sizeof (e->last_node));
    job_unplace (e);
    if (cancelled) {
        sched_job_set_reason (&e->job, "cancelled by user");
        sched_job_end (s, e, JOB_CANCELLED, now);
        return;
    }
    sched_job_set_reason (&e->job, "the job never reached node %s; in line again",
                          node);
    if (!e->stale_on && !e->delayed)
        pending_insert (s, e);
    sched_dq_push (s, SCHED_CHANGED, e->job.id, NULL);
}

void sched_job_run_lost (
    sched_t *s, job_entry_t *e, bool registered, double now, const char *why)
{
    if (e->run_reach == RUN_UNSENT || (registered && e->run_reach == RUN_UNKNOWN))
        sched_job_run_withdraw (s, e, now);
    else
        sched_job_node_failed (s, e, now, why);
}

uint64_t sched_default_mem (const sched_t *s, const sched_node_t *node, uint32_t cores)
{
    uint64_t per_core = s->cfg.default_mem_per_core;

    if (per_core == 0 && node->desc.ncores > 0)
        per_core = node->desc.mem / node->desc.ncores;
    return per_core * cores;
}

/* --- create / destroy --- */

sched_t *sched_create (const sched_config_t *cfg)
{
    sched_t *s = calloc (1, sizeof (*s));

    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    s->cfg = *cfg;
    s->next_id = 1;
    /* priority copies the tenant policies: the caller's array is not kept */
    s->cfg.tenant_policies = NULL;
    s->cfg.ntenant_policies = 0;
    if (!(s->prio = prio_create (cfg)) || !(s->bf = backfill_create ()) ||
        !(s->quota = sched_quota_create ())) {
        int saved = errno;
        backfill_destroy (s->bf);
        prio_destroy (s->prio);
        free (s);
        errno = saved;
        return NULL;
    }
    return s;
}

void sched_destroy (sched_t *s)
{
    job_entry_t *e, *tmp;

    if (!s)
        return;
    HASH_ITER (hh, s->jobs, e, tmp)
    {
        HASH_DEL (s->jobs, e);
        job_destroy (e);
    }
    sched_nodes_destroy (s);
    sched_rel_destroy (s);
    free (s->dq);
    backfill_destroy (s->bf);
    prio_destroy (s->prio);
    sched_quota_destroy (s->quota);
    free (s);
}

void sched_set_next_id (sched_t *s, uint64_t next_id)
{
    /* never below a job already known: ids are never given twice */
    if (s->last && next_id <= s->last->job.id)
        next_id = s->last->job.id + 1;
    s->next_id = next_id;
}

/* --- events: jobs --- */

/* The checks of a submit (sched_job_submit_many in sched_rel.c makes the
 * jobs: one, or one per array element). */
int sched_job_check (sched_t *s,
                     const char *tenant,
                     const jobspec_t *spec,
                     int64_t *walltime_out,
                     cphub_error_t *err)
{
    int64_t walltime = spec->walltime;
    char asked[32], most[32];

    if (!tenant || tenant[0] == '\0')
        return cphub_fail (err, EINVAL, "a job needs a tenant name");
    if (strlen (tenant) >= sizeof (((sched_job_t *)0)->tenant))
        return cphub_fail (err, EINVAL, "tenant name longer than %zu bytes",
                           sizeof (((sched_job_t *)0)->tenant) - 1);
    if (jobspec_validate_counts (spec, err) < 0) /* what the core computes with */
        return -1;
    if (walltime < 0)
        return cphub_fail (err, EINVAL, "wall time is negative; ask 0 for the default");
    if (walltime == 0)
        walltime = s->cfg.default_walltime;
    if (s->cfg.max_walltime > 0 && walltime > s->cfg.max_walltime) {
        format_duration (walltime, asked, sizeof (asked));
        format_duration (s->cfg.max_walltime, most, sizeof (most));
        return cphub_fail (err, EINVAL, "asked %s; the hub's maximum is %s", asked,
                           most);
    }
    if (sched_check_ever (s, spec, err) < 0) /* place_check_ever, or features' */
        return -1;
    *walltime_out = walltime;
    return 0;
}

job_entry_t *sched_job_create (
    sched_t *s, const char *tenant, const jobspec_t *spec, int64_t walltime, double now)
{
    job_entry_t *e = NULL;

    if (sched_dq_reserve (s, 1) < 0 || !(e = calloc (1, sizeof (*e))))
        goto nomem;
    jobspec_init (&e->job.spec);
    if (jobspec_copy (&e->job.spec, spec) < 0)
        goto nomem;
    e->job.spec.walltime = walltime;
    e->job.id = s->next_id;
    snprintf (e->job.tenant, sizeof (e->job.tenant), "%s", tenant);
    e->job.state = JOB_PENDING;
    e->job.walltime = walltime;
    e->job.submit_time = now;
    if (s->pend_tail)
        sched_job_set_reason (&e->job, "Priority");
    if (spec->hold) { /* held from now on by job.hold, not by its spec */
        e->job.hold = SCHED_HOLD_USER;
        e->job.spec.hold = false;
        sched_job_set_reason (&e->job, "Held");
    }
    if (job_insert (s, e) < 0)
        goto nomem;
    pending_insert (s, e);
    sched_dq_push (s, SCHED_CHANGED, e->job.id, NULL);
    return e;
nomem:
    job_destroy (e);
    errno = ENOMEM;
    return NULL;
}

void sched_job_enqueue (sched_t *s, job_entry_t *e)
{
    if (!e->queued)
        pending_insert (s, e);
}

void sched_job_dequeue (sched_t *s, job_entry_t *e)
{
    pending_remove (s, e);
}

void sched_job_run_requeue (sched_t *s, job_entry_t *e, double end)
{
    run_end (s, e, JOB_CANCELLED, end); /* this run is its own record */
    memcpy (e->last_node, e->job.alloc.node, sizeof (e->last_node));
    job_unplace (e);
    sched_job_set_reason (&e->job, "Requeued");
    if (!e->stale_on && !e->delayed)
        pending_insert (s, e);
    sched_dq_push (s, SCHED_CHANGED, e->job.id, NULL);
}

void sched_job_reopen (sched_t *s, job_entry_t *e, double now)
{
    job_unplace (e);
    e->job.eligible_time = now; /* its age counts from here */
    sched_job_set_reason (&e->job, "Requeued");
    sched_quota_job_added (s, e);
    if (sched_rel_job_reopened (s, e) && !e->stale_on)
        pending_insert (s, e);
    sched_dq_push (s, SCHED_CHANGED, e->job.id, NULL);
}

int sched_job_cancel (sched_t *s, uint64_t id, double now, cphub_error_t *err)
{
    job_entry_t *e = sched_job_find (s, id);

    if (!e)
        return cphub_fail (err, ENOENT, "no job %ju", (uintmax_t)id);
    if (job_state_is_terminal (e->job.state))
        return cphub_fail (err, EALREADY, "job %ju already ended (%s)", (uintmax_t)id,
                           job_state_name (e->job.state));
    if (sched_dq_reserve (s, SCHED_END_DECISIONS) < 0)
        return cphub_fail (err, ENOMEM, "out of memory cancelling job %ju",
                           (uintmax_t)id);
    if (e->job.state == JOB_PENDING) {
        sched_job_set_reason (&e->job, "cancelled by user");
        sched_job_end (s, e, JOB_CANCELLED, now);
        return 0;
    }
    /* RUNNING: ask the agent (again, if a kill was lost); the exit ends it */
    e->job.kill_sent = true;
    sched_dq_push (s, SCHED_KILL, e->job.id, e->job.alloc.node);
    return 0;
}

/* The pass: priority order and the backfill policy (backfill.c), which
 * starts jobs through sched_job_start. */
static void sched_pass (sched_t *s, double now)
{
    backfill_pass (s, now);
}

int sched_job_start (sched_t *s, job_entry_t *e, sched_node_t *node, double now)
{
    if (job_start (s, e, node, now) < 0)
        return -1;
    sched_usage_run_start (s, e, now);
    sched_quota_run_start (s, e);
    return 0;
}

void sched_tick (sched_t *s, double now)
{
    sched_nodes_check (s, now);
    sched_delayed_check (s, now);
    sched_rel_tick (s, now);
    sched_pass (s, now);
}

/* --- queries --- */

sched_job_t *sched_job_lookup (sched_t *s, uint64_t id)
{
    job_entry_t *e = sched_job_find (s, id);

    return e ? &e->job : NULL;
}

sched_job_t *sched_job_first (sched_t *s)
{
    return s->first ? &s->first->job : NULL;
}

sched_job_t *sched_job_next (sched_t *s, const sched_job_t *job)
{
    job_entry_t *e = entry_of (job);

    (void)s;
    return e->id_next ? &e->id_next->job : NULL;
}

/* Out of the table and the id-ordered list. */
static void job_unlink (sched_t *s, job_entry_t *e)
{
    sched_quota_job_gone (s, e);
    sched_job_recall_done (s, e);
    HASH_DEL (s->jobs, e);
    if (e->id_prev)
        e->id_prev->id_next = e->id_next;
    else
        s->first = e->id_next;
    if (e->id_next)
        e->id_next->id_prev = e->id_prev;
    else
        s->last = e->id_prev;
}

void sched_job_uncreate (sched_t *s, job_entry_t *e)
{
    pending_remove (s, e);
    delay_remove (s, e);
    job_unlink (s, e);
    job_destroy (e);
}

int sched_job_forget (sched_t *s, uint64_t id)
{
    job_entry_t *e = sched_job_find (s, id);

    if (!e) {
        errno = ENOENT;
        return -1;
    }
    if (!job_state_is_terminal (e->job.state)) {
        errno = EBUSY;
        return -1;
    }
    sched_job_stale_release (s, e);
    sched_rel_forget (s, e);
    job_unlink (s, e);
    job_destroy (e);
    return 0;
}

static void encode_into (const idset_t *set, char *buf, size_t len)
{
    buf[0] = '\0';
    if (set && idset_encode (set, buf, len) < 0)
        buf[0] = '\0';
}

void sched_job_info (const sched_job_t *job, job_info_t *info)
{
    const jobspec_t *spec = &job->spec;

    memset (info, 0, sizeof (*info));
    info->id = job->id;
    snprintf (info->tenant, sizeof (info->tenant), "%s", job->tenant);
    if (spec->name[0])
        snprintf (info->name, sizeof (info->name), "%s", spec->name);
    else
        jobspec_command_summary (spec, info->name, sizeof (info->name));
    jobspec_command_summary (spec, info->command, sizeof (info->command));
    info->state = job->state;
    snprintf (info->reason, sizeof (info->reason), "%s", job->reason);
    sched_quota_explain (job, info->reason, sizeof (info->reason)); /* which limit */
    info->exit_code = job->exit_code;
    info->signal = job->signal;
    info->ntasks = spec->ntasks;
    info->cpus_per_task = spec->cpus_per_task;
    info->gpus_count = spec->gpus;
    info->mem = job->alloc.mem ? job->alloc.mem : spec->mem; /* the limit in force */
    info->walltime = job->walltime;
    snprintf (info->node, sizeof (info->node), "%s", job->alloc.node);
    encode_into (job->alloc.cpus, info->cpus, sizeof (info->cpus));
    encode_into (job->alloc.gpus, info->gpus, sizeof (info->gpus));
    info->submit_time = job->submit_time;
    info->start_time = job->start_time;
    info->end_time = job->end_time;
    info->cpu_time = job->cpu_time;
    info->max_rss = job->max_rss;
    if (job->state == JOB_PENDING) {
        info->expected_start = job->expected_start;
        info->queue_position = job->queue_position;
    }
    info->priority = job->priority;
    sched_place_info (job, info);
}

/* --- restore --- */

/* Put a restored running job on its node: a registered node must have its
 * allocation free; an unknown one is remembered until it registers. */
static int restore_on_node (sched_t *s, job_entry_t *e, cphub_error_t *err)
{
    sched_node_t *node = sched_node_find (s, e->job.alloc.node);
    char cores[128];

    if (!node) {
        if (!(node = sched_node_create (s, e->job.alloc.node)))
            return cphub_fail (err, ENOMEM, "out of memory restoring job %ju",
                               (uintmax_t)e->job.id);
        snprintf (node->reason, sizeof (node->reason), "not registered since restart");
    }
    /* a restored node with running jobs gets a heartbeat timeout to return */
    if (!node->registered && node->watched == WATCH_NONE)
        sched_node_watch (s, node, WATCH_UNSEEN);
    if (node->registered && !sched_alloc_fits (node, &e->job.alloc)) {
        encode_into (e->job.alloc.cores, cores, sizeof (cores));
        return cphub_fail (err, EINVAL, "job %ju: cores %s on node %s are taken",
                           (uintmax_t)e->job.id, cores, node->desc.name);
    }
    sched_node_hold (s, node, e);
    e->run_reach = RUN_UNKNOWN; /* its node's register tells */
    return 0;
}

int sched_job_restore (sched_t *s, const sched_job_t *job, cphub_error_t *err)
{
    job_entry_t *e = NULL;

    if (sched_job_find (s, job->id))
        return cphub_fail (err, EEXIST, "job %ju is already known", (uintmax_t)job->id);
    if ((unsigned)job->state >= JOB_STATE_COUNT)
        return cphub_fail (err, EINVAL, "job %ju has no valid state",
                           (uintmax_t)job->id);
    if (job->state == JOB_RUNNING && (!job->alloc.node[0] || !job->alloc.cores))
        return cphub_fail (err, EINVAL, "running job %ju has no node or cores",
                           (uintmax_t)job->id);
    if (job->state == JOB_RUNNING &&
        strnlen (job->alloc.node, sizeof (job->alloc.node)) > NODE_NAME_MAX)
        return cphub_fail (err, EINVAL, "job %ju: node name too long",
                           (uintmax_t)job->id);
    if (!(e = calloc (1, sizeof (*e))))
        goto nomem;
    e->job = *job;
    e->job.next_pending = NULL;
    e->delayed = false;
    e->job.alloc = (sched_alloc_t){.mem = 0}; /* copied below */
    e->job.others = NULL;                     /* copied by sched_place_restore */
    e->job.nothers = 0;
    jobspec_init (&e->job.spec);
    if (jobspec_copy (&e->job.spec, &job->spec) < 0 ||
        sched_alloc_hold_copy (&e->job.alloc, &job->alloc) < 0)
        goto nomem;
    if (job->state == JOB_RUNNING && restore_on_node (s, e, err) < 0)
        goto error;
    if (sched_place_restore (s, e, job, err) < 0)
        goto error;
    if (job_insert (s, e) < 0) {
        sched_node_release (s, e);
        goto nomem;
    }
    if (job->state == JOB_PENDING && job->eligible_time > 0)
        delay_add (s, e); /* a requeued job's delay goes on: the tick decides */
    else if (job->state == JOB_PENDING)
        pending_insert (s, e);
    if (sched_rel_restored (s, e, err) < 0) { /* arrays, dependencies */
        sched_rel_forget (s, e);
        sched_node_release (s, e);
        sched_job_uncreate (s, e);
        return -1;
    }
    if (job->state == JOB_RUNNING) {
        sched_usage_run_start (s, e, job->start_time);
        sched_quota_run_start (s, e);
    }
    return 0;
nomem:
    cphub_fail (err, ENOMEM, "out of memory restoring job %ju", (uintmax_t)job->id);
error:
    job_destroy (e);
    return -1;
}
