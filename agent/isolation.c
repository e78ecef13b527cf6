/* isolation.c: what the agent decides about isolating jobs once, at start:
 * whether jobs run as their tenants' Unix users (or are refused rather than
 * run as root), which device node each GPU is, and where per-job cgroups
 * go; it logs what applies and what does not, and sets desc.isolation,
 * which `cphub nodes` shows.
 *
 * The per-job work is elsewhere: exec.c prepares each job (its user, its
 * cgroups), privsep.c switches the user, cgroup.c makes the groups. Nothing
 * here reads the network.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/shepherd.h"
#include "cphub/log.h"

/* Appended to the isolation text when jobs get PID namespaces. */
#define ISOLATION_PID_NS "; pid ns"

/* The NVIDIA device node of a GPU hwloc found as "cudaN" or "nvmlN":
 * /dev/nvidiaN, as the driver numbers its minors in most set-ups. */
static bool nvidia_node (const char *name, char *buf, size_t len)
{
    static const char *const prefixes[] = {"cuda", "nvml"};

    for (size_t i = 0; i < sizeof (prefixes) / sizeof (prefixes[0]); i++) {
        size_t n = strlen (prefixes[i]);
        if (strncmp (name, prefixes[i], n) == 0 && name[n] &&
            strspn (name + n, "0123456789") == strlen (name + n)) {
            snprintf (buf, len, "/dev/nvidia%s", name + n);
            return true;
        }
    }
    return false;
}

/* stat path into d; false when it is not a device node. */
static bool device_of (const char *path, cgroup_device_t *d)
{
    struct stat st;

    if (stat (path, &st) < 0 || !(S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode)))
        return false;
    d->type = S_ISCHR (st.st_mode) ? 'c' : 'b';
    d->major = major (st.st_rdev);
    d->minor = minor (st.st_rdev);
    return true;
}

/* The device node of every GPU in desc, by index. */
static int gpu_devices (agent_t *a, cphub_error_t *err)
{
    uint32_t known = 0;

    if (a->desc.ngpus == 0)
        return 0;
    if (!(a->gpu_devices = calloc (a->desc.ngpus, sizeof (*a->gpu_devices))))
        return cphub_fail (err, ENOMEM, "out of memory");
    a->ngpu_devices = a->desc.ngpus;
    for (uint32_t i = 0; i < a->desc.ngpus; i++) {
        const char *name = a->desc.gpus[i].name;
        char path[PATH_MAX] = "";

        for (size_t j = 0; j < a->cfg.ngpus; j++) {
            if (strcmp (a->cfg.gpus[j].name, name) != 0)
                continue;
            if (a->cfg.gpus[j].device[0] &&
                !device_of (a->cfg.gpus[j].device, &a->gpu_devices[i]))
                return cphub_fail (err, EINVAL,
                                   "%s: GPU %s: '%s' is not a character or block "
                                   "device",
                                   a->cfg.file, name, a->cfg.gpus[j].device);
            break;
        }
        if (!a->gpu_devices[i].type && nvidia_node (name, path, sizeof (path)))
            device_of (path, &a->gpu_devices[i]);
        if (a->gpu_devices[i].type) {
            known++;
            log_debug ("GPU %u (%s) is device %c %u:%u", i, name,
                       a->gpu_devices[i].type, a->gpu_devices[i].major,
                       a->gpu_devices[i].minor);
        }
    }
    if (known < a->desc.ngpus)
        log_warn (
            "%u of %u GPUs have no known device node: jobs not given them can "
            "still open them",
            a->desc.ngpus - known, a->desc.ngpus);
    return 0;
}

/* Say who jobs run as; warn about mapped users that do not exist. */
static void users_report (agent_t *a)
{
    const privsep_map_t *m = &a->cfg.users;
    char self[64];

    snprintf (self, sizeof (self), "uid %u", (unsigned)geteuid ());
    if (!privsep_map_configured (m)) {
        if (a->switch_user && m->allow_root_jobs)
            log_warn (
                "running as root with no agent.users and allow_root_jobs = true: "
                "every job runs as root; map tenants to Unix users to isolate "
                "them");
        else if (a->switch_user)
            log_warn (
                "running as root with no agent.users: every job is refused, for it "
                "would run as root; map tenants to Unix users (agent.users, "
                "default_user), or set allow_root_jobs = true");
        else
            log_info ("not running as root: jobs run as the agent's user (%s)", self);
        return;
    }
    if (!a->switch_user) {
        log_warn (
            "not running as root: jobs run as the agent's user (%s), not as "
            "their tenants' users; tenants without a user are still refused",
            self);
        return;
    }
    log_info ("jobs run as their tenants' Unix users: %zu tenant%s mapped%s%s",
              m->count, m->count == 1 ? "" : "s",
              m->default_user[0] ? ", others as " : ", others refused",
              m->default_user);
    for (size_t i = 0; i < m->count; i++) {
        privsep_ident_t id;
        cphub_error_t why = {""};
        if (privsep_resolve (m->entries[i].user, m->entries[i].group, &id, &why) < 0)
            log_warn ("tenant %s: %s; its jobs will fail to start",
                      m->entries[i].tenant, why.text);
    }
}

