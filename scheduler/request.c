/* request.c: answering a request (see request.h): replies and errors queued
 * on the outgoing queue, the job visibility rule, the de-duplicated id list
 * of a cancel or wait, and the job lists of list replies.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/outq.h"
#include "scheduler/request.h"

void request_reply (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    outq_push (sc->outq, rq->sock, rq->peer, m);
}

void request_error (
    scheduler_t *sc, const request_t *rq, int code, const char *fmt, ...)
{
    char text[sizeof (((msg_error_t *)0)->text)];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    request_reply (sc, rq, msg_error_create (code, "%s", text));
}

sched_job_t *request_job (scheduler_t *sc, const request_t *rq, uint64_t id)
{
    sched_job_t *job = sched_job_lookup (sc->sched, id);

    if (job && rq->role == AUTH_ROLE_TENANT && strcmp (job->tenant, rq->name) != 0)
        return NULL;
    return job;
}

int job_list_push (job_list_build_t *b, const sched_job_t *job)
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

msg_t *job_list_reply (msg_type_t type, job_list_build_t *b)
{
    msg_t *m = msg_create (type);

    if (!m) {
        free (b->jobs);
        b->jobs = NULL;
        b->count = b->cap = 0;
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

/* An id named 10,000 times is acted on once. */
int request_ids (scheduler_t *sc,
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
        request_error (sc, rq, ENOMEM, "the scheduler is out of memory");
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
        request_error (sc, rq, E2BIG,
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
