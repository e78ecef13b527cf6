/* test_backfill.c: unit tests for the scheduling pass (backfill.h) in virtual
 * time, driven through sched.h like the shell and the simulator drive it.
 * EASY starts a short small job early without delaying the reserved large
 * one and FIFO does not; a job that would delay the reservation waits with
 * reason "Reservation"; the reserved job starts at its expected time;
 * conservative backfill protects every reserved job where EASY protects only
 * the first; reservations pick the node that frees up first, and a job
 * spanning nodes is reserved where enough of them are free at once, on the
 * nodes that free up last (the others stay for backfill), in a window that
 * may open when another reservation ends; priority order and queue
 * positions; a pass with nothing changed is skipped.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/core/backfill.h"
#include "scheduler/core/sched.h"
#include "tests/unit/core_helpers.h"

static sched_t *s;

/* The default config with policy and no heartbeat checks (virtual time). */
static void start_core (sched_backfill_t policy, uint32_t reservations)
{
    sched_config_t cfg = CORE_CONFIG_DEFAULT;

    cfg.heartbeat_timeout = 0;
    cfg.backfill = policy;
    cfg.backfill_reservations = reservations;
    cr_assert_not_null (s = sched_create (&cfg));
}

static void teardown (void)
{
    sched_destroy (s);
    s = NULL;
}

TestSuite (backfill, .fini = teardown);

/* A job of nodes x per_node cores. */
static uint64_t submit_wide (uint32_t nodes,
                             uint32_t per_node,
                             int64_t walltime,
                             double now)
{
    return core_submit_nodes (s, "tenant-a", nodes * per_node, nodes, walltime, now);
}

static uint64_t submit (uint32_t cores, int64_t walltime, double now)
{
    return core_submit (s, "tenant-a", cores, walltime, now);
}

static sched_job_t *job (uint64_t id)
{
    return core_job (s, id);
}

/* Drain the decisions; true if job id was started (on node, if not NULL). */
static bool started (uint64_t id, const char *node)
{
    sched_decision_t d;
    bool seen = false;

    while (sched_next (s, &d))
        if (d.action == SCHED_START && d.job_id == id &&
            (!node || strcmp (d.node, node) == 0))
            seen = true;
    return seen;
}

static void drain (void)
{
    (void)core_drain (s, SCHED_START, NULL);
}

static void finish (uint64_t id, double now)
{
    sched_exit_t ex = {.id = id, .kind = SCHED_EXIT_EXITED, .end_time = now};

    core_exit (s, job (id)->alloc.node, &ex, now);
}

/* One 4-core node; a 2-core job runs until 100; a 4-core job waits for it;
 * a 1-core job of 50 s would be done before 100. */
static void small_after_large (uint64_t *running, uint64_t *large, uint64_t *small)
{
    core_register (s, "n1", 4, 0, 0);
    *running = submit (2, 100, 0);
    sched_tick (s, 0);
    cr_assert (started (*running, "n1"));
    *large = submit (4, 100, 1);
    *small = submit (1, 50, 2);
    sched_tick (s, 2);
}

Test (backfill, easy_starts_a_short_job_without_delaying_the_reserved_one)
{
    uint64_t running, large, small;

    start_core (SCHED_BACKFILL_EASY, 0);
    small_after_large (&running, &large, &small);
    cr_assert_eq (job (small)->state, JOB_RUNNING, "the small job is backfilled");
    cr_assert_eq (job (large)->state, JOB_PENDING);
    cr_assert_str_eq (job (large)->reason, "Resources");
    cr_assert_float_eq (job (large)->expected_start, 100.0, 1e-9,
                        "reserved when the running job's wall time ends");
    cr_assert_eq (job (large)->queue_position, 1);

    /* a job that would still run at 100 would delay it: it waits */
    uint64_t longer = submit (1, 500, 3);
    sched_tick (s, 3);
    cr_assert_eq (job (longer)->state, JOB_PENDING);
    cr_assert_str_eq (job (longer)->reason, "Reservation");
    cr_assert_eq (job (longer)->queue_position, 2);
    cr_assert_float_eq (job (large)->expected_start, 100.0, 1e-9, "not delayed");

    /* the small one ends at 50, the running one at 100: the large one
     * starts at its reserved time, before the longer one */
    drain ();
    finish (small, 50);
    sched_tick (s, 50);
    cr_assert_eq (job (longer)->state, JOB_PENDING, "still in the way at 50");
    finish (running, 100);
    sched_tick (s, 100);
    cr_assert (started (large, "n1"));
    cr_assert_float_eq (job (large)->start_time, 100.0, 1e-9);
    cr_assert_eq (job (longer)->state, JOB_PENDING);
}

