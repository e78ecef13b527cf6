/* test_priority.c: unit tests for the multi-factor priority (priority.h) and
 * its use by the core (sched.h): usage decays with the half-life and accrues
 * while jobs run, fair share follows usage against shares, age and size
 * saturate at 1, operator boosts add points, the config is refused when it
 * makes no sense, and the core starts the jobs of a tenant that used less
 * before those of one that used more.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/core/priority.h"
#include "scheduler/core/sched.h"
#include "tests/unit/core_helpers.h"

static sched_priority_t factors (prio_t *p, const char *tenant, double now)
{
    sched_priority_t f;
    prio_tenant_t *t = prio_tenant_get (p, tenant);

    cr_assert_not_null (t);
    memset (&f, 0, sizeof (f));
    prio_job (p, t, now, 1, 0, now, &f);
    return f;
}

Test (priority, usage_halves_every_half_life)
{
    sched_config_t cfg = {.fairshare_half_life = 100};
    prio_t *p = prio_create (&cfg);
    prio_tenant_t *a = prio_tenant_get (p, "a");

    prio_usage_add (p, a, 1000, 50);
    prio_refresh (p, 50, 0);
    cr_assert_float_eq (factors (p, "a", 50).tenant_usage, 1000, 1e-6);
    prio_refresh (p, 150, 0);
    cr_assert_float_eq (factors (p, "a", 150).tenant_usage, 500, 1e-6);
    prio_refresh (p, 350, 0);
    cr_assert_float_eq (factors (p, "a", 350).tenant_usage, 125, 1e-6);
    /* usage that ended before the tenant's clock decays from its end */
    prio_usage_add (p, a, 400, 250);
    prio_refresh (p, 350, 0);
    cr_assert_float_eq (factors (p, "a", 350).tenant_usage, 325, 1e-6);
    prio_destroy (p);
}

Test (priority, running_jobs_accrue_usage)
{
    sched_config_t cfg = {.fairshare_half_life = 1e12};
    prio_t *p = prio_create (&cfg);
    prio_tenant_t *a = prio_tenant_get (p, "a");

    prio_run_start (p, a, 4, 10);
    prio_refresh (p, 20, 0);
    cr_assert_float_eq (factors (p, "a", 20).tenant_usage, 40, 1e-3, "4 cores x 10 s");
    prio_refresh (p, 30, 0);
    prio_run_end (p, a, 4, 25); /* reported after the refresh at 30 */
    prio_refresh (p, 40, 0);
    cr_assert_float_eq (factors (p, "a", 40).tenant_usage, 60, 1e-3, "4 cores x 15 s");
    /* a restored job that started in the past counts from its start */
    prio_run_start (p, a, 2, 0);
    prio_refresh (p, 40, 0);
    cr_assert_float_eq (factors (p, "a", 40).tenant_usage, 140, 1e-3);
    prio_destroy (p);
}

Test (priority, accrual_with_decay_is_exact)
{
    sched_config_t cfg = {.fairshare_half_life = 100};
    prio_t *p = prio_create (&cfg);
    prio_tenant_t *a = prio_tenant_get (p, "a");
    double lambda = M_LN2 / 100;

    /* one core for 100 s: integral of 2^-(100 - t)/100 dt */
    prio_run_start (p, a, 1, 0);
    for (int t = 1; t <= 100; t += 7)
        prio_refresh (p, t, 0); /* the number of refreshes does not matter */
    prio_refresh (p, 100, 0);
    cr_assert_float_eq (factors (p, "a", 100).tenant_usage, (1 - 0.5) / lambda, 1e-6);
    prio_destroy (p);
}

