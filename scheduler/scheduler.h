/* scheduler.h: the one context of cphub-scheduler, the thin shell around the
 * pure core (scheduler/core/sched.h).
 *
 * main.c creates it, binds the two ROUTER sockets (clients, agents) behind
 * one ZAP handler, and runs the loop; each turn drains every ready message
 * into the core through the message table (msgtab.c, handlers.c), ticks the
 * core once, turns the core's decisions into job.run / job.kill messages and
 * store writes (decide.c), commits the store, and only then sends the
 * messages queued during the turn (outq.c: group commit). Each concern of
 * the shell keeps its state in its own type, owned here: the outgoing
 * queue, the agents' connections, the parked waits, the logs relay.
 * Everything the daemon knows lives here and is passed explicitly; the only
 * other state is the signal fd.
 */
#ifndef CPHUB_SCHEDULER_SCHEDULER_H
#define CPHUB_SCHEDULER_SCHEDULER_H

#include <stdbool.h>
#include <stdint.h>
#include <uthash.h>

#include "cphub/msg.h"
#include "cphub/transport.h"
#include "scheduler/auth.h"
#include "scheduler/config.h"
#include "scheduler/core/sched.h"
#include "scheduler/store.h"

/* How long a logs request waits for the node's agent. */
#define SCHEDULER_LOGS_TIMEOUT 10.0
/* Upper bound on a loop turn's wait, so that tick(now) runs often enough for
 * heartbeat timeouts. */
#define SCHEDULER_TICK_MS 100
/* A turn longer than this is logged: no request should hold the loop. */
#define SCHEDULER_SLOW_TURN_MS 50
/* The least time between two walks for ended jobs past keep_ended: a walk
 * visits up to slice_jobs jobs, the pending ones too, so a busy loop (thousands
 * of turns a second) walking on every turn spent more on it than on anything
 * else. An ended job leaves memory at most this much later. */
#define SCHEDULER_FORGET_PERIOD 0.1 /* s */

/* The rooms of the shell, each with its own file and type. */
typedef struct outq outq_t;       /* outgoing queue and resend (outq.h) */
typedef struct peers peers_t;     /* agents' connections (peers.h) */
typedef struct waits waits_t;     /* parked waits and their answers (waits.h) */
typedef struct relay relay_t;     /* logs requests relayed to agents (logs_relay.h) */
typedef struct tenants tenants_t; /* run-time tenants and keys (tenants.h) */
typedef struct budget budget_t;   /* grants not written yet (budget.h) */
typedef struct hold hold_t;       /* what each tenant and connection holds (hold.h) */

typedef struct scheduler {
    schedconf_t *config; /* owned */
    auth_t *auth;        /* the identity table (config's) */
    tctx_t *tctx;
    tzap_t *tzap;
    tsock_t *clients; /* ROUTER for tenants and operators */
    tsock_t *agents;  /* ROUTER for node agents */
    tloop_t *loop;
    sched_t *sched;
    store_t *store;
    store_identity_t identity; /* the hub this store belongs to */

    outq_t *outq;   /* sent after the commit */
    peers_t *peers; /* by node name */
    waits_t *waits;
    relay_t *relay;
    hold_t *hold;

    int sigfd;                /* signalfd for TERM and INT, -1 if none */
    bool stopping;            /* a signal asked to stop */
    double started;           /* when this scheduler started (report window) */
    double now;               /* clock of the current turn */
    double history_expire_at; /* the next retention batch (history.c) */
    double forget_at;         /* the next walk for ended jobs to forget */
    tenants_t *tenants;
    budget_t *budget;
} scheduler_t;

#endif
