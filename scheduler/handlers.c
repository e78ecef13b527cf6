/* handlers.c: one handler per message type, the parked waits and logs
 * requests, and the outgoing queue (see handlers.h).
 *
 * Who is asking is always the identity the transport authenticated (role and
 * name from ZAP), never a field of the message. Tenants see and cancel only
 * their own jobs, and another tenant's job answers exactly like a job that
 * does not exist; operators see everything; agents speak only for their own
 * node. Every answer is queued, not sent: main.c sends the queue after the
 * turn's store commit, so that a submit is acknowledged only once durable.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include <utlist.h>

#include "cphub/error.h"
#include "cphub/log.h"
#include "cphub/resource.h"
#include "scheduler/budget.h"
#include "scheduler/handlers.h"
#include "scheduler/hold.h"
#include "scheduler/report.h"
#include "scheduler/tenants.h"

/* Bounds on what clients can park, so that no one exhausts memory. */
#define WAITED_IDS_MAX 1000000
#define FETCHES_MAX 1024
/* Jobs in one jobs.ok or wait.ok page: encoding it takes a few ms. */
#define JOBS_PAGE_MAX 256
/* wait.ok pages built per turn, all answers together: a wait on 10,000
 * jobs is answered over many turns, and everyone is served in between. */
#define WAIT_PAGES_PER_TURN 2

struct wait_req {
    tpeer_t peer; /* the client on sc->clients */
    uint32_t count;
    uint64_t *ids;      /* as asked, each once */
    uint32_t remaining; /* ids not ended yet */
    bool held;          /* a wait taken from sc->hold (until its answer went) */
    uint32_t held_ids;  /* the ids it holds there */
    wait_req_t *prev, *next;
};

typedef struct wait_link {
    wait_req_t *wait;
    struct wait_link *next;
} wait_link_t;

struct wait_index {
    uint64_t job_id; /* key */
    wait_link_t *links;
    UT_hash_handle hh;
};

struct logs_fetch {
    uint64_t tag; /* key */
    uint64_t job_id;
    char node[NODE_NAME_MAX + 1];
    tpeer_t client;
    double deadline;
    UT_hash_handle hh;
};

/* A wait answered in pages (wait.ok with next), one page per turn. It
 * keeps the wait's hold until its last page went: answers of waits on ended
 * jobs are queued at once, and without the hold one connection could queue
 * them without end and hold everyone's answers back. */
typedef struct wait_answer {
    tpeer_t peer;
    uint64_t *ids;
    uint32_t count;
    uint32_t pos; /* the ids before pos are answered */
    bool held;    /* the wait's hold, moved */
    uint32_t held_ids;
    struct wait_answer *prev, *next;
} wait_answer_t;

struct outbox_msg {
    tsock_t *sock;
    tpeer_t peer;
    msg_t *msg;
    outbox_msg_t *prev, *next;
};

/* Who sent the message being handled. */
typedef struct request {
    tsock_t *sock;
    const tpeer_t *peer;
    auth_role_t role;
    const char *name; /* tenant, operator or node name */
} request_t;

typedef void (*handler_f) (scheduler_t *sc, const request_t *rq, msg_t *m);

/* --- queue and replies ---------------------------------------------------- */

void handlers_queue (scheduler_t *sc, tsock_t *sock, const tpeer_t *peer, msg_t *m)
{
    outbox_msg_t *out;

    if (!m) {
        log_err ("out of memory building a message for %s", peer->identity);
        return;
    }
    if (!(out = calloc (1, sizeof (*out)))) {
        log_err ("out of memory queueing %s for %s", msg_type_name (m->type),
                 peer->identity);
        msg_destroy (m);
        return;
    }
    out->sock = sock;
    out->peer = *peer;
    out->msg = m;
    DL_APPEND (sc->outbox, out);
}

static void fetch_fail (scheduler_t *sc, logs_fetch_t *f, int code, const char *text);
static void fetch_done (scheduler_t *sc, logs_fetch_t *f);

static bool same_peer (const tpeer_t *a, const tpeer_t *b)
{
    return a->rid_len == b->rid_len && memcmp (a->rid, b->rid, a->rid_len) == 0;
}

/* The agent's connection is now peer; the one before is kept as prev. */
static void peer_set (agent_peer_t *ap, const tpeer_t *peer)
{
    if (same_peer (&ap->peer, peer))
        return;
    ap->prev = ap->peer;
    ap->peer = *peer;
}

/* A message to an agent could not go out on the connection it was queued
 * for (gone): send it on the agent's current connection if that is another
 * one (the agent reconnected since), else on the one before (its two
 * registrations arrived out of order), which then becomes its connection.
 * true if that worked. */
static bool agent_resend (scheduler_t *sc, const outbox_msg_t *out, int errnum)
{
    auth_role_t role;
    const char *node;
    agent_peer_t *ap;
    tpeer_t to;

    if (out->sock != sc->agents || errnum != EHOSTUNREACH ||
        auth_parse_identity (out->peer.identity, &role, &node) < 0 ||
        role != AUTH_ROLE_AGENT || !(ap = handlers_agent_peer (sc, node)))
        return false;
    if (!same_peer (&ap->peer, &out->peer))
        to = ap->peer;
    else if (ap->prev.rid_len > 0)
        to = ap->prev;
    else
        return false;
    if (tsock_send (out->sock, &to, out->msg) < 0)
        return false;
    log_info ("node %s: %s sent on its other connection", ap->node,
              msg_type_name (out->msg->type));
    if (!same_peer (&ap->peer, &to)) {
        ap->peer = to;
        ap->prev.rid_len = 0;
    }
    return true;
}

/* A message could not be sent (errnum). Make sure nobody waits for what it
 * would have caused: a client gets an error instead of a reply too large for
 * one message, and a logs request whose fetch did not reach the agent fails
 * now (its error goes out with the next flush). A job.run that did not reach
 * the agent is no run and no failed start: the core keeps the job on its
 * node until the node's next register says whether it holds the job
 * (sched_job_run_unsent): the agent's next message, on any connection, is
 * answered "register again" (touch_peer), and an agent that never comes
 * back goes down after its heartbeat timeout. */
