/* core_helpers.h: what the unit tests of the scheduling core share (the
 * test_sched*.c files, test_quota.c, test_priority.c, test_place.c,
 * test_backfill.c): node
 * descriptions, registering nodes, jobspecs and submits, draining decisions,
 * looking jobs up and reporting exits, each asserting that the core took it.
 * Everything is static inline, so that a test program pays only for what it
 * uses.
 *
 * With CORE_HELPERS_FIXTURE defined before the include, also the fixture of
 * the sched tests: one core in `s` (core_setup: the default config;
 * core_teardown frees it) and short forms of the helpers acting on it,
 * including a log of decisions (collect, count, account_of).
 */
#ifndef CPHUB_TESTS_CORE_HELPERS_H
#define CPHUB_TESTS_CORE_HELPERS_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/core/sched.h"

#define GIB (1024ULL * 1024 * 1024)

/* The config most tests run: one hour's default wall time, a week's
 * maximum, nodes DOWN after 30 s without a heartbeat. */
#define CORE_CONFIG_DEFAULT                                                          \
    {                                                                                \
        .default_walltime = 3600, .max_walltime = 7 * 86400, .heartbeat_timeout = 30 \
    }

/* A node of nnuma domains x per_numa cores, l3_per_numa cache groups per
 * domain, pus PUs per core (core c has PUs c, c + ncores, ...), gpus_per_numa
 * GPUs per domain and mem bytes. One package per domain. */
static inline void core_node_desc (node_desc_t *d,
                                   const char *name,
                                   uint32_t nnuma,
                                   uint32_t per_numa,
                                   uint32_t l3_per_numa,
                                   uint32_t pus,
                                   uint32_t gpus_per_numa,
                                   uint64_t mem)
{
    node_desc_init (d);
    snprintf (d->name, sizeof (d->name), "%s", name);
    d->npackages = nnuma;
    d->nnuma = nnuma;
    d->ncores = nnuma * per_numa;
    d->ngpus = nnuma * gpus_per_numa;
    d->mem = mem;
    d->numa_mem = calloc (nnuma, sizeof (*d->numa_mem));
    d->cores = calloc (d->ncores, sizeof (*d->cores));
    d->gpus = d->ngpus ? calloc (d->ngpus, sizeof (*d->gpus)) : NULL;
    cr_assert (d->numa_mem && d->cores);
    for (uint32_t n = 0; n < nnuma; n++)
        d->numa_mem[n] = mem / nnuma;
    for (uint32_t c = 0; c < d->ncores; c++) {
        node_core_t *core = &d->cores[c];
        uint32_t numa = c / per_numa;
        core->package = numa;
        core->numa = numa;
        core->l3 = numa * l3_per_numa + (c % per_numa) / (per_numa / l3_per_numa);
        size_t off = 0;
        for (uint32_t p = 0; p < pus; p++)
            off += (size_t)snprintf (core->pus + off, sizeof (core->pus) - off, "%s%u",
                                     p ? "," : "", c + p * d->ncores);
    }
    for (uint32_t g = 0; g < d->ngpus; g++) {
        snprintf (d->gpus[g].name, sizeof (d->gpus[g].name), "gpu%u", g);
        d->gpus[g].numa = g / gpus_per_numa;
    }
    cr_assert_eq (node_desc_validate (d, NULL), 0, "test topology is valid");
}

/* Register d at now (asserting the core takes it) and clear d. */
static inline void core_register_desc (sched_t *s, node_desc_t *d, double now)
{
    cphub_error_t err = {{0}};

    cr_assert_eq (sched_node_register (s, d, now, &err), 0, "register %s: %s", d->name,
                  err.text);
    node_desc_clear (d);
}

/* Register a node of ncores cores and ngpus GPUs in one domain, 64 GiB. */
static inline void core_register (
    sched_t *s, const char *name, uint32_t ncores, uint32_t ngpus, double now)
{
    node_desc_t d;

    core_node_desc (&d, name, 1, ncores, 1, 1, ngpus, 64 * GIB);
    core_register_desc (s, &d, now);
}

/* A spec running `true` as ntasks tasks of cpus_per_task cores. */
static inline void core_spec (jobspec_t *spec, uint32_t ntasks, uint32_t cpus_per_task)
{
    char *argv[] = {"true", NULL};

    jobspec_init (spec);
    cr_assert_eq (jobspec_set_argv (spec, 1, argv, NULL), 0);
    spec->ntasks = ntasks;
    spec->cpus_per_task = cpus_per_task;
}

/* Submit spec as tenant at now, asserting it is taken: the job's id. */
static inline uint64_t core_submit_spec (sched_t *s,
                                         const char *tenant,
                                         const jobspec_t *spec,
                                         double now)
{
    cphub_error_t err = {{0}};
    uint64_t id = 0;

    cr_assert_eq (sched_job_submit (s, tenant, spec, now, &id, &err), 0, "submit: %s",
                  err.text);
    return id;
}

/* Submit a job of ntasks one-core tasks over nodes nodes (0: the core
 * decides) as tenant (walltime seconds, 0: the default). */
static inline uint64_t core_submit_nodes (sched_t *s,
                                          const char *tenant,
                                          uint32_t ntasks,
                                          uint32_t nodes,
                                          int64_t walltime,
                                          double now)
{
    jobspec_t spec;
    uint64_t id;

    core_spec (&spec, ntasks, 1);
    spec.nodes = nodes;
    spec.walltime = walltime;
    id = core_submit_spec (s, tenant, &spec, now);
    jobspec_clear (&spec);
    return id;
}

