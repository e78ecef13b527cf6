/* wait.c: `cphub wait ID... [--timeout TIME] [-q]`, for scripts that chain
 * jobs: the exit status says how the jobs ended.
 *
 * The scheduler answers a wait request when every job in it has ended, so
 * there is no deadline on the reply unless --timeout gives one. Exit status:
 * for one job, what a shell would report for the job's process (its exit
 * code, 0 for COMPLETED, 128+N for signal N), and 1 for CANCELLED, TIMEOUT and
 * NODE_FAIL; for several jobs (an array's elements), 0 when all COMPLETED,
 * else the first one's that did not, named on stderr ("job 42_3 ended FAILED");
 * CLI_EXIT_TIMEOUT (124, as timeout(1)) when --timeout passed first.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cphub/parse.h"

/* What `cphub wait` exits with for this one job. */
static int cli_wait_job_status (const job_info_t *job)
{
    switch (job->state) {
    case JOB_COMPLETED:
        return 0;
    case JOB_FAILED:
        if (job->signal > 0)
            return 128 + (job->signal & 0x7f);
        if (job->exit_code > 0 && job->exit_code <= 255)
            return job->exit_code;
        return 1; /* could not start, or an exit code out of range */
    default:
        return 1;
    }
}

/* The job's name for people: "42", or "42_7" for an array's element. */
static void cli_wait_job_name (const job_info_t *job, char *buf, size_t len)
{
    if (job->array_id != 0)
        snprintf (buf, len, "%" PRIu64 "_%" PRIu32, job->array_id, job->array_index);
    else
        snprintf (buf, len, "%" PRIu64, job->id);
}

static int cli_wait_report (const cli_t *cli, const msg_t *reply, bool quiet)
{
    const msg_job_list_t *list = &reply->u.job_list;
    const job_info_t *failed = NULL;
    char name[CLI_JOB_NAME_MAX];

    if (cli->json && cli_print_json (reply) != 0)
        return 1;
    for (uint32_t i = 0; i < list->count; i++) {
        const job_info_t *job = &list->jobs[i];
        if (job->state != JOB_COMPLETED && !failed)
            failed = job;
        if (!quiet && !cli->json) {
            cli_wait_job_name (job, name, sizeof (name));
            printf ("%s %s exit=%d\n", name, job_state_name (job->state),
                    cli_wait_job_status (job));
        }
    }
    if (list->count == 0)
        return 1;
    if (!failed)
        return 0;
    /* one line says which of several did not complete, as the status can't */
    if (list->count > 1) {
        cli_wait_job_name (failed, name, sizeof (name));
        cli_fail ("job %s ended %s (exit %d)", name, job_state_name (failed->state),
                  cli_wait_job_status (failed));
    }
    return cli_wait_job_status (failed);
}

int cli_wait (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"timeout", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        CLI_OPTIONS_END,
    };
    cphub_error_t err = {{0}};
    const char *timeout_text = NULL;
    int timeout_ms = -1;
    bool quiet = false;
    msg_t *req = NULL;
    msg_t *reply = NULL;
    int status = 2;
    int opt;

    while ((opt = cli_option_next (cli, argc, argv, ":t:qh", options, &status)) > 0) {
        if (opt == 't')
            timeout_text = optarg;
        else if (opt == 'q')
            quiet = true;
    }
    if (opt < 0)
        return status;
    status = 1;
    if (timeout_text != NULL) {
        int64_t seconds;
        if (parse_duration (timeout_text, &seconds, &err) < 0) {
            cli_fail ("--timeout: %s", err.text);
            return 2;
        }
        if (seconds < 1) {
            cli_fail ("--timeout: give at least one second, e.g. --timeout 30s");
            return 2;
        }
        timeout_ms = seconds > INT_MAX / 1000 ? -1 : (int)(seconds * 1000);
    }
    if (optind >= argc) {
        cli_fail ("give the ids of the jobs to wait for, e.g. cphub wait 42 43");
        return 2;
    }
    if (!(req = cli_ids_message (MSG_WAIT, argc, argv, optind)))
        return 2;
    /* Connect first, so that a silent scheduler is not taken for --timeout. */
    if (cli_connect (cli, &err) < 0) {
        cli_fail ("%s", err.text);
        goto done;
    }
    if (!(reply = cli_exchange (cli, req, MSG_WAIT_OK, timeout_ms, &err))) {
        if (errno != ETIMEDOUT) {
            cli_fail ("%s", err.text);
        } else if (req->u.ids.count == 1 && req->u.ids.nelements == 0) {
            cli_fail ("job %" PRIu64 " has not ended within --timeout %s",
                      req->u.ids.ids[0], timeout_text);
            status = CLI_EXIT_TIMEOUT;
        } else {
            cli_fail ("the jobs have not all ended within --timeout %s", timeout_text);
            status = CLI_EXIT_TIMEOUT;
        }
        goto done;
    }
    if (reply->type == MSG_ERROR) {
        if (req->u.ids.count == 1 && req->u.ids.nelements == 0)
            cli_job_fail (req->u.ids.ids[0], reply->u.error.text);
        else
            cli_fail ("%s", reply->u.error.text);
        goto done;
    }
    /* a long answer comes in pages: wait.ok while next is not 0 */
    while (reply->u.job_list.next != 0) {
        msg_t *page = cli_receive (cli, MSG_WAIT_OK, cli->timeout_ms, &err);
        int rc;
        if (!page) {
            cli_fail ("%s", err.text);
            goto done;
        }
        if (page->type == MSG_ERROR) {
            cli_fail ("%s", page->u.error.text);
            msg_destroy (page);
            goto done;
        }
        reply->u.job_list.next = page->u.job_list.next;
        rc = cli_job_list_append (reply, page);
        msg_destroy (page);
        if (rc < 0) {
            cli_fail ("out of memory");
            goto done;
        }
    }
    status = cli_wait_report (cli, reply, quiet);
done:
    msg_destroy (reply);
    msg_destroy (req);
    return status;
}
