/* test_place.c: unit tests for the pure placement functions (place.h), on
 * topologies built here as node_desc_t: a two-socket node with 2 NUMA domains
 * of 16 cores (one L3 per socket) and one GPU per domain, a node with two L3
 * groups in one domain, a node with 2 PUs per core, and a mixed set of nodes
 * for best fit and for the "the largest node has" messages.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/core/place.h"
#include "tests/unit/core_helpers.h"

static idset_t *set_of (const char *text)
{
    idset_t *s = idset_decode (text, NULL);
    cr_assert_not_null (s, "idset '%s'", text);
    return s;
}

static void assert_set (const idset_t *s, const char *want, const char *what)
{
    char buf[256];
    cr_assert_eq (idset_encode (s, buf, sizeof (buf)), 0);
    cr_assert_str_eq (buf, want, "%s: got '%s', want '%s'", what, buf, want);
}

static jobspec_t spec_of (uint32_t ntasks,
                          uint32_t cpus_per_task,
                          uint32_t gpus,
                          uint64_t mem)
{
    jobspec_t spec;
    jobspec_init (&spec);
    spec.ntasks = ntasks;
    spec.cpus_per_task = cpus_per_task;
    spec.gpus = gpus;
    spec.mem = mem;
    return spec;
}

/* The two-socket node with the given free cores and GPUs. */
typedef struct fixture {
    node_desc_t desc;
    idset_t *cores;
    idset_t *gpus;
    place_node_t node;
    placement_t p;
} fixture_t;

static void fixture_init (fixture_t *f, const char *free_cores, const char *free_gpus)
{
    core_node_desc (&f->desc, "two-socket", 2, 16, 1, 1, 1, 64 * GIB);
    f->cores = set_of (free_cores);
    f->gpus = set_of (free_gpus);
    f->node = (place_node_t){.desc = &f->desc,
                             .free_cores = f->cores,
                             .free_gpus = f->gpus,
                             .free_mem = 64 * GIB};
    placement_init (&f->p);
}

static void fixture_fini (fixture_t *f)
{
    placement_clear (&f->p);
    idset_destroy (f->cores);
    idset_destroy (f->gpus);
    node_desc_clear (&f->desc);
}

Test (place, small_job_lands_on_one_numa_domain)
{
    fixture_t f;
    jobspec_t spec = spec_of (4, 1, 0, 0);

    fixture_init (&f, "0-31", "0-1");
    cr_assert_eq (place_job (&f.node, &spec, &f.p), 0);
    assert_set (f.p.cores, "0-3", "cores");
    assert_set (f.p.cpus, "0-3", "cpus");
    assert_set (f.p.mems, "0", "mems");
    assert_set (f.p.gpus, "", "gpus");
    fixture_fini (&f);
}

Test (place, job_goes_to_the_domain_that_holds_it_whole)
{
    fixture_t f;
    jobspec_t spec = spec_of (2, 2, 0, 0);

    fixture_init (&f, "0-2,16-31", "0-1");
    cr_assert_eq (place_job (&f.node, &spec, &f.p), 0);
    assert_set (f.p.cores, "16-19", "cores");
    assert_set (f.p.mems, "1", "mems");
    fixture_fini (&f);
}

Test (place, best_fit_domain_leaves_the_larger_hole)
{
    fixture_t f;
    jobspec_t spec = spec_of (4, 1, 0, 0);

    fixture_init (&f, "8-12,16-31", "0-1");
    cr_assert_eq (place_job (&f.node, &spec, &f.p), 0);
    assert_set (f.p.cores, "8-11", "cores");
    fixture_fini (&f);
}

Test (place, big_job_spreads_over_fewest_domains)
{
    fixture_t f;
    jobspec_t spec = spec_of (20, 1, 0, 0);

    fixture_init (&f, "0-9,16-31", "0-1");
    cr_assert_eq (place_job (&f.node, &spec, &f.p), 0);
    assert_set (f.p.cores, "0-3,16-31", "cores");
    assert_set (f.p.mems, "0-1", "mems");
    cr_assert_eq (idset_count (f.p.cpus), 20);
    fixture_fini (&f);
}