/* Submit a job of cores cores (walltime seconds, 0: the default) as tenant. */
static inline uint64_t core_submit (
    sched_t *s, const char *tenant, uint32_t cores, int64_t walltime, double now)
{
    return core_submit_nodes (s, tenant, cores, 0, walltime, now);
}

/* Pop every decision: how many were of kind; the last of them in *last
 * (unless NULL). */
static inline int core_drain (sched_t *s, sched_action_t kind, sched_decision_t *last)
{
    sched_decision_t d;
    int n = 0;

    while (sched_next (s, &d)) {
        if (d.action != kind)
            continue;
        n++;
        if (last)
            *last = d;
    }
    return n;
}

/* Job id, which must exist. */
static inline sched_job_t *core_job (sched_t *s, uint64_t id)
{
    sched_job_t *j = sched_job_lookup (s, id);

    cr_assert_not_null (j, "job %ju", (uintmax_t)id);
    return j;
}

/* Node reports the exit ex, received at now; the core must take it. */
static inline void core_exit (sched_t *s,
                              const char *node,
                              const sched_exit_t *ex,
                              double now)
{
    cr_assert_eq (sched_job_exited (s, node, ex, now), 0, "exit of %ju",
                  (uintmax_t)ex->id);
}

#ifdef CORE_HELPERS_FIXTURE

static sched_t *s;

static inline void core_setup (void)
{
    sched_config_t cfg = CORE_CONFIG_DEFAULT;

    cr_assert_not_null (s = sched_create (&cfg));
}

static inline void core_teardown (void)
{
    sched_destroy (s);
    s = NULL;
}

/* nnuma domains x per_numa cores, one GPU per domain if gpus. */
static inline void make_node (node_desc_t *d,
                              const char *name,
                              uint32_t nnuma,
                              uint32_t per_numa,
                              bool gpus,
                              uint64_t mem)
{
    core_node_desc (d, name, nnuma, per_numa, 1, 1, gpus ? 1 : 0, mem);
}

/* Register nnuma x per_numa cores, 64 GiB, running the njobs jobs. */
static inline void register_node (const char *name,
                                  uint32_t nnuma,
                                  uint32_t per_numa,
                                  double now,
                                  const uint64_t *jobs,
                                  uint32_t njobs)
{
    node_desc_t d;

    make_node (&d, name, nnuma, per_numa, false, 64 * GIB);
    if (njobs) {
        cr_assert_not_null (d.jobs = malloc (njobs * sizeof (*d.jobs)));
        memcpy (d.jobs, jobs, njobs * sizeof (*d.jobs));
        d.njobs = njobs;
    }
    core_register_desc (s, &d, now);
}

/* Submit ncores x 1 core as tenant-a (no_requeue: --no-requeue). */
static inline uint64_t submit_opts (uint32_t ncores, double now, bool no_requeue)
{
    jobspec_t spec;
    uint64_t id;

    core_spec (&spec, ncores, 1);
    spec.no_requeue = no_requeue;
    id = core_submit_spec (s, "tenant-a", &spec, now);
    jobspec_clear (&spec);
    return id;
}

static inline uint64_t submit (uint32_t ncores, double now)
{
    return submit_opts (ncores, now, false);
}

static inline int drain (sched_action_t kind, sched_decision_t *last)
{
    return core_drain (s, kind, last);
}

static inline sched_job_t *job (uint64_t id)
{
    return core_job (s, id);
}

/* Node reports job id ended (kind, exit code, signal), received at 100. */
static inline void report_exit (
    const char *node, uint64_t id, sched_exit_kind_t kind, int code, int sig)
{
    sched_exit_t ex = {.id = id, .kind = kind, .exit_code = code, .signal = sig};

    core_exit (s, node, &ex, 100);
}

/* Node reports job id ended (kind, exit code) at t, received at t. */
static inline void exit_at (
    const char *node, uint64_t id, sched_exit_kind_t kind, int code, double t)
{
    sched_exit_t ex = {.id = id, .kind = kind, .exit_code = code, .end_time = t};

    core_exit (s, node, &ex, t);
}

/* A log of decisions: collect pops every decision into it. */
#define DQ_MAX 256
static sched_decision_t dq[DQ_MAX] __attribute__ ((unused));
static int ndq __attribute__ ((unused));

static inline int collect (void)
{
    ndq = 0;
    while (ndq < DQ_MAX && sched_next (s, &dq[ndq]))
        ndq++;
    cr_assert_lt (ndq, DQ_MAX);
    return ndq;
}

/* How many collected decisions are of kind (for job id, or any if 0). */
static inline int count (sched_action_t kind, uint64_t id)
{
    int n = 0;

    for (int i = 0; i < ndq; i++)
        n += dq[i].action == kind && (id == 0 || dq[i].job_id == id);
    return n;
}

/* The collected SCHED_ACCOUNT of job id (exactly one must be there). */
static inline const sched_acct_t *account_of (uint64_t id)
{
    const sched_acct_t *a = NULL;

    for (int i = 0; i < ndq; i++) {
        if (dq[i].action != SCHED_ACCOUNT || dq[i].job_id != id)
            continue;
        cr_assert_null (a, "job %ju accounted twice", (uintmax_t)id);
        a = &dq[i].acct;
    }
    cr_assert_not_null (a, "job %ju not accounted", (uintmax_t)id);
    return a;
}

#endif /* CORE_HELPERS_FIXTURE */

#endif
