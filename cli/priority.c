/* priority.c: `cphub priority ID [--boost POINTS]`, why a job stands where
 * it does in the queue.
 *
 * Prints the job's place (state, reason, queue position, expected start),
 * then its priority as the scheduler computes it now, one row per factor:
 * weight x value = points, and the total; then what fair share is made of
 * (the tenant's part of the shares against its part of the recent usage,
 * and the half-life). An operator may set the job's boost first with
 * --boost (tenants are refused by the scheduler). The same visibility rule
 * as show: another tenant's job is "no such job".
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cphub/parse.h"

enum { OPT_BOOST = CLI_OPT_VERB };

static const cli_column_t cli_priority_columns[] = {
    {.header = "FACTOR"},
    {.header = "WEIGHT", .right = true},
    {.header = "VALUE", .right = true},
    {.header = "POINTS", .right = true},
    {.header = NULL},
};

static int cli_priority_row (
    cli_table_t *t, const char *factor, double weight, double value, bool weighted)
{
    char w[32] = "", v[32] = "", points[32];

    if (weighted) {
        snprintf (w, sizeof (w), "%g", weight);
        snprintf (v, sizeof (v), "%.4f", value);
        snprintf (points, sizeof (points), "%.2f", weight * value);
    } else {
        snprintf (points, sizeof (points), "%.2f", value);
    }
    const char *cells[] = {factor, w, v, points};
    return cli_table_row (t, cells);
}

static int cli_priority_explain (const msg_priority_t *p)
{
    char start[64], half_life[32], max_age[32];
    cli_table_t *t = cli_table_create (cli_priority_columns);

    if (!t)
        return -1;
    printf ("job %" PRIu64 " of ", p->id);
    cli_print_safe (stdout, p->tenant);
    printf (": %s", job_state_name (p->state));
    if (p->state == JOB_PENDING) {
        printf (" (");
        cli_print_safe (stdout, p->reason[0] ? p->reason : "not yet considered");
        printf (")");
        if (p->queue_position > 0)
            printf (", position %" PRIu32 " in the queue", p->queue_position);
        if (p->expected_start > 0) {
            cli_format_time (p->expected_start, start, sizeof (start));
            printf (", expected to start %s", start);
        }
    }
    printf ("\n");
    if (cli_priority_row (t, "fair share", p->weight_fairshare, p->fairshare, true) <
            0 ||
        cli_priority_row (t, "age", p->weight_age, p->age, true) < 0 ||
        cli_priority_row (t, "size", p->weight_size, p->size, true) < 0 ||
        cli_priority_row (t, "job boost", 0, p->job_boost, false) < 0 ||
        cli_priority_row (t, "tenant boost", 0, p->tenant_boost, false) < 0 ||
        cli_priority_row (t, "priority", 0, p->priority, false) < 0) {
        cli_table_destroy (t);
        return -1;
    }
    cli_table_print (t, stdout);
    cli_table_destroy (t);
    format_duration ((int64_t)llround (p->half_life), half_life, sizeof (half_life));
    format_duration ((int64_t)llround (p->max_age), max_age, sizeof (max_age));
    printf ("fair share = 2^-(usage share / tenant share) = 2^-(%.4f / %.4f): ",
            p->usage_share, p->tenant_shares);
    cli_print_safe (stdout, p->tenant);
    if (p->tenant_usage < 3600)
        printf (" used %.0f core-seconds lately", p->tenant_usage);
    else
        printf (" used %.1f core-hours lately", p->tenant_usage / 3600);
    printf (" (usage halves every %s)\n", half_life);
    printf ("age counts fully after %s of waiting; size is against the largest node\n",
            max_age);
    return 0;
}

static int cli_priority_print (const msg_t *req, const msg_t *reply)
{
    (void)req;
    return cli_priority_explain (&reply->u.priority) < 0 ? cli_fail ("out of memory")
                                                         : 0;
}

int cli_priority (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"boost", required_argument, NULL, OPT_BOOST},
        CLI_OPTIONS_END,
    };
    msg_t *req = NULL;
    bool set_boost = false;
    double boost = 0;
    char *end;
    uint64_t id;
    int status = 2;
    int opt;

    while ((opt = cli_option_next (cli, argc, argv, ":h", options, &status)) > 0) {
        if (opt != OPT_BOOST)
            continue;
        boost = strtod (optarg, &end);
        if (end == optarg || *end != '\0' || !isfinite (boost) || fabs (boost) > 1e9) {
            cli_fail (
                "--boost: '%s' is not a number of priority points; use "
                "e.g. 500 or -100 (at most 1e9 either way)",
                optarg);
            return 2;
        }
        set_boost = true;
    }
    if (opt < 0)
        return status;
    if ((status = cli_one_job (cli, argc, argv, optind,
                               "give one job id, e.g. cphub priority 42 or 42_7 "
                               "(cphub jobs lists them)",
                               &id)) != 0)
        return status;
    if (!(req = msg_create (MSG_PRIORITY)))
        return cli_fail ("out of memory");
    req->u.priority_req.id = id;
    req->u.priority_req.set_boost = set_boost;
    req->u.priority_req.boost = boost;
    return cli_request_print (cli, &req, MSG_PRIORITY_OK, id, cli_priority_print);
}
