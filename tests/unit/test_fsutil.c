/* test_fsutil.c: unit tests for the small shared helpers, common/fsutil.c
 * and common/clock.c: fs_mkdir_p makes every missing directory with the mode
 * given and leaves existing ones alone, fs_mkdir_parents makes the directory
 * that holds a file and nothing for a bare name, both refuse a path too long
 * with ENAMETOOLONG, and the monotonic clock never goes back.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cphub/clock.h"
#include "cphub/fsutil.h"

static char tmpdir[64];

static void make_tmpdir (void)
{
    strcpy (tmpdir, "/tmp/cphub-test-fsutil-XXXXXX");
    cr_assert_not_null (mkdtemp (tmpdir));
    umask (022);
}

static void remove_tmpdir (void)
{
    char cmd[128];

    snprintf (cmd, sizeof (cmd), "rm -rf '%s'", tmpdir);
    cr_assert_eq (system (cmd), 0);
}

TestSuite (fsutil, .init = make_tmpdir, .fini = remove_tmpdir);

static mode_t mode_of (const char *path)
{
    struct stat st;

    cr_assert_eq (stat (path, &st), 0, "%s: %s", path, strerror (errno));
    cr_assert (S_ISDIR (st.st_mode), "%s is not a directory", path);
    return st.st_mode & 07777;
}

Test (fsutil, mkdir_p_makes_every_missing_directory)
{
    char path[256];

    snprintf (path, sizeof (path), "%s/a/b/c", tmpdir);
    cr_assert_eq (fs_mkdir_p (path, 0700), 0);
    cr_assert_eq (mode_of (path), 0700);
    snprintf (path, sizeof (path), "%s/a", tmpdir);
    cr_assert_eq (mode_of (path), 0700);
    /* again: everything exists, nothing changes */
    cr_assert_eq (chmod (path, 0755), 0);
    snprintf (path, sizeof (path), "%s/a/b/c", tmpdir);
    cr_assert_eq (fs_mkdir_p (path, 0700), 0);
    snprintf (path, sizeof (path), "%s/a", tmpdir);
    cr_assert_eq (mode_of (path), 0755);
}

Test (fsutil, mkdir_parents_makes_the_directory_of_a_file)
{
    char file[256], dir[256];

    snprintf (file, sizeof (file), "%s/state/db/cphub.db", tmpdir);
    snprintf (dir, sizeof (dir), "%s/state/db", tmpdir);
    cr_assert_eq (fs_mkdir_parents (file, 0700), 0);
    cr_assert_eq (mode_of (dir), 0700);
    cr_assert_eq (access (file, F_OK), -1, "the file itself is not made");
    cr_assert_eq (fs_mkdir_parents ("cphub.db", 0700), 0);
    cr_assert_eq (fs_mkdir_parents ("/cphub.db", 0700), 0);
}

Test (fsutil, too_long_is_enametoolong)
{
    char *path = malloc (PATH_MAX + 16);

    cr_assert_not_null (path);
    memset (path, 'x', PATH_MAX + 15);
    path[0] = '/';
    path[PATH_MAX + 15] = '\0';
    errno = 0;
    cr_assert_eq (fs_mkdir_p (path, 0700), -1);
    cr_assert_eq (errno, ENAMETOOLONG);
    path[PATH_MAX + 4] = '/';
    errno = 0;
    cr_assert_eq (fs_mkdir_parents (path, 0700), -1);
    cr_assert_eq (errno, ENAMETOOLONG);
    free (path);
}

Test (clock, monotonic_never_goes_back)
{
    double s0 = cphub_monotonic ();
    int64_t ms0 = cphub_monotonic_ms ();

    cr_assert_eq (usleep (20000), 0);
    cr_assert_geq (cphub_monotonic () - s0, 0.015);
    cr_assert_geq (cphub_monotonic_ms () - ms0, 15);
    cr_assert_gt (s0, 0);
}
