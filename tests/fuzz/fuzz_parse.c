/* fuzz_parse.c: fuzz target for the small text parsers that read what
 * people type and what the wire carries: durations, sizes and memory
 * (common/parse.c), and id lists (common/idset.c).
 *
 * Each line of the input (up to 16) is one value, given to every parser.
 * What parses must come back: a duration printed by format_duration parses
 * to the same seconds; a size printed by format_size parses to within its
 * rounding (one decimal of the unit); an id list encodes to text that
 * decodes to the same set and encodes to the same text, fails cleanly
 * (ENOSPC, no overflow) into any buffer too small for it, and its count
 * agrees with iterating it.
 */
#include <errno.h>
#include <string.h>

#include "cphub/idset.h"
#include "cphub/parse.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_IDSET_WALK 1024 /* ids of a set checked one by one */
#define FUZZ_LINES_MAX 16    /* values per input: more add time, not paths */

static void fuzz_duration (const char *s)
{
    cphub_error_t err = {{0}};
    int64_t seconds = -1, again = -1;
    char buf[64];

    if (parse_duration (s, &seconds, &err) < 0) {
        fuzz_assert (errno == EINVAL || errno == ERANGE);
        fuzz_assert (err.text[0] != '\0');
        return;
    }
    fuzz_assert (seconds >= 0);
    format_duration (seconds, buf, sizeof (buf));
    if (parse_duration (buf, &again, &err) < 0)
        fprintf (stderr, "'%s' -> %lld -> '%s': %s\n", s, (long long)seconds, buf,
                 err.text);
    fuzz_assert (again == seconds);
}

/* parse (parse_size or parse_mem), then format_size and parse_size back. */
static void fuzz_size (const char *s,
                       int (*parse) (const char *, uint64_t *, cphub_error_t *))
{
    cphub_error_t err = {{0}};
    uint64_t bytes = 0, again = 0, diff;
    char buf[64];

    if (parse (s, &bytes, &err) < 0) {
        fuzz_assert (errno == EINVAL || errno == ERANGE);
        fuzz_assert (err.text[0] != '\0');
        return;
    }
    format_size (bytes, buf, sizeof (buf));
    if (parse_size (buf, &again, &err) < 0) {
        /* Rounded up to one decimal, the largest sizes print past 2^64. */
        fuzz_assert (errno == ERANGE && bytes > UINT64_MAX / 20 * 19);
        return;
    }
    diff = again > bytes ? again - bytes : bytes - again;
    if (diff > bytes / 20 + 1)
        fprintf (stderr, "'%s' -> %llu -> '%s' -> %llu\n", s, (unsigned long long)bytes,
                 buf, (unsigned long long)again);
    fuzz_assert (diff <= bytes / 20 + 1);
}

static void fuzz_uint (const char *s, uint64_t min, uint64_t max)
{
    cphub_error_t err = {{0}};
    uint64_t v = 0;

    if (parse_uint (s, "fuzz", min, max, &v, &err) < 0) {
        fuzz_assert (err.text[0] != '\0');
        return;
    }
    fuzz_assert (v >= min && v <= max);
}

static void fuzz_idset (const char *s)
{
    cphub_error_t err = {{0}};
    idset_t *set, *again = NULL, *copy = NULL;
    char *text = NULL, *text2 = NULL, *small;
    int count = 0, prev = IDSET_NONE, id;
    size_t len;

    if (!(set = idset_decode (s, &err))) {
        fuzz_assert (err.text[0] != '\0');
        return;
    }
    /* Walk the first ids (all of them would make large sets slow to fuzz). */
    for (id = idset_first (set); id != IDSET_NONE && count < FUZZ_IDSET_WALK;
         id = idset_next (set, id)) {
        fuzz_assert (id > prev && id < IDSET_MAX_ID && idset_test (set, id));
        prev = id;
        count++;
    }
    if (id == IDSET_NONE)
        fuzz_assert (count == idset_count (set));
    fuzz_assert (idset_empty (set) == (count == 0));
    if (!(text = idset_encode_alloc (set)))
        goto done;
    if (!(again = idset_decode (text, &err)))
        fprintf (stderr, "'%s' encodes as '%s', which does not decode: %s\n", s, text,
                 err.text);
    fuzz_assert (again != NULL);
    fuzz_assert (idset_equal (set, again));
    if (!(text2 = idset_encode_alloc (again)))
        goto done;
    fuzz_assert (strcmp (text, text2) == 0);
    /* Too small by one byte (at least): refused, and nothing written past. */
    len = strlen (text);
    if (len > 0 && (small = malloc (len))) {
        fuzz_assert (idset_encode (set, small, len) < 0 && errno == ENOSPC);
        free (small);
    }
    if ((copy = idset_copy (set)))
        fuzz_assert (idset_equal (set, copy) && idset_is_subset (copy, set));
done:
    idset_destroy (copy);
    free (text2);
    free (text);
    idset_destroy (again);
    idset_destroy (set);
}

static void fuzz_value (const char *s)
{
    fuzz_duration (s);
    fuzz_size (s, parse_size);
    fuzz_size (s, parse_mem);
    fuzz_uint (s, 0, UINT64_MAX);
    fuzz_uint (s, 1, 65536);
    fuzz_idset (s);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup (data, size);
    char *line, *next;
    int lines = 0;

    if (!text)
        return 0;
    for (line = text; line && lines < FUZZ_LINES_MAX; line = next, lines++) {
        if ((next = strchr (line, '\n')))
            *next++ = '\0';
        fuzz_value (line);
    }
    free (text);
    return 0;
}
