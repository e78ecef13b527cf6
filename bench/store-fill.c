/* store-fill.c: writes a scheduler store with many jobs, for bench/recover.
 *
 * It goes through the SQLite store's own API (store.h, store_sqlite.c), so
 * the file is exactly what a scheduler would have written: nodes of 64
 * cores, then N jobs in id order: the oldest ended (COMPLETED, with their
 * accounting records), then RUNNING ones holding one core each on those
 * nodes, then the newest PENDING; and the next job id. Batches of 10,000
 * jobs, synchronous=NORMAL (filling is not what is measured).
 *
 *     store-fill FILE JOBS [RUNNING [PENDING]]
 *
 * The defaults keep `cphub jobs` (pending and running only) small: 1% of the
 * jobs running and 2% pending, so the benchmark measures the restore and not
 * the size of one reply.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cphub/idset.h"
#include "cphub/jobspec.h"
#include "scheduler/store.h"

#define FILL_CORES 64
#define FILL_BATCH 10000

typedef struct fill {
    store_t *st;
    uint64_t njobs;
    uint64_t nrunning;
    uint64_t npending;
    uint32_t nnodes;
    double now;
} fill_t;

static int put_nodes (fill_t *f, cphub_error_t *err)
{
    node_desc_t d;
    uint64_t numa_mem = 64ull << 30;
    int rc = 0;

    node_desc_init (&d);
    if (!(d.cores = calloc (FILL_CORES, sizeof (*d.cores))))
        return cphub_fail (err, ENOMEM, "out of memory");
    d.npackages = 1;
    d.nnuma = 1;
    d.numa_mem = &numa_mem;
    d.ncores = FILL_CORES;
    d.mem = numa_mem;
    snprintf (d.topology, sizeof (d.topology), "synthetic:store-fill");
    for (uint32_t i = 0; i < FILL_CORES; i++)
        snprintf (d.cores[i].pus, sizeof (d.cores[i].pus), "%u", i);
    for (uint32_t n = 0; n < f->nnodes && rc == 0; n++) {
        store_node_t node = {.desc = &d, .state = NODE_UP, .reason = ""};
        snprintf (d.name, sizeof (d.name), "fill%04u", n);
        rc = store_node_put (f->st, &node, err);
    }
    free (d.cores);
    return rc;
}

static int set_ids (idset_t **set, const char *text)
{
    return (*set = idset_decode (text, NULL)) ? 0 : -1;
}

/* Job id (1-based) i, in its state by position. */
static int put_job (fill_t *f, uint64_t id, jobspec_t *spec, cphub_error_t *err)
{
    uint64_t ended = f->njobs - f->nrunning - f->npending;
    sched_job_t job;
    char core[16];
    int rc = -1;

    memset (&job, 0, sizeof (job));
    job.id = id;
    snprintf (job.tenant, sizeof (job.tenant), "tenant-%c", (int)('a' + id % 3));
    job.spec = *spec;
    job.walltime = 3600;
    job.submit_time = f->now - 86400.0 + (double)id * 0.01;
    if (id <= ended) {
        job.state = JOB_COMPLETED;
        job.runs = 1;
        job.start_time = job.submit_time + 0.5;
        job.end_time = job.start_time + 1.0;
        snprintf (job.reason, sizeof (job.reason), "exit 0");
    } else if (id <= ended + f->nrunning) {
        job.state = JOB_RUNNING;
        job.runs = 1;
        job.start_time = job.submit_time + 0.5;
    } else {
        job.state = JOB_PENDING;
        snprintf (job.reason, sizeof (job.reason), "waiting for resources");
    }
    if (job.state != JOB_PENDING) {
        uint64_t slot = id % ((uint64_t)f->nnodes * FILL_CORES);
        if (job.state == JOB_RUNNING)
            slot = id - ended - 1;
        snprintf (job.alloc.node, sizeof (job.alloc.node), "fill%04u",
                  (unsigned)(slot / FILL_CORES));
        snprintf (core, sizeof (core), "%u", (unsigned)(slot % FILL_CORES));
        if (set_ids (&job.alloc.cores, core) < 0 ||
            set_ids (&job.alloc.cpus, core) < 0 || set_ids (&job.alloc.gpus, "") < 0 ||
            set_ids (&job.alloc.mems, "0") < 0) {
            cphub_fail (err, ENOMEM, "out of memory");
            goto done;
        }
    }
    if (store_job_put (f->st, &job, err) < 0)
        goto done;
    if (job.state == JOB_COMPLETED) {
        store_acct_t rec = {.job_id = id,
                            .run = 1,
                            .cores = 1,
                            .start_time = job.start_time,
                            .end_time = job.end_time,
                            .state = JOB_COMPLETED,
                            .core_seconds = 1.0};
        snprintf (rec.tenant, sizeof (rec.tenant), "%s", job.tenant);
        snprintf (rec.node, sizeof (rec.node), "%s", job.alloc.node);
        if (store_acct_append (f->st, &rec, err) < 0)
            goto done;
    }
    rc = 0;
done:
    sched_alloc_clear (&job.alloc);
    return rc;
}

