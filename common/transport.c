/* transport.c: cphub's ZeroMQ layer (the only file with zmq.h besides the
 * hostile-peer test). It makes CURVE server ROUTER sockets for the scheduler
 * and CURVE client DEALER sockets for the CLI and agents, runs the ZAP handler
 * that turns a client's public key into the identity every received message
 * carries ("tenant:acme"), moves messages as [type][body] frames through the
 * codec in msg.c, and polls sockets, the ZAP handler and plain fds in one
 * loop. A client watches its own handshake through a socket monitor, so a
 * refused key is reported as EACCES at once instead of as a silent hang.
 * Nothing here trusts a frame: wrong frame counts and bodies that do not
 * decode are consumed and reported with the sender filled in. A guarded
 * server socket also watches its own connections through a monitor (see
 * transport.h), and the ZAP handler counts connections per key, so that
 * one key cannot hold the server's connections or memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>
#include <utlist.h>
#include <zmq.h>

#include "cphub/log.h"
#include "cphub/transport.h"

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
#define GUARD_EVENTS (ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED)
/* Bytes a message costs on the wire besides its frames' content (frame
 * headers, CURVE's box and nonce), so that send_bytes counts what the
 * peer's TCP acknowledges. */
#define WIRE_OVERHEAD_BYTES 64
/* A refused handshake is logged once, then once per this many more. */
#define ZAP_REFUSALS_LOGGED_EVERY 1000
/* A handshake ticket outlives hello_ms by this much, so that a connection
 * whose first message is in flight when hello_ms ends is still counted. */
#define ZAP_TICKET_SLACK_MS 1000
#define MONITOR_EVENTS                                                              \
    (ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | \
     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |        \
     ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)

struct tctx {
    void *zctx;
    tzap_t *zap;     /* the ZAP handler, required before any server socket */
    uint64_t conns;  /* connections open on guarded sockets */
    uint64_t serial; /* the last connection serial given */
    int monitors;    /* names the monitors' endpoints */
};

/* One connection of a guarded server socket. */
typedef struct tconn {
    uint64_t serial; /* key of tguard.by_serial */
    int fd;
    struct sockaddr_storage addr; /* the remote end, to tell a reused fd */
    socklen_t addr_len;
    int64_t last_ms; /* accepted, or its last message */
    bool identified; /* rid and identity known from a message */
    bool closing;    /* shut down by us; its DISCONNECTED frees it */
    uint32_t held;   /* parked requests: not idle while > 0 (not listed) */
    unsigned char rid[TPEER_ID_MAX];
    size_t rid_len;
    char identity[TPEER_IDENTITY_MAX];
    uint64_t sent_bytes; /* handed to libzmq, with WIRE_OVERHEAD_BYTES each */
    uint64_t acked_base; /* the TCP stack's bytes_acked at accept */
    UT_hash_handle hh;
    struct tconn *prev, *next; /* in hello (unidentified) or idle order */
} tconn_t;

typedef struct tguard {
    tsock_guard_t limits;
    tsock_gone_f gone_cb;
    void *arg;
    void *monitor;   /* PAIR receiving ACCEPTED and DISCONNECTED */
    tconn_t **by_fd; /* fd -> connection */
    size_t by_fd_cap;
    tconn_t *by_serial;    /* uthash */
    tconn_t *hello;        /* unidentified, oldest first */
    tconn_t *idle;         /* identified, least recently heard first */
    uint64_t refused_fd;   /* connections refused for want of fds */
    uint64_t hello_closed; /* connections closed that never spoke */
} tguard_t;

struct tsock {
    tctx_t *ctx;
    void *zsock;
    bool server;
    char endpoint[256]; /* bound (server) or connected-to (client) */
    void *monitor;      /* client: PAIR receiving handshake events, until ready */
    bool ready;
    bool refused;          /* the server's ZAP handler refused our key */
    bool busy;             /* ... refused the connection for now (limit) */
    tguard_t *guard;       /* server: watched connections, or NULL */
    char last_failure[96]; /* what the monitor saw go wrong, for ETIMEDOUT */
};

