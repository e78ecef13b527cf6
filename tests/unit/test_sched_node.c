/* test_sched_node.c: the scheduling core when nodes fail: a lost run is
 * requeued in its place (or ends NODE_FAIL with --no-requeue), one
 * accounting record per run whatever ends it, drain and resume, a job that
 * survives KILL draining its node, restored nodes, a job held back while a
 * returning node still holds its earlier run (but not one that a register
 * merely claims), and a stalled scheduler not blaming its nodes for its own
 * absence.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORE_HELPERS_FIXTURE
#include "tests/unit/core_helpers.h"

TestSuite (sched_node, .init = core_setup, .fini = core_teardown);

Test (sched_node, node_failure_requeues_the_job_in_its_place)
{
    register_node ("n1", 1, 4, 0, NULL, 0);
    register_node ("n2", 1, 4, 0, NULL, 0);
    collect ();
    uint64_t a = submit (4, 1), b = submit (4, 1), c = submit (4, 1);
    sched_tick (s, 10);
    collect ();
    cr_assert_eq (count (SCHED_START, 0), 2);
    cr_assert_str_eq (job (a)->alloc.node, "n1");
    cr_assert_str_eq (job (b)->alloc.node, "n2");
    cr_assert_eq (job (a)->runs, 1);

    /* n1 falls silent; n2 keeps heartbeating */
    cr_assert_eq (sched_node_heartbeat (s, "n2", 35), 0);
    sched_tick (s, 41);
    collect ();
    cr_assert_eq (job (a)->state, JOB_PENDING);
    cr_assert_str_eq (job (a)->alloc.node, "");
    cr_assert_null (job (a)->alloc.cores);
    cr_assert_eq (job (a)->runs, 1, "runs are kept");
    cr_assert_eq (count (SCHED_CHANGED, a), 1);
    cr_assert_eq (count (SCHED_NODE_CHANGED, 0), 1);
    const sched_acct_t *acct = account_of (a);
    cr_assert (acct->failed_run);
    cr_assert_eq (acct->state, JOB_NODE_FAIL);
    cr_assert_eq (acct->run, 1);
    cr_assert_str_eq (acct->node, "n1");
    cr_assert_str_eq (acct->tenant, "tenant-a");
    cr_assert_eq (acct->cores, 4);
    cr_assert_float_eq (acct->core_seconds, 4 * 31.0, 1e-9);
    node_info_t info;
    cr_assert_eq (sched_node_lookup (s, "n1", &info), 0);
    cr_assert_eq (info.state, NODE_DOWN);
    cr_assert_eq (info.cores_used, 0);

    /* a is ahead of c again: it takes n2 when b ends */
    exit_at ("n2", b, SCHED_EXIT_EXITED, 0, 42);
    sched_tick (s, 43);
    collect ();
    cr_assert_eq (count (SCHED_START, a), 1);
    cr_assert_eq (count (SCHED_START, c), 0);
    cr_assert_str_eq (job (a)->alloc.node, "n2");
    cr_assert_eq (job (a)->runs, 2);
    exit_at ("n2", a, SCHED_EXIT_EXITED, 0, 50);
    collect ();
    cr_assert_eq (job (a)->state, JOB_COMPLETED);
    acct = account_of (a);
    cr_assert_not (acct->failed_run);
    cr_assert_eq (acct->run, 2);
    cr_assert_eq (acct->state, JOB_COMPLETED);
    cr_assert_float_eq (acct->core_seconds, 4 * 7.0, 1e-9);
}

Test (sched_node, no_requeue_job_ends_node_fail)
{
    register_node ("n1", 1, 4, 0, NULL, 0);
    uint64_t a = submit_opts (1, 1, true);
    sched_tick (s, 2);
    collect ();
    sched_tick (s, 40);
    collect ();
    cr_assert_eq (job (a)->state, JOB_NODE_FAIL, "final");
    cr_assert_str_eq (job (a)->reason, "node n1 stopped heartbeating");
    cr_assert_eq (job (a)->end_time, 40);
    cr_assert_str_eq (job (a)->alloc.node, "n1", "where it ran");
    cr_assert (account_of (a)->failed_run);
    cr_assert_eq (count (SCHED_CHANGED, a), 1);

    register_node ("n1", 1, 4, 41, NULL, 0);
    sched_tick (s, 42);
    collect ();
    cr_assert_eq (count (SCHED_START, 0), 0, "an ended job does not run again");
}

