/* jobctl.h: the handlers of hold, release, requeue and resubmit, the verbs
 * that change a job already submitted (as Slurm's scontrol hold, release,
 * requeue and a resubmit of the same spec). Tenants act on their own jobs
 * only (another tenant's answers ENOENT, as a job that does not exist);
 * operators on every job, and what an operator held only an operator may
 * release. The message table (msgtab.c) names them.
 */
#ifndef CPHUB_SCHEDULER_JOBCTL_H
#define CPHUB_SCHEDULER_JOBCTL_H

#include "cphub/msg.h"
#include "scheduler/request.h"

/* hold, release, requeue: {ids, elements}, answered by jobctl.ok with one
 * result per job acted on (code 0, or ENOENT, EINVAL, EALREADY, EPERM and a
 * text); an array's elements the verb does not apply to are left out, and
 * when that leaves none the answer is error EALREADY. */
void jobctl_request (scheduler_t *sc, const request_t *rq, msg_t *m);
/* resubmit: {id, index}, answered by submit.ok with the new job's id,
 * submitted by the job's own tenant with its spec: an array's id the whole
 * array again, an element (by index, or by its own id) one plain job. */
void jobctl_resubmit (scheduler_t *sc, const request_t *rq, msg_t *m);

#endif
