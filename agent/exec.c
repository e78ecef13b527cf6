/* exec.c: the process side of cphub-agent: fork, bind, execute, time, kill
 * and reap the jobs of this node.
 *
 * exec_start() prepares everything the child needs in the parent (job
 * directory, script, output files, environment, hwloc cpuset and nodeset),
 * forks, and waits on a close-on-exec pipe until the child has executed the
 * command or reported the errno and stage at which it failed. The child only
 * makes system calls: new session, stdio, cwd, binding (real topologies only),
 * exec. Running jobs live in two uthash tables (by job id and by pid); a
 * SIGCHLD signalfd tells the loop when to reap them with wait4(), which also
 * yields their CPU time and peak memory. Wall-time limits and kill grace
 * periods are monotonic deadlines checked by exec_tick().
 */
#include "agent/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <hwloc.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

#include "cphub/jobspec.h"
#include "cphub/parse.h"

extern char **environ;

#define EXEC_ENV_MAX 16

/* Where a child stopped on its way to exec. */
typedef enum {
    STAGE_SESSION = 0,
    STAGE_STDIO,
    STAGE_CHDIR,
    STAGE_CPUBIND,
    STAGE_MEMBIND,
    STAGE_EXEC,
    STAGE_COUNT
} child_stage_t;

static const char *const stage_text[STAGE_COUNT] = {
    [STAGE_SESSION] = "start a new session",
    [STAGE_STDIO] = "redirect the job's input and output",
    [STAGE_CHDIR] = "enter the job directory",
    [STAGE_CPUBIND] = "bind to cpus",
    [STAGE_MEMBIND] = "bind memory to NUMA domains",
    [STAGE_EXEC] = "execute",
};

/* What a failing child writes to the pipe. */
typedef struct child_report {
    int err;
    int stage;
} child_report_t;

typedef struct exec_job {
    uint64_t id;
    pid_t pid;
    double start_time;  /* epoch seconds */
    int64_t walltime;   /* seconds, 0 = none */
    double walltime_at; /* monotonic seconds; 0 = none (or passed) */
    double kill_at;     /* monotonic seconds; 0 = none */
    bool cancelled;
    bool timed_out;
    UT_hash_handle hh;     /* by id */
    UT_hash_handle hh_pid; /* by pid */
} exec_job_t;

struct exec {
    const topo_t *topo;
    char *jobs_dir;
    char *node;
    int64_t kill_grace;
    exec_exit_f cb;
    void *arg;
    int sigfd;
    char *home;
    char *user;
    exec_job_t *by_id;
    exec_job_t *by_pid;
};

/* Everything the child needs, prepared by the parent. */
typedef struct launch {
    char dir[PATH_MAX - 32]; /* room left for "/stdout", "/pid.tmp" */
    char script[PATH_MAX];   /* "" when the job is a command */
    char *const *argv;
    char *script_argv[2];
    char *env[EXEC_ENV_MAX + 1];
    int nenv;
    hwloc_bitmap_t cpuset;  /* NULL: do not bind cpus */
    hwloc_bitmap_t nodeset; /* NULL: do not bind memory */
    int fd_in, fd_out, fd_err;
    int pipe[2];
} launch_t;

