/* quota.c: tenants' quotas and budget ledgers in the scheduling core (the
 * API is at the end of sched.h, the hooks in sched_int.h).
 *
 * Each tenant has one record (a hash by name, in the order the core first
 * heard of it) with its limits, counters kept up to date by the job events
 * (jobs not ended, running jobs, the cores and GPUs they hold, the budget
 * their wall times reserve) and its budget ledger: the config's budget, the
 * operators' grants and sets, and what ended runs used. The scheduling
 * pass asks sched_quota_hold for each pending job, which is a few compares
 * on the tenant's counters, so quotas and budgets cost O(1) per job.
 *
 * Budgets are one number in core-hours: a run costs (core-seconds x
 * core_hour + GPU-seconds x gpu_hour) / 3600, with the billing weights of
 * sched_billing_set. Usage is kept unpriced (core-seconds and GPU-seconds,
 * the sums of the runs' accounting records, added in the order the records
 * were made) and priced when read, so the balance is exactly the accounting
 * converted the same way. Reservations are integers (cores x wall-time
 * seconds), so that they go back to exactly nothing. Nothing decays. No
 * I/O, no clock.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/core/sched_int.h"

#include "cphub/limits.h"

#define BILLING_MAX 1e6
#define SECONDS_PER_HOUR 3600.0

struct sched_quota_tenant {
    char name[TENANT_NAME_MAX + 1]; /* key */
    sched_tenant_t limits;
    bool watch;           /* any limit or a budget: the pass must look */
    uint32_t active_jobs; /* not ended; pending = active - running */
    uint32_t running_jobs;
    uint32_t running_cores;
    uint32_t running_gpus;
    int64_t reserved_core_s; /* running jobs: cores x wall time */
    int64_t reserved_gpu_s;
    double spent_core_s; /* ended runs, failed ones excluded */
    double spent_gpu_s;
    bool has_ledger;    /* a grant or set was made */
    bool ledger_set;    /* the last set replaces the config's budget */
    double set_hours;   /* its value */
    double added_hours; /* grants since (or all grants, without a set) */
    const sched_quota_t *tab;
    bool oom;
    UT_hash_handle hh;
};

struct sched_quota {
    sched_quota_tenant_t *tenants;
    double core_hour;
    double gpu_hour;
};

/* Why a job waits, if it does. */
typedef enum {
    HOLD_NONE = 0,
    HOLD_JOBS,
    HOLD_CORES,
    HOLD_GPUS,
    HOLD_BUDGET,
} hold_t;

sched_quota_t *sched_quota_create (void)
{
    sched_quota_t *q = calloc (1, sizeof (*q));

    if (!q) {
        errno = ENOMEM;
        return NULL;
    }
    q->core_hour = 1.0;
    q->gpu_hour = 1.0;
    return q;
}

void sched_quota_destroy (sched_quota_t *q)
{
    sched_quota_tenant_t *t, *tmp;

    if (!q)
        return;
    HASH_ITER (hh, q->tenants, t, tmp)
    {
        HASH_DEL (q->tenants, t);
        free (t);
    }
    free (q);
}

/* --- tenants ------------------------------------------------------------------ */

static bool name_ok (const char *name)
{
    return name && name[0] != '\0' && strnlen (name, 64) < 64;
}

static sched_quota_tenant_t *tenant_find (const sched_quota_t *q, const char *name)
{
    sched_quota_tenant_t *t = NULL;

    HASH_FIND_STR (q->tenants, name, t);
    return t;
}

/* The tenant's record, made (no limits, no budget) on first use.
 * NULL/ENOMEM or EINVAL (no valid name). */
static sched_quota_tenant_t *tenant_get (sched_quota_t *q, const char *name)
{
    sched_quota_tenant_t *t;

    if (!name_ok (name)) {
        errno = EINVAL;
        return NULL;
    }
    if ((t = tenant_find (q, name)))
        return t;
    if (!(t = calloc (1, sizeof (*t)))) {
        errno = ENOMEM;
        return NULL;
    }
    snprintf (t->name, sizeof (t->name), "%s", name);
    snprintf (t->limits.name, sizeof (t->limits.name), "%s", name);
    t->tab = q;
    HASH_ADD_STR (q->tenants, name, t);
    if (t->oom) {
        free (t);
        errno = ENOMEM;
        return NULL;
    }
    return t;
}

