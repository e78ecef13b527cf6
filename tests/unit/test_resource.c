/* test_resource.c: unit tests for common/resource.c, the node description
 * the agent sends and the scheduler checks before placing anything on it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/resource.h"

static node_desc_t d;

/* node1: 1 package, 2 NUMA domains, 4 cores with 2 PUs each, 1 GPU. */
static void setup (void)
{
    node_desc_init (&d);
    strcpy (d.name, "node1");
    d.npackages = 1;
    d.nnuma = 2;
    d.numa_mem = calloc (2, sizeof (uint64_t));
    d.numa_mem[0] = d.numa_mem[1] = 8ULL << 30;
    d.mem = 16ULL << 30;
    d.ncores = 4;
    d.cores = calloc (4, sizeof (node_core_t));
    for (uint32_t i = 0; i < 4; i++) {
        d.cores[i].numa = i / 2;
        snprintf (d.cores[i].pus, sizeof (d.cores[i].pus), "%u,%u", i, i + 4);
    }
    d.ngpus = 1;
    d.gpus = calloc (1, sizeof (node_gpu_t));
    strcpy (d.gpus[0].name, "gpu0");
    d.gpus[0].numa = 1;
    strcpy (d.topology, "synthetic:node:2 core:2 pu:2");
    d.njobs = 2;
    d.jobs = calloc (2, sizeof (uint64_t));
    d.jobs[0] = 7;
    d.jobs[1] = 9;
}

static void teardown (void)
{
    node_desc_clear (&d);
}

TestSuite (node_desc, .init = setup, .fini = teardown);

static void invalid (const char *needle)
{
    cphub_error_t err = {{0}};

    errno = 0;
    cr_assert_eq (node_desc_validate (&d, &err), -1, "should be rejected");
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, needle), "'%s' not in '%s'", needle, err.text);
}

Test (node_desc, valid)
{
    cphub_error_t err = {{0}};

    cr_assert_eq (node_desc_validate (&d, &err), 0, "%s", err.text);
}

Test (node_desc, copy_is_deep)
{
    node_desc_t c;

    cr_assert_eq (node_desc_copy (&c, &d), 0);
    cr_assert_str_eq (c.name, "node1");
    cr_assert_neq (c.cores, d.cores);
    cr_assert_str_eq (c.cores[3].pus, "3,7");
    cr_assert_eq (c.jobs[1], 9);
    cr_assert_eq (c.numa_mem[1], 8ULL << 30);
    c.cores[0].numa = 1;
    cr_assert_eq (d.cores[0].numa, 0);
    node_desc_clear (&c);
    cr_assert_null (c.cores);
    cr_assert_eq (c.ncores, 0);
    node_desc_clear (NULL);
}

Test (node_desc, bad_name)
{
    d.name[0] = '\0';
    invalid ("name");
    strcpy (d.name, "node 1");
    invalid ("space");
}

Test (node_desc, counts)
{
    d.ncores = 0;
    invalid ("0 cores");
    d.ncores = 4;
    d.nnuma = 0;
    invalid ("0 NUMA");
    d.nnuma = 2;
    d.ngpus = NODE_GPUS_MAX + 1;
    invalid ("GPUs");
}

Test (node_desc, core_numa_out_of_range)
{
    d.cores[2].numa = 2;
    invalid ("core 2 is in NUMA domain 2; the node has 2");
}

Test (node_desc, pu_in_two_cores)
{
    strcpy (d.cores[1].pus, "1,4");
    invalid ("PU 4 appears in two cores");
}

Test (node_desc, bad_pu_list)
{
    strcpy (d.cores[0].pus, "x");
    invalid ("core 0");
    strcpy (d.cores[0].pus, "");
    invalid ("no PUs");
}

Test (node_desc, gpu_numa_out_of_range)
{
    d.gpus[0].numa = 5;
    invalid ("GPU gpu0 is on NUMA domain 5");
}