/* Connections of one identity (ZAP User-Id, which names the key). */
typedef struct tzap_count {
    char identity[TPEER_IDENTITY_MAX]; /* key */
    uint32_t live;                     /* connections known by their messages */
    int64_t *tickets;  /* expiries of accepted handshakes not yet heard */
    uint32_t ntickets; /* oldest first, at most per_identity */
    uint64_t refused;
    UT_hash_handle hh;
} tzap_count_t;

struct tzap {
    tctx_t *ctx;
    void *zsock;
    tzap_auth_f cb;
    void *arg;
    uint32_t per_identity; /* 0: no limit */
    int hello_ms;
    tzap_count_t *counts; /* uthash by identity */
};

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

static int64_t mono_ms (void)
{
    struct timespec ts;

    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "5 s", "1.5 s", "0.2 s" */
static void format_ms (int ms, char *buf, size_t len)
{
    snprintf (buf, len, "%g s", ms / 1000.0);
}

static int set_int (void *zsock, int option, int value)
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

    if (set_int (zsock, ZMQ_LINGER, linger) < 0 ||
        set_int (zsock, ZMQ_HANDSHAKE_IVL, HANDSHAKE_IVL_MS) < 0 ||
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
    if (set_common (s->zsock, 0) < 0 || set_int (s->zsock, ZMQ_CURVE_SERVER, 1) < 0 ||
        zmq_setsockopt (s->zsock, ZMQ_CURVE_SECRETKEY, server_kp->secret_z85,
                        KEY_Z85_LEN + 1) < 0 ||
        zmq_setsockopt (s->zsock, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen (ZAP_DOMAIN)) <
            0 ||
        set_int (s->zsock, ZMQ_ROUTER_MANDATORY, on) < 0 ||
        set_int (s->zsock, ZMQ_SNDHWM, SERVER_SNDHWM) < 0 ||
        set_int (s->zsock, ZMQ_RCVHWM, SERVER_RCVHWM) < 0) {
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
        set_int (s->zsock, ZMQ_RECONNECT_IVL, RECONNECT_IVL_MS) < 0 ||
        set_int (s->zsock, ZMQ_RECONNECT_IVL_MAX, RECONNECT_IVL_MAX_MS) < 0 ||
        set_int (s->zsock, ZMQ_SNDHWM, CLIENT_HWM) < 0 ||
        set_int (s->zsock, ZMQ_RCVHWM, CLIENT_HWM) < 0 ||
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
        set_int (s->monitor, ZMQ_LINGER, 0) < 0 || zmq_connect (s->monitor, mon) < 0) {
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

static void guard_destroy (tsock_t *s);

void tsock_destroy (tsock_t *s)
{
    int saved = errno;

    if (!s)
        return;
    guard_destroy (s);
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
static int monitor_read (void *monitor, uint16_t *event, uint32_t *value)
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

    while (s->monitor && monitor_read (s->monitor, &event, &value) == 0) {
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
    int64_t deadline = mono_ms () + timeout_ms, left;
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
        left = deadline - mono_ms ();
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

static tconn_t *guard_conn (tsock_t *s, const tpeer_t *peer);
static int guard_may_send (tsock_t *s, tconn_t *c, size_t len);
static void conn_heard (tsock_t *s, int fd, tpeer_t *peer);

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
    if (s->guard && (conn = guard_conn (s, peer)) &&
        guard_may_send (s, conn, len + strlen (type)) < 0)
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
        conn_heard (s, zmq_msg_get (&frames[kept - 1], ZMQ_SRCFD), peer);
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
    int64_t deadline = mono_ms () + timeout_ms, left;
    char when[32];
    tpeer_t peer;
    zmq_pollitem_t item;

    for (;;) {
        if (tsock_recv (s, &peer, m, err) == 0)
            return 0;
        if (errno != EAGAIN)
            return -1;
        left = deadline - mono_ms ();
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

/* ---- guarded server sockets --------------------------------------------------- */

static void zap_identified (tzap_t *z, const char *identity);
static void zap_gone (tzap_t *z, const char *identity);

int tsock_server_guard (tsock_t *s,
                        const tsock_guard_t *limits,
                        tsock_gone_f gone_cb,
                        void *arg,
                        cphub_error_t *err)
{
    tguard_t *g;
    char mon[64];

    if (!s->server || s->guard)
        return cphub_fail (err, EINVAL,
                           "only an unguarded server socket can be guarded");
    if (!(g = calloc (1, sizeof (*g))))
        return cphub_fail (err, ENOMEM, "out of memory");
    g->limits = *limits;
    g->gone_cb = gone_cb;
    g->arg = arg;
    s->guard = g;
    if (limits->send_queue > 0 &&
        set_int (s->zsock, ZMQ_SNDHWM, (int)limits->send_queue) < 0) {
        cphub_fail (err, errno, "cannot limit the send queue of %s: %s", s->endpoint,
                    zmq_strerror (errno));
        goto error;
    }
    snprintf (mon, sizeof (mon), "inproc://cphub-guard-%d", ++s->ctx->monitors);
    if (zmq_socket_monitor (s->zsock, mon, GUARD_EVENTS) < 0 ||
        !(g->monitor = zmq_socket (s->ctx->zctx, ZMQ_PAIR)) ||
        set_int (g->monitor, ZMQ_LINGER, 0) < 0 || zmq_connect (g->monitor, mon) < 0) {
        cphub_fail (err, errno, "cannot watch the connections of %s: %s", s->endpoint,
                    zmq_strerror (errno));
        goto error;
    }
    return 0;
error:
    guard_destroy (s);
    return -1;
}

static void conn_unlist (tguard_t *g, tconn_t *c)
{
    if (c->closing || (c->identified && c->held > 0))
        return;
    if (c->identified)
        DL_DELETE (g->idle, c);
    else
        DL_DELETE (g->hello, c);
}

static void guard_destroy (tsock_t *s)
{
    tguard_t *g = s->guard;
    tconn_t *c, *tmp;

    if (!g)
        return;
    if (g->monitor) {
        zmq_socket_monitor (s->zsock, NULL, 0);
        zmq_close (g->monitor);
    }
    HASH_ITER (hh, g->by_serial, c, tmp)
    {
        HASH_DEL (g->by_serial, c);
        s->ctx->conns--;
        free (c);
    }
    free (g->by_fd);
    free (g);
    s->guard = NULL;
}

size_t tsock_conn_count (const tsock_t *s)
{
    return s->guard ? HASH_COUNT (s->guard->by_serial) : 0;
}

/* Bytes of this connection that its peer's TCP stack acknowledged. */
static uint64_t conn_acked (const tconn_t *c)
{
    struct tcp_info info;
    socklen_t len = sizeof (info);

    memset (&info, 0, sizeof (info));
    if (getsockopt (c->fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0 ||
        len < offsetof (struct tcp_info, tcpi_bytes_acked) +
                  sizeof (info.tcpi_bytes_acked))
        return 0;
    return info.tcpi_bytes_acked;
}

/* Is c's fd still c's connection? Its peer's address says so: a reused fd
 * belongs to a new connection from another port. */
static bool conn_same_fd (const tconn_t *c)
{
    struct sockaddr_storage addr;
    socklen_t len = sizeof (addr);

    return getpeername (c->fd, (struct sockaddr *)&addr, &len) == 0 &&
           len == c->addr_len && memcmp (&addr, &c->addr, len) == 0;
}

static tconn_t *guard_conn (tsock_t *s, const tpeer_t *peer)
{
    tconn_t *c = NULL;

    if (peer && peer->conn)
        HASH_FIND (hh, s->guard->by_serial, &peer->conn, sizeof (peer->conn), c);
    return c && !c->closing ? c : NULL;
}

static int guard_may_send (tsock_t *s, tconn_t *c, size_t len)
{
    uint64_t limit = s->guard->limits.send_bytes, acked, queued;

    if (limit == 0 || c->sent_bytes == 0)
        return 0;
    acked = conn_acked (c);
    acked = acked > c->acked_base ? acked - c->acked_base : 0;
    queued = c->sent_bytes > acked ? c->sent_bytes - acked : 0;
    if (queued > 0 && queued + len + WIRE_OVERHEAD_BYTES > limit) {
        errno = ENOBUFS;
        return -1;
    }
    return 0;
}

/* Shut c's connection down; libzmq then drops it and reports it gone. */
static int conn_shutdown (tsock_t *s, tconn_t *c)
{
    tguard_t *g = s->guard;

    if (c->closing)
        return 0;
    conn_unlist (g, c);
    c->closing = true;
    if ((size_t)c->fd < g->by_fd_cap && g->by_fd[c->fd] == c && conn_same_fd (c))
        return shutdown (c->fd, SHUT_RDWR);
    errno = ENOENT;
    return -1;
}

static int guard_index (tguard_t *g, int fd)
{
    if (fd < 0)
        return -1;
    if ((size_t)fd >= g->by_fd_cap) {
        size_t cap = g->by_fd_cap ? g->by_fd_cap : 64;
        tconn_t **grown;
        while (cap <= (size_t)fd)
            cap *= 2;
        if (!(grown = realloc (g->by_fd, cap * sizeof (*grown))))
            return -1;
        memset (grown + g->by_fd_cap, 0, (cap - g->by_fd_cap) * sizeof (*grown));
        g->by_fd = grown;
        g->by_fd_cap = cap;
    }
    return 0;
}

static void conn_gone (tsock_t *s, tconn_t *c)
{
    tguard_t *g = s->guard;
    tpeer_t peer;

    conn_unlist (g, c);
    HASH_DEL (g->by_serial, c);
    if ((size_t)c->fd < g->by_fd_cap && g->by_fd[c->fd] == c)
        g->by_fd[c->fd] = NULL;
    s->ctx->conns--;
    if (c->identified) {
        if (s->ctx->zap)
            zap_gone (s->ctx->zap, c->identity);
        memset (&peer, 0, sizeof (peer));
        memcpy (peer.rid, c->rid, c->rid_len);
        peer.rid_len = c->rid_len;
        snprintf (peer.identity, sizeof (peer.identity), "%s", c->identity);
        peer.conn = c->serial;
        if (g->gone_cb)
            g->gone_cb (s, &peer, g->arg);
    }
    free (c);
}

/* Fewer than fd_reserve file descriptors left after this accept? */
static bool fds_short (tsock_t *s, int fd)
{
    uint64_t reserve = s->guard->limits.fd_reserve;
    struct rlimit rl;

    if (reserve == 0 || getrlimit (RLIMIT_NOFILE, &rl) < 0 ||
        rl.rlim_cur == RLIM_INFINITY)
        return false;
    return (uint64_t)fd + reserve >= rl.rlim_cur ||
           s->ctx->conns + reserve >= rl.rlim_cur;
}

static void conn_accepted (tsock_t *s, int fd)
{
    tguard_t *g = s->guard;
    tconn_t *c;

    if (guard_index (g, fd) < 0)
        return;
    if (g->by_fd[fd]) /* its DISCONNECTED was lost: the fd was closed since */
        conn_gone (s, g->by_fd[fd]);
    if (!(c = calloc (1, sizeof (*c)))) {
        log_err ("out of memory tracking a connection on %s; closing it", s->endpoint);
        shutdown (fd, SHUT_RDWR);
        return;
    }
    c->fd = fd;
    c->serial = ++s->ctx->serial;
    c->last_ms = mono_ms ();
    c->addr_len = sizeof (c->addr);
    if (getpeername (fd, (struct sockaddr *)&c->addr, &c->addr_len) < 0)
        c->addr_len = 0;
    c->acked_base = conn_acked (c);
    g->by_fd[fd] = c;
    HASH_ADD (hh, g->by_serial, serial, sizeof (c->serial), c);
    DL_APPEND (g->hello, c);
    s->ctx->conns++;
    if (fds_short (s, fd)) {
        if (g->refused_fd++ % ZAP_REFUSALS_LOGGED_EVERY == 0)
            log_warn (
                "%s: fewer than %u file descriptors left; refusing new "
                "connections (%" PRIu64 " so far)",
                s->endpoint, g->limits.fd_reserve, g->refused_fd);
        conn_shutdown (s, c);
    }
}

/* Take in the monitor's events: connections accepted and gone. */
static void guard_events (tsock_t *s)
{
    tguard_t *g = s->guard;
    uint16_t event;
    uint32_t value;

    while (monitor_read (g->monitor, &event, &value) == 0) {
        int fd = (int)value;
        if (event == ZMQ_EVENT_ACCEPTED)
            conn_accepted (s, fd);
        else if (event == ZMQ_EVENT_DISCONNECTED && fd >= 0 &&
                 (size_t)fd < g->by_fd_cap && g->by_fd[fd])
            conn_gone (s, g->by_fd[fd]);
    }
}

/* A message came in on fd: the connection is alive, and its first message
 * says who it is. A message of an earlier connection on a reused fd (its
 * routing id differs) is not counted. */
static void conn_heard (tsock_t *s, int fd, tpeer_t *peer)
{
    tguard_t *g = s->guard;
    tconn_t *c;

    guard_events (s);
    if (fd < 0 || (size_t)fd >= g->by_fd_cap || !(c = g->by_fd[fd]))
        return;
    if (!c->identified) {
        conn_unlist (g, c);
        c->identified = true;
        memcpy (c->rid, peer->rid, peer->rid_len);
        c->rid_len = peer->rid_len;
        snprintf (c->identity, sizeof (c->identity), "%s", peer->identity);
        if (s->ctx->zap)
            zap_identified (s->ctx->zap, c->identity);
        if (!c->closing)
            DL_APPEND (g->idle, c);
    } else if (c->rid_len != peer->rid_len ||
               memcmp (c->rid, peer->rid, c->rid_len) != 0) {
        return;
    } else if (!c->closing && c->held == 0) {
        DL_DELETE (g->idle, c);
        DL_APPEND (g->idle, c);
    }
    c->last_ms = mono_ms ();
    peer->conn = c->serial;
}

/* The length of identity without its key part, for logs: the scheduler's
 * ZAP identities are "ROLE:NAME:KEY". */
static int identity_len (const char *identity)
{
    const char *first = strchr (identity, ':'), *last = strrchr (identity, ':');

    return (int)(first && last != first ? (size_t)(last - identity)
                                        : strlen (identity));
}

/* Close the connections silent for too long: the oldest are at the heads. */
static void guard_sweep (tsock_t *s)
{
    tguard_t *g = s->guard;
    int64_t now = mono_ms ();
    int idle = g->limits.idle_ms;
    int hello = g->limits.hello_ms > 0 ? g->limits.hello_ms : idle;
    tconn_t *c;

    guard_events (s);
    while (hello > 0 && (c = g->hello) && now - c->last_ms >= hello) {
        if (g->hello_closed++ % ZAP_REFUSALS_LOGGED_EVERY == 0)
            log_info ("%s: closing a connection that sent nothing for %d ms (%" PRIu64
                      " so far)",
                      s->endpoint, hello, g->hello_closed);
        conn_shutdown (s, c);
    }
    while (idle > 0 && (c = g->idle) && now - c->last_ms >= idle) {
        log_info ("closing the connection of %.*s: silent for %d s",
                  identity_len (c->identity), c->identity, idle / 1000);
        conn_shutdown (s, c);
    }
}

void tsock_peer_hold (tsock_t *s, const tpeer_t *peer, int delta)
{
    tconn_t *c;

    if (!s->guard || !(c = guard_conn (s, peer)) || !c->identified)
        return;
    if (delta > 0) {
        if (c->held++ == 0)
            DL_DELETE (s->guard->idle, c);
    } else if (c->held > 0 && --c->held == 0) {
        c->last_ms = mono_ms ();
        DL_APPEND (s->guard->idle, c);
    }
}

int tsock_close_peer (tsock_t *s, const tpeer_t *peer)
{
    tconn_t *c;

    if (!s->guard) {
        errno = EINVAL;
        return -1;
    }
    guard_events (s);
    if (!(c = guard_conn (s, peer))) {
        errno = ENOENT;
        return -1;
    }
    return conn_shutdown (s, c);
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
        set_int (z->zsock, ZMQ_LINGER, 0) < 0 ||
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

/* ---- connections per identity ----------------------------------------------- */

void tzap_set_limit (tzap_t *z, uint32_t per_identity, int hello_ms)
{
    z->per_identity = per_identity;
    z->hello_ms = hello_ms;
}

static tzap_count_t *zap_count (tzap_t *z, const char *identity)
{
    tzap_count_t *c = NULL;

    HASH_FIND_STR (z->counts, identity, c);
    if (c)
        return c;
    if (!(c = calloc (1, sizeof (*c))))
        return NULL;
    snprintf (c->identity, sizeof (c->identity), "%s", identity);
    HASH_ADD_STR (z->counts, identity, c);
    return c;
}

static void zap_tickets_drop (tzap_count_t *c, uint32_t n)
{
    n = n < c->ntickets ? n : c->ntickets;
    memmove (c->tickets, c->tickets + n, (c->ntickets - n) * sizeof (*c->tickets));
    c->ntickets -= n;
}

static void zap_tickets_expire (tzap_count_t *c, int64_t now)
{
    uint32_t n = 0;

    while (n < c->ntickets && c->tickets[n] <= now)
        n++;
    zap_tickets_drop (c, n);
}

/* May identity open one more connection? If so, it holds a ticket until
 * its first message (zap_identified) or hello_ms. */
static bool zap_admit (tzap_t *z, const char *identity)
{
    int64_t now = mono_ms ();
    tzap_count_t *c;

    if (z->per_identity == 0)
        return true;
    if (!(c = zap_count (z, identity)))
        return false;
    if (!c->tickets && !(c->tickets = calloc (z->per_identity, sizeof (*c->tickets))))
        return false;
    zap_tickets_expire (c, now);
    if (c->live + c->ntickets >= z->per_identity) {
        if (c->refused++ % ZAP_REFUSALS_LOGGED_EVERY == 0)
            log_warn (
                "zap: refused a connection of %.*s: it has %u open, the limit "
                "(%" PRIu64 " refused so far)",
                identity_len (identity), identity, c->live + c->ntickets, c->refused);
        return false;
    }
    c->tickets[c->ntickets++] = now + z->hello_ms + ZAP_TICKET_SLACK_MS;
    return true;
}

static void zap_identified (tzap_t *z, const char *identity)
{
    tzap_count_t *c;

    if (z->per_identity == 0 || !(c = zap_count (z, identity)))
        return;
    zap_tickets_drop (c, 1);
    c->live++;
}

static void zap_gone (tzap_t *z, const char *identity)
{
    tzap_count_t *c = NULL;

    HASH_FIND_STR (z->counts, identity, c);
    if (c && c->live > 0)
        c->live--;
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
    if (!zap_admit (z, identity)) { /* 500: the client reports EAGAIN */
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
            guard_events (e->sock);
        else
            e->fd_cb (e->fd, e->arg);
    }
    for (i = 0; i < n; i++)
        if (l->entries[i].kind == TL_GUARD && !l->entries[i].removed)
            guard_sweep (l->entries[i].sock);
    return handled;
}
