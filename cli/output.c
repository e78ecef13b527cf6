/* output.c: everything `cphub` prints that is not a verb's own logic.
 *
 * One-line errors ("cphub: ..."), the options and arguments verbs share
 * (--json, --help, --reason, one job id, an action's name) with getopt
 * failures that point at --help, job id parsing, local dates, a job's
 * outcome in words, aligned tables (built from a verb's items), and the
 * --json output, which is always the codec's msg_payload_json() of the reply
 * (the CLI never builds JSON itself). Text that came from the scheduler
 * (names, reasons, features) is printed with control characters masked, so
 * no job name can drive an operator's terminal.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cphub/jobid.h"

#define CLI_TABLE_GAP 2

struct cli_table {
    const cli_column_t *columns;
    int ncols;
    int nrows;
    int cap;
    char **cells; /* nrows * ncols */
};

int cli_fail (const char *fmt, ...)
{
    va_list ap;

    fflush (stdout);
    fputs ("cphub: ", stderr);
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fputc ('\n', stderr);
    return 1;
}

/* Whether text mentions the number id on its own (not inside 1234). */
static bool cli_mentions_id (const char *text, uint64_t id)
{
    char digits[24];
    size_t n = (size_t)snprintf (digits, sizeof (digits), "%" PRIu64, id);

    for (const char *p = strstr (text, digits); p != NULL; p = strstr (p + 1, digits)) {
        bool before = p > text && isdigit ((unsigned char)p[-1]);
        bool after = isdigit ((unsigned char)p[n]);
        if (!before && !after)
            return true;
    }
    return false;
}

int cli_job_fail (uint64_t id, const char *text)
{
    if (cli_mentions_id (text, id))
        return cli_fail ("%s", text);
    return cli_fail ("job %" PRIu64 ": %s", id, text);
}

int cli_option_error (const cli_t *cli, int ret, int opt, const char *word)
{
    const char *verb = cli->verb != NULL ? cli->verb->name : "";
    char shown[64];

    if (opt > 0 && opt < 256 && isprint (opt) && strncmp (word, "--", 2) != 0)
        snprintf (shown, sizeof (shown), "-%c", opt);
    else
        snprintf (shown, sizeof (shown), "%.*s", (int)strcspn (word, "="), word);
    if (ret == '?' && word[0] == '-' && isdigit ((unsigned char)word[1]))
        cli_fail (
            "%s: '%s' is a negative number; ids and counts are positive whole "
            "numbers",
            verb, word);
    else if (ret == ':')
        cli_fail ("%s: %s needs a value; see cphub %s --help", verb, shown, verb);
    else if (ret == '?' && opt != 0 && strncmp (word, "--", 2) == 0 &&
             strchr (word, '=') != NULL) /* a known flag given a value */
        cli_fail ("%s: %s takes no value; see cphub %s --help", verb, shown, verb);
    else
        cli_fail ("%s: unknown option '%s'; see cphub %s --help", verb, shown, verb);
    return 2;
}

int cli_option_next (cli_t *cli,
                     int argc,
                     char **argv,
                     const char *shortopts,
                     const struct option *options,
                     int *status)
{
    int opt;

    opterr = 0;
    while ((opt = getopt_long (argc, argv, shortopts, options, NULL)) != -1) {
        switch (opt) {
        case CLI_OPT_JSON:
            cli->json = true;
            break;
        case 'h':
            cli_verb_usage (cli, stdout);
            *status = 0;
            return -1;
        case '?':
        case ':':
            *status = cli_option_error (cli, opt, optopt, argv[optind - 1]);
            return -1;
        default:
            return opt;
        }
    }
    return 0;
}

int cli_options_json (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {CLI_OPTIONS_END};
    int status = 2;
    int opt;

    /* Every option here is handled by cli_option_next: it only ends. */
    while ((opt = cli_option_next (cli, argc, argv, ":h", options, &status)) > 0)
        ;
    return opt < 0 ? status : -1;
}

int cli_options_reason (cli_t *cli, int argc, char **argv, const char **reason)
{
    static const struct option options[] = {
        {"reason", required_argument, NULL, CLI_OPT_REASON},
        CLI_OPTIONS_END,
    };
    int status = 2;
    int opt;

    *reason = NULL;
    while ((opt = cli_option_next (cli, argc, argv, ":hr:", options, &status)) > 0) {
        if (opt == 'r' || opt == CLI_OPT_REASON)
            *reason = optarg;
    }
    return opt < 0 ? status : -1;
}

int cli_reason_check (const char *reason, size_t size)
{
    if (reason != NULL && strlen (reason) >= size) {
        cli_fail ("the reason is %zu bytes; keep it under %zu", strlen (reason), size);
        return 2;
    }
    return 0;
}

