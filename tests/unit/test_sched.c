/* test_sched.c: unit tests for the pure scheduling core (sched.h), driven the
 * way the shell and the simulator drive it: events in, tick(now), decisions
 * out. Covers start decisions, the exit-to-state map, cancel, exactly-once
 * exits, strict FIFO and its reasons, heartbeat timeouts, re-register
 * reconciliation, refusals at submit, wall-time defaults and limits, best fit
 * across nodes, restore, and a stream of 200 jobs through a 4-core node.
 * Node failures: requeue in place (or NODE_FAIL with --no-requeue), one
 * accounting record per run whatever ends it, drain and resume, a job that
 * survives KILL draining its node, restored nodes, a job held back while a
 * returning node still holds its earlier run, and a stalled scheduler not
 * blaming its nodes for its own absence. Trust: a lost run is requeued a
 * limited number of times after growing delays (kept through a restore),
 * node-side start failures requeue and drain their node, a node's reports
 * cannot stretch a run or carry impossible numbers, a register naming other
 * nodes' jobs holds none back, a job.run that did not reach its node is
 * no failed run (the node's register or its going down decides), nor is a
 * run restored after a restart that its node's register does not list, and
 * a job without --mem holds a default memory limit.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/core/sched.h"

#define GIB (1024ULL * 1024 * 1024)

static sched_t *s;

static void setup (void)
{
    sched_config_t cfg = {
        .default_walltime = 3600, .max_walltime = 7 * 86400, .heartbeat_timeout = 30};
    s = sched_create (&cfg);
    cr_assert_not_null (s);
}

static void teardown (void)
{
    sched_destroy (s);
}

TestSuite (sched, .init = setup, .fini = teardown);

/* nnuma domains x per_numa cores, one GPU per domain if gpus. */
static void make_node (node_desc_t *d,
                       const char *name,
                       uint32_t nnuma,
                       uint32_t per_numa,
                       bool gpus,
                       uint64_t mem)
{
    node_desc_init (d);
    snprintf (d->name, sizeof (d->name), "%s", name);
    d->npackages = nnuma;
    d->nnuma = nnuma;
    d->ncores = nnuma * per_numa;
    d->ngpus = gpus ? nnuma : 0;
    d->mem = mem;
    d->numa_mem = calloc (nnuma, sizeof (*d->numa_mem));
    d->cores = calloc (d->ncores, sizeof (*d->cores));
    d->gpus = gpus ? calloc (nnuma, sizeof (*d->gpus)) : NULL;
    for (uint32_t n = 0; n < nnuma; n++)
        d->numa_mem[n] = mem / nnuma;
    for (uint32_t c = 0; c < d->ncores; c++) {
        d->cores[c].package = c / per_numa;
        d->cores[c].numa = c / per_numa;
        d->cores[c].l3 = c / per_numa;
        snprintf (d->cores[c].pus, sizeof (d->cores[c].pus), "%u", c);
    }
    for (uint32_t g = 0; g < d->ngpus; g++) {
        snprintf (d->gpus[g].name, sizeof (d->gpus[g].name), "gpu%u", g);
        d->gpus[g].numa = g;
    }
}

static void register_node (const char *name,
                           uint32_t nnuma,
                           uint32_t per_numa,
                           double now,
                           const uint64_t *jobs,
                           uint32_t njobs)
{
    node_desc_t d;
    cphub_error_t err = {{0}};

    make_node (&d, name, nnuma, per_numa, false, 64 * GIB);
    if (njobs) {
        d.jobs = malloc (njobs * sizeof (*d.jobs));
        memcpy (d.jobs, jobs, njobs * sizeof (*d.jobs));
        d.njobs = njobs;
    }
    cr_assert_eq (sched_node_register (s, &d, now, &err), 0, "register %s: %s", name,
                  err.text);
    node_desc_clear (&d);
}

static void spec_init (jobspec_t *spec, uint32_t ntasks, uint32_t cpus_per_task)
{
    char *argv[] = {"true", NULL};

    jobspec_init (spec);
    cr_assert_eq (jobspec_set_argv (spec, 1, argv, NULL), 0);
    spec->ntasks = ntasks;
    spec->cpus_per_task = cpus_per_task;
}

static uint64_t submit_opts (uint32_t ncores, double now, bool no_requeue)
{
    jobspec_t spec;
    cphub_error_t err = {{0}};
    uint64_t id = 0;

    spec_init (&spec, ncores, 1);
    spec.no_requeue = no_requeue;
    cr_assert_eq (sched_job_submit (s, "tenant-a", &spec, now, &id, &err), 0,
                  "submit: %s", err.text);
    jobspec_clear (&spec);
    return id;
}

