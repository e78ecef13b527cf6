/* hostile.c: a misbehaving but authenticated peer, for t_hostile.sh. It
 * connects to a scheduler endpoint with CURVE, using a key that the
 * scheduler's config accepts, and sends one broken message per case, each on
 * a fresh DEALER socket: random bytes in one and in two frames, truncated
 * JSON, an unknown type, a wrong protocol version, a JSON array body, too many
 * frames, and a frame larger than the sockets' ZMQ_MAXMSGSIZE (which ZeroMQ
 * answers by dropping the connection). In client mode every case but the
 * oversized one must be answered with an `error` message within 5 s, and a
 * valid request afterwards must still be served; in agent mode silence is as
 * good as an error (the agent protocol may drop bad input). One line per case,
 * "ok CASE: ..." or "FAIL CASE: ..."; exit 0 when every case went as expected.
 *
 * usage: hostile --endpoint E --server-key PUBFILE --key KEYFILE
 *                --mode client|agent [--seed N]
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "cphub/keys.h"
#include "cphub/msg.h"

#define CLIENT_WAIT_MS 5000
#define AGENT_WAIT_MS 1000
#define HANDSHAKE_WAIT_MS 5000
#define FRAMES_MAX 3

typedef struct hostile {
    void *zctx;
    const char *endpoint;
    char server_key[KEY_Z85_LEN + 1];
    cphub_keypair_t kp;
    bool client_mode;
    uint64_t rng;
    int monitors; /* a counter to name each socket's monitor endpoint */
    bool give_up; /* no handshake (refused key, no server): no case can run */
} hostile_t;

/* The frames of one case; buf[i] is malloc'd. */
typedef struct frames {
    int count;
    char *buf[FRAMES_MAX];
    size_t len[FRAMES_MAX];
} frames_t;

typedef enum {
    EXPECT_ERROR = 0, /* client: an error reply */
    EXPECT_DROP,      /* client: the connection is dropped (or an error) */
    EXPECT_SERVED,    /* client: a normal reply to a valid request */
} expect_t;

typedef struct hcase {
    const char *name;
    int (*build) (hostile_t *h, frames_t *f);
    expect_t expect;
    bool client_only;
} hcase_t;

static uint64_t rng_next (hostile_t *h)
{
    h->rng ^= h->rng << 13;
    h->rng ^= h->rng >> 7;
    h->rng ^= h->rng << 17;
    return h->rng;
}

static int frame_add (frames_t *f, const void *data, size_t len)
{
    char *copy = malloc (len ? len : 1);

    if (!copy || f->count == FRAMES_MAX) {
        free (copy);
        return -1;
    }
    if (len)
        memcpy (copy, data, len);
    f->buf[f->count] = copy;
    f->len[f->count++] = len;
    return 0;
}

static int frame_add_str (frames_t *f, const char *s)
{
    return frame_add (f, s, strlen (s));
}

static int frame_add_random (hostile_t *h, frames_t *f, size_t len)
{
    char *buf = malloc (len);
    int rc;

    if (!buf)
        return -1;
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)(rng_next (h) >> 24);
    rc = frame_add (f, buf, len);
    free (buf);
    return rc;
}

static void frames_clear (frames_t *f)
{
    for (int i = 0; i < f->count; i++)
        free (f->buf[i]);
    memset (f, 0, sizeof (*f));
}

/* A valid request for the endpoint: jobs (client) or heartbeat (agent). */
static msg_t *valid_msg (hostile_t *h)
{
    return msg_create (h->client_mode ? MSG_JOBS : MSG_HEARTBEAT);
}

/* [type][body] of a valid message, the body cut to cut bytes (0: whole). */
static int frame_add_valid (hostile_t *h, frames_t *f, size_t cut)
{
    msg_t *m = valid_msg (h);
    char *body = NULL;
    size_t len;
    int rc = -1;

    if (m && msg_encode (m, &body, &len) == 0) {
        if (cut && cut < len)
            len = cut;
        rc = frame_add_str (f, msg_type_name (m->type)) < 0 ? -1
                                                            : frame_add (f, body, len);
    }
    free (body);
    msg_destroy (m);
    return rc;
}

static int build_random_1 (hostile_t *h, frames_t *f)
{
    return frame_add_random (h, f, 64);
}

