/* test_log_level.c: unit tests for the level test in common/log.c: a debug
 * line below the level set neither evaluates its arguments nor writes
 * anything, and is written, arguments and all, once debug is on; a level
 * outside the known ones is never enabled.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cphub/log.h"

static char path[64];
static int formatted;

/* Stands for a costly argument (an id set formatted into text). */
static const char *costly (void)
{
    formatted++;
    return "1-4,7";
}

static void log_to_tmp (void)
{
    int fd;

    strcpy (path, "/tmp/cphub-test-log-level-XXXXXX");
    cr_assert_geq (fd = mkstemp (path), 0);
    close (fd);
    cr_assert_eq (unlink (path), 0);
    cr_assert_eq (log_set_file (path), 0);
    formatted = 0;
}

static void remove_log (void)
{
    log_set_file (NULL);
    unlink (path);
}

TestSuite (log_level, .init = log_to_tmp, .fini = remove_log);

static off_t log_size (void)
{
    struct stat st;

    cr_assert_eq (stat (path, &st), 0);
    return st.st_size;
}

Test (log_level, debug_off_evaluates_nothing)
{
    log_init ("test", LOG_LVL_INFO);
    cr_assert_not (log_enabled (LOG_LVL_DEBUG));
    cr_assert (log_enabled (LOG_LVL_INFO));
    log_debug ("cores %s", costly ());
    cr_assert_eq (formatted, 0, "the arguments of a debug line were evaluated");
    cr_assert_eq (log_size (), 0);
}

Test (log_level, debug_on_writes_the_line)
{
    log_init ("test", LOG_LVL_DEBUG);
    cr_assert (log_enabled (LOG_LVL_DEBUG));
    log_debug ("cores %s", costly ());
    cr_assert_eq (formatted, 1);
    cr_assert_gt (log_size (), 0);
}

Test (log_level, unknown_levels_are_never_enabled)
{
    log_init ("test", LOG_LVL_DEBUG);
    cr_assert_not (log_enabled ((log_level_t)-1));
    cr_assert_not (log_enabled ((log_level_t)(LOG_LVL_DEBUG + 1)));
}
