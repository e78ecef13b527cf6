/* tenants.h: tenants and tenant keys an operator changes while the hub runs
 * (`cphub tenant add|set|list|remove`, `cphub key add|revoke|list`), over
 * those of scheduler.conf.
 *
 * The registry knows every tenant and tenant key with where it comes from:
 * the config file ("config") or an operator's command ("runtime", kept in
 * the store). The identity table (auth.h) stays the one table the ZAP
 * handler and the per-message key check read; this module adds keys to it
 * and takes them out. The rules:
 *   - a config tenant is defined by the config file: `tenant set` and
 *     `tenant remove` refuse it (change the file and restart); keys may be
 *     added to it at run time, and any of its keys may be revoked;
 *   - a revoked key is refused from its next request on, on connections
 *     already open too, and at every later handshake, also after a restart
 *     (the revocation is stored, a config key's included); it is never
 *     taken back: `key add` of a revoked key is refused;
 *   - a run-time tenant can be removed once it has no pending or running
 *     job; its keys are revoked with it, and its name is not given out
 *     again, since its past jobs and accounting keep that name;
 *   - the jobs of a tenant whose key is revoked are untouched.
 * Changes take effect at once in memory; tenants_persist() writes them in
 * the turn's store batch, and the reply goes out after the commit like any
 * other.
 */
#ifndef CPHUB_SCHEDULER_TENANTS_H
#define CPHUB_SCHEDULER_TENANTS_H

#include "cphub/error.h"
#include "cphub/msg.h"
#include "scheduler/scheduler.h"

/* Build sc->tenants from the config (sc->config's tenants, sc->auth's
 * tenant keys) and the store (run-time tenants and keys, revocations),
 * taking revoked keys out of sc->auth, adding run-time keys to it, and
 * giving the core each run-time tenant's shares. Conflicts with the config
 * are logged and the config wins. 0, or -1 with err (store, ENOMEM). */
int tenants_restore (scheduler_t *sc, cphub_error_t *err);

void tenants_destroy (tenants_t *t); /* NULL: nothing */

/* Answer a `tenant` or `key` request m from an operator (who: its identity,
 * for the log; auth.c lets only operators send these). Returns the reply:
 * tenant.ok / key.ok, or an error ("no tenant 'acme'", "tenant 'acme' has
 * 2 pending and 1 running jobs; ..."); NULL only when out of memory. */
msg_t *tenants_request (scheduler_t *sc, const char *who, const msg_t *m);

/* Write the changes made since the last call into the open store batch.
 * 0, or -1 with err (the batch then fails to commit). */
int tenants_persist (scheduler_t *sc, cphub_error_t *err);

#endif
