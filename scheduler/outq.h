/* outq.h: the outgoing queue of cphub-scheduler.
 *
 * Every message the scheduler sends during a turn (replies, and job.run,
 * job.kill and logs.fetch to agents) is queued here, not sent: the loop
 * sends the queue with outq_flush() after the store has committed the turn
 * (group commit), so that a submit is acknowledged only once durable and a
 * started job is on record before its agent hears of it. A turn whose
 * commit failed first calls outq_unsaved(). What could not be sent is dealt
 * with so that nobody waits for it (outq.c, send_failed).
 */
#ifndef CPHUB_SCHEDULER_OUTQ_H
#define CPHUB_SCHEDULER_OUTQ_H

#include <stdint.h>

#include "cphub/msg.h"
#include "cphub/transport.h"

struct scheduler;
typedef struct outq outq_t;

outq_t *outq_create (void);    /* NULL/ENOMEM */
void outq_destroy (outq_t *q); /* drops what is queued; NULL: nothing */

/* Queue m for peer on sock; takes ownership (m is destroyed after sending,
 * or at once if it cannot be queued). NULL m is logged as out of memory. */
void outq_push (outq_t *q, tsock_t *sock, const tpeer_t *peer, msg_t *m);

/* Add id to the job.exit.ack that ends the queue if it is for peer on sock
 * and has room: consecutive acks to one agent share one message. 0 if
 * added, -1 if the caller must queue a new ack. */
int outq_ack_join (outq_t *q, tsock_t *sock, const tpeer_t *peer, uint64_t id);

/* Send everything queued, in order. A failed send is logged, not fatal; a
 * client reply too large for one message is replaced by an E2BIG error. */
void outq_flush (struct scheduler *sc);

/* The turn's commit failed: replies that acknowledge a change become the
 * error (code, text) for clients, and messages to agents that follow from
 * the turn (job.run, job.kill, job.exit.ack, register.ok) are dropped;
 * replies to reads go out. Call before outq_flush. */
void outq_unsaved (struct scheduler *sc, int code, const char *text);

/* Drop what is queued for connection conn on sock; returns how many. */
uint32_t outq_drop_conn (outq_t *q, const tsock_t *sock, uint64_t conn);

#endif
