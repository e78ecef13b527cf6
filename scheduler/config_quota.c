/* config_quota.c: the quota and budget settings of scheduler.conf,
 * loaded into schedconf_t by schedconf_load (config.c, which lists them in
 * its settings table):
 *     billing = { core_hour = 1.0; gpu_hour = 10.0; };
 *     tenants = ( { name = "acme"; keys = [ ... ];
 *                   max_running_cores = 64; max_running_gpus = 4;
 *                   max_running_jobs = 100; max_pending_jobs = 1000;
 *                   budget = 5000.0; } );
 * Counts of 0 (or absent) mean no limit, except max_pending_jobs: absent,
 * it is SCHEDCONF_PENDING_JOBS_DEFAULT, since every job a tenant has pending is held
 * in the scheduler's memory and walked by each pass, and an unlimited
 * default would let one tenant's arrays grow both without end (0 still means no
 * limit, for an operator who says so). A tenant without `budget` has no
 * budget (unlimited) until an operator grants it one. The shell hands these
 * to the core with sched_tenant_set and sched_billing_set (budget.c).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "scheduler/config.h"

#define DEFAULT_CORE_HOUR 1.0
#define DEFAULT_GPU_HOUR 1.0
#define BILLING_MAX 1e6
#define LIMIT_MAX 100000000 /* cores, GPUs or jobs of one tenant */

/* A tenant's limit: an integer 0..LIMIT_MAX, def when absent. */
static int load_limit (const conf_t *c,
                       uint32_t i,
                       const char *field,
                       int64_t def,
                       uint32_t *out,
                       cphub_error_t *err)
{
    char path[96];
    int64_t v;

    snprintf (path, sizeof (path), "tenants.[%u].%s", i, field);
    if (conf_get_int (c, path, def, &v, err) < 0)
        return -1;
    if (v < 0 || v > LIMIT_MAX)
        return conf_fail (c, path, err, "must be from 0 (no limit) to %d", LIMIT_MAX);
    *out = (uint32_t)v;
    return 0;
}

static int load_weight (
    const conf_t *c, const char *path, double def, double *out, cphub_error_t *err)
{
    if (conf_get_float (c, path, def, out, err) < 0)
        return -1;
    if (!isfinite (*out) || *out < 0 || *out > BILLING_MAX)
        return conf_fail (c, path, err,
                          "must be a number of core-hours from 0 to %g (e.g. 10.0: "
                          "one of these hours costs 10 core-hours)",
                          BILLING_MAX);
    return 0;
}

static int load_tenant (const conf_t *c,
                        uint32_t i,
                        const char *name,
                        sched_tenant_t *t,
                        cphub_error_t *err)
{
    char path[96];
    int rc;

    snprintf (t->name, sizeof (t->name), "%s", name);
    if (load_limit (c, i, "max_running_cores", 0, &t->max_running_cores, err) < 0 ||
        load_limit (c, i, "max_running_gpus", 0, &t->max_running_gpus, err) < 0 ||
        load_limit (c, i, "max_running_jobs", 0, &t->max_running_jobs, err) < 0 ||
        load_limit (c, i, "max_pending_jobs", SCHEDCONF_PENDING_JOBS_DEFAULT,
                    &t->max_pending_jobs, err) < 0)
        return -1;
    snprintf (path, sizeof (path), "tenants.[%u].budget", i);
    if ((rc = conf_get_float (c, path, 0.0, &t->budget, err)) < 0)
        return -1;
    t->has_budget = rc == 0;
    if (t->has_budget &&
        (!isfinite (t->budget) || t->budget < 0 || t->budget > SCHED_GRANT_HOURS_MAX))
        return conf_fail (c, path, err,
                          "must be core-hours from 0 to %g; leave it out for no "
                          "budget (unlimited)",
                          SCHED_GRANT_HOURS_MAX);
    return 0;
}

int schedconf_load_quotas (schedconf_t *cfg, const conf_t *c, cphub_error_t *err)
{
    if (load_weight (c, "billing.core_hour", DEFAULT_CORE_HOUR, &cfg->billing_core_hour,
                     err) < 0 ||
        load_weight (c, "billing.gpu_hour", DEFAULT_GPU_HOUR, &cfg->billing_gpu_hour,
                     err) < 0)
        return -1;
    if (cfg->ntenants > 0 &&
        !(cfg->tenant_limits = calloc (cfg->ntenants, sizeof (*cfg->tenant_limits))))
        return cphub_fail (err, ENOMEM, "out of memory");
    for (uint32_t i = 0; i < cfg->ntenants; i++) {
        if (load_tenant (c, i, cfg->tenants[i].name, &cfg->tenant_limits[i], err) < 0)
            return -1;
    }
    return 0;
}
