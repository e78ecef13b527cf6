/* outq.c: the outgoing queue (see outq.h), a utlist DL list sent in order
 * after the turn's commit, and what becomes of a message that could not go
 * out: resent on the agent's other connection, a client cut off that leaves
 * its replies unread, an error instead of a reply too large for one
 * message, a logs request failed, a job.run left for the node's next
 * register to decide.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utlist.h>

#include "cphub/log.h"
#include "scheduler/handlers.h"
#include "scheduler/logs_relay.h"
#include "scheduler/msgtab.h"
#include "scheduler/outq.h"
#include "scheduler/peers.h"
#include "scheduler/scheduler.h"

typedef struct outq_msg {
    tsock_t *sock;
    tpeer_t peer;
    msg_t *msg;
    struct outq_msg *prev, *next;
} outq_msg_t;

struct outq {
    outq_msg_t *head; /* utlist DL */
};

outq_t *outq_create (void)
{
    return calloc (1, sizeof (outq_t));
}

static void outq_remove (outq_t *q, outq_msg_t *out)
{
    DL_DELETE (q->head, out);
    msg_destroy (out->msg);
    free (out);
}

void outq_destroy (outq_t *q)
{
    if (!q)
        return;
    while (q->head)
        outq_remove (q, q->head);
    free (q);
}

void outq_push (outq_t *q, tsock_t *sock, const tpeer_t *peer, msg_t *m)
{
    outq_msg_t *out;

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
    DL_APPEND (q->head, out);
}

int outq_ack_join (outq_t *q, tsock_t *sock, const tpeer_t *peer, uint64_t id)
{
    outq_msg_t *last = q->head ? q->head->prev : NULL; /* utlist: tail */
    uint64_t *grown;

    if (!last || last->msg->type != MSG_JOB_EXIT_ACK || last->sock != sock ||
        !peers_same (&last->peer, peer) || last->msg->u.ids.count >= MSG_IDS_MAX ||
        !(grown = realloc (last->msg->u.ids.ids,
                           (last->msg->u.ids.count + 1) * sizeof (uint64_t))))
        return -1;
    last->msg->u.ids.ids = grown;
    grown[last->msg->u.ids.count++] = id;
    return 0;
}

/* A message to an agent could not go out on the connection it was queued
 * for (gone): send it on the agent's current connection if that is another
 * one (the agent reconnected since), else on the one before (its two
 * registrations arrived out of order), which then becomes its connection.
 * true if that worked. */
static bool agent_resend (scheduler_t *sc, const outq_msg_t *out, int errnum)
{
    auth_role_t role;
    const char *node;
    agent_peer_t *ap;
    tpeer_t to;

    if (out->sock != sc->agents || errnum != EHOSTUNREACH ||
        auth_parse_identity (out->peer.identity, &role, &node) < 0 ||
        role != AUTH_ROLE_AGENT || !(ap = peers_find (sc->peers, node)))
        return false;
    if (!peers_same (&ap->peer, &out->peer))
        to = ap->peer;
    else if (ap->prev.rid_len > 0)
        to = ap->prev;
    else
        return false;
    if (tsock_send (out->sock, &to, out->msg) < 0)
        return false;
    log_info ("node %s: %s sent on its other connection", ap->node,
              msg_type_name (out->msg->type));
    if (!peers_same (&ap->peer, &to)) {
        ap->peer = to;
        ap->prev.rid_len = 0;
    }
    return true;
}

/* A job.run that did not reach the agent is no run and no failed start: the
 * core keeps the job on its node until the node's next register says
 * whether it holds the job (sched_job_run_unsent): the agent's next
 * message, on any connection, is answered "register again" (handlers.c),
 * and an agent that never comes back goes down after its heartbeat
 * timeout. */
static void run_unsent (scheduler_t *sc, uint64_t id)
{
    sched_job_t *job = sched_job_lookup (sc->sched, id);

    if (!job || job->state != JOB_RUNNING)
        return;
    agent_peer_t *ap = peers_find (sc->peers, job->alloc.node);
    if (sched_job_run_unsent (sc->sched, job->alloc.node, job->id) < 0)
        return;
    log_warn ("job %" PRIu64
              " did not reach node %s; its next register "
              "decides whether it runs there",
              job->id, job->alloc.node);
    if (ap)
        ap->run_unsent = true;
}

/* A job.run larger than one message: sent again after a register it would
 * fail alike, forever, each time making the node register again while the
 * job never runs. It fails instead, as a start the job's own size made
 * impossible (the node is not blamed). */
static void run_too_large (scheduler_t *sc, uint64_t id)
{
    sched_job_t *job = sched_job_lookup (sc->sched, id);
    char node[sizeof (job->alloc.node)], text[CPHUB_ERROR_TEXT_MAX + 1];

    if (!job || job->state != JOB_RUNNING)
        return;
    snprintf (node, sizeof (node), "%s", job->alloc.node);
    snprintf (text, sizeof (text),
              SCHED_START_TOO_LARGE
              " (more than %d MiB); submit a smaller script or "
              "command",
              MSG_MAX_BYTES / (1024 * 1024));
    if (sched_job_start_failed (sc->sched, node, id, text, sc->now, sc->now) < 0) {
        log_err ("job %" PRIu64 " could not be ended: %s", id, strerror (errno));
        run_unsent (sc, id); /* as before: its node's next register decides */
    }
}

/* A message could not be sent (errnum). Make sure nobody waits for what it
 * would have caused: a client gets an error instead of a reply too large for
 * one message, a logs request whose fetch did not reach the agent fails now
 * (its error goes out with this flush), a job.run waits for a register. */
static void send_failed (scheduler_t *sc, const outq_msg_t *out, int errnum)
{
    const msg_t *m = out->msg;

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
        relay_unreachable (sc, m->u.logs_req.tag);
    } else if (m->type == MSG_JOB_RUN && errnum == E2BIG) {
        run_too_large (sc, m->u.run.id);
    } else if (m->type == MSG_JOB_RUN) {
        run_unsent (sc, m->u.run.id);
    }
}

void outq_flush (scheduler_t *sc)
{
    outq_t *q = sc->outq;
    outq_msg_t *out;

    while ((out = q->head)) { /* send_failed may queue more: they go too */
        DL_DELETE (q->head, out);
        if (tsock_send (out->sock, &out->peer, out->msg) < 0)
            send_failed (sc, out, errno);
        msg_destroy (out->msg);
        free (out);
    }
}

void outq_unsaved (scheduler_t *sc, int code, const char *text)
{
    outq_t *q = sc->outq;
    outq_msg_t *out, *tmp;
    msg_t *e;

    DL_FOREACH_SAFE (q->head, out, tmp)
    {
        const msgtab_row_t *row = msgtab_row (out->msg->type);
        if (!row || !row->acknowledges_change)
            continue;
        if (out->sock == sc->clients && (e = msg_error_create (code, "%s", text))) {
            msg_destroy (out->msg);
            out->msg = e; /* the client learns now, rather than time out */
            continue;
        }
        /* an agent: orders of an unsaved turn are not given, and an exit
         * not on record is not acknowledged (the agent sends it again) */
        outq_remove (q, out);
    }
}

uint32_t outq_drop_conn (outq_t *q, const tsock_t *sock, uint64_t conn)
{
    outq_msg_t *out, *tmp;
    uint32_t dropped = 0;

    DL_FOREACH_SAFE (q->head, out, tmp)
    {
        if (out->sock != sock || out->peer.conn != conn)
            continue;
        outq_remove (q, out);
        dropped++;
    }
    return dropped;
}
