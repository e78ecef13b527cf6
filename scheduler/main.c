/* main.c: cphub-scheduler, the daemon: flags, the context, and the loop.
 *
 * Each turn of the loop waits (at most SCHEDULER_TICK_MS, less when a logs
 * request's deadline is nearer) for the sockets; their callbacks drain every
 * ready message into the core through handlers.c. Then the core ticks once
 * (heartbeat timeouts, one scheduling pass), its decisions become job.run and
 * job.kill messages and store writes in one batch (decide.c), the batch is
 * committed, and only then does the outgoing queue go out (outq.c): group
 * commit, so that a submit is acknowledged once durable and a started job is
 * on record before its agent hears of it. A commit that fails (a full disk)
 * acknowledges nothing of that turn: clients get "the scheduler cannot save"
 * at once, agents get none of its orders, and the core is rebuilt from the
 * store as it was before the turn; reads go on being answered.
 *
 * At start the core is rebuilt from the store (SQLite by default, or
 * memory): nodes, then jobs, then the next job id. A store belongs to one hub
 * (store_identity_t): one without a hub, missing or empty, is only made a new
 * hub with --init, so that a lost database is never silently replaced by a
 * new hub that hands out its job ids again (a memory store is always new).
 * SIGTERM and SIGINT arrive on a signalfd and end the loop after the turn's
 * commit (exit 0).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cphub/clock.h"
#include "cphub/error.h"
#include "cphub/fsutil.h"
#include "cphub/log.h"
#include "cphub/parse.h"
#include "scheduler/budget.h"
#include "scheduler/decide.h"
#include "scheduler/handlers.h"
#include "scheduler/hold.h"
#include "scheduler/logs_relay.h"
#include "scheduler/outq.h"
#include "scheduler/peers.h"
#include "scheduler/scheduler.h"
#include "scheduler/tenants.h"
#include "scheduler/waits.h"

#ifndef CPHUB_SYSCONFDIR
#define CPHUB_SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG CPHUB_SYSCONFDIR "/cphub/scheduler.conf"
#define PROG "cphub-scheduler"

/* --- command line --------------------------------------------------------- */

enum {
    OPT_CHECK_CONFIG = 256,
    OPT_CLIENT_ENDPOINT,
    OPT_AGENT_ENDPOINT,
    OPT_LOG_FILE,
    OPT_STORE,
    OPT_INIT,
};

typedef struct cli_option {
    const char *name;
    int has_arg;
    int val;
    const char *arg; /* shown in --help, NULL for flags */
    const char *help;
} cli_option_t;

static const cli_option_t cli_options[] = {
    {"config", required_argument, 'c', "FILE",
     "config file (default " DEFAULT_CONFIG ")"},
    {"check-config", no_argument, OPT_CHECK_CONFIG, NULL,
     "check the config file and its keys, print a summary and exit"},
    {"verbose", no_argument, 'v', NULL, "log at debug level"},
    {"client-endpoint", required_argument, OPT_CLIENT_ENDPOINT, "E",
     "bind the client endpoint at E (overrides scheduler.client_endpoint)"},
    {"agent-endpoint", required_argument, OPT_AGENT_ENDPOINT, "E",
     "bind the agent endpoint at E (overrides scheduler.agent_endpoint)"},
    {"log-file", required_argument, OPT_LOG_FILE, "F",
     "log to file F, \"\" for stderr (overrides scheduler.log_file)"},
    {"store", required_argument, OPT_STORE, "S",
     "keep state in S: sqlite or memory (overrides scheduler.store)"},
    {"init", no_argument, OPT_INIT, NULL,
     "create a new hub in an empty or missing store (refused if it holds one)"},
    {"help", no_argument, 'h', NULL, "show this help and exit"},
    {NULL, 0, 0, NULL, NULL},
};

#define NOPTIONS (sizeof (cli_options) / sizeof (cli_options[0]))

typedef struct cli_args {
    const char *config;
    bool check_config;
    bool init;
    schedconf_overrides_t overrides;
} cli_args_t;

