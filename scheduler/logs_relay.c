/* logs_relay.c: logs requests relayed to agents (see logs_relay.h), a
 * uthash table of the fetches under way by tag. The agent that answers
 * must be the node's, about the job asked for: another agent's answer to a
 * tag it guessed is dropped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "cphub/hash_free.h"
#include "cphub/log.h"
#include "scheduler/hold.h"
#include "scheduler/logs_relay.h"
#include "scheduler/outq.h"
#include "scheduler/peers.h"

/* Bound on the logs requests under way, so that no one exhausts memory. */
#define FETCHES_MAX 1024

typedef struct logs_fetch {
    uint64_t tag; /* key */
    uint64_t job_id;
    char node[NODE_NAME_MAX + 1];
    tpeer_t client;
    double deadline;
    UT_hash_handle hh;
} logs_fetch_t;

struct relay {
    logs_fetch_t *fetches; /* uthash by tag */
    uint64_t next_tag;
};

relay_t *relay_create (void)
{
    return calloc (1, sizeof (relay_t));
}

void relay_destroy (relay_t *r)
{
    if (!r)
        return;
    HASH_FREE_ALL (hh, r->fetches);
    free (r);
}

/* Forget a logs request (answered, failed, or its client went). */
static void fetch_done (scheduler_t *sc, logs_fetch_t *f)
{
    hold_release (sc->hold, HOLD_LOGS, f->client.identity, f->client.conn, 0);
    tsock_peer_hold (sc->clients, &f->client, -1);
    HASH_DEL (sc->relay->fetches, f);
    free (f);
}

static void fetch_fail (scheduler_t *sc,
                        logs_fetch_t *f,
                        int code,
                        const char *fmt,
                        ...) __attribute__ ((format (printf, 4, 5)));

static void fetch_fail (
    scheduler_t *sc, logs_fetch_t *f, int code, const char *fmt, ...)
{
    request_t rq = {.sock = sc->clients, .peer = &f->client};
    char text[sizeof (((msg_error_t *)0)->text)];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    if (code == ETIMEDOUT) /* the agent's silence is logged nowhere else */
        log_warn ("%s", text);
    request_error (sc, &rq, code, "%s", text);
    fetch_done (sc, f);
}

/* Why a job's output cannot be fetched now (an error queued, -1), or 0
 * with the node's agent in *ap. */
static int fetch_check (scheduler_t *sc,
                        const request_t *rq,
                        const sched_job_t *job,
                        agent_peer_t **ap)
{
    if (job->alloc.node[0] == '\0') {
        request_error (sc, rq, ENODATA,
                       "job %" PRIu64 " has not started; it has no output yet",
                       job->id);
        return -1;
    }
    if (!(*ap = peers_find (sc->peers, job->alloc.node))) {
        request_error (sc, rq, EHOSTUNREACH,
                       "node %s, where job %" PRIu64 " ran, is not connected",
                       job->alloc.node, job->id);
        return -1;
    }
    if (peers_node_down (sc, *ap)) {
        request_error (sc, rq, EHOSTDOWN,
                       "node %s, where job %" PRIu64
                       " ran, is down; its output is out of reach",
                       job->alloc.node, job->id);
        return -1;
    }
    if (HASH_COUNT (sc->relay->fetches) >= FETCHES_MAX) {
        request_error (sc, rq, EAGAIN,
                       "%d logs requests are under way; try again later", FETCHES_MAX);
        return -1;
    }
    return 0;
}

void relay_request (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    const msg_logs_req_t *req = &m->u.logs_req;
    sched_job_t *job = request_job (sc, rq, req->id);
    cphub_error_t err = {{0}};
    agent_peer_t *ap = NULL;
    logs_fetch_t *f;
    msg_t *fwd;

    if (!job) {
        request_error (sc, rq, ENOENT, "no such job %" PRIu64, req->id);
        return;
    }
    if (fetch_check (sc, rq, job, &ap) < 0)
        return;
    if (hold_take (sc->hold, HOLD_LOGS, rq->peer->identity, rq->peer->conn, 0, &err) <
        0) {
        request_error (sc, rq, errno, "%s", err.text);
        return;
    }
    if (!(f = calloc (1, sizeof (*f))) || !(fwd = msg_create (MSG_LOGS_FETCH))) {
        free (f);
        hold_release (sc->hold, HOLD_LOGS, rq->peer->identity, rq->peer->conn, 0);
        request_error (sc, rq, ENOMEM, "the scheduler is out of memory");
        return;
    }
    tsock_peer_hold (sc->clients, rq->peer, 1);
    f->tag = ++sc->relay->next_tag;
    f->job_id = req->id;
    snprintf (f->node, sizeof (f->node), "%s", job->alloc.node);
    f->client = *rq->peer;
    f->deadline = sc->now + SCHEDULER_LOGS_TIMEOUT;
    HASH_ADD (hh, sc->relay->fetches, tag, sizeof (f->tag), f);
    fwd->u.logs_req = *req;
    fwd->u.logs_req.tag = f->tag;
    outq_push (sc->outq, sc->agents, &ap->peer, fwd);
}

void relay_data (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    msg_logs_data_t *data = &m->u.logs_data;
    logs_fetch_t *f = NULL;
    request_t client;
    msg_t *ok;

    HASH_FIND (hh, sc->relay->fetches, &data->tag, sizeof (data->tag), f);
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
        request_error (sc, &client, data->code, "%s", data->text);
    } else if ((ok = msg_create (MSG_LOGS_OK))) {
        ok->u.logs_data = *data; /* moves the data */
        data->data = NULL;
        data->len = 0;
        ok->u.logs_data.tag = 0;
        request_reply (sc, &client, ok);
    } else
        request_error (sc, &client, ENOMEM, "the scheduler is out of memory");
    fetch_done (sc, f);
}

void relay_unreachable (scheduler_t *sc, uint64_t tag)
{
    logs_fetch_t *f = NULL;

    HASH_FIND (hh, sc->relay->fetches, &tag, sizeof (tag), f);
    if (f)
        fetch_fail (sc, f, EHOSTUNREACH,
                    "node %s, where job %" PRIu64 " ran, is not reachable now", f->node,
                    f->job_id);
}

int relay_expire (scheduler_t *sc, double now)
{
    logs_fetch_t *f, *tmp;
    double next = -1;

    HASH_ITER (hh, sc->relay->fetches, f, tmp)
    {
        agent_peer_t *ap = peers_find (sc->peers, f->node);
        if (!ap || peers_node_down (sc, ap))
            fetch_fail (sc, f, EHOSTDOWN,
                        "node %s went down before sending the output of job %" PRIu64,
                        f->node, f->job_id);
        else if (now >= f->deadline)
            fetch_fail (sc, f, ETIMEDOUT,
                        "node %s did not send the output of job %" PRIu64
                        " within %.0f s",
                        f->node, f->job_id, SCHEDULER_LOGS_TIMEOUT);
        else if (next < 0 || f->deadline < next)
            next = f->deadline;
    }
    if (next < 0)
        return -1;
    return (int)((next - now) * 1000.0) + 1;
}

uint32_t relay_client_gone (scheduler_t *sc, uint64_t conn)
{
    logs_fetch_t *f, *tmp;
    uint32_t freed = 0;

    if (hold_count (sc->hold, HOLD_LOGS, NULL, conn) == 0)
        return 0;
    HASH_ITER (hh, sc->relay->fetches, f, tmp)
    {
        if (f->client.conn != conn)
            continue;
        fetch_done (sc, f);
        freed++;
    }
    return freed;
}
