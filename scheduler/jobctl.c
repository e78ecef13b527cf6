/* jobctl.c: hold, release, requeue and resubmit (see jobctl.h). Each verb
 * is a row of one table: the core event it sends, which jobs it applies to
 * when it reaches them through an array, and the words the answer and the
 * log use; the core decides what is allowed in which state.
 *
 * Arrays are whole, as for cancel and wait: an array's id names its
 * elements, "42_[1-5,9]" those (request_ids_arrays). An element reached
 * that way that the verb does not apply to (a running element of a held
 * array, a pending one of a requeued array) is left out of the answer, as
 * Slurm's scontrol does; a job named by its own id gets its own answer.
 * Ended jobs the core has forgotten are recalled from the store first
 * (history.c), so that a job answers the same long after it ended: only
 * what the request names, its ids counted and de-duplicated before any row
 * is read, within one request's bound of rows.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/log.h"
#include "scheduler/handlers.h"
#include "scheduler/jobctl.h"

/* One verb: the core event for job id, by whom (a tenant or an operator). */
typedef int (*jobctl_f) (scheduler_t *sc,
                         uint64_t id,
                         sched_hold_by_t by,
                         cphub_error_t *err);
/* Does the verb apply to an element reached through its array? */
typedef bool (*jobctl_applies_f) (const sched_job_t *job);

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

static bool pending (const sched_job_t *job)
{
    return job->state == JOB_PENDING;
}

static bool held (const sched_job_t *job)
{
    return job->state == JOB_PENDING && job->hold != SCHED_HOLD_NONE;
}

static bool not_pending (const sched_job_t *job)
{
    return job->state != JOB_PENDING;
}

typedef struct jobctl_verb {
    jobctl_f apply;
    jobctl_applies_f applies;
    bool unfinished;  /* an array names its unfinished elements only */
    const char *done; /* "held", for the answer and the log */
    const char *none; /* why no element was acted on */
} jobctl_verb_t;

