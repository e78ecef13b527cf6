/* runner.h: the agent split in two processes, as OpenBSD's daemons are.
 *
 * At start, once the config, the node, the keys and isolation are set up
 * and before any ZeroMQ context or thread exists, runner_split() forks. The
 * parent keeps root and owns the job runner (exec.h: shepherds, cgroups, job
 * directories, the switch to tenants' users); it serves runner_root_run()
 * until the other side stops or breaks the protocol. The child drops to
 * agent.user (when the agent runs as root) and is the network side: it
 * speaks ZeroMQ, parses the scheduler's messages, and reaches the runner
 * only through runner_t, whose calls become records on a socketpair
 * (runner_wire.h) that the root side checks one by one. The parent keeps
 * root because it is the pid a supervisor or a test started, stops and
 * waits for: when it is gone, both are.
 *
 * Either side notices the other's end by EOF on the socketpair and exits;
 * jobs keep running under their shepherds, and a new agent adopts them.
 */
#ifndef CPHUB_AGENT_RUNNER_H
#define CPHUB_AGENT_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/exec.h"
#include "agent/privsep.h"
#include "agent/topo.h"
#include "cphub/error.h"
#include "cphub/msg.h"

/* Who the network side became. */
typedef struct runner_split {
    pid_t net_pid;                   /* root side: the network side's pid */
    int sock;                        /* this side's end of the socketpair */
    bool dropped;                    /* the uid changed (the agent was root) */
    char user[PRIVSEP_NAME_MAX + 1]; /* agent.user, when dropped */
    uid_t uid;                       /* the network side's ids */
    gid_t gid;
} runner_split_t;

/* Fork in two. In the parent (root side): 1 with out->net_pid and
 * out->sock. In the child (network side): 0 with out->sock, after it has
 * taken user's ids for good when running as root (setgroups, setresgid,
 * setresuid, checked; then no new privileges). -1 with err before the fork:
 * ENOENT "agent.user 'x' does not exist", EPERM "agent.user 'root' has uid
 * 0 ...", or the socketpair or fork failed. A child that cannot drop logs
 * why and exits 1. */
int runner_split (const char *user, runner_split_t *out, cphub_error_t *err);

/* --- root side (runner_root.c) --------------------------------------------- */

/* Create the job runner with xc and topo, and serve the network side on
 * sock until it asks to stop, closes its end, or SIGTERM/SIGINT arrive (they
 * must be blocked). Requests are checked, one by one; a malformed one is
 * logged, the network side is killed and -1 returned. Before returning,
 * the network side is told to stop (its end sees EOF) and waited for a
 * while. Jobs keep running. 0 on an orderly stop; -1 with err when the
 * runner cannot be created or the protocol was broken. */
int runner_root_run (int sock,
                     pid_t net_pid,
                     const exec_config_t *xc,
                     const topo_t *topo,
                     cphub_error_t *err);

/* --- network side (runner_proxy.c) ------------------------------------------ */

typedef struct runner runner_t;

/* The exit of a job, as exec.h's exit callback. */
typedef void (*runner_exit_f) (const msg_job_exit_t *e, void *arg);

/* Take sock (closed by runner_destroy). NULL/ENOMEM. */
runner_t *runner_create (int sock, runner_exit_f cb, void *arg);
/* Simulated execution (sim.h, agent.simulate): the same calls served in
 * this process, with no root side; runner_fd() is a timer that fires when
 * a job ends. NULL with errno. */
runner_t *runner_create_sim (runner_exit_f cb, void *arg);
/* Tell the root side this side stops (unless the link is gone), close. */
void runner_destroy (runner_t *r);

/* The descriptor to poll; when readable call runner_dispatch(). */
int runner_fd (const runner_t *r);
/* Handle what the root side sent (exits). -1 when the link is gone or
 * broken (logged): the network side must stop. */
int runner_dispatch (runner_t *r);
/* Handle the events already read (a call reads what follows its answer)
 * without reading; the loop calls it before each wait. -1 when broken. */
int runner_dispatch_buffered (runner_t *r);
/* True once the link is gone or broken. */
bool runner_broken (const runner_t *r);

/* The calls below wait for the root side's answer (handling the events
 * that come before it). Each fails with EPIPE ("the agent's root process is
 * gone") once the link is broken. */

/* exec_recover() on the root side; exits it reports come through the
 * callback, adopted jobs are held. */
int runner_recover (runner_t *r,
                    uint32_t *adopted,
                    uint32_t *reported,
                    cphub_error_t *err);
/* exec_start(). On failure the report is saved on the root side and *e
 * holds it (kind EXIT_START_FAILED, text why); -1 with errno and err. */
int runner_start (runner_t *r,
                  const msg_job_run_t *run,
                  int64_t *pid,
                  double *start_time,
                  msg_job_exit_t *e,
                  cphub_error_t *err);
/* exec_kill(). -1/ENOENT when the job is not running there. */
int runner_kill (runner_t *r, uint64_t id, int signal, cphub_error_t *err);
/* A job's output file, opened by the root side for reading: fd (caller
 * closes), or -1 with errno (ENOENT: no output) and err. */
int runner_log_open (runner_t *r, uint64_t id, log_stream_t stream, cphub_error_t *err);
/* Without an answer: exec_exit_ack(), and exec_exit_save() of a LOST
 * job's report (the root side refuses other kinds and running jobs). */
void runner_exit_ack (runner_t *r, uint64_t id);
void runner_exit_save (runner_t *r, const msg_job_exit_t *e);

/* The jobs the root side holds, as its answers and events said. */
uint32_t runner_count (const runner_t *r);
bool runner_running (const runner_t *r, uint64_t id);
/* The job's process, start and the scheduler's number of its run (0: not
 * given): 0, or -1/ENOENT. */
int runner_job_info (
    const runner_t *r, uint64_t id, int64_t *pid, double *start_time, uint32_t *run);
/* malloc'd ids (caller frees; NULL with *count 0 when none or ENOMEM). */
uint64_t *runner_job_ids (const runner_t *r, uint32_t *count);

#endif
