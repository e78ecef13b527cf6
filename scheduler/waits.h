/* waits.h: parked wait requests (`cphub wait`) and their answers.
 *
 * A wait on jobs that have not all ended is parked, indexed by job id, and
 * answered when the core reports the last of them ended
 * (waits_job_changed, on every SCHED_CHANGED decision). Answers go out in
 * wait.ok pages, a few per turn (waits_slices), so that a wait on 10,000
 * jobs never holds the loop. A wait holds every id it names against its
 * client's limits (hold.h) until its last page went. The core may forget
 * an ended job meanwhile (keep_ended): a page then reads it from the
 * store, so that an answer names every job asked for whatever was forgotten.
 */
#ifndef CPHUB_SCHEDULER_WAITS_H
#define CPHUB_SCHEDULER_WAITS_H

#include <stdbool.h>
#include <stdint.h>

#include "cphub/msg.h"
#include "scheduler/request.h"

typedef struct waits waits_t;

waits_t *waits_create (void);    /* NULL/ENOMEM */
void waits_destroy (waits_t *w); /* NULL: nothing */

/* The wait handler: answer at once when every job named has ended, else
 * park the request. */
void waits_request (scheduler_t *sc, const request_t *rq, msg_t *m);

/* The core reported job as changed: if it has ended, answer the parked
 * waits it was the last unfinished job of. */
void waits_job_changed (scheduler_t *sc, const sched_job_t *job);

/* Build this turn's pages of the answers under way. true while some
 * remain: the loop then takes its next turn at once. */
bool waits_slices (scheduler_t *sc);

/* Connection conn of a client went: free its waits and answers with what
 * they hold. Returns how many were freed. */
uint32_t waits_client_gone (scheduler_t *sc, uint64_t conn);

#endif
