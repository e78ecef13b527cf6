/* transport.c: cphub's ZeroMQ layer (with transport_guard.c, the only files
 * with zmq.h besides the hostile-peer tests). It makes CURVE server ROUTER
 * sockets for the scheduler and CURVE client DEALER sockets for the CLI and
 * agents, runs the ZAP handler that turns a client's public key into the
 * identity every received message carries ("tenant:acme"), moves messages as
 * [type][body] frames through the codec in msg.c, and polls sockets, the ZAP
 * handler and plain fds in one loop. A client watches its own handshake
 * through a socket monitor, so a refused key is reported as EACCES at once
 * instead of as a silent hang. Nothing here trusts a frame: wrong frame counts
 * and bodies that do not decode are consumed and reported with the sender
 * filled in. A guarded server socket also watches its own connections, and the
 * ZAP handler counts connections per key (transport_guard.c), so that one key
 * cannot hold the server's connections or memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <utlist.h>
#include <zmq.h>

#include "common/transport_int.h"
#include "cphub/clock.h"
#include "cphub/log.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_DOMAIN "cphub"
#define TYPE_FRAME_MAX 64
#define SERVER_SNDHWM 100000
#define SERVER_RCVHWM 10000
#define CLIENT_HWM 100000
#define CLIENT_LINGER_MS 1000
#define HANDSHAKE_IVL_MS 5000
#define RECONNECT_IVL_MS 100
#define RECONNECT_IVL_MAX_MS 2000
#define MONITOR_EVENTS                                                              \
    (ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | \
     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |        \
     ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)

typedef enum { TL_SOCK = 0, TL_ZAP, TL_FD, TL_GUARD } tloop_kind_t;

typedef struct tloop_entry {
    tloop_kind_t kind;
    tsock_t *sock;
    tzap_t *zap;
    int fd;
    tloop_sock_f sock_cb;
    tloop_fd_f fd_cb;
    void *arg;
    bool removed;
} tloop_entry_t;

struct tloop {
    tloop_entry_t *entries;
    size_t count, cap;
    zmq_pollitem_t *items;
    size_t items_cap;
};

/* "5 s", "1.5 s", "0.2 s" */
static void format_ms (int ms, char *buf, size_t len)
{
    snprintf (buf, len, "%g s", ms / 1000.0);
}

int transport_set_int (void *zsock, int option, int value)
{
    return zmq_setsockopt (zsock, option, &value, sizeof (value));
}

/* ---- context and keys ------------------------------------------------------- */

tctx_t *tctx_create (void)
{
    tctx_t *ctx = calloc (1, sizeof (*ctx));

    if (!ctx)
        return NULL;
    if (!(ctx->zctx = zmq_ctx_new ())) {
        int saved = errno;
        free (ctx);
        errno = saved;
        return NULL;
    }
    return ctx;
}

void tctx_destroy (tctx_t *ctx)
{
    if (!ctx)
        return;
    while (zmq_ctx_term (ctx->zctx) < 0 && errno == EINTR)
        ;
    free (ctx);
}

int tctx_set_max_sockets (tctx_t *ctx, int n)
{
    return zmq_ctx_set (ctx->zctx, ZMQ_MAX_SOCKETS, n);
}

int transport_keypair (cphub_keypair_t *kp, cphub_error_t *err)
{
    memset (kp, 0, sizeof (*kp));
    if (!zmq_has ("curve"))
        return cphub_fail (err, ENOTSUP,
                           "this libzmq was built without CURVE (libsodium); "
                           "cannot make keys");
    if (zmq_curve_keypair (kp->public_z85, kp->secret_z85) < 0)
        return cphub_fail (err, errno, "cannot make a CURVE key pair: %s",
                           zmq_strerror (errno));
    return 0;
}

/* ---- sockets ---------------------------------------------------------------- */

static int set_common (void *zsock, int linger)
{
    int64_t maxmsg = MSG_MAX_BYTES + 4096;

    if (transport_set_int (zsock, ZMQ_LINGER, linger) < 0 ||
        transport_set_int (zsock, ZMQ_HANDSHAKE_IVL, HANDSHAKE_IVL_MS) < 0 ||
        zmq_setsockopt (zsock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof (maxmsg)) < 0)
        return -1;
    return 0;
}

