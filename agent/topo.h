/* topo.h: the agent's view of its node's hardware, read with hwloc (topo.c and
 * exec.c are the only files that see hwloc.h).
 *
 * A topology comes from one of three sources, named by a spec string: "" for
 * this machine, "synthetic:<hwloc synthetic description>" (e.g.
 * "synthetic:package:2 numa:1(memory=64GiB) l3:1 core:16 pu:1") or
 * "xml:PATH" (an lstopo --of xml file). topo_describe() turns it into the
 * node_desc_t the agent registers with, as a pure function of the topology and
 * the config's extra GPUs and features. The topo_t stays alive for the life
 * of the agent because exec.c binds jobs with the same hwloc topology; only a
 * real topology is ever used for binding (topo_binding()).
 *
 * Numbering, as resource.h describes it: cores are hwloc Core objects in
 * logical order (PUs stand in for cores when the topology has no Core level);
 * NUMA domains are the hwloc NUMA nodes in logical order, 0..nnuma-1; a core's
 * pus are the OS indices of its PUs (Linux CPU ids). GPUs are the hwloc OS
 * devices of the best-supported kind present (CUDA, then ROCm SMI, NVML, Level
 * Zero, OpenCL), in hwloc order, followed by the GPUs named in the config.
 */
#ifndef CPHUB_AGENT_TOPO_H
#define CPHUB_AGENT_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cphub/error.h"
#include "cphub/resource.h"

/* hwloc's own types, named without including hwloc.h. */
struct hwloc_topology;
struct hwloc_bitmap_s;

typedef struct topo topo_t;

/* A GPU named in the agent's config (agent.gpus), advertised in addition to
 * those hwloc finds: for synthetic and XML topologies and for tests. */
typedef struct topo_gpu {
    char name[32];
    uint32_t numa; /* NUMA domain index, < the node's nnuma */
    /* The GPU's device node (absolute path), "" if none: jobs not
     * given the GPU are denied it by the devices cgroup. */
    char device[256];
} topo_gpu_t;

/* Load the topology named by spec (NULL or "" = this machine). NULL with
 * errno EINVAL and err for a spec of an unknown form ("topology 'foo': use
 * ...") or one hwloc refuses ("synthetic topology 'x': hwloc cannot parse
 * it"), ENOENT for a missing XML file, ENOMEM. */
topo_t *topo_create (const char *spec, cphub_error_t *err);
void topo_destroy (topo_t *t); /* NULL: nothing */

/* True for this machine: binding is applied. False for synthetic and XML
 * topologies: binding is recorded but not applied. */
bool topo_binding (const topo_t *t);
/* "real", "synthetic:..." or "xml:PATH", as given. */
const char *topo_source (const topo_t *t);
/* The hwloc topology, for exec.c. Owned by t. */
struct hwloc_topology *topo_hwloc (const topo_t *t);

/* Fill out (which is node_desc_clear()ed first; its name is left empty for
 * the caller) from t, appending the nextra GPUs of extra and setting the
 * features text (comma-separated, may be NULL). 0, or -1 with EINVAL and err
 * when an extra GPU names a NUMA domain the node does not have or the result
 * exceeds resource.h's limits ("topology has 5000 cores; at most 4096 are
 * supported"), ENOMEM. out is left cleared on failure. */
int topo_describe (const topo_t *t,
                   const topo_gpu_t *extra,
                   size_t nextra,
                   const char *features,
                   node_desc_t *out,
                   cphub_error_t *err);

/* Plan a job's binding from its placement: cpus is a list of PU OS indices
 * ("0-3", as job.run carries them), mems a list of NUMA domain indices ("0").
 * Both are checked against the node ("cpus '9' are not on this node (it has
 * 0-1)", EINVAL). *cpuset and *nodeset (hwloc bitmaps of OS indices; the
 * caller frees them with hwloc_bitmap_free) are what to apply, or NULL when
 * nothing is to be applied: an empty list, a topology that is not this
 * machine, or a nodeset that covers all of the node's memory. On failure both
 * are NULL. */
int topo_binding_sets (const topo_t *t,
                       const char *cpus,
                       const char *mems,
                       struct hwloc_bitmap_s **cpuset,
                       struct hwloc_bitmap_s **nodeset,
                       cphub_error_t *err);

/* topo_create + topo_describe + topo_destroy, for tests and --check-config. */
int topo_discover (const char *spec,
                   const topo_gpu_t *extra,
                   size_t nextra,
                   const char *features,
                   node_desc_t *out,
                   cphub_error_t *err);

#endif