static uint64_t submit (uint32_t ncores, double now)
{
    return submit_opts (ncores, now, false);
}

/* Drain decisions; count those of a kind, remember the last one of it. */
static int drain (sched_action_t kind, sched_decision_t *last)
{
    sched_decision_t d;
    int n = 0;

    while (sched_next (s, &d)) {
        if (d.action != kind)
            continue;
        n++;
        if (last)
            *last = d;
    }
    return n;
}

static void report_exit (
    const char *node, uint64_t id, sched_exit_kind_t kind, int code, int sig)
{
    sched_exit_t ex = {.id = id, .kind = kind, .exit_code = code, .signal = sig};

    cr_assert_eq (sched_job_exited (s, node, &ex, 100), 0);
}

static sched_job_t *job (uint64_t id)
{
    sched_job_t *j = sched_job_lookup (s, id);
    cr_assert_not_null (j, "job %ju", (uintmax_t)id);
    return j;
}

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

    spec_init (&spec, 1, 64);
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

    spec_init (&spec, 1, 1);
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
    spec_init (&j.spec, 2, 1);
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
    spec_init (&j.spec, 1, 1);
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

/* --- node failures, accounting, drain, restore ----------------------------- */

#define DQ_MAX 256
static sched_decision_t dq[DQ_MAX];
static int ndq;

/* Pop every decision into dq. */
static int collect (void)
{
    ndq = 0;
    while (ndq < DQ_MAX && sched_next (s, &dq[ndq]))
        ndq++;
    cr_assert_lt (ndq, DQ_MAX);
    return ndq;
}

/* How many collected decisions are of kind (for job id, or any if 0). */
static int count (sched_action_t kind, uint64_t id)
{
    int n = 0;

    for (int i = 0; i < ndq; i++)
        n += dq[i].action == kind && (id == 0 || dq[i].job_id == id);
    return n;
}

/* The collected SCHED_ACCOUNT of job id (exactly one must be there). */
static const sched_acct_t *account_of (uint64_t id)
{
    const sched_acct_t *a = NULL;

    for (int i = 0; i < ndq; i++) {
        if (dq[i].action != SCHED_ACCOUNT || dq[i].job_id != id)
            continue;
        cr_assert_null (a, "job %ju accounted twice", (uintmax_t)id);
        a = &dq[i].acct;
    }
    cr_assert_not_null (a, "job %ju not accounted", (uintmax_t)id);
    return a;
}

static void exit_at (
    const char *node, uint64_t id, sched_exit_kind_t kind, int code, double t)
{
    sched_exit_t ex = {.id = id, .kind = kind, .exit_code = code};

    ex.end_time = t;
    cr_assert_eq (sched_job_exited (s, node, &ex, t), 0, "exit of %ju", (uintmax_t)id);
}

Test (sched, node_failure_requeues_the_job_in_its_place)
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

Test (sched, no_requeue_job_ends_node_fail)
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

Test (sched, a_cancel_under_way_ends_cancelled_when_the_node_fails)
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

Test (sched, every_run_is_accounted_exactly_once)
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

Test (sched, drain_and_resume)
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

Test (sched, a_job_surviving_kill_drains_its_node)
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

Test (sched, restored_nodes_are_down_or_drained_until_they_register)
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
    spec_init (&spec, 8, 1);
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

Test (sched, a_returning_node_that_still_holds_an_old_run_holds_the_job_back)
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

Test (sched, a_held_back_job_goes_elsewhere_when_the_holding_node_fails)
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

Test (sched, a_stalled_scheduler_gives_nodes_a_timeout_to_be_heard)
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

/* --- arrays, dependencies, constraints, exclusive and multi-node jobs
 * (issue 5) ------------------------------------------------------------------ */

/* A node of ncores cores in one domain with these features. */
static void f5_register (const char *name,
                         uint32_t ncores,
                         const char *features,
                         double now)
{
    node_desc_t d;
    cphub_error_t err = {{0}};

    make_node (&d, name, 1, ncores, false, 64 * GIB);
    snprintf (d.features, sizeof (d.features), "%s", features);
    cr_assert_eq (sched_node_register (s, &d, now, &err), 0, "register %s: %s", name,
                  err.text);
    node_desc_clear (&d);
}

