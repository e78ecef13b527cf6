/* sched_hold.c: the core's hold, release and requeue of a job, as Slurm's
 * scontrol hold, release and requeue. A held job stays PENDING in the line
 * (the pass gives it reason "Held" and skips it, as it skips a job over
 * quota), so releasing it needs nothing but the flag cleared. A requeue of
 * a running job waits for the run's exit (sched_run.c), so that the old
 * run's end is accounted once; every run has its number (job.runs), which
 * its node echoes, so that a late report of an old run can never end a new
 * one (sched_job_run_stale). No I/O.
 */
#include <errno.h>
#include <stdint.h>

#include "scheduler/core/sched_int.h"

static job_entry_t *job_get (sched_t *s, uint64_t id, cphub_error_t *err)
{
    job_entry_t *e = sched_job_find (s, id);

    if (!e)
        cphub_fail (err, ENOENT, "no job %ju", (uintmax_t)id);
    return e;
}

int sched_job_hold (sched_t *s, uint64_t id, sched_hold_by_t by, cphub_error_t *err)
{
    job_entry_t *e = job_get (s, id, err);

    if (!e)
        return -1;
    if (by != SCHED_HOLD_USER && by != SCHED_HOLD_ADMIN)
        return cphub_fail (err, EINVAL, "no such kind of hold");
    if (e->job.state != JOB_PENDING)
        return cphub_fail (err, EINVAL, "job %ju is %s; only a pending job can be held",
                           (uintmax_t)id, job_state_name (e->job.state));
    if (sched_dq_reserve (s, 1) < 0)
        return cphub_fail (err, ENOMEM, "out of memory holding job %ju", (uintmax_t)id);
    if (by > e->job.hold) /* a tenant's hold never lowers an operator's */
        e->job.hold = by;
    sched_job_set_reason (&e->job, "Held");
    e->job.queue_position = 0;
    e->job.expected_start = 0;
    sched_dq_push (s, SCHED_CHANGED, e->job.id, NULL);
    return 0;
}

/* Why a released job waits: its relations, a requeue's delay, or its place
 * in line (the next pass says more). */
static const char *release_reason (const job_entry_t *e)
{
    if (e->x && (e->x->unmet > 0 || e->x->doomed))
        return "Dependency";
    if (e->x && e->x->throttled)
        return "ArrayTaskLimit";
    if (e->delayed)
        return "Requeued";
    return "Priority";
}

int sched_job_release (sched_t *s, uint64_t id, sched_hold_by_t by, cphub_error_t *err)
{
    job_entry_t *e = job_get (s, id, err);

    if (!e)
        return -1;
    if (e->job.state != JOB_PENDING) /* as a hold: an ended job is no held one */
        return cphub_fail (err, EINVAL,
                           "job %ju is %s; only a pending job can be released",
                           (uintmax_t)id, job_state_name (e->job.state));
    if (e->job.hold == SCHED_HOLD_NONE)
        return 0;
    if (e->job.hold == SCHED_HOLD_ADMIN && by != SCHED_HOLD_ADMIN)
        return cphub_fail (err, EPERM,
                           "job %ju was held by an operator; only an operator may "
                           "release it",
                           (uintmax_t)id);
    if (sched_dq_reserve (s, 1) < 0)
        return cphub_fail (err, ENOMEM, "out of memory releasing job %ju",
                           (uintmax_t)id);
    e->job.hold = SCHED_HOLD_NONE;
    sched_job_set_reason (&e->job, "%s", release_reason (e));
    sched_dq_push (s, SCHED_CHANGED, e->job.id, NULL);
    return 0;
}

int sched_job_requeue (sched_t *s, uint64_t id, double now, cphub_error_t *err)
{
    job_entry_t *e = job_get (s, id, err);

    if (!e)
        return -1;
    if (e->job.state == JOB_PENDING)
        return cphub_fail (err, EALREADY, "job %ju is already pending", (uintmax_t)id);
    if (e->job.state == JOB_RUNNING && (e->job.kill_sent || e->requeue_asked))
        return cphub_fail (err, EALREADY, "job %ju is already being %s", (uintmax_t)id,
                           e->job.kill_sent ? "cancelled" : "requeued");
    if (sched_dq_reserve (s, SCHED_END_DECISIONS) < 0)
        return cphub_fail (err, ENOMEM, "out of memory requeueing job %ju",
                           (uintmax_t)id);
    /* the job waits again: as a submit, within the pending limit */
    if (sched_quota_submit_check (s, e->job.tenant, &e->job.spec, 1, err) < 0)
        return -1;
    if (e->job.state == JOB_RUNNING) { /* the exit puts it back in line */
        e->requeue_asked = true;
        sched_dq_push (s, SCHED_KILL, e->job.id, e->job.alloc.node);
        return 0;
    }
    sched_job_reopen (s, e, now);
    return 0;
}
