/* exec.h: starting, limiting, killing and reaping the jobs of one node (the
 * agent's privileged part: it forks, binds and waits; it never parses network
 * input, it takes the already-decoded msg_job_run_t).
 *
 * Each run of a job gets a fresh directory of its own,
 * <state_dir>/jobs/<id>.<token> (a random 64-bit token; mode 0700, owned by
 * the job's user), that holds stdout, stderr and the script (if the job has
 * one): the job's, to do with as it likes. The agent's records of the job
 * (jobdir.h: the run's name, the pid file while the job runs, the status
 * file its shepherd writes when it ends, and the exit report until the
 * scheduler has acknowledged it) are in <state_dir>/runs/<id>/, which only
 * the agent's user can write. A run's directory is removed keep_job_dirs
 * after its exit is acknowledged (or a new run of the id starts), by a
 * bounded sweep in exec_tick(). Every job is started by its own
 * shepherd process (shepherd.h), which outlives the agent: a restarted agent
 * calls exec_recover() to adopt the jobs still running and to report those
 * that ended while it was away. The job gets a new session (so it is a
 * process group that is signalled as a whole), as root its own PID namespace
 * with a private /proc (shepherd.h), the clean environment of the brief,
 * cwd = its directory, its output limit (max_output: RLIMIT_FSIZE, checked
 * by its shepherd too), its wall time held by its shepherd as well as by the
 * agent, CPU and memory binding when the topology is real (on synthetic and
 * XML topologies binding is recorded, not applied), its own cgroups and its
 * tenant's Unix user where configured, and then executes. Anything
 * that fails before exec is reported back, so
 * exec_start() fails with a clear text instead of a job that exits 127.
 *
 * Ended jobs are noticed through exec_fd(), an epoll descriptor holding a
 * SIGCHLD signalfd and the pidfds of adopted shepherds; SIGCHLD must be
 * blocked in every thread of the process before exec_create() (the agent's
 * main blocks it before any thread exists). Wall-time limits, kill grace
 * periods and the checks for processes that survive KILL are deadlines the
 * caller drives: poll no longer than exec_timeout_ms(), then call
 * exec_tick().
 */
#ifndef CPHUB_AGENT_EXEC_H
#define CPHUB_AGENT_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/cgroup.h"
#include "agent/privsep.h"
#include "agent/topo.h"
#include "cphub/error.h"
#include "cphub/msg.h"

typedef struct exec exec_t;

/* Whether a process of group pgid other than a zombie still exists. */
typedef bool (*exec_probe_f) (int64_t pgid, void *arg);

typedef struct exec_config {
    const char *state_dir; /* created if missing: state_dir/jobs, state_dir/runs */
    const char *node;      /* CPHUB_NODE */
    int64_t kill_grace;    /* seconds between TERM and KILL */
    /* For tests: how to tell whether a job's process group is empty; NULL
     * looks at /proc (jobdir_group_alive). */
    exec_probe_f group_alive;
    void *probe_arg;
    /* Isolation; all zero: jobs run as the agent's user, without
     * cgroups. The pointers are borrowed and must outlive the exec_t. When
     * users names a user for some tenant, a job of a tenant it does not map
     * fails to start ("tenant tenant-x has no Unix user on node1"); with
     * switch_user (the agent is root) a mapped job runs as its user, with
     * HOME its directory, which that user owns (mode 0700), as it does the
     * job's output files. */
    const privsep_map_t *users;
    bool switch_user;
    const cgroup_layout_t *cgroups; /* NULL or nothing in use: no cgroups */
    int64_t pids_max;               /* per job; 0: no limit */
    /* The device node of each GPU by index (type 0: none known); the job's
     * devices cgroup denies those of GPUs it was not given. */
    const cgroup_device_t *gpu_devices;
    size_t ngpu_devices;
    /* Seconds a run's directory is kept after its exit is acknowledged;
     * 0: removed at once. */
    int64_t keep_job_dirs;
    /* Bytes each of a job's stdout and stderr may reach; 0: no limit. A job
     * that reaches it is killed and ends EXIT_OUTPUT. */
    uint64_t max_output;
} exec_config_t;

/* Called once for every job that ends after a successful exec_start(), from
 * exec_reap() or exec_tick(), and for every ended job exec_recover() finds.
 * The report is already saved in the job directory (the exit record) when
 * the callback runs. e is valid for the duration of the call.
 *
 * A job whose process has ended while other processes of its group remain
 * is reported when the group is empty; if some remain max(kill_grace, 1 s)
 * after KILL, it is reported with survived_kill set. So is a job whose own
 * process outlives KILL by that long (the job is then forgotten). */
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

/* After an agent restart: scan the records directory. A job whose shepherd is
 * still alive (same pid and start time as its pid file says) is adopted: it
 * counts as running, its wall-time limit and a kill in progress carry on. A
 * job whose shepherd is gone is reported through the callback with the exit
 * status the shepherd recorded, or as EXIT_LOST if it recorded none (what is
 * left of the job is killed). An exit report saved but not acknowledged is
 * reported again as it was. Then the processes left in job cgroups of no
 * job adopted (records missing or unreadable) are killed, and such a job is
 * reported EXIT_LOST once they are gone. 0 and the counts (either may be NULL); -1 with
 * errno and err when the directory cannot be read. */
int exec_recover (exec_t *x, uint32_t *adopted, uint32_t *reported, cphub_error_t *err);

/* Save an exit report the caller made (start failed, lost) in the job's
 * records, so that it survives an agent restart. 0, -1/errno. */
int exec_exit_save (exec_t *x, const msg_job_exit_t *e);
/* Is an exit report of job id saved (the job ended, its report not yet
 * acknowledged)? */
bool exec_exit_saved (const exec_t *x, uint64_t id);
/* The scheduler has the exit report of job id: remove the saved record; the
 * run is done (its directory goes after keep_job_dirs). */
void exec_exit_ack (exec_t *x, uint64_t id);

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

/* The descriptor to poll; when readable call exec_reap(). */
int exec_fd (const exec_t *x);
/* Reap every ended shepherd and call the exit callback for each job that is
 * over. */
void exec_reap (exec_t *x);

/* Milliseconds until the next wall-time limit, kill deadline or check; -1:
 * none. */
int exec_timeout_ms (const exec_t *x);
/* Act on deadlines that are due: TERM at the wall-time limit, KILL at the end
 * of a grace period, checks for survivors of KILL. */
void exec_tick (exec_t *x);

/* Jobs held now: running, or ended and waiting for their group to empty. */
uint32_t exec_count (const exec_t *x);
bool exec_running (const exec_t *x, uint64_t id);
/* pid, start time and the scheduler's number of the run (0: not given) of
 * a running job: 0, or -1/ENOENT. */
int exec_job_info (
    const exec_t *x, uint64_t id, int64_t *pid, double *start_time, uint32_t *run);
/* The running jobs' ids, malloc'd (caller frees; NULL when there are none or
 * on ENOMEM with *count 0). */
uint64_t *exec_job_ids (const exec_t *x, uint32_t *count);

/* The path of the stdout or stderr file of the latest run of job id (it may
 * not exist). -1/ENOENT (no run known), ENAMETOOLONG. */
int exec_output_path (
    const exec_t *x, uint64_t id, log_stream_t stream, char *buf, size_t len);

#endif
