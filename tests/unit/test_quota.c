/* test_quota.c: unit tests for tenants' quotas and budgets in the pure
 * scheduling core (scheduler/core/quota.c through sched.h), driven as the
 * shell drives it: events in, tick(now), decisions out. Covers running
 * limits on cores, GPUs and jobs (jobs wait with reason "Quota" and a text
 * that says which limit, and start when jobs end), refusals at submit (the
 * pending limit, jobs larger than the limit), budgets (a job that cannot
 * finish within the remaining budget waits with reason "Budget" and starts
 * after a grant), reservations of running jobs, the charge of each ended
 * run from its real run time, exactly once and never for a failed run,
 * grants and sets, billing weights, the charge rebuilt from accounting
 * records at a restart, and no decay over a long virtual time; and the
 * budget ledger kept by the memory and SQLite stores.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "scheduler/core/sched.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/store.h"
#include "tests/unit/core_helpers.h"

static sched_t *s;

static void setup (void)
{
    sched_config_t cfg = CORE_CONFIG_DEFAULT;

    cr_assert_not_null (s = sched_create (&cfg));
}

static void teardown (void)
{
    sched_destroy (s);
}

TestSuite (quota, .init = setup, .fini = teardown);

static int submit_full (const char *tenant,
                        uint32_t cores,
                        uint32_t gpus,
                        int64_t walltime,
                        const char *array,
                        uint64_t *id,
                        cphub_error_t *err)
{
    jobspec_t spec;
    uint32_t count;
    int rc;

    core_spec (&spec, cores, 1);
    spec.gpus = gpus;
    spec.walltime = walltime;
    if (array)
        cr_assert_eq (jobspec_set_option (&spec, "array", array, NULL), 0);
    rc = sched_job_submit_many (s, tenant, &spec, 1, id, &count, err);
    jobspec_clear (&spec);
    return rc;
}

static uint64_t submit (const char *tenant,
                        uint32_t cores,
                        uint32_t gpus,
                        int64_t walltime)
{
    cphub_error_t err = {{0}};
    uint64_t id = 0;

    cr_assert_eq (submit_full (tenant, cores, gpus, walltime, NULL, &id, &err), 0,
                  "submit: %s", err.text);
    return id;
}

/* Drain decisions, counting those of a kind; keep the accounting records. */
static sched_acct_t accts[64];
static int naccts;

static int drain (sched_action_t kind)
{
    sched_decision_t d;
    int n = 0;

    while (sched_next (s, &d)) {
        if (d.action == SCHED_ACCOUNT && naccts < 64)
            accts[naccts++] = d.acct;
        if (d.action == kind)
            n++;
    }
    return n;
}

static sched_job_t *job (uint64_t id)
{
    return core_job (s, id);
}

/* What `cphub show` would say of the job's reason. */
static const char *shown_reason (uint64_t id)
{
    static job_info_t info;

    sched_job_info (job (id), &info);
    return info.reason;
}

static void exit_at (const char *node, uint64_t id, double start, double end)
{
    sched_exit_t ex = {
        .id = id, .kind = SCHED_EXIT_EXITED, .start_time = start, .end_time = end};

    core_exit (s, node, &ex, end);
}

static void set_limits (
    const char *tenant, uint32_t cores, uint32_t gpus, uint32_t jobs, uint32_t pending)
{
    sched_tenant_t t = {.max_running_cores = cores,
                        .max_running_gpus = gpus,
                        .max_running_jobs = jobs,
                        .max_pending_jobs = pending};

    snprintf (t.name, sizeof (t.name), "%s", tenant);
    cr_assert_eq (sched_tenant_set (s, &t), 0);
}

static void set_budget (const char *tenant, double hours)
{
    sched_tenant_t t = {.has_budget = true, .budget = hours};

    snprintf (t.name, sizeof (t.name), "%s", tenant);
    cr_assert_eq (sched_tenant_set (s, &t), 0);
}

static void grant (const char *tenant, double hours, bool set)
{
    cphub_error_t err = {{0}};
    sched_grant_t g = {.hours = hours, .set = set};

    snprintf (g.tenant, sizeof (g.tenant), "%s", tenant);
    cr_assert_eq (sched_budget_grant (s, &g, &err), 0, "grant: %s", err.text);
}

