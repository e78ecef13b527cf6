/* msg.h: the wire codec, the only place that builds or parses wire messages.
 *
 * A message is two ZeroMQ frames, [type][body]: the type a short ASCII name
 * ("submit"), the body a JSON object (jansson inside msg.c only) that always
 * carries "v": CPHUB_PROTOCOL_VERSION. msg_decode() checks the version, the
 * type, the size and every field, and fills the typed payload below; so a
 * msg_t that exists is well-formed. Everything else in cphub sees only these
 * C structs. doc/protocol.md lists every message, its fields and its errors.
 *
 * Who sends what:
 *   client -> scheduler: submit, cancel, jobs, show, wait, nodes, logs, report,
 *                        node.drain, priority, tenant, key, balance,
 *                        budget.grant
 *   scheduler -> client: submit.ok, cancel.ok, jobs.ok, show.ok, wait.ok,
 *                        nodes.ok, logs.ok, report.ok, node.drain.ok,
 *                        priority.ok, tenant.ok, key.ok, balance.ok,
 *                        budget.grant.ok, error
 *   agent -> scheduler:  register, heartbeat, job.started, job.exit, logs.data
 *   scheduler -> agent:  register.ok, job.run, job.kill, logs.fetch,
 *                        job.exit.ack, error
 */
#ifndef CPHUB_MSG_H
#define CPHUB_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cphub/error.h"
#include "cphub/job.h"
#include "cphub/jobspec.h"
#include "cphub/limits.h"
#include "cphub/resource.h"

#define CPHUB_PROTOCOL_VERSION 1
/* Largest body accepted (and set as ZMQ_MAXMSGSIZE on every socket). */
#define MSG_MAX_BYTES (4 * 1024 * 1024)
/* Largest number of ids in one cancel or wait. */
#define MSG_IDS_MAX 10000
/* Largest chunk of output in one logs reply. */
#define MSG_LOGS_CHUNK_MAX (1024 * 1024)
/* Room for the node list of the largest multi-node job in job.run, and for
 * its cores per node. */
#define MSG_NODELIST_MAX (JOBSPEC_NODES_MAX * (NODE_NAME_MAX + 1) + 1)
#define MSG_CPUS_PER_NODE_MAX (JOBSPEC_NODES_MAX * 6 + 1)

typedef enum {
    /* The numbers are the codec's table index only: the wire carries each
     * type by its name (msg_type_name), so the order is free. */
    MSG_ERROR = 0, /* any reply: a refusal, {code, text} */
    /* tenants' jobs: submit, follow, explain and end them
     * (client -> scheduler, each answered by its _OK) */
    MSG_SUBMIT,
    MSG_SUBMIT_OK,
    MSG_CANCEL,
    MSG_CANCEL_OK,
    MSG_JOBS,
    MSG_JOBS_OK,
    MSG_SHOW,
    MSG_SHOW_OK,
    MSG_WAIT,
    MSG_WAIT_OK,
    MSG_LOGS,
    MSG_LOGS_OK,
    MSG_PRIORITY, /* explain (and, for operators, boost) a job's priority */
    MSG_PRIORITY_OK,
    /* hold, release, requeue ({ids}, answered by jobctl.ok, shaped as
     * cancel.ok) and resubmit ({id}, answered by submit.ok) */
    MSG_HOLD,
    MSG_RELEASE,
    MSG_REQUEUE,
    MSG_JOBCTL_OK,
    MSG_RESUBMIT,
    /* the hub's state and accounts (client -> scheduler) */
    MSG_NODES,
    MSG_NODES_OK,
    MSG_REPORT,
    MSG_REPORT_OK,
    MSG_BALANCE, /* where tenants stand against their quotas and budgets */
    MSG_BALANCE_OK,
    /* operators' administration (client -> scheduler) */
    MSG_NODE_DRAIN,
    MSG_NODE_DRAIN_OK, /* no payload */
    MSG_TENANT,        /* tenant list|add|set|remove */
    MSG_TENANT_OK,
    MSG_KEY, /* key list|add|revoke */
    MSG_KEY_OK,
    MSG_BUDGET_GRANT,    /* grant or set a tenant's budget */
    MSG_BUDGET_GRANT_OK, /* the tenant's balance after */
    /* agents: joining the hub, running jobs and their output */
    MSG_REGISTER,     /* agent -> scheduler */
    MSG_REGISTER_OK,  /* scheduler -> agent */
    MSG_HEARTBEAT,    /* agent -> scheduler */
    MSG_JOB_RUN,      /* scheduler -> agent */
    MSG_JOB_STARTED,  /* agent -> scheduler */
    MSG_JOB_KILL,     /* scheduler -> agent */
    MSG_JOB_EXIT,     /* agent -> scheduler, resent until acknowledged */
    MSG_JOB_EXIT_ACK, /* scheduler -> agent: these exits are durable */
    MSG_LOGS_FETCH,   /* scheduler -> agent */
    MSG_LOGS_DATA,    /* agent -> scheduler */
    MSG_TYPE_COUNT
} msg_type_t;

