/* outbox.c: the agent's job reports on their way to the scheduler (agent.h).
 *
 * Two utlist lists of agent_report_t: the outbox (made, not sent yet: the
 * agent is not registered, or the scheduler's queue was full) and the
 * unacked list (exit reports sent and not yet named by a job.exit.ack). A
 * started report is dropped once sent; an exit report lives until its ack,
 * which also removes the saved record in the job directory. Unacked exits
 * are sent again after each registration and, one by one, when their ack is
 * overdue: after AGENT_RESEND_MIN seconds, doubling to AGENT_RESEND_MAX.
 * The scheduler applies an exit once and acknowledges every copy.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <utlist.h>

#include "agent/agent.h"
#include "cphub/log.h"

static void report_free (agent_report_t **list, uint32_t *len, agent_report_t *r)
{
    DL_DELETE (*list, r);
    (*len)--;
    msg_destroy (r->m);
    free (r);
}

static void report_free_all (agent_report_t **list, uint32_t *len)
{
    agent_report_t *r, *tmp;

    DL_FOREACH_SAFE (*list, r, tmp)
    {
        report_free (list, len, r);
    }
}

void agent_outbox_clear (agent_t *a)
{
    report_free_all (&a->outbox, &a->outbox_len);
    report_free_all (&a->unacked, &a->unacked_len);
    a->resend_at = 0;
}

/* When an exit sent `sends` times is due again. */
static double resend_due (const agent_report_t *r)
{
    double wait = AGENT_RESEND_MIN;

    for (uint32_t i = 1; i < r->sends && wait < AGENT_RESEND_MAX; i++)
        wait *= 2;
    return r->sent_at + (wait < AGENT_RESEND_MAX ? wait : AGENT_RESEND_MAX);
}

void agent_outbox_flush (agent_t *a)
{
    agent_report_t *r, *tmp;
    double now = agent_now ();

    if (!a->registered)
        return;
    DL_FOREACH_SAFE (a->outbox, r, tmp)
    {
        if (agent_send (a, r->m) < 0 && errno == EAGAIN)
            return; /* the scheduler's queue is full: keep the rest */
        if (r->m->type != MSG_JOB_EXIT) {
            report_free (&a->outbox, &a->outbox_len, r);
            continue;
        }
        DL_DELETE (a->outbox, r);
        a->outbox_len--;
        if (a->unacked_len >= AGENT_OUTBOX_MAX) {
            /* its record stays on disk: a restarted agent reports it */
            log_warn ("%u exit reports unacknowledged: forgetting that of job %" PRIu64,
                      a->unacked_len, a->unacked->job_id);
            report_free (&a->unacked, &a->unacked_len, a->unacked);
        }
        r->sent_at = now;
        r->sends++;
        DL_APPEND (a->unacked, r);
        a->unacked_len++;
        if (a->resend_at == 0 || resend_due (r) < a->resend_at)
            a->resend_at = resend_due (r);
    }
}

void agent_outbox_push (agent_t *a, msg_t *m, uint64_t job_id)
{
    agent_report_t *r;

    if (a->outbox_len >= AGENT_OUTBOX_MAX) {
        DL_FOREACH (a->outbox, r)
        {
            if (r->m->type == MSG_JOB_STARTED)
                break;
        }
        if (!r)
            r = a->outbox;
        log_warn ("outbox full: dropping the %s report of job %" PRIu64,
                  msg_type_name (r->m->type), r->job_id);
        report_free (&a->outbox, &a->outbox_len, r);
    }
    if (!(r = calloc (1, sizeof (*r)))) {
        log_err ("out of memory: the %s report of job %" PRIu64 " is not sent now",
                 msg_type_name (m->type), job_id);
        msg_destroy (m);
        return;
    }
    r->m = m;
    r->job_id = job_id;
    DL_APPEND (a->outbox, r);
    a->outbox_len++;
    agent_outbox_flush (a);
}

void agent_outbox_resend (agent_t *a)
{
    if (!a->unacked)
        return;
    log_info ("sending %u unacknowledged exit reports again after registering",
              a->unacked_len);
    DL_CONCAT (a->unacked, a->outbox);
    a->outbox = a->unacked;
    a->outbox_len += a->unacked_len;
    a->unacked = NULL;
    a->unacked_len = 0;
    a->resend_at = 0;
    agent_outbox_flush (a);
}

double agent_outbox_tick (agent_t *a, double now)
{
    agent_report_t *r, *tmp;
    uint32_t due = 0;
    double next = 0;

    if (!a->registered || !a->unacked || a->resend_at == 0 || now < a->resend_at)
        return a->unacked && a->registered ? a->resend_at : 0;
    DL_FOREACH_SAFE (a->unacked, r, tmp)
    {
        double at = resend_due (r);
        if (at > now) {
            if (next == 0 || at < next)
                next = at;
            continue;
        }
        DL_DELETE (a->unacked, r);
        a->unacked_len--;
        DL_APPEND (a->outbox, r);
        a->outbox_len++;
        due++;
    }
    if (due)
        log_info (
            "%u exit reports not acknowledged by the scheduler: sending them "
            "again",
            due);
    a->resend_at = next;
    agent_outbox_flush (a);
    return a->resend_at;
}

/* Free the exit reports of job id in list; true if there was one. */
static bool drop_exits (agent_report_t **list, uint32_t *len, uint64_t id)
{
    agent_report_t *r, *tmp;
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

void agent_outbox_ack (agent_t *a, const uint64_t *ids, uint32_t count)
{
    uint32_t known = 0;

    for (uint32_t i = 0; i < count; i++) {
        /* Acks come in the order exits were sent: mostly at the head. */
        bool found = drop_exits (&a->unacked, &a->unacked_len, ids[i]);
        found = drop_exits (&a->outbox, &a->outbox_len, ids[i]) || found;
        known += found;
        if (found || !runner_running (a->runner, ids[i]))
            runner_exit_ack (a->runner, ids[i]);
    }
    if (!a->unacked)
        a->resend_at = 0;
    log_debug ("job.exit.ack for %u jobs (%u awaited)", count, known);
}

void agent_outbox_forget (agent_t *a, uint64_t id)
{
    agent_report_t *r, *tmp;

    drop_exits (&a->unacked, &a->unacked_len, id);
    DL_FOREACH_SAFE (a->outbox, r, tmp)
    {
        if (r->job_id == id)
            report_free (&a->outbox, &a->outbox_len, r);
    }
}

static bool list_has_exit (const agent_report_t *list, uint64_t id)
{
    const agent_report_t *r;

    DL_FOREACH (list, r)
    {
        if (r->job_id == id && r->m->type == MSG_JOB_EXIT)
            return true;
    }
    return false;
}

bool agent_outbox_has_exit (const agent_t *a, uint64_t id)
{
    return list_has_exit (a->outbox, id) || list_has_exit (a->unacked, id);
}

static void held_add (const agent_t *a, const agent_report_t *list, node_desc_t *d)
{
    const agent_report_t *r;

    DL_FOREACH (list, r)
    {
        if (r->m->type == MSG_JOB_EXIT && !runner_running (a->runner, r->job_id))
            d->jobs[d->njobs++] = r->job_id;
    }
}

void agent_outbox_held (const agent_t *a, node_desc_t *d)
{
    held_add (a, a->unacked, d);
    held_add (a, a->outbox, d);
}
