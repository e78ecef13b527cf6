/* handlers.c: the dispatcher and the handlers of the client and agent
 * requests that are answered at once (see handlers.h). Waits and logs
 * requests, which are parked, have their own rooms (waits.c,
 * logs_relay.c); the message table (msgtab.c) names every handler.
 *
 * Who is asking is always the identity the transport authenticated (role and
 * name from ZAP), never a field of the message. Tenants see and cancel only
 * their own jobs, and another tenant's job answers exactly like a job that
 * does not exist; operators see everything; agents speak only for their own
 * node. Every answer is queued, not sent (outq.h): the loop sends the queue
 * after the turn's store commit, so that a submit is acknowledged only once
 * durable.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/log.h"
#include "scheduler/budget.h"
#include "scheduler/handlers.h"
#include "scheduler/logs_relay.h"
#include "scheduler/msgtab.h"
#include "scheduler/outq.h"
#include "scheduler/peers.h"
#include "scheduler/report.h"
#include "scheduler/tenants.h"
#include "scheduler/waits.h"

/* --- client handlers ------------------------------------------------------ */

void handlers_submit (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    const jobspec_t *spec = &m->u.submit.spec;
    cphub_error_t err = {{0}};
    char command[64], array[JOBSPEC_ARRAY_TEXT_MAX + 1] = "";
    uint64_t id = 0;
    uint32_t count = 1;
    msg_t *ok;

    if (history_recall (sc, rq->name, spec, &err) < 0 ||
        sched_job_submit_many (sc->sched, rq->name, spec, sc->now, &id, &count, &err) <
            0) {
        int code = errno;
        log_info ("submit from %s refused: %s", rq->peer->identity, err.text);
        request_error (sc, rq, code, "%s", err.text);
        return;
    }
    jobspec_command_summary (spec, command, sizeof (command));
    if (spec->array)
        jobspec_array_format (spec->array, array, sizeof (array));
    if (count > 1)
        log_info ("jobs %" PRIu64 "-%" PRIu64 " (array %s) submitted by %s: %s", id,
                  id + count - 1, array, rq->peer->identity, command);
    else
        log_info ("job %" PRIu64 " submitted by %s: %s (%u tasks, %u cores)", id,
                  rq->peer->identity, command, spec->ntasks, jobspec_cores (spec));
    if ((ok = msg_create (MSG_SUBMIT_OK))) {
        ok->u.id.id = id;
        ok->u.id.count = count;
    }
    request_reply (sc, rq, ok);
}

