/* msg.c: the wire codec, the one place in cphub that builds or parses the JSON
 * bodies of protocol messages (msg.h). Each message type is a row of a table
 * (designated initializers) naming its type string and a field table that
 * describes its payload struct: every field's JSON name (the C field name),
 * kind, offset, limits and, for arrays and nested objects, the field table of
 * its elements. One generic walker encodes, decodes (checking presence, type,
 * range and length of every field, and naming the field in the error) and
 * frees every payload from those tables; per-type hooks set defaults and run
 * the owners' validators (jobspec_validate, node_desc_validate). Strings the
 * receiver shows are sanitized to UTF-8 on encode; strings a job runs
 * (argv, script) must be UTF-8 or the encode fails with EILSEQ. Log bytes
 * travel as base64. doc/protocol.md is the human description of the same
 * tables.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/idset.h"
#include "cphub/msg.h"

_Static_assert (sizeof (job_state_t) == sizeof (int), "enums are stored as int");
_Static_assert (sizeof (exit_kind_t) == sizeof (int), "enums are stored as int");

/* ---- field tables --------------------------------------------------------- */

typedef enum {
    FK_U32 = 0, /* uint32_t */
    FK_U64,     /* uint64_t, 0..INT64_MAX on the wire */
    FK_INT,     /* int */
    FK_I64,     /* int64_t */
    FK_DOUBLE,  /* double, finite */
    FK_BOOL,    /* bool */
    FK_STR,     /* char[size], NUL-terminated */
    FK_ENUM,    /* an int-sized enum, as its name */
    FK_OBJECT,  /* a nested struct described by sub */
    FK_ARRAY,   /* T *ptr + uint32_t count; objects (sub) or uint64_t values */
    FK_ARGV,    /* char **argv (NULL-terminated) + int argc */
    FK_TEXT,    /* char *, NULL = JSON null or absent */
    FK_BYTES,   /* char * + size_t len, base64 on the wire */
} field_kind_t;

#define FF_OPTIONAL 0x1 /* may be absent */
#define FF_IDSET 0x2    /* FK_STR holding an id list ("0-3,8") */

typedef struct enum_desc {
    int count;
    const char *(*name) (int value);
} enum_desc_t;

typedef struct field {
    const char *name;
    field_kind_t kind;
    size_t off;
    size_t size;      /* FK_STR: array size; FK_ARRAY: element size */
    size_t count_off; /* FK_ARRAY, FK_ARGV, FK_BYTES */
    int64_t min, max; /* integers; counts of arrays; bytes of text/data */
    int64_t elem_min, elem_max; /* values of a uint64_t array; bytes of a word */
    double dmin, dmax;
    const struct field *sub;
    const enum_desc_t *names;
    unsigned flags;
} field_t;

