/* runner_wire.c: encoding, checking and moving the records of the agent's
 * socketpair (runner_wire.h).
 *
 * Why not the wire codec (common/msg.c) for a job to start: the root side
 * must never parse JSON, the format a compromised network side would attack
 * first. A record is a flat sequence of fixed-width fields in one order
 * per type, read through a cursor that fails (and stays failed) at the
 * first byte it cannot account for; every string has its own bound and
 * character set, the job's spec is parsed and checked again (its typed
 * parts by their parsers, the whole by jobspec_validate()),
 * and the root side copies nothing it has not checked. The encoder is the
 * same table read the other way, so both ends cannot disagree.
 */
#include "agent/runner_wire.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cphub/jobspec.h"

/* The exit kinds job.exit carries (as the codec's table). */
#define RUNNER_EXIT_KINDS EXIT_KIND_COUNT
/* A string field that may be absent. */
#define RUNNER_STR_NONE UINT32_MAX

/* Fixed payload sizes. */
#define SIZE_JOB (8 + 8 + 8 + 4)
#define SIZE_KILL (8 + 4)
#define SIZE_LOG (8 + 4)
#define SIZE_ID 8
/* a result: id, code, text (length + bytes) */
#define SIZE_RESULT (8 + 4 + 4 + RUNNER_TEXT_MAX)
#define SIZE_RECOVERED (4 + 4 + 4 + 4 + RUNNER_TEXT_MAX)
/* an exit: id, kind, exit_code, signal, 3 doubles, max_rss, survived, text,
 * run */
#define SIZE_EXIT \
    (8 + 4 + 4 + 4 + 8 * 3 + 8 + 1 + 4 + sizeof (((msg_job_exit_t *)0)->text) + 4)

typedef struct type_info {
    const char *name;
    runner_side_t from;
    uint32_t max; /* payload bytes */
} type_info_t;

static const type_info_t types[RUNNER_TYPE_COUNT] = {
    [RUNNER_REQ_RECOVER] = {"recover", RUNNER_FROM_NET, 0},
    [RUNNER_REQ_START] = {"start", RUNNER_FROM_NET, RUNNER_PAYLOAD_MAX},
    [RUNNER_REQ_KILL] = {"kill", RUNNER_FROM_NET, SIZE_KILL},
    [RUNNER_REQ_EXIT_ACK] = {"exit-ack", RUNNER_FROM_NET, SIZE_ID},
    [RUNNER_REQ_EXIT_SAVE] = {"exit-save", RUNNER_FROM_NET, SIZE_EXIT},
    [RUNNER_REQ_LOG_OPEN] = {"log-open", RUNNER_FROM_NET, SIZE_LOG},
    [RUNNER_REQ_SHUTDOWN] = {"shutdown", RUNNER_FROM_NET, 0},
    [RUNNER_EV_HELD] = {"held", RUNNER_FROM_ROOT, SIZE_JOB},
    [RUNNER_EV_RECOVERED] = {"recovered", RUNNER_FROM_ROOT, SIZE_RECOVERED},
    [RUNNER_EV_STARTED] = {"started", RUNNER_FROM_ROOT, SIZE_JOB},
    [RUNNER_EV_START_FAILED] = {"start-failed", RUNNER_FROM_ROOT, SIZE_EXIT},
    [RUNNER_EV_KILLED] = {"killed", RUNNER_FROM_ROOT, SIZE_RESULT},
    [RUNNER_EV_EXITED] = {"exited", RUNNER_FROM_ROOT, SIZE_EXIT},
    [RUNNER_EV_LOG_OPENED] = {"log-opened", RUNNER_FROM_ROOT, SIZE_RESULT},
};

const char *runner_type_name (runner_type_t type)
{
    return (unsigned)type < RUNNER_TYPE_COUNT ? types[type].name : NULL;
}

int runner_wire_check_header (runner_side_t from,
                              uint32_t type,
                              uint32_t len,
                              cphub_error_t *err)
{
    if (type >= RUNNER_TYPE_COUNT || !types[type].name)
        return cphub_fail (err, EPROTO, "unknown record type %u", type);
    if (types[type].from != from)
        return cphub_fail (err, EPROTO, "a '%s' record from the wrong side",
                           types[type].name);
    if (len > types[type].max)
        return cphub_fail (err, EPROTO, "a '%s' record of %u bytes (at most %u)",
                           types[type].name, len, types[type].max);
    return 0;
}

