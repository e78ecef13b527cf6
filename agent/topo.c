/* topo.c: node discovery with hwloc 2 for cphub-agent.
 *
 * Loads the machine, a synthetic description or an XML file into an hwloc
 * topology (keeping the important I/O devices, so that GPUs appear as OS
 * devices), and describes it as the node_desc_t of resource.h: packages, NUMA
 * domains with their memory, cores with their package, NUMA domain, shared
 * cache and PUs, and GPUs with their NUMA domain. The description is computed
 * from the topology alone, with no side effects; exec.c reuses the same hwloc
 * topology to bind jobs on a real machine.
 */
#include "agent/topo.h"

#include <errno.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOPO_SYNTHETIC_PREFIX "synthetic:"
#define TOPO_XML_PREFIX "xml:"

struct topo {
    hwloc_topology_t hw;
    bool real;
    char *source; /* "real", "synthetic:...", "xml:PATH" */
};

/* GPU OS devices by name prefix, best first: one physical GPU shows up once
 * per backend (cuda0, nvml0, opencl0d0), so only the best kind present is
 * advertised, which keeps indices equal to CUDA_VISIBLE_DEVICES ordinals. */
static const char *const gpu_kinds[] = {
    "cuda", "rsmi", "nvml", "ze", "opencl",
};
#define GPU_KIND_COUNT (sizeof (gpu_kinds) / sizeof (gpu_kinds[0]))

static bool has_prefix (const char *s, const char *prefix)
{
    return strncmp (s, prefix, strlen (prefix)) == 0;
}

