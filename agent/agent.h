/* agent.h: the context of one cphub-agent process.
 *
 * main() creates one agent_t, passes it to every handler explicitly, and
 * tears it down in reverse order. It holds the config, the node's topology and
 * description, the job runner (exec.c), the DEALER link to the scheduler, the
 * registration state, and the outbox (outbox.h): job.started and job.exit
 * reports that wait until the scheduler has acknowledged a registration, so
 * that reports made while it was away reach it once it is back, and exit
 * reports until the scheduler acknowledges them. The outbox sends through a
 * callback of main.c, which refuses while the agent is not registered.
 * Each exit is also saved in its job directory (exec_exit_save) until then, so
 * that a restarted agent reports it again. While the agent is not
 * registered, it registers again at doubling intervals (AGENT_RETRY_MIN to
 * AGENT_RETRY_MAX) once its socket has connected, on the same socket: a new
 * one would take the scheduler's answers to the first register (and the
 * job.run messages that follow) elsewhere.
 *
 * The agent is split in two processes (runner.h): main() forks once the
 * config, node, keys and isolation are set up; the parent keeps root and
 * runs the jobs (runner_root_run), the child drops to agent.user and is
 * the agent_t below that speaks to the scheduler, reaching the job runner
 * only through runner_t.
 */
#ifndef CPHUB_AGENT_AGENT_H
#define CPHUB_AGENT_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/cgroup.h"
#include "agent/config.h"
#include "agent/exec.h"
#include "agent/hubid.h"
#include "agent/outbox.h"
#include "agent/runner.h"
#include "agent/topo.h"
#include "cphub/keys.h"
#include "cphub/msg.h"
#include "cphub/resource.h"
#include "cphub/transport.h"

/* Seconds between registers left unanswered, doubling from MIN to MAX. */
#define AGENT_RETRY_MIN 0.5
#define AGENT_RETRY_MAX 5.0
/* Seconds before a register the scheduler refused (a simulated node on a hub
 * that takes none, a key of another node) is tried again: what was wrong
 * changes only by an operator's hand, and a thousand simulated nodes asking
 * at AGENT_RETRY_MAX would fill the scheduler's log. */
#define AGENT_REFUSED_RETRY 60.0

/* The isolation field of a node whose agent simulates execution (sim.h). */
#define AGENT_SIMULATED "simulated"

typedef struct agent {
    agent_config_t cfg;
    cphub_keypair_t key;
    char scheduler_public[KEY_Z85_LEN + 1];
    topo_t *topo;
    node_desc_t desc; /* as discovered; jobs are filled per register */
    runner_t *runner; /* the root process's job runner, over the socketpair */
    runner_split_t split;
    tctx_t *tctx;
    tsock_t *sock;
    tloop_t *loop;
    int sigfd; /* SIGTERM, SIGINT */
    bool stop;
    /* One of many simulated nodes of this process (--simulate-nodes), not
     * the first: cfg's pointers, tctx, loop and sigfd are the first's. */
    bool borrowed;

    /* registration, in monotonic seconds */
    bool registered;
    double register_sent; /* last register sent; 0 = never */
    double last_heard;    /* last message from the scheduler */
    double next_heartbeat;
    uint32_t register_retries; /* registers left unanswered in a row */
    double retry;              /* seconds until the next register, if unanswered */

    hubid_t *hubid; /* the hub this node joined (hubid.h) */

    outbox_t *outbox; /* job reports to the scheduler (outbox.h) */

    /* isolation (isolation.c) */
    bool switch_user;             /* root: jobs run as their tenants' users */
    cgroup_layout_t cgroups;      /* per-job cgroups; none in use: no cgroups */
    cgroup_device_t *gpu_devices; /* by GPU index, desc.ngpus entries */
    size_t ngpu_devices;
} agent_t;

/* isolation.c. At start, after the node is discovered: decide who
 * jobs run as, find the GPUs' device nodes, set up per-job cgroups where
 * the kernel offers them, log what applies and fill desc.isolation. -1 with
 * err for a configured GPU device that is not a device node, ENOMEM. */
int agent_isolation_setup (agent_t *a, cphub_error_t *err);
/* At exit: remove the agent's empty cgroups, free the device table. */
void agent_isolation_release (agent_t *a);

/* sim_nodes.c. --simulate-nodes COUNT (NULL: none, 0 and nothing done):
 * rename a, a simulated node whose topology and keys are read, NAME-0001
 * with its key, create a's ZeroMQ context with room for all, and make
 * COUNT-1 more nodes in *others (*n of them, to tear down even on -1),
 * borrowing a's config and context; the caller connects them once a's
 * loop exists. -1 with err: COUNT not in 1..10000, a key file, ENOMEM. */
int agent_sim_nodes_create (agent_t *a,
                            const char *count,
                            bool join_new,
                            agent_t **others,
                            uint32_t *n,
                            cphub_error_t *err);

#endif
