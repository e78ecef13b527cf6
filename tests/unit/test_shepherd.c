/* test_shepherd.c: unit tests for the job shepherd (agent/shepherd.c), the
 * job directory records (agent/jobdir.c) and what the job runner does with
 * them (agent/exec_end.c): exit records kept until acknowledged, jobs
 * adopted or reported after an agent restart, processes that survive KILL.
 *
 * An agent restart is played in one process: exec_destroy() forgets the
 * jobs and leaves them running under their shepherds, a new exec_t is made
 * on the same state directory and exec_recover() finds them. Every test
 * waits for conditions with deadlines, and stops every job it started.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/exec.h"
#include "agent/jobdir.h"
#include "agent/topo.h"
#include "cphub/jobspec.h"

#define SYNTH "synthetic:package:1 numa:1 core:2 pu:1"
#define EXITS_MAX 16
#define DEADLINE 5.0

typedef struct fixture {
    char dir[64];
    char jobs[PATH_MAX - 64]; /* exec_jobs_dir(), kept across restarts */
    topo_t *topo;
    exec_t *x;
    int64_t grace;
    msg_job_exit_t exits[EXITS_MAX];
    int nexits;
    bool group_stays; /* the injected probe: every group is still there */
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

static bool probe (int64_t pgid, void *arg)
{
    fixture_t *f = arg;

    return f->group_stays || jobdir_group_alive ((pid_t)pgid);
}

static void make_exec (void)
{
    cphub_error_t err = {{0}};
    exec_config_t cfg = {.state_dir = fx.dir,
                         .node = "node1",
                         .kill_grace = fx.grace,
                         .group_alive = probe,
                         .probe_arg = &fx};

    fx.x = exec_create (&cfg, fx.topo, exit_cb, &fx, &err);
    cr_assert_not_null (fx.x, "%s", err.text);
    snprintf (fx.jobs, sizeof (fx.jobs), "%s", exec_jobs_dir (fx.x));
}

static void start_exec (int64_t grace)
{
    cphub_error_t err = {{0}};

    fx.grace = grace;
    fx.topo = topo_create (SYNTH, &err);
    cr_assert_not_null (fx.topo, "%s", err.text);
    make_exec ();
}

/* The agent dies and a new one starts on the same state directory. */
static void restart (uint32_t *adopted, uint32_t *reported)
{
    cphub_error_t err = {{0}};

    exec_destroy (fx.x);
    make_exec ();
    cr_assert_eq (exec_recover (fx.x, adopted, reported, &err), 0, "%s", err.text);
}

static void setup (void)
{
    memset (&fx, 0, sizeof (fx));
    snprintf (fx.dir, sizeof (fx.dir), "/tmp/cphub-test-shepherd-XXXXXX");
    cr_assert_not_null (mkdtemp (fx.dir));
}

static int rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove (path);
}

static void pump (int ms)
{
    struct pollfd pfd = {.fd = exec_fd (fx.x), .events = POLLIN};
    int next = exec_timeout_ms (fx.x);

    if (next >= 0 && next < ms)
        ms = next;
    if (ms > 20)
        ms = 20;
    (void)poll (&pfd, 1, ms);
    exec_tick (fx.x);
    exec_reap (fx.x);
}

