/* core-scale.c: bench/core-scale, the scheduling core at hub scale.
 *
 *     bench/core-scale [--nodes N] [--jobs N] [--policy fifo|easy|conservative]
 *                      [--seed S]
 *
 * Builds, in virtual time and through sched.h only, a cluster of 10,000
 * heterogeneous nodes (four kinds: 16, 32 and 64 cores, and 48 cores with
 * 4 GPUs, each with its own NUMA layout and memory) and fills it with
 * running jobs, then queues 100,000 pending jobs of mixed sizes (1 to 64
 * cores, some with GPUs or memory, wall times from 10 minutes to a day, 20
 * tenants). Then it measures:
 *   - the first pass over the full queue (nothing fits: ordering by
 *     priority, one reservation, every job's reason and position);
 *   - passes after 1% of the running jobs ended (backfill starts what fits
 *     without delaying the reservation), as time per pass and per decision;
 *   - memory: heap bytes per pending job (mallinfo2 before and after
 *     queueing them; the pass's scratch arrays counted after a pass) and
 *     the peak resident set.
 * Times are CPU time of the (single-threaded) process, so that other work
 * on the machine does not inflate them.
 * It prints the numbers; it is a benchmark, not a test.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "scheduler/core/sched.h"

#define GIB (1024ULL * 1024 * 1024)

typedef struct bench_opts {
    uint32_t nodes;
    uint32_t jobs;
    sched_backfill_t policy;
    uint64_t seed;
} bench_opts_t;

typedef struct node_kind {
    uint32_t nnuma;
    uint32_t per_numa;
    uint32_t gpus;
    uint64_t mem;
    uint32_t percent; /* of the nodes */
} node_kind_t;

static const node_kind_t node_kinds[] = {
    {.nnuma = 1, .per_numa = 16, .gpus = 0, .mem = 64 * GIB, .percent = 30},
    {.nnuma = 2, .per_numa = 16, .gpus = 0, .mem = 128 * GIB, .percent = 40},
    {.nnuma = 4, .per_numa = 16, .gpus = 0, .mem = 256 * GIB, .percent = 20},
    {.nnuma = 2, .per_numa = 24, .gpus = 4, .mem = 512 * GIB, .percent = 10},
};

/* xorshift64*: the same jobs for the same seed. */
static uint64_t bench_rand (uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 2685821657736338717ULL;
}

/* CPU time of this process: what a pass costs, without the time the
 * machine gave to other processes meanwhile (the benchmark is one thread). */
