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

/* Before a submit: the ended jobs its --after names that the core has
 * forgotten (an array's elements too), tenant's own only, are put back in
 * the core from the store, so that the core decides on how they ended
 * (history.c). 0, or -1 with err (ENOMEM, the store's errors). */
int history_recall (scheduler_t *sc,
                    const char *tenant,
                    const jobspec_t *spec,
                    cphub_error_t *err);

/* The same for the jobs a wait names (the requester's own, unless an
 * operator), so that a wait on a job that ended long ago is answered. */
int history_recall_ids (scheduler_t *sc,
                        const request_t *rq,
                        const uint64_t *ids,
                        uint32_t count,
                        cphub_error_t *err);
/* The same with the elements of every array an id names (hold, release,
 * requeue and resubmit act on arrays as wholes or by index). */
int history_recall_arrays (scheduler_t *sc,
                           const request_t *rq,
                           const uint64_t *ids,
                           uint32_t count,
                           cphub_error_t *err);

/* Retention (scheduler.history_days), inside the turn's batch: a small
 * batch of the jobs that ended longer ago leaves the store, again the next
 * turn while batches come full, else a minute later; so it never stalls
 * the loop. 0, or -1 with err (the batch then fails). */
int history_expire (scheduler_t *sc, cphub_error_t *err);

#endif
