/* history.c: the jobs and show requests, answered over every job the hub
 * keeps: the active jobs from the core, the history from the store.
 *
 * A jobs request becomes one store_job_query_t (the filters, the page) whose
 * predicate, store_job_query_match(), also filters the core's jobs, so that
 * a filter means the same wherever the job is. An answer about active jobs
 * only walks the core; one that reaches into the history (--all, or a state
 * list naming an ended state) asks the store for one page, preferring the
 * core's copy of a job it still holds (the store's may be a turn behind).
 * Pages are at most JOBS_PAGE_MAX jobs, and read at most
 * scheduler.slice_jobs jobs (in the core or the store) whatever their
 * filters match, ending early at the last one read; the client asks again
 * from next, so no request holds the loop long whatever the hub has run.
 * An id or an array's element is found by its id (an element's from its
 * array's spec), never by a search of the history. Tenants are held
 * to their own jobs here, as in request_job(): another tenant's job answers
 * exactly like one that does not exist. Retention (history_days) is here
 * too, and the recall of forgotten jobs a request names (wait, hold,
 * release, requeue, resubmit) or a submit's --after: only the jobs named,
 * one row each, a job the core holds costing none, within a bound of rows
 * per request; a forgotten array's elements settle an --after from the
 * store without coming back.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/log.h"
#include "scheduler/handlers.h"
#include "scheduler/jobs_fold.h"
#include "scheduler/request.h"

/* Jobs one retention batch deletes, and the wait between batches once
 * the expired jobs are gone. */
#define HISTORY_EXPIRE_BATCH 500
#define HISTORY_EXPIRE_PERIOD 60.0 /* s */

/* Rows of the history one request may read to recall the jobs it names or
 * settle its --after (two of the largest arrays: a wait on a whole
 * forgotten array fits), and the element ids it may look up in the core
 * on the way; so that no request reloads a tenant's history. */
#define HISTORY_REQUEST_ROWS_MAX (2 * JOBSPEC_ARRAY_SIZE_MAX)
/* Bytes of stored specs (scripts) one request may decode reading jobs back:
 * the rows bound the count, this their size, a script being up to 1 MiB. */
#define HISTORY_REQUEST_BYTES_MAX (64u * 1024 * 1024)
#define HISTORY_REQUEST_WALK_MAX (8 * JOBSPEC_ARRAY_SIZE_MAX)

/* The states a comma list names, as bits (1u << state); -1 with err naming
 * the first unknown one and the known ones. */
static int history_states (const char *list, uint32_t *mask, cphub_error_t *err)
{
    char copy[MSG_JOBS_STATES_MAX + 1], known[MSG_JOBS_STATES_MAX + 1] = "";
    char *save = NULL;

    *mask = 0;
    snprintf (copy, sizeof (copy), "%s", list);
    for (char *name = strtok_r (copy, ",", &save); name;
         name = strtok_r (NULL, ",", &save)) {
        job_state_t state;
        if (job_state_parse (name, &state) == 0) {
            *mask |= 1u << state;
            continue;
        }
        for (int i = 0; i < JOB_STATE_COUNT; i++) {
            size_t used = strlen (known);
            snprintf (known + used, sizeof (known) - used, "%s%s", i ? "," : "",
                      job_state_name ((job_state_t)i));
        }
        return cphub_fail (err, EINVAL, "no job state '%s'; the states are %s", name,
                           known);
    }
    return 0;
}

typedef struct history_array {
    uint64_t id;
    jobspec_array_t *ranges;
    bool seen; /* a row was read */
} history_array_t;

static int history_array_cb (const sched_job_t *stored, void *arg)
{
    history_array_t *a = arg;

    a->seen = true;
    if (stored->array_id == a->id && stored->spec.array && !a->ranges &&
        !(a->ranges = jobspec_array_copy (stored->spec.array)))
        return -1;
    return 0;
}

/* The ranges of array id (a copy, to free), from its first element's spec,
 * the core's or the store's, else from any element's (each has its array's
 * spec; the first may have left the store, by retention): NULL when none
 * is held (or it is not tenant's, or memory ran out). At most one row is
 * decoded, and the other ids of an array only read if id left the store. */