static double bench_now (void)
{
    struct timespec ts;

    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_node (sched_t *s, uint32_t i, const node_kind_t *k)
{
    node_desc_t d;
    cphub_error_t err = {{0}};
    int rc = -1;

    node_desc_init (&d);
    snprintf (d.name, sizeof (d.name), "node%05" PRIu32, i);
    d.npackages = k->nnuma > 1 ? 2 : 1;
    d.nnuma = k->nnuma;
    d.ncores = k->nnuma * k->per_numa;
    d.ngpus = k->gpus;
    d.mem = k->mem;
    snprintf (d.features, sizeof (d.features), "%s", k->gpus ? "gpu" : "");
    if (!(d.numa_mem = calloc (d.nnuma, sizeof (*d.numa_mem))) ||
        !(d.cores = calloc (d.ncores, sizeof (*d.cores))) ||
        (d.ngpus && !(d.gpus = calloc (d.ngpus, sizeof (*d.gpus)))))
        goto done;
    for (uint32_t n = 0; n < d.nnuma; n++)
        d.numa_mem[n] = d.mem / d.nnuma;
    for (uint32_t c = 0; c < d.ncores; c++) {
        d.cores[c].numa = c / k->per_numa;
        d.cores[c].package = d.cores[c].numa * d.npackages / d.nnuma;
        d.cores[c].l3 = c / 8;
        snprintf (d.cores[c].pus, sizeof (d.cores[c].pus), "%" PRIu32, c);
    }
    for (uint32_t g = 0; g < d.ngpus; g++) {
        snprintf (d.gpus[g].name, sizeof (d.gpus[g].name), "gpu%" PRIu32, g);
        d.gpus[g].numa = g * d.nnuma / d.ngpus;
    }
    if ((rc = sched_node_register (s, &d, 0, &err)) < 0)
        fprintf (stderr, "core-scale: %s: %s\n", d.name, err.text);
done:
    node_desc_clear (&d);
    return rc;
}

/* One job of a mixed size: mostly small, some whole-socket and larger,
 * a few with GPUs or memory. */
static int bench_submit (sched_t *s, uint64_t *rng, double now, uint64_t *id)
{
    static const uint32_t sizes[] = {1, 1, 1, 2, 2, 4, 4, 8, 8, 16, 32, 64};
    static const char *const argv[] = {"sleep", "60", NULL};
    jobspec_t spec;
    cphub_error_t err = {{0}};
    char tenant[16];
    uint64_t r = bench_rand (rng);

    jobspec_init (&spec);
    if (jobspec_set_argv (&spec, 2, (char *const *)argv, &err) < 0)
        goto error;
    spec.ntasks = sizes[r % (sizeof (sizes) / sizeof (sizes[0]))];
    spec.walltime = 600 + (int64_t)((r >> 8) % 86400);
    if ((r >> 32) % 20 == 0) {
        spec.gpus = 1 + (uint32_t)((r >> 40) % 2);
        if (spec.ntasks > 32) /* GPU nodes have 48 cores */
            spec.ntasks = 32;
    }
    if ((r >> 32) % 7 == 0)
        spec.mem = spec.ntasks * 2 * GIB;
    snprintf (tenant, sizeof (tenant), "tenant%02u", (unsigned)((r >> 48) % 20));
    if (sched_job_submit (s, tenant, &spec, now, id, &err) < 0)
        goto error;
    jobspec_clear (&spec);
    return 0;
error:
    fprintf (stderr, "core-scale: submit: %s\n", err.text);
    jobspec_clear (&spec);
    return -1;
}

/* Drain decisions; count starts and remember the started ids. */
static uint32_t bench_drain (sched_t *s,
                             uint64_t **started,
                             uint32_t *nstarted,
                             size_t *cap)
{
    sched_decision_t d;
    uint32_t n = 0;

    while (sched_next (s, &d)) {
        if (d.action != SCHED_START)
            continue;
        n++;
        if (*nstarted == *cap) {
            size_t ncap = *cap ? *cap * 2 : 1024;
            uint64_t *grown = realloc (*started, ncap * sizeof (*grown));
            if (!grown)
                continue;
            *started = grown;
            *cap = ncap;
        }
        (*started)[(*nstarted)++] = d.job_id;
    }
    return n;
}

static int bench_parse (int argc, char **argv, bench_opts_t *o)
{
    static const struct option options[] = {
        {"nodes", required_argument, NULL, 'n'},
        {"jobs", required_argument, NULL, 'j'},
        {"policy", required_argument, NULL, 'p'},
        {"seed", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    o->nodes = 10000;
    o->jobs = 100000;
    o->policy = SCHED_BACKFILL_EASY;
    o->seed = 42;
    while ((opt = getopt_long (argc, argv, "n:j:p:s:", options, NULL)) != -1) {
        switch (opt) {
        case 'n':
            o->nodes = (uint32_t)strtoul (optarg, NULL, 10);
            break;
        case 'j':
            o->jobs = (uint32_t)strtoul (optarg, NULL, 10);
            break;
        case 'p':
            if (sched_backfill_parse (optarg, &o->policy) < 0) {
                fprintf (stderr, "core-scale: --policy fifo|easy|conservative\n");
                return -1;
            }
            break;
        case 's':
            o->seed = strtoull (optarg, NULL, 10) | 1;
            break;
        default:
            fprintf (stderr,
                     "usage: core-scale [--nodes N] [--jobs N] "
                     "[--policy fifo|easy|conservative] [--seed S]\n");
            return -1;
        }
    }
    if (o->nodes == 0 || o->jobs == 0) {
        fprintf (stderr, "core-scale: --nodes and --jobs must be at least 1\n");
        return -1;
    }
    return 0;
}

int main (int argc, char **argv)
{
    bench_opts_t o;
    sched_config_t cfg = {
        .default_walltime = 3600,
        .max_walltime = 7 * 86400,
        .weight_fairshare = 10000,
        .weight_age = 1000,
        .weight_size = 100,
    };
    uint64_t *started = NULL, rng, id;
    uint32_t nstarted = 0, filled = 0;
    size_t cap = 0;
    int status = 1;
    sched_t *s = NULL;

    if (bench_parse (argc, argv, &o) < 0)
        return 2;
    cfg.backfill = o.policy;
    rng = o.seed;
    if (!(s = sched_create (&cfg)))
        goto done;
    for (uint32_t i = 0, k = 0, in_kind = 0; i < o.nodes; i++, in_kind++) {
        if (in_kind * 100 >= node_kinds[k].percent * o.nodes &&
            k + 1 < sizeof (node_kinds) / sizeof (node_kinds[0])) {
            k++;
            in_kind = 0;
        }
        if (bench_node (s, i, &node_kinds[k]) < 0)
            goto done;
    }
    bench_drain (s, &started, &nstarted, &cap);

    /* fill the cluster: submit and tick until a pass starts nothing */
    double now = 1, fill_time = 0;
    for (;;) {
        for (uint32_t i = 0; i < 20000; i++)
            if (bench_submit (s, &rng, now, &id) < 0)
                goto done;
        double f0 = bench_now ();
        sched_tick (s, now);
        fill_time += bench_now () - f0;
        uint32_t n = bench_drain (s, &started, &nstarted, &cap);
        filled += n;
        now += 1;
        if (n == 0)
            break;
    }
    /* cancel what is still pending, so that exactly o.jobs wait below */
    for (sched_job_t *j = sched_job_first (s); j; j = sched_job_next (s, j))
        if (j->state == JOB_PENDING)
            (void)sched_job_cancel (s, j->id, now, NULL);
    for (sched_job_t *j = sched_job_first (s), *next; j; j = next) {
        next = sched_job_next (s, j);
        if (job_state_is_terminal (j->state))
            (void)sched_job_forget (s, j->id);
    }
    bench_drain (s, &started, &nstarted, &cap);
    sched_tick (s, now += 2);
    bench_drain (s, &started, &nstarted, &cap);

    /* the queue */
    struct mallinfo2 m0 = mallinfo2 ();
    for (uint32_t i = 0; i < o.jobs; i++)
        if (bench_submit (s, &rng, now, &id) < 0)
            goto done;
    struct mallinfo2 m1 = mallinfo2 ();
    bench_drain (s, &started, &nstarted, &cap);

    /* pass 1: the full queue, a full cluster */
    now += 5;
    double t0 = bench_now ();
    sched_tick (s, now);
    double full_pass = bench_now () - t0;
    uint32_t n1 = bench_drain (s, &started, &nstarted, &cap);
    struct mallinfo2 m2 = mallinfo2 ();

    /* passes after 1% of the running jobs end, ten times */
    double backfill_total = 0, worst = 0;
    uint32_t decisions = 0, rounds = 10;
    for (uint32_t r = 0; r < rounds; r++) {
        uint32_t ending = filled / 100;
        now += 60;
        for (uint32_t k = 0; k < ending && nstarted > 0; k++) {
            uint32_t pick = (uint32_t)(bench_rand (&rng) % nstarted);
            uint64_t jid = started[pick];
            started[pick] = started[--nstarted];
            sched_job_t *j = sched_job_lookup (s, jid);
            if (!j || j->state != JOB_RUNNING)
                continue;
            sched_exit_t ex = {.id = jid, .kind = SCHED_EXIT_EXITED, .end_time = now};
            (void)sched_job_exited (s, j->alloc.node, &ex, now);
            (void)sched_job_forget (s, jid);
        }
        t0 = bench_now ();
        sched_tick (s, now);
        double dt = bench_now () - t0;
        backfill_total += dt;
        worst = dt > worst ? dt : worst;
        decisions += bench_drain (s, &started, &nstarted, &cap);
    }
    uint32_t pending = 0;
    for (sched_job_t *j = sched_job_first (s); j; j = sched_job_next (s, j))
        pending += j->state == JOB_PENDING;

    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    printf ("core-scale: %" PRIu32
            " nodes (16/32/64 cores, 48 cores + 4 GPUs), "
            "policy %s\n",
            sched_node_count (s), sched_backfill_name (o.policy));
    printf ("  running jobs filling the cluster    %" PRIu32
            " (started by passes taking "
            "%.0f ms: %.2f us per start)\n",
            filled, fill_time * 1e3, filled ? fill_time / filled * 1e6 : 0.0);
    printf ("  pending jobs queued                 %" PRIu32 "\n", o.jobs);
    printf ("  full pass, nothing fits             %.1f ms (%" PRIu32 " started)\n",
            full_pass * 1e3, n1);
    printf (
        "  pass after 1%% of jobs ended         %.1f ms mean, %.1f ms worst, "
        "%" PRIu32 " passes\n",
        backfill_total / rounds * 1e3, worst * 1e3, rounds);
    printf ("  decisions in those passes           %" PRIu32
            " starts; %.0f ns per queued "
            "job per pass\n",
            decisions, backfill_total / rounds / o.jobs * 1e9);
    printf ("  still pending                       %" PRIu32 "\n", pending);
    printf (
        "  heap per queued job                 %.0f bytes (+%.0f of pass scratch)\n",
        (double)(m1.uordblks - m0.uordblks) / o.jobs,
        (double)((long)m2.uordblks - (long)m1.uordblks) / o.jobs);
    printf ("  peak resident set                   %.1f MiB\n", ru.ru_maxrss / 1024.0);
    status = 0;
done:
    sched_destroy (s);
    free (started);
    return status;
}
