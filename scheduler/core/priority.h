/* priority.h: multi-factor job priority for the scheduling core, private to
 * scheduler/core/. The pass (backfill.c) orders pending jobs by it; `cphub
 * priority ID` explains it through sched_job_priority (sched.h).
 *
 * A job's priority is a sum of points:
 *     weight_fairshare * F + weight_age * A + weight_size * Z
 *         + job boost + tenant boost
 * F (fair share, 0..1) = 2^-(u / s), where s is the tenant's part of the
 * shares of the tenants using the hub (running jobs, or at least one decayed
 * core-second) and u its part of their decayed usage: a tenant that used
 * exactly its share gets 0.5, one that used nothing gets 1. Usage is core-seconds,
 * accrued continuously while the tenant's jobs run and decaying exponentially with the
 * configured half-life (a run that ended one half-life ago counts half). A (age, 0..1)
 * = time waiting / max_age, capped at 1. Z (size, 0..1) = the job's cores / the cores
 * of the largest node, capped at 1. Boosts are raw points an operator sets per job
 * (sched_job_boost) or per tenant (config).
 *
 * Nothing here reads a clock: usage moves with the event times it is given,
 * and prio_refresh(now) brings every tenant up to now once per pass, after
 * which prio_job is a few arithmetic operations, so ordering 100,000 jobs
 * costs little more than reading them.
 */
#ifndef CPHUB_PRIORITY_H
#define CPHUB_PRIORITY_H

#include <stdbool.h>
#include <stdint.h>

#include "scheduler/core/sched.h"

#define PRIO_DEFAULT_HALF_LIFE (7 * 86400.0)
#define PRIO_DEFAULT_MAX_AGE (7 * 86400.0)

typedef struct prio prio_t;
typedef struct prio_tenant prio_tenant_t;

/* Copy the weights and the tenant policies of cfg (a half-life or max_age of
 * 0 or less means the 7-day default). NULL/ENOMEM, or NULL/EINVAL for a
 * policy with shares <= 0 or an empty or duplicate name. */
prio_t *prio_create (const sched_config_t *cfg);
void prio_destroy (prio_t *p); /* NULL: nothing */

/* The tenant's record, created on first use (1 share, no boost unless
 * configured). NULL/ENOMEM. The pointer stays valid until prio_destroy. */
prio_tenant_t *prio_tenant_get (prio_t *p, const char *name);

/* Usage events. A run of cores starts at start (possibly in the past, for a
 * restored job: what it used since is counted at once) or ends at end. */
void prio_run_start (prio_t *p, prio_tenant_t *t, uint32_t cores, double start);
void prio_run_end (prio_t *p, prio_tenant_t *t, uint32_t cores, double end);
/* Usage of a run that is over (from the accounting, at a restart). */
void prio_usage_add (prio_t *p, prio_tenant_t *t, double core_seconds, double end);

/* Bring every tenant's usage to now and recompute the fair-share factors;
 * largest_cores scales the size factor (0: size counts nothing). */
void prio_refresh (prio_t *p, double now, uint32_t largest_cores);

/* The priority of a job of tenant t as of the last refresh (fair share) and
 * now (age). f, when not NULL, receives every factor. */
double prio_job (const prio_t *p,
                 const prio_tenant_t *t,
                 double submit_time,
                 uint32_t cores,
                 double job_boost,
                 double now,
                 sched_priority_t *f);

/* Change a tenant's shares (> 0) and boost at run time; they count
 * from the next prio_refresh on. */
void prio_tenant_set_policy (prio_tenant_t *t, double shares, double boost);

#endif
