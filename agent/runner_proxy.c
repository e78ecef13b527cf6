/* runner_proxy.c: the network side's view of the job runner (runner.h).
 *
 * Each call that needs an answer writes its request (blocking: the root
 * side always reads) and reads records until the answer comes; exits and
 * held jobs that come first are handled on the way, in the order the root
 * side sent them, so that a job.kill answered ENOENT finds the exit report
 * of a job that had just ended already queued. The jobs the root side holds
 * are mirrored here (a hash by id, from its answers and events), which is
 * what register, heartbeat and logs need to know. A record from the root
 * side that is malformed, or an answer that is not the one awaited, breaks
 * the link: the network side stops, as it does on EOF.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <uthash.h>

#include "agent/runner.h"
#include "agent/runner_wire.h"
#include "agent/sim.h"
#include "cphub/clock.h"
#include "cphub/log.h"
#include "cphub/parse.h"

typedef struct held {
    uint64_t id;
    int64_t pid;
    double start_time;
    uint32_t run; /* the scheduler's number of the run */
    UT_hash_handle hh;
} held_t;

struct runner {
    int sock;
    runner_exit_f cb;
    void *arg;
    runner_reader_t rd;
    held_t *jobs; /* by id */
    bool broken;
    sim_t *sim; /* simulated: no root side; sock is a timerfd of sim_next */
};

static int sim_dispatch (runner_t *r);

static const char gone_text[] = "the agent's root process is gone";

runner_t *runner_create (int sock, runner_exit_f cb, void *arg)
{
    runner_t *r = calloc (1, sizeof (*r));

    if (!r)
        return NULL;
    r->sock = sock;
    r->cb = cb;
    r->arg = arg;
    return r;
}

static void held_drop_all (runner_t *r)
{
    held_t *h, *tmp;

    HASH_ITER (hh, r->jobs, h, tmp)
    {
        HASH_DEL (r->jobs, h);
        free (h);
    }
}

static void link_break (runner_t *r, const char *why)
{
    if (!r->broken)
        log_err ("%s: %s; stopping", gone_text, why);
    r->broken = true;
}

/* EOF: the root side stopped (SIGTERM) or died. */
static void link_closed (runner_t *r)
{
    if (!r->broken)
        log_info ("the agent's root process closed the link: stopping");
    r->broken = true;
}

/* Write a request; false when the link is (now) broken. */
static bool request (runner_t *r, const runner_record_t *q)
{
    uint8_t *buf = NULL;
    size_t len = 0;

    if (r->broken)
        return false;
    if (runner_wire_encode (q, &buf, &len) < 0) {
        log_err ("cannot encode a '%s' request: %s", runner_type_name (q->type),
                 strerror (errno));
        return false;
    }
    if (runner_wire_send (r->sock, buf, len, -1, false, NULL) < 0)
        link_break (r, strerror (errno));
    free (buf);
    return !r->broken;
}

void runner_destroy (runner_t *r)
{
    runner_record_t q = {.type = RUNNER_REQ_SHUTDOWN};

    if (!r)
        return;
    if (!r->broken && !r->sim)
        request (r, &q);
    sim_destroy (r->sim);
    runner_reader_clear (&r->rd);
    held_drop_all (r);
    close (r->sock);
    free (r);
}

int runner_fd (const runner_t *r)
{
    return r->sock;
}

bool runner_broken (const runner_t *r)
{
    return r->broken;
}

static void held_set (runner_t *r, const runner_job_t *job)
{
    held_t *h;

    HASH_FIND (hh, r->jobs, &job->id, sizeof (job->id), h);
    if (!h) {
        if (!(h = calloc (1, sizeof (*h)))) {
            log_err ("out of memory: job %" PRIu64 " is not counted as held", job->id);
            return;
        }
        h->id = job->id;
        HASH_ADD (hh, r->jobs, id, sizeof (h->id), h);
    }
    h->pid = job->pid;
    h->start_time = job->start_time;
    h->run = job->run;
}