/* zmq binds an ephemeral port on "*", not on "0": accept both. */
static void bind_address (const char *endpoint, char *buf, size_t len)
{
    size_t n = strlen (endpoint);

    if (strncmp (endpoint, "tcp://", 6) == 0 && n >= 2 &&
        strcmp (endpoint + n - 2, ":0") == 0)
        snprintf (buf, len, "%.*s:*", (int)(n - 2), endpoint);
    else
        snprintf (buf, len, "%s", endpoint);
}

tsock_t *tsock_server_create (tctx_t *ctx,
                              const char *endpoint,
                              const cphub_keypair_t *server_kp,
                              cphub_error_t *err)
{
    tsock_t *s = NULL;
    char addr[256];
    size_t len;
    int on = 1;

    if (!ctx->zap) {
        cphub_fail (err, EINVAL,
                    "no ZAP handler on this context: create it before server sockets, "
                    "or every key would be accepted");
        return NULL;
    }
    if (strlen (server_kp->secret_z85) != KEY_Z85_LEN) {
        cphub_fail (err, EINVAL, "the server key pair has no secret half");
        return NULL;
    }
    if (!(s = calloc (1, sizeof (*s)))) {
        cphub_fail (err, ENOMEM, "out of memory");
        return NULL;
    }
    s->ctx = ctx;
    s->server = true;
    s->ready = true;
    if (!(s->zsock = zmq_socket (ctx->zctx, ZMQ_ROUTER))) {
        cphub_fail (err, errno, "cannot make a ROUTER socket: %s",
                    zmq_strerror (errno));
        goto error;
    }
    if (set_common (s->zsock, 0) < 0 ||
        transport_set_int (s->zsock, ZMQ_CURVE_SERVER, 1) < 0 ||
        zmq_setsockopt (s->zsock, ZMQ_CURVE_SECRETKEY, server_kp->secret_z85,
                        KEY_Z85_LEN + 1) < 0 ||
        zmq_setsockopt (s->zsock, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen (ZAP_DOMAIN)) <
            0 ||
        transport_set_int (s->zsock, ZMQ_ROUTER_MANDATORY, on) < 0 ||
        transport_set_int (s->zsock, ZMQ_SNDHWM, SERVER_SNDHWM) < 0 ||
        transport_set_int (s->zsock, ZMQ_RCVHWM, SERVER_RCVHWM) < 0) {
        cphub_fail (err, errno, "cannot set up the server socket for %s: %s", endpoint,
                    zmq_strerror (errno));
        goto error;
    }
    bind_address (endpoint, addr, sizeof (addr));
    if (zmq_bind (s->zsock, addr) < 0) {
        cphub_fail (err, errno, "cannot listen on %s: %s", endpoint,
                    zmq_strerror (errno));
        goto error;
    }
    len = sizeof (s->endpoint);
    if (zmq_getsockopt (s->zsock, ZMQ_LAST_ENDPOINT, s->endpoint, &len) < 0)
        snprintf (s->endpoint, sizeof (s->endpoint), "%s", endpoint);
    return s;
error:
    tsock_destroy (s);
    return NULL;
}