static int build_random_2 (hostile_t *h, frames_t *f)
{
    return frame_add_random (h, f, 12) < 0 ? -1 : frame_add_random (h, f, 200);
}

static int build_truncated (hostile_t *h, frames_t *f)
{
    return frame_add_valid (h, f, 9);
}

static int build_unknown_type (hostile_t *h, frames_t *f)
{
    (void)h;
    return frame_add_str (f, "no.such.type") < 0 ? -1 : frame_add_str (f, "{\"v\":1}");
}

static int build_wrong_version (hostile_t *h, frames_t *f)
{
    char *p;

    if (frame_add_valid (h, f, 0) < 0)
        return -1;
    /* the codec writes the version first: {"v":1,... */
    if (f->len[1] < 7 || !(p = memchr (f->buf[1], '1', 7)))
        return -1;
    *p = '2';
    return 0;
}

static int build_json_array (hostile_t *h, frames_t *f)
{
    const char *type = h->client_mode ? "jobs" : "heartbeat";
    return frame_add_str (f, type) < 0 ? -1 : frame_add_str (f, "[{\"v\":1},2,3]");
}

static int build_too_many (hostile_t *h, frames_t *f)
{
    return frame_add_valid (h, f, 0) < 0 ? -1 : frame_add_str (f, "one frame too many");
}

static int build_oversized (hostile_t *h, frames_t *f)
{
    size_t len = MSG_MAX_BYTES + 4096 + 4096;
    char *body = malloc (len);
    int rc;

    (void)h;
    if (!body)
        return -1;
    memset (body, 'x', len);
    rc = frame_add_str (f, h->client_mode ? "jobs" : "heartbeat") < 0
             ? -1
             : frame_add (f, body, len);
    free (body);
    return rc;
}

static int build_valid (hostile_t *h, frames_t *f)
{
    return frame_add_valid (h, f, 0);
}

static const hcase_t cases[] = {
    {.name = "random-1-frame", .build = build_random_1, .expect = EXPECT_ERROR},
    {.name = "random-2-frames", .build = build_random_2, .expect = EXPECT_ERROR},
    {.name = "truncated-json", .build = build_truncated, .expect = EXPECT_ERROR},
    {.name = "unknown-type", .build = build_unknown_type, .expect = EXPECT_ERROR},
    {.name = "wrong-version", .build = build_wrong_version, .expect = EXPECT_ERROR},
    {.name = "json-array", .build = build_json_array, .expect = EXPECT_ERROR},
    {.name = "too-many-frames", .build = build_too_many, .expect = EXPECT_ERROR},
    {.name = "oversized", .build = build_oversized, .expect = EXPECT_DROP},
    {.name = "still-serving",
     .build = build_valid,
     .expect = EXPECT_SERVED,
     .client_only = true},
};

static int64_t mono_ms (void)
{
    struct timespec ts;

    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *errno_name (int code)
{
    static const struct {
        int code;
        const char *name;
    } names[] = {
        {.code = EPROTO, .name = "EPROTO"}, {.code = ENOENT, .name = "ENOENT"},
        {.code = E2BIG, .name = "E2BIG"},   {.code = EINVAL, .name = "EINVAL"},
        {.code = EPERM, .name = "EPERM"},   {.code = EACCES, .name = "EACCES"},
    };
    for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++)
        if (names[i].code == code)
            return names[i].name;
    return "?";
}

/* Next monitor event within the deadline: 1 and *event, 0 on timeout. */
static int monitor_next (void *mon, int64_t deadline, uint16_t *event)
{
    zmq_msg_t frame;
    zmq_pollitem_t item = {.socket = mon, .events = ZMQ_POLLIN};
    int64_t left;

    while ((left = deadline - mono_ms ()) > 0) {
        if (zmq_poll (&item, 1, (long)left) <= 0)
            continue;
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, mon, 0) < 0 || zmq_msg_size (&frame) < 6) {
            zmq_msg_close (&frame);
            return 0;
        }
        memcpy (event, zmq_msg_data (&frame), sizeof (*event));
        while (zmq_msg_more (&frame))
            zmq_msg_recv (&frame, mon, 0);
        zmq_msg_close (&frame);
        return 1;
    }
    return 0;
}

