/* cgroup.h: per-job control groups: where the kernel's controllers are, the
 * job's group in each with its limits, joining it, and its end.
 *
 * The agent looks at its own place in every hierarchy once, at start
 * (cgroup_layout_probe): for each controller it uses (cpuset, memory, pids,
 * devices) the unified (v2) hierarchy when it offers the controller, else
 * the v1 hierarchy that has it mounted, else none. Under the agent's own
 * group in that hierarchy it makes one group for itself,
 * "cphub-<node>-<tag>" (the tag tells apart agents of the same name on one
 * machine, as tests run them), and under it one group per job, "job-<id>".
 * The agent removes its group when it stops; a shepherd that outlives its
 * agent removes it once its job leaves it empty, and an agent at start
 * removes the empty groups other agents left. An agent makes its group
 * again whenever a job needs it, so that nothing stays behind an agent
 * that is gone.
 * A job's group gets: cpuset.cpus and cpuset.mems = its placement (real
 * topologies), the memory limit = the job's memory with no swap on top, a
 * pids limit, and (v1 only) a devices.deny rule for every GPU of the node
 * the job was not given. v2 has no device files (that needs a BPF program):
 * on v2 the devices controller counts as unavailable and the layout says so.
 *
 * The job's process joins its groups before it executes (cgroup_job_join:
 * system calls only, for a vfork child). The job's shepherd, when the job's
 * process has ended, kills whatever is left in the groups (processes that
 * left the job's process group too), reads whether the kernel's OOM killer
 * struck (cgroup_job_oom_kills) and removes the groups: the shepherd holds
 * the paths, so this works across agent restarts. Those three use only
 * system calls too.
 *
 * The parsers and path builders are pure functions of their text inputs
 * (cgroup_layout.c, tests/unit/test_cgroup.c); the rest (cgroup.c)
 * touches /sys/fs/cgroup.
 */
#ifndef CPHUB_AGENT_CGROUP_H
#define CPHUB_AGENT_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cphub/error.h"

#define CGROUP_PATH_MAX 512
#define CGROUP_DESC_MAX 64 /* node_desc_t's isolation text */
/* Processes kept for the node itself out of the kernel's limit, at least. */
#define CGROUP_PIDS_NODE_RESERVE 1024
/* On v2, the leaf of its own group an agent moves into when that group
 * holds processes (controllers cannot be given to children then). */
#define CGROUP_V2_AGENT_LEAF "cphub-agent"

typedef enum {
    CGROUP_CPUSET = 0,
    CGROUP_MEMORY,
    CGROUP_PIDS,
    CGROUP_DEVICES,
    CGROUP_CTL_COUNT
} cgroup_ctl_t;

/* A hierarchy the agent belongs to: version 0 = none found. dir is the
 * agent's own group in it (mount point + the agent's path). */
typedef struct cgroup_hier {
    int version;
    char dir[CGROUP_PATH_MAX];
} cgroup_hier_t;

/* What /proc/self/mountinfo and /proc/self/cgroup say. */
typedef struct cgroup_mounts {
    cgroup_hier_t v1[CGROUP_CTL_COUNT]; /* the v1 hierarchy holding each */
    cgroup_hier_t v2;                   /* the unified hierarchy */
} cgroup_mounts_t;

/* Where each controller's job groups go: version 0 = not used; base is the
 * agent's group "<own>/cphub-<node>-<tag>" (job groups are base/job-<id>). */
typedef struct cgroup_layout {
    int version[CGROUP_CTL_COUNT];
    char base[CGROUP_CTL_COUNT][CGROUP_PATH_MAX];
    char note[160];   /* why controllers are missing, "" if none is */
    int64_t pids_all; /* pids.max of the pids base: all jobs at once; 0 none */
} cgroup_layout_t;

/* A device node, as the devices controller names it ('c' or 'b'). */
typedef struct cgroup_device {
    char type; /* 0: none known */
    uint32_t major;
    uint32_t minor;
} cgroup_device_t;

/* What a job's groups hold. */
typedef struct cgroup_limits {
    uint64_t id;
    const char *cpus;            /* Linux CPU ids "0-3"; NULL or "": the agent's */
    const char *mems;            /* NUMA node ids "0"; NULL or "": the agent's */
    uint64_t mem;                /* bytes; 0: no limit */
    int64_t pids_max;            /* 0: no limit */
    const cgroup_device_t *deny; /* devices the job may not open */
    size_t ndeny;
} cgroup_limits_t;

/* A job's groups, one directory per hierarchy (v2 holds every controller
 * in one). Plain data: it is copied into the shepherd by fork. */
typedef struct cgroup_job {
    int ndirs;
    char dirs[CGROUP_CTL_COUNT][CGROUP_PATH_MAX];
    int mem_dir;     /* index into dirs of the memory controller's; -1 none */
    int mem_version; /* 1 or 2 */
} cgroup_job_t;

