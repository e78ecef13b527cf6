/* exec_int.h: what exec.c (starting and killing jobs) and exec_end.c (how
 * jobs end, survivors of KILL, adoption after an agent restart) share: the
 * job runner's state. Not for anything outside the job runner.
 *
 * A job is known by id (by_id) from its start until its exit report has been
 * handed to the callback. While its shepherd is this process's child it is
 * also known by the shepherd's pid (by_shepherd, for SIGCHLD); a shepherd
 * adopted after an agent restart is watched through a pidfd in the epoll set
 * (or, without pidfd_open, by polling /proc once a second). A job whose
 * process has ended but whose process group still has members is ENDING: its
 * report waits until the group is empty or, at the end of the survival
 * window, goes out with survived_kill set.
 */
#ifndef CPHUB_AGENT_EXEC_INT_H
#define CPHUB_AGENT_EXEC_INT_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uthash.h>

#include "agent/exec.h"
#include "agent/jobdir.h"

/* The shortest time survivors of KILL are given before they count. */
#define EXEC_SURVIVE_MIN 1.0
/* First and largest interval between checks of an ENDING job's group. */
#define EXEC_GROUP_POLL_MIN 0.01
#define EXEC_GROUP_POLL_MAX 0.5
/* Interval of liveness checks of adopted shepherds without a pidfd. */
#define EXEC_ADOPT_POLL 1.0
/* Done runs (exec_sweep.c): where their markers are, under the records
 * directory, how many one tick looks at, and how long between passes. */
#define EXEC_DONE_DIR "done"
#define EXEC_SWEEP_BATCH 32
#define EXEC_SWEEP_INTERVAL 1.0
/* At most this many directories are given to rm per step, and the next
 * step waits EXEC_SWEEP_PAUSE: runs that expire together do not start a
 * crowd of processes at once. */
#define EXEC_SWEEP_REMOVE_MAX 8
#define EXEC_SWEEP_PAUSE 0.25
/* A pass that finds less than 1/EXEC_SWEEP_LOW_SPACE of the jobs' file
 * system free (blocks or inodes) removes every done run's directory, not
 * only those past keep_job_dirs: a job that filled the disk must not leave
 * the node unable to start jobs until its directory expires. */
#define EXEC_SWEEP_LOW_SPACE 20
/* Rounds of KILL (10 ms apart) for what is left in a job's cgroups when
 * the agent finds them without a shepherd. */
#define EXEC_CGROUP_KILL_ROUNDS 100

typedef enum { EXEC_JOB_RUNNING = 0, EXEC_JOB_ENDING } exec_phase_t;

typedef struct exec_job {
    uint64_t id;
    uint32_t run;            /* the scheduler's number of this run; 0: not given */
    pid_t pid;               /* the job's process and process group */
    pid_t shepherd;          /* 0 once the shepherd is no longer watched */
    uint64_t shepherd_start; /* adopted: its start time, for polling */
    int pidfd;               /* adopted shepherd's pidfd, -1 if none */
    bool child;              /* the shepherd is in by_shepherd */
    bool adopted;            /* found running by exec_recover() */
    double start_time;       /* epoch seconds */
    int64_t walltime;        /* seconds, 0 = none */
    double walltime_at;      /* monotonic seconds; 0 = none (or passed) */
    double kill_at;          /* KILL due; 0 = none */
    double killed_at;        /* KILL sent; 0 = not yet */
    double poll_at;          /* next group check (ENDING) or liveness check */
    double survive_until;    /* ENDING: when members left count as survivors */
    double poll_step;
    bool cancelled;
    bool timed_out;
    exec_phase_t phase;
    msg_job_exit_t exit;        /* ENDING: the report to send */
    UT_hash_handle hh;          /* by id */
    UT_hash_handle hh_shepherd; /* by shepherd pid, children only */
} exec_job_t;

struct exec {
    const topo_t *topo;
    char *jobs_dir; /* the runs' working directories, <id>.<token> */
    char *runs_dir; /* the agent's records, <id>/ (mode 0700) */
    char *done_dir; /* runs_dir/done: markers of done runs */
    int64_t keep_job_dirs;
    uint64_t max_output;
    DIR *sweep; /* the pass over done_dir in progress, NULL between passes */
    double sweep_at;
    bool sweep_low; /* this pass found the jobs' file system nearly full */
    char *node;
    int64_t kill_grace;
    exec_exit_f cb;
    void *arg;
    exec_probe_f group_alive;
    void *probe_arg;
    int sigfd;
    int epfd; /* the signalfd and adopted shepherds' pidfds */
    char *home;
    char *user;
    /* isolation, as exec_config_t has it (borrowed) */
    const privsep_map_t *users;
    bool switch_user;
    const cgroup_layout_t *cgroups;
    int64_t pids_max;
    const cgroup_device_t *gpu_devices;
    size_t ngpu_devices;
    exec_job_t *by_id;
    exec_job_t *by_shepherd;
};

/* The job's records directory <runs_dir>/<id> into buf; -1/ENAMETOOLONG. */
int exec_records_dir (const exec_t *x, uint64_t id, char *buf, size_t len);
exec_job_t *exec_job_find (const exec_t *x, uint64_t id);
/* Signal the job's process group (its process if the group is gone). */
void exec_job_signal (const exec_job_t *job, int sig);
/* TERM now, KILL after the grace period. */
void exec_job_terminate (const exec_t *x, exec_job_t *job, double now);
/* Stop watching the job's shepherd (by_shepherd, pidfd). */
void exec_job_unwatch (exec_t *x, exec_job_t *job);
/* Forget the job without a report (its memory is freed). */
void exec_job_forget (exec_t *x, exec_job_t *job);
/* The job reached its wall-time limit: TERM, and KILL after the grace. */
void exec_job_timeout (exec_t *x, exec_job_t *job, double now);

/* exec_sweep.c. The run <id>.<token> is done: remove its directory now
 * (keep_job_dirs 0) or mark it for the sweep. */
void exec_run_done (const exec_t *x, const char *name);
/* Remove the run's working directory (in a child process) and its records
 * if no newer run of the id has them. */
void exec_run_remove (const exec_t *x, const char *name);
/* A bounded step of the sweep of done runs, when due. */
void exec_sweep (exec_t *x, double now);
/* When the sweep is due next (monotonic), 0: never. */
double exec_sweep_next (const exec_t *x);
void exec_sweep_stop (exec_t *x);

#endif
