/* privsep.c: the tenant -> Unix user map, user lookup and the credential
 * switch of a job's process (privsep.h).
 *
 * The map, its lookup and the rule of who a job runs as (privsep_job_user)
 * are plain data and string compares. privsep_resolve runs in the agent,
 * before any fork, and uses the reentrant getpwnam_r, getgrnam_r and
 * getgrouplist. privsep_become runs in the job's process (a
 * vfork child) and makes raw system calls: glibc's setuid family would try
 * to reach every thread of the process through its own bookkeeping, which
 * a vfork child shares with its parent.
 */
#include "agent/privsep.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NAME_CHARS                                         \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
    "0123456789._-"

/* A user or group name: 1..32 of NAME_CHARS, not starting with '-'. */
static bool valid_unix_name (const char *s)
{
    size_t len = strlen (s);

    return len > 0 && len <= PRIVSEP_NAME_MAX && s[0] != '-' &&
           strspn (s, NAME_CHARS) == len;
}

/* A tenant name as the scheduler's config may spell it: printable, no
 * spaces, 1..63 bytes. */
static bool valid_tenant (const char *s)
{
    size_t len = strlen (s);

    if (len == 0 || len > PRIVSEP_TENANT_MAX)
        return false;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c <= ' ' || *c == 0x7f)
            return false;
    return true;
}

static int bad_name (const char *what, const char *s, cphub_error_t *err)
{
    return cphub_fail (err, EINVAL,
                       "'%.40s' is not a %s name; use 1 to %d letters, digits, '.', "
                       "'_' or '-'",
                       s, what, PRIVSEP_NAME_MAX);
}

bool privsep_map_configured (const privsep_map_t *m)
{
    return m && (m->count > 0 || m->default_user[0] != '\0');
}

int privsep_map_add (privsep_map_t *m,
                     const char *tenant,
                     const char *user,
                     const char *group,
                     cphub_error_t *err)
{
    privsep_entry_t *grown;

    if (!group)
        group = "";
    if (!valid_tenant (tenant))
        return cphub_fail (err, EINVAL,
                           "'%.40s' is not a tenant name (1 to %d printable "
                           "characters, no spaces)",
                           tenant, PRIVSEP_TENANT_MAX);
    if (!valid_unix_name (user))
        return bad_name ("user", user, err);
    if (group[0] && !valid_unix_name (group))
        return bad_name ("group", group, err);
    for (size_t i = 0; i < m->count; i++)
        if (strcmp (m->entries[i].tenant, tenant) == 0)
            return cphub_fail (err, EINVAL, "tenant '%s' is mapped twice", tenant);
    if (m->count >= PRIVSEP_MAP_MAX)
        return cphub_fail (err, E2BIG, "more than %d tenants are mapped",
                           PRIVSEP_MAP_MAX);
    if (!(grown = realloc (m->entries, (m->count + 1) * sizeof (*grown))))
        return cphub_fail (err, ENOMEM, "out of memory");
    m->entries = grown;
    memset (&grown[m->count], 0, sizeof (grown[m->count]));
    memcpy (grown[m->count].tenant, tenant, strlen (tenant) + 1);
    memcpy (grown[m->count].user, user, strlen (user) + 1);
    memcpy (grown[m->count].group, group, strlen (group) + 1);
    m->count++;
    return 0;
}

int privsep_map_set_default (privsep_map_t *m, const char *user, cphub_error_t *err)
{
    if (!user || !user[0]) {
        m->default_user[0] = '\0';
        return 0;
    }
    if (!valid_unix_name (user))
        return bad_name ("user", user, err);
    memcpy (m->default_user, user, strlen (user) + 1);
    return 0;
}

void privsep_map_clear (privsep_map_t *m)
{
    if (!m)
        return;
    free (m->entries);
    memset (m, 0, sizeof (*m));
}

int privsep_map_lookup (const privsep_map_t *m,
                        const char *tenant,
                        const char **user,
                        const char **group)
{
    for (size_t i = 0; m && tenant && i < m->count; i++) {
        if (strcmp (m->entries[i].tenant, tenant) == 0) {
            *user = m->entries[i].user;
            *group = m->entries[i].group;
            return 0;
        }
    }
    if (m && m->default_user[0]) {
        *user = m->default_user;
        *group = "";
        return 0;
    }
    errno = ENOENT;
    return -1;
}

int privsep_job_user (const privsep_map_t *m,
                      const char *tenant,
                      bool agent_root,
                      const char **user,
                      const char **group,
                      cphub_error_t *err)
{
    *user = NULL;
    *group = NULL;
    if (!m)
        return 0; /* no isolation asked of the caller at all (exec.h) */
    if (privsep_map_lookup (m, tenant, user, group) == 0)
        return 0;
    *user = NULL;
    *group = NULL;
    if (privsep_map_configured (m))
        return cphub_fail (err, EPERM, "tenant %.*s has no Unix user",
                           PRIVSEP_TENANT_MAX, tenant ? tenant : "");
    if (!agent_root || m->allow_root_jobs)
        return 0;
    /* The node's name follows ("... as root on node1"). */
    return cphub_fail (err, EPERM, "tenant %.*s has no Unix user and would run as root",
                       PRIVSEP_TENANT_MAX, tenant ? tenant : "");
}

/* ---- in the agent: the user and group databases --------------------------- */