/* Submit a job of ntasks x cpt cores with one option set ("array", "after",
 * "constraint", "nodes", "exclusive"), as tenant; 0 and *first and *count, or
 * -1 with err. */
static int f5_submit (const char *tenant,
                      uint32_t ntasks,
                      uint32_t cpt,
                      const char *option,
                      const char *value,
                      double now,
                      uint64_t *first,
                      uint32_t *count,
                      cphub_error_t *err)
{
    jobspec_t spec;
    int rc;

    spec_init (&spec, ntasks, cpt);
    if (option)
        cr_assert_eq (jobspec_set_option (&spec, option, value, err), 0, "%s: %s",
                      option, err->text);
    rc = sched_job_submit_many (s, tenant, &spec, now, first, count, err);
    jobspec_clear (&spec);
    return rc;
}

static uint64_t f5_ok (
    uint32_t ntasks, uint32_t cpt, const char *option, const char *value, double now)
{
    cphub_error_t err = {{0}};
    uint64_t id = 0;
    uint32_t n = 0;

    cr_assert_eq (
        f5_submit ("tenant-a", ntasks, cpt, option, value, now, &id, &n, &err), 0,
        "submit --%s %s: %s", option ? option : "", value ? value : "", err.text);
    return id;
}

static void f5_refused (const char *tenant,
                        const char *option,
                        const char *value,
                        const char *want)
{
    cphub_error_t err = {{0}};
    uint64_t id = 0;
    uint32_t n = 0;

    cr_assert_eq (f5_submit (tenant, 1, 1, option, value, 1, &id, &n, &err), -1,
                  "--%s %s is refused", option, value);
    cr_assert (strstr (err.text, want), "error '%s' should say '%s'", err.text, want);
}

/* Decisions: START count (and the nodes they went to), KILLs. */
typedef struct f5_out {
    int starts, kills, changed;
    uint64_t started[64];
    char start_node[64][NODE_NAME_MAX + 1];
    char kill_node[NODE_NAME_MAX + 1];
} f5_out_t;

static f5_out_t f5_tick (double now)
{
    f5_out_t o;
    sched_decision_t d;

    memset (&o, 0, sizeof (o));
    sched_tick (s, now);
    while (sched_next (s, &d)) {
        if (d.action == SCHED_START && o.starts < 64) {
            o.started[o.starts] = d.job_id;
            snprintf (o.start_node[o.starts], sizeof (o.start_node[0]), "%s", d.node);
            o.starts++;
        } else if (d.action == SCHED_KILL) {
            o.kills++;
            snprintf (o.kill_node, sizeof (o.kill_node), "%s", d.node);
        } else if (d.action == SCHED_CHANGED) {
            o.changed++;
        }
    }
    return o;
}

static void f5_exit (uint64_t id, int code, double now)
{
    sched_exit_t ex = {.id = id, .kind = SCHED_EXIT_EXITED, .exit_code = code};

    ex.end_time = now;
    cr_assert_eq (sched_job_exited (s, job (id)->alloc.node, &ex, now), 0,
                  "exit of %ju", (uintmax_t)id);
}

static uint32_t f5_cores_used (const char *node)
{
    node_info_t info;

    cr_assert_eq (sched_node_lookup (s, node, &info), 0);
    return info.cores_used;
}

Test (sched, array_is_one_submit_of_consecutive_jobs)
{
    cphub_error_t err = {{0}};
    uint64_t first = 0;
    uint32_t n = 0;
    job_info_t info;

    f5_register ("n1", 4, "", 0);
    cr_assert_eq (f5_submit ("tenant-a", 1, 1, "array", "0-15:4", 1, &first, &n, &err),
                  0, "%s", err.text);
    cr_assert_eq (n, 4);
    for (uint32_t i = 0; i < 4; i++) {
        sched_job_t *j = job (first + i);
        cr_assert_not_null (j);
        cr_assert_eq (j->array_id, first);
        cr_assert_eq (j->array_index, i * 4);
        cr_assert_eq (j->state, JOB_PENDING);
    }
    sched_job_info (job (first + 2), &info);
    cr_assert_eq (info.array_id, first);
    cr_assert_eq (info.array_index, 8);
    /* all four fit the 4-core node at once: no throttle */
    cr_assert_eq (f5_tick (2).starts, 4);
    /* a plain job is no array */
    uint64_t plain = f5_ok (1, 1, NULL, NULL, 3);
    cr_assert_eq (job (plain)->array_id, 0);
}