void handlers_cancel (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    uint64_t *ids = NULL;
    uint32_t count = 0;
    msg_t *ok = NULL;

    if (request_ids_arrays (sc, rq, &m->u.ids, true, &ids, &count) < 0)
        return;
    if (!(ok = msg_create (MSG_CANCEL_OK)) ||
        !(ok->u.cancel_ok.results =
              calloc (count ? count : 1, sizeof (msg_cancel_result_t)))) {
        msg_destroy (ok);
        free (ids);
        request_error (sc, rq, ENOMEM, "the scheduler is out of memory");
        return;
    }
    ok->u.cancel_ok.count = count;
    for (uint32_t i = 0; i < count; i++) {
        msg_cancel_result_t *res = &ok->u.cancel_ok.results[i];
        cphub_error_t err = {{0}};
        sched_job_t *job = request_job (sc, rq, ids[i]);

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
    request_reply (sc, rq, ok);
}

void handlers_nodes (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    uint32_t count = sched_node_count (sc->sched);
    msg_t *ok = msg_create (MSG_NODES_OK);

    (void)m;
    if (!ok ||
        !(ok->u.node_list.nodes = calloc (count ? count : 1, sizeof (node_info_t)))) {
        msg_destroy (ok);
        request_error (sc, rq, ENOMEM, "the scheduler is out of memory");
        return;
    }
    for (uint32_t i = 0; i < count; i++) {
        if (sched_node_info (sc->sched, i,
                             &ok->u.node_list.nodes[ok->u.node_list.count]) == 0)
            ok->u.node_list.count++;
    }
    request_reply (sc, rq, ok);
}

/* Operators drain a node (nothing new starts there; what runs finishes) or
 * resume it. Only operators get here: the message table refuses tenants ("only
 * operators may drain nodes"). */
void handlers_node_drain (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    const msg_node_drain_t *dr = &m->u.drain;
    cphub_error_t err = {{0}};

    if (sched_node_drain (sc->sched, dr->node, dr->drain, dr->reason, sc->now, &err) <
        0) {
        request_error (sc, rq, errno, "%s", err.text);
        return;
    }
    if (dr->drain)
        log_info ("node %s drained by %s: %s", dr->node, rq->peer->identity,
                  dr->reason[0] ? dr->reason : "(no reason given)");
    else
        log_info ("node %s resumed by %s", dr->node, rq->peer->identity);
    request_reply (sc, rq, msg_create (MSG_NODE_DRAIN_OK));
}

/* Explain a job's priority (visible jobs only, as show); operators may set
 * its boost first (the message table refuses a boost from tenants). */
void handlers_priority (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    const msg_priority_req_t *req = &m->u.priority_req;
    sched_job_t *job = request_job (sc, rq, req->id);
    cphub_error_t err = {{0}};
    sched_priority_t f;
    msg_t *ok;

    if (!job) {
        request_error (sc, rq, ENOENT, "no such job %" PRIu64, req->id);
        return;
    }
    if (req->set_boost) { /* operators only: the message table */
        if (sched_job_boost (sc->sched, req->id, req->boost, &err) < 0) {
            request_error (sc, rq, errno, "%s", err.text);
            return;
        }
        log_info ("job %" PRIu64 " boosted by %s: %g", req->id, rq->peer->identity,
                  req->boost);
    }
    if (sched_job_priority (sc->sched, req->id, sc->now, &f) < 0 ||
        !(ok = msg_create (MSG_PRIORITY_OK))) {
        request_error (sc, rq, ENOMEM, "the scheduler is out of memory");
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
    request_reply (sc, rq, ok);
}

void handlers_report (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    msg_t *ok = report_build (sc, rq->role == AUTH_ROLE_TENANT ? rq->name : NULL);

    (void)m;
    if (!ok)
        request_error (sc, rq, ENOMEM, "the scheduler is out of memory");
    else
        request_reply (sc, rq, ok);
}

/* --- agent handlers ------------------------------------------------------- */

/* The index of a node for sched_node_info (the core's lookup by name). */
static int node_index (scheduler_t *sc, const char *node, uint32_t *index)
{
    return sched_node_index (sc->sched, node, index);
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
        if (job && job->state == JOB_RUNNING && strcmp (job->alloc.node, node) == 0)
            continue;
        if (foreign++ == 0)
            first = desc->jobs[i];
    }
    if (foreign > 0)
        log_warn ("node %s listed %u job%s not placed there (first: %" PRIu64
                  "); ignored, and killed there if they run",
                  node, foreign, foreign == 1 ? "" : "s", first);
}

void handlers_register (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    const node_desc_t *desc = &m->u.node;
    cphub_error_t err = {{0}};
    agent_peer_t *ap;

    if (strcmp (desc->name, rq->name) != 0) {
        log_warn ("%s tried to register as node '%s'; refused", rq->peer->identity,
                  desc->name);
        request_error (sc, rq, EPERM,
                       "this key belongs to node %s; it may not register as node '%s'",
                       rq->name, desc->name);
        return;
    }
    if (desc->simulated && !sc->config->allow_simulated_nodes) {
        log_warn (
            "node %s: registration refused: its agent simulates execution and "
            "scheduler.allow_simulated_nodes is false",
            rq->name);
        request_error (sc, rq, EPERM,
                       "node %s simulates execution (agent.simulate): its jobs would "
                       "run nothing; this hub takes no simulated nodes "
                       "(scheduler.allow_simulated_nodes = false)",
                       rq->name);
        return;
    }
    log_foreign_jobs (sc, rq->name, desc);
    if (sched_node_register (sc->sched, desc, sc->now, &err) < 0) {
        int code = errno;
        log_warn ("node %s: registration refused: %s", rq->name, err.text);
        request_error (sc, rq, code, "%s", err.text);
        return;
    }
    if (!(ap = peers_add (sc->peers, rq->name, rq->peer))) {
        request_error (sc, rq, ENOMEM, "the scheduler is out of memory");
        return;
    }
    peers_set (ap, rq->peer);
    ap->run_unsent = false; /* the register listed what reached the node */
    if (node_index (sc, rq->name, &ap->index) < 0)
        log_err ("node %s registered but the core does not list it", rq->name);
    log_info ("node %s registered: %u cores, %u GPUs, %u NUMA, %u jobs held (%s)%s",
              desc->name, desc->ncores, desc->ngpus, desc->nnuma, desc->njobs,
              desc->topology, desc->simulated ? ", SIMULATED: runs no job" : "");
    msg_t *ok = msg_create (MSG_REGISTER_OK);
    if (ok) /* the agent checks that this is the hub it joined */
        snprintf (ok->u.register_ok.hub_id, sizeof (ok->u.register_ok.hub_id), "%s",
                  sc->identity.hub_id);
    request_reply (sc, rq, ok);
}

void handlers_heartbeat (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    (void)m;
    if (sched_node_heartbeat (sc->sched, rq->name, sc->now) < 0) {
        log_info ("heartbeat from unregistered node %s: asking it to register",
                  rq->name);
        request_error (sc, rq, ENOENT, "register first");
    }
}

/* Is a node's report on job id about an earlier run than the job's
 * current one (logged)? Such a report changes nothing of the current run:
 * at most it tells that the node is done with the old one. */
static bool report_stale (
    scheduler_t *sc, const char *node, const char *what, uint64_t id, uint32_t run)
{
    const sched_job_t *job;

    if (!sched_job_run_stale (sc->sched, id, run))
        return false;
    job = sched_job_lookup (sc->sched, id);
    log_info ("node %s reported %s of run %" PRIu32 " of job %" PRIu64
              ", which is not its current run (%" PRIu32 ", %s); not applied to it",
              node, what, run, id, job ? job->runs : 0,
              job ? job_state_name (job->state) : "?");
    return true;
}

/* Does job id run on node now? */
static bool runs_on (scheduler_t *sc, uint64_t id, const char *node)
{
    const sched_job_t *job = sched_job_lookup (sc->sched, id);

    return job && job->state == JOB_RUNNING && strcmp (job->alloc.node, node) == 0;
}

/* The run node's report on job id names. One that names none (an agent
 * that does not number runs, or one upgraded while the job ran, whose
 * record of the run has no number) is the current run's when the job runs
 * on that node now: a node holds one run of a job at a time. Elsewhere it
 * is taken as the first run, so that it never ends a later run on another
 * node (doc/protocol.md). */
static uint32_t report_run (scheduler_t *sc,
                            const char *node,
                            uint64_t id,
                            uint32_t wire_run)
{
    if (wire_run > 0)
        return wire_run;
    if (runs_on (sc, id, node))
        return sched_job_lookup (sc->sched, id)->runs;
    return 1;
}

void handlers_job_started (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    const msg_job_started_t *st = &m->u.started;
    msg_t *kill;

    if (report_stale (sc, rq->name, "the start", st->id,
                      report_run (sc, rq->name, st->id, st->run)) &&
        runs_on (sc, st->id, rq->name))
        return; /* the node runs the new run now: leave it be */
    if (sched_job_started (sc->sched, rq->name, st->id, st->time, sc->now) == 0) {
        log_debug ("job %" PRIu64 " running on %s as pid %" PRId64, st->id, rq->name,
                   st->pid);
        return;
    }
    log_warn ("node %s started job %" PRIu64 ", which is not its to run; killing it",
              rq->name, st->id);
    if ((kill = msg_create (MSG_JOB_KILL))) {
        kill->u.kill.id = st->id;
        kill->u.kill.run = st->run;
    }
    request_reply (sc, rq, kill);
}

/* Acknowledge job id's exit report to the agent that sent it. The ack goes
 * out with the turn's other messages, after the store commit, so the agent
 * drops its buffered copy only once what the report changed is durable.
 * Consecutive acks to one agent share one message. */
static void ack_exit (scheduler_t *sc, const request_t *rq, uint64_t id)
{
    msg_t *ack;

    if (outq_ack_join (sc->outq, rq->sock, rq->peer, id) == 0)
        return;
    if (!(ack = msg_create (MSG_JOB_EXIT_ACK)) ||
        !(ack->u.ids.ids = malloc (sizeof (uint64_t)))) {
        msg_destroy (ack);
        log_err ("out of memory acknowledging the exit of job %" PRIu64, id);
        return; /* the agent sends it again; applying it again changes nothing */
    }
    ack->u.ids.ids[0] = id;
    ack->u.ids.count = 1;
    request_reply (sc, rq, ack);
}

/* The core's exit kind of each wire kind but EXIT_START_FAILED, which is
 * an event of its own (sched_job_start_failed). */
static const sched_exit_kind_t exit_kinds[EXIT_KIND_COUNT] = {
    [EXIT_EXITED] = SCHED_EXIT_EXITED,   [EXIT_SIGNALED] = SCHED_EXIT_SIGNALED,
    [EXIT_TIMEOUT] = SCHED_EXIT_TIMEOUT, [EXIT_CANCELLED] = SCHED_EXIT_CANCELLED,
    [EXIT_LOST] = SCHED_EXIT_LOST,       [EXIT_OOM] = SCHED_EXIT_OOM,
    [EXIT_OUTPUT] = SCHED_EXIT_OUTPUT,
};

/* Hand node's exit report to the core as the core's own event: the one
 * place where a job.exit becomes sched_job_exited or
 * sched_job_start_failed. 0 or -1 with errno as they return. */
static int exit_to_core (scheduler_t *sc, const char *node, const msg_job_exit_t *ex)
{
    uint32_t run = report_run (sc, node, ex->id, ex->run);
    bool stale = report_stale (
        sc, node, ex->kind == EXIT_START_FAILED ? "a failed start" : "the end", ex->id,
        run);

    /* the core drops an old run's end itself (after what it tells of a node
     * still holding that run); a failed start it takes as the current run's */
    if (ex->kind == EXIT_START_FAILED && stale && runs_on (sc, ex->id, node))
        return 0; /* final: acked, so that the node stops sending it */
    if (ex->kind == EXIT_START_FAILED)
        return sched_job_start_failed (sc->sched, node, ex->id, ex->text, ex->end_time,
                                       sc->now);
    sched_exit_t e = {
        .id = ex->id,
        .kind = (unsigned)ex->kind < EXIT_KIND_COUNT ? exit_kinds[ex->kind]
                                                     : SCHED_EXIT_LOST,
        .exit_code = ex->exit_code,
        .signal = ex->signal,
        .start_time = ex->start_time,
        .end_time = ex->end_time,
        .cpu_time = ex->cpu_time,
        .max_rss = ex->max_rss,
        .text = ex->text,
        .survived_kill = ex->survived_kill,
        .run = run,
    };
    return sched_job_exited (sc->sched, node, &e, sc->now);
}

/* Apply an exit report. Applied, a repeat, the end of an earlier run or a
 * report about a job that is not this node's: each is final, and acked so
 * that the agent stops sending it. Only a report the core could not take
 * (out of memory) is left for the agent to send again. */
void handlers_job_exit (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    const msg_job_exit_t *ex = &m->u.exit;

    if (ex->survived_kill)
        log_err ("node %s: a process of job %" PRIu64
                 " survived KILL; draining the node",
                 rq->name, ex->id);
    if (exit_to_core (sc, rq->name, ex) < 0) {
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

/* Tenants and keys at run time (tenants.c): operators only, by their rows
 * of the message table. */
void handlers_tenants (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    msg_t *answer = tenants_request (sc, rq->peer->identity, m);

    if (!answer)
        request_error (sc, rq, ENOMEM, "the scheduler is out of memory");
    else
        request_reply (sc, rq, answer);
}

/* Balances and budget grants (budget.c): grants are for operators only, by
 * their row of the message table. */
void handlers_budget (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    msg_t *answer = budget_request (sc, rq->role, rq->name, rq->peer->identity, m);

    if (!answer)
        request_error (sc, rq, ENOMEM, "the scheduler is out of memory");
    else
        request_reply (sc, rq, answer);
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
        request_error (sc, &rq, code, "%s", err.text);
    }
    return -1;
}

/* Keep the agent's latest connection (it changes when the agent reconnects). */
static void touch_peer (scheduler_t *sc, const request_t *rq)
{
    agent_peer_t *ap = peers_find (sc->peers, rq->name);

    if (!ap)
        return;
    if (peers_set (ap, rq->peer))
        log_info ("node %s reconnected", rq->name);
    if (ap->run_unsent) /* the agent registers again at once on ENOENT */
        request_error (sc, rq, ENOENT,
                       "register again: a job.run did not reach node %s", rq->name);
}

void handlers_dispatch (scheduler_t *sc, tsock_t *sock, const tpeer_t *from, msg_t *m)
{
    tpeer_t checked;
    const tpeer_t *peer = &checked;
    request_t rq = {.sock = sock, .peer = peer};
    const char *name = msg_type_name (m->type);
    const char *type = name ? name : "?";
    cphub_error_t err = {{0}};
    const msgtab_row_t *row = NULL;

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
            request_error (sc, &rq, EPERM, "agents must connect to the agent endpoint");
        else
            request_error (sc, &rq, EPERM,
                           "%s must connect to the client endpoint, not the agent one",
                           auth_role_plural (rq.role));
        return;
    }
    if (msgtab_authorize (rq.role, m, &err) < 0 || !(row = msgtab_row (m->type)) ||
        !row->handler) {
        if (!err.text[0])
            snprintf (err.text, sizeof (err.text), "%s may not send %s",
                      auth_role_plural (rq.role), type);
        log_warn ("%s sent %s: %s; %s", peer->identity, type, err.text,
                  rq.role == AUTH_ROLE_AGENT ? "dropped" : "refused");
        if (rq.role != AUTH_ROLE_AGENT)
            request_error (sc, &rq, EPERM, "%s", err.text);
        return;
    }
    if (rq.role == AUTH_ROLE_AGENT && !row->sets_peer)
        touch_peer (sc, &rq);
    row->handler (sc, &rq, m);
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
    request_error (sc, &rq, errnum, "%s", text);
}

void handlers_client_gone (scheduler_t *sc, const tpeer_t *peer)
{
    uint32_t freed = 0, dropped = 0;

    if (peer->conn == 0)
        return;
    freed += waits_client_gone (sc, peer->conn);
    freed += relay_client_gone (sc, peer->conn);
    dropped = outq_drop_conn (sc->outq, sc->clients, peer->conn);
    if (freed > 0 || dropped > 0)
        log_info (
            "a connection of %s went: %u parked requests freed, %u replies "
            "dropped",
            peer->identity, freed, dropped);
}
