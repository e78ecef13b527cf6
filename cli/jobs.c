/* jobs.c: `cphub jobs` and `cphub show ID`, the two ways to look at jobs.
 *
 * jobs prints one aligned row per job (pending and running ones; every job
 * the hub keeps with --all; filtered by state, name, node, tenant, time and
 * array like squeue and sacct), an array in one row (jobs_array.c) unless
 * --expand, in the columns -o names (a table of them),
 * page by page as the scheduler sends them, or as one JSON array (--json)
 * or one JSON object per line (--jsonl); show prints every field of one job_info as
 * "key: value" lines whose keys are the field names of the wire and of --json, with
 * dates in local time and durations and sizes in the form people write them. The fields
 * are a table, so adding one to job_info means adding one line here.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cli.h"
#include "cphub/parse.h"

/* Most columns a --format may name. */
#define CLI_JOBS_COLUMNS_MAX 24
/* Room of one cell. */
#define CLI_JOBS_CELL_MAX 200
/* The columns without --format, squeue's choice plus the outcome. */
#define CLI_JOBS_FORMAT_DEFAULT "id,tenant,name,state,node,cpus,time,pos,reason"

typedef void (*cli_jobs_cell_f) (const job_info_t *job,
                                 double now,
                                 char *buf,
                                 size_t len);

/* A column --format may name: its key, its header and alignment, its cell. */
typedef struct cli_jobs_column {
    const char *key;
    cli_column_t column;
    cli_jobs_cell_f cell;
} cli_jobs_column_t;

static void cell_id (const job_info_t *job, double now, char *buf, size_t len)
{
    (void)now;
    if (job->array_id != 0)
        snprintf (buf, len, "%" PRIu64 "_%" PRIu32, job->array_id, job->array_index);
    else
        snprintf (buf, len, "%" PRIu64, job->id);
}

static void cell_tenant (const job_info_t *job, double now, char *buf, size_t len)
{
    (void)now;
    snprintf (buf, len, "%s", job->tenant);
}

static void cell_name (const job_info_t *job, double now, char *buf, size_t len)
{
    (void)now;
    snprintf (buf, len, "%s", job->name[0] != '\0' ? job->name : job->command);
}

static void cell_state (const job_info_t *job, double now, char *buf, size_t len)
{
    (void)now;
    snprintf (buf, len, "%s", job_state_name (job->state));
}

static void cell_node (const job_info_t *job, double now, char *buf, size_t len)
{
    (void)now;
    snprintf (buf, len, "%s", job->node[0] != '\0' ? job->node : "-");
}

static void cell_cpus (const job_info_t *job, double now, char *buf, size_t len)
{
    (void)now;
    snprintf (buf, len, "%" PRIu64, (uint64_t)job->ntasks * job->cpus_per_task);
}

static void cell_time (const job_info_t *job, double now, char *buf, size_t len)
{
    char elapsed[32], limit[32];

    format_duration (cli_job_elapsed (job, now), elapsed, sizeof (elapsed));
    if (job->walltime > 0)
        format_duration (job->walltime, limit, sizeof (limit));
    else
        snprintf (limit, sizeof (limit), "-");
    snprintf (buf, len, "%s/%s", elapsed, limit);
}

static void cell_pos (const job_info_t *job, double now, char *buf, size_t len)
{
    (void)now;
    if (job->state == JOB_PENDING && job->queue_position > 0)
        snprintf (buf, len, "%" PRIu32, job->queue_position);
    else
        snprintf (buf, len, "-");
}

static void cell_reason (const job_info_t *job, double now, char *buf, size_t len)
{
    (void)now;
    cli_format_job_outcome (job, buf, len);
}

static void cell_submit (const job_info_t *job, double now, char *buf, size_t len)
{
    (void)now;
    cli_format_time (job->submit_time, buf, len);
}

static void cell_start (const job_info_t *job, double now, char *buf, size_t len)
{
    (void)now;
    cli_format_time (job->start_time, buf, len);
}