/* --- writing ------------------------------------------------------------------ */

typedef struct writer {
    uint8_t *buf;
    size_t len;
    size_t cap;
    int error; /* errno of the first failure */
} writer_t;

static void put (writer_t *w, const void *p, size_t n)
{
    if (w->error)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        uint8_t *grown;
        while (cap < w->len + n)
            cap *= 2;
        if (!(grown = realloc (w->buf, cap))) {
            w->error = ENOMEM;
            return;
        }
        w->buf = grown;
        w->cap = cap;
    }
    memcpy (w->buf + w->len, p, n);
    w->len += n;
}

static void put_u8 (writer_t *w, uint8_t v)
{
    put (w, &v, 1);
}
static void put_u32 (writer_t *w, uint32_t v)
{
    put (w, &v, 4);
}
static void put_u64 (writer_t *w, uint64_t v)
{
    put (w, &v, 8);
}
static void put_i64 (writer_t *w, int64_t v)
{
    put (w, &v, 8);
}
static void put_f64 (writer_t *w, double v)
{
    put (w, &v, 8);
}

/* s (NULL: absent) of at most max bytes. */
static void put_str (writer_t *w, const char *s, size_t max)
{
    size_t n;

    if (!s) {
        put_u32 (w, RUNNER_STR_NONE);
        return;
    }
    n = strlen (s);
    if (n > max) {
        if (!w->error)
            w->error = EINVAL;
        return;
    }
    put_u32 (w, (uint32_t)n);
    put (w, s, n);
}

static void put_exit (writer_t *w, const msg_job_exit_t *e)
{
    put_u64 (w, e->id);
    put_u32 (w, (uint32_t)e->kind);
    put_u32 (w, (uint32_t)e->exit_code);
    put_u32 (w, (uint32_t)e->signal);
    put_f64 (w, e->start_time);
    put_f64 (w, e->end_time);
    put_f64 (w, e->cpu_time);
    put_u64 (w, e->max_rss);
    put_u8 (w, e->survived_kill ? 1 : 0);
    put_str (w, e->text, sizeof (e->text) - 1);
    put_u32 (w, e->run);
}

static void put_run (writer_t *w, const msg_job_run_t *r)
{
    const jobspec_t *s = &r->spec;
    char array[JOBSPEC_ARRAY_TEXT_MAX + 1], after[JOBSPEC_AFTER_MAX + 1];

    put_u64 (w, r->id);
    put_str (w, r->tenant, sizeof (r->tenant) - 1);
    put_u32 (w, s->ntasks);
    put_u32 (w, s->cpus_per_task);
    put_u32 (w, s->gpus);
    put_u64 (w, s->mem);
    put_i64 (w, s->walltime);
    put_str (w, s->name, JOBSPEC_NAME_MAX);
    put_u32 (w, s->argc > 0 ? (uint32_t)s->argc : 0);
    for (int i = 0; i < s->argc; i++)
        put_str (w, s->argv[i], JOBSPEC_ARG_MAX);
    put_str (w, s->script, JOBSPEC_SCRIPT_MAX);
    put_u8 (w, s->no_requeue ? 1 : 0);
    put_u32 (w, s->nodes);
    put_u8 (w, s->exclusive ? 1 : 0);
    if (s->array)
        jobspec_array_format (s->array, array, sizeof (array));
    if (s->after)
        jobspec_after_format (s->after, after, sizeof (after));
    put_str (w, s->constraint ? constraint_text (s->constraint) : NULL,
             JOBSPEC_CONSTRAINT_MAX);
    put_str (w, s->array ? array : NULL, JOBSPEC_ARRAY_TEXT_MAX);
    put_str (w, s->after ? after : NULL, JOBSPEC_AFTER_MAX);
    put_str (w, r->cores, sizeof (r->cores) - 1);
    put_str (w, r->cpus, sizeof (r->cpus) - 1);
    put_str (w, r->gpus, sizeof (r->gpus) - 1);
    put_str (w, r->mems, sizeof (r->mems) - 1);
    put_u64 (w, r->mem);
    put_str (w, r->nodelist, MSG_NODELIST_MAX - 1);
    put_str (w, r->cpus_per_node, MSG_CPUS_PER_NODE_MAX - 1);
    put_u64 (w, r->array_id);
    put_u32 (w, r->array_index);
    put_u32 (w, r->run);
}

