/* test_hold_core.c: unit tests of the core's hold, release and requeue
 * (scheduler/core/sched_hold.c): a held job (held by hand or at submit)
 * never starts while a node is idle and starts once released; an
 * operator's hold is not a tenant's to release; a requeued running job is
 * killed, its run accounted as its own record, and it runs again; a late
 * exit of the old run (named by its run number) cannot end the new one,
 * whether the job was requeued running or ended; an ended job can be
 * requeued and runs again, within its tenant's pending limit, its age
 * counted from the requeue; a node lost under a requeue is a node failure;
 * an old run's end from a node that still held it releases the job there
 * and ends nothing else; a running job is requeued within the pending limit too.
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
    sched_exit_t late = {
        .id = id, .kind = SCHED_EXIT_CANCELLED, .end_time = 9, .run = 1};
    cr_assert_eq (sched_job_exited (s, "n1", &late, 11), 0);
    collect ();
    cr_assert_eq (count (SCHED_ACCOUNT, id), 0);
    cr_assert_eq (job (id)->state, JOB_RUNNING);
    sched_exit_t now = {.id = id, .kind = SCHED_EXIT_EXITED, .end_time = 15, .run = 2};
    cr_assert_eq (sched_job_exited (s, "n1", &now, 15), 0);
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

Test (hold_core, requeue_of_a_running_job_keeps_the_pending_limit)
{
    cphub_error_t err;
    sched_tenant_t t = {.max_pending_jobs = 1};
    uint64_t running, waiting;

    snprintf (t.name, sizeof (t.name), "tenant-a");
    cr_assert_eq (sched_tenant_set (s, &t), 0);
    register_node ("n1", 1, 1, 0, NULL, 0);
    running = submit (1, 0);
    sched_tick (s, 1);
    collect ();
    cr_assert_eq (job (running)->state, JOB_RUNNING);
    waiting = submit (1, 2);
    cr_assert_eq (job (waiting)->state, JOB_PENDING);
    cr_assert_eq (sched_job_requeue (s, running, 3, &err), -1);
    cr_assert_eq (errno, ENOSPC, "%s", err.text);
    collect ();
    cr_assert_eq (count (SCHED_KILL, running), 0, "no kill for a refused requeue");
    cr_assert_eq (job (running)->state, JOB_RUNNING);
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

/* The old run's exit, resent by its node after the job was requeued and
 * started again there, names run 1: it is dropped, and the new run goes on
 * to be accounted by its own exit. */
Test (hold_core, requeued_ended_job_ignores_the_old_runs_exit)
{
    cphub_error_t err;
    uint64_t id;

    register_node ("n1", 1, 4, 0, NULL, 0);
    id = submit (2, 0);
    sched_tick (s, 1);
    cr_assert_eq (job (id)->runs, 1);
    sched_exit_t first = {.id = id, .kind = SCHED_EXIT_EXITED, .end_time = 5, .run = 1};
    cr_assert_eq (sched_job_exited (s, "n1", &first, 5), 0);
    collect ();
    cr_assert_eq (job (id)->state, JOB_COMPLETED);
    cr_assert_eq (sched_job_requeue (s, id, 6, &err), 0, "%s", err.text);
    cr_assert (sched_job_run_stale (s, id, 1), "a pending job's last run is over");
    sched_tick (s, 7);
    collect ();
    cr_assert_eq (job (id)->state, JOB_RUNNING);
    cr_assert_eq (job (id)->runs, 2);
    cr_assert (sched_job_run_stale (s, id, 1));
    cr_assert_not (sched_job_run_stale (s, id, 2));
    cr_assert_not (sched_job_run_stale (s, id, 0), "not said: the caller's word");
    /* the resent exit of run 1 (its node did not see the ack) */
    cr_assert_eq (sched_job_exited (s, "n1", &first, 8), 0);
    collect ();
    cr_assert_eq (count (SCHED_ACCOUNT, id), 0, "the stale report charged nothing");
    cr_assert_eq (job (id)->state, JOB_RUNNING);
    sched_exit_t second = {
        .id = id, .kind = SCHED_EXIT_EXITED, .end_time = 17, .run = 2};
    cr_assert_eq (sched_job_exited (s, "n1", &second, 17), 0);
    collect ();
    cr_assert_eq (count (SCHED_ACCOUNT, id), 1);
    cr_assert_eq (account_of (id)->run, 2);
    cr_assert_float_eq (account_of (id)->core_seconds, 2 * 10.0, 1e-9);
    cr_assert_eq (job (id)->state, JOB_COMPLETED);
}

/* A requeued ended job waits as a new submit would: its age priority
 * counts from the requeue, not from its first submit. */
