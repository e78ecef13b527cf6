/* jobs.c: `cphub jobs [--all] [--expand]` and `cphub show ID`, the two ways
 * to look at jobs.
 *
 * jobs prints one aligned row per job (pending and running ones, or every job
 * with --all), an array in one row (jobs_array.c) unless --expand; show prints every
 * field of one job_info as "key: value" lines whose keys are the field names of the
 * wire and of --json, with dates in local time and durations and sizes in the form
 * people write them. The fields are a table, so adding one to job_info means adding one
 * line here.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cphub/parse.h"

static const cli_column_t cli_jobs_columns[] = {
    {.header = "ID", .right = true},
    {.header = "TENANT"},
    {.header = "NAME"},
    {.header = "STATE"},
    {.header = "NODE"},
    {.header = "CPUS", .right = true},
    {.header = "TIME", .right = true},
    {.header = "POS", .right = true},
    {.header = "REASON/EXIT"},
    {.header = NULL},
};

/* arg: the time now (a double), for the elapsed time of running jobs. */
static int cli_jobs_row (cli_table_t *t, const void *item, const void *arg)
{
    const job_info_t *job = item;
    double now = *(const double *)arg;
    char id[CLI_JOB_NAME_MAX], cpus[24], elapsed[32], limit[32], time[72], outcome[200],
        pos[16];
    uint64_t cores = (uint64_t)job->ntasks * job->cpus_per_task;

    if (job->array_id != 0)
        snprintf (id, sizeof (id), "%" PRIu64 "_%" PRIu32, job->array_id,
                  job->array_index);
    else
        snprintf (id, sizeof (id), "%" PRIu64, job->id);
    snprintf (cpus, sizeof (cpus), "%" PRIu64, cores);
    format_duration (cli_job_elapsed (job, now), elapsed, sizeof (elapsed));
    if (job->walltime > 0)
        format_duration (job->walltime, limit, sizeof (limit));
    else
        snprintf (limit, sizeof (limit), "-");
    snprintf (time, sizeof (time), "%s/%s", elapsed, limit);
    cli_format_job_outcome (job, outcome, sizeof (outcome));
    if (job->state == JOB_PENDING && job->queue_position > 0)
        snprintf (pos, sizeof (pos), "%" PRIu32, job->queue_position);
    else
        snprintf (pos, sizeof (pos), "-");
    const char *cells[] = {
        id,
        job->tenant,
        job->name[0] != '\0' ? job->name : job->command,
        job_state_name (job->state),
        job->node[0] != '\0' ? job->node : "-",
        cpus,
        time,
        pos,
        outcome,
    };
    return cli_table_row (t, cells);
}

/* One row per job; an array's elements in one row unless expand. */
static int cli_jobs_print (const msg_t *reply, bool expand)
{
    const msg_job_list_t *list = &reply->u.job_list;
    double now = clock_now ();
    cli_table_t *t = cli_table_create (cli_jobs_columns);
    int rc = t ? 0 : -1;

    for (uint32_t i = 0, n = 1; rc == 0 && i < list->count; i += n) {
        const job_info_t *job = &list->jobs[i];
        n = expand ? 1 : cli_array_span (job, list->count - i);
        rc = !expand && job->array_id != 0 ? cli_array_row (t, job, n)
                                           : cli_jobs_row (t, job, &now);
    }
    if (rc == 0)
        cli_table_print (t, stdout);
    cli_table_destroy (t);
    return rc == 0 ? 0 : cli_fail ("out of memory");
}

/* The scheduler answers jobs in pages: ask from each page's next until the
 * last, then print them as one list. Takes req. */
static int cli_jobs_pages (cli_t *cli, msg_t *req, bool expand)
{
    msg_t *answer = NULL, *page;
    int status = 1;

    for (;;) {
        uint64_t next;
        if (!(page = cli_request (cli, req, MSG_JOBS_OK)))
            goto out;
        next = page->u.job_list.next;
        if (!answer) {
            answer = page;
        } else {
            int rc = cli_job_list_append (answer, page);
            msg_destroy (page);
            if (rc < 0) {
                cli_fail ("out of memory");
                goto out;
            }
        }
        if (next == 0)
            break;
        if (next <= req->u.jobs.after) {
            cli_fail ("the scheduler's pages of jobs do not move on (next %" PRIu64
                      " after %" PRIu64 "); is it another cphub version?",
                      next, req->u.jobs.after);
            goto out;
        }
        req->u.jobs.after = next;
    }
    answer->u.job_list.next = 0;
    status = cli->json ? cli_print_json (answer) : cli_jobs_print (answer, expand);
out:
    msg_destroy (answer);
    msg_destroy (req);
    return status;
}

int cli_jobs (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"all", no_argument, NULL, 'a'},
        {"expand", no_argument, NULL, 'x'},
        CLI_OPTIONS_END,
    };
    msg_t *req = NULL;
    bool all = false, expand = false;
    int status = 2;
    int opt;

    while ((opt = cli_option_next (cli, argc, argv, "+:ahx", options, &status)) > 0) {
        if (opt == 'a')
            all = true;
        else if (opt == 'x')
            expand = true;
    }
    if (opt < 0)
        return status;
    if (optind < argc) {
        cli_fail ("jobs takes no job ids ('%s'); for one job use cphub show ID",
                  argv[optind]);
        return 2;
    }
    if (!(req = msg_create (MSG_JOBS)))
        return cli_fail ("out of memory");
    req->u.jobs.all = all;
    return cli_jobs_pages (cli, req, expand);
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
