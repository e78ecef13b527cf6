/* main.c: the `cphub` program: global options and the verb table.
 *
 * `cphub [-c FILE] [--json] VERB [ARGS...]`. The global options stop at the
 * first word that is not an option (the verb), so a verb's own -c (submit's
 * cores per task) never collides with the global -c FILE. The verb table
 * below is the only list of verbs: `cphub help`, dispatch and `cphub VERB
 * --help` all read it. Verbs connect on their first request (client.c), so
 * --help and argument errors work without any config or scheduler.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

static int cli_help (cli_t *cli, int argc, char **argv);

static const cli_verb_t cli_verbs[] = {
    {
        .name = "submit",
        .run = cli_submit,
        .help = "submit a job: a command after --, or a script with #CPHUB lines",
        .usage = "submit [OPTIONS] -- COMMAND [ARGS...]\n"
                 "       cphub submit [OPTIONS] SCRIPT\n"
                 "Queue a job and print its id. A SCRIPT is a file starting with\n"
                 "\"#!\"; its leading \"#CPHUB -n 4\" lines take the same options,\n"
                 "and options given here win over them.\n",
    },
    {
        .name = "jobs",
        .run = cli_jobs,
        .help = "list your pending and running jobs (--all: ended ones too)",
        .usage =
            "jobs [--all] [--expand] [filters] [-o COLUMNS] [--noheader]\n"
            "     [--json|--jsonl]\n"
            "List jobs: pending and running ones, or every job the hub keeps\n"
            "with --all (the history too); tenants see their own only.\n"
            "  -a, --all           include jobs that have ended, from the history\n"
            "  -x, --expand        an array's elements one row each (else one\n"
            "                      row per array: 42_[0-99%5], counts by state)\n"
            "  -t, --state LIST    only these states (e.g. FAILED,TIMEOUT; an\n"
            "                      ended state searches the history)\n"
            "  -n, --name NAME     only jobs of this name\n"
            "  -w, --node NODE     only jobs that ran on this node\n"
            "  -u, --tenant NAME   only this tenant's jobs (operators)\n"
            "      --since WHEN    active at or after WHEN: 2d, 3h (back from\n"
            "                      now), YYYY-MM-DD[THH:MM[:SS]] or @EPOCH\n"
            "      --until WHEN    submitted at or before WHEN\n"
            "      --array ID      the elements of array ID\n"
            "      --limit N       at most N jobs (an active array, one row\n"
            "                      without --expand, counts once)\n"
            "  -o, --format LIST   columns: id,tenant,name,state,node,cpus,time,\n"
            "                      pos,reason,submit,start,end,exit,array,command\n"
            "      --noheader      no header line\n"
            "      --json          one JSON array of the jobs\n"
            "      --jsonl         one JSON object per line, for long lists\n",
    },
    {
        .name = "show",
        .run = cli_show,
        .help = "show everything about one job",
        .usage = "show ID [--json]\n"
                 "Print every field of job ID, one \"key: value\" per line.\n"
                 "      --json   print the job as JSON\n",
    },
    {
        .name = "cancel",
        .run = cli_cancel,
        .help = "cancel jobs",
        .usage = "cancel ID... [--json]\n"
                 "Cancel the jobs; prints nothing for those cancelled and one\n"
                 "line on stderr for each that could not be; exits 1 if any.\n"
                 "      --json   print the per-job results as JSON\n",
    },
    {
        .name = "hold",
        .run = cli_hold,
        .help = "hold pending jobs: they do not start until released",
        .usage = "hold ID... [--json]\n"
                 "Hold pending jobs: they stay PENDING with reason Held and never\n"
                 "start until released. A job an operator held only an operator\n"
                 "may release. One line on stderr per job not held; exits 1 if any.\n"
                 "      --json   print the per-job results as JSON\n",
    },
    {
        .name = "release",
        .run = cli_release,
        .help = "release held jobs",
        .usage = "release ID... [--json]\n"
                 "Release held jobs: they wait in line again. A job an operator\n"
                 "held only an operator may release. One line on stderr per job\n"
                 "not released; exits 1 if any.\n"
                 "      --json   print the per-job results as JSON\n",
    },
    {
        .name = "requeue",
        .run = cli_requeue,
        .help = "put running or ended jobs back in the queue",
        .usage = "requeue ID... [--json]\n"
                 "Put jobs back in the queue to run again. A running job is killed\n"
                 "first; each run stays in the accounting as its own record.\n"
                 "      --json   print the per-job results as JSON\n",
    },
    {
        .name = "resubmit",
        .run = cli_resubmit,
        .help = "submit a job's spec again as a new job; print its id",
        .usage = "resubmit ID [--json]\n"
                 "Submit job ID's spec again, as its tenant, and print the new\n"
                 "job's id. The job itself is left as it is.\n"
                 "      --json   print the scheduler's answer as JSON\n",
    },
    {
        .name = "wait",
        .run = cli_wait,
        .help = "wait until jobs end; exit with the job's status",
        .usage = "wait ID... [--timeout TIME] [-q] [--json]\n"
                 "Wait until every job has ended and print \"ID STATE exit=N\".\n"
                 "Exit status, one job: its exit code (0 when COMPLETED), 128+N\n"
                 "when killed by signal N, 1 when CANCELLED, TIMEOUT or\n"
                 "NODE_FAIL. Several jobs: 0 if all COMPLETED, else 1.\n"
                 "124 when --timeout passed first.\n"
                 "  -t, --timeout TIME   give up after TIME (\"30s\", \"5:00\")\n"
                 "  -q, --quiet          print nothing, only set the status\n"
                 "      --json           print the jobs as JSON\n",
    },
    {
        .name = "logs",
        .run = cli_logs,
        .help = "print a job's output (--stderr: its error output)",
        .usage = "logs ID [--stderr]\n"
                 "Write the job's standard output, as it is so far, to stdout.\n"
                 "  -e, --stderr   the job's standard error instead\n",
    },
    {
        .name = "nodes",
        .run = cli_nodes,
        .help = "list the hub's nodes and what is in use",
        .usage = "nodes [--json]\n"
                 "List nodes: state, cores and GPUs in use, memory, NUMA domains,\n"
                 "running jobs, features and where the topology came from.\n"
                 "      --json   print the nodes as JSON\n",
    },
    {
        .name = "node",
        .run = cli_node,
        .help = "drain or resume a node (operators)",
        .usage = "node drain NAME --reason TEXT\n"
                 "       cphub node resume NAME\n"
                 "Drain: jobs running on NAME finish, nothing new starts there;\n"
                 "cphub nodes shows DRAIN and the reason. Resume: back in service.\n"
                 "  -r, --reason TEXT   why the node is drained (required to drain)\n"
                 "      --json          print the scheduler's answer as JSON\n",
    },
    {
        .name = "priority",
        .run = cli_priority,
        .help = "explain a job's priority (operators: --boost it)",
        .usage = "priority ID [--boost POINTS] [--json]\n"
                 "Print the job's place in the queue and its priority now, factor\n"
                 "by factor: fair share, age and size (weight x value) and the\n"
                 "job's and its tenant's boosts.\n"
                 "      --boost POINTS   operators: set the job's boost first\n"
                 "      --json           print the scheduler's answer as JSON\n",
    },
    {
        .name = "report",
        .run = cli_report,
        .help = "usage per tenant and utilization per node",
        .usage = "report [--json]\n"
                 "Print jobs and core/GPU hours per tenant, and how busy each\n"
                 "node's cores were, since the scheduler's records began.\n"
                 "      --json   print the report as JSON\n",
    },
    {
        .name = "tenant",
        .run = cli_tenant,
        .help = "list, add, change or remove tenants (operators)",
        .usage =
            "tenant list [--json]\n"
            "       cphub tenant add NAME [--shares N]\n"
            "       cphub tenant set NAME --shares N\n"
            "       cphub tenant remove NAME\n"
            "Tenants come from scheduler.conf (\"config\") or are added here\n"
            "(\"runtime\", kept across restarts). A new tenant has no key:\n"
            "give it one with cphub key add NAME FILE.pub. set and remove\n"
            "change run-time tenants only; remove needs the tenant to have\n"
            "no pending or running job, revokes its keys, and its name is\n"
            "not given out again.\n"
            "      --shares N   its part of the hub against the others' (default 1)\n"
            "      --json       print the scheduler's answer as JSON\n",
    },
    {
        .name = "key",
        .run = cli_key,
        .help = "list, add or revoke tenant keys (operators)",
        .usage = "key list [TENANT] [--json]\n"
                 "       cphub key add TENANT FILE.pub\n"
                 "       cphub key revoke FILE.pub|KEY\n"
                 "add: the holder of the key pair can use the hub as TENANT at once.\n"
                 "revoke: the key is refused from its next request on, even on a\n"
                 "connection already open, and after restarts; the tenant's jobs\n"
                 "are untouched. A revoked key is never taken back. KEY is the 40\n"
                 "Z85 characters of a .pub file (\"--\" before one starting with -).\n"
                 "      --json   print the scheduler's answer as JSON\n",
    },
    {
        .name = "balance",
        .run = cli_balance,
        .help = "show budgets (granted, spent, reserved, remaining) and quotas",
        .usage = "balance [TENANT] [--json]\n"
                 "Where tenants stand, in core-hours: budget granted, spent by jobs\n"
                 "that ended (failed runs are not charged), reserved by running jobs\n"
                 "(cores and GPUs times their wall-time limit; the real run time is\n"
                 "charged when they end) and remaining; then cores, GPUs and jobs\n"
                 "running and jobs pending against the limits (\"12/16\"; \"/-\": no\n"
                 "limit). Tenants see their own line, operators every tenant's.\n"
                 "A job waits with reason Quota or Budget while these hold it.\n"
                 "      --json   print the scheduler's answer as JSON\n",
    },
    {
        .name = "budget",
        .run = cli_budget,
        .help = "grant or set a tenant's budget in core-hours (operators)",
        .usage = "budget grant TENANT HOURS [--reason TEXT] [--json]\n"
                 "       cphub budget set TENANT HOURS [--reason TEXT] [--json]\n"
                 "grant adds HOURS core-hours (a negative grant, after --, takes\n"
                 "some back); set makes the budget HOURS. Budgets never decay;\n"
                 "each grant is kept with its time, operator and reason. Prints the\n"
                 "tenant's balance afterwards.\n"
                 "  -r, --reason TEXT   why (kept in the ledger)\n"
                 "      --json          print the scheduler's answer as JSON\n",
    },
    {
        .name = "keygen",
        .run = cli_keygen,
        .help = "make a CURVE key pair (NAME.key and NAME.pub)",
        .usage = "keygen NAME [--dir DIR] [--force]\n"
                 "Write DIR/NAME.key (secret, mode 0600) and DIR/NAME.pub.\n"
                 "Give NAME.pub to the hub's operator; keep NAME.key.\n"
                 "  -d, --dir DIR   where to write (default: the current directory)\n"
                 "  -f, --force     replace existing files\n",
        .offline = true,
    },
    {
        .name = "help",
        .run = cli_help,
        .help = "list the verbs, or explain one: cphub help VERB",
        .usage = "help [VERB]\n",
        .offline = true,
    },
    {.name = NULL},
};

static const cli_verb_t *cli_verb_find (const char *name)
{
    for (const cli_verb_t *v = cli_verbs; v->name != NULL; v++) {
        if (strcmp (v->name, name) == 0)
            return v;
    }
    return NULL;
}

/* "submit, jobs, ..., help" into buf. */
static const char *cli_verb_names (char *buf, size_t len)
{
    size_t pos = 0;

    buf[0] = '\0';
    for (const cli_verb_t *v = cli_verbs; v->name != NULL && pos < len; v++)
        pos += (size_t)snprintf (buf + pos, len - pos, "%s%s", pos > 0 ? ", " : "",
                                 v->name);
    return buf;
}