Test (priority, fair_share_against_shares)
{
    sched_tenant_policy_t pol[] = {
        {.name = "big", .shares = 2},
        {.name = "small", .shares = 1},
    };
    sched_config_t cfg = {
        .fairshare_half_life = 1e12, .tenant_policies = pol, .ntenant_policies = 2};
    prio_t *p = prio_create (&cfg);

    cr_assert_not_null (p);
    prio_refresh (p, 1, 0);
    cr_assert_float_eq (factors (p, "big", 1).fairshare, 1.0, 1e-9, "nothing used yet");
    prio_usage_add (p, prio_tenant_get (p, "big"), 500, 1);
    prio_usage_add (p, prio_tenant_get (p, "small"), 500, 1);
    prio_refresh (p, 1, 0);
    /* equal usage: big has 2/3 of the shares, small 1/3 */
    cr_assert_float_eq (factors (p, "big", 1).fairshare, exp2 (-0.5 / (2.0 / 3)), 1e-9);
    cr_assert_float_eq (factors (p, "small", 1).fairshare, exp2 (-0.5 / (1.0 / 3)),
                        1e-9);
    cr_assert_float_eq (factors (p, "small", 1).tenant_shares, 1.0 / 3, 1e-9);
    cr_assert_float_eq (factors (p, "small", 1).usage_share, 0.5, 1e-9);
    /* a tenant that used nothing comes first; one that used its share
     * exactly gets one half */
    cr_assert_float_eq (factors (p, "new", 1).fairshare, 1.0, 1e-9);
    prio_usage_add (p, prio_tenant_get (p, "big"), 500, 1);
    prio_refresh (p, 1, 0);
    cr_assert_float_eq (factors (p, "big", 1).fairshare, 0.5, 1e-9, "used 2/3 of 2/3");
    prio_destroy (p);
}

Test (priority, age_size_boost_and_weights)
{
    sched_tenant_policy_t pol[] = {{.name = "vip", .shares = 1, .boost = 250}};
    sched_config_t cfg = {.weight_fairshare = 1000,
                          .weight_age = 100,
                          .weight_size = 10,
                          .max_age = 100,
                          .tenant_policies = pol,
                          .ntenant_policies = 1};
    prio_t *p = prio_create (&cfg);
    prio_tenant_t *vip = prio_tenant_get (p, "vip"), *other = prio_tenant_get (p, "x");
    sched_priority_t f;

    prio_refresh (p, 50, 32);
    double total = prio_job (p, other, 0, 8, 0, 50, &f);
    cr_assert_float_eq (f.age, 0.5, 1e-9);
    cr_assert_float_eq (f.size, 0.25, 1e-9);
    cr_assert_float_eq (f.fairshare, 1.0, 1e-9);
    cr_assert_float_eq (total, 1000 + 50 + 2.5, 1e-9);
    cr_assert_float_eq (f.weight_age, 100, 1e-9);
    total = prio_job (p, other, 0, 64, 0, 500, &f);
    cr_assert_float_eq (f.age, 1.0, 1e-9, "age saturates at max_age");
    cr_assert_float_eq (f.size, 1.0, 1e-9, "size saturates at the largest node");
    total = prio_job (p, vip, 50, 8, -20, 50, &f);
    cr_assert_float_eq (f.tenant_boost, 250, 1e-9);
    cr_assert_float_eq (f.job_boost, -20, 1e-9);
    cr_assert_float_eq (total, 1000 + 0 + 2.5 + 250 - 20, 1e-9);
    cr_assert_float_eq (f.half_life, PRIO_DEFAULT_HALF_LIFE, 1e-9, "0 = 7 days");
    prio_destroy (p);
}

Test (priority, refuses_bad_policies)
{
    sched_tenant_policy_t zero[] = {{.name = "a", .shares = 0}};
    sched_tenant_policy_t twice[] = {{.name = "a", .shares = 1},
                                     {.name = "a", .shares = 1}};
    sched_config_t cfg = {.tenant_policies = zero, .ntenant_policies = 1};

    cr_assert_null (prio_create (&cfg));
    cr_assert_eq (errno, EINVAL);
    cfg.tenant_policies = twice;
    cfg.ntenant_policies = 2;
    cr_assert_null (prio_create (&cfg));
    cr_assert_eq (errno, EINVAL);
}

/* --- through the core --------------------------------------------------- */

static uint64_t submit (sched_t *s, const char *tenant, double now)
{
    return core_submit (s, tenant, 1, 100, now);
}