Test (sched_node, a_cancel_under_way_ends_cancelled_when_the_node_fails)
{
    cphub_error_t err = {{0}};

    register_node ("n1", 1, 4, 0, NULL, 0);
    uint64_t a = submit (1, 1);
    sched_tick (s, 2);
    cr_assert_eq (sched_job_cancel (s, a, 3, &err), 0);
    collect ();
    sched_tick (s, 40);
    collect ();
    cr_assert_eq (job (a)->state, JOB_CANCELLED);
    cr_assert (account_of (a)->failed_run);
}

Test (sched_node, every_run_is_accounted_exactly_once)
{
    cphub_error_t err = {{0}};

    register_node ("n1", 2, 16, 0, NULL, 0);
    uint64_t ok = submit (2, 1), cancelled = submit (1, 1), timeout = submit (1, 1);
    uint64_t nostart = submit (1, 1), lost = submit (1, 1), pending = submit (32, 1);
    sched_tick (s, 10);
    collect ();
    cr_assert_eq (count (SCHED_START, 0), 5);
    cr_assert_eq (count (SCHED_ACCOUNT, 0), 0, "nothing ended yet");

    exit_at ("n1", ok, SCHED_EXIT_EXITED, 0, 20);
    exit_at ("n1", ok, SCHED_EXIT_EXITED, 0, 21); /* a duplicate */
    cr_assert_eq (sched_job_cancel (s, cancelled, 20, &err), 0);
    exit_at ("n1", cancelled, SCHED_EXIT_CANCELLED, 0, 22);
    exit_at ("n1", cancelled, SCHED_EXIT_CANCELLED, 0, 23);
    exit_at ("n1", timeout, SCHED_EXIT_TIMEOUT, 0, 24);
    /* the job's own fault: not requeued */
    cr_assert_eq (sched_job_start_failed (s, "n1", nostart,
                                          "cannot execute 'x': no such file", 10, 10),
                  0);
    exit_at ("n1", lost, SCHED_EXIT_LOST, 0, 25);
    cr_assert_eq (sched_job_cancel (s, pending, 26, &err), 0);
    collect ();
    cr_assert_eq (count (SCHED_ACCOUNT, 0), 5,
                  "one per run; none for a job that never ran");
    cr_assert_eq (account_of (ok)->state, JOB_COMPLETED);
    cr_assert_eq (account_of (ok)->cores, 2);
    cr_assert_float_eq (account_of (ok)->core_seconds, 2 * 10.0, 1e-9);
    cr_assert_eq (account_of (ok)->end_time, 20, "the first report counts");
    cr_assert_eq (account_of (cancelled)->state, JOB_CANCELLED);
    cr_assert_eq (account_of (timeout)->state, JOB_TIMEOUT);
    cr_assert_eq (account_of (nostart)->state, JOB_FAILED);
    cr_assert_eq (account_of (nostart)->core_seconds, 0);
    cr_assert (account_of (lost)->failed_run, "a lost job is the node's fault");
    cr_assert_eq (job (lost)->state, JOB_PENDING, "and is requeued");
    cr_assert_not (account_of (ok)->failed_run);

    /* the lost job runs again: its second run is accounted once more */
    sched_tick (s, 30);
    collect ();
    cr_assert_eq (count (SCHED_START, lost), 1);
    exit_at ("n1", lost, SCHED_EXIT_EXITED, 0, 35);
    exit_at ("n1", lost, SCHED_EXIT_EXITED, 0, 36);
    collect ();
    cr_assert_eq (account_of (lost)->run, 2);
    cr_assert_eq (job (lost)->state, JOB_COMPLETED);
}

