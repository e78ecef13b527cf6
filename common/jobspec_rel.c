/* jobspec_rel.c: the parts of a job request that relate it to nodes and to
 * other jobs: -N (how many nodes and each node's share of the tasks, GPUs
 * and memory), --array (indices and a throttle) and --after (dependencies),
 * each parsed from its text into the typed form a jobspec holds and rendered
 * back to canonical text for the wire and for display. jobspec.c's setters
 * and the codec's decode are the callers of the parsers; the scheduler's
 * core only reads the typed forms. Pure functions.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/constraint.h"
#include "cphub/jobspec.h"

bool jobspec_is_array (const jobspec_t *spec)
{
    return spec->array != NULL;
}

bool jobspec_has_after (const jobspec_t *spec)
{
    return spec->after != NULL;
}

uint32_t jobspec_nodes (const jobspec_t *spec)
{
    return spec->nodes > 1 ? spec->nodes : 1;
}

static uint64_t jobspec_ceil_div (uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

void jobspec_node_share (const jobspec_t *spec, jobspec_t *share)
{
    uint32_t nodes = jobspec_nodes (spec);
    uint32_t ntasks = spec->ntasks > nodes ? spec->ntasks : nodes;

    jobspec_init (share);
    share->cpus_per_task = spec->cpus_per_task;
    share->walltime = spec->walltime;
    share->exclusive = spec->exclusive;
    share->no_requeue = spec->no_requeue;
    if (nodes == 1) {
        share->ntasks = spec->ntasks;
        share->gpus = spec->gpus;
        share->mem = spec->mem;
        return;
    }
    share->ntasks = (uint32_t)jobspec_ceil_div (ntasks, nodes);
    share->gpus = (uint32_t)jobspec_ceil_div (spec->gpus, nodes);
    share->mem = spec->mem / nodes + (spec->mem % nodes != 0);
}

/* --- --array ------------------------------------------------------------ */

/* Digits at *p into *v (at most max); -1 if there are none or too many. */
static int jobspec_number (const char **p, uint64_t max, uint64_t *v)
{
    const char *s = *p;
    uint64_t n = 0;

    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        n = n * 10 + (uint64_t)(*s - '0');
        if (n > max) {
            *v = n;
            *p = s + 1;
            errno = ERANGE;
            return -1;
        }
    }
    *v = n;
    *p = s;
    return 0;
}

/* One "first[-last[:step]]" at *p into r. */
static int jobspec_array_range (const char **p,
                                jobspec_array_range_t *r,
                                cphub_error_t *err)
{
    const char *start = *p;
    uint64_t first, last, step = 1;
    int len;

    errno = 0;
    if (jobspec_number (p, JOBSPEC_ARRAY_INDEX_MAX, &first) < 0)
        goto bad_number;
    last = first;
    if (**p == '-') {
        (*p)++;
        if (jobspec_number (p, JOBSPEC_ARRAY_INDEX_MAX, &last) < 0)
            goto bad_number;
        if (**p == ':') {
            (*p)++;
            if (jobspec_number (p, JOBSPEC_ARRAY_INDEX_MAX, &step) < 0)
                goto bad_number;
            if (step == 0)
                return cphub_fail (err, EINVAL,
                                   "--array: a step of 0 never moves; give :1 or more");
        }
    }
    len = (int)(*p - start);
    if (last < first)
        return cphub_fail (err, EINVAL,
                           "--array: '%.*s' runs backwards; write %" PRIu64 "-%" PRIu64,
                           len, start, last, first);
    r->first = (uint32_t)first;
    r->last = (uint32_t)(first + (last - first) / step * step);
    r->step = r->last == r->first ? 1 : (uint32_t)step; /* one form per meaning */
    return 0;
bad_number:
    if (errno == ERANGE)
        return cphub_fail (err, EINVAL,
                           "--array: index %.12s... is too large; the "
                           "most is %d",
                           start, JOBSPEC_ARRAY_INDEX_MAX);
    if (**p == '\0')
        return cphub_fail (
            err, EINVAL, "--array: '%.40s' ends early; write indices like 0-15:4,20%%5",
            start);
    return cphub_fail (err, EINVAL,
                       "--array: unexpected '%c' in '%.40s'; write indices like "
                       "0-15:4,20%%5",
                       **p, start);
}

/* A form while it is parsed: room for the most ranges or ids. */
typedef struct jobspec_array_buf {
    uint32_t count, throttle, nranges;
    jobspec_array_range_t ranges[JOBSPEC_ARRAY_RANGES_MAX];
} jobspec_array_buf_t;
typedef struct jobspec_after_buf {
    uint32_t count;
    jobspec_dep_t deps[JOBSPEC_AFTER_IDS_MAX];
} jobspec_after_buf_t;

_Static_assert(offsetof (jobspec_array_buf_t, ranges) == sizeof (jobspec_array_t),
               "an array's ranges follow its head alike");
_Static_assert(offsetof (jobspec_after_buf_t, deps) == sizeof (jobspec_after_t),
               "an after's ids follow its head alike");

