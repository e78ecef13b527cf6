/* place.c: pure placement of one job on one node (see place.h). The free
 * cores are sorted by NUMA domain, then shared cache (the core's l3 field),
 * then index; runs of equal (domain, cache) form cache groups and runs of
 * equal domain form domains. One greedy rule, applied first to the domains and
 * then to the cache groups inside each domain that is only partly taken,
 * packs the job: if one item can hold what is left, take the one that fits it
 * with the least left over (best fit); otherwise take the largest item whole
 * and go on. This uses as few items as possible and leaves large holes whole.
 * GPUs come from the chosen cores' domains first. No state, no I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/parse.h"
#include "scheduler/core/place.h"

/* A free core with the keys it is sorted by. */
typedef struct core_ref {
    uint32_t numa;
    uint32_t l3;
    uint32_t core;
} core_ref_t;

/* A run of refs[] sharing a key: a cache group or a NUMA domain. */
typedef struct run {
    uint32_t first;   /* index into refs[] (for domains: into groups[]) */
    uint32_t count;   /* free cores in the run */
    uint32_t ngroups; /* domains only: cache groups in the domain */
    uint32_t take;    /* cores chosen from it */
} run_t;

void placement_init (placement_t *p)
{
    memset (p, 0, sizeof (*p));
}

void placement_clear (placement_t *p)
{
    idset_destroy (p->cores);
    idset_destroy (p->cpus);
    idset_destroy (p->gpus);
    idset_destroy (p->mems);
    placement_init (p);
}

static uint32_t free_count (const idset_t *s)
{
    return s ? (uint32_t)idset_count (s) : 0;
}

bool place_fits (const place_node_t *node, const jobspec_t *spec)
{
    if (jobspec_cores (spec) > free_count (node->free_cores))
        return false;
    if (spec->gpus > free_count (node->free_gpus))
        return false;
    if (spec->mem > node->free_mem)
        return false;
    return true;
}

uint32_t place_leftover (const place_node_t *node, const jobspec_t *spec)
{
    uint32_t nfree = free_count (node->free_cores);
    uint32_t need = jobspec_cores (spec);

    return nfree > need ? nfree - need : 0;
}

int place_best_node (const place_node_t *nodes, size_t n, const jobspec_t *spec)
{
    int best = -1;
    uint32_t best_left = 0;

    for (size_t i = 0; i < n; i++) {
        if (!place_fits (&nodes[i], spec))
            continue;
        uint32_t left = place_leftover (&nodes[i], spec);
        if (best < 0 || left < best_left ||
            (left == best_left &&
             strcmp (nodes[i].desc->name, nodes[best].desc->name) < 0)) {
            best = (int)i;
            best_left = left;
        }
    }
    if (best < 0)
        errno = ENOSPC;
    return best;
}

static int core_ref_cmp (const void *a, const void *b)
{
    const core_ref_t *x = a;
    const core_ref_t *y = b;

    if (x->numa != y->numa)
        return x->numa < y->numa ? -1 : 1;
    if (x->l3 != y->l3)
        return x->l3 < y->l3 ? -1 : 1;
    if (x->core != y->core)
        return x->core < y->core ? -1 : 1;
    return 0;
}

/* The greedy packing rule over runs[0..n-1]: set each run's take so that
 * they sum to need (which must not exceed the sum of counts). */
static void pack_runs (run_t *runs, uint32_t n, uint32_t need)
{
    for (uint32_t i = 0; i < n; i++)
        runs[i].take = 0;
    while (need > 0) {
        int fit = -1;
        int largest = -1;
        for (uint32_t i = 0; i < n; i++) {
            if (runs[i].take > 0 || runs[i].count == 0)
                continue;
            if (runs[i].count >= need && (fit < 0 || runs[i].count < runs[fit].count))
                fit = (int)i;
            if (largest < 0 || runs[i].count > runs[largest].count)
                largest = (int)i;
        }
        if (fit >= 0) {
            runs[fit].take = need;
            return;
        }
        if (largest < 0)
            return; /* cannot happen when need <= total */
        runs[largest].take = runs[largest].count;
        need -= runs[largest].count;
    }
}