Test (sched_node, drain_and_resume)
{
    cphub_error_t err = {{0}};
    node_info_t info;

    register_node ("n1", 1, 4, 0, NULL, 0);
    collect ();
    cr_assert_eq (count (SCHED_NODE_CHANGED, 0), 1, "registration is announced");
    uint64_t a = submit (2, 1);
    sched_tick (s, 2);
    collect ();

    cr_assert_eq (sched_node_drain (s, "n1", true, "new memory", 3, &err), 0);
    collect ();
    cr_assert_eq (count (SCHED_NODE_CHANGED, 0), 1);
    cr_assert_str_eq (dq[0].node, "n1");
    cr_assert_eq (sched_node_lookup (s, "n1", &info), 0);
    cr_assert_eq (info.state, NODE_DRAIN);
    cr_assert_str_eq (info.reason, "new memory");
    cr_assert_eq (info.jobs, 1, "the running job goes on");

    uint64_t b = submit (1, 4);
    sched_tick (s, 5);
    collect ();
    cr_assert_eq (count (SCHED_START, 0), 0, "nothing new starts on a drained node");
    cr_assert_str_eq (job (b)->reason, "Resources");
    exit_at ("n1", a, SCHED_EXIT_EXITED, 0, 6);
    cr_assert_eq (sched_node_heartbeat (s, "n1", 6), 0);
    sched_tick (s, 7);
    collect ();
    cr_assert_eq (job (a)->state, JOB_COMPLETED);
    cr_assert_eq (count (SCHED_START, 0), 0);

    /* the drain survives a re-registration */
    register_node ("n1", 1, 4, 8, NULL, 0);
    sched_tick (s, 8);
    collect ();
    cr_assert_eq (count (SCHED_START, 0), 0);
    cr_assert_eq (sched_node_lookup (s, "n1", &info), 0);
    cr_assert_eq (info.state, NODE_DRAIN);

    cr_assert_eq (sched_node_drain (s, "n1", false, NULL, 9, &err), 0);
    sched_tick (s, 9);
    collect ();
    cr_assert_eq (count (SCHED_NODE_CHANGED, 0), 1);
    cr_assert_eq (count (SCHED_START, b), 1);
    cr_assert_eq (sched_node_lookup (s, "n1", &info), 0);
    cr_assert_eq (info.state, NODE_UP);
    cr_assert_str_eq (info.reason, "");

    cr_assert_eq (sched_node_drain (s, "n1", false, NULL, 10, &err), 0,
                  "resumed again");
    cr_assert_eq (collect (), 0, "changes nothing");
    cr_assert_eq (sched_node_drain (s, "nx", true, "x", 10, &err), -1);
    cr_assert_eq (errno, ENOENT);
    cr_assert_str_eq (err.text, "no node named 'nx'");
}

Test (sched_node, a_job_surviving_kill_drains_its_node)
{
    node_info_t info;
    sched_exit_t ex = {.kind = SCHED_EXIT_TIMEOUT, .signal = 9, .survived_kill = true};

    register_node ("n1", 1, 4, 0, NULL, 0);
    ex.id = submit (1, 1);
    sched_tick (s, 2);
    collect ();
    cr_assert_eq (sched_job_exited (s, "n1", &ex, 5), 0);
    collect ();
    cr_assert_eq (job (ex.id)->state, JOB_TIMEOUT);
    cr_assert_eq (count (SCHED_NODE_CHANGED, 0), 1);
    cr_assert_eq (sched_node_lookup (s, "n1", &info), 0);
    cr_assert_eq (info.state, NODE_DRAIN);
    char want[64];
    snprintf (want, sizeof (want), "job %ju survived KILL", (uintmax_t)ex.id);
    cr_assert_str_eq (info.reason, want);
    submit (1, 6);
    sched_tick (s, 6);
    collect ();
    cr_assert_eq (count (SCHED_START, 0), 0);
}