const void *cli_action_arg (int argc, char **argv, const cli_actions_t *actions)
{
    int nwords = argc - optind;

    if (nwords < 1 || (actions->nwords > 0 && nwords != actions->nwords)) {
        cli_fail ("%s", actions->missing);
        return NULL;
    }
    for (const char *entry = actions->table;; entry += actions->size) {
        const char *entry_name;
        memcpy (&entry_name, entry, sizeof (entry_name));
        if (entry_name == NULL)
            break;
        if (strcmp (entry_name, argv[optind]) == 0)
            return entry;
    }
    cli_fail ("'%s' is not %s", argv[optind], actions->unknown);
    return NULL;
}

int cli_one_element (
    int argc, char **argv, int first, const char *usage, uint64_t *id, uint32_t *index)
{
    cphub_error_t err = {{0}};
    jobid_spec_t spec;

    if (argc - first != 1) {
        cli_fail ("%s", usage);
        return 2;
    }
    if (jobid_parse (argv[first], &spec, &err) < 0) {
        cli_fail ("%s", err.text);
        return 2;
    }
    if (spec.nranges > 1 ||
        (spec.nranges == 1 && spec.ranges[0].first != spec.ranges[0].last)) {
        cli_fail ("'%.40s' names several elements; give one, like %" PRIu64 "_%" PRIu32,
                  argv[first], spec.id, spec.ranges[0].first);
        return 2;
    }
    *id = spec.id;
    *index = spec.nranges ? spec.ranges[0].first : MSG_INDEX_NONE;
    return 0;
}

/* Add spec to m: its id, or its ranges as element ranges. 0, or -1. */
static int cli_ids_add (msg_t *m, const jobid_spec_t *spec)
{
    msg_ids_t *ids = &m->u.ids;

    if (spec->nranges == 0) {
        ids->ids[ids->count++] = spec->id;
        return 0;
    }
    if (ids->nelements + spec->nranges > MSG_ELEMENTS_MAX)
        return cli_fail ("more than %d index ranges at once; give fewer per call",
                         MSG_ELEMENTS_MAX);
    for (uint32_t r = 0; r < spec->nranges; r++)
        ids->elements[ids->nelements++] =
            (msg_elements_t){.id = spec->id,
                             .first = spec->ranges[r].first,
                             .last = spec->ranges[r].last};
    return 0;
}

int cli_one_job (
    cli_t *cli, int argc, char **argv, int first, const char *usage, uint64_t *id)
{
    uint32_t index;
    msg_t *req = NULL, *reply = NULL;
    int status;

    if ((status = cli_one_element (argc, argv, first, usage, id, &index)) != 0 ||
        index == MSG_INDEX_NONE)
        return status;
    if (!(req = msg_create (MSG_SHOW)))
        return cli_fail ("out of memory");
    req->u.id.id = *id;
    req->u.id.index = index;
    if ((reply = cli_request (cli, req, MSG_SHOW_OK)) && reply->u.job_list.count == 1)
        *id = reply->u.job_list.jobs[0].id;
    else
        status = 1;
    msg_destroy (reply);
    msg_destroy (req);
    return status;
}

msg_t *cli_ids_message (msg_type_t type, int argc, char **argv, int first)
{
    cphub_error_t err = {{0}};
    uint32_t count = (uint32_t)(argc - first);
    jobid_spec_t spec;
    msg_t *m = NULL;

    if (count > MSG_IDS_MAX) {
        cli_fail ("%u job ids at once; give at most %d per call", count, MSG_IDS_MAX);
        return NULL;
    }
    if (!(m = msg_create (type)) ||
        !(m->u.ids.ids = calloc (count, sizeof (uint64_t))) ||
        !(m->u.ids.elements = calloc (MSG_ELEMENTS_MAX, sizeof (msg_elements_t)))) {
        cli_fail ("out of memory");
        goto error;
    }
    for (uint32_t i = 0; i < count; i++) {
        if (jobid_parse (argv[first + (int)i], &spec, &err) < 0) {
            cli_fail ("%s", err.text);
            goto error;
        }
        if (cli_ids_add (m, &spec) < 0)
            goto error;
    }
    return m;
error:
    msg_destroy (m);
    return NULL;
}

int cli_print_json (const msg_t *reply)
{
    char *text = msg_payload_json (reply);

    if (text == NULL)
        return cli_fail ("out of memory while printing JSON");
    fputs (text, stdout);
    if (text[0] != '\0' && text[strlen (text) - 1] != '\n')
        fputc ('\n', stdout);
    free (text);
    return 0;
}