Test (backfill, fifo_does_not_jump_the_queue)
{
    uint64_t running, large, small;

    start_core (SCHED_BACKFILL_FIFO, 0);
    small_after_large (&running, &large, &small);
    cr_assert_eq (job (small)->state, JOB_PENDING, "strict order");
    cr_assert_str_eq (job (small)->reason, "Priority");
    cr_assert_str_eq (job (large)->reason, "Resources");
    cr_assert_float_eq (job (large)->expected_start, 100.0, 1e-9,
                        "FIFO knows when the first waiting job starts");
    cr_assert_eq (job (large)->queue_position, 1);
    cr_assert_eq (job (small)->queue_position, 2);

    drain ();
    finish (running, 100);
    sched_tick (s, 100);
    cr_assert (started (large, "n1"));
    cr_assert_eq (job (small)->state, JOB_PENDING);
    finish (large, 150);
    sched_tick (s, 150);
    cr_assert (started (small, "n1"));
}

/* 6 cores: 2 run until 100, 2 until 200, 2 are free. B1 (6 cores) can only
 * start at 200; B2 (4 cores, 100 s) fits from 100 to 200; S (2 cores, 150 s)
 * fits now but would hold 2 cores at 100. */
static void two_reservations (uint64_t *b1, uint64_t *b2, uint64_t *small)
{
    core_register (s, "n1", 6, 0, 0);
    uint64_t r1 = submit (2, 100, 0), r2 = submit (2, 200, 0);
    sched_tick (s, 0);
    cr_assert_eq (job (r1)->state, JOB_RUNNING);
    cr_assert_eq (job (r2)->state, JOB_RUNNING);
    *b1 = submit (6, 50, 1);
    *b2 = submit (4, 100, 1);
    *small = submit (2, 150, 1);
    sched_tick (s, 1);
}

Test (backfill, conservative_protects_every_reserved_job)
{
    uint64_t b1, b2, small;

    start_core (SCHED_BACKFILL_CONSERVATIVE, 4);
    two_reservations (&b1, &b2, &small);
    cr_assert_float_eq (job (b1)->expected_start, 200.0, 1e-9);
    cr_assert_float_eq (job (b2)->expected_start, 100.0, 1e-9,
                        "the second job is reserved too, before the first");
    cr_assert_str_eq (job (b2)->reason, "Resources");
    cr_assert_eq (job (small)->state, JOB_PENDING, "it would delay the second job");
    cr_assert_float_eq (job (small)->expected_start, 250.0, 1e-9,
                        "reserved itself after both");
    cr_assert_eq (job (small)->queue_position, 3);
}

Test (backfill, conservative_reason_reservation)
{
    uint64_t b1, b2, small;

    start_core (SCHED_BACKFILL_CONSERVATIVE, 2);
    two_reservations (&b1, &b2, &small);
    cr_assert_float_eq (job (b2)->expected_start, 100.0, 1e-9);
    cr_assert_eq (job (small)->state, JOB_PENDING);
    cr_assert_str_eq (job (small)->reason, "Reservation",
                      "it fits now but would delay a reserved job");
    cr_assert_float_eq (job (small)->expected_start, 0.0, 1e-9);
}

Test (backfill, easy_protects_only_the_first)
{
    uint64_t b1, b2, small;

    start_core (SCHED_BACKFILL_EASY, 0);
    two_reservations (&b1, &b2, &small);
    cr_assert_float_eq (job (b1)->expected_start, 200.0, 1e-9);
    cr_assert_float_eq (job (b2)->expected_start, 0.0, 1e-9, "no reservation");
    cr_assert_str_eq (job (b2)->reason, "Priority");
    cr_assert_eq (job (small)->state, JOB_RUNNING, "done before 200: it may go");
}

Test (backfill, conservative_limits_reservations)
{
    uint64_t b1, b2, small;

    start_core (SCHED_BACKFILL_CONSERVATIVE, 1);
    two_reservations (&b1, &b2, &small);
    cr_assert_float_eq (job (b2)->expected_start, 0.0, 1e-9, "only one reserved");
    cr_assert_eq (job (small)->state, JOB_RUNNING);
}

