/* test_exec.c: unit tests for agent/exec.c, the agent's fork/bind/kill/reap.
 *
 * Every test starts real processes in its own temporary state directory and
 * waits for their ends by polling exec_fd() with a deadline, driving
 * exec_tick() and exec_reap() as the agent's loop does. Most tests use a
 * small synthetic topology (binding recorded, not applied); one runs on this
 * machine and reads the job's own Cpus_allowed_list. Each test stops every
 * job it started before it ends.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/exec.h"
#include "agent/topo.h"
#include "cphub/jobspec.h"

#define SYNTH "synthetic:package:1 numa:1 core:2 pu:1"
#define NODE "node1"
#define EXITS_MAX 16
#define DEADLINE 5.0 /* seconds any single wait may take */

typedef struct fixture {
    char dir[64];
    topo_t *topo;
    exec_t *x;
    msg_job_exit_t exits[EXITS_MAX];
    int nexits;
    int64_t keep_job_dirs; /* set before start_exec() */
    uint64_t max_output;
} fixture_t;

static fixture_t fx;

static double mono (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void exit_cb (const msg_job_exit_t *e, void *arg)
{
    fixture_t *f = arg;

    cr_assert_lt (f->nexits, EXITS_MAX);
    f->exits[f->nexits++] = *e;
}

static void start_exec (const char *spec, int64_t kill_grace)
{
    cphub_error_t err = {{0}};
    exec_config_t cfg = {.state_dir = fx.dir,
                         .node = NODE,
                         .kill_grace = kill_grace,
                         .keep_job_dirs = fx.keep_job_dirs,
                         .max_output = fx.max_output};

    fx.topo = topo_create (spec, &err);
    cr_assert_not_null (fx.topo, "%s", err.text);
    fx.x = exec_create (&cfg, fx.topo, exit_cb, &fx, &err);
    cr_assert_not_null (fx.x, "%s", err.text);
}

static void setup (void)
{
    memset (&fx, 0, sizeof (fx));
    snprintf (fx.dir, sizeof (fx.dir), "/tmp/cphub-test-exec-XXXXXX");
    cr_assert_not_null (mkdtemp (fx.dir));
}

static int rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove (path);
}

/* Reap once: wait for the signalfd at most ms, then act on deadlines. */
static void pump (int ms)
{
    struct pollfd pfd = {.fd = exec_fd (fx.x), .events = POLLIN};
    int next = exec_timeout_ms (fx.x);

    if (next >= 0 && next < ms)
        ms = next;
    /* a short cap: SIGCHLD may be taken by another thread of the runner */
    if (ms > 20)
        ms = 20;
    (void)poll (&pfd, 1, ms);
    exec_tick (fx.x);
    exec_reap (fx.x);
}