static sched_balance_t balance (const char *tenant)
{
    sched_balance_t b;

    sched_balance (s, tenant, &b);
    return b;
}

Test (quota, running_cores_hold_jobs_with_quota_and_release_them)
{
    core_register (s, "n1", 32, 0, 0);
    set_limits ("tenant-a", 16, 0, 0, 0);
    uint64_t a = submit ("tenant-a", 8, 0, 0), b = submit ("tenant-a", 8, 0, 0);
    uint64_t c = submit ("tenant-a", 4, 0, 0), other = submit ("tenant-b", 8, 0, 0);
    sched_tick (s, 2);
    cr_assert_eq (drain (SCHED_START), 3, "16 cores of tenant-a and tenant-b's job");
    cr_assert_eq (job (a)->state, JOB_RUNNING);
    cr_assert_eq (job (b)->state, JOB_RUNNING);
    cr_assert_eq (job (other)->state, JOB_RUNNING, "a held job blocks nobody");
    cr_assert_eq (job (c)->state, JOB_PENDING);
    cr_assert_str_eq (job (c)->reason, "Quota");
    cr_assert_str_eq (shown_reason (c), "Quota: tenant-a runs 16 of 16 cores allowed");
    cr_assert_eq (job (c)->queue_position, 0, "out of line while held");
    sched_balance_t bal = balance ("tenant-a");
    cr_assert_eq (bal.running_cores, 16);
    cr_assert_eq (bal.running_jobs, 2);
    cr_assert_eq (bal.pending_jobs, 1);

    exit_at ("n1", a, 2, 10);
    sched_tick (s, 11);
    cr_assert_eq (drain (SCHED_START), 1);
    cr_assert_eq (job (c)->state, JOB_RUNNING, "released when a job ended");
    bal = balance ("tenant-a");
    cr_assert_eq (bal.running_cores, 12);
    cr_assert_eq (bal.pending_jobs, 0);
}

Test (quota, running_gpus_limit)
{
    core_register (s, "n1", 32, 4, 0);
    set_limits ("tenant-a", 0, 2, 0, 0);
    uint64_t g1 = submit ("tenant-a", 1, 2, 0), g2 = submit ("tenant-a", 1, 1, 0);
    uint64_t cpu = submit ("tenant-a", 1, 0, 0);
    sched_tick (s, 2);
    cr_assert_eq (drain (SCHED_START), 2);
    cr_assert_eq (job (g1)->state, JOB_RUNNING);
    cr_assert_eq (job (g2)->state, JOB_PENDING);
    cr_assert_str_eq (shown_reason (g2), "Quota: tenant-a runs 2 of 2 GPUs allowed");
    cr_assert_eq (job (cpu)->state, JOB_RUNNING, "no GPUs: the GPU limit is no bar");
    exit_at ("n1", g1, 2, 5);
    sched_tick (s, 6);
    cr_assert_eq (job (g2)->state, JOB_RUNNING);
    cr_assert_eq (balance ("tenant-a").running_gpus, 1);
    uint64_t g3 = submit ("tenant-a", 1, 2, 0); /* 1 + 2 > 2 */
    sched_tick (s, 7);
    cr_assert_str_eq (shown_reason (g3),
                      "Quota: tenant-a runs 1 of 2 GPUs allowed; asks 2");
}

Test (quota, running_jobs_limit)
{
    core_register (s, "n1", 32, 0, 0);
    set_limits ("tenant-a", 0, 0, 2, 0);
    uint64_t a = submit ("tenant-a", 1, 0, 0), b = submit ("tenant-a", 1, 0, 0);
    uint64_t c = submit ("tenant-a", 1, 0, 0);
    sched_tick (s, 2);
    cr_assert_eq (drain (SCHED_START), 2);
    cr_assert_eq (job (c)->state, JOB_PENDING);
    cr_assert_str_eq (shown_reason (c), "Quota: tenant-a runs 2 of 2 jobs allowed");
    /* lifting the limit lets it start at the next pass */
    set_limits ("tenant-a", 0, 0, 0, 0);
    sched_tick (s, 2.5);
    cr_assert_eq (job (c)->state, JOB_RUNNING);
    (void)a;
    (void)b;
}