/* A number from a /proc/sys file; 0 when it cannot be read. */
static int64_t proc_sys_number (const char *path)
{
    long long v = 0;
    FILE *f = fopen (path, "re");

    if (!f)
        return 0;
    if (fscanf (f, "%lld", &v) != 1)
        v = 0;
    fclose (f);
    return (int64_t)v;
}

/* How many processes all jobs may have at once (the agent's pids group). */
static void pids_all_setup (agent_t *a)
{
    if (!a->cgroups.version[CGROUP_PIDS])
        return;
    a->cgroups.pids_all = a->cfg.pids_max_all;
    if (a->cgroups.pids_all == 0)
        a->cgroups.pids_all =
            cgroup_pids_all (proc_sys_number ("/proc/sys/kernel/pid_max"),
                             proc_sys_number ("/proc/sys/kernel/threads-max"));
    if (a->cgroups.pids_all > 0)
        log_info ("all jobs together may have %" PRId64 " processes at once",
                  a->cgroups.pids_all);
}

/* Per-job cgroups: probe, log, describe. */
static int cgroups_setup (agent_t *a, cphub_error_t *err)
{
    char tag[16], *abs = realpath (a->cfg.state_dir, NULL);

    if (!a->cfg.cgroups) {
        snprintf (a->desc.isolation, sizeof (a->desc.isolation),
                  "none: cgroups disabled in the config");
        log_warn (
            "per-job cgroups are disabled (agent.cgroups = false): jobs run "
            "without cpuset, memory, pids or device limits");
        free (abs);
        return 0;
    }
    /* one agent's groups apart from another's of the same name */
    cgroup_tag (abs ? abs : a->cfg.state_dir, tag, sizeof (tag));
    free (abs);
    if (cgroup_layout_probe (a->cfg.name, tag, &a->cgroups, err) < 0)
        return -1;
    pids_all_setup (a);
    cgroup_describe (&a->cgroups, a->desc.isolation, sizeof (a->desc.isolation));
    if (!cgroup_layout_any (&a->cgroups))
        log_warn (
            "no per-job cgroups (%s%s%s): jobs run without cpuset, memory, pids "
            "or device limits",
            a->desc.isolation, a->cgroups.note[0] ? "; " : "", a->cgroups.note);
    else if (a->cgroups.note[0])
        log_warn ("per-job cgroups: %s; %s", a->desc.isolation, a->cgroups.note);
    else
        log_info ("per-job cgroups: %s", a->desc.isolation);
    if (a->cgroups.version[CGROUP_CPUSET] && !a->desc.binding)
        log_info (
            "the topology is not this machine's: job cpusets are the agent's, "
            "not the placement's");
    return 0;
}

/* PID namespaces per job (the shepherd makes them when it can): said in
 * the isolation text, so that `cphub nodes` shows whether jobs see each
 * other's processes. */
static void pid_ns_report (agent_t *a)
{
    size_t len = strlen (a->desc.isolation);

    if (!shepherd_pid_ns_probe ()) {
        log_warn ("no PID namespaces (%s): jobs see every process of the node",
                  geteuid () == 0 ? "the kernel refuses them" : "not root");
        return;
    }
    if (len + sizeof (ISOLATION_PID_NS) <= sizeof (a->desc.isolation))
        memcpy (a->desc.isolation + len, ISOLATION_PID_NS, sizeof (ISOLATION_PID_NS));
    log_info ("jobs run in PID namespaces of their own");
}

int agent_isolation_setup (agent_t *a, cphub_error_t *err)
{
    a->switch_user = geteuid () == 0;
    users_report (a);
    if (gpu_devices (a, err) < 0 || cgroups_setup (a, err) < 0)
        return -1;
    if (a->ngpu_devices > 0 && !a->cgroups.version[CGROUP_DEVICES])
        log_warn ("no devices cgroup: jobs can open GPUs they were not given");
    pid_ns_report (a);
    return 0;
}

void agent_isolation_release (agent_t *a)
{
    cgroup_layout_release (&a->cgroups);
    free (a->gpu_devices);
    a->gpu_devices = NULL;
    a->ngpu_devices = 0;
}
