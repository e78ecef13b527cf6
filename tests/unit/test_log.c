/* test_log.c: unit tests for common/log.c: control characters in a message
 * are escaped so one call writes one line that nobody can make look like
 * another (forged lines, terminal escapes), long messages are cut without
 * breaking an escape, and a log file is created mode 0640 whatever the
 * umask, an existing one losing access beyond that.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cphub/log.h"

static char tmpdir[64];

static void make_tmpdir (void)
{
    strcpy (tmpdir, "/tmp/cphub-test-log-XXXXXX");
    cr_assert_not_null (mkdtemp (tmpdir));
}

static void remove_tmpdir (void)
{
    char cmd[128];

    log_set_file (NULL);
    if (tmpdir[0] == '\0')
        return;
    snprintf (cmd, sizeof (cmd), "rm -rf '%s'", tmpdir);
    cr_assert_eq (system (cmd), 0);
}

static const struct {
    const char *in;
    const char *out;
} escapes[] = {
    {.in = "plain text, UTF-8 \xc3\xa9 kept", .out = "plain text, UTF-8 \xc3\xa9 kept"},
    {.in = "x\n2026-01-01 forged line", .out = "x\\n2026-01-01 forged line"},
    {.in = "a\rb\tc", .out = "a\\rb\\tc"},
    {.in = "\x1b[31mred\x1b[0m", .out = "\\x1b[31mred\\x1b[0m"},
    {.in = "\x01\x1f\x7f", .out = "\\x01\\x1f\\x7f"},
    {.in = "back\\slash", .out = "back\\slash"},
    {.in = "", .out = ""},
};

Test (log, escape_control_characters)
{
    char buf[128];

    for (size_t i = 0; i < sizeof (escapes) / sizeof (escapes[0]); i++) {
        size_t n = log_escape (buf, sizeof (buf), escapes[i].in);
        cr_assert_str_eq (buf, escapes[i].out);
        cr_assert_eq (n, strlen (escapes[i].out));
    }
}

Test (log, escape_cuts_between_escapes)
{
    char buf[8];

    /* "ab" + "\x1b" needs 6 bytes + NUL = 7 */
    cr_assert_eq (log_escape (buf, 7,
                              "ab\x1b"
                              "cd"),
                  6);
    cr_assert_str_eq (buf, "ab\\x1b");
    cr_assert_eq (log_escape (buf, 6,
                              "ab\x1b"
                              "cd"),
                  2, "no half escape: %s", buf);
    cr_assert_str_eq (buf, "ab");
    cr_assert_eq (log_escape (buf, 1, "abc"), 0);
    cr_assert_str_eq (buf, "");
    cr_assert_eq (log_escape (buf, 0, "abc"), 0);
}

/* Read path whole; caller frees. */
static char *slurp (const char *path)
{
    FILE *f = fopen (path, "r");
    char *text = calloc (1, 65536);
    size_t n;

    cr_assert_not_null (f);
    cr_assert_not_null (text);
    n = fread (text, 1, 65535, f);
    text[n] = '\0';
    fclose (f);
    return text;
}

Test (log, one_call_one_line, .init = make_tmpdir, .fini = remove_tmpdir)
{
    char path[128];
    char *text, *line, *save = NULL;
    int lines = 0;

    snprintf (path, sizeof (path), "%s/x.log", tmpdir);
    log_init ("test_log", LOG_LVL_INFO);
    cr_assert_eq (log_set_file (path), 0, "%s", strerror (errno));
    log_info ("job %s submitted by %s", "x\n2026-01-01T00:00:00.000Z forged info: hi",
              "tenant-a\r\x1b[2K");
    log_warn ("trailing newline dropped\n");
    cr_assert_eq (log_set_file (NULL), 0);
    text = slurp (path);
    for (line = strtok_r (text, "\n", &save); line;
         line = strtok_r (NULL, "\n", &save)) {
        lines++;
        cr_assert (strstr (line, " test_log["), "a line not of ours: '%s'", line);
        cr_assert_null (strchr (line, '\r'));
        cr_assert_null (strchr (line, '\x1b'));
    }
    cr_assert_eq (lines, 2, "%d lines", lines);
    free (text);
    text = slurp (path);
    cr_assert (strstr (text,
                       "job x\\n2026-01-01T00:00:00.000Z forged info: hi submitted "
                       "by tenant-a\\r\\x1b[2K\n"),
               "%s", text);
    cr_assert (strstr (text, "warn: trailing newline dropped\n"), "%s", text);
    free (text);
}

Test (log,
      file_mode_0640_whatever_the_umask,
      .init = make_tmpdir,
      .fini = remove_tmpdir)
{
    static const mode_t umasks[] = {0, 022, 077};
    char path[128];
    struct stat st;

    for (size_t i = 0; i < sizeof (umasks) / sizeof (umasks[0]); i++) {
        mode_t old = umask (umasks[i]);
        snprintf (path, sizeof (path), "%s/new-%zu.log", tmpdir, i);
        cr_assert_eq (log_set_file (path), 0, "%s", strerror (errno));
        umask (old);
        log_info ("hello");
        cr_assert_eq (stat (path, &st), 0);
        cr_assert_eq (st.st_mode & 07777, 0640, "umask %03o: mode %04o", umasks[i],
                      st.st_mode & 07777);
    }
    /* an existing world-readable log loses what is beyond 0640 */
    snprintf (path, sizeof (path), "%s/old.log", tmpdir);
    FILE *f = fopen (path, "w");
    cr_assert_not_null (f);
    fputs ("older line\n", f);
    fclose (f);
    cr_assert_eq (chmod (path, 0666), 0);
    cr_assert_eq (log_set_file (path), 0);
    log_info ("appended");
    cr_assert_eq (stat (path, &st), 0);
    cr_assert_eq (st.st_mode & 07777, 0640, "mode %04o", st.st_mode & 07777);
    char *text = slurp (path);
    cr_assert (strncmp (text, "older line\n", 11) == 0, "appending kept the old lines");
    cr_assert (strstr (text, "info: appended\n"), "%s", text);
    free (text);
    /* an existing 0600 one stays 0600 */
    cr_assert_eq (chmod (path, 0600), 0);
    cr_assert_eq (log_set_file (path), 0);
    cr_assert_eq (stat (path, &st), 0);
    cr_assert_eq (st.st_mode & 07777, 0600);
}