void cli_format_time (double t, char *buf, size_t len)
{
    struct tm tm;
    time_t secs = (time_t)t;

    if (t <= 0 || localtime_r (&secs, &tm) == NULL ||
        strftime (buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf (buf, len, "-");
}

int64_t cli_job_elapsed (const job_info_t *job, double now)
{
    double end;

    if (job->start_time <= 0)
        return 0;
    end = job->end_time > 0 ? job->end_time : now;
    return end > job->start_time ? (int64_t)(end - job->start_time) : 0;
}

void cli_format_job_outcome (const job_info_t *job, char *buf, size_t len)
{
    if (job->state == JOB_PENDING && job->expected_start > 0) {
        char start[64];
        cli_format_time (job->expected_start, start, sizeof (start));
        snprintf (buf, len, "%s, start %s", job->reason, start);
    } else if (!job_state_is_terminal (job->state)) {
        snprintf (buf, len, "%s", job->reason);
    } else if (job->signal > 0) {
        const char *abbrev = sigabbrev_np (job->signal);
        if (abbrev != NULL)
            snprintf (buf, len, "signal %d (SIG%s)", job->signal, abbrev);
        else
            snprintf (buf, len, "signal %d", job->signal);
    } else if (job->state == JOB_COMPLETED || job->exit_code != 0 ||
               job->reason[0] == '\0') {
        snprintf (buf, len, "exit %d", job->exit_code);
    } else {
        snprintf (buf, len, "%s", job->reason);
    }
}

void cli_print_safe (FILE *out, const char *s)
{
    for (; *s != '\0'; s++)
        fputc (iscntrl ((unsigned char)*s) ? '?' : *s, out);
}

cli_table_t *cli_table_create (const cli_column_t *columns)
{
    cli_table_t *t = calloc (1, sizeof (*t));

    if (t == NULL)
        return NULL;
    t->columns = columns;
    while (columns[t->ncols].header != NULL)
        t->ncols++;
    return t;
}

void cli_table_destroy (cli_table_t *t)
{
    if (t == NULL)
        return;
    for (int i = 0; i < t->nrows * t->ncols; i++)
        free (t->cells[i]);
    free (t->cells);
    free (t);
}

/* A copy of s with control characters shown as '?'. */
static char *cli_safe_copy (const char *s)
{
    char *copy = strdup (s != NULL ? s : "");

    if (copy == NULL)
        return NULL;
    for (char *p = copy; *p != '\0'; p++) {
        if (iscntrl ((unsigned char)*p))
            *p = '?';
    }
    return copy;
}

int cli_table_row (cli_table_t *t, const char *const cells[])
{
    int base;

    if (t->nrows == t->cap) {
        int cap = t->cap > 0 ? t->cap * 2 : 16;
        char **grown =
            realloc (t->cells, sizeof (char *) * (size_t)cap * (size_t)t->ncols);
        if (grown == NULL)
            return -1;
        t->cells = grown;
        t->cap = cap;
    }
    base = t->nrows * t->ncols;
    for (int c = 0; c < t->ncols; c++) {
        if (!(t->cells[base + c] = cli_safe_copy (cells[c]))) {
            while (c-- > 0)
                free (t->cells[base + c]);
            errno = ENOMEM;
            return -1;
        }
    }
    t->nrows++;
    return 0;
}

static void cli_table_line (const cli_table_t *t,
                            const size_t *width,
                            const char *const *cells,
                            FILE *out)
{
    for (int c = 0; c < t->ncols; c++) {
        size_t len = strlen (cells[c]);
        size_t pad = width[c] > len ? width[c] - len : 0;
        bool last = c == t->ncols - 1;

        if (c > 0)
            fprintf (out, "%*s", CLI_TABLE_GAP, "");
        if (t->columns[c].right)
            fprintf (out, "%*s", (int)pad, "");
        fputs (cells[c], out);
        if (!t->columns[c].right && !last)
            fprintf (out, "%*s", (int)pad, "");
    }
    fputc ('\n', out);
}

int cli_table_print_items (const cli_column_t *columns,
                           const void *items,
                           size_t size,
                           uint32_t count,
                           cli_table_row_f row,
                           const void *arg)
{
    cli_table_t *t = cli_table_create (columns);

    if (t == NULL)
        return cli_fail ("out of memory");
    for (uint32_t i = 0; i < count; i++) {
        if (row (t, (const char *)items + (size_t)i * size, arg) < 0) {
            cli_table_destroy (t);
            return cli_fail ("out of memory");
        }
    }
    cli_table_print (t, stdout);
    cli_table_destroy (t);
    return 0;
}

void cli_table_print_page (const cli_table_t *t, size_t *width, bool header, FILE *out)
{
    const char **headers = calloc ((size_t)t->ncols, sizeof (char *));

    if (headers == NULL) {
        cli_fail ("out of memory while printing a table");
        return;
    }
    for (int c = 0; c < t->ncols; c++) {
        headers[c] = t->columns[c].header;
        if (strlen (headers[c]) > width[c])
            width[c] = strlen (headers[c]);
        for (int r = 0; r < t->nrows; r++) {
            size_t len = strlen (t->cells[r * t->ncols + c]);
            if (len > width[c])
                width[c] = len;
        }
    }
    if (header)
        cli_table_line (t, width, headers, out);
    for (int r = 0; r < t->nrows; r++)
        cli_table_line (t, width, (const char *const *)&t->cells[r * t->ncols], out);
    free (headers);
}

void cli_table_print (const cli_table_t *t, FILE *out)
{
    size_t *width = calloc ((size_t)t->ncols, sizeof (size_t));

    if (width == NULL) {
        cli_fail ("out of memory while printing a table");
        return;
    }
    cli_table_print_page (t, width, true, out);
    free (width);
}
