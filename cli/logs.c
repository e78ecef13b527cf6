/* logs.c: `cphub logs ID [--stderr]`, a job's output as it is so far.
 *
 * The output stays on the node that ran the job; the scheduler fetches it
 * from that node's agent in chunks of at most MSG_LOGS_CHUNK_MAX bytes. This
 * verb asks for chunk after chunk by byte offset until the agent says there
 * is no more, and writes the bytes unchanged to stdout, so binary output and
 * output without a final newline come out exactly as the job wrote them.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cli_logs (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"stderr", no_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    log_stream_t stream = LOG_STREAM_STDOUT;
    msg_t *req = NULL;
    msg_t *reply = NULL;
    uint64_t id;
    uint64_t offset = 0;
    int status = 2;
    int opt;

    while ((opt = cli_option_next (cli, argc, argv, ":eh", options, &status)) > 0) {
        if (opt == 'e')
            stream = LOG_STREAM_STDERR;
    }
    if (opt < 0)
        return status;
    if ((status = cli_one_job (cli, argc, argv, optind,
                               "give one job id, e.g. cphub logs 42 or 42_7 (add "
                               "--stderr for errors)",
                               &id)) != 0)
        return status;
    status = 1;
    if (!(req = msg_create (MSG_LOGS))) {
        cli_fail ("out of memory");
        goto done;
    }
    req->u.logs_req.id = id;
    req->u.logs_req.stream = stream;
    req->u.logs_req.max = 0; /* as much as one reply may carry */
    for (;;) {
        const msg_logs_data_t *chunk;

        req->u.logs_req.offset = offset;
        if (!(reply = cli_request_job (cli, req, MSG_LOGS_OK, id)))
            goto done;
        chunk = &reply->u.logs_data;
        if (chunk->code != 0) {
            cli_job_fail (
                id, chunk->text[0] != '\0' ? chunk->text : strerror (chunk->code));
            goto done;
        }
        if (chunk->offset != offset) {
            cli_job_fail (id,
                          "the scheduler sent output from another offset; "
                          "try again");
            goto done;
        }
        if (chunk->len > 0 &&
            fwrite (chunk->data, 1, chunk->len, stdout) != chunk->len) {
            cli_fail ("cannot write the output: %s", strerror (errno));
            goto done;
        }
        offset += chunk->len;
        if (chunk->eof || chunk->len == 0)
            break;
        msg_destroy (reply);
        reply = NULL;
    }
    if (fflush (stdout) != 0) {
        cli_fail ("cannot write the output: %s", strerror (errno));
        goto done;
    }
    status = 0;
done:
    msg_destroy (reply);
    msg_destroy (req);
    return status;
}
