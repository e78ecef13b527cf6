/* fuzz_jobspec.c: fuzz target for the job spec parser (common/jobspec.c)
 * and the parsers it calls for placement and relations: node constraints
 * (common/constraint.c), --array and --after (common/jobspec_rel.c).
 *
 * The input is a script, then a line "%%", then one option per line,
 * "name=value" (or "name" alone for a flag):
 *
 *     #!/bin/sh
 *     #CPHUB -n 4 --time=1:00:00
 *     %%
 *     mem=4G
 *     exclusive
 *
 * An empty (or refused) script stands for a command ("true"). The target applies the
 * script (its #CPHUB lines), then each option, then jobspec_validate; a spec
 * that validates must have parsed forms whose canonical text parses again,
 * must copy, and must cross the wire in a submit unless its script is not
 * UTF-8 (EILSEQ, by contract). Each option value also goes straight to
 * constraint_parse, jobspec_array_parse and jobspec_after_parse, whose
 * results are checked against their documented limits, and whose canonical
 * text must parse back to the same form and be no longer than the input.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/constraint.h"
#include "cphub/jobspec.h"
#include "cphub/msg.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_SEPARATOR "%%"

static const char *const fuzz_features[] = {
    "", "avx512", "avx512,a100", "a100,h100,ib", "x86_64,avx2,avx512,nvme",
};

static void fuzz_constraint (const char *text)
{
    cphub_error_t err = {{0}}, cerr = {{0}};
    constraint_t *c = constraint_parse (text, &err);
    int checked = constraint_check (text, &cerr);

    fuzz_assert ((c != NULL) == (checked == 0));
    if (!c) {
        fuzz_assert (err.text[0] != '\0');
        return;
    }
    fuzz_assert (strlen (text) <= CONSTRAINT_TEXT_MAX);
    for (size_t i = 0; i < sizeof (fuzz_features) / sizeof (fuzz_features[0]); i++)
        (void)constraint_match (c, fuzz_features[i]);
    (void)constraint_match (c, text); /* the text itself as a feature list */
    constraint_destroy (c);
}

static void fuzz_array (const char *text)
{
    cphub_error_t err = {{0}};
    jobspec_array_t *a = jobspec_array_parse (text, &err), *again;
    char canonical[JOBSPEC_ARRAY_TEXT_MAX + 1];
    uint32_t prev = 0;

    if (!a) {
        fuzz_assert (err.text[0] != '\0');
        return;
    }
    fuzz_assert (a->count >= 1 && a->count <= JOBSPEC_ARRAY_SIZE_MAX);
    fuzz_assert (a->nranges >= 1 && a->nranges <= JOBSPEC_ARRAY_RANGES_MAX);
    for (uint32_t n = 0; n < a->count; n++) {
        uint32_t index = jobspec_array_index (a, n);
        fuzz_assert (index <= JOBSPEC_ARRAY_INDEX_MAX);
        fuzz_assert (n == 0 || index > prev); /* increasing, each once */
        prev = index;
    }
    fuzz_assert (prev == a->ranges[a->nranges - 1].last);
    fuzz_assert (jobspec_array_format (a, canonical, sizeof (canonical)) <=
                 (int)strlen (text));
    if ((again = jobspec_array_parse (canonical, &err))) {
        fuzz_assert (again->nranges == a->nranges);
        fuzz_assert (
            memcmp (a, again, sizeof (*a) + a->nranges * sizeof (a->ranges[0])) == 0);
    }
    fuzz_assert (again || errno == ENOMEM);
    free (again);
    free (a);
}

static void fuzz_after (const char *text)
{
    cphub_error_t err = {{0}};
    jobspec_after_t *a = jobspec_after_parse (text, &err), *again;
    char canonical[JOBSPEC_AFTER_MAX + 1];

    if (!a) {
        fuzz_assert (err.text[0] != '\0');
        return;
    }
    fuzz_assert (a->count >= 1 && a->count <= JOBSPEC_AFTER_IDS_MAX);
    for (uint32_t i = 0; i < a->count; i++)
        fuzz_assert (a->deps[i].id >= 1);
    fuzz_assert (jobspec_after_format (a, canonical, sizeof (canonical)) <=
                 (int)strlen (text));
    if ((again = jobspec_after_parse (canonical, &err))) {
        fuzz_assert (again->count == a->count);
        for (uint32_t i = 0; i < a->count; i++)
            fuzz_assert (again->deps[i].id == a->deps[i].id &&
                         again->deps[i].kind == a->deps[i].kind);
    }
    fuzz_assert (again || errno == ENOMEM);
    free (again);
    free (a);
}

