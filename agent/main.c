/* main.c: cphub-agent, the node agent: the loop that links this node's job
 * runner to the scheduler.
 *
 * It reads the config, discovers the node (topo.c), connects out to the
 * scheduler with a CURVE DEALER socket, registers with the node description
 * and the jobs it holds, heartbeats, and serves the scheduler's requests
 * through a table of handlers: job.run (exec.c starts the job), job.kill,
 * logs.fetch and job.exit.ack. On start it first adopts the jobs a previous
 * agent left running and reports those that ended meanwhile (exec_recover).
 * Job reports go through an outbox (outbox.h), which sends through a
 * callback here that lets nothing out until the scheduler has acknowledged
 * the registration; exit reports stay until a job.exit.ack names them. When the
 * scheduler answers a heartbeat with ENOENT (it restarted and forgot this node) the
 * agent registers again at once; a register left unanswered is repeated (on the same
 * socket, so that answers to the first still arrive) after 0.5 s, doubling to 5 s, once
 * the socket has connected; until then the transport reconnects by itself and the first
 * register waits in the socket. Anything malformed from the network is logged and
 * dropped. SIGTERM/SIGINT stop the agent: its sockets are closed, its jobs keep running
 * under their shepherds, and what a new agent needs is on disk.
 *
 * The agent runs as two processes (runner.h): once the config, the node,
 * the keys and isolation are set up, and before any ZeroMQ context or
 * thread exists, it forks. The parent keeps root and serves the job runner
 * (runner_root_run); the child drops to agent.user and is everything above:
 * every exec call is a checked request to the parent, and a job's output
 * comes as a descriptor the parent opened.
 *
 * A simulated agent (agent.simulate, sim.h) does not split: it runs no job,
 * its runner answers in this process, and with --simulate-nodes N the one
 * loop below serves N nodes (sim_nodes.c), each its own link and outbox.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utlist.h>

#include "agent/agent.h"
#include "cphub/clock.h"
#include "cphub/log.h"
#include "cphub/parse.h"

static double agent_now (void)
{
    return cphub_monotonic ();
}

/* --- sending -------------------------------------------------------------- */

static int agent_send (agent_t *a, const msg_t *m)
{
    if (!a->sock) {
        errno = ENOTCONN;
        return -1;
    }
    if (tsock_send (a->sock, NULL, m) < 0) {
        if (errno != EAGAIN)
            log_warn ("cannot send %s to the scheduler: %s", msg_type_name (m->type),
                      strerror (errno));
        return -1;
    }
    return 0;
}

/* The outbox's way out: nothing goes while the agent is not registered
 * (the reports wait for the scheduler to know this node again). */
static int outbox_send_cb (const msg_t *m, void *arg)
{
    agent_t *a = arg;

    if (!a->registered) {
        errno = EAGAIN;
        return -1;
    }
    return agent_send (a, m);
}

typedef struct held {
    const agent_t *a;
    node_desc_t *desc;
} held_t;

/* An exit report waits for job_id: the node still holds the job, unless it
 * runs again (then the runner lists it). */
static void held_exit_cb (uint64_t job_id, void *arg)
{
    held_t *h = arg;

    if (!runner_running (h->a->runner, job_id))
        h->desc->jobs[h->desc->njobs++] = job_id;
}

static void send_register (agent_t *a)
{
    msg_t *m = msg_create (MSG_REGISTER);
    uint32_t nrun = 0;
    uint64_t *running = NULL;

    a->register_sent = agent_now ();
    a->registered = false;
    if (!m || node_desc_copy (&m->u.node, &a->desc) < 0)
        goto nomem;
    /* The jobs held: running, and ended with the exit not known to be had. */
    running = runner_job_ids (a->runner, &nrun);
    m->u.node.jobs = calloc (
        (size_t)nrun + outbox_unsent (a->outbox) + outbox_unacked (a->outbox) + 1,
        sizeof (uint64_t));
    if (!m->u.node.jobs)
        goto nomem;
    for (uint32_t i = 0; i < nrun; i++)
        m->u.node.jobs[m->u.node.njobs++] = running[i];
    outbox_foreach_exit (a->outbox, held_exit_cb, &(held_t){a, &m->u.node});
    if (agent_send (a, m) == 0)
        log_debug ("register sent to %s (%u jobs held)", a->cfg.scheduler,
                   m->u.node.njobs);
    free (running);
    msg_destroy (m);
    return;
nomem:
    log_err ("out of memory building the register message");
    free (running);
    msg_destroy (m);
}