Test (sched_node, restored_nodes_are_down_or_drained_until_they_register)
{
    node_desc_t d1, d2;
    cphub_error_t err = {{0}};
    node_info_t info;

    make_node (&d1, "n1", 1, 4, false, 64 * GIB);
    make_node (&d2, "n2", 1, 4, false, 64 * GIB);
    cr_assert_eq (sched_node_restore (s, &d1, NODE_DOWN, "stopped heartbeating", &err),
                  0, "%s", err.text);
    cr_assert_eq (sched_node_restore (s, &d2, NODE_DRAIN, "bad fan", &err), 0);
    cr_assert_eq (collect (), 0, "restoring queues nothing");
    cr_assert_eq (sched_node_count (s), 2);
    cr_assert_eq (sched_node_lookup (s, "n1", &info), 0);
    cr_assert_eq (info.state, NODE_DOWN);
    cr_assert_str_eq (info.reason, "stopped heartbeating");
    cr_assert_eq (info.cores, 4);
    cr_assert_eq (sched_node_lookup (s, "n2", &info), 0);
    cr_assert_eq (info.state, NODE_DRAIN);
    cr_assert_str_eq (info.reason, "bad fan");
    cr_assert_not_null (sched_node_desc (s, "n2"));

    /* their capacity is known: what fits is accepted, what does not refused */
    uint64_t a = submit (4, 1);
    jobspec_t spec;
    uint64_t id;
    core_spec (&spec, 8, 1);
    cr_assert_eq (sched_job_submit (s, "tenant-a", &spec, 1, &id, &err), -1);
    cr_assert_str_eq (err.text, "asked 8 cores; the largest node has 4");
    jobspec_clear (&spec);
    sched_tick (s, 100);
    collect ();
    cr_assert_eq (count (SCHED_START, 0), 0);

    register_node ("n2", 1, 4, 101, NULL, 0);
    sched_tick (s, 101);
    collect ();
    cr_assert_eq (count (SCHED_NODE_CHANGED, 0), 1);
    cr_assert_eq (count (SCHED_START, 0), 0, "the drain is kept");
    cr_assert_eq (sched_node_lookup (s, "n2", &info), 0);
    cr_assert_eq (info.state, NODE_DRAIN);
    cr_assert_str_eq (info.reason, "bad fan");

    register_node ("n1", 1, 4, 102, NULL, 0);
    sched_tick (s, 102);
    collect ();
    cr_assert_eq (count (SCHED_START, a), 1);
    cr_assert_str_eq (dq[ndq - 1].node, "n1");
    cr_assert_eq (sched_node_restore (s, &d1, NODE_DOWN, "", &err), -1);
    cr_assert_eq (errno, EEXIST);
    node_desc_clear (&d1);
    node_desc_clear (&d2);
}

Test (sched_node, a_returning_node_that_still_holds_an_old_run_holds_the_job_back)
{
    register_node ("n1", 1, 4, 0, NULL, 0);
    uint64_t a = submit (4, 1);
    sched_tick (s, 2);
    collect ();
    sched_tick (s, 40); /* n1 is cut off: a is requeued */
    collect ();
    cr_assert_eq (job (a)->state, JOB_PENDING);

    /* n1 comes back still running a: it is told to kill it, and a does not
     * start until n1 reports that run's end */
    uint64_t held[] = {a};
    register_node ("n1", 1, 4, 41, held, 1);
    collect ();
    cr_assert_eq (count (SCHED_KILL, a), 1);
    sched_tick (s, 42);
    collect ();
    cr_assert_eq (count (SCHED_START, 0), 0, "not while n1 still runs the old one");

    exit_at ("n1", a, SCHED_EXIT_CANCELLED, 0, 43);
    collect ();
    cr_assert_eq (ndq, 0, "the old run's end changes nothing and is not billed");
    cr_assert_eq (job (a)->state, JOB_PENDING);
    sched_tick (s, 44);
    collect ();
    cr_assert_eq (count (SCHED_START, a), 1);
    cr_assert_eq (job (a)->runs, 2);
    exit_at ("n1", a, SCHED_EXIT_EXITED, 0, 50);
    collect ();
    cr_assert_eq (job (a)->state, JOB_COMPLETED);
    cr_assert_eq (account_of (a)->run, 2);
}

