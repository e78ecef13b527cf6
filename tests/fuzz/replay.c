/* replay.c: the main() that turns a fuzz target into a plain test program,
 * built by `make check` with the normal compiler (and, in the sanitizer
 * build, under ASan and UBSan). With no arguments it runs every file of
 * $CPHUB_SRCDIR/tests/fuzz/corpus/FUZZ_TARGET/ (FUZZ_TARGET is set by
 * Makefile.am, e.g. "msg"; CPHUB_SRCDIR by the test environment, "." when
 * unset) through LLVMFuzzerTestOneInput, in name order; with arguments, the
 * named files and directories instead (to replay a crash file that
 * scripts/fuzz saved). A target that finds a broken property aborts, so the
 * test fails; an empty corpus fails too, since it tests nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET must name the corpus directory, e.g. -DFUZZ_TARGET='\"msg\"'"
#endif

/* Read a whole file into a malloc'd buffer of exactly its size (at least 1
 * byte allocated, so that an empty file is not a NULL pointer). */
static uint8_t *replay_read (const char *path, size_t *size)
{
    FILE *f = fopen (path, "rb");
    uint8_t *buf = NULL;
    struct stat st;

    if (!f)
        return NULL;
    if (fstat (fileno (f), &st) < 0 || st.st_size < 0)
        goto error;
    if (!(buf = malloc ((size_t)st.st_size + 1)))
        goto error;
    if (fread (buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
        goto error;
    fclose (f);
    *size = (size_t)st.st_size;
    return buf;
error:
    free (buf);
    fclose (f);
    return NULL;
}

static int replay_file (const char *path)
{
    size_t size = 0;
    uint8_t *buf = replay_read (path, &size);

    if (!buf) {
        fprintf (stderr, "replay: %s: cannot read: %s\n", path, strerror (errno));
        return -1;
    }
    fprintf (stderr, "replay: %s (%zu bytes)\n", path, size);
    LLVMFuzzerTestOneInput (buf, size);
    free (buf);
    return 0;
}

static int replay_entry_filter (const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* Every regular file of dir, in name order; -1 if dir cannot be read. */
static int replay_dir (const char *dir, int *count)
{
    struct dirent **names = NULL;
    char path[4096];
    struct stat st;
    int n, rc = 0;

    if ((n = scandir (dir, &names, replay_entry_filter, alphasort)) < 0) {
        fprintf (stderr, "replay: %s: cannot list: %s\n", dir, strerror (errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        snprintf (path, sizeof (path), "%s/%s", dir, names[i]->d_name);
        if (stat (path, &st) == 0 && S_ISREG (st.st_mode)) {
            if (replay_file (path) < 0)
                rc = -1;
            else
                (*count)++;
        }
        free (names[i]);
    }
    free (names);
    return rc;
}

static int replay_path (const char *path, int *count)
{
    struct stat st;

    if (stat (path, &st) < 0) {
        fprintf (stderr, "replay: %s: %s\n", path, strerror (errno));
        return -1;
    }
    if (S_ISDIR (st.st_mode))
        return replay_dir (path, count);
    if (replay_file (path) < 0)
        return -1;
    (*count)++;
    return 0;
}

int main (int argc, char *argv[])
{
    const char *srcdir = getenv ("CPHUB_SRCDIR");
    char corpus[4096];
    int count = 0, rc = 0;

    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            if (replay_path (argv[i], &count) < 0)
                rc = 1;
        }
    } else {
        snprintf (corpus, sizeof (corpus), "%s/tests/fuzz/corpus/%s",
                  srcdir && *srcdir ? srcdir : ".", FUZZ_TARGET);
        if (replay_path (corpus, &count) < 0)
            rc = 1;
    }
    if (count == 0) {
        fprintf (stderr, "replay: no inputs replayed\n");
        rc = 1;
    }
    printf ("fuzz_%s: %d inputs replayed%s\n", FUZZ_TARGET, count,
            rc ? ", some could not be read" : "");
    return rc;
}
