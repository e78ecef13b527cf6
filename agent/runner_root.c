/* runner_root.c: the agent's root side (runner.h): the job runner serving
 * the unprivileged network side over the socketpair.
 *
 * One loop polls the socketpair, exec_fd() and a signalfd, no longer than
 * exec_timeout_ms(), then calls exec_tick(). Each complete record is
 * checked (runner_wire.c) and handled by the row of the request table for
 * its type; the root side does what the request names and nothing else: it
 * never parses the scheduler's messages or JSON. The order of requests is
 * checked too: recovery comes first and once. Anything malformed or out of
 * order is logged, the network side is killed, and the loop ends (a
 * supervisor restarts the agent; the jobs keep running). Answers and events
 * go into an outgoing queue written without blocking, so that the root side
 * always keeps reading and neither side can wait on the other for ever; a
 * network side that stops reading while the queue grows past
 * RUNNER_ROOT_QUEUE_MAX is treated as broken. A job's output is opened here
 * (never following a link the job put in its place) and its descriptor is
 * passed, so the network side needs no access to job directories.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>
#include <utlist.h>

#include "agent/runner.h"
#include "agent/runner_wire.h"
#include "cphub/log.h"
#include "cphub/parse.h"

/* Bytes of answers and events the network side may leave unread. */
#define RUNNER_ROOT_QUEUE_MAX (64u * 1024 * 1024)
/* How long the network side has to stop once told, in milliseconds. */
#define RUNNER_ROOT_STOP_WAIT_MS 3000
/* Path buffer of a job's output file. */
#define RUNNER_PATH_MAX 4096
/* Lost reports of the network side saved and not yet acknowledged: each
 * is a records directory, and the network side names any job id. */
#define RUNNER_ROOT_LOST_MAX 4096

typedef struct lost {
    uint64_t id; /* key */
    UT_hash_handle hh;
} lost_t;

typedef struct outgoing {
    uint8_t *buf;
    size_t len;
    size_t off; /* bytes written */
    int fd;     /* to pass with the first byte; -1: none; owned */
    struct outgoing *next;
} outgoing_t;

typedef struct root {
    int sock;
    pid_t net_pid;
    exec_t *x;
    runner_reader_t rd;
    outgoing_t *queue;
    size_t queued; /* bytes */
    lost_t *lost;  /* lost reports saved for the network side */
    bool recovered;
    bool stop;
    bool broken; /* the network side broke the protocol */
} root_t;

static void broken (root_t *rt, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Like OpenBSD's fatalx: a network side that sends what it must not is
 * compromised or broken; it is killed and the root side stops. */
static void broken (root_t *rt, const char *fmt, ...)
{
    char text[256];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    log_err ("the network process (pid %ld) broke the protocol: %s; killing it",
             (long)rt->net_pid, text);
    kill (rt->net_pid, SIGKILL);
    rt->broken = true;
    rt->stop = true;
}

/* --- the outgoing queue ------------------------------------------------------ */

static void outgoing_free (outgoing_t *o)
{
    if (o->fd >= 0)
        close (o->fd);
    free (o->buf);
    free (o);
}

static void queue_flush (root_t *rt)
{
    outgoing_t *o;

    while ((o = rt->queue)) {
        size_t sent = 0;
        int rc = runner_wire_send (rt->sock, o->buf + o->off, o->len - o->off,
                                   o->off == 0 ? o->fd : -1, true, &sent);
        if (sent > 0 && o->fd >= 0) {
            close (o->fd); /* passed: the peer has its own copy */
            o->fd = -1;
        }
        o->off += sent;
        rt->queued -= sent;
        if (rc < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                log_info ("the network process is gone (%s): stopping",
                          strerror (errno));
                rt->stop = true;
            }
            return;
        }
        LL_DELETE (rt->queue, o);
        outgoing_free (o);
    }
}

/* Queue r (and fd, taken) and write what the socket takes now. */
static void emit (root_t *rt, const runner_record_t *r, int fd)
{
    outgoing_t *o = calloc (1, sizeof (*o));

    if (!o || runner_wire_encode (r, &o->buf, &o->len) < 0) {
        log_err ("cannot send a '%s' record to the network process: %s; stopping",
                 runner_type_name (r->type), strerror (errno));
        free (o);
        if (fd >= 0)
            close (fd);
        rt->stop = true;
        return;
    }
    o->fd = fd;
    LL_APPEND (rt->queue, o);
    rt->queued += o->len;
    queue_flush (rt);
    if (rt->queued > RUNNER_ROOT_QUEUE_MAX)
        broken (rt, "it left %zu bytes unread", rt->queued);
}

