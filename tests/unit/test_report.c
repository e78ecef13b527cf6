/* test_report.c: the report's job counts (report_build) over a core and a
 * memory store that disagree as they do between two commits: a job only the
 * store still has (it left memory) counts in its stored state, a job whose
 * stored state is older counts in the core's, a job not stored yet counts
 * once, a job both agree on counts once; a tenant's own report counts its
 * own jobs only.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cphub/jobspec.h"
#include "scheduler/report.h"
#include "tests/unit/core_helpers.h"

static scheduler_t sc;
static schedconf_t config;

/* Job id of tenant in state: in the core when core is set, in the store
 * in stored_state when stored is set. */
typedef struct placed {
    uint64_t id;
    const char *tenant;
    bool core;
    job_state_t state;
    bool stored;
    job_state_t stored_state;
} placed_t;

static void place (const placed_t *p)
{
    char *argv[] = {"true", NULL};
    cphub_error_t err = {{0}};
    sched_job_t job = {.id = p->id};

    jobspec_init (&job.spec);
    cr_assert_eq (jobspec_set_argv (&job.spec, 1, argv, &err), 0, "%s", err.text);
    snprintf (job.tenant, sizeof (job.tenant), "%s", p->tenant);
    job.submit_time = 100;
    if (p->stored) {
        job.state = p->stored_state;
        job.end_time = job_state_is_terminal (job.state) ? 200 : 0;
        cr_assert_eq (store_begin (sc.store, &err), 0, "%s", err.text);
        cr_assert_eq (store_job_put (sc.store, &job, &err), 0, "%s", err.text);
        cr_assert_eq (store_commit (sc.store, &err), 0, "%s", err.text);
    }
    if (p->core) {
        job.state = p->state;
        job.end_time = job_state_is_terminal (job.state) ? 300 : 0;
        cr_assert_eq (sched_job_restore (sc.sched, &job, &err), 0, "%s", err.text);
    }
    jobspec_clear (&job.spec);
}

static void setup (void)
{
    sched_config_t cfg = CORE_CONFIG_DEFAULT;
    cphub_error_t err = {{0}};

    memset (&sc, 0, sizeof (sc));
    memset (&config, 0, sizeof (config));
    sc.config = &config;
    cr_assert_not_null (sc.sched = sched_create (&cfg));
    cr_assert_not_null (sc.store = store_mem_create (&err), "%s", err.text);
    sc.started = 50;
    sc.now = 1000;
}

static void teardown (void)
{
    sched_destroy (sc.sched);
    store_destroy (sc.store);
}

TestSuite (report, .init = setup, .fini = teardown);

/* The row of tenant in a report, asserting it is there. */
static const report_tenant_t *row_of (const msg_t *ok, const char *tenant)
{
    for (uint32_t i = 0; i < ok->u.report.ntenants; i++)
        if (strcmp (ok->u.report.tenants[i].tenant, tenant) == 0)
            return &ok->u.report.tenants[i];
    cr_assert_fail ("no row of %s", tenant);
    return NULL;
}

static void assert_counts (const report_tenant_t *t,
                           uint32_t jobs,
                           uint32_t completed,
                           uint32_t failed,
                           uint32_t cancelled)
{
    cr_assert_eq (t->jobs, jobs, "%s: %u jobs", t->tenant, t->jobs);
    cr_assert_eq (t->completed, completed, "%s: %u completed", t->tenant, t->completed);
    cr_assert_eq (t->failed, failed, "%s: %u failed", t->tenant, t->failed);
    cr_assert_eq (t->cancelled, cancelled, "%s: %u cancelled", t->tenant, t->cancelled);
}

Test (report, counts_each_job_once_in_its_latest_state)
{
    static const placed_t jobs[] = {
        /* left memory: the store's state */
        {.id = 1, .tenant = "acme", .stored = true, .stored_state = JOB_COMPLETED},
        {.id = 2, .tenant = "acme", .stored = true, .stored_state = JOB_TIMEOUT},
        /* changed since the last commit: the core's state */
        {.id = 3,
         .tenant = "acme",
         .core = true,
         .state = JOB_FAILED,
         .stored = true,
         .stored_state = JOB_PENDING},
        /* both agree */
        {.id = 4,
         .tenant = "acme",
         .core = true,
         .state = JOB_CANCELLED,
         .stored = true,
         .stored_state = JOB_CANCELLED},
        /* submitted since the last commit */
        {.id = 5, .tenant = "acme", .core = true, .state = JOB_PENDING},
        {.id = 6, .tenant = "zeta", .stored = true, .stored_state = JOB_COMPLETED},
        {.id = 7,
         .tenant = "zeta",
         .core = true,
         .state = JOB_CANCELLED,
         .stored = true,
         .stored_state = JOB_COMPLETED},
    };
    msg_t *ok;

    for (size_t i = 0; i < sizeof (jobs) / sizeof (jobs[0]); i++)
        place (&jobs[i]);
    cr_assert_not_null (ok = report_build (&sc, NULL));
    cr_assert_eq (ok->u.report.ntenants, 2);
    assert_counts (row_of (ok, "acme"), 5, 1, 2, 1);
    assert_counts (row_of (ok, "zeta"), 2, 1, 0, 1);
    msg_destroy (ok);

    cr_assert_not_null (ok = report_build (&sc, "zeta"));
    cr_assert_eq (ok->u.report.ntenants, 1, "a tenant's own row only");
    assert_counts (row_of (ok, "zeta"), 2, 1, 0, 1);
    msg_destroy (ok);
}
