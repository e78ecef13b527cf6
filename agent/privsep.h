/* privsep.h: who a job runs as: the agent config's map from tenants to Unix
 * users, resolving a user to the ids to switch to, and the switch itself.
 *
 * The map is data from agent.conf (users = ( { tenant; user; group; } ) and
 * default_user); privsep_map_lookup() is a pure function of it. The agent
 * resolves the user to its uid, gid and groups (privsep_resolve(), which
 * reads the user and group databases) before it forks, and the job's process
 * calls privsep_become() between joining its cgroup and executing: three
 * system calls (setgroups, setresgid, setresuid) and a check, safe in a
 * vfork child of a threaded program's fork child. This file is the only
 * place that changes a process's credentials, and nothing here reads the
 * network: the tenant name comes from an already decoded job.run.
 *
 * A user must not be root (uid 0), nor a group gid 0: a tenant's job never
 * gets the agent's privileges back. Nor does a root agent run a job as
 * itself (root) because nobody mapped its tenant: that takes an explicit
 * allow_root_jobs = true in the config (privsep_job_user()).
 */
#ifndef CPHUB_AGENT_PRIVSEP_H
#define CPHUB_AGENT_PRIVSEP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cphub/error.h"
#include "cphub/limits.h"

#define PRIVSEP_TENANT_MAX TENANT_NAME_MAX /* as job.run's tenant */
#define PRIVSEP_NAME_MAX 32                /* Linux user and group names */
#define PRIVSEP_GROUPS_MAX 64              /* supplementary groups kept */
#define PRIVSEP_MAP_MAX 4096               /* entries in the users list */

typedef struct privsep_entry {
    char tenant[PRIVSEP_TENANT_MAX + 1];
    char user[PRIVSEP_NAME_MAX + 1];
    char group[PRIVSEP_NAME_MAX + 1]; /* "": the user's primary group */
} privsep_entry_t;

/* Zero-initialized: no mapping (jobs run as the agent's own user, which a
 * root agent refuses). */
typedef struct privsep_map {
    privsep_entry_t *entries; /* owned */
    size_t count;
    char default_user[PRIVSEP_NAME_MAX + 1]; /* "": none */
    /* A root agent with no user for a tenant runs its jobs as root. Only
     * when the config says so: a tenant's job as root owns the node. */
    bool allow_root_jobs;
} privsep_map_t;

/* The ids a job switches to. */
typedef struct privsep_ident {
    char user[PRIVSEP_NAME_MAX + 1];
    uid_t uid;
    gid_t gid;
    int ngroups; /* groups[] entries, the gid among them */
    gid_t groups[PRIVSEP_GROUPS_MAX];
} privsep_ident_t;

/* True when the map names a user for some tenant: then a tenant without
 * one is refused. */
bool privsep_map_configured (const privsep_map_t *m);

/* Add tenant -> user (group may be NULL or "": the user's primary group).
 * -1 with EINVAL and err for a name that is not a tenant, user or group
 * name ("'ro ot' is not a user name; ...") or a tenant named twice
 * ("tenant 'tenant-a' is mapped twice"), E2BIG past PRIVSEP_MAP_MAX,
 * ENOMEM. */
int privsep_map_add (privsep_map_t *m,
                     const char *tenant,
                     const char *user,
                     const char *group,
                     cphub_error_t *err);
/* Set default_user (NULL or "" clears it). -1/EINVAL with err for a name
 * that is not a user name. */
int privsep_map_set_default (privsep_map_t *m, const char *user, cphub_error_t *err);
void privsep_map_clear (privsep_map_t *m);

/* The user (and group, "" for the primary one) tenant's jobs run as: its
 * entry, else default_user. 0, or -1/ENOENT when there is neither. The
 * strings point into m. */
int privsep_map_lookup (const privsep_map_t *m,
                        const char *tenant,
                        const char **user,
                        const char **group);

/* Who a job of tenant runs as on an agent that is root (agent_root) or not:
 * - the map names a user for tenant (its entry or default_user): 0 with
 *   *user and *group (as privsep_map_lookup());
 * - the map names users for others only: -1/EPERM, "tenant tenant-x has no
 *   Unix user";
 * - no map and the agent is not root, or is root and allow_root_jobs: 0
 *   with *user NULL: the job runs as the agent's own user;
 * - no map and a root agent without allow_root_jobs: -1/EPERM, "tenant
 *   tenant-x has no Unix user and would run as root".
 * A NULL m (a caller that isolates nothing, as exec.h allows): 0 with *user
 * NULL. Pure: nothing is looked up. The strings point into m. */
int privsep_job_user (const privsep_map_t *m,
                      const char *tenant,
                      bool agent_root,
                      const char **user,
                      const char **group,
                      cphub_error_t *err);

/* Look user (and group) up in this machine's databases. 0 with *out; -1
 * with err: ENOENT "user 'cphub-a' does not exist", "group 'x' does not
 * exist", EPERM "user 'root' has uid 0; a tenant's jobs never run as
 * root", EINVAL. */
int privsep_resolve (const char *user,
                     const char *group,
                     privsep_ident_t *out,
                     cphub_error_t *err);

/* In the job's process, after it joined its cgroup and before exec: take
 * the identity for good (real, effective and saved ids, and the groups).
 * Only system calls. 0, or -1 with errno (EPERM when the ids did not all
 * change). */
int privsep_become (const privsep_ident_t *id);

#endif
