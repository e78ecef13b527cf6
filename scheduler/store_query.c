/* store_query.c: what a query of the stored jobs (store_job_query_t) means,
 * one predicate that every store applies, so that a filter selects the same
 * jobs from the memory store, which scans, and from the SQLite store, which
 * narrows the rows with its indexes first and then asks this predicate; and
 * the id range a query reads, the same in every store, so that a scan
 * budget ends a page at the same row in each.
 */
#include <string.h>

#include "cphub/jobspec.h"
#include "scheduler/store.h"

static bool ran_on (const sched_job_t *job, const char *node)
{
    if (strcmp (job->alloc.node, node) == 0)
        return true;
    for (uint32_t i = 0; i < job->nothers; i++) {
        if (strcmp (job->others[i].node, node) == 0)
            return true;
    }
    return false;
}

bool store_job_query_match_plain (const store_job_query_t *q, const sched_job_t *job)
{
    if (q->id && job->id != q->id)
        return false;
    if (q->tenant && strcmp (job->tenant, q->tenant) != 0)
        return false;
    if (q->states && !(q->states & (1u << job->state)))
        return false;
    if (q->since > 0 && job->end_time > 0 && job->end_time < q->since)
        return false;
    if (q->until > 0 && job->submit_time > q->until)
        return false;
    if (q->array_id && job->array_id != q->array_id)
        return false;
    return true;
}

bool store_job_query_match (const store_job_query_t *q, const sched_job_t *job)
{
    if (!store_job_query_match_plain (q, job))
        return false;
    if (q->name && strcmp (job->spec.name, q->name) != 0)
        return false;
    if (q->node && (!q->node[0] || !ran_on (job, q->node)))
        return false;
    return true;
}

void store_job_query_ids (const store_job_query_t *q, uint64_t *after, uint64_t *last)
{
    uint64_t lo = q->after, hi = UINT64_MAX;

    /* one job; an array's elements have the ids that follow its own */
    if (q->id) {
        lo = q->id - 1 > lo ? q->id - 1 : lo;
        hi = q->id;
    }
    if (q->array_id) {
        uint64_t count = q->array_count ? q->array_count : JOBSPEC_ARRAY_SIZE_MAX;
        lo = q->array_id - 1 > lo ? q->array_id - 1 : lo;
        if (q->array_id - 1 <= UINT64_MAX - count && q->array_id - 1 + count < hi)
            hi = q->array_id - 1 + count;
    }
    *after = lo;
    *last = hi;
}