static void cell_end (const job_info_t *job, double now, char *buf, size_t len)
{
    (void)now;
    cli_format_time (job->end_time, buf, len);
}

static void cell_exit (const job_info_t *job, double now, char *buf, size_t len)
{
    (void)now;
    snprintf (buf, len, "%d:%d", job->exit_code, job->signal);
}

static void cell_array (const job_info_t *job, double now, char *buf, size_t len)
{
    (void)now;
    if (job->array_id)
        snprintf (buf, len, "%" PRIu64 "_%" PRIu32, job->array_id, job->array_index);
    else
        snprintf (buf, len, "-");
}

static void cell_command (const job_info_t *job, double now, char *buf, size_t len)
{
    (void)now;
    snprintf (buf, len, "%s", job->command);
}

static const cli_jobs_column_t cli_jobs_columns[] = {
    {"id", {.header = "ID", .right = true}, cell_id},
    {"tenant", {.header = "TENANT"}, cell_tenant},
    {"name", {.header = "NAME"}, cell_name},
    {"state", {.header = "STATE"}, cell_state},
    {"node", {.header = "NODE"}, cell_node},
    {"cpus", {.header = "CPUS", .right = true}, cell_cpus},
    {"time", {.header = "TIME", .right = true}, cell_time},
    {"pos", {.header = "POS", .right = true}, cell_pos},
    {"reason", {.header = "REASON/EXIT"}, cell_reason},
    {"submit", {.header = "SUBMIT"}, cell_submit},
    {"start", {.header = "START"}, cell_start},
    {"end", {.header = "END"}, cell_end},
    {"exit", {.header = "EXIT:SIG"}, cell_exit},
    {"array", {.header = "ARRAY"}, cell_array},
    {"command", {.header = "COMMAND"}, cell_command},
    {.key = NULL},
};

/* How jobs prints what comes: the chosen columns, or JSON. */
typedef struct cli_jobs_out {
    const cli_jobs_column_t *cols[CLI_JOBS_COLUMNS_MAX];
    cli_column_t header[CLI_JOBS_COLUMNS_MAX + 1]; /* ends with header NULL */
    size_t width[CLI_JOBS_COLUMNS_MAX];            /* widened page by page */
    int ncols;
    bool noheader;
    bool jsonl;
    bool json;
    bool expand;     /* an array's elements one row each */
    cli_array_t arr; /* the array row being gathered, across pages */
    uint64_t printed;
} cli_jobs_out_t;

/* The columns of a comma list of keys; 2 with the keys listed if one is
 * unknown. */
static int cli_jobs_format (cli_jobs_out_t *out, const char *list)
{
    char copy[CLI_JOBS_CELL_MAX], known[CLI_JOBS_CELL_MAX] = "";
    char *save = NULL;

    snprintf (copy, sizeof (copy), "%s", list);
    out->ncols = 0;
    for (char *key = strtok_r (copy, ",", &save); key;
         key = strtok_r (NULL, ",", &save)) {
        const cli_jobs_column_t *c = cli_jobs_columns;
        while (c->key && strcasecmp (c->key, key) != 0)
            c++;
        if (!c->key) {
            for (c = cli_jobs_columns; c->key; c++) {
                size_t used = strlen (known);
                snprintf (known + used, sizeof (known) - used, "%s%s",
                          c == cli_jobs_columns ? "" : ",", c->key);
            }
            cli_fail ("--format: no column '%s'; the columns are %s", key, known);
            return 2;
        }
        if (out->ncols == CLI_JOBS_COLUMNS_MAX) {
            cli_fail ("--format: at most %d columns", CLI_JOBS_COLUMNS_MAX);
            return 2;
        }
        out->header[out->ncols] = c->column;
        out->cols[out->ncols++] = c;
    }
    if (out->ncols == 0) {
        cli_fail ("--format: name at least one column, e.g. -o id,state,end");
        return 2;
    }
    out->header[out->ncols] = (cli_column_t){.header = NULL};
    return 0;
}