static void put_payload (writer_t *w, const runner_record_t *r)
{
    switch (r->type) {
    case RUNNER_REQ_RECOVER:
    case RUNNER_REQ_SHUTDOWN:
    case RUNNER_INVALID:
    case RUNNER_TYPE_COUNT:
        break;
    case RUNNER_REQ_START:
        put_run (w, &r->u.run);
        break;
    case RUNNER_REQ_KILL:
        put_u64 (w, r->u.kill.id);
        put_u32 (w, (uint32_t)r->u.kill.signal);
        break;
    case RUNNER_REQ_EXIT_ACK:
        put_u64 (w, r->u.id);
        break;
    case RUNNER_REQ_EXIT_SAVE:
    case RUNNER_EV_START_FAILED:
    case RUNNER_EV_EXITED:
        put_exit (w, &r->u.exit);
        break;
    case RUNNER_REQ_LOG_OPEN:
        put_u64 (w, r->u.log.id);
        put_u32 (w, (uint32_t)r->u.log.stream);
        break;
    case RUNNER_EV_HELD:
    case RUNNER_EV_STARTED:
        put_u64 (w, r->u.job.id);
        put_i64 (w, r->u.job.pid);
        put_f64 (w, r->u.job.start_time);
        put_u32 (w, r->u.job.run);
        break;
    case RUNNER_EV_RECOVERED:
        put_u32 (w, r->u.recovered.adopted);
        put_u32 (w, r->u.recovered.reported);
        put_u32 (w, (uint32_t)r->u.recovered.code);
        put_str (w, r->u.recovered.text, RUNNER_TEXT_MAX);
        break;
    case RUNNER_EV_KILLED:
    case RUNNER_EV_LOG_OPENED:
        put_u64 (w, r->u.result.id);
        put_u32 (w, (uint32_t)r->u.result.code);
        put_str (w, r->u.result.text, RUNNER_TEXT_MAX);
        break;
    }
}

int runner_wire_encode (const runner_record_t *r, uint8_t **buf, size_t *len)
{
    writer_t w = {0};
    uint32_t header[2] = {(uint32_t)r->type, 0};

    if ((unsigned)r->type >= RUNNER_TYPE_COUNT || !types[r->type].name) {
        errno = EINVAL;
        return -1;
    }
    put (&w, header, sizeof (header));
    put_payload (&w, r);
    if (!w.error && w.len - RUNNER_HEADER_SIZE > types[r->type].max)
        w.error = EINVAL;
    if (w.error) {
        free (w.buf);
        errno = w.error;
        return -1;
    }
    header[1] = (uint32_t)(w.len - RUNNER_HEADER_SIZE);
    memcpy (w.buf, header, sizeof (header));
    *buf = w.buf;
    *len = w.len;
    return 0;
}

/* --- reading ------------------------------------------------------------------ */

typedef struct cursor {
    const uint8_t *p;
    size_t left;
    const char *bad; /* the first field that failed */
} cursor_t;

static bool take (cursor_t *c, void *out, size_t n, const char *field)
{
    if (c->bad)
        return false;
    if (n > c->left) {
        c->bad = field;
        return false;
    }
    memcpy (out, c->p, n);
    c->p += n;
    c->left -= n;
    return true;
}

static uint8_t get_u8 (cursor_t *c, const char *f)
{
    uint8_t v = 0;
    take (c, &v, 1, f);
    return v;
}
static uint32_t get_u32 (cursor_t *c, const char *f)
{
    uint32_t v = 0;
    take (c, &v, 4, f);
    return v;
}
static uint64_t get_u64 (cursor_t *c, const char *f)
{
    uint64_t v = 0;
    take (c, &v, 8, f);
    return v;
}
static int64_t get_i64 (cursor_t *c, const char *f)
{
    int64_t v = 0;
    take (c, &v, 8, f);
    return v;
}
/* A finite double (NaN and infinities are refused). */
static double get_f64 (cursor_t *c, const char *f)
{
    double v = 0;
    if (take (c, &v, 8, f) && !isfinite (v)) {
        c->bad = f;
        v = 0;
    }
    return v;
}
static bool get_bool (cursor_t *c, const char *f)
{
    uint8_t v = get_u8 (c, f);
    if (v > 1 && !c->bad)
        c->bad = f;
    return v == 1;
}
static void fail_field (cursor_t *c, const char *f)
{
    if (!c->bad)
        c->bad = f;
}

