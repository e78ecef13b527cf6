/* decide.c: the core's decisions of a turn turned into actions (see
 * decide.h): job.run and job.kill queued on the outgoing queue for the
 * node's agent, changed jobs and nodes and accounting records written to
 * the store, ended jobs logged and their waits answered. It runs inside the
 * turn's store transaction, so that what it queues goes out only once what
 * it wrote is durable.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "cphub/idset.h"
#include "cphub/log.h"
#include "cphub/parse.h"
#include "scheduler/decide.h"
#include "scheduler/outq.h"
#include "scheduler/peers.h"
#include "scheduler/waits.h"

typedef struct seen_job {
    uint64_t id;
    UT_hash_handle hh;
} seen_job_t;

static void encode_ids (const idset_t *s, char *buf, size_t len, bool *ok)
{
    buf[0] = '\0';
    if (s && idset_encode (s, buf, len) < 0)
        *ok = false;
}

/* The job could not be handed to its node: a start that failed, so the
 * core frees the allocation (its SCHED_CHANGED follows in this turn). */
static void start_failed (scheduler_t *sc, const sched_job_t *job, const char *why)
{
    log_err ("job %" PRIu64 " could not be started on %s: %s", job->id, job->alloc.node,
             why);
    if (sched_job_start_failed (sc->sched, job->alloc.node, job->id, why, sc->now,
                                sc->now) < 0)
        log_err ("job %" PRIu64 ": the core refused its start failure", job->id);
}

static void decide_start (scheduler_t *sc, sched_job_t *job, const char *node)
{
    agent_peer_t *ap = peers_find (sc->peers, node);
    msg_t *m = NULL;
    bool ok = true;

    if (!ap) { /* not sent, so not started: its register decides */
        if (sched_job_run_unsent (sc->sched, node, job->id) == 0)
            log_warn ("job %" PRIu64 " not sent: node %s has no agent connection",
                      job->id, node);
        return;
    }
    if (!(m = msg_create (MSG_JOB_RUN)) ||
        jobspec_copy (&m->u.run.spec, &job->spec) < 0) {
        msg_destroy (m);
        start_failed (sc, job, "out of memory building job.run");
        return;
    }
    msg_job_run_t *run = &m->u.run;
    run->id = job->id;
    snprintf (run->tenant, sizeof (run->tenant), "%s", job->tenant);
    run->spec.walltime = job->walltime;
    encode_ids (job->alloc.cores, run->cores, sizeof (run->cores), &ok);
    encode_ids (job->alloc.cpus, run->cpus, sizeof (run->cpus), &ok);
    encode_ids (job->alloc.gpus, run->gpus, sizeof (run->gpus), &ok);
    encode_ids (job->alloc.mems, run->mems, sizeof (run->mems), &ok);
    run->mem = job->alloc.mem;
    /* every node of the job, this one first; an array element's index */
    char nodelist[MSG_NODELIST_MAX], cpus_per_node[MSG_CPUS_PER_NODE_MAX];
    if (sched_job_layout (job, nodelist, sizeof (nodelist), cpus_per_node,
                          sizeof (cpus_per_node)) < 0 ||
        !(run->nodelist = strdup (nodelist)) ||
        !(run->cpus_per_node = strdup (cpus_per_node)))
        ok = false;
    run->array_id = job->array_id;
    run->array_index = job->array_index;
    run->run = job->runs;
    if (!ok) {
        msg_destroy (m);
        start_failed (sc, job, "its allocation does not fit in a job.run message");
        return;
    }
    log_info ("job %" PRIu64 " started on %s: cpus %s%s%s%s%s", job->id, node,
              run->cpus, run->gpus[0] ? ", gpus " : "", run->gpus,
              job->nothers ? ", nodes " : "", job->nothers ? nodelist : "");
    outq_push (sc->outq, sc->agents, &ap->peer, m);
}

static void decide_kill (scheduler_t *sc, uint64_t id, const char *node)
{
    agent_peer_t *ap = peers_find (sc->peers, node);
    msg_t *m;

    if (!ap) {
        log_warn ("cannot kill job %" PRIu64 " on %s: its agent is not connected", id,
                  node);
        return;
    }
    if (!(m = msg_create (MSG_JOB_KILL))) {
        log_err ("out of memory killing job %" PRIu64, id);
        return;
    }
    const sched_job_t *job = sched_job_lookup (sc->sched, id);
    m->u.kill.id = id;
    m->u.kill.signal = 0;
    /* the job's current run where it runs (the node echoes it if it holds
     * none, and kills no other run of the job); elsewhere whatever run of
     * it a node still holds is an old one, to be killed */
    m->u.kill.run =
        job && job->state == JOB_RUNNING && strcmp (job->alloc.node, node) == 0
            ? job->runs
            : 0;
    log_info ("killing job %" PRIu64 " on %s", id, node);
    outq_push (sc->outq, sc->agents, &ap->peer, m);
}

