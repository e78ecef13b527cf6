/* tenant.c: `cphub tenant`, an operator's tenants while the hub runs.
 *
 *     cphub tenant list
 *     cphub tenant add NAME [--shares N]
 *     cphub tenant set NAME --shares N
 *     cphub tenant remove NAME
 *
 * list shows every tenant, from scheduler.conf ("config") or added here
 * ("runtime"), with its shares, keys in force and jobs now. A tenant added
 * here has no key yet: `cphub key add NAME FILE.pub` gives it one. set and
 * remove apply to run-time tenants only (config tenants are changed in the
 * file); remove is refused while the tenant has pending or running jobs and
 * revokes its keys. The scheduler keeps all of it across restarts. Only
 * operators may do this: the scheduler answers others with EPERM. Success
 * prints nothing but for list; --json prints the scheduler's answer.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

enum { OPT_SHARES = CLI_OPT_VERB };

typedef enum { SHARES_NONE = 0, SHARES_OPTIONAL, SHARES_REQUIRED } cli_shares_t;

typedef struct cli_tenant_action {
    const char *name; /* "add" */
    tenant_op_t op;
    bool takes_name;
    cli_shares_t shares;
} cli_tenant_action_t;

static const cli_tenant_action_t cli_tenant_actions[] = {
    {.name = "list", .op = TENANT_OP_LIST},
    {.name = "add", .op = TENANT_OP_ADD, .takes_name = true, .shares = SHARES_OPTIONAL},
    {.name = "set", .op = TENANT_OP_SET, .takes_name = true, .shares = SHARES_REQUIRED},
    {.name = "remove", .op = TENANT_OP_REMOVE, .takes_name = true},
    {.name = NULL},
};

static const cli_actions_t cli_tenant_verb_actions = {
    .table = cli_tenant_actions,
    .size = sizeof (*cli_tenant_actions),
    .missing = "give an action: list, add, set or remove (cphub tenant --help)",
    .unknown = "an action on tenants; the actions are list, add, set and remove",
};

static const cli_column_t cli_tenant_columns[] = {
    {.header = "NAME"},
    {.header = "SOURCE"},
    {.header = "SHARES", .right = true},
    {.header = "KEYS", .right = true},
    {.header = "PENDING", .right = true},
    {.header = "RUNNING", .right = true},
    {.header = "ADDED"},
    {.header = NULL},
};

/* Shares: a number more than 0 and at most 1e9. */
static int cli_parse_shares (const char *s, double *out)
{
    char *end = NULL;
    double v;

    errno = 0;
    v = strtod (s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite (v) || !(v > 0) || v > 1e9)
        return -1;
    *out = v;
    return 0;
}

static int cli_tenant_row (cli_table_t *table, const void *item, const void *arg)
{
    const tenant_info_t *t = item;
    const char *source = tenant_source_name (t->source);
    char shares[32], keys[16], pending[16], running[16], added[32];

    (void)arg;
    snprintf (shares, sizeof (shares), "%g", t->shares);
    snprintf (keys, sizeof (keys), "%" PRIu32, t->keys);
    snprintf (pending, sizeof (pending), "%" PRIu32, t->pending);
    snprintf (running, sizeof (running), "%" PRIu32, t->running);
    cli_format_time (t->created, added, sizeof (added));
    const char *cells[] = {
        t->name, source ? source : "?", shares, keys, pending, running, added};
    return cli_table_row (table, cells);
}

static int cli_tenant_print (const msg_t *req, const msg_t *reply)
{
    const msg_tenant_list_t *list = &reply->u.tenant_list;

    (void)req;
    return cli_table_print_items (cli_tenant_columns, list->tenants,
                                  sizeof (*list->tenants), list->count, cli_tenant_row,
                                  NULL);
}

int cli_tenant (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"shares", required_argument, NULL, OPT_SHARES},
        CLI_OPTIONS_END,
    };
    const cli_tenant_action_t *action;
    const char *shares_arg = NULL, *name = "";
    double shares = 0;
    msg_t *req = NULL;
    int status = 2;
    int opt;

    while ((opt = cli_option_next (cli, argc, argv, ":h", options, &status)) > 0) {
        if (opt == OPT_SHARES)
            shares_arg = optarg;
    }
    if (opt < 0)
        return status;
    if (!(action = cli_action_arg (argc, argv, &cli_tenant_verb_actions)))
        return 2;
    if (argc - optind != (action->takes_name ? 2 : 1)) {
        if (action->takes_name)
            cli_fail ("give one tenant name, e.g. cphub tenant %s acme", action->name);
        else
            cli_fail ("tenant %s takes no arguments", action->name);
        return 2;
    }
    if (action->takes_name) {
        name = argv[optind + 1];
        if (name[0] == '\0' ||
            strlen (name) >= sizeof (((msg_tenant_req_t *)0)->name)) {
            cli_fail ("'%.64s' is not a tenant name (1 to 63 characters)", name);
            return 2;
        }
    }
    if (action->shares == SHARES_NONE && shares_arg) {
        cli_fail ("tenant %s takes no --shares", action->name);
        return 2;
    }
    if (action->shares == SHARES_REQUIRED && !shares_arg) {
        cli_fail ("say how many: cphub tenant %s %s --shares N", action->name, name);
        return 2;
    }
    if (shares_arg && cli_parse_shares (shares_arg, &shares) < 0) {
        cli_fail (
            "--shares '%s': give a number more than 0 and at most 1e9 (a tenant "
            "with 2 shares gets twice the hub of one with 1)",
            shares_arg);
        return 2;
    }
    if (!(req = msg_create (MSG_TENANT)))
        return cli_fail ("out of memory");
    req->u.tenant_req.op = action->op;
    snprintf (req->u.tenant_req.name, sizeof (req->u.tenant_req.name), "%s", name);
    req->u.tenant_req.shares = shares;
    return cli_request_print (cli, &req, MSG_TENANT_OK, 0,
                              action->op == TENANT_OP_LIST ? cli_tenant_print : NULL);
}
