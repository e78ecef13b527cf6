/* test_topo.c: unit tests for agent/topo.c, the agent's hwloc discovery.
 *
 * Synthetic descriptions and the hwloc XML files of tests/fixtures/ are
 * turned into the node_desc_t an agent registers with, and the binding
 * planner (topo_binding_sets) is checked on them and on this machine.
 * Fixtures are found through CPHUB_SRCDIR (set by make check), else through
 * the source directory this file was compiled from.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <hwloc.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/topo.h"
#include "cphub/idset.h"
#include "cphub/resource.h"

#define SYNTH_2x4x2 "synthetic:package:2 numa:1 l3:1 core:4 pu:2"
#define SYNTH_MEM "synthetic:package:2 numa:1(memory=16GiB) core:2 pu:1"
#define GiB (1ULL << 30)

/* The source tree: $CPHUB_SRCDIR, else two levels above this file. */
static void srcdir (char *buf, size_t len)
{
    const char *env = getenv ("CPHUB_SRCDIR");
    const char *file = __FILE__;
    const char *suffix = "tests/unit/test_topo.c";
    size_t flen = strlen (file), slen = strlen (suffix);

    if (env && env[0]) {
        snprintf (buf, len, "%s", env);
        return;
    }
    cr_assert_geq (flen, slen, "cannot find the source dir from %s", file);
    cr_assert_str_eq (file + flen - slen, suffix);
    if (flen == slen)
        snprintf (buf, len, ".");
    else
        snprintf (buf, len, "%.*s", (int)(flen - slen - 1), file);
}

/* "xml:<srcdir>/tests/fixtures/<name>" */
static void fixture_spec (const char *name, char *buf, size_t len)
{
    char dir[PATH_MAX];
    int n;

    srcdir (dir, sizeof (dir));
    n = snprintf (buf, len, "xml:%s/tests/fixtures/%s", dir, name);
    cr_assert (n > 0 && (size_t)n < len);
    cr_assert_eq (access (buf + 4, R_OK), 0, "fixture %s is missing", buf + 4);
}

static void discover_ok (const char *spec,
                         const topo_gpu_t *extra,
                         size_t nextra,
                         const char *features,
                         node_desc_t *d)
{
    cphub_error_t err = {{0}};

    node_desc_init (d);
    cr_assert_eq (topo_discover (spec, extra, nextra, features, d, &err), 0,
                  "topo_discover (%s): %s", spec, err.text);
}

/* The description is one the scheduler accepts once named. */
static void assert_valid (node_desc_t *d)
{
    cphub_error_t err = {{0}};

    snprintf (d->name, sizeof (d->name), "node1");
    cr_assert_eq (node_desc_validate (d, &err), 0, "%s", err.text);
}

static int pu_count (const char *pus)
{
    cphub_error_t err = {{0}};
    idset_t *s = idset_decode (pus, &err);
    int n;

    cr_assert_not_null (s, "pus '%s': %s", pus, err.text);
    n = idset_count (s);
    idset_destroy (s);
    return n;
}

/* The union of every core's PUs, as text. */
static void all_pus (const node_desc_t *d, char *buf, size_t len)
{
    cphub_error_t err = {{0}};
    idset_t *all = idset_create ();

    cr_assert_not_null (all);
    for (uint32_t i = 0; i < d->ncores; i++) {
        idset_t *s = idset_decode (d->cores[i].pus, &err);
        cr_assert_not_null (s, "%s", err.text);
        cr_assert_eq (idset_add (all, s), 0);
        idset_destroy (s);
    }
    cr_assert_eq (idset_encode (all, buf, len), 0);
    idset_destroy (all);
}

static void assert_fails (const char *spec, int errnum, const char *needle)
{
    cphub_error_t err = {{0}};
    topo_t *t;

    errno = 0;
    t = topo_create (spec, &err);
    cr_assert_null (t, "topology '%s' was accepted", spec);
    cr_assert_eq (errno, errnum, "'%s': errno %d (%s), wanted %d", spec, errno,
                  strerror (errno), errnum);
    cr_assert (strstr (err.text, needle), "'%s' not in '%s'", needle, err.text);
}

/* --- synthetic topologies ------------------------------------------------- */