Test (quota, pending_limit_refuses_submits)
{
    cphub_error_t err = {{0}};
    uint64_t id;

    set_limits ("tenant-a", 0, 0, 0, 3);
    for (int i = 0; i < 3; i++)
        submit ("tenant-a", 1, 0, 0);
    cr_assert_eq (submit_full ("tenant-a", 1, 0, 0, NULL, &id, &err), -1);
    cr_assert_eq (errno, ENOSPC);
    cr_assert_str_eq (err.text, "tenant-a has 3 pending jobs; the limit is 3");
    submit ("tenant-b", 1, 0, 0); /* another tenant is not counted */
    set_limits ("tenant-a", 0, 0, 0, 5);
    cr_assert_eq (submit_full ("tenant-a", 1, 0, 0, "0-2", &id, &err), -1);
    cr_assert_str_eq (err.text,
                      "tenant-a has 3 pending jobs; 3 more would pass the limit of 5");
    cr_assert_eq (balance ("tenant-a").pending_jobs, 3, "nothing half made");

    /* started jobs are not pending: room again */
    core_register (s, "n1", 4, 0, 2);
    sched_tick (s, 3);
    cr_assert_eq (drain (SCHED_START), 4);
    cr_assert_eq (balance ("tenant-a").pending_jobs, 0);
    cr_assert_eq (submit_full ("tenant-a", 1, 0, 0, "0-4", &id, &err), 0, "%s",
                  err.text);
    cr_assert_eq (balance ("tenant-a").pending_jobs, 5);
    /* a cancelled pending job is not pending any more */
    cr_assert_eq (sched_job_cancel (s, id, 4, &err), 0);
    cr_assert_eq (balance ("tenant-a").pending_jobs, 4);
}

