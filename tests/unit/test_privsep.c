/* test_privsep.c: unit tests for agent/privsep.c, who a job runs as.
 *
 * The tenant -> user map is checked as data (entries, the default user,
 * names refused, a tenant mapped twice); the rule of who a job runs as (a
 * root agent refuses a tenant with no user unless allow_root_jobs); user
 * lookup against this machine's
 * databases with users every Linux system has (root, nobody); and, when the
 * test runs as root, the switch itself in a forked child that then tries to
 * become root again.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/privsep.h"

Test (privsep, map_lookup_and_default)
{
    privsep_map_t m = {0};
    cphub_error_t err = {""};
    const char *user, *group;

    cr_assert_not (privsep_map_configured (&m));
    cr_assert_eq (privsep_map_lookup (&m, "tenant-a", &user, &group), -1);
    cr_assert_eq (errno, ENOENT);
    cr_assert_eq (privsep_map_add (&m, "tenant-a", "cphub-a", "cphub-a", &err), 0, "%s",
                  err.text);
    cr_assert_eq (privsep_map_add (&m, "tenant-b", "cphub-b", NULL, &err), 0, "%s",
                  err.text);
    cr_assert (privsep_map_configured (&m));
    cr_assert_eq (privsep_map_lookup (&m, "tenant-b", &user, &group), 0);
    cr_assert_str_eq (user, "cphub-b");
    cr_assert_str_eq (group, "", "no group: the user's primary group");
    cr_assert_eq (privsep_map_lookup (&m, "tenant-a", &user, &group), 0);
    cr_assert_str_eq (group, "cphub-a");
    cr_assert_eq (privsep_map_lookup (&m, "tenant-x", &user, &group), -1,
                  "an unmapped tenant has no user");
    cr_assert_eq (privsep_map_set_default (&m, "cphub-guest", &err), 0);
    cr_assert_eq (privsep_map_lookup (&m, "tenant-x", &user, &group), 0);
    cr_assert_str_eq (user, "cphub-guest");
    cr_assert_eq (privsep_map_lookup (&m, "tenant-a", &user, &group), 0);
    cr_assert_str_eq (user, "cphub-a", "an entry wins over the default");
    privsep_map_clear (&m);
    cr_assert_not (privsep_map_configured (&m));
    privsep_map_clear (NULL);
}

Test (privsep, map_refuses_bad_names_and_duplicates)
{
    privsep_map_t m = {0};
    cphub_error_t err = {""};

    cr_assert_eq (privsep_map_add (&m, "tenant-a", "ro ot", NULL, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, "'ro ot' is not a user name"), "%s", err.text);
    cr_assert_eq (privsep_map_add (&m, "tenant-a", "-x", NULL, &err), -1);
    cr_assert_eq (privsep_map_add (&m, "tenant-a", "ok", "bad/group", &err), -1);
    cr_assert (strstr (err.text, "is not a group name"), "%s", err.text);
    cr_assert_eq (privsep_map_add (&m, "ten ant", "ok", NULL, &err), -1);
    cr_assert (strstr (err.text, "is not a tenant name"), "%s", err.text);
    cr_assert_eq (privsep_map_add (&m, "tenant-a", "a23456789012345678901234567890123",
                                   NULL, &err),
                  -1, "33 characters are too many");
    cr_assert_eq (privsep_map_add (&m, "tenant-a", "cphub-a", NULL, &err), 0);
    cr_assert_eq (privsep_map_add (&m, "tenant-a", "cphub-z", NULL, &err), -1);
    cr_assert_str_eq (err.text, "tenant 'tenant-a' is mapped twice");
    cr_assert_eq (privsep_map_set_default (&m, "x y", &err), -1);
    cr_assert_eq (m.count, 1);
    privsep_map_clear (&m);
}

Test (privsep, job_user_never_root_unless_allowed)
{
    privsep_map_t m = {0};
    cphub_error_t err = {""};
    const char *user = "x", *group = "x";

    /* no map, agent not root: the agent's own user */
    cr_assert_eq (privsep_job_user (&m, "tenant-a", false, &user, &group, &err), 0);
    cr_assert_null (user, "the job runs as the agent");
    /* no map, root agent: refused, with the reason */
    errno = 0;
    cr_assert_eq (privsep_job_user (&m, "tenant-a", true, &user, &group, &err), -1,
                  "a root agent ran an unmapped tenant's job as root");
    cr_assert_eq (errno, EPERM);
    cr_assert_str_eq (err.text,
                      "tenant tenant-a has no Unix user and would run as root");
    cr_assert_null (user);
    /* ... unless the config says so explicitly */
    m.allow_root_jobs = true;
    cr_assert_eq (privsep_job_user (&m, "tenant-a", true, &user, &group, &err), 0, "%s",
                  err.text);
    cr_assert_null (user, "allowed: as the agent (root)");
    m.allow_root_jobs = false;
    /* a default user serves every tenant, root agent or not */
    cr_assert_eq (privsep_map_set_default (&m, "cphub-job", &err), 0);
    cr_assert_eq (privsep_job_user (&m, "tenant-a", true, &user, &group, &err), 0, "%s",
                  err.text);
    cr_assert_str_eq (user, "cphub-job");
    cr_assert_str_eq (group, "");
    cr_assert_eq (privsep_map_set_default (&m, "", &err), 0);
    /* entries only: a tenant without one is refused, even when root jobs
     * are allowed (the operator meant to isolate tenants) */
    cr_assert_eq (privsep_map_add (&m, "tenant-b", "cphub-b", "grp-b", &err), 0);
    m.allow_root_jobs = true;
    cr_assert_eq (privsep_job_user (&m, "tenant-b", true, &user, &group, &err), 0);
    cr_assert_str_eq (user, "cphub-b");
    cr_assert_str_eq (group, "grp-b");
    errno = 0;
    cr_assert_eq (privsep_job_user (&m, "tenant-a", true, &user, &group, &err), -1);
    cr_assert_eq (errno, EPERM);
    cr_assert_str_eq (err.text, "tenant tenant-a has no Unix user");
    cr_assert_eq (privsep_job_user (&m, "tenant-a", false, &user, &group, &err), -1,
                  "refused on an agent that is not root too");
    /* a caller that isolates nothing */
    cr_assert_eq (privsep_job_user (NULL, "tenant-a", true, &user, &group, &err), 0);
    cr_assert_null (user);
    privsep_map_clear (&m);
    cr_assert_not (m.allow_root_jobs, "clear resets the flag");
}

