/* place.h: pure placement of one single-node job on one node, the part of the
 * scheduling core that turns "4 cores, 1 GPU, 8G" into exact core, PU, GPU and
 * NUMA ids. sched.c asks it, for the node it picked, which cores to give; the
 * tests and the simulator use it directly. Nothing here keeps state: every
 * function takes the node's description, what is free on it now, and the
 * jobspec. Cores are packed into as few NUMA domains and shared caches as
 * possible (best fit inside a domain, largest domains first when the job must
 * spread), GPUs come from the NUMA domains of the chosen cores when possible,
 * and across nodes the one left with the fewest free cores wins (best fit,
 * keeping large holes for large jobs; ties go to the smaller name).
 */
#ifndef CPHUB_PLACE_H
#define CPHUB_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cphub/constraint.h"
#include "cphub/error.h"
#include "cphub/idset.h"
#include "cphub/jobspec.h"
#include "cphub/resource.h"

/* One node as placement sees it: its description and what is free on it now.
 * free_gpus may be NULL when the node has no GPUs. Nothing is owned. */
typedef struct place_node {
    const node_desc_t *desc;
    const idset_t *free_cores; /* core indices 0..ncores-1 */
    const idset_t *free_gpus;  /* GPU indices 0..ngpus-1 */
    uint64_t free_mem;         /* bytes */
} place_node_t;

/* Where a job goes on a node. All four sets are owned by the placement. */
typedef struct placement {
    idset_t *cores; /* core indices */
    idset_t *cpus;  /* union of the cores' PUs */
    idset_t *gpus;  /* GPU indices (empty when none asked) */
    idset_t *mems;  /* NUMA domains of the chosen cores */
    uint64_t mem;   /* bytes held (the job's --mem, 0 = not asked) */
} placement_t;

/* What a node could offer when empty, for "could this job ever run". */
typedef struct place_capacity {
    uint32_t cores;
    uint32_t gpus;
    uint64_t mem;
} place_capacity_t;

/* Zero a placement (all sets NULL); placement_clear frees the sets and
 * zeroes it again. clear on a zeroed placement does nothing. */
void placement_init (placement_t *p);
void placement_clear (placement_t *p);

/* Would the job fit on the node now, counting free cores, GPUs and memory?
 * (Placement never fails for a job that fits by these counts.) */
bool place_fits (const place_node_t *node, const jobspec_t *spec);

/* Free cores the node would have left after placing the job: the best-fit
 * score (lower is better). Only meaningful when place_fits. */
uint32_t place_leftover (const place_node_t *node, const jobspec_t *spec);

/* Choose exact ids for the job on the node and fill *out (which must be
 * zeroed or cleared; on failure it stays empty). 0, or -1 with errno ENOSPC
 * (does not fit now) or ENOMEM. The free sets are not changed: the caller
 * subtracts out->cores and out->gpus. */
int place_job (const place_node_t *node, const jobspec_t *spec, placement_t *out);

/* Best fit across nodes: the index of the node that fits the job now and is
 * left with the fewest free cores, ties going to the smaller name; -1/ENOSPC
 * when it fits nowhere now. */
int place_best_node (const place_node_t *nodes, size_t n, const jobspec_t *spec);

/* The capacity of an empty node. */
void place_capacity_of (const node_desc_t *desc, place_capacity_t *cap);

/* Could the job ever run on a node of this capacity? */
bool place_capacity_fits (const place_capacity_t *cap, const jobspec_t *spec);

/* Could the job ever run on one of these n capacities? 0 if so (and when
 * n == 0: with no node known the job may wait). Otherwise -1/EINVAL with err
 * saying the first shortfall against the largest values, in this order:
 * "asked 64 cores per task; the largest node has 32", "asked 64 cores; the
 * largest node has 32", "asked 4 GPUs; the largest node has 2", "asked 512G
 * of memory; the largest node has 64G"; or, when each is offered somewhere
 * but never together, "asked 16 cores, 4 GPUs and 8G of memory; no node has
 * all of them". */
int place_check_ever (const place_capacity_t *caps,
                      size_t n,
                      const jobspec_t *spec,
                      cphub_error_t *err);

/* --- constraints, whole nodes and several nodes --------------------------- */

/* Does the node run nothing now: every core and GPU free, no memory held? */
bool place_node_idle (const place_node_t *node);

/* All of an idle node, for an --exclusive job: every core and its PUs,
 * every GPU, every NUMA domain that has cores; out->mem = spec->mem. 0, or
 * -1 with ENOSPC (the node is not idle) or ENOMEM. */
int place_whole_node (const place_node_t *node,
                      const jobspec_t *spec,
                      placement_t *out);

/* Could the node take share now: it matches c (NULL: any node), and share
 * fits (share->exclusive: the node is idle and large enough)? */
bool place_node_takes (const place_node_t *node,
                       const jobspec_t *share,
                       const constraint_t *c);

/* Best fit for one node's share of a job (jobspec_node_share) over several
 * nodes: up to want indices of nodes that take it now (place_node_takes),
 * those left with the fewest free cores first, ties to the smaller name,
 * into out[]. Returns how many were found; fewer than want means the job
 * does not fit now. */
size_t place_best_nodes (const place_node_t *nodes,
                         size_t n,
                         const jobspec_t *share,
                         const constraint_t *c,
                         size_t want,
                         size_t *out);

#endif
