/* handlers.h: what the scheduler does with each message, and the queue its
 * answers wait in until the turn's store commit.
 *
 * handlers_dispatch() checks who is asking (the identity the transport
 * authenticated: role and name), whether that role may send this type
 * (auth_may_send) on this endpoint, and calls the type's handler from a table.
 * Handlers apply the message to the core and queue their reply with
 * handlers_queue(); main.c sends the queue with handlers_flush() after the
 * store has committed the turn. A wait whose jobs have not all ended and a
 * logs request forwarded to an agent are parked here and answered later:
 * handlers_job_changed() on every SCHED_CHANGED decision, handlers_expire()
 * once per turn.
 */
#ifndef CPHUB_SCHEDULER_HANDLERS_H
#define CPHUB_SCHEDULER_HANDLERS_H

#include "cphub/error.h"
#include "cphub/msg.h"
#include "cphub/transport.h"
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

/* Queue m for peer on sock; takes ownership (m is destroyed after sending,
 * or at once if it cannot be queued). */
void handlers_queue (scheduler_t *sc, tsock_t *sock, const tpeer_t *peer, msg_t *m);

/* Send everything queued, in order. A failed send is logged, not fatal; a
 * client reply too large for one message is replaced by an E2BIG error. */
void handlers_flush (scheduler_t *sc);

/* The turn's commit failed: replies that acknowledge a change become the
 * error (code, text) for clients, and messages to agents that follow from
 * the turn (job.run, job.kill, job.exit.ack, register.ok) are dropped;
 * replies to reads go out. Call before handlers_flush. */
void handlers_unsaved (scheduler_t *sc, int code, const char *text);

/* The core reported job as changed: if it has ended, answer the parked waits
 * it was the last unfinished job of. */
void handlers_job_changed (scheduler_t *sc, const sched_job_t *job);

/* Answer logs requests whose node went down or whose deadline passed.
 * Returns the milliseconds until the next deadline, or -1 if none. */
int handlers_expire (scheduler_t *sc, double now);

/* Build this turn's slice of the long answers under way (a wait on many
 * jobs is answered in wait.ok pages, a few per turn). true while some
 * remain: the loop then takes its next turn at once. */
bool handlers_slices (scheduler_t *sc);

/* The connection of a node's agent, or NULL if it never registered. */
agent_peer_t *handlers_agent_peer (scheduler_t *sc, const char *node);

/* A client connection went (or was cut off): free its parked waits and
 * logs requests, with what they held against its limits, and drop the
 * replies queued for it. peer->conn names the connection. */
void handlers_client_gone (scheduler_t *sc, const tpeer_t *peer);

/* Free parked waits and logs requests, queued messages and agent peers. */
void handlers_cleanup (scheduler_t *sc);

#endif
