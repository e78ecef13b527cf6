/* budget.c: quotas and budgets in the scheduler's shell (see budget.h): the
 * config's limits and billing weights handed to the core, the operators'
 * grants applied to the core and written to the store's ledger in the
 * turn's batch, and the balance.ok replies built from sched_balance (so no
 * request scans jobs or accounting records).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/log.h"
#include "scheduler/budget.h"

struct budget {
    sched_grant_t *unwritten; /* grants made since the last persist */
    size_t nunwritten;
    size_t cap;
};

void budget_destroy (budget_t *b)
{
    if (!b)
        return;
    free (b->unwritten);
    free (b);
}

/* --- start ------------------------------------------------------------------ */

static int restore_grant_cb (const store_grant_t *g, void *arg)
{
    scheduler_t *sc = arg;
    cphub_error_t err = {{0}};

    if (sched_budget_grant (sc->sched, g, &err) < 0) {
        if (errno == ENOMEM)
            return -1;
        log_err ("store: a budget %s of %g core-hours for %s is not applied: %s",
                 g->set ? "set" : "grant", g->hours, g->tenant, err.text);
    }
    return 0;
}

int budget_restore (scheduler_t *sc, cphub_error_t *err)
{
    const schedconf_t *cfg = sc->config;

    if (!sc->budget && !(sc->budget = calloc (1, sizeof (*sc->budget))))
        return cphub_fail (err, ENOMEM, "out of memory");
    if (sched_billing_set (sc->sched, cfg->billing_core_hour, cfg->billing_gpu_hour) <
        0)
        return cphub_fail (err, EINVAL, "billing weights %g and %g are not valid",
                           cfg->billing_core_hour, cfg->billing_gpu_hour);
    for (uint32_t i = 0; cfg->tenant_limits && i < cfg->ntenants; i++) {
        if (sched_tenant_set (sc->sched, &cfg->tenant_limits[i]) < 0)
            return cphub_fail (err, errno, "tenant %s: limits not taken: %s",
                               cfg->tenant_limits[i].name, strerror (errno));
    }
    return store_grants_load (sc->store, restore_grant_cb, sc, err);
}

int budget_persist (scheduler_t *sc, cphub_error_t *err)
{
    budget_t *b = sc->budget;
    int rc = 0;

    if (!b)
        return 0;
    for (size_t i = 0; i < b->nunwritten && rc == 0; i++)
        rc = store_grant_append (sc->store, &b->unwritten[i], err);
    b->nunwritten = 0;
    return rc;
}

/* --- replies ---------------------------------------------------------------- */

static void row_fill (scheduler_t *sc, const char *tenant, balance_tenant_t *row)
{
    sched_balance_t b;

    sched_balance (sc->sched, tenant, &b);
    memset (row, 0, sizeof (*row));
    snprintf (row->tenant, sizeof (row->tenant), "%s", b.tenant);
    row->limited = b.limited;
    row->granted = b.granted;
    row->spent = b.spent;
    row->reserved = b.reserved;
    row->remaining = b.remaining;
    row->core_seconds = b.core_seconds;
    row->gpu_seconds = b.gpu_seconds;
    row->running_cores = b.running_cores;
    row->max_running_cores = b.limits.max_running_cores;
    row->running_gpus = b.running_gpus;
    row->max_running_gpus = b.limits.max_running_gpus;
    row->running_jobs = b.running_jobs;
    row->max_running_jobs = b.limits.max_running_jobs;
    row->pending_jobs = b.pending_jobs;
    row->max_pending_jobs = b.limits.max_pending_jobs;
}

/* A balance.ok (or budget.grant.ok) for one tenant, or every tenant the
 * core knows when tenant is NULL. NULL/ENOMEM. */
static msg_t *balance_reply (scheduler_t *sc, msg_type_t type, const char *tenant)
{
    msg_t *ok = msg_create (type);
    msg_balance_t *bal;
    uint32_t n = 1;

    if (!ok)
        return NULL;
    bal = &ok->u.balance;
    if (!tenant) {
        n = 0;
        for (const char *t = sched_tenant_next (sc->sched, NULL); t;
             t = sched_tenant_next (sc->sched, t))
            n++;
    }
    if (n > 0 && !(bal->tenants = calloc (n, sizeof (*bal->tenants)))) {
        msg_destroy (ok);
        errno = ENOMEM;
        return NULL;
    }
    if (tenant) {
        row_fill (sc, tenant, &bal->tenants[0]);
    } else {
        uint32_t i = 0;
        for (const char *t = sched_tenant_next (sc->sched, NULL); t && i < n;
             t = sched_tenant_next (sc->sched, t))
            row_fill (sc, t, &bal->tenants[i++]);
    }
    sched_balance_t weights; /* the billing weights in force */
    sched_balance (sc->sched, NULL, &weights);
    bal->count = n;
    bal->core_hour = weights.core_hour;
    bal->gpu_hour = weights.gpu_hour;
    return ok;
}

