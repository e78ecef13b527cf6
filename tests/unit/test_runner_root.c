/* test_runner_root.c: unit tests for agent/runner_root.c, the agent's root
 * side, driven over a real socketpair by a test standing for the network
 * process.
 *
 * A forked child plays the network process (it writes the requests into
 * the other end, waits for the link to close, then exits 0); the test then
 * reads the answers. What is checked: recover, a
 * log-open of a job that has no output and shutdown are answered in order
 * and the stop is orderly (the child exits by itself, 0 returned); and each
 * breach of the protocol (an unknown type, a request before recover, a
 * second recover, an exit-save that is not of a lost job, a descriptor
 * passed to the root side, a malformed start) ends the loop with EPROTO
 * and the child killed with SIGKILL; a lost report from the network side
 * leaves the saved exit report of a job that ended in place, and no more
 * than a bounded number of lost reports are saved.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/jobdir.h"
#include "agent/runner.h"
#include "agent/runner_wire.h"
#include "cphub/log.h"

typedef struct served {
    int rc;
    int err;     /* errno when rc < 0 */
    int status;  /* the child's, when the root side did not wait for it */
    bool waited; /* the root side waited for it */
    bool left;   /* it saw the link close and left by itself */
    runner_reader_t answers;
} served_t;

/* Append the encoding of r to *buf. */
static void add (uint8_t **buf, size_t *len, const runner_record_t *r)
{
    uint8_t *one;
    size_t n;

    cr_assert_eq (runner_wire_encode (r, &one, &n), 0);
    *buf = realloc (*buf, *len + n);
    memcpy (*buf + *len, one, n);
    *len += n;
    free (one);
}

/* Serve the requests in bytes (passing fd with them when >= 0), with dir
 * (made by the caller, who removes it) for the agent's state. */
