/* peers.h: the connection of each registered node's agent.
 *
 * Orders for a node (job.run, job.kill, logs.fetch) go to the connection
 * its agent last spoke on: a register records it, and every later message
 * of the agent updates it, so that a reconnected agent (new routing id) is
 * reached at once. The connection before is kept too: an agent that gave up
 * on an unanswered register and connected anew may have its two registers
 * arrive in either order (outq.c resends on it once).
 */
#ifndef CPHUB_SCHEDULER_PEERS_H
#define CPHUB_SCHEDULER_PEERS_H

#include <stdbool.h>
#include <stdint.h>
#include <uthash.h>

#include "cphub/msg.h"
#include "cphub/transport.h"

struct scheduler;

/* The agent connection of a registered node. */
typedef struct agent_peer {
    char node[NODE_NAME_MAX + 1]; /* key */
    tpeer_t peer;
    uint32_t index; /* the node's index for sched_node_info() */
    UT_hash_handle hh;
    /* The connection before peer (rid_len 0: none). */
    tpeer_t prev;
    /* A job.run to this node could not go out (sched_job_run_unsent): the
     * agent's next message, on whatever connection, is answered "register
     * again" until it does, so that its register decides those jobs. */
    bool run_unsent;
} agent_peer_t;

typedef struct peers peers_t;

peers_t *peers_create (void);    /* NULL/ENOMEM */
void peers_destroy (peers_t *p); /* NULL: nothing */

/* The agent of node, or NULL if it never registered. */
agent_peer_t *peers_find (const peers_t *p, const char *node);

/* The agent of node, added with connection peer if it is new; NULL/ENOMEM. */
agent_peer_t *peers_add (peers_t *p, const char *node, const tpeer_t *peer);

/* Do a and b name the same connection (routing id)? */
bool peers_same (const tpeer_t *a, const tpeer_t *b);

/* The agent's connection is now peer; the one before is kept as prev.
 * false if peer was its connection already. */
bool peers_set (agent_peer_t *ap, const tpeer_t *peer);

/* Is the node of ap down in the core (its agent's orders cannot arrive)? */
bool peers_node_down (struct scheduler *sc, const agent_peer_t *ap);

#endif
