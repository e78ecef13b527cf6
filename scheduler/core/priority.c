/* priority.c: the multi-factor priority of priority.h. Tenants live in a hash
 * by name; each keeps its decayed usage as of the time it was last brought up
 * to date and the cores its jobs hold now, so that usage accrues exactly for
 * piecewise-constant use: between two events a tenant holding r cores for dt
 * seconds goes from U to U * d + r * (1 - d) / lambda, with d = 2^(-dt / h)
 * and lambda = ln 2 / h, whatever the number of steps in between. No clock,
 * no I/O: every time is an argument.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) ((obj)->oom = true)
#include <uthash.h>

#include "scheduler/core/priority.h"

#include "cphub/limits.h"

/* A tenant counts toward the shares while it runs jobs or keeps at least
 * this much decayed usage (core-seconds). */
#define PRIO_ACTIVE_USAGE 1.0

struct prio_tenant {
    char name[TENANT_NAME_MAX + 1];
    double shares;
    double boost;
    double usage; /* decayed core-seconds as of time */
    double time;  /* valid once dated */
    bool dated;
    uint32_t run_cores; /* held by its running jobs */
    double fairshare;   /* as of the last refresh */
    double usage_share;
    double share;
    bool oom;
    UT_hash_handle hh;
};

struct prio {
    double weight_fairshare;
    double weight_age;
    double weight_size;
    double half_life;
    double lambda; /* ln 2 / half_life */
    double max_age;
    uint32_t largest_cores;
    prio_tenant_t *tenants;
};

static prio_tenant_t *tenant_add (prio_t *p, const char *name)
{
    prio_tenant_t *t = calloc (1, sizeof (*t));

    if (!t) {
        errno = ENOMEM;
        return NULL;
    }
    snprintf (t->name, sizeof (t->name), "%s", name);
    t->shares = 1.0;
    t->fairshare = 1.0;
    HASH_ADD_STR (p->tenants, name, t);
    if (t->oom) {
        free (t);
        errno = ENOMEM;
        return NULL;
    }
    return t;
}

prio_t *prio_create (const sched_config_t *cfg)
{
    prio_t *p = calloc (1, sizeof (*p));
    prio_tenant_t *t = NULL;

    if (!p) {
        errno = ENOMEM;
        return NULL;
    }
    p->weight_fairshare = cfg->weight_fairshare;
    p->weight_age = cfg->weight_age;
    p->weight_size = cfg->weight_size;
    p->half_life = cfg->fairshare_half_life > 0 ? cfg->fairshare_half_life
                                                : PRIO_DEFAULT_HALF_LIFE;
    p->lambda = M_LN2 / p->half_life;
    p->max_age = cfg->max_age > 0 ? cfg->max_age : PRIO_DEFAULT_MAX_AGE;
    for (uint32_t i = 0; i < cfg->ntenant_policies; i++) {
        const sched_tenant_policy_t *pol = &cfg->tenant_policies[i];
        HASH_FIND_STR (p->tenants, pol->name, t);
        if (pol->name[0] == '\0' || t || !(pol->shares > 0) ||
            !isfinite (pol->shares) || !isfinite (pol->boost)) {
            errno = EINVAL;
            goto error;
        }
        if (!(t = tenant_add (p, pol->name)))
            goto error;
        t->shares = pol->shares;
        t->boost = pol->boost;
    }
    return p;
error:;
    int saved = errno;
    prio_destroy (p);
    errno = saved;
    return NULL;
}

void prio_destroy (prio_t *p)
{
    prio_tenant_t *t, *tmp;

    if (!p)
        return;
    HASH_ITER (hh, p->tenants, t, tmp)
    {
        HASH_DEL (p->tenants, t);
        free (t);
    }
    free (p);
}

prio_tenant_t *prio_tenant_get (prio_t *p, const char *name)
{
    prio_tenant_t *t = NULL;

    HASH_FIND_STR (p->tenants, name, t);
    return t ? t : tenant_add (p, name);
}

