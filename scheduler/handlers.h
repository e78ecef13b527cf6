/* handlers.h: what the scheduler does with each message it receives.
 *
 * handlers_dispatch() checks who is asking (the identity the transport
 * authenticated: role and name, and that its key is still in the table),
 * that the role speaks on this endpoint, and the type's row of the message
 * table (msgtab.h): whether this role may send it, and its handler. The
 * handlers below answer at once; the wait and logs handlers park their
 * requests (waits.h, logs_relay.h). Every answer is queued on the outgoing
 * queue (outq.h) and goes out after the turn's store commit.
 */
#ifndef CPHUB_SCHEDULER_HANDLERS_H
#define CPHUB_SCHEDULER_HANDLERS_H

#include "cphub/error.h"
#include "cphub/msg.h"
#include "cphub/transport.h"
#include "scheduler/request.h"
#include "scheduler/scheduler.h"

/* Handle m, received from peer on sock (sc->clients or sc->agents). m stays
 * the caller's; a handler may move owned payload (logs data) out of it. */
void handlers_dispatch (scheduler_t *sc, tsock_t *sock, const tpeer_t *peer, msg_t *m);

/* A message arrived from peer but did not decode (tsock_recv's errno and
 * err): clients get an error message with that code and text, agents are
 * only logged; both at warn with the peer's identity. */
void handlers_bad_message (scheduler_t *sc,
                           tsock_t *sock,
                           const tpeer_t *peer,
                           int errnum,
                           const cphub_error_t *err);

/* A client connection went (or was cut off): free its parked waits and
 * logs requests, with what they held against its limits, and drop the
 * replies queued for it. peer->conn names the connection. */
void handlers_client_gone (scheduler_t *sc, const tpeer_t *peer);

/* The handlers of the message table (msgtab.c), one per type. */
void handlers_submit (scheduler_t *sc, const request_t *rq, msg_t *m);
void handlers_cancel (scheduler_t *sc, const request_t *rq, msg_t *m);
void handlers_jobs (scheduler_t *sc, const request_t *rq, msg_t *m);
void handlers_show (scheduler_t *sc, const request_t *rq, msg_t *m);
void handlers_nodes (scheduler_t *sc, const request_t *rq, msg_t *m);
void handlers_node_drain (scheduler_t *sc, const request_t *rq, msg_t *m);
void handlers_priority (scheduler_t *sc, const request_t *rq, msg_t *m);
void handlers_report (scheduler_t *sc, const request_t *rq, msg_t *m);
void handlers_tenants (scheduler_t *sc, const request_t *rq, msg_t *m);
void handlers_budget (scheduler_t *sc, const request_t *rq, msg_t *m);
void handlers_register (scheduler_t *sc, const request_t *rq, msg_t *m);
void handlers_heartbeat (scheduler_t *sc, const request_t *rq, msg_t *m);
void handlers_job_started (scheduler_t *sc, const request_t *rq, msg_t *m);
void handlers_job_exit (scheduler_t *sc, const request_t *rq, msg_t *m);

/* Before a submit: the refusals that do not need its --after first
 * (sched_job_submit_check), then the jobs its --after names that the core
 * has forgotten, tenant's own only: each named job is recalled from the
 * store (one row), an array's forgotten elements are settled from the
 * store by how they ended and never put back ("ok:" on an element that
 * did not complete is refused as the core refuses it). At most
 * HISTORY_REQUEST_ROWS_MAX rows read (history.c). 0, or -1 with err
 * (E2BIG past that bound, ENOMEM, the store's errors). */
int history_recall (scheduler_t *sc,
                    const char *tenant,
                    const jobspec_t *spec,
                    cphub_error_t *err);

/* Before a wait, hold, release, requeue or resubmit: the forgotten ended
 * jobs in names (the requester's own, unless an operator) are recalled
 * from the store, its ids de-duplicated and counted first (request_ids);
 * elements: the forgotten elements of the arrays and index ranges it names
 * too (wait, requeue), else only the ids named and the arrays' first
 * elements (hold and release act on unfinished elements, which the core
 * holds). A job named already in the core costs no row; at most
 * HISTORY_REQUEST_ROWS_MAX rows are read. 0, or -1 with the error answered. */
int history_recall_request (scheduler_t *sc,
                            const request_t *rq,
                            const msg_ids_t *in,
                            bool elements);

/* Retention (scheduler.history_days), inside the turn's batch: a small
 * batch of the jobs that ended longer ago leaves the store, again the next
 * turn while batches come full, else a minute later; so it never stalls
 * the loop. 0, or -1 with err (the batch then fails). */
int history_expire (scheduler_t *sc, cphub_error_t *err);

#endif