Test (sched, array_throttle_runs_at_most_n_at_once)
{
    cphub_error_t err = {{0}};
    uint64_t first = 0;
    uint32_t n = 0, done = 0;
    bool seen[10] = {false};
    double t = 1;

    f5_register ("n1", 8, "", 0);
    cr_assert_eq (f5_submit ("tenant-a", 1, 1, "array", "0-9%2", t, &first, &n, &err),
                  0, "%s", err.text);
    cr_assert_eq (n, 10);
    cr_assert_str_eq (job (first + 5)->reason, "ArrayTaskLimit");
    while (done < 10) {
        f5_out_t o = f5_tick (++t);
        uint32_t running = 0;
        for (uint32_t i = 0; i < 10; i++)
            running += job (first + i)->state == JOB_RUNNING;
        cr_assert_leq (running, 2, "at most 2 running, %u at t=%g", running, t);
        cr_assert (running > 0 || done == 10);
        for (int k = 0; k < o.starts; k++) {
            uint32_t index = job (o.started[k])->array_index;
            cr_assert_not (seen[index], "index %u started twice", index);
            seen[index] = true;
        }
        /* the lowest running element ends */
        for (uint32_t i = 0; i < 10; i++) {
            if (job (first + i)->state == JOB_RUNNING) {
                f5_exit (first + i, 0, t);
                done++;
                break;
            }
        }
    }
    for (uint32_t i = 0; i < 10; i++) {
        cr_assert (seen[i], "index %u ran", i);
        cr_assert_eq (job (first + i)->state, JOB_COMPLETED);
    }
}

Test (sched, array_cancelled_elements_free_their_slot)
{
    cphub_error_t err = {{0}};
    uint64_t first = 0;
    uint32_t n = 0;

    f5_register ("n1", 8, "", 0);
    cr_assert_eq (f5_submit ("tenant-a", 1, 1, "array", "1-6%2", 1, &first, &n, &err),
                  0);
    cr_assert_eq (f5_tick (2).starts, 2);
    /* cancel a waiting element and a running one: the next waiting starts */
    cr_assert_eq (sched_job_cancel (s, first + 2, 3, &err), 0);
    cr_assert_eq (job (first + 2)->state, JOB_CANCELLED);
    cr_assert_eq (sched_job_cancel (s, first, 3, &err), 0);
    sched_exit_t ex = {.id = first, .kind = SCHED_EXIT_CANCELLED, .end_time = 3};
    cr_assert_eq (sched_job_exited (s, "n1", &ex, 3), 0);
    f5_out_t o = f5_tick (4);
    cr_assert_eq (o.starts, 1);
    cr_assert_eq (o.started[0], first + 3, "index 4 (index 3 was cancelled)");
}

Test (sched, array_limits)
{
    sched_config_t cfg = {.default_walltime = 3600,
                          .max_walltime = 7 * 86400,
                          .heartbeat_timeout = 30,
                          .max_array_size = 100};

    sched_destroy (s);
    s = sched_create (&cfg);
    cr_assert_not_null (s);
    f5_refused ("tenant-a", "array", "0-199",
                "200 elements; this hub allows at most 100");
    f5_ok (1, 1, "array", "0-99", 1);
    cr_assert_not_null (sched_job_lookup (s, 100));
    cr_assert_null (sched_job_lookup (s, 101));
}

Test (sched, after_ok_waits_for_completion)
{
    f5_register ("n1", 4, "", 0);
    uint64_t a = f5_ok (1, 1, NULL, NULL, 1);
    char after[32];

    snprintf (after, sizeof (after), "ok:%ju", (uintmax_t)a);
    uint64_t b = f5_ok (1, 1, "after", after, 1);
    cr_assert_str_eq (job (b)->reason, "Dependency");
    f5_out_t o = f5_tick (2);
    cr_assert_eq (o.starts, 1, "only A starts, though B fits");
    cr_assert_eq (o.started[0], a);
    cr_assert_eq (f5_tick (3).starts, 0);
    cr_assert_eq (job (b)->state, JOB_PENDING);
    f5_exit (a, 0, 4);
    o = f5_tick (5);
    cr_assert_eq (o.starts, 1);
    cr_assert_eq (o.started[0], b);
}