static int topo_load (topo_t *t, const char *spec, cphub_error_t *err)
{
    if (hwloc_topology_init (&t->hw) < 0) {
        t->hw = NULL;
        return cphub_fail (err, errno ? errno : ENOMEM, "cannot initialise hwloc: %s",
                           strerror (errno));
    }
    hwloc_topology_set_io_types_filter (t->hw, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
    if (t->real) {
        /* nothing: hwloc reads this machine */
    } else if (has_prefix (spec, TOPO_SYNTHETIC_PREFIX)) {
        const char *desc = spec + strlen (TOPO_SYNTHETIC_PREFIX);
        if (hwloc_topology_set_synthetic (t->hw, desc) < 0)
            return cphub_fail (err, EINVAL,
                               "synthetic topology '%s': hwloc cannot parse it (e.g. "
                               "\"package:2 numa:1(memory=16GiB) core:8 pu:1\")",
                               desc);
    } else {
        const char *path = spec + strlen (TOPO_XML_PREFIX);
        if (access (path, R_OK) < 0)
            return cphub_fail (err, errno, "xml topology '%s': %s", path,
                               strerror (errno));
        if (hwloc_topology_set_xml (t->hw, path) < 0)
            return cphub_fail (err, EINVAL, "xml topology '%s': hwloc cannot read it",
                               path);
    }
    if (hwloc_topology_load (t->hw) < 0)
        return cphub_fail (err, EINVAL, "topology '%s': hwloc cannot load it: %s",
                           t->source, strerror (errno));
    return 0;
}

topo_t *topo_create (const char *spec, cphub_error_t *err)
{
    topo_t *t = NULL;
    int saved;

    if (spec == NULL)
        spec = "";
    if (spec[0] != '\0' &&
        !(has_prefix (spec, TOPO_SYNTHETIC_PREFIX) &&
          spec[strlen (TOPO_SYNTHETIC_PREFIX)] != '\0') &&
        !(has_prefix (spec, TOPO_XML_PREFIX) &&
          spec[strlen (TOPO_XML_PREFIX)] != '\0')) {
        cphub_fail (err, EINVAL,
                    "topology '%s': use \"\" for this machine, "
                    "\"synthetic:<hwloc synthetic description>\" or \"xml:PATH\"",
                    spec);
        return NULL;
    }
    if (!(t = calloc (1, sizeof (*t)))) {
        cphub_fail (err, ENOMEM, "out of memory");
        return NULL;
    }
    t->real = spec[0] == '\0';
    if (!(t->source = strdup (t->real ? "real" : spec))) {
        cphub_fail (err, ENOMEM, "out of memory");
        goto error;
    }
    if (topo_load (t, spec, err) < 0)
        goto error;
    return t;
error:
    saved = errno;
    topo_destroy (t);
    errno = saved;
    return NULL;
}

void topo_destroy (topo_t *t)
{
    if (!t)
        return;
    if (t->hw)
        hwloc_topology_destroy (t->hw);
    free (t->source);
    free (t);
}

bool topo_binding (const topo_t *t)
{
    return t->real;
}

const char *topo_source (const topo_t *t)
{
    return t->source;
}

struct hwloc_topology *topo_hwloc (const topo_t *t)
{
    return t->hw;
}

/* The NUMA domain index (hwloc logical index of the NUMA node) local to obj:
 * the first NUMA node in its nodeset; 0 when it has none. */
static uint32_t obj_numa (hwloc_topology_t hw, hwloc_obj_t obj)
{
    hwloc_obj_t numa;
    int os;

    while (obj && !obj->nodeset)
        obj = obj->parent;
    if (!obj || (os = hwloc_bitmap_first (obj->nodeset)) < 0)
        return 0;
    numa = hwloc_get_numanode_obj_by_os_index (hw, (unsigned)os);
    return numa ? numa->logical_index : 0;
}

static int describe_numa (hwloc_topology_t hw, node_desc_t *out, cphub_error_t *err)
{
    int n = hwloc_get_nbobjs_by_type (hw, HWLOC_OBJ_NUMANODE);

    if (n > NODE_NUMA_MAX)
        return cphub_fail (err, EINVAL,
                           "topology has %d NUMA domains; at most %d are supported", n,
                           NODE_NUMA_MAX);
    out->nnuma = n > 0 ? (uint32_t)n : 1;
    if (!(out->numa_mem = calloc (out->nnuma, sizeof (*out->numa_mem))))
        return cphub_fail (err, ENOMEM, "out of memory");
    out->mem = 0;
    for (int i = 0; i < n; i++) {
        hwloc_obj_t numa = hwloc_get_obj_by_type (hw, HWLOC_OBJ_NUMANODE, (unsigned)i);
        out->numa_mem[i] = numa->attr ? numa->attr->numanode.local_memory : 0;
        out->mem += out->numa_mem[i];
    }
    return 0;
}

static uint32_t ancestor_index (hwloc_topology_t hw,
                                hwloc_obj_type_t type,
                                hwloc_obj_t obj,
                                bool *found)
{
    hwloc_obj_t a = hwloc_get_ancestor_obj_by_type (hw, type, obj);

    *found = a != NULL;
    return a ? a->logical_index : 0;
}

static int describe_cores (hwloc_topology_t hw, node_desc_t *out, cphub_error_t *err)
{
    hwloc_obj_type_t type = HWLOC_OBJ_CORE;
    int n = hwloc_get_nbobjs_by_type (hw, HWLOC_OBJ_CORE);
    int npackages = hwloc_get_nbobjs_by_type (hw, HWLOC_OBJ_PACKAGE);

    out->npackages = npackages > 0 ? (uint32_t)npackages : 1;
    if (n <= 0) {
        type = HWLOC_OBJ_PU; /* no Core level: each PU is a core */
        n = hwloc_get_nbobjs_by_type (hw, HWLOC_OBJ_PU);
    }
    if (n <= 0)
        return cphub_fail (err, EINVAL, "topology '%s' has no cores", out->topology);
    if (n > NODE_CORES_MAX)
        return cphub_fail (err, EINVAL,
                           "topology has %d cores; at most %d are supported", n,
                           NODE_CORES_MAX);
    if (!(out->cores = calloc ((size_t)n, sizeof (*out->cores))))
        return cphub_fail (err, ENOMEM, "out of memory");
    out->ncores = 0;
    for (int i = 0; i < n; i++) {
        hwloc_obj_t obj = hwloc_get_obj_by_type (hw, type, (unsigned)i);
        node_core_t *core = &out->cores[out->ncores];
        bool found;
        int len;

        if (!obj->cpuset || hwloc_bitmap_iszero (obj->cpuset))
            continue;
        core->package = ancestor_index (hw, HWLOC_OBJ_PACKAGE, obj, &found);
        core->numa = obj_numa (hw, obj);
        core->l3 = ancestor_index (hw, HWLOC_OBJ_L3CACHE, obj, &found);
        if (!found)
            core->l3 = ancestor_index (hw, HWLOC_OBJ_L2CACHE, obj, &found);
        if (!found)
            core->l3 = core->package;
        len = hwloc_bitmap_list_snprintf (core->pus, sizeof (core->pus), obj->cpuset);
        if (len < 0 || (size_t)len >= sizeof (core->pus))
            return cphub_fail (err, EINVAL, "core %d has too many PUs to describe", i);
        out->ncores++;
    }
    return 0;
}

static int gpu_kind (hwloc_obj_t osdev)
{
    if (osdev->attr->osdev.type != HWLOC_OBJ_OSDEV_GPU &&
        osdev->attr->osdev.type != HWLOC_OBJ_OSDEV_COPROC)
        return -1;
    if (!osdev->name)
        return -1;
    for (size_t k = 0; k < GPU_KIND_COUNT; k++) {
        if (has_prefix (osdev->name, gpu_kinds[k]))
            return (int)k;
    }
    return -1;
}

static int describe_gpus (hwloc_topology_t hw,
                          const topo_gpu_t *extra,
                          size_t nextra,
                          node_desc_t *out,
                          cphub_error_t *err)
{
    int best = -1;
    size_t count = 0;
    hwloc_obj_t osdev = NULL;

    while ((osdev = hwloc_get_next_osdev (hw, osdev))) {
        int kind = gpu_kind (osdev);
        if (kind < 0)
            continue;
        if (best < 0 || kind < best) {
            best = kind;
            count = 0;
        }
        if (kind == best)
            count++;
    }
    if (count + nextra > NODE_GPUS_MAX)
        return cphub_fail (err, EINVAL,
                           "node has %zu GPUs (%zu found, %zu in the config); at most "
                           "%d are supported",
                           count + nextra, count, nextra, NODE_GPUS_MAX);
    out->ngpus = 0;
    if (count + nextra == 0)
        return 0;
    if (!(out->gpus = calloc (count + nextra, sizeof (*out->gpus))))
        return cphub_fail (err, ENOMEM, "out of memory");
    while ((osdev = hwloc_get_next_osdev (hw, osdev))) {
        node_gpu_t *gpu = &out->gpus[out->ngpus];
        /* best < 0: no GPU found (gpu_kind is -1 for every other device) */
        if (best < 0 || gpu_kind (osdev) != best)
            continue;
        snprintf (gpu->name, sizeof (gpu->name), "%s", osdev->name);
        gpu->numa = obj_numa (hw, hwloc_get_non_io_ancestor_obj (hw, osdev));
        out->ngpus++;
    }
    for (size_t i = 0; i < nextra; i++) {
        if (extra[i].name[0] == '\0')
            return cphub_fail (err, EINVAL, "gpus[%zu]: the name is empty", i);
        if (extra[i].numa >= out->nnuma)
            return cphub_fail (err, EINVAL,
                               "gpus[%zu] '%s': NUMA domain %u, but this node has %u "
                               "(0..%u)",
                               i, extra[i].name, extra[i].numa, out->nnuma,
                               out->nnuma - 1);
        for (uint32_t j = 0; j < out->ngpus; j++) {
            if (strcmp (out->gpus[j].name, extra[i].name) == 0)
                return cphub_fail (err, EINVAL,
                                   "gpus[%zu]: GPU name '%s' is used twice", i,
                                   extra[i].name);
        }
        out->gpus[out->ngpus++] = (node_gpu_t){.numa = extra[i].numa};
        snprintf (out->gpus[out->ngpus - 1].name, sizeof (out->gpus[0].name), "%s",
                  extra[i].name);
    }
    return 0;
}

int topo_describe (const topo_t *t,
                   const topo_gpu_t *extra,
                   size_t nextra,
                   const char *features,
                   node_desc_t *out,
                   cphub_error_t *err)
{
    int saved;

    node_desc_clear (out);
    if (features && strlen (features) >= sizeof (out->features)) {
        cphub_fail (err, EINVAL, "features '%.40s...' are %zu bytes; at most %zu fit",
                    features, strlen (features), sizeof (out->features) - 1);
        goto error;
    }
    snprintf (out->features, sizeof (out->features), "%s", features ? features : "");
    snprintf (out->topology, sizeof (out->topology), "%s", t->source);
    out->binding = t->real;
    if (describe_numa (t->hw, out, err) < 0 || describe_cores (t->hw, out, err) < 0 ||
        describe_gpus (t->hw, extra, nextra, out, err) < 0)
        goto error;
    return 0;
error:
    saved = errno;
    node_desc_clear (out);
    errno = saved;
    return -1;
}

/* The cpuset of cpus (PU OS indices), checked against the node. */
static int binding_cpuset (const topo_t *t,
                           const char *cpus,
                           hwloc_bitmap_t set,
                           cphub_error_t *err)
{
    hwloc_const_bitmap_t avail = t->real ? hwloc_topology_get_allowed_cpuset (t->hw)
                                         : hwloc_topology_get_topology_cpuset (t->hw);
    char have[128];

    if (hwloc_bitmap_list_sscanf (set, cpus) < 0 || hwloc_bitmap_iszero (set) ||
        hwloc_bitmap_weight (set) < 0)
        return cphub_fail (err, EINVAL, "cpus '%s' is not a list of cpu ids", cpus);
    if (!hwloc_bitmap_isincluded (set, avail)) {
        hwloc_bitmap_list_snprintf (have, sizeof (have), avail);
        return cphub_fail (err, EINVAL, "cpus '%s' are not on this node (it has %s)",
                           cpus, have);
    }
    return 0;
}

/* The nodeset (NUMA OS indices) of mems (NUMA domain indices). */
static int binding_nodeset (const topo_t *t,
                            const char *mems,
                            hwloc_bitmap_t set,
                            cphub_error_t *err)
{
    int nnuma = hwloc_get_nbobjs_by_type (t->hw, HWLOC_OBJ_NUMANODE);
    hwloc_bitmap_t domains = hwloc_bitmap_alloc ();
    int i, rc = -1;

    if (!domains)
        return cphub_fail (err, ENOMEM, "out of memory");
    if (hwloc_bitmap_list_sscanf (domains, mems) < 0 || hwloc_bitmap_iszero (domains) ||
        hwloc_bitmap_weight (domains) < 0) {
        cphub_fail (err, EINVAL, "mems '%s' is not a list of NUMA domains", mems);
        goto done;
    }
    hwloc_bitmap_foreach_begin (i, domains)
    {
        hwloc_obj_t numa =
            i < nnuma ? hwloc_get_obj_by_type (t->hw, HWLOC_OBJ_NUMANODE, (unsigned)i)
                      : NULL;
        if (!numa) {
            cphub_fail (err, EINVAL, "NUMA domain %d is not on this node (it has 0-%d)",
                        i, nnuma - 1);
            goto done;
        }
        hwloc_bitmap_set (set, numa->os_index);
    }
    hwloc_bitmap_foreach_end ();
    rc = 0;
done:
    hwloc_bitmap_free (domains);
    return rc;
}

int topo_binding_sets (const topo_t *t,
                       const char *cpus,
                       const char *mems,
                       struct hwloc_bitmap_s **cpuset,
                       struct hwloc_bitmap_s **nodeset,
                       cphub_error_t *err)
{
    hwloc_bitmap_t cs = NULL, ns = NULL;
    int saved;

    *cpuset = *nodeset = NULL;
    if (!(cs = hwloc_bitmap_alloc ()) || !(ns = hwloc_bitmap_alloc ())) {
        cphub_fail (err, ENOMEM, "out of memory");
        goto error;
    }
    if ((cpus[0] && binding_cpuset (t, cpus, cs, err) < 0) ||
        (mems[0] && binding_nodeset (t, mems, ns, err) < 0))
        goto error;
    if (t->real && cpus[0]) {
        *cpuset = cs;
        cs = NULL;
    }
    if (t->real && mems[0] &&
        !hwloc_bitmap_isincluded (hwloc_topology_get_topology_nodeset (t->hw), ns)) {
        *nodeset = ns;
        ns = NULL;
    }
    hwloc_bitmap_free (cs);
    hwloc_bitmap_free (ns);
    return 0;
error:
    saved = errno;
    hwloc_bitmap_free (cs);
    hwloc_bitmap_free (ns);
    errno = saved;
    return -1;
}

int topo_discover (const char *spec,
                   const topo_gpu_t *extra,
                   size_t nextra,
                   const char *features,
                   node_desc_t *out,
                   cphub_error_t *err)
{
    topo_t *t = topo_create (spec, err);
    int rc;
    int saved;

    if (!t) {
        node_desc_clear (out);
        return -1;
    }
    rc = topo_describe (t, extra, nextra, features, out, err);
    saved = errno;
    topo_destroy (t);
    errno = saved;
    return rc;
}
