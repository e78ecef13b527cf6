/* sched_alloc.c: a job's allocations (sched.h's sched_alloc_t: on the node
 * it runs on, and on each other node of a multi-node job): the one copy,
 * move and free of an allocation, deep copies of a job's others for the
 * store and restore, their text form for a store's column, and what the
 * shell shows and sends of a started job's nodes (job_info's nodelist,
 * job.run's nodelist and cpus_per_node). sched_place.c decides the
 * allocations; this file only carries them. No I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/core/sched_int.h"

/* --- allocations --------------------------------------------------------- */

void sched_alloc_clear (sched_alloc_t *a)
{
    idset_destroy (a->cores);
    idset_destroy (a->cpus);
    idset_destroy (a->gpus);
    idset_destroy (a->mems);
    *a = (sched_alloc_t){.mem = 0};
}

void sched_alloc_move (sched_alloc_t *dst, sched_alloc_t *src)
{
    if (dst == src)
        return;
    sched_alloc_clear (dst);
    *dst = *src;
    *src = (sched_alloc_t){.mem = 0};
}

void sched_alloc_take (sched_alloc_t *a, placement_t *p, const char *node)
{
    sched_alloc_t placed = {.cores = p->cores,
                            .cpus = p->cpus,
                            .gpus = p->gpus,
                            .mems = p->mems,
                            .mem = p->mem};

    snprintf (placed.node, sizeof (placed.node), "%s", node);
    sched_alloc_move (a, &placed);
    placement_init (p);
}

/* Copy one set; a NULL one stays NULL, or becomes empty with empty. */
static int set_dup (idset_t **dst, const idset_t *src, bool empty)
{
    *dst = src ? idset_copy (src) : empty ? idset_create () : NULL;
    return *dst || (!src && !empty) ? 0 : -1;
}

