/* waits.c: parked waits (see waits.h). A wait_req_t lists the ids it
 * waits on and counts those not ended; the index maps a job id to the waits
 * on it (uthash of singly linked lists), so that an ended job finds its
 * waits in one lookup. An answered wait becomes a wait_answer_t, sent one
 * page per turn, round robin among all answers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <uthash.h>
#include <utlist.h>

#include "cphub/log.h"
#include "scheduler/handlers.h"
#include "scheduler/hold.h"
#include "scheduler/waits.h"

/* Bound on the ids all clients can park, so that no one exhausts memory. */
#define WAITED_IDS_MAX 1000000
/* wait.ok pages built per turn, all answers together: a wait on 10,000
 * jobs is answered over many turns, and everyone is served in between. */
#define WAIT_PAGES_PER_TURN 2
/* Bytes of stored specs one page of an answer decodes at most. */
#define WAIT_PAGE_DECODE_MAX (16u * 1024 * 1024)

typedef struct wait_req {
    tpeer_t peer; /* the client on sc->clients */
    uint32_t count;
    uint64_t *ids;      /* as asked, each once */
    uint32_t remaining; /* ids not ended yet */
    bool held;          /* a wait taken from sc->hold (until its answer went) */
    uint32_t held_ids;  /* the ids it holds there */
    struct wait_req *prev, *next;
} wait_req_t;

typedef struct wait_link {
    wait_req_t *wait;
    struct wait_link *next;
} wait_link_t;

typedef struct wait_index {
    uint64_t job_id; /* key */
    wait_link_t *links;
    UT_hash_handle hh;
} wait_index_t;

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

struct waits {
    wait_req_t *parked;     /* utlist DL */
    wait_index_t *index;    /* uthash: job id -> waits on it */
    uint64_t waited_ids;    /* ids parked across all waits */
    wait_answer_t *answers; /* utlist DL */
};

waits_t *waits_create (void)
{
    return calloc (1, sizeof (waits_t));
}

void waits_destroy (waits_t *ws)
{
    wait_index_t *idx, *itmp;
    wait_req_t *w, *wtmp;
    wait_answer_t *a, *atmp;

    if (!ws)
        return;
    HASH_ITER (hh, ws->index, idx, itmp)
    {
        wait_link_t *link, *ltmp;
        HASH_DEL (ws->index, idx);
        LL_FOREACH_SAFE (idx->links, link, ltmp)
        {
            free (link);
        }
        free (idx);
    }
    DL_FOREACH_SAFE (ws->parked, w, wtmp)
    {
        DL_DELETE (ws->parked, w);
        free (w->ids);
        free (w);
    }
    DL_FOREACH_SAFE (ws->answers, a, atmp)
    {
        DL_DELETE (ws->answers, a);
        free (a->ids);
        free (a);
    }
    free (ws);
}

/* A wait's hold against its client's limits ends (its answer went, or its
 * client did). */
static void give_back (scheduler_t *sc, const tpeer_t *peer, uint32_t held_ids)
{
    hold_release (sc->hold, HOLD_WAIT, peer->identity, peer->conn, held_ids);
    tsock_peer_hold (sc->clients, peer, -1);
}

/* Forget w (answered, or its client went): give back what it held. Its
 * links in the wait index must be gone (answered) or unlinked first. */
static void wait_free (scheduler_t *sc, wait_req_t *w)
{
    if (w->held)
        give_back (sc, &w->peer, w->held_ids);
    DL_DELETE (sc->waits->parked, w);
    free (w->ids);
    free (w);
}

/* Take w out of the wait index (its client went before it was answered). */
static void wait_unlink (waits_t *ws, wait_req_t *w)
{
    for (uint32_t i = 0; i < w->count; i++) {
        wait_index_t *idx = NULL;
        wait_link_t *link, *tmp;
        HASH_FIND (hh, ws->index, &w->ids[i], sizeof (w->ids[i]), idx);
        if (!idx)
            continue;
        LL_FOREACH_SAFE (idx->links, link, tmp)
        {
            if (link->wait != w)
                continue;
            LL_DELETE (idx->links, link);
            free (link);
            ws->waited_ids--;
        }
        if (!idx->links) {
            HASH_DEL (ws->index, idx);
            free (idx);
        }
    }
}

/* Answer a wait with the jobs it named, in pages built over the next turns
 * (waits_slices), and forget it. */