static void held_drop (runner_t *r, uint64_t id)
{
    held_t *h;

    HASH_FIND (hh, r->jobs, &id, sizeof (id), h);
    if (h) {
        HASH_DEL (r->jobs, h);
        free (h);
    }
}

/* An event: true when handled (it was one). */
static bool event (runner_t *r, const runner_record_t *ev)
{
    switch (ev->type) {
    case RUNNER_EV_HELD:
        held_set (r, &ev->u.job);
        return true;
    case RUNNER_EV_EXITED:
        held_drop (r, ev->u.exit.id);
        r->cb (&ev->u.exit, r->arg);
        return true;
    default:
        return false;
    }
}

/* Handle events until an answer comes (1, in *out; the caller checks its
 * type) or no complete record is left (0; reading once, blocking or not,
 * before giving up); -1 when broken. */
static int pump (runner_t *r, bool block, runner_record_t *out)
{
    bool read_once = false;

    for (;;) {
        runner_record_t ev;
        cphub_error_t err = {""};
        ssize_t n;
        int rc;

        while ((rc = runner_reader_next (&r->rd, RUNNER_FROM_ROOT, &ev, &err)) > 0) {
            if (!event (r, &ev)) {
                *out = ev;
                return 1;
            }
            runner_record_clear (&ev);
        }
        if (rc < 0) {
            link_break (r, err.text);
            return -1;
        }
        if (r->broken)
            return -1;
        if (read_once && !block)
            return 0;
        n = runner_reader_fill (&r->rd, r->sock, !block);
        read_once = true;
        if (n == 0) {
            link_closed (r);
            return -1;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            link_break (r, strerror (errno));
            return -1;
        }
    }
}

int runner_dispatch_buffered (runner_t *r)
{
    runner_record_t ev;
    cphub_error_t err = {""};
    int rc;

    while (!r->broken &&
           (rc = runner_reader_next (&r->rd, RUNNER_FROM_ROOT, &ev, &err)) != 0) {
        if (rc < 0) {
            link_break (r, err.text);
            break;
        }
        if (!event (r, &ev))
            link_break (r, "it sent an answer to no request");
        runner_record_clear (&ev);
    }
    return r->broken ? -1 : 0;
}

int runner_dispatch (runner_t *r)
{
    runner_record_t answer;
    int rc;

    if (r->broken)
        return -1;
    if (r->sim)
        return sim_dispatch (r);
    /* drain what is there; an answer nobody waits for breaks the link */
    while ((rc = pump (r, false, &answer)) > 0) {
        link_break (r, "it sent an answer to no request");
        runner_record_clear (&answer);
        return -1;
    }
    return rc < 0 ? -1 : 0;
}

/* Send q and wait for its answer, of type want or want_too. */
static int call (runner_t *r,
                 const runner_record_t *q,
                 runner_type_t want,
                 runner_type_t want_too,
                 runner_record_t *answer,
                 cphub_error_t *err)
{
    int rc;

    if (!request (r, q)) {
        if (r->broken)
            return cphub_fail (err, EPIPE, "%s", gone_text);
        return cphub_fail (err, EINVAL,
                           "cannot pass a '%s' request to the root process",
                           runner_type_name (q->type));
    }
    while ((rc = pump (r, true, answer)) == 0)
        ;
    if (rc > 0 && answer->type != want && answer->type != want_too) {
        link_break (r, "it answered with a record of another request");
        runner_record_clear (answer);
    }
    if (r->broken)
        return cphub_fail (err, EPIPE, "%s", gone_text);
    return 0;
}

/* --- simulated execution (sim.h): the same calls, no root side ---------- */