Test (topo_synthetic, packages_numa_cores_pus)
{
    node_desc_t d;
    char pus[128];

    discover_ok (SYNTH_2x4x2, NULL, 0, NULL, &d);
    cr_assert_eq (d.npackages, 2);
    cr_assert_eq (d.nnuma, 2);
    cr_assert_eq (d.ncores, 8);
    cr_assert_eq (d.ngpus, 0);
    cr_assert_null (d.gpus);
    cr_assert_str_empty (d.name, "the name is left to the caller");
    for (uint32_t i = 0; i < d.ncores; i++) {
        cr_assert_eq (d.cores[i].package, i / 4, "core %u", i);
        cr_assert_eq (d.cores[i].numa, i / 4, "core %u", i);
        cr_assert_eq (d.cores[i].l3, i / 4, "core %u: l3 per package", i);
        cr_assert_eq (pu_count (d.cores[i].pus), 2, "core %u has pus '%s'", i,
                      d.cores[i].pus);
    }
    all_pus (&d, pus, sizeof (pus));
    cr_assert_str_eq (pus, "0-15");
    assert_valid (&d);
    node_desc_clear (&d);
}

Test (topo_synthetic, memory_per_numa_and_l3_fallback)
{
    node_desc_t d;

    discover_ok (SYNTH_MEM, NULL, 0, NULL, &d);
    cr_assert_eq (d.nnuma, 2);
    cr_assert_not_null (d.numa_mem);
    cr_assert_eq (d.numa_mem[0], 16 * GiB);
    cr_assert_eq (d.numa_mem[1], 16 * GiB);
    cr_assert_eq (d.mem, 32 * GiB);
    cr_assert_eq (d.ncores, 4);
    /* no L3 or L2 level: the shared cache index is the package's */
    for (uint32_t i = 0; i < d.ncores; i++) {
        cr_assert_eq (d.cores[i].l3, d.cores[i].package, "core %u", i);
        cr_assert_eq (pu_count (d.cores[i].pus), 1);
    }
    assert_valid (&d);
    node_desc_clear (&d);
}

Test (topo_synthetic, pus_stand_in_without_core_level)
{
    node_desc_t d;

    discover_ok ("synthetic:numa:2 pu:3", NULL, 0, NULL, &d);
    cr_assert_eq (d.ncores, 6, "each PU is a core");
    cr_assert_eq (d.nnuma, 2);
    cr_assert_eq (d.npackages, 1, "no package level counts as one");
    for (uint32_t i = 0; i < d.ncores; i++)
        cr_assert_eq (d.cores[i].numa, i / 3);
    assert_valid (&d);
    node_desc_clear (&d);
}

Test (topo_synthetic, source_and_binding)
{
    cphub_error_t err = {{0}};
    topo_t *t = topo_create (SYNTH_2x4x2, &err);
    node_desc_t d;

    cr_assert_not_null (t, "%s", err.text);
    cr_assert_not (topo_binding (t), "a synthetic topology is never bound");
    cr_assert_str_eq (topo_source (t), SYNTH_2x4x2);
    cr_assert_not_null (topo_hwloc (t));
    node_desc_init (&d);
    cr_assert_eq (topo_describe (t, NULL, 0, "avx512,bigmem", &d, &err), 0, "%s",
                  err.text);
    cr_assert_not (d.binding);
    cr_assert_str_eq (d.topology, SYNTH_2x4x2);
    cr_assert_str_eq (d.features, "avx512,bigmem");
    /* describing twice gives the same, and clears what was there */
    cr_assert_eq (topo_describe (t, NULL, 0, NULL, &d, &err), 0, "%s", err.text);
    cr_assert_eq (d.ncores, 8);
    cr_assert_str_empty (d.features);
    node_desc_clear (&d);
    topo_destroy (t);
    topo_destroy (NULL);
}

Test (topo_synthetic, features_too_long)
{
    cphub_error_t err = {{0}};
    char features[400];
    node_desc_t d;

    memset (features, 'f', sizeof (features) - 1);
    features[sizeof (features) - 1] = '\0';
    node_desc_init (&d);
    errno = 0;
    cr_assert_eq (topo_discover (SYNTH_MEM, NULL, 0, features, &d, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, "399 bytes"), "%s", err.text);
    cr_assert_eq (d.ncores, 0);
    cr_assert_null (d.cores);
    node_desc_clear (&d);
}