Test (quota, a_job_larger_than_the_limit_is_refused)
{
    cphub_error_t err = {{0}};
    uint64_t id;

    set_limits ("tenant-a", 16, 1, 0, 0);
    cr_assert_eq (submit_full ("tenant-a", 32, 0, 0, NULL, &id, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert_str_eq (err.text, "asked 32 cores; tenant-a may run at most 16 at once");
    cr_assert_eq (submit_full ("tenant-a", 1, 2, 0, NULL, &id, &err), -1);
    cr_assert_str_eq (err.text, "asked 2 GPUs; tenant-a may run at most 1 at once");
}

Test (quota, budget_holds_a_job_it_cannot_cover_until_a_grant)
{
    core_register (s, "n1", 32, 0, 0);
    set_budget ("tenant-a", 100);
    /* 8 cores for 1 h = 8 core-hours: fits; then 24 cores for 4 h = 96 */
    uint64_t small = submit ("tenant-a", 8, 0, 3600);
    uint64_t big = submit ("tenant-a", 24, 0, 4 * 3600);
    sched_tick (s, 2);
    cr_assert_eq (drain (SCHED_START), 1);
    cr_assert_eq (job (small)->state, JOB_RUNNING);
    cr_assert_eq (job (big)->state, JOB_PENDING);
    cr_assert_str_eq (job (big)->reason, "Budget");
    cr_assert_str_eq (
        shown_reason (big),
        "Budget: needs 96.0 core-hours at its wall time; 92.0 of 100 remain");
    sched_balance_t b = balance ("tenant-a");
    cr_assert (b.limited);
    cr_assert_float_eq (b.reserved, 8.0, 1e-12, "cores x wall time");
    cr_assert_float_eq (b.remaining, 92.0, 1e-12);

    grant ("tenant-a", 4, false);
    sched_tick (s, 3);
    cr_assert_eq (drain (SCHED_START), 1);
    cr_assert_eq (job (big)->state, JOB_RUNNING, "the grant covers it");
    b = balance ("tenant-a");
    cr_assert_float_eq (b.granted, 104.0, 1e-12);
    cr_assert_float_eq (b.reserved, 104.0, 1e-12);
    cr_assert_float_eq (b.remaining, 0.0, 1e-12);
}

/* Explain the hold of job id in a buffer of len bytes and check that the
 * longer text shows when it fits and the shorter one when it does not. No
 * tenant name or number within the limits makes a text overflow
 * REASON_TEXT_MAX, so the shortening is pinned with smaller buffers. */
static void expect_fit (uint64_t id, const char *longer, const char *shorter)
{
    char buf[REASON_TEXT_MAX + 1];

    sched_quota_explain (job (id), buf, sizeof (buf));
    cr_assert_str_eq (buf, longer);
    cr_assert_str_eq (shown_reason (id), longer);
    sched_quota_explain (job (id), buf, strlen (longer) + 1);
    cr_assert_str_eq (buf, longer, "a text that just fits is not shortened");
    sched_quota_explain (job (id), buf, strlen (longer));
    cr_assert_str_eq (buf, shorter, "one byte short: the shorter text");
    sched_quota_explain (job (id), buf, strlen (shorter));
    cr_assert_eq (strlen (buf), strlen (shorter) - 1, "cut, still terminated");
}

Test (quota, budget_text_shortens_to_fit)
{
    core_register (s, "n1", 32, 0, 0);
    set_budget ("t", 3.5);
    uint64_t id = submit ("t", 8, 0, 3600);
    sched_tick (s, 2);
    expect_fit (id, "Budget: needs 8.0 core-hours at its wall time; 3.5 of 3.5 remain",
                "Budget: needs 8.0 core-hours; 3.5 of 3.5 remain");
    set_limits ("a-tenant-with-a-name-far-too-long-to-be-shown-in-a-reason", 2, 0, 0,
                0);
    uint64_t a =
        submit ("a-tenant-with-a-name-far-too-long-to-be-shown-in-a-reason", 2, 0, 0);
    uint64_t b =
        submit ("a-tenant-with-a-name-far-too-long-to-be-shown-in-a-reason", 2, 0, 0);
    sched_tick (s, 3);
    cr_assert_eq (job (a)->state, JOB_RUNNING);
    expect_fit (
        b,
        "Quota: a-tenant-with-a-name-far-too-long-to-be-shown-in-a-reason runs 2 of 2 "
        "cores allowed",
        "Quota: runs 2 of 2 cores allowed");
}

Test (quota, charge_from_actual_run_time_exactly_once)
{
    core_register (s, "n1", 32, 0, 999);
    set_budget ("tenant-a", 100);
    uint64_t id = submit ("tenant-a", 4, 0, 3600);
    sched_tick (s, 1000);
    cr_assert_eq (drain (SCHED_START), 1);
    exit_at ("n1", id, 1000, 1000 + 1800); /* half an hour on 4 cores */
    naccts = 0;
    cr_assert_eq (drain (SCHED_ACCOUNT), 1);
    sched_balance_t b = balance ("tenant-a");
    cr_assert_float_eq (b.core_seconds, 4 * 1800.0, 1e-9);
    cr_assert_float_eq (b.spent, 2.0, 1e-12);
    cr_assert_float_eq (b.reserved, 0.0, 1e-12);
    cr_assert_float_eq (b.remaining, 98.0, 1e-12);
    cr_assert_eq (b.running_jobs, 0);

    exit_at ("n1", id, 1000, 1000 + 3000); /* the same exit again, later */
    cr_assert_eq (drain (SCHED_ACCOUNT), 0);
    b = balance ("tenant-a");
    cr_assert_float_eq (b.spent, 2.0, 1e-12, "charged once");
    cr_assert_eq (b.core_seconds, accts[0].core_seconds, "exactly the record");
}

Test (quota, failed_runs_are_not_charged)
{
    cphub_error_t err = {{0}};

    core_register (s, "n1", 8, 0, 0);
    set_budget ("tenant-a", 100);
    uint64_t id = submit ("tenant-a", 4, 0, 3600);
    sched_tick (s, 1);
    cr_assert_eq (drain (SCHED_START), 1);
    /* the node goes silent: the run fails under the job, which is requeued */
    sched_tick (s, 100);
    naccts = 0;
    drain (SCHED_ACCOUNT);
    cr_assert_eq (naccts, 1);
    cr_assert (accts[0].failed_run);
    cr_assert (accts[0].core_seconds > 0, "the node was busy all the same");
    cr_assert_eq (job (id)->state, JOB_PENDING, "requeued");
    sched_balance_t b = balance ("tenant-a");
    cr_assert_eq (b.spent, 0.0);
    cr_assert_eq (b.reserved, 0.0);
    cr_assert_eq (b.running_cores, 0);
    cr_assert_eq (b.pending_jobs, 1);

    /* a restart sees the same: the failed record is skipped */
    cr_assert_eq (sched_budget_charge (s, &accts[0]), 0);
    cr_assert_eq (balance ("tenant-a").spent, 0.0);

    /* the node is back; the second run completes and is charged */
    core_register (s, "n1", 8, 0, 101);
    sched_tick (s, 102);
    cr_assert_eq (drain (SCHED_START), 1);
    exit_at ("n1", id, 102, 102 + 900);
    cr_assert_float_eq (balance ("tenant-a").spent, 1.0, 1e-12);
    (void)err;
}

Test (quota, grants_add_up_and_set_replaces)
{
    cphub_error_t err = {{0}};
    sched_grant_t bad = {.hours = NAN};

    cr_assert_not (balance ("tenant-a").limited, "no budget: unlimited");
    grant ("tenant-a", 10, false);
    grant ("tenant-a", 2.5, false);
    cr_assert (balance ("tenant-a").limited);
    cr_assert_float_eq (balance ("tenant-a").granted, 12.5, 1e-12);
    set_budget ("tenant-a", 100); /* the config's budget comes under the grants */
    cr_assert_float_eq (balance ("tenant-a").granted, 112.5, 1e-12);
    grant ("tenant-a", 40, true);
    cr_assert_float_eq (balance ("tenant-a").granted, 40.0, 1e-12, "a set replaces");
    grant ("tenant-a", -5, false);
    cr_assert_float_eq (balance ("tenant-a").granted, 35.0, 1e-12,
                        "grants after it add");

    snprintf (bad.tenant, sizeof (bad.tenant), "tenant-a");
    cr_assert_eq (sched_budget_grant (s, &bad, &err), -1);
    cr_assert_eq (errno, EINVAL);
    bad.hours = -1;
    bad.set = true;
    cr_assert_eq (sched_budget_grant (s, &bad, &err), -1);
    cr_assert_str_eq (err.text, "a budget cannot be set below 0 core-hours (asked -1)");
    cr_assert_float_eq (balance ("tenant-a").granted, 35.0, 1e-12,
                        "refusals change nothing");
}

Test (quota, no_decay_over_long_virtual_time)
{
    core_register (s, "n1", 8, 0, 0);
    set_budget ("tenant-a", 10);
    uint64_t id = submit ("tenant-a", 2, 0, 7200);
    sched_tick (s, 1);
    exit_at ("n1", id, 1, 1 + 3600);
    sched_balance_t before = balance ("tenant-a");
    cr_assert_float_eq (before.spent, 2.0, 1e-12);
    /* ten years later (the node heartbeats so that it stays up) */
    for (double t = 3601; t < 10 * 365 * 86400.0; t += 86400) {
        sched_node_heartbeat (s, "n1", t);
        sched_tick (s, t);
    }
    sched_balance_t after = balance ("tenant-a");
    cr_assert_eq (after.spent, before.spent);
    cr_assert_eq (after.granted, before.granted);
    cr_assert_eq (after.remaining, before.remaining);
    /* and a job needing more than what remains still waits */
    uint64_t big = submit ("tenant-a", 8, 0, 2 * 3600);
    sched_tick (s, 10 * 365 * 86400.0);
    cr_assert_str_eq (job (big)->reason, "Budget");
}

Test (quota, billing_weights_price_gpus)
{
    core_register (s, "n1", 8, 2, 0);
    cr_assert_eq (sched_billing_set (s, 1.0, 10.0), 0);
    cr_assert_eq (sched_billing_set (s, -1, 1), -1);
    set_budget ("tenant-a", 25);
    /* 2 cores + 1 GPU for 1 h = 2 + 10 = 12 core-hours; two fit in 25 */
    uint64_t a = submit ("tenant-a", 2, 1, 3600), b = submit ("tenant-a", 2, 1, 3600);
    sched_tick (s, 1);
    cr_assert_eq (drain (SCHED_START), 2);
    sched_balance_t bal = balance ("tenant-a");
    cr_assert_float_eq (bal.reserved, 24.0, 1e-12);
    uint64_t c = submit ("tenant-a", 1, 0, 3600);
    sched_tick (s, 2);
    cr_assert_eq (job (c)->state, JOB_RUNNING, "1 core-hour needed, 1 left: fits");
    uint64_t d = submit ("tenant-a", 2, 0, 3600);
    sched_tick (s, 3);
    cr_assert_str_eq (job (d)->reason, "Budget", "2 core-hours needed, 0 left");
    exit_at ("n1", a, 1, 1 + 1800);
    exit_at ("n1", b, 1, 1 + 1800);
    bal = balance ("tenant-a");
    cr_assert_float_eq (bal.core_seconds, 2 * 2 * 1800.0, 1e-9);
    cr_assert_float_eq (bal.gpu_seconds, 2 * 1800.0, 1e-9);
    cr_assert_eq (bal.spent, (bal.core_seconds * 1.0 + bal.gpu_seconds * 10.0) / 3600.0,
                  "the records converted the same way");
    cr_assert_float_eq (bal.spent, 12.0, 1e-12);
}

Test (quota, restart_rebuilds_the_same_ledger)
{
    cphub_error_t err = {{0}};
    double times[] = {0.123456789, 13.7, 42.000001, 99.99};

    core_register (s, "n1", 8, 0, 999);
    naccts = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t id = submit ("tenant-a", 3, 0, 3600);
        sched_node_heartbeat (s, "n1", 1000 + i);
        sched_tick (s, 1000 + i);
        exit_at ("n1", id, 1000 + i, 1000 + i + times[i]);
    }
    drain (SCHED_ACCOUNT);
    cr_assert_eq (naccts, 4);
    sched_balance_t live = balance ("tenant-a");

    /* a new core fed the records in the same order */
    sched_destroy (s);
    sched_config_t cfg = {.default_walltime = 3600, .max_walltime = 86400};
    s = sched_create (&cfg);
    for (int i = 0; i < naccts; i++)
        cr_assert_eq (sched_budget_charge (s, &accts[i]), 0);
    sched_balance_t again = balance ("tenant-a");
    cr_assert_eq (again.core_seconds, live.core_seconds, "bit for bit");
    cr_assert_eq (again.spent, live.spent);
    (void)err;
}

Test (quota, restored_running_jobs_count_and_reserve)
{
    cphub_error_t err = {{0}};
    sched_job_t j = {.id = 7, .state = JOB_RUNNING, .walltime = 7200, .start_time = 5};
    char *argv[] = {"true", NULL};

    set_limits ("tenant-a", 4, 0, 0, 0);
    set_budget ("tenant-a", 100);
    snprintf (j.tenant, sizeof (j.tenant), "tenant-a");
    snprintf (j.alloc.node, sizeof (j.alloc.node), "n1");
    jobspec_init (&j.spec);
    cr_assert_eq (jobspec_set_argv (&j.spec, 1, argv, NULL), 0);
    j.spec.ntasks = 4;
    j.alloc.cores = idset_decode ("0-3", NULL);
    cr_assert_eq (sched_job_restore (s, &j, &err), 0, "%s", err.text);
    sched_balance_t b = balance ("tenant-a");
    cr_assert_eq (b.running_cores, 4);
    cr_assert_eq (b.running_jobs, 1);
    cr_assert_eq (b.pending_jobs, 0);
    cr_assert_float_eq (b.reserved, 8.0, 1e-12);
    idset_destroy (j.alloc.cores);
    jobspec_clear (&j.spec);
}

Test (quota, tenants_are_listed_in_the_order_first_heard)
{
    sched_tenant_t t;

    cr_assert_null (sched_tenant_next (s, NULL));
    set_limits ("zeta", 1, 0, 0, 0);
    submit ("alpha", 1, 0, 0);
    grant ("mid", 1, false);
    cr_assert_str_eq (sched_tenant_next (s, NULL), "zeta");
    cr_assert_str_eq (sched_tenant_next (s, "zeta"), "alpha");
    cr_assert_str_eq (sched_tenant_next (s, "alpha"), "mid");
    cr_assert_null (sched_tenant_next (s, "mid"));
    cr_assert_eq (sched_tenant_get (s, "zeta", &t), 0);
    cr_assert_eq (t.max_running_cores, 1);
    cr_assert_eq (sched_tenant_get (s, "nobody", &t), -1);
    cr_assert_eq (errno, ENOENT);
    memset (&t, 0, sizeof (t));
    cr_assert_eq (sched_tenant_set (s, &t), -1, "a tenant needs a name");
    cr_assert_eq (errno, EINVAL);
}

/* --- the ledger in the stores (store_mem.c, store_sqlite.c) --------------- */

typedef struct loaded {
    store_grant_t g[8];
    int n;
} loaded_t;

static int load_cb (const store_grant_t *g, void *arg)
{
    loaded_t *l = arg;

    if (l->n < 8)
        l->g[l->n++] = *g;
    return 0;
}

/* Two grants written in a batch come back in order, whole; a write outside
 * a batch is refused. */
static void ledger_roundtrip (store_t *st)
{
    cphub_error_t err = {{0}};
    store_grant_t a = {.time = 1764237601.25, .hours = 100, .set = true};
    store_grant_t b = {.time = 1764237700.5, .hours = -2.5};
    loaded_t l = {.n = 0};

    snprintf (a.tenant, sizeof (a.tenant), "tenant-a");
    snprintf (a.reason, sizeof (a.reason), "contract 2026");
    snprintf (a.by, sizeof (a.by), "ops");
    snprintf (b.tenant, sizeof (b.tenant), "tenant-b");
    snprintf (b.by, sizeof (b.by), "ops2");
    cr_assert_eq (store_grant_append (st, &a, &err), -1, "outside a batch");
    cr_assert_eq (errno, EINVAL);
    cr_assert_eq (store_begin (st, &err), 0, "%s", err.text);
    cr_assert_eq (store_grant_append (st, &a, &err), 0, "%s", err.text);
    cr_assert_eq (store_grant_append (st, &b, &err), 0, "%s", err.text);
    cr_assert_eq (store_commit (st, &err), 0, "%s", err.text);
    cr_assert_eq (store_grants_load (st, load_cb, &l, &err), 0, "%s", err.text);
    cr_assert_eq (l.n, 2);
    cr_assert_str_eq (l.g[0].tenant, "tenant-a");
    cr_assert (l.g[0].set);
    cr_assert_eq (l.g[0].hours, 100);
    cr_assert_eq (l.g[0].time, 1764237601.25);
    cr_assert_str_eq (l.g[0].reason, "contract 2026");
    cr_assert_str_eq (l.g[0].by, "ops");
    cr_assert_str_eq (l.g[1].tenant, "tenant-b");
    cr_assert_not (l.g[1].set);
    cr_assert_eq (l.g[1].hours, -2.5);
    cr_assert_str_eq (l.g[1].reason, "");
}

Test (quota_store, memory_store_keeps_the_ledger)
{
    cphub_error_t err = {{0}};
    store_t *st = store_mem_create (&err);

    cr_assert_not_null (st);
    ledger_roundtrip (st);
    store_destroy (st);
}

Test (quota_store, sqlite_store_keeps_the_ledger_across_a_reopen)
{
    char dir[64], path[128];
    cphub_error_t err = {{0}};
    loaded_t l = {.n = 0};
    store_t *st;

    snprintf (dir, sizeof (dir), "/tmp/cphub-quota-test.XXXXXX");
    cr_assert_not_null (mkdtemp (dir));
    snprintf (path, sizeof (path), "%s/cphub.db", dir);
    st = store_sqlite_create (path, STORE_SYNC_NORMAL, &err);
    cr_assert_not_null (st, "%s", err.text);
    ledger_roundtrip (st);
    store_destroy (st);
    st = store_sqlite_create (path, STORE_SYNC_NORMAL, &err);
    cr_assert_not_null (st, "%s", err.text);
    cr_assert_eq (store_grants_load (st, load_cb, &l, &err), 0, "%s", err.text);
    cr_assert_eq (l.n, 2, "durable");
    cr_assert_eq (l.g[1].hours, -2.5);
    store_destroy (st);
    unlink (path);
    char wal[160];
    snprintf (wal, sizeof (wal), "%s-wal", path);
    unlink (wal);
    snprintf (wal, sizeof (wal), "%s-shm", path);
    unlink (wal);
    rmdir (dir);
}
