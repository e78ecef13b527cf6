/* test_sched.c: unit tests for the pure scheduling core (sched.h), driven the
 * way the shell and the simulator drive it: events in, tick(now), decisions
 * out. Covers start decisions, the exit-to-state map, cancel, exactly-once
 * exits, strict FIFO and its reasons, heartbeat timeouts, re-register
 * reconciliation, refusals at submit, wall-time defaults and limits, best fit
 * across nodes, restore, and a stream of 200 jobs through a 4-core node.
 * Node failures are in test_sched_node.c, arrays, dependencies and
 * multi-node jobs in test_sched_rel.c, the limits of trust in a node in
 * test_sched_trust.c; the helpers all share are in core_helpers.h.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORE_HELPERS_FIXTURE
#include "tests/unit/core_helpers.h"

TestSuite (sched, .init = core_setup, .fini = core_teardown);

Test (sched, submit_tick_next_starts_with_node_and_cores)
{
    sched_decision_t d;
    char cores[64];

    register_node ("n1", 2, 16, 0, NULL, 0);
    cr_assert_eq (drain (SCHED_NODE_CHANGED, NULL), 1);
    uint64_t id = submit (4, 1);
    cr_assert_eq (id, 1);
    cr_assert_eq (job (id)->state, JOB_PENDING);
    cr_assert (sched_next (s, &d));
    cr_assert_eq (d.action, SCHED_CHANGED, "submit is announced");
    cr_assert_not (sched_next (s, &d));

    sched_tick (s, 2);
    cr_assert_eq (drain (SCHED_START, &d), 1);
    cr_assert_eq (d.job_id, id);
    cr_assert_str_eq (d.node, "n1");
    cr_assert_eq (job (id)->state, JOB_RUNNING);
    cr_assert_str_eq (job (id)->alloc.node, "n1");
    idset_encode (job (id)->alloc.cores, cores, sizeof (cores));
    cr_assert_str_eq (cores, "0-3");
    cr_assert_str_eq (job (id)->reason, "");
    cr_assert_eq (job (id)->walltime, 3600, "the default wall time");

    node_info_t info;
    cr_assert_eq (sched_node_count (s), 1);
    cr_assert_eq (sched_node_info (s, 0, &info), 0);
    cr_assert_eq (info.cores_used, 4);
    cr_assert_eq (info.jobs, 1);
    cr_assert_eq (info.state, NODE_UP);
    cr_assert_not_null (sched_node_desc (s, "n1"));
    cr_assert_null (sched_node_desc (s, "n2"));
}

Test (sched, exits_map_to_states)
{
    register_node ("n1", 2, 16, 0, NULL, 0);
    uint64_t ok = submit (1, 1), three = submit (1, 1), sig = submit (1, 1);
    uint64_t slow = submit (1, 1), bad = submit (1, 1);
    sched_tick (s, 2);
    cr_assert_eq (drain (SCHED_START, NULL), 5);

    report_exit ("n1", ok, SCHED_EXIT_EXITED, 0, 0);
    report_exit ("n1", three, SCHED_EXIT_EXITED, 3, 0);
    report_exit ("n1", sig, SCHED_EXIT_SIGNALED, 0, 9);
    report_exit ("n1", slow, SCHED_EXIT_TIMEOUT, 0, 9);
    cr_assert_eq (sched_job_start_failed (s, "n1", bad,
                                          "cannot execute 'x': no such file", 0, 100),
                  0);
    cr_assert_eq (drain (SCHED_CHANGED, NULL), 5);

    cr_assert_eq (job (ok)->state, JOB_COMPLETED);
    cr_assert_eq (job (three)->state, JOB_FAILED);
    cr_assert_eq (job (three)->exit_code, 3);
    cr_assert_str_eq (job (three)->reason, "exit code 3");
    cr_assert_eq (job (sig)->state, JOB_FAILED);
    cr_assert_eq (job (sig)->signal, 9);
    cr_assert_str_eq (job (sig)->reason, "signal 9");
    cr_assert_eq (job (slow)->state, JOB_TIMEOUT);
    cr_assert_str_eq (job (slow)->reason, "wall-time limit");
    cr_assert_eq (job (bad)->state, JOB_FAILED);
    cr_assert_str_eq (job (bad)->reason, "cannot execute 'x': no such file");
    cr_assert_eq (job (ok)->end_time, 100);

    node_info_t info;
    cr_assert_eq (sched_node_info (s, 0, &info), 0);
    cr_assert_eq (info.cores_used, 0, "every core is back");
}

Test (sched, cancel_pending_and_running)
{
    sched_decision_t d;
    cphub_error_t err = {{0}};

    register_node ("n1", 1, 4, 0, NULL, 0);
    uint64_t running = submit (4, 1), pending = submit (4, 1);
    sched_tick (s, 2);
    drain (SCHED_START, NULL);

    cr_assert_eq (sched_job_cancel (s, pending, 3, &err), 0);
    cr_assert_eq (job (pending)->state, JOB_CANCELLED);
    cr_assert_str_eq (job (pending)->reason, "cancelled by user");
    cr_assert_eq (drain (SCHED_CHANGED, &d), 1);
    cr_assert_eq (d.job_id, pending);

    cr_assert_eq (sched_job_cancel (s, running, 3, &err), 0);
    cr_assert_eq (drain (SCHED_KILL, &d), 1);
    cr_assert_eq (d.job_id, running);
    cr_assert_str_eq (d.node, "n1");
    cr_assert_eq (job (running)->state, JOB_RUNNING, "until the agent reports");

    report_exit ("n1", running, SCHED_EXIT_SIGNALED, 0, 15);
    cr_assert_eq (job (running)->state, JOB_CANCELLED);
    cr_assert_str_eq (job (running)->reason, "cancelled by user");

    cr_assert_eq (sched_job_cancel (s, running, 4, &err), -1);
    cr_assert_eq (errno, EALREADY);
    cr_assert_eq (sched_job_cancel (s, 999, 4, &err), -1);
    cr_assert_eq (errno, ENOENT);
}

Test (sched, duplicate_exit_is_ignored)
{
    sched_decision_t d;
    sched_exit_t ex = {.kind = SCHED_EXIT_EXITED, .exit_code = 3};

    register_node ("n1", 1, 4, 0, NULL, 0);
    ex.id = submit (1, 1);
    sched_tick (s, 2);
    drain (SCHED_START, NULL);
    cr_assert_eq (sched_job_exited (s, "n1", &ex, 5), 0);
    cr_assert_eq (drain (SCHED_CHANGED, NULL), 1);

    ex.exit_code = 0;
    cr_assert_eq (sched_job_exited (s, "n1", &ex, 6), 0, "a repeat is accepted");
    cr_assert_not (sched_next (s, &d), "and changes nothing");
    cr_assert_eq (job (ex.id)->state, JOB_FAILED);
    cr_assert_eq (job (ex.id)->exit_code, 3);
    cr_assert_eq (job (ex.id)->end_time, 5);

    cr_assert_eq (sched_job_exited (s, "n2", &ex, 6), -1, "wrong node");
    cr_assert_eq (errno, ENOENT);
    ex.id = 42;
    cr_assert_eq (sched_job_exited (s, "n1", &ex, 6), -1, "unknown job");
    cr_assert_eq (errno, ENOENT);
}

Test (sched, strict_fifo_with_reasons)
{
    sched_decision_t d;

    register_node ("n1", 1, 4, 0, NULL, 0);
    uint64_t a = submit (2, 1), b = submit (4, 1), c = submit (1, 1);
    cr_assert_str_eq (job (c)->reason, "Priority");
    sched_tick (s, 2);
    cr_assert_eq (drain (SCHED_START, &d), 1);
    cr_assert_eq (d.job_id, a);
    cr_assert_eq (job (b)->state, JOB_PENDING);
    cr_assert_str_eq (job (b)->reason, "Resources");
    cr_assert_eq (job (c)->state, JOB_PENDING, "no jumping the queue");
    cr_assert_str_eq (job (c)->reason, "Priority");

    report_exit ("n1", a, SCHED_EXIT_EXITED, 0, 0);
    sched_tick (s, 3);
    cr_assert_eq (drain (SCHED_START, &d), 1);
    cr_assert_eq (d.job_id, b);
    cr_assert_str_eq (job (b)->reason, "");
    cr_assert_str_eq (job (c)->reason, "Resources");

    report_exit ("n1", b, SCHED_EXIT_EXITED, 0, 0);
    sched_tick (s, 4);
    cr_assert_eq (drain (SCHED_START, &d), 1);
    cr_assert_eq (d.job_id, c);
}

Test (sched, heartbeat_timeout_fails_the_node_jobs)
{
    node_info_t info;

    register_node ("n1", 1, 4, 0, NULL, 0);
    uint64_t id = submit_opts (1, 1, true);
    sched_tick (s, 1);
    drain (SCHED_START, NULL);
    cr_assert_eq (sched_node_heartbeat (s, "n1", 20), 0);
    sched_tick (s, 45);
    cr_assert_eq (job (id)->state, JOB_RUNNING, "25 s of silence is within 30");

    sched_tick (s, 51);
    cr_assert_eq (job (id)->state, JOB_NODE_FAIL);
    cr_assert_str_eq (job (id)->reason, "node n1 stopped heartbeating");
    cr_assert_eq (drain (SCHED_CHANGED, NULL), 1);
    cr_assert_eq (sched_node_info (s, 0, &info), 0);
    cr_assert_eq (info.state, NODE_DOWN);
    cr_assert_eq (info.jobs, 0);

    cr_assert_eq (sched_node_heartbeat (s, "n1", 52), -1, "a down node must register");
    cr_assert_eq (errno, ENOENT);
    cr_assert_eq (sched_node_heartbeat (s, "nx", 52), -1);
    cr_assert_eq (errno, ENOENT);

    /* a late exit report for the failed job changes nothing */
    sched_exit_t ex = {.id = id, .kind = SCHED_EXIT_EXITED};
    cr_assert_eq (sched_job_exited (s, "n1", &ex, 52), 0);
    cr_assert_eq (job (id)->state, JOB_NODE_FAIL);

    /* a job waits while the only node is down, and starts when it is back;
     * the agent still holding the failed job is told to kill it */
    uint64_t next = submit (1, 53);
    sched_tick (s, 54);
    cr_assert_eq (drain (SCHED_START, NULL), 0);
    cr_assert_str_eq (job (next)->reason, "Resources");
    uint64_t held[] = {id};
    register_node ("n1", 1, 4, 55, held, 1);
    sched_decision_t d;
    cr_assert_eq (drain (SCHED_KILL, &d), 1);
    cr_assert_eq (d.job_id, id);
    sched_tick (s, 56);
    cr_assert_eq (drain (SCHED_START, &d), 1);
    cr_assert_eq (d.job_id, next);
    cr_assert_eq (sched_node_info (s, 0, &info), 0);
    cr_assert_eq (info.state, NODE_UP);
}

