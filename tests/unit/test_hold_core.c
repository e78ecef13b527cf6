/* test_hold_core.c: unit tests of the core's hold, release and requeue
 * (scheduler/core/sched_hold.c): a held job (held by hand or at submit)
 * never starts while a node is idle and starts once released; an
 * operator's hold is not a tenant's to release; a requeued running job is
 * killed, its run accounted as its own record, and it runs again; a late
 * exit of the old run cannot end the new one; an ended job can be
 * requeued and runs again, within its tenant's pending limit.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORE_HELPERS_FIXTURE
#include "tests/unit/core_helpers.h"

TestSuite (hold_core, .init = core_setup, .fini = core_teardown);

Test (hold_core, held_job_does_not_start_until_released)
{
    cphub_error_t err;
    uint64_t id;

    id = submit (1, 0);
    cr_assert_eq (sched_job_hold (s, id, SCHED_HOLD_USER, &err), 0);
    register_node ("n1", 1, 4, 1, NULL, 0);
    sched_tick (s, 2);
    collect ();
    cr_assert_eq (count (SCHED_START, id), 0);
    cr_assert_eq (job (id)->state, JOB_PENDING);
    cr_assert_str_eq (job (id)->reason, "Held");
    cr_assert_eq (sched_job_release (s, id, SCHED_HOLD_USER, &err), 0);
    sched_tick (s, 3);
    collect ();
    cr_assert_eq (count (SCHED_START, id), 1);
    cr_assert_eq (job (id)->state, JOB_RUNNING);
}

Test (hold_core, submit_hold_holds_from_the_start)
{
    cphub_error_t err;
    jobspec_t spec;
    uint64_t id;

    register_node ("n1", 1, 4, 0, NULL, 0);
    core_spec (&spec, 1, 1);
    spec.hold = true;
    id = core_submit_spec (s, "tenant-a", &spec, 0);
    jobspec_clear (&spec);
    sched_tick (s, 1);
    collect ();
    cr_assert_eq (count (SCHED_START, id), 0);
    cr_assert_eq (job (id)->hold, SCHED_HOLD_USER);
    cr_assert_str_eq (job (id)->reason, "Held");
    cr_assert_not (job (id)->spec.hold, "the hold is the job's, not its spec's");
    cr_assert_eq (sched_job_release (s, id, SCHED_HOLD_USER, &err), 0);
    sched_tick (s, 2);
    collect ();
    cr_assert_eq (count (SCHED_START, id), 1);
}

Test (hold_core, operator_hold_is_not_the_tenants_to_release)
{
    cphub_error_t err;
    uint64_t id = submit (1, 0);

    cr_assert_eq (sched_job_hold (s, id, SCHED_HOLD_ADMIN, &err), 0);
    /* a tenant's hold does not lower it */
    cr_assert_eq (sched_job_hold (s, id, SCHED_HOLD_USER, &err), 0);
    cr_assert_eq (sched_job_release (s, id, SCHED_HOLD_USER, &err), -1);
    cr_assert_eq (errno, EPERM);
    cr_assert_eq (job (id)->hold, SCHED_HOLD_ADMIN);
    cr_assert_eq (sched_job_release (s, id, SCHED_HOLD_ADMIN, &err), 0);
    cr_assert_eq (job (id)->hold, SCHED_HOLD_NONE);
}

