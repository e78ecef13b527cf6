/* exec_end.c: how the jobs of this node end: shepherds reaped or seen gone,
 * exit reports made from the status their shepherds recorded, processes
 * that outlive KILL, deadlines, and the adoption of jobs after an agent
 * restart (exec.h, exec_int.h).
 *
 * Every report goes through job_report(), which saves it as the job's exit
 * record, removes the pid file and only then calls the callback: what the
 * agent reports is on disk until the scheduler acknowledges it
 * (exec_exit_ack). A record that cannot be saved (a disk a job filled)
 * does not change the report: the callback gets it from memory all the
 * same. The records live where jobs cannot write (runs/<id>); a job's
 * processes are found through its shepherd and its cgroups, so that an
 * agent restart kills what it cannot adopt. A job whose process group still has members
 * when its process has ended waits (ENDING) until the group is empty, checked at
 * doubling intervals, or until the survival window ends, when it is
 * reported with survived_kill.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/exec_int.h"
#include "cphub/clock.h"
#include "cphub/parse.h"

#define SURVIVED_TEXT "; a process of the job survived KILL"

static double survive_window (const exec_t *x)
{
    return (double)x->kill_grace > EXEC_SURVIVE_MIN ? (double)x->kill_grace
                                                    : EXEC_SURVIVE_MIN;
}

static bool group_alive (const exec_t *x, pid_t pgid)
{
    if (x->group_alive)
        return x->group_alive (pgid, x->probe_arg);
    return jobdir_group_alive (pgid);
}

static int pidfd_open_compat (pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall (SYS_pidfd_open, pid, 0U);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

void exec_job_unwatch (exec_t *x, exec_job_t *job)
{
    if (job->child) {
        HASH_DELETE (hh_shepherd, x->by_shepherd, job);
        job->child = false;
    }
    if (job->pidfd >= 0) {
        epoll_ctl (x->epfd, EPOLL_CTL_DEL, job->pidfd, NULL);
        close (job->pidfd);
        job->pidfd = -1;
    }
    job->shepherd = 0;
}

void exec_job_forget (exec_t *x, exec_job_t *job)
{
    exec_job_unwatch (x, job);
    HASH_DELETE (hh, x->by_id, job);
    free (job);
}

/* --- reports -------------------------------------------------------------- */

/* Save the report, drop the pid file, forget the job, call the callback. */
static void job_report (exec_t *x, exec_job_t *job, const msg_job_exit_t *e)
{
    msg_job_exit_t report = *e;
    char dir[PATH_MAX];

    report.run = job->run; /* so that the scheduler knows which run ended */

    if (exec_records_dir (x, job->id, dir, sizeof (dir)) == 0 &&
        jobdir_exit_write (dir, &report) == 0)
        jobdir_remove (dir, JOBDIR_PID);
    exec_job_forget (x, job);
    if (x->cb)
        x->cb (&report, x->arg);
}

static void add_survived (msg_job_exit_t *e)
{
    size_t len = strlen (e->text);

    e->survived_kill = true;
    if (len + sizeof (SURVIVED_TEXT) > sizeof (e->text))
        len = sizeof (e->text) - sizeof (SURVIVED_TEXT);
    memcpy (e->text + len, SURVIVED_TEXT, sizeof (SURVIVED_TEXT));
}

/* Kind and text of a job the agent killed. */
static void kill_text (const exec_job_t *job, msg_job_exit_t *e)
{
    char limit[32];

    if (job->timed_out) {
        e->kind = EXIT_TIMEOUT;
        format_duration (job->walltime, limit, sizeof (limit));
        snprintf (e->text, sizeof (e->text), "killed at its wall-time limit of %s",
                  limit);
    } else {
        e->kind = EXIT_CANCELLED;
        snprintf (e->text, sizeof (e->text), "cancelled");
    }
}

