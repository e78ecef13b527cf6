/* impostor.c: an authenticated peer that oversteps, for t_tenants.sh. It
 * speaks the real protocol through libcphub (codec and transport) with a
 * key the scheduler knows, and checks that the scheduler refuses what that
 * key may not do. One line per check, "ok CHECK: ..." or "FAIL CHECK: ...";
 * exit 0 when every check held, 1 otherwise, 2 on a usage error.
 *
 * agent mode (the agent endpoint, with node1's key, --node node2 --job ID of
 * a job running on node2): a submit is dropped (no answer; the test then
 * checks that no job was made); registering as node2 is refused (EPERM);
 * job.started for node2's job is answered with a job.kill of it sent to the
 * impostor itself (node1), never to node2; job.exit for it is acknowledged
 * and ignored; logs.data for a request nobody made is dropped. The test
 * then checks that node2's job still runs.
 *
 * revoke mode (the client endpoint, with a tenant key): a first request on
 * the connection is served; the impostor then creates FLAG.ready and waits
 * (polling, with a deadline) until FLAG exists, which the test creates after
 * `cphub key revoke`; a second request on the same connection must then be
 * refused with EACCES and "revoked".
 *
 * node mode (the agent endpoint, with a stolen node key, for
 * t_hostile_sched.sh): it registers as that key's node (--node N), listing
 * --claim ID, a job of another node, among the jobs it holds, and checks the
 * answer is register.ok with a hub id; then it creates FLAG.ready,
 * heartbeats, and answers each job.run the scheduler sends it: with
 * --forge-exit, job.started at time 1 and a job.exit claiming the run went
 * from 1 to 1e12 (a bill of millions of core-hours); with --fail-starts K,
 * a job.exit start_failed "cannot create the job directory ...: No space
 * left on device" (a node-side failure), K times. It ends once those exits
 * are acknowledged (or fails after NODE_WAIT_S). The test checks what the
 * scheduler made of them.
 *
 * replay mode (the agent endpoint, with the key of the node job ID runs on,
 * for t_hold.sh): it sends the job.exit an agent would send again for run
 * --run R of that job (exited 0, ended now), as one whose ack was lost, and
 * checks that it is acknowledged (R 0: an exit without a run number, as an
 * agent upgraded while the job ran sends). The test checks what became of
 * the job's current run.
 *
 * usage: impostor agent --endpoint E --server-key PUB --key KEY --node N --job ID
 *        impostor revoke --endpoint E --server-key PUB --key KEY --flag FILE
 *        impostor node --endpoint E --server-key PUB --key KEY --node N
 *                 --flag FILE [--claim ID] (--forge-exit | --fail-starts K)
 *        impostor replay --endpoint E --server-key PUB --key KEY --job ID --run R
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cphub/keys.h"
#include "cphub/msg.h"
#include "cphub/parse.h"
#include "cphub/transport.h"

#define ANSWER_MS 5000  /* an answer the scheduler owes comes within this */
#define SILENCE_MS 1500 /* no answer within this counts as dropped */
#define FLAG_WAIT_S 60
#define NODE_WAIT_S 90        /* node mode: the scheduler's job.runs come within */
#define HEARTBEAT_S 1.0       /* node mode: as an agent does */
#define FORGED_END 1e12       /* node mode: the end a forged exit claims */
#define HUB_ID_HEX_DIGITS 32U /* what a scheduler's hub id has */

typedef struct impostor {
    tctx_t *ctx;
    tsock_t *sock;
    const char *node;
    uint64_t job;
    const char *flag;
    int failures;
    uint64_t claim;     /* node mode: another node's job it says it holds */
    bool forge_exit;    /* node mode: answer job.run with a stretched run */
    uint32_t fail_runs; /* node mode: answer this many job.runs with failures */
    uint32_t run;       /* replay mode: the run whose exit is sent again */
} impostor_t;

