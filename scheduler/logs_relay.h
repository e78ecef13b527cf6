/* logs_relay.h: `cphub logs` relayed to the agent of the job's node.
 *
 * A logs request is forwarded to the node's agent as logs.fetch with a tag
 * and parked until the agent's logs.data with that tag comes back; it is
 * answered with an error when the node goes down, the fetch cannot be sent,
 * or the deadline (SCHEDULER_LOGS_TIMEOUT) passes (relay_expire, once per
 * turn). A parked request holds against its client's limits (hold.h).
 */
#ifndef CPHUB_SCHEDULER_LOGS_RELAY_H
#define CPHUB_SCHEDULER_LOGS_RELAY_H

#include <stdint.h>

#include "cphub/msg.h"
#include "scheduler/request.h"

typedef struct relay relay_t;

relay_t *relay_create (void);    /* NULL/ENOMEM */
void relay_destroy (relay_t *r); /* NULL: nothing */

/* The logs handler (clients): forward the request to the job's agent. */
void relay_request (scheduler_t *sc, const request_t *rq, msg_t *m);

/* The logs.data handler (agents): answer the client that asked (the data
 * is moved out of m). */
void relay_data (scheduler_t *sc, const request_t *rq, msg_t *m);

/* Answer requests whose node went down or whose deadline passed. Returns
 * the milliseconds until the next deadline, or -1 if none. */
int relay_expire (scheduler_t *sc, double now);

/* The logs.fetch with this tag could not be sent: its request fails now. */
void relay_unreachable (scheduler_t *sc, uint64_t tag);

/* Connection conn of a client went: forget its requests. Returns how many. */
uint32_t relay_client_gone (scheduler_t *sc, uint64_t conn);

#endif
