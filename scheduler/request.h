/* request.h: the message being handled, who sent it, and the helpers every
 * handler answers with.
 *
 * A request_t names the sender as the transport authenticated it (role and
 * name from ZAP, never a field of the message) and the socket to answer on.
 * Answers are queued on the outgoing queue (outq.h), not sent: the loop
 * sends them after the turn's store commit. request_job() is the one place
 * that decides whether a requester may see a job: tenants see their own
 * jobs only, so that another tenant's job answers exactly like none.
 */
#ifndef CPHUB_SCHEDULER_REQUEST_H
#define CPHUB_SCHEDULER_REQUEST_H

#include "cphub/msg.h"
#include "cphub/transport.h"
#include "scheduler/scheduler.h"

/* Jobs in one jobs.ok or wait.ok page: encoding it takes a few ms. */
#define JOBS_PAGE_MAX 256

/* Who sent the message being handled. */
typedef struct request {
    tsock_t *sock;
    const tpeer_t *peer;
    auth_role_t role;
    const char *name; /* tenant, operator or node name */
} request_t;

/* Queue m as the answer to rq (m taken; NULL is logged as out of memory). */
void request_reply (scheduler_t *sc, const request_t *rq, msg_t *m);

/* Queue an error message (code, printf text) as the answer to rq. */
void request_error (scheduler_t *sc,
                    const request_t *rq,
                    int code,
                    const char *fmt,
                    ...) __attribute__ ((format (printf, 4, 5)));

/* The job if it exists and the requester may see it, else NULL. */
sched_job_t *request_job (scheduler_t *sc, const request_t *rq, uint64_t id);

/* The ids of a cancel or wait, each once, in the order first named, in
 * *out (caller frees). More distinct ids than
 * scheduler.max_ids_per_request are answered with E2BIG, a lack of memory
 * with ENOMEM: -1 then, the error queued. */
int request_ids (scheduler_t *sc,
                 const request_t *rq,
                 const msg_ids_t *in,
                 uint64_t **out,
                 uint32_t *count);

/* request_ids with every id that names an array (its first element's id,
 * visible to the requester) replaced by its elements' ids, index order; with
 * unfinished, only the elements not yet ended (an array all ended then stays
 * its own id, to be answered as an ended job). The element ranges of in
 * ("42_[1-5]") add the elements they name (none that exist is fine; an
 * array the requester may not see is ENOENT); after any expansion the ids
 * come sorted and each once. Over MSG_IDS_MAX ids in all is E2BIG; -1 then, the
 * error queued. */
int request_ids_arrays (scheduler_t *sc,
                        const request_t *rq,
                        const msg_ids_t *in,
                        bool unfinished,
                        uint64_t **out,
                        uint32_t *count);

/* A list of jobs being built for jobs.ok, show.ok or wait.ok. */
typedef struct job_list_build {
    job_info_t *jobs;
    uint32_t count;
    uint32_t cap;
} job_list_build_t;

/* Append job's info; -1/ENOMEM (b unchanged). */
int job_list_push (job_list_build_t *b, const sched_job_t *job);

/* A list reply of type taking b's array (b is empty after), or NULL when
 * out of memory (b's array freed). */
msg_t *job_list_reply (msg_type_t type, job_list_build_t *b);

#endif
