/* place_nodes.c: the placement rules that look past one job on
 * one node (see place.h): whether a node takes a job's share at all (its
 * features against the job's --constraint, and for --exclusive whether it is
 * idle), all of a node for an exclusive job, and best fit of a job that
 * spans several nodes. Pure like place.c: the scheduling core applies the
 * same rules through its best-fit index (sched_place.c), the tests and the
 * simulator on plain arrays of nodes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/core/place.h"

static uint32_t count_of (const idset_t *s)
{
    return s ? (uint32_t)idset_count (s) : 0;
}

bool place_node_idle (const place_node_t *node)
{
    return count_of (node->free_cores) == node->desc->ncores &&
           count_of (node->free_gpus) == node->desc->ngpus &&
           node->free_mem >= node->desc->mem;
}

bool place_node_takes (const place_node_t *node,
                       const jobspec_t *share,
                       const constraint_t *c)
{
    place_capacity_t cap;

    if (!constraint_match (c, node->desc->features))
        return false;
    if (!share->exclusive)
        return place_fits (node, share);
    place_capacity_of (node->desc, &cap);
    return place_node_idle (node) && place_capacity_fits (&cap, share);
}

int place_whole_node (const place_node_t *node, const jobspec_t *spec, placement_t *out)
{
    const node_desc_t *desc = node->desc;
    int saved;

    placement_init (out);
    if (!place_node_idle (node)) {
        errno = ENOSPC;
        return -1;
    }
    if (!(out->cores = idset_create ()) || !(out->cpus = idset_create ()) ||
        !(out->gpus = idset_create ()) || !(out->mems = idset_create ()))
        goto nomem;
    for (uint32_t i = 0; i < desc->ncores; i++) {
        idset_t *pus = idset_decode (desc->cores[i].pus, NULL);
        int rc = pus ? idset_add (out->cpus, pus) : -1;
        idset_destroy (pus);
        if (rc < 0 || idset_set (out->cores, (int)i) < 0 ||
            idset_set (out->mems, (int)desc->cores[i].numa) < 0)
            goto nomem;
    }
    for (uint32_t i = 0; i < desc->ngpus; i++) {
        if (idset_set (out->gpus, (int)i) < 0)
            goto nomem;
    }
    out->mem = spec->mem;
    return 0;
nomem:
    saved = errno ? errno : ENOMEM;
    placement_clear (out);
    errno = saved;
    return -1;
}

/* A candidate node and its best-fit key. */
typedef struct candidate {
    size_t index;
    uint32_t left; /* free cores after the share */
    const char *name;
} candidate_t;

static int candidate_cmp (const void *a, const void *b)
{
    const candidate_t *x = a;
    const candidate_t *y = b;

    if (x->left != y->left)
        return x->left < y->left ? -1 : 1;
    return strcmp (x->name, y->name);
}

size_t place_best_nodes (const place_node_t *nodes,
                         size_t n,
                         const jobspec_t *share,
                         const constraint_t *c,
                         size_t want,
                         size_t *out)
{
    candidate_t *cand;
    size_t ncand = 0;

    if (want == 0 || n == 0)
        return 0;
    if (!(cand = calloc (n, sizeof (*cand))))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!place_node_takes (&nodes[i], share, c))
            continue;
        cand[ncand].index = i;
        cand[ncand].left = place_leftover (&nodes[i], share); /* idle: the waste */
        cand[ncand].name = nodes[i].desc->name;
        ncand++;
    }
    qsort (cand, ncand, sizeof (*cand), candidate_cmp);
    if (ncand > want)
        ncand = want;
    for (size_t k = 0; k < ncand; k++)
        out[k] = cand[k].index;
    free (cand);
    return ncand;
}