static void job_classify (const exec_t *x,
                          exec_job_t *job,
                          const jobdir_status_t *st,
                          msg_job_exit_t *e)
{
    char limit[32];

    /* The shepherd holds the wall time too: it may have ended the job while
     * no agent ran. */
    if (st->timed_out && !job->cancelled)
        job->timed_out = true;
    memset (e, 0, sizeof (*e));
    e->id = job->id;
    e->start_time = job->start_time;
    e->end_time = st->end_time;
    e->cpu_time = st->cpu_time;
    e->max_rss = st->max_rss;
    if (WIFEXITED (st->status))
        e->exit_code = WEXITSTATUS (st->status);
    else if (WIFSIGNALED (st->status))
        e->signal = WTERMSIG (st->status);
    if (job->timed_out || job->cancelled) {
        kill_text (job, e);
    } else if (st->output_over) {
        e->kind = EXIT_OUTPUT;
        format_size (x->max_output, limit, sizeof (limit));
        snprintf (e->text, sizeof (e->text), "output over %s limit",
                  x->max_output ? limit : "its");
    } else if (st->oom_kills > 0) {
        /* the OOM killer struck in the job's memory cgroup: the job's own
         * outcome (it used more than it asked for), not a node failure */
        e->kind = EXIT_OOM;
        snprintf (e->text, sizeof (e->text),
                  "out of memory: the kernel killed %" PRIu64
                  " process%s of the job at its memory limit",
                  st->oom_kills, st->oom_kills == 1 ? "" : "es");
    } else if (WIFSIGNALED (st->status)) {
        e->kind = EXIT_SIGNALED;
        snprintf (e->text, sizeof (e->text), "killed by signal %d (%s)", e->signal,
                  strsignal (e->signal));
    } else {
        e->kind = EXIT_EXITED;
        snprintf (e->text, sizeof (e->text), "exited with code %d", e->exit_code);
    }
}

/* The job's cgroups as the layout places them (ndirs 0: none in use). */
static void job_cgroup (const exec_t *x, uint64_t id, cgroup_job_t *cg)
{
    memset (cg, 0, sizeof (*cg));
    cg->mem_dir = -1;
    if (!x->cgroups)
        return;
    for (int c = 0; c < CGROUP_CTL_COUNT; c++) {
        char path[CGROUP_PATH_MAX];
        int i;

        if (cgroup_job_path (x->cgroups, (cgroup_ctl_t)c, id, path, sizeof (path)) < 0)
            continue;
        for (i = 0; i < cg->ndirs && strcmp (cg->dirs[i], path) != 0; i++)
            ;
        if (i == cg->ndirs)
            memcpy (cg->dirs[cg->ndirs++], path, sizeof (path));
        if (c == CGROUP_MEMORY) {
            cg->mem_dir = i;
            cg->mem_version = x->cgroups->version[c];
        }
    }
}

/* KILL every process in the job's cgroups, a few rounds at most; true when
 * some process was there. The groups are removed once empty. */
static bool job_cgroup_kill (const exec_t *x, uint64_t id)
{
    struct timespec nap = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
    cgroup_job_t cg;
    bool found = false;
    int left = 0;

    job_cgroup (x, id, &cg);
    if (cg.ndirs == 0)
        return false;
    for (int round = 0; round < EXEC_CGROUP_KILL_ROUNDS; round++) {
        if ((left = cgroup_job_kill (&cg)) <= 0)
            break;
        found = true;
        nanosleep (&nap, NULL);
    }
    if (left <= 0)
        cgroup_job_remove (&cg);
    return found;
}

/* The shepherd is gone without a status: kill what is left of the job (if
 * its process is still the one the pid file names, and whatever is in its
 * cgroups) and call it lost. */
static void job_lost (const exec_t *x,
                      const exec_job_t *job,
                      const char *dir,
                      msg_job_exit_t *e)
{
    jobdir_pid_t p;
    bool killed = false;

    if (jobdir_pid_read (dir, &p) == 0 && p.pid == job->pid &&
        jobdir_proc_is ((pid_t)p.pid, p.proc_start))
        killed = kill (-(pid_t)p.pid, SIGKILL) == 0;
    killed = job_cgroup_kill (x, job->id) || killed;
    memset (e, 0, sizeof (*e));
    e->id = job->id;
    e->kind = EXIT_LOST;
    e->start_time = job->start_time;
    e->end_time = clock_now ();
    snprintf (e->text, sizeof (e->text),
              "its shepherd ended without recording how the job ended%s",
              killed ? "; what was left of the job was killed" : "");
}