/* Decay the tenant's usage to time and accrue what its running jobs used
 * meanwhile. Times before the tenant's own do nothing (see the callers). */
static void tenant_advance (const prio_t *p, prio_tenant_t *t, double time)
{
    if (!t->dated) {
        t->time = time;
        t->dated = true;
        return;
    }
    if (!(time > t->time))
        return;
    double x = (time - t->time) * p->lambda;
    double d = exp (-x);
    t->usage = t->usage * d + t->run_cores * (-expm1 (-x)) / p->lambda;
    t->time = time;
}

void prio_run_start (prio_t *p, prio_tenant_t *t, uint32_t cores, double start)
{
    tenant_advance (p, t, start);
    if (start < t->time) /* started in the past (restored): count it now */
        t->usage += cores * (t->time - start);
    t->run_cores += cores;
}

void prio_run_end (prio_t *p, prio_tenant_t *t, uint32_t cores, double end)
{
    tenant_advance (p, t, end);
    if (end < t->time) { /* reported after a refresh passed it: take back */
        t->usage -= cores * (t->time - end);
        if (t->usage < 0)
            t->usage = 0;
    }
    t->run_cores -= cores < t->run_cores ? cores : t->run_cores;
}

void prio_usage_add (prio_t *p, prio_tenant_t *t, double core_seconds, double end)
{
    if (!(core_seconds > 0) || !isfinite (core_seconds))
        return;
    tenant_advance (p, t, end);
    if (end < t->time)
        core_seconds *= exp (-(t->time - end) * p->lambda);
    t->usage += core_seconds;
}

void prio_refresh (prio_t *p, double now, uint32_t largest_cores)
{
    prio_tenant_t *t, *tmp;
    double total_usage = 0, total_shares = 0;

    p->largest_cores = largest_cores;
    HASH_ITER (hh, p->tenants, t, tmp)
    {
        tenant_advance (p, t, now);
        if (t->run_cores > 0 || t->usage >= PRIO_ACTIVE_USAGE) {
            total_usage += t->usage;
            total_shares += t->shares;
        }
    }
    HASH_ITER (hh, p->tenants, t, tmp)
    {
        bool active = t->run_cores > 0 || t->usage >= PRIO_ACTIVE_USAGE;
        t->usage_share = active && total_usage > 0 ? t->usage / total_usage : 0;
        /* an idle tenant: the part it would have if it ran now */
        t->share = t->shares / (active ? total_shares : total_shares + t->shares);
        t->fairshare = t->share > 0 ? exp2 (-t->usage_share / t->share) : 1.0;
    }
}

double prio_job (const prio_t *p,
                 const prio_tenant_t *t,
                 double submit_time,
                 uint32_t cores,
                 double job_boost,
                 double now,
                 sched_priority_t *f)
{
    double waited = now - submit_time;
    double age = waited <= 0 ? 0 : waited >= p->max_age ? 1.0 : waited / p->max_age;
    double size = 0;
    double total;

    if (p->largest_cores > 0)
        size = cores >= p->largest_cores ? 1.0 : (double)cores / p->largest_cores;
    total = p->weight_fairshare * t->fairshare + p->weight_age * age +
            p->weight_size * size + job_boost + t->boost;
    if (f) {
        f->priority = total;
        f->fairshare = t->fairshare;
        f->age = age;
        f->size = size;
        f->job_boost = job_boost;
        f->tenant_boost = t->boost;
        f->weight_fairshare = p->weight_fairshare;
        f->weight_age = p->weight_age;
        f->weight_size = p->weight_size;
        f->tenant_shares = t->share;
        f->tenant_usage = t->usage;
        f->usage_share = t->usage_share;
        f->half_life = p->half_life;
        f->max_age = p->max_age;
    }
    return total;
}

void prio_tenant_set_policy (prio_tenant_t *t, double shares, double boost)
{
    t->shares = shares;
    t->boost = boost;
}