Test (sched, a_failed_dependency_cancels_the_chain)
{
    char after[32];

    f5_register ("n1", 4, "", 0);
    uint64_t a = f5_ok (1, 1, NULL, NULL, 1);
    snprintf (after, sizeof (after), "ok:%ju", (uintmax_t)a);
    uint64_t b = f5_ok (1, 1, "after", after, 1);
    snprintf (after, sizeof (after), "afterok:%ju", (uintmax_t)b);
    uint64_t c = f5_ok (1, 1, "after", after, 1);
    snprintf (after, sizeof (after), "any:%ju", (uintmax_t)b);
    uint64_t d = f5_ok (1, 1, "after", after, 1);
    snprintf (after, sizeof (after), "afterany:%ju", (uintmax_t)a);
    uint64_t e = f5_ok (1, 1, "after", after, 1);
    f5_tick (2);
    f5_exit (a, 3, 3);
    char want[64];
    snprintf (want, sizeof (want), "dependency %ju failed", (uintmax_t)a);
    cr_assert_eq (job (b)->state, JOB_CANCELLED);
    cr_assert_str_eq (job (b)->reason, want);
    snprintf (want, sizeof (want), "dependency %ju failed", (uintmax_t)b);
    cr_assert_eq (job (c)->state, JOB_CANCELLED, "ok on a cancelled job");
    cr_assert_str_eq (job (c)->reason, want);
    /* any: runs after a cancelled or failed job */
    f5_out_t o = f5_tick (4);
    cr_assert_eq (o.starts, 2);
    cr_assert_eq (job (d)->state, JOB_RUNNING);
    cr_assert_eq (job (e)->state, JOB_RUNNING);
}

Test (sched, after_refusals)
{
    char after[32];

    f5_register ("n1", 4, "", 0);
    f5_refused ("tenant-a", "after", "ok:12", "--after: no such job 12");
    uint64_t theirs = f5_ok (1, 1, NULL, NULL, 1); /* tenant-a's */
    snprintf (after, sizeof (after), "ok:%ju", (uintmax_t)theirs);
    f5_refused ("tenant-b", "after", after, "no such job");
    /* one that already failed can never be met; one that completed is */
    f5_tick (2);
    f5_exit (theirs, 1, 3);
    char want[64];
    snprintf (want, sizeof (want), "job %ju ended FAILED; ok:%ju can never be met",
              (uintmax_t)theirs, (uintmax_t)theirs);
    f5_refused ("tenant-a", "after", after, want);
    uint64_t good = f5_ok (1, 1, NULL, NULL, 4);
    f5_tick (5);
    f5_exit (good, 0, 6);
    snprintf (after, sizeof (after), "ok:%ju,any:%ju", (uintmax_t)good,
              (uintmax_t)theirs);
    uint64_t now_ok = f5_ok (1, 1, "after", after, 7);
    cr_assert_neq (strcmp (job (now_ok)->reason, "Dependency"), 0);
    cr_assert_eq (f5_tick (8).starts, 1);
}

Test (sched, after_an_array_waits_for_every_element)
{
    cphub_error_t err = {{0}};
    uint64_t first = 0;
    uint32_t n = 0;
    char after[32];

    f5_register ("n1", 4, "", 0);
    cr_assert_eq (f5_submit ("tenant-a", 1, 1, "array", "0-2", 1, &first, &n, &err), 0);
    snprintf (after, sizeof (after), "ok:%ju", (uintmax_t)first);
    uint64_t b = f5_ok (1, 1, "after", after, 1);
    cr_assert_eq (f5_tick (2).starts, 3);
    f5_exit (first, 0, 3);
    f5_exit (first + 1, 0, 3);
    cr_assert_eq (f5_tick (4).starts, 0, "one element still runs");
    f5_exit (first + 2, 0, 5);
    f5_out_t o = f5_tick (6);
    cr_assert_eq (o.starts, 1);
    cr_assert_eq (o.started[0], b);
}

Test (sched, cancelled_and_forgotten_jobs_leave_no_links)
{
    cphub_error_t err = {{0}};
    char after[32];

    f5_register ("n1", 4, "", 0);
    uint64_t a = f5_ok (1, 1, NULL, NULL, 1);
    snprintf (after, sizeof (after), "ok:%ju", (uintmax_t)a);
    uint64_t b = f5_ok (1, 1, "after", after, 1);
    uint64_t c = f5_ok (1, 1, "after", after, 1);
    /* b is cancelled while it waits, then forgotten; a's end reaches only c */
    cr_assert_eq (sched_job_cancel (s, b, 2, &err), 0);
    cr_assert_eq (sched_job_forget (s, b), 0);
    f5_tick (3);
    f5_exit (a, 0, 4);
    cr_assert_eq (sched_job_forget (s, a), 0);
    f5_out_t o = f5_tick (5);
    cr_assert_eq (o.starts, 1);
    cr_assert_eq (o.started[0], c);
}

