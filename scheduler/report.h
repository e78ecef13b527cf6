/* report.h: the usage report that `cphub report` shows.
 *
 * Per tenant: its jobs, completed, failed (FAILED, TIMEOUT, NODE_FAIL,
 * OUT_OF_MEMORY) and cancelled, over every job the store keeps (the history
 * included; not those retention deleted) each in its latest state, and the
 * core-seconds and GPU-seconds of its ended and running jobs. Per
 * registered node: busy core-seconds and the busy share of its cores over
 * the window from the start of the records (this scheduler's start, or the
 * earliest accounted run) until now. A tenant's report holds
 * only its own row, and of the nodes only their cores and busy shares.
 */
#ifndef CPHUB_SCHEDULER_REPORT_H
#define CPHUB_SCHEDULER_REPORT_H

#include "cphub/msg.h"
#include "scheduler/scheduler.h"

/* A report.ok message as of sc->now, for everyone (only_tenant NULL: an
 * operator) or for one tenant. NULL/ENOMEM. */
msg_t *report_build (scheduler_t *sc, const char *only_tenant);

#endif
