/* outbox.c: the agent's job reports on their way to the scheduler
 * (outbox.h).
 *
 * Two utlist lists of reports: the outbox (made, not sent yet: the agent is
 * not registered, or the scheduler's queue was full) and the unacked list
 * (exit reports sent and not yet named by a job.exit.ack). The scheduler
 * applies an exit once and acknowledges every copy. The outbox reaches the
 * scheduler only through its send callback, so that it knows nothing of
 * the link or the registration.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <utlist.h>

#include "agent/outbox.h"
#include "cphub/log.h"

typedef struct report {
    msg_t *m; /* MSG_JOB_STARTED or MSG_JOB_EXIT */
    uint64_t job_id;
    double sent_at;             /* exits: monotonic time of the last send */
    uint32_t sends;             /* exits: times sent */
    struct report *prev, *next; /* utlist */
} report_t;

struct outbox {
    outbox_send_f send;
    void *arg;
    report_t *outbox; /* reports to send */
    uint32_t outbox_len;
    report_t *unacked; /* exit reports sent, not yet known to be had */
    uint32_t unacked_len;
    double resend_at; /* next check of the unacked list; 0 = none */
};

static void report_free (report_t **list, uint32_t *len, report_t *r)
{
    DL_DELETE (*list, r);
    (*len)--;
    msg_destroy (r->m);
    free (r);
}

static void report_free_all (report_t **list, uint32_t *len)
{
    report_t *r, *tmp;

    DL_FOREACH_SAFE (*list, r, tmp)
    {
        report_free (list, len, r);
    }
}

outbox_t *outbox_create (outbox_send_f send, void *arg)
{
    outbox_t *ob = calloc (1, sizeof (*ob));

    if (!ob)
        return NULL;
    ob->send = send;
    ob->arg = arg;
    return ob;
}

void outbox_destroy (outbox_t *ob)
{
    if (!ob)
        return;
    report_free_all (&ob->outbox, &ob->outbox_len);
    report_free_all (&ob->unacked, &ob->unacked_len);
    free (ob);
}

/* When an exit sent `sends` times is due again. */
static double resend_due (const report_t *r)
{
    double wait = AGENT_RESEND_MIN;

    for (uint32_t i = 1; i < r->sends && wait < AGENT_RESEND_MAX; i++)
        wait *= 2;
    return r->sent_at + (wait < AGENT_RESEND_MAX ? wait : AGENT_RESEND_MAX);
}

void outbox_flush (outbox_t *ob, double now)
{
    report_t *r, *tmp;

    DL_FOREACH_SAFE (ob->outbox, r, tmp)
    {
        if (ob->send (r->m, ob->arg) < 0 && errno == EAGAIN)
            return; /* not registered, or the scheduler's queue is full */
        if (r->m->type != MSG_JOB_EXIT) {
            report_free (&ob->outbox, &ob->outbox_len, r);
            continue;
        }
        DL_DELETE (ob->outbox, r);
        ob->outbox_len--;
        if (ob->unacked_len >= AGENT_OUTBOX_MAX) {
            /* its record stays on disk: a restarted agent reports it */
            log_warn ("%u exit reports unacknowledged: forgetting that of job %" PRIu64,
                      ob->unacked_len, ob->unacked->job_id);
            report_free (&ob->unacked, &ob->unacked_len, ob->unacked);
        }
        r->sent_at = now;
        r->sends++;
        DL_APPEND (ob->unacked, r);
        ob->unacked_len++;
        if (ob->resend_at == 0 || resend_due (r) < ob->resend_at)
            ob->resend_at = resend_due (r);
    }
}

void outbox_push (outbox_t *ob, msg_t *m, uint64_t job_id, double now)
{
    report_t *r;

    if (ob->outbox_len >= AGENT_OUTBOX_MAX) {
        DL_FOREACH (ob->outbox, r)
        {
            if (r->m->type == MSG_JOB_STARTED)
                break;
        }
        if (!r)
            r = ob->outbox;
        log_warn ("outbox full: dropping the %s report of job %" PRIu64,
                  msg_type_name (r->m->type), r->job_id);
        report_free (&ob->outbox, &ob->outbox_len, r);
    }
    if (!(r = calloc (1, sizeof (*r)))) {
        log_err ("out of memory: the %s report of job %" PRIu64 " is not sent now",
                 msg_type_name (m->type), job_id);
        msg_destroy (m);
        return;
    }
    r->m = m;
    r->job_id = job_id;
    DL_APPEND (ob->outbox, r);
    ob->outbox_len++;
    outbox_flush (ob, now);
}

