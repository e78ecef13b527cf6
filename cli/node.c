/* node.c: `cphub node`, an operator's actions on one node.
 *
 *     cphub node drain NAME --reason TEXT
 *     cphub node resume NAME
 *
 * Draining lets the jobs running on the node finish and starts nothing new
 * there; `cphub nodes` shows the node as DRAIN with the reason until it is
 * resumed. The drain is kept across scheduler restarts and agent
 * re-registrations. Only operators may do this: the scheduler answers a
 * tenant with EPERM. The actions are a table, like the verbs. Success prints
 * nothing; --json prints the (empty) answer.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

enum { OPT_JSON = 256, OPT_REASON };

typedef struct cli_node_action {
    const char *name; /* "drain" */
    bool drain;       /* the value of msg_node_drain_t.drain */
    bool needs_reason;
} cli_node_action_t;

static const cli_node_action_t cli_node_actions[] = {
    {.name = "drain", .drain = true, .needs_reason = true},
    {.name = "resume", .drain = false, .needs_reason = false},
    {.name = NULL},
};

static const cli_node_action_t *cli_node_action_find (const char *name)
{
    for (const cli_node_action_t *a = cli_node_actions; a->name != NULL; a++) {
        if (strcmp (a->name, name) == 0)
            return a;
    }
    return NULL;
}

int cli_node (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"reason", required_argument, NULL, OPT_REASON},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const cli_node_action_t *action;
    const char *reason = NULL;
    msg_t *req = NULL;
    msg_t *reply = NULL;
    int status = 1;
    int opt;

    opterr = 0;
    while ((opt = getopt_long (argc, argv, ":hr:", options, NULL)) != -1) {
        switch (opt) {
        case 'r':
        case OPT_REASON:
            reason = optarg;
            break;
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
    if (argc - optind != 2) {
        cli_fail (
            "give an action and a node, e.g. cphub node drain node1 --reason "
            "\"new memory\", or cphub node resume node1");
        return 2;
    }
    if (!(action = cli_node_action_find (argv[optind]))) {
        cli_fail ("'%s' is not an action on a node; the actions are drain and resume",
                  argv[optind]);
        return 2;
    }
    const char *node = argv[optind + 1];
    if (node[0] == '\0' || strlen (node) >= sizeof (((msg_node_drain_t *)0)->node)) {
        cli_fail ("'%.64s' is not a node name", node);
        return 2;
    }
    if (action->needs_reason && (!reason || reason[0] == '\0')) {
        cli_fail ("say why: cphub node drain %s --reason TEXT (shown in cphub nodes)",
                  node);
        return 2;
    }
    if (!action->needs_reason && reason) {
        cli_fail ("node %s takes no --reason", action->name);
        return 2;
    }
    if (reason && strlen (reason) >= sizeof (((msg_node_drain_t *)0)->reason)) {
        cli_fail ("the reason is %zu bytes; keep it under %zu", strlen (reason),
                  sizeof (((msg_node_drain_t *)0)->reason));
        return 2;
    }
    if (!(req = msg_create (MSG_NODE_DRAIN))) {
        cli_fail ("out of memory");
        goto done;
    }
    snprintf (req->u.drain.node, sizeof (req->u.drain.node), "%s", node);
    req->u.drain.drain = action->drain;
    snprintf (req->u.drain.reason, sizeof (req->u.drain.reason), "%s",
              reason ? reason : "");
    if (!(reply = cli_request (cli, req, MSG_NODE_DRAIN_OK)))
        goto done;
    status = cli->json ? cli_print_json (reply) : 0;
done:
    msg_destroy (reply);
    msg_destroy (req);
    return status;
}