/* A new form of head bytes and n items of size bytes from src (all of it,
 * or only what it uses); NULL/ENOMEM with err. */
static void *jobspec_form_dup (
    const void *src, size_t head, size_t n, size_t size, cphub_error_t *err)
{
    void *form = malloc (head + n * size);

    if (!form) {
        cphub_fail (err, ENOMEM, "out of memory");
        return NULL;
    }
    memcpy (form, src, head + n * size);
    return form;
}

static int jobspec_array_read (const char *text,
                               jobspec_array_buf_t *out,
                               cphub_error_t *err)
{
    jobspec_array_buf_t a;
    const char *p = text;
    uint64_t count = 0, throttle;

    memset (&a, 0, sizeof (a));
    if (!text || !*text)
        return cphub_fail (err, EINVAL,
                           "--array: empty; give indices like 0-99 or 0-99%%10");
    if (strlen (text) > JOBSPEC_ARRAY_TEXT_MAX)
        return cphub_fail (err, EINVAL, "--array: %zu bytes; the most is %d",
                           strlen (text), JOBSPEC_ARRAY_TEXT_MAX);
    for (;;) {
        jobspec_array_range_t *r = &a.ranges[a.nranges];
        if (a.nranges == JOBSPEC_ARRAY_RANGES_MAX)
            return cphub_fail (err, EINVAL, "--array: more than %d ranges",
                               JOBSPEC_ARRAY_RANGES_MAX);
        if (jobspec_array_range (&p, r, err) < 0)
            return -1;
        if (a.nranges > 0 && r->first <= a.ranges[a.nranges - 1].last)
            return cphub_fail (err, EINVAL,
                               "--array: %" PRIu32 " comes after %" PRIu32
                               "; list indices in increasing order, each once",
                               r->first, a.ranges[a.nranges - 1].last);
        count += (r->last - r->first) / r->step + 1;
        a.nranges++;
        if (*p != ',')
            break;
        p++;
    }
    if (*p == '%') {
        const char *t = ++p;
        if (jobspec_number (&p, UINT32_MAX, &throttle) < 0 || *p != '\0')
            return cphub_fail (
                err, EINVAL,
                "--array: '%%%.20s' is not a throttle; write e.g. %%10 to "
                "run at most 10 at once",
                t);
        if (throttle == 0)
            return cphub_fail (err, EINVAL,
                               "--array: %%0 would let none run; give %%1 or more");
        a.throttle = (uint32_t)throttle;
    }
    if (*p != '\0')
        return cphub_fail (err, EINVAL,
                           "--array: unexpected '%c' in '%.40s'; write indices like "
                           "0-15:4,20%%5",
                           *p, text);
    if (count > JOBSPEC_ARRAY_SIZE_MAX)
        return cphub_fail (err, EINVAL,
                           "--array: %" PRIu64 " elements; an array has at most %d",
                           count, JOBSPEC_ARRAY_SIZE_MAX);
    a.count = (uint32_t)count;
    *out = a;
    return 0;
}

jobspec_array_t *jobspec_array_parse (const char *text, cphub_error_t *err)
{
    jobspec_array_buf_t a;

    if (jobspec_array_read (text, &a, err) < 0)
        return NULL;
    return jobspec_form_dup (&a, offsetof (jobspec_array_buf_t, ranges), a.nranges,
                             sizeof (a.ranges[0]), err);
}

jobspec_array_t *jobspec_array_copy (const jobspec_array_t *a)
{
    return jobspec_form_dup (a, sizeof (*a), a->nranges, sizeof (a->ranges[0]), NULL);
}

uint32_t jobspec_array_index (const jobspec_array_t *a, uint32_t n)
{
    for (uint32_t i = 0; i < a->nranges; i++) {
        const jobspec_array_range_t *r = &a->ranges[i];
        uint32_t in_range = (r->last - r->first) / r->step + 1;
        if (n < in_range)
            return r->first + n * r->step;
        n -= in_range;
    }
    return a->nranges ? a->ranges[a->nranges - 1].last : 0;
}

bool jobspec_array_seek (const jobspec_array_t *a, uint32_t index, uint32_t *n)
{
    uint32_t before = 0;

    for (uint32_t i = 0; i < a->nranges; i++) {
        const jobspec_array_range_t *r = &a->ranges[i];
        if (index <= r->first) {
            *n = before;
            return index == r->first;
        }
        if (index <= r->last) {
            uint32_t past = index - r->first;
            *n = before + (past + r->step - 1) / r->step; /* rounded up */
            return past % r->step == 0;
        }
        before += (r->last - r->first) / r->step + 1;
    }
    *n = before;
    return false;
}

/* --- --after ------------------------------------------------------------ */

typedef struct jobspec_after_word {
    const char *word;
    jobspec_after_kind_t kind;
} jobspec_after_word_t;