static jobspec_array_t *history_array_spec (scheduler_t *sc,
                                            const char *tenant,
                                            uint64_t id)
{
    const sched_job_t *first = sched_job_lookup (sc->sched, id);
    store_job_query_t q = {.id = id, .tenant = tenant, .limit = 1};
    history_array_t a = {.id = id};
    cphub_error_t err = {{0}};

    if (first) {
        if (tenant && strcmp (first->tenant, tenant) != 0)
            return NULL;
        history_array_cb (first, &a);
        return a.ranges;
    }
    if (store_jobs_query (sc->store, &q, history_array_cb, &a, &err) == 0 && !a.seen) {
        q = (store_job_query_t){.array_id = id, .tenant = tenant, .limit = 1};
        q.scan = JOBSPEC_ARRAY_SIZE_MAX;
        store_jobs_query (sc->store, &q, history_array_cb, &a, &err);
    }
    if (err.text[0])
        log_warn ("history: array %" PRIu64 ": %s", id, err.text);
    return a.ranges;
}

/* How many elements array id has, for the bound of its ids: the core's
 * count, else its first element's spec; 0 when neither is known (the
 * store then bounds it by the largest array there is). */
static uint32_t history_array_count (scheduler_t *sc, const char *tenant, uint64_t id)
{
    jobspec_array_t *arr;
    uint32_t count = 0;

    if (sched_array_count (sc->sched, id, &count) == 0)
        return count;
    if ((arr = history_array_spec (sc, tenant, id))) {
        count = arr->count;
        free (arr);
    }
    return count;
}

/* The query of a jobs request from rq; *history: it reaches past the active
 * jobs. 0, or -1 with the error answered. */
static int history_query (scheduler_t *sc,
                          const request_t *rq,
                          const msg_jobs_t *in,
                          store_job_query_t *q,
                          bool *history)
{
    cphub_error_t err = {{0}};

    *q = (store_job_query_t){.after = in->after,
                             .name = in->name[0] ? in->name : NULL,
                             .node = in->node[0] ? in->node : NULL,
                             .since = in->since,
                             .until = in->until,
                             .array_id = in->array,
                             .limit = JOBS_PAGE_MAX};
    if (in->limit && in->limit < q->limit)
        q->limit = in->limit;
    if (history_states (in->states, &q->states, &err) < 0) {
        request_error (sc, rq, EINVAL, "%s", err.text);
        return -1;
    }
    if (rq->role == AUTH_ROLE_TENANT) {
        if (in->tenant[0] && strcmp (in->tenant, rq->name) != 0) {
            request_error (
                sc, rq, EPERM,
                "tenant %s sees only its own jobs; --tenant is for operators",
                rq->name);
            return -1;
        }
        q->tenant = rq->name;
    } else if (in->tenant[0]) {
        q->tenant = in->tenant;
    }
    if (q->array_id)
        q->array_count = history_array_count (sc, q->tenant, q->array_id);
    *history = in->all;
    for (int s = 0; s < JOB_STATE_COUNT; s++) {
        if ((q->states & (1u << s)) && job_state_is_terminal ((job_state_t)s))
            *history = true;
    }
    if (!in->all && !q->states)
        q->states = (1u << JOB_PENDING) | (1u << JOB_RUNNING);
    return 0;
}

/* The active jobs, walked in the core: at most scheduler.slice_jobs jobs
 * walked per page; fold: an array's elements as one row (jobs_fold.c).
 * next: where the next page starts (0: none). */
static int history_active (scheduler_t *sc,
                           const store_job_query_t *q,
                           bool fold,
                           job_list_build_t *b,
                           uint64_t *next)
{
    uint32_t walked = 0, budget = sc->config->limits.slice_jobs;
    /* found, not walked to: after may be long forgotten */
    sched_job_t *job =
        q->after == UINT64_MAX ? NULL : sched_job_from (sc->sched, q->after + 1);
    uint64_t last = 0;

    for (; job; job = sched_job_next (sc->sched, job)) {
        if ((b->count == q->limit && !jobs_fold_joins (b, job, fold)) ||
            walked == budget) {
            *next = last; /* ids are ordered: resume after the last walked */
            break;
        }
        walked++;
        last = job->id;
        if (store_job_query_match (q, job) && jobs_fold_push (b, job, fold) < 0)
            return -1;
    }
    return 0;
}