Test (topo_synthetic, long_source_is_truncated)
{
    /* a description longer than node_desc_t.topology still loads */
    char spec[300];
    node_desc_t d;

    snprintf (spec, sizeof (spec), "synthetic:numa:1 core:1 pu:1%*s", 200, "");
    discover_ok (spec, NULL, 0, NULL, &d);
    cr_assert_eq (strlen (d.topology), sizeof (d.topology) - 1);
    cr_assert_eq (strncmp (d.topology, spec, sizeof (d.topology) - 1), 0);
    node_desc_clear (&d);
}

/* --- XML fixtures --------------------------------------------------------- */

Test (topo_xml, two_socket_32_cores)
{
    char spec[PATH_MAX + 8], pus[128];
    node_desc_t d;
    uint32_t per_numa[2] = {0, 0};

    fixture_spec ("two-socket-32c.xml", spec, sizeof (spec));
    discover_ok (spec, NULL, 0, NULL, &d);
    cr_assert_eq (d.npackages, 2);
    cr_assert_eq (d.nnuma, 2);
    cr_assert_eq (d.ncores, 32);
    cr_assert_eq (d.numa_mem[0], 64 * GiB);
    cr_assert_eq (d.numa_mem[1], 64 * GiB);
    cr_assert_eq (d.mem, 128 * GiB);
    cr_assert_eq (d.ngpus, 0);
    for (uint32_t i = 0; i < d.ncores; i++) {
        cr_assert_lt (d.cores[i].numa, 2);
        per_numa[d.cores[i].numa]++;
        cr_assert_eq (d.cores[i].numa, d.cores[i].package, "core %u", i);
        cr_assert_eq (d.cores[i].l3, d.cores[i].package, "core %u", i);
    }
    cr_assert_eq (per_numa[0], 16);
    cr_assert_eq (per_numa[1], 16);
    cr_assert_eq (d.cores[0].numa, 0, "logical order: numa 0 first");
    cr_assert_eq (d.cores[31].numa, 1);
    all_pus (&d, pus, sizeof (pus));
    cr_assert_str_eq (pus, "0-31");
    cr_assert_not (d.binding);
    cr_assert_str_eq (d.topology, spec);
    assert_valid (&d);
    node_desc_clear (&d);
}

Test (topo_xml, gpus_with_their_numa)
{
    char spec[PATH_MAX + 8];
    node_desc_t d;

    fixture_spec ("small-4c-2gpu.xml", spec, sizeof (spec));
    discover_ok (spec, NULL, 0, "a100", &d);
    cr_assert_eq (d.ncores, 4);
    cr_assert_eq (d.nnuma, 1);
    cr_assert_eq (d.mem, 8 * GiB);
    /* cuda0/cuda1 are advertised; their nvml twins are the same GPUs */
    cr_assert_eq (d.ngpus, 2);
    cr_assert_str_eq (d.gpus[0].name, "cuda0");
    cr_assert_str_eq (d.gpus[1].name, "cuda1");
    cr_assert_eq (d.gpus[0].numa, 0);
    cr_assert_eq (d.gpus[1].numa, 0);
    cr_assert_str_eq (d.features, "a100");
    cr_assert_not (d.binding);
    assert_valid (&d);
    node_desc_clear (&d);
}

/* two-socket-32c.xml with one GPU behind a bridge of package 1, written to a
 * temporary file: the GPU's NUMA domain is that of its package. */
static const char gpu_on_package1[] =
    "      <object type=\"Bridge\" gp_index=\"900\" bridge_type=\"0-1\" "
    "depth=\"0\" bridge_pci=\"0000:[80-81]\">\n"
    "        <object type=\"PCIDev\" gp_index=\"901\" "
    "pci_busid=\"0000:81:00.0\" pci_type=\"0302 [10de:20b0] [10de:1450] a1\" "
    "pci_link_speed=\"0.000000\">\n"
    "          <object type=\"OSDev\" gp_index=\"902\" name=\"cuda0\" "
    "subtype=\"CUDA\" osdev_type=\"5\"/>\n"
    "        </object>\n"
    "      </object>\n";