Test (sched, constraints_place_and_refuse)
{
    cphub_error_t err = {{0}};
    uint64_t id = 0;
    uint32_t n = 0;

    /* no node yet: a constrained job waits */
    uint64_t early = f5_ok (1, 1, "constraint", "h100", 0);
    f5_register ("plain", 8, "", 1);
    f5_register ("fast", 4, "avx512", 1);
    f5_register ("gpu", 8, "avx512,a100", 1);
    f5_refused ("tenant-a", "constraint", "avx512&h100",
                "no node has features avx512&h100");
    f5_refused ("tenant-a", "constraint", "bigmem|h100", "no node has features");
    /* -c 6 with avx512: only the 8-core one of the two can ever hold it */
    cr_assert_eq (
        f5_submit ("tenant-a", 1, 6, "constraint", "avx512", 1, &id, &n, &err), 0);
    cr_assert_eq (
        f5_submit ("tenant-a", 1, 16, "constraint", "avx512", 1, &id, &n, &err), -1);
    cr_assert (strstr (err.text, "with features avx512"), "%s", err.text);
    /* the early one can never run now; under FIFO it would hold the line */
    cr_assert_eq (sched_job_cancel (s, early, 2, &err), 0);
    uint64_t a = f5_ok (2, 1, "constraint", "avx512&!a100", 2);
    uint64_t b = f5_ok (2, 1, "constraint", "a100", 2);
    f5_tick (3);
    cr_assert_str_eq (job (a)->alloc.node, "fast");
    cr_assert_str_eq (job (b)->alloc.node, "gpu");
    cr_assert_str_eq (job (id)->alloc.node, "gpu", "6 cores: only gpu has room");
    cr_assert_str_eq (job (early)->reason, "cancelled by user");
}

Test (sched, exclusive_takes_a_whole_idle_node)
{
    f5_register ("n1", 4, "", 0);
    f5_register ("n2", 8, "", 0);
    uint64_t small = f5_ok (1, 1, NULL, NULL, 1);
    f5_tick (2);
    cr_assert_str_eq (job (small)->alloc.node, "n1", "best fit");
    uint64_t x = f5_ok (2, 1, "exclusive", NULL, 3);
    f5_tick (4);
    cr_assert_str_eq (job (x)->alloc.node, "n2", "n1 is not idle");
    cr_assert_eq (idset_count (job (x)->alloc.cores), 8, "all of n2");
    cr_assert_eq (f5_cores_used ("n2"), 8);
    /* nothing else goes to n2 while it runs; a second exclusive job waits */
    uint64_t z = f5_ok (1, 1, NULL, NULL, 5);
    uint64_t y = f5_ok (1, 1, "exclusive", NULL, 5);
    f5_tick (6);
    cr_assert_eq (job (y)->state, JOB_PENDING);
    cr_assert_str_eq (job (z)->alloc.node, "n1");
    f5_exit (x, 0, 7);
    f5_tick (8);
    cr_assert_str_eq (job (y)->alloc.node, "n2");
}

Test (sched, multi_node_job_holds_every_node)
{
    char nodelist[256], cpus[64];
    job_info_t info;

    f5_register ("n1", 4, "", 0);
    f5_register ("n2", 4, "", 0);
    f5_register ("n3", 8, "", 0);
    uint64_t busy = f5_ok (3, 1, NULL, NULL, 1);
    f5_tick (2);
    cr_assert_str_eq (job (busy)->alloc.node, "n1");
    /* -N 2 -c 2: one task of 2 cores on each of two nodes */
    uint64_t m = f5_ok (1, 2, "nodes", "2", 3);
    f5_out_t o = f5_tick (4);
    cr_assert_eq (o.starts, 1, "one job.run, to the first node");
    cr_assert_eq (o.started[0], m);
    cr_assert_str_eq (o.start_node[0], "n2", "best fit: n2 then n3");
    cr_assert_eq (job (m)->nothers, 1);
    cr_assert_str_eq (job (m)->others[0].node, "n3");
    cr_assert_eq (f5_cores_used ("n2"), 2);
    cr_assert_eq (f5_cores_used ("n3"), 2);
    cr_assert_eq (
        sched_job_layout (job (m), nodelist, sizeof (nodelist), cpus, sizeof (cpus)),
        0);
    cr_assert_str_eq (nodelist, "n2,n3");
    cr_assert_str_eq (cpus, "2,2");
    sched_job_info (job (m), &info);
    cr_assert_str_eq (info.nodelist, "n2,n3");
    /* a plain job has its node in the layout too */
    cr_assert_eq (
        sched_job_layout (job (busy), nodelist, sizeof (nodelist), cpus, sizeof (cpus)),
        0);
    cr_assert_str_eq (nodelist, "n1");
    cr_assert_str_eq (cpus, "3");
    /* its end frees both */
    f5_exit (m, 0, 5);
    cr_assert_eq (f5_cores_used ("n2"), 0);
    cr_assert_eq (f5_cores_used ("n3"), 0);
    cr_assert_eq (job (m)->state, JOB_COMPLETED);
}

