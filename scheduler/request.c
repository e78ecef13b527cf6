/* request.c: answering a request (see request.h): replies and errors queued
 * on the outgoing queue, the job visibility rule, the de-duplicated id list
 * of a cancel or wait, and the job lists of list replies.
 */
#include <errno.h>
#include <inttypes.h>
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
        for (uint32_t i = 0; i < b->count; i++)
            free (b->jobs[i].array_counts); /* a folded row's own */
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

/* Whether id is an array's id the requester may see; *count its size. */
static bool request_is_array (scheduler_t *sc,
                              const request_t *rq,
                              uint64_t id,
                              uint32_t *count)
{
    const sched_job_t *job = request_job (sc, rq, id);

    return job && job->array_id == id && sched_array_count (sc->sched, id, count) == 0;
}

/* Elements one cancel or wait may look at through its arrays and ranges:
 * ended or forgotten elements cost time but add no ids. */
#define REQUEST_ELEMENTS_WALK_MAX (8 * JOBSPEC_ARRAY_SIZE_MAX)

/* Append the elements r names (unfinished ones only, or all) to ids, taking
 * the elements looked at from *walk (ids has room for as many); ENOENT when
 * the requester may see no such array, -1 when *walk runs out. */
static int request_elements (scheduler_t *sc,
                             const request_t *rq,
                             const msg_elements_t *r,
                             bool unfinished,
                             uint64_t *ids,
                             uint32_t *n,
                             uint32_t *walk)
{
    uint32_t size, offset, end;

    /* the offsets of indices first..last, from the array's spec: only
     * those elements are looked at */
    if (!request_is_array (sc, rq, r->id, &size) ||
        sched_array_seek (sc->sched, r->id, r->first, &offset) < 0)
        return ENOENT;
    end = size;
    if (r->last < UINT32_MAX &&
        sched_array_seek (sc->sched, r->id, r->last + 1, &end) < 0)
        return ENOENT;
    for (; offset < end; offset++) {
        const sched_job_t *e = sched_job_lookup (sc->sched, r->id + offset);
        if ((*walk)-- == 0)
            return -1;
        if (!e || (unfinished && job_state_is_terminal (e->state)))
            continue;
        ids[(*n)++] = e->id;
    }
    return 0;
}

static int id_cmp (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

int request_ids_arrays (scheduler_t *sc,
                        const request_t *rq,
                        const msg_ids_t *in,
                        bool unfinished,
                        uint64_t **out,
                        uint32_t *count)
{
    uint64_t *named = NULL, *ids = NULL;
    uint32_t nnamed = 0, n = 0, size = 0, walk = REQUEST_ELEMENTS_WALK_MAX;
    bool expanded = false;

    if (request_ids (sc, rq, in, &named, &nnamed) < 0)
        return -1;
    /* room for every id named and every element looked at */
    if (!(ids =
              malloc (((size_t)nnamed + REQUEST_ELEMENTS_WALK_MAX) * sizeof (*ids)))) {
        request_error (sc, rq, ENOMEM, "the scheduler is out of memory");
        goto error;
    }
    for (uint32_t i = 0; i < nnamed; i++) {
        uint32_t before = n;
        if (!request_is_array (sc, rq, named[i], &size))
            size = 0;
        expanded = expanded || size > 0;
        for (uint32_t k = 0; k < size; k++) {
            const sched_job_t *e = sched_job_lookup (sc->sched, named[i] + k);
            if (walk-- == 0)
                goto too_many;
            if (!e || e->array_id != named[i] ||
                (unfinished && job_state_is_terminal (e->state)))
                continue;
            ids[n++] = e->id;
        }
        if (n == before)
            ids[n++] = named[i];
    }
    for (uint32_t i = 0; i < in->nelements; i++) {
        const msg_elements_t *r = &in->elements[i];
        int rc = request_elements (sc, rq, r, unfinished, ids, &n, &walk);
        if (rc < 0)
            goto too_many;
        if (rc == ENOENT) {
            request_error (sc, rq, ENOENT, "no such job array %" PRIu64, r->id);
            goto error;
        }
    }
    if (n == 0) {
        request_error (sc, rq, unfinished ? EALREADY : ENOENT,
                       "no element in those index ranges%s",
                       unfinished ? " is unfinished" : "");
        goto error;
    }
    /* an array and its elements, or overlapping ranges, name an element
     * twice: it is acted on once */
    if (expanded || in->nelements > 0) {
        uint32_t unique = 0;
        qsort (ids, n, sizeof (*ids), id_cmp);
        for (uint32_t i = 0; i < n; i++)
            if (unique == 0 || ids[i] != ids[unique - 1])
                ids[unique++] = ids[i];
        n = unique;
    }
    if (n > sc->config->limits.ids_per_request)
        goto too_many;
    /* a parked wait keeps this list: only what it holds, not the room the
     * walk needed */
    uint64_t *fit = realloc (ids, (size_t)n * sizeof (*ids));
    if (fit)
        ids = fit;
    free (named);
    *out = ids;
    *count = n;
    return 0;
too_many:
    request_error (sc, rq, E2BIG,
                   "these arrays and ranges name more than %" PRIu32
                   " elements in all (scheduler.max_ids_per_request) or span more "
                   "than %d; name fewer at once",
                   sc->config->limits.ids_per_request, REQUEST_ELEMENTS_WALK_MAX);
error:
    free (named);
    free (ids);
    return -1;
}