/* A buffer for getpwnam_r/getgrnam_r, grown on ERANGE. */
static char *db_buffer (char *old, size_t *len)
{
    char *grown;

    *len = *len ? *len * 2 : 4096;
    if (*len > (1u << 20) || !(grown = realloc (old, *len))) {
        free (old);
        errno = ENOMEM;
        return NULL;
    }
    return grown;
}

/* One of the two databases: how to look a name up in it (the _r call,
 * with a found flag instead of a result pointer) and what its entries are. */
typedef struct db {
    const char *what; /* "user", "group" */
    int (*get) (const char *name, void *entry, char *buf, size_t len, bool *found);
} db_t;

static int db_get_user (
    const char *name, void *entry, char *buf, size_t len, bool *found)
{
    struct passwd *result = NULL;
    int rc = getpwnam_r (name, entry, buf, len, &result);

    *found = result != NULL;
    return rc;
}

static int db_get_group (
    const char *name, void *entry, char *buf, size_t len, bool *found)
{
    struct group *result = NULL;
    int rc = getgrnam_r (name, entry, buf, len, &result);

    *found = result != NULL;
    return rc;
}

static const db_t db_users = {.what = "user", .get = db_get_user};
static const db_t db_groups = {.what = "group", .get = db_get_group};

/* Look name up in db, growing the buffer the entry's strings live in until
 * they fit: 0 with entry filled and *buf to free, or -1 with err (ENOENT:
 * no such name). */
static int db_lookup (
    const db_t *db, const char *name, void *entry, char **buf, cphub_error_t *err)
{
    size_t len = 0;
    bool found = false;
    int rc;

    *buf = NULL;
    do {
        if (!(*buf = db_buffer (*buf, &len)))
            return cphub_fail (err, ENOMEM, "out of memory");
        rc = db->get (name, entry, *buf, len, &found);
    } while (rc == ERANGE);
    if (rc == 0 && found)
        return 0;
    free (*buf);
    *buf = NULL;
    if (rc != 0)
        return cphub_fail (err, rc, "cannot look up %s '%s': %s", db->what, name,
                           strerror (rc));
    return cphub_fail (err, ENOENT, "%s '%s' does not exist", db->what, name);
}

static int lookup_user (const char *user, privsep_ident_t *out, cphub_error_t *err)
{
    struct passwd pw;
    char *buf;

    if (db_lookup (&db_users, user, &pw, &buf, err) < 0)
        return -1;
    out->uid = pw.pw_uid;
    out->gid = pw.pw_gid;
    free (buf);
    if (out->uid == 0)
        return cphub_fail (
            err, EPERM, "user '%s' has uid 0; a tenant's jobs never run as root", user);
    return 0;
}

static int lookup_group (const char *group, gid_t *gid, cphub_error_t *err)
{
    struct group gr;
    char *buf;

    if (db_lookup (&db_groups, group, &gr, &buf, err) < 0)
        return -1;
    *gid = gr.gr_gid;
    free (buf);
    return 0;
}

int privsep_resolve (const char *user,
                     const char *group,
                     privsep_ident_t *out,
                     cphub_error_t *err)
{
    gid_t list[PRIVSEP_GROUPS_MAX];
    int n = PRIVSEP_GROUPS_MAX;

    memset (out, 0, sizeof (*out));
    if (!user || !valid_unix_name (user))
        return bad_name ("user", user ? user : "", err);
    if (group && group[0] && !valid_unix_name (group))
        return bad_name ("group", group, err);
    if (lookup_user (user, out, err) < 0)
        return -1;
    if (group && group[0] && lookup_group (group, &out->gid, err) < 0)
        return -1;
    if (out->gid == 0)
        return cphub_fail (err, EPERM,
                           "user '%s' would run in group 0 (root); give the tenant "
                           "another group",
                           user);
    memcpy (out->user, user, strlen (user) + 1);
    /* The user's groups, the job's group first; more than fit are left out. */
    if (getgrouplist (user, out->gid, list, &n) < 0)
        n = PRIVSEP_GROUPS_MAX;
    out->ngroups = 0;
    out->groups[out->ngroups++] = out->gid;
    for (int i = 0; i < n && out->ngroups < PRIVSEP_GROUPS_MAX; i++) {
        gid_t g = list[i];
        bool seen = false;
        if (g == 0)
            continue; /* never root's group */
        for (int j = 0; j < out->ngroups && !seen; j++)
            seen = out->groups[j] == g;
        if (!seen)
            out->groups[out->ngroups++] = g;
    }
    return 0;
}

/* ---- in the job's process -------------------------------------------------- */

int privsep_become (const privsep_ident_t *id)
{
    uid_t r, e, s;
    gid_t rg, eg, sg;

    if (syscall (SYS_setgroups, (size_t)id->ngroups, id->groups) < 0 ||
        syscall (SYS_setresgid, id->gid, id->gid, id->gid) < 0 ||
        syscall (SYS_setresuid, id->uid, id->uid, id->uid) < 0)
        return -1;
    /* Every id changed, and root's cannot come back. */
    if (syscall (SYS_getresuid, &r, &e, &s) < 0 ||
        syscall (SYS_getresgid, &rg, &eg, &sg) < 0 || r != id->uid || e != id->uid ||
        s != id->uid || rg != id->gid || eg != id->gid || sg != id->gid ||
        (id->uid != 0 && syscall (SYS_setresuid, 0, 0, 0) == 0)) {
        errno = EPERM;
        return -1;
    }
    return 0;
}