Test (sched, multi_node_job_waits_for_enough_nodes_and_is_refused_beyond)
{
    f5_register ("n1", 4, "", 0);
    f5_register ("n2", 4, "", 0);
    f5_refused ("tenant-a", "nodes", "3",
                "asked 3 nodes; only 2 nodes can hold 1 core");
    uint64_t busy = f5_ok (3, 1, NULL, NULL, 1);
    uint64_t m = f5_ok (2, 1, "nodes", "2", 1); /* 1 task of 2... 1 core each */
    f5_tick (2);
    cr_assert_eq (job (busy)->state, JOB_RUNNING);
    cr_assert_eq (job (m)->state, JOB_RUNNING, "1 core left on n1 is enough");
    uint64_t big = f5_ok (4, 1, "nodes", "2", 3); /* 2 cores on each */
    f5_tick (4);
    cr_assert_eq (job (big)->state, JOB_PENDING);
    f5_exit (busy, 0, 5);
    f5_exit (m, 0, 5);
    f5_tick (6);
    cr_assert_eq (job (big)->state, JOB_RUNNING);
}

Test (sched, a_multi_node_job_fails_with_any_of_its_nodes)
{
    uint64_t m;

    f5_register ("n1", 4, "", 0);
    f5_register ("n2", 4, "", 0);
    m = f5_ok (1, 4, "nodes", "2", 1);
    f5_tick (2);
    cr_assert_str_eq (job (m)->alloc.node, "n1");
    cr_assert_eq (f5_cores_used ("n2"), 4);
    /* n2 (where nothing runs but its cores are held) falls silent */
    for (double t = 10; t <= 40; t += 10)
        cr_assert_eq (sched_node_heartbeat (s, "n1", t), 0);
    f5_out_t o = f5_tick (40);
    cr_assert_eq (o.kills, 1, "the script on n1 is killed");
    cr_assert_str_eq (o.kill_node, "n1");
    cr_assert_eq (job (m)->state, JOB_PENDING, "requeued");
    cr_assert_eq (f5_cores_used ("n1"), 0);
    /* it waits for n1 to report the killed run before it starts again */
    cr_assert_eq (f5_tick (41).starts, 0);
    sched_exit_t ex = {.id = m, .kind = SCHED_EXIT_CANCELLED, .end_time = 42};
    cr_assert_eq (sched_job_exited (s, "n1", &ex, 42), 0);
    cr_assert_eq (job (m)->state, JOB_PENDING, "only one node is up");
}

Test (sched, a_restored_multi_node_job_holds_its_nodes_again)
{
    cphub_error_t err = {{0}};
    sched_job_t copy;
    sched_t *fresh;
    sched_config_t cfg = {
        .default_walltime = 3600, .max_walltime = 7 * 86400, .heartbeat_timeout = 30};

    f5_register ("n1", 4, "", 0);
    f5_register ("n2", 4, "", 0);
    uint64_t m = f5_ok (1, 3, "nodes", "2", 1);
    f5_tick (2);
    /* what a store would give back: a deep copy */
    copy = *job (m);
    copy.others = sched_allocs_copy (job (m)->others, job (m)->nothers);
    cr_assert_not_null (copy.others);
    char *text = sched_allocs_encode (copy.others, copy.nothers);
    sched_alloc_t *back = NULL;
    uint32_t nback = 0;
    cr_assert_eq (sched_allocs_decode (text, &back, &nback, &err), 0, "%s", err.text);
    cr_assert_eq (nback, 1);
    cr_assert_str_eq (back[0].node, "n2");
    cr_assert_eq (idset_count (back[0].cores), 3);
    free (text);
    sched_allocs_free (copy.others, copy.nothers);
    copy.others = back;
    fresh = sched_create (&cfg);
    cr_assert_eq (sched_job_restore (fresh, &copy, &err), 0, "%s", err.text);
    sched_allocs_free (back, nback);
    /* n2 registers: its 3 held cores are taken again */
    sched_t *keep = s;
    s = fresh;
    f5_register ("n2", 4, "", 3);
    cr_assert_eq (f5_cores_used ("n2"), 3);
    uint64_t other = f5_ok (1, 2, NULL, NULL, 4);
    f5_tick (4);
    cr_assert_eq (job (other)->state, JOB_PENDING, "n2 has 1 core free, n1 unknown");
    s = keep;
    sched_destroy (fresh);
    cr_assert_eq (sched_allocs_decode ("n2|0-1|0-1||0", &back, &nback, &err), -1);
    cr_assert_eq (sched_allocs_decode ("", &back, &nback, &err), 0);
    cr_assert_eq (nback, 0);
}

