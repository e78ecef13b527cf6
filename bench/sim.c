/* sim.c: cphub-sim, a trace-driven simulator of the scheduling core.
 *
 *     cphub-sim TRACE.swf[.gz] [--policy fifo|easy|conservative]
 *               [--reservations N] [--nodes N --cores-per-node C]
 *               [--fairshare] [--limit N] [--json] [--per-job FILE]
 *
 * It replays a Standard Workload Format trace (the Parallel Workloads
 * Archive's format; gzip is read through zlib) through the SAME core the
 * daemon runs (sched.h), in virtual time: each job is submitted at its
 * submit time with its requested processors and requested time (the wall
 * time), the core's decisions are drained after every tick, and a started
 * job's exit is fed back at start + its actual run time (capped by the wall
 * time, as the hub would kill it). Records with an unknown submit time, run
 * time, processor count or requested time are skipped, and so are jobs
 * larger than the cluster and jobs spanning more nodes than a job may; all
 * are counted (sim_trace.h reads, orders and fits the trace).
 *
 * The cluster is, by default, one node with as many cores as the header's
 * MaxProcs: a pool of processors, as the traces' own machines allocated
 * them. --nodes N --cores-per-node C gives N nodes of C cores instead; a job
 * asking more than C processors then spans ceil(procs / C) nodes. Jobs are
 * ordered first come, first served (equal priority, id order: submit time,
 * then trace order) unless
 * --fairshare gives every trace user a tenant and the daemon's default
 * priority weights. It prints utilization (busy core-seconds over cores x
 * makespan), mean and median wait, mean bounded slowdown (run time bounded
 * below by 10 s) and the makespan (first submit to last end), as a table or
 * JSON; --per-job writes every job's record, submit, start and end, to
 * compare two replays job for job.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "bench/sim_trace.h"
#include "scheduler/core/sched.h"

#define BSLD_BOUND 10.0

typedef struct sim_event {
    double time;
    uint32_t job; /* index in jobs */
} sim_event_t;

typedef struct sim_opts {
    const char *trace;
    sched_backfill_t policy;
    uint32_t reservations;
    uint32_t nodes;          /* 0 = from the header */
    uint32_t cores_per_node; /* 0 = from the header */
    bool fairshare;
    bool json;
    uint32_t limit;      /* replay only the first N usable jobs; 0 = all */
    const char *per_job; /* file for one line per job, or NULL */
} sim_opts_t;

/* The simulation's state, one per run. */
typedef struct sim {
    sched_t *core;
    sim_trace_t *trace;
    uint32_t nodes, cores;
    sim_event_t *heap; /* exits, earliest first */
    uint32_t nheap;
    uint64_t first_id;
    uint32_t started, ended;
    bool fairshare;
} sim_t;

/* --- exits, earliest first --------------------------------------------------- */

static bool sim_before (const sim_event_t *a, const sim_event_t *b)
{
    return a->time < b->time || (a->time == b->time && a->job < b->job);
}

static void sim_heap_push (sim_t *sim, sim_event_t ev)
{
    uint32_t i = sim->nheap++;

    while (i > 0 && sim_before (&ev, &sim->heap[(i - 1) / 2])) {
        sim->heap[i] = sim->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    sim->heap[i] = ev;
}

static sim_event_t sim_heap_pop (sim_t *sim)
{
    sim_event_t top = sim->heap[0], last = sim->heap[--sim->nheap];
    uint32_t i = 0;

    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= sim->nheap)
            break;
        if (c + 1 < sim->nheap && sim_before (&sim->heap[c + 1], &sim->heap[c]))
            c++;
        if (!sim_before (&sim->heap[c], &last))
            break;
        sim->heap[i] = sim->heap[c];
        i = c;
    }
    if (sim->nheap > 0)
        sim->heap[i] = last;
    return top;
}

/* --- the cluster and the replay ---------------------------------------------- */

