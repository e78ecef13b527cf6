/* transport_guard.c: a guarded server socket's connections (see
 * cphub/transport.h): a socket monitor reports each connection accepted
 * and gone with its fd, ZMQ_SRCFD ties each message to its connection, and
 * the connections are kept by a serial that is never reused, so that a
 * reused fd is never taken for the connection before it. From that come
 * the idle and hello timeouts, the file descriptor reserve, the unread
 * bytes per peer, closing a peer from the server side, and the gone
 * callback; and, for the ZAP handler, the count of connections per key.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uthash.h>
#include <utlist.h>
#include <zmq.h>

#include "common/transport_int.h"
#include "cphub/clock.h"
#include "cphub/log.h"

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
        transport_set_int (s->zsock, ZMQ_SNDHWM, (int)limits->send_queue) < 0) {
        cphub_fail (err, errno, "cannot limit the send queue of %s: %s", s->endpoint,
                    zmq_strerror (errno));
        goto error;
    }
    snprintf (mon, sizeof (mon), "inproc://cphub-guard-%d", ++s->ctx->monitors);
    if (zmq_socket_monitor (s->zsock, mon, GUARD_EVENTS) < 0 ||
        !(g->monitor = zmq_socket (s->ctx->zctx, ZMQ_PAIR)) ||
        transport_set_int (g->monitor, ZMQ_LINGER, 0) < 0 ||
        zmq_connect (g->monitor, mon) < 0) {
        cphub_fail (err, errno, "cannot watch the connections of %s: %s", s->endpoint,
                    zmq_strerror (errno));
        goto error;
    }
    return 0;
error:
    tguard_destroy (s);
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

void tguard_destroy (tsock_t *s)
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

tconn_t *tguard_conn (tsock_t *s, const tpeer_t *peer)
{
    tconn_t *c = NULL;

    if (peer && peer->conn)
        HASH_FIND (hh, s->guard->by_serial, &peer->conn, sizeof (peer->conn), c);
    return c && !c->closing ? c : NULL;
}

int tguard_may_send (tsock_t *s, tconn_t *c, size_t len)
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
    c->last_ms = cphub_monotonic_ms ();
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
void tguard_events (tsock_t *s)
{
    tguard_t *g = s->guard;
    uint16_t event;
    uint32_t value;

    while (transport_monitor_read (g->monitor, &event, &value) == 0) {
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
void tguard_heard (tsock_t *s, int fd, tpeer_t *peer)
{
    tguard_t *g = s->guard;
    tconn_t *c;

    tguard_events (s);
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
    c->last_ms = cphub_monotonic_ms ();
    peer->conn = c->serial;
}

/* The length of identity without its key part, for logs: the scheduler's
 * ZAP identities are "ROLE:NAME:KEY". */
int transport_identity_len (const char *identity)
{
    const char *first = strchr (identity, ':'), *last = strrchr (identity, ':');

    return (int)(first && last != first ? (size_t)(last - identity)
                                        : strlen (identity));
}

/* Close the connections silent for too long: the oldest are at the heads. */
void tguard_sweep (tsock_t *s)
{
    tguard_t *g = s->guard;
    int64_t now = cphub_monotonic_ms ();
    int idle = g->limits.idle_ms;
    int hello = g->limits.hello_ms > 0 ? g->limits.hello_ms : idle;
    tconn_t *c;

    tguard_events (s);
    while (hello > 0 && (c = g->hello) && now - c->last_ms >= hello) {
        if (g->hello_closed++ % ZAP_REFUSALS_LOGGED_EVERY == 0)
            log_info ("%s: closing a connection that sent nothing for %d ms (%" PRIu64
                      " so far)",
                      s->endpoint, hello, g->hello_closed);
        conn_shutdown (s, c);
    }
    while (idle > 0 && (c = g->idle) && now - c->last_ms >= idle) {
        log_info ("closing the connection of %.*s: silent for %d s",
                  transport_identity_len (c->identity), c->identity, idle / 1000);
        conn_shutdown (s, c);
    }
}

void tsock_peer_hold (tsock_t *s, const tpeer_t *peer, int delta)
{
    tconn_t *c;

    if (!s->guard || !(c = tguard_conn (s, peer)) || !c->identified)
        return;
    if (delta > 0) {
        if (c->held++ == 0)
            DL_DELETE (s->guard->idle, c);
    } else if (c->held > 0 && --c->held == 0) {
        c->last_ms = cphub_monotonic_ms ();
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
    tguard_events (s);
    if (!(c = tguard_conn (s, peer))) {
        errno = ENOENT;
        return -1;
    }
    return conn_shutdown (s, c);
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
bool tzap_admit (tzap_t *z, const char *identity)
{
    int64_t now = cphub_monotonic_ms ();
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
                transport_identity_len (identity), identity, c->live + c->ntickets,
                c->refused);
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
