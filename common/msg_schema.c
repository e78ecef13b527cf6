/* msg_schema.c: what every wire message holds, as tables (msg_schema.h).
 * One field table per payload struct, built with the F_* macros below so that
 * each JSON name is the C field name, and one row per message type in
 * msg_kinds. Limits here are the protocol's: requests from tenants and agents
 * are range-checked field by field, replies from the scheduler only
 * type-checked (a reply that the scheduler can build must not be refused by
 * its own client). A spec's constraint, array and after are parsed from their
 * text once, while decoding (FK_FORM); the hooks run jobspec_validate and
 * node_desc_validate after a decode. The two text forms the codec needs that are not
 * JSON, UTF-8 checking and base64, are in msg_text.c. No jansson here: msg.c walks
 * these tables.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/keys.h"
#include "msg_schema.h"

_Static_assert(sizeof (job_state_t) == sizeof (int), "enums are stored as int");
_Static_assert(sizeof (node_state_t) == sizeof (int), "enums are stored as int");
_Static_assert(sizeof (exit_kind_t) == sizeof (int), "enums are stored as int");
_Static_assert(sizeof (log_stream_t) == sizeof (int), "enums are stored as int");

/* One initializer for every kind; the F_* macros fill in what differs. */
#define FIELD(T, f, k, ...)                                          \
    {                                                                \
        .name = #f, .kind = (k), .off = offsetof (T, f), __VA_ARGS__ \
    }
#define F_U32(T, f, lo, hi) FIELD (T, f, FK_U32, .min = (lo), .max = (hi))
#define F_U64(T, f, lo) FIELD (T, f, FK_U64, .min = (lo), .max = INT64_MAX)
#define F_INT(T, f, lo, hi) FIELD (T, f, FK_INT, .min = (lo), .max = (hi))
#define F_I64(T, f, lo, hi) FIELD (T, f, FK_I64, .min = (lo), .max = (hi))
/* Numbers: any a reply may carry, or times and durations (>= 0). */
#define F_NUM(T, f) FIELD (T, f, FK_DOUBLE, .dmin = -1e300, .dmax = 1e300)
#define F_TIME(T, f) FIELD (T, f, FK_DOUBLE, .dmin = 0.0, .dmax = 1e300)
#define F_BOOL(T, f) FIELD (T, f, FK_BOOL, .flags = 0)
#define F_STR(T, f) FIELD (T, f, FK_STR, .size = sizeof (((T *)0)->f))
#define F_IDS(T, f) \
    FIELD (T, f, FK_STR, .size = sizeof (((T *)0)->f), .flags = FF_IDSET)
#define F_ENUM(T, f, e) FIELD (T, f, FK_ENUM, .names = &(e))
#define F_OBJ(T, f, s) FIELD (T, f, FK_OBJECT, .sub = (s))
#define F_ARR(T, f, n, s, maxn)                          \
    FIELD (T, f, FK_ARRAY, .count_off = offsetof (T, n), \
           .size = sizeof (*((T *)0)->f), .min = 0, .max = (maxn), .sub = (s))
#define F_U64ARR(T, f, n, minn, maxn, lo)                                           \
    FIELD (T, f, FK_ARRAY, .count_off = offsetof (T, n), .size = sizeof (uint64_t), \
           .min = (minn), .max = (maxn), .elem_min = (lo), .elem_max = INT64_MAX)
/* Optional fields: absent on the wire keeps the default init gave. */
#define F_OPT_U32(T, f, lo, hi) \
    FIELD (T, f, FK_U32, .min = (lo), .max = (hi), .flags = FF_OPTIONAL)
#define F_OPT_U64(T, f, lo) \
    FIELD (T, f, FK_U64, .min = (lo), .max = INT64_MAX, .flags = FF_OPTIONAL)
#define F_OPT_DBL(T, f, lo, hi) \
    FIELD (T, f, FK_DOUBLE, .dmin = (lo), .dmax = (hi), .flags = FF_OPTIONAL)