void outbox_resend (outbox_t *ob, double now)
{
    if (!ob->unacked)
        return;
    log_info ("sending %u unacknowledged exit reports again after registering",
              ob->unacked_len);
    DL_CONCAT (ob->unacked, ob->outbox);
    ob->outbox = ob->unacked;
    ob->outbox_len += ob->unacked_len;
    ob->unacked = NULL;
    ob->unacked_len = 0;
    ob->resend_at = 0;
    outbox_flush (ob, now);
}

double outbox_tick (outbox_t *ob, double now)
{
    report_t *r, *tmp;
    uint32_t due = 0;
    double next = 0;

    if (!ob->unacked || ob->resend_at == 0 || now < ob->resend_at)
        return ob->unacked ? ob->resend_at : 0;
    DL_FOREACH_SAFE (ob->unacked, r, tmp)
    {
        double at = resend_due (r);
        if (at > now) {
            if (next == 0 || at < next)
                next = at;
            continue;
        }
        DL_DELETE (ob->unacked, r);
        ob->unacked_len--;
        DL_APPEND (ob->outbox, r);
        ob->outbox_len++;
        due++;
    }
    if (due)
        log_info (
            "%u exit reports not acknowledged by the scheduler: sending them "
            "again",
            due);
    ob->resend_at = next;
    outbox_flush (ob, now);
    return ob->resend_at;
}

/* Free the exit reports of job id in list; true if there was one. */
static bool drop_exits (report_t **list, uint32_t *len, uint64_t id)
{
    report_t *r, *tmp;
    bool found = false;

    DL_FOREACH_SAFE (*list, r, tmp)
    {
        if (r->job_id == id && r->m->type == MSG_JOB_EXIT) {
            report_free (list, len, r);
            found = true;
        }
    }
    return found;
}

bool outbox_ack (outbox_t *ob, uint64_t id)
{
    /* Acks come in the order exits were sent: mostly at the head. */
    bool found = drop_exits (&ob->unacked, &ob->unacked_len, id);

    found = drop_exits (&ob->outbox, &ob->outbox_len, id) || found;
    if (!ob->unacked)
        ob->resend_at = 0;
    return found;
}

void outbox_forget (outbox_t *ob, uint64_t id)
{
    report_t *r, *tmp;

    drop_exits (&ob->unacked, &ob->unacked_len, id);
    DL_FOREACH_SAFE (ob->outbox, r, tmp)
    {
        if (r->job_id == id)
            report_free (&ob->outbox, &ob->outbox_len, r);
    }
}

static bool list_has_exit (const report_t *list, uint64_t id)
{
    const report_t *r;

    DL_FOREACH (list, r)
    {
        if (r->job_id == id && r->m->type == MSG_JOB_EXIT)
            return true;
    }
    return false;
}

bool outbox_has_exit (const outbox_t *ob, uint64_t id)
{
    return list_has_exit (ob->outbox, id) || list_has_exit (ob->unacked, id);
}

uint32_t outbox_unsent (const outbox_t *ob)
{
    return ob->outbox_len;
}

uint32_t outbox_unacked (const outbox_t *ob)
{
    return ob->unacked_len;
}

static void exits_foreach (const report_t *list,
                           void (*cb) (uint64_t job_id, void *arg),
                           void *arg)
{
    const report_t *r;

    DL_FOREACH (list, r)
    {
        if (r->m->type == MSG_JOB_EXIT)
            cb (r->job_id, arg);
    }
}

void outbox_foreach_exit (const outbox_t *ob,
                          void (*cb) (uint64_t job_id, void *arg),
                          void *arg)
{
    exits_foreach (ob->unacked, cb, arg);
    exits_foreach (ob->outbox, cb, arg);
}