/* Add the row of one job to t. */
static int cli_jobs_row (const cli_jobs_out_t *out,
                         cli_table_t *t,
                         const job_info_t *job,
                         double now)
{
    char cells[CLI_JOBS_COLUMNS_MAX][CLI_JOBS_CELL_MAX];
    const char *row[CLI_JOBS_COLUMNS_MAX];

    for (int c = 0; c < out->ncols; c++) {
        out->cols[c]->cell (job, now, cells[c], sizeof (cells[c]));
        row[c] = cells[c];
    }
    return cli_table_row (t, row);
}

/* Add the row of the array gathered so far to t, and start over. */
static int cli_jobs_array_row (cli_jobs_out_t *out, cli_table_t *t, double now)
{
    char cells[CLI_JOBS_COLUMNS_MAX][CLI_JOBS_CELL_MAX];
    const char *row[CLI_JOBS_COLUMNS_MAX];

    if (!out->arr.active)
        return 0;
    for (int c = 0; c < out->ncols; c++) {
        if (!cli_array_cell (&out->arr, out->cols[c]->key, cells[c], sizeof (cells[c])))
            out->cols[c]->cell (&out->arr.first, now, cells[c], sizeof (cells[c]));
        row[c] = cells[c];
    }
    out->arr.active = false;
    return cli_table_row (t, row);
}

/* Add one job to t: its own row, or to its array's row, which goes into t
 * when the next job is not of that array. */
static int cli_jobs_add (cli_jobs_out_t *out,
                         cli_table_t *t,
                         const job_info_t *job,
                         double now)
{
    if (!out->expand && job->array_id != 0 && out->arr.active &&
        out->arr.first.array_id == job->array_id) {
        if (job->array_folded > 0)
            cli_array_add_folded (&out->arr, job);
        else
            cli_array_add (&out->arr, job);
        return 0;
    }
    if (cli_jobs_array_row (out, t, now) < 0)
        return -1;
    if (!out->expand && job->array_id != 0) {
        cli_array_start (&out->arr, job);
        return 0;
    }
    return cli_jobs_row (out, t, job, now);
}

/* Print one page as it comes (an array cut by the page's end waits for the
 * next; last: no page follows). 0, or 1 with the reason printed. */
static int cli_jobs_page (cli_jobs_out_t *out, const msg_t *page, bool last)
{
    const msg_job_list_t *list = &page->u.job_list;
    double now = clock_now ();
    cli_table_t *t;
    int rc = 0;

    if (out->json || out->jsonl) {
        char *text = msg_payload_jsonl (page);
        if (!text)
            return cli_fail ("out of memory while printing JSON");
        /* --json: one array whose elements come page by page */
        for (char *line = text, *end; *line; line = end + 1) {
            end = strchr (line, '\n');
            *end = '\0';
            if (out->json)
                fputs (out->printed++ ? ",\n  " : "[\n  ", stdout);
            fputs (line, stdout);
            if (!out->json)
                fputc ('\n', stdout);
        }
        free (text);
        return 0;
    }
    if (!(t = cli_table_create (out->header)))
        return cli_fail ("out of memory");
    for (uint32_t i = 0; rc == 0 && i < list->count; i++)
        rc = cli_jobs_add (out, t, &list->jobs[i], now);
    if (rc == 0 && last)
        rc = cli_jobs_array_row (out, t, now);
    if (rc < 0) {
        cli_table_destroy (t);
        return cli_fail ("out of memory");
    }
    cli_table_print_page (t, out->width, !out->noheader && out->printed == 0, stdout);
    out->printed += list->count ? list->count : (out->noheader ? 0 : 1);
    cli_table_destroy (t);
    return 0;
}

/* Whether list's first row is a folded row that goes on with the array row
 * being gathered (a page cut the array: it adds no row). */