tsock_t *tsock_client_create (tctx_t *ctx,
                              const char *endpoint,
                              const char *server_public_z85,
                              const cphub_keypair_t *client_kp,
                              cphub_error_t *err)
{
    tsock_t *s = NULL;
    char mon[64];

    if (strlen (server_public_z85) != KEY_Z85_LEN ||
        strlen (client_kp->public_z85) != KEY_Z85_LEN ||
        strlen (client_kp->secret_z85) != KEY_Z85_LEN) {
        cphub_fail (err, EINVAL,
                    "a CURVE key is missing: the scheduler's public key and both "
                    "halves of this side's key are needed");
        return NULL;
    }
    if (!(s = calloc (1, sizeof (*s)))) {
        cphub_fail (err, ENOMEM, "out of memory");
        return NULL;
    }
    s->ctx = ctx;
    snprintf (s->endpoint, sizeof (s->endpoint), "%s", endpoint);
    if (!(s->zsock = zmq_socket (ctx->zctx, ZMQ_DEALER))) {
        cphub_fail (err, errno, "cannot make a DEALER socket: %s",
                    zmq_strerror (errno));
        goto error;
    }
    if (set_common (s->zsock, CLIENT_LINGER_MS) < 0 ||
        transport_set_int (s->zsock, ZMQ_RECONNECT_IVL, RECONNECT_IVL_MS) < 0 ||
        transport_set_int (s->zsock, ZMQ_RECONNECT_IVL_MAX, RECONNECT_IVL_MAX_MS) < 0 ||
        transport_set_int (s->zsock, ZMQ_SNDHWM, CLIENT_HWM) < 0 ||
        transport_set_int (s->zsock, ZMQ_RCVHWM, CLIENT_HWM) < 0 ||
        zmq_setsockopt (s->zsock, ZMQ_CURVE_SERVERKEY, server_public_z85,
                        KEY_Z85_LEN + 1) < 0 ||
        zmq_setsockopt (s->zsock, ZMQ_CURVE_PUBLICKEY, client_kp->public_z85,
                        KEY_Z85_LEN + 1) < 0 ||
        zmq_setsockopt (s->zsock, ZMQ_CURVE_SECRETKEY, client_kp->secret_z85,
                        KEY_Z85_LEN + 1) < 0) {
        cphub_fail (err, errno, "cannot set up the client socket for %s: %s (bad key?)",
                    endpoint, zmq_strerror (errno));
        goto error;
    }
    /* The monitor must exist before connecting, or the handshake's events
     * may be missed. */
    snprintf (mon, sizeof (mon), "inproc://cphub-monitor-%p", (void *)s);
    if (zmq_socket_monitor (s->zsock, mon, MONITOR_EVENTS) < 0 ||
        !(s->monitor = zmq_socket (ctx->zctx, ZMQ_PAIR)) ||
        transport_set_int (s->monitor, ZMQ_LINGER, 0) < 0 ||
        zmq_connect (s->monitor, mon) < 0) {
        cphub_fail (err, errno, "cannot watch the connection to %s: %s", endpoint,
                    zmq_strerror (errno));
        goto error;
    }
    if (zmq_connect (s->zsock, endpoint) < 0) {
        cphub_fail (err, errno, "cannot connect to '%s': %s", endpoint,
                    zmq_strerror (errno));
        goto error;
    }
    return s;
error:
    tsock_destroy (s);
    return NULL;
}

static void monitor_stop (tsock_t *s)
{
    if (!s->monitor)
        return;
    zmq_socket_monitor (s->zsock, NULL, 0);
    zmq_close (s->monitor);
    s->monitor = NULL;
}

void tsock_destroy (tsock_t *s)
{
    int saved = errno;

    if (!s)
        return;
    tguard_destroy (s);
    if (s->zsock) {
        monitor_stop (s);
        zmq_close (s->zsock);
    } else if (s->monitor) {
        zmq_close (s->monitor);
    }
    free (s);
    errno = saved;
}

const char *tsock_endpoint (const tsock_t *s)
{
    return s->endpoint;
}

/* Read one monitor event: 0 with event and value filled, -1/EAGAIN if none. */
int transport_monitor_read (void *monitor, uint16_t *event, uint32_t *value)
{
    zmq_msg_t frame;
    int more, rc = -1;

    zmq_msg_init (&frame);
    if (zmq_msg_recv (&frame, monitor, ZMQ_DONTWAIT) < 0)
        goto out;
    if (zmq_msg_size (&frame) >= 6) {
        memcpy (event, zmq_msg_data (&frame), sizeof (*event));
        memcpy (value, (char *)zmq_msg_data (&frame) + 2, sizeof (*value));
        rc = 0;
    }
    more = zmq_msg_more (&frame);
    while (more) { /* the endpoint frame */
        if (zmq_msg_recv (&frame, monitor, 0) < 0)
            break;
        more = zmq_msg_more (&frame);
    }
    if (rc < 0)
        errno = EPROTO;
out:
    zmq_msg_close (&frame);
    return rc;
}

/* Take in the monitor's pending events: 1 when the handshake succeeded (the
 * monitor is then stopped), -1 when the server refused the key, 0 while
 * undecided. Called by wait_ready and on every client receive, so the
 * monitor's queue never fills. */