static void send_heartbeat (agent_t *a)
{
    msg_t *m = msg_create (MSG_HEARTBEAT);

    if (!m)
        return;
    m->u.heartbeat.running = runner_count (a->runner);
    agent_send (a, m);
    msg_destroy (m);
}

static void send_exit (agent_t *a, const msg_job_exit_t *e)
{
    msg_t *m = msg_create (MSG_JOB_EXIT);

    if (!m) {
        log_err ("out of memory: the exit of job %" PRIu64 " is not reported", e->id);
        return;
    }
    m->u.exit = *e;
    outbox_push (a->outbox, m, e->id, agent_now ());
}

static void send_started (
    agent_t *a, uint64_t id, int64_t pid, double time, uint32_t run)
{
    msg_t *m = msg_create (MSG_JOB_STARTED);

    if (!m) {
        log_err ("out of memory: the start of job %" PRIu64 " is not reported", id);
        return;
    }
    m->u.started.id = id;
    m->u.started.pid = pid;
    m->u.started.time = time;
    m->u.started.run = run;
    outbox_push (a->outbox, m, id, agent_now ());
}

/* --- handlers for the scheduler's messages ----------------------------------- */

static void on_register_ok (agent_t *a, const msg_t *m)
{
    cphub_error_t err = {""};

    if (hubid_check (a->hubid, m->u.register_ok.hub_id, &err) < 0) {
        bool other_hub = errno == EPERM;
        log_err ("%s", err.text);
        if (other_hub) { /* follow none of its orders; ask again, slowly */
            a->registered = false;
            a->register_sent = agent_now () + HUBID_RETRY - a->retry;
            return;
        }
    }
    a->register_retries = 0;
    if (!a->registered)
        log_info (
            "registered with the scheduler at %s as %s (%u cores, %u GPUs, %u "
            "jobs running)",
            a->cfg.scheduler, a->desc.name, a->desc.ncores, a->desc.ngpus,
            runner_count (a->runner));
    a->registered = true;
    a->retry = AGENT_RETRY_MIN;
    a->next_heartbeat = agent_now () + (double)a->cfg.heartbeat_interval;
    outbox_resend (a->outbox, agent_now ());
    outbox_flush (a->outbox, agent_now ());
}

static void on_error (agent_t *a, const msg_t *m)
{
    double now = agent_now ();

    /* ENOENT: the scheduler does not know this node (it restarted). Unless
     * a register is on its way: then the answer to it will come. EPERM or
     * EINVAL while not registered refuses the register (nothing else goes
     * out until the scheduler has taken it: outbox_send_cb, timers), for a
     * reason only an operator changes. */
    if ((m->u.error.code == EPERM || m->u.error.code == EINVAL) && !a->registered) {
        log_err (
            "the scheduler at %s refused to register node %s: %s (%s); trying "
            "again in %.0fs",
            a->cfg.scheduler, a->desc.name, m->u.error.text, strerror (m->u.error.code),
            AGENT_REFUSED_RETRY);
        a->register_sent = now + AGENT_REFUSED_RETRY - a->retry;
    } else if (m->u.error.code != ENOENT) {
        log_warn ("the scheduler refused a message: %s (%s)", m->u.error.text,
                  strerror (m->u.error.code));
    } else if (a->registered || now - a->register_sent >= a->retry) {
        log_info ("the scheduler does not know %s (%s); registering again",
                  a->desc.name, m->u.error.text);
        a->retry = AGENT_RETRY_MIN;
        send_register (a);
    } else {
        log_debug ("the scheduler does not know %s yet: %s", a->desc.name,
                   m->u.error.text);
    }
}

