/* shepherd.h: the small process that starts one job, waits for it and records
 * how it ended, so that a job outlives the agent that started it.
 *
 * shepherd_spawn() forks the shepherd from the agent. The shepherd leaves the
 * agent's session (setsid), blocks every signal but KILL and STOP, keeps only
 * the job's stdio and a report pipe, enters the job directory, becomes the
 * child subreaper of the job's processes, applies the caller's binding
 * (which the job inherits) and starts the job with vfork, so that the job's
 * process costs no copy of the agent's memory map; the job makes its own
 * session (so the job is one process group, pgid = its pid) and calls the
 * caller's exec function, which may only make system calls. The shepherd
 * writes the pid record (jobdir.h, in the agent's records directory) before it tells
 * the agent the job's pid, then waits. When the job's process ends it kills what is
 * left of the job's process group, reaps the process with its rusage, writes
 * the status file and exits. It never execs a binary of its own and, but
 * for the caller's binding (hwloc, as any forked child of the agent did
 * before), makes only system calls after the fork, so it is safe to fork
 * from the threaded agent. Nothing ties it to the agent: when the agent
 * dies, the shepherd and its job run on and a new agent adopts them from
 * the pid file.
 *
 * The report pipe tells the agent the job's pid once the command has been
 * executed, or the errno and stage at which the start failed (from the
 * shepherd or from the job's process), so that a failed start is an error
 * with a clear text rather than a job that exits 127.
 */
#ifndef CPHUB_AGENT_SHEPHERD_H
#define CPHUB_AGENT_SHEPHERD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/cgroup.h"

/* Seconds between the shepherd's checks of the job's output sizes. */
#define SHEPHERD_OUTPUT_POLL 1.0

/* Where a start failed. */
typedef enum {
    SHEPHERD_STAGE_FORK = 0, /* forking the shepherd or the job */
    SHEPHERD_STAGE_SESSION,
    SHEPHERD_STAGE_STDIO,
    SHEPHERD_STAGE_CHDIR,
    SHEPHERD_STAGE_CPUBIND,
    SHEPHERD_STAGE_MEMBIND,
    SHEPHERD_STAGE_EXEC,
    SHEPHERD_STAGE_LOST,   /* the shepherd ended without saying why */
    SHEPHERD_STAGE_CGROUP, /* joining the job's cgroups */
    SHEPHERD_STAGE_USER,   /* switching to the tenant's user */
    SHEPHERD_STAGE_LIMIT,  /* setting the output limit */
    SHEPHERD_STAGE_COUNT
} shepherd_stage_t;

/* bind runs in the shepherd before the job's process is made (cwd the job
 * directory, stdio in place): apply CPU and memory binding, or
 * shepherd_fail(). exec runs in the job's process, a vfork child that
 * shares the shepherd's memory (its session made, signals reset): execute,
 * or shepherd_fail(); only system calls, no malloc. */
typedef void (*shepherd_exec_f) (void *arg);

typedef struct shepherd_launch {
    const char *dir;     /* absolute job directory: the job's cwd */
    const char *records; /* absolute records directory: pid and status */
    int fd_in, fd_out, fd_err;
    /* Recorded in the pid file and held by the shepherd itself, so that no
     * agent restart and no lost record can stretch it: at the wall time it
     * sends TERM to the job's process group, kill_grace seconds later KILL
     * to it and to its cgroups, and records in the status file that it did. */
    int64_t walltime;
    int64_t kill_grace;
    /* Bytes each of fd_out and fd_err may reach (0: no limit). The job's
     * process gets it as RLIMIT_FSIZE (a write past it raises SIGXFSZ);
     * the shepherd checks both files every SHEPHERD_OUTPUT_POLL seconds and
     * KILLs the job when one has reached it, and records that it did. */
    uint64_t max_output;
    /* Run the job in a PID namespace of its own (the agent is root): the
     * shepherd makes the namespace and forks its init, a process that only
     * reaps (pid 1, killed with the namespace when the job ends, so that
     * nothing of the job outlives it); the job's process, pid 2 in it,
     * stays the shepherd's child as before, and mounts a private /proc in
     * a mount namespace of its own, so that it sees only its own
     * processes. When the kernel refuses, the job runs without (silently). */
    bool pid_ns;
    shepherd_exec_f bind; /* may be NULL */
    shepherd_exec_f exec;
    void *arg;
    /* The job's cgroups, NULL if none. When the job's process has
     * ended the shepherd kills what is left in them, records in the status
     * file how many processes the OOM killer took, and removes them. */
    const cgroup_job_t *cgroup;
} shepherd_launch_t;

typedef struct shepherd_started {
    pid_t shepherd;
    pid_t pid;         /* the job's process and process group */
    double start_time; /* epoch seconds, as in the pid file */
} shepherd_started_t;

/* Fork the shepherd and wait until the job has executed its command: 0 and
 * *out. -1 when it could not start, with errno (the failing call's) and
 * *stage; the shepherd is then reaped and the pid and status files are
 * removed. The caller's descriptors stay open. */
int shepherd_spawn (const shepherd_launch_t *l,
                    shepherd_started_t *out,
                    shepherd_stage_t *stage);

/* Whether jobs can run in PID namespaces of their own here: the agent is
 * root and the kernel lets a child make one (a container may not). Forks a
 * short-lived child; call before any thread exists. */
bool shepherd_pid_ns_probe (void);

/* In the shepherd or the job's process: report errno and stage to the agent
 * and _exit(127). */
_Noreturn void shepherd_fail (shepherd_stage_t stage);

#endif