static bool budget_limited (const sched_quota_tenant_t *t)
{
    return t->limits.has_budget || t->has_ledger;
}

static void tenant_refresh (sched_quota_tenant_t *t)
{
    const sched_tenant_t *l = &t->limits;

    t->watch = l->max_running_cores > 0 || l->max_running_gpus > 0 ||
               l->max_running_jobs > 0 || budget_limited (t);
}

static uint32_t pending_of (const sched_quota_tenant_t *t)
{
    return t->active_jobs > t->running_jobs ? t->active_jobs - t->running_jobs : 0;
}

/* Core-hours of cores and GPUs used for seconds each, priced. */
static double priced (const sched_quota_t *q, double core_s, double gpu_s)
{
    return (core_s * q->core_hour + gpu_s * q->gpu_hour) / SECONDS_PER_HOUR;
}

static double granted_of (const sched_quota_tenant_t *t)
{
    double base = t->ledger_set          ? t->set_hours
                  : t->limits.has_budget ? t->limits.budget
                                         : 0.0;
    return base + t->added_hours;
}

static double spent_of (const sched_quota_tenant_t *t)
{
    return priced (t->tab, t->spent_core_s, t->spent_gpu_s);
}

static double reserved_of (const sched_quota_tenant_t *t)
{
    return priced (t->tab, (double)t->reserved_core_s, (double)t->reserved_gpu_s);
}

static double remaining_of (const sched_quota_tenant_t *t)
{
    return granted_of (t) - spent_of (t) - reserved_of (t);
}

int sched_tenant_set (sched_t *s, const sched_tenant_t *limits)
{
    sched_quota_tenant_t *t;

    if (!limits || !name_ok (limits->name) ||
        (limits->has_budget && (!isfinite (limits->budget) || limits->budget < 0 ||
                                limits->budget > SCHED_GRANT_HOURS_MAX))) {
        errno = EINVAL;
        return -1;
    }
    if (!(t = tenant_get (s->quota, limits->name)))
        return -1;
    t->limits = *limits;
    snprintf (t->limits.name, sizeof (t->limits.name), "%s", t->name);
    tenant_refresh (t);
    s->gen++; /* a pass looks again */
    return 0;
}

int sched_tenant_get (const sched_t *s, const char *name, sched_tenant_t *out)
{
    const sched_quota_tenant_t *t =
        name_ok (name) ? tenant_find (s->quota, name) : NULL;

    if (!t) {
        errno = ENOENT;
        return -1;
    }
    *out = t->limits;
    return 0;
}

const char *sched_tenant_next (const sched_t *s, const char *prev)
{
    const sched_quota_tenant_t *t;

    if (!prev)
        return s->quota->tenants ? s->quota->tenants->name : NULL;
    if (!(t = tenant_find (s->quota, prev)) || !t->hh.next)
        return NULL;
    return ((const sched_quota_tenant_t *)t->hh.next)->name;
}

int sched_billing_set (sched_t *s, double core_hour, double gpu_hour)
{
    if (!isfinite (core_hour) || !isfinite (gpu_hour) || core_hour < 0 ||
        gpu_hour < 0 || core_hour > BILLING_MAX || gpu_hour > BILLING_MAX) {
        errno = EINVAL;
        return -1;
    }
    s->quota->core_hour = core_hour;
    s->quota->gpu_hour = gpu_hour;
    s->gen++;
    return 0;
}

/* --- the ledger ------------------------------------------------------------------ */