/* A spec that validated: what the CLI would send, the scheduler must take. */
static void fuzz_valid_spec (const jobspec_t *spec)
{
    cphub_error_t err = {{0}};
    jobspec_t copy, share;
    char summary[64], *body = NULL, text[JOBSPEC_AFTER_MAX + 1];
    size_t len = 0;
    msg_t *m, *m2;

    fuzz_assert (jobspec_validate_counts (spec, &err) == 0);
    if (spec->array) {
        fuzz_assert (jobspec_array_format (spec->array, text, sizeof (text)) <=
                     JOBSPEC_ARRAY_TEXT_MAX);
        fuzz_array (text);
    }
    if (spec->after) {
        fuzz_assert (jobspec_after_format (spec->after, text, sizeof (text)) <=
                     JOBSPEC_AFTER_MAX);
        fuzz_after (text);
    }
    if (spec->constraint)
        fuzz_constraint (constraint_text (spec->constraint));
    fuzz_assert (jobspec_cores (spec) >= 1);
    jobspec_command_summary (spec, summary, sizeof (summary));
    fuzz_assert (strlen (summary) < sizeof (summary));
    jobspec_node_share (spec, &share);
    fuzz_assert (share.ntasks >= 1);
    jobspec_clear (&share);
    if (jobspec_copy (&copy, spec) < 0)
        return;
    fuzz_assert (jobspec_validate (&copy, &err) == 0);
    if (!(m = msg_create (MSG_SUBMIT))) {
        jobspec_clear (&copy);
        return;
    }
    jobspec_clear (&m->u.submit.spec);
    m->u.submit.spec = copy; /* m owns it now */
    if (msg_encode (m, &body, &len) < 0) {
        /* A script that is not UTF-8 cannot travel as JSON text. */
        fuzz_assert (errno == EILSEQ || errno == ENOMEM);
    } else {
        m2 = msg_decode ("submit", 6, body, len, &err);
        if (!m2)
            fprintf (stderr, "a valid spec was refused on the wire: %s\n%s\n", err.text,
                     body);
        fuzz_assert (m2 != NULL);
        msg_destroy (m2);
        free (body);
    }
    msg_destroy (m);
}

/* "name=value" or "name": apply it, and feed the value to the parsers. */
static void fuzz_option (jobspec_t *spec, char *line)
{
    cphub_error_t err = {{0}};
    char *eq = strchr (line, '=');
    const char *value = NULL;

    if (eq) {
        *eq = '\0';
        value = eq + 1;
    }
    if (jobspec_set_option (spec, line, value, &err) < 0)
        fuzz_assert (err.text[0] != '\0');
    if (value) {
        fuzz_constraint (value);
        fuzz_array (value);
        fuzz_after (value);
    }
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup (data, size);
    char *options = NULL, *line, *next;
    char *const argv[] = {"true", NULL};
    cphub_error_t err = {{0}};
    jobspec_t spec;

    if (!text)
        return 0;
    jobspec_init (&spec);
    /* Split at the first line that is exactly the separator. */
    for (line = text; line; line = next) {
        next = strchr (line, '\n');
        if (next)
            next++;
        if (strncmp (line, FUZZ_SEPARATOR, 2) == 0 && (line[2] == '\n' || !line[2])) {
            *line = '\0';
            options = next;
            break;
        }
    }
    if (text[0] && jobspec_set_script (&spec, text, &err) < 0)
        fuzz_assert (err.text[0] != '\0');
    if (!spec.script) /* no script, or a refused one: a command, for the options */
        fuzz_assert (jobspec_set_argv (&spec, 1, argv, &err) == 0);
    for (line = options; line && *line; line = next) {
        next = strchr (line, '\n');
        if (next)
            *next++ = '\0';
        fuzz_option (&spec, line);
    }
    if (jobspec_validate (&spec, &err) == 0)
        fuzz_valid_spec (&spec);
    else
        fuzz_assert (err.text[0] != '\0');
    jobspec_clear (&spec);
    free (text);
    return 0;
}