typedef enum { LOG_STREAM_STDOUT = 0, LOG_STREAM_STDERR = 1 } log_stream_t;

/* error: {code, text}. code is an errno value (EINVAL, ENOENT, EPERM,
 * EPROTO, E2BIG, ENOSPC, ...), text one line for a human. */
typedef struct msg_error {
    int code;
    char text[CPHUB_ERROR_TEXT_MAX + 1];
} msg_error_t;

/* submit: {spec}. */
typedef struct msg_submit {
    jobspec_t spec;
} msg_submit_t;

/* submit.ok: {id, count}; show: {id, index}. A submit of a job array creates
 * count jobs with the ids id .. id + count - 1 (id is the array's id);
 * otherwise count is 1. show with an index names that element of array id
 * ("42_7"); without (MSG_INDEX_NONE), the job id itself. */
#define MSG_INDEX_NONE UINT32_MAX
typedef struct msg_id {
    uint64_t id;
    uint32_t count; /* submit.ok only (absent on the wire: 1) */
    uint32_t index; /* show only (absent on the wire: MSG_INDEX_NONE) */
} msg_id_t;

/* Elements first..last (indices) of array id: "42_[1-5]". */
typedef struct msg_elements {
    uint64_t id;
    uint32_t first;
    uint32_t last;
} msg_elements_t;
/* Element ranges in one cancel or wait. */
#define MSG_ELEMENTS_MAX 1024

/* cancel, wait: {ids: [..], elements: [..]} (0..MSG_IDS_MAX ids and
 * 0..MSG_ELEMENTS_MAX element ranges, at least one of either; elements is
 * optional, and absent in job.exit.ack). */
typedef struct msg_ids {
    uint32_t count;
    uint64_t *ids;
    uint32_t nelements;
    msg_elements_t *elements;
} msg_ids_t;

/* Room of a jobs request's state list: every state's name, comma-joined. */
#define MSG_JOBS_STATES_MAX 160

/* jobs: {all, after, filters}: all false = pending and running only, all
 * true = every job the hub keeps, the history included; after (optional,
 * 0 = from the start): only jobs with a larger id, to ask for the next page
 * of a long answer. The filters are optional ("" or 0: any): states (a
 * comma list of state names, which implies the history when it names an
 * ended state), name, node (ran there), tenant (operators only), since (still
 * active then: not ended, or ended at or after), until (submitted at or
 * before), array (its elements), limit (at most this many in the page).
 * expand (optional, false): each active array element in its own job_info;
 * without it the consecutive elements of an array in a page of active jobs
 * come folded into one (job_info's array_folded), and limit counts those. */
typedef struct msg_jobs {
    bool all;
    uint64_t after;
    char states[MSG_JOBS_STATES_MAX + 1];
    char name[JOBSPEC_NAME_MAX + 1];
    char node[NODE_NAME_MAX + 1];
    char tenant[TENANT_NAME_MAX + 1];
    double since;
    double until;
    uint64_t array;
    uint32_t limit;
    bool expand;
} msg_jobs_t;

/* jobs.ok, show.ok (one job), wait.ok: {jobs: [job_info], next}. A jobs.ok
 * is one page: next (optional, 0 = the last page) is the `after` of the
 * request for the next page; a page may be short, even empty, and still
 * have a next (the scheduler answers in slices that hold its loop briefly). */
typedef struct msg_job_list {
    uint32_t count;
    job_info_t *jobs;
    uint64_t next;
} msg_job_list_t;

