/* cli.h: what the parts of the `cphub` command line share.
 *
 * main.c parses the global options (-c FILE, --json, --help, --version) and
 * dispatches the verb through a table of cli_verb_t; each verb lives in its
 * own file and parses its own options first, so that a wrong argument is
 * reported before any configuration or network is touched. The first request
 * connects (client.c): it finds and loads cphub.conf, reads the keys, and
 * waits for the CURVE handshake, so a refused key or a silent scheduler is
 * reported within the configured timeout; cli_request_print() ends most
 * verbs (request, reply, JSON or the verb's text). output.c parses the
 * options and arguments verbs share (--json, --help, --reason, one job id,
 * an action's name) and prints tables, dates, durations and the --json
 * payloads. Verbs return the process exit status.
 */
#ifndef CPHUB_CLI_H
#define CPHUB_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cphub/error.h"
#include "cphub/job.h"
#include "cphub/msg.h"
#include "cphub/transport.h"

typedef struct cli cli_t;

/* A verb: argv[0] is the verb's name; returns the exit status. */
typedef int (*cli_verb_f) (cli_t *cli, int argc, char **argv);

typedef struct cli_verb {
    const char *name; /* "submit" */
    cli_verb_f run;
    const char *help;  /* one line for `cphub help` */
    const char *usage; /* "submit [OPTIONS] -- COMMAND [ARGS...]\n..." */
    bool offline;      /* runs without a config or scheduler (keygen, help) */
} cli_verb_t;

/* One process's state: created in main, passed to the verb. */
struct cli {
    const char *config_path; /* -c FILE, or NULL: $CPHUB_CONFIG, ~/.config */
    bool json;               /* --json: print the reply's payload as JSON */
    const cli_verb_t *verb;
    /* filled by cli_connect() */
    char *config_file; /* the file actually read */
    char *endpoint;    /* "tcp://127.0.0.1:7710" */
    int timeout_ms;    /* from `timeout`, default 5 s */
    tctx_t *ctx;
    tsock_t *sock;
};

/* Exit status of `cphub wait` when its --timeout passed first. */
#define CLI_EXIT_TIMEOUT 124
/* Bytes of a job's name for people, "ID" or "ID_INDEX", with its NUL. */
#define CLI_JOB_NAME_MAX 32

/* getopt_long values of the long options several verbs share; a verb's own
 * long-only options start at CLI_OPT_VERB. */
enum { CLI_OPT_JSON = 256, CLI_OPT_REASON, CLI_OPT_VERB };

/* The end of a verb's option table: --json, --help and the terminator. */
/* clang-format off */
#define CLI_OPTIONS_END                        \
    {"json", no_argument, NULL, CLI_OPT_JSON}, \
    {"help", no_argument, NULL, 'h'},          \
    {NULL, 0, NULL, 0}
/* clang-format on */

/* ---- main.c ------------------------------------------------------------ */

/* Print "usage: cphub " + the verb's usage to out. */
void cli_verb_usage (const cli_t *cli, FILE *out);

/* ---- client.c ---------------------------------------------------------- */

/* Find the config (-c, else $CPHUB_CONFIG, else ~/.config/cphub/cphub.conf),
 * load it, read the keys, connect and wait for the handshake within the
 * configured timeout. 0, or -1 with err ("the scheduler at tcp://... refused
 * this key (...)", "no answer from ..."). Does nothing when connected. */
int cli_connect (cli_t *cli, cphub_error_t *err);
/* Close the socket and context, free what cli_connect made. */
void cli_disconnect (cli_t *cli);

/* Send req (connecting first if needed) and wait up to timeout_ms (-1: no
 * deadline) for the reply. Returns the reply (caller destroys), which is of
 * type want or MSG_ERROR (the scheduler's code and text). NULL with errno and
 * err when: not connected (see cli_connect), no reply in time (ETIMEDOUT), an
 * unreadable reply, or a reply of another type (EPROTO). */
msg_t *cli_exchange (
    cli_t *cli, const msg_t *req, msg_type_t want, int timeout_ms, cphub_error_t *err);
/* cli_exchange with the configured timeout, returning only a reply of type
 * want; otherwise prints "cphub: TEXT" (an error reply's text, or what went
 * wrong) to stderr and returns NULL (the verb then exits 1). */
msg_t *cli_request (cli_t *cli, const msg_t *req, msg_type_t want);
/* The next message of an answer sent in pages (wait.ok after wait.ok), of
 * type want or an error, within timeout_ms (-1: none). NULL with err. */
msg_t *cli_receive (cli_t *cli, msg_type_t want, int timeout_ms, cphub_error_t *err);
/* Move page's jobs to the end of into's (two job lists). 0, -1/ENOMEM. */
int cli_job_list_append (msg_t *into, msg_t *page);
/* The same for a request about one job: an error reply is printed as
 * "cphub: job ID: TEXT" (see cli_job_fail). */
msg_t *cli_request_job (cli_t *cli, const msg_t *req, msg_type_t want, uint64_t id);

/* Prints a verb's reply as text (req: the request it answers); returns the
 * exit status. */
