/* exec.h: starting, limiting, killing and reaping the jobs of one node (the
 * agent's privileged part: it forks, binds and waits; it never parses network
 * input, it takes the already-decoded msg_job_run_t).
 *
 * Each job runs in its own directory <state_dir>/jobs/<id>/ (mode 0700) that
 * holds stdout, stderr, the script (if the job has one) and, while the job
 * runs, a pid file:
 *     pid 1234
 *     proc_start 987654      (field 22 of /proc/1234/stat, to detect reuse)
 *     start_time 1732665600.123456
 *     walltime 3600
 *     dir /abs/state/jobs/7
 * The child gets a new session (so the job is a process group that is
 * signalled as a whole), the clean environment of the brief, cwd = its
 * directory, CPU and memory binding when the topology is real (on synthetic
 * and XML topologies binding is recorded, not applied), and then executes.
 * Anything that fails before exec is reported through a close-on-exec pipe,
 * so exec_start() fails with a clear text instead of a job that exits 127.
 *
 * Ended jobs are reaped from a SIGCHLD signalfd (exec_fd()); SIGCHLD must be
 * blocked in every thread of the process before exec_create() (the agent's
 * main blocks it before any thread exists). Wall-time limits and kill grace
 * periods are deadlines the caller drives: poll no longer than
 * exec_timeout_ms(), then call exec_tick().
 */
#ifndef CPHUB_AGENT_EXEC_H
#define CPHUB_AGENT_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/topo.h"
#include "cphub/error.h"
#include "cphub/msg.h"

typedef struct exec exec_t;

typedef struct exec_config {
    const char *state_dir; /* created if missing; jobs live in state_dir/jobs */
    const char *node;      /* CPHUB_NODE */
    int64_t kill_grace;    /* seconds between TERM and KILL */
} exec_config_t;

/* Called once for every job that ends after a successful exec_start(), from
 * exec_reap(). e is valid for the duration of the call. */
typedef void (*exec_exit_f) (const msg_job_exit_t *e, void *arg);

/* topo is borrowed and must outlive the exec_t. NULL with errno and err when
 * the state directory cannot be made or the signalfd cannot be opened. */
exec_t *exec_create (const exec_config_t *cfg,
                     const topo_t *topo,
                     exec_exit_f cb,
                     void *arg,
                     cphub_error_t *err);
/* Forgets the jobs but leaves them running (an agent restart adopts them). */
void exec_destroy (exec_t *x);

/* The absolute jobs directory, "<state_dir>/jobs". */
const char *exec_jobs_dir (const exec_t *x);

/* Start the job. 0 with *pid and *start_time (epoch seconds) once the child
 * has executed the command. -1 when it could not start, with errno and err:
 * "cannot execute 'foo': No such file or directory", "cpus '9' are not on
 * this node (it has 0-1)", EEXIST "job 7 is already running on node1". No
 * exit callback follows a failed start. */
int exec_start (exec_t *x,
                const msg_job_run_t *run,
                int64_t *pid,
                double *start_time,
                cphub_error_t *err);

/* Kill a running job's process group. signal 0 or SIGTERM: TERM now, KILL
 * after kill_grace; SIGKILL: KILL now; both make the job end CANCELLED.
 * Another signal is only delivered. -1/ENOENT when the job is not running. */
int exec_kill (exec_t *x, uint64_t id, int signal, cphub_error_t *err);

/* The signalfd to poll; when readable call exec_reap(). */
int exec_fd (const exec_t *x);
/* Reap every ended child and call the exit callback for each job. */
void exec_reap (exec_t *x);

/* Milliseconds until the next wall-time limit or kill deadline; -1: none. */
int exec_timeout_ms (const exec_t *x);
/* Act on deadlines that are due: TERM at the wall-time limit, KILL at the end
 * of a grace period. */
void exec_tick (exec_t *x);

/* Jobs running now. */
uint32_t exec_count (const exec_t *x);
bool exec_running (const exec_t *x, uint64_t id);
/* pid and start time of a running job: 0, or -1/ENOENT. */
int exec_job_info (const exec_t *x, uint64_t id, int64_t *pid, double *start_time);
/* The running jobs' ids, malloc'd (caller frees; NULL when there are none or
 * on ENOMEM with *count 0). */
uint64_t *exec_job_ids (const exec_t *x, uint32_t *count);

/* The path of a job's stdout or stderr file (it may not exist). -1/ENAMETOOLONG. */
int exec_output_path (
    const exec_t *x, uint64_t id, log_stream_t stream, char *buf, size_t len);

#endif
