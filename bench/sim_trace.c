/* sim_trace.c: reading, ordering and fitting a trace for cphub-sim (see
 * sim_trace.h). A data line is the 18 numeric fields of the Standard
 * Workload Format: job submit wait run alloc cpu mem req_procs req_time
 * req_mem status user ...; a job asks req_procs (else alloc) processors for
 * req_time seconds and runs its run time, capped at req_time as the hub
 * would kill it.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bench/sim_trace.h"
#include "cphub/jobspec.h"

#define SWF_FIELDS 18
#define SWF_USER_FIELD 11 /* from 0 */
#define SWF_PROCS_MAX 1e6
#define SWF_REQ_TIME_MAX 1e9
#define TRACE_LINE_MAX 4096
#define TRACE_FIRST_JOBS 4096

static void trace_header (sim_trace_t *t, const char *line)
{
    unsigned v;

    if (sscanf (line, "; MaxProcs: %u", &v) == 1)
        t->max_procs = v;
    else if (sscanf (line, "; MaxNodes: %u", &v) == 1 && t->max_procs == 0)
        t->max_procs = v;
}

/* Room for one more job at the end: its slot, or NULL/ENOMEM. */
static sim_job_t *trace_slot (sim_trace_t *t)
{
    if (t->njobs == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : TRACE_FIRST_JOBS;
        sim_job_t *grown = reallocarray (t->jobs, cap, sizeof (*grown));
        if (!grown)
            return NULL;
        t->jobs = grown;
        t->cap = cap;
    }
    return &t->jobs[t->njobs++];
}

static int trace_record (sim_trace_t *t, const char *line)
{
    double f[SWF_FIELDS];
    int n = 0;
    const char *p = line;
    char *end;

    while (n < SWF_FIELDS) {
        f[n] = strtod (p, &end);
        if (end == p)
            break;
        p = end;
        n++;
    }
    if (n == 0)
        return 0; /* blank line */
    uint32_t record = t->records++;
    double submit = f[1], run = n > 3 ? f[3] : -1;
    double procs = n > 7 && f[7] > 0 ? f[7] : (n > 4 ? f[4] : -1);
    double req = n > 8 ? f[8] : -1;
    if (n <= SWF_USER_FIELD || submit < 0 || run < 0 || procs <= 0 || req <= 0 ||
        procs > SWF_PROCS_MAX || req > SWF_REQ_TIME_MAX) {
        t->unknown++;
        return 0;
    }
    sim_job_t *job = trace_slot (t);
    if (!job)
        return -1;
    *job = (sim_job_t){
        .submit = submit,
        .run = run,
        .walltime = (int64_t)ceil (req),
        .procs = (uint32_t)procs,
        .user = f[SWF_USER_FIELD] > 0 ? (uint32_t)f[SWF_USER_FIELD] : 0,
        .record = record,
        .start = -1,
    };
    if (job->run > (double)job->walltime) {
        job->run = (double)job->walltime;
        t->capped++;
    }
    return 0;
}

int sim_trace_line (sim_trace_t *t, const char *line)
{
    if (line[0] == ';') {
        trace_header (t, line);
        return 0;
    }
    return trace_record (t, line);
}

/* By submit time, then by position in the trace: qsort alone leaves equal
 * submits in any order, and the core numbers jobs in submit order. */
static int job_cmp (const void *a, const void *b)
{
    const sim_job_t *x = a, *y = b;

    if (x->submit != y->submit)
        return x->submit < y->submit ? -1 : 1;
    return x->record < y->record ? -1 : x->record > y->record;
}

void sim_trace_order (sim_trace_t *t)
{
    qsort (t->jobs, t->njobs, sizeof (*t->jobs), job_cmp);
}

int sim_trace_load (const char *path, sim_trace_t *t)
{
    gzFile in = gzopen (path, "rb");
    char line[TRACE_LINE_MAX];
    int errnum;

    if (!in) {
        fprintf (stderr, "cphub-sim: cannot open %s: %s\n", path,
                 errno ? strerror (errno) : "out of memory");
        return -1;
    }
    while (gzgets (in, line, sizeof (line))) {
        if (sim_trace_line (t, line) < 0) {
            fprintf (stderr, "cphub-sim: out of memory reading %s\n", path);
            goto error;
        }
    }
    const char *msg = gzerror (in, &errnum);
    if (errnum != Z_OK && errnum != Z_STREAM_END) {
        fprintf (stderr, "cphub-sim: %s: %s\n", path, msg);
        goto error;
    }
    gzclose (in);
    sim_trace_order (t);
    return 0;
error:
    gzclose (in);
    return -1;
}

void sim_trace_fit (sim_trace_t *t, uint32_t nodes, uint32_t cores, uint32_t limit)
{
    uint32_t kept = 0;

    for (uint32_t i = 0; i < t->njobs; i++) {
        const sim_job_t *job = &t->jobs[i];
        if (job->procs > (uint64_t)nodes * cores) {
            t->too_large++;
            continue;
        }
        if ((job->procs + (uint64_t)cores - 1) / cores > JOBSPEC_NODES_MAX) {
            t->too_wide++;
            continue;
        }
        if (limit && kept == limit)
            break;
        t->jobs[kept++] = *job;
    }
    t->njobs = kept;
}

void sim_trace_clear (sim_trace_t *t)
{
    free (t->jobs);
    *t = (sim_trace_t){0};
}