static const jobspec_after_word_t jobspec_after_words[] = {
    {.word = "ok", .kind = JOBSPEC_AFTER_OK},
    {.word = "afterok", .kind = JOBSPEC_AFTER_OK},
    {.word = "any", .kind = JOBSPEC_AFTER_ANY},
    {.word = "afterany", .kind = JOBSPEC_AFTER_ANY},
    {.word = NULL},
};

static int jobspec_after_read (const char *text,
                               jobspec_after_buf_t *out,
                               cphub_error_t *err)
{
    jobspec_after_buf_t a;
    const char *p = text;

    memset (&a, 0, sizeof (a));
    if (!text || !*text)
        return cphub_fail (err, EINVAL, "--after: empty; give e.g. ok:12 or any:12:13");
    if (strlen (text) > JOBSPEC_AFTER_MAX)
        return cphub_fail (err, EINVAL, "--after: %zu bytes; the most is %d",
                           strlen (text), JOBSPEC_AFTER_MAX);
    for (;;) {
        const jobspec_after_word_t *w;
        size_t len = strcspn (p, ":,");
        for (w = jobspec_after_words; w->word; w++) {
            if (strlen (w->word) == len && strncmp (p, w->word, len) == 0)
                break;
        }
        if (!w->word)
            return cphub_fail (err, EINVAL,
                               "--after: '%.*s' is not a kind of dependency; write "
                               "ok:ID (after it completed) or any:ID (after it ended)",
                               (int)(len > 32 ? 32 : len), p);
        p += len;
        if (*p != ':')
            return cphub_fail (err, EINVAL, "--after: %s needs job ids, e.g. %s:12",
                               w->word, w->word);
        while (*p == ':') {
            const char *start = ++p;
            uint64_t id;
            if (jobspec_number (&p, 1ULL << 53, &id) < 0 || id == 0 ||
                (*p != '\0' && *p != ':' && *p != ','))
                return cphub_fail (
                    err, EINVAL, "--after: '%.*s' is not a job id",
                    (int)strcspn (start, ":,") > 32 ? 32 : (int)strcspn (start, ":,"),
                    start);
            if (a.count == JOBSPEC_AFTER_IDS_MAX)
                return cphub_fail (err, EINVAL, "--after: more than %d job ids",
                                   JOBSPEC_AFTER_IDS_MAX);
            a.deps[a.count].id = id;
            a.deps[a.count].kind = w->kind;
            a.count++;
        }
        if (*p == '\0')
            break;
        p++; /* ',' */
    }
    *out = a;
    return 0;
}

jobspec_after_t *jobspec_after_parse (const char *text, cphub_error_t *err)
{
    jobspec_after_buf_t a;

    if (jobspec_after_read (text, &a, err) < 0)
        return NULL;
    return jobspec_form_dup (&a, offsetof (jobspec_after_buf_t, deps), a.count,
                             sizeof (a.deps[0]), err);
}

jobspec_after_t *jobspec_after_copy (const jobspec_after_t *a)
{
    return jobspec_form_dup (a, sizeof (*a), a->count, sizeof (a->deps[0]), NULL);
}

/* --- canonical text and owned forms -------------------------------------- */

/* snprintf at buf + *pos, keeping *pos the length the whole text needs. */
static void jobspec_put (char *buf, size_t len, int *pos, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
static void jobspec_put (char *buf, size_t len, int *pos, const char *fmt, ...)
{
    size_t at = (size_t)*pos < len ? (size_t)*pos : len;
    va_list ap;
    int n;

    va_start (ap, fmt);
    n = vsnprintf (buf ? buf + at : NULL, buf ? len - at : 0, fmt, ap);
    va_end (ap);
    if (n > 0)
        *pos += n;
}

int jobspec_array_format (const jobspec_array_t *a, char *buf, size_t len)
{
    int pos = 0;

    if (buf && len)
        buf[0] = '\0';
    for (uint32_t i = 0; i < a->nranges; i++) {
        const jobspec_array_range_t *r = &a->ranges[i];
        jobspec_put (buf, len, &pos, "%s%" PRIu32, i ? "," : "", r->first);
        if (r->last != r->first)
            jobspec_put (buf, len, &pos, "-%" PRIu32, r->last);
        if (r->last != r->first && r->step != 1)
            jobspec_put (buf, len, &pos, ":%" PRIu32, r->step);
    }
    if (a->throttle)
        jobspec_put (buf, len, &pos, "%%%" PRIu32, a->throttle);
    return pos;
}

int jobspec_after_format (const jobspec_after_t *a, char *buf, size_t len)
{
    int pos = 0;

    if (buf && len)
        buf[0] = '\0';
    for (uint32_t i = 0; i < a->count; i++) {
        const jobspec_dep_t *d = &a->deps[i];
        if (i == 0 || d->kind != a->deps[i - 1].kind)
            jobspec_put (buf, len, &pos, "%s%s", i ? "," : "",
                         d->kind == JOBSPEC_AFTER_OK ? "ok" : "any");
        jobspec_put (buf, len, &pos, ":%" PRIu64, d->id);
    }
    return pos;
}
