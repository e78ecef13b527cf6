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
} tpeer_t;

tctx_t *tctx_create (void);
void tctx_destroy (tctx_t *ctx); /* close sockets first */

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
 * key (it is not in the scheduler's config)" when ZAP refused it; ETIMEDOUT
 * "no answer from the scheduler at tcp://... within 5 s" otherwise. */
int tsock_client_wait_ready (tsock_t *s, int timeout_ms, cphub_error_t *err);

/* Send m. peer: the routing target on a ROUTER, NULL on a DEALER. Never
 * blocks: -1/EAGAIN when the peer's queue is full, EHOSTUNREACH for an
 * unknown peer (logged by the caller, not fatal). */
int tsock_send (tsock_t *s, const tpeer_t *peer, const msg_t *m);

/* Receive one message without blocking. 0 and *m (caller destroys) and
 * *peer. -1/EAGAIN: nothing ready. -1 with another errno (EPROTO, ENOENT,
 * E2BIG, EINVAL) and err: a message arrived but is malformed; peer is filled
 * so the caller can answer with an error; the bad frames are consumed. */
int tsock_recv (tsock_t *s, tpeer_t *peer, msg_t **m, cphub_error_t *err);

/* Blocking receive with a timeout for one-shot clients: -1/ETIMEDOUT. */
int tsock_recv_wait (tsock_t *s, int timeout_ms, msg_t **m, cphub_error_t *err);

/* ZAP: cb returns 0 and fills identity to accept, -1 to refuse. pubkey_z85
 * is the client's public key. */
typedef int (*tzap_auth_f) (const char *pubkey_z85,
                            char identity[TPEER_IDENTITY_MAX],
                            void *arg);
/* Bind the ZAP handler on the context (create before server sockets). */
tzap_t *tzap_create (tctx_t *ctx, tzap_auth_f cb, void *arg, cphub_error_t *err);
void tzap_destroy (tzap_t *z);

/* The loop: poll sockets, the ZAP handler and plain fds. */
typedef void (*tloop_sock_f) (tsock_t *s, void *arg);
typedef void (*tloop_fd_f) (int fd, void *arg);
tloop_t *tloop_create (void);
void tloop_destroy (tloop_t *l);
int tloop_add_sock (tloop_t *l, tsock_t *s, tloop_sock_f cb, void *arg);
int tloop_add_zap (tloop_t *l, tzap_t *z);
int tloop_add_fd (tloop_t *l, int fd, tloop_fd_f cb, void *arg);
int tloop_remove_fd (tloop_t *l, int fd);
/* Wait up to timeout_ms (-1 forever) for something ready, then call the
 * callbacks of everything ready. Returns the count handled, 0 on timeout,
 * -1 on error (EINTR is returned as 0). */
int tloop_run_once (tloop_t *l, int timeout_ms);

#endif
