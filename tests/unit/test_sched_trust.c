/* test_sched_trust.c: how far the scheduling core trusts a node. A lost
 * run is requeued a limited number of times after growing delays (kept
 * through a restore), node-side start failures requeue and drain their node,
 * a node's reports cannot stretch a run or carry impossible numbers, a
 * register naming other nodes' jobs holds none back, a job.run that did not
 * reach its node is no failed run (the node's register or its going down
 * decides), nor is a run restored after a restart that its node's register
 * does not list, and a job without --mem holds a default memory limit.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORE_HELPERS_FIXTURE
#include "tests/unit/core_helpers.h"

static void setup_trust (void)
{
    sched_config_t cfg = {.default_walltime = 3600,
                          .max_walltime = 7 * 86400,
                          .heartbeat_timeout = 1e6, /* nodes stay up */
                          .max_requeue = 3,
                          .requeue_delay = 10,
                          .max_start_failures = 3};
    s = sched_create (&cfg);
    cr_assert_not_null (s);
}

TestSuite (sched_trust, .init = setup_trust, .fini = core_teardown);

/* job id's start failed on node with text at t. */
static void start_failed_at (const char *node, uint64_t id, const char *text, double t)
{
    cr_assert_eq (sched_job_start_failed (s, node, id, text, t, t), 0, "start of %ju",
                  (uintmax_t)id);
}

Test (sched_trust, lost_runs_requeue_with_growing_delay_then_node_fail)
{
    uint64_t id;
    double t = 0;
    const double waits[] = {10, 20, 40};

    register_node ("n1", 1, 4, 0, NULL, 0);
    id = submit (1, 0);
    sched_tick (s, 1);
    collect ();
    cr_assert_eq (count (SCHED_START, id), 1);
    t = 1;
    for (uint32_t n = 1; n <= 3; n++) {
        exit_at ("n1", id, SCHED_EXIT_LOST, 0, t + 1);
        t += 1;
        collect ();
        cr_assert (account_of (id)->failed_run);
        cr_assert_eq (job (id)->state, JOB_PENDING, "requeued %u", n);
        cr_assert_eq (job (id)->requeues, n);
        cr_assert_float_eq (job (id)->eligible_time, t + waits[n - 1], 1e-9);
        /* not started before its time, however often the core passes */
        sched_tick (s, t + waits[n - 1] - 2);
        collect ();
        cr_assert_eq (count (SCHED_START, id), 0, "run %u waits", n + 1);
        char want[64];
        snprintf (want, sizeof (want), "Requeued %u of 3 times; eligible in 2 s", n);
        cr_assert_str_eq (job (id)->reason, want);
        t += waits[n - 1];
        sched_tick (s, t);
        collect ();
        cr_assert_eq (count (SCHED_START, id), 1, "run %u starts at its time", n + 1);
    }
    /* the fourth loss is one too many */
    exit_at ("n1", id, SCHED_EXIT_LOST, 0, t + 1);
    collect ();
    cr_assert_eq (job (id)->state, JOB_NODE_FAIL);
    cr_assert (strstr (job (id)->reason, "requeued 3 times, the limit") != NULL, "%s",
               job (id)->reason);
    sched_tick (s, t + 1000);
    collect ();
    cr_assert_eq (count (SCHED_START, id), 0, "never again");
}

Test (sched_trust, a_requeued_job_keeps_its_count_and_delay_through_restore)
{
    sched_job_t copy;
    cphub_error_t err = {{0}};
    uint64_t id;

    register_node ("n1", 1, 4, 0, NULL, 0);
    id = submit (1, 0);
    sched_tick (s, 1);
    exit_at ("n1", id, SCHED_EXIT_LOST, 0, 5);
    collect ();
    copy = *job (id);
    cr_assert_eq (copy.requeues, 1);
    cr_assert_float_eq (copy.eligible_time, 15, 1e-9);
    /* a new core (a restarted scheduler) gets the job back as stored */
    jobspec_t spec;
    jobspec_init (&spec);
    cr_assert_eq (jobspec_copy (&spec, &copy.spec), 0);
    copy.spec = spec;
    sched_destroy (s);
    setup_trust ();
    register_node ("n1", 1, 4, 6, NULL, 0);
    cr_assert_eq (sched_job_restore (s, &copy, &err), 0, "%s", err.text);
    jobspec_clear (&spec);
    sched_tick (s, 10);
    collect ();
    cr_assert_eq (count (SCHED_START, id), 0, "its delay goes on");
    sched_tick (s, 15);
    collect ();
    cr_assert_eq (count (SCHED_START, id), 1);
    exit_at ("n1", id, SCHED_EXIT_LOST, 0, 16);
    collect ();
    cr_assert_eq (job (id)->requeues, 2, "the count survived");
    cr_assert_float_eq (job (id)->eligible_time, 36, 1e-9, "and the delay doubled");
}