Test (topo_xml, gpu_numa_follows_its_package)
{
    const char *tail = "    </object>\n  </object>\n";
    char spec[PATH_MAX + 8], path[] = "/tmp/cphub-test-topo-XXXXXX";
    char xml_spec[sizeof (path) + 8];
    static char text[64 * 1024];
    node_desc_t d;
    size_t len;
    char *at;
    FILE *in, *out;
    int fd;

    fixture_spec ("two-socket-32c.xml", spec, sizeof (spec));
    cr_assert_not_null (in = fopen (spec + 4, "r"));
    len = fread (text, 1, sizeof (text) - 1, in);
    fclose (in);
    text[len] = '\0';
    cr_assert_not_null (at = strstr (text, tail), "fixture layout changed");
    cr_assert_geq (fd = mkstemp (path), 0);
    cr_assert_not_null (out = fdopen (fd, "w"));
    fprintf (out, "%.*s%s%s", (int)(at - text), text, gpu_on_package1, at);
    cr_assert_eq (fclose (out), 0);
    snprintf (xml_spec, sizeof (xml_spec), "xml:%s", path);
    node_desc_init (&d);
    cphub_error_t err = {{0}};
    int rc = topo_discover (xml_spec, NULL, 0, NULL, &d, &err);
    unlink (path);
    cr_assert_eq (rc, 0, "%s", err.text);
    cr_assert_eq (d.ncores, 32);
    cr_assert_eq (d.ngpus, 1);
    cr_assert_str_eq (d.gpus[0].name, "cuda0");
    cr_assert_eq (d.gpus[0].numa, 1, "the GPU hangs off package 1 (NUMA 1)");
    assert_valid (&d);
    node_desc_clear (&d);
}

Test (topo_xml, small_without_gpus)
{
    char spec[PATH_MAX + 8];
    node_desc_t d;

    fixture_spec ("small-4c.xml", spec, sizeof (spec));
    discover_ok (spec, NULL, 0, NULL, &d);
    cr_assert_eq (d.ncores, 4);
    cr_assert_eq (d.ngpus, 0);
    assert_valid (&d);
    node_desc_clear (&d);
}

/* --- GPUs from the config ------------------------------------------------- */

Test (topo_gpus, extra_gpus_appended)
{
    const topo_gpu_t extra[] = {
        {.name = "gpu0", .numa = 1},
        {.name = "gpu1", .numa = 0},
    };
    char spec[PATH_MAX + 8];
    node_desc_t d;

    discover_ok (SYNTH_2x4x2, extra, 2, NULL, &d);
    cr_assert_eq (d.ngpus, 2);
    cr_assert_str_eq (d.gpus[0].name, "gpu0");
    cr_assert_eq (d.gpus[0].numa, 1);
    cr_assert_str_eq (d.gpus[1].name, "gpu1");
    cr_assert_eq (d.gpus[1].numa, 0);
    assert_valid (&d);
    node_desc_clear (&d);

    /* after the ones hwloc found */
    fixture_spec ("small-4c-2gpu.xml", spec, sizeof (spec));
    discover_ok (spec, extra + 1, 1, NULL, &d);
    cr_assert_eq (d.ngpus, 3);
    cr_assert_str_eq (d.gpus[0].name, "cuda0");
    cr_assert_str_eq (d.gpus[1].name, "cuda1");
    cr_assert_str_eq (d.gpus[2].name, "gpu1");
    assert_valid (&d);
    node_desc_clear (&d);
}

static void extra_fails (const char *spec,
                         const topo_gpu_t *extra,
                         size_t nextra,
                         const char *needle)
{
    cphub_error_t err = {{0}};
    node_desc_t d;

    node_desc_init (&d);
    errno = 0;
    cr_assert_eq (topo_discover (spec, extra, nextra, "x", &d, &err), -1,
                  "extra GPUs accepted");
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, needle), "'%s' not in '%s'", needle, err.text);
    /* left cleared */
    cr_assert_eq (d.ncores, 0);
    cr_assert_null (d.cores);
    cr_assert_eq (d.ngpus, 0);
    cr_assert_null (d.gpus);
    cr_assert_null (d.numa_mem);
    cr_assert_str_empty (d.features);
    node_desc_clear (&d);
}

Test (topo_gpus, bad_extra_gpus)
{
    const topo_gpu_t far[] = {{.name = "gpu0", .numa = 0}, {.name = "gpu7", .numa = 2}};
    const topo_gpu_t unnamed[] = {{.name = "", .numa = 0}};
    const topo_gpu_t twice[] = {{.name = "gpu0", .numa = 0},
                                {.name = "gpu0", .numa = 1}};
    const topo_gpu_t clash[] = {{.name = "cuda1", .numa = 0}};
    char spec[PATH_MAX + 8];

    extra_fails (SYNTH_2x4x2, far, 2, "gpus[1] 'gpu7': NUMA domain 2");
    extra_fails (SYNTH_2x4x2, unnamed, 1, "gpus[0]: the name is empty");
    extra_fails (SYNTH_2x4x2, twice, 2, "'gpu0' is used twice");
    fixture_spec ("small-4c-2gpu.xml", spec, sizeof (spec));
    extra_fails (spec, clash, 1, "'cuda1' is used twice");
}

