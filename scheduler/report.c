/* report.c: the usage report (report.ok) from the core's jobs and the
 * store's accounting records and job counts (see report.h).
 *
 * A tenant's job counts are the hub's whole record: the store's counts of
 * the jobs it keeps by tenant and state (the history included; jobs that
 * retention deleted are gone from them), and for each job the core holds
 * whose stored state is not its state yet (changed or submitted since the
 * last commit), the core's state in place of the stored one, so that no job
 * is counted twice or in a state it left.
 *
 * Ended jobs are counted from the accounting (one record per run that held an
 * allocation), running jobs from the core with their usage so far, so that no
 * run is counted twice. A failed run (its node failed; the job may have been
 * requeued) counts towards its node's busy time, not the tenant's usage. The window
 * starts when this scheduler started, or at the earliest run on record if that is
 * older, and ends now; a node's busy share is its busy core-seconds over its cores
 * times the window.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "cphub/hash_free.h"
#include "cphub/idset.h"
#include "cphub/limits.h"
#include "cphub/log.h"
#include "scheduler/peers.h"
#include "scheduler/report.h"

typedef struct tenant_row {
    char tenant[TENANT_NAME_MAX + 1]; /* key */
    uint32_t index;
    UT_hash_handle hh;
} tenant_row_t;

typedef struct report_state {
    scheduler_t *sc;
    const char *only; /* a tenant's own report, or NULL for all */
    tenant_row_t *rows;
    msg_report_t *r;
    uint32_t tcap;
    bool stored; /* the store's counts are in: the core's jobs adjust them */
} report_state_t;

/* The count besides jobs that a job in each state adds to (offset in
 * report_tenant_t; 0: none). */
static const size_t state_counts[JOB_STATE_COUNT] = {
    [JOB_COMPLETED] = offsetof (report_tenant_t, completed),
    [JOB_FAILED] = offsetof (report_tenant_t, failed),
    [JOB_TIMEOUT] = offsetof (report_tenant_t, failed),
    [JOB_NODE_FAIL] = offsetof (report_tenant_t, failed),
    [JOB_OUT_OF_MEMORY] = offsetof (report_tenant_t, failed),
    [JOB_CANCELLED] = offsetof (report_tenant_t, cancelled),
};

/* The row of a tenant (created on first use), or NULL when not shown. */
static report_tenant_t *tenant_row (report_state_t *b, const char *tenant)
{
    tenant_row_t *row = NULL;

    if (b->only && strcmp (b->only, tenant) != 0)
        return NULL;
    HASH_FIND_STR (b->rows, tenant, row);
    if (row)
        return &b->r->tenants[row->index];
    if (b->r->ntenants == b->tcap) {
        uint32_t cap = b->tcap ? b->tcap * 2 : 16;
        report_tenant_t *grown = realloc (b->r->tenants, cap * sizeof (*grown));
        if (!grown)
            return NULL;
        b->r->tenants = grown;
        b->tcap = cap;
    }
    if (!(row = calloc (1, sizeof (*row))))
        return NULL;
    snprintf (row->tenant, sizeof (row->tenant), "%s", tenant);
    row->index = b->r->ntenants++;
    HASH_ADD_STR (b->rows, tenant, row);
    report_tenant_t *t = &b->r->tenants[row->index];
    memset (t, 0, sizeof (*t));
    snprintf (t->tenant, sizeof (t->tenant), "%s", tenant);
    return t;
}

static report_node_t *node_row (report_state_t *b, const char *node)
{
    const agent_peer_t *ap = peers_find (b->sc->peers, node);

    if (!ap || ap->index >= b->r->nnodes || strcmp (b->r->nodes[ap->index].node, node))
        return NULL;
    return &b->r->nodes[ap->index];
}

static int report_acct_cb (const store_acct_t *rec, void *arg)
{
    report_state_t *b = arg;
    report_tenant_t *t = tenant_row (b, rec->tenant);
    report_node_t *n = node_row (b, rec->node);

    /* a run its node failed under is not the tenant's to pay for; the node
     * was busy all the same */
    if (t && !rec->failed_run) {
        t->core_seconds += rec->core_seconds;
        t->gpu_seconds += rec->gpu_seconds;
    }
    if (n)
        n->busy_core_seconds += rec->core_seconds;
    if (rec->start_time > 0 && rec->start_time < b->r->since)
        b->r->since = rec->start_time;
    return 0;
}

