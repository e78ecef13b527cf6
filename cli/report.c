/* report.c: `cphub report`, usage and utilization for the hub's operators.
 *
 * Two tables from one report.ok: per tenant, the jobs submitted and how they
 * ended, with core-hours and GPU-hours used (ended and running jobs); per
 * node, its cores and how busy they were over the report's window. The
 * scheduler decides who may see what (tenants see their own line).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"

enum { OPT_JSON = 256 };

static const cli_column_t cli_report_tenant_columns[] = {
    {.header = "TENANT"},
    {.header = "JOBS", .right = true},
    {.header = "COMPLETED", .right = true},
    {.header = "FAILED", .right = true},
    {.header = "CANCELLED", .right = true},
    {.header = "CORE-HOURS", .right = true},
    {.header = "GPU-HOURS", .right = true},
    {.header = NULL},
};

static const cli_column_t cli_report_node_columns[] = {
    {.header = "NODE"},
    {.header = "CORES", .right = true},
    {.header = "BUSY%", .right = true},
    {.header = NULL},
};

static int cli_report_tenant_row (cli_table_t *t, const report_tenant_t *r)
{
    char jobs[16], completed[16], failed[16], cancelled[16], core_h[32], gpu_h[32];

    snprintf (jobs, sizeof (jobs), "%" PRIu32, r->jobs);
    snprintf (completed, sizeof (completed), "%" PRIu32, r->completed);
    snprintf (failed, sizeof (failed), "%" PRIu32, r->failed);
    snprintf (cancelled, sizeof (cancelled), "%" PRIu32, r->cancelled);
    snprintf (core_h, sizeof (core_h), "%.2f", r->core_seconds / 3600.0);
    snprintf (gpu_h, sizeof (gpu_h), "%.2f", r->gpu_seconds / 3600.0);
    const char *cells[] = {r->tenant, jobs,   completed, failed,
                           cancelled, core_h, gpu_h};
    return cli_table_row (t, cells);
}

static int cli_report_node_row (cli_table_t *t, const report_node_t *r)
{
    char cores[16], busy[16];

    snprintf (cores, sizeof (cores), "%" PRIu32, r->cores);
    snprintf (busy, sizeof (busy), "%.1f", r->busy_share * 100.0);
    const char *cells[] = {r->node, cores, busy};
    return cli_table_row (t, cells);
}

static int cli_report_print (const msg_report_t *report)
{
    cli_table_t *tenants = NULL;
    cli_table_t *nodes = NULL;
    char since[40], until[40];
    int status = 1;

    if (!(tenants = cli_table_create (cli_report_tenant_columns)) ||
        !(nodes = cli_table_create (cli_report_node_columns)))
        goto nomem;
    for (uint32_t i = 0; i < report->ntenants; i++) {
        if (cli_report_tenant_row (tenants, &report->tenants[i]) < 0)
            goto nomem;
    }
    for (uint32_t i = 0; i < report->nnodes; i++) {
        if (cli_report_node_row (nodes, &report->nodes[i]) < 0)
            goto nomem;
    }
    cli_format_time (report->since, since, sizeof (since));
    cli_format_time (report->until, until, sizeof (until));
    printf ("Usage from %s to %s\n\n", since, until);
    cli_table_print (tenants, stdout);
    printf ("\n");
    cli_table_print (nodes, stdout);
    status = 0;
    goto done;
nomem:
    status = cli_fail ("out of memory");
done:
    cli_table_destroy (nodes);
    cli_table_destroy (tenants);
    return status;
}

int cli_report (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    msg_t *req = NULL;
    msg_t *reply = NULL;
    int status = 1;
    int opt;

    opterr = 0;
    while ((opt = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        switch (opt) {
        case OPT_JSON:
            cli->json = true;
            break;
        case 'h':
            cli_verb_usage (cli, stdout);
            return 0;
        default:
            return cli_option_error (cli, opt, optopt, argv[optind - 1]);
        }
    }
    if (optind < argc) {
        cli_fail ("report takes no arguments ('%s'); see cphub report --help",
                  argv[optind]);
        return 2;
    }
    if (!(req = msg_create (MSG_REPORT))) {
        status = cli_fail ("out of memory");
        goto done;
    }
    if (!(reply = cli_request (cli, req, MSG_REPORT_OK)))
        goto done;
    status = cli->json ? cli_print_json (reply) : cli_report_print (&reply->u.report);
done:
    msg_destroy (reply);
    msg_destroy (req);
    return status;
}
