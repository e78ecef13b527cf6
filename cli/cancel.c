/* cancel.c: `cphub cancel ID...`.
 *
 * One cancel request carries every id; the scheduler answers per job (done or
 * under way, no such job, already ended). Like scancel, nothing is printed for
 * the jobs that are being cancelled; each one that could not be gets a line
 * "cphub: job 7: no such job" on stderr, and then the exit status is 1. A
 * tenant's cancel of another tenant's job reads exactly like a missing job.
 */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"

int cli_cancel_results (const cli_t *cli, const msg_t *reply)
{
    int status = cli->json ? cli_print_json (reply) : 0;

    for (uint32_t i = 0; i < reply->u.cancel_ok.count; i++) {
        const msg_cancel_result_t *r = &reply->u.cancel_ok.results[i];
        if (r->code == 0)
            continue;
        cli_job_fail (r->id, r->text[0] != '\0' ? r->text : strerror (r->code));
        status = 1;
    }
    return status;
}

int cli_ids_verb (cli_t *cli,
                  int argc,
                  char **argv,
                  msg_type_t type,
                  msg_type_t ok_type,
                  const char *usage)
{
    msg_t *req = NULL;
    msg_t *reply = NULL;
    int status;

    if ((status = cli_options_json (cli, argc, argv)) >= 0)
        return status;
    if (optind >= argc) {
        cli_fail ("%s", usage);
        return 2;
    }
    if (!(req = cli_ids_message (type, argc, argv, optind)))
        return 2;
    if (req->u.ids.count == 1 && req->u.ids.nelements == 0)
        reply = cli_request_job (cli, req, ok_type, req->u.ids.ids[0]);
    else
        reply = cli_request (cli, req, ok_type);
    status = reply != NULL ? cli_cancel_results (cli, reply) : 1;
    msg_destroy (reply);
    msg_destroy (req);
    return status;
}

int cli_cancel (cli_t *cli, int argc, char **argv)
{
    return cli_ids_verb (cli, argc, argv, MSG_CANCEL, MSG_CANCEL_OK,
                         "give the ids of the jobs to cancel, e.g. cphub cancel 42 43");
}
