/* transport.h: ZeroMQ sockets with CURVE, the ZAP handler, and the poll loop
 * (transport.c is the only place with zmq.h).
 *
 * Servers (the scheduler) bind ROUTER sockets as CURVE servers; every
 * connection is checked by the ZAP handler, whose callback maps the client's
 * public key to an identity string ("tenant:acme", "operator:ops",
 * "agent:node1") or refuses it. Each received message carries that identity,
 * which is what the transport authenticated, never what the body claims.
 * Clients (cli, agents) connect DEALER sockets as CURVE clients.
 *
 * Receiving is non-blocking: a socket callback drains tsock_recv() until it
 * returns -1/EAGAIN. Frames that do not decode are answered by the caller
 * (tsock_recv fills peer and err so that it can) and never crash anything.
 */
#ifndef CPHUB_TRANSPORT_H
#define CPHUB_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cphub/error.h"
#include "cphub/keys.h"
#include "cphub/msg.h"

typedef struct tctx tctx_t;
typedef struct tsock tsock_t;
typedef struct tzap tzap_t;
typedef struct tloop tloop_t;

#define TPEER_ID_MAX 256
#define TPEER_IDENTITY_MAX 128

/* Who sent a message on a ROUTER socket. */
typedef struct tpeer {
    unsigned char rid[TPEER_ID_MAX]; /* ZeroMQ routing id */
    size_t rid_len;
    char identity[TPEER_IDENTITY_MAX]; /* ZAP User-Id, "" on DEALER sockets */
    uint64_t conn; /* the connection's serial on a guarded server, 0 unknown */
} tpeer_t;

tctx_t *tctx_create (void);
void tctx_destroy (tctx_t *ctx); /* close sockets first */
/* Allow n sockets (ZeroMQ's default is 1023), before any is created: a
 * process that plays many nodes needs three per client socket. */
int tctx_set_max_sockets (tctx_t *ctx, int n);

/* Fill kp with a new CURVE key pair. */
int transport_keypair (cphub_keypair_t *kp, cphub_error_t *err);

/* ROUTER, CURVE server with the given key pair, ZAP domain "cphub",
 * ZMQ_MAXMSGSIZE = MSG_MAX_BYTES + 4096, ZMQ_ROUTER_MANDATORY off, bound to
 * endpoint ("tcp://127.0.0.1:7710"; port 0 or "*" means an ephemeral port:
 * see tsock_endpoint). */
tsock_t *tsock_server_create (tctx_t *ctx,
                              const char *endpoint,
                              const cphub_keypair_t *server_kp,
                              cphub_error_t *err);
/* DEALER, CURVE client, connecting to endpoint. Reconnects by itself. */
tsock_t *tsock_client_create (tctx_t *ctx,
                              const char *endpoint,
                              const char *server_public_z85,
                              const cphub_keypair_t *client_kp,
                              cphub_error_t *err);
void tsock_destroy (tsock_t *s); /* linger 0 ... or a short linger for clients */

/* The endpoint actually bound (after port 0/"*"), e.g. "tcp://127.0.0.1:41234". */
const char *tsock_endpoint (const tsock_t *s);

/* For a client: wait up to timeout_ms for the CURVE handshake. 0 when it
 * succeeded; -1 with EACCES and err "the scheduler at tcp://... refused this
 * key (it is not in the scheduler's config)" when ZAP refused it; EAGAIN
 * when the scheduler refused the connection for now (too many connections
 * with this key, see tzap_set_limit); ETIMEDOUT
 * "no answer from the scheduler at tcp://... within 5 s" otherwise. */
int tsock_client_wait_ready (tsock_t *s, int timeout_ms, cphub_error_t *err);

/* Send m. peer: the routing target on a ROUTER, NULL on a DEALER. Never
 * blocks: -1/EAGAIN when the peer's queue is full, ENOBUFS when a guarded
 * socket's peer holds more than send_bytes, EHOSTUNREACH for an unknown
 * peer (logged by the caller, not fatal). */
int tsock_send (tsock_t *s, const tpeer_t *peer, const msg_t *m);

/* Receive one message without blocking. 0 and *m (caller destroys) and
 * *peer. -1/EAGAIN: nothing ready. -1 with another errno (EPROTO, ENOENT,
 * E2BIG, EINVAL) and err: a message arrived but is malformed; peer is filled
 * so the caller can answer with an error; the bad frames are consumed. */
int tsock_recv (tsock_t *s, tpeer_t *peer, msg_t **m, cphub_error_t *err);