/* cancel.ok: {results: [{id, code, text}]}: code 0 = cancel done or under
 * way; ENOENT = no such job (also for another tenant's job); EALREADY =
 * already ended. */
typedef struct msg_cancel_result {
    uint64_t id;
    int code;
    char text[CPHUB_ERROR_TEXT_MAX + 1];
} msg_cancel_result_t;
typedef struct msg_cancel_ok {
    uint32_t count;
    msg_cancel_result_t *results;
} msg_cancel_ok_t;

/* nodes.ok: {nodes: [node_info]}. */
typedef struct msg_node_list {
    uint32_t count;
    node_info_t *nodes;
} msg_node_list_t;

/* logs (client): {id, stream, offset, max}. logs.fetch (scheduler->agent):
 * the same plus {tag}, a number the scheduler uses to find the client. */
typedef struct msg_logs_req {
    uint64_t tag;
    uint64_t id;
    log_stream_t stream;
    uint64_t offset; /* byte offset into the file */
    uint32_t max;    /* bytes wanted, <= MSG_LOGS_CHUNK_MAX; 0 = the maximum */
} msg_logs_req_t;

/* logs.data (agent->scheduler): {tag, id, code, text, data, offset, eof};
 * logs.ok (scheduler->client): the same without meaning in tag. data is raw
 * bytes (base64 on the wire), len bytes, owned. code != 0: text says why. */
typedef struct msg_logs_data {
    uint64_t tag;
    uint64_t id;
    int code;
    char text[CPHUB_ERROR_TEXT_MAX + 1];
    uint64_t offset; /* offset of data[0] */
    bool eof;        /* no more bytes after this chunk now */
    size_t len;
    char *data;
} msg_logs_data_t;

/* report.ok: usage since the scheduler's records began. */
typedef struct report_tenant {
    char tenant[TENANT_NAME_MAX + 1];
    uint32_t jobs; /* jobs submitted */
    uint32_t completed;
    uint32_t failed; /* FAILED, TIMEOUT, NODE_FAIL */
    uint32_t cancelled;
    double core_seconds; /* cores x run time, ended and running jobs */
    double gpu_seconds;
} report_tenant_t;
typedef struct report_node {
    char node[NODE_NAME_MAX + 1];
    uint32_t cores;
    double busy_core_seconds;
    double busy_share; /* busy_core_seconds / (cores x window), 0..1 */
} report_node_t;
typedef struct msg_report {
    double since;
    double until;
    uint32_t ntenants;
    report_tenant_t *tenants;
    uint32_t nnodes;
    report_node_t *nodes;
} msg_report_t;

/* register: {node: node_desc}. register.ok: {hub_id}: the hub the
 * scheduler's store belongs to (optional: "" from a scheduler that does not
 * say), which an agent remembers and checks on every registration.
 * heartbeat: {running: number of jobs held}. */
#define MSG_HUB_ID_MAX 64
typedef struct msg_register_ok {
    char hub_id[MSG_HUB_ID_MAX + 1];
} msg_register_ok_t;
typedef struct msg_heartbeat {
    uint32_t running;
} msg_heartbeat_t;

/* job.run: what the agent needs to start a job. */
typedef struct msg_job_run {
    uint64_t id;
    char tenant[TENANT_NAME_MAX + 1];
    jobspec_t spec;  /* spec.walltime is the limit in force (> 0) */
    char cores[512]; /* core indices on the node, "0-3" */
    char cpus[512];  /* their PUs, "0-3" */
    char gpus[128];  /* GPU indices, "" if none */
    char mems[64];   /* NUMA domains to bind memory to, "0" */
    uint64_t mem;    /* bytes, 0 = no limit */
    /* every node of the allocation, this one (where the job runs) first; the cores of
     * the others are held for it while it runs. */
    char *nodelist;       /* "node1,node2" (CPHUB_NODELIST), < MSG_NODELIST_MAX
                             bytes; NULL = this node alone; owned */
    char *cpus_per_node;  /* cores on each, "4,4"; owned */
    uint64_t array_id;    /* 0, or the array's id */
    uint32_t array_index; /* CPHUB_ARRAY_INDEX when array_id != 0 */
    /* Which start of the job this is (1, 2, ... as it is requeued); the
     * agent echoes it in every report on the run. 0: not said. */
    uint32_t run;
} msg_job_run_t;