/* The shepherd is gone: report the job, or wait for its group to empty. */
static void job_end (exec_t *x, exec_job_t *job)
{
    char dir[PATH_MAX];
    jobdir_status_t st;
    msg_job_exit_t e;
    double now;

    exec_job_unwatch (x, job);
    if (exec_records_dir (x, job->id, dir, sizeof (dir)) == 0 &&
        jobdir_status_read (dir, &st) == 0)
        job_classify (x, job, &st, &e);
    else
        job_lost (x, job, dir, &e);
    if (!group_alive (x, job->pid)) {
        job_report (x, job, &e);
        return;
    }
    now = cphub_monotonic ();
    job->phase = EXEC_JOB_ENDING;
    job->exit = e;
    job->survive_until = now + survive_window (x);
    job->poll_step = EXEC_GROUP_POLL_MIN;
    job->poll_at = now + job->poll_step;
}

static void ending_check (exec_t *x, exec_job_t *job, double now)
{
    if (!group_alive (x, job->pid)) {
        job_report (x, job, &job->exit);
        return;
    }
    if (now >= job->survive_until) {
        exec_job_signal (job, SIGKILL);
        add_survived (&job->exit);
        job_report (x, job, &job->exit);
        return;
    }
    job->poll_step *= 2;
    if (job->poll_step > EXEC_GROUP_POLL_MAX)
        job->poll_step = EXEC_GROUP_POLL_MAX;
    job->poll_at = now + job->poll_step;
    if (job->poll_at > job->survive_until)
        job->poll_at = job->survive_until;
}

/* The job's own process outlived KILL: report it and stop watching it. */
static void survivor_report (exec_t *x, exec_job_t *job)
{
    msg_job_exit_t e = {
        .id = job->id,
        .start_time = job->start_time,
        .end_time = clock_now (),
        .signal = SIGKILL,
    };

    kill_text (job, &e);
    add_survived (&e);
    job_report (x, job, &e);
}

/* --- reaping and deadlines -------------------------------------------------- */

void exec_reap (exec_t *x)
{
    struct signalfd_siginfo si;
    struct epoll_event evs[32];
    int n;

    while (read (x->sigfd, &si, sizeof (si)) == (ssize_t)sizeof (si))
        ;
    for (;;) {
        exec_job_t *job = NULL;
        int status;
        pid_t pid = waitpid (-1, &status, WNOHANG);

        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0)
            break;
        HASH_FIND (hh_shepherd, x->by_shepherd, &pid, sizeof (pid), job);
        if (job)
            job_end (x, job);
    }
    do {
        n = epoll_wait (x->epfd, evs, 32, 0);
        for (int i = 0; i < n; i++)
            if (evs[i].data.ptr)
                job_end (x, evs[i].data.ptr);
    } while (n == 32);
}

static void earliest (double *next, double t)
{
    if (t > 0 && (*next == 0 || t < *next))
        *next = t;
}

int exec_timeout_ms (const exec_t *x)
{
    double now = cphub_monotonic (), next = 0, window = survive_window (x);
    const exec_job_t *job, *tmp;

    HASH_ITER (hh, x->by_id, job, tmp)
    {
        if (job->phase == EXEC_JOB_ENDING) {
            earliest (&next, job->poll_at);
            continue;
        }
        earliest (&next, job->walltime_at);
        earliest (&next, job->kill_at);
        if (job->killed_at > 0)
            earliest (&next, job->killed_at + window);
        if (job->adopted && job->pidfd < 0 && job->shepherd)
            earliest (&next, job->poll_at);
    }
    earliest (&next, exec_sweep_next (x));
    if (next == 0)
        return -1;
    if (next <= now)
        return 0;
    double ms = (next - now) * 1000.0 + 1.0;
    return ms > (double)INT32_MAX ? INT32_MAX : (int)ms;
}