static void usage (FILE *out)
{
    fprintf (out,
             "Usage: " PROG
             " [OPTION]...\n"
             "The cphub scheduler daemon: queues jobs and places them on nodes.\n\n");
    for (const cli_option_t *o = cli_options; o->name; o++) {
        char left[48];
        if (o->val < 256)
            snprintf (left, sizeof (left), "-%c, --%s%s%s", o->val, o->name,
                      o->arg ? " " : "", o->arg ? o->arg : "");
        else
            snprintf (left, sizeof (left), "    --%s%s%s", o->name, o->arg ? " " : "",
                      o->arg ? o->arg : "");
        fprintf (out, "  %-26s %s\n", left, o->help);
    }
}

/* 0 to run, 1 to exit 0 (help), -1 to exit 2 (usage error). */
static int parse_args (int argc, char *argv[], cli_args_t *args)
{
    struct option longopts[NOPTIONS];
    char shortopts[2 * NOPTIONS + 1];
    size_t ns = 0;
    int c;

    for (size_t i = 0; i < NOPTIONS; i++) {
        const cli_option_t *o = &cli_options[i];
        longopts[i] = (struct option){o->name, o->has_arg, NULL, o->val};
        if (o->name && o->val < 256) {
            shortopts[ns++] = (char)o->val;
            if (o->has_arg == required_argument)
                shortopts[ns++] = ':';
        }
    }
    shortopts[ns] = '\0';
    args->config = DEFAULT_CONFIG;
    while ((c = getopt_long (argc, argv, shortopts, longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            args->config = optarg;
            break;
        case OPT_CHECK_CONFIG:
            args->check_config = true;
            break;
        case 'v':
            args->overrides.verbose = true;
            break;
        case OPT_CLIENT_ENDPOINT:
            args->overrides.client_endpoint = optarg;
            break;
        case OPT_AGENT_ENDPOINT:
            args->overrides.agent_endpoint = optarg;
            break;
        case OPT_LOG_FILE:
            args->overrides.log_file = optarg;
            break;
        case OPT_STORE:
            args->overrides.store = optarg;
            break;
        case OPT_INIT:
            args->init = true;
            break;
        case 'h':
            usage (stdout);
            return 1;
        default:
            fprintf (stderr, "Try '" PROG " --help' for more information.\n");
            return -1;
        }
    }
    if (optind < argc) {
        fprintf (stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
        fprintf (stderr, "Try '" PROG " --help' for more information.\n");
        return -1;
    }
    return 0;
}

/* --- the turn ------------------------------------------------------------ */

static int restore (scheduler_t *sc, cphub_error_t *err);

/* The turn's commit failed: what the core changed in it is not on record.
 * Build the core again from the store (its nodes then wait for their
 * agents to register again, as after a restart). */
static int core_reload (scheduler_t *sc, cphub_error_t *err)
{
    sched_t *old = sc->sched;

    if (!(sc->sched = sched_create (&sc->config->core))) {
        sc->sched = old;
        return cphub_fail (err, errno, "cannot create the scheduling core: %s",
                           strerror (errno));
    }
    if (budget_restore (sc, err) < 0 || restore (sc, err) < 0) {
        sched_destroy (sc->sched);
        sc->sched = old;
        return -1;
    }
    sched_destroy (old);
    return 0;
}

/* The text clients get for a turn that could not be saved. */
static void unsaved_text (int code, const cphub_error_t *err, char *buf, size_t len)
{
    if (code == ENOSPC)
        snprintf (buf, len, "the scheduler cannot save: disk full; nothing was done");
    else
        snprintf (buf, len, "the scheduler cannot save (%s); nothing was done",
                  err->text);
}

/* One turn: wait, drain (in the callbacks), tick, decide, commit, reply.
 * Returns the timeout for the next turn, or -1 when the scheduler cannot go
 * on. When the store could not commit, nothing of the turn is acknowledged
 * (a submit is acknowledged only once durable): clients are told at once,
 * the core goes back to the store's state, and the next turns serve reads
 * and try writes again. */
static void forget_ended (scheduler_t *sc)
{
    /* the clock is the wall clock: one set back must not stop the walks */
    if (sc->now < sc->forget_at && sc->forget_at - sc->now <= SCHEDULER_FORGET_PERIOD)
        return;
    sc->forget_at = sc->now + SCHEDULER_FORGET_PERIOD;
    uint32_t forgotten =
        sched_jobs_forget (sc->sched, sc->now - (double)sc->config->limits.keep_ended,
                           sc->config->limits.slice_jobs);
    if (forgotten > 0)
        log_debug ("%u ended jobs left memory for the store's history", forgotten);
}

static int turn (scheduler_t *sc, int timeout_ms)
{
    cphub_error_t err = {{0}};
    int next;

    if (tloop_run_once (sc->loop, timeout_ms) < 0)
        log_err ("poll failed: %s", strerror (errno));
    sc->now = clock_now ();
    double began = sc->now;
    sched_tick (sc->sched, sc->now);
    if (store_begin (sc->store, &err) < 0)
        log_err ("store: %s", err.text);
    decide_apply (sc);
    if (tenants_persist (sc, &err) < 0) /* the batch then fails */
        log_err ("store: %s", err.text);
    if (budget_persist (sc, &err) < 0) /* likewise */
        log_err ("store: %s", err.text);
    if (history_expire (sc, &err) < 0) /* likewise */
        log_err ("store: %s", err.text);
    next = relay_expire (sc, sc->now);
    if (waits_slices (sc))
        next = 0; /* more of a long answer: serve the others, then go on */
    if (store_commit (sc->store, &err) < 0) {
        int code = errno;
        char text[CPHUB_ERROR_TEXT_MAX + 1];
        log_err ("store: %s; this turn's changes are dropped and refused", err.text);
        unsaved_text (code, &err, text, sizeof (text));
        outq_unsaved (sc, code, text);
        if (core_reload (sc, &err) < 0) {
            log_err ("store: %s; stopping", err.text);
            outq_flush (sc);
            return -1;
        }
        outq_flush (sc);
        return SCHEDULER_TICK_MS;
    }
    outq_flush (sc);
    /* Last, once this turn's answers went (they may name jobs recalled from
     * the store): the ends older than keep_ended were committed turns ago,
     * the store keeps them. Never put off for waits: a long wait answer in
     * flight reads the jobs the core forgot from the store. */
    forget_ended (sc);
    double took_ms = (clock_now () - began) * 1000.0;
    if (took_ms >= SCHEDULER_SLOW_TURN_MS)
        log_info ("a turn of the loop took %.0f ms (everyone waited)", took_ms);
    return next >= 0 && next < SCHEDULER_TICK_MS ? next : SCHEDULER_TICK_MS;
}

/* --- callbacks ------------------------------------------------------------ */

static void drain (scheduler_t *sc, tsock_t *s)
{
    sc->now = clock_now ();
    for (;;) {
        cphub_error_t err = {{0}};
        msg_t *m = NULL;
        tpeer_t peer;

        peer.rid_len = 0;
        peer.identity[0] = '\0';
        if (tsock_recv (s, &peer, &m, &err) == 0) {
            handlers_dispatch (sc, s, &peer, m);
            msg_destroy (m);
            continue;
        }
        switch (errno) {
        case EAGAIN:
        case EINTR:
            return;
        case EPROTO:
        case ENOENT:
        case E2BIG:
        case EINVAL:
        case EMSGSIZE:
            handlers_bad_message (sc, s, &peer, errno, &err);
            continue;
        default:
            log_err ("receiving failed: %s", err.text[0] ? err.text : strerror (errno));
            return;
        }
    }
}

static void clients_cb (tsock_t *s, void *arg)
{
    drain (arg, s);
}

static void agents_cb (tsock_t *s, void *arg)
{
    drain (arg, s);
}

/* A client connection went or was closed: free what was parked for it. */
static void clients_gone_cb (tsock_t *s, const tpeer_t *peer, void *arg)
{
    scheduler_t *sc = arg;
    tpeer_t plain = *peer;
    const char *key_part;

    (void)s;
    /* the ZAP identity "ROLE:NAME:KEY" is logged as "ROLE:NAME" */
    if ((key_part = strrchr (plain.identity, ':')) &&
        key_part != strchr (plain.identity, ':'))
        plain.identity[key_part - plain.identity] = '\0';
    handlers_client_gone (sc, &plain);
}

/* Every descriptor the hard limit allows: a hub serves many connections,
 * and scheduler.fd_reserve of them are kept for agents and the store. */
static void raise_fd_limit (void)
{
    struct rlimit rl;

    if (getrlimit (RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == rl.rlim_max)
        return;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit (RLIMIT_NOFILE, &rl) < 0)
        log_warn ("cannot raise the file descriptor limit: %s", strerror (errno));
}

/* Limits on client connections (scheduler.client_*, connections per key and
 * fd_reserve): set before any client connects. */
static int guard_clients (scheduler_t *sc, cphub_error_t *err)
{
    const schedconf_limits_t *lim = &sc->config->limits;
    tsock_guard_t guard = {
        .idle_ms = (int)(lim->client_idle_timeout * 1000),
        .hello_ms = (int)(lim->client_hello_timeout * 1000),
        .fd_reserve = lim->fd_reserve,
        .send_queue = lim->client_send_queue,
        .send_bytes = lim->client_send_bytes,
    };

    tzap_set_limit (sc->tzap, lim->connections_per_key, guard.hello_ms);
    return tsock_server_guard (sc->clients, &guard, clients_gone_cb, sc, err);
}

static void signal_cb (int fd, void *arg)
{
    scheduler_t *sc = arg;
    struct signalfd_siginfo si;

    while (read (fd, &si, sizeof (si)) == (ssize_t)sizeof (si)) {
        log_info ("got signal %u", si.ssi_signo);
        sc->stopping = true;
    }
}

/* --- context -------------------------------------------------------------- */

typedef struct restore {
    sched_t *sched;
    uint32_t nodes;
    uint32_t jobs;
    uint32_t pending;
    uint32_t running;
    uint64_t resume;      /* the query stopped before this job: go on from it */
    uint64_t need_first;  /* ... once this array's first element is restored */
    uint64_t tried_first; /* the last first element looked for in the store */
} restore_t;

/* A node the core refuses is logged and skipped; only a lack of memory
 * stops the start. */
static int restore_node_cb (const store_node_t *node, void *arg)
{
    restore_t *r = arg;
    cphub_error_t err = {{0}};
    node_state_t state = node->state == NODE_DRAIN ? NODE_DRAIN : NODE_DOWN;

    if (sched_node_restore (r->sched, node->desc, state, node->reason, &err) < 0) {
        if (errno == ENOMEM)
            return -1;
        log_err ("store: node %s not restored: %s", node->desc->name, err.text);
        return 0;
    }
    r->nodes++;
    return 0;
}

/* A job the core refuses stays in the store, untouched, and is logged. An
 * array's element whose first element the core lacks (it ended before
 * keep_ended) stops the query, which goes on from it once the first
 * element is restored: the array's ranges, throttle and id live on the
 * first element, and the running scheduler keeps it while other elements
 * are known (sched_jobs_forget), so that dependencies on the array, cancel
 * and wait by its id keep meaning the whole array. */
static int restore_job_cb (const sched_job_t *job, void *arg)
{
    restore_t *r = arg;
    cphub_error_t err = {{0}};

    if (job->array_id != 0 && job->array_id != job->id &&
        job->array_id != r->tried_first &&
        !sched_job_lookup (r->sched, job->array_id)) {
        r->resume = job->id;
        r->need_first = job->array_id;
        errno = EAGAIN;
        return -1;
    }
    if (sched_job_restore (r->sched, job, &err) < 0) {
        if (errno == ENOMEM)
            return -1;
        log_err ("store: job %" PRIu64 " not restored: %s", job->id, err.text);
        return 0;
    }
    r->jobs++;
    if (job->state == JOB_PENDING)
        r->pending++;
    else if (job->state == JOB_RUNNING)
        r->running++;
    return 0;
}

/* Past runs count toward their tenant's fair share (decayed by their age). */
static int restore_usage_cb (const store_acct_t *rec, void *arg)
{
    restore_t *r = arg;

    if (sched_budget_charge (r->sched, rec) < 0) /* budgets, in order */
        return -1;
    return sched_usage_add (r->sched, rec->tenant, rec->core_seconds, rec->end_time);
}

/* The jobs q names, and the first element of each array one of them is
 * an element of, in id order (restore_job_cb). */
static int restore_jobs (scheduler_t *sc,
                         restore_t *r,
                         store_job_query_t *q,
                         cphub_error_t *err)
{
    for (;;) {
        r->need_first = 0;
        if (store_jobs_query (sc->store, q, restore_job_cb, r, err) == 0)
            return 0;
        if (!r->need_first)
            return -1;
        store_job_query_t first = {.id = r->need_first, .limit = 1};
        r->tried_first = r->need_first;
        if (store_jobs_query (sc->store, &first, restore_job_cb, r, err) < 0)
            return -1;
        q->after = r->resume - 1;
    }
}

/* Rebuild the core from the store: nodes first (so that running jobs find
 * their node's description), then the active jobs and those that ended
 * within keep_ended (older ones stay in the store's history) with their
 * arrays' first elements, then the next
 * job id, then the usage that fair share remembers. */
static int restore (scheduler_t *sc, cphub_error_t *err)
{
    restore_t r = {.sched = sc->sched};
    store_job_query_t recent = {.since = clock_now () -
                                         (double)sc->config->limits.keep_ended};
    double t0 = cphub_monotonic ();
    uint64_t next_id = 1;

    if (store_nodes_load (sc->store, restore_node_cb, &r, err) < 0 ||
        restore_jobs (sc, &r, &recent, err) < 0 ||
        store_next_id_get (sc->store, &next_id, err) < 0 ||
        store_acct_foreach (sc->store, restore_usage_cb, &r, err) < 0)
        return -1;
    sched_set_next_id (sc->sched, next_id);
    log_info ("recovered %u jobs (%u pending, %u running) and %u nodes in %.0f ms",
              r.jobs, r.pending, r.running, r.nodes, (cphub_monotonic () - t0) * 1e3);
    return 0;
}

static store_t *store_open (const schedconf_t *cfg, cphub_error_t *err)
{
    store_t *st;

    if (cfg->store == SCHEDCONF_STORE_MEMORY)
        return store_mem_create (err);
    if (fs_mkdir_parents (cfg->store_path, 0700) < 0) {
        cphub_fail (err, errno, "cannot create the directory of the store %s: %s",
                    cfg->store_path, strerror (errno));
        return NULL;
    }
    /* The store holds every tenant's command lines and the whole bill: no
     * other user reads it. SQLite gives its WAL and shared-memory files the
     * database file's mode, so an older store made 0644 is closed here too. */
    if (chmod (cfg->store_path, 0600) < 0 && errno != ENOENT) {
        cphub_fail (err, errno, "store %s: cannot make it private: %s", cfg->store_path,
                    strerror (errno));
        return NULL;
    }
    if (!(st = store_sqlite_create (cfg->store_path, cfg->store_sync, err)))
        return NULL;
    log_info ("store: %s (sync %s)", cfg->store_path,
              cfg->store_sync == STORE_SYNC_NORMAL ? "normal" : "full");
    return st;
}

/* A new hub's identity: 128 random bits in hex, and now. */
static int identity_make (store_identity_t *id, double now, cphub_error_t *err)
{
    unsigned char bits[STORE_HUB_ID_LEN / 2];

    if (getrandom (bits, sizeof (bits), 0) != (ssize_t)sizeof (bits))
        return cphub_fail (err, errno, "cannot make a hub id: %s", strerror (errno));
    for (size_t i = 0; i < sizeof (bits); i++)
        snprintf (id->hub_id + 2 * i, 3, "%02x", bits[i]);
    id->created = now;
    return 0;
}

/* Which hub this store is: its own, or with init (or a memory store, which
 * is always new) a new one; a store without one, or --init on a store that
 * has one, is refused. */
static int identity_open (scheduler_t *sc, bool init, cphub_error_t *err)
{
    const char *path = sc->config->store == SCHEDCONF_STORE_MEMORY
                           ? "the memory store"
                           : sc->config->store_path;
    bool memory = sc->config->store == SCHEDCONF_STORE_MEMORY;
    char created[64];

    if (store_identity_get (sc->store, &sc->identity, err) == 0) {
        if (init) {
            time_t when = (time_t)sc->identity.created;
            struct tm tm;
            if (!gmtime_r (&when, &tm) ||
                !strftime (created, sizeof (created), "%Y-%m-%d %H:%M:%S UTC", &tm))
                snprintf (created, sizeof (created), "at %.0f", sc->identity.created);
            return cphub_fail (err, EEXIST,
                               "%s holds hub %s already (created %s); start without "
                               "--init",
                               path, sc->identity.hub_id, created);
        }
        log_info ("hub %s", sc->identity.hub_id);
        return 0;
    }
    if (errno != ENOENT)
        return -1;
    if (!init && !memory)
        return cphub_fail (err, ENOENT,
                           "%s: no hub here; start with --init to create a new hub",
                           path);
    if (identity_make (&sc->identity, sc->now, err) < 0 ||
        store_begin (sc->store, err) < 0 ||
        store_identity_set (sc->store, &sc->identity, err) < 0 ||
        store_commit (sc->store, err) < 0)
        return -1;
    log_info ("created a new hub %s in %s", sc->identity.hub_id, path);
    return 0;
}

static int signals_open (scheduler_t *sc, cphub_error_t *err)
{
    sigset_t set;

    sigemptyset (&set);
    sigaddset (&set, SIGTERM);
    sigaddset (&set, SIGINT);
    if (sigprocmask (SIG_BLOCK, &set, NULL) < 0 ||
        (sc->sigfd = signalfd (-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
        return cphub_fail (err, errno, "signalfd: %s", strerror (errno));
    if (tloop_add_fd (sc->loop, sc->sigfd, signal_cb, sc) < 0)
        return cphub_fail (err, errno, "cannot watch signals: %s", strerror (errno));
    return 0;
}

static void scheduler_destroy (scheduler_t *sc)
{
    int saved = errno;

    if (!sc)
        return;
    relay_destroy (sc->relay);
    waits_destroy (sc->waits);
    outq_destroy (sc->outq);
    peers_destroy (sc->peers);
    hold_destroy (sc->hold);
    tloop_destroy (sc->loop);
    tsock_destroy (sc->agents);
    tsock_destroy (sc->clients);
    tzap_destroy (sc->tzap);
    tctx_destroy (sc->tctx);
    tenants_destroy (sc->tenants);
    budget_destroy (sc->budget);
    store_destroy (sc->store);
    sched_destroy (sc->sched);
    if (sc->sigfd >= 0)
        close (sc->sigfd);
    schedconf_destroy (sc->config);
    free (sc);
    errno = saved;
}

/* Create the context from *cfg (taken); init: make a new hub in an empty
 * store. NULL with err on failure. */
static scheduler_t *scheduler_create (schedconf_t **cfg, bool init, cphub_error_t *err)
{
    scheduler_t *sc = calloc (1, sizeof (*sc));

    if (!sc) {
        schedconf_destroy (*cfg);
        *cfg = NULL;
        cphub_fail (err, ENOMEM, "out of memory");
        return NULL;
    }
    sc->config = *cfg;
    *cfg = NULL;
    sc->auth = sc->config->auth;
    sc->sigfd = -1;
    sc->started = sc->now = clock_now ();
    if (!(sc->hold = hold_create (&sc->config->limits)) ||
        !(sc->outq = outq_create ()) || !(sc->peers = peers_create ()) ||
        !(sc->waits = waits_create ()) || !(sc->relay = relay_create ())) {
        cphub_fail (err, errno, "out of memory");
        goto error;
    }
    if (!(sc->sched = sched_create (&sc->config->core))) {
        cphub_fail (err, errno, "cannot create the scheduling core: %s",
                    strerror (errno));
        goto error;
    }
    if (!(sc->store = store_open (sc->config, err)) ||
        identity_open (sc, init, err) < 0 || budget_restore (sc, err) < 0 ||
        restore (sc, err) < 0 || tenants_restore (sc, err) < 0)
        goto error;
    if (!(sc->tctx = tctx_create ())) {
        cphub_fail (err, errno, "cannot create the ZeroMQ context: %s",
                    strerror (errno));
        goto error;
    }
    if (!(sc->tzap = tzap_create (sc->tctx, auth_zap_cb, sc->auth, err)) ||
        !(sc->clients = tsock_server_create (sc->tctx, sc->config->client_endpoint,
                                             &sc->config->keypair, err)) ||
        !(sc->agents = tsock_server_create (sc->tctx, sc->config->agent_endpoint,
                                            &sc->config->keypair, err)) ||
        guard_clients (sc, err) < 0)
        goto error;
    if (!(sc->loop = tloop_create ()) || tloop_add_zap (sc->loop, sc->tzap) < 0 ||
        tloop_add_sock (sc->loop, sc->clients, clients_cb, sc) < 0 ||
        tloop_add_sock (sc->loop, sc->agents, agents_cb, sc) < 0) {
        cphub_fail (err, errno, "cannot set up the event loop: %s", strerror (errno));
        goto error;
    }
    if (signals_open (sc, err) < 0)
        goto error;
    return sc;
error:
    scheduler_destroy (sc);
    return NULL;
}

int main (int argc, char *argv[])
{
    cli_args_t args = {0};
    cphub_error_t err = {{0}};
    schedconf_t *cfg = NULL;
    scheduler_t *sc = NULL;
    int timeout = 0;
    int rc;

    if ((rc = parse_args (argc, argv, &args)) != 0)
        return rc > 0 ? 0 : 2;
    if (!(cfg = schedconf_load (args.config, &err)) ||
        schedconf_apply_overrides (cfg, &args.overrides, &err) < 0) {
        fprintf (stderr, PROG ": %s\n", err.text);
        schedconf_destroy (cfg);
        return 1;
    }
    if (args.check_config) {
        printf ("config OK: %u tenants, %u operators, %u agents, %s store%s%s\n",
                cfg->ntenants, cfg->noperators, cfg->nagents,
                schedconf_store_name (cfg->store),
                cfg->store == SCHEDCONF_STORE_SQLITE ? " at " : "",
                cfg->store == SCHEDCONF_STORE_SQLITE ? cfg->store_path : "");
        schedconf_destroy (cfg);
        return 0;
    }
    log_init (PROG, cfg->log_level);
    if (cfg->log_file && log_set_file (cfg->log_file) < 0) {
        fprintf (stderr, PROG ": cannot open log file %s: %s\n", cfg->log_file,
                 strerror (errno));
        schedconf_destroy (cfg);
        return 1;
    }
    signal (SIGPIPE, SIG_IGN);
    umask (077); /* the store and everything else made here is the hub's alone */
    raise_fd_limit ();
    bool to_file = cfg->log_file != NULL;
    if (!(sc = scheduler_create (&cfg, args.init, &err))) {
        log_err ("%s", err.text);
        if (to_file)
            fprintf (stderr, PROG ": %s\n", err.text);
        return 1;
    }
    log_info (
        "listening for clients on %s and agents on %s (%u tenants, %u operators, "
        "%u agents, %s store)",
        tsock_endpoint (sc->clients), tsock_endpoint (sc->agents), sc->config->ntenants,
        sc->config->noperators, sc->config->nagents, sc->store->ops->name);
    while (!sc->stopping) {
        if ((timeout = turn (sc, timeout)) < 0) {
            scheduler_destroy (sc);
            return 1;
        }
    }
    log_info ("stopping: state committed");
    scheduler_destroy (sc);
    return 0;
}