/* job.started: {id, pid, time, run}. */
typedef struct msg_job_started {
    uint64_t id;
    int64_t pid;
    double time;
    uint32_t run; /* job.run's run; 0: not known (absent on the wire) */
} msg_job_started_t;

/* job.exit: how a job ended on the node. */
typedef enum {
    EXIT_EXITED = 0,   /* exit_code valid */
    EXIT_SIGNALED,     /* signal valid */
    EXIT_TIMEOUT,      /* killed at its wall-time limit */
    EXIT_CANCELLED,    /* killed on the scheduler's job.kill */
    EXIT_START_FAILED, /* could not be started: text says why */
    EXIT_LOST,         /* the agent no longer knows it */
    EXIT_OOM,          /* the OOM killer struck in its memory cgroup */
    EXIT_OUTPUT,       /* killed: its stdout or stderr reached the node's limit */
} exit_kind_t;
/* How many exit kinds there are: the codec's and the runner link's tables. */
#define EXIT_KIND_COUNT (EXIT_OUTPUT + 1)
typedef struct msg_job_exit {
    uint64_t id;
    exit_kind_t kind;
    int exit_code;
    int signal;
    double start_time;
    double end_time;
    double cpu_time;  /* user + system seconds */
    uint64_t max_rss; /* bytes */
    char text[CPHUB_ERROR_TEXT_MAX + 1];
    bool survived_kill; /* a process of the job outlived KILL: drain the node */
    uint32_t run;       /* job.run's run; 0: not known (absent on the wire) */
} msg_job_exit_t;

/* node.drain: {node, drain, reason}: drain=false resumes the node. */
typedef struct msg_node_drain {
    char node[NODE_NAME_MAX + 1];
    bool drain;
    char reason[REASON_TEXT_MAX + 1];
} msg_node_drain_t;

/* job.kill: {id, signal, run} (signal 0 = TERM, grace, KILL). */
typedef struct msg_job_kill {
    uint64_t id;
    int signal;
    uint32_t run; /* the run to kill, echoed when the node holds none; 0: not said */
} msg_job_kill_t;

/* priority: {id, set_boost, boost}: explain job id's priority. With
 * set_boost (operators only) the job's boost becomes boost first. */
typedef struct msg_priority_req {
    uint64_t id;
    bool set_boost;
    double boost; /* priority points, -1e9..1e9 */
} msg_priority_req_t;

/* priority.ok: the job's priority now, factor by factor (the formula is
 * weight_fairshare * fairshare + weight_age * age + weight_size * size +
 * job_boost + tenant_boost), and where the last pass left it. */
typedef struct msg_priority {
    uint64_t id;
    char tenant[TENANT_NAME_MAX + 1];
    job_state_t state;
    char reason[REASON_TEXT_MAX + 1];
    uint32_t queue_position; /* 1 = next; 0 = not pending */
    double expected_start;   /* 0 = not known */
    double priority;
    double fairshare; /* factors, 0..1 */
    double age;
    double size;
    double job_boost; /* points */
    double tenant_boost;
    double weight_fairshare;
    double weight_age;
    double weight_size;
    double tenant_shares; /* the tenant's part of the hub's shares, 0..1 */
    double tenant_usage;  /* its decayed core-seconds */
    double usage_share;   /* its part of all tenants' decayed usage, 0..1 */
    double half_life;     /* seconds */
    double max_age;       /* seconds */
} msg_priority_t;

/* Tenants and tenant keys an operator changes at run time. Where a
 * tenant or key comes from: scheduler.conf, or `cphub tenant` / `cphub key`
 * (kept in the scheduler's store). */
typedef enum {
    TENANT_SOURCE_CONFIG = 0,
    TENANT_SOURCE_RUNTIME,
    TENANT_SOURCE_COUNT
} tenant_source_t;

/* tenant: {op, name, shares}. list: every tenant (name ignored); add: a new
 * tenant (shares 0 = 1); set: a run-time tenant's shares (> 0); remove: a
 * run-time tenant with no pending or running job. */