/* Blocking receive with a timeout for one-shot clients: -1/ETIMEDOUT. */
int tsock_recv_wait (tsock_t *s, int timeout_ms, msg_t **m, cphub_error_t *err);

/* ---- guarding a server socket's connections ----
 *
 * A guarded ROUTER watches its connections through a socket monitor: each
 * accepted connection gets a serial (never reused, unlike its fd), learns
 * its routing id and identity from its first message (ZMQ_SRCFD), and is
 * closed from the server side (shutdown of its fd, after checking that the
 * fd still is that connection) when it stays silent too long, when fewer
 * than fd_reserve file descriptors remain at its accept, or on
 * tsock_close_peer. Sends to a peer fail with EAGAIN once send_queue
 * messages wait for it in libzmq, and with ENOBUFS once more than
 * send_bytes bytes sent to it are not yet acknowledged by its TCP stack
 * (so what one slow reader makes the server hold is bounded); the caller
 * then cuts the peer off. When a connection is gone, gone_cb gets its peer
 * (rid, identity, conn), so that whatever was parked for it can be freed. */
typedef struct tsock_guard {
    int idle_ms;         /* close a connection silent this long; 0: never */
    int hello_ms;        /* close one that never sent a message; 0: idle_ms */
    uint32_t fd_reserve; /* refuse new connections below this many free fds */
    uint32_t send_queue; /* messages queued per peer (ZMQ_SNDHWM); 0: default */
    uint64_t send_bytes; /* unacknowledged bytes per peer; 0: no limit */
} tsock_guard_t;
typedef void (*tsock_gone_f) (tsock_t *s, const tpeer_t *peer, void *arg);

/* Guard server socket s (before it is added to a loop, and before peers
 * connect). 0, or -1 with errno and err. */
int tsock_server_guard (tsock_t *s,
                        const tsock_guard_t *guard,
                        tsock_gone_f gone_cb,
                        void *arg,
                        cphub_error_t *err);
/* Close peer's connection from the server side. 0; -1/ENOENT when it is
 * gone already (or not known: peer->conn 0); gone_cb follows later. */
int tsock_close_peer (tsock_t *s, const tpeer_t *peer);
/* The server holds something for peer (a parked request): delta +1 when
 * it parks one, -1 when it answers or drops it. A connection holding
 * something is not closed as idle: its client is waiting for an answer. */
void tsock_peer_hold (tsock_t *s, const tpeer_t *peer, int delta);
/* Connections open on a guarded server socket. */
size_t tsock_conn_count (const tsock_t *s);

/* ZAP: cb returns 0 and fills identity to accept, -1 to refuse. pubkey_z85
 * is the client's public key. */
typedef int (*tzap_auth_f) (const char *pubkey_z85,
                            char identity[TPEER_IDENTITY_MAX],
                            void *arg);
/* Bind the ZAP handler on the context (create before server sockets). */
tzap_t *tzap_create (tctx_t *ctx, tzap_auth_f cb, void *arg, cphub_error_t *err);
void tzap_destroy (tzap_t *z);
/* Refuse a handshake (ZAP status 500, which the client's transport reports
 * as EAGAIN "too many connections") when its identity has per_identity
 * connections open already: those known by their messages on guarded
 * sockets, plus the handshakes accepted in the last hello_ms that have not
 * spoken yet (a guarded socket closes those after hello_ms). 0: no limit. */
void tzap_set_limit (tzap_t *z, uint32_t per_identity, int hello_ms);

/* The loop: poll sockets, the ZAP handler and plain fds. */
typedef void (*tloop_sock_f) (tsock_t *s, void *arg);
typedef void (*tloop_fd_f) (int fd, void *arg);
tloop_t *tloop_create (void);
void tloop_destroy (tloop_t *l);
/* A guarded socket's monitor is polled with it, and its silent connections
 * are closed on every turn. */
int tloop_add_sock (tloop_t *l, tsock_t *s, tloop_sock_f cb, void *arg);
int tloop_add_zap (tloop_t *l, tzap_t *z);
int tloop_add_fd (tloop_t *l, int fd, tloop_fd_f cb, void *arg);
int tloop_remove_fd (tloop_t *l, int fd);
/* Wait up to timeout_ms (-1 forever) for something ready, then call the
 * callbacks of everything ready. Returns the count handled, 0 on timeout,
 * -1 on error (EINTR is returned as 0). */
int tloop_run_once (tloop_t *l, int timeout_ms);

#endif
