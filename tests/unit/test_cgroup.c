/* test_cgroup.c: unit tests for agent/cgroup.c, per-job control groups.
 *
 * The pure part is fed the text of /proc/self/mountinfo and /proc/self/cgroup
 * as three kinds of machine show it: v1 controllers beside an empty unified
 * hierarchy (this build machine, with the memory controller nested under a
 * parent's group), a systemd machine with only v2, and a bind mount that
 * shows part of a hierarchy. The formatters are checked against what the
 * kernel's files take. Two tests use plain directories standing in for a
 * hierarchy: a job group whose limit file cannot be written leaves nothing
 * behind, and cgroup_job_kill kills the processes a cgroup.procs file
 * names. The real kernel is exercised by tests/integration/t_isolation.sh.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/cgroup.h"

/* This build machine: cgroup v1 controllers, memory nested under a
 * sandbox's group, and a unified hierarchy with no controllers. */
static const char hybrid_mountinfo[] =
    "23 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
static const char hybrid_self[] =
    "9:name=systemd:/\n"
    "8:pids:/\n"
    "5:devices:/\n"
    "4:memory:/process_api/127b\n"
    "3:cpuset:/\n"
    "1:cpu:/\n"
    "0::/\n";

/* A systemd machine with only cgroup v2; optional fields before " - ". */
static const char v2_mountinfo[] =
    "25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - "
    "cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";
static const char v2_self[] = "0::/system.slice/cphub-agent.service\n";

Test (cgroup, mounts_hybrid)
{
    cgroup_mounts_t m;

    cr_assert_eq (cgroup_mounts_parse (hybrid_mountinfo, hybrid_self, &m), 0);
    cr_assert_eq (m.v1[CGROUP_CPUSET].version, 1);
    cr_assert_str_eq (m.v1[CGROUP_CPUSET].dir, "/sys/fs/cgroup/cpuset");
    cr_assert_str_eq (m.v1[CGROUP_MEMORY].dir,
                      "/sys/fs/cgroup/memory/process_api/127b");
    cr_assert_str_eq (m.v1[CGROUP_PIDS].dir, "/sys/fs/cgroup/pids");
    cr_assert_str_eq (m.v1[CGROUP_DEVICES].dir, "/sys/fs/cgroup/devices");
    cr_assert_eq (m.v2.version, 2);
    cr_assert_str_eq (m.v2.dir, "/sys/fs/cgroup/unified");
}

Test (cgroup, mounts_v2_only)
{
    cgroup_mounts_t m;

    cr_assert_eq (cgroup_mounts_parse (v2_mountinfo, v2_self, &m), 0);
    for (int c = 0; c < CGROUP_CTL_COUNT; c++)
        cr_assert_eq (m.v1[c].version, 0, "%s has no v1 hierarchy",
                      cgroup_ctl_name ((cgroup_ctl_t)c));
    cr_assert_eq (m.v2.version, 2);
    cr_assert_str_eq (m.v2.dir, "/sys/fs/cgroup/system.slice/cphub-agent.service");
}

Test (cgroup, mounts_bind_root_and_escapes)
{
    /* the mount shows only /outer of the hierarchy, at a path with a space */
    static const char mi[] =
        "50 31 0:32 /outer /mnt/mem\\040cg rw - cgroup cgroup "
        "rw,memory\n"
        "51 31 0:36 /elsewhere /mnt/pids rw - cgroup cgroup "
        "rw,pids\n";
    static const char self[] = "4:memory:/outer/job/x\n8:pids:/mine\n";
    cgroup_mounts_t m;

    cr_assert_eq (cgroup_mounts_parse (mi, self, &m), 0);
    cr_assert_str_eq (m.v1[CGROUP_MEMORY].dir, "/mnt/mem cg/job/x");
    /* the pids mount does not show the agent's group: not usable */
    cr_assert_eq (m.v1[CGROUP_PIDS].version, 0);
    cr_assert_eq (m.v2.version, 0);
}