/* --- requests -------------------------------------------------------------------- */

static void exit_cb (const msg_job_exit_t *e, void *arg)
{
    root_t *rt = arg;
    runner_record_t ev = {.type = RUNNER_EV_EXITED, .u.exit = *e};

    emit (rt, &ev, -1);
}

static void emit_job (root_t *rt, runner_type_t type, uint64_t id)
{
    runner_record_t ev = {.type = type, .u.job.id = id};

    if (exec_job_info (rt->x, id, &ev.u.job.pid, &ev.u.job.start_time, &ev.u.job.run) ==
        0)
        emit (rt, &ev, -1);
}

static void on_recover (root_t *rt, const runner_record_t *q)
{
    runner_record_t ev = {.type = RUNNER_EV_RECOVERED};
    cphub_error_t err = {""};
    uint32_t n = 0;
    uint64_t *ids;

    (void)q;
    if (rt->recovered) {
        broken (rt, "a second 'recover'");
        return;
    }
    rt->recovered = true;
    if (exec_recover (rt->x, &ev.u.recovered.adopted, &ev.u.recovered.reported, &err) <
        0) {
        ev.u.recovered.code = errno ? errno : EIO;
        snprintf (ev.u.recovered.text, sizeof (ev.u.recovered.text), "%s", err.text);
    }
    ids = exec_job_ids (rt->x, &n);
    for (uint32_t i = 0; i < n; i++)
        emit_job (rt, RUNNER_EV_HELD, ids[i]);
    free (ids);
    emit (rt, &ev, -1);
}

static void on_start (root_t *rt, const runner_record_t *q)
{
    const msg_job_run_t *run = &q->u.run;
    runner_record_t ev = {.type = RUNNER_EV_START_FAILED};
    cphub_error_t err = {""};
    int64_t pid;
    double start;
    uint32_t number = run->run;

    /* Asked again (the scheduler repeats job.run): the job as it runs. */
    if (exec_job_info (rt->x, run->id, &pid, &start, &number) == 0 ||
        exec_start (rt->x, run, &pid, &start, &err) == 0) {
        runner_record_t ok = {
            .type = RUNNER_EV_STARTED,
            .u.job = {.id = run->id, .pid = pid, .start_time = start, .run = number}};
        emit (rt, &ok, -1);
        return;
    }
    ev.u.exit.id = run->id;
    ev.u.exit.kind = EXIT_START_FAILED;
    ev.u.exit.run = run->run;
    ev.u.exit.start_time = ev.u.exit.end_time = clock_now ();
    snprintf (ev.u.exit.text, sizeof (ev.u.exit.text), "%s", err.text);
    if (exec_exit_save (rt->x, &ev.u.exit) < 0)
        log_warn ("cannot save the exit report of job %" PRIu64 ": %s", run->id,
                  strerror (errno));
    emit (rt, &ev, -1);
}

static void on_kill (root_t *rt, const runner_record_t *q)
{
    runner_record_t ev = {.type = RUNNER_EV_KILLED, .u.result.id = q->u.kill.id};
    cphub_error_t err = {""};

    if (exec_kill (rt->x, q->u.kill.id, q->u.kill.signal, &err) < 0) {
        ev.u.result.code = errno ? errno : EIO;
        snprintf (ev.u.result.text, sizeof (ev.u.result.text), "%s", err.text);
    }
    emit (rt, &ev, -1);
}

static void on_exit_ack (root_t *rt, const runner_record_t *q)
{
    lost_t *l = NULL;

    HASH_FIND (hh, rt->lost, &q->u.id, sizeof (q->u.id), l);
    if (l) {
        HASH_DEL (rt->lost, l);
        free (l);
    }
    exec_exit_ack (rt->x, q->u.id);
}

/* Only what the network side may say of a job: it is lost (a job.kill for a
 * job this node does not hold). A job that ended here keeps the report of
 * how it ended: the network side may have sent its word before it read the
 * job's exit, and a network side taken over must not turn a completed,
 * charged run into a lost one that the scheduler runs again. */
