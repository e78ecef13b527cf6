/* resource.c: lifecycle and consistency checks for node_desc_t, the
 * description of a node's cores, NUMA memory and GPUs that the agent builds
 * from hwloc, the codec carries, and the scheduler's core places on.
 *
 * node_desc_validate is the scheduler's guard against a confused or hostile
 * agent: everything the placement code later indexes by is checked here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/idset.h"
#include "cphub/resource.h"

void node_desc_init (node_desc_t *d)
{
    memset (d, 0, sizeof (*d));
}

void node_desc_clear (node_desc_t *d)
{
    if (!d)
        return;
    int saved = errno;
    free (d->numa_mem);
    free (d->cores);
    free (d->gpus);
    free (d->jobs);
    node_desc_init (d);
    errno = saved;
}

/* malloc'd copy of n elements of size sz; NULL for n == 0 (not an error). */
static int node_desc_dup (void **dst, const void *src, size_t n, size_t sz)
{
    *dst = NULL;
    if (n == 0 || !src)
        return 0;
    if (!(*dst = malloc (n * sz)))
        return -1;
    memcpy (*dst, src, n * sz);
    return 0;
}

int node_desc_copy (node_desc_t *dst, const node_desc_t *src)
{
    node_desc_t tmp = *src;

    tmp.numa_mem = NULL;
    tmp.cores = NULL;
    tmp.gpus = NULL;
    tmp.jobs = NULL;
    if (node_desc_dup ((void **)&tmp.numa_mem, src->numa_mem, src->nnuma,
                       sizeof (uint64_t)) < 0 ||
        node_desc_dup ((void **)&tmp.cores, src->cores, src->ncores,
                       sizeof (node_core_t)) < 0 ||
        node_desc_dup ((void **)&tmp.gpus, src->gpus, src->ngpus, sizeof (node_gpu_t)) <
            0 ||
        node_desc_dup ((void **)&tmp.jobs, src->jobs, src->njobs, sizeof (uint64_t)) <
            0)
        goto error;
    *dst = tmp;
    return 0;
error:
    node_desc_clear (&tmp);
    errno = ENOMEM;
    return -1;
}

/* A NUL within n bytes and only printable characters before it. */
static bool node_desc_printable (const char *s, size_t n, bool allow_empty)
{
    size_t len = strnlen (s, n);

    if (len == n || (len == 0 && !allow_empty))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isprint ((unsigned char)s[i]))
            return false;
    }
    return true;
}

int node_desc_validate (const node_desc_t *d, cphub_error_t *err)
{
    idset_t *seen = NULL;
    idset_t *pus = NULL;
    cphub_error_t perr;

    if (!node_desc_printable (d->name, sizeof (d->name), false))
        return cphub_fail (err, EINVAL, "node name is empty or not printable");
    for (const char *p = d->name; *p; p++) {
        if (isspace ((unsigned char)*p) || *p == ',')
            return cphub_fail (err, EINVAL,
                               "node name '%s' has a space or comma; use letters, "
                               "digits, '-', '_' or '.'",
                               d->name);
    }
    if (!node_desc_printable (d->features, sizeof (d->features), true))
        return cphub_fail (err, EINVAL, "node %s: features are not printable text",
                           d->name);
    if (!node_desc_printable (d->topology, sizeof (d->topology), true))
        return cphub_fail (err, EINVAL, "node %s: topology is not printable text",
                           d->name);
    if (!node_desc_printable (d->isolation, sizeof (d->isolation), true))
        return cphub_fail (err, EINVAL, "node %s: isolation is not printable text",
                           d->name);
    if (d->nnuma < 1 || d->nnuma > NODE_NUMA_MAX)
        return cphub_fail (err, EINVAL, "node %s: %u NUMA domains; give 1 to %d",
                           d->name, d->nnuma, NODE_NUMA_MAX);
    if (!d->numa_mem)
        return cphub_fail (err, EINVAL, "node %s: NUMA memory sizes are missing",
                           d->name);
    if (d->ncores < 1 || d->ncores > NODE_CORES_MAX)
        return cphub_fail (err, EINVAL, "node %s: %u cores; give 1 to %d", d->name,
                           d->ncores, NODE_CORES_MAX);
    if (!d->cores)
        return cphub_fail (err, EINVAL, "node %s: core list is missing", d->name);
    if (d->ngpus > NODE_GPUS_MAX)
        return cphub_fail (err, EINVAL, "node %s: %u GPUs; at most %d are supported",
                           d->name, d->ngpus, NODE_GPUS_MAX);
    if (d->ngpus > 0 && !d->gpus)
        return cphub_fail (err, EINVAL, "node %s: GPU list is missing", d->name);
    if (d->njobs > NODE_JOBS_MAX)
        return cphub_fail (err, EINVAL, "node %s: holds %u jobs; at most %d", d->name,
                           d->njobs, NODE_JOBS_MAX);
    if (d->njobs > 0 && !d->jobs)
        return cphub_fail (err, EINVAL, "node %s: job list is missing", d->name);
    /* A topology without a package level (some synthetic ones) counts as one. */
    uint32_t npackages = d->npackages ? d->npackages : 1;

    if (!(seen = idset_create ()))
        goto nomem;
    for (uint32_t i = 0; i < d->ncores; i++) {
        const node_core_t *c = &d->cores[i];
        if (c->numa >= d->nnuma) {
            cphub_fail (err, EINVAL,
                        "node %s: core %u is in NUMA domain %u; the node has %u",
                        d->name, i, c->numa, d->nnuma);
            goto error;
        }
        if (c->package >= npackages) {
            cphub_fail (err, EINVAL,
                        "node %s: core %u is in package %u; the node has %u", d->name,
                        i, c->package, npackages);
            goto error;
        }
        if (strnlen (c->pus, sizeof (c->pus)) == sizeof (c->pus)) {
            cphub_fail (err, EINVAL, "node %s: core %u: PU list is not terminated",
                        d->name, i);
            goto error;
        }
        if (!(pus = idset_decode (c->pus, &perr))) {
            if (errno == ENOMEM)
                goto nomem;
            cphub_fail (err, EINVAL, "node %s: core %u: %s", d->name, i, perr.text);
            goto error;
        }
        if (idset_empty (pus)) {
            cphub_fail (err, EINVAL, "node %s: core %u has no PUs", d->name, i);
            goto error;
        }
        for (int pu = idset_first (pus); pu != IDSET_NONE; pu = idset_next (pus, pu)) {
            if (idset_test (seen, pu)) {
                cphub_fail (err, EINVAL, "node %s: PU %d appears in two cores", d->name,
                            pu);
                goto error;
            }
        }
        if (idset_add (seen, pus) < 0)
            goto nomem;
        idset_destroy (pus);
        pus = NULL;
    }
    for (uint32_t i = 0; i < d->ngpus; i++) {
        const node_gpu_t *g = &d->gpus[i];
        if (!node_desc_printable (g->name, sizeof (g->name), false)) {
            cphub_fail (err, EINVAL, "node %s: GPU %u has an empty or unprintable name",
                        d->name, i);
            goto error;
        }
        if (g->numa >= d->nnuma) {
            cphub_fail (err, EINVAL,
                        "node %s: GPU %s is on NUMA domain %u; the node has %u",
                        d->name, g->name, g->numa, d->nnuma);
            goto error;
        }
    }
    idset_destroy (seen);
    return 0;
nomem:
    cphub_fail (err, ENOMEM, "out of memory");
error:
    idset_destroy (pus);
    idset_destroy (seen);
    errno = (errno == ENOMEM) ? ENOMEM : EINVAL;
    return -1;
}