static const jobctl_verb_t verbs[MSG_TYPE_COUNT] = {
    [MSG_HOLD] = {hold_cb, pending, true, "held", "no element named is pending"},
    [MSG_RELEASE] = {release_cb, held, true, "released", "no element named is held"},
    [MSG_REQUEUE] = {requeue_cb, not_pending, false, "requeued",
                     "every element named is pending already"},
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

static int u64_cmp (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Was job reached through an array (its id, or an index range), not named
 * by its own id? named: the request's ids, sorted. */
static bool through_array (const sched_job_t *job, const uint64_t *named, uint32_t n)
{
    if (job->array_id == 0)
        return false;
    return job->id == job->array_id ||
           !bsearch (&job->id, named, n, sizeof (*named), u64_cmp);
}

void jobctl_request (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    const jobctl_verb_t *verb = &verbs[m->type];
    msg_cancel_result_t *results = NULL;
    uint64_t *ids = NULL, *named = NULL;
    uint32_t count = 0, n = 0;
    msg_t *ok;

    if (!verb->apply) {
        request_error (sc, rq, EPROTO, "not a job control request");
        return;
    }
    /* hold and release act on unfinished jobs, which the core holds: only
     * the ids named come back; requeue reaches ended elements too */
    if (history_recall_request (sc, rq, &m->u.ids, !verb->unfinished) < 0 ||
        request_ids_arrays (sc, rq, &m->u.ids, verb->unfinished, &ids, &count) < 0)
        return;
    results = calloc (count ? count : 1, sizeof (*results));
    named = malloc ((m->u.ids.count ? m->u.ids.count : 1) * sizeof (*named));
    if (!results || !named || !(ok = msg_create (MSG_JOBCTL_OK)))
        goto nomem;
    if (m->u.ids.count > 0) { /* only element ranges: no ids at all */
        memcpy (named, m->u.ids.ids, m->u.ids.count * sizeof (*named));
        qsort (named, m->u.ids.count, sizeof (*named), u64_cmp);
    }
    for (uint32_t i = 0; i < count; i++) {
        const sched_job_t *job = request_job (sc, rq, ids[i]);
        if (job && through_array (job, named, m->u.ids.count) && !verb->applies (job))
            continue;
        results[n].id = ids[i];
        result_set (sc, rq, verb, &results[n++]);
    }
    if (n == 0) {
        msg_destroy (ok);
        free (results);
        free (named);
        free (ids);
        request_error (sc, rq, EALREADY, "%s", verb->none);
        return;
    }
    ok->u.cancel_ok.results = results; /* the reply owns them now */
    ok->u.cancel_ok.count = n;
    free (named);
    free (ids);
    request_reply (sc, rq, ok);
    return;
nomem:
    free (results);
    free (named);
    free (ids);
    request_error (sc, rq, ENOMEM, "the scheduler is out of memory");
}

/* The job a resubmit names: id, or element index of array id (recalled
 * from the history if the core forgot it). NULL with the error queued. */
static const sched_job_t *resubmit_target (scheduler_t *sc,
                                           const request_t *rq,
                                           uint64_t id,
                                           uint32_t index)
{
    msg_elements_t element = {.id = id, .first = index, .last = index};
    msg_ids_t named = {.count = 1, .ids = &id};
    const sched_job_t *job;
    uint32_t offset;

    if (index != MSG_INDEX_NONE)
        named = (msg_ids_t){.nelements = 1, .elements = &element};
    /* an array resubmitted whole needs its first element's spec only */
    if (history_recall_request (sc, rq, &named, index != MSG_INDEX_NONE) < 0)
        return NULL;
    if (index == MSG_INDEX_NONE) {
        if (!(job = request_job (sc, rq, id)))
            request_error (sc, rq, ENOENT, "no such job %" PRIu64, id);
        return job;
    }
    job = request_job (sc, rq, id);
    if (!job || job->array_id != id ||
        sched_array_seek (sc->sched, id, index, &offset) < 0 ||
        !(job = request_job (sc, rq, id + offset)) || job->array_id != id ||
        job->array_index != index) {
        request_error (sc, rq, ENOENT, "no such job %" PRIu64 "_%" PRIu32, id, index);
        return NULL;
    }
    return job;
}

void jobctl_resubmit (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    cphub_error_t err = {{0}};
    const sched_job_t *job = resubmit_target (sc, rq, m->u.id.id, m->u.id.index);
    jobspec_t spec;
    uint64_t id = 0;
    uint32_t count = 1;
    msg_t *ok;
    int rc;

    if (!job)
        return;
    jobspec_init (&spec);
    if (jobspec_copy (&spec, &job->spec) < 0) {
        request_error (sc, rq, ENOMEM, "the scheduler is out of memory");
        return;
    }
    /* an array's id is the whole array; an element one job of its spec */
    if (job->array_id != 0 &&
        (m->u.id.index != MSG_INDEX_NONE || job->id != job->array_id)) {
        free (spec.array);
        spec.array = NULL;
    }
    /* the job's own tenant submits it again, whoever asks: its quotas, and
     * its --after on jobs forgotten since settled as a submit's are */
    rc = history_recall (sc, job->tenant, &spec, &err);
    if (rc == 0)
        rc = sched_job_submit_many (sc->sched, job->tenant, &spec, sc->now, &id, &count,
                                    &err);
    jobspec_clear (&spec);
    if (rc < 0) {
        int code = errno;
        log_info ("resubmit of job %" PRIu64 " by %s refused: %s", job->id,
                  rq->peer->identity, err.text);
        request_error (sc, rq, code, "%s", err.text);
        return;
    }
    log_info ("job %" PRIu64 " resubmitted by %s as job %" PRIu64, job->id,
              rq->peer->identity, id);
    if ((ok = msg_create (MSG_SUBMIT_OK))) {
        ok->u.id.id = id;
        ok->u.id.count = count;
    }
    request_reply (sc, rq, ok);
}