static void on_exit_save (root_t *rt, const runner_record_t *q)
{
    const msg_job_exit_t *e = &q->u.exit;
    lost_t *l = NULL;

    if (e->kind != EXIT_LOST) {
        broken (rt, "an 'exit-save' of kind %d for job %" PRIu64 " (only lost jobs)",
                (int)e->kind, e->id);
        return;
    }
    if (exec_running (rt->x, e->id)) {
        broken (rt, "an 'exit-save' for job %" PRIu64 ", which is running", e->id);
        return;
    }
    if (exec_exit_saved (rt->x, e->id)) {
        log_warn ("job %" PRIu64
                  " ended here; its saved exit report is kept, "
                  "not replaced by a lost one",
                  e->id);
        return;
    }
    /* at most RUNNER_ROOT_LOST_MAX of them: past it the report still goes
     * to the scheduler from the network side, it is only not kept here */
    HASH_FIND (hh, rt->lost, &e->id, sizeof (e->id), l);
    if (!l) {
        if (HASH_COUNT (rt->lost) >= RUNNER_ROOT_LOST_MAX) {
            log_warn ("job %" PRIu64
                      ": not saving its lost report, %u are "
                      "unacknowledged already",
                      e->id, (unsigned)HASH_COUNT (rt->lost));
            return;
        }
        if (!(l = calloc (1, sizeof (*l)))) {
            log_warn ("job %" PRIu64 ": out of memory saving its lost report", e->id);
            return;
        }
        l->id = e->id;
        HASH_ADD (hh, rt->lost, id, sizeof (l->id), l);
    }
    if (exec_exit_save (rt->x, e) < 0)
        log_warn ("cannot save the exit report of job %" PRIu64 ": %s", e->id,
                  strerror (errno));
}

/* A regular file with one link, never what a link the job's user (who owns
 * its directory) put in its place points to. fd, or -1/errno (EPERM: not
 * such a file). */
static int output_open (const char *path)
{
    int fd = open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat st;

    if (fd < 0)
        return -1;
    if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_nlink != 1) {
        close (fd);
        errno = EPERM;
        return -1;
    }
    return fd;
}

static void on_log_open (root_t *rt, const runner_record_t *q)
{
    runner_record_t ev = {.type = RUNNER_EV_LOG_OPENED, .u.result.id = q->u.log.id};
    char path[RUNNER_PATH_MAX];
    int fd = -1;

    if (exec_output_path (rt->x, q->u.log.id, q->u.log.stream, path, sizeof (path)) <
            0 ||
        (fd = output_open (path)) < 0) {
        ev.u.result.code = errno == ENAMETOOLONG ? ENOENT : errno;
        snprintf (ev.u.result.text, sizeof (ev.u.result.text), "%s",
                  strerror (ev.u.result.code));
    }
    emit (rt, &ev, fd);
}

static void on_shutdown (root_t *rt, const runner_record_t *q)
{
    (void)q;
    log_info ("the network process is stopping; so does the root process");
    rt->stop = true;
}

typedef void (*request_f) (root_t *rt, const runner_record_t *q);

/* Every request the root side serves; recovery must come first. */
static const struct {
    request_f handle;
    bool before_recovery; /* allowed before the first recover */
} requests[RUNNER_TYPE_COUNT] = {
    [RUNNER_REQ_RECOVER] = {on_recover, true},
    [RUNNER_REQ_START] = {on_start, false},
    [RUNNER_REQ_KILL] = {on_kill, false},
    [RUNNER_REQ_EXIT_ACK] = {on_exit_ack, false},
    [RUNNER_REQ_EXIT_SAVE] = {on_exit_save, false},
    [RUNNER_REQ_LOG_OPEN] = {on_log_open, false},
    [RUNNER_REQ_SHUTDOWN] = {on_shutdown, true},
};

/* Read what the socket holds and serve every complete request. */
static void sock_read (root_t *rt)
{
    for (;;) {
        runner_record_t q;
        cphub_error_t err = {""};
        ssize_t n = runner_reader_fill (&rt->rd, rt->sock, true);
        int rc;

        if (n == 0) {
            log_info ("the network process closed its end: stopping");
            rt->stop = true;
            return;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            if (errno == EPROTO)
                broken (rt, "it passed descriptors or sent an overlong record");
            else {
                log_info ("the network process is gone (%s): stopping",
                          strerror (errno));
                rt->stop = true;
            }
            return;
        }
        while (!rt->stop &&
               (rc = runner_reader_next (&rt->rd, RUNNER_FROM_NET, &q, &err)) != 0) {
            if (rc < 0) {
                broken (rt, "%s", err.text);
                return;
            }
            if (rt->rd.nfds > 0) {
                runner_record_clear (&q);
                broken (rt, "it passed a descriptor");
                return;
            }
            if (!requests[q.type].handle ||
                (!rt->recovered && !requests[q.type].before_recovery))
                broken (
                    rt, "a '%s' request %s", runner_type_name (q.type),
                    requests[q.type].handle ? "before 'recover'" : "it may not make");
            else
                requests[q.type].handle (rt, &q);
            runner_record_clear (&q);
        }
        if (n < 0 || rt->stop)
            return;
    }
}