/* A CURVE DEALER connected to the endpoint after a finished handshake, with
 * its monitor in *mon; NULL with why on failure. */
static void *open_socket (hostile_t *h, void **mon, char *why, size_t why_len)
{
    void *s = zmq_socket (h->zctx, ZMQ_DEALER);
    char addr[64];
    int linger = 2000, timeout = 5000;
    uint16_t event = 0;
    int64_t deadline;

    *mon = NULL;
    snprintf (addr, sizeof (addr), "inproc://hostile-monitor-%d", h->monitors++);
    if (!s || zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof (linger)) < 0 ||
        zmq_setsockopt (s, ZMQ_SNDTIMEO, &timeout, sizeof (timeout)) < 0 ||
        zmq_setsockopt (s, ZMQ_CURVE_SERVERKEY, h->server_key, KEY_Z85_LEN + 1) < 0 ||
        zmq_setsockopt (s, ZMQ_CURVE_PUBLICKEY, h->kp.public_z85, KEY_Z85_LEN + 1) <
            0 ||
        zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, h->kp.secret_z85, KEY_Z85_LEN + 1) <
            0 ||
        zmq_socket_monitor (
            s, addr,
            ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_DISCONNECTED) < 0 ||
        !(*mon = zmq_socket (h->zctx, ZMQ_PAIR)) || zmq_connect (*mon, addr) < 0 ||
        zmq_connect (s, h->endpoint) < 0) {
        snprintf (why, why_len, "cannot set up a socket: %s", zmq_strerror (errno));
        goto error;
    }
    deadline = mono_ms () + HANDSHAKE_WAIT_MS;
    while (monitor_next (*mon, deadline, &event)) {
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            return s;
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            snprintf (why, why_len,
                      "the server refused the key (is it in its config?)");
            goto error;
        }
    }
    snprintf (why, why_len, "no CURVE handshake with %s within %d ms", h->endpoint,
              HANDSHAKE_WAIT_MS);
error:
    if (s) {
        zmq_socket_monitor (s, NULL, 0);
        zmq_close (s);
    }
    if (*mon)
        zmq_close (*mon);
    *mon = NULL;
    return NULL;
}

static void close_socket (void *s, void *mon)
{
    zmq_socket_monitor (s, NULL, 0);
    zmq_close (mon);
    zmq_close (s);
}

/* Read one reply [type][body] and decode it. NULL with why on failure. */
static msg_t *read_reply (void *s, char *why, size_t why_len)
{
    zmq_msg_t part[2], extra;
    int n = 0, total = 0, more = 1;
    cphub_error_t err = {.text = ""};
    msg_t *m = NULL;

    while (more) {
        zmq_msg_t *p = n < 2 ? &part[n] : &extra;
        zmq_msg_init (p);
        if (zmq_msg_recv (p, s, 0) < 0) {
            zmq_msg_close (p);
            break;
        }
        total++;
        more = zmq_msg_more (p);
        if (p == &extra)
            zmq_msg_close (p);
        else
            n++;
    }
    if (total != 2)
        snprintf (why, why_len, "a reply of %d frames, not [type][body]", total);
    else if (!(m = msg_decode (zmq_msg_data (&part[0]), zmq_msg_size (&part[0]),
                               zmq_msg_data (&part[1]), zmq_msg_size (&part[1]), &err)))
        snprintf (why, why_len, "a reply that does not decode: %s", err.text);
    for (int i = 0; i < n; i++)
        zmq_msg_close (&part[i]);
    return m;
}