int sched_budget_grant_check (sched_t *s, const sched_grant_t *g, cphub_error_t *err)
{
    if (!name_ok (g->tenant))
        return cphub_fail (err, EINVAL, "a grant needs a tenant name of 1 to 63 bytes");
    if (!isfinite (g->hours) || fabs (g->hours) > SCHED_GRANT_HOURS_MAX)
        return cphub_fail (err, EINVAL, "hours must be a number from %g to %g",
                           -SCHED_GRANT_HOURS_MAX, SCHED_GRANT_HOURS_MAX);
    if (g->set && g->hours < 0)
        return cphub_fail (err, EINVAL,
                           "a budget cannot be set below 0 core-hours (asked %g)",
                           g->hours);
    if (!tenant_get (s->quota, g->tenant))
        return cphub_fail (err, ENOMEM, "out of memory granting to %s", g->tenant);
    return 0;
}

int sched_budget_grant (sched_t *s, const sched_grant_t *g, cphub_error_t *err)
{
    sched_quota_tenant_t *t;

    if (sched_budget_grant_check (s, g, err) < 0)
        return -1;
    t = tenant_find (s->quota, g->tenant);
    t->has_ledger = true;
    if (g->set) {
        t->ledger_set = true;
        t->set_hours = g->hours;
        t->added_hours = 0;
    } else {
        t->added_hours += g->hours;
    }
    tenant_refresh (t);
    s->gen++;
    return 0;
}

/* Usage of one ended run: added in the order the records are made. */
static void charge (sched_quota_tenant_t *t, const sched_acct_t *rec)
{
    t->spent_core_s += rec->core_seconds;
    t->spent_gpu_s += rec->gpu_seconds;
}

int sched_budget_charge (sched_t *s, const sched_acct_t *rec)
{
    sched_quota_tenant_t *t;

    if (rec->failed_run)
        return 0;
    if (!(t = tenant_get (s->quota, rec->tenant)))
        return errno == EINVAL ? 0 : -1; /* a record without a tenant: nobody's */
    charge (t, rec);
    return 0;
}

void sched_balance (const sched_t *s, const char *tenant, sched_balance_t *out)
{
    const sched_quota_tenant_t *t =
        name_ok (tenant) ? tenant_find (s->quota, tenant) : NULL;

    memset (out, 0, sizeof (*out));
    snprintf (out->tenant, sizeof (out->tenant), "%s", tenant ? tenant : "");
    snprintf (out->limits.name, sizeof (out->limits.name), "%s", out->tenant);
    out->core_hour = s->quota->core_hour;
    out->gpu_hour = s->quota->gpu_hour;
    if (!t)
        return;
    out->limits = t->limits;
    out->limited = budget_limited (t);
    out->granted = granted_of (t);
    out->spent = spent_of (t);
    out->reserved = reserved_of (t);
    out->remaining = out->granted - out->spent - out->reserved;
    out->core_seconds = t->spent_core_s;
    out->gpu_seconds = t->spent_gpu_s;
    out->running_cores = t->running_cores;
    out->running_gpus = t->running_gpus;
    out->running_jobs = t->running_jobs;
    out->pending_jobs = pending_of (t);
}

/* --- job events ------------------------------------------------------------------- */

void sched_quota_job_added (sched_t *s, job_entry_t *e)
{
    if (e->q_active || job_state_is_terminal (e->job.state))
        return;
    if (!e->qt && !(e->qt = tenant_get (s->quota, e->job.tenant)))
        return; /* out of memory: the job counts nowhere */
    e->qt->active_jobs++;
    e->q_active = true;
}

void sched_quota_job_gone (sched_t *s, job_entry_t *e)
{
    (void)s;
    if (!e->q_active)
        return;
    e->qt->active_jobs--;
    e->q_active = false;
}