Test (priority, the_lighter_tenant_goes_first)
{
    sched_config_t cfg = {.default_walltime = 100,
                          .backfill = SCHED_BACKFILL_EASY,
                          .weight_fairshare = 10000,
                          .weight_age = 1000};
    sched_t *s = sched_create (&cfg);
    sched_decision_t d;
    sched_priority_t f;
    uint64_t a[4], b;

    core_register (s, "n1", 1, 0, 0);
    for (int i = 0; i < 4; i++)
        a[i] = submit (s, "a", 0);
    sched_tick (s, 0);
    cr_assert_eq (sched_job_lookup (s, a[0])->state, JOB_RUNNING);
    b = submit (s, "b", 5); /* after three of a's jobs, which are older */
    sched_tick (s, 10);
    cr_assert_eq (sched_job_lookup (s, b)->queue_position, 1, "b has used nothing");
    cr_assert_eq (sched_job_lookup (s, a[1])->queue_position, 2);
    cr_assert_eq (sched_job_priority (s, a[1], 10, &f), 0);
    cr_assert_float_eq (f.fairshare, 0.5, 1e-6, "a alone used all it had");
    cr_assert_float_eq (f.tenant_usage, 10, 1e-3, "one core for 10 s so far");
    cr_assert_eq (sched_job_priority (s, b, 10, &f), 0);
    cr_assert_float_eq (f.fairshare, 1.0, 1e-9);
    sched_exit_t ex = {.id = a[0], .kind = SCHED_EXIT_EXITED, .end_time = 20};
    cr_assert_eq (sched_job_exited (s, "n1", &ex, 20), 0);
    sched_tick (s, 20);
    cr_assert_eq (sched_job_lookup (s, b)->state, JOB_RUNNING);
    while (sched_next (s, &d))
        ;
    cr_assert_eq (sched_job_priority (s, 12345, 20, &f), -1);
    cr_assert_eq (errno, ENOENT);
    /* usage fed back at a restart counts like any other */
    cr_assert_eq (sched_usage_add (s, "c", 1e6, 20), 0);
    uint64_t c = submit (s, "c", 21);
    cr_assert_eq (sched_job_priority (s, c, 21, &f), 0);
    cr_assert_lt (f.fairshare, 0.5);
    sched_destroy (s);
}

/* A tenant added at run time (cphub tenant add/set) gets its shares
 * in the core, and bad policies are refused. */
Test (priority, tenant_policy_set_at_run_time)
{
    sched_config_t cfg = {.fairshare_half_life = 100, .weight_fairshare = 1};
    sched_t *s = sched_create (&cfg);
    sched_tenant_policy_t pol = {.name = "late", .shares = 3};
    cphub_error_t err = {{0}};
    prio_t *p;

    cr_assert_not_null (s);
    cr_assert_eq (sched_tenant_policy_set (s, &pol, &err), 0, "%s", err.text);
    pol.shares = 0;
    errno = 0;
    cr_assert_eq (sched_tenant_policy_set (s, &pol, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, "shares"), "%s", err.text);
    pol.shares = NAN;
    cr_assert_eq (sched_tenant_policy_set (s, &pol, &err), -1);
    pol.shares = 1;
    pol.boost = INFINITY;
    cr_assert_eq (sched_tenant_policy_set (s, &pol, &err), -1);
    pol.name[0] = '\0';
    pol.boost = 0;
    cr_assert_eq (sched_tenant_policy_set (s, &pol, &err), -1);
    sched_destroy (s);

    /* the same through the priority module: shares count from the next
     * refresh; an idle tenant with 3 shares against one with 1 */
    p = prio_create (&cfg);
    prio_tenant_t *late = prio_tenant_get (p, "late");
    prio_tenant_t *early = prio_tenant_get (p, "early");
    prio_usage_add (p, early, 100, 0);
    prio_tenant_set_policy (late, 3, 0);
    prio_refresh (p, 0, 0);
    cr_assert_float_eq (factors (p, "late", 0).tenant_shares, 0.75, 1e-9);
    prio_tenant_set_policy (late, 1, 0);
    prio_refresh (p, 0, 0);
    cr_assert_float_eq (factors (p, "late", 0).tenant_shares, 0.5, 1e-9);
    prio_destroy (p);
}