/* Run one case; prints its line and returns true when it went as expected. */
static bool run_case (hostile_t *h, const hcase_t *c)
{
    frames_t f = {.count = 0};
    char why[200] = "";
    void *s = NULL, *mon = NULL;
    msg_t *reply = NULL;
    bool dropped = false, ok = false;
    int wait_ms = h->client_mode ? CLIENT_WAIT_MS : AGENT_WAIT_MS;
    int64_t deadline;
    uint16_t event;

    if (c->build (h, &f) < 0) {
        printf ("FAIL %s: cannot build the frames\n", c->name);
        return false;
    }
    if (!(s = open_socket (h, &mon, why, sizeof (why)))) {
        printf ("FAIL %s: %s\n", c->name, why);
        frames_clear (&f);
        h->give_up = true;
        return false;
    }
    for (int i = 0; i < f.count; i++) {
        if (zmq_send (s, f.buf[i], f.len[i], i + 1 < f.count ? ZMQ_SNDMORE : 0) < 0) {
            printf ("FAIL %s: cannot send: %s\n", c->name, zmq_strerror (errno));
            goto out;
        }
    }
    deadline = mono_ms () + wait_ms;
    while (!reply && !dropped && mono_ms () < deadline) {
        zmq_pollitem_t items[2] = {{.socket = s, .events = ZMQ_POLLIN},
                                   {.socket = mon, .events = ZMQ_POLLIN}};
        if (zmq_poll (items, 2, (long)(deadline - mono_ms ())) <= 0)
            continue;
        if (items[0].revents & ZMQ_POLLIN) {
            if (!(reply = read_reply (s, why, sizeof (why)))) {
                printf ("FAIL %s: %s\n", c->name, why);
                goto out;
            }
        } else if (monitor_next (mon, mono_ms () + 1, &event) &&
                   event == ZMQ_EVENT_DISCONNECTED) {
            dropped = true;
        }
    }
    if (reply && reply->type == MSG_ERROR) {
        ok = c->expect != EXPECT_SERVED;
        printf ("%s %s: error %d %s %s\n", ok ? "ok" : "FAIL", c->name,
                reply->u.error.code, errno_name (reply->u.error.code),
                reply->u.error.text);
    } else if (reply) {
        ok = c->expect == EXPECT_SERVED;
        printf ("%s %s: %s reply\n", ok ? "ok" : "FAIL", c->name,
                msg_type_name (reply->type));
    } else if (dropped) {
        ok = !h->client_mode || c->expect == EXPECT_DROP;
        printf ("%s %s: the server dropped the connection\n", ok ? "ok" : "FAIL",
                c->name);
    } else {
        ok = !h->client_mode;
        printf ("%s %s: no reply within %d ms\n", ok ? "ok" : "FAIL", c->name, wait_ms);
    }
out:
    fflush (stdout);
    msg_destroy (reply);
    close_socket (s, mon);
    frames_clear (&f);
    return ok;
}

static void usage (FILE *out)
{
    fprintf (out,
             "usage: hostile --endpoint E --server-key PUBFILE --key KEYFILE "
             "--mode client|agent [--seed N]\n");
}

int main (int argc, char *argv[])
{
    static const struct option opts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"server-key", required_argument, NULL, 's'},
        {"key", required_argument, NULL, 'k'},
        {"mode", required_argument, NULL, 'm'},
        {"seed", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    hostile_t h = {.rng = 0x9e3779b97f4a7c15ull};
    const char *server_key = NULL, *key = NULL, *mode = NULL;
    cphub_error_t err = {.text = ""};
    int opt, failures = 0, run = 0;

    while ((opt = getopt_long (argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'e':
            h.endpoint = optarg;
            break;
        case 's':
            server_key = optarg;
            break;
        case 'k':
            key = optarg;
            break;
        case 'm':
            mode = optarg;
            break;
        case 'r':
            h.rng = strtoull (optarg, NULL, 0) | 1;
            break;
        case 'h':
            usage (stdout);
            return 0;
        default:
            usage (stderr);
            return 2;
        }
    }
    if (!h.endpoint || !server_key || !key || !mode ||
        (strcmp (mode, "client") != 0 && strcmp (mode, "agent") != 0)) {
        usage (stderr);
        return 2;
    }
    h.client_mode = strcmp (mode, "client") == 0;
    if (keys_read_public (server_key, h.server_key, &err) < 0 ||
        keys_read_pair (key, &h.kp, &err) < 0) {
        fprintf (stderr, "hostile: %s\n", err.text);
        return 2;
    }
    if (!(h.zctx = zmq_ctx_new ())) {
        fprintf (stderr, "hostile: zmq_ctx_new: %s\n", zmq_strerror (errno));
        return 2;
    }
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        if (cases[i].client_only && !h.client_mode)
            continue;
        run++;
        if (!run_case (&h, &cases[i]))
            failures++;
        if (h.give_up)
            break;
    }
    zmq_ctx_term (h.zctx);
    printf ("%d passed, %d failed\n", run - failures, failures);
    return failures ? 1 : 0;
}