Test (sched_trust, node_side_start_failures_requeue_and_drain_the_node)
{
    node_info_t info;
    cphub_error_t err = {{0}};
    uint64_t a, b, c;

    register_node ("n1", 1, 4, 0, NULL, 0);
    register_node ("n2", 1, 2, 0, NULL, 0);
    a = submit (4, 0); /* only n1 holds 4 cores */
    sched_tick (s, 1);
    collect ();
    cr_assert_eq (count (SCHED_START, a), 1);
    start_failed_at ("n1", a, "cannot create the job directory '/x/1': No space left",
                     2);
    collect ();
    cr_assert_eq (job (a)->state, JOB_PENDING, "the node's fault: requeued");
    cr_assert (account_of (a)->failed_run, "and not charged");
    cr_assert_eq (job (a)->requeues, 1);

    /* the job's own fault: FAILED, charged as its run, the node's count reset */
    b = submit (1, 2);
    sched_tick (s, 3);
    collect ();
    cr_assert_eq (count (SCHED_START, b), 1);
    cr_assert_str_eq (dq[ndq - 1].node, "n2", "best fit: the 2-core node");
    start_failed_at ("n2", b, "cannot execute 'nosuch': No such file or directory", 4);
    collect ();
    cr_assert_eq (job (b)->state, JOB_FAILED);
    cr_assert_not (account_of (b)->failed_run);
    cr_assert_not (sched_start_fault_is_node ("tenant t has no Unix user on n2"),
                   "a node that refuses a tenant by its config is not failing");
    cr_assert (sched_start_fault_is_node ("cannot fork: Resource unavailable"));

    /* three node-side failures in a row on n1 drain it with the last error */
    sched_tick (s, 12);
    collect ();
    cr_assert_eq (count (SCHED_START, a), 1);
    start_failed_at ("n1", a, "cannot join the job's cgroups: EACCES", 13);
    sched_tick (s, 33);
    collect ();
    cr_assert_eq (count (SCHED_START, a), 1);
    start_failed_at ("n1", a, "cannot switch to the tenant's user: EPERM", 34);
    collect ();
    cr_assert_eq (sched_node_lookup (s, "n1", &info), 0);
    cr_assert_eq (info.state, NODE_DRAIN);
    cr_assert_str_eq (info.reason,
                      "3 job starts failed in a row: cannot switch to the tenant's "
                      "user: EPERM");
    cr_assert_eq (count (SCHED_NODE_CHANGED, 0), 1, "the drain is persisted");
    sched_tick (s, 200);
    collect ();
    cr_assert_eq (count (SCHED_START, 0), 0, "a drained node eats no more jobs");

    /* an operator's resume clears it: the count starts again from 0 */
    cr_assert_eq (sched_node_drain (s, "n1", false, NULL, 201, &err), 0);
    c = submit (1, 201);
    sched_tick (s, 202);
    collect ();
    cr_assert_eq (count (SCHED_START, a), 1);
    cr_assert_eq (count (SCHED_START, c), 1);
    start_failed_at ("n1", a, "cannot fork: EAGAIN", 203);
    cr_assert_eq (job (a)->state, JOB_NODE_FAIL, "its fourth loss ends it");
    cr_assert_eq (sched_node_lookup (s, "n1", &info), 0);
    cr_assert_eq (info.state, NODE_UP, "one failure since the resume");
}