Test (place, gpu_comes_from_the_cores_domain)
{
    fixture_t f;
    jobspec_t spec = spec_of (1, 4, 1, 0);

    fixture_init (&f, "16-31", "0-1");
    cr_assert_eq (place_job (&f.node, &spec, &f.p), 0);
    assert_set (f.p.cores, "16-19", "cores");
    assert_set (f.p.gpus, "1", "gpus local to NUMA 1");
    fixture_fini (&f);

    fixture_init (&f, "0-31", "0-1");
    cr_assert_eq (place_job (&f.node, &spec, &f.p), 0);
    assert_set (f.p.gpus, "0", "gpus local to NUMA 0");
    fixture_fini (&f);
}

Test (place, gpu_from_another_domain_when_the_local_one_is_busy)
{
    fixture_t f;
    jobspec_t spec = spec_of (1, 4, 1, 0);

    fixture_init (&f, "16-31", "0");
    cr_assert_eq (place_job (&f.node, &spec, &f.p), 0);
    assert_set (f.p.gpus, "0", "gpus");
    fixture_fini (&f);
}

Test (place, does_not_fit_now_is_enospc)
{
    fixture_t f;
    jobspec_t cores = spec_of (8, 1, 0, 0);
    jobspec_t gpus = spec_of (1, 1, 2, 0);
    jobspec_t mem = spec_of (1, 1, 0, 65 * GIB);

    fixture_init (&f, "0-6", "0");
    errno = 0;
    cr_assert_eq (place_job (&f.node, &cores, &f.p), -1);
    cr_assert_eq (errno, ENOSPC);
    cr_assert_null (f.p.cores, "a failed placement stays empty");
    cr_assert_eq (place_job (&f.node, &gpus, &f.p), -1);
    cr_assert_eq (errno, ENOSPC);
    cr_assert_eq (place_job (&f.node, &mem, &f.p), -1);
    cr_assert_eq (errno, ENOSPC);
    cr_assert_not (place_fits (&f.node, &cores));
    fixture_fini (&f);
}

Test (place, packs_into_one_shared_cache)
{
    node_desc_t d;
    idset_t *free_cores = set_of ("0-4,8-15");
    placement_t p;
    jobspec_t spec = spec_of (6, 1, 0, 0);

    core_node_desc (&d, "one-numa-two-l3", 1, 16, 2, 1, 0, 16 * GIB);
    place_node_t node = {.desc = &d, .free_cores = free_cores, .free_mem = 16 * GIB};
    placement_init (&p);
    cr_assert_eq (place_job (&node, &spec, &p), 0);
    assert_set (p.cores, "8-13", "cores in the L3 group with room");
    placement_clear (&p);

    spec = spec_of (4, 1, 0, 0);
    cr_assert_eq (place_job (&node, &spec, &p), 0);
    assert_set (p.cores, "0-3", "cores in the best-fitting L3 group");
    placement_clear (&p);
    idset_destroy (free_cores);
    node_desc_clear (&d);
}

Test (place, cpus_are_the_union_of_the_cores_pus)
{
    node_desc_t d;
    idset_t *free_cores = set_of ("0-7");
    placement_t p;
    jobspec_t spec = spec_of (1, 3, 0, 0);

    core_node_desc (&d, "smt", 2, 4, 1, 2, 0, 8 * GIB);
    cr_assert_str_eq (d.cores[1].pus, "1,9");
    place_node_t node = {.desc = &d, .free_cores = free_cores, .free_mem = 8 * GIB};
    placement_init (&p);
    cr_assert_eq (place_job (&node, &spec, &p), 0);
    assert_set (p.cores, "0-2", "cores");
    assert_set (p.cpus, "0-2,8-10", "cpus");
    placement_clear (&p);
    idset_destroy (free_cores);
    node_desc_clear (&d);
}