typedef enum {
    TENANT_OP_LIST = 0,
    TENANT_OP_ADD,
    TENANT_OP_SET,
    TENANT_OP_REMOVE,
    TENANT_OP_COUNT
} tenant_op_t;
typedef struct msg_tenant_req {
    tenant_op_t op;
    char name[TENANT_NAME_MAX + 1];
    double shares; /* 0..1e9; 0 = not given */
} msg_tenant_req_t;

/* tenant.ok: {tenants: [tenant_info]}: the tenants listed, added, set or
 * removed. */
typedef struct tenant_info {
    char name[TENANT_NAME_MAX + 1];
    tenant_source_t source;
    double shares;
    uint32_t keys;    /* keys in force */
    uint32_t pending; /* its jobs now */
    uint32_t running;
    double created; /* when added at run time; 0 for config tenants */
    bool removed;   /* a remove answered: the tenant is gone */
} tenant_info_t;
typedef struct msg_tenant_list {
    uint32_t count;
    tenant_info_t *tenants;
} msg_tenant_list_t;

/* key: {op, tenant, key}. list: the tenant keys (of tenant, or all when it
 * is ""); add: key (Z85, 40 characters) becomes a key of tenant; revoke:
 * key is refused from its next request on (tenant ignored). */
typedef enum { KEY_OP_LIST = 0, KEY_OP_ADD, KEY_OP_REVOKE, KEY_OP_COUNT } key_op_t;
typedef struct msg_key_req {
    key_op_t op;
    char tenant[TENANT_NAME_MAX + 1];
    char key[41]; /* Z85 public key (KEY_Z85_LEN + 1), "" for list */
} msg_key_req_t;

/* key.ok: {keys: [key_info]}: the keys listed, added or revoked. */
typedef struct key_info {
    char key[41];
    char tenant[TENANT_NAME_MAX + 1];
    tenant_source_t source;
    bool revoked;
    double added;        /* 0 for config keys */
    double revoked_time; /* 0 while in force */
} key_info_t;
typedef struct msg_key_list {
    uint32_t count;
    key_info_t *keys;
} msg_key_list_t;

/* "config", "runtime"; "list", "add", ...; NULL out of range. */
const char *tenant_source_name (tenant_source_t source);
const char *tenant_op_name (tenant_op_t op);
const char *key_op_name (key_op_t op);

/* balance: {tenant}: "" = the asker's own balance (a tenant) or every
 * tenant's (an operator); an operator may name one tenant, a tenant only
 * itself. */
typedef struct msg_balance_req {
    char tenant[TENANT_NAME_MAX + 1];
} msg_balance_req_t;

/* balance.ok, budget.grant.ok: {core_hour, gpu_hour, tenants:
 * [balance_tenant]}. Amounts in core-hours (a GPU-hour costs gpu_hour
 * core-hours): granted, spent (runs that ended, failed runs excluded),
 * reserved (running jobs' cores and GPUs times their wall time) and
 * remaining = granted - spent - reserved; meaningless when limited is false
 * (no budget: unlimited). core_seconds and gpu_seconds are what spent is
 * priced from: the sums of the tenant's accounting records. Limits of 0
 * mean none. */
typedef struct balance_tenant {
    char tenant[TENANT_NAME_MAX + 1];
    bool limited;
    double granted;
    double spent;
    double reserved;
    double remaining;
    double core_seconds;
    double gpu_seconds;
    uint32_t running_cores;
    uint32_t max_running_cores;
    uint32_t running_gpus;
    uint32_t max_running_gpus;
    uint32_t running_jobs;
    uint32_t max_running_jobs;
    uint32_t pending_jobs;
    uint32_t max_pending_jobs;
} balance_tenant_t;
typedef struct msg_balance {
    double core_hour; /* billing weights: core-hours per core-hour */
    double gpu_hour;  /* and per GPU-hour */
    uint32_t count;
    balance_tenant_t *tenants;
} msg_balance_t;

/* budget.grant: {tenant, hours, set, reason}: add hours (core-hours, may
 * be negative) to the tenant's budget, or with set make it hours (>= 0).
 * Operators only; recorded in the ledger with the operator's name. */
typedef struct msg_budget_grant {
    char tenant[TENANT_NAME_MAX + 1];
    double hours;
    bool set;
    char reason[REASON_TEXT_MAX + 1];
} msg_budget_grant_t;