static bool cli_jobs_joins (const cli_jobs_out_t *out, const msg_job_list_t *list)
{
    return out->arr.active && list->count > 0 && list->jobs[0].array_folded > 0 &&
           list->jobs[0].array_id == out->arr.first.array_id;
}

/* Whether the array row being gathered may go on in the next page: the
 * page ended in a folded row, or held none. */
static bool cli_jobs_open (const cli_jobs_out_t *out, const msg_job_list_t *list)
{
    if (list->count == 0)
        return out->arr.active;
    return list->jobs[list->count - 1].array_folded > 0;
}

/* Keep the first count rows of list (their folded counts go with them). */
static void cli_jobs_keep (msg_job_list_t *list, uint32_t count)
{
    for (uint32_t i = count; i < list->count; i++) {
        free (list->jobs[i].array_counts);
        list->jobs[i].array_counts = NULL;
    }
    list->count = count;
}

/* The scheduler answers jobs in pages: ask from each page's next until the
 * last (or --limit rows came: when the last is an array's folded row, the
 * rest of that array still comes), printing each page as it comes. Takes
 * req. */
static int cli_jobs_pages (cli_t *cli, msg_t *req, cli_jobs_out_t *out)
{
    uint32_t limit = req->u.jobs.limit;
    uint64_t came = 0;
    int status = 1;

    for (;;) {
        msg_t *page = cli_request (cli, req, MSG_JOBS_OK);
        msg_job_list_t *list;
        uint64_t next;
        uint32_t joins;
        bool cut = false;
        if (!page)
            goto out;
        list = &page->u.job_list;
        next = list->next;
        joins = cli_jobs_joins (out, list) ? 1 : 0;
        if (limit && list->count - joins > limit - came) {
            cli_jobs_keep (list, (uint32_t)(limit - came) + joins);
            cut = true;
        }
        came += list->count - joins;
        bool last = next == 0 ||
                    (limit && came >= limit && (cut || !cli_jobs_open (out, list)));
        int rc = cli_jobs_page (out, page, last);
        msg_destroy (page);
        if (rc != 0)
            goto out;
        if (last)
            break;
        if (next <= req->u.jobs.after) {
            cli_fail ("the scheduler's pages of jobs do not move on (next %" PRIu64
                      " after %" PRIu64 "); is it another cphub version?",
                      next, req->u.jobs.after);
            goto out;
        }
        req->u.jobs.after = next;
        if (limit) /* at the limit: one row, to see if the array goes on */
            req->u.jobs.limit = came < limit ? (uint32_t)(limit - came) : 1;
    }
    if (out->json)
        fputs (out->printed ? "\n]\n" : "[]\n", stdout);
    status = 0;
out:
    msg_destroy (req);
    return status;
}

/* A time for --since/--until: a duration back from now ("2d", "90m"), a
 * local date "YYYY-MM-DD[THH:MM[:SS]]" or "@EPOCH". 0, or -1 with the
 * reason printed. */
static int cli_jobs_time (const char *option, const char *text, double *out)
{
    cphub_error_t err = {{0}};
    const char *forms[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
                           "%Y-%m-%d %H:%M", "%Y-%m-%d"};
    int64_t secs;
    char *end;

    if (text[0] == '@') {
        *out = strtod (text + 1, &end);
        if (end != text + 1 && *end == '\0' && *out > 0)
            return 0;
    } else if (parse_duration (text, &secs, &err) == 0) {
        *out = clock_now () - (double)secs;
        return 0;
    } else {
        for (size_t i = 0; i < sizeof (forms) / sizeof (forms[0]); i++) {
            struct tm tm = {.tm_isdst = -1};
            end = strptime (text, forms[i], &tm);
            if (end && *end == '\0') {
                *out = (double)mktime (&tm);
                return 0;
            }
        }
    }
    cli_fail (
        "%s '%s': give a duration back from now (2d, 3h, 90m), a date "
        "YYYY-MM-DD[THH:MM[:SS]] or @EPOCH",
        option, text);
    return -1;
}

