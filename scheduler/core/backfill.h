/* backfill.h: the scheduling pass of the core, private to scheduler/core/.
 * sched_tick runs it after the node checks. It orders every pending job by
 * priority (priority.h), then walks them in that order and, by the policy of
 * sched_config_t.backfill:
 *   FIFO          starts jobs while they fit and stops at the first that
 *                 does not (it waits for "Resources", the rest for
 *                 "Priority");
 *   EASY          gives the first job that cannot start a reservation at its
 *                 earliest start on one node, computed from the running
 *                 jobs' expected ends (start + wall time) on each node's
 *                 free-core, GPU and memory profile (a job spanning nodes:
 *                 on the nodes that free up last by then, so that the others
 *                 stay free for backfill), and starts a lower job now only
 *                 where it does not delay that reservation;
 *   CONSERVATIVE  the same with a reservation for each of the first N jobs
 *                 that cannot start, each computed on the profile the
 *                 earlier ones left.
 * Every pending job leaves the pass with its priority, its queue position
 * (1 = next), a reason ("Resources": waits for cores, GPUs or memory, with
 * expected_start set when reserved; "Reservation": it would fit now but
 * would delay a reserved job; "Priority": higher jobs go first) and, where
 * one is known, its expected start.
 *
 * Cost: one pass is O(P + R * (N + J)) for P pending jobs, R reservations,
 * N nodes and J running jobs (a job spanning nodes: times N, as each time a
 * running job or reservation ends may be its start), plus one radix sort of
 * P keys; fits are found through the core's best-fit index, never by
 * scanning nodes per job. The pass runs only when a decision was queued
 * since the last one (something changed) or once per BACKFILL_REFRESH
 * seconds (ages move), so a stream of heartbeats costs nothing.
 */
#ifndef CPHUB_BACKFILL_H
#define CPHUB_BACKFILL_H

#include "scheduler/core/sched.h"

/* Pending jobs up to which a pass runs after every change (pass_interval). */
#define BACKFILL_SMALL_QUEUE 1000
/* Seconds after which a pass runs even when nothing changed. */
#define BACKFILL_REFRESH 1.0
/* Conservative reservations when the config says 0. */
#define BACKFILL_DEFAULT_RESERVATIONS 16
/* Jobs whose reservation is sought in vain (no node up now could ever hold
 * them) before a pass stops seeking: each costs a look at every node. */
#define BACKFILL_FUTILE_MAX 8

typedef struct backfill backfill_t;

/* Scratch space kept between passes. NULL/ENOMEM. */
backfill_t *backfill_create (void);
void backfill_destroy (backfill_t *bf); /* NULL: nothing */

/* One pass at now (see above). Out of memory leaves jobs waiting, as they
 * were, until the next pass. */
void backfill_pass (sched_t *s, double now);

/* Number of passes that ran (for tests and benchmarks). */
uint64_t backfill_passes (const sched_t *s);

#endif