typedef struct msg {
    msg_type_t type;
    union {
        msg_error_t error;               /* MSG_ERROR */
        msg_submit_t submit;             /* MSG_SUBMIT */
        msg_id_t id;                     /* MSG_SUBMIT_OK, MSG_SHOW */
        msg_ids_t ids;                   /* MSG_CANCEL, MSG_WAIT, MSG_JOB_EXIT_ACK */
        msg_jobs_t jobs;                 /* MSG_JOBS */
        msg_job_list_t job_list;         /* MSG_JOBS_OK, MSG_SHOW_OK, MSG_WAIT_OK */
        msg_cancel_ok_t cancel_ok;       /* MSG_CANCEL_OK */
        msg_node_list_t node_list;       /* MSG_NODES_OK */
        msg_logs_req_t logs_req;         /* MSG_LOGS, MSG_LOGS_FETCH */
        msg_logs_data_t logs_data;       /* MSG_LOGS_OK, MSG_LOGS_DATA */
        msg_report_t report;             /* MSG_REPORT_OK */
        node_desc_t node;                /* MSG_REGISTER */
        msg_heartbeat_t heartbeat;       /* MSG_HEARTBEAT */
        msg_job_run_t run;               /* MSG_JOB_RUN */
        msg_job_started_t started;       /* MSG_JOB_STARTED */
        msg_job_exit_t exit;             /* MSG_JOB_EXIT */
        msg_job_kill_t kill;             /* MSG_JOB_KILL */
        msg_node_drain_t drain;          /* MSG_NODE_DRAIN */
        msg_priority_req_t priority_req; /* MSG_PRIORITY */
        msg_priority_t priority;         /* MSG_PRIORITY_OK */
        msg_tenant_req_t tenant_req;     /* MSG_TENANT */
        msg_tenant_list_t tenant_list;   /* MSG_TENANT_OK */
        msg_key_req_t key_req;           /* MSG_KEY */
        msg_key_list_t key_list;         /* MSG_KEY_OK */
        msg_balance_req_t balance_req;   /* MSG_BALANCE */
        msg_balance_t balance;           /* MSG_BALANCE_OK, MSG_BUDGET_GRANT_OK */
        msg_budget_grant_t grant;        /* MSG_BUDGET_GRANT */
        msg_register_ok_t register_ok;   /* MSG_REGISTER_OK */
                                         /* MSG_JOB_EXIT_ACK: ids */
    } u;                                 /* MSG_NODES, MSG_REPORT: no payload */
} msg_t;

/* A zeroed message of this type (payload initialised, e.g. jobspec_init).
 * NULL/ENOMEM. */
msg_t *msg_create (msg_type_t type);
/* Frees the payload's allocations (arrays, jobspec, node_desc) too. */
void msg_destroy (msg_t *m);
/* An error message; fmt is the text. */
msg_t *msg_error_create (int code, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* "submit", "submit.ok", ...; NULL for an out-of-range type. */
const char *msg_type_name (msg_type_t type);
/* -1/ENOENT for an unknown name. */
int msg_type_parse (const char *name, size_t len, msg_type_t *out);

/* Encode the body. *body is malloc'd JSON text (not NUL-counted in *len);
 * caller frees. -1/E2BIG if it exceeds MSG_MAX_BYTES, ENOMEM. */
int msg_encode (const msg_t *m, char **body, size_t *len);

/* Decode frames into a new message. On failure NULL with errno and err text:
 * EPROTO (not JSON, missing/extra-typed field, wrong version: "protocol
 * version 2; this side speaks 1"), ENOENT (unknown type), E2BIG (too large),
 * EINVAL (a field out of its limits, e.g. jobspec_validate, node_desc_validate). */
msg_t *msg_decode (const char *type,
                   size_t type_len,
                   const char *body,
                   size_t body_len,
                   cphub_error_t *err);

/* The payload as pretty JSON text for `cphub ... --json`: for list replies the
 * array (jobs, nodes, results, tenants, keys), for show.ok the one job object, for
 * report.ok the object, for submit.ok {"id": N}. Caller frees; NULL/ENOMEM. */
char *msg_payload_json (const msg_t *m);
/* The elements of a list reply's payload as compact JSON for `--jsonl`,
 * one line each ("" for other replies). Caller frees; NULL/ENOMEM. */
char *msg_payload_jsonl (const msg_t *m);

#endif