void sched_quota_run_start (sched_t *s, job_entry_t *e)
{
    sched_quota_tenant_t *t;

    if (e->q_running)
        return;
    if (!e->qt && !(e->qt = tenant_get (s->quota, e->job.tenant)))
        return;
    t = e->qt;
    e->q_cores = sched_job_cores_held (e);
    if (e->q_cores == 0)
        e->q_cores = jobspec_cores (&e->job.spec);
    e->q_gpus = sched_job_gpus_held (e);
    e->q_walltime = e->job.walltime > 0 ? e->job.walltime : 0;
    e->q_running = true;
    t->running_jobs++;
    t->running_cores += e->q_cores;
    t->running_gpus += e->q_gpus;
    t->reserved_core_s += (int64_t)e->q_cores * e->q_walltime;
    t->reserved_gpu_s += (int64_t)e->q_gpus * e->q_walltime;
}

void sched_quota_run_end (sched_t *s, job_entry_t *e, const sched_acct_t *rec)
{
    sched_quota_tenant_t *t = e->qt;

    (void)s;
    if (!e->q_running)
        return;
    e->q_running = false;
    t->running_jobs--;
    t->running_cores -= e->q_cores;
    t->running_gpus -= e->q_gpus;
    t->reserved_core_s -= (int64_t)e->q_cores * e->q_walltime;
    t->reserved_gpu_s -= (int64_t)e->q_gpus * e->q_walltime;
    if (rec && !rec->failed_run)
        charge (t, rec);
}

/* --- checks ------------------------------------------------------------------------
 */

int sched_quota_submit_check (sched_t *s,
                              const char *tenant,
                              const jobspec_t *spec,
                              uint32_t count,
                              cphub_error_t *err)
{
    sched_quota_tenant_t *t = tenant_get (s->quota, tenant);
    const sched_tenant_t *l;
    uint32_t cores = jobspec_cores (spec), pending;

    if (!t)
        return cphub_fail (err, errno, "%s",
                           errno == ENOMEM ? "out of memory" : "a job needs a tenant");
    l = &t->limits;
    if (l->max_running_cores > 0 && cores > l->max_running_cores)
        return cphub_fail (err, EINVAL,
                           "asked %" PRIu32 " cores; %s may run at most %" PRIu32
                           " at once",
                           cores, t->name, l->max_running_cores);
    if (l->max_running_gpus > 0 && spec->gpus > l->max_running_gpus)
        return cphub_fail (err, EINVAL,
                           "asked %" PRIu32 " GPUs; %s may run at most %" PRIu32
                           " at once",
                           spec->gpus, t->name, l->max_running_gpus);
    if (l->max_pending_jobs == 0)
        return 0;
    pending = pending_of (t);
    if ((uint64_t)pending + count <= l->max_pending_jobs)
        return 0;
    if (count == 1)
        return cphub_fail (err, ENOSPC,
                           "%s has %" PRIu32 " pending jobs; the limit is %" PRIu32,
                           t->name, pending, l->max_pending_jobs);
    return cphub_fail (err, ENOSPC,
                       "%s has %" PRIu32 " pending jobs; %" PRIu32
                       " more would pass the limit of %" PRIu32,
                       t->name, pending, count, l->max_pending_jobs);
}

/* What a job would cost at its wall-time limit, in core-hours. */
static double job_cost (const sched_quota_t *q,
                        uint32_t cores,
                        uint32_t gpus,
                        int64_t walltime)
{
    return priced (q, (double)((int64_t)cores * walltime),
                   (double)((int64_t)gpus * walltime));
}

/* Which limit, if any, keeps job from starting now. */
static hold_t hold_check (const sched_quota_tenant_t *t, const sched_job_t *job)
{
    const sched_tenant_t *l = &t->limits;
    uint32_t cores = jobspec_cores (&job->spec), gpus = job->spec.gpus;

    if (l->max_running_jobs > 0 && t->running_jobs >= l->max_running_jobs)
        return HOLD_JOBS;
    if (l->max_running_cores > 0 &&
        (uint64_t)t->running_cores + cores > l->max_running_cores)
        return HOLD_CORES;
    if (l->max_running_gpus > 0 && gpus > 0 &&
        (uint64_t)t->running_gpus + gpus > l->max_running_gpus)
        return HOLD_GPUS;
    if (budget_limited (t) &&
        job_cost (t->tab, cores, gpus, job->walltime) > remaining_of (t))
        return HOLD_BUDGET;
    return HOLD_NONE;
}