Test (sched_trust, a_started_report_resets_the_count)
{
    node_info_t info;
    uint64_t a, b, c;

    register_node ("n1", 1, 4, 0, NULL, 0);
    a = submit (1, 0);
    b = submit (1, 0);
    c = submit (1, 0);
    sched_tick (s, 1);
    collect ();
    start_failed_at ("n1", a, "cannot fork: EAGAIN", 2);
    start_failed_at ("n1", b, "cannot fork: EAGAIN", 2);
    cr_assert_eq (sched_job_started (s, "n1", c, 2, 2), 0);
    start_failed_at ("n1", c, "cannot fork: EAGAIN", 3);
    cr_assert_eq (sched_node_lookup (s, "n1", &info), 0);
    cr_assert_eq (info.state, NODE_UP, "a start worked in between: %s", info.reason);
}

/* job.runs that did not reach the agent (not connected after a scheduler
 * restart): no failed run and no failed start; the node's register decides,
 * and a job it does not hold is in line again at once, as if never started. */
Test (sched_trust, an_undelivered_job_run_is_no_failed_run_the_register_decides)
{
    node_info_t info;
    uint64_t a, b, c, d;

    register_node ("n1", 1, 4, 0, NULL, 0);
    a = submit (1, 0);
    b = submit (1, 0);
    c = submit (1, 0);
    d = submit (1, 0);
    sched_tick (s, 1);
    collect ();
    cr_assert_eq (count (SCHED_START, 0), 4);
    cr_assert_eq (sched_job_run_unsent (s, "n1", a), 0);
    cr_assert_eq (sched_job_run_unsent (s, "n1", b), 0);
    cr_assert_eq (sched_job_run_unsent (s, "n1", c), 0);
    cr_assert_eq (sched_job_run_unsent (s, "n2", d), -1, "not d's node");
    cr_assert_eq (errno, ENOENT);
    cr_assert_eq (sched_job_run_unsent (s, "n1", 999), -1);
    cr_assert_eq (errno, ENOENT);
    collect ();
    cr_assert_eq (ndq, 0, "nothing decided before the node speaks");
    cr_assert_eq (job (a)->state, JOB_RUNNING, "its allocation is kept");
    cr_assert_eq (sched_node_lookup (s, "n1", &info), 0);
    cr_assert_eq (info.state, NODE_UP, "three undelivered runs drain nothing");

    /* c reached the agent after all (job.started); d was delivered */
    cr_assert_eq (sched_job_started (s, "n1", c, 2, 2), 0);
    uint64_t held[] = {b};
    register_node ("n1", 1, 4, 5, held, 1);
    collect ();
    cr_assert_eq (count (SCHED_ACCOUNT, a), 0, "a never ran: no accounting");
    cr_assert_eq (job (a)->state, JOB_PENDING);
    cr_assert_eq (job (a)->requeues, 0, "not a requeue");
    cr_assert_float_eq (job (a)->eligible_time, 0, 1e-9, "no requeue delay");
    cr_assert_str_eq (job (a)->reason, "the job never reached node n1; in line again");
    cr_assert_eq (job (b)->state, JOB_RUNNING, "the node holds b: it runs there");
    cr_assert_eq (count (SCHED_KILL, b), 0);
    cr_assert (account_of (c)->failed_run, "c started, then was lost: a failed run");
    cr_assert (account_of (d)->failed_run, "d was sent: a failed run");
    cr_assert_eq (job (c)->requeues, 1);
    cr_assert_eq (sched_node_lookup (s, "n1", &info), 0);
    cr_assert_eq (info.state, NODE_UP);
    cr_assert_eq (info.jobs, 1, "only b holds cores there");

    /* a goes again at once; b, held, can still be lost as a real run */
    sched_tick (s, 6);
    collect ();
    cr_assert_eq (count (SCHED_START, a), 1, "in line again without a delay");
    cr_assert_eq (job (a)->runs, 2, "runs are numbered on");
    exit_at ("n1", b, SCHED_EXIT_EXITED, 0, 7);
    cr_assert_eq (job (b)->state, JOB_COMPLETED);
}

/* A scheduler killed between committing a start and sending its job.run
 * restores the job RUNNING on a node that never got it: the node's register,
 * which does not list it, puts it back in line with no failed run. A run the
 * node confirmed since (job.started) and then lost is a failed run. */