Test (hold_core, requeued_ended_job_ages_from_the_requeue)
{
    cphub_error_t err;
    sched_priority_t p;
    uint64_t id;

    register_node ("n1", 1, 1, 0, NULL, 0);
    id = submit (1, 0);
    sched_tick (s, 1);
    exit_at ("n1", id, SCHED_EXIT_EXITED, 0, 2);
    cr_assert_eq (sched_node_drain (s, "n1", true, "hold the job in line", 3, &err), 0,
                  "%s", err.text);
    cr_assert_eq (sched_job_requeue (s, id, 5000, &err), 0, "%s", err.text);
    cr_assert_float_eq (job (id)->eligible_time, 5000, 1e-9);
    cr_assert_eq (sched_job_priority (s, id, 5000, &p), 0);
    cr_assert_float_eq (p.age, 0, 1e-9, "age %g right after the requeue", p.age);
    cr_assert_eq (sched_job_priority (s, id, 5100, &p), 0);
    cr_assert_gt (p.age, 0);
    sched_priority_t fresh;
    uint64_t other = submit (1, 5000);
    cr_assert_eq (sched_job_priority (s, other, 5100, &fresh), 0);
    cr_assert_float_eq (p.age, fresh.age, 1e-9, "as old as a job submitted then");
}

/* The node loses the run while a requeue of it is under way: that is the
 * node's failure (a failed run, requeued as a node failure counts), not a
 * cancelled run. */
Test (hold_core, node_loss_during_a_requeue_is_a_node_failure)
{
    cphub_error_t err;
    uint64_t id;

    register_node ("n1", 1, 4, 0, NULL, 0);
    id = submit (1, 0);
    sched_tick (s, 1);
    collect ();
    cr_assert_eq (sched_job_requeue (s, id, 5, &err), 0, "%s", err.text);
    collect ();
    sched_exit_t lost = {.id = id, .kind = SCHED_EXIT_LOST, .end_time = 6, .run = 1};
    cr_assert_eq (sched_job_exited (s, "n1", &lost, 6), 0);
    collect ();
    cr_assert_eq (account_of (id)->state, JOB_NODE_FAIL);
    cr_assert (account_of (id)->failed_run);
    cr_assert_eq (job (id)->state, JOB_PENDING);
    cr_assert_eq (job (id)->requeues, 1);
    cr_assert (strstr (job (id)->reason, "node n1") != NULL, "%s", job (id)->reason);
}

/* An ended job is no held one: releasing it is refused as holding it is,
 * so that a job forgotten and recalled answers the same. */
Test (hold_core, release_of_an_ended_job_is_refused)
{
    cphub_error_t err;
    uint64_t id;

    register_node ("n1", 1, 4, 0, NULL, 0);
    id = submit (1, 0);
    sched_tick (s, 1);
    cr_assert_eq (sched_job_release (s, id, SCHED_HOLD_USER, &err), -1);
    cr_assert_eq (errno, EINVAL, "a running job");
    exit_at ("n1", id, SCHED_EXIT_EXITED, 0, 2);
    cr_assert_eq (sched_job_release (s, id, SCHED_HOLD_USER, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, "COMPLETED"), "%s", err.text);
}

/* A node that comes back still holding run 1 of a job requeued meanwhile
 * holds the job back; its report of run 1's end (named) releases the job
 * and charges nothing, and the same report again cannot end run 2. */
Test (hold_core, an_old_runs_end_releases_the_node_hold_and_nothing_more)
{
    register_node ("n1", 1, 4, 0, NULL, 0);
    uint64_t a = submit (4, 1);
    sched_tick (s, 2);
    sched_tick (s, 40); /* n1 is cut off: a is requeued */
    collect ();
    cr_assert_eq (job (a)->state, JOB_PENDING);
    uint64_t held[] = {a};
    register_node ("n1", 1, 4, 41, held, 1);
    sched_tick (s, 42);
    collect ();
    cr_assert_eq (count (SCHED_START, a), 0, "not while n1 holds run 1");

    sched_exit_t old = {
        .id = a, .kind = SCHED_EXIT_CANCELLED, .end_time = 43, .run = 1};
    cr_assert_eq (sched_job_exited (s, "n1", &old, 43), 0);
    collect ();
    cr_assert_eq (ndq, 0, "run 1's end is not billed again");
    sched_tick (s, 44);
    collect ();
    cr_assert_eq (count (SCHED_START, a), 1, "released by run 1's end");
    cr_assert_eq (job (a)->runs, 2);
    cr_assert_eq (sched_job_exited (s, "n1", &old, 45), 0);
    collect ();
    cr_assert_eq (job (a)->state, JOB_RUNNING, "run 1's end again: run 2 goes on");
    cr_assert_eq (count (SCHED_ACCOUNT, a), 0);
}