Test (cgroup, choose_v1_when_v2_lacks_controllers)
{
    cgroup_mounts_t m;
    cgroup_layout_t l;
    char desc[CGROUP_DESC_MAX];

    cr_assert_eq (cgroup_mounts_parse (hybrid_mountinfo, hybrid_self, &m), 0);
    cr_assert_eq (cgroup_layout_choose (&m, "hugetlb\n", "node1", "0a1b2c3d", &l), 0);
    for (int c = 0; c < CGROUP_CTL_COUNT; c++)
        cr_assert_eq (l.version[c], 1);
    cr_assert_str_eq (l.base[CGROUP_MEMORY],
                      "/sys/fs/cgroup/memory/process_api/127b/cphub-node1-0a1b2c3d");
    cr_assert_str_eq (l.base[CGROUP_CPUSET],
                      "/sys/fs/cgroup/cpuset/cphub-node1-0a1b2c3d");
    cr_assert_str_eq (l.note, "");
    cgroup_describe (&l, desc, sizeof (desc));
    cr_assert_str_eq (desc, "cgroup v1: cpuset,memory,pids,devices");
}

Test (cgroup, choose_v2_and_say_devices_are_missing)
{
    cgroup_mounts_t m;
    cgroup_layout_t l;
    char desc[CGROUP_DESC_MAX], path[CGROUP_PATH_MAX];

    cr_assert_eq (cgroup_mounts_parse (v2_mountinfo, v2_self, &m), 0);
    /* the agent moved into its leaf on an earlier start: base beside it */
    strcat (m.v2.dir, "/cphub-agent");
    cr_assert_eq (
        cgroup_layout_choose (&m, "cpuset cpu io memory hugetlb pids rdma misc\n", "n7",
                              "00000001", &l),
        0);
    cr_assert_eq (l.version[CGROUP_CPUSET], 2);
    cr_assert_eq (l.version[CGROUP_MEMORY], 2);
    cr_assert_eq (l.version[CGROUP_PIDS], 2);
    cr_assert_eq (l.version[CGROUP_DEVICES], 0);
    cr_assert_str_eq (
        l.base[CGROUP_MEMORY],
        "/sys/fs/cgroup/system.slice/cphub-agent.service/cphub-n7-00000001");
    cr_assert (strstr (l.note, "devices") && strstr (l.note, "BPF"), "note: %s",
               l.note);
    cgroup_describe (&l, desc, sizeof (desc));
    cr_assert_str_eq (desc, "cgroup v2: cpuset,memory,pids (no devices)");
    cr_assert_eq (cgroup_job_path (&l, CGROUP_PIDS, 42, path, sizeof (path)), 0);
    cr_assert_str_eq (path,
                      "/sys/fs/cgroup/system.slice/cphub-agent.service/"
                      "cphub-n7-00000001/job-42");
    errno = 0;
    cr_assert_eq (cgroup_job_path (&l, CGROUP_DEVICES, 42, path, sizeof (path)), -1);
    cr_assert_eq (errno, ENOENT);
}

Test (cgroup, choose_mixed_and_none)
{
    cgroup_mounts_t m;
    cgroup_layout_t l;
    char desc[CGROUP_DESC_MAX];

    /* memory and pids on v2, cpuset and devices still on v1 */
    cr_assert_eq (cgroup_mounts_parse (hybrid_mountinfo, hybrid_self, &m), 0);
    cr_assert_eq (cgroup_layout_choose (&m, "memory pids", "node1", "x", &l), 0);
    cgroup_describe (&l, desc, sizeof (desc));
    cr_assert_str_eq (desc, "cgroup v2: memory,pids; v1: cpuset,devices");
    cr_assert_str_eq (l.base[CGROUP_PIDS], "/sys/fs/cgroup/unified/cphub-node1-x");

    memset (&m, 0, sizeof (m));
    cr_assert_eq (cgroup_layout_choose (&m, NULL, "node1", "x", &l), 0);
    cr_assert_not (cgroup_layout_any (&l));
    cgroup_describe (&l, desc, sizeof (desc));
    cr_assert_str_eq (desc, "none: cgroups unavailable");
    cr_assert (strstr (l.note, "cpuset,memory,pids,devices"), "note: %s", l.note);
}

Test (cgroup, formats)
{
    char buf[64];
    cgroup_device_t gpu = {.type = 'c', .major = 195, .minor = 1};

    cgroup_format_mem (1, 32ULL << 20, buf, sizeof (buf));
    cr_assert_str_eq (buf, "33554432");
    cgroup_format_mem (2, 32ULL << 20, buf, sizeof (buf));
    cr_assert_str_eq (buf, "33554432");
    cgroup_format_mem (1, 0, buf, sizeof (buf));
    cr_assert_str_eq (buf, "-1");
    cgroup_format_mem (2, 0, buf, sizeof (buf));
    cr_assert_str_eq (buf, "max");
    cgroup_device_rule (&gpu, buf, sizeof (buf));
    cr_assert_str_eq (buf, "c 195:1 rwm");
}