typedef int (*cli_reply_print_f) (const msg_t *req, const msg_t *reply);
/* The end of most verbs: send *req (destroyed here, *req set to NULL), wait
 * for a reply of type want (as cli_request, or cli_request_job when id is
 * not 0) and print it: its payload as JSON with --json, else through print
 * (NULL: nothing). Returns the exit status: 1 when there was no reply. */
int cli_request_print (
    cli_t *cli, msg_t **req, msg_type_t want, uint64_t id, cli_reply_print_f print);
/* The whole of a verb that takes no argument and asks with a request of
 * type that has no body (`cphub nodes`, `cphub report`): its options
 * (--json, --help), then cli_request_print with want and print. Returns the
 * exit status: 2 when an argument is given. */
int cli_request_plain (cli_t *cli,
                       int argc,
                       char **argv,
                       msg_type_t type,
                       msg_type_t want,
                       cli_reply_print_f print);

/* ---- output.c ---------------------------------------------------------- */

/* "cphub: TEXT\n" on stderr. Returns 1 (an exit status) for "return
 * cli_fail (...)". */
int cli_fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* "cphub: job ID: TEXT\n" on stderr, or "cphub: TEXT\n" when the text names
 * the job already ("no such job 7"), so every verb words a job's trouble
 * alike. Returns 1. */
int cli_job_fail (uint64_t id, const char *text);

/* Report a getopt failure for the current verb ('?' unknown option, ':'
 * missing argument) as one line pointing at --help. Returns 2. */
int cli_option_error (const cli_t *cli, int ret, int opt, const char *word);

/* The verb's next option from getopt_long (shortopts, options), handling
 * those every verb treats alike: CLI_OPT_JSON sets cli->json, 'h' prints the
 * usage, an unknown option or a missing value is reported (cli_option_error).
 * Returns the verb's own next option (> 0), 0 when the options are over
 * (optind at the first argument), or -1 when the verb returns *status (0
 * after --help, 2 after an error). */
int cli_option_next (cli_t *cli,
                     int argc,
                     char **argv,
                     const char *shortopts,
                     const struct option *options,
                     int *status);
/* The options of a verb that has only --json and --help. -1 when the verb
 * goes on, else the exit status to return. */
int cli_options_json (cli_t *cli, int argc, char **argv);
/* The options of a verb "ACTION NAME ... [-r|--reason TEXT]": --reason,
 * --json and --help. *reason: the text, or NULL when not given. -1 when the
 * verb goes on, else the exit status to return. */
int cli_options_reason (cli_t *cli, int argc, char **argv, const char **reason);
/* 0 when reason (NULL: none) fits a field of size bytes, else 2 (an exit
 * status) with "the reason is N bytes; keep it under SIZE" printed. */
int cli_reason_check (const char *reason, size_t size);

/* A verb's actions ("cphub node drain NAME"): a table of structs of size
 * bytes whose first member is `const char *name`, ending with name == NULL,
 * and what to say when the words after the options name none. */
typedef struct cli_actions {
    const void *table;
    size_t size;
    int nwords;          /* words after the options, the action's name first;
                            0: any number but at least the name */
    const char *missing; /* printed when the words are not nwords (or none):
                            "give an action and a node, e.g. ..." */
    const char *unknown; /* printed as "'WORD' is not " + unknown: "an action on
                            keys; the actions are list, add and revoke" */
} cli_actions_t;
/* The entry of actions named by argv[optind] (after the verb's options).
 * NULL, with actions->missing or "'WORD' is not UNKNOWN" printed, when the
 * words are not as many as wanted or name no action: the verb exits 2. */
const void *cli_action_arg (int argc, char **argv, const cli_actions_t *actions);

/* The one job of "VERB ID" or "VERB ID_INDEX": an element's id is asked of
 * the scheduler (a show naming it). 0, or 2 (usage or the parse error
 * printed) or 1 (the scheduler's answer printed, e.g. no such job). */
int cli_one_job (
    cli_t *cli, int argc, char **argv, int first, const char *usage, uint64_t *id);
/* The one job id of a verb "VERB ID" or "VERB ID_INDEX" (jobid.h): the id,
 * and an element's index in *index, else MSG_INDEX_NONE. 0, or 2 (an exit
 * status) with usage (not exactly one argument), the parse error, or a
 * range ("42_[1-5]") refused, printed. */
int cli_one_element (
    int argc, char **argv, int first, const char *usage, uint64_t *id, uint32_t *index);

/* A cancel or wait message (type) for the ids in argv[first..argc-1]. NULL
 * with the reason printed ("'x' is not a job id ...", too many ids). */
msg_t *cli_ids_message (msg_type_t type, int argc, char **argv, int first);

/* A cancel.ok or jobctl.ok: --json's answer, then a line on stderr per job
 * the request could not act on ("cphub: job 7: no such job"). 0, or 1. */
int cli_cancel_results (const cli_t *cli, const msg_t *reply);
/* A verb that sends the ids and elements named on the command line in one
 * request of type and prints its per-job results as cancel does (cancel,
 * hold, release, requeue); usage: what to say when no id is given. */