/* --- the loop ------------------------------------------------------------------------
 */

static int signals_open (void)
{
    sigset_t stop;

    sigemptyset (&stop);
    sigaddset (&stop, SIGTERM);
    sigaddset (&stop, SIGINT);
    return signalfd (-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* Tell the network side to stop (EOF) and give it a while; then kill it. */
static void net_stop (root_t *rt)
{
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};

    shutdown (rt->sock, SHUT_RDWR);
    for (int waited = 0; waited < RUNNER_ROOT_STOP_WAIT_MS; waited += 10) {
        pid_t pid = waitpid (rt->net_pid, NULL, WNOHANG);
        /* ECHILD: exec_reap() took its status already */
        if (pid == rt->net_pid || (pid < 0 && errno == ECHILD))
            return;
        nanosleep (&pause, NULL);
    }
    log_warn ("the network process (pid %ld) did not stop: killing it",
              (long)rt->net_pid);
    kill (rt->net_pid, SIGKILL);
    waitpid (rt->net_pid, NULL, 0);
}

int runner_root_run (int sock,
                     pid_t net_pid,
                     const exec_config_t *xc,
                     const topo_t *topo,
                     cphub_error_t *err)
{
    root_t rt = {.sock = sock, .net_pid = net_pid};
    lost_t *l, *ltmp;
    int sigfd = -1, rc = -1;

    if ((sigfd = signals_open ()) < 0 ||
        fcntl (sock, F_SETFL, fcntl (sock, F_GETFL) | O_NONBLOCK) < 0) {
        cphub_fail (err, errno, "cannot set up the root process: %s", strerror (errno));
        goto done;
    }
    if (!(rt.x = exec_create (xc, topo, exit_cb, &rt, err)))
        goto done;
    log_info (
        "job runner process (uid %u) ready: jobs in %s, serving the network "
        "process (pid %ld)",
        (unsigned)geteuid (), exec_jobs_dir (rt.x), (long)net_pid);
    while (!rt.stop) {
        struct pollfd pfd[3] = {
            {.fd = sock, .events = POLLIN | (rt.queue ? POLLOUT : 0)},
            {.fd = exec_fd (rt.x), .events = POLLIN},
            {.fd = sigfd, .events = POLLIN},
        };
        int n = poll (pfd, 3, exec_timeout_ms (rt.x));

        if (n < 0 && errno != EINTR) {
            cphub_fail (err, errno, "poll: %s", strerror (errno));
            goto done;
        }
        if (n > 0 && pfd[2].revents) {
            struct signalfd_siginfo si;
            while (read (sigfd, &si, sizeof (si)) == (ssize_t)sizeof (si)) {
                log_info ("%s: stopping; %u running jobs keep running",
                          strsignal ((int)si.ssi_signo), exec_count (rt.x));
                rt.stop = true;
            }
        }
        if (n > 0 && pfd[1].revents)
            exec_reap (rt.x);
        if (n > 0 && (pfd[0].revents & POLLOUT))
            queue_flush (&rt);
        if (n > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) && !rt.stop)
            sock_read (&rt);
        if (!rt.stop)
            exec_tick (rt.x);
    }
    if (rt.broken)
        cphub_fail (err, EPROTO, "the network process broke the protocol");
    else
        rc = 0;
done:
    if (!rt.broken)
        net_stop (&rt);
    exec_destroy (rt.x);
    while (rt.queue) {
        outgoing_t *o = rt.queue;
        LL_DELETE (rt.queue, o);
        outgoing_free (o);
    }
    runner_reader_clear (&rt.rd);
    HASH_ITER (hh, rt.lost, l, ltmp)
    {
        HASH_DEL (rt.lost, l);
        free (l);
    }
    if (sigfd >= 0)
        close (sigfd);
    return rc;
}