static void send_failed (scheduler_t *sc, const outbox_msg_t *out, int errnum)
{
    const msg_t *m = out->msg;
    logs_fetch_t *f = NULL;
    char text[CPHUB_ERROR_TEXT_MAX + 1];

    if (agent_resend (sc, out, errnum))
        return;
    if (out->sock == sc->clients && (errnum == EAGAIN || errnum == ENOBUFS)) {
        log_warn (
            "cutting off %s: it leaves its replies unread (more than %s); "
            "its queued replies and parked requests are dropped",
            out->peer.identity,
            errnum == EAGAIN ? "scheduler.client_send_queue replies"
                             : "scheduler.client_send_bytes");
        tsock_close_peer (sc->clients, &out->peer);
        handlers_client_gone (sc, &out->peer);
        return;
    }
    log_warn ("could not send %s to %s: %s", msg_type_name (m->type),
              out->peer.identity, strerror (errnum));
    if (errnum == E2BIG && out->sock == sc->clients) {
        msg_t *e = msg_error_create (E2BIG,
                                     "the reply is larger than one message (%d MiB); "
                                     "ask for less",
                                     MSG_MAX_BYTES / (1024 * 1024));
        if (e && tsock_send (out->sock, &out->peer, e) < 0)
            log_warn ("could not send error to %s: %s", out->peer.identity,
                      strerror (errno));
        msg_destroy (e);
    } else if (m->type == MSG_LOGS_FETCH) {
        HASH_FIND (hh, sc->fetches, &m->u.logs_req.tag, sizeof (m->u.logs_req.tag), f);
        if (f) {
            snprintf (text, sizeof (text),
                      "node %s, where job %" PRIu64 " ran, is not reachable now",
                      f->node, f->job_id);
            fetch_fail (sc, f, EHOSTUNREACH, text);
        }
    } else if (m->type == MSG_JOB_RUN) {
        sched_job_t *job = sched_job_lookup (sc->sched, m->u.run.id);
        if (!job || job->state != JOB_RUNNING)
            return;
        agent_peer_t *ap = handlers_agent_peer (sc, job->node);
        if (sched_job_run_unsent (sc->sched, job->node, job->id) < 0)
            return;
        log_warn ("job %" PRIu64
                  " did not reach node %s; its next register "
                  "decides whether it runs there",
                  job->id, job->node);
        if (ap)
            ap->run_unsent = true;
    }
}

void handlers_flush (scheduler_t *sc)
{
    outbox_msg_t *out;

    while ((out = sc->outbox)) { /* send_failed may queue more: they go too */
        DL_DELETE (sc->outbox, out);
        if (tsock_send (out->sock, &out->peer, out->msg) < 0)
            send_failed (sc, out, errno);
        msg_destroy (out->msg);
        free (out);
    }
}

static void reply (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    handlers_queue (sc, rq->sock, rq->peer, m);
}

static void reply_error (scheduler_t *sc,
                         const request_t *rq,
                         int code,
                         const char *fmt,
                         ...) __attribute__ ((format (printf, 4, 5)));

static void reply_error (
    scheduler_t *sc, const request_t *rq, int code, const char *fmt, ...)
{
    char text[sizeof (((msg_error_t *)0)->text)];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    reply (sc, rq, msg_error_create (code, "%s", text));
}

/* Send a message to a node's agent (queued like replies). */
static void to_agent (scheduler_t *sc, const agent_peer_t *ap, msg_t *m)
{
    handlers_queue (sc, sc->agents, &ap->peer, m);
}

/* --- helpers -------------------------------------------------------------- */

agent_peer_t *handlers_agent_peer (scheduler_t *sc, const char *node)
{
    agent_peer_t *ap = NULL;

    HASH_FIND_STR (sc->peers, node, ap);
    return ap;
}

static bool node_is_down (scheduler_t *sc, const agent_peer_t *ap)
{
    node_info_t info;

    return sched_node_info (sc->sched, ap->index, &info) == 0 &&
           info.state == NODE_DOWN && strcmp (info.name, ap->node) == 0;
}

/* The job if it exists and the requester may see it: tenants see their own
 * jobs only, so that another tenant's job is indistinguishable from none. */
static sched_job_t *visible_job (scheduler_t *sc, const request_t *rq, uint64_t id)
{
    sched_job_t *job = sched_job_lookup (sc->sched, id);

    if (job && rq->role == AUTH_ROLE_TENANT && strcmp (job->tenant, rq->name) != 0)
        return NULL;
    return job;
}

typedef struct job_list_build {
    job_info_t *jobs;
    uint32_t count;
    uint32_t cap;
} job_list_build_t;

static int list_push (job_list_build_t *b, const sched_job_t *job)
{
    if (b->count == b->cap) {
        uint32_t cap = b->cap ? b->cap * 2 : 16;
        job_info_t *grown = realloc (b->jobs, cap * sizeof (*grown));
        if (!grown)
            return -1;
        b->jobs = grown;
        b->cap = cap;
    }
    sched_job_info (job, &b->jobs[b->count++]);
    return 0;
}

/* A list reply (jobs.ok, show.ok, wait.ok) taking b's array. */
static msg_t *list_reply (msg_type_t type, job_list_build_t *b)
{
    msg_t *m = msg_create (type);

    if (!m) {
        free (b->jobs);
        return NULL;
    }
    m->u.job_list.jobs = b->jobs;
    m->u.job_list.count = b->count;
    b->jobs = NULL;
    b->count = b->cap = 0;
    return m;
}

typedef struct id_pos {
    uint64_t id;
    uint32_t pos;
} id_pos_t;