void cli_verb_usage (const cli_t *cli, FILE *out)
{
    fprintf (out, "usage: cphub %s", cli->verb->usage);
}

static void cli_main_usage (FILE *out)
{
    fprintf (out,
             "usage: cphub [-c FILE] [--json] VERB [ARGS...]\n"
             "\n"
             "The command line of the cphub computing-power hub.\n"
             "\n"
             "verbs:\n");
    for (const cli_verb_t *v = cli_verbs; v->name != NULL; v++)
        fprintf (out, "  %-8s %s\n", v->name, v->help);
    fprintf (out,
             "\n"
             "options:\n"
             "  -c, --config FILE   client config (default: $CPHUB_CONFIG, else\n"
             "                      ~/.config/cphub/cphub.conf)\n"
             "      --json          print replies as JSON (verbs that read)\n"
             "  -h, --help          this text; `cphub VERB --help` for a verb\n"
             "      --version       print the version\n");
}

static int cli_help (cli_t *cli, int argc, char **argv)
{
    if (argc > 2) {
        cli_fail ("help: give one verb, e.g. cphub help submit");
        return 2;
    }
    if (argc == 2 && strcmp (argv[1], "-h") != 0 && strcmp (argv[1], "--help") != 0) {
        const cli_verb_t *v = cli_verb_find (argv[1]);
        if (v == NULL) {
            cli_fail ("help: no verb '%s'; `cphub help` lists them", argv[1]);
            return 2;
        }
        /* Every verb answers --help itself, without connecting. */
        char *verb_argv[] = {(char *)v->name, "--help", NULL};
        cli_t shown = *cli;
        shown.verb = v;
        optind = 0;
        return v->run (&shown, 2, verb_argv);
    }
    cli_main_usage (stdout);
    return 0;
}