Test (backfill, reservation_on_the_node_that_frees_first)
{
    start_core (SCHED_BACKFILL_EASY, 0);
    core_register (s, "a", 8, 0, 0);
    core_register (s, "b", 8, 0, 0);
    uint64_t on_a = submit (8, 500, 0), on_b = submit (8, 300, 0);
    sched_tick (s, 0);
    cr_assert_eq (job (on_a)->state, JOB_RUNNING);
    cr_assert_eq (job (on_b)->state, JOB_RUNNING);
    const char *freed_first = job (on_b)->alloc.node;
    uint64_t big = submit (6, 100, 1);
    /* 2 cores for 250 s: on the node freed at 300 it would delay big (it
     * ends at 251 < 300, so it may go); 2 cores for 400 s may not go there */
    uint64_t fits = submit (2, 250, 1), late = submit (2, 400, 1);
    sched_tick (s, 1);
    cr_assert_float_eq (job (big)->expected_start, 300.0, 1e-9);
    cr_assert_eq (job (fits)->state, JOB_PENDING, "no core is free now");
    cr_assert_str_eq (job (fits)->reason, "Priority");
    cr_assert_eq (job (late)->queue_position, 3);
    drain ();
    finish (on_b, 300);
    sched_tick (s, 300);
    cr_assert (started (big, freed_first), "big starts where it was reserved");
}

Test (backfill, order_and_positions)
{
    start_core (SCHED_BACKFILL_EASY, 0);
    core_register (s, "n1", 2, 0, 0);
    uint64_t hog = submit (2, 1000, 0);
    sched_tick (s, 0);
    cr_assert_eq (job (hog)->state, JOB_RUNNING);
    uint64_t a = submit (1, 10, 1), b = submit (1, 10, 2), c = submit (1, 10, 3);
    sched_tick (s, 4);
    cr_assert_eq (job (a)->queue_position, 1, "same priority: submit order");
    cr_assert_eq (job (b)->queue_position, 2);
    cr_assert_eq (job (c)->queue_position, 3);
    cphub_error_t err = {{0}};
    cr_assert_eq (sched_job_boost (s, c, 50, &err), 0, "%s", err.text);
    sched_tick (s, 5);
    cr_assert_eq (job (c)->queue_position, 1, "an operator's boost moves it first");
    cr_assert_eq (job (a)->queue_position, 2);
    cr_assert_gt (job (c)->priority, job (a)->priority);
    job_info_t info;
    sched_job_info (job (c), &info);
    cr_assert_eq (info.queue_position, 1);
    cr_assert_float_eq (info.priority, job (c)->priority, 1e-9);
    cr_assert_eq (sched_job_boost (s, 999, 1, &err), -1);
    cr_assert_eq (errno, ENOENT);
}

Test (backfill, skips_a_pass_when_nothing_changed)
{
    start_core (SCHED_BACKFILL_EASY, 0);
    core_register (s, "n1", 2, 0, 0);
    submit (4 - 2, 100, 0);
    sched_tick (s, 0);
    drain ();
    uint64_t passes = backfill_passes (s);
    sched_tick (s, 0.2);
    sched_tick (s, 0.4);
    cr_assert_eq (backfill_passes (s), passes, "heartbeat-only turns cost nothing");
    sched_tick (s, 0.4 + BACKFILL_REFRESH);
    cr_assert_eq (backfill_passes (s), passes + 1, "ages move: refresh");
    submit (1, 100, 2);
    sched_tick (s, 2.1);
    cr_assert_eq (backfill_passes (s), passes + 2, "a submit runs a pass");
}

/* A job spanning two nodes is reserved where both are free at once; a short
 * job backfills on the idle node, a long one may not. */
Test (backfill, reservation_across_nodes)
{
    start_core (SCHED_BACKFILL_EASY, 0);
    core_register (s, "n1", 4, 0, 0);
    core_register (s, "n2", 4, 0, 0);
    uint64_t hog = submit (4, 100, 0);
    sched_tick (s, 0);
    cr_assert_eq (job (hog)->state, JOB_RUNNING);
    uint64_t wide = submit_wide (2, 4, 100, 1);
    uint64_t quick = submit (1, 50, 1), slow = submit (1, 500, 1);
    sched_tick (s, 1);
    cr_assert_eq (job (wide)->state, JOB_PENDING);
    cr_assert_float_eq (job (wide)->expected_start, 100.0, 1e-9,
                        "both nodes are free when the hog's wall time ends");
    cr_assert_eq (job (quick)->state, JOB_RUNNING, "done before 100 on the idle node");
    cr_assert_eq (job (slow)->state, JOB_PENDING);
    cr_assert_str_eq (job (slow)->reason, "Reservation");
    drain ();
    finish (quick, 50);
    finish (hog, 100);
    sched_tick (s, 100);
    cr_assert (started (wide, NULL));
    cr_assert_eq (job (wide)->nothers, 1, "it spans both nodes");
}

/* Three nodes of 4 cores; n1 and n2 run a job each until 100, n3 is free.
 * The head job needs two whole nodes: its reservation at 100 holds n1 and
 * n2, the nodes that free up last, and leaves n3 (free now and not needed)
 * to a long job behind it, as EASY on a pool of nodes would. Holding n3
 * would make the long job wait for nothing. */