Test (sched_trust, a_restored_run_its_node_never_got_is_no_failed_run)
{
    const struct {
        uint64_t id;
        const char *cores;
    } restored[] = {{41, "0"}, {42, "1"}, {43, "2"}};
    cphub_error_t err = {{0}};
    sched_job_t j;

    for (size_t i = 0; i < sizeof (restored) / sizeof (*restored); i++) {
        memset (&j, 0, sizeof (j));
        j.id = restored[i].id;
        snprintf (j.tenant, sizeof (j.tenant), "tenant-a");
        core_spec (&j.spec, 1, 1);
        j.state = JOB_RUNNING;
        j.walltime = 60;
        j.runs = 1;
        j.start_time = 1;
        snprintf (j.alloc.node, sizeof (j.alloc.node), "n1");
        j.alloc.cores = idset_decode (restored[i].cores, NULL);
        j.alloc.cpus = idset_decode (restored[i].cores, NULL);
        cr_assert_eq (sched_job_restore (s, &j, &err), 0, "%s", err.text);
        jobspec_clear (&j.spec);
        idset_destroy (j.alloc.cores);
        idset_destroy (j.alloc.cpus);
    }
    cr_assert_eq (sched_job_started (s, "n1", 43, 1, 2), 0, "43 runs there");
    uint64_t held[] = {41};
    register_node ("n1", 1, 4, 3, held, 1);
    collect ();
    cr_assert_eq (job (41)->state, JOB_RUNNING, "held: it runs there");
    cr_assert_eq (job (42)->state, JOB_PENDING, "never got: in line again");
    cr_assert_eq (count (SCHED_ACCOUNT, 42), 0, "no failed run for 42");
    cr_assert_eq (job (42)->requeues, 0);
    cr_assert_float_eq (job (42)->eligible_time, 0, 1e-9);
    cr_assert_eq (job (43)->state, JOB_PENDING, "confirmed, then lost: requeued");
    cr_assert (account_of (43)->failed_run);
    cr_assert_eq (job (43)->requeues, 1);
    sched_tick (s, 4);
    collect ();
    cr_assert_eq (count (SCHED_START, 42), 1, "42 starts again at once");
    cr_assert_eq (count (SCHED_START, 43), 0, "43 waits out its requeue delay");
}

Test (sched_trust, an_undelivered_run_on_a_node_that_goes_down_is_withdrawn)
{
    sched_config_t cfg = {.default_walltime = 3600,
                          .max_walltime = 7 * 86400,
                          .heartbeat_timeout = 30,
                          .max_requeue = 3,
                          .requeue_delay = 10,
                          .max_start_failures = 3};
    cphub_error_t err = {{0}};
    uint64_t a, b;

    sched_destroy (s);
    s = sched_create (&cfg);
    cr_assert_not_null (s);
    register_node ("n1", 1, 4, 0, NULL, 0);
    a = submit (1, 0);
    b = submit (1, 0);
    sched_tick (s, 1);
    collect ();
    cr_assert_eq (sched_job_run_unsent (s, "n1", a), 0);
    cr_assert_eq (sched_job_run_unsent (s, "n1", b), 0);
    cr_assert_eq (sched_job_cancel (s, b, 2, &err), 0, "%s", err.text);
    sched_tick (s, 40);
    collect ();
    cr_assert_eq (count (SCHED_ACCOUNT, 0), 0, "nothing ran: nothing accounted");
    cr_assert_eq (job (a)->state, JOB_PENDING);
    cr_assert_eq (job (a)->requeues, 0);
    cr_assert_eq (job (b)->state, JOB_CANCELLED, "its cancel holds");
    sched_tick (s, 41);
    collect ();
    cr_assert_eq (count (SCHED_START, a), 0, "no node to run it yet");
}