static void on_job_run (agent_t *a, const msg_t *m)
{
    const msg_job_run_t *run = &m->u.run;
    cphub_error_t err = {""};
    msg_job_exit_t e = {.id = run->id, .kind = EXIT_START_FAILED, .run = run->run};
    int64_t pid;
    double start;
    uint32_t held_run;

    if (runner_job_info (a->runner, run->id, &pid, &start, &held_run) == 0) {
        log_warn ("job %" PRIu64 " is already running (pid %" PRId64 ", run %" PRIu32
                  "); not started again",
                  run->id, pid, held_run);
        /* the run it holds, which the scheduler may know to be an old one */
        send_started (a, run->id, pid, start, held_run);
        return;
    }
    /* Reports of an earlier run of this id are moot now. */
    outbox_forget (a->outbox, run->id);
    if (runner_start (a->runner, run, &pid, &start, &e, &err) < 0) {
        if (runner_broken (a->runner))
            return; /* stopping: a new agent is told the job is not here */
        /* the root process saved e, the report */
        log_warn ("job %" PRIu64 " could not start: %s", run->id, err.text);
        send_exit (a, &e);
        return;
    }
    log_info ("job %" PRIu64 " started: pid %" PRId64 ", cpus %s%s%s%s", run->id, pid,
              run->cpus[0] ? run->cpus : "-", run->gpus[0] ? ", gpus " : "", run->gpus,
              a->desc.binding ? "" : " (binding not applied: not a real topology)");
    send_started (a, run->id, pid, start, run->run);
}

static void on_job_kill (agent_t *a, const msg_t *m)
{
    const msg_job_kill_t *k = &m->u.kill;
    cphub_error_t err = {""};
    msg_job_exit_t e = {.id = k->id, .kind = EXIT_LOST, .run = k->run};
    uint32_t held_run;
    int64_t pid;
    double start;

    /* a kill meant for another run of the job than the one held here (an
     * old run's, late) must not end this one */
    if (k->run > 0 &&
        runner_job_info (a->runner, k->id, &pid, &start, &held_run) == 0 &&
        held_run > 0 && held_run != k->run) {
        log_warn ("job.kill for run %" PRIu32 " of job %" PRIu64
                  ", which runs here as run %" PRIu32 ": not killed",
                  k->run, k->id, held_run);
        return;
    }
    if (runner_kill (a->runner, k->id, k->signal, &err) == 0) {
        log_info ("job %" PRIu64 ": killing it as the scheduler asked", k->id);
        return;
    }
    if (errno != ENOENT) {
        if (!runner_broken (a->runner))
            log_warn ("job %" PRIu64 ": %s", k->id, err.text);
        return;
    }
    if (outbox_has_exit (a->outbox, k->id))
        return; /* it ended; the report is on its way */
    log_warn ("job.kill for job %" PRIu64 ", which %s does not hold: reporting it lost",
              k->id, a->desc.name);
    e.start_time = e.end_time = clock_now ();
    snprintf (e.text, sizeof (e.text), "%s", err.text);
    runner_exit_save (a->runner, &e);
    send_exit (a, &e);
}

