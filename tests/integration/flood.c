/* flood.c: a tenant that tries to deny service to the others, for
 * t_hostile_dos.sh. It speaks the real protocol (msg.c's codec) over CURVE
 * with a key the scheduler accepts, and holds what it opened until it is
 * killed (or --for seconds pass), so that the test can measure the other
 * tenant's service and the scheduler's memory meanwhile. Attacks:
 *   idle N         open N connections and never send anything;
 *   waits N K ID   on each of N connections, park K waits on job ID; print
 *                  "parked P refused R" once the replies came in;
 *   logs K ID      on one connection, ask K times (one each LOGS_PACE_US)
 *                  for job ID's output and never read a reply;
 *   answers K A B  on one connection, send K waits at once, each naming the
 *                  (ended) jobs A..B, read every reply and print
 *                  "answered P refused R" (R: error replies).
 * Prints "ready" (after the attack is in place) on stdout, then holds.
 *
 * usage: flood --endpoint E --server-key PUBFILE --key KEYFILE [--for S]
 *              ATTACK ARGS...
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cphub/keys.h"
#include "cphub/msg.h"

#define REPLY_WAIT_MS 3000
#define SOCKETS_SLACK 64
#define LOGS_PACE_US 10000

typedef struct flood {
    void *zctx;
    const char *endpoint;
    char server_key[KEY_Z85_LEN + 1];
    cphub_keypair_t kp;
} flood_t;

static int64_t mono_ms (void)
{
    struct timespec ts;

    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *open_socket (flood_t *f, int rcvhwm)
{
    void *s = zmq_socket (f->zctx, ZMQ_DEALER);
    int linger = 0;

    if (!s || zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof (linger)) < 0 ||
        zmq_setsockopt (s, ZMQ_RCVHWM, &rcvhwm, sizeof (rcvhwm)) < 0 ||
        zmq_setsockopt (s, ZMQ_CURVE_SERVERKEY, f->server_key, KEY_Z85_LEN + 1) < 0 ||
        zmq_setsockopt (s, ZMQ_CURVE_PUBLICKEY, f->kp.public_z85, KEY_Z85_LEN + 1) <
            0 ||
        zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, f->kp.secret_z85, KEY_Z85_LEN + 1) <
            0 ||
        zmq_connect (s, f->endpoint) < 0) {
        fprintf (stderr, "flood: cannot open a socket: %s\n", zmq_strerror (errno));
        if (s)
            zmq_close (s);
        return NULL;
    }
    return s;
}

static int send_msg (void *s, msg_t *m)
{
    const char *type = msg_type_name (m->type);
    char *body = NULL;
    size_t len;
    int rc = -1;

    if (msg_encode (m, &body, &len) == 0 &&
        zmq_send (s, type, strlen (type), ZMQ_SNDMORE) >= 0 &&
        zmq_send (s, body, len, 0) >= 0)
        rc = 0;
    free (body);
    msg_destroy (m);
    return rc;
}

/* Receive one reply within the deadline (past it: one already there): 1
 * error, 0 another reply, -1 none. */
static int recv_reply (void *s, int64_t deadline)
{
    zmq_pollitem_t item = {.socket = s, .events = ZMQ_POLLIN};
    char type[64];
    int n, more = 0;
    size_t more_len = sizeof (more);
    long left = (long)(deadline - mono_ms ());

    if (zmq_poll (&item, 1, left > 0 ? left : 0) <= 0)
        return -1;
    n = zmq_recv (s, type, sizeof (type) - 1, 0);
    if (n < 0)
        return -1;
    type[n < (int)sizeof (type) ? n : (int)sizeof (type) - 1] = '\0';
    zmq_getsockopt (s, ZMQ_RCVMORE, &more, &more_len);
    while (more) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        zmq_msg_recv (&frame, s, 0);
        more = zmq_msg_more (&frame);
        zmq_msg_close (&frame);
    }
    return strcmp (type, "error") == 0 ? 1 : 0;
}

static void hold (int seconds)
{
    printf ("ready\n");
    fflush (stdout);
    for (int64_t end = mono_ms () + (int64_t)seconds * 1000; mono_ms () < end;)
        usleep (100 * 1000);
}

static int attack_idle (flood_t *f, int n, void **socks)
{
    for (int i = 0; i < n; i++)
        if (!(socks[i] = open_socket (f, 1000)))
            return -1;
    return 0;
}

static int attack_waits (flood_t *f, int n, int k, uint64_t id, void **socks)
{
    int parked = 0, refused = 0;
    int64_t deadline;

    for (int i = 0; i < n; i++) {
        if (!(socks[i] = open_socket (f, 1000)))
            return -1;
        for (int j = 0; j < k; j++) {
            msg_t *m = msg_create (MSG_WAIT);
            if (!m || !(m->u.ids.ids = malloc (sizeof (uint64_t)))) {
                msg_destroy (m);
                return -1;
            }
            m->u.ids.ids[0] = id;
            m->u.ids.count = 1;
            if (send_msg (socks[i], m) < 0)
                return -1;
        }
    }
    deadline = mono_ms () + REPLY_WAIT_MS;
    for (int i = 0; i < n; i++) {
        int rc;
        while ((rc = recv_reply (socks[i], deadline)) >= 0)
            refused += rc;
    }
    parked = n * k - refused;
    printf ("parked %d refused %d\n", parked, refused);
    return 0;
}

