/* jobs_fold.h: the active elements of an array as one row of a jobs page
 * (jobs_fold.c).
 */
#ifndef CPHUB_SCHEDULER_JOBS_FOLD_H
#define CPHUB_SCHEDULER_JOBS_FOLD_H

#include <stdbool.h>

#include "scheduler/core/sched.h"
#include "scheduler/request.h"

/* Add job to b: without fold, or when it is not an element of the array
 * b's last row stands for, as a row of its own (an array element's row
 * starts a fold: array_folded 1); else folded into that row. A folded row
 * owns its array_counts (the reply's message frees them). 0, or -1 when
 * memory ran out, with no row of b holding memory of its own. */
int jobs_fold_push (job_list_build_t *b, const sched_job_t *job, bool fold);

/* Whether jobs_fold_push would fold job into b's last row (adding no row,
 * so a full page still takes it). */
bool jobs_fold_joins (const job_list_build_t *b, const sched_job_t *job, bool fold);

#endif
