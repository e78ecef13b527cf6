/* submit-client.c: the load client of bench/submit.
 *
 * N client processes, each with its own CURVE DEALER connection to the
 * scheduler (libcphub's transport and codec, as `cphub submit` uses them),
 * each doing M sequential submits of `true` with a tiny spec and timing each
 * one from send to submit.ok. A few warm-up submits per client go first and
 * are not counted; all clients then start together. It prints one line
 *
 *     RESULT clients=4 submits=8000 seconds=0.81 rate=9852 p50_ms=0.35 p99_ms=1.20
 *
 * for bench/submit to parse, and exits non-zero if any submit failed.
 *
 *     submit-client -e ENDPOINT -s SCHEDULER.pub -k TENANT.key [-c CLIENTS]
 *                   [-n SUBMITS] [-w WARMUP]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cphub/clock.h"
#include "cphub/jobspec.h"
#include "cphub/keys.h"
#include "cphub/msg.h"
#include "cphub/transport.h"

#define REPLY_TIMEOUT_MS 10000

typedef struct bench_args {
    const char *endpoint;
    const char *server_key;
    const char *key;
    int clients;
    int submits;
    int warmup;
} bench_args_t;

/* Shared with the children (MAP_SHARED): each child's window and latencies. */
typedef struct bench_shared {
    double *start; /* clients entries, monotonic seconds */
    double *end;
    double *latency; /* clients x submits, seconds */
} bench_shared_t;

/* One submit and its reply: 0, or -1 with err. */
static int submit_once (tsock_t *s, const msg_t *m, cphub_error_t *err)
{
    msg_t *reply = NULL;
    int rc = 0;

    if (tsock_send (s, NULL, m) < 0)
        return cphub_fail (err, errno, "send: %s", strerror (errno));
    if (tsock_recv_wait (s, REPLY_TIMEOUT_MS, &reply, err) < 0)
        return -1;
    if (reply->type != MSG_SUBMIT_OK)
        rc = cphub_fail (err, EPROTO, "reply %s: %s", msg_type_name (reply->type),
                         reply->type == MSG_ERROR ? reply->u.error.text : "");
    msg_destroy (reply);
    return rc;
}

/* A child: connect, warm up, say ready on ready_fd, wait for go_fd, run. */
static int client_run (
    const bench_args_t *a, int index, bench_shared_t *sh, int ready_fd, int go_fd)
{
    char *argv[] = {"true", NULL};
    char server_pub[KEY_Z85_LEN + 1];
    cphub_keypair_t kp;
    cphub_error_t err = {{0}};
    tctx_t *ctx = NULL;
    tsock_t *s = NULL;
    msg_t *m = NULL;
    char byte = 0;
    int rc = 1;

    if (keys_read_public (a->server_key, server_pub, &err) < 0 ||
        keys_read_pair (a->key, &kp, &err) < 0)
        goto done;
    if (!(ctx = tctx_create ()) ||
        !(s = tsock_client_create (ctx, a->endpoint, server_pub, &kp, &err)) ||
        tsock_client_wait_ready (s, REPLY_TIMEOUT_MS, &err) < 0)
        goto done;
    if (!(m = msg_create (MSG_SUBMIT)) ||
        jobspec_set_argv (&m->u.submit.spec, 1, argv, &err) < 0)
        goto done;
    snprintf (m->u.submit.spec.name, sizeof (m->u.submit.spec.name), "bench");
    for (int i = 0; i < a->warmup; i++)
        if (submit_once (s, m, &err) < 0)
            goto done;
    if (write (ready_fd, &byte, 1) != 1 || read (go_fd, &byte, 1) != 1)
        goto done;
    sh->start[index] = cphub_monotonic ();
    for (int i = 0; i < a->submits; i++) {
        double t0 = cphub_monotonic ();
        if (submit_once (s, m, &err) < 0)
            goto done;
        sh->latency[(size_t)index * (size_t)a->submits + (size_t)i] =
            cphub_monotonic () - t0;
    }
    sh->end[index] = cphub_monotonic ();
    rc = 0;
done:
    if (rc != 0)
        fprintf (stderr, "submit-client %d: %s\n", index,
                 err.text[0] ? err.text : strerror (errno));
    msg_destroy (m);
    tsock_destroy (s);
    tctx_destroy (ctx);
    return rc;
}