static void count_add (uint32_t *n, int64_t delta)
{
    int64_t v = (int64_t)*n + delta;
    *n = v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* Add delta jobs in state to t's counts. */
static void count_jobs (report_tenant_t *t, job_state_t state, int64_t delta)
{
    count_add (&t->jobs, delta);
    if ((unsigned)state < JOB_STATE_COUNT && state_counts[state])
        count_add ((uint32_t *)((char *)t + state_counts[state]), delta);
}

static int report_count_cb (const store_job_count_t *c, void *arg)
{
    report_state_t *b = arg;
    report_tenant_t *t = tenant_row (b, c->tenant);

    if (t)
        count_jobs (t, c->state, c->count > INT64_MAX ? INT64_MAX : (int64_t)c->count);
    return 0;
}

/* A job the core holds: counted by the store as it stands, or moved from
 * the state the store has to the core's, or added if the store has none. */
static void report_job_count (report_state_t *b,
                              report_tenant_t *t,
                              const sched_job_t *job)
{
    cphub_error_t err = {{0}};
    job_state_t stored;

    if (b->stored && store_job_state (b->sc->store, job->id, &stored, &err) == 0) {
        if (stored == job->state)
            return;
        count_jobs (t, stored, -1);
    } else if (b->stored && errno != ENOENT)
        log_warn ("report: %s", err.text);
    count_jobs (t, job->state, 1);
}

static void report_job (report_state_t *b, const sched_job_t *job)
{
    report_tenant_t *t = tenant_row (b, job->tenant);
    report_node_t *n;

    if (t)
        report_job_count (b, t, job);
    if (job->state != JOB_RUNNING || job->start_time <= 0 ||
        job->start_time > b->r->until)
        return;
    /* running jobs: usage so far (ended ones are in the accounting) */
    double secs = b->r->until - job->start_time;
    double cores = job->alloc.cores ? idset_count (job->alloc.cores) : 0;
    double core_secs = cores * secs;
    if (t) {
        t->core_seconds += core_secs;
        t->gpu_seconds += (job->alloc.gpus ? idset_count (job->alloc.gpus) : 0) * secs;
    }
    if ((n = node_row (b, job->alloc.node)))
        n->busy_core_seconds += core_secs;
    if (job->start_time < b->r->since)
        b->r->since = job->start_time;
}

/* Free the tenant index (not the rows, which belong to the message). */
static void rows_free (report_state_t *b)
{
    HASH_FREE_ALL (hh, b->rows);
}

/* Busy shares over the window; tenants see the shares only. */
static void node_shares (report_state_t *b)
{
    msg_report_t *r = b->r;
    double window = r->until - r->since;

    for (uint32_t i = 0; i < r->nnodes; i++) {
        report_node_t *n = &r->nodes[i];
        double share = 0;
        if (window > 0 && n->cores > 0)
            share = n->busy_core_seconds / ((double)n->cores * window);
        n->busy_share = share < 0 ? 0 : share > 1 ? 1 : share;
        if (b->only)
            n->busy_core_seconds = 0;
    }
}

msg_t *report_build (scheduler_t *sc, const char *only_tenant)
{
    report_state_t b = {.sc = sc, .only = only_tenant};
    cphub_error_t err = {{0}};
    msg_t *ok = msg_create (MSG_REPORT_OK);
    uint32_t nnodes = sched_node_count (sc->sched);
    msg_report_t *r;

    if (!ok ||
        !(ok->u.report.nodes = calloc (nnodes ? nnodes : 1, sizeof (report_node_t))))
        goto nomem;
    r = b.r = &ok->u.report;
    r->since = sc->started;
    r->until = sc->now;
    for (uint32_t i = 0; i < nnodes; i++) {
        node_info_t info;
        if (sched_node_info (sc->sched, i, &info) < 0)
            continue;
        snprintf (r->nodes[i].node, sizeof (r->nodes[i].node), "%s", info.name);
        r->nodes[i].cores = info.cores;
    }
    r->nnodes = nnodes;
    /* configured tenants first, in config order, so idle ones show too */
    if (b.only) {
        if (!tenant_row (&b, b.only))
            goto nomem;
    } else {
        for (uint32_t i = 0; i < sc->config->ntenants; i++)
            if (!tenant_row (&b, sc->config->tenants[i].name))
                goto nomem;
    }
    if (store_acct_totals (sc->store, report_acct_cb, &b, &err) < 0)
        log_warn ("report: %s", err.text);
    /* a store that cannot count leaves the counts to the core's jobs */
    if (store_jobs_count (sc->store, b.only, report_count_cb, &b, &err) == 0)
        b.stored = true;
    else {
        log_warn ("report: %s", err.text);
        for (uint32_t i = 0; i < r->ntenants; i++) {
            report_tenant_t *t = &r->tenants[i];
            t->jobs = t->completed = t->failed = t->cancelled = 0;
        }
    }
    for (sched_job_t *job = sched_job_first (sc->sched); job;
         job = sched_job_next (sc->sched, job))
        report_job (&b, job);
    node_shares (&b);
    rows_free (&b);
    return ok;
nomem:
    rows_free (&b);
    msg_destroy (ok);
    errno = ENOMEM;
    return NULL;
}
