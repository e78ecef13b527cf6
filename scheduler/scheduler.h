/* scheduler.h: the one context of cphub-scheduler, the thin shell around the
 * pure core (scheduler/core/sched.h).
 *
 * main.c creates it, binds the two ROUTER sockets (clients, agents) behind
 * one ZAP handler, and runs the loop; each turn drains every ready message
 * into the core through the handlers table (handlers.c), ticks the core once,
 * turns the core's decisions into job.run / job.kill messages and store
 * writes, commits the store, and only then sends the replies queued during
 * the turn (group commit). Everything the daemon knows lives here and is
 * passed explicitly; the only other state is the signal fd.
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

/* The agent connection of a registered node: where job.run, job.kill and
 * logs.fetch for it go. Updated on every message the node's agent sends,
 * so a reconnected agent (new routing id) is reached at once. */
typedef struct agent_peer {
    char node[NODE_NAME_MAX + 1]; /* key */
    tpeer_t peer;
    uint32_t index; /* the node's index for sched_node_info() */
    UT_hash_handle hh;
    /* The connection before peer (rid_len 0: none). An agent that gave up
     * on an unanswered register and connected anew may have its two
     * registers arrive in either order: when peer turns out gone, a send
     * is tried once more on prev (handlers.c). */
    tpeer_t prev;
    /* A job.run to this node could not go out (sched_job_run_unsent): the
     * agent's next message, on whatever connection, is answered "register
     * again" until it does, so that its register decides those jobs. */
    bool run_unsent;
} agent_peer_t;

/* Defined in handlers.c: parked wait requests, the job id -> waits index,
 * pending log fetches, queued outgoing messages. */
typedef struct wait_req wait_req_t;
typedef struct wait_index wait_index_t;
typedef struct logs_fetch logs_fetch_t;
typedef struct outbox_msg outbox_msg_t;
typedef struct wait_answer wait_answer_t;
/* Defined in tenants.c (issue 4): run-time tenants and keys. */
typedef struct tenants tenants_t;
typedef struct budget budget_t; /* issue 4: budget.h */
typedef struct hold hold_t;     /* hold.h */

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

    agent_peer_t *peers;      /* uthash by node name */
    wait_req_t *waits;        /* parked waits (utlist DL) */
    wait_index_t *wait_index; /* uthash: job id -> waits on it */
    uint64_t waited_ids;      /* ids parked across all waits */
    logs_fetch_t *fetches;    /* uthash by tag */
    uint64_t next_tag;
    outbox_msg_t *outbox;   /* utlist DL, sent after the commit */
    hold_t *hold;           /* what each tenant and connection holds */
    wait_answer_t *answers; /* waits answered in pages (utlist DL) */

    int sigfd;          /* signalfd for TERM and INT, -1 if none */
    bool stopping;      /* a signal asked to stop */
    double started;     /* when this scheduler started (report window) */
    double now;         /* clock of the current turn */
    tenants_t *tenants; /* issue 4: tenants and keys (tenants.h) */
    budget_t *budget;   /* issue 4: grants not written yet (budget.h) */
} scheduler_t;

#endif
