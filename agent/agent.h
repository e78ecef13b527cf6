/* agent.h: the context of one cphub-agent process.
 *
 * main() creates one agent_t, passes it to every handler explicitly, and
 * tears it down in reverse order. It holds the config, the node's topology and
 * description, the job runner (exec.c), the DEALER link to the scheduler, the
 * registration state, and the outbox (outbox.c): job.started and job.exit
 * reports that wait until the scheduler has acknowledged a registration, so
 * that reports made while it was away reach it once it is back. Exit reports
 * stay on the unacked list after sending until a job.exit.ack names their
 * job (the scheduler sends it once the exit is durable); they are sent again
 * after every registration and, while unacknowledged, at doubling intervals.
 * Each is also saved in its job directory (exec_exit_save) until then, so
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
#include "agent/runner.h"
#include "agent/topo.h"
#include "cphub/keys.h"
#include "cphub/msg.h"
#include "cphub/resource.h"
#include "cphub/transport.h"

/* At most this many reports wait in the outbox; older started reports are
 * dropped first when it is full. */
#define AGENT_OUTBOX_MAX 65536
/* Seconds between registers left unanswered, doubling from MIN to MAX. */
#define AGENT_RETRY_MIN 0.5
#define AGENT_RETRY_MAX 5.0
/* Seconds before an unacknowledged exit report is sent again, doubling. */
#define AGENT_RESEND_MIN 1.0
#define AGENT_RESEND_MAX 30.0

typedef struct agent_report {
    msg_t *m; /* MSG_JOB_STARTED or MSG_JOB_EXIT */
    uint64_t job_id;
    double sent_at;                   /* exits: monotonic time of the last send */
    uint32_t sends;                   /* exits: times sent */
    struct agent_report *prev, *next; /* utlist */
} agent_report_t;

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

    /* registration, in monotonic seconds */
    bool registered;
    double register_sent; /* last register sent; 0 = never */
    double last_heard;    /* last message from the scheduler */
    double next_heartbeat;
    uint32_t register_retries; /* registers left unanswered in a row */
    double retry;              /* seconds until the next register, if unanswered */
    double resend_at;          /* next check of the unacked list; 0 = none */

    hubid_t *hubid; /* the hub this node joined (hubid.h) */

    agent_report_t *outbox; /* reports to send once registered */
    uint32_t outbox_len;
    agent_report_t *unacked; /* exit reports sent, not yet known to be had */
    uint32_t unacked_len;

    /* issue 4: isolation (isolation.c) */
    bool switch_user;             /* root: jobs run as their tenants' users */
    cgroup_layout_t cgroups;      /* per-job cgroups; none in use: no cgroups */
    cgroup_device_t *gpu_devices; /* by GPU index, desc.ngpus entries */
    size_t ngpu_devices;
} agent_t;

/* main.c: send m to the scheduler now. -1/ENOTCONN, EAGAIN (queue full). */
int agent_send (agent_t *a, const msg_t *m);
double agent_now (void); /* monotonic seconds */

/* outbox.c. Queue a report (taking m) and send what can be sent. */
void agent_outbox_push (agent_t *a, msg_t *m, uint64_t job_id);
/* Send the outbox while registered; sent exits move to the unacked list. */
void agent_outbox_flush (agent_t *a);
/* After a registration: send every unacknowledged exit again, first. */
void agent_outbox_resend (agent_t *a);
/* Send again the exits whose acknowledgement is overdue; returns the time
 * of the next check (0: none). */
double agent_outbox_tick (agent_t *a, double now);
/* job.exit.ack: forget the exit reports of these jobs and their records. */
void agent_outbox_ack (agent_t *a, const uint64_t *ids, uint32_t count);
/* Forget reports of job id (the scheduler starts it again). */
void agent_outbox_forget (agent_t *a, uint64_t id);
/* True when an exit report of job id waits (to be sent or acknowledged). */
bool agent_outbox_has_exit (const agent_t *a, uint64_t id);
/* Append the ids of waiting exit reports of jobs not running to d->jobs
 * (room for outbox_len + unacked_len more ids). */
void agent_outbox_held (const agent_t *a, node_desc_t *d);
void agent_outbox_clear (agent_t *a);

/* isolation.c (issue 4). At start, after the node is discovered: decide who
 * jobs run as, find the GPUs' device nodes, set up per-job cgroups where
 * the kernel offers them, log what applies and fill desc.isolation. -1 with
 * err for a configured GPU device that is not a device node, ENOMEM. */
int agent_isolation_setup (agent_t *a, cphub_error_t *err);
/* At exit: remove the agent's empty cgroups, free the device table. */
void agent_isolation_release (agent_t *a);

#endif