/* Copy an option's text into a request field of size bytes; 2 if too long. */
static int cli_jobs_text (const char *option,
                          const char *text,
                          char *field,
                          size_t size)
{
    if (strlen (text) >= size) {
        cli_fail ("%s: at most %zu bytes", option, size - 1);
        return 2;
    }
    snprintf (field, size, "%s", text);
    return 0;
}

enum {
    CLI_JOBS_OPT_NOHEADER = 1000,
    CLI_JOBS_OPT_JSONL,
    CLI_JOBS_OPT_SINCE,
    CLI_JOBS_OPT_UNTIL,
    CLI_JOBS_OPT_ARRAY,
    CLI_JOBS_OPT_LIMIT,
};

/* Apply one option of jobs to req and out: 0, or 2 with the reason printed. */
static int cli_jobs_option (int opt,
                            const char *arg,
                            msg_jobs_t *req,
                            cli_jobs_out_t *out)
{
    unsigned long long n;
    char *end;

    switch (opt) {
    case 'a':
        req->all = true;
        return 0;
    case 'x':
        out->expand = true;
        return 0;
    case 't':
        return cli_jobs_text ("--state", arg, req->states, sizeof (req->states));
    case 'n':
        return cli_jobs_text ("--name", arg, req->name, sizeof (req->name));
    case 'w':
        return cli_jobs_text ("--node", arg, req->node, sizeof (req->node));
    case 'u':
        return cli_jobs_text ("--tenant", arg, req->tenant, sizeof (req->tenant));
    case 'o':
        return cli_jobs_format (out, arg);
    case CLI_JOBS_OPT_NOHEADER:
        out->noheader = true;
        return 0;
    case CLI_JOBS_OPT_JSONL:
        out->jsonl = true;
        return 0;
    case CLI_JOBS_OPT_SINCE:
        return cli_jobs_time ("--since", arg, &req->since) < 0 ? 2 : 0;
    case CLI_JOBS_OPT_UNTIL:
        return cli_jobs_time ("--until", arg, &req->until) < 0 ? 2 : 0;
    case CLI_JOBS_OPT_ARRAY:
    case CLI_JOBS_OPT_LIMIT:
        errno = 0;
        n = strtoull (arg, &end, 10);
        if (errno || end == arg || *end != '\0' || arg[0] == '-' || n == 0 ||
            n > (opt == CLI_JOBS_OPT_LIMIT ? UINT32_MAX : INT64_MAX)) {
            cli_fail ("%s '%s': give a whole number >= 1",
                      opt == CLI_JOBS_OPT_LIMIT ? "--limit" : "--array", arg);
            return 2;
        }
        if (opt == CLI_JOBS_OPT_LIMIT)
            req->limit = (uint32_t)n;
        else
            req->array = n;
        return 0;
    }
    return 0;
}

int cli_jobs (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"all", no_argument, NULL, 'a'},
        {"expand", no_argument, NULL, 'x'},
        {"state", required_argument, NULL, 't'},
        {"name", required_argument, NULL, 'n'},
        {"node", required_argument, NULL, 'w'},
        {"tenant", required_argument, NULL, 'u'},
        {"format", required_argument, NULL, 'o'},
        {"since", required_argument, NULL, CLI_JOBS_OPT_SINCE},
        {"until", required_argument, NULL, CLI_JOBS_OPT_UNTIL},
        {"array", required_argument, NULL, CLI_JOBS_OPT_ARRAY},
        {"limit", required_argument, NULL, CLI_JOBS_OPT_LIMIT},
        {"noheader", no_argument, NULL, CLI_JOBS_OPT_NOHEADER},
        {"jsonl", no_argument, NULL, CLI_JOBS_OPT_JSONL},
        CLI_OPTIONS_END,
    };
    static cli_jobs_out_t out; /* large: not on the stack */
    msg_t *req = NULL;
    int status = 2;
    int opt = 0;

    memset (&out, 0, sizeof (out));
    if (!(req = msg_create (MSG_JOBS)))
        return cli_fail ("out of memory");
    status = cli_jobs_format (&out, CLI_JOBS_FORMAT_DEFAULT);
    while (status == 0 && (opt = cli_option_next (cli, argc, argv, "+:axt:n:w:u:o:h",
                                                  options, &status)) > 0)
        status = cli_jobs_option (opt, optarg, &req->u.jobs, &out);
    if (status == 0 && optind < argc) {
        cli_fail ("jobs takes no job ids ('%s'); for one job use cphub show ID",
                  argv[optind]);
        status = 2;
    }
    if (status != 0 || opt < 0) {
        msg_destroy (req);
        return status;
    }
    out.json = cli->json && !out.jsonl;
    /* the table folds an array into one row; JSON lists its elements */
    req->u.jobs.expand = out.expand || out.json || out.jsonl;
    return cli_jobs_pages (cli, req, &out);
}

