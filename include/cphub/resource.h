/* resource.h: what a node offers, as the agent discovers it and the scheduler
 * places on it. The agent fills it from hwloc; the codec carries it in the
 * register message; the scheduler's core keeps a copy per node. No hwloc here.
 *
 * Cores are numbered 0..ncores-1 in topology order (hwloc logical index). Each
 * core lists the PU (Linux CPU) ids it contains: a job given cores {0,1} is
 * bound to the union of their PUs, and that union is what CPHUB_CPUS and the
 * job's Cpus_allowed_list show.
 */
#ifndef CPHUB_RESOURCE_H
#define CPHUB_RESOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "cphub/error.h"

#define NODE_NAME_MAX 63
#define NODE_CORES_MAX 4096
#define NODE_GPUS_MAX 64
#define NODE_NUMA_MAX 256
#define NODE_JOBS_MAX 65536

typedef struct node_core {
    uint32_t package; /* package (socket) logical index */
    uint32_t numa;    /* NUMA domain index (0..nnuma-1) */
    uint32_t l3;  /* shared last-level cache index (core's L3, else L2, else package) */
    char pus[64]; /* PU ids, "0" or "0,32" */
} node_core_t;

typedef struct node_gpu {
    char name[32]; /* "cuda0", "gpu0" */
    uint32_t numa; /* NUMA domain it is attached to */
} node_gpu_t;

typedef struct node_desc {
    char name[NODE_NAME_MAX + 1];
    uint32_t npackages;
    uint32_t nnuma;
    uint64_t *numa_mem; /* nnuma entries, bytes */
    uint32_t ncores;
    node_core_t *cores; /* ncores entries */
    uint32_t ngpus;
    node_gpu_t *gpus;   /* ngpus entries */
    uint64_t mem;       /* total bytes */
    char features[256]; /* comma-separated, from the agent's config */
    char topology[128]; /* "real", "synthetic:...", "xml:PATH" (truncated) */
    bool binding;       /* true on a real topology: binding is applied */
    uint32_t njobs;     /* jobs the agent holds right now (re-register) */
    uint64_t *jobs;     /* njobs entries */
    /* How the agent isolates jobs, "cgroup v1: cpuset,memory,pids,
     * devices" or "none: cgroups unavailable"; optional on the wire */
    char isolation[64];
    /* The agent runs no job, it simulates execution (agent.simulate): a
     * scheduler takes such a node only where the operator allows it
     * (scheduler.allow_simulated_nodes); optional on the wire, absent = false */
    bool simulated;
} node_desc_t;

void node_desc_init (node_desc_t *d);
/* Free arrays and re-init. */
void node_desc_clear (node_desc_t *d);
/* Deep copy; dst is overwritten. 0 or -1/ENOMEM. */
int node_desc_copy (node_desc_t *dst, const node_desc_t *src);
/* Check consistency: name non-empty and printable, counts within the limits
 * above, every core's numa < nnuma, pus parse as an idset, gpus' numa < nnuma,
 * no PU in two cores. -1/EINVAL with err. */
int node_desc_validate (const node_desc_t *d, cphub_error_t *err);

#endif