static void serve_in (
    const char *dir, const uint8_t *bytes, size_t len, int fd, served_t *out)
{
    cphub_error_t err = {""};
    exec_config_t cfg = {.node = "node1", .kill_grace = 1};
    topo_t *topo;
    sigset_t block;
    int sv[2], gone[2];
    pid_t child;
    char byte;

    memset (out, 0, sizeof (*out));
    log_init ("test_runner_root", LOG_LVL_WARN);
    sigemptyset (&block);
    sigaddset (&block, SIGCHLD);
    sigaddset (&block, SIGTERM);
    sigaddset (&block, SIGINT);
    sigprocmask (SIG_BLOCK, &block, NULL);
    cfg.state_dir = dir;
    topo = topo_create ("synthetic:package:1 core:2 pu:1", &err);
    cr_assert_not_null (topo, "%s", err.text);
    cr_assert_eq (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    cr_assert_eq (pipe2 (gone, O_CLOEXEC | O_NONBLOCK), 0);
    if ((child = fork ()) == 0) {
        struct pollfd p = {.fd = sv[1], .events = POLLRDHUP};
        close (sv[0]);
        /* written here, as the root side reads: more than the socket holds
         * may go; a root side that stopped reading kills us (EPIPE aside) */
        if (runner_wire_send (sv[1], bytes, len, fd, false, NULL) < 0 && errno != EPIPE)
            _exit (1);
        while (poll (&p, 1, -1) >= 0 && !(p.revents & (POLLRDHUP | POLLHUP)))
            ;
        if (write (gone[1], "x", 1) != 1)
            _exit (1);
        _exit (0);
    }
    cr_assert_gt (child, 0);
    out->rc = runner_root_run (sv[0], child, &cfg, topo, &err);
    out->err = errno;
    close (gone[1]);
    /* ECHILD: the root side waited for it (an orderly stop) */
    if (waitpid (child, &out->status, 0) < 0) {
        cr_assert_eq (errno, ECHILD);
        out->waited = true;
    }
    out->left = read (gone[0], &byte, 1) == 1;
    close (gone[0]);
    close (sv[0]);
    while (runner_reader_fill (&out->answers, sv[1], true) > 0)
        ;
    close (sv[1]);
    topo_destroy (topo);
}

static void remove_dir (const char *dir)
{
    char cmd[128];

    snprintf (cmd, sizeof (cmd), "rm -rf %s", dir);
    cr_assert_eq (system (cmd), 0);
}

/* serve_in a fresh directory, removed afterwards. */
static void serve (const uint8_t *bytes, size_t len, int fd, served_t *out)
{
    char dir[] = "/tmp/cphub-test-root-XXXXXX";

    cr_assert_not_null (mkdtemp (dir));
    serve_in (dir, bytes, len, fd, out);
    remove_dir (dir);
}

static void assert_broken (const served_t *s, const char *what)
{
    cr_assert_eq (s->rc, -1, "%s was served", what);
    cr_assert_eq (s->err, EPROTO, "%s: errno %d", what, s->err);
    cr_assert (!s->waited && WIFSIGNALED (s->status) && WTERMSIG (s->status) == SIGKILL,
               "%s: the network process was not killed (status %#x)", what, s->status);
    cr_assert_not (s->left);
}

Test (runner_root, orderly_session)
{
    runner_record_t rec = {.type = RUNNER_REQ_RECOVER};
    runner_record_t logq = {.type = RUNNER_REQ_LOG_OPEN,
                            .u.log = {.id = 77, .stream = LOG_STREAM_STDOUT}};
    runner_record_t bye = {.type = RUNNER_REQ_SHUTDOWN}, got;
    cphub_error_t err = {""};
    uint8_t *buf = NULL;
    size_t len = 0;
    served_t s;

    add (&buf, &len, &rec);
    add (&buf, &len, &logq);
    add (&buf, &len, &bye);
    serve (buf, len, -1, &s);
    cr_assert_eq (s.rc, 0, "errno %d", s.err);
    cr_assert (s.left, "the network process did not see the link close");
    cr_assert (s.waited || (WIFEXITED (s.status) && WEXITSTATUS (s.status) == 0),
               "the network process was killed (status %#x)", s.status);
    cr_assert_eq (runner_reader_next (&s.answers, RUNNER_FROM_ROOT, &got, &err), 1,
                  "%s", err.text);
    cr_assert_eq (got.type, RUNNER_EV_RECOVERED);
    cr_assert_eq (got.u.recovered.adopted, 0);
    cr_assert_eq (got.u.recovered.code, 0);
    cr_assert_eq (runner_reader_next (&s.answers, RUNNER_FROM_ROOT, &got, &err), 1,
                  "%s", err.text);
    cr_assert_eq (got.type, RUNNER_EV_LOG_OPENED);
    cr_assert_eq (got.u.result.id, 77);
    cr_assert_eq (got.u.result.code, ENOENT, "code %d", got.u.result.code);
    cr_assert_eq (s.answers.nfds, 0, "no descriptor for a failed open");
    cr_assert_eq (runner_reader_next (&s.answers, RUNNER_FROM_ROOT, &got, &err), 0,
                  "nothing more");
    runner_reader_clear (&s.answers);
    free (buf);
}

Test (runner_root, unknown_type_breaks)
{
    uint32_t bad[2] = {999, 0};
    served_t s;

    serve ((const uint8_t *)bad, sizeof (bad), -1, &s);
    assert_broken (&s, "an unknown type");
    runner_reader_clear (&s.answers);
}

Test (runner_root, order_is_checked)
{
    runner_record_t rec = {.type = RUNNER_REQ_RECOVER};
    runner_record_t kill = {.type = RUNNER_REQ_KILL, .u.kill = {.id = 1, .signal = 15}};
    uint8_t *buf = NULL;
    size_t len = 0;
    served_t s;

    add (&buf, &len, &kill);
    serve (buf, len, -1, &s);
    assert_broken (&s, "a kill before recover");
    runner_reader_clear (&s.answers);
    free (buf);
    buf = NULL;
    len = 0;
    add (&buf, &len, &rec);
    add (&buf, &len, &rec);
    serve (buf, len, -1, &s);
    assert_broken (&s, "a second recover");
    runner_reader_clear (&s.answers);
    free (buf);
}

Test (runner_root, only_lost_reports_are_saved)
{
    runner_record_t rec = {.type = RUNNER_REQ_RECOVER};
    runner_record_t save = {.type = RUNNER_REQ_EXIT_SAVE,
                            .u.exit = {.id = 5, .kind = EXIT_EXITED, .text = "forged"}};
    uint8_t *buf = NULL;
    size_t len = 0;
    served_t s;

    add (&buf, &len, &rec);
    add (&buf, &len, &save);
    serve (buf, len, -1, &s);
    assert_broken (&s, "an exit-save of an EXITED report");
    runner_reader_clear (&s.answers);
    free (buf);
}

/* A job that ended here, its exit not yet acknowledged: the network side's
 * word that it is lost does not replace how it ended. */
Test (runner_root, saved_exit_is_not_replaced_by_lost)
{
    char dir[] = "/tmp/cphub-test-root-XXXXXX", runs[256], job[256];
    runner_record_t rec = {.type = RUNNER_REQ_RECOVER};
    runner_record_t save = {.type = RUNNER_REQ_EXIT_SAVE,
                            .u.exit = {.id = 5, .kind = EXIT_LOST, .text = "forged"}};
    runner_record_t bye = {.type = RUNNER_REQ_SHUTDOWN};
    msg_job_exit_t done = {.id = 5,
                           .kind = EXIT_EXITED,
                           .start_time = 100,
                           .end_time = 160,
                           .cpu_time = 55,
                           .text = "exited"};
    msg_job_exit_t kept = {0};
    uint8_t *buf = NULL;
    size_t len = 0;
    served_t s;

    cr_assert_not_null (mkdtemp (dir));
    snprintf (runs, sizeof (runs), "%s/runs", dir);
    snprintf (job, sizeof (job), "%s/runs/5", dir);
    cr_assert_eq (mkdir (runs, 0700), 0);
    cr_assert_eq (mkdir (job, 0700), 0);
    cr_assert_eq (jobdir_exit_write (job, &done), 0);
    add (&buf, &len, &rec);
    add (&buf, &len, &save);
    add (&buf, &len, &bye);
    serve_in (dir, buf, len, -1, &s);
    cr_assert_eq (s.rc, 0, "errno %d", s.err);
    cr_assert_eq (jobdir_exit_read (job, &kept), 0, "the saved report is gone");
    cr_assert_eq (kept.kind, EXIT_EXITED, "the report became kind %d", (int)kept.kind);
    cr_assert_float_eq (kept.cpu_time, 55, 1e-6);
    runner_reader_clear (&s.answers);
    remove_dir (dir);
    free (buf);
}

/* Lost reports of job ids the network side makes up: the root side keeps
 * a bounded number of records directories for them, not one per id. */
Test (runner_root, lost_reports_are_bounded)
{
    char dir[] = "/tmp/cphub-test-root-XXXXXX", runs[256];
    runner_record_t rec = {.type = RUNNER_REQ_RECOVER};
    runner_record_t bye = {.type = RUNNER_REQ_SHUTDOWN};
    uint8_t *buf = NULL;
    size_t len = 0;
    int saved = 0;
    struct dirent *de;
    served_t s;
    DIR *d;

    cr_assert_not_null (mkdtemp (dir));
    add (&buf, &len, &rec);
    for (uint64_t id = 1; id <= 6000; id++) {
        runner_record_t save = {.type = RUNNER_REQ_EXIT_SAVE,
                                .u.exit = {.id = id, .kind = EXIT_LOST}};
        add (&buf, &len, &save);
    }
    add (&buf, &len, &bye);
    serve_in (dir, buf, len, -1, &s);
    cr_assert_eq (s.rc, 0, "errno %d", s.err);
    snprintf (runs, sizeof (runs), "%s/runs", dir);
    cr_assert_not_null (d = opendir (runs));
    while ((de = readdir (d)))
        saved += de->d_name[0] >= '1' && de->d_name[0] <= '9';
    closedir (d);
    cr_assert_gt (saved, 0, "no lost report saved");
    cr_assert_leq (saved, 4096, "%d lost reports saved", saved);
    runner_reader_clear (&s.answers);
    remove_dir (dir);
    free (buf);
}

Test (runner_root, descriptor_from_the_network_side_breaks)
{
    runner_record_t rec = {.type = RUNNER_REQ_RECOVER};
    uint8_t *buf = NULL;
    size_t len = 0;
    served_t s;
    int fd = open ("/dev/null", O_RDONLY);

    add (&buf, &len, &rec);
    serve (buf, len, fd, &s);
    assert_broken (&s, "a passed descriptor");
    runner_reader_clear (&s.answers);
    close (fd);
    free (buf);
}

Test (runner_root, malformed_start_breaks)
{
    runner_record_t rec = {.type = RUNNER_REQ_RECOVER};
    uint8_t *buf = NULL;
    size_t len = 0;
    uint32_t start[3] = {RUNNER_REQ_START, 4, 0}; /* id cut short */
    served_t s;

    add (&buf, &len, &rec);
    buf = realloc (buf, len + sizeof (start));
    memcpy (buf + len, start, sizeof (start));
    len += sizeof (start);
    serve (buf, len, -1, &s);
    assert_broken (&s, "a start of 4 bytes");
    runner_reader_clear (&s.answers);
    free (buf);
}
