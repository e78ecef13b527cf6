/* runner_wire.h: the records the agent's two processes exchange over their
 * socketpair (privilege separation, runner.h).
 *
 * A record is an 8-byte header, the type and the payload's length (two
 * uint32 in host order: both ends are the same program on the same
 * machine), then the payload: fixed-width integers and doubles, and strings
 * as a uint32 length and that many bytes without a NUL (UINT32_MAX: no
 * string). The type table below says which process may send each type and
 * its largest payload; runner_wire_check_header() refuses the rest before a
 * byte of the payload is read. runner_wire_decode() reads a payload into a
 * typed record and checks every field (string lengths and characters,
 * counts, enum ranges, no bytes left over); a job to start is checked as
 * job.run is by the wire codec (its constraint, array and after parsed from
 * their text, then jobspec_validate). Nothing here does I/O
 * except runner_wire_send() and runner_reader_fill(), which move bytes and
 * passed descriptors (SCM_RIGHTS) and interpret none.
 */
#ifndef CPHUB_AGENT_RUNNER_WIRE_H
#define CPHUB_AGENT_RUNNER_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cphub/error.h"
#include "cphub/msg.h"

#define RUNNER_HEADER_SIZE 8
/* The largest payload: a job to start, whose command and script came in
 * one job.run of at most MSG_MAX_BYTES. */
#define RUNNER_PAYLOAD_MAX (MSG_MAX_BYTES + 65536)
/* Text of a failure carried back to the network side. */
#define RUNNER_TEXT_MAX CPHUB_ERROR_TEXT_MAX
/* Descriptors a reader holds that no record has claimed yet. */
#define RUNNER_FDS_MAX 8

/* Which process sends a type. */
typedef enum { RUNNER_FROM_NET = 0, RUNNER_FROM_ROOT } runner_side_t;

typedef enum {
    RUNNER_INVALID = 0,
    /* requests, network side -> root side */
    RUNNER_REQ_RECOVER,   /* no payload: adopt what an earlier agent left */
    RUNNER_REQ_START,     /* run: start this job */
    RUNNER_REQ_KILL,      /* kill: signal a job */
    RUNNER_REQ_EXIT_ACK,  /* id: the scheduler has this job's exit */
    RUNNER_REQ_EXIT_SAVE, /* exit: record a LOST job's report */
    RUNNER_REQ_LOG_OPEN,  /* log: open a job's output for reading */
    RUNNER_REQ_SHUTDOWN,  /* no payload: the network side is stopping */
    /* events and answers, root side -> network side */
    RUNNER_EV_HELD,         /* job: a running job, adopted at recovery */
    RUNNER_EV_RECOVERED,    /* recovered: answers REQ_RECOVER */
    RUNNER_EV_STARTED,      /* job: answers REQ_START */
    RUNNER_EV_START_FAILED, /* exit: answers REQ_START (the report saved) */
    RUNNER_EV_KILLED,       /* result: answers REQ_KILL */
    RUNNER_EV_EXITED,       /* exit: a job ended */
    RUNNER_EV_LOG_OPENED,   /* result: answers REQ_LOG_OPEN; fd passed if 0 */
    RUNNER_TYPE_COUNT
} runner_type_t;

typedef struct runner_job {
    uint64_t id;
    int64_t pid;
    double start_time;
    uint32_t run; /* the scheduler's number of the run; 0: not given */
} runner_job_t;

/* code 0, or an errno value with text. */
typedef struct runner_result {
    uint64_t id;
    int32_t code;
    char text[RUNNER_TEXT_MAX + 1];
} runner_result_t;

typedef struct runner_kill {
    uint64_t id;
    int32_t signal;
} runner_kill_t;

typedef struct runner_log {
    uint64_t id;
    log_stream_t stream;
} runner_log_t;

typedef struct runner_recovered {
    uint32_t adopted;
    uint32_t reported;
    int32_t code;
    char text[RUNNER_TEXT_MAX + 1];
} runner_recovered_t;

typedef struct runner_record {
    runner_type_t type;
    union {
        msg_job_run_t run; /* REQ_START; owns its strings */
        runner_kill_t kill;
        uint64_t id; /* REQ_EXIT_ACK */
        msg_job_exit_t exit;
        runner_log_t log;
        runner_job_t job;
        runner_recovered_t recovered;
        runner_result_t result;
    } u;
} runner_record_t;

/* The type's name ("start"), NULL when not a type. */
const char *runner_type_name (runner_type_t type);

/* A header read from the peer: 0 when type is one `from` sends and len is
 * within its bounds; -1/EPROTO with err otherwise. */
int runner_wire_check_header (runner_side_t from,
                              uint32_t type,
                              uint32_t len,
                              cphub_error_t *err);

/* Encode r, header and payload, into a malloc'd buffer (*buf, *len). 0, or
 * -1 with EINVAL (a string past its bound) or ENOMEM. */
int runner_wire_encode (const runner_record_t *r, uint8_t **buf, size_t *len);

/* Decode a payload of a type that passed runner_wire_check_header(). 0 with
 * *r (free it with runner_record_clear()); -1/EPROTO with err when any field
 * is malformed, out of range or bytes are left over (r is then cleared). */
int runner_wire_decode (runner_type_t type,
                        const uint8_t *payload,
                        size_t len,
                        runner_record_t *r,
                        cphub_error_t *err);

/* Free what r owns (a job to start's strings); r becomes RUNNER_INVALID. */
void runner_record_clear (runner_record_t *r);

/* --- moving records --------------------------------------------------------- */

/* Bytes read from the peer and not yet made records, with descriptors it
 * passed. Zero-initialized, then runner_reader_clear() to free. */
typedef struct runner_reader {
    uint8_t *buf;
    size_t pos; /* where the next record starts */
    size_t len; /* bytes in buf */
    size_t cap;
    int fds[RUNNER_FDS_MAX];
    int nfds;
} runner_reader_t;

/* One recvmsg() from sock into rd (MSG_DONTWAIT when nonblock). >0 bytes,
 * 0 at EOF, -1 with errno (EAGAIN; EPROTO when the peer passed more
 * descriptors than RUNNER_FDS_MAX, or a descriptor came truncated). */
ssize_t runner_reader_fill (runner_reader_t *rd, int sock, bool nonblock);

/* The next complete record from `from`: 1 and *r (caller clears it), 0 when
 * more bytes are needed, -1/EPROTO with err for a bad header or payload. */
int runner_reader_next (runner_reader_t *rd,
                        runner_side_t from,
                        runner_record_t *r,
                        cphub_error_t *err);

/* The oldest descriptor passed and not yet claimed (the caller owns it), or
 * -1/ENOENT. */
int runner_reader_take_fd (runner_reader_t *rd);
void runner_reader_clear (runner_reader_t *rd);

/* Write len bytes of buf to sock, passing fd with the first byte when fd >=
 * 0. Blocking (retried on EINTR) unless nonblock: then *sent says how far
 * it got (fd went with the first byte when *sent > 0). 0, or -1 with errno
 * (EAGAIN when nonblock, EPIPE: the peer is gone). */
int runner_wire_send (
    int sock, const uint8_t *buf, size_t len, int fd, bool nonblock, size_t *sent);

#endif