/* Read up to max bytes at offset from the job's output file into d. */
static void logs_read (agent_t *a, const msg_logs_req_t *q, msg_logs_data_t *d)
{
    size_t max =
        q->max == 0 || q->max > MSG_LOGS_CHUNK_MAX ? MSG_LOGS_CHUNK_MAX : q->max;
    cphub_error_t err = {""};
    struct stat st;
    ssize_t n = 0;
    int fd;

    d->offset = q->offset;
    /* The root process opens it (a regular file, no link followed). */
    if ((fd = runner_log_open (a->runner, q->id, q->stream, &err)) < 0 ||
        fstat (fd, &st) < 0) {
        d->code = errno == ENOENT || errno == ENAMETOOLONG ? ENOENT : errno;
        if (d->code == ENOENT)
            snprintf (d->text, sizeof (d->text), "no output for job %" PRIu64 " on %s",
                      q->id, a->desc.name);
        else
            snprintf (d->text, sizeof (d->text),
                      "cannot read the output of job %" PRIu64 " on %s: %s", q->id,
                      a->desc.name, strerror (d->code));
        goto done;
    }
    if (q->offset < (uint64_t)st.st_size) {
        size_t want = (uint64_t)st.st_size - q->offset < max
                          ? (size_t)((uint64_t)st.st_size - q->offset)
                          : max;
        if (!(d->data = malloc (want))) {
            d->code = ENOMEM;
            snprintf (d->text, sizeof (d->text), "out of memory");
            goto done;
        }
        do
            n = pread (fd, d->data, want, (off_t)q->offset);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            d->code = errno;
            snprintf (d->text, sizeof (d->text),
                      "cannot read the output of job %" PRIu64 " on %s: %s", q->id,
                      a->desc.name, strerror (d->code));
            goto done;
        }
    }
    d->len = (size_t)n;
    d->eof = q->offset + (uint64_t)n >= (uint64_t)st.st_size &&
             !runner_running (a->runner, q->id);
done:
    if (fd >= 0)
        close (fd);
    if (d->code) {
        free (d->data);
        d->data = NULL;
        d->len = 0;
    }
}

static void on_logs_fetch (agent_t *a, const msg_t *m)
{
    msg_t *reply = msg_create (MSG_LOGS_DATA);

    if (!reply) {
        log_err ("out of memory answering logs.fetch for job %" PRIu64,
                 m->u.logs_req.id);
        return;
    }
    reply->u.logs_data.tag = m->u.logs_req.tag;
    reply->u.logs_data.id = m->u.logs_req.id;
    logs_read (a, &m->u.logs_req, &reply->u.logs_data);
    if (agent_send (a, reply) < 0 && errno == EAGAIN)
        log_warn ("logs.data for job %" PRIu64
                  " dropped: the scheduler's queue is full",
                  m->u.logs_req.id);
    msg_destroy (reply);
}

/* The scheduler has made these exits durable. */
static void on_job_exit_ack (agent_t *a, const msg_t *m)
{
    uint32_t known = 0;

    for (uint32_t i = 0; i < m->u.ids.count; i++) {
        uint64_t id = m->u.ids.ids[i];
        bool found = outbox_ack (a->outbox, id);
        known += found;
        if (found || !runner_running (a->runner, id))
            runner_exit_ack (a->runner, id); /* its saved record goes too */
    }
    log_debug ("job.exit.ack for %u jobs (%u awaited)", m->u.ids.count, known);
}

typedef void (*agent_handler_f) (agent_t *a, const msg_t *m);

static const agent_handler_f handlers[MSG_TYPE_COUNT] = {
    [MSG_REGISTER_OK] = on_register_ok, [MSG_ERROR] = on_error,
    [MSG_JOB_RUN] = on_job_run,         [MSG_JOB_KILL] = on_job_kill,
    [MSG_LOGS_FETCH] = on_logs_fetch,   [MSG_JOB_EXIT_ACK] = on_job_exit_ack,
};

