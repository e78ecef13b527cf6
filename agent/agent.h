/* agent.h: the context of one cphub-agent process.
 *
 * main() creates one agent_t, passes it to every handler explicitly, and
 * tears it down in reverse order. It holds the config, the node's topology and
 * description, the job runner (exec.c), the DEALER link to the scheduler, the
 * registration state, and the outbox: job.started and job.exit reports that
 * wait until the scheduler has acknowledged a registration, so that reports
 * made while it was away reach it once it is back. Exit reports stay on the
 * unacked list after sending until the scheduler answers with something other
 * than an error; a new registration sends them again (a restarted scheduler
 * may never have read them; one that did ignores the repeat).
 */
#ifndef CPHUB_AGENT_AGENT_H
#define CPHUB_AGENT_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/config.h"
#include "agent/exec.h"
#include "agent/topo.h"
#include "cphub/keys.h"
#include "cphub/msg.h"
#include "cphub/resource.h"
#include "cphub/transport.h"

/* At most this many reports wait in the outbox; older started reports are
 * dropped first when it is full. */
#define AGENT_OUTBOX_MAX 65536

typedef struct agent_report {
    msg_t *m; /* MSG_JOB_STARTED or MSG_JOB_EXIT */
    uint64_t job_id;
    struct agent_report *prev, *next; /* utlist */
} agent_report_t;

typedef struct agent {
    agent_config_t cfg;
    cphub_keypair_t key;
    char scheduler_public[KEY_Z85_LEN + 1];
    topo_t *topo;
    node_desc_t desc; /* as discovered; jobs are filled per register */
    exec_t *exec;
    tctx_t *tctx;
    tsock_t *sock;
    tloop_t *loop;
    int sigfd; /* SIGTERM, SIGINT */
    bool stop;

    /* registration, in monotonic seconds */
    bool registered;
    double register_sent; /* last register sent; 0 = never */
    double last_heard;    /* last message from the scheduler */
    double next_heartbeat;
    uint32_t register_retries; /* registers left unanswered in a row */

    agent_report_t *outbox; /* reports to send once registered */
    uint32_t outbox_len;
    agent_report_t *unacked; /* exit reports sent, not yet known to be had */
    uint32_t unacked_len;
} agent_t;

#endif