Test (sched, reregister_reconciles_jobs)
{
    sched_decision_t d;

    register_node ("n1", 1, 4, 0, NULL, 0);
    uint64_t gone = submit_opts (1, 1, true), kept = submit (1, 1);
    uint64_t again = submit (1, 1);
    sched_tick (s, 2);
    cr_assert_eq (drain (SCHED_START, NULL), 3);

    uint64_t held[] = {kept, 777};
    register_node ("n1", 1, 4, 10, held, 2);
    cr_assert_eq (job (gone)->state, JOB_NODE_FAIL, "missing on the agent");
    cr_assert_str_eq (job (gone)->reason, "node n1 restarted without it");
    cr_assert_eq (job (again)->state, JOB_PENDING, "requeued");
    cr_assert_str_eq (job (again)->reason, "Requeued: node n1 failed");
    cr_assert_eq (job (kept)->state, JOB_RUNNING);
    cr_assert_eq (drain (SCHED_KILL, &d), 1, "the unknown job is killed");
    cr_assert_eq (d.job_id, 777);
    cr_assert_str_eq (d.node, "n1");

    node_info_t info;
    cr_assert_eq (sched_node_info (s, 0, &info), 0);
    cr_assert_eq (info.cores_used, 1);
    cr_assert_eq (sched_node_count (s), 1, "the same node");

    /* new resources while a job still runs: refused */
    node_desc_t d2;
    cphub_error_t err = {{0}};
    make_node (&d2, "n1", 1, 8, false, 64 * GIB);
    d2.jobs = malloc (sizeof (*d2.jobs));
    d2.jobs[0] = kept;
    d2.njobs = 1;
    cr_assert_eq (sched_node_register (s, &d2, 11, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, "n1") != NULL, "%s", err.text);
    node_desc_clear (&d2);
}

