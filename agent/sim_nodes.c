/* sim_nodes.c: many simulated nodes in one agent process (--simulate-nodes).
 *
 * One machine can play a thousand nodes for benchmarks: the process's
 * node is renamed NAME-0001 and N-1 more agent_t are made, NAME-0002 and on,
 * each a full agent towards the scheduler (its own DEALER socket, register,
 * heartbeats, outbox and simulated runner, sim.h) sharing the first's
 * config, ZeroMQ context, event loop and signals. The trust model stays
 * that of doc/security.md: every node has its own key pair, which the
 * scheduler's config lists under agents like any other; node i's is
 * NAME-000i.key in the directory of agent.key (`cphub keygen` makes them).
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "agent/agent.h"
#include "cphub/log.h"
#include "cphub/parse.h"

/* At most this many nodes in one process. */
#define SIM_NODES_MAX 10000
/* ZeroMQ sockets per node: the DEALER and its monitor pair. */
#define SIM_SOCKETS_PER_NODE 3
/* Descriptors per node: TCP, mailboxes, the runner's timerfd. */
#define SIM_FDS_PER_NODE 6

/* Node i's name and key pair (1-based). */
static int sim_node_name_key (
    agent_t *n, const char *base, const char *key_dir, uint32_t i, cphub_error_t *err)
{
    char path[4096];

    if ((size_t)snprintf (n->desc.name, sizeof (n->desc.name), "%s-%04u", base, i) >=
        sizeof (n->desc.name))
        return cphub_fail (err, ENAMETOOLONG,
                           "--simulate-nodes: node name '%s-%04u' is too long", base,
                           i);
    snprintf (n->cfg.name, sizeof (n->cfg.name), "%s", n->desc.name);
    snprintf (path, sizeof (path), "%s/%s.key", key_dir, n->desc.name);
    return keys_read_pair (path, &n->key, err);
}

/* Room for the sockets and descriptors of n nodes. */
static int sim_nodes_room (agent_t *a, uint32_t n, cphub_error_t *err)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)n * SIM_FDS_PER_NODE + 64;

    if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
        rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
        if (setrlimit (RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
            log_warn ("--simulate-nodes %u: only %lu descriptors allowed", n,
                      (unsigned long)rl.rlim_cur);
    }
    if (!(a->tctx = tctx_create ()) ||
        tctx_set_max_sockets (a->tctx, (int)n * SIM_SOCKETS_PER_NODE + 64) < 0)
        return cphub_fail (err, errno, "cannot create the ZeroMQ context: %s",
                           strerror (errno));
    return 0;
}

int agent_sim_nodes_create (agent_t *a,
                            const char *count,
                            bool join_new,
                            agent_t **others,
                            uint32_t *n,
                            cphub_error_t *err)
{
    char base[NODE_NAME_MAX + 1], key_path[4096], key_dir[4096];
    agent_t *v = NULL;
    uint64_t total;
    uint32_t i;

    *others = NULL;
    *n = 0;
    if (!count)
        return 0;
    if (parse_uint (count, "--simulate-nodes", 1, SIM_NODES_MAX, &total, err) < 0)
        return -1;
    snprintf (base, sizeof (base), "%s", a->cfg.name);
    snprintf (key_path, sizeof (key_path), "%s", a->cfg.key);
    snprintf (key_dir, sizeof (key_dir), "%s", dirname (key_path));
    if (sim_nodes_room (a, (uint32_t)total, err) < 0 ||
        sim_node_name_key (a, base, key_dir, 1, err) < 0)
        goto error;
    if (total > 1 && !(v = calloc (total - 1, sizeof (*v)))) {
        cphub_fail (err, ENOMEM, "out of memory");
        goto error;
    }
    for (i = 0; i + 1 < total; i++) {
        agent_t *o = &v[i];
        o->cfg = a->cfg;
        o->borrowed = true;
        o->sigfd = -1;
        o->retry = AGENT_RETRY_MIN;
        o->split.sock = -1;
        o->tctx = a->tctx;
        memcpy (o->scheduler_public, a->scheduler_public, sizeof (o->scheduler_public));
        node_desc_init (&o->desc);
        *n = i + 1; /* torn down from here on */
        if (node_desc_copy (&o->desc, &a->desc) < 0) {
            cphub_fail (err, ENOMEM, "out of memory");
            goto error;
        }
        if (sim_node_name_key (o, base, key_dir, i + 2, err) < 0 ||
            !(o->hubid = hubid_create (a->cfg.state_dir, join_new, err)))
            goto error;
    }
    *others = v;
    log_warn ("SIMULATED EXECUTION: this process plays %u nodes, %s to %s",
              (unsigned)total, a->desc.name,
              total > 1 ? v[total - 2].desc.name : a->desc.name);
    return 0;
error:
    *others = v;
    return -1;
}