const char *sched_quota_hold (const job_entry_t *e)
{
    const sched_quota_tenant_t *t = e->qt;

    if (!t || !t->watch)
        return NULL;
    switch (hold_check (t, &e->job)) {
    case HOLD_NONE:
        return NULL;
    case HOLD_BUDGET:
        return "Budget";
    default:
        return "Quota";
    }
}

/* Core-hours for people: "100", "8.0", "0.017". */
static void format_hours (double h, char *buf, size_t len)
{
    double a = fabs (h);

    if (a >= 100 || a == 0)
        snprintf (buf, len, "%.0f", h);
    else if (a >= 1)
        snprintf (buf, len, "%.1f", h);
    else
        snprintf (buf, len, "%.2g", h);
}

/* Write the first of two texts that fits (the second is shorter). */
static void fit (char *buf, size_t len, const char *longer, const char *shorter)
{
    if (strlen (longer) < len)
        snprintf (buf, len, "%s", longer);
    else
        snprintf (buf, len, "%s", shorter);
}

void sched_quota_explain (const sched_job_t *job, char *buf, size_t len)
{
    const job_entry_t *e = (const job_entry_t *)(const void *)job;
    const sched_quota_tenant_t *t = e->qt;
    const char *what = "jobs";
    uint32_t runs = 0, most = 0, asks = 0;
    char a[256], b[256], need[32], left[32], total[32];

    if (!t || job->state != JOB_PENDING ||
        (strcmp (job->reason, "Quota") != 0 && strcmp (job->reason, "Budget") != 0))
        return;
    switch (hold_check (t, job)) {
    case HOLD_NONE:
        return; /* not any more: the next pass starts it */
    case HOLD_BUDGET:
        format_hours (job_cost (t->tab, jobspec_cores (&job->spec), job->spec.gpus,
                                job->walltime),
                      need, sizeof (need));
        format_hours (remaining_of (t), left, sizeof (left));
        format_hours (granted_of (t), total, sizeof (total));
        snprintf (a, sizeof (a),
                  "Budget: needs %s core-hours at its wall time; %s of %s remain", need,
                  left, total);
        snprintf (b, sizeof (b), "Budget: needs %s core-hours; %s of %s remain", need,
                  left, total);
        fit (buf, len, a, b);
        return;
    case HOLD_JOBS:
        runs = t->running_jobs;
        most = t->limits.max_running_jobs;
        asks = 1;
        break;
    case HOLD_CORES:
        what = "cores";
        runs = t->running_cores;
        most = t->limits.max_running_cores;
        asks = jobspec_cores (&job->spec);
        break;
    case HOLD_GPUS:
        what = "GPUs";
        runs = t->running_gpus;
        most = t->limits.max_running_gpus;
        asks = job->spec.gpus;
        break;
    }
    if (asks > most) { /* the limit was lowered below the job */
        snprintf (a, sizeof (a), "Quota: asks %" PRIu32 " %s; %s may run %" PRIu32,
                  asks, what, t->name, most);
        snprintf (b, sizeof (b), "Quota: asks %" PRIu32 " %s; the limit is %" PRIu32,
                  asks, what, most);
    } else if (runs < most) { /* room, but not for all it asks */
        snprintf (a, sizeof (a),
                  "Quota: %s runs %" PRIu32 " of %" PRIu32 " %s allowed; asks %" PRIu32,
                  t->name, runs, most, what, asks);
        snprintf (b, sizeof (b),
                  "Quota: runs %" PRIu32 " of %" PRIu32 " %s allowed; asks %" PRIu32,
                  runs, most, what, asks);
    } else {
        snprintf (a, sizeof (a), "Quota: %s runs %" PRIu32 " of %" PRIu32 " %s allowed",
                  t->name, runs, most, what);
        snprintf (b, sizeof (b), "Quota: runs %" PRIu32 " of %" PRIu32 " %s allowed",
                  runs, most, what);
    }
    fit (buf, len, a, b);
}
