/* key.c: `cphub key`, an operator's tenant keys while the hub runs.
 *
 *     cphub key list [TENANT]
 *     cphub key add TENANT FILE.pub
 *     cphub key revoke FILE.pub|KEY
 *
 * add gives a tenant (from scheduler.conf or `cphub tenant add`) another
 * key: the public half of a pair made by `cphub keygen`; its holder can use
 * the hub at once. revoke takes a tenant key out of force, the config's
 * too: the scheduler refuses it from its next request on, even on a
 * connection already open, and at every later connection, also after a
 * restart; the tenant's jobs are untouched. A revoked key is never taken
 * back. A key given as text is the 40 Z85 characters of a .pub file (put
 * "--" before one that starts with '-'). Only operators may do this.
 * Success prints nothing but for list; --json prints the scheduler's answer.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cphub/keys.h"

typedef struct cli_key_action {
    const char *name; /* "add" */
    key_op_t op;
    int min_args, max_args; /* after the action */
    const char *example;
} cli_key_action_t;

static const cli_key_action_t cli_key_actions[] = {
    {.name = "list",
     .op = KEY_OP_LIST,
     .max_args = 1,
     .example = "cphub key list acme"},
    {.name = "add",
     .op = KEY_OP_ADD,
     .min_args = 2,
     .max_args = 2,
     .example = "cphub key add acme keys/alice.pub"},
    {.name = "revoke",
     .op = KEY_OP_REVOKE,
     .min_args = 1,
     .max_args = 1,
     .example = "cphub key revoke keys/alice.pub"},
    {.name = NULL},
};

static const cli_actions_t cli_key_verb_actions = {
    .table = cli_key_actions,
    .size = sizeof (*cli_key_actions),
    .missing = "give an action: list, add or revoke (cphub key --help)",
    .unknown = "an action on keys; the actions are list, add and revoke",
};

static const cli_column_t cli_key_columns[] = {
    {.header = "KEY"},   {.header = "TENANT"}, {.header = "SOURCE"},
    {.header = "ADDED"}, {.header = "STATE"},  {.header = NULL},
};

/* A public key from a file (.pub or .key) or given as its Z85 text. 0, or
 * 2 (an exit status) with the reason printed. */
static int cli_key_arg (const char *arg, char key[KEY_Z85_LEN + 1], bool file_only)
{
    cphub_error_t err = {{0}};

    if (access (arg, F_OK) == 0) {
        if (keys_read_public (arg, key, &err) < 0) {
            cli_fail ("%s", err.text);
            return 2;
        }
        return 0;
    }
    if (!file_only && keys_valid_z85 (arg)) {
        snprintf (key, KEY_Z85_LEN + 1, "%s", arg);
        return 0;
    }
    if (file_only)
        cli_fail ("no key file '%s'; give the .pub file made by cphub keygen", arg);
    else
        cli_fail ("'%.60s' is neither a key file nor a public key (40 Z85 characters)",
                  arg);
    return 2;
}

static int cli_key_row (cli_table_t *table, const void *item, const void *arg)
{
    const key_info_t *k = item;
    const char *source = tenant_source_name (k->source);
    char added[32], state[48], when[32];

    (void)arg;
    cli_format_time (k->added, added, sizeof (added));
    if (k->revoked) {
        cli_format_time (k->revoked_time, when, sizeof (when));
        snprintf (state, sizeof (state), "revoked %s", when);
    } else
        snprintf (state, sizeof (state), "in force");
    const char *cells[] = {k->key, k->tenant, source ? source : "?", added, state};
    return cli_table_row (table, cells);
}

static int cli_key_print (const msg_t *req, const msg_t *reply)
{
    const msg_key_list_t *list = &reply->u.key_list;

    (void)req;
    return cli_table_print_items (cli_key_columns, list->keys, sizeof (*list->keys),
                                  list->count, cli_key_row, NULL);
}

int cli_key (cli_t *cli, int argc, char **argv)
{
    const cli_key_action_t *action;
    msg_t *req = NULL;
    char key[KEY_Z85_LEN + 1] = "";
    const char *tenant = "";
    int status, nargs;

    if ((status = cli_options_json (cli, argc, argv)) >= 0)
        return status;
    if (!(action = cli_action_arg (argc, argv, &cli_key_verb_actions)))
        return 2;
    nargs = argc - optind - 1;
    if (nargs < action->min_args || nargs > action->max_args) {
        cli_fail ("wrong number of arguments for key %s; e.g. %s", action->name,
                  action->example);
        return 2;
    }
    char **args = argv + optind + 1;
    if (action->op != KEY_OP_REVOKE && nargs > 0) {
        tenant = args[0];
        if (tenant[0] == '\0' ||
            strlen (tenant) >= sizeof (((msg_key_req_t *)0)->tenant)) {
            cli_fail ("'%.64s' is not a tenant name (1 to 63 characters)", tenant);
            return 2;
        }
    }
    if (action->op == KEY_OP_ADD && (status = cli_key_arg (args[1], key, true)) != 0)
        return status;
    if (action->op == KEY_OP_REVOKE &&
        (status = cli_key_arg (args[0], key, false)) != 0)
        return status;
    if (!(req = msg_create (MSG_KEY)))
        return cli_fail ("out of memory");
    req->u.key_req.op = action->op;
    snprintf (req->u.key_req.tenant, sizeof (req->u.key_req.tenant), "%s", tenant);
    snprintf (req->u.key_req.key, sizeof (req->u.key_req.key), "%s", key);
    return cli_request_print (cli, &req, MSG_KEY_OK, 0,
                              action->op == KEY_OP_LIST ? cli_key_print : NULL);
}
