/* jobid.c: parsing of "42", "42_7" and "42_[1-5,9]" (see jobid.h) into a
 * job or array id and ranges of element indices. Pure: the CLI names what it
 * means once and the scheduler, which knows the arrays, resolves it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cphub/jobid.h"
#include "cphub/jobspec.h"

#define JOBID_HINT "job ids look like 42, 42_7 or 42_[1-5,9] (see cphub jobs)"

/* Digits at *p into *value (at most max); advances *p. 0, or -1. */
static int jobid_number (const char **p, uint64_t max, uint64_t *value)
{
    uint64_t v = 0;
    const char *s = *p;

    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (max - (uint64_t)(*s - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *p = s;
    *value = v;
    return 0;
}

/* One "N" or "N-M" at *p into *r; advances *p. 0, or -1 with err. */
static int jobid_range (const char *text,
                        const char **p,
                        jobid_range_t *r,
                        cphub_error_t *err)
{
    uint64_t first, last;

    if (jobid_number (p, JOBSPEC_ARRAY_INDEX_MAX, &first) < 0)
        goto bad_index;
    last = first;
    if (**p == '-') {
        (*p)++;
        if (jobid_number (p, JOBSPEC_ARRAY_INDEX_MAX, &last) < 0)
            goto bad_index;
        if (last < first)
            return cphub_fail (err, EINVAL,
                               "'%.40s': the range %" PRIu64 "-%" PRIu64
                               " runs backwards; write %" PRIu64 "-%" PRIu64,
                               text, first, last, last, first);
    }
    r->first = (uint32_t)first;
    r->last = (uint32_t)last;
    return 0;
bad_index:
    return cphub_fail (
        err, EINVAL,
        "'%.40s': array indices are whole numbers from 0 to %d; " JOBID_HINT, text,
        JOBSPEC_ARRAY_INDEX_MAX);
}

/* "[1-5,9]" or "7" after the '_' into spec's ranges. 0, or -1 with err. */
static int jobid_ranges (const char *text,
                         const char *p,
                         jobid_spec_t *spec,
                         cphub_error_t *err)
{
    bool bracket = *p == '[';

    if (bracket)
        p++;
    for (;;) {
        if (spec->nranges == JOBID_RANGES_MAX)
            return cphub_fail (err, EINVAL,
                               "'%.40s': more than %d index ranges; merge them or "
                               "give the rest in another id",
                               text, JOBID_RANGES_MAX);
        if (jobid_range (text, &p, &spec->ranges[spec->nranges], err) < 0)
            return -1;
        spec->nranges++;
        if (!bracket || *p != ',')
            break;
        p++;
    }
    if (bracket && *p++ != ']')
        return cphub_fail (
            err, EINVAL, "'%.40s': expected ']' after the indices; " JOBID_HINT, text);
    if (*p != '\0')
        return cphub_fail (err, EINVAL, "'%.40s': unexpected '%.8s'; " JOBID_HINT, text,
                           p);
    if (!bracket && spec->ranges[0].first != spec->ranges[0].last)
        return cphub_fail (
            err, EINVAL, "'%.40s': a range of elements goes in brackets, like 42_[1-5]",
            text);
    return 0;
}

int jobid_parse (const char *text, jobid_spec_t *spec, cphub_error_t *err)
{
    jobid_spec_t tmp = {0};
    const char *p = text;

    if (strlen (text) > JOBID_TEXT_MAX)
        return cphub_fail (err, EINVAL, "a job id of %zu bytes; at most %d",
                           strlen (text), JOBID_TEXT_MAX);
    if (jobid_number (&p, UINT64_MAX, &tmp.id) < 0 || tmp.id == 0 ||
        (*p != '\0' && *p != '_'))
        return cphub_fail (err, EINVAL, "'%.40s' is not a job id; " JOBID_HINT, text);
    if (*p == '_' && jobid_ranges (text, p + 1, &tmp, err) < 0)
        return -1;
    *spec = tmp;
    return 0;
}

bool jobid_has_index (const jobid_spec_t *spec, uint32_t index)
{
    if (spec->nranges == 0)
        return true;
    for (uint32_t i = 0; i < spec->nranges; i++)
        if (index >= spec->ranges[i].first && index <= spec->ranges[i].last)
            return true;
    return false;
}

uint64_t jobid_index_count (const jobid_spec_t *spec)
{
    uint64_t n = 0;

    for (uint32_t i = 0; i < spec->nranges; i++)
        n += (uint64_t)spec->ranges[i].last - spec->ranges[i].first + 1;
    return n;
}
