/* sim.c: simulated execution (sim.h).
 *
 * The held jobs are a hash by id and a binary min-heap of end times, so
 * that a thousand nodes' worth of jobs cost a logarithm per start and end.
 * A kill moves a job's end to now by pushing a new heap entry; an entry
 * whose end is not its job's end any more (or whose job is gone) is stale
 * and skipped when it comes to the top.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "agent/sim.h"

typedef struct sim_job {
    uint64_t id;
    double start_mono;
    double start_wall;
    double end; /* monotonic */
    exit_kind_t kind;
    bool at_max; /* TIMEOUT at SIM_RUN_TIME_MAX, not at its wall-time limit */
    UT_hash_handle hh;
} sim_job_t;

typedef struct sim_due {
    double end;
    uint64_t id;
} sim_due_t;

struct sim {
    sim_job_t *jobs; /* by id */
    sim_due_t *heap;
    size_t nheap, cap;
};

/* Units a `sleep` argument may end with, as GNU sleep takes them. */
static const struct {
    char suffix;
    double seconds;
} sleep_units[] = {{'\0', 1}, {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};

sim_t *sim_create (void)
{
    return calloc (1, sizeof (sim_t));
}

void sim_destroy (sim_t *s)
{
    sim_job_t *j, *tmp;

    if (!s)
        return;
    HASH_ITER (hh, s->jobs, j, tmp)
    {
        HASH_DEL (s->jobs, j);
        free (j);
    }
    free (s->heap);
    free (s);
}

/* "10", "2.5", "1m", "inf": seconds, +inf for a sleep without end (as
 * GNU sleep takes "inf" and a number past a double's range), or -1 when it
 * is no duration ("x", "-3", "nan"). */
static double sleep_arg (const char *arg, size_t len)
{
    char buf[64], *end;
    double v;

    if (len == 0 || len >= sizeof (buf))
        return -1;
    memcpy (buf, arg, len);
    buf[len] = '\0';
    errno = 0;
    v = strtod (buf, &end);
    if (end == buf || isnan (v) || v < 0)
        return -1;
    if (errno == ERANGE) /* past a double's range, or below its smallest */
        v = v > 1 ? INFINITY : 0;
    for (size_t i = 0; i < sizeof (sleep_units) / sizeof (sleep_units[0]); i++)
        if (*end == sleep_units[i].suffix && (!*end || !end[1]))
            return v * sleep_units[i].seconds; /* +inf past a double's range */
    return -1;
}

static bool is_sleep (const char *word, size_t len)
{
    static const char name[] = "sleep";
    size_t n = sizeof (name) - 1;

    /* "sleep" or a path ending in "/sleep" */
    return len >= n && memcmp (word + len - n, name, n) == 0 &&
           (len == n || word[len - n - 1] == '/');
}

/* The first command line of a script, past "#!" and comments. */
static double script_run_time (const char *script)
{
    const char *p = script;

    while (*p) {
        const char *eol = strchr (p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen (p);
        const char *w = p, *end = p + len;

        while (w < end && (*w == ' ' || *w == '\t'))
            w++;
        if (w < end && *w != '#') {
            const char *we = w, *a, *ae;
            while (we < end && *we != ' ' && *we != '\t')
                we++;
            if (!is_sleep (w, (size_t)(we - w)))
                return 0;
            for (a = we; a < end && (*a == ' ' || *a == '\t'); a++)
                ;
            for (ae = a; ae < end && *ae != ' ' && *ae != '\t' && *ae != ';'; ae++)
                ;
            double v = sleep_arg (a, (size_t)(ae - a));
            return v < 0 ? 0 : v;
        }
        if (!eol)
            break;
        p = eol + 1;
    }
    return 0;
}

double sim_run_time (const jobspec_t *spec)
{
    double v;

    if (spec->script)
        return script_run_time (spec->script);
    if (spec->argc < 2 || !is_sleep (spec->argv[0], strlen (spec->argv[0])))
        return 0;
    v = sleep_arg (spec->argv[1], strlen (spec->argv[1]));
    return v < 0 ? 0 : v;
}

static bool due_before (const sim_due_t *a, const sim_due_t *b)
{
    return a->end < b->end || (a->end == b->end && a->id < b->id);
}

static int heap_push (sim_t *s, double end, uint64_t id)
{
    size_t i;

    if (s->nheap == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        sim_due_t *h = realloc (s->heap, cap * sizeof (*h));
        if (!h)
            return -1;
        s->heap = h;
        s->cap = cap;
    }
    i = s->nheap++;
    s->heap[i] = (sim_due_t){end, id};
    while (i > 0 && due_before (&s->heap[i], &s->heap[(i - 1) / 2])) {
        sim_due_t t = s->heap[i];
        s->heap[i] = s->heap[(i - 1) / 2];
        s->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
    return 0;
}

static void heap_pop (sim_t *s)
{
    size_t i = 0;

    s->heap[0] = s->heap[--s->nheap];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->nheap && due_before (&s->heap[l], &s->heap[m]))
            m = l;
        if (r < s->nheap && due_before (&s->heap[r], &s->heap[m]))
            m = r;
        if (m == i)
            break;
        sim_due_t t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
}

/* The job the top of the heap stands for, dropping stale entries. */
static sim_job_t *heap_top (sim_t *s)
{
    while (s->nheap) {
        sim_job_t *j;
        HASH_FIND (hh, s->jobs, &s->heap[0].id, sizeof (uint64_t), j);
        if (j && j->end == s->heap[0].end)
            return j;
        heap_pop (s);
    }
    return NULL;
}

int sim_start (sim_t *s, uint64_t id, const jobspec_t *spec, double mono, double wall)
{
    double run = sim_run_time (spec), limit = SIM_RUN_TIME_MAX;
    bool own_limit = spec->walltime > 0 && (double)spec->walltime <= limit;
    sim_job_t *j;

    if (!isfinite (mono) || mono < 0 || !isfinite (wall) || wall < 0) {
        errno = EINVAL;
        return -1;
    }
    HASH_FIND (hh, s->jobs, &id, sizeof (id), j);
    if (j) {
        errno = EEXIST;
        return -1;
    }
    if (!(j = calloc (1, sizeof (*j))))
        return -1;
    j->id = id;
    j->start_mono = mono;
    j->start_wall = wall;
    j->kind = EXIT_EXITED;
    if (own_limit)
        limit = (double)spec->walltime;
    if (!(run <= limit)) { /* a NaN too, though sim_run_time gives none */
        j->at_max = !own_limit;
        run = limit;
        j->kind = EXIT_TIMEOUT;
    }
    j->end = mono + run;
    if (heap_push (s, j->end, id) < 0) {
        free (j);
        errno = ENOMEM;
        return -1;
    }
    HASH_ADD (hh, s->jobs, id, sizeof (j->id), j);
    return 0;
}

int sim_kill (sim_t *s, uint64_t id, double mono)
{
    sim_job_t *j;

    HASH_FIND (hh, s->jobs, &id, sizeof (id), j);
    if (!j) {
        errno = ENOENT;
        return -1;
    }
    if (heap_push (s, mono, id) < 0) {
        errno = ENOMEM;
        return -1;
    }
    j->end = mono;
    j->kind = EXIT_CANCELLED;
    return 0;
}

double sim_next (const sim_t *s)
{
    sim_job_t *j = heap_top ((sim_t *)s);

    return j ? j->end : -1;
}

int sim_take_due (sim_t *s, double mono, double wall, msg_job_exit_t *e)
{
    sim_job_t *j = heap_top (s);
    double ran;

    if (!j || j->end > mono)
        return 0;
    heap_pop (s);
    HASH_DEL (s->jobs, j);
    ran = j->end - j->start_mono;
    *e = (msg_job_exit_t){.id = j->id, .kind = j->kind};
    e->start_time = j->start_wall;
    /* A report read late still says when the job ended. */
    e->end_time = j->start_wall + ran < wall ? j->start_wall + ran : wall;
    if (j->kind == EXIT_EXITED)
        snprintf (e->text, sizeof (e->text), "simulated: exited 0 after %.3fs", ran);
    else if (j->kind == EXIT_TIMEOUT && j->at_max)
        snprintf (e->text, sizeof (e->text),
                  "simulated: the longest simulated run (%.0fs) reached", ran);
    else if (j->kind == EXIT_TIMEOUT)
        snprintf (e->text, sizeof (e->text),
                  "simulated: wall-time limit reached after %.3fs", ran);
    else
        snprintf (e->text, sizeof (e->text), "simulated: cancelled after %.3fs", ran);
    free (j);
    return 1;
}

uint32_t sim_count (const sim_t *s)
{
    return (uint32_t)HASH_COUNT (s->jobs);
}