Test (privsep, resolve)
{
    privsep_ident_t id;
    cphub_error_t err = {""};
    struct passwd *pw = getpwnam ("nobody");

    cr_assert_eq (privsep_resolve ("root", NULL, &id, &err), -1);
    cr_assert_eq (errno, EPERM);
    cr_assert (strstr (err.text, "never run as root"), "%s", err.text);
    cr_assert_eq (privsep_resolve ("cphub-no-such-user", NULL, &id, &err), -1);
    cr_assert_eq (errno, ENOENT);
    cr_assert_str_eq (err.text, "user 'cphub-no-such-user' does not exist");
    if (!pw)
        cr_skip_test ("no user 'nobody' on this machine");
    cr_assert_eq (privsep_resolve ("nobody", NULL, &id, &err), 0, "%s", err.text);
    cr_assert_eq (id.uid, pw->pw_uid);
    cr_assert_eq (id.gid, pw->pw_gid);
    cr_assert_str_eq (id.user, "nobody");
    cr_assert_geq (id.ngroups, 1);
    cr_assert_eq (id.groups[0], id.gid, "the job's group comes first");
    cr_assert_eq (privsep_resolve ("nobody", "cphub-no-such-group", &id, &err), -1);
    cr_assert_str_eq (err.text, "group 'cphub-no-such-group' does not exist");
    cr_assert_eq (privsep_resolve ("nobody", "root", &id, &err), -1,
                  "group 0 is refused");
    cr_assert_eq (errno, EPERM);
}

Test (privsep, become_for_good)
{
    privsep_ident_t id;
    cphub_error_t err = {""};
    int status;
    pid_t child;

    if (geteuid () != 0)
        cr_skip_test ("not root: cannot switch users");
    if (privsep_resolve ("nobody", NULL, &id, &err) < 0)
        cr_skip_test ("%s", err.text);
    child = fork ();
    cr_assert_geq (child, 0);
    if (child == 0) {
        if (privsep_become (&id) < 0)
            _exit (10);
        if (getuid () != id.uid || geteuid () != id.uid || getgid () != id.gid)
            _exit (11);
        if (setuid (0) == 0 || seteuid (0) == 0)
            _exit (12); /* root came back */
        gid_t groups[8];
        int n = getgroups (8, groups);
        for (int i = 0; i < n; i++)
            if (groups[i] == 0)
                _exit (13);
        _exit (0);
    }
    cr_assert_eq (waitpid (child, &status, 0), child);
    cr_assert (WIFEXITED (status), "the child died");
    cr_assert_eq (WEXITSTATUS (status), 0, "check %d failed in the child",
                  WEXITSTATUS (status));
}
