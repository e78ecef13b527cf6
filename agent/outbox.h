/* outbox.h: the agent's job reports on their way to the scheduler.
 *
 * job.started and job.exit reports are queued here and sent through the
 * send callback given at creation (the agent's link): it refuses with
 * EAGAIN while the agent is not registered or the scheduler's queue is
 * full, and the reports wait. A started report is dropped once sent; an
 * exit report stays, unacknowledged, until a job.exit.ack names its job
 * (the scheduler sends it once the exit is durable); unacknowledged exits
 * are sent again after each registration and, one by one, when their ack
 * is overdue, after AGENT_RESEND_MIN seconds doubling to AGENT_RESEND_MAX.
 * Times are monotonic seconds, passed in.
 */
#ifndef CPHUB_AGENT_OUTBOX_H
#define CPHUB_AGENT_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "cphub/msg.h"

/* At most this many reports wait in the outbox; older started reports are
 * dropped first when it is full. */
#define AGENT_OUTBOX_MAX 65536
/* Seconds before an unacknowledged exit report is sent again, doubling. */
#define AGENT_RESEND_MIN 1.0
#define AGENT_RESEND_MAX 30.0

/* Send m now: 0, or -1 with errno EAGAIN (not now: m and the reports after
 * it wait) or another errno (lost on the way: an exit is sent again when
 * its ack is overdue). m stays the outbox's. */
typedef int (*outbox_send_f) (const msg_t *m, void *arg);

typedef struct outbox outbox_t;

outbox_t *outbox_create (outbox_send_f send, void *arg); /* NULL/ENOMEM */
void outbox_destroy (outbox_t *ob);                      /* NULL: nothing */

/* Queue a report of job_id (taking m) and send what can be sent. */
void outbox_push (outbox_t *ob, msg_t *m, uint64_t job_id, double now);
/* Send what waits; sent exits become unacknowledged. */
void outbox_flush (outbox_t *ob, double now);
/* After a registration: send every unacknowledged exit again, first. */
void outbox_resend (outbox_t *ob, double now);
/* Send again the exits whose acknowledgement is overdue (call while
 * registered); returns the time of the next check (0: none). */
double outbox_tick (outbox_t *ob, double now);
/* job.exit.ack of job id: forget its exit reports; true if there was one. */
bool outbox_ack (outbox_t *ob, uint64_t id);
/* Forget every report of job id (the scheduler starts it again). */
void outbox_forget (outbox_t *ob, uint64_t id);
/* True when an exit report of job id waits (to be sent or acknowledged). */
bool outbox_has_exit (const outbox_t *ob, uint64_t id);
/* Reports waiting to be sent, and exits waiting for their ack. */
uint32_t outbox_unsent (const outbox_t *ob);
uint32_t outbox_unacked (const outbox_t *ob);
/* Call cb for the job of every waiting exit report (unacknowledged first). */
void outbox_foreach_exit (const outbox_t *ob,
                          void (*cb) (uint64_t job_id, void *arg),
                          void *arg);

#endif