static int fill (fill_t *f, cphub_error_t *err)
{
    char *argv[] = {"sleep", "60", NULL};
    jobspec_t spec;
    int rc = -1;

    jobspec_init (&spec);
    if (jobspec_set_argv (&spec, 2, argv, err) < 0)
        goto done;
    if (store_begin (f->st, err) < 0 || put_nodes (f, err) < 0)
        goto done;
    for (uint64_t id = 1; id <= f->njobs; id++) {
        if (put_job (f, id, &spec, err) < 0)
            goto done;
        if (id % FILL_BATCH == 0 &&
            (store_commit (f->st, err) < 0 || store_begin (f->st, err) < 0))
            goto done;
    }
    /* a filled store is a hub's: the scheduler starts on it without --init */
    store_identity_t hub = {.hub_id = "00000000000000000000000000f111ed", .created = 1};
    if (store_next_id_set (f->st, f->njobs + 1, err) < 0 ||
        store_identity_set (f->st, &hub, err) < 0 || store_commit (f->st, err) < 0)
        goto done;
    rc = 0;
done:
    jobspec_clear (&spec);
    return rc;
}

static int parse_count (const char *s, uint64_t *out)
{
    char *end;

    errno = 0;
    *out = strtoull (s, &end, 10);
    return errno || end == s || *end ? -1 : 0;
}

int main (int argc, char *argv[])
{
    cphub_error_t err = {{0}};
    fill_t f = {0};
    struct timespec ts;

    if (argc < 3 || argc > 5 || parse_count (argv[2], &f.njobs) < 0) {
        fprintf (stderr, "Usage: store-fill FILE JOBS [RUNNING [PENDING]]\n");
        return 2;
    }
    f.nrunning = f.njobs / 100;
    f.npending = f.njobs / 50;
    if ((argc > 3 && parse_count (argv[3], &f.nrunning) < 0) ||
        (argc > 4 && parse_count (argv[4], &f.npending) < 0) ||
        f.nrunning + f.npending > f.njobs) {
        fprintf (stderr, "store-fill: RUNNING + PENDING must be numbers <= JOBS\n");
        return 2;
    }
    f.nnodes = (uint32_t)((f.nrunning + FILL_CORES - 1) / FILL_CORES);
    if (f.nnodes == 0)
        f.nnodes = 1;
    clock_gettime (CLOCK_REALTIME, &ts);
    f.now = (double)ts.tv_sec;
    if (!(f.st = store_sqlite_create (argv[1], STORE_SYNC_NORMAL, &err)) ||
        fill (&f, &err) < 0) {
        fprintf (stderr, "store-fill: %s\n", err.text);
        store_destroy (f.st);
        return 1;
    }
    store_destroy (f.st);
    printf ("%s: %" PRIu64 " jobs (%" PRIu64 " running, %" PRIu64
            " pending) on %u nodes\n",
            argv[1], f.njobs, f.nrunning, f.npending, f.nnodes);
    return 0;
}