Test (sched_trust, an_exit_report_cannot_stretch_a_run)
{
    sched_exit_t ex = {.kind = SCHED_EXIT_EXITED};
    uint64_t a, b;

    register_node ("n1", 1, 4, 0, NULL, 0);
    a = submit (2, 0);
    b = submit (2, 0);
    sched_tick (s, 100);
    collect ();
    /* a forged end far in the future and a start long before the core's */
    ex.id = a;
    ex.start_time = 1;
    ex.end_time = 1e12;
    cr_assert_eq (sched_job_exited (s, "n1", &ex, 160), 0, "%s", strerror (errno));
    collect ();
    cr_assert_float_eq (account_of (a)->start_time, 100, 1e-9);
    cr_assert_float_eq (account_of (a)->end_time, 160, 1e-9, "received at 160");
    cr_assert_float_eq (account_of (a)->core_seconds, 2 * 60.0, 1e-9);
    cr_assert_float_eq (job (a)->end_time, 160, 1e-9);
    /* a report may shorten a run: a later start, an earlier end */
    cr_assert_eq (sched_job_started (s, "n1", b, 1e12, 110), 0);
    cr_assert_float_eq (job (b)->start_time, 100, 1e-9, "a start in the future: no");
    cr_assert_eq (sched_job_started (s, "n1", b, 105, 110), 0);
    cr_assert_float_eq (job (b)->start_time, 105, 1e-9);
    ex.id = b;
    ex.start_time = 0;
    ex.end_time = 50; /* before the start: an empty run */
    cr_assert_eq (sched_job_exited (s, "n1", &ex, 200), 0);
    collect ();
    cr_assert_float_eq (account_of (b)->core_seconds, 0, 1e-9);
}

/* A node that reports a run's end long after its wall time (late, or
 * claiming it ran on) charges no more than the wall time and the slack. */
Test (sched_trust, a_run_is_charged_no_longer_than_its_wall_time)
{
    sched_exit_t ex = {.kind = SCHED_EXIT_EXITED};
    cphub_error_t err = {{0}};
    jobspec_t spec;
    uint64_t a = 0, b;

    register_node ("n1", 1, 4, 0, NULL, 0);
    core_spec (&spec, 2, 1);
    spec.walltime = 60;
    cr_assert_eq (sched_job_submit (s, "tenant-a", &spec, 0, &a, &err), 0, "%s",
                  err.text);
    jobspec_clear (&spec);
    b = submit (1, 0); /* the default wall time, 3600 s */
    sched_tick (s, 100);
    collect ();
    ex.id = a;
    ex.end_time = 5000;
    cr_assert_eq (sched_job_exited (s, "n1", &ex, 5000), 0, "%s", strerror (errno));
    collect ();
    cr_assert_float_eq (account_of (a)->end_time, 100 + 60 + SCHED_WALLTIME_SLACK,
                        1e-9);
    cr_assert_float_eq (account_of (a)->core_seconds, 2 * (60 + SCHED_WALLTIME_SLACK),
                        1e-9);
    /* a run that ended within its limit is charged as it ran, however
     * late the report */
    ex.id = b;
    ex.end_time = 3700;
    cr_assert_eq (sched_job_exited (s, "n1", &ex, 5000), 0);
    collect ();
    cr_assert_float_eq (account_of (b)->core_seconds, 3600, 1e-9);
}

Test (sched_trust, impossible_numbers_are_refused)
{
    sched_exit_t ex = {.kind = SCHED_EXIT_EXITED};
    const double bad[] = {-1, 1.0 / 0.0, 0.0 / 0.0};
    uint64_t a;

    register_node ("n1", 1, 4, 0, NULL, 0);
    a = submit (1, 0);
    sched_tick (s, 1);
    collect ();
    ex.id = a;
    for (size_t i = 0; i < sizeof (bad) / sizeof (*bad); i++) {
        ex.cpu_time = bad[i];
        errno = 0;
        cr_assert_eq (sched_job_exited (s, "n1", &ex, 5), -1, "cpu time %g", bad[i]);
        cr_assert_eq (errno, EINVAL);
        ex.cpu_time = 0;
        ex.end_time = bad[i];
        cr_assert_eq (sched_job_exited (s, "n1", &ex, 5), -1, "end time %g", bad[i]);
        ex.end_time = 0;
    }
    cr_assert_eq (job (a)->state, JOB_RUNNING, "nothing changed");
    cr_assert_eq (sched_job_exited (s, "n1", &ex, 5), 0);
    cr_assert_eq (job (a)->state, JOB_COMPLETED);
}