Test (topo_gpus, too_many_gpus)
{
    topo_gpu_t extra[NODE_GPUS_MAX + 1];

    for (size_t i = 0; i < NODE_GPUS_MAX + 1; i++)
        extra[i] = (topo_gpu_t){.numa = 0};
    for (size_t i = 0; i < NODE_GPUS_MAX + 1; i++)
        snprintf (extra[i].name, sizeof (extra[i].name), "gpu%zu", i);
    extra_fails (SYNTH_MEM, extra, NODE_GPUS_MAX + 1, "at most 64");
}

/* --- this machine --------------------------------------------------------- */

Test (topo_real, binding_and_shape)
{
    cphub_error_t err = {{0}};
    topo_t *t = topo_create ("", &err);
    node_desc_t d;
    long online = sysconf (_SC_NPROCESSORS_ONLN);

    cr_assert_not_null (t, "%s", err.text);
    cr_assert (topo_binding (t));
    cr_assert_str_eq (topo_source (t), "real");
    node_desc_init (&d);
    cr_assert_eq (topo_describe (t, NULL, 0, "", &d, &err), 0, "%s", err.text);
    cr_assert (d.binding);
    cr_assert_str_eq (d.topology, "real");
    cr_assert_geq (d.ncores, 1);
    cr_assert_geq (d.nnuma, 1);
    cr_assert_geq (d.npackages, 1);
    cr_assert_gt (d.mem, 0, "this machine has memory");
    if (online > 0) {
        uint32_t npus = 0;
        for (uint32_t i = 0; i < d.ncores; i++)
            npus += (uint32_t)pu_count (d.cores[i].pus);
        cr_assert_leq (npus, (uint32_t)online);
    }
    assert_valid (&d);
    node_desc_clear (&d);
    topo_destroy (t);

    /* NULL means this machine as well */
    t = topo_create (NULL, &err);
    cr_assert_not_null (t, "%s", err.text);
    cr_assert (topo_binding (t));
    topo_destroy (t);
}

/* --- bad specs ------------------------------------------------------------ */

Test (topo_errors, unknown_forms)
{
    assert_fails ("foo", EINVAL, "topology 'foo': use");
    assert_fails ("synthetic:", EINVAL, "\"synthetic:<hwloc synthetic description>\"");
    assert_fails ("xml:", EINVAL, "\"xml:PATH\"");
    assert_fails ("Synthetic:core:2", EINVAL, "topology 'Synthetic:core:2'");
}

Test (topo_errors, synthetic_hwloc_refuses)
{
    assert_fails ("synthetic:banana:2 pu:1", EINVAL,
                  "synthetic topology 'banana:2 pu:1': hwloc cannot parse it");
}

Test (topo_errors, missing_xml)
{
    assert_fails ("xml:/nonexistent/cphub/topo.xml", ENOENT,
                  "xml topology '/nonexistent/cphub/topo.xml'");
}

Test (topo_errors, xml_not_a_topology)
{
    char path[] = "/tmp/cphub-test-topo-XXXXXX";
    char spec[sizeof (path) + 8];
    cphub_error_t err = {{0}};
    topo_t *t;
    int fd = mkstemp (path);

    cr_assert_geq (fd, 0);
    cr_assert_eq (write (fd, "not xml at all\n", 15), 15);
    close (fd);
    snprintf (spec, sizeof (spec), "xml:%s", path);
    errno = 0;
    t = topo_create (spec, &err);
    unlink (path);
    cr_assert_null (t);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, path), "%s", err.text);
}

