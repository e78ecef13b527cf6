/* budget.c: `cphub budget`, an operator's grants to tenants' budgets.
 *
 *     cphub budget grant TENANT HOURS [--reason TEXT]
 *     cphub budget set TENANT HOURS [--reason TEXT]
 *
 * grant adds HOURS core-hours to the tenant's budget (a negative grant,
 * after "--", takes some back); set makes the budget HOURS from now on
 * (what was spent stays spent). Either gives a tenant without a budget one.
 * Budgets never decay; every grant is kept in the scheduler's ledger with
 * its time, the operator and the reason. Only operators may do this: the
 * scheduler answers others with EPERM. Prints the tenant's balance after
 * it (as cphub balance does); --json prints the scheduler's answer.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define CLI_HOURS_MAX 1e12

typedef struct cli_budget_action {
    const char *name; /* "grant" */
    bool set;         /* msg_budget_grant_t.set */
} cli_budget_action_t;

static const cli_budget_action_t cli_budget_actions[] = {
    {.name = "grant", .set = false},
    {.name = "set", .set = true},
    {.name = NULL},
};

static const cli_actions_t cli_budget_verb_actions = {
    .table = cli_budget_actions,
    .size = sizeof (*cli_budget_actions),
    .nwords = 3,
    .missing =
        "give an action, a tenant and hours, e.g. cphub budget grant acme "
        "100 --reason \"invoice 17\"",
    .unknown = "a budget action; use grant or set",
};

/* Core-hours: a finite number within +-CLI_HOURS_MAX (>= 0 for set). */
static int cli_parse_hours (const char *s, bool set, double *out)
{
    char *end = NULL;
    double v;

    errno = 0;
    v = strtod (s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite (v) ||
        fabs (v) > CLI_HOURS_MAX || (set && v < 0))
        return -1;
    *out = v;
    return 0;
}

int cli_budget (cli_t *cli, int argc, char **argv)
{
    const cli_budget_action_t *action;
    const char *reason = NULL;
    msg_t *req = NULL;
    double hours = 0;
    int status;

    if ((status = cli_options_reason (cli, argc, argv, &reason)) >= 0)
        return status;
    if (!(action = cli_action_arg (argc, argv, &cli_budget_verb_actions)))
        return 2;
    if (strlen (argv[optind + 1]) >= sizeof (((msg_budget_grant_t *)0)->tenant)) {
        cli_fail ("tenant names are at most %zu bytes",
                  sizeof (((msg_budget_grant_t *)0)->tenant) - 1);
        return 2;
    }
    if (cli_parse_hours (argv[optind + 2], action->set, &hours) < 0) {
        cli_fail ("'%s' is not a number of core-hours %s (e.g. 100 or 2.5%s)",
                  argv[optind + 2],
                  action->set ? "from 0 to 1e12" : "from -1e12 to 1e12",
                  action->set ? "" : "; a negative one after --");
        return 2;
    }
    if (cli_reason_check (reason, sizeof (((msg_budget_grant_t *)0)->reason)) != 0)
        return 2;
    if (!(req = msg_create (MSG_BUDGET_GRANT)))
        return cli_fail ("out of memory");
    msg_budget_grant_t *g = &req->u.grant;
    snprintf (g->tenant, sizeof (g->tenant), "%s", argv[optind + 1]);
    g->hours = hours;
    g->set = action->set;
    snprintf (g->reason, sizeof (g->reason), "%s", reason ? reason : "");
    return cli_request_print (cli, &req, MSG_BUDGET_GRANT_OK, 0, cli_balance_print);
}