static void teardown (void)
{
    if (fx.x) {
        uint32_t n = 0;
        uint64_t *ids = exec_job_ids (fx.x, &n);
        double deadline = mono () + DEADLINE;

        fx.group_stays = false;
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

TestSuite (shepherd, .init = setup, .fini = teardown, .timeout = 30);

static const msg_job_exit_t *wait_exit (uint64_t id)
{
    double deadline = mono () + DEADLINE;

    for (;;) {
        for (int i = 0; i < fx.nexits; i++)
            if (fx.exits[i].id == id)
                return &fx.exits[i];
        cr_assert_lt (mono (), deadline, "job %" PRIu64 " did not end", id);
        pump (20);
    }
}

static int exits_of (uint64_t id)
{
    int n = 0;

    for (int i = 0; i < fx.nexits; i++)
        n += fx.exits[i].id == id;
    return n;
}

static int64_t start_argv (uint64_t id, int64_t walltime, const char *const *argv)
{
    msg_job_run_t run;
    cphub_error_t err = {{0}};
    int64_t pid = 0;
    double t0 = 0;
    int argc = 0;

    memset (&run, 0, sizeof (run));
    jobspec_init (&run.spec);
    run.id = id;
    run.spec.walltime = walltime;
    snprintf (run.tenant, sizeof (run.tenant), "acme");
    snprintf (run.cpus, sizeof (run.cpus), "0");
    snprintf (run.mems, sizeof (run.mems), "0");
    while (argv[argc])
        argc++;
    cr_assert_eq (jobspec_set_argv (&run.spec, argc, (char *const *)argv, &err), 0,
                  "%s", err.text);
    cr_assert_eq (exec_start (fx.x, &run, &pid, &t0, &err), 0, "%s", err.text);
    jobspec_clear (&run.spec);
    return pid;
}

static int64_t start_sh (uint64_t id, int64_t walltime, const char *script)
{
    const char *argv[] = {"sh", "-c", script, NULL};
    return start_argv (id, walltime, argv);
}

/* The records directory of id (pid, status, exit): <state_dir>/runs/<id>. */
static void job_dir (uint64_t id, char *buf, size_t len)
{
    snprintf (buf, len, "%s/runs/%" PRIu64, fx.dir, id);
}

static void wait_file (uint64_t id, const char *name)
{
    double deadline = mono () + DEADLINE;
    char dir[PATH_MAX];

    job_dir (id, dir, sizeof (dir));
    while (!jobdir_has (dir, name)) {
        cr_assert_lt (mono (), deadline, "no %s file for job %" PRIu64, name, id);
        usleep (10000);
    }
}

/* --- records ------------------------------------------------------------ */

Test (shepherd, records_round_trip)
{
    jobdir_pid_t p = {.pid = 1234,
                      .proc_start = 987654,
                      .start_time = 1732665600.25,
                      .walltime = 3600,
                      .shepherd = 1233,
                      .shepherd_start = 987650};
    jobdir_status_t st = {
        .status = 7 << 8, .end_time = 1732665700.5, .cpu_time = 1.25, .max_rss = 4096};
    msg_job_exit_t e = {.id = 7,
                        .kind = EXIT_TIMEOUT,
                        .signal = SIGTERM,
                        .start_time = 10.5,
                        .end_time = 20.75,
                        .max_rss = 1 << 20,
                        .survived_kill = true,
                        .run = 2};
    jobdir_pid_t p2;
    jobdir_status_t st2;
    msg_job_exit_t e2;
    FILE *f;
    char path[PATH_MAX];

    snprintf (e.text, sizeof (e.text), "two\nlines");
    cr_assert_eq (jobdir_pid_write (fx.dir, &p), 0);
    cr_assert_eq (jobdir_pid_read (fx.dir, &p2), 0);
    cr_assert_eq (p2.pid, 1234);
    cr_assert_eq (p2.proc_start, 987654);
    cr_assert_float_eq (p2.start_time, 1732665600.25, 1e-6);
    cr_assert_eq (p2.walltime, 3600);
    cr_assert_eq (p2.shepherd, 1233);
    cr_assert_eq (p2.shepherd_start, 987650);
    cr_assert_eq (p2.kill, JOBDIR_KILL_NONE);
    cr_assert_eq (jobdir_pid_kill (fx.dir, JOBDIR_KILL_TIMEOUT), 0);
    cr_assert_eq (jobdir_pid_read (fx.dir, &p2), 0);
    cr_assert_eq (p2.kill, JOBDIR_KILL_TIMEOUT);

    cr_assert_eq (jobdir_status_write (fx.dir, &st), 0);
    cr_assert_eq (jobdir_status_read (fx.dir, &st2), 0);
    cr_assert_eq (st2.status, 7 << 8);
    cr_assert_float_eq (st2.end_time, 1732665700.5, 1e-6);
    cr_assert_float_eq (st2.cpu_time, 1.25, 1e-6);
    cr_assert_eq (st2.max_rss, 4096);

    cr_assert_eq (jobdir_exit_write (fx.dir, &e), 0);
    cr_assert_eq (jobdir_exit_read (fx.dir, &e2), 0);
    cr_assert_eq (e2.id, 7);
    cr_assert_eq (e2.kind, EXIT_TIMEOUT);
    cr_assert_eq (e2.signal, SIGTERM);
    cr_assert_float_eq (e2.end_time, 20.75, 1e-6);
    cr_assert_eq (e2.max_rss, 1 << 20);
    cr_assert (e2.survived_kill);
    cr_assert_eq (e2.run, 2, "a resent report still names its run");
    cr_assert_str_eq (e2.text, "two lines", "one line on disk");

    /* no .tmp files are left behind */
    snprintf (path, sizeof (path), "%s/exit.tmp", fx.dir);
    cr_assert_neq (access (path, F_OK), 0);
    /* a damaged record is refused, a missing one is ENOENT */
    snprintf (path, sizeof (path), "%s/status", fx.dir);
    cr_assert_not_null (f = fopen (path, "w"));
    fputs ("status x\n", f);
    fclose (f);
    cr_assert_eq (jobdir_status_read (fx.dir, &st2), -1);
    cr_assert_eq (errno, EPROTO);
    cr_assert_eq (jobdir_remove (fx.dir, JOBDIR_STATUS), 0);
    cr_assert_eq (jobdir_remove (fx.dir, JOBDIR_STATUS), 0, "removing twice is fine");
    cr_assert_eq (jobdir_status_read (fx.dir, &st2), -1);
    cr_assert_eq (errno, ENOENT);
}

Test (shepherd, proc_stat_and_groups)
{
    jobdir_proc_t st;
    pid_t child;
    int status;

    cr_assert_eq (jobdir_proc_stat (getpid (), &st), 0);
    cr_assert_eq (st.pgrp, getpgrp ());
    cr_assert_gt (st.start, 0);
    cr_assert (jobdir_proc_is (getpid (), st.start));
    cr_assert_not (jobdir_proc_is (getpid (), st.start + 1), "another start time");

    child = fork ();
    cr_assert_geq (child, 0);
    if (child == 0) {
        setpgid (0, 0);
        pause ();
        _exit (0);
    }
    setpgid (child, child);
    cr_assert (jobdir_group_alive (child));
    kill (child, SIGKILL);
    /* a zombie nobody has reaped yet does not count */
    for (double deadline = mono () + DEADLINE;
         jobdir_proc_stat (child, &st) == 0 && st.state != 'Z';)
        cr_assert_lt (mono (), deadline);
    cr_assert_not (jobdir_group_alive (child));
    cr_assert_eq (waitpid (child, &status, 0), child);
    cr_assert_eq (jobdir_proc_stat (child, &st), -1);
    cr_assert_eq (errno, ENOENT);
    cr_assert_not (jobdir_group_alive (child));
}

/* --- the shepherd ------------------------------------------------------- */

Test (shepherd, exit_record_kept_until_ack)
{
    char dir[PATH_MAX];
    msg_job_exit_t e;
    jobdir_status_t st;

    start_exec (1);
    start_sh (7, 0, "exit 7");
    cr_assert_eq (wait_exit (7)->exit_code, 7);
    job_dir (7, dir, sizeof (dir));
    cr_assert_not (jobdir_has (dir, JOBDIR_PID), "the pid file goes with the job");
    cr_assert_eq (jobdir_status_read (dir, &st), 0, "the shepherd wrote the status");
    cr_assert (WIFEXITED (st.status) && WEXITSTATUS (st.status) == 7);
    cr_assert_eq (jobdir_exit_read (dir, &e), 0, "the report is saved");
    cr_assert_eq (e.id, 7);
    cr_assert_eq (e.kind, EXIT_EXITED);
    cr_assert_eq (e.exit_code, 7);
    cr_assert_str_eq (e.text, fx.exits[0].text);
    exec_exit_ack (fx.x, 7);
    cr_assert_not (jobdir_has (dir, JOBDIR_EXIT), "acknowledged: removed");
}

Test (shepherd, shepherd_apart_from_job)
{
    char dir[PATH_MAX];
    jobdir_pid_t p;
    int64_t pid;

    start_exec (1);
    pid = start_argv (8, 0, (const char *[]){"sleep", "30", NULL});
    job_dir (8, dir, sizeof (dir));
    cr_assert_eq (jobdir_pid_read (dir, &p), 0);
    cr_assert_eq (p.pid, pid);
    cr_assert_neq (p.shepherd, pid);
    cr_assert (jobdir_proc_is ((pid_t)p.pid, p.proc_start));
    cr_assert (jobdir_proc_is ((pid_t)p.shepherd, p.shepherd_start));
    cr_assert_eq (getsid ((pid_t)pid), pid, "the job has its own session");
    cr_assert_eq (getpgid ((pid_t)pid), pid, "and is its process group");
    cr_assert_eq (getsid ((pid_t)p.shepherd), p.shepherd, "so has the shepherd");
    cr_assert_neq (getsid ((pid_t)p.shepherd), getsid (0), "apart from the agent's");
    /* TERM, HUP and INT do not reach the shepherd */
    kill ((pid_t)p.shepherd, SIGTERM);
    kill ((pid_t)p.shepherd, SIGHUP);
    kill ((pid_t)p.shepherd, SIGINT);
    pump (50);
    cr_assert (jobdir_proc_is ((pid_t)p.shepherd, p.shepherd_start));
    cr_assert (exec_running (fx.x, 8));
    cr_assert_eq (exec_kill (fx.x, 8, 0, NULL), 0);
    cr_assert_eq (wait_exit (8)->kind, EXIT_CANCELLED);
}

Test (shepherd, failed_start_leaves_no_records)
{
    const char *argv[] = {"/nonexistent/cphub-no-such-command", NULL};
    msg_job_run_t run;
    cphub_error_t err = {{0}};
    char dir[PATH_MAX];
    int64_t pid;
    double t0;

    start_exec (1);
    memset (&run, 0, sizeof (run));
    jobspec_init (&run.spec);
    run.id = 9;
    cr_assert_eq (jobspec_set_argv (&run.spec, 1, (char *const *)argv, &err), 0);
    cr_assert_eq (exec_start (fx.x, &run, &pid, &t0, &err), -1);
    cr_assert_eq (errno, ENOENT);
    jobspec_clear (&run.spec);
    job_dir (9, dir, sizeof (dir));
    cr_assert_not (jobdir_has (dir, JOBDIR_PID));
    cr_assert_not (jobdir_has (dir, JOBDIR_STATUS));
    cr_assert_eq (waitpid (-1, NULL, WNOHANG), -1, "the shepherd was reaped");
    cr_assert_eq (errno, ECHILD);
}

/* --- after an agent restart --------------------------------------------- */

Test (shepherd, running_jobs_adopted)
{
    uint32_t adopted = 99, reported = 99;

    start_exec (1);
    start_sh (1, 0, "sleep 0.5; exit 7");
    start_sh (2, 0, "sleep 0.5");
    restart (&adopted, &reported);
    cr_assert_eq (adopted, 2);
    cr_assert_eq (reported, 0);
    cr_assert (exec_running (fx.x, 1));
    cr_assert (exec_running (fx.x, 2));
    cr_assert_eq (wait_exit (1)->kind, EXIT_EXITED);
    cr_assert_eq (wait_exit (1)->exit_code, 7);
    cr_assert_eq (wait_exit (2)->exit_code, 0);
    cr_assert_gt (wait_exit (2)->end_time - wait_exit (2)->start_time, 0.4);
    for (int i = 0; i < 20; i++)
        pump (5);
    cr_assert_eq (exits_of (1), 1, "exactly once");
    cr_assert_eq (exits_of (2), 1, "exactly once");
    cr_assert_eq (exec_count (fx.x), 0);
}

Test (shepherd, ended_while_away_reported_until_acked)
{
    uint32_t adopted = 99, reported = 99;
    const msg_job_exit_t *e;

    start_exec (1);
    start_sh (3, 0, "echo bye; exit 3");
    exec_destroy (fx.x); /* the agent dies before the job ends */
    fx.x = NULL;
    wait_file (3, JOBDIR_STATUS);
    make_exec ();
    cr_assert_eq (exec_recover (fx.x, &adopted, &reported, NULL), 0);
    cr_assert_eq (adopted, 0);
    cr_assert_eq (reported, 1);
    e = wait_exit (3);
    cr_assert_eq (e->kind, EXIT_EXITED);
    cr_assert_eq (e->exit_code, 3);
    cr_assert_gt (e->end_time, 0);
    /* not acknowledged: the next agent reports it again, the same */
    restart (&adopted, &reported);
    cr_assert_eq (reported, 1);
    cr_assert_eq (fx.nexits, 2);
    cr_assert_eq (fx.exits[1].exit_code, 3);
    cr_assert_float_eq (fx.exits[1].end_time, fx.exits[0].end_time, 1e-5);
    exec_exit_ack (fx.x, 3);
    restart (&adopted, &reported);
    cr_assert_eq (reported, 0, "acknowledged: not again");
    cr_assert_eq (fx.nexits, 2);
}

Test (shepherd, saved_report_survives_restart)
{
    msg_job_exit_t e = {
        .id = 12, .kind = EXIT_START_FAILED, .start_time = 1, .end_time = 1};
    uint32_t adopted, reported;

    start_exec (1);
    snprintf (e.text, sizeof (e.text), "cannot execute 'x': No such file");
    cr_assert_eq (exec_exit_save (fx.x, &e), 0);
    restart (&adopted, &reported);
    cr_assert_eq (reported, 1);
    cr_assert_eq (fx.exits[0].kind, EXIT_START_FAILED);
    cr_assert_str_eq (fx.exits[0].text, "cannot execute 'x': No such file");
}

Test (shepherd, lost_when_shepherd_gone)
{
    uint32_t adopted = 99, reported = 99;
    char dir[PATH_MAX];
    const msg_job_exit_t *e;
    jobdir_pid_t p;
    double deadline;

    start_exec (1);
    start_argv (4, 0, (const char *[]){"sleep", "30", NULL});
    job_dir (4, dir, sizeof (dir));
    cr_assert_eq (jobdir_pid_read (dir, &p), 0);
    exec_destroy (fx.x);
    fx.x = NULL;
    kill ((pid_t)p.shepherd, SIGKILL); /* it cannot record anything now */
    cr_assert_eq (waitpid ((pid_t)p.shepherd, NULL, 0), p.shepherd);
    make_exec ();
    cr_assert_eq (exec_recover (fx.x, &adopted, &reported, NULL), 0);
    cr_assert_eq (adopted, 0);
    cr_assert_eq (reported, 1);
    e = wait_exit (4);
    cr_assert_eq (e->kind, EXIT_LOST);
    /* In a PID namespace (as root) the job dies with its shepherd's init
     * before the new agent looks; elsewhere the new agent kills it. Either
     * way it is lost, and nothing of it runs on. */
    cr_assert (
        strstr (e->text, "its shepherd ended without recording how the job ended"),
        "%s", e->text);
    deadline = mono () + DEADLINE;
    while (jobdir_proc_is ((pid_t)p.pid, p.proc_start))
        cr_assert_lt (mono (), deadline, "the orphaned job still runs");
}

Test (shepherd, walltime_after_adoption)
{
    uint32_t adopted = 0;
    const msg_job_exit_t *e;
    double t0 = mono ();

    start_exec (1);
    start_argv (5, 1, (const char *[]){"sleep", "30", NULL});
    restart (&adopted, NULL);
    cr_assert_eq (adopted, 1);
    cr_assert_geq (exec_timeout_ms (fx.x), 0);
    e = wait_exit (5);
    cr_assert_eq (e->kind, EXIT_TIMEOUT);
    cr_assert_eq (e->signal, SIGTERM);
    cr_assert_geq (mono () - t0, 0.9);
    cr_assert_lt (mono () - t0, 4.0);
}

Test (shepherd, kill_carries_on_after_restart)
{
    char path[PATH_MAX], out[64] = "";
    uint32_t adopted = 0;
    const msg_job_exit_t *e;
    double deadline;
    FILE *f;

    start_exec (1);
    start_sh (6, 0, "trap '' TERM; echo ready; exec sleep 30");
    cr_assert_eq (exec_output_path (fx.x, 6, LOG_STREAM_STDOUT, path, sizeof (path)),
                  0);
    for (deadline = mono () + DEADLINE; !strstr (out, "ready");) {
        cr_assert_lt (mono (), deadline, "the job never got ready");
        if ((f = fopen (path, "r"))) {
            out[fread (out, 1, sizeof (out) - 1, f)] = '\0';
            fclose (f);
        }
    }
    cr_assert_eq (exec_kill (fx.x, 6, SIGTERM, NULL), 0);
    restart (&adopted, NULL);
    cr_assert_eq (adopted, 1);
    e = wait_exit (6);
    cr_assert_eq (e->kind, EXIT_CANCELLED, "the new agent knows it was a cancel");
    cr_assert_eq (e->signal, SIGKILL, "TERM is ignored: KILL after the grace");
}

/* --- processes that outlive KILL ---------------------------------------- */

Test (shepherd, group_member_survives_kill)
{
    const msg_job_exit_t *e;
    double t0;

    start_exec (1);
    start_argv (10, 0, (const char *[]){"sleep", "30", NULL});
    fx.group_stays = true; /* as if a process of the job hung in the kernel */
    t0 = mono ();
    cr_assert_eq (exec_kill (fx.x, 10, 0, NULL), 0);
    e = wait_exit (10);
    cr_assert_eq (e->kind, EXIT_CANCELLED);
    cr_assert (e->survived_kill);
    cr_assert (strstr (e->text, "survived KILL"), "%s", e->text);
    cr_assert_geq (mono () - t0, 0.9, "reported before the survival window ended");
    cr_assert_eq (exits_of (10), 1);
}

Test (shepherd, group_that_empties_is_not_a_survivor)
{
    const msg_job_exit_t *e;

    start_exec (1);
    /* a background child in the job's group: killed with the job */
    start_sh (11, 0, "sleep 30 & exit 0");
    e = wait_exit (11);
    cr_assert_eq (e->kind, EXIT_EXITED);
    cr_assert_not (e->survived_kill);
}

Test (shepherd, job_process_survives_kill)
{
    char dir[PATH_MAX];
    const msg_job_exit_t *e;
    jobdir_pid_t p;
    double t0;

    start_exec (1);
    start_argv (13, 0, (const char *[]){"sleep", "30", NULL});
    job_dir (13, dir, sizeof (dir));
    cr_assert_eq (jobdir_pid_read (dir, &p), 0);
    /* A stopped shepherd cannot reap the job: to the agent, the job's
     * process is still there after KILL. */
    kill ((pid_t)p.shepherd, SIGSTOP);
    t0 = mono ();
    cr_assert_eq (exec_kill (fx.x, 13, SIGKILL, NULL), 0);
    e = wait_exit (13);
    cr_assert_eq (e->kind, EXIT_CANCELLED);
    cr_assert_eq (e->signal, SIGKILL);
    cr_assert (e->survived_kill);
    cr_assert_geq (mono () - t0, 0.9);
    cr_assert_not (exec_running (fx.x, 13), "the job is forgotten");
    kill ((pid_t)p.shepherd, SIGCONT);
    cr_assert_eq (waitpid ((pid_t)p.shepherd, NULL, 0), p.shepherd);
    pump (10);
    cr_assert_eq (exits_of (13), 1, "its shepherd's late end is not reported");
}

/* --- records a job cannot touch ----------------------------------------------- */

Test (shepherd, records_written_into_reserved_room)
{
    char dir[PATH_MAX], path[PATH_MAX];
    jobdir_status_t st = {
        .status = 9, .end_time = 2.5, .timed_out = true, .output_over = true};
    jobdir_status_t back;
    jobdir_run_t run;
    struct stat sb;

    snprintf (dir, sizeof (dir), "%s", fx.dir);
    cr_assert_eq (jobdir_reserve (dir), 0);
    snprintf (path, sizeof (path), "%s/status.tmp", dir);
    cr_assert_eq (stat (path, &sb), 0);
    cr_assert_eq (sb.st_size, JOBDIR_RESERVE, "room set aside for the status");
    cr_assert_eq (jobdir_status_write (dir, &st), 0);
    cr_assert_neq (stat (path, &sb), 0, "the reserved file became the record");
    cr_assert_eq (jobdir_status_read (dir, &back), 0);
    cr_assert_eq (back.status, 9);
    cr_assert (back.timed_out && back.output_over);

    cr_assert_eq (jobdir_run_write (dir, "12.0123456789abcdef", 0), 0);
    cr_assert_eq (jobdir_run_read (dir, &run), 0);
    cr_assert_str_eq (run.name, "12.0123456789abcdef");
    cr_assert_eq (run.run, 0, "a record without a run number reads as 0");
    cr_assert_eq (jobdir_run_write (dir, "12.0123456789abcdef", 3), 0);
    cr_assert_eq (jobdir_run_read (dir, &run), 0);
    cr_assert_eq (run.run, 3, "the run number survives an agent restart");
    const char *bad[] = {"12",
                         "12.",
                         "012.0123456789abcdef",
                         "12.0123456789ABCDEF",
                         "12.0123456789abcde",
                         "../12.0123456789abcdef",
                         "x.y"};
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        errno = 0;
        cr_assert_eq (jobdir_run_write (dir, bad[i], 1), -1, "%s accepted", bad[i]);
        cr_assert_eq (errno, EINVAL);
    }
}

Test (shepherd, records_out_of_the_jobs_reach)
{
    char dir[PATH_MAX];
    jobdir_pid_t p;
    const msg_job_exit_t *e;

    start_exec (1);
    start_sh (30, 0, "sleep 0.2; rm -rf ./* ../*/* 2>/dev/null; cd /; exit 3");
    job_dir (30, dir, sizeof (dir));
    cr_assert_eq (jobdir_pid_read (dir, &p), 0, "the pid record is in runs/30");
    e = wait_exit (30);
    cr_assert_eq (e->kind, EXIT_EXITED, "%s", e->text);
    cr_assert_eq (e->exit_code, 3);
}

Test (shepherd, walltime_held_by_the_shepherd_alone)
{
    uint32_t adopted = 99, reported = 99;
    const msg_job_exit_t *e;
    char dir[PATH_MAX];
    jobdir_pid_t p;
    double deadline;

    start_exec (1);
    start_argv (31, 1, (const char *[]){"sleep", "30", NULL});
    job_dir (31, dir, sizeof (dir));
    cr_assert_eq (jobdir_pid_read (dir, &p), 0);
    /* no agent acts on the job: the shepherd TERMs it at its wall time */
    deadline = mono () + 1.0 + DEADLINE;
    while (jobdir_proc_is ((pid_t)p.pid, p.proc_start)) {
        cr_assert_lt (mono (), deadline, "the job outlived its wall time");
        usleep (10000);
    }
    while (jobdir_proc_is ((pid_t)p.shepherd, p.shepherd_start)) {
        cr_assert_lt (mono (), deadline, "the shepherd did not end after its job");
        usleep (10000);
    }
    restart (&adopted, &reported);
    cr_assert_eq (adopted, 0);
    cr_assert_eq (reported, 1);
    e = wait_exit (31);
    cr_assert_eq (e->kind, EXIT_TIMEOUT, "%d %s", e->kind, e->text);
    cr_assert_eq (e->signal, SIGTERM);
}