static int monitor_drain (tsock_t *s)
{
    uint16_t event;
    uint32_t value;

    while (s->monitor && transport_monitor_read (s->monitor, &event, &value) == 0) {
        switch (event) {
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
            s->ready = true;
            s->refused = false;
            monitor_stop (s);
            break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
            /* 400: the key is not known; 500: a limit (tzap_set_limit) */
            if (value == 500)
                s->busy = true;
            else
                s->refused = true;
            break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            snprintf (s->last_failure, sizeof (s->last_failure),
                      "; the CURVE handshake failed (check scheduler_key)");
            break;
        case ZMQ_EVENT_CONNECTED:
            snprintf (s->last_failure, sizeof (s->last_failure),
                      "; connected, but the handshake did not finish");
            break;
        case ZMQ_EVENT_DISCONNECTED:
            if (s->last_failure[0] == '\0' || strstr (s->last_failure, "connected,"))
                snprintf (s->last_failure, sizeof (s->last_failure),
                          "; it closed the connection during the handshake "
                          "(check scheduler_key)");
            break;
        default:
            break;
        }
    }
    return s->ready ? 1 : s->refused ? -1 : s->busy ? -2 : 0;
}

int tsock_client_wait_ready (tsock_t *s, int timeout_ms, cphub_error_t *err)
{
    int64_t deadline = cphub_monotonic_ms () + timeout_ms, left;
    char when[32];
    zmq_pollitem_t item;
    int state;

    if (s->server)
        return cphub_fail (err, EINVAL, "not a client socket");
    for (;;) {
        if ((state = monitor_drain (s)) > 0)
            return 0;
        if (state == -2)
            return cphub_fail (err, EAGAIN,
                               "the scheduler at %s refused the connection for now: "
                               "this key has too many connections open; close some "
                               "or try again later",
                               s->endpoint);
        if (state < 0)
            return cphub_fail (err, EACCES,
                               "the scheduler at %s refused this key (it is not in "
                               "the scheduler's config)",
                               s->endpoint);
        left = deadline - cphub_monotonic_ms ();
        if (left <= 0 || !s->monitor)
            break;
        item = (zmq_pollitem_t){.socket = s->monitor, .events = ZMQ_POLLIN};
        if (zmq_poll (&item, 1, (long)left) < 0 && errno != EINTR)
            return cphub_fail (err, errno, "waiting for %s: %s", s->endpoint,
                               zmq_strerror (errno));
    }
    format_ms (timeout_ms, when, sizeof (when));
    return cphub_fail (err, ETIMEDOUT, "no answer from the scheduler at %s within %s%s",
                       s->endpoint, when, s->last_failure);
}

/* ---- messages --------------------------------------------------------------- */

static void body_free (void *data, void *hint)
{
    (void)hint;
    free (data);
}

