/* msgtab.c: the message table (see msgtab.h), indexed by type. Types the
 * scheduler only sends have a row too (nobody may send them; some
 * acknowledge a change). The authorization's unit test links this file, so
 * it checks the very table the daemon runs on.
 */
#include <stddef.h>

#include "scheduler/msgtab.h"

#include "scheduler/handlers.h"
#include "scheduler/jobctl.h"
#include "scheduler/logs_relay.h"
#include "scheduler/waits.h"

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

/* Grouped by meaning: what clients ask about jobs, about nodes and the hub's
 * accounts, and the agent protocol; each group's answers that acknowledge a
 * change follow it. */
static const msgtab_row_t rows[MSG_TYPE_COUNT] = {
    /* jobs */
    [MSG_SUBMIT] = {{AUTH_CLIENTS}, handlers_submit},
    [MSG_CANCEL] = {{AUTH_CLIENTS}, handlers_cancel},
    [MSG_JOBS] = {{AUTH_CLIENTS}, handlers_jobs},
    [MSG_SHOW] = {{AUTH_CLIENTS}, handlers_show},
    [MSG_WAIT] = {{AUTH_CLIENTS}, waits_request},
    [MSG_LOGS] = {{AUTH_CLIENTS}, relay_request},
    [MSG_PRIORITY] = {{AUTH_CLIENTS, boost_what}, handlers_priority},
    [MSG_SUBMIT_OK] = {.acknowledges_change = true},
    [MSG_CANCEL_OK] = {.acknowledges_change = true},
    [MSG_WAIT_OK] = {.acknowledges_change = true},
    [MSG_PRIORITY_OK] = {.acknowledges_change = true},
    /* a tenant's own jobs (another's answer ENOENT), an operator's any */
    [MSG_HOLD] = {{AUTH_CLIENTS}, jobctl_request},
    [MSG_RELEASE] = {{AUTH_CLIENTS}, jobctl_request},
    [MSG_REQUEUE] = {{AUTH_CLIENTS}, jobctl_request},
    [MSG_RESUBMIT] = {{AUTH_CLIENTS}, jobctl_resubmit},
    [MSG_JOBCTL_OK] = {.acknowledges_change = true},
    /* nodes, reports, the hub's accounts */
    [MSG_NODES] = {{AUTH_CLIENTS}, handlers_nodes},
    [MSG_REPORT] = {{AUTH_CLIENTS}, handlers_report},
    [MSG_BALANCE] = {{AUTH_CLIENTS}, handlers_budget}, /* its own */
    [MSG_NODE_DRAIN] = {{AUTH_OPERATORS, drain_what}, handlers_node_drain},
    [MSG_TENANT] = {{AUTH_OPERATORS, manage_tenants}, handlers_tenants},
    [MSG_KEY] = {{AUTH_OPERATORS, manage_keys}, handlers_tenants},
    [MSG_BUDGET_GRANT] = {{AUTH_OPERATORS, grant_budgets}, handlers_budget},
    [MSG_NODE_DRAIN_OK] = {.acknowledges_change = true},
    [MSG_TENANT_OK] = {.acknowledges_change = true},
    [MSG_KEY_OK] = {.acknowledges_change = true},
    [MSG_BUDGET_GRANT_OK] = {.acknowledges_change = true},
    /* the agent protocol */
    [MSG_REGISTER] = {{AUTH_AGENTS}, handlers_register, .sets_peer = true},
    [MSG_HEARTBEAT] = {{AUTH_AGENTS}, handlers_heartbeat},
    [MSG_JOB_STARTED] = {{AUTH_AGENTS}, handlers_job_started},
    [MSG_JOB_EXIT] = {{AUTH_AGENTS}, handlers_job_exit},
    [MSG_LOGS_DATA] = {{AUTH_AGENTS}, relay_data},
    [MSG_REGISTER_OK] = {.acknowledges_change = true},
    [MSG_JOB_RUN] = {.acknowledges_change = true},
    [MSG_JOB_KILL] = {.acknowledges_change = true},
    [MSG_JOB_EXIT_ACK] = {.acknowledges_change = true},
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
