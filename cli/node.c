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

static const cli_actions_t cli_node_verb_actions = {
    .table = cli_node_actions,
    .size = sizeof (*cli_node_actions),
    .nwords = 2,
    .missing =
        "give an action and a node, e.g. cphub node drain node1 --reason "
        "\"new memory\", or cphub node resume node1",
    .unknown = "an action on a node; the actions are drain and resume",
};

int cli_node (cli_t *cli, int argc, char **argv)
{
    const cli_node_action_t *action;
    const char *reason = NULL;
    msg_t *req = NULL;
    int status;

    if ((status = cli_options_reason (cli, argc, argv, &reason)) >= 0)
        return status;
    if (!(action = cli_action_arg (argc, argv, &cli_node_verb_actions)))
        return 2;
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
    if (cli_reason_check (reason, sizeof (((msg_node_drain_t *)0)->reason)) != 0)
        return 2;
    if (!(req = msg_create (MSG_NODE_DRAIN)))
        return cli_fail ("out of memory");
    snprintf (req->u.drain.node, sizeof (req->u.drain.node), "%s", node);
    req->u.drain.drain = action->drain;
    snprintf (req->u.drain.reason, sizeof (req->u.drain.reason), "%s",
              reason ? reason : "");
    return cli_request_print (cli, &req, MSG_NODE_DRAIN_OK, 0, NULL);
}
