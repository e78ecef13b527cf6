/* msgtab.c: the message table (see msgtab.h), indexed by type. Types the
 * scheduler only sends have a row too (nobody may send them; some
 * acknowledge a change). The authorization's unit test compiles this file
 * with MSGTAB_AUTH_ONLY, which leaves the handlers out, so that it checks
 * the very table the daemon runs on without linking the daemon.
 */
#include <stddef.h>

#include "scheduler/msgtab.h"

#ifdef MSGTAB_AUTH_ONLY
#define HANDLER(f) NULL
#else
#include "scheduler/handlers.h"
#include "scheduler/logs_relay.h"
#include "scheduler/waits.h"
#define HANDLER(f) f
#endif

static const char *drain_what (const msg_t *m)
{
    return m->u.drain.drain ? "drain nodes" : "resume nodes";
}

static const char *manage_tenants (const msg_t *m)
{
    (void)m;
    return "manage tenants";
}

static const char *manage_keys (const msg_t *m)
{
    (void)m;
    return "manage keys";
}

static const char *grant_budgets (const msg_t *m)
{
    (void)m;
    return "grant budgets";
}

/* tenants explain their own jobs' priority; setting a boost is not theirs */
static const char *boost_what (const msg_t *m)
{
    return m->u.priority_req.set_boost ? "boost jobs" : NULL;
}

#define CLIENTS(h)                                     \
    {                                                  \
        .auth = {AUTH_CLIENTS}, .handler = HANDLER (h) \
    }
#define OPERATORS(h, what)                                     \
    {                                                          \
        .auth = {AUTH_OPERATORS, what}, .handler = HANDLER (h) \
    }
#define AGENTS(h)                                     \
    {                                                 \
        .auth = {AUTH_AGENTS}, .handler = HANDLER (h) \
    }
#define ACK                         \
    {                               \
        .acknowledges_change = true \
    }

static const msgtab_row_t rows[MSG_TYPE_COUNT] = {
    /* jobs */
    [MSG_SUBMIT] = CLIENTS (handlers_submit),
    [MSG_CANCEL] = CLIENTS (handlers_cancel),
    [MSG_JOBS] = CLIENTS (handlers_jobs),
    [MSG_SHOW] = CLIENTS (handlers_show),
    [MSG_WAIT] = CLIENTS (waits_request),
    [MSG_LOGS] = CLIENTS (relay_request),
    [MSG_PRIORITY] = {.auth = {AUTH_CLIENTS, boost_what},
                      .handler = HANDLER (handlers_priority)},
    [MSG_SUBMIT_OK] = ACK,
    [MSG_CANCEL_OK] = ACK,
    [MSG_WAIT_OK] = ACK,
    [MSG_PRIORITY_OK] = ACK,
    /* nodes, reports, the hub's accounts */
    [MSG_NODES] = CLIENTS (handlers_nodes),
    [MSG_REPORT] = CLIENTS (handlers_report),
    [MSG_BALANCE] = CLIENTS (handlers_budget), /* a tenant sees its own */
    [MSG_NODE_DRAIN] = OPERATORS (handlers_node_drain, drain_what),
    [MSG_TENANT] = OPERATORS (handlers_tenants, manage_tenants),
    [MSG_KEY] = OPERATORS (handlers_tenants, manage_keys),
    [MSG_BUDGET_GRANT] = OPERATORS (handlers_budget, grant_budgets),
    [MSG_NODE_DRAIN_OK] = ACK,
    [MSG_TENANT_OK] = ACK,
    [MSG_KEY_OK] = ACK,
    [MSG_BUDGET_GRANT_OK] = ACK,
    /* the agent protocol */
    [MSG_REGISTER] = {.auth = {AUTH_AGENTS},
                      .handler = HANDLER (handlers_register),
                      .sets_peer = true},
    [MSG_HEARTBEAT] = AGENTS (handlers_heartbeat),
    [MSG_JOB_STARTED] = AGENTS (handlers_job_started),
    [MSG_JOB_EXIT] = AGENTS (handlers_job_exit),
    [MSG_LOGS_DATA] = AGENTS (relay_data),
    [MSG_REGISTER_OK] = ACK,
    [MSG_JOB_RUN] = ACK,
    [MSG_JOB_KILL] = ACK,
    [MSG_JOB_EXIT_ACK] = ACK,
};

const msgtab_row_t *msgtab_row (msg_type_t type)
{
    return (unsigned)type < MSG_TYPE_COUNT ? &rows[type] : NULL;
}

bool msgtab_may_send (auth_role_t role, msg_type_t type)
{
    const msgtab_row_t *row = msgtab_row (type);

    return row && auth_may_send (role, &row->auth);
}

int msgtab_authorize (auth_role_t role, const msg_t *m, cphub_error_t *err)
{
    const msgtab_row_t *row = msgtab_row (m->type);

    return auth_authorize (role, row ? &row->auth : NULL, m, err);
}