/* Which bytes a string may hold. */
typedef enum {
    CHARS_ANY = 0, /* anything but NUL */
    CHARS_TEXT,    /* printable, spaces and tabs (no newlines) */
    CHARS_WORD,    /* printable, no spaces */
    CHARS_IDS,     /* "0-3,8" */
} chars_t;

static bool chars_ok (const uint8_t *s, size_t n, chars_t chars)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b = s[i];
        bool ok = b != 0;
        switch (chars) {
        case CHARS_ANY:
            break;
        case CHARS_TEXT:
            ok = b == '\t' || (b >= ' ' && b != 0x7f);
            break;
        case CHARS_WORD:
            ok = b > ' ' && b != 0x7f;
            break;
        case CHARS_IDS:
            ok = (b >= '0' && b <= '9') || b == ',' || b == '-';
            break;
        }
        if (!ok)
            return false;
    }
    return true;
}

/* A string of at most max bytes: its length and where it starts, or
 * RUNNER_STR_NONE (absent, only where optional). */
static uint32_t get_str_span (cursor_t *c,
                              size_t max,
                              chars_t chars,
                              bool optional,
                              const uint8_t **start,
                              const char *f)
{
    uint32_t n = get_u32 (c, f);

    *start = NULL;
    if (c->bad)
        return RUNNER_STR_NONE;
    if (n == RUNNER_STR_NONE) {
        if (!optional)
            fail_field (c, f);
        return RUNNER_STR_NONE;
    }
    if (n > max || n > c->left || !chars_ok (c->p, n, chars)) {
        fail_field (c, f);
        return RUNNER_STR_NONE;
    }
    *start = c->p;
    c->p += n;
    c->left -= n;
    return n;
}

/* Into a fixed buffer of size `size` (at most size - 1 bytes). */
static void get_str_into (
    cursor_t *c, char *out, size_t size, chars_t chars, const char *f)
{
    const uint8_t *s;
    uint32_t n = get_str_span (c, size - 1, chars, false, &s, f);

    out[0] = '\0';
    if (n == RUNNER_STR_NONE)
        return;
    memcpy (out, s, n);
    out[n] = '\0';
}

/* malloc'd, or NULL when absent; on ENOMEM the cursor fails. */
static char *get_str_dup (cursor_t *c, size_t max, chars_t chars, const char *f)
{
    const uint8_t *s;
    uint32_t n = get_str_span (c, max, chars, true, &s, f);
    char *out;

    if (n == RUNNER_STR_NONE)
        return NULL;
    if (!(out = malloc ((size_t)n + 1))) {
        fail_field (c, "memory");
        return NULL;
    }
    memcpy (out, s, n);
    out[n] = '\0';
    return out;
}

static void get_exit (cursor_t *c, msg_job_exit_t *e)
{
    uint32_t kind;

    e->id = get_u64 (c, "id");
    kind = get_u32 (c, "kind");
    if (kind >= RUNNER_EXIT_KINDS)
        fail_field (c, "kind");
    e->kind = (exit_kind_t)kind;
    e->exit_code = (int)get_u32 (c, "exit_code");
    e->signal = (int)get_u32 (c, "signal");
    e->start_time = get_f64 (c, "start_time");
    e->end_time = get_f64 (c, "end_time");
    e->cpu_time = get_f64 (c, "cpu_time");
    e->max_rss = get_u64 (c, "max_rss");
    e->survived_kill = get_bool (c, "survived_kill");
    get_str_into (c, e->text, sizeof (e->text), CHARS_ANY, "text");
    e->run = get_u32 (c, "run");
    if (e->id == 0)
        fail_field (c, "id");
}

/* The spec's constraint, array and after: text here too, parsed once on
 * the root side (the parsers are the check). */
