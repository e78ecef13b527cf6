/* shepherd.c: the per-job shepherd process (shepherd.h): fork it, start the
 * job from it, wait for the job, record its end.
 *
 * The agent side is shepherd_spawn(): a close-on-exec pipe, a fork, and a
 * read of fixed-size records until the pipe is closed by every writer (the
 * shepherd closes its end once it has sent the job's pid, the job's process
 * when its execve succeeds). The shepherd side runs in the forked child and,
 * but for the caller's binding, uses only system calls and jobdir.c's
 * hand-made formatting: the agent has ZeroMQ threads, and only
 * async-signal-safe work is sure to run in a child of a threaded process.
 */
#include "agent/shepherd.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/jobdir.h"
#include "cphub/clock.h"

/* The report pipe's end in the shepherd and the job's process, and the
 * shepherd's own copies of the job's output files (for their sizes). */
#define REPORT_FD 3
#define OUT_FD 4
#define ERR_FD 5

typedef enum { REPORT_STARTED = 1, REPORT_FAILED = 2 } report_kind_t;

/* One record on the report pipe (smaller than PIPE_BUF: written whole). */
typedef struct report {
    int32_t kind;
    int32_t err;   /* REPORT_FAILED */
    int32_t stage; /* REPORT_FAILED */
    int32_t pid;   /* REPORT_STARTED */
    int64_t start_sec;
    int64_t start_nsec;
} report_t;

/* ---- in the shepherd and the job's process ------------------------------- */

static void report_send (int fd, const report_t *r)
{
    ssize_t n;

    do
        n = write (fd, r, sizeof (*r));
    while (n < 0 && errno == EINTR);
}

static _Noreturn void fail_to (int fd, shepherd_stage_t stage)
{
    report_t r = {.kind = REPORT_FAILED, .err = errno, .stage = (int32_t)stage};

    report_send (fd, &r);
    _exit (127);
}

_Noreturn void shepherd_fail (shepherd_stage_t stage)
{
    fail_to (REPORT_FD, stage);
}

/* Close every descriptor from first on. */
static void close_from (int first)
{
#ifdef SYS_close_range
    if (syscall (SYS_close_range, (unsigned)first, ~0U, 0U) == 0)
        return;
#endif
    long max = sysconf (_SC_OPEN_MAX);
    for (long fd = first; fd < (max > 0 ? max : 1024); fd++)
        close ((int)fd);
}

/* stdio = the job's files, the report pipe = REPORT_FD (close-on-exec),
 * nothing else open. */
static int shepherd_fds (const shepherd_launch_t *l, int report)
{
    if (dup2 (l->fd_in, 0) < 0 || dup2 (l->fd_out, 1) < 0 || dup2 (l->fd_err, 2) < 0)
        return -1;
    if (report != REPORT_FD && dup3 (report, REPORT_FD, O_CLOEXEC) < 0)
        return -1;
    if (dup3 (1, OUT_FD, O_CLOEXEC) < 0 || dup3 (2, ERR_FD, O_CLOEXEC) < 0)
        return -1;
    close_from (ERR_FD + 1);
    return 0;
}

/* In the job's process, in a new PID namespace: a /proc of that namespace,
 * in a mount namespace of its own (mounts do not propagate back). Failing
 * that the job sees the node's /proc, as it would without a namespace. */
