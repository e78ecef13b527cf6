/* jobdir.h: the agent's records of a job, which let a restarted agent find
 * its jobs again, and what /proc says about their processes.
 *
 * The records of job <id> live in <state_dir>/runs/<id>/ (mode 0700, the
 * agent's user's), never in the job's working directory
 * <state_dir>/jobs/<id>.<token>/, which belongs to the job: nothing a job can
 * write decides what the agent records. Four small text files of "key value"
 * lines, each written whole to NAME.tmp and renamed over NAME, so that a
 * reader sees the old record or the new one:
 *   run     the name "<id>.<token>" of the run's working directory under
 *           jobs/, written before the run starts (logs are read from there
 *           as long as the directory is kept), and the scheduler's number
 *           of the run ("run 2"), which every report on the run echoes;
 *   pid     written by the job's shepherd (shepherd.c) as soon as the job's
 *           process exists, before the agent reports the job started; the
 *           agent appends "kill cancelled" or "kill timeout" when it starts
 *           to kill the job, and removes the file once the job's exit
 *           report is on disk:
 *               pid 1234              the job's process and process group
 *               proc_start 987654     field 22 of /proc/1234/stat (pid reuse)
 *               start_time 1732665600.123456
 *               walltime 3600
 *               dir /abs/state/runs/7
 *               shepherd 1233
 *               shepherd_start 987650
 *   status  written by the shepherd when the job's process has ended: the
 *           wait status, the end time, CPU time, peak memory, and whether
 *           the shepherd itself ended the job at its wall time or its
 *           output went over the limit;
 *   exit    the exit report (msg_job_exit_t) the agent sends, kept until the
 *           scheduler acknowledges it (job.exit.ack), then removed.
 * A job can fill the disk its records are on: before a run starts,
 * jobdir_reserve() sets aside room for its pid, status and exit records as
 * NAME.tmp files, which the writers fill in place. Readers still take only a
 * regular file with one link owned by the agent's user (else EPROTO).
 * The writers used by the shepherd (jobdir_pid_write, jobdir_status_write,
 * jobdir_proc_stat) only make system calls and format numbers by hand, so
 * they are safe between fork and exit in a child of a threaded agent.
 */
#ifndef CPHUB_AGENT_JOBDIR_H
#define CPHUB_AGENT_JOBDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cphub/msg.h"

/* How a kill the agent started is to be reported if the agent restarts. */
typedef enum {
    JOBDIR_KILL_NONE = 0,
    JOBDIR_KILL_CANCELLED,
    JOBDIR_KILL_TIMEOUT,
    JOBDIR_KILL_COUNT
} jobdir_kill_t;

typedef struct jobdir_pid {
    int64_t pid;             /* the job's process, leader of its group */
    uint64_t proc_start;     /* its start in clock ticks since boot */
    double start_time;       /* epoch seconds */
    int64_t walltime;        /* seconds, 0 = none */
    int64_t shepherd;        /* the shepherd's pid */
    uint64_t shepherd_start; /* its start in clock ticks since boot */
    jobdir_kill_t kill;
} jobdir_pid_t;

typedef struct jobdir_status {
    int status;         /* as from wait4() */
    double end_time;    /* epoch seconds */
    double cpu_time;    /* user + system seconds */
    uint64_t max_rss;   /* bytes */
    uint64_t oom_kills; /* processes the OOM killer took in its cgroup */
    bool timed_out;     /* the shepherd ended the job at its wall time */
    bool output_over;   /* the job wrote past its output limit */
} jobdir_status_t;

/* The random part of a run's name: 16 hex digits (64 bits). */
#define JOBDIR_TOKEN_LEN 16
/* "<id>.<token>" with its NUL. */
#define JOBDIR_RUN_NAME_MAX (20 + 1 + JOBDIR_TOKEN_LEN + 1)
/* Bytes set aside for each record (every record is well under this). */
#define JOBDIR_RESERVE 1024

typedef struct jobdir_run {
    char name[JOBDIR_RUN_NAME_MAX]; /* "<id>.<token>" */
    uint32_t run; /* the scheduler's number of this start; 0: not given */
} jobdir_run_t;

/* What /proc/PID/stat says: state ('R', 'S', 'Z', ...), process group and
 * start time (clock ticks since boot). */
typedef struct jobdir_proc {
    char state;
    int64_t pgrp;
    uint64_t start;
} jobdir_proc_t;

/* File names inside a job directory. */
#define JOBDIR_PID "pid"
#define JOBDIR_STATUS "status"
#define JOBDIR_EXIT "exit"
#define JOBDIR_RUN "run"

/* Read /proc/PID/stat. 0, or -1 with errno (ENOENT: no such process). */
int jobdir_proc_stat (pid_t pid, jobdir_proc_t *out);
/* True when the process is alive (not a zombie) and started at start. */
bool jobdir_proc_is (pid_t pid, uint64_t start);
/* True when some process of group pgid exists that is not a zombie (or one
 * exists that this agent may not signal). */
bool jobdir_group_alive (pid_t pgid);

/* Write the pid file of dir (an absolute path) atomically. 0, -1/errno. */
int jobdir_pid_write (const char *dir, const jobdir_pid_t *p);
/* Append "kill KIND" to the pid file. 0, -1/errno (ENOENT: no pid file). */
int jobdir_pid_kill (const char *dir, jobdir_kill_t kind);
/* Write the status file atomically. 0, -1/errno. */
int jobdir_status_write (const char *dir, const jobdir_status_t *s);
/* Write the exit report atomically (newlines in its text become spaces). */
int jobdir_exit_write (const char *dir, const msg_job_exit_t *e);

/* Write the run record (the name of the run's working directory and the
 * scheduler's run number, 0: not given). 0, -1/errno (EINVAL: not
 * "<id>.<token>"). */
int jobdir_run_write (const char *dir, const char *name, uint32_t run);
/* Set aside room for the pid, status and exit records of dir. 0, -1/errno. */
int jobdir_reserve (const char *dir);
/* True when name is "<id>.<16 hex digits>" (id without leading zeros). */
bool jobdir_run_name_valid (const char *name);

/* Read a record. 0, or -1 with errno: ENOENT (no such file), EPROTO (a line
 * that is not a known key with a valid value, or a required key missing). */
int jobdir_pid_read (const char *dir, jobdir_pid_t *p);
int jobdir_status_read (const char *dir, jobdir_status_t *s);
int jobdir_exit_read (const char *dir, msg_job_exit_t *e);
int jobdir_run_read (const char *dir, jobdir_run_t *r);

/* Remove dir/name; 0 when it is gone (also when it was never there). */
int jobdir_remove (const char *dir, const char *name);
/* True when dir/name exists. */
bool jobdir_has (const char *dir, const char *name);

#endif