static void get_forms (cursor_t *c, jobspec_t *s)
{
    char *text;

    text = get_str_dup (c, JOBSPEC_CONSTRAINT_MAX, CHARS_TEXT, "constraint");
    if (text && !(s->constraint = constraint_parse (text, NULL)))
        fail_field (c, "constraint");
    free (text);
    text = get_str_dup (c, JOBSPEC_ARRAY_TEXT_MAX, CHARS_WORD, "array");
    if (text && !(s->array = jobspec_array_parse (text, NULL)))
        fail_field (c, "array");
    free (text);
    text = get_str_dup (c, JOBSPEC_AFTER_MAX, CHARS_WORD, "after");
    if (text && !(s->after = jobspec_after_parse (text, NULL)))
        fail_field (c, "after");
    free (text);
}

static void get_run (cursor_t *c, msg_job_run_t *r)
{
    jobspec_t *s = &r->spec;
    uint32_t argc;

    r->id = get_u64 (c, "id");
    if (r->id == 0)
        fail_field (c, "id");
    get_str_into (c, r->tenant, sizeof (r->tenant), CHARS_WORD, "tenant");
    s->ntasks = get_u32 (c, "ntasks");
    s->cpus_per_task = get_u32 (c, "cpus_per_task");
    s->gpus = get_u32 (c, "gpus");
    s->mem = get_u64 (c, "spec.mem");
    s->walltime = get_i64 (c, "walltime");
    get_str_into (c, s->name, sizeof (s->name), CHARS_ANY, "name");
    argc = get_u32 (c, "argc");
    if (argc > JOBSPEC_ARGC_MAX)
        fail_field (c, "argc");
    if (!c->bad && argc > 0) {
        if (!(s->argv = calloc ((size_t)argc + 1, sizeof (char *))))
            fail_field (c, "memory");
        for (uint32_t i = 0; i < argc && !c->bad; i++) {
            if ((s->argv[i] = get_str_dup (c, JOBSPEC_ARG_MAX, CHARS_ANY, "argv")))
                s->argc++;
            else
                fail_field (c, "argv");
        }
    }
    s->script = get_str_dup (c, JOBSPEC_SCRIPT_MAX, CHARS_ANY, "script");
    s->no_requeue = get_bool (c, "no_requeue");
    s->nodes = get_u32 (c, "nodes");
    s->exclusive = get_bool (c, "exclusive");
    get_forms (c, s);
    get_str_into (c, r->cores, sizeof (r->cores), CHARS_IDS, "cores");
    get_str_into (c, r->cpus, sizeof (r->cpus), CHARS_IDS, "cpus");
    get_str_into (c, r->gpus, sizeof (r->gpus), CHARS_IDS, "gpus");
    get_str_into (c, r->mems, sizeof (r->mems), CHARS_IDS, "mems");
    r->mem = get_u64 (c, "mem");
    r->nodelist = get_str_dup (c, MSG_NODELIST_MAX - 1, CHARS_WORD, "nodelist");
    r->cpus_per_node =
        get_str_dup (c, MSG_CPUS_PER_NODE_MAX - 1, CHARS_IDS, "cpus_per_node");
    r->array_id = get_u64 (c, "array_id");
    r->array_index = get_u32 (c, "array_index");
    r->run = get_u32 (c, "run");
}

static void get_result (cursor_t *c, runner_result_t *res)
{
    res->id = get_u64 (c, "id");
    res->code = (int32_t)get_u32 (c, "code");
    get_str_into (c, res->text, sizeof (res->text), CHARS_ANY, "text");
    if (res->code < 0 || res->id == 0)
        fail_field (c, res->code < 0 ? "code" : "id");
}