static void log_ended (const sched_job_t *job)
{
    char how[96] = "", took[32] = "";

    if (job->state == JOB_COMPLETED || job->state == JOB_FAILED) {
        if (job->signal > 0)
            snprintf (how, sizeof (how), " (signal %d)", job->signal);
        else if (job->start_time > 0)
            snprintf (how, sizeof (how), " (exit %d)", job->exit_code);
    }
    if (job->reason[0] && !how[0])
        snprintf (how, sizeof (how), " (%s)", job->reason);
    if (job->start_time > 0 && job->end_time >= job->start_time) {
        format_duration ((int64_t)(job->end_time - job->start_time + 0.5), took,
                         sizeof (took));
        log_info ("job %" PRIu64 " ended: %s%s on %s after %s", job->id,
                  job_state_name (job->state), how, job->alloc.node, took);
    } else
        log_info ("job %" PRIu64 " ended: %s%s", job->id, job_state_name (job->state),
                  how);
}

/* Persist a job the core reported as changed (once per turn, as it stands
 * at the end of the turn's decisions) and answer the waits it completes. */
static void decide_changed (scheduler_t *sc, sched_job_t *job)
{
    cphub_error_t err = {{0}};

    if (store_job_put (sc->store, job, &err) < 0)
        log_err ("store: job %" PRIu64 ": %s", job->id, err.text);
    if (job_state_is_terminal (job->state))
        log_ended (job);
    waits_job_changed (sc, job);
}

/* Append the accounting record of one ended run: the core emits it exactly
 * once per run, whatever ended it, and the store refuses a second record of
 * the same run. */
static void decide_account (scheduler_t *sc, const sched_acct_t *rec)
{
    cphub_error_t err = {{0}};

    if (store_acct_append (sc->store, rec, &err) < 0)
        log_err ("store: %s", err.text);
}

/* node_info of a node by name (the core's lookup). */
static int node_info_by_name (scheduler_t *sc, const char *name, node_info_t *info)
{
    return sched_node_lookup (sc->sched, name, info);
}

/* Persist a node that registered, went down, was drained or resumed. A node
 * known only from a restored job (no description yet) has nothing to keep. */
static void decide_node (scheduler_t *sc, const char *name)
{
    const node_desc_t *desc = sched_node_desc (sc->sched, name);
    store_node_t node = {.desc = desc};
    cphub_error_t err = {{0}};
    node_info_t info;

    if (!desc || desc->ncores == 0)
        return;
    if (node_info_by_name (sc, name, &info) < 0) {
        log_err ("the core reported node %s as changed but does not list it", name);
        return;
    }
    node.state = info.state;
    node.reason = info.reason;
    if (store_node_put (sc->store, &node, &err) < 0)
        log_err ("store: %s", err.text);
}

/* Job ids up to max_id were handed out: keep the next one in the store, so
 * that no id is given twice even after its job is forgotten. */
static void record_next_id (scheduler_t *sc, uint64_t max_id)
{
    cphub_error_t err = {{0}};
    uint64_t next = 0;

    if (max_id == 0)
        return;
    if (store_next_id_get (sc->store, &next, &err) < 0 ||
        (max_id >= next && store_next_id_set (sc->store, max_id + 1, &err) < 0))
        log_err ("store: %s", err.text);
}

/* Act on every decision of the turn. Changed jobs are persisted after the
 * others, once each, in their state at the end of the turn: a start that
 * fails while its decisions are handled ends the job in the same turn. */
void decide_apply (scheduler_t *sc)
{
    seen_job_t *changed = NULL, *s, *tmp;
    uint64_t max_id = 0;
    sched_decision_t d;
    sched_job_t *job;

    while (sched_next (sc->sched, &d)) {
        switch (d.action) {
        case SCHED_START:
            if ((job = sched_job_lookup (sc->sched, d.job_id)))
                decide_start (sc, job, d.node);
            else
                log_err ("the core started job %" PRIu64 ", which it does not know",
                         d.job_id);
            break;
        case SCHED_KILL:
            decide_kill (sc, d.job_id, d.node);
            break;
        case SCHED_CHANGED:
            HASH_FIND (hh, changed, &d.job_id, sizeof (d.job_id), s);
            if (s)
                break;
            if ((s = calloc (1, sizeof (*s)))) {
                s->id = d.job_id;
                HASH_ADD (hh, changed, id, sizeof (s->id), s);
            } else if ((job = sched_job_lookup (sc->sched, d.job_id))) {
                decide_changed (sc, job); /* no memory to defer it */
            }
            max_id = d.job_id > max_id ? d.job_id : max_id;
            break;
        case SCHED_ACCOUNT:
            decide_account (sc, &d.acct);
            break;
        case SCHED_NODE_CHANGED:
            decide_node (sc, d.node);
            break;
        }
    }
    HASH_ITER (hh, changed, s, tmp)
    {
        if ((job = sched_job_lookup (sc->sched, s->id)))
            decide_changed (sc, job);
        else
            log_err ("the core changed job %" PRIu64 ", which it does not know", s->id);
        HASH_DEL (changed, s);
        free (s);
    }
    record_next_id (sc, max_id);
}