void exec_tick (exec_t *x)
{
    double now = cphub_monotonic (), window = survive_window (x);
    exec_job_t *job, *tmp;

    exec_sweep (x, now);
    HASH_ITER (hh, x->by_id, job, tmp)
    {
        if (job->phase == EXEC_JOB_ENDING) {
            if (now >= job->poll_at)
                ending_check (x, job, now);
            continue;
        }
        if (job->kill_at > 0 && now >= job->kill_at) {
            exec_job_signal (job, SIGKILL);
            job->kill_at = 0;
            if (job->killed_at == 0)
                job->killed_at = now;
        }
        if (job->walltime_at > 0 && now >= job->walltime_at)
            exec_job_timeout (x, job, now);
        if (job->killed_at > 0 && now >= job->killed_at + window) {
            survivor_report (x, job);
            continue;
        }
        if (job->adopted && job->pidfd < 0 && job->shepherd && now >= job->poll_at) {
            if (jobdir_proc_is (job->shepherd, job->shepherd_start))
                job->poll_at = now + EXEC_ADOPT_POLL;
            else
                job_end (x, job);
        }
    }
}

/* --- after an agent restart ------------------------------------------------- */

/* Watch an adopted shepherd; -1 when it is not alive (or not the same). */
static int shepherd_adopt (exec_t *x, exec_job_t *job, const jobdir_pid_t *p)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = job};
    int fd = pidfd_open_compat ((pid_t)p->shepherd);

    if (fd < 0 && errno != ENOSYS)
        return -1;
    /* Checked after the pidfd is open: then the pidfd is this process. */
    if (!jobdir_proc_is ((pid_t)p->shepherd, p->shepherd_start)) {
        if (fd >= 0)
            close (fd);
        return -1;
    }
    if (fd >= 0 && epoll_ctl (x->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        close (fd);
        fd = -1;
    }
    job->pidfd = fd;
    job->shepherd = (pid_t)p->shepherd;
    job->shepherd_start = p->shepherd_start;
    job->adopted = true;
    job->poll_at = cphub_monotonic () + EXEC_ADOPT_POLL;
    return 0;
}

/* Report a record that cannot be read as a lost job. */
static void recover_unreadable (exec_t *x,
                                uint64_t id,
                                const char *dir,
                                const char *what)
{
    msg_job_exit_t e = {.id = id, .kind = EXIT_LOST};
    jobdir_run_t run;

    if (jobdir_run_read (dir, &run) == 0)
        e.run = run.run; /* the run it is about, when that much is readable */
    e.start_time = e.end_time = clock_now ();
    snprintf (e.text, sizeof (e.text), "the agent restarted and cannot read the %s",
              what);
    if (jobdir_exit_write (dir, &e) == 0)
        jobdir_remove (dir, JOBDIR_PID);
    if (x->cb)
        x->cb (&e, x->arg);
}

/* One job directory: 1 adopted, 2 reported, 0 nothing to do, -1 ENOMEM. */
static int recover_one (exec_t *x, uint64_t id)
{
    char dir[PATH_MAX];
    msg_job_exit_t e;
    jobdir_pid_t p;
    jobdir_run_t run;
    exec_job_t *job;
    double now = cphub_monotonic ();

    if (exec_job_find (x, id) || exec_records_dir (x, id, dir, sizeof (dir)) < 0)
        return 0;
    if (jobdir_exit_read (dir, &e) == 0 && e.id == id) {
        jobdir_remove (dir, JOBDIR_PID);
        if (x->cb)
            x->cb (&e, x->arg);
        return 2;
    }
    if (errno != ENOENT || e.id != 0) {
        recover_unreadable (x, id, dir, "saved exit report");
        return 2;
    }
    if (jobdir_pid_read (dir, &p) < 0) {
        if (errno == ENOENT)
            return 0;
        recover_unreadable (x, id, dir, "job's pid file");
        return 2;
    }
    if (!(job = calloc (1, sizeof (*job))))
        return -1;
    job->id = id;
    job->run = jobdir_run_read (dir, &run) == 0 ? run.run : 0;
    job->pid = (pid_t)p.pid;
    job->pidfd = -1;
    job->start_time = p.start_time;
    job->walltime = p.walltime > 0 ? p.walltime : 0;
    job->cancelled = p.kill == JOBDIR_KILL_CANCELLED;
    job->timed_out = p.kill == JOBDIR_KILL_TIMEOUT;
    HASH_ADD (hh, x->by_id, id, sizeof (job->id), job);
    if (shepherd_adopt (x, job, &p) < 0) {
        job_end (x, job);
        return 2;
    }
    if (job->cancelled || job->timed_out) {
        exec_job_terminate (x, job, now); /* the kill carries on */
    } else if (job->walltime > 0) {
        double left = job->start_time + (double)job->walltime - clock_now ();
        job->walltime_at = now + (left > 0 ? left : 0);
    }
    return 1;
}