static void get_payload (cursor_t *c, runner_record_t *r)
{
    switch (r->type) {
    case RUNNER_REQ_RECOVER:
    case RUNNER_REQ_SHUTDOWN:
    case RUNNER_INVALID:
    case RUNNER_TYPE_COUNT:
        break;
    case RUNNER_REQ_START:
        jobspec_init (&r->u.run.spec);
        get_run (c, &r->u.run);
        break;
    case RUNNER_REQ_KILL:
        r->u.kill.id = get_u64 (c, "id");
        r->u.kill.signal = (int32_t)get_u32 (c, "signal");
        if (r->u.kill.id == 0 || r->u.kill.signal < 0 || r->u.kill.signal >= 65)
            fail_field (c, r->u.kill.id == 0 ? "id" : "signal");
        break;
    case RUNNER_REQ_EXIT_ACK:
        if ((r->u.id = get_u64 (c, "id")) == 0)
            fail_field (c, "id");
        break;
    case RUNNER_REQ_EXIT_SAVE:
    case RUNNER_EV_START_FAILED:
    case RUNNER_EV_EXITED:
        get_exit (c, &r->u.exit);
        break;
    case RUNNER_REQ_LOG_OPEN: {
        uint32_t stream;
        r->u.log.id = get_u64 (c, "id");
        stream = get_u32 (c, "stream");
        if (r->u.log.id == 0 ||
            (stream != LOG_STREAM_STDOUT && stream != LOG_STREAM_STDERR))
            fail_field (c, r->u.log.id == 0 ? "id" : "stream");
        r->u.log.stream = (log_stream_t)stream;
        break;
    }
    case RUNNER_EV_HELD:
    case RUNNER_EV_STARTED:
        r->u.job.id = get_u64 (c, "id");
        r->u.job.pid = get_i64 (c, "pid");
        r->u.job.start_time = get_f64 (c, "start_time");
        r->u.job.run = get_u32 (c, "run");
        if (r->u.job.id == 0 || r->u.job.pid <= 0)
            fail_field (c, r->u.job.id == 0 ? "id" : "pid");
        break;
    case RUNNER_EV_RECOVERED:
        r->u.recovered.adopted = get_u32 (c, "adopted");
        r->u.recovered.reported = get_u32 (c, "reported");
        r->u.recovered.code = (int32_t)get_u32 (c, "code");
        get_str_into (c, r->u.recovered.text, sizeof (r->u.recovered.text), CHARS_ANY,
                      "text");
        if (r->u.recovered.code < 0)
            fail_field (c, "code");
        break;
    case RUNNER_EV_KILLED:
    case RUNNER_EV_LOG_OPENED:
        get_result (c, &r->u.result);
        break;
    }
}

void runner_record_clear (runner_record_t *r)
{
    if (r->type == RUNNER_REQ_START) {
        jobspec_clear (&r->u.run.spec);
        free (r->u.run.nodelist);
        free (r->u.run.cpus_per_node);
    }
    memset (r, 0, sizeof (*r));
}

int runner_wire_decode (runner_type_t type,
                        const uint8_t *payload,
                        size_t len,
                        runner_record_t *r,
                        cphub_error_t *err)
{
    cursor_t c = {.p = payload, .left = len};
    cphub_error_t why = {""};

    memset (r, 0, sizeof (*r));
    if ((unsigned)type >= RUNNER_TYPE_COUNT || !types[type].name ||
        len > types[type].max)
        return cphub_fail (err, EPROTO, "unknown record type %u", (unsigned)type);
    r->type = type;
    get_payload (&c, r);
    if (!c.bad && c.left > 0)
        c.bad = "the end (bytes left over)";
    if (c.bad) {
        runner_record_clear (r);
        return cphub_fail (err, EPROTO, "a '%s' record with a bad %s", types[type].name,
                           c.bad);
    }
    if (type == RUNNER_REQ_START && jobspec_validate (&r->u.run.spec, &why) < 0) {
        runner_record_clear (r);
        return cphub_fail (err, EPROTO, "a 'start' record with a bad spec: %s",
                           why.text);
    }
    return 0;
}

/* --- moving records ------------------------------------------------------------ */