int tsock_send (tsock_t *s, const tpeer_t *peer, const msg_t *m)
{
    const char *type = msg_type_name (m ? m->type : MSG_TYPE_COUNT);
    char *body = NULL;
    size_t len;
    zmq_msg_t frame;
    tconn_t *conn = NULL;

    if (!type || (s->server && (!peer || peer->rid_len == 0))) {
        errno = EINVAL;
        return -1;
    }
    if (msg_encode (m, &body, &len) < 0)
        return -1;
    if (s->guard && (conn = tguard_conn (s, peer)) &&
        tguard_may_send (s, conn, len + strlen (type)) < 0)
        goto error;
    if (s->server &&
        zmq_send (s->zsock, peer->rid, peer->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        goto error;
    if (zmq_send (s->zsock, type, strlen (type), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        goto error;
    /* The body is handed over without a copy; zmq frees it. */
    if (zmq_msg_init_data (&frame, body, len, body_free, NULL) < 0)
        goto error;
    body = NULL;
    if (zmq_msg_send (&frame, s->zsock, ZMQ_DONTWAIT) < 0) {
        int saved = errno;
        zmq_msg_close (&frame);
        errno = saved;
        return -1;
    }
    if (conn)
        conn->sent_bytes += len + strlen (type) + WIRE_OVERHEAD_BYTES;
    return 0;
error : {
    int saved = errno;
    free (body);
    errno = saved;
    return -1;
}
}

int tsock_recv (tsock_t *s, tpeer_t *peer, msg_t **m, cphub_error_t *err)
{
    enum { MAX_KEPT = 3 };
    zmq_msg_t frames[MAX_KEPT], extra;
    size_t want = s->server ? 3 : 2, kept = 0, total = 0, first = s->server ? 1 : 0;
    const char *user;
    int more = 1, rc = -1;

    memset (peer, 0, sizeof (*peer));
    *m = NULL;
    if (s->monitor)
        monitor_drain (s);
    while (more) {
        zmq_msg_t *f = kept < MAX_KEPT ? &frames[kept] : &extra;
        zmq_msg_init (f);
        if (zmq_msg_recv (f, s->zsock, total == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            int saved = errno;
            zmq_msg_close (f);
            errno = saved;
            if (total == 0)
                return -1; /* EAGAIN: nothing ready */
            break;
        }
        total++;
        more = zmq_msg_more (f);
        if (!peer->identity[0] && (user = zmq_msg_gets (f, "User-Id")))
            snprintf (peer->identity, sizeof (peer->identity), "%s", user);
        if (f == &extra)
            zmq_msg_close (f);
        else
            kept++;
    }
    if (s->server && kept > 0 && zmq_msg_size (&frames[0]) <= TPEER_ID_MAX) {
        peer->rid_len = zmq_msg_size (&frames[0]);
        memcpy (peer->rid, zmq_msg_data (&frames[0]), peer->rid_len);
    }
    if (s->guard && kept > 0)
        tguard_heard (s, zmq_msg_get (&frames[kept - 1], ZMQ_SRCFD), peer);
    if (total != want) {
        cphub_fail (err, EPROTO, "expected a message of 2 frames [type][body], got %zu",
                    total - first);
        goto out;
    }
    if (zmq_msg_size (&frames[first]) > TYPE_FRAME_MAX) {
        cphub_fail (err, ENOENT, "unknown message type (a %zu-byte type frame)",
                    zmq_msg_size (&frames[first]));
        goto out;
    }
    *m = msg_decode (zmq_msg_data (&frames[first]), zmq_msg_size (&frames[first]),
                     zmq_msg_data (&frames[first + 1]),
                     zmq_msg_size (&frames[first + 1]), err);
    rc = *m ? 0 : -1;
out : {
    int saved = errno;
    for (size_t i = 0; i < kept; i++)
        zmq_msg_close (&frames[i]);
    errno = saved;
    return rc;
}
}

int tsock_recv_wait (tsock_t *s, int timeout_ms, msg_t **m, cphub_error_t *err)
{
    int64_t deadline = cphub_monotonic_ms () + timeout_ms, left;
    char when[32];
    tpeer_t peer;
    zmq_pollitem_t item;

    for (;;) {
        if (tsock_recv (s, &peer, m, err) == 0)
            return 0;
        if (errno != EAGAIN)
            return -1;
        left = deadline - cphub_monotonic_ms ();
        if (left <= 0)
            break;
        item = (zmq_pollitem_t){.socket = s->zsock, .events = ZMQ_POLLIN};
        if (zmq_poll (&item, 1, (long)left) < 0 && errno != EINTR)
            return cphub_fail (err, errno, "waiting for %s: %s", s->endpoint,
                               zmq_strerror (errno));
    }
    format_ms (timeout_ms, when, sizeof (when));
    return cphub_fail (err, ETIMEDOUT, "no reply from %s within %s", s->endpoint, when);
}

/* ---- ZAP -------------------------------------------------------------------- */

tzap_t *tzap_create (tctx_t *ctx, tzap_auth_f cb, void *arg, cphub_error_t *err)
{
    tzap_t *z;

    if (ctx->zap) {
        cphub_fail (err, EEXIST, "this context already has a ZAP handler");
        return NULL;
    }
    if (!(z = calloc (1, sizeof (*z)))) {
        cphub_fail (err, ENOMEM, "out of memory");
        return NULL;
    }
    z->ctx = ctx;
    z->cb = cb;
    z->arg = arg;
    if (!(z->zsock = zmq_socket (ctx->zctx, ZMQ_REP)) ||
        transport_set_int (z->zsock, ZMQ_LINGER, 0) < 0 ||
        zmq_bind (z->zsock, ZAP_ENDPOINT) < 0) {
        cphub_fail (err, errno, "cannot start the ZAP handler: %s",
                    zmq_strerror (errno));
        goto error;
    }
    ctx->zap = z;
    return z;
error : {
    int saved = errno;
    if (z->zsock)
        zmq_close (z->zsock);
    free (z);
    errno = saved;
    return NULL;
}
}

void tzap_destroy (tzap_t *z)
{
    tzap_count_t *c, *tmp;

    if (!z)
        return;
    HASH_ITER (hh, z->counts, c, tmp)
    {
        HASH_DEL (z->counts, c);
        free (c->tickets);
        free (c);
    }
    if (z->ctx->zap == z)
        z->ctx->zap = NULL;
    zmq_close (z->zsock);
    free (z);
}

static bool frame_is (zmq_msg_t *f, const char *text)
{
    size_t n = strlen (text);
    return zmq_msg_size (f) == n && memcmp (zmq_msg_data (f), text, n) == 0;
}

/* Reply to one request: version, request id, status code and text, user id,
 * metadata. */
static void zap_reply (tzap_t *z,
                       zmq_msg_t *request_id,
                       const char *code,
                       const char *text,
                       const char *user)
{
    const void *rid = request_id ? zmq_msg_data (request_id) : "";
    size_t rid_len = request_id ? zmq_msg_size (request_id) : 0;

    if (zmq_send (z->zsock, "1.0", 3, ZMQ_SNDMORE) < 0 ||
        zmq_send (z->zsock, rid, rid_len, ZMQ_SNDMORE) < 0 ||
        zmq_send (z->zsock, code, strlen (code), ZMQ_SNDMORE) < 0 ||
        zmq_send (z->zsock, text, strlen (text), ZMQ_SNDMORE) < 0 ||
        zmq_send (z->zsock, user, strlen (user), ZMQ_SNDMORE) < 0 ||
        zmq_send (z->zsock, "", 0, 0) < 0)
        log_err ("zap: cannot reply: %s", zmq_strerror (errno));
}

/* Serve one ZAP request: 0 when one was handled, -1/EAGAIN when none. */
static int zap_serve_one (tzap_t *z)
{
    enum { ZAP_FRAMES = 7 };
    zmq_msg_t f[ZAP_FRAMES], extra;
    size_t n = 0, total = 0, i;
    char key[KEY_Z85_LEN + 1], identity[TPEER_IDENTITY_MAX], addr[64];
    int more = 1;

    while (more) {
        zmq_msg_t *cur = n < ZAP_FRAMES ? &f[n] : &extra;
        zmq_msg_init (cur);
        if (zmq_msg_recv (cur, z->zsock, total == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            int saved = errno;
            zmq_msg_close (cur);
            errno = saved;
            if (total == 0)
                return -1;
            break;
        }
        total++;
        more = zmq_msg_more (cur);
        if (cur == &extra)
            zmq_msg_close (cur);
        else
            n++;
    }
    if (total != ZAP_FRAMES || !frame_is (&f[0], "1.0")) {
        log_err ("zap: malformed request (%zu frames)", total);
        zap_reply (z, n > 1 ? &f[1] : NULL, "500", "malformed ZAP request", "");
        goto out;
    }
    snprintf (addr, sizeof (addr), "%.*s", (int)zmq_msg_size (&f[3]),
              (const char *)zmq_msg_data (&f[3]));
    if (!frame_is (&f[2], ZAP_DOMAIN) || !frame_is (&f[5], "CURVE") ||
        zmq_msg_size (&f[6]) != 32) {
        log_warn ("zap: refused a non-CURVE or foreign-domain handshake from %s", addr);
        zap_reply (z, &f[1], "400", "only CURVE in domain " ZAP_DOMAIN, "");
        goto out;
    }
    zmq_z85_encode (key, zmq_msg_data (&f[6]), 32);
    identity[0] = '\0';
    if (z->cb (key, identity, z->arg) < 0 || identity[0] == '\0') {
        log_warn ("zap: refused key %s from %s: not in the config", key, addr);
        zap_reply (z, &f[1], "400", "key not known", "");
        goto out;
    }
    identity[TPEER_IDENTITY_MAX - 1] = '\0';
    if (!tzap_admit (z, identity)) { /* 500: the client reports EAGAIN */
        zap_reply (z, &f[1], "500", "too many connections with this key", "");
        goto out;
    }
    zap_reply (z, &f[1], "200", "OK", identity);
out:
    for (i = 0; i < n; i++)
        zmq_msg_close (&f[i]);
    return 0;
}

static void zap_serve (tzap_t *z)
{
    while (zap_serve_one (z) == 0)
        ;
}

/* ---- loop ------------------------------------------------------------------- */

tloop_t *tloop_create (void)
{
    return calloc (1, sizeof (tloop_t));
}

void tloop_destroy (tloop_t *l)
{
    if (!l)
        return;
    free (l->entries);
    free (l->items);
    free (l);
}

static tloop_entry_t *tloop_append (tloop_t *l)
{
    tloop_entry_t *v;

    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        if (!(v = realloc (l->entries, cap * sizeof (*v)))) {
            errno = ENOMEM;
            return NULL;
        }
        l->entries = v;
        l->cap = cap;
    }
    v = &l->entries[l->count++];
    memset (v, 0, sizeof (*v));
    v->fd = -1;
    return v;
}

int tloop_add_sock (tloop_t *l, tsock_t *s, tloop_sock_f cb, void *arg)
{
    tloop_entry_t *e = tloop_append (l);

    if (!e)
        return -1;
    *e = (tloop_entry_t){
        .kind = TL_SOCK, .sock = s, .fd = -1, .sock_cb = cb, .arg = arg};
    if (s->guard) {
        if (!(e = tloop_append (l))) {
            l->count--;
            return -1;
        }
        *e = (tloop_entry_t){.kind = TL_GUARD, .sock = s, .fd = -1};
    }
    return 0;
}

int tloop_add_zap (tloop_t *l, tzap_t *z)
{
    tloop_entry_t *e = tloop_append (l);

    if (!e)
        return -1;
    *e = (tloop_entry_t){.kind = TL_ZAP, .zap = z, .fd = -1};
    return 0;
}

int tloop_add_fd (tloop_t *l, int fd, tloop_fd_f cb, void *arg)
{
    tloop_entry_t *e;

    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    if (!(e = tloop_append (l)))
        return -1;
    *e = (tloop_entry_t){.kind = TL_FD, .fd = fd, .fd_cb = cb, .arg = arg};
    return 0;
}

/* Marks the entry; it is dropped at the start of the next tloop_run_once, so
 * removing from inside a callback is safe. */
int tloop_remove_fd (tloop_t *l, int fd)
{
    size_t i;

    for (i = 0; i < l->count; i++) {
        if (l->entries[i].kind == TL_FD && l->entries[i].fd == fd &&
            !l->entries[i].removed) {
            l->entries[i].removed = true;
            return 0;
        }
    }
    errno = ENOENT;
    return -1;
}

static int tloop_prepare (tloop_t *l)
{
    size_t i, k = 0;
    zmq_pollitem_t *items;

    for (i = 0; i < l->count; i++)
        if (!l->entries[i].removed)
            l->entries[k++] = l->entries[i];
    l->count = k;
    if (l->count > l->items_cap) {
        if (!(items = realloc (l->items, l->count * sizeof (*items)))) {
            errno = ENOMEM;
            return -1;
        }
        l->items = items;
        l->items_cap = l->count;
    }
    for (i = 0; i < l->count; i++) {
        tloop_entry_t *e = &l->entries[i];
        l->items[i] = (zmq_pollitem_t){.events = ZMQ_POLLIN};
        if (e->kind == TL_SOCK)
            l->items[i].socket = e->sock->zsock;
        else if (e->kind == TL_ZAP)
            l->items[i].socket = e->zap->zsock;
        else if (e->kind == TL_GUARD)
            l->items[i].socket = e->sock->guard->monitor;
        else
            l->items[i].fd = e->fd;
    }
    return 0;
}

int tloop_run_once (tloop_t *l, int timeout_ms)
{
    size_t i, n;
    int rc, handled = 0;

    if (tloop_prepare (l) < 0)
        return -1;
    n = l->count;
    rc = zmq_poll (l->items, (int)n, timeout_ms);
    if (rc < 0)
        return errno == EINTR ? 0 : -1;
    /* Callbacks may add entries (appended past n) or remove fds (marked). */
    for (i = 0; i < n && rc > 0; i++) {
        tloop_entry_t *e;
        if (!(l->items[i].revents & (ZMQ_POLLIN | ZMQ_POLLERR)))
            continue;
        e = &l->entries[i];
        if (e->removed)
            continue;
        handled++;
        if (e->kind == TL_SOCK)
            e->sock_cb (e->sock, e->arg);
        else if (e->kind == TL_ZAP)
            zap_serve (e->zap);
        else if (e->kind == TL_GUARD)
            tguard_events (e->sock);
        else
            e->fd_cb (e->fd, e->arg);
    }
    for (i = 0; i < n; i++)
        if (l->entries[i].kind == TL_GUARD && !l->entries[i].removed)
            tguard_sweep (l->entries[i].sock);
    return handled;
}