/* Whether job id has a saved exit report (reported already). */
static bool recover_has_exit (const exec_t *x, uint64_t id)
{
    char dir[PATH_MAX];

    return exec_records_dir (x, id, dir, sizeof (dir)) == 0 &&
           jobdir_has (dir, JOBDIR_EXIT);
}

/* Processes in the cgroup of a job no record led to (records missing or
 * unreadable, a shepherd gone): killed, and the job reported lost, so that
 * it is never run again while an old process of it lives. How many were
 * reported. */
static uint32_t recover_cgroups (exec_t *x)
{
    uint32_t reported = 0;

    if (!x->cgroups)
        return 0;
    for (int c = 0; c < CGROUP_CTL_COUNT; c++) {
        struct dirent *de;
        DIR *d;

        if (!x->cgroups->version[c] || !(d = opendir (x->cgroups->base[c])))
            continue;
        while ((de = readdir (d))) {
            msg_job_exit_t e = {.kind = EXIT_LOST};
            char *end;
            unsigned long long id;

            if (strncmp (de->d_name, "job-", 4) != 0 || de->d_name[4] < '1' ||
                de->d_name[4] > '9')
                continue;
            errno = 0;
            id = strtoull (de->d_name + 4, &end, 10);
            if (errno || *end || exec_job_find (x, id) || !job_cgroup_kill (x, id) ||
                recover_has_exit (x, id))
                continue;
            e.id = id;
            e.start_time = e.end_time = clock_now ();
            snprintf (e.text, sizeof (e.text),
                      "the agent restarted and found processes of the job without "
                      "its records; they were killed");
            exec_exit_save (x, &e);
            if (x->cb)
                x->cb (&e, x->arg);
            reported++;
        }
        closedir (d);
    }
    return reported;
}

int exec_recover (exec_t *x, uint32_t *adopted, uint32_t *reported, cphub_error_t *err)
{
    uint32_t counts[3] = {0, 0, 0};
    struct dirent *de;
    DIR *d;

    if (!(d = opendir (x->runs_dir)))
        return cphub_fail (err, errno, "cannot read the records directory '%s': %s",
                           x->runs_dir, strerror (errno));
    while ((de = readdir (d))) {
        char *end;
        unsigned long long id;
        int rc;

        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        errno = 0;
        id = strtoull (de->d_name, &end, 10);
        if (errno || *end)
            continue;
        if ((rc = recover_one (x, id)) < 0) {
            closedir (d);
            return cphub_fail (err, ENOMEM, "out of memory recovering job %llu", id);
        }
        counts[rc]++;
    }
    closedir (d);
    counts[2] += recover_cgroups (x);
    if (adopted)
        *adopted = counts[1];
    if (reported)
        *reported = counts[2];
    return 0;
}

/* --- saved exit reports ------------------------------------------------------ */

int exec_exit_save (exec_t *x, const msg_job_exit_t *e)
{
    char dir[PATH_MAX];

    if (exec_records_dir (x, e->id, dir, sizeof (dir)) < 0)
        return -1;
    if (mkdir (dir, 0700) < 0 && errno != EEXIST)
        return -1;
    return jobdir_exit_write (dir, e);
}

bool exec_exit_saved (const exec_t *x, uint64_t id)
{
    char dir[PATH_MAX];

    return exec_records_dir (x, id, dir, sizeof (dir)) == 0 &&
           jobdir_has (dir, JOBDIR_EXIT);
}

void exec_exit_ack (exec_t *x, uint64_t id)
{
    char dir[PATH_MAX];
    jobdir_run_t run;

    if (exec_records_dir (x, id, dir, sizeof (dir)) < 0)
        return;
    jobdir_remove (dir, JOBDIR_EXIT);
    if (!exec_job_find (x, id) && jobdir_run_read (dir, &run) == 0)
        exec_run_done (x, run.name);
}