int cli_ids_verb (cli_t *cli,
                  int argc,
                  char **argv,
                  msg_type_t type,
                  msg_type_t ok_type,
                  const char *usage);

/* Print msg_payload_json (reply) and a newline on stdout. 0 or 1. */
int cli_print_json (const msg_t *reply);

/* Local date "2026-11-27 10:00:00", or "-" for 0. */
void cli_format_time (double t, char *buf, size_t len);
/* Elapsed run time of a job at now (0 before it started). */
int64_t cli_job_elapsed (const job_info_t *job, double now);
/* "exit 0", "signal 9 (SIGKILL)", or the reason; "" when nothing to say. */
void cli_format_job_outcome (const job_info_t *job, char *buf, size_t len);

/* Aligned text tables. Cells are copied; control characters coming from the
 * scheduler are shown as '?', so no name can drive the terminal. */
typedef struct cli_column {
    const char *header;
    bool right; /* right-align (numbers) */
} cli_column_t;
typedef struct cli_table cli_table_t;

/* columns ends with header == NULL. NULL/ENOMEM. */
cli_table_t *cli_table_create (const cli_column_t *columns);
void cli_table_destroy (cli_table_t *t);
/* One row of as many cells as there are columns. 0 or -1/ENOMEM. */
int cli_table_row (cli_table_t *t, const char *const cells[]);
void cli_table_print (const cli_table_t *t, FILE *out);
/* Print one page of a listing printed as its pages come: t's rows (after
 * the header line when header), each column at least width[c] wide and
 * width widened to fit, so that later pages stay aligned with earlier ones
 * as far as their cells allow. width: one per column, zeroed at first. */
void cli_table_print_page (const cli_table_t *t, size_t *width, bool header, FILE *out);
/* Adds the row of one item (arg: what the verb passes along). 0 or -1. */
typedef int (*cli_table_row_f) (cli_table_t *t, const void *item, const void *arg);
/* A table of columns with one row per item of items[count] (each size
 * bytes), printed on stdout. 0, or 1 with "out of memory" printed. */
int cli_table_print_items (const cli_column_t *columns,
                           const void *items,
                           size_t size,
                           uint32_t count,
                           cli_table_row_f row,
                           const void *arg);

/* Write s with control characters shown as '?'. */
void cli_print_safe (FILE *out, const char *s);

/* The one row of `cphub jobs` for a job array (jobs_array.c), gathered
 * element by element as pages come: the counts by state and the first
 * index ranges, whatever the array's size. */
typedef struct cli_array {
    bool active;
    job_info_t first;                 /* the first element seen */
    uint32_t counts[JOB_STATE_COUNT]; /* elements by state */
    char id[96];                      /* "42_[0-3,8" so far; "..." when full */
    size_t pos;                       /* bytes of id used */
    bool truncated;                   /* id ends in "..." */
    uint32_t ranges;                  /* ranges written into id */
    uint32_t range_first, range_last; /* the range being gathered */
    char reason[REASON_TEXT_MAX + 1]; /* the first pending element's */
} cli_array_t;

/* Start a's row with job, an element or a folded row, and add it. */
void cli_array_start (cli_array_t *a, const job_info_t *job);
/* Add the next element of a's array (ids come in order). */
void cli_array_add (cli_array_t *a, const job_info_t *job);
/* Add the next row of a's array the scheduler folded (array_folded > 0). */
void cli_array_add_folded (cli_array_t *a, const job_info_t *row);
/* The cell of column key ("id", "state", ...) of a's row, when the array's
 * row has its own; false: the first element's cell stands for the array. */
bool cli_array_cell (const cli_array_t *a, const char *key, char *buf, size_t len);

/* ---- the verbs, one file each ------------------------------------------ */

int cli_submit (cli_t *cli, int argc, char **argv);
int cli_jobs (cli_t *cli, int argc, char **argv);
int cli_show (cli_t *cli, int argc, char **argv);
int cli_cancel (cli_t *cli, int argc, char **argv);
int cli_hold (cli_t *cli, int argc, char **argv);
int cli_release (cli_t *cli, int argc, char **argv);
int cli_requeue (cli_t *cli, int argc, char **argv);
int cli_resubmit (cli_t *cli, int argc, char **argv);
int cli_wait (cli_t *cli, int argc, char **argv);
int cli_logs (cli_t *cli, int argc, char **argv);
int cli_nodes (cli_t *cli, int argc, char **argv);
int cli_node (cli_t *cli, int argc, char **argv);
int cli_report (cli_t *cli, int argc, char **argv);
int cli_keygen (cli_t *cli, int argc, char **argv);
int cli_priority (cli_t *cli, int argc, char **argv);
int cli_tenant (cli_t *cli, int argc, char **argv);
int cli_key (cli_t *cli, int argc, char **argv);
int cli_balance (cli_t *cli, int argc, char **argv);
int cli_budget (cli_t *cli, int argc, char **argv);
/* balance.c: a balance.ok or budget.grant.ok reply as a table (a
 * cli_reply_print_f). 0, or 1. */
int cli_balance_print (const msg_t *req, const msg_t *reply);

#endif