/* ---- show ---------------------------------------------------------------- */

typedef enum {
    FIELD_U64,
    FIELD_U32,
    FIELD_INT,
    FIELD_TEXT,
    FIELD_STATE,
    FIELD_SIZE,     /* uint64_t bytes */
    FIELD_LIMIT,    /* int64_t seconds, 0 = hub default */
    FIELD_DATE,     /* double epoch seconds, 0 = not yet */
    FIELD_SECONDS,  /* double seconds of CPU */
    FIELD_POSITION, /* uint32_t queue position, 0 = not pending */
    FIELD_POINTS,   /* double priority points */
} cli_field_kind_t;

typedef struct cli_field {
    const char *key; /* the job_info field's name */
    size_t offset;
    cli_field_kind_t kind;
} cli_field_t;

#define CLI_FIELD(name, k)                                               \
    {                                                                    \
        .key = #name, .offset = offsetof (job_info_t, name), .kind = (k) \
    }

static const cli_field_t cli_show_fields[] = {
    CLI_FIELD (id, FIELD_U64),
    CLI_FIELD (tenant, FIELD_TEXT),
    CLI_FIELD (name, FIELD_TEXT),
    CLI_FIELD (command, FIELD_TEXT),
    CLI_FIELD (state, FIELD_STATE),
    CLI_FIELD (reason, FIELD_TEXT),
    CLI_FIELD (exit_code, FIELD_INT),
    CLI_FIELD (signal, FIELD_INT),
    CLI_FIELD (ntasks, FIELD_U32),
    CLI_FIELD (cpus_per_task, FIELD_U32),
    CLI_FIELD (gpus_count, FIELD_U32),
    CLI_FIELD (mem, FIELD_SIZE),
    CLI_FIELD (walltime, FIELD_LIMIT),
    CLI_FIELD (node, FIELD_TEXT),
    CLI_FIELD (cpus, FIELD_TEXT),
    CLI_FIELD (gpus, FIELD_TEXT),
    CLI_FIELD (submit_time, FIELD_DATE),
    CLI_FIELD (start_time, FIELD_DATE),
    CLI_FIELD (end_time, FIELD_DATE),
    CLI_FIELD (cpu_time, FIELD_SECONDS),
    CLI_FIELD (max_rss, FIELD_SIZE),
    CLI_FIELD (queue_position, FIELD_POSITION),
    CLI_FIELD (expected_start, FIELD_DATE),
    CLI_FIELD (priority, FIELD_POINTS),
    CLI_FIELD (nodelist, FIELD_TEXT),
    CLI_FIELD (array_id, FIELD_U64),
    CLI_FIELD (array_index, FIELD_U32),
    {.key = NULL},
};