#define F_OPT_BOOL(T, f) FIELD (T, f, FK_BOOL, .flags = FF_OPTIONAL)
#define F_OPT_STR(T, f) \
    FIELD (T, f, FK_STR, .size = sizeof (((T *)0)->f), .flags = FF_OPTIONAL)
#define F_OPT_TEXT(T, f, maxlen) \
    FIELD (T, f, FK_TEXT, .max = (maxlen), .flags = FF_OPTIONAL)
#define F_FORM(T, f, fm, maxlen, fl) \
    FIELD (T, f, FK_FORM, .form = &(fm), .max = (maxlen), .flags = FF_OPTIONAL | (fl))
#define F_END        \
    {                \
        .name = NULL \
    }

/* Largest entries in a reply list: more would not fit in MSG_MAX_BYTES. */
#define LIST_MAX (MSG_MAX_BYTES / 128)

static const char *job_state_text (int v)
{
    return job_state_name ((job_state_t)v);
}
static const char *node_state_text (int v)
{
    return node_state_name ((node_state_t)v);
}
static const char *const exit_kind_names[] = {
    [EXIT_EXITED] = "exited",
    [EXIT_SIGNALED] = "signaled",
    [EXIT_TIMEOUT] = "timeout",
    [EXIT_CANCELLED] = "cancelled",
    [EXIT_START_FAILED] = "start_failed",
    [EXIT_LOST] = "lost",
    [EXIT_OOM] = "oom",
    [EXIT_OUTPUT] = "output",
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

static const enum_desc_t job_states = {.count = JOB_STATE_COUNT,
                                       .name = job_state_text};
static const enum_desc_t node_states = {.count = NODE_STATE_COUNT,
                                        .name = node_state_text};
static const enum_desc_t exit_kinds = {.count = EXIT_KIND_COUNT,
                                       .name = exit_kind_text};
static const enum_desc_t log_streams = {.count = 2, .name = log_stream_text};

/* The parsed parts of a spec: text on the wire, parsed once when decoded
 * (with the texts of jobspec_set_option's errors), rendered when encoded. */
static void *constraint_form_parse (const char *text, cphub_error_t *err)
{
    cphub_error_t cerr = {.text = ""};
    constraint_t *c = constraint_parse (text, &cerr);

    if (!c)
        cphub_fail (err, errno, "--constraint: %s", cerr.text);
    return c;
}
static int constraint_form_format (const void *form, char *buf, size_t len)
{
    return snprintf (buf, len, "%s", constraint_text (form));
}
static void constraint_form_destroy (void *form)
{
    constraint_destroy (form);
}
static void *array_form_parse (const char *text, cphub_error_t *err)
{
    return jobspec_array_parse (text, err);
}
static int array_form_format (const void *form, char *buf, size_t len)
{
    return jobspec_array_format (form, buf, len);
}
static void *after_form_parse (const char *text, cphub_error_t *err)
{
    return jobspec_after_parse (text, err);
}
static int after_form_format (const void *form, char *buf, size_t len)
{
    return jobspec_after_format (form, buf, len);
}
static const text_form_t constraint_form = {.parse = constraint_form_parse,
                                            .format = constraint_form_format,
                                            .destroy = constraint_form_destroy};
static const text_form_t array_form = {
    .parse = array_form_parse, .format = array_form_format, .destroy = free};
static const text_form_t after_form = {
    .parse = after_form_parse, .format = after_form_format, .destroy = free};

static const field_t jobspec_fields[] = {
    F_U32 (jobspec_t, ntasks, 1, JOBSPEC_TASKS_MAX),
    F_U32 (jobspec_t, cpus_per_task, 1, JOBSPEC_CPUS_PER_TASK_MAX),
    F_U32 (jobspec_t, gpus, 0, JOBSPEC_GPUS_MAX),
    F_U64 (jobspec_t, mem, 0),
    F_I64 (jobspec_t, walltime, 0, INT64_MAX),
    F_STR (jobspec_t, name),
    {.name = "argv",
     .kind = FK_ARGV,
     .off = offsetof (jobspec_t, argv),
     .count_off = offsetof (jobspec_t, argc),
     .min = 0,
     .max = JOBSPEC_ARGC_MAX,
     .elem_max = JOBSPEC_ARG_MAX},
    {.name = "script",
     .kind = FK_TEXT,
     .off = offsetof (jobspec_t, script),
     .max = JOBSPEC_SCRIPT_MAX,
     .flags = FF_OPTIONAL},
    /* optional, absent = one node, shared, anywhere, one job */
    F_OPT_U32 (jobspec_t, nodes, 0, JOBSPEC_NODES_MAX),
    F_OPT_BOOL (jobspec_t, exclusive),
    F_FORM (jobspec_t, constraint, constraint_form, JOBSPEC_CONSTRAINT_MAX, FF_EMPTY),
    F_FORM (jobspec_t, array, array_form, JOBSPEC_ARRAY_TEXT_MAX, 0),
    F_FORM (jobspec_t, after, after_form, JOBSPEC_AFTER_MAX, 0),
    /* optional, absent = requeue when the node fails */
    F_OPT_BOOL (jobspec_t, no_requeue),
    /* optional, absent = not held at submit */
    F_OPT_BOOL (jobspec_t, hold),
    F_END,
};

/* job_info's array_counts: [{state, count}], only the states some element
 * is in, so that a job_info that stands for one job carries an empty list. */
static const field_t job_state_count_fields[] = {
    F_ENUM (job_state_count_t, state, job_states),
    F_U32 (job_state_count_t, count, 0, UINT32_MAX),
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
    F_NUM (job_info_t, submit_time),
    F_NUM (job_info_t, start_time),
    F_NUM (job_info_t, end_time),
    F_NUM (job_info_t, cpu_time),
    F_U64 (job_info_t, max_rss, 0),
    F_OPT_STR (job_info_t, nodelist),
    F_OPT_U64 (job_info_t, array_id, 0),
    F_OPT_U32 (job_info_t, array_index, 0, UINT32_MAX),
    F_OPT_U32 (job_info_t, array_throttle, 0, UINT32_MAX),
    /* optional: while pending, from the last scheduling pass */
    F_OPT_DBL (job_info_t, expected_start, -1e300, 1e300),
    F_OPT_U32 (job_info_t, queue_position, 0, UINT32_MAX),
    F_OPT_DBL (job_info_t, priority, -1e300, 1e300),
    F_OPT_U32 (job_info_t, array_folded, 0, UINT32_MAX),
    F_OPT_STR (job_info_t, array_tasks),
    FIELD (job_info_t,
           array_counts,
           FK_ARRAY,
           .count_off = offsetof (job_info_t, array_nstates),
           .size = sizeof (job_state_count_t),
           .min = 0,
           .max = JOB_STATE_COUNT,
           .sub = job_state_count_fields,
           .flags = FF_OPTIONAL),
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
    F_NUM (node_info_t, last_seen),
    /* optional (agents before isolation existed), absent = "" */
    F_OPT_STR (node_info_t, isolation),
    /* optional (schedulers before simulated nodes were told), absent = false */
    F_OPT_BOOL (node_info_t, simulated),
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
    F_NUM (report_tenant_t, core_seconds),
    F_NUM (report_tenant_t, gpu_seconds),
    F_END,
};

static const field_t report_node_fields[] = {
    F_STR (report_node_t, node),
    F_U32 (report_node_t, cores, 0, UINT32_MAX),
    F_NUM (report_node_t, busy_core_seconds),
    F_NUM (report_node_t, busy_share),
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
    /* optional (agents before isolation existed), absent = "" */
    F_OPT_STR (node_desc_t, isolation),
    /* optional (agents before simulated nodes were told), absent = false */
    F_OPT_BOOL (node_desc_t, simulated),
    F_END,
};

/* ---- message payloads ----------------------------------------------------- */

static const field_t error_fields[] = {
    F_INT (msg_error_t, code, 0, INT_MAX),
    F_STR (msg_error_t, text),
    F_END,
};
static const field_t submit_fields[] = {F_OBJ (msg_submit_t, spec, jobspec_fields),
                                        F_END};
static const field_t show_fields[] = {
    F_U64 (msg_id_t, id, 1),
    F_OPT_U32 (msg_id_t, index, 0, MSG_INDEX_NONE),
    F_END,
};
static const field_t submit_ok_fields[] = {
    F_U64 (msg_id_t, id, 1),
    F_OPT_U32 (msg_id_t, count, 1, JOBSPEC_ARRAY_SIZE_MAX),
    F_END,
};
static const field_t ids_fields[] = {
    F_U64ARR (msg_ids_t, ids, count, 1, MSG_IDS_MAX, 1),
    F_END,
};
static const field_t elements_fields[] = {
    F_U64 (msg_elements_t, id, 1),
    F_U32 (msg_elements_t, first, 0, JOBSPEC_ARRAY_INDEX_MAX),
    F_U32 (msg_elements_t, last, 0, JOBSPEC_ARRAY_INDEX_MAX),
    F_END,
};
/* cancel and wait: ids and element ranges ("42_[1-5]") */
static const field_t ids_elements_fields[] = {
    F_U64ARR (msg_ids_t, ids, count, 0, MSG_IDS_MAX, 1),
    FIELD (msg_ids_t,
           elements,
           FK_ARRAY,
           .count_off = offsetof (msg_ids_t, nelements),
           .size = sizeof (msg_elements_t),
           .min = 0,
           .max = MSG_ELEMENTS_MAX,
           .sub = elements_fields,
           .flags = FF_OPTIONAL),
    F_END,
};
static const field_t jobs_fields[] = {
    F_BOOL (msg_jobs_t, all),
    F_OPT_U64 (msg_jobs_t, after, 0),
    F_OPT_STR (msg_jobs_t, states),
    F_OPT_STR (msg_jobs_t, name),
    F_OPT_STR (msg_jobs_t, node),
    F_OPT_STR (msg_jobs_t, tenant),
    F_OPT_DBL (msg_jobs_t, since, 0.0, 1e300),
    F_OPT_DBL (msg_jobs_t, until, 0.0, 1e300),
    F_OPT_U64 (msg_jobs_t, array, 0),
    F_OPT_U32 (msg_jobs_t, limit, 0, UINT32_MAX),
    F_OPT_BOOL (msg_jobs_t, expand),
    F_END,
};
static const field_t job_list_fields[] = {
    F_ARR (msg_job_list_t, jobs, count, job_info_fields, LIST_MAX),
    F_OPT_U64 (msg_job_list_t, next, 0),
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
    {.name = "data",
     .kind = FK_BYTES,
     .off = offsetof (msg_logs_data_t, data),
     .count_off = offsetof (msg_logs_data_t, len),
     .max = MSG_LOGS_CHUNK_MAX},
    F_U64 (msg_logs_data_t, offset, 0),
    F_BOOL (msg_logs_data_t, eof),
    F_END,
};
static const field_t report_fields[] = {
    F_NUM (msg_report_t, since),
    F_NUM (msg_report_t, until),
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
    F_OPT_TEXT (msg_job_run_t, nodelist, MSG_NODELIST_MAX - 1),
    F_OPT_TEXT (msg_job_run_t, cpus_per_node, MSG_CPUS_PER_NODE_MAX - 1),
    F_OPT_U64 (msg_job_run_t, array_id, 0),
    F_OPT_U32 (msg_job_run_t, array_index, 0, JOBSPEC_ARRAY_INDEX_MAX),
    F_OPT_U32 (msg_job_run_t, run, 0, UINT32_MAX),
    F_END,
};
static const field_t job_started_fields[] = {
    F_U64 (msg_job_started_t, id, 1),
    F_I64 (msg_job_started_t, pid, 0, INT32_MAX),
    F_TIME (msg_job_started_t, time),
    F_OPT_U32 (msg_job_started_t, run, 0, UINT32_MAX),
    F_END,
};
static const field_t job_exit_fields[] = {
    F_U64 (msg_job_exit_t, id, 1),
    F_ENUM (msg_job_exit_t, kind, exit_kinds),
    F_INT (msg_job_exit_t, exit_code, 0, 255),
    F_INT (msg_job_exit_t, signal, 0, 127),
    F_TIME (msg_job_exit_t, start_time),
    F_TIME (msg_job_exit_t, end_time),
    F_TIME (msg_job_exit_t, cpu_time),
    F_U64 (msg_job_exit_t, max_rss, 0),
    F_STR (msg_job_exit_t, text),
    F_OPT_BOOL (msg_job_exit_t, survived_kill),
    F_OPT_U32 (msg_job_exit_t, run, 0, UINT32_MAX),
    F_END,
};
static const field_t node_drain_fields[] = {
    F_STR (msg_node_drain_t, node),
    F_BOOL (msg_node_drain_t, drain),
    F_OPT_STR (msg_node_drain_t, reason),
    F_END,
};
static const field_t job_kill_fields[] = {
    F_U64 (msg_job_kill_t, id, 1),
    F_INT (msg_job_kill_t, signal, 0, 64),
    F_OPT_U32 (msg_job_kill_t, run, 0, UINT32_MAX),
    F_END,
};
/* priority and backfill: why a job waits and where it stands */
static const field_t priority_req_fields[] = {
    F_U64 (msg_priority_req_t, id, 1),
    F_OPT_BOOL (msg_priority_req_t, set_boost),
    F_OPT_DBL (msg_priority_req_t, boost, -1e9, 1e9),
    F_END,
};
static const field_t priority_fields[] = {
    F_U64 (msg_priority_t, id, 1),
    F_STR (msg_priority_t, tenant),
    F_ENUM (msg_priority_t, state, job_states),
    F_STR (msg_priority_t, reason),
    F_U32 (msg_priority_t, queue_position, 0, UINT32_MAX),
    F_NUM (msg_priority_t, expected_start),
    F_NUM (msg_priority_t, priority),
    F_NUM (msg_priority_t, fairshare),
    F_NUM (msg_priority_t, age),
    F_NUM (msg_priority_t, size),
    F_NUM (msg_priority_t, job_boost),
    F_NUM (msg_priority_t, tenant_boost),
    F_NUM (msg_priority_t, weight_fairshare),
    F_NUM (msg_priority_t, weight_age),
    F_NUM (msg_priority_t, weight_size),
    F_NUM (msg_priority_t, tenant_shares),
    F_NUM (msg_priority_t, tenant_usage),
    F_NUM (msg_priority_t, usage_share),
    F_NUM (msg_priority_t, half_life),
    F_NUM (msg_priority_t, max_age),
    F_END,
};
/* tenants and keys, changed by operators at run time */
static const char *const tenant_source_names[TENANT_SOURCE_COUNT] = {
    [TENANT_SOURCE_CONFIG] = "config",
    [TENANT_SOURCE_RUNTIME] = "runtime",
};
static const char *const tenant_op_names[TENANT_OP_COUNT] = {
    [TENANT_OP_LIST] = "list",
    [TENANT_OP_ADD] = "add",
    [TENANT_OP_SET] = "set",
    [TENANT_OP_REMOVE] = "remove",
};
static const char *const key_op_names[KEY_OP_COUNT] = {
    [KEY_OP_LIST] = "list",
    [KEY_OP_ADD] = "add",
    [KEY_OP_REVOKE] = "revoke",
};
const char *tenant_source_name (tenant_source_t source)
{
    return (unsigned)source < TENANT_SOURCE_COUNT ? tenant_source_names[source] : NULL;
}
const char *tenant_op_name (tenant_op_t op)
{
    return (unsigned)op < TENANT_OP_COUNT ? tenant_op_names[op] : NULL;
}
const char *key_op_name (key_op_t op)
{
    return (unsigned)op < KEY_OP_COUNT ? key_op_names[op] : NULL;
}
static const char *tenant_source_text (int v)
{
    return tenant_source_names[v];
}
static const char *tenant_op_text (int v)
{
    return tenant_op_names[v];
}
static const char *key_op_text (int v)
{
    return key_op_names[v];
}
static const enum_desc_t tenant_sources = {.count = TENANT_SOURCE_COUNT,
                                           .name = tenant_source_text};
static const enum_desc_t tenant_ops = {.count = TENANT_OP_COUNT,
                                       .name = tenant_op_text};
static const enum_desc_t key_ops = {.count = KEY_OP_COUNT, .name = key_op_text};

static const field_t tenant_req_fields[] = {
    F_ENUM (msg_tenant_req_t, op, tenant_ops),
    F_OPT_STR (msg_tenant_req_t, name),
    F_OPT_DBL (msg_tenant_req_t, shares, 0, 1e9),
    F_END,
};
static const field_t tenant_info_fields[] = {
    F_STR (tenant_info_t, name),
    F_ENUM (tenant_info_t, source, tenant_sources),
    F_NUM (tenant_info_t, shares),
    F_U32 (tenant_info_t, keys, 0, UINT32_MAX),
    F_U32 (tenant_info_t, pending, 0, UINT32_MAX),
    F_U32 (tenant_info_t, running, 0, UINT32_MAX),
    F_NUM (tenant_info_t, created),
    F_BOOL (tenant_info_t, removed),
    F_END,
};
static const field_t tenant_list_fields[] = {
    F_ARR (msg_tenant_list_t, tenants, count, tenant_info_fields, LIST_MAX),
    F_END,
};
static const field_t key_req_fields[] = {
    F_ENUM (msg_key_req_t, op, key_ops),
    F_OPT_STR (msg_key_req_t, tenant),
    F_OPT_STR (msg_key_req_t, key),
    F_END,
};
static const field_t key_info_fields[] = {
    F_STR (key_info_t, key),
    F_STR (key_info_t, tenant),
    F_ENUM (key_info_t, source, tenant_sources),
    F_BOOL (key_info_t, revoked),
    F_NUM (key_info_t, added),
    F_NUM (key_info_t, revoked_time),
    F_END,
};
static const field_t key_list_fields[] = {
    F_ARR (msg_key_list_t, keys, count, key_info_fields, LIST_MAX),
    F_END,
};
/* quotas and budgets */
static const field_t balance_req_fields[] = {
    F_OPT_STR (msg_balance_req_t, tenant),
    F_END,
};
static const field_t balance_tenant_fields[] = {
    F_STR (balance_tenant_t, tenant),
    F_BOOL (balance_tenant_t, limited),
    F_NUM (balance_tenant_t, granted),
    F_NUM (balance_tenant_t, spent),
    F_NUM (balance_tenant_t, reserved),
    F_NUM (balance_tenant_t, remaining),
    F_NUM (balance_tenant_t, core_seconds),
    F_NUM (balance_tenant_t, gpu_seconds),
    F_U32 (balance_tenant_t, running_cores, 0, UINT32_MAX),
    F_U32 (balance_tenant_t, max_running_cores, 0, UINT32_MAX),
    F_U32 (balance_tenant_t, running_gpus, 0, UINT32_MAX),
    F_U32 (balance_tenant_t, max_running_gpus, 0, UINT32_MAX),
    F_U32 (balance_tenant_t, running_jobs, 0, UINT32_MAX),
    F_U32 (balance_tenant_t, max_running_jobs, 0, UINT32_MAX),
    F_U32 (balance_tenant_t, pending_jobs, 0, UINT32_MAX),
    F_U32 (balance_tenant_t, max_pending_jobs, 0, UINT32_MAX),
    F_END,
};
static const field_t balance_fields[] = {
    F_NUM (msg_balance_t, core_hour),
    F_NUM (msg_balance_t, gpu_hour),
    F_ARR (msg_balance_t, tenants, count, balance_tenant_fields, LIST_MAX),
    F_END,
};
static const field_t budget_grant_fields[] = {
    F_STR (msg_budget_grant_t, tenant),
    FIELD (msg_budget_grant_t, hours, FK_DOUBLE, .dmin = -1e12, .dmax = 1e12),
    F_OPT_BOOL (msg_budget_grant_t, set),
    F_OPT_STR (msg_budget_grant_t, reason),
    F_END,
};
static const field_t register_ok_fields[] = {
    F_OPT_STR (msg_register_ok_t, hub_id),
    F_END,
};
static const field_t no_fields[] = {F_END};

/* ---- the message type table ---------------------------------------------- */

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
static void init_submit_ok (msg_t *m)
{
    m->u.id.count = 1;
}

static void init_show (msg_t *m)
{
    m->u.id.index = MSG_INDEX_NONE;
}

static int check_ids (const msg_t *m, cphub_error_t *err)
{
    const msg_ids_t *ids = &m->u.ids;

    if (ids->count == 0 && ids->nelements == 0)
        return cphub_fail (err, EINVAL, "no job ids: give at least one");
    for (uint32_t i = 0; i < ids->nelements; i++)
        if (ids->elements[i].last < ids->elements[i].first)
            return cphub_fail (
                err, EINVAL,
                "elements %" PRIu32 "-%" PRIu32 " of %" PRIu64 " run backwards",
                ids->elements[i].first, ids->elements[i].last, ids->elements[i].id);
    return 0;
}

static int check_submit (const msg_t *m, cphub_error_t *err)
{
    return jobspec_validate (&m->u.submit.spec, err);
}

static int check_run (const msg_t *m, cphub_error_t *err)
{
    if (m->u.run.spec.walltime <= 0)
        return cphub_fail (err, EINVAL,
                           "field 'spec.walltime' must be > 0 (the limit in force)");
    return jobspec_validate (&m->u.run.spec, err);
}

static int check_register (const msg_t *m, cphub_error_t *err)
{
    return node_desc_validate (&m->u.node, err);
}

static int check_node_drain (const msg_t *m, cphub_error_t *err)
{
    if (m->u.drain.node[0] == '\0')
        return cphub_fail (err, EINVAL, "field 'node' is empty; name the node");
    return 0;
}

/* What each operation needs; the names themselves are checked by
 * the scheduler, which knows the tenants. */
static int check_tenant (const msg_t *m, cphub_error_t *err)
{
    const msg_tenant_req_t *r = &m->u.tenant_req;

    if (r->op != TENANT_OP_LIST && r->name[0] == '\0')
        return cphub_fail (err, EINVAL, "field 'name' is empty; tenant %s needs a name",
                           tenant_op_names[r->op]);
    if (r->op == TENANT_OP_SET && !(r->shares > 0))
        return cphub_fail (err, EINVAL,
                           "field 'shares' must be more than 0 for tenant set "
                           "(a tenant with 2 shares gets twice the hub of one with 1)");
    return 0;
}

static int check_key (const msg_t *m, cphub_error_t *err)
{
    const msg_key_req_t *r = &m->u.key_req;

    if (r->op == KEY_OP_ADD && r->tenant[0] == '\0')
        return cphub_fail (err, EINVAL,
                           "field 'tenant' is empty; name the key's tenant");
    if (r->op != KEY_OP_LIST && !keys_valid_z85 (r->key))
        return cphub_fail (err, EINVAL,
                           "field 'key' is not a public key (40 Z85 characters, as "
                           "in a .pub file)");
    return 0;
}

static int check_budget_grant (const msg_t *m, cphub_error_t *err)
{
    const msg_budget_grant_t *g = &m->u.grant;

    if (g->tenant[0] == '\0')
        return cphub_fail (err, EINVAL, "field 'tenant' is empty; name the tenant");
    if (g->set && g->hours < 0)
        return cphub_fail (err, EINVAL,
                           "field 'hours' is %g; a budget cannot be set below 0",
                           g->hours);
    return 0;
}

static const msg_kind_t msg_kinds[MSG_TYPE_COUNT] = {
    [MSG_ERROR] = {.name = "error", .fields = error_fields},
    [MSG_SUBMIT] = {.name = "submit",
                    .fields = submit_fields,
                    .init = init_submit,
                    .check = check_submit},
    [MSG_CANCEL] = {.name = "cancel",
                    .fields = ids_elements_fields,
                    .check = check_ids},
    [MSG_JOBS] = {.name = "jobs", .fields = jobs_fields},
    [MSG_SHOW] = {.name = "show", .fields = show_fields, .init = init_show},
    [MSG_WAIT] = {.name = "wait", .fields = ids_elements_fields, .check = check_ids},
    [MSG_NODES] = {.name = "nodes", .fields = no_fields},
    [MSG_LOGS] = {.name = "logs", .fields = logs_fields},
    [MSG_REPORT] = {.name = "report", .fields = no_fields},
    [MSG_SUBMIT_OK] = {.name = "submit.ok",
                       .fields = submit_ok_fields,
                       .init = init_submit_ok},
    [MSG_CANCEL_OK] = {.name = "cancel.ok", .fields = cancel_ok_fields},
    [MSG_HOLD] = {.name = "hold", .fields = ids_elements_fields, .check = check_ids},
    [MSG_RELEASE] = {.name = "release",
                     .fields = ids_elements_fields,
                     .check = check_ids},
    [MSG_REQUEUE] = {.name = "requeue",
                     .fields = ids_elements_fields,
                     .check = check_ids},
    [MSG_JOBCTL_OK] = {.name = "jobctl.ok", .fields = cancel_ok_fields},
    [MSG_RESUBMIT] = {.name = "resubmit", .fields = show_fields, .init = init_show},
    [MSG_JOBS_OK] = {.name = "jobs.ok", .fields = job_list_fields},
    [MSG_SHOW_OK] = {.name = "show.ok", .fields = job_list_fields},
    [MSG_WAIT_OK] = {.name = "wait.ok", .fields = job_list_fields},
    [MSG_NODES_OK] = {.name = "nodes.ok", .fields = node_list_fields},
    [MSG_LOGS_OK] = {.name = "logs.ok", .fields = logs_data_fields},
    [MSG_REPORT_OK] = {.name = "report.ok", .fields = report_fields},
    [MSG_REGISTER] = {.name = "register",
                      .fields = register_fields,
                      .init = init_register,
                      .check = check_register},
    [MSG_HEARTBEAT] = {.name = "heartbeat", .fields = heartbeat_fields},
    [MSG_JOB_STARTED] = {.name = "job.started", .fields = job_started_fields},
    [MSG_JOB_EXIT] = {.name = "job.exit", .fields = job_exit_fields},
    [MSG_LOGS_DATA] = {.name = "logs.data", .fields = logs_data_fields},
    [MSG_REGISTER_OK] = {.name = "register.ok", .fields = register_ok_fields},
    [MSG_JOB_RUN] = {.name = "job.run",
                     .fields = job_run_fields,
                     .init = init_run,
                     .check = check_run},
    [MSG_JOB_KILL] = {.name = "job.kill", .fields = job_kill_fields},
    [MSG_LOGS_FETCH] = {.name = "logs.fetch", .fields = logs_fetch_fields},
    [MSG_NODE_DRAIN] = {.name = "node.drain",
                        .fields = node_drain_fields,
                        .check = check_node_drain},
    [MSG_NODE_DRAIN_OK] = {.name = "node.drain.ok", .fields = no_fields},
    [MSG_JOB_EXIT_ACK] = {.name = "job.exit.ack", .fields = ids_fields},
    [MSG_PRIORITY] = {.name = "priority", .fields = priority_req_fields},
    [MSG_PRIORITY_OK] = {.name = "priority.ok", .fields = priority_fields},
    [MSG_TENANT] = {.name = "tenant",
                    .fields = tenant_req_fields,
                    .check = check_tenant},
    [MSG_TENANT_OK] = {.name = "tenant.ok", .fields = tenant_list_fields},
    [MSG_KEY] = {.name = "key", .fields = key_req_fields, .check = check_key},
    [MSG_KEY_OK] = {.name = "key.ok", .fields = key_list_fields},
    [MSG_BALANCE] = {.name = "balance", .fields = balance_req_fields},
    [MSG_BALANCE_OK] = {.name = "balance.ok", .fields = balance_fields},
    [MSG_BUDGET_GRANT] = {.name = "budget.grant",
                          .fields = budget_grant_fields,
                          .check = check_budget_grant},
    [MSG_BUDGET_GRANT_OK] = {.name = "budget.grant.ok", .fields = balance_fields},
};

const msg_kind_t *msg_schema_kind (msg_type_t t)
{
    if ((unsigned)t >= MSG_TYPE_COUNT)
        return NULL;
    return &msg_kinds[t];
}
