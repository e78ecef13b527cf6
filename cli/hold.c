/* hold.c: `cphub hold ID...`, `cphub release ID...`, `cphub requeue ID...`
 * and `cphub resubmit ID`, as Slurm's scontrol hold, release and requeue.
 *
 * hold, release and requeue carry every id in one request and print, as
 * cancel does, nothing for the jobs acted on and a line on stderr for each
 * that could not be (exit status 1). Like cancel they take arrays: 42 is
 * every element, 42_[1-5,9] those. resubmit prints the new job's id, as
 * submit does: 42 submits the array again, 42_7 that element as one job.
 * Another tenant's job reads exactly like a missing job.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"

int cli_hold (cli_t *cli, int argc, char **argv)
{
    return cli_ids_verb (
        cli, argc, argv, MSG_HOLD, MSG_JOBCTL_OK,
        "give the ids of the pending jobs to hold, e.g. cphub hold 42 43");
}

int cli_release (cli_t *cli, int argc, char **argv)
{
    return cli_ids_verb (
        cli, argc, argv, MSG_RELEASE, MSG_JOBCTL_OK,
        "give the ids of the held jobs to release, e.g. cphub release 42");
}

int cli_requeue (cli_t *cli, int argc, char **argv)
{
    return cli_ids_verb (cli, argc, argv, MSG_REQUEUE, MSG_JOBCTL_OK,
                         "give the ids of the jobs to requeue, e.g. cphub requeue 42");
}

int cli_resubmit (cli_t *cli, int argc, char **argv)
{
    msg_t *req = NULL;
    msg_t *reply = NULL;
    uint64_t id;
    uint32_t index;
    int status;

    if ((status = cli_options_json (cli, argc, argv)) >= 0)
        return status;
    /* 42 is the whole array again, 42_7 one plain job of that element */
    if ((status = cli_one_element (argc, argv, optind,
                                   "give one job id, e.g. cphub resubmit 42 or 42_7",
                                   &id, &index)) != 0)
        return status;
    if (!(req = msg_create (MSG_RESUBMIT))) {
        cli_fail ("out of memory");
        return 1;
    }
    req->u.id.id = id;
    req->u.id.index = index;
    status = 1;
    if ((reply = cli_request_job (cli, req, MSG_SUBMIT_OK, id))) {
        if (cli->json)
            status = cli_print_json (reply);
        else
            status = printf ("%" PRIu64 "\n", reply->u.id.id) < 0 ? 1 : 0;
    }
    msg_destroy (reply);
    msg_destroy (req);
    return status;
}