static int sim_add_node (sim_t *sim, uint32_t index)
{
    node_desc_t d;
    cphub_error_t err = {{0}};
    int rc = -1;

    node_desc_init (&d);
    snprintf (d.name, sizeof (d.name), "sim%05" PRIu32, index);
    d.npackages = d.nnuma = 1;
    d.ncores = sim->cores;
    d.mem = 1ULL << 40;
    if (!(d.numa_mem = calloc (1, sizeof (*d.numa_mem))) ||
        !(d.cores = calloc (sim->cores, sizeof (*d.cores))))
        goto done;
    d.numa_mem[0] = d.mem;
    for (uint32_t c = 0; c < sim->cores; c++)
        snprintf (d.cores[c].pus, sizeof (d.cores[c].pus), "%" PRIu32, c);
    if ((rc = sched_node_register (sim->core, &d, 0, &err)) < 0)
        fprintf (stderr, "cphub-sim: node %s: %s\n", d.name, err.text);
done:
    node_desc_clear (&d);
    return rc;
}

static int sim_submit (sim_t *sim, uint32_t i)
{
    const sim_job_t *job = &sim->trace->jobs[i];
    jobspec_t spec;
    char *argv[] = {"sim", NULL};
    char tenant[32];
    cphub_error_t err = {{0}};
    uint64_t id;

    jobspec_init (&spec);
    if (jobspec_set_argv (&spec, 1, argv, &err) < 0)
        goto error;
    spec.ntasks = job->procs;
    spec.walltime = job->walltime;
    if (job->procs > sim->cores)
        spec.nodes = (job->procs + sim->cores - 1) / sim->cores;
    if (sim->fairshare)
        snprintf (tenant, sizeof (tenant), "user%" PRIu32, job->user);
    else
        snprintf (tenant, sizeof (tenant), "trace");
    if (sched_job_submit (sim->core, tenant, &spec, job->submit, &id, &err) < 0)
        goto error;
    if (id != sim->first_id + i) {
        fprintf (stderr,
                 "cphub-sim: the core gave id %" PRIu64 " to record %" PRIu32 "\n", id,
                 i);
        jobspec_clear (&spec);
        return -1;
    }
    jobspec_clear (&spec);
    return 0;
error:
    fprintf (stderr, "cphub-sim: job %" PRIu32 " (%" PRIu32 " procs): %s\n", i,
             job->procs, err.text);
    jobspec_clear (&spec);
    return -1;
}

/* Act on the core's decisions at now: a start schedules the exit. */
static void sim_decide (sim_t *sim, double now)
{
    sched_decision_t d;

    while (sched_next (sim->core, &d)) {
        if (d.action != SCHED_START)
            continue;
        uint32_t i = (uint32_t)(d.job_id - sim->first_id);
        sim_job_t *job = &sim->trace->jobs[i];
        job->start = now;
        sim->started++;
        sim_heap_push (sim, (sim_event_t){now + job->run, i});
    }
}

static int sim_exit (sim_t *sim, const sim_event_t *ev)
{
    sim_job_t *job = &sim->trace->jobs[ev->job];
    uint64_t id = sim->first_id + ev->job;
    sched_job_t *sj = sched_job_lookup (sim->core, id);
    sched_exit_t ex = {.id = id, .kind = SCHED_EXIT_EXITED, .end_time = ev->time};

    if (!sj || sched_job_exited (sim->core, sj->alloc.node, &ex, ev->time) < 0) {
        fprintf (stderr, "cphub-sim: the core refused the exit of job %" PRIu64 "\n",
                 id);
        return -1;
    }
    job->end = ev->time;
    sim->ended++;
    /* forget it: the core's memory stays that of the queue */
    if (sched_job_forget (sim->core, id) < 0) {
        fprintf (stderr, "cphub-sim: job %" PRIu64 " did not end\n", id);
        return -1;
    }
    return 0;
}

static int sim_run (sim_t *sim)
{
    uint32_t next = 0, n = sim->trace->njobs;

    while (next < n || sim->nheap > 0) {
        double now = next < n ? sim->trace->jobs[next].submit : INFINITY;
        if (sim->nheap > 0 && sim->heap[0].time < now)
            now = sim->heap[0].time;
        while (sim->nheap > 0 && sim->heap[0].time <= now) {
            sim_event_t ev = sim_heap_pop (sim);
            if (sim_exit (sim, &ev) < 0)
                return -1;
        }
        while (next < n && sim->trace->jobs[next].submit <= now)
            if (sim_submit (sim, next++) < 0)
                return -1;
        sched_tick (sim->core, now);
        sim_decide (sim, now);
        if (sim->nheap == 0 && next == n && sim->started < n) {
            fprintf (stderr,
                     "cphub-sim: %" PRIu32
                     " jobs can never start on this cluster "
                     "(the core cannot place them)\n",
                     n - sim->started);
            return -1;
        }
    }
    return 0;
}