static void cli_show_value (const job_info_t *job,
                            const cli_field_t *f,
                            char *buf,
                            size_t len)
{
    const char *base = (const char *)job + f->offset;
    uint64_t u64;
    uint32_t u32;
    int64_t i64;
    int i;
    double d;

    switch (f->kind) {
    case FIELD_U64:
        memcpy (&u64, base, sizeof (u64));
        snprintf (buf, len, "%" PRIu64, u64);
        break;
    case FIELD_U32:
        memcpy (&u32, base, sizeof (u32));
        snprintf (buf, len, "%" PRIu32, u32);
        break;
    case FIELD_INT:
        memcpy (&i, base, sizeof (i));
        snprintf (buf, len, "%d", i);
        break;
    case FIELD_TEXT:
        snprintf (buf, len, "%s", base[0] != '\0' ? base : "-");
        break;
    case FIELD_STATE:
        snprintf (buf, len, "%s", job_state_name (job->state));
        break;
    case FIELD_SIZE:
        memcpy (&u64, base, sizeof (u64));
        if (u64 == 0)
            snprintf (buf, len, "-");
        else
            format_size (u64, buf, len);
        break;
    case FIELD_LIMIT:
        memcpy (&i64, base, sizeof (i64));
        if (i64 <= 0)
            snprintf (buf, len, "hub default");
        else
            format_duration (i64, buf, len);
        break;
    case FIELD_DATE:
        memcpy (&d, base, sizeof (d));
        cli_format_time (d, buf, len);
        break;
    case FIELD_POSITION:
        memcpy (&u32, base, sizeof (u32));
        if (u32 == 0)
            snprintf (buf, len, "-");
        else
            snprintf (buf, len, "%" PRIu32, u32);
        break;
    case FIELD_POINTS:
        memcpy (&d, base, sizeof (d));
        snprintf (buf, len, "%.2f", d);
        break;
    case FIELD_SECONDS:
        memcpy (&d, base, sizeof (d));
        if (d < 1.0)
            snprintf (buf, len, "%.2fs", d > 0 ? d : 0.0);
        else
            format_duration ((int64_t)(d + 0.5), buf, len);
        break;
    }
}

static void cli_show_job (const job_info_t *job)
{
    char value[600];
    char elapsed[32];
    char outcome[200];

    for (const cli_field_t *f = cli_show_fields; f->key != NULL; f++) {
        char label[32];
        cli_show_value (job, f, value, sizeof (value));
        snprintf (label, sizeof (label), "%s:", f->key);
        printf ("%-15s ", label);
        cli_print_safe (stdout, value);
        fputc ('\n', stdout);
    }
    /* Two lines derived from the fields above, for a reader's convenience. */
    format_duration (cli_job_elapsed (job, clock_now ()), elapsed, sizeof (elapsed));
    printf ("%-15s %s\n", "elapsed:", elapsed);
    cli_format_job_outcome (job, outcome, sizeof (outcome));
    printf ("%-15s ", "outcome:");
    cli_print_safe (stdout, outcome[0] != '\0' ? outcome : "-");
    fputc ('\n', stdout);
}

static int cli_show_print (const msg_t *req, const msg_t *reply)
{
    if (reply->u.job_list.count != 1)
        return cli_fail ("job %" PRIu64 ": the scheduler sent %" PRIu32
                         " jobs; expected one",
                         req->u.id.id, reply->u.job_list.count);
    cli_show_job (&reply->u.job_list.jobs[0]);
    return 0;
}

int cli_show (cli_t *cli, int argc, char **argv)
{
    msg_t *req = NULL;
    uint64_t id;
    uint32_t index;
    int status;

    if ((status = cli_options_json (cli, argc, argv)) >= 0)
        return status;
    if (cli_one_element (argc, argv, optind,
                         "give one job id, e.g. cphub show 42 or 42_7 (cphub jobs "
                         "lists them)",
                         &id, &index) != 0)
        return 2;
    if (!(req = msg_create (MSG_SHOW)))
        return cli_fail ("out of memory");
    req->u.id.id = id;
    req->u.id.index = index;
    return cli_request_print (cli, &req, MSG_SHOW_OK, id, cli_show_print);
}
