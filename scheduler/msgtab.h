/* msgtab.h: one row per message type, everything the scheduler knows about
 * receiving or sending it.
 *
 * A row gives who may send the type (auth_rule_t: the roles, and the forms
 * that are for operators only), the handler that applies it, whether its
 * handler records the agent's connection itself (register), and, for what
 * the scheduler sends, whether it acknowledges a change of the turn (so
 * that a turn whose commit failed does not send it). The endpoint a type
 * must arrive on follows from its roles: agents speak on the agent endpoint
 * only, tenants and operators on the client endpoint (handlers.c checks
 * the role against the endpoint before the row). The dispatcher
 * (handlers.c), the authorization (auth.c) and the outgoing queue (outq.c)
 * all read this one table.
 */
#ifndef CPHUB_SCHEDULER_MSGTAB_H
#define CPHUB_SCHEDULER_MSGTAB_H

#include <stdbool.h>

#include "cphub/error.h"
#include "cphub/msg.h"
#include "scheduler/auth.h"

struct scheduler;
struct request;

/* Apply m from rq->peer; m stays the caller's (a handler may move owned
 * payload, such as logs data, out of it). */
typedef void (*msgtab_handler_f) (struct scheduler *sc,
                                  const struct request *rq,
                                  msg_t *m);

typedef struct msgtab_row {
    auth_rule_t auth;         /* who may send it; roles 0: nobody */
    msgtab_handler_f handler; /* NULL: the scheduler never receives it */
    bool sets_peer;           /* an agent's message whose handler records the
                                 agent's connection itself */
    bool acknowledges_change; /* a reply or order that says the turn changed
                                 something: not sent when its commit failed */
} msgtab_row_t;

/* The row of type, or NULL when type is out of range. */
const msgtab_row_t *msgtab_row (msg_type_t type);

/* May role send a message of type? */
bool msgtab_may_send (auth_role_t role, msg_type_t type);

/* auth_authorize with m's row. */
int msgtab_authorize (auth_role_t role, const msg_t *m, cphub_error_t *err);

#endif