Test (sched, restored_array_and_dependencies_wait_again)
{
    cphub_error_t err = {{0}};
    sched_config_t cfg = {
        .default_walltime = 3600, .max_walltime = 7 * 86400, .heartbeat_timeout = 30};
    uint64_t first = 0;
    uint32_t n = 0;
    char after[32];

    f5_register ("n1", 8, "", 0);
    cr_assert_eq (f5_submit ("tenant-a", 1, 1, "array", "0-5%2", 1, &first, &n, &err),
                  0);
    snprintf (after, sizeof (after), "ok:%ju", (uintmax_t)first);
    uint64_t dep = f5_ok (1, 1, "after", after, 1);
    f5_tick (2);
    /* restore everything into a fresh core (as a restarted scheduler) */
    sched_t *fresh = sched_create (&cfg);
    for (sched_job_t *j = sched_job_first (s); j; j = sched_job_next (s, j))
        cr_assert_eq (sched_job_restore (fresh, j, &err), 0, "%s", err.text);
    sched_t *keep = s;
    s = fresh;
    /* the agent held nothing: the two runs are lost and run again */
    f5_register ("n1", 8, "", 3);
    for (double t = 3; t < 6; t++) {
        f5_tick (t);
        uint32_t running = 0;
        for (uint32_t i = 0; i < n; i++)
            running += job (first + i)->state == JOB_RUNNING;
        cr_assert_eq (running, 2, "the throttle holds after a restart (%u)", running);
    }
    cr_assert_eq (job (first)->state, JOB_RUNNING);
    cr_assert_eq (job (first + 1)->state, JOB_RUNNING);
    cr_assert_str_eq (job (first + 2)->reason, "ArrayTaskLimit");
    cr_assert_eq (job (dep)->state, JOB_PENDING);
    cr_assert_str_eq (job (dep)->reason, "Dependency");
    f5_exit (first, 0, 6);
    cr_assert_eq (f5_tick (7).starts, 1, "the next element");
    cr_assert_eq (job (first + 2)->state, JOB_RUNNING);
    s = keep;
    sched_destroy (fresh);
}

/* issue 4: an agent speaks only for its own node. A registration claiming
 * to hold a job that never started cannot be holding an earlier run of it:
 * the claiming node gets a kill of that id, and the job is not held back
 * (it starts on another node). */
Test (sched, register_cannot_hold_back_a_job_that_never_ran)
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

/* --- trust: requeue limit, failing starts, a node's reports ------------------ */

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

TestSuite (sched_trust, .init = setup_trust, .fini = teardown);

/* job id's start failed on node with text at t. */
static void start_failed_at (const char *node, uint64_t id, const char *text, double t)
{
    cr_assert_eq (sched_job_start_failed (s, node, id, text, t, t), 0, "exit of %ju",
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
        spec_init (&j.spec, 1, 1);
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
    spec_init (&spec, 2, 1);
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
    spec_init (&spec, 1, 1);
    spec.mem = 62 * GIB; /* fits beside a's 3 GiB: 64 in all, 1 GiB left */
    cr_assert_eq (sched_job_submit (s, "tenant-a", &spec, 0, &b, &err), 0);
    jobspec_clear (&spec);
    sched_tick (s, 1);
    collect ();
    cr_assert_eq (job (a)->alloc.mem, 3 * GIB);
    cr_assert_eq (job (b)->state, JOB_PENDING, "64 GiB less a's 3 leave 61 for 62");
}