static void private_proc (void)
{
    if (unshare (CLONE_NEWNS) < 0)
        return;
    if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return;
    mount ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

/* The init of the job's PID namespace: reap whatever is orphaned in it
 * until the shepherd KILLs it (which ends the namespace and everything in
 * it), or the shepherd dies. */
static _Noreturn void ns_init (void)
{
    sigset_t chld;

    close_from (0); /* the report pipe first: the agent waits for its end */
    prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (chdir ("/") < 0) /* keeps no job directory busy */
        _exit (1);
    prctl (PR_SET_NAME, "cphub-jobinit", 0, 0, 0);
    sigemptyset (&chld);
    sigaddset (&chld, SIGCHLD);
    for (;;) {
        while (waitpid (-1, NULL, 0) > 0 || errno == EINTR)
            ;
        sigwaitinfo (&chld, NULL);
    }
}

/* Make the job's PID namespace and its init: the init's pid, 0 when the
 * job runs without one. */
__attribute__ ((noinline)) static pid_t ns_make (const shepherd_launch_t *l)
{
    pid_t init;

    if (!l->pid_ns || unshare (CLONE_NEWPID) < 0)
        return 0;
    if ((init = fork ()) < 0)
        shepherd_fail (SHEPHERD_STAGE_FORK);
    if (init == 0)
        ns_init ();
    return init;
}

static _Noreturn void job_process (const shepherd_launch_t *l, bool ns)
{
    sigset_t none;

    for (int sig = 1; sig < NSIG; sig++)
        signal (sig, SIG_DFL);
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    if (setsid () < 0)
        shepherd_fail (SHEPHERD_STAGE_SESSION);
    if (ns)
        private_proc ();
    l->exec (l->arg);
    shepherd_fail (SHEPHERD_STAGE_EXEC);
}

static double epoch (const struct timespec *ts)
{
    return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

static double tv_seconds (const struct timeval *tv)
{
    return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* What the shepherd holds of a running job: its limits as deadlines. */
typedef struct watch {
    const shepherd_launch_t *l;
    pid_t job;
    double term_at;  /* wall time: TERM; 0 = none or done */
    double kill_at;  /* end of the grace: KILL; 0 = none */
    double check_at; /* next output size check; 0 = none */
    bool timed_out;
    bool output_over;
} watch_t;

static void kill_all (const watch_t *w)
{
    kill (-w->job, SIGKILL);
    if (w->l->cgroup)
        cgroup_job_kill (w->l->cgroup);
}

/* Whether stdout or stderr has reached the output limit. */
static bool output_full (const shepherd_launch_t *l)
{
    struct stat st;

    for (int fd = OUT_FD; fd <= ERR_FD; fd++)
        if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode) &&
            (uint64_t)st.st_size >= l->max_output)
            return true;
    return false;
}

static void earliest (double *next, double t)
{
    if (t > 0 && (*next == 0 || t < *next))
        *next = t;
}

/* Act on the deadlines that are due; the next one (monotonic), 0 if none. */
static double watch_tick (watch_t *w)
{
    double now = cphub_monotonic (), next = 0;

    if (w->term_at > 0 && now >= w->term_at) {
        w->term_at = 0;
        w->timed_out = true;
        kill (-w->job, SIGTERM);
        w->kill_at = now + (double)(w->l->kill_grace > 0 ? w->l->kill_grace : 0);
    }
    if (w->kill_at > 0 && now >= w->kill_at) {
        w->kill_at = 0;
        kill_all (w);
    }
    if (w->check_at > 0 && now >= w->check_at) {
        w->check_at = now + SHEPHERD_OUTPUT_POLL;
        if (output_full (w->l)) {
            w->output_over = true;
            w->check_at = 0;
            kill_all (w);
        }
    }
    earliest (&next, w->term_at);
    earliest (&next, w->kill_at);
    earliest (&next, w->check_at);
    return next;
}

/* Sleep until a child ends or the deadline next (0: none) passes. SIGCHLD
 * is blocked in the shepherd: one that came meanwhile is pending. */
static void watch_sleep (double next)
{
    sigset_t chld;
    struct timespec ts;
    double left = next - cphub_monotonic ();

    sigemptyset (&chld);
    sigaddset (&chld, SIGCHLD);
    if (next == 0) {
        sigwaitinfo (&chld, NULL);
        return;
    }
    if (left <= 0)
        return;
    ts.tv_sec = (time_t)left;
    ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
    sigtimedwait (&chld, NULL, &ts);
}

/* Wait for the job's process, holding its limits; orphans of the job that
 * come to the shepherd (it is their subreaper) are reaped on the way. When
 * the job's process has ended, and before it is reaped (so that its pid
 * cannot be reused yet), the rest of its process group is killed. */
static int wait_job (watch_t *w)
{
    pid_t job = w->job;
    int status = 0;

    for (;;) {
        siginfo_t si;

        memset (&si, 0, sizeof (si));
        if (waitid (P_ALL, 0, &si, WEXITED | WNOWAIT | WNOHANG) < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (si.si_pid == 0) {
            watch_sleep (watch_tick (w));
            continue;
        }
        if (si.si_pid != job) {
            while (waitpid (si.si_pid, NULL, 0) < 0 && errno == EINTR)
                ;
            continue;
        }
        kill (-job, SIGKILL);
        while (waitpid (job, &status, 0) < 0)
            if (errno != EINTR)
                return -1;
        while (waitpid (-1, NULL, WNOHANG) > 0)
            ;
        return status;
    }
}

/* The job's process has ended: KILL what is left in its cgroups (processes
 * that left its process group too) until they are empty, for about five
 * seconds at most, reaping those that were the shepherd's; then read the
 * OOM killer's count and remove the groups, and the agent's own groups if
 * the agent that started the job is gone (else it keeps them for its next
 * job). */
static uint64_t cgroup_end (const cgroup_job_t *cg, pid_t agent)
{
    struct timespec nap = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
    uint64_t oom;

    for (int round = 0; round < 500; round++) {
        int left = cgroup_job_kill (cg);
        while (waitpid (-1, NULL, WNOHANG) > 0)
            ;
        if (left <= 0)
            break;
        nanosleep (&nap, NULL);
    }
    oom = cgroup_job_oom_kills (cg);
    if (cgroup_job_remove (cg) == 0 && getppid () != agent)
        cgroup_job_release_bases (cg);
    return oom;
}

static _Noreturn void shepherd_main (const shepherd_launch_t *l, int report)
{
    report_t started = {.kind = REPORT_STARTED};
    watch_t w = {.l = l};
    jobdir_status_t st = {0};
    jobdir_pid_t rec = {0};
    jobdir_proc_t proc;
    struct timespec ts;
    struct rusage ru;
    sigset_t all;
    pid_t job, agent = getppid ();
    volatile pid_t init; /* vfork follows */
    int null;

    /* Only KILL and STOP reach the shepherd; the job resets its mask. */
    sigfillset (&all);
    sigprocmask (SIG_SETMASK, &all, NULL);
    if (setsid () < 0)
        fail_to (report, SHEPHERD_STAGE_SESSION);
    if (shepherd_fds (l, report) < 0)
        fail_to (report, SHEPHERD_STAGE_STDIO);
    signal (SIGCHLD, SIG_DFL); /* pending while blocked, never discarded */
    if (chdir (l->dir) < 0)
        shepherd_fail (SHEPHERD_STAGE_CHDIR);
    prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    /* Not "cphub-agent" to pgrep and pkill: stopping agents leaves jobs. */
    prctl (PR_SET_NAME, "cphub-shepherd", 0, 0, 0);
    if (l->bind)
        l->bind (l->arg);
    /* The shepherd waits until the job has executed (or failed to). */
    init = ns_make (l);
    if ((job = vfork ()) < 0)
        shepherd_fail (SHEPHERD_STAGE_FORK);
    if (job == 0)
        job_process (l, init > 0);
    /* The job has its cwd; the shepherd keeps no directory busy (if this
     * fails it merely stays in the job directory). */
    int moved = chdir ("/");
    (void)moved;

    clock_gettime (CLOCK_REALTIME, &ts);
    rec.pid = job;
    rec.proc_start = jobdir_proc_stat (job, &proc) == 0 ? proc.start : 0;
    rec.start_time = epoch (&ts);
    rec.walltime = l->walltime;
    w.job = job;
    if (l->walltime > 0)
        w.term_at = cphub_monotonic () + (double)l->walltime;
    if (l->max_output > 0)
        w.check_at = cphub_monotonic () + SHEPHERD_OUTPUT_POLL;
    rec.shepherd = getpid ();
    rec.shepherd_start = jobdir_proc_stat (getpid (), &proc) == 0 ? proc.start : 0;
    jobdir_pid_write (l->records, &rec);
    started.pid = job;
    started.start_sec = ts.tv_sec;
    started.start_nsec = ts.tv_nsec;
    report_send (REPORT_FD, &started);
    close (REPORT_FD);
    /* The job has its own copies of its output files. */
    if ((null = open ("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
        dup2 (null, 0);
        dup2 (null, 1);
        dup2 (null, 2);
        close (null);
    }

    st.status = wait_job (&w);
    if (init > 0) {
        /* the namespace ends with its init: whatever is left in it dies */
        kill (init, SIGKILL);
        while (waitpid (init, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    st.timed_out = w.timed_out;
    st.output_over = w.output_over ||
                     (l->max_output > 0 &&
                      (output_full (l) || (st.status >= 0 && WIFSIGNALED (st.status) &&
                                           WTERMSIG (st.status) == SIGXFSZ)));
    if (l->cgroup)
        st.oom_kills = cgroup_end (l->cgroup, agent);
    clock_gettime (CLOCK_REALTIME, &ts);
    st.end_time = epoch (&ts);
    if (getrusage (RUSAGE_CHILDREN, &ru) == 0) {
        st.cpu_time = tv_seconds (&ru.ru_utime) + tv_seconds (&ru.ru_stime);
        st.max_rss = (uint64_t)ru.ru_maxrss * 1024;
    }
    _exit (st.status >= 0 && jobdir_status_write (l->records, &st) == 0 ? 0 : 1);
}

/* ---- in the agent -------------------------------------------------------- */

bool shepherd_pid_ns_probe (void)
{
    int status = 0;
    pid_t pid;

    if (geteuid () != 0 || (pid = fork ()) < 0)
        return false;
    if (pid == 0)
        _exit (unshare (CLONE_NEWPID | CLONE_NEWNS) == 0 ? 0 : 1);
    while (waitpid (pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

static void reap (pid_t pid)
{
    while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

int shepherd_spawn (const shepherd_launch_t *l,
                    shepherd_started_t *out,
                    shepherd_stage_t *stage)
{
    report_t r, failed = {0};
    bool have_pid = false;
    int fds[2];
    pid_t pid;
    ssize_t n;

    memset (out, 0, sizeof (*out));
    *stage = SHEPHERD_STAGE_FORK;
    if (pipe2 (fds, O_CLOEXEC) < 0)
        return -1;
    if ((pid = fork ()) < 0) {
        int saved = errno;
        close (fds[0]);
        close (fds[1]);
        errno = saved;
        return -1;
    }
    if (pid == 0) {
        close (fds[0]);
        shepherd_main (l, fds[1]);
    }
    close (fds[1]);
    out->shepherd = pid;
    for (;;) {
        n = read (fds[0], &r, sizeof (r));
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof (r))
            break; /* EOF: every writer is gone */
        if (r.kind == REPORT_STARTED) {
            have_pid = true;
            out->pid = r.pid;
            out->start_time = (double)r.start_sec + (double)r.start_nsec / 1e9;
        } else if (r.kind == REPORT_FAILED && !failed.kind) {
            failed = r;
        }
    }
    close (fds[0]);
    if (have_pid && !failed.kind)
        return 0;
    /* The job did not start: the shepherd ends once it has reaped it. */
    reap (pid);
    jobdir_remove (l->records, JOBDIR_PID);
    jobdir_remove (l->records, JOBDIR_STATUS);
    if (failed.kind) {
        *stage = failed.stage >= 0 && failed.stage < SHEPHERD_STAGE_COUNT
                     ? (shepherd_stage_t)failed.stage
                     : SHEPHERD_STAGE_EXEC;
        errno = failed.err;
    } else {
        *stage = SHEPHERD_STAGE_LOST;
        errno = EIO;
    }
    return -1;
}
