/* peers.c: the agent connection of each registered node, a uthash table by
 * node name (see peers.h). The dispatcher records connections (register,
 * and every agent message after it); the outgoing queue and the decisions
 * read them to reach a node.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/hash_free.h"
#include "scheduler/peers.h"
#include "scheduler/scheduler.h"

struct peers {
    agent_peer_t *by_node; /* uthash by node name */
};

peers_t *peers_create (void)
{
    return calloc (1, sizeof (peers_t));
}

void peers_destroy (peers_t *p)
{
    if (!p)
        return;
    HASH_FREE_ALL (hh, p->by_node);
    free (p);
}

agent_peer_t *peers_find (const peers_t *p, const char *node)
{
    agent_peer_t *ap = NULL;

    HASH_FIND_STR (p->by_node, node, ap);
    return ap;
}

agent_peer_t *peers_add (peers_t *p, const char *node, const tpeer_t *peer)
{
    agent_peer_t *ap = peers_find (p, node);

    if (ap)
        return ap;
    if (!(ap = calloc (1, sizeof (*ap))))
        return NULL;
    snprintf (ap->node, sizeof (ap->node), "%s", node);
    ap->peer = *peer;
    HASH_ADD_STR (p->by_node, node, ap);
    return ap;
}

bool peers_same (const tpeer_t *a, const tpeer_t *b)
{
    return a->rid_len == b->rid_len && memcmp (a->rid, b->rid, a->rid_len) == 0;
}

bool peers_set (agent_peer_t *ap, const tpeer_t *peer)
{
    if (peers_same (&ap->peer, peer))
        return false;
    ap->prev = ap->peer;
    ap->peer = *peer;
    return true;
}

bool peers_node_down (struct scheduler *sc, const agent_peer_t *ap)
{
    node_info_t info;

    return sched_node_info (sc->sched, ap->index, &info) == 0 &&
           info.state == NODE_DOWN && strcmp (info.name, ap->node) == 0;
}
