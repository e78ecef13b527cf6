/* decide.h: turning the core's decisions into messages and store writes.
 *
 * The pure core (core/sched.h) returns decisions; decide_apply() takes
 * every decision of the turn (sched_next) and acts on it: SCHED_START
 * becomes a job.run for the node's agent (or, when it cannot be built, a
 * start that failed), SCHED_KILL a job.kill, SCHED_CHANGED a store write
 * of the job (once per turn, in its state at the end of the turn) and the
 * answer of the waits it completes, SCHED_ACCOUNT an accounting record,
 * SCHED_NODE_CHANGED a store write of the node. Messages are queued on the
 * outgoing queue (outq.h); call inside the turn's store transaction.
 */
#ifndef CPHUB_SCHEDULER_DECIDE_H
#define CPHUB_SCHEDULER_DECIDE_H

#include "scheduler/scheduler.h"

/* Act on every decision the core has queued. Failures are logged. */
void decide_apply (scheduler_t *sc);

#endif
