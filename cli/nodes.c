/* nodes.c: `cphub nodes`, the hub's nodes as the scheduler sees them.
 *
 * One row per node: its state (and why, when it is not UP), cores and GPUs in
 * use out of those it has, memory, NUMA domains, running jobs, the features
 * its agent advertises, and where its topology came from (the real machine
 * with binding applied, or a synthetic/XML description without binding).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cphub/parse.h"

enum { OPT_JSON = 256 };

static const cli_column_t cli_nodes_columns[] = {
    {.header = "NAME"},
    {.header = "STATE"},
    {.header = "CORES", .right = true},
    {.header = "GPUS", .right = true},
    {.header = "MEM", .right = true},
    {.header = "NUMA", .right = true},
    {.header = "JOBS", .right = true},
    {.header = "FEATURES"},
    {.header = "TOPOLOGY"},
    {.header = NULL},
};

static int cli_nodes_row (cli_table_t *t, const node_info_t *node)
{
    char state[200], cores[32], gpus[32], used[16], total[16], mem[40];
    char numa[16], jobs[16], topology[160];

    if (node->state != NODE_UP && node->reason[0] != '\0')
        snprintf (state, sizeof (state), "%s (%s)", node_state_name (node->state),
                  node->reason);
    else
        snprintf (state, sizeof (state), "%s", node_state_name (node->state));
    snprintf (cores, sizeof (cores), "%" PRIu32 "/%" PRIu32, node->cores_used,
              node->cores);
    snprintf (gpus, sizeof (gpus), "%" PRIu32 "/%" PRIu32, node->gpus_used, node->gpus);
    format_size (node->mem_used, used, sizeof (used));
    format_size (node->mem, total, sizeof (total));
    snprintf (mem, sizeof (mem), "%s/%s", used, total);
    snprintf (numa, sizeof (numa), "%" PRIu32, node->numa);
    snprintf (jobs, sizeof (jobs), "%" PRIu32, node->jobs);
    snprintf (topology, sizeof (topology), "%s%s",
              node->topology[0] != '\0' ? node->topology : "-",
              node->binding ? "" : " (not bound)");
    const char *cells[] = {
        node->name, state, cores, gpus,
        mem,        numa,  jobs,  node->features[0] != '\0' ? node->features : "-",
        topology,
    };
    return cli_table_row (t, cells);
}

int cli_nodes (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    msg_t *req = NULL;
    msg_t *reply = NULL;
    cli_table_t *table = NULL;
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
        cli_fail ("nodes takes no arguments ('%s'); see cphub nodes --help",
                  argv[optind]);
        return 2;
    }
    if (!(req = msg_create (MSG_NODES)))
        goto nomem;
    if (!(reply = cli_request (cli, req, MSG_NODES_OK)))
        goto done;
    if (cli->json) {
        status = cli_print_json (reply);
        goto done;
    }
    if (!(table = cli_table_create (cli_nodes_columns)))
        goto nomem;
    for (uint32_t i = 0; i < reply->u.node_list.count; i++) {
        if (cli_nodes_row (table, &reply->u.node_list.nodes[i]) < 0)
            goto nomem;
    }
    cli_table_print (table, stdout);
    status = 0;
    goto done;
nomem:
    status = cli_fail ("out of memory");
done:
    cli_table_destroy (table);
    msg_destroy (reply);
    msg_destroy (req);
    return status;
}