/* Add core's PUs to cpus. */
static int add_pus (const node_core_t *core, idset_t *cpus)
{
    idset_t *pus = idset_decode (core->pus, NULL);
    int rc;

    if (!pus)
        return -1;
    rc = idset_add (cpus, pus);
    idset_destroy (pus);
    return rc;
}

/* Take the lowest-index free cores of refs[first..first+take) into out. */
static int take_cores (const node_desc_t *desc,
                       const core_ref_t *refs,
                       uint32_t first,
                       uint32_t take,
                       placement_t *out)
{
    for (uint32_t k = first; k < first + take; k++) {
        const node_core_t *core = &desc->cores[refs[k].core];
        if (idset_set (out->cores, (int)refs[k].core) < 0 ||
            idset_set (out->mems, (int)core->numa) < 0 || add_pus (core, out->cpus) < 0)
            return -1;
    }
    return 0;
}

/* GPUs: free ones attached to the chosen domains first, then any. */
static int choose_gpus (const place_node_t *node, uint32_t want, placement_t *out)
{
    const node_desc_t *desc = node->desc;

    for (int pass = 0; pass < 2 && want > 0; pass++) {
        int id = node->free_gpus ? idset_first (node->free_gpus) : IDSET_NONE;
        for (; id != IDSET_NONE && want > 0; id = idset_next (node->free_gpus, id)) {
            if ((uint32_t)id >= desc->ngpus || idset_test (out->gpus, id))
                continue;
            bool local = idset_test (out->mems, (int)desc->gpus[id].numa);
            if (pass == 0 && !local)
                continue;
            if (idset_set (out->gpus, id) < 0)
                return -1;
            want--;
        }
    }
    if (want > 0) {
        errno = ENOSPC;
        return -1;
    }
    return 0;
}

/* Sort the free cores and cut them into cache groups and domains. */
static int build_runs (const place_node_t *node,
                       core_ref_t **refs_out,
                       run_t **groups_out,
                       run_t **domains_out,
                       uint32_t *ndomains_out)
{
    const node_desc_t *desc = node->desc;
    uint32_t nrefs = 0, ngroups = 0, ndomains = 0;
    core_ref_t *refs = calloc (desc->ncores ? desc->ncores : 1, sizeof (*refs));
    run_t *groups = calloc (desc->ncores ? desc->ncores : 1, sizeof (*groups));
    run_t *domains = calloc (desc->ncores ? desc->ncores : 1, sizeof (*domains));

    if (!refs || !groups || !domains)
        goto error;
    for (int id = idset_first (node->free_cores); id != IDSET_NONE;
         id = idset_next (node->free_cores, id)) {
        if ((uint32_t)id >= desc->ncores)
            break;
        refs[nrefs].numa = desc->cores[id].numa;
        refs[nrefs].l3 = desc->cores[id].l3;
        refs[nrefs].core = (uint32_t)id;
        nrefs++;
    }
    qsort (refs, nrefs, sizeof (*refs), core_ref_cmp);
    for (uint32_t k = 0; k < nrefs; k++) {
        bool new_domain = k == 0 || refs[k].numa != refs[k - 1].numa;
        bool new_group = new_domain || refs[k].l3 != refs[k - 1].l3;
        if (new_domain) {
            domains[ndomains].first = ngroups;
            ndomains++;
        }
        if (new_group) {
            groups[ngroups].first = k;
            ngroups++;
            domains[ndomains - 1].ngroups++;
        }
        groups[ngroups - 1].count++;
        domains[ndomains - 1].count++;
    }
    *refs_out = refs;
    *groups_out = groups;
    *domains_out = domains;
    *ndomains_out = ndomains;
    return 0;
error:
    free (refs);
    free (groups);
    free (domains);
    errno = ENOMEM;
    return -1;
}