static void sock_cb (tsock_t *s, void *arg)
{
    agent_t *a = arg;

    for (;;) {
        cphub_error_t err = {""};
        tpeer_t peer;
        msg_t *m = NULL;

        if (tsock_recv (s, &peer, &m, &err) < 0) {
            if (errno == EAGAIN)
                return;
            log_warn ("dropped a malformed message from the scheduler: %s", err.text);
            continue;
        }
        a->last_heard = agent_now ();
        if (hubid_refused (a->hubid) && m->type != MSG_REGISTER_OK)
            log_debug ("dropped a '%s' message: the scheduler is of another hub",
                       msg_type_name (m->type) ? msg_type_name (m->type) : "?");
        else if ((unsigned)m->type < MSG_TYPE_COUNT && handlers[m->type])
            handlers[m->type](a, m);
        else
            log_warn (
                "dropped a '%s' message: the scheduler does not send those to "
                "agents",
                msg_type_name (m->type) ? msg_type_name (m->type) : "?");
        msg_destroy (m);
    }
}

/* --- events from exec and signals --------------------------------------------- */

static void job_exit_cb (const msg_job_exit_t *e, void *arg)
{
    agent_t *a = arg;

    if (e->survived_kill)
        log_warn ("job %" PRIu64 " ended: %s; the scheduler will drain %s", e->id,
                  e->text, a->desc.name);
    else
        log_info ("job %" PRIu64 " ended: %s (cpu %.2fs, max rss %" PRIu64 " KiB)",
                  e->id, e->text, e->cpu_time, e->max_rss / 1024);
    send_exit (a, e);
}

static void runner_cb (int fd, void *arg)
{
    agent_t *a = arg;
    (void)fd;
    if (runner_dispatch (a->runner) < 0)
        a->stop = true;
}

static void signal_cb (int fd, void *arg)
{
    agent_t *a = arg;
    struct signalfd_siginfo si;

    while (read (fd, &si, sizeof (si)) == (ssize_t)sizeof (si)) {
        log_info ("%s: stopping; %u running jobs keep running",
                  strsignal ((int)si.ssi_signo), runner_count (a->runner));
        a->stop = true;
    }
}

/* --- set-up and tear-down ------------------------------------------------------ */

/* Errors name where the topology and GPUs came from. */
static int agent_discover (agent_t *a, const agent_flags_t *flags, cphub_error_t *err)
{
    cphub_error_t why = {""};

    if (!(a->topo = topo_create (a->cfg.topology, &why)) ||
        topo_describe (a->topo, a->cfg.gpus, a->cfg.ngpus, a->cfg.features, &a->desc,
                       &why) < 0)
        return cphub_fail (err, errno, "%s: %s",
                           flags->topology && !a->topo ? "--topology" : a->cfg.file,
                           why.text);
    snprintf (a->desc.name, sizeof (a->desc.name), "%s", a->cfg.name);
    return node_desc_validate (&a->desc, err);
}

/* Key files missing: say how to make them. */
static int agent_keys (agent_t *a, cphub_error_t *err)
{
    cphub_error_t why = {""};

    if (keys_read_pair (a->cfg.key, &a->key, &why) == 0 &&
        keys_read_public (a->cfg.scheduler_key, a->scheduler_public, &why) == 0)
        return 0;
    if (errno != ENOENT)
        return cphub_fail (err, errno, "%s", why.text);
    return cphub_fail (err, ENOENT,
                       "%s (make key pairs with `cphub keygen NAME --dir DIR`)",
                       why.text);
}

static void print_check (const agent_t *a)
{
    char mem[32];

    format_size (a->desc.mem, mem, sizeof (mem));
    printf (
        "config OK: node %s, topology %s (%u cores, %u NUMA domain%s, %u GPU%s, %s "
        "memory, binding %s), scheduler %s\n",
        a->desc.name, a->desc.topology, a->desc.ncores, a->desc.nnuma,
        a->desc.nnuma == 1 ? "" : "s", a->desc.ngpus, a->desc.ngpus == 1 ? "" : "s",
        mem, a->desc.binding ? "applied" : "recorded only", a->cfg.scheduler);
}

/* The socket to the scheduler and the loop that polls it with the exec and
 * signal fds. The socket lives as long as the agent: ZeroMQ reconnects it. */