/* ---- pure ------------------------------------------------------------------ */

/* The controller's name ("cpuset", ...). */
const char *cgroup_ctl_name (cgroup_ctl_t c);

/* Read the text of /proc/self/mountinfo and /proc/self/cgroup into out
 * (cleared first): for each v1 controller and for v2, the mount point plus
 * the agent's path in it (the mount's own root taken off, as in a cgroup
 * namespace or a bind mount). 0, or -1/ENAMETOOLONG. */
int cgroup_mounts_parse (const char *mountinfo, const char *self, cgroup_mounts_t *out);

/* Choose a hierarchy per controller: v2 when v2_controllers (the text of the
 * agent's v2 group's cgroup.controllers, NULL if unknown) names it (never
 * for devices), else v1 when mounted. base = own dir + "/cphub-" node "-"
 * tag. note says what is missing. 0, -1/ENAMETOOLONG. */
int cgroup_layout_choose (const cgroup_mounts_t *m,
                          const char *v2_controllers,
                          const char *node,
                          const char *tag,
                          cgroup_layout_t *out);

/* True when some controller is in use. */
bool cgroup_layout_any (const cgroup_layout_t *l);

/* "cgroup v1: cpuset,memory,pids,devices", "cgroup v2: cpuset,memory,pids;
 * v1: devices", or "none: cgroups unavailable", at most len - 1 bytes. */
void cgroup_describe (const cgroup_layout_t *l, char *buf, size_t len);

/* An 8-hex-digit tag from text (the agent's jobs directory). */
void cgroup_tag (const char *text, char *buf, size_t len);

/* base/job-<id> of one controller into buf. -1/ENOENT when the controller
 * is not used, ENAMETOOLONG. */
int cgroup_job_path (
    const cgroup_layout_t *l, cgroup_ctl_t c, uint64_t id, char *buf, size_t len);

/* A memory limit as the controller file takes it: bytes, or (0) "-1" on v1
 * and "max" on v2. */
void cgroup_format_mem (int version, uint64_t bytes, char *buf, size_t len);
/* The processes all jobs of a node may have at once when the config does
 * not say: the kernel's limit (the smaller of kernel.pid_max and
 * kernel.threads-max, either <= 0 when unknown) less a quarter, and never
 * less than CGROUP_PIDS_NODE_RESERVE, kept for the node (its agent, its
 * shepherds, its daemons). 0 when neither limit is known. */
int64_t cgroup_pids_all (int64_t pid_max, int64_t threads_max);
/* "c 195:1 rwm". */
void cgroup_device_rule (const cgroup_device_t *d, char *buf, size_t len);
/* The count on the "oom_kill N" line of memory.oom_control (v1) or
 * memory.events (v2); 0 when there is none. No allocation, no locale. */
uint64_t cgroup_parse_oom_kill (const char *text);

/* ---- the agent ------------------------------------------------------------- */

/* Find the hierarchies (reading /proc/self), choose, and make the agent's
 * base groups (initializing cpuset.cpus and cpuset.mems on v1, enabling the
 * controllers for children on v2). Controllers whose groups cannot be made
 * are dropped, with the reason in out->note. Empty "cphub-*" groups of
 * other agents beside them are removed. Only ENOMEM-like failures
 * return -1: no cgroups at all is a valid outcome (cgroup_layout_any). */
int cgroup_layout_probe (const char *node,
                         const char *tag,
                         cgroup_layout_t *out,
                         cphub_error_t *err);
/* Remove the agent's base groups if they are empty (at agent exit). */
void cgroup_layout_release (const cgroup_layout_t *l);

/* Make the job's groups with their limits (a group left by an earlier run
 * of the same id is emptied and made again). -1 with errno and err ("cannot
 * write 33554432 to /sys/.../memory.limit_in_bytes: Invalid argument");
 * then nothing is left behind. */
int cgroup_job_create (const cgroup_layout_t *l,
                       const cgroup_limits_t *lim,
                       cgroup_job_t *job,
                       cphub_error_t *err);

/* ---- the job's process and its shepherd: system calls only ----------------- */

/* Move the calling process into the job's groups. 0, -1/errno. */
int cgroup_job_join (const cgroup_job_t *job);
/* KILL every process in the job's groups: how many were signalled (0: the
 * groups are empty), -1/errno when a group cannot be read. */
int cgroup_job_kill (const cgroup_job_t *job);
/* How many processes the OOM killer killed in the job's memory group. */
uint64_t cgroup_job_oom_kills (const cgroup_job_t *job);
/* Remove the job's groups, waiting up to about a second for each to
 * empty. 0, or -1/errno (EBUSY: processes remain). */
int cgroup_job_remove (const cgroup_job_t *job);
/* Then remove the agent's groups above them if that left them empty (an
 * agent makes them again for its next job): for shepherds whose agent is
 * gone. */
void cgroup_job_release_bases (const cgroup_job_t *job);

#endif