static double mono_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int mkdir_p (const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    size_t len = strlen (path);

    if (len == 0 || len >= sizeof (buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy (buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir (buf, mode) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir (buf, mode) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* Make sure descriptors 0-2 are open, so that files the agent opens never
 * take those numbers (the child's dup2 onto 0-2 relies on it). */
static void stdio_guard (void)
{
    int fd;
    while ((fd = open ("/dev/null", O_RDWR)) >= 0 && fd <= 2)
        ;
    if (fd > 2)
        close (fd);
}

exec_t *exec_create (const exec_config_t *cfg,
                     const topo_t *topo,
                     exec_exit_f cb,
                     void *arg,
                     cphub_error_t *err)
{
    exec_t *x = NULL;
    char path[PATH_MAX];
    char *abs = NULL;
    struct passwd *pw;
    sigset_t chld;
    int saved;

    stdio_guard ();
    if (!(x = calloc (1, sizeof (*x)))) {
        cphub_fail (err, ENOMEM, "out of memory");
        return NULL;
    }
    x->sigfd = -1;
    x->topo = topo;
    x->cb = cb;
    x->arg = arg;
    x->kill_grace = cfg->kill_grace;
    if (snprintf (path, sizeof (path), "%s/jobs", cfg->state_dir) >=
        (int)sizeof (path)) {
        cphub_fail (err, ENAMETOOLONG, "state_dir '%s' is too long", cfg->state_dir);
        goto error;
    }
    if (mkdir_p (path, 0700) < 0 || !(abs = realpath (path, NULL))) {
        cphub_fail (err, errno, "cannot create the job directory '%s': %s", path,
                    strerror (errno));
        goto error;
    }
    x->jobs_dir = abs;
    pw = getpwuid (getuid ());
    x->home = strdup (pw && pw->pw_dir ? pw->pw_dir : "/");
    x->user = pw && pw->pw_name ? strdup (pw->pw_name) : NULL;
    if (!x->user && asprintf (&x->user, "%u", (unsigned)getuid ()) < 0)
        x->user = NULL;
    x->node = strdup (cfg->node ? cfg->node : "");
    if (!x->home || !x->user || !x->node) {
        cphub_fail (err, ENOMEM, "out of memory");
        goto error;
    }
    sigemptyset (&chld);
    sigaddset (&chld, SIGCHLD);
    if (sigprocmask (SIG_BLOCK, &chld, NULL) < 0 ||
        (x->sigfd = signalfd (-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
        cphub_fail (err, errno, "cannot watch for ended jobs (signalfd): %s",
                    strerror (errno));
        goto error;
    }
    return x;
error:
    saved = errno;
    exec_destroy (x);
    errno = saved;
    return NULL;
}

void exec_destroy (exec_t *x)
{
    exec_job_t *job, *tmp;

    if (!x)
        return;
    HASH_ITER (hh, x->by_id, job, tmp)
    {
        HASH_DELETE (hh, x->by_id, job);
        HASH_DELETE (hh_pid, x->by_pid, job);
        free (job);
    }
    if (x->sigfd >= 0)
        close (x->sigfd);
    free (x->jobs_dir);
    free (x->node);
    free (x->home);
    free (x->user);
    free (x);
}

const char *exec_jobs_dir (const exec_t *x)
{
    return x->jobs_dir;
}

int exec_fd (const exec_t *x)
{
    return x->sigfd;
}

static exec_job_t *job_find (const exec_t *x, uint64_t id)
{
    exec_job_t *job = NULL;
    HASH_FIND (hh, x->by_id, &id, sizeof (id), job);
    return job;
}

/* --- preparing a launch (parent) ----------------------------------------- */

static int env_add (launch_t *l, const char *name, const char *value)
{
    if (l->nenv >= EXEC_ENV_MAX) {
        errno = E2BIG;
        return -1;
    }
    if (asprintf (&l->env[l->nenv], "%s=%s", name, value) < 0) {
        l->env[l->nenv] = NULL;
        errno = ENOMEM;
        return -1;
    }
    l->nenv++;
    return 0;
}

static int launch_env (const exec_t *x,
                       const msg_job_run_t *run,
                       launch_t *l,
                       cphub_error_t *err)
{
    char id[24], ntasks[16], cpt[16], name[JOBSPEC_NAME_MAX + 1];

    snprintf (id, sizeof (id), "%" PRIu64, run->id);
    snprintf (ntasks, sizeof (ntasks), "%" PRIu32, run->spec.ntasks);
    snprintf (cpt, sizeof (cpt), "%" PRIu32, run->spec.cpus_per_task);
    if (run->spec.name[0])
        snprintf (name, sizeof (name), "%s", run->spec.name);
    else
        jobspec_command_summary (&run->spec, name, sizeof (name));
    if (env_add (l, "PATH", "/usr/local/bin:/usr/bin:/bin") < 0 ||
        env_add (l, "HOME", x->home) < 0 || env_add (l, "USER", x->user) < 0 ||
        env_add (l, "LANG", "C.UTF-8") < 0 || env_add (l, "CPHUB_JOB_ID", id) < 0 ||
        env_add (l, "CPHUB_JOB_NAME", name) < 0 ||
        env_add (l, "CPHUB_NODE", x->node) < 0 ||
        env_add (l, "CPHUB_CPUS", run->cpus) < 0 ||
        env_add (l, "CPHUB_NTASKS", ntasks) < 0 ||
        env_add (l, "CPHUB_CPUS_PER_TASK", cpt) < 0 ||
        env_add (l, "CPHUB_TENANT", run->tenant) < 0 ||
        (run->gpus[0] && env_add (l, "CUDA_VISIBLE_DEVICES", run->gpus) < 0))
        return cphub_fail (err, errno, "cannot build the job environment: %s",
                           strerror (errno));
    l->env[l->nenv] = NULL;
    return 0;
}

static int open_output (const launch_t *l, const char *name, cphub_error_t *err)
{
    char path[PATH_MAX];
    int fd;

    snprintf (path, sizeof (path), "%s/%s", l->dir, name);
    fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        cphub_fail (err, errno, "cannot create '%s': %s", path, strerror (errno));
    return fd;
}

static int write_script (launch_t *l, const char *text, cphub_error_t *err)
{
    size_t len = strlen (text), done = 0;
    int fd;

    snprintf (l->script, sizeof (l->script), "%s/script", l->dir);
    fd = open (l->script, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
    if (fd < 0)
        return cphub_fail (err, errno, "cannot write the job script '%s': %s",
                           l->script, strerror (errno));
    while (done < len) {
        ssize_t n = write (fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            close (fd);
            return cphub_fail (err, saved, "cannot write the job script '%s': %s",
                               l->script, strerror (saved));
        }
        done += (size_t)n;
    }
    if (fchmod (fd, 0700) < 0 || close (fd) < 0)
        return cphub_fail (err, errno, "cannot write the job script '%s': %s",
                           l->script, strerror (errno));
    l->script_argv[0] = l->script;
    l->script_argv[1] = NULL;
    l->argv = l->script_argv;
    return 0;
}

static void launch_clear (launch_t *l)
{
    for (int i = 0; i < l->nenv; i++)
        free (l->env[i]);
    hwloc_bitmap_free (l->cpuset);
    hwloc_bitmap_free (l->nodeset);
    int *fds[] = {&l->fd_in, &l->fd_out, &l->fd_err, &l->pipe[0], &l->pipe[1]};
    for (size_t i = 0; i < sizeof (fds) / sizeof (fds[0]); i++) {
        if (*fds[i] >= 0)
            close (*fds[i]);
        *fds[i] = -1;
    }
}

static int launch_prepare (const exec_t *x,
                           const msg_job_run_t *run,
                           launch_t *l,
                           cphub_error_t *err)
{
    if (snprintf (l->dir, sizeof (l->dir), "%s/%" PRIu64, x->jobs_dir, run->id) >=
        (int)sizeof (l->dir))
        return cphub_fail (err, ENAMETOOLONG, "job directory path is too long");
    if (mkdir (l->dir, 0700) < 0 && (errno != EEXIST || chmod (l->dir, 0700) < 0))
        return cphub_fail (err, errno, "cannot create the job directory '%s': %s",
                           l->dir, strerror (errno));
    if (run->spec.script) {
        if (write_script (l, run->spec.script, err) < 0)
            return -1;
    } else if (run->spec.argc > 0 && run->spec.argv && run->spec.argv[0]) {
        l->argv = run->spec.argv;
    } else {
        return cphub_fail (err, EINVAL,
                           "job %" PRIu64 " has neither command nor script", run->id);
    }
    if (launch_env (x, run, l, err) < 0 ||
        topo_binding_sets (x->topo, run->cpus, run->mems, &l->cpuset, &l->nodeset,
                           err) < 0)
        return -1;
    if ((l->fd_in = open ("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
        return cphub_fail (err, errno, "cannot open /dev/null: %s", strerror (errno));
    if ((l->fd_out = open_output (l, "stdout", err)) < 0 ||
        (l->fd_err = open_output (l, "stderr", err)) < 0)
        return -1;
    if (pipe2 (l->pipe, O_CLOEXEC) < 0)
        return cphub_fail (err, errno, "cannot create a pipe: %s", strerror (errno));
    return 0;
}

/* --- the child ------------------------------------------------------------ */

static _Noreturn void child_fail (const launch_t *l, child_stage_t stage)
{
    child_report_t r = {.err = errno, .stage = (int)stage};
    ssize_t n = write (l->pipe[1], &r, sizeof (r));
    (void)n;
    _exit (127);
}

static _Noreturn void child_run (const exec_t *x, const launch_t *l)
{
    hwloc_topology_t hw = topo_hwloc (x->topo);
    sigset_t none;

    for (int sig = 1; sig < NSIG; sig++)
        signal (sig, SIG_DFL);
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    if (setsid () < 0)
        child_fail (l, STAGE_SESSION);
    if (dup2 (l->fd_in, 0) < 0 || dup2 (l->fd_out, 1) < 0 || dup2 (l->fd_err, 2) < 0)
        child_fail (l, STAGE_STDIO);
#ifdef SYS_close_range
    /* Nothing of the agent's (sockets, signalfd) leaks into the job. */
    syscall (SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
#endif
    if (chdir (l->dir) < 0)
        child_fail (l, STAGE_CHDIR);
    if (l->cpuset && hwloc_set_cpubind (hw, l->cpuset, HWLOC_CPUBIND_PROCESS) < 0)
        child_fail (l, STAGE_CPUBIND);
    if (l->nodeset && hwloc_set_membind (hw, l->nodeset, HWLOC_MEMBIND_BIND,
                                         HWLOC_MEMBIND_BYNODESET) < 0)
        child_fail (l, STAGE_MEMBIND);
    environ = (char **)l->env;
    if (l->script[0])
        execve (l->script, l->argv, (char *const *)l->env);
    else
        execvp (l->argv[0], l->argv);
    child_fail (l, STAGE_EXEC);
}

/* --- starting ------------------------------------------------------------- */

static void start_failed_text (const launch_t *l,
                               const msg_job_run_t *run,
                               const child_report_t *r,
                               cphub_error_t *err)
{
    const char *why = strerror (r->err);
    int stage = r->stage >= 0 && r->stage < STAGE_COUNT ? r->stage : STAGE_EXEC;

    if (stage == STAGE_EXEC && l->script[0])
        cphub_error_set (err, "cannot execute the job script: %s%s", why,
                         r->err == ENOEXEC ? " (it must start with #!)" : "");
    else if (stage == STAGE_EXEC)
        cphub_error_set (err, "cannot execute '%s': %s", l->argv[0], why);
    else if (stage == STAGE_CPUBIND)
        cphub_error_set (err, "cannot bind to cpus %s: %s", run->cpus, why);
    else if (stage == STAGE_MEMBIND)
        cphub_error_set (err, "cannot bind memory to NUMA domains %s: %s", run->mems,
                         why);
    else
        cphub_error_set (err, "cannot %s: %s", stage_text[stage], why);
}

/* Field 22 of /proc/PID/stat (start time in clock ticks since boot), or 0. */
static unsigned long long proc_start_time (pid_t pid)
{
    char path[64], buf[1024];
    unsigned long long start = 0;
    ssize_t n;
    int fd;

    snprintf (path, sizeof (path), "/proc/%d/stat", (int)pid);
    if ((fd = open (path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    n = read (fd, buf, sizeof (buf) - 1);
    close (fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *p = strrchr (buf, ')');
    /* after ")" come fields 3 (state) onwards: step to the space before 22 */
    for (int field = 2; p && field < 22; field++)
        p = strchr (p + 1, ' ');
    if (p)
        start = strtoull (p + 1, NULL, 10);
    return start;
}

static void write_pid_file (const launch_t *l, const exec_job_t *job)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    FILE *f;

    snprintf (path, sizeof (path), "%s/pid", l->dir);
    snprintf (tmp, sizeof (tmp), "%s/pid.tmp", l->dir);
    if (!(f = fopen (tmp, "we")))
        return;
    fprintf (f,
             "pid %d\nproc_start %llu\nstart_time %.6f\nwalltime %" PRId64 "\ndir %s\n",
             (int)job->pid, proc_start_time (job->pid), job->start_time, job->walltime,
             l->dir);
    if (fclose (f) == 0)
        rename (tmp, path);
    else
        unlink (tmp);
}

int exec_start (exec_t *x,
                const msg_job_run_t *run,
                int64_t *pid,
                double *start_time,
                cphub_error_t *err)
{
    launch_t l = {.fd_in = -1, .fd_out = -1, .fd_err = -1, .pipe = {-1, -1}};
    exec_job_t *job = NULL;
    child_report_t report;
    ssize_t n;
    pid_t child;
    int saved;

    if (job_find (x, run->id)) {
        cphub_fail (err, EEXIST, "job %" PRIu64 " is already running on %s", run->id,
                    x->node);
        return -1;
    }
    if (!(job = calloc (1, sizeof (*job)))) {
        cphub_fail (err, ENOMEM, "out of memory");
        goto error;
    }
    if (launch_prepare (x, run, &l, err) < 0)
        goto error;
    if ((child = fork ()) < 0) {
        cphub_fail (err, errno, "cannot fork: %s", strerror (errno));
        goto error;
    }
    if (child == 0)
        child_run (x, &l);
    close (l.pipe[1]);
    l.pipe[1] = -1;
    do
        n = read (l.pipe[0], &report, sizeof (report));
    while (n < 0 && errno == EINTR);
    if (n != 0) {
        int status;
        while (waitpid (child, &status, 0) < 0 && errno == EINTR)
            ;
        if (n == (ssize_t)sizeof (report)) {
            start_failed_text (&l, run, &report, err);
            errno = report.err;
        } else {
            cphub_fail (err, EIO, "the job's process ended before executing it");
        }
        goto error;
    }
    job->id = run->id;
    job->pid = child;
    job->start_time = clock_now ();
    job->walltime = run->spec.walltime > 0 ? run->spec.walltime : 0;
    job->walltime_at = job->walltime ? mono_now () + (double)job->walltime : 0;
    HASH_ADD (hh, x->by_id, id, sizeof (job->id), job);
    HASH_ADD (hh_pid, x->by_pid, pid, sizeof (job->pid), job);
    write_pid_file (&l, job);
    *pid = child;
    *start_time = job->start_time;
    launch_clear (&l);
    return 0;
error:
    saved = errno;
    launch_clear (&l);
    free (job);
    errno = saved;
    return -1;
}

/* --- killing and time limits ---------------------------------------------- */

static void job_signal (const exec_job_t *job, int sig)
{
    if (kill (-job->pid, sig) < 0 && errno == ESRCH)
        kill (job->pid, sig);
}

static void job_terminate (const exec_t *x, exec_job_t *job, double now)
{
    job_signal (job, SIGTERM);
    if (job->kill_at == 0 || job->kill_at > now + (double)x->kill_grace)
        job->kill_at = now + (double)x->kill_grace;
    if (x->kill_grace <= 0) {
        job_signal (job, SIGKILL);
        job->kill_at = 0;
    }
}

int exec_kill (exec_t *x, uint64_t id, int signal, cphub_error_t *err)
{
    exec_job_t *job = job_find (x, id);

    if (!job)
        return cphub_fail (err, ENOENT, "job %" PRIu64 " is not running on %s", id,
                           x->node);
    if (signal == 0 || signal == SIGTERM) {
        job->cancelled = !job->timed_out;
        job_terminate (x, job, mono_now ());
    } else if (signal == SIGKILL) {
        job->cancelled = !job->timed_out;
        job_signal (job, SIGKILL);
        job->kill_at = 0;
    } else if (signal > 0 && signal < NSIG) {
        job_signal (job, signal);
    } else {
        return cphub_fail (err, EINVAL, "signal %d is not a signal number", signal);
    }
    return 0;
}

int exec_timeout_ms (const exec_t *x)
{
    double now = mono_now (), next = 0;
    const exec_job_t *job, *tmp;

    HASH_ITER (hh, x->by_id, job, tmp)
    {
        if (job->walltime_at > 0 && (next == 0 || job->walltime_at < next))
            next = job->walltime_at;
        if (job->kill_at > 0 && (next == 0 || job->kill_at < next))
            next = job->kill_at;
    }
    if (next == 0)
        return -1;
    if (next <= now)
        return 0;
    double ms = (next - now) * 1000.0 + 1.0;
    return ms > (double)INT32_MAX ? INT32_MAX : (int)ms;
}

void exec_tick (exec_t *x)
{
    double now = mono_now ();
    exec_job_t *job, *tmp;

    HASH_ITER (hh, x->by_id, job, tmp)
    {
        if (job->kill_at > 0 && now >= job->kill_at) {
            job_signal (job, SIGKILL);
            job->kill_at = 0;
        }
        if (job->walltime_at > 0 && now >= job->walltime_at) {
            job->walltime_at = 0;
            if (!job->cancelled) {
                job->timed_out = true;
                job_terminate (x, job, now);
            }
        }
    }
}

/* --- reaping -------------------------------------------------------------- */

static void job_ended (exec_t *x, exec_job_t *job, int status, const struct rusage *ru)
{
    msg_job_exit_t e = {.id = job->id, .start_time = job->start_time};
    char limit[32], path[PATH_MAX];

    /* The job is its process group: nothing of it outlives its leader. */
    kill (-job->pid, SIGKILL);
    e.end_time = clock_now ();
    e.cpu_time = (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
                 (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
    e.max_rss = (uint64_t)ru->ru_maxrss * 1024;
    if (WIFEXITED (status))
        e.exit_code = WEXITSTATUS (status);
    else if (WIFSIGNALED (status))
        e.signal = WTERMSIG (status);
    if (job->timed_out) {
        e.kind = EXIT_TIMEOUT;
        format_duration (job->walltime, limit, sizeof (limit));
        snprintf (e.text, sizeof (e.text), "killed at its wall-time limit of %s",
                  limit);
    } else if (job->cancelled) {
        e.kind = EXIT_CANCELLED;
        snprintf (e.text, sizeof (e.text), "cancelled");
    } else if (WIFSIGNALED (status)) {
        e.kind = EXIT_SIGNALED;
        snprintf (e.text, sizeof (e.text), "killed by signal %d (%s)", e.signal,
                  strsignal (e.signal));
    } else {
        e.kind = EXIT_EXITED;
        snprintf (e.text, sizeof (e.text), "exited with code %d", e.exit_code);
    }
    snprintf (path, sizeof (path), "%s/%" PRIu64 "/pid", x->jobs_dir, job->id);
    unlink (path);
    HASH_DELETE (hh, x->by_id, job);
    HASH_DELETE (hh_pid, x->by_pid, job);
    free (job);
    if (x->cb)
        x->cb (&e, x->arg);
}

void exec_reap (exec_t *x)
{
    struct signalfd_siginfo si;

    while (read (x->sigfd, &si, sizeof (si)) == (ssize_t)sizeof (si))
        ;
    for (;;) {
        struct rusage ru;
        exec_job_t *job = NULL;
        int status;
        pid_t pid = wait4 (-1, &status, WNOHANG, &ru);

        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0)
            break;
        HASH_FIND (hh_pid, x->by_pid, &pid, sizeof (pid), job);
        if (job)
            job_ended (x, job, status, &ru);
    }
}

/* --- queries -------------------------------------------------------------- */

uint32_t exec_count (const exec_t *x)
{
    return (uint32_t)HASH_CNT (hh, x->by_id);
}

bool exec_running (const exec_t *x, uint64_t id)
{
    return job_find (x, id) != NULL;
}

int exec_job_info (const exec_t *x, uint64_t id, int64_t *pid, double *start_time)
{
    const exec_job_t *job = job_find (x, id);

    if (!job) {
        errno = ENOENT;
        return -1;
    }
    *pid = job->pid;
    *start_time = job->start_time;
    return 0;
}

uint64_t *exec_job_ids (const exec_t *x, uint32_t *count)
{
    uint32_t n = exec_count (x), i = 0;
    const exec_job_t *job, *tmp;
    uint64_t *ids;

    *count = 0;
    if (n == 0 || !(ids = malloc (n * sizeof (*ids))))
        return NULL;
    HASH_ITER (hh, x->by_id, job, tmp)
    {
        ids[i++] = job->id;
    }
    *count = i;
    return ids;
}

int exec_output_path (
    const exec_t *x, uint64_t id, log_stream_t stream, char *buf, size_t len)
{
    int n = snprintf (buf, len, "%s/%" PRIu64 "/%s", x->jobs_dir, id,
                      stream == LOG_STREAM_STDERR ? "stderr" : "stdout");
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}