static int link_open (agent_t *a, cphub_error_t *err)
{
    if (!(a->sock = tsock_client_create (a->tctx, a->cfg.scheduler, a->scheduler_public,
                                         &a->key, err)))
        return -1;
    if ((!a->loop && (!(a->loop = tloop_create ()) ||
                      tloop_add_fd (a->loop, a->sigfd, signal_cb, a) < 0)) ||
        tloop_add_sock (a->loop, a->sock, sock_cb, a) < 0 ||
        tloop_add_fd (a->loop, runner_fd (a->runner), runner_cb, a) < 0)
        return cphub_fail (err, errno, "cannot set up the event loop: %s",
                           strerror (errno));
    return 0;
}

static void link_close (agent_t *a)
{
    if (!a->borrowed)
        tloop_destroy (a->loop);
    a->loop = NULL;
    tsock_destroy (a->sock);
    a->sock = NULL;
}

/* Heartbeats, re-registration and resent exits; returns ms until the next
 * timer. */
static int timers (agent_t *a)
{
    double now = agent_now ();
    double hb = (double)a->cfg.heartbeat_interval;
    double next, resend;

    if (a->registered) {
        if (now >= a->next_heartbeat) {
            send_heartbeat (a);
            outbox_flush (a->outbox, now); /* what a full queue held back */
            a->next_heartbeat = now + hb;
        }
        next = a->next_heartbeat;
        resend = outbox_tick (a->outbox, now);
        if (resend > 0 && resend < next)
            next = resend;
    } else {
        if (now - a->register_sent >= a->retry) {
            cphub_error_t err = {""};
            int lvl = a->register_retries++ ? LOG_LVL_DEBUG : LOG_LVL_WARN;
            if (tsock_client_wait_ready (a->sock, 0, &err) == 0) {
                /* Connected: the register went out; send it again on the
                 * same socket, so that the scheduler's answers to the
                 * first still reach this agent. */
                log_msg (lvl,
                         "no answer from the scheduler at %s for %.1fs; registering "
                         "again",
                         a->cfg.scheduler, now - a->register_sent);
                send_register (a);
            } else {
                /* Not connected: the register waits in the socket and goes
                 * when the transport's reconnects (every 0.1 s to 2 s) get
                 * through. */
                if (errno == EACCES)
                    log_err ("%s", err.text);
                else
                    log_msg (lvl,
                             "no connection to the scheduler at %s yet; the register "
                             "goes when it answers",
                             a->cfg.scheduler);
                a->register_sent = now;
            }
            a->retry = a->retry * 2 < AGENT_RETRY_MAX ? a->retry * 2 : AGENT_RETRY_MAX;
        }
        next = a->register_sent + a->retry;
    }
    double ms = (next - now) * 1000.0 + 1.0;
    return ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

/* The network side: the runner over the socketpair (taking split.sock),
 * the jobs of an earlier agent, then ZeroMQ. */
static int agent_connect (agent_t *a, cphub_error_t *err)
{
    uint32_t adopted = 0, reported = 0;
    sigset_t stop;

    sigemptyset (&stop);
    sigaddset (&stop, SIGTERM);
    sigaddset (&stop, SIGINT);
    if (!a->borrowed &&
        (a->sigfd = signalfd (-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
        return cphub_fail (err, errno, "signalfd: %s", strerror (errno));
    if (!(a->outbox = outbox_create (outbox_send_cb, a)) ||
        !(a->runner = a->cfg.simulate ? runner_create_sim (job_exit_cb, a)
                                      : runner_create (a->split.sock, job_exit_cb, a)))
        return cphub_fail (err, errno, "out of memory");
    a->split.sock = -1;
    if (runner_recover (a->runner, &adopted, &reported, err) < 0)
        return -1;
    if (adopted || reported)
        log_info ("found the jobs of an earlier agent: %u running (adopted), %u ended",
                  adopted, reported);
    if (!a->tctx && !(a->tctx = tctx_create ()))
        return cphub_fail (err, errno, "cannot create the ZeroMQ context: %s",
                           strerror (errno));
    return link_open (a, err);
}

/* Simulated execution (sim.h): said loudly, at start, in the node's
 * isolation field (`cphub nodes`) and in its simulated flag, which a
 * scheduler refuses unless its operator allows simulated nodes, so that no
 * hub takes this agent's node for one that runs jobs. Always 0: this
 * process is the network side. */
static int agent_simulated (agent_t *a)
{
    snprintf (a->desc.isolation, sizeof (a->desc.isolation), "%s", AGENT_SIMULATED);
    a->desc.simulated = true;
    log_warn (
        "SIMULATED EXECUTION (agent.simulate or --simulate): node %s runs no "
        "job; jobs end after the time of their leading `sleep N`; for "
        "benchmarks and tests only",
        a->desc.name);
    return 0;
}

/* The root side: the job runner, serving the network process until it
 * stops. The agent's secret key is not needed here. */
static int agent_root (agent_t *a, cphub_error_t *err)
{
    exec_config_t xc = {.state_dir = a->cfg.state_dir,
                        .node = a->cfg.name,
                        .kill_grace = a->cfg.kill_grace,
                        .users = &a->cfg.users,
                        .switch_user = a->switch_user,
                        .cgroups = &a->cgroups,
                        .pids_max = a->cfg.pids_max,
                        .gpu_devices = a->gpu_devices,
                        .ngpu_devices = a->ngpu_devices,
                        .keep_job_dirs = a->cfg.keep_job_dirs,
                        .max_output = a->cfg.max_output};
    int rc;

    explicit_bzero (a->key.secret_z85, sizeof (a->key.secret_z85));
    rc = runner_root_run (a->split.sock, a->split.net_pid, &xc, a->topo, err);
    close (a->split.sock);
    a->split.sock = -1;
    return rc;
}

static void agent_teardown (agent_t *a)
{
    if (a->outbox && (outbox_unsent (a->outbox) || outbox_unacked (a->outbox)))
        log_info (
            "stopping with %u job reports unsent and %u exits unacknowledged; "
            "the exits are saved for the next agent",
            outbox_unsent (a->outbox), outbox_unacked (a->outbox));
    outbox_destroy (a->outbox);
    a->outbox = NULL;
    hubid_destroy (a->hubid);
    link_close (a);
    runner_destroy (a->runner);
    if (a->borrowed) { /* the rest is the first node's */
        node_desc_clear (&a->desc);
        return;
    }
    tctx_destroy (a->tctx);
    if (a->split.sock >= 0)
        close (a->split.sock);
    if (a->sigfd >= 0)
        close (a->sigfd);
    agent_isolation_release (a);
    node_desc_clear (&a->desc);
    topo_destroy (a->topo);
    agent_config_clear (&a->cfg);
}

/* This node and the n others of this process (--simulate-nodes), in one
 * loop. */
static int agent_run (agent_t *a, agent_t *others, uint32_t n)
{
    log_info (
        "cphub-agent %s starting: scheduler %s, topology %s, %u cores, state %s, "
        "isolation %s%s",
        a->cfg.name, a->cfg.scheduler, a->desc.topology, a->desc.ncores,
        a->cfg.state_dir, a->desc.isolation, n ? " (and more nodes)" : "");
    send_register (a);
    for (uint32_t i = 0; i < n; i++)
        send_register (&others[i]);
    while (!a->stop) {
        int timeout;

        /* what a call read past its answer */
        if (runner_dispatch_buffered (a->runner) < 0)
            break;
        timeout = timers (a);
        for (uint32_t i = 0; i < n && !a->stop; i++) {
            int t = timers (&others[i]);
            timeout = t < timeout ? t : timeout;
            a->stop |= others[i].stop || runner_broken (others[i].runner);
        }
        if (a->stop)
            break;
        if (tloop_run_once (a->loop, timeout) < 0) {
            log_err ("event loop failed: %s", strerror (errno));
            return -1;
        }
        if (runner_broken (a->runner))
            a->stop = true;
    }
    return 0;
}

int main (int argc, char **argv)
{
    agent_t a = {.sigfd = -1, .retry = AGENT_RETRY_MIN, .split = {.sock = -1}};
    agent_flags_t flags;
    cphub_error_t err = {""};
    sigset_t block;
    agent_t *more = NULL; /* --simulate-nodes: the nodes after this one */
    uint32_t nmore = 0;
    int rc = 1;

    node_desc_init (&a.desc);
    log_init ("cphub-agent", LOG_LVL_INFO);
    if (agent_flags_parse (argc, argv, &flags, &err) < 0) {
        fprintf (stderr, "cphub-agent: %s\n", err.text);
        return 2;
    }
    if (flags.help) {
        agent_usage (stdout);
        return 0;
    }
    /* Before any thread exists: signals become events (signalfd). */
    sigemptyset (&block);
    sigaddset (&block, SIGCHLD);
    sigaddset (&block, SIGTERM);
    sigaddset (&block, SIGINT);
    sigprocmask (SIG_BLOCK, &block, NULL);
    if (agent_config_load (&a.cfg, &flags, &err) < 0 ||
        agent_discover (&a, &flags, &err) < 0 || agent_keys (&a, &err) < 0) {
        fprintf (stderr, "cphub-agent: %s\n", err.text);
        goto done;
    }
    if (flags.check_config) {
        print_check (&a);
        rc = 0;
        goto done;
    }
    log_set_level (a.cfg.log_level);
    if (a.cfg.log_file && log_set_file (a.cfg.log_file) < 0) {
        fprintf (stderr, "cphub-agent: cannot open the log file '%s': %s\n",
                 a.cfg.log_file, strerror (errno));
        goto done;
    }
    /* The hub id file is opened here, by the agent's own user: the network
     * process that saves it may not write the state directory. */
    if (!(a.hubid = hubid_create (a.cfg.state_dir, flags.join_new_hub, &err)) ||
        (!a.cfg.simulate && agent_isolation_setup (&a, &err) < 0)) {
        log_err ("%s", err.text);
        goto done;
    }
    /* Simulated: one process, no job runner to keep root for. */
    switch (a.cfg.simulate ? agent_simulated (&a)
                           : runner_split (a.cfg.user, &a.split, &err)) {
    case -1:
        log_err ("%s", err.text);
        goto done;
    case 1:
        if (agent_root (&a, &err) < 0)
            log_err ("%s", err.text);
        else
            rc = 0;
        goto done;
    default:
        break;
    }
    /* The network side: the cgroups and the jobs are the root side's. */
    memset (&a.cgroups, 0, sizeof (a.cgroups));
    if (a.cfg.simulate)
        ;
    else if (a.split.dropped)
        log_info (
            "privilege separation: this network process runs as %s (uid %u, gid "
            "%u); jobs are run by the root process (pid %ld)",
            a.split.user, (unsigned)a.split.uid, (unsigned)a.split.gid,
            (long)getppid ());
    else
        log_info (
            "privilege separation: not root, so this network process keeps uid %u; "
            "jobs are run by the other agent process (pid %ld)",
            (unsigned)a.split.uid, (long)getppid ());
    if (agent_sim_nodes_create (&a, flags.simulate_nodes, flags.join_new_hub, &more,
                                &nmore, &err) < 0 ||
        agent_connect (&a, &err) < 0) {
        log_err ("%s", err.text);
        goto done;
    }
    for (uint32_t i = 0; i < nmore; i++) {
        more[i].loop = a.loop;
        if (agent_connect (&more[i], &err) < 0) {
            log_err ("%s", err.text);
            goto done;
        }
    }
    rc = agent_run (&a, more, nmore) < 0 ? 1 : 0;
done:
    for (uint32_t i = 0; i < nmore; i++) /* before the context they borrow */
        agent_teardown (&more[i]);
    free (more);
    agent_teardown (&a);
    return rc;
}