Test (place, best_fit_across_nodes_keeps_the_large_hole)
{
    node_desc_t big, small, twin;
    idset_t *big_free = set_of ("0-63");
    idset_t *small_free = set_of ("4-7");
    idset_t *twin_free = set_of ("0-3");
    jobspec_t spec = spec_of (4, 1, 0, 0);

    core_node_desc (&big, "big", 2, 32, 1, 1, 0, 256 * GIB);
    core_node_desc (&small, "small", 1, 8, 1, 1, 0, 16 * GIB);
    core_node_desc (&twin, "a-twin", 1, 8, 1, 1, 0, 16 * GIB);
    place_node_t nodes[] = {
        {.desc = &big, .free_cores = big_free, .free_mem = 256 * GIB},
        {.desc = &small, .free_cores = small_free, .free_mem = 16 * GIB},
    };
    cr_assert_eq (place_best_node (nodes, 2, &spec), 1, "the 8-core node with 4 free");
    cr_assert_eq (place_leftover (&nodes[1], &spec), 0);
    cr_assert_eq (place_leftover (&nodes[0], &spec), 60);

    /* equal leftovers: the smaller name wins */
    nodes[0] =
        (place_node_t){.desc = &twin, .free_cores = twin_free, .free_mem = 16 * GIB};
    cr_assert_eq (place_best_node (nodes, 2, &spec), 0, "a-twin before small");

    /* nothing fits: -1/ENOSPC */
    spec = spec_of (5, 1, 0, 0);
    errno = 0;
    cr_assert_eq (place_best_node (nodes, 2, &spec), -1);
    cr_assert_eq (errno, ENOSPC);

    idset_destroy (big_free);
    idset_destroy (small_free);
    idset_destroy (twin_free);
    node_desc_clear (&big);
    node_desc_clear (&small);
    node_desc_clear (&twin);
}

