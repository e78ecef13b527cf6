/* budget.h: quotas and budgets in the scheduler's shell: what the
 * config says to the core, the operators' grants (`cphub budget grant|set`)
 * and the balances (`cphub balance`). The core keeps the numbers
 * (scheduler/core/quota.c, through sched.h); this module feeds it and
 * answers for it.
 *
 * The budget ledger is append-only: operators' grants and sets (the store's
 * budget_ledger) and the charges, which are the accounting records of runs
 * that ended (the store's acct; failed runs are not charged). At start the
 * core gets the config's limits and billing weights, then every stored
 * grant in order; the charges come with the accounting records the start
 * reads anyway (main.c: sched_budget_charge). A grant takes effect at once
 * in memory; budget_persist() writes it in the turn's store batch, and its
 * answer goes out after the commit like any other.
 */
#ifndef CPHUB_SCHEDULER_BUDGET_H
#define CPHUB_SCHEDULER_BUDGET_H

#include "cphub/error.h"
#include "cphub/msg.h"
#include "scheduler/auth.h"
#include "scheduler/scheduler.h"

/* Make sc->budget, give the core the config's billing weights and tenant
 * limits (sched_billing_set, sched_tenant_set) and replay the stored grants
 * (sched_budget_grant). Call before the jobs are restored. 0, or -1 with err
 * (the store, ENOMEM). */
int budget_restore (scheduler_t *sc, cphub_error_t *err);

void budget_destroy (budget_t *b); /* NULL: nothing */

/* Answer a balance or budget.grant request m from role:name (who: the
 * peer's identity, for the log). Tenants see their own balance only;
 * operators see everyone's and grant. Returns the reply (balance.ok,
 * budget.grant.ok, or an error: "no tenant 'acme'; cphub balance lists the
 * tenants"); NULL only when out of memory. */
msg_t *budget_request (scheduler_t *sc,
                       auth_role_t role,
                       const char *name,
                       const char *who,
                       const msg_t *m);

/* Write the grants made since the last call into the open store batch.
 * 0, or -1 with err (the batch then fails to commit). */
int budget_persist (scheduler_t *sc, cphub_error_t *err);

#endif