static int attack_answers (flood_t *f, int k, uint64_t a, uint64_t b, void **socks)
{
    uint32_t count = b >= a ? (uint32_t)(b - a + 1) : 0;
    int answered = 0, refused = 0, rc;
    int64_t deadline;

    if (count == 0 || !(socks[0] = open_socket (f, 100000)))
        return -1;
    for (int j = 0; j < k; j++) {
        msg_t *m = msg_create (MSG_WAIT);
        if (!m || !(m->u.ids.ids = malloc (count * sizeof (uint64_t)))) {
            msg_destroy (m);
            return -1;
        }
        for (uint32_t i = 0; i < count; i++)
            m->u.ids.ids[i] = a + i;
        m->u.ids.count = count;
        if (send_msg (socks[0], m) < 0)
            return -1;
    }
    deadline = mono_ms () + REPLY_WAIT_MS;
    while ((rc = recv_reply (socks[0], deadline)) >= 0) {
        refused += rc;
        answered += rc == 0;
    }
    printf ("answered %d refused %d\n", answered, refused);
    return 0;
}

static int attack_logs (flood_t *f, int k, uint64_t id, void **socks)
{
    if (!(socks[0] = open_socket (f, 1)))
        return -1;
    for (int j = 0; j < k; j++) {
        msg_t *m = msg_create (MSG_LOGS);
        if (!m)
            return -1;
        usleep (LOGS_PACE_US); /* a few at a time get past the limit */
        m->u.logs_req.id = id;
        if (send_msg (socks[0], m) < 0)
            return -1;
    }
    return 0;
}

int main (int argc, char *argv[])
{
    static const struct option opts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"server-key", required_argument, NULL, 's'},
        {"key", required_argument, NULL, 'k'},
        {"for", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    flood_t f = {0};
    const char *server_key = NULL, *key = NULL, *attack;
    cphub_error_t err = {.text = ""};
    int opt, seconds = 60, n = 0, rc = 1;
    void **socks = NULL;
    struct rlimit rl;

    while ((opt = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'e':
            f.endpoint = optarg;
            break;
        case 's':
            server_key = optarg;
            break;
        case 'k':
            key = optarg;
            break;
        case 'f':
            seconds = atoi (optarg);
            break;
        default:
            return 2;
        }
    }
    if (!f.endpoint || !server_key || !key || optind + 2 > argc) {
        fprintf (stderr,
                 "usage: flood --endpoint E --server-key PUB --key KEY "
                 "[--for S] idle N | waits N K ID | logs K ID | answers K A B\n");
        return 2;
    }
    attack = argv[optind];
    n = atoi (argv[optind + 1]);
    if (keys_read_public (server_key, f.server_key, &err) < 0 ||
        keys_read_pair (key, &f.kp, &err) < 0) {
        fprintf (stderr, "flood: %s\n", err.text);
        return 2;
    }
    if (getrlimit (RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit (RLIMIT_NOFILE, &rl);
    }
    if (n < 1 || !(socks = calloc ((size_t)n, sizeof (*socks))) ||
        !(f.zctx = zmq_ctx_new ()) ||
        zmq_ctx_set (f.zctx, ZMQ_MAX_SOCKETS, n + SOCKETS_SLACK) < 0) {
        fprintf (stderr, "flood: cannot start: %s\n", strerror (errno));
        goto out;
    }
    if (strcmp (attack, "idle") == 0)
        rc = attack_idle (&f, n, socks);
    else if (strcmp (attack, "waits") == 0 && optind + 4 <= argc)
        rc = attack_waits (&f, n, atoi (argv[optind + 2]),
                           strtoull (argv[optind + 3], NULL, 10), socks);
    else if (strcmp (attack, "answers") == 0 && optind + 4 <= argc)
        rc = attack_answers (&f, n, strtoull (argv[optind + 2], NULL, 10),
                             strtoull (argv[optind + 3], NULL, 10), socks);
    else if (strcmp (attack, "logs") == 0 && optind + 3 <= argc)
        rc = attack_logs (&f, n, strtoull (argv[optind + 2], NULL, 10), socks);
    else
        fprintf (stderr, "flood: unknown attack '%s'\n", attack);
    if (rc == 0)
        hold (seconds);
out:
    for (int i = 0; socks && i < n; i++)
        if (socks[i])
            zmq_close (socks[i]);
    free (socks);
    if (f.zctx)
        zmq_ctx_term (f.zctx);
    return rc == 0 ? 0 : 1;
}