ssize_t runner_reader_fill (runner_reader_t *rd, int sock, bool nonblock)
{
    union {
        char buf[CMSG_SPACE (sizeof (int) * RUNNER_FDS_MAX)];
        struct cmsghdr align;
    } control;
    struct iovec iov;
    struct msghdr mh = {0};
    struct cmsghdr *cm;
    bool excess = false;
    ssize_t n;

    if (rd->pos > 0) {
        memmove (rd->buf, rd->buf + rd->pos, rd->len - rd->pos);
        rd->len -= rd->pos;
        rd->pos = 0;
    }
    if (rd->cap - rd->len < 65536) {
        size_t cap = rd->cap ? rd->cap * 2 : 65536;
        uint8_t *grown;
        if (cap > RUNNER_HEADER_SIZE + RUNNER_PAYLOAD_MAX + 65536)
            cap = RUNNER_HEADER_SIZE + RUNNER_PAYLOAD_MAX + 65536;
        if (cap <= rd->len) {
            errno = EPROTO; /* a record longer than any type allows */
            return -1;
        }
        if (!(grown = realloc (rd->buf, cap)))
            return -1;
        rd->buf = grown;
        rd->cap = cap;
    }
    iov.iov_base = rd->buf + rd->len;
    iov.iov_len = rd->cap - rd->len;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control.buf;
    mh.msg_controllen = sizeof (control.buf);
    do
        n = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC | (nonblock ? MSG_DONTWAIT : 0));
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    for (cm = CMSG_FIRSTHDR (&mh); cm; cm = CMSG_NXTHDR (&mh, cm)) {
        size_t count;
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        count = (cm->cmsg_len - CMSG_LEN (0)) / sizeof (int);
        for (size_t i = 0; i < count; i++) {
            int fd;
            memcpy (&fd, CMSG_DATA (cm) + i * sizeof (int), sizeof (int));
            if (rd->nfds < RUNNER_FDS_MAX) {
                rd->fds[rd->nfds++] = fd;
            } else {
                close (fd);
                excess = true;
            }
        }
    }
    if (excess || (mh.msg_flags & MSG_CTRUNC)) {
        errno = EPROTO;
        return -1;
    }
    rd->len += (size_t)n;
    return n;
}

int runner_reader_next (runner_reader_t *rd,
                        runner_side_t from,
                        runner_record_t *r,
                        cphub_error_t *err)
{
    uint32_t header[2];
    size_t total;
    int rc;

    if (rd->len - rd->pos < RUNNER_HEADER_SIZE)
        return 0;
    memcpy (header, rd->buf + rd->pos, sizeof (header));
    if (runner_wire_check_header (from, header[0], header[1], err) < 0)
        return -1;
    total = RUNNER_HEADER_SIZE + (size_t)header[1];
    if (rd->len - rd->pos < total)
        return 0;
    rc = runner_wire_decode ((runner_type_t)header[0],
                             rd->buf + rd->pos + RUNNER_HEADER_SIZE, header[1], r, err);
    rd->pos += total;
    return rc < 0 ? -1 : 1;
}

int runner_reader_take_fd (runner_reader_t *rd)
{
    int fd;

    if (rd->nfds == 0) {
        errno = ENOENT;
        return -1;
    }
    fd = rd->fds[0];
    memmove (rd->fds, rd->fds + 1, (size_t)(rd->nfds - 1) * sizeof (int));
    rd->nfds--;
    return fd;
}

void runner_reader_clear (runner_reader_t *rd)
{
    for (int i = 0; i < rd->nfds; i++)
        close (rd->fds[i]);
    free (rd->buf);
    memset (rd, 0, sizeof (*rd));
}

int runner_wire_send (
    int sock, const uint8_t *buf, size_t len, int fd, bool nonblock, size_t *sent)
{
    union {
        char buf[CMSG_SPACE (sizeof (int))];
        struct cmsghdr align;
    } control;
    size_t done = 0;

    while (done < len) {
        struct iovec iov = {.iov_base = (void *)(buf + done), .iov_len = len - done};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        ssize_t n;

        if (fd >= 0 && done == 0) {
            struct cmsghdr *cm;
            memset (&control, 0, sizeof (control));
            mh.msg_control = control.buf;
            mh.msg_controllen = sizeof (control.buf);
            cm = CMSG_FIRSTHDR (&mh);
            cm->cmsg_level = SOL_SOCKET;
            cm->cmsg_type = SCM_RIGHTS;
            cm->cmsg_len = CMSG_LEN (sizeof (int));
            memcpy (CMSG_DATA (cm), &fd, sizeof (int));
        }
        n = sendmsg (sock, &mh, MSG_NOSIGNAL | (nonblock ? MSG_DONTWAIT : 0));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (sent)
                *sent = done;
            return -1;
        }
        done += (size_t)n;
    }
    if (sent)
        *sent = done;
    return 0;
}