Test (place, impossible_jobs_name_the_largest_node)
{
    node_desc_t wide, gpu;
    place_capacity_t caps[2];
    cphub_error_t err = {{0}};
    jobspec_t spec;

    core_node_desc (&wide, "wide", 2, 16, 1, 1, 0, 64 * GIB);
    core_node_desc (&gpu, "gpu", 2, 4, 1, 1, 1, 32 * GIB);
    place_capacity_of (&wide, &caps[0]);
    place_capacity_of (&gpu, &caps[1]);
    cr_assert_eq (caps[0].cores, 32);
    cr_assert_eq (caps[1].gpus, 2);

    spec = spec_of (1, 64, 0, 0);
    cr_assert_eq (place_check_ever (caps, 2, &spec, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert_str_eq (err.text, "asked 64 cores per task; the largest node has 32");

    spec = spec_of (40, 1, 0, 0);
    cr_assert_eq (place_check_ever (caps, 2, &spec, &err), -1);
    cr_assert_str_eq (err.text, "asked 40 cores; the largest node has 32");

    spec = spec_of (1, 1, 4, 0);
    cr_assert_eq (place_check_ever (caps, 2, &spec, &err), -1);
    cr_assert_str_eq (err.text, "asked 4 GPUs; the largest node has 2");

    spec = spec_of (1, 1, 0, 512 * GIB);
    cr_assert_eq (place_check_ever (caps, 2, &spec, &err), -1);
    cr_assert_str_eq (err.text, "asked 512G of memory; the largest node has 64G");

    spec = spec_of (16, 1, 2, 0);
    cr_assert_eq (place_check_ever (caps, 2, &spec, &err), -1);
    cr_assert_str_eq (err.text, "asked 16 cores and 2 GPUs; no node has both");

    spec = spec_of (8, 1, 2, 0);
    cr_assert_eq (place_check_ever (caps, 2, &spec, &err), 0, "the GPU node holds it");
    cr_assert (place_capacity_fits (&caps[1], &spec));
    cr_assert_not (place_capacity_fits (&caps[0], &spec));

    spec = spec_of (1, 64, 0, 0);
    cr_assert_eq (place_check_ever (caps, 0, &spec, &err), 0, "no node yet: it waits");

    node_desc_clear (&wide);
    node_desc_clear (&gpu);
}

/* --- constraints, whole nodes, several nodes ------------------------------ */

/* A mixed set: nodes with different features, sizes and load. */
typedef struct mixed {
    node_desc_t desc[4];
    idset_t *free[4];
    idset_t *gpus[4];
    place_node_t nodes[4];
} mixed_t;

static void mixed_init (mixed_t *m)
{
    /* name, numa, cores per numa, gpus per numa, features, free cores */
    static const struct {
        const char *name;
        uint32_t nnuma, per_numa, gpus;
        const char *features, *free, *free_gpus;
    } rows[4] = {
        {"cpu1", 1, 8, 0, "avx512", "0-7", ""},
        {"cpu2", 1, 8, 0, "avx512,bigmem", "0-3", ""},
        {"gpu-a", 2, 8, 1, "avx512,a100", "0-15", "0-1"},
        {"gpu-h", 2, 8, 1, "h100", "0-15", "0-1"},
    };
    for (int i = 0; i < 4; i++) {
        core_node_desc (&m->desc[i], rows[i].name, rows[i].nnuma, rows[i].per_numa, 1,
                        1, rows[i].gpus, 64 * GIB);
        snprintf (m->desc[i].features, sizeof (m->desc[i].features), "%s",
                  rows[i].features);
        m->free[i] = set_of (rows[i].free);
        m->gpus[i] = set_of (rows[i].free_gpus);
        m->nodes[i] = (place_node_t){.desc = &m->desc[i],
                                     .free_cores = m->free[i],
                                     .free_gpus = m->gpus[i],
                                     .free_mem = 64 * GIB};
    }
}

static void mixed_fini (mixed_t *m)
{
    for (int i = 0; i < 4; i++) {
        idset_destroy (m->free[i]);
        idset_destroy (m->gpus[i]);
        node_desc_clear (&m->desc[i]);
    }
}

static size_t best_of (
    mixed_t *m, const jobspec_t *spec, const char *expr, size_t want, size_t *out)
{
    constraint_t *c = expr ? constraint_parse (expr, NULL) : NULL;
    jobspec_t share;
    size_t n;

    cr_assert (!expr || c, "constraint '%s' parses", expr);
    jobspec_node_share (spec, &share);
    n = place_best_nodes (m->nodes, 4, &share, c, want, out);
    constraint_destroy (c);
    return n;
}

Test (place, constraints_select_the_right_nodes)
{
    mixed_t m;
    size_t out[4];
    jobspec_t spec = spec_of (2, 1, 0, 0);

    mixed_init (&m);
    /* no constraint: best fit is cpu2 (4 free, 2 left) */
    cr_assert_eq (best_of (&m, &spec, NULL, 1, out), 1);
    cr_assert_str_eq (m.desc[out[0]].name, "cpu2");
    /* avx512&(a100|h100): only gpu-a, although cpu1/cpu2 fit better */
    cr_assert_eq (best_of (&m, &spec, "avx512&(a100|h100)", 4, out), 1);
    cr_assert_str_eq (m.desc[out[0]].name, "gpu-a");
    /* a100|h100: both GPU nodes, equal leftovers: by name */
    cr_assert_eq (best_of (&m, &spec, "a100|h100", 4, out), 2);
    cr_assert_str_eq (m.desc[out[0]].name, "gpu-a");
    cr_assert_str_eq (m.desc[out[1]].name, "gpu-h");
    /* !bigmem&avx512: cpu1 and gpu-a, cpu1 the better fit */
    cr_assert_eq (best_of (&m, &spec, "!bigmem&avx512", 4, out), 2);
    cr_assert_str_eq (m.desc[out[0]].name, "cpu1");
    cr_assert_str_eq (m.desc[out[1]].name, "gpu-a");
    /* nothing has both */
    cr_assert_eq (best_of (&m, &spec, "a100&h100", 4, out), 0);
    /* a matching node too full right now is not taken: 5 cores on bigmem */
    spec = spec_of (5, 1, 0, 0);
    cr_assert_eq (best_of (&m, &spec, "bigmem", 4, out), 0);
    mixed_fini (&m);
}

Test (place, exclusive_takes_idle_nodes_whole)
{
    mixed_t m;
    size_t out[4];
    placement_t p;
    jobspec_t spec = spec_of (2, 1, 0, 0);

    mixed_init (&m);
    spec.exclusive = true;
    /* cpu2 is partly used: not a candidate; the smallest idle node wins */
    cr_assert_eq (best_of (&m, &spec, NULL, 4, out), 3);
    cr_assert_str_eq (m.desc[out[0]].name, "cpu1");
    cr_assert_str_eq (m.desc[out[1]].name, "gpu-a");
    cr_assert_not (place_node_idle (&m.nodes[1]));
    cr_assert (place_node_idle (&m.nodes[2]));
    /* all of the node: every core, PU, GPU and NUMA domain */
    cr_assert_eq (place_whole_node (&m.nodes[2], &spec, &p), 0);
    assert_set (p.cores, "0-15", "cores");
    assert_set (p.cpus, "0-15", "cpus");
    assert_set (p.gpus, "0-1", "gpus");
    assert_set (p.mems, "0-1", "mems");
    placement_clear (&p);
    errno = 0;
    cr_assert_eq (place_whole_node (&m.nodes[1], &spec, &p), -1);
    cr_assert_eq (errno, ENOSPC);
    /* a node too small for the job is no candidate even when idle */
    spec = spec_of (12, 1, 0, 0);
    spec.exclusive = true;
    cr_assert_eq (best_of (&m, &spec, NULL, 4, out), 2);
    cr_assert_str_eq (m.desc[out[0]].name, "gpu-a");
    mixed_fini (&m);
}

Test (place, multi_node_share_and_best_nodes)
{
    mixed_t m;
    size_t out[4];
    jobspec_t spec = spec_of (3, 2, 2, 3 * GIB), share;

    /* 3 tasks x 2 cores, 2 GPUs, 3G over 2 nodes: 2 tasks (4 cores), 1 GPU
     * and 1.5G on each */
    spec.nodes = 2;
    jobspec_node_share (&spec, &share);
    cr_assert_eq (share.ntasks, 2);
    cr_assert_eq (share.cpus_per_task, 2);
    cr_assert_eq (share.gpus, 1);
    cr_assert_eq (share.mem, 3 * GIB / 2);
    cr_assert_eq (jobspec_cores (&share), 4);
    /* more nodes than tasks: one task on each */
    spec = spec_of (1, 2, 0, 0);
    spec.nodes = 3;
    jobspec_node_share (&spec, &share);
    cr_assert_eq (share.ntasks, 1);
    cr_assert_eq (jobspec_cores (&share), 2);
    /* one node: the spec's own counts */
    spec = spec_of (3, 2, 1, GIB);
    jobspec_node_share (&spec, &share);
    cr_assert_eq (share.ntasks, 3);
    cr_assert_eq (share.gpus, 1);
    cr_assert_eq (share.mem, GIB);

    mixed_init (&m);
    /* -N 3 -c 2 with avx512: cpu2 (2 left), cpu1 (6 left), gpu-a (14 left) */
    spec = spec_of (1, 2, 0, 0);
    spec.nodes = 3;
    cr_assert_eq (best_of (&m, &spec, "avx512", 3, out), 3);
    cr_assert_str_eq (m.desc[out[0]].name, "cpu2");
    cr_assert_str_eq (m.desc[out[1]].name, "cpu1");
    cr_assert_str_eq (m.desc[out[2]].name, "gpu-a");
    /* -N 2 with a GPU each: only the GPU nodes */
    spec = spec_of (2, 1, 2, 0);
    spec.nodes = 2;
    cr_assert_eq (best_of (&m, &spec, NULL, 2, out), 2);
    cr_assert_str_eq (m.desc[out[0]].name, "gpu-a");
    cr_assert_str_eq (m.desc[out[1]].name, "gpu-h");
    mixed_fini (&m);
}