Test (hold_core, only_pending_jobs_are_held)
{
    cphub_error_t err;
    uint64_t id;

    register_node ("n1", 1, 4, 0, NULL, 0);
    id = submit (1, 0);
    sched_tick (s, 1);
    cr_assert_eq (job (id)->state, JOB_RUNNING);
    cr_assert_eq (sched_job_hold (s, id, SCHED_HOLD_USER, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert_eq (sched_job_hold (s, 999, SCHED_HOLD_USER, &err), -1);
    cr_assert_eq (errno, ENOENT);
}

Test (hold_core, requeue_running_job_runs_again_with_two_records)
{
    cphub_error_t err;
    uint64_t id;
    const sched_acct_t *a;

    register_node ("n1", 1, 4, 0, NULL, 0);
    id = submit (2, 0);
    sched_tick (s, 1);
    collect ();
    cr_assert_eq (sched_job_requeue (s, id, 5, &err), 0);
    collect ();
    cr_assert_eq (count (SCHED_KILL, id), 1);
    cr_assert_eq (job (id)->state, JOB_RUNNING); /* until the run's exit */
    cr_assert_eq (sched_job_requeue (s, id, 6, &err), -1);
    cr_assert_eq (errno, EALREADY);
    exit_at ("n1", id, SCHED_EXIT_CANCELLED, 0, 9);
    collect ();
    a = account_of (id);
    cr_assert_eq (a->run, 1);
    cr_assert_float_eq (a->core_seconds, 2 * 8.0, 1e-9);
    cr_assert_eq (job (id)->state, JOB_PENDING);
    cr_assert_str_eq (job (id)->reason, "Requeued");
    sched_tick (s, 10);
    collect ();
    cr_assert_eq (count (SCHED_START, id), 1);
    cr_assert_eq (job (id)->runs, 2);
    /* the old run's exit again, late: ignored, the new run goes on */
    sched_exit_t late = {.id = id, .kind = SCHED_EXIT_CANCELLED, .end_time = 9};
    cr_assert_eq (sched_job_exited (s, "n1", &late, 11), 0);
    collect ();
    cr_assert_eq (count (SCHED_ACCOUNT, id), 0);
    cr_assert_eq (job (id)->state, JOB_RUNNING);
    exit_at ("n1", id, SCHED_EXIT_EXITED, 0, 15);
    collect ();
    cr_assert_eq (account_of (id)->run, 2);
    cr_assert_eq (job (id)->state, JOB_COMPLETED);
}

Test (hold_core, requeue_ended_job_runs_again)
{
    cphub_error_t err;
    uint64_t id;

    register_node ("n1", 1, 4, 0, NULL, 0);
    id = submit (1, 0);
    sched_tick (s, 1);
    exit_at ("n1", id, SCHED_EXIT_EXITED, 0, 5);
    collect ();
    cr_assert_eq (job (id)->state, JOB_COMPLETED);
    cr_assert_eq (sched_job_requeue (s, id, 6, &err), 0);
    cr_assert_eq (job (id)->state, JOB_PENDING);
    cr_assert_eq (job (id)->end_time, 0);
    sched_tick (s, 7);
    collect ();
    cr_assert_eq (count (SCHED_START, id), 1);
    exit_at ("n1", id, SCHED_EXIT_EXITED, 0, 9);
    collect ();
    cr_assert_eq (account_of (id)->run, 2);
    cr_assert_eq (job (id)->state, JOB_COMPLETED);
    cr_assert_eq (sched_job_requeue (s, 999, 10, &err), -1);
    cr_assert_eq (errno, ENOENT);
}

Test (hold_core, requeue_of_an_ended_job_keeps_the_pending_limit)
{
    cphub_error_t err;
    sched_tenant_t t = {.max_pending_jobs = 1};
    uint64_t ended, waiting;

    snprintf (t.name, sizeof (t.name), "tenant-a");
    cr_assert_eq (sched_tenant_set (s, &t), 0);
    register_node ("n1", 1, 1, 0, NULL, 0);
    ended = submit (1, 0);
    sched_tick (s, 1);
    exit_at ("n1", ended, SCHED_EXIT_EXITED, 0, 2);
    cr_assert_eq (job (ended)->state, JOB_COMPLETED);
    waiting = submit (1, 3);
    cr_assert_eq (sched_job_hold (s, waiting, SCHED_HOLD_USER, &err), 0);
    cr_assert_eq (sched_job_requeue (s, ended, 4, &err), -1);
    cr_assert_eq (errno, ENOSPC, "%s", err.text);
    cr_assert_eq (job (ended)->state, JOB_COMPLETED);
}

Test (hold_core, released_job_waiting_on_a_dependency_says_so)
{
    cphub_error_t err;
    jobspec_t spec;
    char after[32];
    uint64_t first, dependent;
    uint32_t n;

    first = submit (1, 0);
    snprintf (after, sizeof (after), "ok:%ju", (uintmax_t)first);
    core_spec (&spec, 1, 1);
    cr_assert_eq (jobspec_set_option (&spec, "after", after, &err), 0, "%s", err.text);
    cr_assert_eq (sched_job_submit_many (s, "tenant-a", &spec, 0, &dependent, &n, &err),
                  0, "%s", err.text);
    jobspec_clear (&spec);
    cr_assert_str_eq (job (dependent)->reason, "Dependency");
    cr_assert_eq (sched_job_hold (s, dependent, SCHED_HOLD_USER, &err), 0);
    cr_assert_str_eq (job (dependent)->reason, "Held");
    cr_assert_eq (sched_job_release (s, dependent, SCHED_HOLD_USER, &err), 0);
    cr_assert_str_eq (job (dependent)->reason, "Dependency");
}