typedef struct history_page {
    scheduler_t *sc;
    const store_job_query_t *q;
    job_list_build_t *b;
} history_page_t;

static int history_job_cb (const sched_job_t *stored, void *arg)
{
    history_page_t *page = arg;
    const sched_job_t *job = sched_job_lookup (page->sc->sched, stored->id);

    if (!job)
        job = stored;
    else if (!store_job_query_match (page->q, job))
        return 0;
    return job_list_push (page->b, job);
}

/* One page of the history from the store. */
static int history_stored (scheduler_t *sc,
                           const store_job_query_t *q,
                           job_list_build_t *b,
                           uint64_t *next,
                           cphub_error_t *err)
{
    store_job_query_t page_q = *q;
    history_page_t page = {.sc = sc, .q = q, .b = b};

    /* a full page, or one that read its slice, may have more after it */
    page_q.scan = sc->config->limits.slice_jobs;
    page_q.next = next;
    return store_jobs_query (sc->store, &page_q, history_job_cb, &page, err);
}

void handlers_jobs (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    job_list_build_t b = {0};
    cphub_error_t err = {{0}};
    store_job_query_t q;
    uint64_t next = 0;
    bool history;
    int rc;
    msg_t *ok;

    if (history_query (sc, rq, &m->u.jobs, &q, &history) < 0)
        return;
    rc = history ? history_stored (sc, &q, &b, &next, &err)
                 : history_active (sc, &q, !m->u.jobs.expand, &b, &next);
    if (rc < 0) {
        free (b.jobs);
        if (history)
            request_error (sc, rq, EIO, "reading the job history: %s", err.text);
        else
            request_error (sc, rq, ENOMEM, "the scheduler is out of memory");
        return;
    }
    if ((ok = job_list_reply (MSG_JOBS_OK, &b)))
        ok->u.job_list.next = next;
    request_reply (sc, rq, ok);
}

/* The element of array q->array_id with index in the store's page. */
typedef struct history_element {
    history_page_t page;
    uint32_t index;
} history_element_t;

static int history_element_cb (const sched_job_t *stored, void *arg)
{
    history_element_t *el = arg;

    if (stored->array_index != el->index || el->page.b->count > 0)
        return 0;
    return history_job_cb (stored, &el->page);
}

/* The element of array id with index el->index from the store: its id is
 * the array's spec's offset of that index past id, one row read. */
static int history_element (scheduler_t *sc,
                            store_job_query_t *q,
                            uint64_t id,
                            history_element_t *el,
                            cphub_error_t *err)
{
    jobspec_array_t *arr = history_array_spec (sc, q->tenant, id);
    uint32_t offset = 0;
    bool exact = false;

    if (!arr)
        return 0;
    exact = jobspec_array_seek (arr, el->index, &offset);
    q->array_id = id;
    q->array_count = arr->count;
    free (arr);
    if (!exact)
        return 0;
    q->id = id + offset;
    q->limit = 1;
    return store_jobs_query (sc->store, q, history_element_cb, el, err);
}

/* One job, or with an index the element of array id: the core's while it
 * holds it, else the store's, for any job the hub ever ran (a tenant's own
 * only). */
void handlers_show (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    job_list_build_t b = {0};
    cphub_error_t err = {{0}};
    uint64_t id = m->u.id.id;
    uint32_t index = m->u.id.index;
    bool element = index != MSG_INDEX_NONE;
    sched_job_t *job = NULL;
    store_job_query_t q = {.tenant = rq->role == AUTH_ROLE_TENANT ? rq->name : NULL};
    history_element_t el = {.page = {.sc = sc, .q = &q, .b = &b}, .index = index};
    int rc = 0;

    if (!element || sched_array_element (sc->sched, id, index, &id) == 0)
        job = request_job (sc, rq, id);
    if (job && element && job->array_id != m->u.id.id)
        job = NULL;
    if (job) {
        if (job_list_push (&b, job) < 0) {
            request_error (sc, rq, ENOMEM, "the scheduler is out of memory");
            return;
        }
    } else if (element) {
        rc = history_element (sc, &q, m->u.id.id, &el, &err);
    } else if (!sched_job_lookup (sc->sched, id)) {
        q.id = id;
        q.limit = 1;
        rc = store_jobs_query (sc->store, &q, history_job_cb, &el.page, &err);
    }
    if (rc < 0) {
        free (b.jobs);
        request_error (sc, rq, EIO, "reading the job history: %s", err.text);
        return;
    }
    if (b.count == 0) {
        free (b.jobs);
        if (element)
            request_error (sc, rq, ENOENT, "no such job %" PRIu64 "_%" PRIu32,
                           m->u.id.id, index);
        else
            request_error (sc, rq, ENOENT, "no such job %" PRIu64, id);
        return;
    }
    request_reply (sc, rq, job_list_reply (MSG_SHOW_OK, &b));
}

