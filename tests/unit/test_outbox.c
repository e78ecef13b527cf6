/* test_outbox.c: unit tests for agent/outbox.c, the agent's job reports on
 * their way to the scheduler. The outbox reaches the scheduler only through
 * its send callback, so a fake callback that records what went (and can
 * refuse, as the agent's does while not registered) is all the tests need.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "agent/outbox.h"

typedef struct link {
    int refuse; /* errno to fail with, 0 to send */
    uint64_t sent[16];
    msg_type_t types[16];
    unsigned nsent;
} link_t;

static int send_cb (const msg_t *m, void *arg)
{
    link_t *l = arg;

    if (l->refuse) {
        errno = l->refuse;
        return -1;
    }
    cr_assert_lt (l->nsent, 16);
    l->types[l->nsent] = m->type;
    l->sent[l->nsent++] = m->type == MSG_JOB_EXIT ? m->u.exit.id : m->u.started.id;
    return 0;
}

static msg_t *exit_report (uint64_t id)
{
    msg_t *m = msg_create (MSG_JOB_EXIT);

    cr_assert_not_null (m);
    m->u.exit.id = id;
    return m;
}

static msg_t *started_report (uint64_t id)
{
    msg_t *m = msg_create (MSG_JOB_STARTED);

    cr_assert_not_null (m);
    m->u.started.id = id;
    return m;
}

static void collect_cb (uint64_t job_id, void *arg)
{
    link_t *l = arg;

    l->sent[l->nsent++] = job_id;
}

/* Refused with EAGAIN (not registered): everything waits, in order, and
 * goes once the callback lets it. */
Test (outbox, waits_while_the_callback_refuses)
{
    link_t l = {.refuse = EAGAIN};
    outbox_t *ob = outbox_create (send_cb, &l);

    cr_assert_not_null (ob);
    outbox_push (ob, started_report (1), 1, 10.0);
    outbox_push (ob, exit_report (1), 1, 10.0);
    cr_assert_eq (l.nsent, 0);
    cr_assert_eq (outbox_unsent (ob), 2);
    cr_assert (outbox_has_exit (ob, 1));
    l.refuse = 0;
    outbox_flush (ob, 11.0);
    cr_assert_eq (l.nsent, 2);
    cr_assert_eq (l.types[0], MSG_JOB_STARTED);
    cr_assert_eq (l.types[1], MSG_JOB_EXIT);
    /* the started report is gone, the exit waits for its ack */
    cr_assert_eq (outbox_unsent (ob), 0);
    cr_assert_eq (outbox_unacked (ob), 1);
    cr_assert (outbox_ack (ob, 1));
    cr_assert_not (outbox_ack (ob, 1), "a second ack finds nothing");
    cr_assert_eq (outbox_unacked (ob), 0);
    cr_assert_not (outbox_has_exit (ob, 1));
    outbox_destroy (ob);
}

/* An unacknowledged exit is sent again when its ack is overdue (after
 * AGENT_RESEND_MIN, doubling), and after a registration at once. */
Test (outbox, resends_unacknowledged_exits)
{
    link_t l = {0};
    outbox_t *ob = outbox_create (send_cb, &l);

    cr_assert_not_null (ob);
    outbox_push (ob, exit_report (7), 7, 100.0);
    cr_assert_eq (l.nsent, 1);
    double next = outbox_tick (ob, 100.0);
    cr_assert_float_eq (next, 100.0 + AGENT_RESEND_MIN, 1e-9);
    cr_assert_eq (l.nsent, 1, "not due yet");
    outbox_tick (ob, next);
    cr_assert_eq (l.nsent, 2);
    cr_assert_eq (l.sent[1], 7);
    cr_assert_float_eq (outbox_tick (ob, next), next + 2 * AGENT_RESEND_MIN, 1e-9,
                        "the wait doubles");
    outbox_resend (ob, next + 0.5);
    cr_assert_eq (l.nsent, 3, "a registration sends it again at once");
    cr_assert (outbox_ack (ob, 7));
    cr_assert_float_eq (outbox_tick (ob, 1000.0), 0.0, 1e-9, "nothing to check");
    outbox_destroy (ob);
}

/* A send lost on the way (not EAGAIN) counts as sent: the exit is resent
 * when its ack is overdue. */
Test (outbox, lost_send_is_resent_later)
{
    link_t l = {.refuse = ENOTCONN};
    outbox_t *ob = outbox_create (send_cb, &l);

    cr_assert_not_null (ob);
    outbox_push (ob, exit_report (3), 3, 5.0);
    cr_assert_eq (outbox_unsent (ob), 0);
    cr_assert_eq (outbox_unacked (ob), 1);
    l.refuse = 0;
    outbox_tick (ob, 5.0 + AGENT_RESEND_MIN);
    cr_assert_eq (l.nsent, 1);
    cr_assert_eq (l.sent[0], 3);
    outbox_destroy (ob);
}

/* forget drops every report of a job; foreach_exit lists waiting exits,
 * unacknowledged first. */
Test (outbox, forget_and_list)
{
    link_t l = {0}, seen = {0};
    outbox_t *ob = outbox_create (send_cb, &l);

    cr_assert_not_null (ob);
    outbox_push (ob, exit_report (1), 1, 1.0); /* sent: unacked */
    l.refuse = EAGAIN;
    outbox_push (ob, exit_report (2), 2, 1.0); /* waits */
    outbox_push (ob, started_report (3), 3, 1.0);
    outbox_push (ob, exit_report (3), 3, 1.0);
    outbox_foreach_exit (ob, collect_cb, &seen);
    cr_assert_eq (seen.nsent, 3);
    cr_assert_eq (seen.sent[0], 1);
    cr_assert_eq (seen.sent[1], 2);
    cr_assert_eq (seen.sent[2], 3);
    outbox_forget (ob, 3);
    cr_assert_not (outbox_has_exit (ob, 3));
    cr_assert_eq (outbox_unsent (ob), 1);
    outbox_forget (ob, 1);
    cr_assert_eq (outbox_unacked (ob), 0);
    outbox_destroy (ob);
}

Test (outbox, destroy_null_is_harmless)
{
    outbox_destroy (NULL);
}