/* Does the hub know this tenant (its config, a run-time tenant given
 * limits, or one that ever submitted or was granted)? */
static bool tenant_known (scheduler_t *sc, const char *name)
{
    sched_tenant_t t;

    return name[0] != '\0' && sched_tenant_get (sc->sched, name, &t) == 0;
}

static msg_t *balance_request (scheduler_t *sc,
                               auth_role_t role,
                               const char *name,
                               const msg_balance_req_t *req)
{
    if (role == AUTH_ROLE_TENANT) {
        if (req->tenant[0] != '\0' && strcmp (req->tenant, name) != 0)
            return msg_error_create (EPERM, "tenants see only their own balance");
        return balance_reply (sc, MSG_BALANCE_OK, name);
    }
    if (req->tenant[0] == '\0')
        return balance_reply (sc, MSG_BALANCE_OK, NULL);
    if (!tenant_known (sc, req->tenant))
        return msg_error_create (ENOENT, "no tenant '%.64s'; cphub balance lists them",
                                 req->tenant);
    return balance_reply (sc, MSG_BALANCE_OK, req->tenant);
}

static int unwritten_push (budget_t *b, const sched_grant_t *g)
{
    if (b->nunwritten == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        sched_grant_t *grown = realloc (b->unwritten, cap * sizeof (*grown));
        if (!grown) {
            errno = ENOMEM;
            return -1;
        }
        b->unwritten = grown;
        b->cap = cap;
    }
    b->unwritten[b->nunwritten++] = *g;
    return 0;
}

static msg_t *grant_request (scheduler_t *sc,
                             const char *name,
                             const char *who,
                             const msg_budget_grant_t *req)
{
    sched_grant_t g = {.time = sc->now, .hours = req->hours, .set = req->set};
    cphub_error_t err = {{0}};
    sched_balance_t b;

    if (!tenant_known (sc, req->tenant))
        return msg_error_create (ENOENT, "no tenant '%.64s'; cphub balance lists them",
                                 req->tenant);
    snprintf (g.tenant, sizeof (g.tenant), "%s", req->tenant);
    snprintf (g.reason, sizeof (g.reason), "%s", req->reason);
    snprintf (g.by, sizeof (g.by), "%s", name);
    if (sched_budget_grant_check (sc->sched, &g, &err) < 0)
        return msg_error_create (errno, "%s", err.text);
    if (unwritten_push (sc->budget, &g) < 0)
        return NULL;
    if (sched_budget_grant (sc->sched, &g, &err) < 0) { /* checked: cannot fail */
        sc->budget->nunwritten--;
        return msg_error_create (errno, "%s", err.text);
    }
    sched_balance (sc->sched, g.tenant, &b);
    log_info ("budget of %s %s %g core-hours by %s%s%s%s: %.2f granted, %.2f remain",
              g.tenant, g.set ? "set to" : "granted", g.hours, who,
              g.reason[0] ? " (" : "", g.reason, g.reason[0] ? ")" : "", b.granted,
              b.remaining);
    return balance_reply (sc, MSG_BUDGET_GRANT_OK, g.tenant);
}

msg_t *budget_request (scheduler_t *sc,
                       auth_role_t role,
                       const char *name,
                       const char *who,
                       const msg_t *m)
{
    switch (m->type) {
    case MSG_BALANCE:
        return balance_request (sc, role, name, &m->u.balance_req);
    case MSG_BUDGET_GRANT:
        if (role != AUTH_ROLE_OPERATOR) /* auth.c keeps tenants out already */
            return msg_error_create (EPERM, "only operators may grant budgets");
        return grant_request (sc, name, who, &m->u.grant);
    default:
        return msg_error_create (EPROTO, "%s is not a budget request",
                                 msg_type_name (m->type));
    }
}
