/* nodes.c: `cphub nodes`, the hub's nodes as the scheduler sees them.
 *
 * One row per node: its state (and why, when it is not UP), cores and GPUs in
 * use out of those it has, memory, NUMA domains, running jobs, the features
 * its agent advertises, where its topology came from (the real machine
 * with binding applied, or a synthetic/XML description without binding),
 * and how its agent isolates jobs (cgroup controllers, or none). A node
 * whose agent simulates execution, which runs no job, has the flag
 * SIMULATED on its state, Slurm's way: UP+SIMULATED.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cphub/parse.h"

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
    {.header = "ISOLATION"},
    {.header = NULL},
};

static int cli_nodes_row (cli_table_t *t, const void *item, const void *arg)
{
    const node_info_t *node = item;
    char state[200], cores[32], gpus[32], used[16], total[16], mem[40];
    char numa[16], jobs[16], topology[160];

    (void)arg;
    if (node->state != NODE_UP && node->reason[0] != '\0')
        snprintf (state, sizeof (state), "%s%s (%s)", node_state_name (node->state),
                  node->simulated ? "+SIMULATED" : "", node->reason);
    else
        snprintf (state, sizeof (state), "%s%s", node_state_name (node->state),
                  node->simulated ? "+SIMULATED" : "");
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
        node->name, state,
        cores,      gpus,
        mem,        numa,
        jobs,       node->features[0] != '\0' ? node->features : "-",
        topology,   node->isolation[0] != '\0' ? node->isolation : "-",
    };
    return cli_table_row (t, cells);
}

static int cli_nodes_print (const msg_t *req, const msg_t *reply)
{
    const msg_node_list_t *list = &reply->u.node_list;

    (void)req;
    return cli_table_print_items (cli_nodes_columns, list->nodes, sizeof (*list->nodes),
                                  list->count, cli_nodes_row, NULL);
}

int cli_nodes (cli_t *cli, int argc, char **argv)
{
    return cli_request_plain (cli, argc, argv, MSG_NODES, MSG_NODES_OK,
                              cli_nodes_print);
}