enum { OPT_JSON = 256, OPT_VERSION };

int main (int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    cli_t cli = {0};
    char names[256];
    int opt;
    int status;

    opterr = 0;
    while ((opt = getopt_long (argc, argv, "+:c:h", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            cli.config_path = optarg;
            break;
        case OPT_JSON:
            cli.json = true;
            break;
        case 'h':
            cli_main_usage (stdout);
            return 0;
        case OPT_VERSION:
            printf ("cphub %s (protocol %d)\n", PACKAGE_VERSION,
                    CPHUB_PROTOCOL_VERSION);
            return 0;
        case ':':
            cli_fail ("%s needs a value; e.g. cphub -c ~/hub/cphub.conf jobs",
                      argv[optind - 1]);
            return 2;
        default:
            if (optopt != 0)
                cli_fail ("unknown option '-%c'; `cphub --help` lists the options",
                          optopt);
            else
                cli_fail ("unknown option '%s'; `cphub --help` lists the options",
                          argv[optind - 1]);
            return 2;
        }
    }
    if (optind >= argc) {
        cli_fail ("give a verb, e.g. cphub jobs (verbs: %s)",
                  cli_verb_names (names, sizeof (names)));
        return 2;
    }
    cli.verb = cli_verb_find (argv[optind]);
    if (cli.verb == NULL) {
        cli_fail ("'%s' is not a verb; the verbs are %s", argv[optind],
                  cli_verb_names (names, sizeof (names)));
        return 2;
    }
    int first = optind;
    optind = 0; /* let the verb's getopt start afresh */
    status = cli.verb->run (&cli, argc - first, argv + first);
    cli_disconnect (&cli);
    return status;
}