/* --- results ------------------------------------------------------------------ */

typedef struct sim_result {
    double utilization;
    double mean_wait, median_wait;
    double mean_bsld;
    double makespan;
    double seconds; /* wall clock */
} sim_result_t;

static int dbl_cmp (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static int sim_measure (const sim_t *sim, sim_result_t *r)
{
    const sim_trace_t *t = sim->trace;
    double *waits = malloc ((t->njobs ? t->njobs : 1) * sizeof (*waits));
    double busy = 0, first = INFINITY, last = 0, wsum = 0, bsum = 0;

    if (!waits)
        return -1;
    for (uint32_t i = 0; i < t->njobs; i++) {
        const sim_job_t *j = &t->jobs[i];
        double wait = j->start - j->submit;
        waits[i] = wait;
        wsum += wait;
        bsum += fmax ((wait + j->run) / fmax (j->run, BSLD_BOUND), 1.0);
        busy += j->procs * j->run;
        first = fmin (first, j->submit);
        last = fmax (last, j->end);
    }
    qsort (waits, t->njobs, sizeof (*waits), dbl_cmp);
    r->makespan = t->njobs ? last - first : 0;
    r->utilization =
        r->makespan > 0 ? busy / ((double)sim->nodes * sim->cores * r->makespan) : 0;
    r->mean_wait = t->njobs ? wsum / t->njobs : 0;
    r->median_wait = !t->njobs ? 0
                     : t->njobs % 2 == 1
                         ? waits[t->njobs / 2]
                         : (waits[t->njobs / 2 - 1] + waits[t->njobs / 2]) / 2;
    r->mean_bsld = t->njobs ? bsum / t->njobs : 0;
    free (waits);
    return 0;
}

static void sim_print (const sim_opts_t *o, const sim_t *sim, const sim_result_t *r)
{
    const sim_trace_t *t = sim->trace;
    const char *policy = sched_backfill_name (o->policy);

    if (o->json) {
        printf ("{\n  \"trace\": \"%s\",\n  \"policy\": \"%s\",\n", o->trace, policy);
        printf ("  \"nodes\": %" PRIu32 ",\n  \"cores_per_node\": %" PRIu32 ",\n",
                sim->nodes, sim->cores);
        printf ("  \"fairshare\": %s,\n", o->fairshare ? "true" : "false");
        printf ("  \"records\": %" PRIu32 ",\n  \"jobs\": %" PRIu32 ",\n", t->records,
                t->njobs);
        printf ("  \"skipped_unknown\": %" PRIu32 ",\n  \"skipped_too_large\": %" PRIu32
                ",\n  \"skipped_too_wide\": %" PRIu32 ",\n",
                t->unknown, t->too_large, t->too_wide);
        printf ("  \"runtime_capped\": %" PRIu32 ",\n", t->capped);
        printf ("  \"utilization\": %.6f,\n  \"mean_wait\": %.3f,\n", r->utilization,
                r->mean_wait);
        printf ("  \"median_wait\": %.3f,\n  \"mean_bounded_slowdown\": %.4f,\n",
                r->median_wait, r->mean_bsld);
        printf ("  \"makespan\": %.0f,\n  \"sim_seconds\": %.3f\n}\n", r->makespan,
                r->seconds);
        return;
    }
    printf ("%-26s %s\n", "trace", o->trace);
    printf (
        "%-26s %s%s\n", "policy", policy,
        o->fairshare ? " (fair share between users)" : " (first come, first served)");
    printf ("%-26s %" PRIu32 " node%s x %" PRIu32 " cores\n", "cluster", sim->nodes,
            sim->nodes == 1 ? "" : "s", sim->cores);
    printf ("%-26s %" PRIu32 " of %" PRIu32 " records (skipped: %" PRIu32
            " with unknown values, %" PRIu32 " larger than the cluster, %" PRIu32
            " spanning more than %d nodes; %" PRIu32
            " run times capped at the requested time)\n",
            "jobs", t->njobs, t->records, t->unknown, t->too_large, t->too_wide,
            JOBSPEC_NODES_MAX, t->capped);
    printf ("%-26s %.2f %%\n", "utilization", 100 * r->utilization);
    printf ("%-26s %.0f s\n", "mean wait", r->mean_wait);
    printf ("%-26s %.0f s\n", "median wait", r->median_wait);
    printf ("%-26s %.2f\n", "mean bounded slowdown", r->mean_bsld);
    printf ("%-26s %.0f s (%.1f days)\n", "makespan", r->makespan, r->makespan / 86400);
    printf ("%-26s %.2f s\n", "simulated in", r->seconds);
}

/* One line per job in trace order of submits: record submit start end. */
static int sim_per_job (const char *path, const sim_trace_t *t)
{
    FILE *out = fopen (path, "w");

    if (!out) {
        fprintf (stderr, "cphub-sim: %s: %s\n", path, strerror (errno));
        return -1;
    }
    for (uint32_t i = 0; i < t->njobs; i++)
        fprintf (out, "%" PRIu32 " %.0f %.3f %.3f\n", t->jobs[i].record,
                 t->jobs[i].submit, t->jobs[i].start, t->jobs[i].end);
    if (fclose (out) != 0) {
        fprintf (stderr, "cphub-sim: %s: %s\n", path, strerror (errno));
        return -1;
    }
    return 0;
}

/* --- main ---------------------------------------------------------------------- */

static void sim_usage (FILE *out)
{
    fprintf (
        out,
        "usage: cphub-sim TRACE.swf[.gz] [--policy fifo|easy|conservative]\n"
        "                 [--reservations N] [--nodes N --cores-per-node C]\n"
        "                 [--fairshare] [--limit N] [--json] [--per-job FILE]\n"
        "Replay a Standard Workload Format trace through the scheduling core in\n"
        "virtual time and print utilization, waits, bounded slowdown, makespan.\n"
        "  -p, --policy P          backfill policy (default easy)\n"
        "  -r, --reservations N    conservative: jobs reserved ahead (default 16)\n"
        "  -n, --nodes N           nodes (default 1: one pool of MaxProcs cores)\n"
        "  -c, --cores-per-node C  cores per node (default MaxProcs / nodes)\n"
        "      --fairshare         one tenant per trace user, default weights\n"
        "                          (default: first come, first served)\n"
        "      --limit N           replay the first N usable jobs only\n"
        "      --json              print the results as JSON\n"
        "      --per-job FILE      write each job's trace record (from 0), submit,\n"
        "                          start and end to FILE, one job a line\n");
}

static int sim_parse_u32 (const char *opt, const char *s, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul (s, &end, 10);

    if (end == s || *end != '\0' || v == 0 || v > 1000000) {
        fprintf (stderr, "cphub-sim: %s: '%s' is not a count from 1 to 1000000\n", opt,
                 s);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int sim_parse (int argc, char **argv, sim_opts_t *o)
{
    enum { OPT_FAIRSHARE = 256, OPT_LIMIT, OPT_JSON, OPT_PER_JOB };
    static const struct option options[] = {
        {"policy", required_argument, NULL, 'p'},
        {"reservations", required_argument, NULL, 'r'},
        {"nodes", required_argument, NULL, 'n'},
        {"cores-per-node", required_argument, NULL, 'c'},
        {"fairshare", no_argument, NULL, OPT_FAIRSHARE},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"json", no_argument, NULL, OPT_JSON},
        {"per-job", required_argument, NULL, OPT_PER_JOB},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    o->policy = SCHED_BACKFILL_EASY;
    while ((opt = getopt_long (argc, argv, "p:r:n:c:h", options, NULL)) != -1) {
        switch (opt) {
        case 'p':
            if (sched_backfill_parse (optarg, &o->policy) < 0) {
                fprintf (stderr,
                         "cphub-sim: --policy: '%s' is not a policy; use fifo, easy "
                         "or conservative\n",
                         optarg);
                return -1;
            }
            break;
        case 'r':
            if (sim_parse_u32 ("--reservations", optarg, &o->reservations) < 0)
                return -1;
            break;
        case 'n':
            if (sim_parse_u32 ("--nodes", optarg, &o->nodes) < 0)
                return -1;
            break;
        case 'c':
            if (sim_parse_u32 ("--cores-per-node", optarg, &o->cores_per_node) < 0)
                return -1;
            if (o->cores_per_node > NODE_CORES_MAX) {
                fprintf (stderr, "cphub-sim: --cores-per-node: at most %d\n",
                         NODE_CORES_MAX);
                return -1;
            }
            break;
        case OPT_FAIRSHARE:
            o->fairshare = true;
            break;
        case OPT_LIMIT:
            if (sim_parse_u32 ("--limit", optarg, &o->limit) < 0)
                return -1;
            break;
        case OPT_JSON:
            o->json = true;
            break;
        case OPT_PER_JOB:
            o->per_job = optarg;
            break;
        case 'h':
            sim_usage (stdout);
            exit (0);
        default:
            sim_usage (stderr);
            return -1;
        }
    }
    if (argc - optind != 1) {
        fprintf (stderr, "cphub-sim: give one trace file\n");
        sim_usage (stderr);
        return -1;
    }
    o->trace = argv[optind];
    return 0;
}

/* The cluster's shape from the options and the header; drop the jobs it
 * cannot run, keep at most limit. */
static int sim_shape (const sim_opts_t *o,
                      sim_trace_t *t,
                      uint32_t *nodes,
                      uint32_t *cores)
{
    *nodes = o->nodes ? o->nodes : 1;
    if (o->cores_per_node) {
        *cores = o->cores_per_node;
    } else if (t->max_procs > 0) {
        *cores = (t->max_procs + *nodes - 1) / *nodes;
    } else {
        fprintf (stderr,
                 "cphub-sim: %s has no MaxProcs header; give --nodes and "
                 "--cores-per-node\n",
                 o->trace);
        return -1;
    }
    if (*cores > NODE_CORES_MAX) {
        fprintf (stderr,
                 "cphub-sim: %" PRIu32
                 " cores per node is more than %d; give "
                 "more --nodes\n",
                 *cores, NODE_CORES_MAX);
        return -1;
    }
    sim_trace_fit (t, *nodes, *cores, o->limit);
    return 0;
}

int main (int argc, char **argv)
{
    sim_opts_t o = {0};
    sim_trace_t trace = {0};
    sim_t sim = {0};
    sim_result_t r = {0};
    struct timespec t0, t1;
    int status = 1;

    if (sim_parse (argc, argv, &o) < 0)
        return 2;
    if (sim_trace_load (o.trace, &trace) < 0 ||
        sim_shape (&o, &trace, &sim.nodes, &sim.cores) < 0)
        goto done;
    sched_config_t cfg = {
        .default_walltime = 3600,
        .max_walltime = 0, /* the trace's requests are what they are */
        .heartbeat_timeout = 0,
        .backfill = o.policy,
        .backfill_reservations = o.reservations,
    };
    if (o.fairshare) {
        cfg.weight_fairshare = 10000;
        cfg.weight_age = 1000;
        cfg.weight_size = 100;
    }
    sim.trace = &trace;
    sim.fairshare = o.fairshare;
    sim.first_id = 1;
    if (!(sim.core = sched_create (&cfg)) ||
        !(sim.heap = malloc ((trace.njobs ? trace.njobs : 1) * sizeof (*sim.heap)))) {
        fprintf (stderr, "cphub-sim: out of memory\n");
        goto done;
    }
    for (uint32_t i = 0; i < sim.nodes; i++)
        if (sim_add_node (&sim, i) < 0)
            goto done;
    sim_decide (&sim, 0);
    clock_gettime (CLOCK_MONOTONIC, &t0);
    if (sim_run (&sim) < 0)
        goto done;
    clock_gettime (CLOCK_MONOTONIC, &t1);
    if (sim_measure (&sim, &r) < 0) {
        fprintf (stderr, "cphub-sim: out of memory\n");
        goto done;
    }
    r.seconds =
        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (o.per_job && sim_per_job (o.per_job, &trace) < 0)
        goto done;
    sim_print (&o, &sim, &r);
    status = 0;
done:
    sched_destroy (sim.core);
    free (sim.heap);
    sim_trace_clear (&trace);
    return status;
}