Test (sched_node, a_held_back_job_goes_elsewhere_when_the_holding_node_fails)
{
    register_node ("n1", 1, 4, 0, NULL, 0);
    uint64_t a = submit (4, 1);
    sched_tick (s, 2);
    sched_tick (s, 40);
    collect ();
    cr_assert_eq (count (SCHED_START, a), 1, "the first run");
    uint64_t held[] = {a};
    register_node ("n1", 1, 4, 41, held, 1);
    register_node ("n2", 1, 4, 41, NULL, 0);
    sched_tick (s, 42);
    collect ();
    cr_assert_eq (count (SCHED_START, 0), 0);
    /* n1 falls silent again before reporting: a may run on n2 */
    cr_assert_eq (sched_node_heartbeat (s, "n2", 70), 0);
    sched_tick (s, 72);
    collect ();
    cr_assert_eq (count (SCHED_START, a), 1);
    cr_assert_str_eq (job (a)->alloc.node, "n2");
    /* a late report of the old run from n1 does not touch the new one */
    sched_exit_t ex = {.id = a, .kind = SCHED_EXIT_CANCELLED};
    cr_assert_eq (sched_job_exited (s, "n1", &ex, 73), -1);
    cr_assert_eq (job (a)->state, JOB_RUNNING);
}

Test (sched_node, a_stalled_scheduler_gives_nodes_a_timeout_to_be_heard)
{
    sched_config_t cfg = {.default_walltime = 3600,
                          .max_walltime = 7 * 86400,
                          .heartbeat_timeout = 30,
                          .stall_after = 15};

    sched_destroy (s);
    s = sched_create (&cfg);
    register_node ("n1", 1, 4, 0, NULL, 0);
    uint64_t a = submit (1, 1);
    for (double t = 1; t <= 10; t += 1)
        sched_tick (s, t);
    /* the scheduler was stopped for 60 s: the node is not blamed yet */
    sched_tick (s, 70);
    cr_assert_eq (job (a)->state, JOB_RUNNING);
    cr_assert_eq (sched_node_heartbeat (s, "n1", 71), 0, "heard again");
    for (double t = 71; t <= 100; t += 1)
        sched_tick (s, t);
    cr_assert_eq (job (a)->state, JOB_RUNNING);
    /* but a node that stays silent goes down a timeout after the stall */
    for (double t = 100; t <= 102; t += 1)
        sched_tick (s, t);
    cr_assert_eq (job (a)->state, JOB_PENDING, "requeued at 71 + 30");
}

/* An agent speaks only for its own node. A registration claiming
 * to hold a job that never started cannot be holding an earlier run of it:
 * the claiming node gets a kill of that id, and the job is not held back
 * (it starts on another node). */
Test (sched_node, register_cannot_hold_back_a_job_that_never_ran)
{
    sched_decision_t d;
    uint64_t claimed[2];

    register_node ("node1", 1, 2, 0, NULL, 0);
    uint64_t a = submit (2, 1);
    sched_tick (s, 1);
    cr_assert_eq (drain (SCHED_START, NULL), 1, "job a starts on node1");
    uint64_t j = submit (2, 2);
    sched_tick (s, 2);
    cr_assert_eq (drain (SCHED_START, NULL), 0, "job j waits: node1 is full");
    claimed[0] = a;
    claimed[1] = j;
    register_node ("node1", 1, 2, 3, claimed, 2);
    cr_assert_eq (drain (SCHED_KILL, &d), 1);
    cr_assert_eq (d.job_id, j);
    cr_assert_str_eq (d.node, "node1", "the kill goes to the node that claimed it");
    register_node ("node2", 1, 2, 4, NULL, 0);
    sched_tick (s, 4);
    cr_assert_eq (drain (SCHED_START, &d), 1, "job j is not held back");
    cr_assert_eq (d.job_id, j);
    cr_assert_str_eq (d.node, "node2");
}