runner_t *runner_create_sim (runner_exit_f cb, void *arg)
{
    runner_t *r = runner_create (-1, cb, arg);

    if (!r)
        return NULL;
    if (!(r->sim = sim_create ()) ||
        (r->sock = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0) {
        int saved = errno;
        runner_destroy (r);
        errno = saved;
        return NULL;
    }
    return r;
}

/* The timerfd fires at the earliest end (cphub_monotonic is CLOCK_MONOTONIC). */
static int sim_arm (runner_t *r)
{
    double next = sim_next (r->sim);
    struct itimerspec its = {{0, 0}, {0, 0}};

    if (next >= 0) {
        if (next <= 0)
            next = 1e-9; /* 0 would disarm it */
        its.it_value.tv_sec = (time_t)next;
        its.it_value.tv_nsec = (long)((next - (double)its.it_value.tv_sec) * 1e9);
        if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
            its.it_value.tv_nsec = 1;
    }
    return timerfd_settime (r->sock, TFD_TIMER_ABSTIME, &its, NULL);
}

static int sim_dispatch (runner_t *r)
{
    uint64_t ticks;
    msg_job_exit_t e;

    while (read (r->sock, &ticks, sizeof (ticks)) > 0)
        ;
    while (sim_take_due (r->sim, cphub_monotonic (), clock_now (), &e) > 0) {
        held_t *h;
        HASH_FIND (hh, r->jobs, &e.id, sizeof (e.id), h);
        e.run = h ? h->run : 0; /* the run it ends, as a real one says */
        held_drop (r, e.id);
        r->cb (&e, r->arg);
    }
    if (sim_arm (r) < 0) {
        link_break (r, strerror (errno));
        return -1;
    }
    return 0;
}

static int sim_run (runner_t *r,
                    const msg_job_run_t *run,
                    int64_t *pid,
                    double *start_time,
                    msg_job_exit_t *e,
                    cphub_error_t *err)
{
    runner_job_t job = {
        .id = run->id, .pid = 0, .start_time = clock_now (), .run = run->run};

    if (sim_start (r->sim, run->id, &run->spec, cphub_monotonic (), job.start_time) <
            0 ||
        sim_arm (r) < 0) {
        *e =
            (msg_job_exit_t){.id = run->id, .kind = EXIT_START_FAILED, .run = run->run};
        e->start_time = e->end_time = job.start_time;
        snprintf (e->text, sizeof (e->text), "simulated start failed: %s",
                  strerror (errno));
        return cphub_fail (err, errno, "%s", e->text);
    }
    held_set (r, &job);
    *pid = job.pid;
    *start_time = job.start_time;
    return 0;
}

int runner_recover (runner_t *r,
                    uint32_t *adopted,
                    uint32_t *reported,
                    cphub_error_t *err)
{
    runner_record_t q = {.type = RUNNER_REQ_RECOVER}, a;

    /* Simulated jobs are not remembered: at a restart they are lost to the node. */
    if (r->sim) {
        *adopted = *reported = 0;
        return 0;
    }
    if (call (r, &q, RUNNER_EV_RECOVERED, RUNNER_EV_RECOVERED, &a, err) < 0)
        return -1;
    if (adopted)
        *adopted = a.u.recovered.adopted;
    if (reported)
        *reported = a.u.recovered.reported;
    if (a.u.recovered.code)
        return cphub_fail (err, a.u.recovered.code, "%s", a.u.recovered.text);
    return 0;
}

int runner_start (runner_t *r,
                  const msg_job_run_t *run,
                  int64_t *pid,
                  double *start_time,
                  msg_job_exit_t *e,
                  cphub_error_t *err)
{
    runner_record_t q = {.type = RUNNER_REQ_START}, a;

    if (r->sim)
        return sim_run (r, run, pid, start_time, e, err);
    q.u.run = *run; /* borrowed: q is not cleared */
    if (call (r, &q, RUNNER_EV_STARTED, RUNNER_EV_START_FAILED, &a, err) < 0)
        return -1;
    if (a.type == RUNNER_EV_START_FAILED) {
        *e = a.u.exit;
        return cphub_fail (err, EINVAL, "%s", a.u.exit.text);
    }
    if (a.u.job.id != run->id) {
        link_break (r, "it answered a start with another job");
        return cphub_fail (err, EPIPE, "%s", gone_text);
    }
    held_set (r, &a.u.job);
    *pid = a.u.job.pid;
    *start_time = a.u.job.start_time;
    return 0;
}

int runner_kill (runner_t *r, uint64_t id, int signal, cphub_error_t *err)
{
    runner_record_t q = {.type = RUNNER_REQ_KILL,
                         .u.kill = {.id = id, .signal = signal}};
    runner_record_t a;

    if (r->sim) {
        if (sim_kill (r->sim, id, cphub_monotonic ()) < 0)
            return cphub_fail (err, ENOENT, "job %" PRIu64 " is not running here", id);
        return sim_arm (r) < 0
                   ? cphub_fail (err, errno, "timerfd: %s", strerror (errno))
                   : 0;
    }
    if (call (r, &q, RUNNER_EV_KILLED, RUNNER_EV_KILLED, &a, err) < 0)
        return -1;
    if (a.u.result.code)
        return cphub_fail (err, a.u.result.code, "%s", a.u.result.text);
    return 0;
}

int runner_log_open (runner_t *r, uint64_t id, log_stream_t stream, cphub_error_t *err)
{
    runner_record_t q = {.type = RUNNER_REQ_LOG_OPEN,
                         .u.log = {.id = id, .stream = stream}};
    runner_record_t a;
    int fd;

    if (r->sim)
        return cphub_fail (err, ENOENT, "simulated job %" PRIu64 ": no output", id);
    if (call (r, &q, RUNNER_EV_LOG_OPENED, RUNNER_EV_LOG_OPENED, &a, err) < 0)
        return -1;
    if (a.u.result.code)
        return cphub_fail (err, a.u.result.code, "%s", a.u.result.text);
    /* The descriptor came with the answer's first byte. */
    if ((fd = runner_reader_take_fd (&r->rd)) < 0) {
        link_break (r, "it answered log-open without a descriptor");
        return cphub_fail (err, EPIPE, "%s", gone_text);
    }
    return fd;
}

void runner_exit_ack (runner_t *r, uint64_t id)
{
    runner_record_t q = {.type = RUNNER_REQ_EXIT_ACK, .u.id = id};

    if (!r->sim) /* nothing of a simulated job is saved */
        request (r, &q);
}

void runner_exit_save (runner_t *r, const msg_job_exit_t *e)
{
    runner_record_t q = {.type = RUNNER_REQ_EXIT_SAVE, .u.exit = *e};

    if (!r->sim)
        request (r, &q);
}

uint32_t runner_count (const runner_t *r)
{
    return (uint32_t)HASH_COUNT (r->jobs);
}

bool runner_running (const runner_t *r, uint64_t id)
{
    held_t *h;

    HASH_FIND (hh, r->jobs, &id, sizeof (id), h);
    return h != NULL;
}

int runner_job_info (
    const runner_t *r, uint64_t id, int64_t *pid, double *start_time, uint32_t *run)
{
    held_t *h;

    HASH_FIND (hh, r->jobs, &id, sizeof (id), h);
    if (!h) {
        errno = ENOENT;
        return -1;
    }
    *pid = h->pid;
    *start_time = h->start_time;
    *run = h->run;
    return 0;
}

uint64_t *runner_job_ids (const runner_t *r, uint32_t *count)
{
    uint32_t n = runner_count (r), i = 0;
    held_t *h, *tmp;
    uint64_t *ids;

    *count = 0;
    if (n == 0 || !(ids = malloc (n * sizeof (*ids))))
        return NULL;
    HASH_ITER (hh, r->jobs, h, tmp)
    {
        ids[i++] = h->id;
    }
    *count = n;
    return ids;
}