static int id_pos_cmp (const void *a, const void *b)
{
    const id_pos_t *x = a, *y = b;

    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The ids of a cancel or wait, each once, in the order first named, in
 * *out (caller frees). An id named 10,000 times is acted on once. More
 * distinct ids than scheduler.max_ids_per_request are answered with E2BIG;
 * -1 then (the error is queued). */
static int request_ids (scheduler_t *sc,
                        const request_t *rq,
                        const msg_ids_t *in,
                        uint64_t **out,
                        uint32_t *count)
{
    uint32_t max = sc->config->limits.ids_per_request, n = 0;
    id_pos_t *sorted = NULL;
    bool *first = NULL;
    uint64_t *ids = NULL;

    if (!(sorted = malloc ((in->count ? in->count : 1) * sizeof (*sorted))) ||
        !(first = calloc (in->count ? in->count : 1, sizeof (*first))) ||
        !(ids = malloc ((in->count ? in->count : 1) * sizeof (*ids)))) {
        reply_error (sc, rq, ENOMEM, "the scheduler is out of memory");
        goto error;
    }
    for (uint32_t i = 0; i < in->count; i++)
        sorted[i] = (id_pos_t){.id = in->ids[i], .pos = i};
    qsort (sorted, in->count, sizeof (*sorted), id_pos_cmp);
    for (uint32_t i = 0; i < in->count; i++)
        if (i == 0 || sorted[i].id != sorted[i - 1].id)
            first[sorted[i].pos] = true;
    for (uint32_t i = 0; i < in->count; i++)
        if (first[i])
            ids[n++] = in->ids[i];
    if (n > max) {
        reply_error (sc, rq, E2BIG,
                     "%u distinct job ids in one request; at most %u "
                     "(scheduler.max_ids_per_request)",
                     n, max);
        goto error;
    }
    free (sorted);
    free (first);
    *out = ids;
    *count = n;
    return 0;
error:
    free (sorted);
    free (first);
    free (ids);
    return -1;
}

/* --- client handlers ------------------------------------------------------ */

static void handle_submit (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    const jobspec_t *spec = &m->u.submit.spec;
    cphub_error_t err = {{0}};
    char command[64];
    uint64_t id = 0;
    uint32_t count = 1;
    msg_t *ok;

    if (sched_job_submit_many (sc->sched, rq->name, spec, sc->now, &id, &count, &err) <
        0) {
        int code = errno;
        log_info ("submit from %s refused: %s", rq->peer->identity, err.text);
        reply_error (sc, rq, code, "%s", err.text);
        return;
    }
    jobspec_command_summary (spec, command, sizeof (command));
    if (count > 1)
        log_info ("jobs %" PRIu64 "-%" PRIu64 " (array %s) submitted by %s: %s", id,
                  id + count - 1, spec->array ? spec->array : "", rq->peer->identity,
                  command);
    else
        log_info ("job %" PRIu64 " submitted by %s: %s (%u tasks, %u cores)", id,
                  rq->peer->identity, command, spec->ntasks, jobspec_cores (spec));
    if ((ok = msg_create (MSG_SUBMIT_OK))) {
        ok->u.id.id = id;
        ok->u.id.count = count;
    }
    reply (sc, rq, ok);
}

static void handle_cancel (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    uint64_t *ids = NULL;
    uint32_t count = 0;
    msg_t *ok = NULL;

    if (request_ids (sc, rq, &m->u.ids, &ids, &count) < 0)
        return;
    if (!(ok = msg_create (MSG_CANCEL_OK)) ||
        !(ok->u.cancel_ok.results =
              calloc (count ? count : 1, sizeof (msg_cancel_result_t)))) {
        msg_destroy (ok);
        free (ids);
        reply_error (sc, rq, ENOMEM, "the scheduler is out of memory");
        return;
    }
    ok->u.cancel_ok.count = count;
    for (uint32_t i = 0; i < count; i++) {
        msg_cancel_result_t *res = &ok->u.cancel_ok.results[i];
        cphub_error_t err = {{0}};
        sched_job_t *job = visible_job (sc, rq, ids[i]);

        res->id = ids[i];
        if (!job || sched_job_cancel (sc->sched, res->id, sc->now, &err) < 0) {
            res->code = job ? errno : ENOENT;
            if (res->code == ENOENT)
                snprintf (res->text, sizeof (res->text), "no such job %" PRIu64,
                          res->id);
            else
                snprintf (res->text, sizeof (res->text), "%s", err.text);
            continue;
        }
        log_info ("job %" PRIu64 " cancelled by %s", res->id, rq->peer->identity);
        if (job->state == JOB_CANCELLED)
            snprintf (res->text, sizeof (res->text), "cancelled");
        else
            snprintf (res->text, sizeof (res->text),
                      "cancelling: the job is being killed");
    }
    free (ids);
    reply (sc, rq, ok);
}

/* One page of jobs: at most JOBS_PAGE_MAX, and at most
 * scheduler.slice_jobs jobs walked, so that no jobs request holds the loop
 * long whatever the hub holds; the client asks again from next. */
static void handle_jobs (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    job_list_build_t b = {0};
    bool all = m->u.jobs.all;
    uint64_t after = m->u.jobs.after;
    uint32_t walked = 0, budget = sc->config->limits.slice_jobs;
    sched_job_t *job = after ? sched_job_lookup (sc->sched, after) : NULL;
    uint64_t next = 0, last = 0;
    msg_t *ok;

    job = job ? sched_job_next (sc->sched, job) : sched_job_first (sc->sched);
    for (; job; job = sched_job_next (sc->sched, job)) {
        if (job->id <= after) /* after was forgotten: skip to it */
            continue;
        if (b.count == JOBS_PAGE_MAX || walked == budget) {
            next = last; /* ids are ordered: resume after the last walked */
            break;
        }
        walked++;
        last = job->id;
        if (rq->role == AUTH_ROLE_TENANT && strcmp (job->tenant, rq->name) != 0)
            continue;
        if (!all && job->state != JOB_PENDING && job->state != JOB_RUNNING)
            continue;
        if (list_push (&b, job) < 0) {
            free (b.jobs);
            reply_error (sc, rq, ENOMEM, "the scheduler is out of memory");
            return;
        }
    }
    if ((ok = list_reply (MSG_JOBS_OK, &b)))
        ok->u.job_list.next = next;
    reply (sc, rq, ok);
}

static void handle_show (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    job_list_build_t b = {0};
    sched_job_t *job = visible_job (sc, rq, m->u.id.id);

    if (!job) {
        reply_error (sc, rq, ENOENT, "no such job %" PRIu64, m->u.id.id);
        return;
    }
    if (list_push (&b, job) < 0) {
        reply_error (sc, rq, ENOMEM, "the scheduler is out of memory");
        return;
    }
    reply (sc, rq, list_reply (MSG_SHOW_OK, &b));
}

/* Forget w (answered, or its client went): give back what it held. Its
 * links in the wait index must be gone (answered) or unlinked first. */
static void wait_free (scheduler_t *sc, wait_req_t *w)
{
    if (w->held) {
        hold_release (sc->hold, HOLD_WAIT, w->peer.identity, w->peer.conn, w->held_ids);
        tsock_peer_hold (sc->clients, &w->peer, -1);
    }
    DL_DELETE (sc->waits, w);
    free (w->ids);
    free (w);
}

/* Take w out of the wait index (its client went before it was answered). */
static void wait_unlink (scheduler_t *sc, wait_req_t *w)
{
    for (uint32_t i = 0; i < w->count; i++) {
        wait_index_t *idx = NULL;
        wait_link_t *link, *tmp;
        HASH_FIND (hh, sc->wait_index, &w->ids[i], sizeof (w->ids[i]), idx);
        if (!idx)
            continue;
        LL_FOREACH_SAFE (idx->links, link, tmp)
        {
            if (link->wait != w)
                continue;
            LL_DELETE (idx->links, link);
            free (link);
            sc->waited_ids--;
        }
        if (!idx->links) {
            HASH_DEL (sc->wait_index, idx);
            free (idx);
        }
    }
}

/* Answer a wait with the jobs it named, in pages built over the next turns
 * (handlers_slices), and forget it. */
static void wait_answer (scheduler_t *sc, wait_req_t *w)
{
    wait_answer_t *a = calloc (1, sizeof (*a));

    if (!a) {
        request_t rq = {.sock = sc->clients, .peer = &w->peer};
        reply_error (sc, &rq, ENOMEM, "the scheduler is out of memory");
        wait_free (sc, w);
        return;
    }
    a->peer = w->peer;
    a->ids = w->ids; /* moved, and the hold with them */
    a->count = w->count;
    a->held = w->held;
    a->held_ids = w->held_ids;
    w->ids = NULL;
    w->count = 0;
    w->held = false;
    DL_APPEND (sc->answers, a);
    wait_free (sc, w);
}

static void answer_free (scheduler_t *sc, wait_answer_t *a)
{
    if (a->held) {
        hold_release (sc->hold, HOLD_WAIT, a->peer.identity, a->peer.conn, a->held_ids);
        tsock_peer_hold (sc->clients, &a->peer, -1);
    }
    DL_DELETE (sc->answers, a);
    free (a->ids);
    free (a);
}

/* One page of a wait's answer; next is nonzero while pages follow. */
static void answer_page (scheduler_t *sc, wait_answer_t *a)
{
    job_list_build_t b = {0};
    request_t rq = {.sock = sc->clients, .peer = &a->peer};
    msg_t *ok;

    while (a->pos < a->count && b.count < JOBS_PAGE_MAX) {
        sched_job_t *job = sched_job_lookup (sc->sched, a->ids[a->pos++]);
        if (job && list_push (&b, job) < 0) {
            free (b.jobs);
            reply_error (sc, &rq, ENOMEM, "the scheduler is out of memory");
            answer_free (sc, a);
            return;
        }
    }
    if (!(ok = list_reply (MSG_WAIT_OK, &b))) {
        reply_error (sc, &rq, ENOMEM, "the scheduler is out of memory");
        answer_free (sc, a);
        return;
    }
    ok->u.job_list.next = a->pos < a->count ? a->ids[a->pos - 1] : 0;
    reply (sc, &rq, ok);
    if (a->pos >= a->count)
        answer_free (sc, a);
}

bool handlers_slices (scheduler_t *sc)
{
    for (int pages = 0; sc->answers && pages < WAIT_PAGES_PER_TURN; pages++) {
        wait_answer_t *a = sc->answers;
        DL_DELETE (sc->answers, a); /* round robin: to the back */
        DL_APPEND (sc->answers, a);
        answer_page (sc, a);
    }
    return sc->answers != NULL;
}

/* Link w to job id in the index; false if w was linked to it already (an id
 * named twice). */
static int wait_link (scheduler_t *sc, wait_req_t *w, uint64_t id, bool *linked)
{
    wait_index_t *idx = NULL;
    wait_link_t *link;

    *linked = false;
    HASH_FIND (hh, sc->wait_index, &id, sizeof (id), idx);
    if (idx && idx->links && idx->links->wait == w)
        return 0;
    if (!idx) {
        if (!(idx = calloc (1, sizeof (*idx))))
            return -1;
        idx->job_id = id;
        HASH_ADD (hh, sc->wait_index, job_id, sizeof (idx->job_id), idx);
    }
    if (!(link = calloc (1, sizeof (*link))))
        return -1;
    link->wait = w;
    LL_PREPEND (idx->links, link);
    *linked = true;
    return 0;
}

static void handle_wait (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    cphub_error_t err = {{0}};
    uint32_t unended = 0, count = 0;
    uint64_t *ids = NULL;
    wait_req_t *w = NULL;

    if (request_ids (sc, rq, &m->u.ids, &ids, &count) < 0)
        return;
    for (uint32_t i = 0; i < count; i++) {
        sched_job_t *job = visible_job (sc, rq, ids[i]);
        if (!job) {
            reply_error (sc, rq, ENOENT, "no such job %" PRIu64, ids[i]);
            free (ids);
            return;
        }
        if (!job_state_is_terminal (job->state))
            unended++;
    }
    if (unended > 0 && sc->waited_ids + unended > WAITED_IDS_MAX) {
        reply_error (sc, rq, EAGAIN,
                     "the scheduler is already waiting on %" PRIu64
                     " jobs for clients; try again later",
                     sc->waited_ids);
        free (ids);
        return;
    }
    /* parked or answered at once, it holds until its answer went */
    if (hold_take (sc->hold, HOLD_WAIT, rq->peer->identity, rq->peer->conn, unended,
                   &err) < 0) {
        log_info ("wait from %s refused: %s", rq->peer->identity, err.text);
        reply_error (sc, rq, errno, "%s", err.text);
        free (ids);
        return;
    }
    if (!(w = calloc (1, sizeof (*w)))) {
        hold_release (sc->hold, HOLD_WAIT, rq->peer->identity, rq->peer->conn, unended);
        reply_error (sc, rq, ENOMEM, "the scheduler is out of memory");
        free (ids);
        return;
    }
    w->peer = *rq->peer;
    w->count = count;
    w->ids = ids;
    w->held = true;
    w->held_ids = unended;
    DL_APPEND (sc->waits, w);
    tsock_peer_hold (sc->clients, &w->peer, 1);
    for (uint32_t i = 0; i < count; i++) {
        sched_job_t *job = sched_job_lookup (sc->sched, ids[i]);
        bool linked = false;
        if (!job || job_state_is_terminal (job->state))
            continue;
        if (wait_link (sc, w, job->id, &linked) < 0) {
            log_err ("out of memory parking a wait of %s; it may be answered early",
                     rq->peer->identity);
            break;
        }
        if (linked) {
            w->remaining++;
            sc->waited_ids++;
        }
    }
    if (w->remaining == 0)
        wait_answer (sc, w);
}

void handlers_job_changed (scheduler_t *sc, const sched_job_t *job)
{
    wait_index_t *idx = NULL;
    wait_link_t *link, *tmp;

    if (!job_state_is_terminal (job->state))
        return;
    HASH_FIND (hh, sc->wait_index, &job->id, sizeof (job->id), idx);
    if (!idx)
        return;
    HASH_DEL (sc->wait_index, idx);
    LL_FOREACH_SAFE (idx->links, link, tmp)
    {
        wait_req_t *w = link->wait;
        sc->waited_ids--;
        if (--w->remaining == 0)
            wait_answer (sc, w);
        free (link);
    }
    free (idx);
}

static void handle_nodes (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    uint32_t count = sched_node_count (sc->sched);
    msg_t *ok = msg_create (MSG_NODES_OK);

    (void)m;
    if (!ok ||
        !(ok->u.node_list.nodes = calloc (count ? count : 1, sizeof (node_info_t)))) {
        msg_destroy (ok);
        reply_error (sc, rq, ENOMEM, "the scheduler is out of memory");
        return;
    }
    for (uint32_t i = 0; i < count; i++) {
        if (sched_node_info (sc->sched, i,
                             &ok->u.node_list.nodes[ok->u.node_list.count]) == 0)
            ok->u.node_list.count++;
    }
    reply (sc, rq, ok);
}

static void handle_logs (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    const msg_logs_req_t *req = &m->u.logs_req;
    sched_job_t *job = visible_job (sc, rq, req->id);
    cphub_error_t err = {{0}};
    agent_peer_t *ap;
    logs_fetch_t *f;
    msg_t *fwd;

    if (!job) {
        reply_error (sc, rq, ENOENT, "no such job %" PRIu64, req->id);
        return;
    }
    if (job->node[0] == '\0') {
        reply_error (sc, rq, ENODATA,
                     "job %" PRIu64 " has not started; it has no output yet", req->id);
        return;
    }
    if (!(ap = handlers_agent_peer (sc, job->node))) {
        reply_error (sc, rq, EHOSTUNREACH,
                     "node %s, where job %" PRIu64 " ran, is not connected", job->node,
                     req->id);
        return;
    }
    if (node_is_down (sc, ap)) {
        reply_error (sc, rq, EHOSTDOWN,
                     "node %s, where job %" PRIu64
                     " ran, is down; its output is out of reach",
                     job->node, req->id);
        return;
    }
    if (HASH_COUNT (sc->fetches) >= FETCHES_MAX) {
        reply_error (sc, rq, EAGAIN, "%d logs requests are under way; try again later",
                     FETCHES_MAX);
        return;
    }
    if (hold_take (sc->hold, HOLD_LOGS, rq->peer->identity, rq->peer->conn, 0, &err) <
        0) {
        reply_error (sc, rq, errno, "%s", err.text);
        return;
    }
    if (!(f = calloc (1, sizeof (*f))) || !(fwd = msg_create (MSG_LOGS_FETCH))) {
        free (f);
        hold_release (sc->hold, HOLD_LOGS, rq->peer->identity, rq->peer->conn, 0);
        reply_error (sc, rq, ENOMEM, "the scheduler is out of memory");
        return;
    }
    tsock_peer_hold (sc->clients, rq->peer, 1);
    f->tag = ++sc->next_tag;
    f->job_id = req->id;
    snprintf (f->node, sizeof (f->node), "%s", job->node);
    f->client = *rq->peer;
    f->deadline = sc->now + SCHEDULER_LOGS_TIMEOUT;
    HASH_ADD (hh, sc->fetches, tag, sizeof (f->tag), f);
    fwd->u.logs_req = *req;
    fwd->u.logs_req.tag = f->tag;
    to_agent (sc, ap, fwd);
}

/* Forget a logs request (answered, failed, or its client went). */
static void fetch_done (scheduler_t *sc, logs_fetch_t *f)
{
    hold_release (sc->hold, HOLD_LOGS, f->client.identity, f->client.conn, 0);
    tsock_peer_hold (sc->clients, &f->client, -1);
    HASH_DEL (sc->fetches, f);
    free (f);
}

static void fetch_fail (scheduler_t *sc, logs_fetch_t *f, int code, const char *text)
{
    request_t rq = {.sock = sc->clients, .peer = &f->client};

    reply_error (sc, &rq, code, "%s", text);
    fetch_done (sc, f);
}

int handlers_expire (scheduler_t *sc, double now)
{
    logs_fetch_t *f, *tmp;
    double next = -1;
    char text[CPHUB_ERROR_TEXT_MAX + 1];

    HASH_ITER (hh, sc->fetches, f, tmp)
    {
        agent_peer_t *ap = handlers_agent_peer (sc, f->node);
        if (!ap || node_is_down (sc, ap)) {
            snprintf (text, sizeof (text),
                      "node %s went down before sending the output of job %" PRIu64,
                      f->node, f->job_id);
            fetch_fail (sc, f, EHOSTDOWN, text);
        } else if (now >= f->deadline) {
            snprintf (text, sizeof (text),
                      "node %s did not send the output of job %" PRIu64
                      " within %.0f s",
                      f->node, f->job_id, SCHEDULER_LOGS_TIMEOUT);
            log_warn ("%s", text);
            fetch_fail (sc, f, ETIMEDOUT, text);
        } else if (next < 0 || f->deadline < next)
            next = f->deadline;
    }
    if (next < 0)
        return -1;
    return (int)((next - now) * 1000.0) + 1;
}

/* Operators drain a node (nothing new starts there; what runs finishes) or
 * resume it. Only operators get here: auth.c's table refuses tenants ("only
 * operators may drain nodes"). */
static void handle_node_drain (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    const msg_node_drain_t *dr = &m->u.drain;
    cphub_error_t err = {{0}};

    if (sched_node_drain (sc->sched, dr->node, dr->drain, dr->reason, sc->now, &err) <
        0) {
        reply_error (sc, rq, errno, "%s", err.text);
        return;
    }
    if (dr->drain)
        log_info ("node %s drained by %s: %s", dr->node, rq->peer->identity,
                  dr->reason[0] ? dr->reason : "(no reason given)");
    else
        log_info ("node %s resumed by %s", dr->node, rq->peer->identity);
    reply (sc, rq, msg_create (MSG_NODE_DRAIN_OK));
}

/* Explain a job's priority (visible jobs only, as show); operators may set
 * its boost first (auth.c refuses a boost from tenants). */
static void handle_priority (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    const msg_priority_req_t *req = &m->u.priority_req;
    sched_job_t *job = visible_job (sc, rq, req->id);
    cphub_error_t err = {{0}};
    sched_priority_t f;
    msg_t *ok;

    if (!job) {
        reply_error (sc, rq, ENOENT, "no such job %" PRIu64, req->id);
        return;
    }
    if (req->set_boost) { /* operators only: auth.c's table */
        if (sched_job_boost (sc->sched, req->id, req->boost, &err) < 0) {
            reply_error (sc, rq, errno, "%s", err.text);
            return;
        }
        log_info ("job %" PRIu64 " boosted by %s: %g", req->id, rq->peer->identity,
                  req->boost);
    }
    if (sched_job_priority (sc->sched, req->id, sc->now, &f) < 0 ||
        !(ok = msg_create (MSG_PRIORITY_OK))) {
        reply_error (sc, rq, ENOMEM, "the scheduler is out of memory");
        return;
    }
    msg_priority_t *p = &ok->u.priority;
    p->id = job->id;
    snprintf (p->tenant, sizeof (p->tenant), "%s", job->tenant);
    p->state = job->state;
    snprintf (p->reason, sizeof (p->reason), "%s", job->reason);
    if (job->state == JOB_PENDING) {
        p->queue_position = job->queue_position;
        p->expected_start = job->expected_start;
    }
    p->priority = f.priority;
    p->fairshare = f.fairshare;
    p->age = f.age;
    p->size = f.size;
    p->job_boost = f.job_boost;
    p->tenant_boost = f.tenant_boost;
    p->weight_fairshare = f.weight_fairshare;
    p->weight_age = f.weight_age;
    p->weight_size = f.weight_size;
    p->tenant_shares = f.tenant_shares;
    p->tenant_usage = f.tenant_usage;
    p->usage_share = f.usage_share;
    p->half_life = f.half_life;
    p->max_age = f.max_age;
    reply (sc, rq, ok);
}

static void handle_report (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    msg_t *ok = report_build (sc, rq->role == AUTH_ROLE_TENANT ? rq->name : NULL);

    (void)m;
    if (!ok)
        reply_error (sc, rq, ENOMEM, "the scheduler is out of memory");
    else
        reply (sc, rq, ok);
}

/* --- agent handlers ------------------------------------------------------- */

/* The index of a node for sched_node_info: the last one when the node is
 * new, else found by name. */
static int node_index (scheduler_t *sc, const char *node, uint32_t *index)
{
    uint32_t count = sched_node_count (sc->sched);
    node_info_t info;

    if (count > 0 && sched_node_info (sc->sched, count - 1, &info) == 0 &&
        strcmp (info.name, node) == 0) {
        *index = count - 1;
        return 0;
    }
    for (uint32_t i = 0; i < count; i++) {
        if (sched_node_info (sc->sched, i, &info) == 0 &&
            strcmp (info.name, node) == 0) {
            *index = i;
            return 0;
        }
    }
    errno = ENOENT;
    return -1;
}

/* A registration listing jobs not placed on that node speaks for other
 * nodes' jobs: the core does not believe it (they only get a kill there);
 * say so once per registration. */
static void log_foreign_jobs (scheduler_t *sc,
                              const char *node,
                              const node_desc_t *desc)
{
    uint32_t foreign = 0;
    uint64_t first = 0;

    for (uint32_t i = 0; i < desc->njobs; i++) {
        const sched_job_t *job = sched_job_lookup (sc->sched, desc->jobs[i]);
        if (job && job->state == JOB_RUNNING && strcmp (job->node, node) == 0)
            continue;
        if (foreign++ == 0)
            first = desc->jobs[i];
    }
    if (foreign > 0)
        log_warn ("node %s listed %u job%s not placed there (first: %" PRIu64
                  "); ignored, and killed there if they run",
                  node, foreign, foreign == 1 ? "" : "s", first);
}

static void handle_register (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    const node_desc_t *desc = &m->u.node;
    cphub_error_t err = {{0}};
    agent_peer_t *ap;

    if (strcmp (desc->name, rq->name) != 0) {
        log_warn ("%s tried to register as node '%s'; refused", rq->peer->identity,
                  desc->name);
        reply_error (sc, rq, EPERM,
                     "this key belongs to node %s; it may not register as node '%s'",
                     rq->name, desc->name);
        return;
    }
    log_foreign_jobs (sc, rq->name, desc);
    if (sched_node_register (sc->sched, desc, sc->now, &err) < 0) {
        int code = errno;
        log_warn ("node %s: registration refused: %s", rq->name, err.text);
        reply_error (sc, rq, code, "%s", err.text);
        return;
    }
    if (!(ap = handlers_agent_peer (sc, rq->name))) {
        if (!(ap = calloc (1, sizeof (*ap)))) {
            reply_error (sc, rq, ENOMEM, "the scheduler is out of memory");
            return;
        }
        snprintf (ap->node, sizeof (ap->node), "%s", rq->name);
        ap->peer = *rq->peer;
        HASH_ADD_STR (sc->peers, node, ap);
    }
    peer_set (ap, rq->peer);
    ap->run_unsent = false; /* the register listed what reached the node */
    if (node_index (sc, rq->name, &ap->index) < 0)
        log_err ("node %s registered but the core does not list it", rq->name);
    log_info ("node %s registered: %u cores, %u GPUs, %u NUMA, %u jobs held (%s)",
              desc->name, desc->ncores, desc->ngpus, desc->nnuma, desc->njobs,
              desc->topology);
    msg_t *ok = msg_create (MSG_REGISTER_OK);
    if (ok) /* the agent checks that this is the hub it joined */
        snprintf (ok->u.register_ok.hub_id, sizeof (ok->u.register_ok.hub_id), "%s",
                  sc->identity.hub_id);
    reply (sc, rq, ok);
}

static void handle_heartbeat (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    (void)m;
    if (sched_node_heartbeat (sc->sched, rq->name, sc->now) < 0) {
        log_info ("heartbeat from unregistered node %s: asking it to register",
                  rq->name);
        reply_error (sc, rq, ENOENT, "register first");
    }
}

static void handle_job_started (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    const msg_job_started_t *st = &m->u.started;
    msg_t *kill;

    if (sched_job_started (sc->sched, rq->name, st->id, st->time, sc->now) == 0) {
        log_debug ("job %" PRIu64 " running on %s as pid %" PRId64, st->id, rq->name,
                   st->pid);
        return;
    }
    log_warn ("node %s started job %" PRIu64 ", which is not its to run; killing it",
              rq->name, st->id);
    if ((kill = msg_create (MSG_JOB_KILL)))
        kill->u.kill.id = st->id;
    reply (sc, rq, kill);
}

/* Acknowledge job id's exit report to the agent that sent it. The ack goes
 * out with the turn's other messages, after the store commit, so the agent
 * drops its buffered copy only once what the report changed is durable.
 * Consecutive acks to one agent share one message. */
static void ack_exit (scheduler_t *sc, const request_t *rq, uint64_t id)
{
    outbox_msg_t *last = sc->outbox ? sc->outbox->prev : NULL; /* utlist: tail */
    msg_t *ack;
    uint64_t *grown;

    if (last && last->msg->type == MSG_JOB_EXIT_ACK && last->sock == rq->sock &&
        same_peer (&last->peer, rq->peer) && last->msg->u.ids.count < MSG_IDS_MAX &&
        (grown = realloc (last->msg->u.ids.ids,
                          (last->msg->u.ids.count + 1) * sizeof (uint64_t)))) {
        last->msg->u.ids.ids = grown;
        grown[last->msg->u.ids.count++] = id;
        return;
    }
    if (!(ack = msg_create (MSG_JOB_EXIT_ACK)) ||
        !(ack->u.ids.ids = malloc (sizeof (uint64_t)))) {
        msg_destroy (ack);
        log_err ("out of memory acknowledging the exit of job %" PRIu64, id);
        return; /* the agent sends it again; applying it again changes nothing */
    }
    ack->u.ids.ids[0] = id;
    ack->u.ids.count = 1;
    reply (sc, rq, ack);
}

/* Apply an exit report. Applied, a repeat, the end of an earlier run or a
 * report about a job that is not this node's: each is final, and acked so
 * that the agent stops sending it. Only a report the core could not take
 * (out of memory) is left for the agent to send again. */
static void handle_job_exit (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    const msg_job_exit_t *ex = &m->u.exit;

    if (ex->survived_kill)
        log_err ("node %s: a process of job %" PRIu64
                 " survived KILL; draining the node",
                 rq->name, ex->id);
    if (sched_job_exited (sc->sched, rq->name, ex, sc->now) < 0) {
        if (errno == EINVAL) {
            log_warn ("node %s reported the exit of job %" PRIu64
                      " with times or cpu time that are not finite or negative; "
                      "refused",
                      rq->name, ex->id);
            ack_exit (sc, rq, ex->id); /* final: sending it again changes nothing */
            return;
        }
        if (errno != ENOENT) {
            log_err ("node %s: the exit of job %" PRIu64 " could not be applied: %s",
                     rq->name, ex->id, strerror (errno));
            return;
        }
        log_info ("node %s reported the exit of job %" PRIu64
                  ", which does not run there now; ignored",
                  rq->name, ex->id);
    }
    ack_exit (sc, rq, ex->id);
}

static void handle_logs_data (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    msg_logs_data_t *data = &m->u.logs_data;
    logs_fetch_t *f = NULL;
    request_t client;
    msg_t *ok;

    HASH_FIND (hh, sc->fetches, &data->tag, sizeof (data->tag), f);
    if (!f) {
        log_debug ("node %s sent logs for tag %" PRIu64 " nobody waits for", rq->name,
                   data->tag);
        return;
    }
    if (strcmp (f->node, rq->name) != 0 || f->job_id != data->id) {
        log_warn ("node %s sent logs for tag %" PRIu64 ", which is not its request",
                  rq->name, data->tag);
        return;
    }
    client = (request_t){.sock = sc->clients, .peer = &f->client};
    if (data->code != 0) {
        reply_error (sc, &client, data->code, "%s", data->text);
    } else if ((ok = msg_create (MSG_LOGS_OK))) {
        ok->u.logs_data = *data; /* moves the data */
        data->data = NULL;
        data->len = 0;
        ok->u.logs_data.tag = 0;
        reply (sc, &client, ok);
    } else
        reply_error (sc, &client, ENOMEM, "the scheduler is out of memory");
    fetch_done (sc, f);
}

/* Tenants and keys at run time (issue 4, tenants.c): operators only, by
 * the authorization table. */
static void handle_tenants (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    msg_t *answer = tenants_request (sc, rq->peer->identity, m);

    if (!answer)
        reply_error (sc, rq, ENOMEM, "the scheduler is out of memory");
    else
        reply (sc, rq, answer);
}

/* Balances and budget grants (issue 4, budget.c): grants are for operators
 * only, by the authorization table. */
static void handle_budget (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    msg_t *answer = budget_request (sc, rq->role, rq->name, rq->peer->identity, m);

    if (!answer)
        reply_error (sc, rq, ENOMEM, "the scheduler is out of memory");
    else
        reply (sc, rq, answer);
}

/* --- dispatch ------------------------------------------------------------- */

/* The key a message came with must still be in the identity table (one hash
 * lookup): a key revoked by `cphub key revoke` is refused on its next
 * request, even on a connection opened before. out is the peer with the
 * plain identity ("tenant:acme") the handlers act on. A refused client gets
 * EACCES; an agent is only logged. */
static int peer_checked (scheduler_t *sc,
                         tsock_t *sock,
                         const tpeer_t *from,
                         tpeer_t *out)
{
    cphub_error_t err = {{0}};

    out->rid_len =
        from->rid_len <= sizeof (out->rid) ? from->rid_len : sizeof (out->rid);
    memcpy (out->rid, from->rid, out->rid_len);
    out->conn = from->conn;
    if (auth_check_peer (sc->auth, from->identity, out->identity, &err) == 0)
        return 0;
    int code = errno == EACCES ? EACCES : EPERM;
    log_warn ("refused a message from %s: %s", out->identity[0] ? out->identity : "?",
              err.text);
    if (sock == sc->clients) {
        request_t rq = {.sock = sock, .peer = out};
        reply_error (sc, &rq, code, "%s", err.text);
    }
    return -1;
}

static const handler_f handlers[MSG_TYPE_COUNT] = {
    [MSG_SUBMIT] = handle_submit,
    [MSG_CANCEL] = handle_cancel,
    [MSG_JOBS] = handle_jobs,
    [MSG_SHOW] = handle_show,
    [MSG_WAIT] = handle_wait,
    [MSG_NODES] = handle_nodes,
    [MSG_LOGS] = handle_logs,
    [MSG_REPORT] = handle_report,
    [MSG_NODE_DRAIN] = handle_node_drain,
    [MSG_PRIORITY] = handle_priority,
    [MSG_REGISTER] = handle_register,
    [MSG_HEARTBEAT] = handle_heartbeat,
    [MSG_JOB_STARTED] = handle_job_started,
    [MSG_JOB_EXIT] = handle_job_exit,
    [MSG_LOGS_DATA] = handle_logs_data,
    [MSG_TENANT] = handle_tenants, /* issue 4 */
    [MSG_KEY] = handle_tenants,
    [MSG_BALANCE] = handle_budget, /* issue 4 */
    [MSG_BUDGET_GRANT] = handle_budget,
};

/* Keep the agent's latest connection (it changes when the agent reconnects). */
static void touch_peer (scheduler_t *sc, const request_t *rq)
{
    agent_peer_t *ap = handlers_agent_peer (sc, rq->name);

    if (!ap)
        return;
    if (!same_peer (&ap->peer, rq->peer)) {
        log_info ("node %s reconnected", rq->name);
        peer_set (ap, rq->peer);
    }
    if (ap->run_unsent) /* the agent registers again at once on ENOENT */
        reply_error (sc, rq, ENOENT, "register again: a job.run did not reach node %s",
                     rq->name);
}

void handlers_dispatch (scheduler_t *sc, tsock_t *sock, const tpeer_t *from, msg_t *m)
{
    tpeer_t checked;
    const tpeer_t *peer = &checked;
    request_t rq = {.sock = sock, .peer = peer};
    const char *name = msg_type_name (m->type);
    const char *type = name ? name : "?";
    cphub_error_t err = {{0}};

    if (peer_checked (sc, sock, from, &checked) < 0)
        return;
    if (auth_parse_identity (peer->identity, &rq.role, &rq.name) < 0) {
        log_warn ("dropped %s from a peer without identity ('%s')", type,
                  peer->identity);
        return;
    }
    if ((rq.role == AUTH_ROLE_AGENT) != (sock == sc->agents)) {
        log_warn ("%s sent %s to the %s endpoint; refused", peer->identity, type,
                  sock == sc->agents ? "agent" : "client");
        if (sock == sc->clients)
            reply_error (sc, &rq, EPERM, "agents must connect to the agent endpoint");
        else
            reply_error (sc, &rq, EPERM,
                         "%s must connect to the client endpoint, not the agent one",
                         auth_role_plural (rq.role));
        return;
    }
    if (auth_authorize (rq.role, m, &err) < 0 || !handlers[m->type]) {
        if (!err.text[0])
            snprintf (err.text, sizeof (err.text), "%s may not send %s",
                      auth_role_plural (rq.role), type);
        log_warn ("%s sent %s: %s; %s", peer->identity, type, err.text,
                  rq.role == AUTH_ROLE_AGENT ? "dropped" : "refused");
        if (rq.role != AUTH_ROLE_AGENT)
            reply_error (sc, &rq, EPERM, "%s", err.text);
        return;
    }
    if (rq.role == AUTH_ROLE_AGENT && m->type != MSG_REGISTER)
        touch_peer (sc, &rq);
    handlers[m->type](sc, &rq, m);
}

void handlers_bad_message (scheduler_t *sc,
                           tsock_t *sock,
                           const tpeer_t *from,
                           int errnum,
                           const cphub_error_t *err)
{
    tpeer_t checked;
    const tpeer_t *peer = &checked;
    request_t rq = {.sock = sock, .peer = peer};
    const char *text = err && err->text[0] ? err->text : strerror (errnum);

    if (peer_checked (sc, sock, from, &checked) < 0)
        return;

    if (sock == sc->agents) {
        log_warn ("dropped a malformed message from %s: %s", peer->identity, text);
        return;
    }
    log_warn ("malformed message from %s: %s", peer->identity, text);
    reply_error (sc, &rq, errnum, "%s", text);
}

void handlers_client_gone (scheduler_t *sc, const tpeer_t *peer)
{
    wait_req_t *w, *wtmp;
    logs_fetch_t *f, *ftmp;
    outbox_msg_t *out, *otmp;
    uint32_t freed = 0, dropped = 0;

    if (peer->conn == 0)
        return;
    if (hold_count (sc->hold, HOLD_WAIT, NULL, peer->conn) > 0) {
        DL_FOREACH_SAFE (sc->waits, w, wtmp)
        {
            if (w->peer.conn != peer->conn)
                continue;
            wait_unlink (sc, w);
            wait_free (sc, w);
            freed++;
        }
    }
    if (hold_count (sc->hold, HOLD_LOGS, NULL, peer->conn) > 0) {
        HASH_ITER (hh, sc->fetches, f, ftmp)
        {
            if (f->client.conn != peer->conn)
                continue;
            fetch_done (sc, f);
            freed++;
        }
    }
    wait_answer_t *a, *atmp;
    DL_FOREACH_SAFE (sc->answers, a, atmp)
    {
        if (a->peer.conn != peer->conn)
            continue;
        answer_free (sc, a);
        freed++;
    }
    DL_FOREACH_SAFE (sc->outbox, out, otmp)
    {
        if (out->sock != sc->clients || out->peer.conn != peer->conn)
            continue;
        DL_DELETE (sc->outbox, out);
        msg_destroy (out->msg);
        free (out);
        dropped++;
    }
    if (freed > 0 || dropped > 0)
        log_info (
            "a connection of %s went: %u parked requests freed, %u replies "
            "dropped",
            peer->identity, freed, dropped);
}

void handlers_cleanup (scheduler_t *sc)
{
    wait_req_t *w, *wtmp;
    wait_index_t *idx, *itmp;
    logs_fetch_t *f, *ftmp;
    outbox_msg_t *out, *otmp;
    agent_peer_t *ap, *atmp;

    HASH_ITER (hh, sc->wait_index, idx, itmp)
    {
        wait_link_t *link, *ltmp;
        HASH_DEL (sc->wait_index, idx);
        LL_FOREACH_SAFE (idx->links, link, ltmp)
        {
            free (link);
        }
        free (idx);
    }
    DL_FOREACH_SAFE (sc->waits, w, wtmp)
    {
        DL_DELETE (sc->waits, w);
        free (w->ids);
        free (w);
    }
    HASH_ITER (hh, sc->fetches, f, ftmp)
    {
        HASH_DEL (sc->fetches, f);
        free (f);
    }
    while (sc->answers)
        answer_free (sc, sc->answers);
    DL_FOREACH_SAFE (sc->outbox, out, otmp)
    {
        DL_DELETE (sc->outbox, out);
        msg_destroy (out->msg);
        free (out);
    }
    HASH_ITER (hh, sc->peers, ap, atmp)
    {
        HASH_DEL (sc->peers, ap);
        free (ap);
    }
    sc->waited_ids = 0;
}

/* Replies that acknowledge a change (or an end that may not be on record):
 * when the turn's commit failed, they become errors. Reads go out. */
static const bool acknowledges_change[MSG_TYPE_COUNT] = {
    [MSG_SUBMIT_OK] = true,     [MSG_CANCEL_OK] = true,       [MSG_WAIT_OK] = true,
    [MSG_NODE_DRAIN_OK] = true, [MSG_PRIORITY_OK] = true,     [MSG_TENANT_OK] = true,
    [MSG_KEY_OK] = true,        [MSG_BUDGET_GRANT_OK] = true, [MSG_REGISTER_OK] = true,
    [MSG_JOB_RUN] = true,       [MSG_JOB_KILL] = true,        [MSG_JOB_EXIT_ACK] = true,
};

void handlers_unsaved (scheduler_t *sc, int code, const char *text)
{
    outbox_msg_t *out, *tmp;
    msg_t *e;

    DL_FOREACH_SAFE (sc->outbox, out, tmp)
    {
        msg_type_t type = out->msg->type;
        if ((unsigned)type >= MSG_TYPE_COUNT || !acknowledges_change[type])
            continue;
        if (out->sock == sc->clients && (e = msg_error_create (code, "%s", text))) {
            msg_destroy (out->msg);
            out->msg = e; /* the client learns now, rather than time out */
            continue;
        }
        /* an agent: orders of an unsaved turn are not given, and an exit
         * not on record is not acknowledged (the agent sends it again) */
        DL_DELETE (sc->outbox, out);
        msg_destroy (out->msg);
        free (out);
    }
}