static int cmp_double (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int parse_args (int argc, char *argv[], bench_args_t *a)
{
    int c;

    *a = (bench_args_t){.clients = 1, .submits = 2000, .warmup = 50};
    while ((c = getopt (argc, argv, "e:s:k:c:n:w:")) != -1) {
        switch (c) {
        case 'e':
            a->endpoint = optarg;
            break;
        case 's':
            a->server_key = optarg;
            break;
        case 'k':
            a->key = optarg;
            break;
        case 'c':
            a->clients = atoi (optarg);
            break;
        case 'n':
            a->submits = atoi (optarg);
            break;
        case 'w':
            a->warmup = atoi (optarg);
            break;
        default:
            return -1;
        }
    }
    if (!a->endpoint || !a->server_key || !a->key || a->clients < 1 ||
        a->clients > 256 || a->submits < 1 || a->warmup < 0)
        return -1;
    return 0;
}

static void report (const bench_args_t *a, const bench_shared_t *sh)
{
    size_t n = (size_t)a->clients * (size_t)a->submits;
    double first = sh->start[0], last = sh->end[0];

    for (int i = 1; i < a->clients; i++) {
        first = sh->start[i] < first ? sh->start[i] : first;
        last = sh->end[i] > last ? sh->end[i] : last;
    }
    qsort (sh->latency, n, sizeof (double), cmp_double);
    double secs = last - first;
    double p50 = sh->latency[n / 2];
    double p99 = sh->latency[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
    printf (
        "RESULT clients=%d submits=%zu seconds=%.3f rate=%.0f p50_ms=%.3f "
        "p99_ms=%.3f\n",
        a->clients, n, secs, secs > 0 ? (double)n / secs : 0, p50 * 1e3, p99 * 1e3);
}

int main (int argc, char *argv[])
{
    bench_args_t a;
    bench_shared_t sh;
    int ready[2], go[2];
    size_t bytes;
    char *map;
    int failed = 0;
    pid_t *pids;

    if (parse_args (argc, argv, &a) < 0) {
        fprintf (stderr,
                 "Usage: submit-client -e ENDPOINT -s SCHEDULER.pub -k TENANT.key "
                 "[-c CLIENTS] [-n SUBMITS] [-w WARMUP]\n");
        return 2;
    }
    bytes = sizeof (double) * ((size_t)a.clients * (2 + (size_t)a.submits));
    map = mmap (NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED || pipe (ready) < 0 || pipe (go) < 0 ||
        !(pids = calloc ((size_t)a.clients, sizeof (*pids)))) {
        perror ("submit-client");
        return 1;
    }
    sh.start = (double *)map;
    sh.end = sh.start + a.clients;
    sh.latency = sh.end + a.clients;
    for (int i = 0; i < a.clients; i++) {
        if ((pids[i] = fork ()) < 0) {
            perror ("submit-client: fork");
            return 1;
        }
        if (pids[i] == 0) {
            close (ready[0]);
            close (go[1]);
            _exit (client_run (&a, i, &sh, ready[1], go[0]));
        }
    }
    close (ready[1]);
    close (go[0]);
    for (int i = 0; i < a.clients; i++) {
        char byte;
        if (read (ready[0], &byte, 1) != 1) {
            failed = 1; /* a child died before it was ready */
            break;
        }
    }
    if (!failed) {
        char go_bytes[256] = {0};
        if (write (go[1], go_bytes, (size_t)a.clients) != (ssize_t)a.clients)
            failed = 1;
    }
    close (go[1]);
    for (int i = 0; i < a.clients; i++) {
        int status = 0;
        if (waitpid (pids[i], &status, 0) < 0 || !WIFEXITED (status) ||
            WEXITSTATUS (status) != 0)
            failed = 1;
    }
    if (!failed)
        report (&a, &sh);
    free (pids);
    munmap (map, bytes);
    return failed;
}