#define MEMBER_SIZE(T, f) sizeof (((T *) 0)->f)
#define F_U32(T, f, lo, hi) \
    {.name = #f, .kind = FK_U32, .off = offsetof (T, f), .min = (lo), .max = (hi)}
#define F_U64(T, f, lo) \
    {.name = #f, .kind = FK_U64, .off = offsetof (T, f), .min = (lo), .max = INT64_MAX}
#define F_INT(T, f, lo, hi) \
    {.name = #f, .kind = FK_INT, .off = offsetof (T, f), .min = (lo), .max = (hi)}
#define F_I64(T, f, lo, hi) \
    {.name = #f, .kind = FK_I64, .off = offsetof (T, f), .min = (lo), .max = (hi)}
#define F_DBL(T, f, lo, hi) \
    {.name = #f, .kind = FK_DOUBLE, .off = offsetof (T, f), .dmin = (lo), .dmax = (hi)}
#define F_BOOL(T, f) {.name = #f, .kind = FK_BOOL, .off = offsetof (T, f)}
#define F_STR(T, f) \
    {.name = #f, .kind = FK_STR, .off = offsetof (T, f), .size = MEMBER_SIZE (T, f)}
#define F_IDS(T, f)                                                               \
    {.name = #f, .kind = FK_STR, .off = offsetof (T, f), .size = MEMBER_SIZE (T, f), \
     .flags = FF_IDSET}
#define F_ENUM(T, f, e) {.name = #f, .kind = FK_ENUM, .off = offsetof (T, f), .names = &(e)}
#define F_OBJ(T, f, s) {.name = #f, .kind = FK_OBJECT, .off = offsetof (T, f), .sub = (s)}
#define F_ARR(T, f, n, s, maxn)                                                       \
    {.name = #f, .kind = FK_ARRAY, .off = offsetof (T, f), .count_off = offsetof (T, n), \
     .size = sizeof (*((T *) 0)->f), .min = 0, .max = (maxn), .sub = (s)}
#define F_U64ARR(T, f, n, minn, maxn, lo)                                             \
    {.name = #f, .kind = FK_ARRAY, .off = offsetof (T, f), .count_off = offsetof (T, n), \
     .size = sizeof (uint64_t), .min = (minn), .max = (maxn), .elem_min = (lo),        \
     .elem_max = INT64_MAX}
#define F_END {.name = NULL}

/* Largest entries in a reply list: more would not fit in MSG_MAX_BYTES. */
#define LIST_MAX (MSG_MAX_BYTES / 128)

static const char *job_state_text (int v)
{
    return job_state_name ((job_state_t) v);
}
static const char *node_state_text (int v)
{
    return node_state_name ((node_state_t) v);
}
static const char *const exit_kind_names[] = {
    [EXIT_EXITED] = "exited",        [EXIT_SIGNALED] = "signaled",
    [EXIT_TIMEOUT] = "timeout",      [EXIT_CANCELLED] = "cancelled",
    [EXIT_START_FAILED] = "start_failed", [EXIT_LOST] = "lost",
};
static const char *exit_kind_text (int v)
{
    return exit_kind_names[v];
}
static const char *const log_stream_names[] = {
    [LOG_STREAM_STDOUT] = "stdout",
    [LOG_STREAM_STDERR] = "stderr",
};
static const char *log_stream_text (int v)
{
    return log_stream_names[v];
}

static const enum_desc_t job_states = {.count = JOB_STATE_COUNT, .name = job_state_text};
static const enum_desc_t node_states = {.count = NODE_STATE_COUNT,
                                        .name = node_state_text};
static const enum_desc_t exit_kinds = {.count = EXIT_LOST + 1, .name = exit_kind_text};
static const enum_desc_t log_streams = {.count = 2, .name = log_stream_text};

static const field_t jobspec_fields[] = {
    F_U32 (jobspec_t, ntasks, 1, JOBSPEC_TASKS_MAX),
    F_U32 (jobspec_t, cpus_per_task, 1, JOBSPEC_CPUS_PER_TASK_MAX),
    F_U32 (jobspec_t, gpus, 0, JOBSPEC_GPUS_MAX),
    F_U64 (jobspec_t, mem, 0),
    F_I64 (jobspec_t, walltime, 0, INT64_MAX),
    F_STR (jobspec_t, name),
    {.name = "argv", .kind = FK_ARGV, .off = offsetof (jobspec_t, argv),
     .count_off = offsetof (jobspec_t, argc), .min = 0, .max = JOBSPEC_ARGC_MAX,
     .elem_max = JOBSPEC_ARG_MAX},
    {.name = "script", .kind = FK_TEXT, .off = offsetof (jobspec_t, script),
     .max = JOBSPEC_SCRIPT_MAX, .flags = FF_OPTIONAL},
    F_END,
};

/* Replies come from the scheduler: their values are only type-checked. */
static const field_t job_info_fields[] = {
    F_U64 (job_info_t, id, 0),
    F_STR (job_info_t, tenant),
    F_STR (job_info_t, name),
    F_STR (job_info_t, command),
    F_ENUM (job_info_t, state, job_states),
    F_STR (job_info_t, reason),
    F_INT (job_info_t, exit_code, INT_MIN, INT_MAX),
    F_INT (job_info_t, signal, INT_MIN, INT_MAX),
    F_U32 (job_info_t, ntasks, 0, UINT32_MAX),
    F_U32 (job_info_t, cpus_per_task, 0, UINT32_MAX),
    F_U32 (job_info_t, gpus_count, 0, UINT32_MAX),
    F_U64 (job_info_t, mem, 0),
    F_I64 (job_info_t, walltime, INT64_MIN, INT64_MAX),
    F_STR (job_info_t, node),
    F_STR (job_info_t, cpus),
    F_STR (job_info_t, gpus),
    F_DBL (job_info_t, submit_time, -1e300, 1e300),
    F_DBL (job_info_t, start_time, -1e300, 1e300),
    F_DBL (job_info_t, end_time, -1e300, 1e300),
    F_DBL (job_info_t, cpu_time, -1e300, 1e300),
    F_U64 (job_info_t, max_rss, 0),
    F_END,
};

static const field_t node_info_fields[] = {
    F_STR (node_info_t, name),
    F_ENUM (node_info_t, state, node_states),
    F_STR (node_info_t, reason),
    F_U32 (node_info_t, cores, 0, UINT32_MAX),
    F_U32 (node_info_t, cores_used, 0, UINT32_MAX),
    F_U32 (node_info_t, gpus, 0, UINT32_MAX),
    F_U32 (node_info_t, gpus_used, 0, UINT32_MAX),
    F_U64 (node_info_t, mem, 0),
    F_U64 (node_info_t, mem_used, 0),
    F_U32 (node_info_t, numa, 0, UINT32_MAX),
    F_U32 (node_info_t, jobs, 0, UINT32_MAX),
    F_STR (node_info_t, features),
    F_STR (node_info_t, topology),
    F_BOOL (node_info_t, binding),
    F_DBL (node_info_t, last_seen, -1e300, 1e300),
    F_END,
};

static const field_t cancel_result_fields[] = {
    F_U64 (msg_cancel_result_t, id, 0),
    F_INT (msg_cancel_result_t, code, INT_MIN, INT_MAX),
    F_STR (msg_cancel_result_t, text),
    F_END,
};

static const field_t report_tenant_fields[] = {
    F_STR (report_tenant_t, tenant),
    F_U32 (report_tenant_t, jobs, 0, UINT32_MAX),
    F_U32 (report_tenant_t, completed, 0, UINT32_MAX),
    F_U32 (report_tenant_t, failed, 0, UINT32_MAX),
    F_U32 (report_tenant_t, cancelled, 0, UINT32_MAX),
    F_DBL (report_tenant_t, core_seconds, -1e300, 1e300),
    F_DBL (report_tenant_t, gpu_seconds, -1e300, 1e300),
    F_END,
};

static const field_t report_node_fields[] = {
    F_STR (report_node_t, node),
    F_U32 (report_node_t, cores, 0, UINT32_MAX),
    F_DBL (report_node_t, busy_core_seconds, -1e300, 1e300),
    F_DBL (report_node_t, busy_share, -1e300, 1e300),
    F_END,
};

static const field_t node_core_fields[] = {
    F_U32 (node_core_t, package, 0, UINT32_MAX),
    F_U32 (node_core_t, numa, 0, UINT32_MAX),
    F_U32 (node_core_t, l3, 0, UINT32_MAX),
    F_STR (node_core_t, pus),
    F_END,
};

static const field_t node_gpu_fields[] = {
    F_STR (node_gpu_t, name),
    F_U32 (node_gpu_t, numa, 0, UINT32_MAX),
    F_END,
};

static const field_t node_desc_fields[] = {
    F_STR (node_desc_t, name),
    F_U32 (node_desc_t, npackages, 0, UINT32_MAX),
    F_U64ARR (node_desc_t, numa_mem, nnuma, 0, NODE_NUMA_MAX, 0),
    F_ARR (node_desc_t, cores, ncores, node_core_fields, NODE_CORES_MAX),
    F_ARR (node_desc_t, gpus, ngpus, node_gpu_fields, NODE_GPUS_MAX),
    F_U64 (node_desc_t, mem, 0),
    F_STR (node_desc_t, features),
    F_STR (node_desc_t, topology),
    F_BOOL (node_desc_t, binding),
    F_U64ARR (node_desc_t, jobs, njobs, 0, NODE_JOBS_MAX, 1),
    F_END,
};

/* ---- message payloads ----------------------------------------------------- */

static const field_t error_fields[] = {
    F_INT (msg_error_t, code, 0, INT_MAX),
    F_STR (msg_error_t, text),
    F_END,
};
static const field_t submit_fields[] = {F_OBJ (msg_submit_t, spec, jobspec_fields), F_END};
static const field_t id_fields[] = {F_U64 (msg_id_t, id, 1), F_END};
static const field_t ids_fields[] = {
    F_U64ARR (msg_ids_t, ids, count, 1, MSG_IDS_MAX, 1),
    F_END,
};
static const field_t jobs_fields[] = {F_BOOL (msg_jobs_t, all), F_END};
static const field_t job_list_fields[] = {
    F_ARR (msg_job_list_t, jobs, count, job_info_fields, LIST_MAX),
    F_END,
};
static const field_t cancel_ok_fields[] = {
    F_ARR (msg_cancel_ok_t, results, count, cancel_result_fields, MSG_IDS_MAX),
    F_END,
};
static const field_t node_list_fields[] = {
    F_ARR (msg_node_list_t, nodes, count, node_info_fields, LIST_MAX),
    F_END,
};
static const field_t logs_fields[] = {
    F_U64 (msg_logs_req_t, id, 1),
    F_ENUM (msg_logs_req_t, stream, log_streams),
    F_U64 (msg_logs_req_t, offset, 0),
    F_U32 (msg_logs_req_t, max, 0, MSG_LOGS_CHUNK_MAX),
    F_END,
};
static const field_t logs_fetch_fields[] = {
    F_U64 (msg_logs_req_t, tag, 0),
    F_U64 (msg_logs_req_t, id, 1),
    F_ENUM (msg_logs_req_t, stream, log_streams),
    F_U64 (msg_logs_req_t, offset, 0),
    F_U32 (msg_logs_req_t, max, 0, MSG_LOGS_CHUNK_MAX),
    F_END,
};
static const field_t logs_data_fields[] = {
    F_U64 (msg_logs_data_t, tag, 0),
    F_U64 (msg_logs_data_t, id, 1),
    F_INT (msg_logs_data_t, code, 0, INT_MAX),
    F_STR (msg_logs_data_t, text),
    {.name = "data", .kind = FK_BYTES, .off = offsetof (msg_logs_data_t, data),
     .count_off = offsetof (msg_logs_data_t, len), .max = MSG_LOGS_CHUNK_MAX},
    F_U64 (msg_logs_data_t, offset, 0),
    F_BOOL (msg_logs_data_t, eof),
    F_END,
};
static const field_t report_fields[] = {
    F_DBL (msg_report_t, since, -1e300, 1e300),
    F_DBL (msg_report_t, until, -1e300, 1e300),
    F_ARR (msg_report_t, tenants, ntenants, report_tenant_fields, LIST_MAX),
    F_ARR (msg_report_t, nodes, nnodes, report_node_fields, LIST_MAX),
    F_END,
};
/* register: the node_desc sits in the union itself, under "node". */
static const field_t register_fields[] = {
    {.name = "node", .kind = FK_OBJECT, .off = 0, .sub = node_desc_fields},
    F_END,
};
static const field_t heartbeat_fields[] = {
    F_U32 (msg_heartbeat_t, running, 0, NODE_JOBS_MAX),
    F_END,
};
static const field_t job_run_fields[] = {
    F_U64 (msg_job_run_t, id, 1),
    F_STR (msg_job_run_t, tenant),
    F_OBJ (msg_job_run_t, spec, jobspec_fields),
    F_IDS (msg_job_run_t, cores),
    F_IDS (msg_job_run_t, cpus),
    F_IDS (msg_job_run_t, gpus),
    F_IDS (msg_job_run_t, mems),
    F_U64 (msg_job_run_t, mem, 0),
    F_END,
};
static const field_t job_started_fields[] = {
    F_U64 (msg_job_started_t, id, 1),
    F_I64 (msg_job_started_t, pid, 0, INT32_MAX),
    F_DBL (msg_job_started_t, time, 0.0, 1e300),
    F_END,
};
static const field_t job_exit_fields[] = {
    F_U64 (msg_job_exit_t, id, 1),
    F_ENUM (msg_job_exit_t, kind, exit_kinds),
    F_INT (msg_job_exit_t, exit_code, 0, 255),
    F_INT (msg_job_exit_t, signal, 0, 127),
    F_DBL (msg_job_exit_t, start_time, 0.0, 1e300),
    F_DBL (msg_job_exit_t, end_time, 0.0, 1e300),
    F_DBL (msg_job_exit_t, cpu_time, 0.0, 1e300),
    F_U64 (msg_job_exit_t, max_rss, 0),
    F_STR (msg_job_exit_t, text),
    F_END,
};
static const field_t job_kill_fields[] = {
    F_U64 (msg_job_kill_t, id, 1),
    F_INT (msg_job_kill_t, signal, 0, 64),
    F_END,
};
static const field_t no_fields[] = {F_END};

/* ---- the message type table ----------------------------------------------- */

typedef struct dctx {
    const char *type;
    cphub_error_t *err;
} dctx_t;

typedef struct msg_kind {
    const char *name;
    const field_t *fields;
    void (*init) (msg_t *m);                  /* defaults after zeroing */
    int (*check) (const msg_t *m, dctx_t *c); /* after a successful decode */
} msg_kind_t;

static void init_submit (msg_t *m)
{
    jobspec_init (&m->u.submit.spec);
}
static void init_run (msg_t *m)
{
    jobspec_init (&m->u.run.spec);
}
static void init_register (msg_t *m)
{
    node_desc_init (&m->u.node);
}
static int check_submit (const msg_t *m, dctx_t *c);
static int check_run (const msg_t *m, dctx_t *c);
static int check_register (const msg_t *m, dctx_t *c);

static const msg_kind_t msg_kinds[MSG_TYPE_COUNT] = {
    [MSG_ERROR] = {.name = "error", .fields = error_fields},
    [MSG_SUBMIT] = {.name = "submit", .fields = submit_fields, .init = init_submit,
                    .check = check_submit},
    [MSG_CANCEL] = {.name = "cancel", .fields = ids_fields},
    [MSG_JOBS] = {.name = "jobs", .fields = jobs_fields},
    [MSG_SHOW] = {.name = "show", .fields = id_fields},
    [MSG_WAIT] = {.name = "wait", .fields = ids_fields},
    [MSG_NODES] = {.name = "nodes", .fields = no_fields},
    [MSG_LOGS] = {.name = "logs", .fields = logs_fields},
    [MSG_REPORT] = {.name = "report", .fields = no_fields},
    [MSG_SUBMIT_OK] = {.name = "submit.ok", .fields = id_fields},
    [MSG_CANCEL_OK] = {.name = "cancel.ok", .fields = cancel_ok_fields},
    [MSG_JOBS_OK] = {.name = "jobs.ok", .fields = job_list_fields},
    [MSG_SHOW_OK] = {.name = "show.ok", .fields = job_list_fields},
    [MSG_WAIT_OK] = {.name = "wait.ok", .fields = job_list_fields},
    [MSG_NODES_OK] = {.name = "nodes.ok", .fields = node_list_fields},
    [MSG_LOGS_OK] = {.name = "logs.ok", .fields = logs_data_fields},
    [MSG_REPORT_OK] = {.name = "report.ok", .fields = report_fields},
    [MSG_REGISTER] = {.name = "register", .fields = register_fields,
                      .init = init_register, .check = check_register},
    [MSG_HEARTBEAT] = {.name = "heartbeat", .fields = heartbeat_fields},
    [MSG_JOB_STARTED] = {.name = "job.started", .fields = job_started_fields},
    [MSG_JOB_EXIT] = {.name = "job.exit", .fields = job_exit_fields},
    [MSG_LOGS_DATA] = {.name = "logs.data", .fields = logs_data_fields},
    [MSG_REGISTER_OK] = {.name = "register.ok", .fields = no_fields},
    [MSG_JOB_RUN] = {.name = "job.run", .fields = job_run_fields, .init = init_run,
                     .check = check_run},
    [MSG_JOB_KILL] = {.name = "job.kill", .fields = job_kill_fields},
    [MSG_LOGS_FETCH] = {.name = "logs.fetch", .fields = logs_fetch_fields},
};

/* ---- small helpers -------------------------------------------------------- */

static void *field_at (void *base, size_t off)
{
    return (char *) base + off;
}
static const void *cfield_at (const void *base, size_t off)
{
    return (const char *) base + off;
}

/* "type: " + text, errno = code, -1. */
static int dfail (dctx_t *c, int code, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static int dfail (dctx_t *c, int code, const char *fmt, ...)
{
    char text[160];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    return cphub_fail (c->err, code, "%s: %s", c->type, text);
}

static void path_join (char *buf, size_t len, const char *path, const char *name)
{
    snprintf (buf, len, "%s%s%s", path, *path ? "." : "", name);
}

static void int_range_text (char *buf, size_t len, int64_t lo, int64_t hi)
{
    if (lo == INT64_MIN || (lo == INT_MIN && hi == INT_MAX))
        snprintf (buf, len, "an integer");
    else if (hi == INT64_MAX)
        snprintf (buf, len, "an integer >= %lld", (long long) lo);
    else
        snprintf (buf, len, "an integer %lld..%lld", (long long) lo, (long long) hi);
}

/* Length of the longest valid UTF-8 sequence at s (0 if invalid), as jansson
 * checks it: no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq_len (const unsigned char *s, size_t n)
{
    size_t len, i;
    uint32_t cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* A JSON string for text a person reads: bytes that are not UTF-8 become '?'
 * (a name cut in the middle of a character must not stop a whole reply). */
static json_t *json_display_string (const char *s, size_t n)
{
    json_t *j = json_stringn (s, n);
    char *copy;
    size_t i, k;

    if (j)
        return j;
    if (!(copy = malloc (n + 1)))
        return NULL;
    for (i = 0; i < n;) {
        k = utf8_seq_len ((const unsigned char *) s + i, n - i);
        if (k == 0) {
            copy[i++] = '?';
            continue;
        }
        memcpy (copy + i, s + i, k);
        i += k;
    }
    j = json_stringn (copy, n);
    free (copy);
    return j;
}

/* A JSON string that must arrive unchanged (a command word, a script). */
static json_t *json_exact_string (const char *s)
{
    size_t n = strlen (s), i, k;
    json_t *j = json_stringn (s, n);

    if (j)
        return j;
    for (i = 0; i < n; i += k) {
        if ((k = utf8_seq_len ((const unsigned char *) s + i, n - i)) == 0) {
            errno = EILSEQ;
            return NULL;
        }
    }
    errno = ENOMEM;
    return NULL;
}

/* ---- base64 (RFC 4648, with padding) -------------------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* malloc'd NUL-terminated text; *out_len its length. */
static char *base64_encode (const unsigned char *in, size_t len, size_t *out_len)
{
    size_t n = 4 * ((len + 2) / 3), i, o = 0;
    char *out = malloc (n + 1);
    uint32_t v;

    if (!out)
        return NULL;
    for (i = 0; i + 2 < len; i += 3) {
        v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = b64_alphabet[(v >> 6) & 63];
        out[o++] = b64_alphabet[v & 63];
    }
    if (i < len) {
        v = (uint32_t) in[i] << 16 | (i + 1 < len ? (uint32_t) in[i + 1] << 8 : 0);
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

static int base64_value (char c)
{
    const char *p;

    if (c == '\0' || !(p = strchr (b64_alphabet, c)))
        return -1;
    return (int) (p - b64_alphabet);
}

/* Decode n chars of strict base64 into out (room for 3 * n / 4 bytes).
 * -1/EINVAL on a bad character, length or padding. */
static int base64_decode (const char *in, size_t n, unsigned char *out, size_t *out_len)
{
    size_t i, o = 0, pad = 0;
    int q[4], k;

    if (n % 4 != 0)
        goto bad;
    if (n > 0 && in[n - 1] == '=')
        pad = (n > 1 && in[n - 2] == '=') ? 2 : 1;
    for (i = 0; i < n; i += 4) {
        for (k = 0; k < 4; k++) {
            bool is_pad = i + 4 == n && k >= 4 - (int) pad;
            q[k] = is_pad ? 0 : base64_value (in[i + k]);
            if (q[k] < 0)
                goto bad;
        }
        out[o++] = (unsigned char) (q[0] << 2 | q[1] >> 4);
        if (i + 4 < n || pad < 2)
            out[o++] = (unsigned char) ((q[1] & 15) << 4 | q[2] >> 2);
        if (i + 4 < n || pad < 1)
            out[o++] = (unsigned char) ((q[2] & 3) << 6 | q[3]);
    }
    *out_len = o;
    return 0;
bad:
    errno = EINVAL;
    return -1;
}

/* ---- encode ----------------------------------------------------------------- */

static json_t *encode_fields (const field_t *fields, const void *base);

static int obj_set (json_t *obj, const char *name, json_t *val)
{
    if (!val)
        return -1; /* errno set by the maker */
    if (json_object_set_new (obj, name, val) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

static json_t *encode_u64 (uint64_t v)
{
    if (v > INT64_MAX) {
        errno = ERANGE;
        return NULL;
    }
    return json_integer ((json_int_t) v);
}

static json_t *encode_array (const field_t *f, const void *base)
{
    const char *elems = *(char *const *) cfield_at (base, f->off);
    uint32_t count = *(const uint32_t *) cfield_at (base, f->count_off);
    json_t *arr = json_array (), *e;
    uint32_t i;

    if (!arr)
        goto nomem;
    if (count > 0 && !elems) {
        json_decref (arr);
        errno = EINVAL;
        return NULL;
    }
    for (i = 0; i < count; i++) {
        const void *elem = elems + (size_t) i * f->size;
        e = f->sub ? encode_fields (f->sub, elem) : encode_u64 (*(const uint64_t *) elem);
        if (!e || json_array_append_new (arr, e) < 0) {
            int saved = e ? ENOMEM : errno;
            json_decref (arr);
            errno = saved;
            return NULL;
        }
    }
    return arr;
nomem:
    errno = ENOMEM;
    return NULL;
}

static json_t *encode_argv (const field_t *f, const void *base)
{
    char *const *argv = *(char *const *const *) cfield_at (base, f->off);
    int argc = *(const int *) cfield_at (base, f->count_off), i;
    json_t *arr = json_array (), *e;

    if (!arr) {
        errno = ENOMEM;
        return NULL;
    }
    for (i = 0; i < argc; i++) {
        if (!argv || !argv[i]) {
            errno = EINVAL;
            goto error;
        }
        if (!(e = json_exact_string (argv[i])))
            goto error;
        if (json_array_append_new (arr, e) < 0) {
            errno = ENOMEM;
            goto error;
        }
    }
    return arr;
error: {
    int saved = errno;
    json_decref (arr);
    errno = saved;
    return NULL;
}
}

static json_t *encode_bytes (const field_t *f, const void *base)
{
    const unsigned char *data = *(const unsigned char *const *) cfield_at (base, f->off);
    size_t len = *(const size_t *) cfield_at (base, f->count_off), n;
    char *text;
    json_t *j;

    if (len > 0 && !data) {
        errno = EINVAL;
        return NULL;
    }
    if (!(text = base64_encode (data, len, &n))) {
        errno = ENOMEM;
        return NULL;
    }
    j = json_stringn_nocheck (text, n);
    free (text);
    if (!j)
        errno = ENOMEM;
    return j;
}

static json_t *encode_field (const field_t *f, const void *base)
{
    const void *p = cfield_at (base, f->off);
    json_t *j = NULL;
    int v;

    errno = ENOMEM;
    switch (f->kind) {
    case FK_U32:
        return json_integer (*(const uint32_t *) p);
    case FK_U64:
        return encode_u64 (*(const uint64_t *) p);
    case FK_INT:
        return json_integer (*(const int *) p);
    case FK_I64:
        return json_integer (*(const int64_t *) p);
    case FK_DOUBLE:
        if (!isfinite (*(const double *) p)) {
            errno = ERANGE;
            return NULL;
        }
        return json_real (*(const double *) p);
    case FK_BOOL:
        return json_boolean (*(const bool *) p);
    case FK_STR:
        return json_display_string (p, strnlen (p, f->size - 1));
    case FK_ENUM:
        memcpy (&v, p, sizeof (v));
        if (v < 0 || v >= f->names->count) {
            errno = EINVAL;
            return NULL;
        }
        return json_string (f->names->name (v));
    case FK_OBJECT:
        return encode_fields (f->sub, p);
    case FK_ARRAY:
        return encode_array (f, base);
    case FK_ARGV:
        return encode_argv (f, base);
    case FK_TEXT:
        if (*(char *const *) p == NULL)
            return json_null ();
        return json_exact_string (*(char *const *) p);
    case FK_BYTES:
        return encode_bytes (f, base);
    }
    return j;
}

static json_t *encode_fields (const field_t *fields, const void *base)
{
    json_t *obj = json_object ();
    const field_t *f;

    if (!obj) {
        errno = ENOMEM;
        return NULL;
    }
    for (f = fields; f->name; f++) {
        if (obj_set (obj, f->name, encode_field (f, base)) < 0) {
            int saved = errno;
            json_decref (obj);
            errno = saved;
            return NULL;
        }
    }
    return obj;
}

/* The body object: {"v": 1, payload fields...}. */
static json_t *encode_body (const msg_t *m)
{
    json_t *obj, *payload;

    if (!m || (unsigned) m->type >= MSG_TYPE_COUNT) {
        errno = EINVAL;
        return NULL;
    }
    if (!(obj = json_object ()))
        goto nomem;
    if (obj_set (obj, "v", json_integer (CPHUB_PROTOCOL_VERSION)) < 0)
        goto error;
    if (!(payload = encode_fields (msg_kinds[m->type].fields, &m->u)))
        goto error;
    if (json_object_update (obj, payload) < 0) {
        json_decref (payload);
        goto nomem;
    }
    json_decref (payload);
    return obj;
nomem:
    errno = ENOMEM;
error: {
    int saved = errno;
    json_decref (obj);
    errno = saved;
    return NULL;
}
}

int msg_encode (const msg_t *m, char **body, size_t *len)
{
    json_t *obj = encode_body (m);
    size_t n;
    char *buf = NULL;

    if (!obj)
        return -1;
    n = json_dumpb (obj, NULL, 0, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (n == 0) {
        errno = ENOMEM;
        goto error;
    }
    if (n > MSG_MAX_BYTES) {
        errno = E2BIG;
        goto error;
    }
    if (!(buf = malloc (n + 1))) {
        errno = ENOMEM;
        goto error;
    }
    json_dumpb (obj, buf, n, JSON_COMPACT | JSON_PRESERVE_ORDER);
    buf[n] = '\0';
    json_decref (obj);
    *body = buf;
    *len = n;
    return 0;
error: {
    int saved = errno;
    json_decref (obj);
    errno = saved;
    return -1;
}
}

/* ---- decode ----------------------------------------------------------------- */

static int decode_fields (dctx_t *c, const field_t *fields, const json_t *obj, void *base,
                          const char *path);

static int decode_int (dctx_t *c, const char *path, const json_t *val, int64_t lo,
                       int64_t hi, int64_t *out)
{
    char range[80];
    json_int_t v;

    int_range_text (range, sizeof (range), lo, hi);
    if (!json_is_integer (val))
        return dfail (c, EPROTO, "field '%s' must be %s", path, range);
    v = json_integer_value (val);
    if (v < lo || v > hi)
        return dfail (c, EINVAL, "field '%s' must be %s, not %lld", path, range,
                      (long long) v);
    *out = v;
    return 0;
}

static int decode_string (dctx_t *c, const char *path, const json_t *val, size_t max,
                          const char **s, size_t *len)
{
    if (!json_is_string (val))
        return dfail (c, EPROTO, "field '%s' must be a string", path);
    *s = json_string_value (val);
    *len = json_string_length (val);
    if (strlen (*s) != *len)
        return dfail (c, EINVAL, "field '%s' contains a NUL byte", path);
    if (*len > max)
        return dfail (c, EINVAL, "field '%s' is %zu bytes long; at most %zu", path, *len,
                      max);
    return 0;
}

static int decode_array (dctx_t *c, const field_t *f, const json_t *val, void *base,
                         const char *path)
{
    char epath[128];
    size_t n, i;
    char *elems;
    int64_t v;

    if (!json_is_array (val))
        return dfail (c, EPROTO, "field '%s' must be an array", path);
    n = json_array_size (val);
    if ((int64_t) n < f->min || (int64_t) n > f->max)
        return dfail (c, EINVAL, "field '%s' has %zu entries; it takes %lld..%lld", path,
                      n, (long long) f->min, (long long) f->max);
    if (n > 0 && !(elems = calloc (n, f->size)))
        return dfail (c, ENOMEM, "out of memory decoding '%s'", path);
    if (n == 0)
        elems = NULL;
    *(char **) field_at (base, f->off) = elems;
    *(uint32_t *) field_at (base, f->count_off) = (uint32_t) n;
    for (i = 0; i < n; i++) {
        const json_t *e = json_array_get (val, i);
        snprintf (epath, sizeof (epath), "%s[%zu]", path, i);
        if (f->sub) {
            if (!json_is_object (e))
                return dfail (c, EPROTO, "field '%s' must be an object", epath);
            if (decode_fields (c, f->sub, e, elems + i * f->size, epath) < 0)
                return -1;
        } else {
            if (decode_int (c, epath, e, f->elem_min, f->elem_max, &v) < 0)
                return -1;
            ((uint64_t *) elems)[i] = (uint64_t) v;
        }
    }
    return 0;
}

static int decode_argv (dctx_t *c, const field_t *f, const json_t *val, void *base,
                        const char *path)
{
    char epath[128];
    const char *s;
    size_t n, i, len;
    char **argv;

    if (!json_is_array (val))
        return dfail (c, EPROTO, "field '%s' must be an array of strings", path);
    n = json_array_size (val);
    if ((int64_t) n > f->max)
        return dfail (c, EINVAL, "field '%s' has %zu words; at most %lld", path, n,
                      (long long) f->max);
    if (n == 0)
        return 0; /* no command: argv stays NULL (a script job) */
    if (!(argv = calloc (n + 1, sizeof (*argv))))
        return dfail (c, ENOMEM, "out of memory decoding '%s'", path);
    *(char ***) field_at (base, f->off) = argv;
    *(int *) field_at (base, f->count_off) = (int) n;
    for (i = 0; i < n; i++) {
        snprintf (epath, sizeof (epath), "%s[%zu]", path, i);
        if (decode_string (c, epath, json_array_get (val, i), (size_t) f->elem_max, &s,
                           &len) < 0)
            return -1;
        if (!(argv[i] = strndup (s, len)))
            return dfail (c, ENOMEM, "out of memory decoding '%s'", epath);
    }
    return 0;
}

static int decode_bytes (dctx_t *c, const field_t *f, const json_t *val, void *base,
                         const char *path)
{
    const char *s;
    size_t n, len;
    unsigned char *data;

    if (!json_is_string (val))
        return dfail (c, EPROTO, "field '%s' must be a base64 string", path);
    s = json_string_value (val);
    n = json_string_length (val);
    if (n / 4 * 3 > (size_t) f->max + 2)
        return dfail (c, EINVAL, "field '%s' holds more than %lld bytes", path,
                      (long long) f->max);
    if (!(data = malloc (n / 4 * 3 + 1)))
        return dfail (c, ENOMEM, "out of memory decoding '%s'", path);
    *(unsigned char **) field_at (base, f->off) = data;
    if (base64_decode (s, n, data, &len) < 0)
        return dfail (c, EPROTO, "field '%s' is not valid base64", path);
    if (len > (size_t) f->max)
        return dfail (c, EINVAL, "field '%s' holds %zu bytes; at most %lld", path, len,
                      (long long) f->max);
    data[len] = '\0';
    *(size_t *) field_at (base, f->count_off) = len;
    return 0;
}

static int decode_enum (dctx_t *c, const field_t *f, const json_t *val, void *base,
                        const char *path)
{
    char names[120] = "";
    size_t used = 0;
    int i;

    for (i = 0; i < f->names->count && json_is_string (val); i++) {
        if (strcmp (json_string_value (val), f->names->name (i)) == 0) {
            memcpy (field_at (base, f->off), &i, sizeof (i));
            return 0;
        }
    }
    for (i = 0; i < f->names->count && used < sizeof (names); i++)
        used += (size_t) snprintf (names + used, sizeof (names) - used, "%s%s",
                                   i ? ", " : "", f->names->name (i));
    return dfail (c, json_is_string (val) ? EINVAL : EPROTO,
                  "field '%s' must be one of %s", path, names);
}

static int decode_str (dctx_t *c, const field_t *f, const json_t *val, void *base,
                       const char *path)
{
    cphub_error_t ierr = {.text = ""};
    const char *s;
    size_t len;
    idset_t *ids;

    if (decode_string (c, path, val, f->size - 1, &s, &len) < 0)
        return -1;
    if (f->flags & FF_IDSET) {
        if (!(ids = idset_decode (s, &ierr)))
            return dfail (c, EINVAL, "field '%s' is not an id list like '0-3,8': %s",
                          path, ierr.text);
        idset_destroy (ids);
    }
    memcpy (field_at (base, f->off), s, len + 1);
    return 0;
}

static int decode_field (dctx_t *c, const field_t *f, const json_t *val, void *base,
                         const char *path)
{
    void *p = field_at (base, f->off);
    const char *s;
    size_t len;
    int64_t v;
    double d;

    switch (f->kind) {
    case FK_U32:
    case FK_U64:
    case FK_INT:
    case FK_I64:
        if (decode_int (c, path, val, f->min, f->max, &v) < 0)
            return -1;
        if (f->kind == FK_U32)
            *(uint32_t *) p = (uint32_t) v;
        else if (f->kind == FK_U64)
            *(uint64_t *) p = (uint64_t) v;
        else if (f->kind == FK_INT)
            *(int *) p = (int) v;
        else
            *(int64_t *) p = v;
        return 0;
    case FK_DOUBLE:
        if (!json_is_number (val))
            return dfail (c, EPROTO, "field '%s' must be a number", path);
        d = json_number_value (val);
        if (!isfinite (d) || d < f->dmin || d > f->dmax)
            return dfail (c, EINVAL, "field '%s' must be a number %s", path,
                          f->dmin == 0 ? ">= 0" : "within +-1e300");
        *(double *) p = d;
        return 0;
    case FK_BOOL:
        if (!json_is_boolean (val))
            return dfail (c, EPROTO, "field '%s' must be true or false", path);
        *(bool *) p = json_is_true (val);
        return 0;
    case FK_STR:
        return decode_str (c, f, val, base, path);
    case FK_ENUM:
        return decode_enum (c, f, val, base, path);
    case FK_OBJECT:
        if (!json_is_object (val))
            return dfail (c, EPROTO, "field '%s' must be an object", path);
        return decode_fields (c, f->sub, val, p, path);
    case FK_ARRAY:
        return decode_array (c, f, val, base, path);
    case FK_ARGV:
        return decode_argv (c, f, val, base, path);
    case FK_TEXT:
        if (json_is_null (val))
            return 0;
        if (decode_string (c, path, val, (size_t) f->max, &s, &len) < 0)
            return -1;
        if (!(*(char **) p = strndup (s, len)))
            return dfail (c, ENOMEM, "out of memory decoding '%s'", path);
        return 0;
    case FK_BYTES:
        return decode_bytes (c, f, val, base, path);
    }
    return dfail (c, EPROTO, "field '%s' has no codec", path);
}

static int decode_fields (dctx_t *c, const field_t *fields, const json_t *obj, void *base,
                          const char *path)
{
    char fpath[128];
    const field_t *f;
    const json_t *val;

    for (f = fields; f->name; f++) {
        path_join (fpath, sizeof (fpath), path, f->name);
        if (!(val = json_object_get (obj, f->name))) {
            if (f->flags & FF_OPTIONAL)
                continue;
            return dfail (c, EPROTO, "missing field '%s'", fpath);
        }
        if (decode_field (c, f, val, base, fpath) < 0)
            return -1;
    }
    return 0;
}

/* Post-decode checks by the owners of the types. */
static int check_spec (dctx_t *c, const jobspec_t *spec)
{
    cphub_error_t verr = {.text = "invalid job spec"};

    if (jobspec_validate (spec, &verr) < 0)
        return dfail (c, EINVAL, "%s", verr.text);
    return 0;
}
static int check_submit (const msg_t *m, dctx_t *c)
{
    return check_spec (c, &m->u.submit.spec);
}
static int check_run (const msg_t *m, dctx_t *c)
{
    if (m->u.run.spec.walltime <= 0)
        return dfail (c, EINVAL, "field 'spec.walltime' must be > 0 (the limit in force)");
    return check_spec (c, &m->u.run.spec);
}
static int check_register (const msg_t *m, dctx_t *c)
{
    cphub_error_t verr = {.text = "invalid node description"};

    if (node_desc_validate (&m->u.node, &verr) < 0)
        return dfail (c, EINVAL, "%s", verr.text);
    return 0;
}

/* The type frame for an error text: at most 32 printable characters. */
static void type_printable (const char *type, size_t len, char *buf, size_t size)
{
    size_t i, n = len < 32 ? len : 32;

    for (i = 0; i < n && i + 4 < size; i++)
        buf[i] = (type[i] >= 0x20 && type[i] < 0x7f) ? type[i] : '?';
    if (n < len && i + 4 < size) {
        memcpy (buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
}

static int decode_version (const json_t *obj, cphub_error_t *err)
{
    const json_t *v = json_object_get (obj, "v");

    if (!v)
        return cphub_fail (err, EPROTO,
                           "missing field 'v' (the protocol version; this side "
                           "speaks %d)",
                           CPHUB_PROTOCOL_VERSION);
    if (!json_is_integer (v))
        return cphub_fail (err, EPROTO, "field 'v' must be an integer; this side speaks %d",
                           CPHUB_PROTOCOL_VERSION);
    if (json_integer_value (v) != CPHUB_PROTOCOL_VERSION)
        return cphub_fail (err, EPROTO, "protocol version %lld; this side speaks %d",
                           (long long) json_integer_value (v), CPHUB_PROTOCOL_VERSION);
    return 0;
}

static const char *json_kind_name (const json_t *j)
{
    static const char *const names[] = {
        [JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
        [JSON_STRING] = "a string",  [JSON_INTEGER] = "a number",
        [JSON_REAL] = "a number",    [JSON_TRUE] = "true",
        [JSON_FALSE] = "false",      [JSON_NULL] = "null",
    };
    return names[json_typeof (j)];
}

msg_t *msg_decode (const char *type, size_t type_len, const char *body, size_t body_len,
                   cphub_error_t *err)
{
    char tname[40];
    json_error_t jerr;
    json_t *obj = NULL;
    msg_t *m = NULL;
    msg_type_t t;
    dctx_t c = {.err = err};

    if (body_len > MSG_MAX_BYTES) {
        cphub_fail (err, E2BIG, "message body is %zu bytes; at most %d", body_len,
                    MSG_MAX_BYTES);
        goto error;
    }
    if (!(obj = json_loadb (body ? body : "", body_len,
                            JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr))) {
        cphub_fail (err, EPROTO, "body is not valid JSON (byte %d: %s)", jerr.position,
                    jerr.text);
        goto error;
    }
    if (!json_is_object (obj)) {
        cphub_fail (err, EPROTO, "body must be a JSON object, not %s",
                    json_kind_name (obj));
        goto error;
    }
    if (decode_version (obj, err) < 0)
        goto error;
    if (msg_type_parse (type ? type : "", type_len, &t) < 0) {
        type_printable (type ? type : "", type_len, tname, sizeof (tname));
        cphub_fail (err, ENOENT, "unknown message type '%s'", tname);
        goto error;
    }
    if (!(m = msg_create (t))) {
        cphub_fail (err, ENOMEM, "out of memory");
        goto error;
    }
    c.type = msg_kinds[t].name;
    if (decode_fields (&c, msg_kinds[t].fields, obj, &m->u, "") < 0)
        goto error;
    if (msg_kinds[t].check && msg_kinds[t].check (m, &c) < 0)
        goto error;
    json_decref (obj);
    return m;
error: {
    int saved = errno;
    msg_destroy (m);
    json_decref (obj);
    errno = saved;
    return NULL;
}
}

/* ---- lifecycle -------------------------------------------------------------- */

static void free_fields (const field_t *fields, void *base)
{
    const field_t *f;
    uint32_t i, n;
    char *p, **argv;
    int k;

    for (f = fields; f->name; f++) {
        if (f->kind == FK_ARRAY || f->kind == FK_ARGV || f->kind == FK_TEXT ||
            f->kind == FK_BYTES)
            p = *(char **) field_at (base, f->off);
        else
            p = NULL;
        switch (f->kind) {
        case FK_OBJECT:
            free_fields (f->sub, field_at (base, f->off));
            break;
        case FK_ARRAY:
            n = *(uint32_t *) field_at (base, f->count_off);
            for (i = 0; f->sub && p && i < n; i++)
                free_fields (f->sub, p + (size_t) i * f->size);
            free (p);
            *(char **) field_at (base, f->off) = NULL;
            *(uint32_t *) field_at (base, f->count_off) = 0;
            break;
        case FK_ARGV:
            argv = (char **) p;
            n = (uint32_t) *(int *) field_at (base, f->count_off);
            for (k = 0; argv && k < (int) n; k++)
                free (argv[k]);
            free (argv);
            *(char ***) field_at (base, f->off) = NULL;
            *(int *) field_at (base, f->count_off) = 0;
            break;
        case FK_TEXT:
        case FK_BYTES:
            free (p);
            *(char **) field_at (base, f->off) = NULL;
            break;
        default:
            break;
        }
    }
}

msg_t *msg_create (msg_type_t type)
{
    msg_t *m;

    if ((unsigned) type >= MSG_TYPE_COUNT) {
        errno = EINVAL;
        return NULL;
    }
    if (!(m = calloc (1, sizeof (*m)))) {
        errno = ENOMEM;
        return NULL;
    }
    m->type = type;
    if (msg_kinds[type].init)
        msg_kinds[type].init (m);
    return m;
}

void msg_destroy (msg_t *m)
{
    int saved = errno;

    if (!m)
        return;
    if ((unsigned) m->type < MSG_TYPE_COUNT)
        free_fields (msg_kinds[m->type].fields, &m->u);
    free (m);
    errno = saved;
}

msg_t *msg_error_create (int code, const char *fmt, ...)
{
    msg_t *m = msg_create (MSG_ERROR);
    va_list ap;

    if (!m)
        return NULL;
    m->u.error.code = code;
    va_start (ap, fmt);
    vsnprintf (m->u.error.text, sizeof (m->u.error.text), fmt, ap);
    va_end (ap);
    return m;
}

const char *msg_type_name (msg_type_t type)
{
    if ((unsigned) type >= MSG_TYPE_COUNT)
        return NULL;
    return msg_kinds[type].name;
}

int msg_type_parse (const char *name, size_t len, msg_type_t *out)
{
    int t;

    for (t = 0; t < MSG_TYPE_COUNT && name; t++) {
        if (strlen (msg_kinds[t].name) == len && memcmp (msg_kinds[t].name, name, len) == 0) {
            *out = (msg_type_t) t;
            return 0;
        }
    }
    errno = ENOENT;
    return -1;
}

/* ---- --json output -------------------------------------------------------- */

char *msg_payload_json (const msg_t *m)
{
    json_t *obj = encode_body (m), *out;
    char *text;

    if (!obj)
        return NULL;
    json_object_del (obj, "v");
    switch (m->type) {
    case MSG_JOBS_OK:
    case MSG_WAIT_OK:
        out = json_object_get (obj, "jobs");
        break;
    case MSG_SHOW_OK:
        out = json_array_get (json_object_get (obj, "jobs"), 0);
        break;
    case MSG_NODES_OK:
        out = json_object_get (obj, "nodes");
        break;
    case MSG_CANCEL_OK:
        out = json_object_get (obj, "results");
        break;
    default:
        out = obj;
        break;
    }
    text = json_dumps (out ? out : json_null (),
                       JSON_INDENT (2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    json_decref (obj);
    if (!text)
        errno = ENOMEM;
    return text;
}
