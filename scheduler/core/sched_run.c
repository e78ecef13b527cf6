/* sched_run.c: the scheduling core's events from a run's node: the job
 * started (job.started), its job.run could not be handed over, it ended
 * (sched_exit_t), or it could not be started (on the node's side, a lost
 * run that counts toward draining the node; through the job's own fault,
 * its end). A node's report is taken as a claim, not a fact: it may shorten
 * or end a run on that node, never stretch it past the core's own start
 * and the report's arrival, and it counts once. What ending a run does
 * (accounting, requeue, dependents) is sched.c's. No I/O.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cphub/limits.h"
#include "cphub/parse.h"
#include "scheduler/core/sched_int.h"

/* Start failures that are the job's own: the node did its part (directory,
 * cgroup, user, fork) and the job's command could not run. Any other
 * failed start is the node's. */
static const char *const job_fault_prefixes[] = {
    "cannot execute",                   /* command not found, not executable */
    "cannot build the job environment", /* the job's own environment */
    "tenant ",             /* "tenant T has no Unix user on N": the node refuses the
                              tenant by its config; other tenants' jobs run there */
    SCHED_START_TOO_LARGE, /* its job.run cannot be sent to any node */
};

bool sched_start_fault_is_node (const char *text)
{
    for (size_t i = 0; i < sizeof (job_fault_prefixes) / sizeof (*job_fault_prefixes);
         i++)
        if (text &&
            strncmp (text, job_fault_prefixes[i], strlen (job_fault_prefixes[i])) == 0)
            return false;
    return true;
}

/* The job's node could not start it (text: the agent's error): a lost run
 * like sched_job_node_failed, and one more failed start in a row on node,
 * which drains at max_start_failures. Room reserved as for
 * sched_job_node_failed, plus one. */
static void start_lost (
    sched_t *s, job_entry_t *e, sched_node_t *node, double now, const char *text)
{
    char why[sizeof (e->job.reason)];
    char reason[sizeof (node->drain_reason)];

    snprintf (why, sizeof (why), "start failed on %s: %s", node->desc.name, text);
    sched_job_node_failed (s, e, now, why);
    if (node->start_failures < UINT32_MAX)
        node->start_failures++;
    if (s->cfg.max_start_failures > 0 &&
        node->start_failures >= s->cfg.max_start_failures) {
        snprintf (reason, sizeof (reason), "%u job starts failed in a row: %s",
                  node->start_failures, text);
        sched_node_set_drain (s, node, true, reason);
    }
}

int sched_job_started (
    sched_t *s, const char *node, uint64_t id, double time, double now)
{
    job_entry_t *e = sched_job_find (s, id);

    if (!e || e->job.state != JOB_RUNNING || strcmp (e->job.alloc.node, node) != 0) {
        errno = ENOENT;
        return -1;
    }
    if (sched_dq_reserve (s, 1) < 0)
        return -1;
    e->run_reach = RUN_REACHED; /* the node has it */
    if (e->where)
        sched_node_start_ok (e->where);
    /* later than the core's own start (job.run on its way) shortens the
     * run; earlier, or in the future, is not believed */
    if (isfinite (time) && time > e->job.start_time && time <= now)
        e->job.start_time = time;
    sched_dq_push (s, SCHED_CHANGED, e->job.id, NULL);
    return 0;
}

int sched_job_run_unsent (sched_t *s, const char *node, uint64_t id)
{
    job_entry_t *e = sched_job_find (s, id);

    if (!e || e->job.state != JOB_RUNNING || strcmp (e->job.alloc.node, node) != 0) {
        errno = ENOENT;
        return -1;
    }
    e->run_reach = RUN_UNSENT;
    return 0;
}

/* How an exit report ends a job: the state and the reason. */
static job_state_t exit_outcome (const job_entry_t *e,
                                 const sched_exit_t *ex,
                                 char *reason,
                                 size_t len)
{
    reason[0] = '\0';
    if (e->job.kill_sent) {
        snprintf (reason, len, "cancelled by user");
        return JOB_CANCELLED;
    }
    switch (ex->kind) {
    case SCHED_EXIT_EXITED:
        if (ex->exit_code == 0)
            return JOB_COMPLETED;
        snprintf (reason, len, "exit code %d", ex->exit_code);
        return JOB_FAILED;
    case SCHED_EXIT_SIGNALED:
        snprintf (reason, len, "signal %d", ex->signal);
        return JOB_FAILED;
    case SCHED_EXIT_TIMEOUT:
        snprintf (reason, len, "wall-time limit");
        return JOB_TIMEOUT;
    case SCHED_EXIT_CANCELLED:
        snprintf (reason, len, "cancelled");
        return JOB_CANCELLED;
    case SCHED_EXIT_OOM: {
        char limit[32];
        format_size (e->job.alloc.mem, limit, sizeof (limit));
        snprintf (reason, len, "out of memory (limit %s)",
                  e->job.alloc.mem ? limit : "none");
        return JOB_OUT_OF_MEMORY;
    }
    case SCHED_EXIT_OUTPUT:
        snprintf (reason, len, "%s",
                  ex->text && ex->text[0] ? ex->text : "output over its limit");
        return JOB_FAILED;
    case SCHED_EXIT_LOST:
    default:
        snprintf (reason, len, "lost on node %s", e->job.alloc.node);
        return JOB_NODE_FAIL;
    }
}

/* A process of job id outlived KILL on node: drain the node. */
static int survived_kill (sched_t *s, const char *node, uint64_t id)
{
    sched_node_t *n = sched_node_find (s, node);
    char reason[REASON_TEXT_MAX + 1];

    if (!n)
        return 0;
    if (sched_dq_reserve (s, 1) < 0)
        return -1;
    snprintf (reason, sizeof (reason), "job %ju survived KILL", (uintmax_t)id);
    sched_node_set_drain (s, n, true, reason);
    return 0;
}