static void wait_answer (scheduler_t *sc, wait_req_t *w)
{
    wait_answer_t *a = calloc (1, sizeof (*a));

    if (!a) {
        request_t rq = {.sock = sc->clients, .peer = &w->peer};
        request_error (sc, &rq, ENOMEM, "the scheduler is out of memory");
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
    DL_APPEND (sc->waits->answers, a);
    wait_free (sc, w);
}

static void answer_free (scheduler_t *sc, wait_answer_t *a)
{
    if (a->held)
        give_back (sc, &a->peer, a->held_ids);
    DL_DELETE (sc->waits->answers, a);
    free (a->ids);
    free (a);
}

static int answer_stored_cb (const sched_job_t *stored, void *arg)
{
    return job_list_push (arg, stored);
}

/* Append job id to b: the core's copy, else the store's (an ended job the
 * core forgot while the wait was parked or its answer went out; it was
 * committed turns before, and its tenant checked when the wait came). A
 * job in neither (its history expired meanwhile) is left out. 0, or
 * -1/ENOMEM. */
static int answer_push (scheduler_t *sc,
                        job_list_build_t *b,
                        uint64_t id,
                        size_t *decoded)
{
    const sched_job_t *job = sched_job_lookup (sc->sched, id);
    store_job_query_t q = {.id = id, .limit = 1, .decoded = decoded};
    cphub_error_t err = {{0}};

    if (job)
        return job_list_push (b, job);
    if (store_jobs_query (sc->store, &q, answer_stored_cb, b, &err) < 0) {
        if (errno == ENOMEM)
            return -1;
        log_warn ("wait: job %" PRIu64 " not read from the store: %s", id, err.text);
    }
    return 0;
}

/* One page of a wait's answer; next is nonzero while pages follow. A page
 * reads at most JOBS_PAGE_MAX jobs, from the core or by id from the store,
 * and decodes at most WAIT_PAGE_DECODE_MAX bytes of stored specs (scripts
 * of a megabyte would make a page of them cost the turn a quarter of a
 * gigabyte): the rest waits for the next page. */
static void answer_page (scheduler_t *sc, wait_answer_t *a)
{
    job_list_build_t b = {0};
    request_t rq = {.sock = sc->clients, .peer = &a->peer};
    size_t decoded = 0;
    msg_t *ok;

    while (a->pos < a->count && b.count < JOBS_PAGE_MAX &&
           decoded < WAIT_PAGE_DECODE_MAX) {
        if (answer_push (sc, &b, a->ids[a->pos++], &decoded) < 0) {
            free (b.jobs);
            request_error (sc, &rq, ENOMEM, "the scheduler is out of memory");
            answer_free (sc, a);
            return;
        }
    }
    if (!(ok = job_list_reply (MSG_WAIT_OK, &b))) {
        request_error (sc, &rq, ENOMEM, "the scheduler is out of memory");
        answer_free (sc, a);
        return;
    }
    ok->u.job_list.next = a->pos < a->count ? a->ids[a->pos - 1] : 0;
    request_reply (sc, &rq, ok);
    if (a->pos >= a->count)
        answer_free (sc, a);
}

bool waits_slices (scheduler_t *sc)
{
    waits_t *ws = sc->waits;

    for (int pages = 0; ws->answers && pages < WAIT_PAGES_PER_TURN; pages++) {
        wait_answer_t *a = ws->answers;
        DL_DELETE (ws->answers, a); /* round robin: to the back */
        DL_APPEND (ws->answers, a);
        answer_page (sc, a);
    }
    return ws->answers != NULL;
}

/* Link w to job id in the index; *linked false if w was linked to it
 * already (an id named twice). */
static int wait_link (waits_t *ws, wait_req_t *w, uint64_t id, bool *linked)
{
    wait_index_t *idx = NULL;
    wait_link_t *link;

    *linked = false;
    HASH_FIND (hh, ws->index, &id, sizeof (id), idx);
    if (idx && idx->links && idx->links->wait == w)
        return 0;
    if (!idx) {
        if (!(idx = calloc (1, sizeof (*idx))))
            return -1;
        idx->job_id = id;
        HASH_ADD (hh, ws->index, job_id, sizeof (idx->job_id), idx);
    }
    if (!(link = calloc (1, sizeof (*link))))
        return -1;
    link->wait = w;
    LL_PREPEND (idx->links, link);
    *linked = true;
    return 0;
}

/* Park w on each of its jobs that has not ended. */
static void wait_park (scheduler_t *sc, const request_t *rq, wait_req_t *w)
{
    waits_t *ws = sc->waits;

    for (uint32_t i = 0; i < w->count; i++) {
        sched_job_t *job = sched_job_lookup (sc->sched, w->ids[i]);
        bool linked = false;
        if (!job || job_state_is_terminal (job->state))
            continue;
        if (wait_link (ws, w, job->id, &linked) < 0) {
            log_err ("out of memory parking a wait of %s; it may be answered early",
                     rq->peer->identity);
            break;
        }
        if (linked) {
            w->remaining++;
            ws->waited_ids++;
        }
    }
}

void waits_request (scheduler_t *sc, const request_t *rq, msg_t *m)
{
    waits_t *ws = sc->waits;
    cphub_error_t err = {{0}};
    uint32_t unended = 0, count = 0;
    uint64_t *ids = NULL;
    wait_req_t *w = NULL;

    /* forgotten arrays first, so that their ids name all their elements */
    if (history_recall_request (sc, rq, &m->u.ids, true) < 0 ||
        request_ids_arrays (sc, rq, &m->u.ids, false, &ids, &count) < 0)
        return;
    for (uint32_t i = 0; i < count; i++) {
        sched_job_t *job = request_job (sc, rq, ids[i]);
        if (!job) {
            request_error (sc, rq, ENOENT, "no such job %" PRIu64, ids[i]);
            goto error;
        }
        if (!job_state_is_terminal (job->state))
            unended++;
    }
    if (unended > 0 && ws->waited_ids + unended > WAITED_IDS_MAX) {
        request_error (sc, rq, EAGAIN,
                       "the scheduler is already waiting on %" PRIu64
                       " jobs for clients; try again later",
                       ws->waited_ids);
        goto error;
    }
    /* parked or answered at once, it holds until its answer went, and
     * every id it names counts, the ended ones too: their answer is held
     * (and read again, page by page) as long as the unended ones' */
    if (hold_take (sc->hold, HOLD_WAIT, rq->peer->identity, rq->peer->conn, count,
                   &err) < 0) {
        log_info ("wait from %s refused: %s", rq->peer->identity, err.text);
        request_error (sc, rq, errno, "%s", err.text);
        goto error;
    }
    if (!(w = calloc (1, sizeof (*w)))) {
        hold_release (sc->hold, HOLD_WAIT, rq->peer->identity, rq->peer->conn, count);
        request_error (sc, rq, ENOMEM, "the scheduler is out of memory");
        goto error;
    }
    w->peer = *rq->peer;
    w->count = count;
    w->ids = ids;
    w->held = true;
    w->held_ids = count;
    DL_APPEND (ws->parked, w);
    tsock_peer_hold (sc->clients, &w->peer, 1);
    wait_park (sc, rq, w);
    if (w->remaining == 0)
        wait_answer (sc, w);
    return;
error:
    free (ids);
}

void waits_job_changed (scheduler_t *sc, const sched_job_t *job)
{
    waits_t *ws = sc->waits;
    wait_index_t *idx = NULL;
    wait_link_t *link, *tmp;

    if (!job_state_is_terminal (job->state))
        return;
    HASH_FIND (hh, ws->index, &job->id, sizeof (job->id), idx);
    if (!idx)
        return;
    HASH_DEL (ws->index, idx);
    LL_FOREACH_SAFE (idx->links, link, tmp)
    {
        wait_req_t *w = link->wait;
        ws->waited_ids--;
        if (--w->remaining == 0)
            wait_answer (sc, w);
        free (link);
    }
    free (idx);
}

uint32_t waits_client_gone (scheduler_t *sc, uint64_t conn)
{
    waits_t *ws = sc->waits;
    wait_req_t *w, *wtmp;
    wait_answer_t *a, *atmp;
    uint32_t freed = 0;

    if (hold_count (sc->hold, HOLD_WAIT, NULL, conn) > 0) {
        DL_FOREACH_SAFE (ws->parked, w, wtmp)
        {
            if (w->peer.conn != conn)
                continue;
            wait_unlink (ws, w);
            wait_free (sc, w);
            freed++;
        }
    }
    DL_FOREACH_SAFE (ws->answers, a, atmp)
    {
        if (a->peer.conn != conn)
            continue;
        answer_free (sc, a);
        freed++;
    }
    return freed;
}