Test (topo_errors, discover_failure_leaves_desc_cleared)
{
    cphub_error_t err = {{0}};
    node_desc_t d;

    node_desc_init (&d);
    errno = 0;
    cr_assert_eq (topo_discover ("nope", NULL, 0, "f", &d, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert_eq (d.ncores, 0);
    cr_assert_null (d.cores);
    node_desc_clear (&d);
}

/* --- the binding planner --------------------------------------------------- */

static topo_t *topo_ok (const char *spec)
{
    cphub_error_t err = {{0}};
    topo_t *t = topo_create (spec, &err);

    cr_assert_not_null (t, "%s: %s", spec, err.text);
    return t;
}

static void sets_fail (const topo_t *t,
                       const char *cpus,
                       const char *mems,
                       const char *needle)
{
    cphub_error_t err = {{0}};
    hwloc_bitmap_t cs = (hwloc_bitmap_t)1, ns = (hwloc_bitmap_t)1;

    errno = 0;
    cr_assert_eq (topo_binding_sets (t, cpus, mems, &cs, &ns, &err), -1,
                  "cpus '%s' mems '%s' accepted", cpus, mems);
    cr_assert_eq (errno, EINVAL);
    cr_assert_null (cs);
    cr_assert_null (ns);
    cr_assert (strstr (err.text, needle), "'%s' not in '%s'", needle, err.text);
}

Test (topo_binding, synthetic_checks_but_applies_nothing)
{
    topo_t *t = topo_ok (SYNTH_2x4x2);
    cphub_error_t err = {{0}};
    hwloc_bitmap_t cs = (hwloc_bitmap_t)1, ns = (hwloc_bitmap_t)1;

    cr_assert_eq (topo_binding_sets (t, "0-3", "0", &cs, &ns, &err), 0, "%s", err.text);
    cr_assert_null (cs, "nothing is applied on a synthetic topology");
    cr_assert_null (ns);
    cr_assert_eq (topo_binding_sets (t, "8-15", "1", &cs, &ns, &err), 0, "%s",
                  err.text);
    cr_assert_eq (topo_binding_sets (t, "", "", &cs, &ns, &err), 0, "%s", err.text);
    cr_assert_null (cs);
    cr_assert_null (ns);

    sets_fail (t, "16", "0", "cpus '16' are not on this node (it has 0-15)");
    sets_fail (t, "0-3", "2", "NUMA domain 2 is not on this node (it has 0-1)");
    sets_fail (t, "abc", "0", "cpus 'abc' is not a list of cpu ids");
    sets_fail (t, "0", "x", "mems 'x' is not a list of NUMA domains");
    topo_destroy (t);
}

Test (topo_binding, xml_checks_against_its_cpus)
{
    char spec[PATH_MAX + 8];
    topo_t *t;

    fixture_spec ("two-socket-32c.xml", spec, sizeof (spec));
    t = topo_ok (spec);
    cr_assert_not (topo_binding (t));
    sets_fail (t, "0-32", "0", "(it has 0-31)");
    sets_fail (t, "0", "0,2", "NUMA domain 2");
    topo_destroy (t);
}

/* The last CPU this process may run on, as text. */
static int last_allowed_cpu (void)
{
    cpu_set_t set;
    int last = -1;

    cr_assert_eq (sched_getaffinity (0, sizeof (set), &set), 0);
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET (i, &set))
            last = i;
    cr_assert_geq (last, 0);
    return last;
}

Test (topo_binding, real_machine_gives_sets)
{
    topo_t *t = topo_ok ("");
    hwloc_topology_t hw = topo_hwloc (t);
    int nnuma = hwloc_get_nbobjs_by_type (hw, HWLOC_OBJ_NUMANODE);
    int cpu = last_allowed_cpu ();
    cphub_error_t err = {{0}};
    hwloc_bitmap_t cs = NULL, ns = NULL;
    char cpus[16], got[64], too_far[32];

    snprintf (cpus, sizeof (cpus), "%d", cpu);
    cr_assert_eq (topo_binding_sets (t, cpus, "0", &cs, &ns, &err), 0, "%s", err.text);
    cr_assert_not_null (cs, "a real topology binds cpus");
    hwloc_bitmap_list_snprintf (got, sizeof (got), cs);
    cr_assert_str_eq (got, cpus);
    if (nnuma <= 1) {
        cr_assert_null (ns, "domain 0 is all of the node's memory");
    } else {
        cr_assert_not_null (ns);
        cr_assert_eq (hwloc_bitmap_weight (ns), 1);
    }
    hwloc_bitmap_free (cs);
    hwloc_bitmap_free (ns);

    cr_assert_eq (topo_binding_sets (t, "", "", &cs, &ns, &err), 0, "%s", err.text);
    cr_assert_null (cs, "an empty list binds nothing");
    cr_assert_null (ns);

    snprintf (too_far, sizeof (too_far), "%d", CPU_SETSIZE + 5);
    sets_fail (t, too_far, "", "are not on this node");
    topo_destroy (t);
}