Test (sched_trust, a_register_naming_other_nodes_jobs_is_not_believed)
{
    uint64_t a, b, forged[2];

    register_node ("n1", 1, 2, 0, NULL, 0);
    a = submit (2, 0);
    sched_tick (s, 1);
    collect ();
    cr_assert_eq (count (SCHED_START, a), 1);
    b = submit (2, 1); /* waits for n1 */
    register_node ("n2", 1, 1, 2, NULL, 0);
    /* an impostor n2 claims a (running on n1) and b (never started) */
    forged[0] = a;
    forged[1] = b;
    register_node ("n2", 1, 1, 3, forged, 2);
    collect ();
    cr_assert_eq (count (SCHED_KILL, a), 1, "a kill on n2 only");
    for (int i = 0; i < ndq; i++)
        if (dq[i].action == SCHED_KILL)
            cr_assert_str_eq (dq[i].node, "n2");
    cr_assert_eq (job (a)->state, JOB_RUNNING);
    cr_assert_str_eq (job (a)->alloc.node, "n1");
    exit_at ("n1", a, SCHED_EXIT_EXITED, 0, 10);
    sched_tick (s, 11);
    collect ();
    cr_assert_eq (job (a)->state, JOB_COMPLETED);
    cr_assert_eq (count (SCHED_START, b), 1, "b is not held back by the claim");
    cr_assert_str_eq (job (b)->alloc.node, "n1");
}

Test (sched_trust, a_job_without_mem_gets_the_default_limit)
{
    node_info_t info;
    job_info_t ji;
    uint64_t a;

    register_node ("n1", 1, 4, 0, NULL, 0); /* 64 GiB, 4 cores */
    a = submit (2, 0);
    sched_tick (s, 1);
    collect ();
    cr_assert_eq (job (a)->alloc.mem, 32 * GIB, "two cores of 16 GiB");
    cr_assert_eq (sched_node_lookup (s, "n1", &info), 0);
    cr_assert_eq (info.mem_used, 32 * GIB, "counted on the node");
    sched_job_info (job (a), &ji);
    cr_assert_eq (ji.mem, 32 * GIB, "shown as its limit");
}

Test (sched_trust, default_mem_per_core_from_the_config)
{
    sched_config_t cfg = {.default_walltime = 3600,
                          .max_walltime = 86400,
                          .heartbeat_timeout = 30,
                          .default_mem_per_core = GIB};
    jobspec_t spec;
    cphub_error_t err = {{0}};
    uint64_t a, b;

    sched_destroy (s);
    s = sched_create (&cfg);
    register_node ("n1", 1, 4, 0, NULL, 0);
    a = submit (3, 0);
    core_spec (&spec, 1, 1);
    spec.mem = 62 * GIB; /* fits beside a's 3 GiB: 64 in all, 1 GiB left */
    cr_assert_eq (sched_job_submit (s, "tenant-a", &spec, 0, &b, &err), 0);
    jobspec_clear (&spec);
    sched_tick (s, 1);
    collect ();
    cr_assert_eq (job (a)->alloc.mem, 3 * GIB);
    cr_assert_eq (job (b)->state, JOB_PENDING, "64 GiB less a's 3 leave 61 for 62");
}

/* A start that failed is an event of its own, held to an exit's rules: a
 * time that is no number is refused, a repeat changes nothing, another
 * node's word is not taken, and a job being cancelled ends CANCELLED. */
Test (sched_trust, a_failed_start_is_checked_like_an_exit)
{
    cphub_error_t err = {{0}};
    uint64_t a, b;

    register_node ("n1", 1, 4, 0, NULL, 0);
    a = submit (1, 0);
    b = submit (1, 0);
    sched_tick (s, 1);
    collect ();
    cr_assert_eq (count (SCHED_START, 0), 2);
    cr_assert_eq (sched_job_start_failed (s, "n1", a, "cannot execute 'x'", NAN, 2),
                  -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert_eq (job (a)->state, JOB_RUNNING, "nothing changed");
    cr_assert_eq (sched_job_start_failed (s, "n2", a, "cannot execute 'x'", 2, 2), -1);
    cr_assert_eq (errno, ENOENT, "not that node's job");
    start_failed_at ("n1", a, "cannot execute 'x'", 2);
    cr_assert_eq (job (a)->state, JOB_FAILED);
    cr_assert_str_eq (job (a)->reason, "cannot execute 'x'");
    start_failed_at ("n1", a, "cannot execute 'x'", 3); /* a repeat */
    cr_assert_eq (job (a)->end_time, 2);

    cr_assert_eq (sched_job_cancel (s, b, 3, &err), 0);
    start_failed_at ("n1", b, "cannot create the job directory", 4);
    cr_assert_eq (job (b)->state, JOB_CANCELLED, "a cancel under way wins");
    cr_assert_eq (job (b)->requeues, 0);
}