/* One request's recall: who asks (NULL: an operator), the rows of the
 * history it may still read, the element ids it may still look up, the
 * bytes of specs it decoded. */
typedef struct history_recall_ctx {
    scheduler_t *sc;
    const char *tenant;
    uint32_t rows;
    uint32_t walk;
    size_t decoded;
    cphub_error_t *err;
} history_recall_t;

static int recall_charge (history_recall_t *r, uint32_t rows)
{
    if (rows > r->rows)
        return cphub_fail (r->err, E2BIG,
                           "this request reaches more than %d jobs of the history "
                           "(the most one request may read back); name fewer at once",
                           HISTORY_REQUEST_ROWS_MAX);
    r->rows -= rows;
    return 0;
}

/* Put an ended job of the store back in the core, until its next forget. */
static int history_recall_cb (const sched_job_t *stored, void *arg)
{
    scheduler_t *sc = arg;
    cphub_error_t err = {{0}};

    if (sched_job_lookup (sc->sched, stored->id) ||
        !job_state_is_terminal (stored->state))
        return 0;
    if (sched_job_recall (sc->sched, stored, &err) < 0 && errno == ENOMEM)
        return -1;
    return 0;
}

/* Job id back from the store unless the core holds it: one row read, by
 * its id, so nothing is decoded for a job the core has. */
static int recall_id (history_recall_t *r, uint64_t id)
{
    store_job_query_t q = {
        .id = id, .tenant = r->tenant, .limit = 1, .scan = 1, .decoded = &r->decoded};

    if (id == 0 || sched_job_lookup (r->sc->sched, id))
        return 0;
    if (recall_charge (r, 1) < 0)
        return -1;
    if (r->decoded > HISTORY_REQUEST_BYTES_MAX)
        return cphub_fail (r->err, E2BIG,
                           "this request reaches more than %u MiB of job scripts in "
                           "the history (the most one request may read back); name "
                           "fewer at once",
                           HISTORY_REQUEST_BYTES_MAX >> 20);
    return store_jobs_query (r->sc->store, &q, history_recall_cb, r->sc, r->err);
}

/* Array id: its first element, which names it, and, if elements, the
 * forgotten ones of its elements that range names (NULL: all), by the
 * offsets of the array's spec. Not an array, or every element in the core
 * already: nothing more is read. */
static int recall_array (history_recall_t *r,
                         uint64_t id,
                         const msg_elements_t *range,
                         bool elements)
{
    const sched_job_t *first;
    uint32_t count, known, from = 0, to;

    if (recall_id (r, id) < 0)
        return -1;
    first = sched_job_lookup (r->sc->sched, id);
    if (!elements || !first || first->array_id != id ||
        (r->tenant && strcmp (first->tenant, r->tenant) != 0) ||
        sched_array_count (r->sc->sched, id, &count) < 0 ||
        sched_array_known (r->sc->sched, id, &known) < 0 || known == count)
        return 0;
    to = count;
    if (range && (sched_array_seek (r->sc->sched, id, range->first, &from) < 0 ||
                  (range->last < UINT32_MAX &&
                   sched_array_seek (r->sc->sched, id, range->last + 1, &to) < 0)))
        return 0;
    for (uint32_t k = from; k < to; k++) {
        if (r->walk == 0)
            return cphub_fail (r->err, E2BIG,
                               "these arrays and ranges span more than %d elements "
                               "in all; name fewer at once",
                               HISTORY_REQUEST_WALK_MAX);
        r->walk--;
        if (recall_id (r, id + k) < 0)
            return -1;
    }
    return 0;
}

