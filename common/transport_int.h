/* transport_int.h: what transport.c and transport_guard.c share inside
 * libcphub (nothing outside common/ includes it): the types behind the
 * opaque handles of cphub/transport.h, and the few helpers and guard
 * functions each file calls of the other. transport.c makes sockets,
 * moves messages, serves ZAP and runs the loop; transport_guard.c watches
 * a guarded server socket's connections and counts connections per key.
 */
#ifndef CPHUB_COMMON_TRANSPORT_INT_H
#define CPHUB_COMMON_TRANSPORT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uthash.h>

#include "cphub/transport.h"

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

/* Helpers of transport.c. */
int transport_set_int (void *zsock, int option, int value);
/* One monitor event: 0 with event and value, -1/EAGAIN when none. */
int transport_monitor_read (void *monitor, uint16_t *event, uint32_t *value);

/* transport_guard.c, for transport.c: free s's guard (NULL: nothing); the
 * connection of peer (NULL: unknown or closing); may len more bytes go to
 * it (-1/ENOBUFS); a message came in on fd from peer (fills peer->conn);
 * take in the monitor's events; close the connections silent too long;
 * may this identity open one more connection (ZAP). */
void tguard_destroy (tsock_t *s);
tconn_t *tguard_conn (tsock_t *s, const tpeer_t *peer);
int tguard_may_send (tsock_t *s, tconn_t *c, size_t len);
void tguard_heard (tsock_t *s, int fd, tpeer_t *peer);
void tguard_events (tsock_t *s);
void tguard_sweep (tsock_t *s);
bool tzap_admit (tzap_t *z, const char *identity);
/* The length of identity without its key part ("ROLE:NAME:KEY"), for logs. */
int transport_identity_len (const char *identity);

#endif
