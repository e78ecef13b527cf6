/* balance.c: `cphub balance`, where tenants stand against their quotas and
 * budgets.
 *
 *     cphub balance [TENANT] [--json]
 *
 * A tenant sees its own line; an operator sees every tenant's, or one
 * tenant's when named. Per tenant: the budget granted, spent (runs that
 * ended, failed runs excluded), reserved by running jobs (their cores and
 * GPUs times their wall-time limits) and remaining, in core-hours (a
 * GPU-hour costs what the hub's billing says), then what it runs and has
 * pending against its limits ("12/16": 12 of 16 allowed; "3/-": no limit).
 * A tenant without a budget is unlimited and says so. --json prints the
 * scheduler's answer, with the exact sums of core- and GPU-seconds that
 * spent is priced from.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const cli_column_t cli_balance_columns[] = {
    {.header = "TENANT"},
    {.header = "BUDGET", .right = true},
    {.header = "SPENT", .right = true},
    {.header = "RESERVED", .right = true},
    {.header = "REMAINING", .right = true},
    {.header = "CORES", .right = true},
    {.header = "GPUS", .right = true},
    {.header = "JOBS", .right = true},
    {.header = "PENDING", .right = true},
    {.header = NULL},
};

/* "12/16", or "12/-" without a limit. */
static void cli_balance_count (char *buf, size_t len, uint32_t now, uint32_t most)
{
    if (most > 0)
        snprintf (buf, len, "%" PRIu32 "/%" PRIu32, now, most);
    else
        snprintf (buf, len, "%" PRIu32 "/-", now);
}

static int cli_balance_row (cli_table_t *t, const void *item, const void *arg)
{
    const balance_tenant_t *r = item;
    char budget[32], spent[32], reserved[32], remaining[32];
    char cores[32], gpus[32], jobs[32], pending[32];

    (void)arg;
    snprintf (spent, sizeof (spent), "%.2f", r->spent);
    snprintf (reserved, sizeof (reserved), "%.2f", r->reserved);
    if (r->limited) {
        snprintf (budget, sizeof (budget), "%.2f", r->granted);
        snprintf (remaining, sizeof (remaining), "%.2f", r->remaining);
    } else {
        snprintf (budget, sizeof (budget), "unlimited");
        snprintf (remaining, sizeof (remaining), "unlimited");
    }
    cli_balance_count (cores, sizeof (cores), r->running_cores, r->max_running_cores);
    cli_balance_count (gpus, sizeof (gpus), r->running_gpus, r->max_running_gpus);
    cli_balance_count (jobs, sizeof (jobs), r->running_jobs, r->max_running_jobs);
    cli_balance_count (pending, sizeof (pending), r->pending_jobs, r->max_pending_jobs);
    const char *cells[] = {r->tenant, budget, spent, reserved, remaining,
                           cores,     gpus,   jobs,  pending};
    return cli_table_row (t, cells);
}

/* Print a balance.ok or budget.grant.ok as a table. 0 or 1. */
int cli_balance_print (const msg_t *req, const msg_t *reply)
{
    const msg_balance_t *bal = &reply->u.balance;
    bool unlimited = false;

    (void)req;
    if (cli_table_print_items (cli_balance_columns, bal->tenants,
                               sizeof (*bal->tenants), bal->count, cli_balance_row,
                               NULL) != 0)
        return 1;
    for (uint32_t i = 0; i < bal->count; i++)
        unlimited = unlimited || !bal->tenants[i].limited;
    printf (
        "\nAmounts in core-hours; a core-hour costs %g and a GPU-hour %g of them.\n",
        bal->core_hour, bal->gpu_hour);
    if (unlimited)
        printf (
            "unlimited: no budget is configured (an operator gives one with "
            "cphub budget grant).\n");
    return 0;
}

int cli_balance (cli_t *cli, int argc, char **argv)
{
    msg_t *req = NULL;
    int status;

    if ((status = cli_options_json (cli, argc, argv)) >= 0)
        return status;
    if (argc - optind > 1) {
        cli_fail (
            "balance takes at most one tenant ('%s' is one too many); see "
            "cphub balance --help",
            argv[optind + 1]);
        return 2;
    }
    if (optind < argc &&
        strlen (argv[optind]) >= sizeof (((msg_balance_req_t *)0)->tenant)) {
        cli_fail ("tenant names are at most %zu bytes",
                  sizeof (((msg_balance_req_t *)0)->tenant) - 1);
        return 2;
    }
    if (!(req = msg_create (MSG_BALANCE)))
        return cli_fail ("out of memory");
    if (optind < argc)
        snprintf (req->u.balance_req.tenant, sizeof (req->u.balance_req.tenant), "%s",
                  argv[optind]);
    return cli_request_print (cli, &req, MSG_BALANCE_OK, 0, cli_balance_print);
}