Test (sched, impossible_job_is_refused)
{
    jobspec_t spec;
    cphub_error_t err = {{0}};
    uint64_t id = 0;

    core_spec (&spec, 1, 64);
    cr_assert_eq (sched_job_submit (s, "tenant-a", &spec, 1, &id, &err), 0,
                  "with no node known it waits");
    register_node ("n1", 2, 16, 0, NULL, 0);
    cr_assert_eq (sched_job_submit (s, "tenant-a", &spec, 1, &id, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert_str_eq (err.text, "asked 64 cores per task; the largest node has 32");

    spec.cpus_per_task = 1;
    spec.gpus = 4;
    cr_assert_eq (sched_job_submit (s, "tenant-a", &spec, 1, &id, &err), -1);
    cr_assert_str_eq (err.text, "asked 4 GPUs; the largest node has 0");

    spec.gpus = 0;
    cr_assert_eq (sched_job_submit (s, "", &spec, 1, &id, &err), -1, "no tenant");
    cr_assert_eq (errno, EINVAL);
    jobspec_clear (&spec);
}

Test (sched, walltime_default_and_maximum)
{
    jobspec_t spec;
    cphub_error_t err = {{0}};
    uint64_t id = 0;

    core_spec (&spec, 1, 1);
    cr_assert_eq (sched_job_submit (s, "tenant-a", &spec, 1, &id, &err), 0);
    cr_assert_eq (job (id)->walltime, 3600);
    spec.walltime = 7 * 86400;
    cr_assert_eq (sched_job_submit (s, "tenant-a", &spec, 1, &id, &err), 0);
    cr_assert_eq (job (id)->walltime, 7 * 86400);
    spec.walltime = 10 * 86400;
    cr_assert_eq (sched_job_submit (s, "tenant-a", &spec, 1, &id, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert_str_eq (err.text, "asked 10-00:00:00; the hub's maximum is 7-00:00:00");
    jobspec_clear (&spec);
}

Test (sched, best_fit_across_nodes)
{
    sched_decision_t d;

    register_node ("big", 2, 32, 0, NULL, 0);
    register_node ("small", 1, 8, 0, NULL, 0);
    uint64_t filler = submit (4, 1);
    sched_tick (s, 1);
    cr_assert_eq (drain (SCHED_START, &d), 1);
    cr_assert_str_eq (d.node, "small",
                      "an empty 8-core node beats an empty 64-core one");
    (void)filler;

    uint64_t id = submit (4, 2);
    sched_tick (s, 2);
    cr_assert_eq (drain (SCHED_START, &d), 1);
    cr_assert_eq (d.job_id, id);
    cr_assert_str_eq (d.node, "small", "the 8-core node with 4 free");

    submit (4, 3);
    sched_tick (s, 3);
    cr_assert_eq (drain (SCHED_START, &d), 1);
    cr_assert_str_eq (d.node, "big");
}

Test (sched, ties_go_to_the_smaller_name)
{
    sched_decision_t d;

    register_node ("n2", 1, 4, 0, NULL, 0);
    register_node ("n1", 1, 4, 0, NULL, 0);
    submit (1, 1);
    sched_tick (s, 1);
    cr_assert_eq (drain (SCHED_START, &d), 1);
    cr_assert_str_eq (d.node, "n1");
}

Test (sched, jobs_iterate_in_id_order_and_forget)
{
    uint64_t ids[5];

    register_node ("n1", 1, 4, 0, NULL, 0);
    for (int i = 0; i < 5; i++)
        ids[i] = submit (1, i);
    int n = 0;
    for (sched_job_t *j = sched_job_first (s); j; j = sched_job_next (s, j))
        cr_assert_eq (j->id, ids[n++]);
    cr_assert_eq (n, 5);

    cr_assert_eq (sched_job_forget (s, ids[2]), -1);
    cr_assert_eq (errno, EBUSY);
    cphub_error_t err = {{0}};
    cr_assert_eq (sched_job_cancel (s, ids[2], 6, &err), 0);
    cr_assert_eq (sched_job_forget (s, ids[2]), 0);
    cr_assert_null (sched_job_lookup (s, ids[2]));
    cr_assert_eq (sched_job_forget (s, ids[2]), -1);
    cr_assert_eq (errno, ENOENT);
    n = 0;
    for (sched_job_t *j = sched_job_first (s); j; j = sched_job_next (s, j))
        n++;
    cr_assert_eq (n, 4);

    job_info_t info;
    sched_job_info (job (ids[0]), &info);
    cr_assert_eq (info.id, ids[0]);
    cr_assert_str_eq (info.tenant, "tenant-a");
    cr_assert_str_eq (info.command, "true");
    cr_assert_eq (info.state, JOB_PENDING);
}

Test (sched, restore_then_register)
{
    sched_job_t j;
    cphub_error_t err = {{0}};
    sched_decision_t d;

    memset (&j, 0, sizeof (j));
    j.id = 41;
    snprintf (j.tenant, sizeof (j.tenant), "tenant-a");
    core_spec (&j.spec, 2, 1);
    j.state = JOB_RUNNING;
    j.walltime = 60;
    snprintf (j.alloc.node, sizeof (j.alloc.node), "n1");
    j.alloc.cores = idset_decode ("0-1", NULL);
    j.alloc.cpus = idset_decode ("0-1", NULL);
    cr_assert_eq (sched_job_restore (s, &j, &err), 0, "%s", err.text);
    cr_assert_eq (sched_job_restore (s, &j, &err), -1, "twice");
    cr_assert_eq (errno, EEXIST);
    cr_assert_not (sched_next (s, &d), "restore queues nothing");

    /* the next id follows the restored ones; the node comes back holding it */
    uint64_t id = submit (2, 1);
    cr_assert_eq (id, 42);
    uint64_t held[] = {41};
    register_node ("n1", 1, 4, 2, held, 1);
    sched_tick (s, 3);
    cr_assert_eq (drain (SCHED_START, &d), 1);
    char cores[32];
    idset_encode (job (id)->alloc.cores, cores, sizeof (cores));
    cr_assert_str_eq (cores, "2-3", "the restored job keeps cores 0-1");
    cr_assert_eq (job (41)->state, JOB_RUNNING);

    jobspec_clear (&j.spec);
    idset_destroy (j.alloc.cores);
    idset_destroy (j.alloc.cpus);
}

Test (sched, restored_node_that_never_returns_fails_its_jobs)
{
    sched_job_t j;
    cphub_error_t err = {{0}};

    memset (&j, 0, sizeof (j));
    j.id = 7;
    snprintf (j.tenant, sizeof (j.tenant), "tenant-a");
    core_spec (&j.spec, 1, 1);
    j.state = JOB_RUNNING;
    snprintf (j.alloc.node, sizeof (j.alloc.node), "gone");
    j.alloc.cores = idset_decode ("0", NULL);
    cr_assert_eq (sched_job_restore (s, &j, &err), 0, "%s", err.text);
    sched_tick (s, 1000);
    cr_assert_eq (job (7)->state, JOB_RUNNING, "the node gets a heartbeat timeout");
    sched_tick (s, 1031);
    cr_assert_eq (job (7)->state, JOB_PENDING, "requeued");
    node_info_t info;
    cr_assert_eq (sched_node_lookup (s, "gone", &info), 0);
    cr_assert_eq (info.state, NODE_DOWN);
    cr_assert_str_eq (info.reason, "did not register again after a scheduler restart");
    jobspec_clear (&j.spec);
    idset_destroy (j.alloc.cores);
}

Test (sched, two_hundred_jobs_through_a_four_core_node)
{
    sched_decision_t d;
    int started = 0, completed = 0, running = 0, max_running = 0;
    uint64_t queue[8];
    double now = 1;

    register_node ("n1", 1, 4, 0, NULL, 0);
    for (int i = 0; i < 200; i++)
        submit (1, now);
    while (completed < 200) {
        int nq = 0;
        sched_tick (s, now);
        while (sched_next (s, &d)) {
            if (d.action != SCHED_START)
                continue;
            cr_assert_lt (nq, 8);
            queue[nq++] = d.job_id;
            started++;
            running++;
        }
        if (running > max_running)
            max_running = running;
        cr_assert_gt (running, 0, "something runs while jobs wait");
        for (int i = 0; i < nq; i++) {
            cr_assert_eq (sched_node_heartbeat (s, "n1", now), 0);
            report_exit ("n1", queue[i], SCHED_EXIT_EXITED, 0, 0);
            running--;
            completed++;
        }
        now += 1;
    }
    cr_assert_eq (started, 200);
    cr_assert_eq (max_running, 4);
    for (sched_job_t *j = sched_job_first (s); j; j = sched_job_next (s, j))
        cr_assert_eq (j->state, JOB_COMPLETED, "job %ju", (uintmax_t)j->id);
}

/* One copy, move and free for an allocation: a copy is deep and keeps a
 * missing set missing, a move leaves its source empty, a clear empties. */
Test (sched, an_allocation_copies_moves_and_clears)
{
    cphub_error_t err = {{0}};
    sched_alloc_t a = {.node = "n1", .mem = GIB}, b, c = {.mem = 1};

    cr_assert_not_null (a.cores = idset_decode ("0-3", &err));
    cr_assert_not_null (a.cpus = idset_decode ("0-7", &err));
    cr_assert_eq (sched_alloc_copy (&b, &a), 0);
    cr_assert_str_eq (b.node, "n1");
    cr_assert_eq (b.mem, GIB);
    cr_assert (b.cores != a.cores && idset_equal (b.cores, a.cores), "a deep copy");
    cr_assert_null (b.gpus, "a set the source lacks stays missing");
    sched_alloc_move (&c, &b);
    cr_assert_eq (idset_count (c.cores), 4);
    cr_assert_str_eq (c.node, "n1");
    cr_assert_null (b.cores, "the source of a move is empty");
    cr_assert_eq (b.node[0], '\0');
    sched_alloc_clear (&c);
    cr_assert_null (c.cores);
    cr_assert_eq (c.mem, 0);
    sched_alloc_clear (&a);
}

/* The shell finds a node's index by its name, without a scan. */
Test (sched, node_index_by_name)
{
    uint32_t index = 99;

    register_node ("n1", 1, 2, 0, NULL, 0);
    register_node ("n2", 1, 2, 0, NULL, 0);
    cr_assert_eq (sched_node_index (s, "n2", &index), 0);
    cr_assert_eq (index, 1);
    cr_assert_eq (sched_node_index (s, "n3", &index), -1);
    cr_assert_eq (errno, ENOENT);
}