int history_recall_request (scheduler_t *sc,
                            const request_t *rq,
                            const msg_ids_t *in,
                            bool elements)
{
    cphub_error_t err = {{0}};
    history_recall_t r = {.sc = sc,
                          .tenant = rq->role == AUTH_ROLE_TENANT ? rq->name : NULL,
                          .rows = HISTORY_REQUEST_ROWS_MAX,
                          .walk = HISTORY_REQUEST_WALK_MAX,
                          .err = &err};
    uint64_t *ids = NULL;
    uint32_t count = 0;

    /* each id once, and no more than a request may name, before any row */
    if (request_ids (sc, rq, in, &ids, &count) < 0)
        return -1;
    for (uint32_t i = 0; i < count; i++)
        if (recall_array (&r, ids[i], NULL, elements) < 0)
            goto error;
    for (uint32_t i = 0; i < in->nelements; i++)
        if (recall_array (&r, in->elements[i].id, &in->elements[i], elements) < 0)
            goto error;
    free (ids);
    return 0;
error:
    free (ids);
    request_error (sc, rq, errno ? errno : EIO, "%s", err.text);
    return -1;
}

/* "ok:" dep on array id (count elements, its tenant's, some forgotten):
 * refused if a forgotten element ended otherwise than COMPLETED, read from
 * the store by its state alone, so no spec is decoded. */
static int after_settle (history_recall_t *r, uint64_t id, uint32_t count)
{
    if (recall_charge (r, count) < 0)
        return -1;
    for (uint32_t k = 0; k < count; k++) {
        job_state_t state;
        if (sched_job_lookup (r->sc->sched, id + k))
            continue; /* the core's state decides */
        if (store_job_state (r->sc->store, id + k, &state, r->err) < 0) {
            if (errno == ENOENT)
                continue; /* its history expired */
            return -1;
        }
        if (job_state_is_terminal (state) && state != JOB_COMPLETED)
            return cphub_fail (r->err, EINVAL,
                               "--after: job %" PRIu64 " ended %s; ok:%" PRIu64
                               " can never be met",
                               id + k, job_state_name (state), id);
    }
    return 0;
}

int history_recall (scheduler_t *sc,
                    const char *tenant,
                    const jobspec_t *spec,
                    cphub_error_t *err)
{
    history_recall_t r = {.sc = sc,
                          .tenant = tenant,
                          .rows = HISTORY_REQUEST_ROWS_MAX,
                          .walk = 0,
                          .err = err};

    if (!jobspec_has_after (spec))
        return 0;
    /* a submit refused anyway reads nothing */
    if (sched_job_submit_check (sc->sched, tenant, spec, err) < 0)
        return -1;
    for (uint32_t i = 0; i < spec->after->count; i++) {
        const jobspec_dep_t *dep = &spec->after->deps[i];
        const sched_job_t *job;
        uint32_t count, known;
        if (recall_id (&r, dep->id) < 0)
            return -1;
        job = sched_job_lookup (sc->sched, dep->id);
        if (!job || strcmp (job->tenant, tenant) != 0 || job->array_id != dep->id ||
            dep->kind != JOBSPEC_AFTER_OK ||
            sched_array_count (sc->sched, dep->id, &count) < 0 ||
            sched_array_known (sc->sched, dep->id, &known) < 0 || known == count)
            continue; /* the core decides */
        if (after_settle (&r, dep->id, count) < 0)
            return -1;
    }
    return 0;
}

int history_expire (scheduler_t *sc, cphub_error_t *err)
{
    uint32_t days = sc->config->limits.history_days;
    size_t deleted = 0;

    if (days == 0 || sc->now < sc->history_expire_at)
        return 0;
    if (store_jobs_expire (sc->store, sc->now - days * SCHEDCONF_DAY,
                           HISTORY_EXPIRE_BATCH, &deleted, err) < 0)
        return -1;
    sc->history_expire_at =
        deleted == HISTORY_EXPIRE_BATCH ? sc->now : sc->now + HISTORY_EXPIRE_PERIOD;
    if (deleted > 0)
        log_info ("history: %zu jobs ended over %u days ago left the store", deleted,
                  days);
    return 0;
}