int place_job (const place_node_t *node, const jobspec_t *spec, placement_t *out)
{
    const node_desc_t *desc = node->desc;
    uint32_t need = jobspec_cores (spec);
    core_ref_t *refs = NULL;
    run_t *groups = NULL;
    run_t *domains = NULL;
    uint32_t ndomains = 0;
    uint32_t nfree = 0;
    int saved;

    placement_init (out);
    if (!place_fits (node, spec)) {
        errno = ENOSPC;
        return -1;
    }
    if (build_runs (node, &refs, &groups, &domains, &ndomains) < 0)
        return -1;
    for (uint32_t d = 0; d < ndomains; d++)
        nfree += domains[d].count;
    if (nfree < need) { /* free ids beyond ncores were counted by place_fits */
        errno = ENOSPC;
        goto error;
    }
    if (!(out->cores = idset_create ()) || !(out->cpus = idset_create ()) ||
        !(out->gpus = idset_create ()) || !(out->mems = idset_create ()))
        goto error;
    pack_runs (domains, ndomains, need);
    for (uint32_t d = 0; d < ndomains; d++) {
        run_t *dom = &domains[d];
        run_t *dgroups = &groups[dom->first];
        if (dom->take == 0)
            continue;
        if (dom->take == dom->count) {
            for (uint32_t g = 0; g < dom->ngroups; g++)
                dgroups[g].take = dgroups[g].count;
        } else {
            pack_runs (dgroups, dom->ngroups, dom->take);
        }
        for (uint32_t g = 0; g < dom->ngroups; g++) {
            if (dgroups[g].take > 0 &&
                take_cores (desc, refs, dgroups[g].first, dgroups[g].take, out) < 0)
                goto error;
        }
    }
    if (choose_gpus (node, spec->gpus, out) < 0)
        goto error;
    out->mem = spec->mem;
    free (refs);
    free (groups);
    free (domains);
    return 0;
error:
    saved = errno;
    placement_clear (out);
    free (refs);
    free (groups);
    free (domains);
    errno = saved;
    return -1;
}

void place_capacity_of (const node_desc_t *desc, place_capacity_t *cap)
{
    cap->cores = desc->ncores;
    cap->gpus = desc->ngpus;
    cap->mem = desc->mem;
}

bool place_capacity_fits (const place_capacity_t *cap, const jobspec_t *spec)
{
    return jobspec_cores (spec) <= cap->cores && spec->gpus <= cap->gpus &&
           spec->mem <= cap->mem;
}

static const char *plural (uint64_t n)
{
    return n == 1 ? "" : "s";
}

int place_check_ever (const place_capacity_t *caps,
                      size_t n,
                      const jobspec_t *spec,
                      cphub_error_t *err)
{
    place_capacity_t max = {0, 0, 0};
    uint32_t cores = jobspec_cores (spec);
    char asked[32], largest[32];

    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (place_capacity_fits (&caps[i], spec))
            return 0;
        if (caps[i].cores > max.cores)
            max.cores = caps[i].cores;
        if (caps[i].gpus > max.gpus)
            max.gpus = caps[i].gpus;
        if (caps[i].mem > max.mem)
            max.mem = caps[i].mem;
    }
    if (spec->cpus_per_task > max.cores)
        return cphub_fail (
            err, EINVAL, "asked %u core%s per task; the largest node has %u",
            spec->cpus_per_task, plural (spec->cpus_per_task), max.cores);
    if (cores > max.cores)
        return cphub_fail (err, EINVAL, "asked %u core%s; the largest node has %u",
                           cores, plural (cores), max.cores);
    if (spec->gpus > max.gpus)
        return cphub_fail (err, EINVAL, "asked %u GPU%s; the largest node has %u",
                           spec->gpus, plural (spec->gpus), max.gpus);
    format_size (spec->mem, asked, sizeof (asked));
    format_size (max.mem, largest, sizeof (largest));
    if (spec->mem > max.mem)
        return cphub_fail (err, EINVAL, "asked %s of memory; the largest node has %s",
                           asked, largest);
    if (spec->mem > 0 && spec->gpus > 0)
        return cphub_fail (
            err, EINVAL,
            "asked %u core%s, %u GPU%s and %s of memory; no node has all "
            "of them",
            cores, plural (cores), spec->gpus, plural (spec->gpus), asked);
    if (spec->gpus > 0)
        return cphub_fail (err, EINVAL,
                           "asked %u core%s and %u GPU%s; no node has both", cores,
                           plural (cores), spec->gpus, plural (spec->gpus));
    return cphub_fail (err, EINVAL,
                       "asked %u core%s and %s of memory; no node has both", cores,
                       plural (cores), asked);
}