/* Kill and reap whatever a test left running, then remove the state dir. */
static void teardown (void)
{
    if (fx.x) {
        uint32_t n = 0;
        uint64_t *ids = exec_job_ids (fx.x, &n);
        double deadline = mono () + DEADLINE;

        for (uint32_t i = 0; i < n; i++)
            exec_kill (fx.x, ids[i], SIGKILL, NULL);
        free (ids);
        while (exec_count (fx.x) > 0 && mono () < deadline)
            pump (20);
        exec_destroy (fx.x);
    }
    topo_destroy (fx.topo);
    nftw (fx.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite (exec, .init = setup, .fini = teardown, .timeout = 20);

/* The exit report of job id, waiting for it until the deadline. */
static const msg_job_exit_t *wait_exit (uint64_t id, double seconds)
{
    double deadline = mono () + seconds;

    for (;;) {
        for (int i = 0; i < fx.nexits; i++)
            if (fx.exits[i].id == id)
                return &fx.exits[i];
        cr_assert_lt (mono (), deadline, "job %" PRIu64 " did not end within %.1f s",
                      id, seconds);
        pump (20);
    }
}

static void run_init (msg_job_run_t *run, uint64_t id, const char *const *argv)
{
    cphub_error_t err = {{0}};
    int argc = 0;

    memset (run, 0, sizeof (*run));
    jobspec_init (&run->spec);
    run->id = id;
    snprintf (run->tenant, sizeof (run->tenant), "acme");
    snprintf (run->cores, sizeof (run->cores), "0");
    snprintf (run->cpus, sizeof (run->cpus), "0");
    snprintf (run->mems, sizeof (run->mems), "0");
    while (argv[argc])
        argc++;
    cr_assert_eq (jobspec_set_argv (&run->spec, argc, (char *const *)argv, &err), 0,
                  "%s", err.text);
}

/* Start job id running argv; the run's other fields are the defaults. */
static int64_t start (uint64_t id, const char *const *argv)
{
    msg_job_run_t run;
    cphub_error_t err = {{0}};
    int64_t pid = 0;
    double t0 = 0;

    run_init (&run, id, argv);
    cr_assert_eq (exec_start (fx.x, &run, &pid, &t0, &err), 0, "%s", err.text);
    cr_assert_gt (pid, 0);
    cr_assert_gt (t0, 0);
    jobspec_clear (&run.spec);
    return pid;
}

static int64_t start_run (msg_job_run_t *run)
{
    cphub_error_t err = {{0}};
    int64_t pid = 0;
    double t0 = 0;

    cr_assert_eq (exec_start (fx.x, run, &pid, &t0, &err), 0, "%s", err.text);
    jobspec_clear (&run->spec);
    return pid;
}

/* The whole content of a job's stdout or stderr (malloc'd). */
/* The working directory of the latest run of id (stdout without its name). */
static void run_dir (uint64_t id, char *buf, size_t len)
{
    cr_assert_eq (exec_output_path (fx.x, id, LOG_STREAM_STDOUT, buf, len), 0);
    *strrchr (buf, '/') = '\0';
}

/* The records directory of id: <state_dir>/runs/<id>. */
static void records_dir (uint64_t id, char *buf, size_t len)
{
    char real[PATH_MAX];

    cr_assert_not_null (realpath (fx.dir, real));
    snprintf (buf, len, "%s/runs/%" PRIu64, real, id);
}

static char *output (uint64_t id, log_stream_t stream)
{
    char path[PATH_MAX];
    static char buf[16384];
    size_t n;
    FILE *f;

    cr_assert_eq (exec_output_path (fx.x, id, stream, path, sizeof (path)), 0);
    f = fopen (path, "r");
    cr_assert_not_null (f, "%s: %s", path, strerror (errno));
    n = fread (buf, 1, sizeof (buf) - 1, f);
    fclose (f);
    buf[n] = '\0';
    return strdup (buf);
}

/* Wait until the job's stdout holds needle (the job is ready). */
static void wait_output (uint64_t id, const char *needle)
{
    double deadline = mono () + DEADLINE;

    for (;;) {
        char *text = output (id, LOG_STREAM_STDOUT);
        bool found = strstr (text, needle) != NULL;
        free (text);
        if (found)
            return;
        cr_assert_lt (mono (), deadline, "job %" PRIu64 " never printed '%s'", id,
                      needle);
        pump (10);
    }
}

/* --- how jobs end --------------------------------------------------------- */

Test (exec, exit_code)
{
    const char *argv[] = {"sh", "-c", "exit 3", NULL};
    const msg_job_exit_t *e;
    char path[PATH_MAX];

    start_exec (SYNTH, 1);
    start (7, argv);
    cr_assert (exec_running (fx.x, 7));
    cr_assert_eq (exec_count (fx.x), 1);
    e = wait_exit (7, DEADLINE);
    cr_assert_eq (e->kind, EXIT_EXITED);
    cr_assert_eq (e->exit_code, 3);
    cr_assert_eq (e->signal, 0);
    cr_assert_str_eq (e->text, "exited with code 3");
    cr_assert_gt (e->start_time, 0);
    cr_assert_geq (e->end_time, e->start_time);
    cr_assert_gt (e->max_rss, 0);
    cr_assert_not (exec_running (fx.x, 7));
    cr_assert_eq (exec_count (fx.x), 0);
    cr_assert_eq (fx.nexits, 1, "one callback per job");
    records_dir (7, path, sizeof (path));
    strcat (path, "/pid");
    cr_assert_neq (access (path, F_OK), 0, "the pid file is removed at the end");
}

Test (exec, exit_zero)
{
    const char *argv[] = {"true", NULL};
    const msg_job_exit_t *e;

    start_exec (SYNTH, 1);
    start (1, argv);
    e = wait_exit (1, DEADLINE);
    cr_assert_eq (e->kind, EXIT_EXITED);
    cr_assert_eq (e->exit_code, 0);
}

Test (exec, killed_by_signal)
{
    const char *argv[] = {"sh", "-c", "kill -USR1 $$", NULL};
    const msg_job_exit_t *e;
    char want[64];

    start_exec (SYNTH, 1);
    start (8, argv);
    e = wait_exit (8, DEADLINE);
    cr_assert_eq (e->kind, EXIT_SIGNALED);
    cr_assert_eq (e->signal, SIGUSR1);
    snprintf (want, sizeof (want), "killed by signal %d", SIGUSR1);
    cr_assert (strstr (e->text, want), "'%s' not in '%s'", want, e->text);
}

Test (exec, missing_command_fails_to_start)
{
    const char *argv[] = {"/nonexistent/cphub-no-such-command", "x", NULL};
    const char *bare[] = {"cphub-no-such-command-either", NULL};
    msg_job_run_t run;
    cphub_error_t err = {{0}};
    int64_t pid = -5;
    double t0 = -5;

    start_exec (SYNTH, 1);
    run_init (&run, 9, argv);
    errno = 0;
    cr_assert_eq (exec_start (fx.x, &run, &pid, &t0, &err), -1);
    cr_assert_eq (errno, ENOENT);
    cr_assert_str_eq (err.text,
                      "cannot execute '/nonexistent/cphub-no-such-command': No such "
                      "file or directory");
    jobspec_clear (&run.spec);
    /* searched in the job's PATH */
    run_init (&run, 10, bare);
    cr_assert_eq (exec_start (fx.x, &run, &pid, &t0, &err), -1);
    cr_assert_eq (errno, ENOENT);
    cr_assert (strstr (err.text, "cannot execute 'cphub-no-such-command-either'"), "%s",
               err.text);
    jobspec_clear (&run.spec);
    cr_assert_eq (exec_count (fx.x), 0);
    cr_assert_not (exec_running (fx.x, 9));
    pump (0);
    cr_assert_eq (fx.nexits, 0, "no exit callback after a failed start");
}

Test (exec, script_without_interpreter_fails_to_start)
{
    const char *unused[] = {"true", NULL};
    msg_job_run_t run;
    cphub_error_t err = {{0}};
    int64_t pid;
    double t0;

    start_exec (SYNTH, 1);
    run_init (&run, 11, unused);
    jobspec_clear (&run.spec);
    run.spec.script = strdup ("echo no shebang\n");
    cr_assert_eq (exec_start (fx.x, &run, &pid, &t0, &err), -1);
    cr_assert_eq (errno, ENOEXEC);
    cr_assert (strstr (err.text, "(it must start with #!)"), "%s", err.text);
    jobspec_clear (&run.spec);
}

Test (exec, bad_placement_refused)
{
    const char *argv[] = {"true", NULL};
    msg_job_run_t run;
    cphub_error_t err = {{0}};
    int64_t pid;
    double t0;

    start_exec (SYNTH, 1);
    run_init (&run, 12, argv);
    snprintf (run.cpus, sizeof (run.cpus), "9");
    cr_assert_eq (exec_start (fx.x, &run, &pid, &t0, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, "cpus '9' are not on this node (it has 0-1)"), "%s",
               err.text);
    jobspec_clear (&run.spec);
    cr_assert_eq (exec_count (fx.x), 0);
}

/* --- what a job sees ------------------------------------------------------ */

Test (exec, stdout_and_stderr_files)
{
    const char *argv[] = {"sh", "-c", "echo out; echo err >&2; echo more", NULL};
    char *out, *errtext;

    start_exec (SYNTH, 1);
    start (20, argv);
    cr_assert_eq (wait_exit (20, DEADLINE)->exit_code, 0);
    out = output (20, LOG_STREAM_STDOUT);
    errtext = output (20, LOG_STREAM_STDERR);
    cr_assert_str_eq (out, "out\nmore\n");
    cr_assert_str_eq (errtext, "err\n");
    free (out);
    free (errtext);
}

Test (exec, script_job)
{
    const char *unused[] = {"true", NULL};
    msg_job_run_t run;
    char path[PATH_MAX];
    char *out;
    struct stat st;

    start_exec (SYNTH, 1);
    run_init (&run, 21, unused);
    jobspec_clear (&run.spec);
    run.spec.script = strdup ("#!/bin/sh\necho from script $CPHUB_JOB_ID\nexit 4\n");
    start_run (&run);
    cr_assert_eq (wait_exit (21, DEADLINE)->exit_code, 4);
    out = output (21, LOG_STREAM_STDOUT);
    cr_assert_str_eq (out, "from script 21\n");
    free (out);
    run_dir (21, path, sizeof (path));
    strcat (path, "/script");
    cr_assert_eq (stat (path, &st), 0, "the script is kept in the job dir");
}

/* Value of NAME in env(1) output, or NULL. */
static const char *env_value (const char *text, const char *name, char *buf, size_t len)
{
    size_t nlen = strlen (name);

    for (const char *line = text; line && *line;) {
        const char *end = strchr (line, '\n');
        size_t llen = end ? (size_t)(end - line) : strlen (line);
        if (llen > nlen && strncmp (line, name, nlen) == 0 && line[nlen] == '=') {
            snprintf (buf, len, "%.*s", (int)(llen - nlen - 1), line + nlen + 1);
            return buf;
        }
        line = end ? end + 1 : NULL;
    }
    return NULL;
}

static void assert_env (const char *text, const char *name, const char *want)
{
    char buf[512];
    const char *got = env_value (text, name, buf, sizeof (buf));

    cr_assert_not_null (got, "%s is not set in:\n%s", name, text);
    cr_assert_str_eq (got, want, "%s", name);
}

Test (exec, clean_environment)
{
    const char *argv[] = {"env", NULL};
    msg_job_run_t run;
    char buf[512];
    char *out;
    int lines = 0;

    cr_assert_eq (setenv ("CPHUB_TEST_LEAK", "agent secret", 1), 0);
    cr_assert_eq (setenv ("CUDA_VISIBLE_DEVICES", "5", 1), 0);
    start_exec (SYNTH, 1);
    run_init (&run, 30, argv);
    snprintf (run.cpus, sizeof (run.cpus), "0-1");
    snprintf (run.spec.name, sizeof (run.spec.name), "envtest");
    run.spec.ntasks = 2;
    start_run (&run);
    cr_assert_eq (wait_exit (30, DEADLINE)->exit_code, 0);
    out = output (30, LOG_STREAM_STDOUT);
    assert_env (out, "CPHUB_JOB_ID", "30");
    assert_env (out, "CPHUB_JOB_NAME", "envtest");
    assert_env (out, "CPHUB_CPUS", "0-1");
    assert_env (out, "CPHUB_NODE", NODE);
    assert_env (out, "CPHUB_NTASKS", "2");
    assert_env (out, "CPHUB_CPUS_PER_TASK", "1");
    assert_env (out, "CPHUB_TENANT", "acme");
    assert_env (out, "PATH", "/usr/local/bin:/usr/bin:/bin");
    assert_env (out, "LANG", "C.UTF-8");
    cr_assert_not_null (env_value (out, "HOME", buf, sizeof (buf)));
    cr_assert_not_null (env_value (out, "USER", buf, sizeof (buf)));
    assert_env (out, "LOGNAME", buf); /* as USER */
    cr_assert_null (env_value (out, "CUDA_VISIBLE_DEVICES", buf, sizeof (buf)),
                    "no GPUs, no CUDA_VISIBLE_DEVICES");
    cr_assert_null (env_value (out, "CPHUB_TEST_LEAK", buf, sizeof (buf)),
                    "the agent's environment leaked into the job");
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    cr_assert_eq (lines, 12, "only the documented variables:\n%s", out);
    free (out);
}

Test (exec, gpus_in_environment)
{
    const char *argv[] = {"env", NULL};
    msg_job_run_t run;
    char *out;

    start_exec (SYNTH, 1);
    run_init (&run, 31, argv);
    snprintf (run.gpus, sizeof (run.gpus), "0,1");
    start_run (&run);
    cr_assert_eq (wait_exit (31, DEADLINE)->exit_code, 0);
    out = output (31, LOG_STREAM_STDOUT);
    assert_env (out, "CUDA_VISIBLE_DEVICES", "0,1");
    assert_env (out, "CPHUB_JOB_NAME", "env");
    free (out);
}

Test (exec, cwd_is_job_dir)
{
    const char *argv[] = {"sh", "-c", "pwd -P; ls", NULL};
    char want[PATH_MAX + 8], *out;
    struct stat st;

    start_exec (SYNTH, 1);
    start (32, argv);
    cr_assert_eq (wait_exit (32, DEADLINE)->exit_code, 0);
    out = output (32, LOG_STREAM_STDOUT);
    run_dir (32, want, sizeof (want) - 1);
    strcat (want, "\n");
    cr_assert_eq (strncmp (out, want, strlen (want)), 0, "cwd: %s", out);
    cr_assert (strstr (out, "stdout\n") && strstr (out, "stderr\n"), "%s", out);
    free (out);
    cr_assert_eq (exec_jobs_dir (fx.x)[0], '/', "the jobs dir is absolute");
    want[strlen (want) - 1] = '\0';
    cr_assert_eq (stat (want, &st), 0);
    cr_assert_eq (st.st_mode & 0777, 0700, "job dir mode %o", st.st_mode & 0777);
}

/* --- limits, cancel, kill ------------------------------------------------- */

Test (exec, walltime_timeout)
{
    const char *argv[] = {"sleep", "30", NULL};
    const msg_job_exit_t *e;
    msg_job_run_t run;
    double t0 = mono ();
    int ms;

    start_exec (SYNTH, 1);
    cr_assert_eq (exec_timeout_ms (fx.x), -1, "no job, no deadline");
    run_init (&run, 40, argv);
    run.spec.walltime = 1;
    start_run (&run);
    ms = exec_timeout_ms (fx.x);
    cr_assert (ms >= 0 && ms <= 1001, "next deadline in %d ms", ms);
    e = wait_exit (40, DEADLINE);
    cr_assert_eq (e->kind, EXIT_TIMEOUT);
    cr_assert_eq (e->signal, SIGTERM);
    cr_assert (strstr (e->text, "wall-time limit of 00:00:01"), "%s", e->text);
    cr_assert_geq (mono () - t0, 0.9, "killed before its limit");
    cr_assert_lt (mono () - t0, 4.0);
}

Test (exec, cancel)
{
    const char *argv[] = {"sleep", "30", NULL};
    const msg_job_exit_t *e;
    cphub_error_t err = {{0}};
    int64_t pid, p2;
    double t0;

    msg_job_run_t run;
    uint32_t number = 0;

    start_exec (SYNTH, 5);
    run_init (&run, 41, argv);
    run.run = 4; /* the scheduler's fourth start of job 41 */
    pid = start_run (&run);
    cr_assert_eq (exec_job_info (fx.x, 41, &p2, &t0, &number), 0);
    cr_assert_eq (p2, pid);
    cr_assert_eq (number, 4, "the run's number is kept with the job");
    cr_assert_eq (exec_kill (fx.x, 41, 0, &err), 0, "%s", err.text);
    e = wait_exit (41, DEADLINE);
    cr_assert_eq (e->run, 4, "the exit names the run it ends");
    cr_assert_eq (e->kind, EXIT_CANCELLED);
    cr_assert_eq (e->signal, SIGTERM, "TERM is enough for sleep");
    cr_assert_str_eq (e->text, "cancelled");
    cr_assert_eq (kill ((pid_t)pid, 0), -1, "the job's process is gone");
    errno = 0;
    cr_assert_eq (exec_kill (fx.x, 41, 0, &err), -1);
    cr_assert_eq (errno, ENOENT);
    cr_assert (strstr (err.text, "job 41 is not running on node1"), "%s", err.text);
    cr_assert_eq (exec_job_info (fx.x, 41, &p2, &t0, &number), -1);
    cr_assert_eq (errno, ENOENT);
}

Test (exec, cancel_with_sigkill)
{
    const char *argv[] = {"sleep", "30", NULL};
    const msg_job_exit_t *e;

    start_exec (SYNTH, 5);
    start (42, argv);
    cr_assert_eq (exec_kill (fx.x, 42, SIGKILL, NULL), 0);
    e = wait_exit (42, DEADLINE);
    cr_assert_eq (e->kind, EXIT_CANCELLED);
    cr_assert_eq (e->signal, SIGKILL);
}

Test (exec, other_signal_only_delivered)
{
    const char *argv[] = {"sh", "-c",
                          "trap 'echo got; exit 5' USR1; echo ready; "
                          "while :; do sleep 0.05; done",
                          NULL};
    const msg_job_exit_t *e;
    cphub_error_t err = {{0}};

    start_exec (SYNTH, 1);
    start (43, argv);
    wait_output (43, "ready");
    cr_assert_eq (exec_kill (fx.x, 43, SIGUSR1, &err), 0, "%s", err.text);
    e = wait_exit (43, DEADLINE);
    cr_assert_eq (e->kind, EXIT_EXITED, "not a cancel");
    cr_assert_eq (e->exit_code, 5);
    start (44, (const char *[]){"sleep", "30", NULL});
    cr_assert_eq (exec_kill (fx.x, 44, 999, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, "signal 999"), "%s", err.text);
}

Test (exec, term_ignored_killed_after_grace)
{
    const char *argv[] = {"sh", "-c", "trap '' TERM; echo ready; exec sleep 30", NULL};
    const msg_job_exit_t *e;
    double t0;

    start_exec (SYNTH, 1);
    start (45, argv);
    wait_output (45, "ready");
    t0 = mono ();
    cr_assert_eq (exec_kill (fx.x, 45, SIGTERM, NULL), 0);
    e = wait_exit (45, DEADLINE);
    cr_assert_eq (e->kind, EXIT_CANCELLED);
    cr_assert_eq (e->signal, SIGKILL, "TERM was ignored: KILL after the grace");
    cr_assert_geq (mono () - t0, 0.9, "killed before the grace period ended");
    cr_assert_lt (mono () - t0, 4.0);
}

Test (exec, running_jobs_and_duplicates)
{
    const char *argv[] = {"sleep", "30", NULL};
    cphub_error_t err = {{0}};
    msg_job_run_t run;
    uint64_t *ids;
    uint32_t n = 99;
    int64_t pid;
    double t0;
    char path[PATH_MAX], line[64];
    FILE *f;

    start_exec (SYNTH, 1);
    cr_assert_null (exec_job_ids (fx.x, &n));
    cr_assert_eq (n, 0);
    pid = start (50, argv);
    start (51, argv);
    ids = exec_job_ids (fx.x, &n);
    cr_assert_eq (n, 2);
    cr_assert ((ids[0] == 50 && ids[1] == 51) || (ids[0] == 51 && ids[1] == 50));
    free (ids);

    run_init (&run, 50, argv);
    errno = 0;
    cr_assert_eq (exec_start (fx.x, &run, &pid, &t0, &err), -1);
    cr_assert_eq (errno, EEXIST);
    cr_assert_str_eq (err.text, "job 50 is already running on node1");
    jobspec_clear (&run.spec);

    /* the pid file an agent restart reads */
    records_dir (50, path, sizeof (path));
    strcat (path, "/pid");
    cr_assert_not_null (f = fopen (path, "r"));
    cr_assert_not_null (fgets (line, sizeof (line), f));
    fclose (f);
    snprintf (path, sizeof (path), "pid %" PRId64 "\n", pid);
    cr_assert_str_eq (line, path);

    cr_assert_eq (exec_kill (fx.x, 50, 0, NULL), 0);
    cr_assert_eq (exec_kill (fx.x, 51, 0, NULL), 0);
    cr_assert_eq (wait_exit (50, DEADLINE)->kind, EXIT_CANCELLED);
    cr_assert_eq (wait_exit (51, DEADLINE)->kind, EXIT_CANCELLED);
    cr_assert_eq (exec_count (fx.x), 0);
}

Test (exec, output_path_and_bad_state_dir)
{
    char small[8], path[PATH_MAX];
    cphub_error_t err = {{0}};
    exec_config_t cfg = {.node = NODE, .kill_grace = 1};
    FILE *f;

    start_exec (SYNTH, 1);
    errno = 0;
    cr_assert_eq (exec_output_path (fx.x, 3, LOG_STREAM_STDERR, path, sizeof (path)),
                  -1, "no run of job 3 is known");
    cr_assert_eq (errno, ENOENT);
    start (3, (const char *[]){"true", NULL});
    cr_assert_eq (wait_exit (3, DEADLINE)->exit_code, 0);
    errno = 0;
    cr_assert_eq (exec_output_path (fx.x, 3, LOG_STREAM_STDERR, small, sizeof (small)),
                  -1);
    cr_assert_eq (errno, ENAMETOOLONG);
    cr_assert_eq (exec_output_path (fx.x, 3, LOG_STREAM_STDERR, path, sizeof (path)),
                  0);
    cr_assert_eq (strncmp (path, exec_jobs_dir (fx.x), strlen (exec_jobs_dir (fx.x))),
                  0);
    cr_assert (strncmp (path + strlen (exec_jobs_dir (fx.x)), "/3.", 3) == 0 &&
                   strcmp (path + strlen (path) - 7, "/stderr") == 0,
               "%s", path);

    /* a state dir under a regular file cannot be made */
    snprintf (path, sizeof (path), "%s/file", fx.dir);
    cr_assert_not_null (f = fopen (path, "w"));
    fclose (f);
    snprintf (path, sizeof (path), "%s/file/state", fx.dir);
    cfg.state_dir = path;
    cr_assert_null (exec_create (&cfg, fx.topo, exit_cb, &fx, &err));
    cr_assert_eq (errno, ENOTDIR);
    cr_assert (strstr (err.text, "cannot create the job directory"), "%s", err.text);
    cr_assert (strstr (err.text, path), "%s", err.text);
    exec_destroy (NULL);
}

/* --- binding on this machine ---------------------------------------------- */

Test (exec, real_topology_binds_cpus)
{
    const char *argv[] = {"cat", "/proc/self/status", NULL};
    msg_job_run_t run;
    cpu_set_t set;
    char buf[512], cpus[16];
    const char *got;
    char *out;
    int last = -1;

    cr_assert_eq (sched_getaffinity (0, sizeof (set), &set), 0);
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET (i, &set))
            last = i;
    cr_assert_geq (last, 0);
    snprintf (cpus, sizeof (cpus), "%d", last);

    start_exec ("", 1);
    run_init (&run, 60, argv);
    snprintf (run.cpus, sizeof (run.cpus), "%s", cpus);
    start_run (&run);
    cr_assert_eq (wait_exit (60, DEADLINE)->exit_code, 0);
    out = output (60, LOG_STREAM_STDOUT);
    /* "Cpus_allowed_list:\t1\n" */
    got = strstr (out, "\nCpus_allowed_list:\t");
    cr_assert_not_null (got, "no Cpus_allowed_list in:\n%s", out);
    got += strlen ("\nCpus_allowed_list:\t");
    snprintf (buf, sizeof (buf), "%.*s", (int)strcspn (got, "\n"), got);
    cr_assert_str_eq (buf, cpus, "the job runs on exactly its cpus");
    free (out);
}

/* --- hostile jobs ----------------------------------------------------------- */

static bool path_exists (const char *path)
{
    struct stat st;
    return lstat (path, &st) == 0;
}

/* Pump until path is gone or the deadline passes. */
static bool wait_gone (const char *path, double seconds)
{
    double deadline = mono () + seconds;

    while (path_exists (path) && mono () < deadline)
        pump (20);
    return !path_exists (path);
}

Test (exec, job_wrecking_its_directory_ends_as_it_ended)
{
    char records[PATH_MAX], path[PATH_MAX];
    const msg_job_exit_t *e;

    start_exec (SYNTH, 1);
    start (70, (const char *[]){"sh", "-c",
                                "mkdir status.tmp pid.tmp exit.tmp status pid exit; "
                                "rm -f stdout; chmod 000 .; exit 5",
                                NULL});
    e = wait_exit (70, DEADLINE);
    cr_assert_eq (e->kind, EXIT_EXITED, "%s", e->text);
    cr_assert_eq (e->exit_code, 5);
    records_dir (70, records, sizeof (records));
    snprintf (path, sizeof (path), "%s/exit", records);
    cr_assert (path_exists (path), "the exit record is saved in the records directory");
    struct stat st;
    cr_assert_eq (stat (records, &st), 0);
    cr_assert_eq (st.st_mode & 0777, 0700, "records mode %o", st.st_mode & 0777);
}

Test (exec, every_run_has_a_fresh_directory_removed_after_ack)
{
    char first[PATH_MAX], second[PATH_MAX], records[PATH_MAX];

    start_exec (SYNTH, 1); /* keep_job_dirs 0: removed once acknowledged */
    start (71, (const char *[]){"true", NULL});
    cr_assert_eq (wait_exit (71, DEADLINE)->exit_code, 0);
    run_dir (71, first, sizeof (first));
    cr_assert (path_exists (first));
    fx.nexits = 0;
    start (71, (const char *[]){"true", NULL});
    cr_assert_eq (wait_exit (71, DEADLINE)->exit_code, 0);
    run_dir (71, second, sizeof (second));
    cr_assert_str_neq (first, second, "two runs of job 71 share a directory");
    cr_assert (wait_gone (first, DEADLINE), "the first run's directory stays: %s",
               first);
    cr_assert (path_exists (second));
    exec_exit_ack (fx.x, 71);
    cr_assert (wait_gone (second, DEADLINE), "an acknowledged run's directory stays");
    /* a third run after an acknowledged one: its records are made anew */
    fx.nexits = 0;
    start (71, (const char *[]){"true", NULL});
    cr_assert_eq (wait_exit (71, DEADLINE)->exit_code, 0);
    exec_exit_ack (fx.x, 71);
    records_dir (71, records, sizeof (records));
    cr_assert_not (path_exists (records), "the records stay after the run is gone");
}

Test (exec, run_directory_swept_after_keep_job_dirs)
{
    char dir[PATH_MAX];
    double acked;

    fx.keep_job_dirs = 1;
    start_exec (SYNTH, 1);
    start (72, (const char *[]){"echo", "kept", NULL});
    cr_assert_eq (wait_exit (72, DEADLINE)->exit_code, 0);
    run_dir (72, dir, sizeof (dir));
    exec_exit_ack (fx.x, 72);
    acked = mono ();
    for (int i = 0; i < 25; i++)
        pump (20);
    cr_assert (path_exists (dir), "removed before keep_job_dirs");
    char *out = output (72, LOG_STREAM_STDOUT);
    cr_assert_str_eq (out, "kept\n", "the output is still there for logs");
    free (out);
    cr_assert (wait_gone (dir, DEADLINE), "not removed after keep_job_dirs");
    cr_assert_geq (mono () - acked, 0.9);
}

Test (exec, output_over_max_output)
{
    const msg_job_exit_t *e;

    fx.max_output = 4096;
    start_exec (SYNTH, 1);
    start (73,
           (const char *[]){"sh", "-c", "head -c 100000 /dev/zero; echo after", NULL});
    start (74,
           (const char *[]){"sh", "-c",
                            "trap '' XFSZ; while :; do echo 0123456789; done", NULL});
    start (75, (const char *[]){"sh", "-c", "head -c 4000 /dev/zero", NULL});
    e = wait_exit (73, DEADLINE);
    cr_assert_eq (e->kind, EXIT_OUTPUT, "%d %s", e->kind, e->text);
    cr_assert_str_eq (e->text, "output over 4K limit");
    e = wait_exit (74, DEADLINE);
    cr_assert_eq (e->kind, EXIT_OUTPUT, "one that ignores SIGXFSZ: %d %s", e->kind,
                  e->text);
    e = wait_exit (75, DEADLINE);
    cr_assert_eq (e->kind, EXIT_EXITED, "under the limit: %s", e->text);
    cr_assert_eq (e->exit_code, 0);
}

Test (exec, job_sees_only_its_own_processes)
{
    char *out;

    if (geteuid () != 0)
        cr_skip_test ("not root: no PID namespace");
    start_exec (SYNTH, 1);
    start (76,
           (const char *[]){"sh", "-c", "ls /proc | grep -c '^[0-9]'; echo $$", NULL});
    cr_assert_eq (wait_exit (76, DEADLINE)->exit_code, 0);
    out = output (76, LOG_STREAM_STDOUT);
    cr_assert (atoi (out) >= 2 && atoi (out) <= 4, "the job sees %s", out);
    cr_assert_str_eq (strchr (out, '\n') + 1, "2\n",
                      "the job is pid 2 in its namespace");
    free (out);
}