/* Jobs together stay below the kernel's limit: a quarter (at least
 * CGROUP_PIDS_NODE_RESERVE) is the node's. */
Test (cgroup, pids_all_keeps_the_node_some)
{
    cr_assert_eq (cgroup_pids_all (32768, 126000), 32768 - 8192);
    cr_assert_eq (cgroup_pids_all (4194304, 60000), 60000 - 15000, "threads-max");
    cr_assert_eq (cgroup_pids_all (0, 40000), 30000, "pid_max unknown");
    cr_assert_eq (cgroup_pids_all (3000, 0), 3000 - CGROUP_PIDS_NODE_RESERVE);
    cr_assert_eq (cgroup_pids_all (1500, 0), 750, "too small for the reserve");
    cr_assert_eq (cgroup_pids_all (0, 0), 0, "nothing known: no limit");
    cr_assert_eq (cgroup_pids_all (-1, -1), 0);
}

Test (cgroup, oom_kill_count)
{
    cr_assert_eq (
        cgroup_parse_oom_kill ("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), 3);
    cr_assert_eq (cgroup_parse_oom_kill ("low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\n"
                                         "oom_group_kill 0\n"),
                  1);
    cr_assert_eq (cgroup_parse_oom_kill ("oom_kill_disable 0\nunder_oom 0\n"), 0);
    cr_assert_eq (cgroup_parse_oom_kill (""), 0);
}

Test (cgroup, tag)
{
    char a[16], b[16], c[16];

    cgroup_tag ("/var/lib/cphub/node1", a, sizeof (a));
    cgroup_tag ("/var/lib/cphub/node1", b, sizeof (b));
    cgroup_tag ("/tmp/cphub-it.x/state/node1", c, sizeof (c));
    cr_assert_eq (strlen (a), 8);
    cr_assert_str_eq (a, b);
    cr_assert_str_neq (a, c);
}

/* A plain directory standing in for a hierarchy. */
static void tmpdir (char *buf, size_t len)
{
    snprintf (buf, len, "/tmp/cphub-test-cgroup-XXXXXX");
    cr_assert_not_null (mkdtemp (buf));
}

Test (cgroup, create_failure_leaves_nothing)
{
    cgroup_layout_t l;
    cgroup_limits_t lim = {.id = 7, .pids_max = 100};
    cgroup_job_t job;
    cphub_error_t err = {""};
    char dir[64], path[CGROUP_PATH_MAX];
    struct stat st;

    tmpdir (dir, sizeof (dir));
    memset (&l, 0, sizeof (l));
    l.version[CGROUP_PIDS] = 1;
    snprintf (l.base[CGROUP_PIDS], sizeof (l.base[0]), "%s", dir);
    /* no pids.max in a plain directory */
    cr_assert_eq (cgroup_job_create (&l, &lim, &job, &err), -1);
    cr_assert_eq (errno, ENOENT);
    cr_assert (
        strstr (err.text, "cannot write '100' to") && strstr (err.text, "pids.max"),
        "%s", err.text);
    snprintf (path, sizeof (path), "%s/job-7", dir);
    cr_assert_eq (stat (path, &st), -1, "the job's group was left behind");
    cr_assert_eq (job.ndirs, 0);
    rmdir (dir);
}

Test (cgroup, kill_what_procs_lists)
{
    cgroup_job_t job = {.ndirs = 1, .mem_dir = -1};
    char dir[64], path[128];
    int status;
    FILE *f;
    pid_t child = fork ();

    cr_assert_geq (child, 0);
    if (child == 0) {
        pause ();
        _exit (0);
    }
    tmpdir (dir, sizeof (dir));
    snprintf (job.dirs[0], sizeof (job.dirs[0]), "%s", dir);
    snprintf (path, sizeof (path), "%s/cgroup.procs", dir);
    cr_assert_not_null (f = fopen (path, "w"));
    fprintf (f, "%d\n", (int)child);
    fclose (f);
    cr_assert_eq (cgroup_job_kill (&job), 1);
    cr_assert_eq (waitpid (child, &status, 0), child);
    cr_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
    unlink (path);
    cr_assert_eq (cgroup_job_kill (&job), 0, "an empty group has nothing to kill");
    cr_assert_eq (cgroup_job_oom_kills (&job), 0, "no memory group, no count");
    cr_assert_eq (cgroup_job_remove (&job), 0);
    cr_assert_eq (access (dir, F_OK), -1, "the group's directory is gone");
}