/* Are the report's numbers ones a run can have (finite, not negative)? */
static bool exit_numbers_ok (const sched_exit_t *ex)
{
    const double v[] = {ex->start_time, ex->end_time, ex->cpu_time};

    for (size_t i = 0; i < sizeof (v) / sizeof (*v); i++)
        if (!isfinite (v[i]) || v[i] < 0)
            return false;
    return true;
}

/* The run's end as the core accepts it: the reported end (now if it gives
 * none), within [the run's start, now], and no later than its wall time
 * (with SCHED_WALLTIME_SLACK) allows: a node that reports late, or claims a
 * run outlived its limit, cannot charge the tenant more than it asked for. */
static double exit_end (const job_entry_t *e, double end_time, double now)
{
    double end = end_time > 0 ? end_time : now;
    double limit = e->job.start_time + (double)e->job.walltime + SCHED_WALLTIME_SLACK;

    if (end > now)
        end = now;
    if (e->job.walltime > 0 && end > limit)
        end = limit;
    if (end < e->job.start_time)
        end = e->job.start_time;
    return end;
}

bool sched_job_run_stale (sched_t *s, uint64_t id, uint32_t run)
{
    job_entry_t *e = sched_job_find (s, id);

    /* a pending job's last run ended: a report of it is late; a running
     * or ended job's current run is job.runs */
    return e && run != 0 && (run != e->job.runs || e->job.state == JOB_PENDING);
}

/* The running job an end report of node about run is, with room reserved
 * for its end. NULL with *rc: 0 when the report is final and changes
 * nothing more (the end of an earlier run, a repeat), -1 with errno
 * (ENOENT: not this node's job; ENOMEM). */
static job_entry_t *exit_target (
    sched_t *s, const char *node, uint64_t id, uint32_t run, int *rc)
{
    job_entry_t *e = sched_job_find (s, id);

    *rc = 0;
    if (e && e->stale_on && strcmp (e->stale_on->desc.name, node) == 0) {
        /* the end of an earlier run, accounted when its node failed */
        sched_job_stale_release (s, e);
        return NULL;
    }
    if (sched_job_run_stale (s, id, run))
        return NULL; /* an earlier run's end, accounted when it ended */
    if (!e || strcmp (e->job.alloc.node, node) != 0 || e->job.state == JOB_PENDING) {
        errno = ENOENT;
        *rc = -1;
        return NULL;
    }
    if (job_state_is_terminal (e->job.state))
        return NULL; /* reported before: exactly once */
    if (sched_dq_reserve (s, SCHED_END_DECISIONS + 1) < 0) {
        *rc = -1;
        return NULL;
    }
    return e;
}

/* e's run ends in state at end (reason set); the report's start may move
 * the run's start later, never past its end. */
static void exit_apply (
    sched_t *s, job_entry_t *e, job_state_t state, const sched_exit_t *ex, double end)
{
    e->job.exit_code = ex->exit_code;
    e->job.signal = ex->signal;
    e->job.cpu_time = ex->cpu_time;
    e->job.max_rss = ex->max_rss;
    if (ex->start_time > e->job.start_time && ex->start_time <= end)
        e->job.start_time = ex->start_time;
    sched_job_end (s, e, state, end);
}

int sched_job_exited (sched_t *s, const char *node, const sched_exit_t *ex, double now)
{
    char reason[sizeof (((sched_job_t *)0)->reason)];
    job_entry_t *e;
    int rc;

    if (!exit_numbers_ok (ex)) {
        errno = EINVAL;
        return -1;
    }
    if (ex->survived_kill && survived_kill (s, node, ex->id) < 0)
        return -1;
    if (!(e = exit_target (s, node, ex->id, ex->run, &rc)))
        return rc;
    double end = exit_end (e, ex->end_time, now);
    /* a lost run is the node's failure, whatever was asked of it: the
     * node-loss path accounts and requeues it */
    if (ex->kind == SCHED_EXIT_LOST && !e->job.kill_sent) {
        char why[sizeof (e->job.reason)];
        snprintf (why, sizeof (why), "lost on node %s", node);
        sched_job_node_failed (s, e, end, why);
        return 0;
    }
    if (e->requeue_asked && !e->job.kill_sent) { /* killed to run again */
        sched_job_run_requeue (s, e, end);
        return 0;
    }
    job_state_t state = exit_outcome (e, ex, reason, sizeof (reason));
    memcpy (e->job.reason, reason, sizeof (reason));
    exit_apply (s, e, state, ex, end);
    return 0;
}

int sched_job_start_failed (sched_t *s,
                            const char *node,
                            uint64_t id,
                            const char *text,
                            double time,
                            double now)
{
    const sched_exit_t ex = {.id = id, .start_time = time, .end_time = time};
    const char *why = text && text[0] ? text : "could not start";
    job_entry_t *e;
    int rc;

    if (!exit_numbers_ok (&ex)) {
        errno = EINVAL;
        return -1;
    }
    if (!(e = exit_target (s, node, id, 0, &rc)))
        return rc;
    double end = exit_end (e, time, now);
    if (!e->job.kill_sent && e->where && sched_start_fault_is_node (why)) {
        start_lost (s, e, e->where, end, why);
        return 0;
    }
    if (e->where)
        sched_node_start_ok (e->where); /* the node did its part */
    if (e->job.kill_sent)
        snprintf (e->job.reason, sizeof (e->job.reason), "cancelled by user");
    else
        snprintf (e->job.reason, sizeof (e->job.reason), "%s", why);
    exit_apply (s, e, e->job.kill_sent ? JOB_CANCELLED : JOB_FAILED, &ex, end);
    return 0;
}
