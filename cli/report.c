/* report.c: `cphub report`, usage and utilization for the hub's operators.
 *
 * Two tables from one report.ok: per tenant, the jobs submitted and how they
 * ended, with core-hours and GPU-hours used (ended and running jobs); per
 * node, its cores and how busy they were over the report's window. The
 * scheduler decides who may see what (tenants see their own line).
 */
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"

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

static int cli_report_tenant_row (cli_table_t *t, const void *item, const void *arg)
{
    const report_tenant_t *r = item;
    char jobs[16], completed[16], failed[16], cancelled[16], core_h[32], gpu_h[32];

    (void)arg;
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

static int cli_report_node_row (cli_table_t *t, const void *item, const void *arg)
{
    const report_node_t *r = item;
    char cores[16], busy[16];

    (void)arg;
    snprintf (cores, sizeof (cores), "%" PRIu32, r->cores);
    snprintf (busy, sizeof (busy), "%.1f", r->busy_share * 100.0);
    const char *cells[] = {r->node, cores, busy};
    return cli_table_row (t, cells);
}

static int cli_report_print (const msg_t *req, const msg_t *reply)
{
    const msg_report_t *report = &reply->u.report;
    char since[40], until[40];

    (void)req;
    cli_format_time (report->since, since, sizeof (since));
    cli_format_time (report->until, until, sizeof (until));
    printf ("Usage from %s to %s\n\n", since, until);
    if (cli_table_print_items (cli_report_tenant_columns, report->tenants,
                               sizeof (*report->tenants), report->ntenants,
                               cli_report_tenant_row, NULL) != 0)
        return 1;
    printf ("\n");
    return cli_table_print_items (cli_report_node_columns, report->nodes,
                                  sizeof (*report->nodes), report->nnodes,
                                  cli_report_node_row, NULL);
}

int cli_report (cli_t *cli, int argc, char **argv)
{
    return cli_request_plain (cli, argc, argv, MSG_REPORT, MSG_REPORT_OK,
                              cli_report_print);
}
