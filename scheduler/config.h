/* config.h: scheduler.conf, loaded and checked, plus the command-line
 * overrides.
 *
 * schedconf_load() reads the file through conf.h (so unknown settings, wrong
 * types and syntax errors come back as "file:line: ..."), applies the
 * documented defaults, resolves relative paths against the config file's
 * directory, reads the scheduler's key pair and every tenant, operator and
 * agent public key (keys.h), and builds the identity table for the ZAP
 * handler. Semantic errors (a duplicate tenant or node name, a key used
 * twice, a maximum wall time below the default) name the file, the line and
 * the setting. The defaults:
 *     client_endpoint "tcp://127.0.0.1:7710", agent_endpoint
 *     "tcp://127.0.0.1:7711", key "keys/scheduler.key", state_dir "state",
 *     log_level "info", log_file "" (stderr), heartbeat_timeout 30s,
 *     default_walltime 1h, max_walltime 7 days, store "sqlite", store_path
 *     "<state_dir>/cphub.db", store_sync "full", allow_simulated_nodes
 *     false; backfill "easy",
 *     backfill_reservations 16; priority: weight_fairshare 10000, weight_age
 *     1000, weight_size 100, max_age and fairshare_half_life 7 days (0 is
 *     refused); each tenant 1 share and no boost.
 */
#ifndef CPHUB_SCHEDULER_CONFIG_H
#define CPHUB_SCHEDULER_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "cphub/conf.h"
#include "cphub/error.h"
#include "cphub/keys.h"
#include "cphub/log.h"
#include "scheduler/auth.h"
#include "scheduler/core/sched.h"
#include "scheduler/store.h"

/* Where the scheduler keeps its state (scheduler.store, --store). */
typedef enum schedconf_store {
    SCHEDCONF_STORE_SQLITE = 0, /* durable: one SQLite file */
    SCHEDCONF_STORE_MEMORY,     /* nothing survives a restart (tests, benchmarks) */
    SCHEDCONF_STORE_COUNT
} schedconf_store_t;

/* "sqlite", "memory"; -1/EINVAL for another name. */
int schedconf_store_parse (const char *name, schedconf_store_t *out);
const char *schedconf_store_name (schedconf_store_t store);

/* Pending jobs of a tenant whose quota does not say (its entry in the file
 * has no max_pending_jobs, or an operator added it at run time): ten of the
 * largest arrays (JOBSPEC_ARRAY_SIZE_MAX). */
#define SCHEDCONF_PENDING_JOBS_DEFAULT 100000

/* Seconds in one day of scheduler.history_days. */
#define SCHEDCONF_DAY 86400.0

typedef struct schedconf_name {
    char name[AUTH_NAME_MAX + 1];
} schedconf_name_t;

/* What one tenant or one connection can make the scheduler hold, and how
 * long it may hold the loop (config_limits.c; doc/security.md). */
typedef struct schedconf_limits {
    uint32_t waits_per_connection;  /* parked `wait`s of one connection */
    uint32_t waits_per_tenant;      /* ... of one tenant, all connections */
    uint32_t waited_ids_per_tenant; /* job ids those waits name */
    uint32_t ids_per_request;       /* ids in one cancel or wait */
    uint32_t logs_per_connection;   /* logs requests under way */
    uint32_t logs_per_tenant;
    uint64_t client_send_bytes; /* unread reply bytes per connection */
    uint32_t client_send_queue; /* unread replies per connection */
    uint32_t connections_per_key;
    int64_t client_idle_timeout;  /* s; a silent connection is closed */
    int64_t client_hello_timeout; /* s; ... one that never spoke */
    uint32_t fd_reserve;          /* descriptors kept for agents and the store */
    uint32_t slice_jobs;          /* jobs a slice of a long answer walks */
    int64_t keep_ended;           /* s an ended job stays in the core */
    uint32_t history_days;        /* the store keeps ended jobs; 0: for ever */
                                  /* (days of SCHEDCONF_DAY seconds) */
} schedconf_limits_t;

typedef struct schedconf {
    char *path;              /* the file loaded */
    char *client_endpoint;   /* where tenants and operators connect */
    char *agent_endpoint;    /* where agents connect */
    char *key_path;          /* resolved */
    cphub_keypair_t keypair; /* the scheduler's CURVE key pair */
    char *state_dir;         /* resolved */
    log_level_t log_level;
    char *log_file;      /* resolved; NULL = stderr */
    sched_config_t core; /* walltimes and heartbeat timeout for the core */
    uint32_t ntenants;
    schedconf_name_t *tenants; /* in file order */
    uint32_t noperators;
    schedconf_name_t *operators;
    uint32_t nagents;
    schedconf_name_t *agents; /* node names */
    auth_t *auth;             /* identity table, owned */
    schedconf_store_t store;  /* scheduler.store */
    char *store_path;         /* resolved; the SQLite file */
    store_sync_t store_sync;  /* scheduler.store_sync */
    /* tenants.[*].shares and .boost, one per tenant in file order;
     * core.tenant_policies points here */
    sched_tenant_policy_t *tenant_policies;
    /* config_quota.c: tenants.[*] limits and budget, one per
     * tenant in file order; billing.core_hour and billing.gpu_hour */
    sched_tenant_t *tenant_limits;
    double billing_core_hour;
    double billing_gpu_hour;
    schedconf_limits_t limits; /* config_limits.c */
    /* scheduler.allow_simulated_nodes: a node whose agent says it simulates
     * execution registers; by default it is refused, since its jobs would
     * end, and be billed, without running */
    bool allow_simulated_nodes;
} schedconf_t;

/* Overrides from the command line: NULL / false = keep the file's value.
 * log_file "" means stderr; relative paths are relative to the current
 * directory (as command-line paths are). verbose sets log_level debug. */
typedef struct schedconf_overrides {
    const char *client_endpoint;
    const char *agent_endpoint;
    const char *log_file;
    bool verbose;
    const char *store; /* --store sqlite|memory */
} schedconf_overrides_t;

/* Load path. NULL with errno (ENOENT, EINVAL, EACCES, ENOMEM) and err
 * "etc/scheduler.conf:14: 'tenants.[1].name': tenant 'acme' is defined
 * twice (also as tenants.[0])". */
schedconf_t *schedconf_load (const char *path, cphub_error_t *err);
void schedconf_destroy (schedconf_t *cfg); /* NULL: nothing */

/* Apply overrides. 0 or -1/ENOMEM, or -1/EINVAL for an unknown --store. */
int schedconf_apply_overrides (schedconf_t *cfg,
                               const schedconf_overrides_t *o,
                               cphub_error_t *err);

/* config_quota.c: billing.* and each tenant's max_running_cores,
 * max_running_gpus, max_running_jobs (0 or absent: no limit),
 * max_pending_jobs (absent: 100000; 0: no limit) and budget (core-hours; absent: no
 * budget, unlimited) into cfg->tenant_limits and cfg->billing_*. Called by
 * schedconf_load after the tenants are read. 0, or -1 with err naming the file, line
 * and setting. */
int schedconf_load_quotas (schedconf_t *cfg, const conf_t *c, cphub_error_t *err);

/* config_limits.c: the scheduler.max_* limits per tenant and connection
 * and the client connection settings. 0, or -1/EINVAL with err naming the
 * file, line and setting. */
int schedconf_load_limits (schedconf_t *cfg, const conf_t *c, cphub_error_t *err);

#endif