static void check (impostor_t *im, bool ok, const char *name, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static void check (impostor_t *im, bool ok, const char *name, const char *fmt, ...)
{
    va_list ap;

    printf ("%s %s: ", ok ? "ok" : "FAIL", name);
    va_start (ap, fmt);
    vprintf (fmt, ap);
    va_end (ap);
    printf ("\n");
    fflush (stdout);
    if (!ok)
        im->failures++;
}

/* Send m (destroyed) and wait up to ms for one reply; NULL when none came. */
static msg_t *exchange (impostor_t *im, msg_t *m, int ms)
{
    cphub_error_t err = {{0}};
    msg_t *reply = NULL;
    int rc;

    if (!m || tsock_send (im->sock, NULL, m) < 0) {
        fprintf (stderr, "impostor: cannot send: %s\n", strerror (errno));
        msg_destroy (m);
        return NULL;
    }
    msg_destroy (m);
    rc = tsock_recv_wait (im->sock, ms, &reply, &err);
    return rc == 0 ? reply : NULL;
}

static const char *type_of (const msg_t *m)
{
    const char *name = m ? msg_type_name (m->type) : NULL;
    return name ? name : "nothing";
}

/* A small, valid description of a node called name. */
static int fake_node (node_desc_t *d, const char *name)
{
    node_desc_init (d);
    snprintf (d->name, sizeof (d->name), "%s", name);
    d->npackages = 1;
    d->nnuma = 1;
    d->ncores = 1;
    if (!(d->numa_mem = calloc (1, sizeof (uint64_t))) ||
        !(d->cores = calloc (1, sizeof (node_core_t))))
        return -1;
    d->numa_mem[0] = (uint64_t)1 << 30;
    d->mem = d->numa_mem[0];
    snprintf (d->cores[0].pus, sizeof (d->cores[0].pus), "0");
    snprintf (d->topology, sizeof (d->topology), "synthetic:impostor");
    return 0;
}

static void agent_checks (impostor_t *im)
{
    msg_t *m, *reply;

    /* an agent key may not submit: dropped, no job made */
    if ((m = msg_create (MSG_SUBMIT))) {
        char *const command[] = {"true", NULL};
        cphub_error_t err = {{0}};
        if (jobspec_set_argv (&m->u.submit.spec, 1, command, &err) < 0) {
            msg_destroy (m);
            m = NULL;
        }
    }
    reply = exchange (im, m, SILENCE_MS);
    check (im, !reply || reply->type == MSG_ERROR, "submit",
           "an agent key's submit got %s", type_of (reply));
    msg_destroy (reply);

    /* registering as another node */
    if ((m = msg_create (MSG_REGISTER)) && fake_node (&m->u.node, im->node) < 0) {
        msg_destroy (m);
        m = NULL;
    }
    reply = exchange (im, m, ANSWER_MS);
    check (im,
           reply && reply->type == MSG_ERROR && reply->u.error.code == EPERM &&
               strstr (reply->u.error.text, im->node),
           "register", "registering as %s got %s: %s", im->node, type_of (reply),
           reply && reply->type == MSG_ERROR ? reply->u.error.text : "");
    msg_destroy (reply);

    /* job.started for the other node's job: killed here, not there */
    if ((m = msg_create (MSG_JOB_STARTED))) {
        m->u.started.id = im->job;
        m->u.started.pid = 1;
        m->u.started.time = clock_now ();
    }
    reply = exchange (im, m, ANSWER_MS);
    check (im, reply && reply->type == MSG_JOB_KILL && reply->u.kill.id == im->job,
           "job.started",
           "starting %s's job %" PRIu64 " got %s (a kill of it sent to this node)",
           im->node, im->job, type_of (reply));
    msg_destroy (reply);

    /* job.exit for the other node's job: acknowledged, ignored */
    if ((m = msg_create (MSG_JOB_EXIT))) {
        m->u.exit.id = im->job;
        m->u.exit.kind = EXIT_EXITED;
        m->u.exit.exit_code = 0;
        m->u.exit.start_time = clock_now () - 1;
        m->u.exit.end_time = clock_now ();
    }
    reply = exchange (im, m, ANSWER_MS);
    check (im,
           reply && reply->type == MSG_JOB_EXIT_ACK && reply->u.ids.count == 1 &&
               reply->u.ids.ids[0] == im->job,
           "job.exit", "ending %s's job %" PRIu64 " got %s (acknowledged, ignored)",
           im->node, im->job, type_of (reply));
    msg_destroy (reply);

    /* logs.data nobody asked for */
    if ((m = msg_create (MSG_LOGS_DATA))) {
        m->u.logs_data.tag = 987654321;
        m->u.logs_data.id = im->job;
        m->u.logs_data.eof = true;
    }
    reply = exchange (im, m, SILENCE_MS);
    check (im, !reply, "logs.data", "unasked output got %s", type_of (reply));
    msg_destroy (reply);
}

/* The exit report of an earlier run, sent again: acknowledged. */
static void replay_checks (impostor_t *im)
{
    msg_t *m, *reply;

    if ((m = msg_create (MSG_JOB_EXIT))) {
        m->u.exit.id = im->job;
        m->u.exit.kind = EXIT_EXITED;
        m->u.exit.exit_code = 0;
        m->u.exit.start_time = clock_now () - 1;
        m->u.exit.end_time = clock_now ();
        m->u.exit.run = im->run;
    }
    reply = exchange (im, m, ANSWER_MS);
    check (im,
           reply && reply->type == MSG_JOB_EXIT_ACK && reply->u.ids.count == 1 &&
               reply->u.ids.ids[0] == im->job,
           "job.exit", "the exit of run %" PRIu32 " of job %" PRIu64 " again got %s",
           im->run, im->job, type_of (reply));
    msg_destroy (reply);
}

static int send_msg (impostor_t *im, msg_t *m)
{
    int rc = m ? tsock_send (im->sock, NULL, m) : -1;

    msg_destroy (m);
    return rc;
}

/* Answer one job.run (of job id, its run number run, which an agent
 * echoes) as the mode says. */
static void node_answer_run (impostor_t *im,
                             uint64_t id,
                             uint32_t run,
                             uint32_t *answered)
{
    msg_t *m;

    if (im->forge_exit) {
        if ((m = msg_create (MSG_JOB_STARTED))) {
            m->u.started.id = id;
            m->u.started.pid = 1;
            m->u.started.time = 1;
            m->u.started.run = run;
        }
        send_msg (im, m);
    }
    if ((m = msg_create (MSG_JOB_EXIT))) {
        m->u.exit.id = id;
        m->u.exit.run = run;
        if (im->forge_exit) {
            m->u.exit.kind = EXIT_EXITED;
            m->u.exit.start_time = 1;
            m->u.exit.end_time = FORGED_END;
            m->u.exit.cpu_time = 1;
        } else {
            m->u.exit.kind = EXIT_START_FAILED;
            m->u.exit.exit_code = 127;
            m->u.exit.start_time = m->u.exit.end_time = clock_now ();
            snprintf (m->u.exit.text, sizeof (m->u.exit.text),
                      "cannot create the job directory '/state/jobs/%" PRIu64
                      "': No space left on device",
                      id);
        }
    }
    check (im, send_msg (im, m) == 0, "job.run", "job %" PRIu64 " answered with %s", id,
           im->forge_exit ? "an exit from 1 to 1e12" : "a failed start");
    (*answered)++;
}

static void node_checks (impostor_t *im)
{
    uint32_t want = im->forge_exit ? 1 : im->fail_runs, answered = 0, acked = 0;
    double deadline = clock_now () + NODE_WAIT_S, next_hb = 0;
    char ready[4096];
    msg_t *m, *reply;
    FILE *f;

    if ((m = msg_create (MSG_REGISTER)) && fake_node (&m->u.node, im->node) < 0) {
        msg_destroy (m);
        m = NULL;
    }
    if (m && im->claim && (m->u.node.jobs = malloc (sizeof (uint64_t)))) {
        m->u.node.jobs[0] = im->claim;
        m->u.node.njobs = 1;
    }
    reply = exchange (im, m, ANSWER_MS);
    check (im,
           reply && reply->type == MSG_REGISTER_OK &&
               strlen (reply->u.register_ok.hub_id) == HUB_ID_HEX_DIGITS &&
               strspn (reply->u.register_ok.hub_id, "0123456789abcdef") ==
                   HUB_ID_HEX_DIGITS,
           "register", "registering as %s (claiming job %" PRIu64 ") got %s, hub %s",
           im->node, im->claim, type_of (reply),
           reply && reply->type == MSG_REGISTER_OK ? reply->u.register_ok.hub_id : "-");
    msg_destroy (reply);
    snprintf (ready, sizeof (ready), "%s.ready", im->flag);
    if (!(f = fopen (ready, "w"))) {
        check (im, false, "ready", "cannot create %s: %s", ready, strerror (errno));
        return;
    }
    fclose (f);
    while (acked < want) {
        cphub_error_t err = {{0}};
        double now = clock_now ();
        if (now > deadline) {
            check (im, false, "runs",
                   "%u of %u job.runs answered and %u acknowledged in %d s", answered,
                   want, acked, NODE_WAIT_S);
            return;
        }
        if (now >= next_hb) {
            if ((m = msg_create (MSG_HEARTBEAT)))
                m->u.heartbeat.running = 0;
            send_msg (im, m);
            next_hb = now + HEARTBEAT_S;
        }
        if (tsock_recv_wait (im->sock, 200, &reply, &err) < 0)
            continue;
        if (reply->type == MSG_JOB_RUN && answered < want)
            node_answer_run (im, reply->u.run.id, reply->u.run.run, &answered);
        else if (reply->type == MSG_JOB_EXIT_ACK)
            acked += reply->u.ids.count;
        else if (reply->type == MSG_JOB_KILL && reply->u.kill.id == im->claim)
            check (im, true, "claim", "the claimed job %" PRIu64 " is killed here",
                   im->claim);
        msg_destroy (reply);
    }
    check (im, true, "runs", "%u job.runs answered, their exits acknowledged", want);
}

static void revoke_checks (impostor_t *im)
{
    char ready[4096];
    msg_t *reply;
    FILE *f;

    reply = exchange (im, msg_create (MSG_JOBS), ANSWER_MS);
    check (im, reply && reply->type == MSG_JOBS_OK, "before",
           "a request before the revocation got %s", type_of (reply));
    msg_destroy (reply);
    snprintf (ready, sizeof (ready), "%s.ready", im->flag);
    if (!(f = fopen (ready, "w"))) {
        check (im, false, "ready", "cannot create %s: %s", ready, strerror (errno));
        return;
    }
    fclose (f);
    double deadline = clock_now () + FLAG_WAIT_S;
    while (access (im->flag, F_OK) < 0) {
        if (clock_now () > deadline) {
            check (im, false, "flag", "%s did not appear within %d s", im->flag,
                   FLAG_WAIT_S);
            return;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep (&ts, NULL);
    }
    reply = exchange (im, msg_create (MSG_JOBS), ANSWER_MS);
    check (im,
           reply && reply->type == MSG_ERROR && reply->u.error.code == EACCES &&
               strstr (reply->u.error.text, "revoked"),
           "after", "the same connection after the revocation got %s: %s",
           type_of (reply),
           reply && reply->type == MSG_ERROR ? reply->u.error.text : "");
    msg_destroy (reply);
}

static void usage (FILE *out)
{
    fprintf (out,
             "usage: impostor agent --endpoint E --server-key PUB --key KEY --node N "
             "--job ID\n"
             "       impostor revoke --endpoint E --server-key PUB --key KEY --flag "
             "FILE\n"
             "       impostor node --endpoint E --server-key PUB --key KEY --node N "
             "--flag FILE [--claim ID] (--forge-exit | --fail-starts K)\n"
             "       impostor replay --endpoint E --server-key PUB --key KEY --job ID "
             "--run R\n");
}

int main (int argc, char *argv[])
{
    static const struct option options[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"server-key", required_argument, NULL, 's'},
        {"key", required_argument, NULL, 'k'},
        {"node", required_argument, NULL, 'n'},
        {"job", required_argument, NULL, 'j'},
        {"flag", required_argument, NULL, 'f'},
        {"claim", required_argument, NULL, 'C'},
        {"forge-exit", no_argument, NULL, 'F'},
        {"fail-starts", required_argument, NULL, 'S'},
        {"run", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *endpoint = NULL, *server_key = NULL, *key = NULL;
    char server_public[KEY_Z85_LEN + 1];
    cphub_keypair_t kp;
    cphub_error_t err = {{0}};
    impostor_t im = {0};
    bool agent, node, replay, run_given = false;
    int opt, rc = 1;

    if (argc < 2 ||
        (strcmp (argv[1], "agent") != 0 && strcmp (argv[1], "revoke") != 0 &&
         strcmp (argv[1], "node") != 0 && strcmp (argv[1], "replay") != 0)) {
        usage (stderr);
        return 2;
    }
    agent = strcmp (argv[1], "agent") == 0;
    node = strcmp (argv[1], "node") == 0;
    replay = strcmp (argv[1], "replay") == 0;
    optind = 2;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'e':
            endpoint = optarg;
            break;
        case 's':
            server_key = optarg;
            break;
        case 'k':
            key = optarg;
            break;
        case 'n':
            im.node = optarg;
            break;
        case 'j':
            im.job = strtoull (optarg, NULL, 10);
            break;
        case 'f':
            im.flag = optarg;
            break;
        case 'C':
            im.claim = strtoull (optarg, NULL, 10);
            break;
        case 'F':
            im.forge_exit = true;
            break;
        case 'S':
            im.fail_runs = (uint32_t)strtoul (optarg, NULL, 10);
            break;
        case 'r':
            im.run = (uint32_t)strtoul (optarg, NULL, 10);
            run_given = true;
            break;
        case 'h':
            usage (stdout);
            return 0;
        default:
            usage (stderr);
            return 2;
        }
    }
    if (!endpoint || !server_key || !key || (agent && (!im.node || im.job == 0)) ||
        (replay && (im.job == 0 || !run_given)) || (!agent && !replay && !im.flag) ||
        (node && (!im.node || im.forge_exit == (im.fail_runs > 0)))) {
        usage (stderr);
        return 2;
    }
    if (keys_read_public (server_key, server_public, &err) < 0 ||
        keys_read_pair (key, &kp, &err) < 0) {
        fprintf (stderr, "impostor: %s\n", err.text);
        return 2;
    }
    if (!(im.ctx = tctx_create ()) ||
        !(im.sock = tsock_client_create (im.ctx, endpoint, server_public, &kp, &err)) ||
        tsock_client_wait_ready (im.sock, ANSWER_MS, &err) < 0) {
        fprintf (stderr, "impostor: %s\n",
                 err.text[0] ? err.text : "cannot start ZeroMQ");
        goto done;
    }
    if (agent)
        agent_checks (&im);
    else if (replay)
        replay_checks (&im);
    else if (node)
        node_checks (&im);
    else
        revoke_checks (&im);
    rc = im.failures == 0 ? 0 : 1;
done:
    tsock_destroy (im.sock);
    tctx_destroy (im.ctx);
    return rc;
}
