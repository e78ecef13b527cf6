/* sched_policy.c: what ties priority.h to the core's jobs (sched_int.h) and
 * the parts of sched.h that expose it: each job's tenant record, the usage
 * of runs as they start and end (so that fair share sees running jobs as
 * they run), the priority explained factor by factor, operator boosts, past
 * usage fed back at a restart, and the names of the backfill policies. The
 * pass itself is backfill.c. No I/O, no clock.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scheduler/core/sched_int.h"

#define BOOST_MAX 1e9

static const char *const backfill_names[SCHED_BACKFILL_COUNT] = {
    [SCHED_BACKFILL_FIFO] = "fifo",
    [SCHED_BACKFILL_EASY] = "easy",
    [SCHED_BACKFILL_CONSERVATIVE] = "conservative",
};

const char *sched_backfill_name (sched_backfill_t b)
{
    return (unsigned)b < SCHED_BACKFILL_COUNT ? backfill_names[b] : "?";
}

int sched_backfill_parse (const char *name, sched_backfill_t *out)
{
    for (int i = 0; i < SCHED_BACKFILL_COUNT; i++) {
        if (strcmp (name, backfill_names[i]) == 0) {
            *out = (sched_backfill_t)i;
            return 0;
        }
    }
    errno = EINVAL;
    return -1;
}

prio_tenant_t *sched_job_tenant (sched_t *s, job_entry_t *e)
{
    if (!e->ptenant)
        e->ptenant = prio_tenant_get (s->prio, e->job.tenant);
    return e->ptenant;
}

/* The cores a run holds: all of its nodes' (what it asked, before they are
 * known). */
static uint32_t run_cores (const job_entry_t *e)
{
    uint32_t cores = sched_job_cores_held (e);

    return cores > 0 ? cores : jobspec_cores (&e->job.spec);
}

void sched_usage_run_start (sched_t *s, job_entry_t *e, double start)
{
    prio_tenant_t *t = sched_job_tenant (s, e);

    if (!t || e->usage_running)
        return;
    e->usage_cores = run_cores (e);
    e->usage_running = true;
    prio_run_start (s->prio, t, e->usage_cores, start);
}

void sched_usage_run_end (sched_t *s, job_entry_t *e, double end)
{
    if (!e->usage_running || !e->ptenant)
        return;
    prio_run_end (s->prio, e->ptenant, e->usage_cores, end);
    e->usage_running = false;
}

uint32_t sched_largest_cores (const sched_t *s)
{
    uint32_t most = 0;

    for (size_t i = 0; i < s->ncaps; i++)
        if (s->caps[i].cores > most)
            most = s->caps[i].cores;
    return most;
}

int sched_job_priority (sched_t *s, uint64_t id, double now, sched_priority_t *out)
{
    job_entry_t *e = sched_job_find (s, id);
    prio_tenant_t *t;

    if (!e) {
        errno = ENOENT;
        return -1;
    }
    if (!(t = sched_job_tenant (s, e)))
        return -1;
    memset (out, 0, sizeof (*out));
    prio_refresh (s->prio, now, sched_largest_cores (s));
    prio_job (s->prio, t, sched_job_age_from (&e->job), jobspec_cores (&e->job.spec),
              e->job.boost, now, out);
    return 0;
}

int sched_job_boost (sched_t *s, uint64_t id, double boost, cphub_error_t *err)
{
    job_entry_t *e = sched_job_find (s, id);

    if (!e)
        return cphub_fail (err, ENOENT, "no job %ju", (uintmax_t)id);
    if (!isfinite (boost) || fabs (boost) > BOOST_MAX)
        return cphub_fail (err, EINVAL, "a boost must be a number between %g and %g",
                           -BOOST_MAX, BOOST_MAX);
    if (job_state_is_terminal (e->job.state))
        return cphub_fail (err, EALREADY, "job %ju already ended (%s)", (uintmax_t)id,
                           job_state_name (e->job.state));
    if (sched_dq_reserve (s, 1) < 0)
        return cphub_fail (err, ENOMEM, "out of memory boosting job %ju",
                           (uintmax_t)id);
    e->job.boost = boost;
    sched_dq_push (s, SCHED_CHANGED, e->job.id, NULL);
    return 0;
}

int sched_usage_add (sched_t *s,
                     const char *tenant,
                     double core_seconds,
                     double end_time)
{
    prio_tenant_t *t = prio_tenant_get (s->prio, tenant);

    if (!t)
        return -1;
    prio_usage_add (s->prio, t, core_seconds, end_time);
    return 0;
}

/* Run-time tenants (cphub tenant add and set). */
int sched_tenant_policy_set (sched_t *s,
                             const sched_tenant_policy_t *pol,
                             cphub_error_t *err)
{
    prio_tenant_t *t;

    if (pol->name[0] == '\0' ||
        strnlen (pol->name, sizeof (pol->name)) == sizeof (pol->name))
        return cphub_fail (err, EINVAL, "a tenant needs a name of 1 to %zu bytes",
                           sizeof (pol->name) - 1);
    if (!isfinite (pol->shares) || !(pol->shares > 0) || pol->shares > 1e9)
        return cphub_fail (err, EINVAL,
                           "shares must be more than 0 and at most 1e9 (a tenant with "
                           "2 shares gets twice the hub of one with 1)");
    if (!isfinite (pol->boost) || fabs (pol->boost) > BOOST_MAX)
        return cphub_fail (err, EINVAL, "a boost must be a number between %g and %g",
                           -BOOST_MAX, BOOST_MAX);
    if (!(t = prio_tenant_get (s->prio, pol->name)))
        return cphub_fail (err, ENOMEM, "out of memory adding tenant %s", pol->name);
    prio_tenant_set_policy (t, pol->shares, pol->boost);
    return 0;
}