Test (backfill, easy_across_nodes_leaves_the_nodes_it_does_not_need)
{
    start_core (SCHED_BACKFILL_EASY, 0);
    core_register (s, "n1", 4, 0, 0);
    core_register (s, "n2", 4, 0, 0);
    core_register (s, "n3", 4, 0, 0);
    uint64_t hog1 = submit (4, 100, 0), hog2 = submit (4, 100, 0);
    sched_tick (s, 0);
    cr_assert_eq (job (hog1)->state, JOB_RUNNING);
    cr_assert_eq (job (hog2)->state, JOB_RUNNING);
    uint64_t head = submit_wide (2, 4, 100, 1);
    uint64_t tail = submit (4, 500, 1);
    sched_tick (s, 1);
    cr_assert_eq (job (head)->state, JOB_PENDING);
    cr_assert_float_eq (job (head)->expected_start, 100.0, 1e-9,
                        "the shadow time stays when the hogs' wall times end");
    cr_assert (started (tail, "n3"), "n3 is not needed by the head job: it may go");
    finish (hog1, 100);
    finish (hog2, 100);
    sched_tick (s, 100);
    cr_assert (started (head, NULL), "the head job starts at its reserved time");
    cr_assert_float_eq (job (head)->start_time, 100.0, 1e-9);
    cr_assert_eq (job (tail)->state, JOB_RUNNING);
}

/* Two nodes of 8 cores: a runs 8 cores until 60, b runs 4 until 50. A (one
 * node, 8 cores, 50 s) is reserved on b from 50 to 100. B (two nodes, 4
 * cores each, 40 s) could start on b at once, but a is busy until 60, when
 * A holds b: the window for B is at 100, when A's reservation ends, not at
 * any node's own earliest start. */
Test (backfill, conservative_finds_the_window_after_a_reservation)
{
    start_core (SCHED_BACKFILL_CONSERVATIVE, 4);
    core_register (s, "a", 8, 0, 0);
    core_register (s, "b", 8, 0, 0);
    uint64_t on_a = submit (8, 60, 0), on_b = submit (4, 50, 0);
    sched_tick (s, 0);
    cr_assert (started (on_a, "a"));
    cr_assert_eq (job (on_b)->state, JOB_RUNNING);
    uint64_t one = submit (8, 50, 1), two = submit_wide (2, 4, 40, 1);
    sched_tick (s, 1);
    cr_assert_float_eq (job (one)->expected_start, 50.0, 1e-9);
    cr_assert_eq (job (two)->state, JOB_PENDING);
    cr_assert_str_eq (job (two)->reason, "Resources");
    cr_assert_float_eq (job (two)->expected_start, 100.0, 1e-9,
                        "reserved when A's reservation ends on b");
    finish (on_b, 50);
    sched_tick (s, 50);
    cr_assert (started (one, "b"));
    finish (on_a, 60);
    finish (one, 100);
    sched_tick (s, 100);
    cr_assert (started (two, NULL));
}

/* EASY with a pass interval of 1 s, on one node of one core. */
static void start_core_interval (void)
{
    sched_config_t cfg = {
        .default_walltime = 3600,
        .max_walltime = 7 * 86400,
        .backfill = SCHED_BACKFILL_EASY,
        .pass_interval = 1.0,
    };

    s = sched_create (&cfg);
    cr_assert_not_null (s);
    core_register (s, "n1", 1, 0, 0);
}

/* With more than BACKFILL_SMALL_QUEUE jobs pending, a change (here a core
 * freed by an exit) is taken in by the next pass once pass_interval has gone
 * by, not by a pass per event; with a short queue it starts at once. */
Test (backfill, large_queue_passes_once_per_interval)
{
    uint64_t first, next;

    start_core_interval ();
    first = submit (1, 100, 0);
    for (int i = 0; i < BACKFILL_SMALL_QUEUE + 10; i++)
        submit (1, 100, 0);
    next = first + 1;
    sched_tick (s, 0);
    cr_assert (started (first, "n1"));
    drain ();
    finish (first, 0.2);
    sched_tick (s, 0.2); /* within the interval: deferred */
    cr_assert_not (started (next, NULL), "a large queue passed before its interval");
    cr_assert_eq (job (next)->state, JOB_PENDING);
    sched_tick (s, 1.1); /* the interval is over: the pass takes the exit in */
    cr_assert (started (next, "n1"));
}

Test (backfill, short_queue_passes_after_every_change)
{
    uint64_t first, next;

    start_core_interval ();
    first = submit (1, 100, 0);
    next = submit (1, 100, 0);
    sched_tick (s, 0);
    cr_assert (started (first, "n1"));
    drain ();
    finish (first, 0.2);
    sched_tick (s, 0.2);
    cr_assert (started (next, "n1"));
}