static int alloc_copy (sched_alloc_t *dst, const sched_alloc_t *src, bool empty)
{
    *dst = (sched_alloc_t){.mem = src->mem};
    memcpy (dst->node, src->node, sizeof (dst->node));
    if (set_dup (&dst->cores, src->cores, empty) < 0 ||
        set_dup (&dst->cpus, src->cpus, empty) < 0 ||
        set_dup (&dst->gpus, src->gpus, empty) < 0 ||
        set_dup (&dst->mems, src->mems, empty) < 0) {
        sched_alloc_clear (dst);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

int sched_alloc_copy (sched_alloc_t *dst, const sched_alloc_t *src)
{
    return alloc_copy (dst, src, false);
}

int sched_alloc_hold_copy (sched_alloc_t *dst, const sched_alloc_t *src)
{
    return alloc_copy (dst, src, true);
}

void sched_allocs_free (sched_alloc_t *a, uint32_t n)
{
    if (!a)
        return;
    for (uint32_t i = 0; i < n; i++)
        sched_alloc_clear (&a[i]);
    free (a);
}

sched_alloc_t *sched_allocs_copy (const sched_alloc_t *src, uint32_t n)
{
    sched_alloc_t *a;

    if (n == 0 || !src)
        return NULL;
    if (!(a = calloc (n, sizeof (*a))))
        goto nomem;
    for (uint32_t i = 0; i < n; i++)
        if (sched_alloc_hold_copy (&a[i], &src[i]) < 0)
            goto nomem;
    return a;
nomem:
    sched_allocs_free (a, n);
    errno = ENOMEM;
    return NULL;
}

char *sched_allocs_encode (const sched_alloc_t *a, uint32_t n)
{
    char *text = NULL, *sets[4] = {NULL, NULL, NULL, NULL};
    size_t len = 0, cap = 0;

    if (sched_grow ((void **)&text, &cap, 1, 1) < 0)
        return NULL;
    text[0] = '\0';
    for (uint32_t i = 0; i < n; i++) {
        const idset_t *from[4] = {a[i].cores, a[i].cpus, a[i].gpus, a[i].mems};
        int k;
        for (k = 0; k < 4; k++) {
            if (!(sets[k] = from[k] ? idset_encode_alloc (from[k]) : strdup ("")))
                goto nomem;
        }
        size_t need = strlen (a[i].node) + strlen (sets[0]) + strlen (sets[1]) +
                      strlen (sets[2]) + strlen (sets[3]) + 32;
        if (sched_grow ((void **)&text, &cap, len + need, 1) < 0)
            goto nomem;
        len += (size_t)snprintf (text + len, cap - len, "%s%s|%s|%s|%s|%s|%ju",
                                 i ? ";" : "", a[i].node, sets[0], sets[1], sets[2],
                                 sets[3], (uintmax_t)a[i].mem);
        for (k = 0; k < 4; k++) {
            free (sets[k]);
            sets[k] = NULL;
        }
    }
    return text;
nomem:
    for (int k = 0; k < 4; k++)
        free (sets[k]);
    free (text);
    errno = ENOMEM;
    return NULL;
}

int sched_allocs_decode (const char *text,
                         sched_alloc_t **out,
                         uint32_t *n,
                         cphub_error_t *err)
{
    sched_alloc_t *a = NULL;
    uint32_t count = 0;
    char *copy = NULL, *save = NULL, *part;

    *out = NULL;
    *n = 0;
    if (!text || !*text)
        return 0;
    count = 1;
    for (const char *c = text; *c; c++)
        count += *c == ';';
    if (count > JOBSPEC_NODES_MAX)
        return cphub_fail (err, EINVAL, "more than %d other nodes", JOBSPEC_NODES_MAX);
    if (!(copy = strdup (text)) || !(a = calloc (count, sizeof (*a)))) {
        cphub_fail (err, ENOMEM, "out of memory");
        goto error;
    }
    part = strtok_r (copy, ";", &save);
    for (uint32_t i = 0; i < count; i++, part = strtok_r (NULL, ";", &save)) {
        char *field[6], *end = NULL, *f = part;
        int k = 0;
        /* six fields split at '|' in place */
        while (f && k < 6) {
            field[k++] = f;
            if ((f = strchr (f, '|')))
                *f++ = '\0';
        }
        if (k != 6 || f || !field[0][0] || strlen (field[0]) > NODE_NAME_MAX) {
            cphub_fail (err, EINVAL,
                        "allocation %u is not node|cores|cpus|gpus|mems|mem", i + 1);
            goto error;
        }
        snprintf (a[i].node, sizeof (a[i].node), "%s", field[0]);
        if (!(a[i].cores = idset_decode (field[1], err)) ||
            !(a[i].cpus = idset_decode (field[2], err)) ||
            !(a[i].gpus = idset_decode (field[3], err)) ||
            !(a[i].mems = idset_decode (field[4], err)))
            goto error;
        errno = 0;
        a[i].mem = strtoull (field[5], &end, 10);
        if (errno || end == field[5] || *end) {
            cphub_fail (err, EINVAL, "allocation %u: memory '%.20s' is no number",
                        i + 1, field[5]);
            goto error;
        }
    }
    free (copy);
    *out = a;
    *n = count;
    return 0;
error:
    free (copy);
    sched_allocs_free (a, count);
    if (errno != ENOMEM)
        errno = EINVAL;
    return -1;
}

/* --- what the shell shows -------------------------------------------------------- */

static uint32_t count_of (const idset_t *s)
{
    return s ? (uint32_t)idset_count (s) : 0;
}

uint32_t sched_job_cores_held (const job_entry_t *e)
{
    uint32_t n = count_of (e->job.alloc.cores);

    for (uint32_t i = 0; i < e->job.nothers; i++)
        n += count_of (e->job.others[i].cores);
    return n;
}

uint32_t sched_job_gpus_held (const job_entry_t *e)
{
    uint32_t n = count_of (e->job.alloc.gpus);

    for (uint32_t i = 0; i < e->job.nothers; i++)
        n += count_of (e->job.others[i].gpus);
    return n;
}

void sched_place_info (const sched_job_t *job, job_info_t *info)
{
    size_t len = sizeof (info->nodelist), pos;

    info->array_id = job->array_id;
    info->array_index = job->array_index;
    info->array_throttle = job->spec.array ? job->spec.array->throttle : 0;
    info->nodelist[0] = '\0';
    if (!job->alloc.node[0])
        return;
    pos = (size_t)snprintf (info->nodelist, len, "%s", job->alloc.node);
    for (uint32_t i = 0; i < job->nothers && pos < len; i++) {
        size_t n = strlen (job->others[i].node) + 1;
        if (pos + n >= len - 4) {
            snprintf (info->nodelist + pos, len - pos, ",...");
            return;
        }
        pos += (size_t)snprintf (info->nodelist + pos, len - pos, ",%s",
                                 job->others[i].node);
    }
}

/* Append ",text" (or "text" at the start) at buf + *pos; false if full. */
static bool list_add (char *buf, size_t len, size_t *pos, const char *text)
{
    int n = snprintf (buf + *pos, len - *pos, "%s%s", *pos ? "," : "", text);

    if (n < 0 || (size_t)n >= len - *pos)
        return false;
    *pos += (size_t)n;
    return true;
}

int sched_job_layout (const sched_job_t *job,
                      char *nodelist,
                      size_t nodelist_len,
                      char *cpus_per_node,
                      size_t cpus_len)
{
    size_t npos = 0, cpos = 0;
    char count[16];
    bool ok;

    nodelist[0] = cpus_per_node[0] = '\0';
    snprintf (count, sizeof (count), "%d",
              job->alloc.cores ? idset_count (job->alloc.cores) : 0);
    ok = list_add (nodelist, nodelist_len, &npos, job->alloc.node) &&
         list_add (cpus_per_node, cpus_len, &cpos, count);
    for (uint32_t i = 0; ok && i < job->nothers; i++) {
        const sched_alloc_t *a = &job->others[i];
        snprintf (count, sizeof (count), "%d", a->cores ? idset_count (a->cores) : 0);
        ok = list_add (nodelist, nodelist_len, &npos, a->node) &&
             list_add (cpus_per_node, cpus_len, &cpos, count);
    }
    if (!ok) {
        errno = ENOSPC;
        return -1;
    }
    return 0;
}
