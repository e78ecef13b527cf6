/* jobid.h: the text forms that name a job, an array or some of an array's
 * elements, in Slurm's notation: "42" (a job, or a whole array), "42_7" (the
 * element of array 42 with index 7) and "42_[1-5,9]" (those elements). The
 * CLI parses them once here; the scheduler resolves the elements.
 */
#ifndef CPHUB_JOBID_H
#define CPHUB_JOBID_H

#include <stdbool.h>
#include <stdint.h>

#include "cphub/error.h"

/* Ranges in one "42_[...]" and bytes of its text. */
#define JOBID_RANGES_MAX 64
#define JOBID_TEXT_MAX 255

typedef struct jobid_range {
    uint32_t first;
    uint32_t last; /* >= first */
} jobid_range_t;

typedef struct jobid_spec {
    uint64_t id;      /* the job's or the array's id, > 0 */
    uint32_t nranges; /* 0: the whole job or array; else the elements below */
    jobid_range_t ranges[JOBID_RANGES_MAX];
} jobid_spec_t;

/* Parse text into *spec. 0, or -1/EINVAL with err saying what was wrong and
 * what a right one looks like; *spec is untouched on failure. Indices are at
 * most JOBSPEC_ARRAY_INDEX_MAX; a range runs forwards. */
int jobid_parse (const char *text, jobid_spec_t *spec, cphub_error_t *err);

/* Whether spec names the element with this index (always, without ranges). */
bool jobid_has_index (const jobid_spec_t *spec, uint32_t index);

/* How many indices the ranges name (0 without ranges). */
uint64_t jobid_index_count (const jobid_spec_t *spec);

#endif /* CPHUB_JOBID_H */
