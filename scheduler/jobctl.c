/* jobctl.c: hold, release, requeue and resubmit (see jobctl.h). Each verb
 * is a row of one table: the core event it sends and the words the answer
 * and the log use; the core decides what is allowed in which state.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cphub/log.h"
#include "scheduler/jobctl.h"

/* One verb: the core event for job id, by whom (a tenant or an operator). */
typedef int (*jobctl_f) (scheduler_t *sc,
                         uint64_t id,
                         sched_hold_by_t by,
                         cphub_error_t *err);

static int hold_cb (scheduler_t *sc,
                    uint64_t id,
                    sched_hold_by_t by,
                    cphub_error_t *err)
{
    return sched_job_hold (sc->sched, id, by, err);
}

static int release_cb (scheduler_t *sc,
                       uint64_t id,
                       sched_hold_by_t by,
                       cphub_error_t *err)
{
    return sched_job_release (sc->sched, id, by, err);
}

static int requeue_cb (scheduler_t *sc,
                       uint64_t id,
                       sched_hold_by_t by,
                       cphub_error_t *err)
{
    (void)by;
    return sched_job_requeue (sc->sched, id, sc->now, err);
}

typedef struct jobctl_verb {
    jobctl_f apply;
    const char *done; /* "held", for the answer and the log */
} jobctl_verb_t;

static const jobctl_verb_t verbs[MSG_TYPE_COUNT] = {
    [MSG_HOLD] = {hold_cb, "held"},
    [MSG_RELEASE] = {release_cb, "released"},
    [MSG_REQUEUE] = {requeue_cb, "requeued"},
};

static void result_set (scheduler_t *sc,
                        const request_t *rq,
                        const jobctl_verb_t *verb,
                        msg_cancel_result_t *res)
{
    cphub_error_t err = {{0}};
    sched_job_t *job = request_job (sc, rq, res->id);
    sched_hold_by_t by =
        rq->role == AUTH_ROLE_OPERATOR ? SCHED_HOLD_ADMIN : SCHED_HOLD_USER;

    if (!job || verb->apply (sc, res->id, by, &err) < 0) {
        res->code = job ? errno : ENOENT;
        if (res->code == ENOENT)
            snprintf (res->text, sizeof (res->text), "no such job %" PRIu64, res->id);
        else
            snprintf (res->text, sizeof (res->text), "%s", err.text);
        return;
    }
    log_info ("job %" PRIu64 " %s by %s", res->id, verb->done, rq->peer->identity);
    if (job->state == JOB_RUNNING) /* a requeue: the kill is under way */
        snprintf (res->text, sizeof (res->text), "requeueing: the run is being killed");
    else
        snprintf (res->text, sizeof (res->text), "%s", verb->done);
}

void jobctl_request (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    const jobctl_verb_t *verb = &verbs[m->type];
    msg_cancel_result_t *results = NULL;
    uint64_t *ids = NULL;
    uint32_t count = 0;
    msg_t *ok;

    if (!verb->apply) {
        request_error (sc, rq, EPROTO, "not a job control request");
        return;
    }
    if (request_ids (sc, rq, &m->u.ids, &ids, &count) < 0)
        return;
    results = calloc (count ? count : 1, sizeof (*results));
    if (!results || !(ok = msg_create (MSG_JOBCTL_OK)))
        goto nomem;
    for (uint32_t i = 0; i < count; i++) {
        results[i].id = ids[i];
        result_set (sc, rq, verb, &results[i]);
    }
    ok->u.cancel_ok.results = results; /* the reply owns them now */
    ok->u.cancel_ok.count = count;
    free (ids);
    request_reply (sc, rq, ok);
    return;
nomem:
    free (results);
    free (ids);
    request_error (sc, rq, ENOMEM, "the scheduler is out of memory");
}

void jobctl_resubmit (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    cphub_error_t err = {{0}};
    sched_job_t *job = request_job (sc, rq, m->u.id.id);
    uint64_t id = 0;
    uint32_t count = 1;
    msg_t *ok;

    if (!job) {
        request_error (sc, rq, ENOENT, "no such job %" PRIu64, m->u.id.id);
        return;
    }
    /* the job's own tenant submits it again, whoever asks: its quotas */
    if (sched_job_submit_many (sc->sched, job->tenant, &job->spec, sc->now, &id, &count,
                               &err) < 0) {
        int code = errno;
        log_info ("resubmit of job %" PRIu64 " by %s refused: %s", m->u.id.id,
                  rq->peer->identity, err.text);
        request_error (sc, rq, code, "%s", err.text);
        return;
    }
    log_info ("job %" PRIu64 " resubmitted by %s as job %" PRIu64, m->u.id.id,
              rq->peer->identity, id);
    if ((ok = msg_create (MSG_SUBMIT_OK))) {
        ok->u.id.id = id;
        ok->u.id.count = count;
    }
    request_reply (sc, rq, ok);
}
