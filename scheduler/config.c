/* config.c: loading scheduler.conf into a schedconf_t (see config.h).
 *
 * The settings table below is the whole file format; conf.h rejects anything
 * else. This file adds what libconfig cannot check: defaults, names that are
 * valid and unique, durations that make sense together, and key files that
 * exist and parse. The identity table for the ZAP handler is filled here,
 * because a key listed twice is a config error that must name its line.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/parse.h"
#include "scheduler/config.h"

#define DEFAULT_CLIENT_ENDPOINT "tcp://127.0.0.1:7710"
#define DEFAULT_AGENT_ENDPOINT "tcp://127.0.0.1:7711"
#define DEFAULT_KEY "keys/scheduler.key"
#define DEFAULT_STATE_DIR "state"
#define DEFAULT_LOG_LEVEL "info"
#define DEFAULT_HEARTBEAT_TIMEOUT 30
#define DEFAULT_WALLTIME 3600
#define DEFAULT_MAX_WALLTIME (7 * 86400)
#define DEFAULT_STORE "sqlite"
#define DEFAULT_BACKFILL "easy"
#define DEFAULT_RESERVATIONS 16
#define DEFAULT_POLICY_DAYS (7 * 86400) /* max_age and fairshare_half_life */
#define POLICY_POINTS_MAX 1e9           /* weights, shares and boosts */
#define DEFAULT_STORE_FILE "cphub.db"   /* in state_dir */
#define DEFAULT_STORE_SYNC "full"
#define DEFAULT_MAX_REQUEUE 3
#define MAX_REQUEUE_MAX 1000
#define DEFAULT_REQUEUE_DELAY 10
#define DEFAULT_MAX_START_FAILURES 3
#define MAX_START_FAILURES_MAX 1000

static const conf_setting_t settings[] = {
    {"scheduler", CONF_GROUP, "the scheduler daemon's own settings"},
    {"scheduler.client_endpoint", CONF_STRING,
     "where tenants and operators connect (default tcp://127.0.0.1:7710)"},
    {"scheduler.agent_endpoint", CONF_STRING,
     "where node agents connect (default tcp://127.0.0.1:7711)"},
    {"scheduler.key", CONF_STRING,
     "the scheduler's key pair file (default keys/scheduler.key)"},
    {"scheduler.state_dir", CONF_STRING, "durable state (default state)"},
    {"scheduler.log_level", CONF_STRING, "err, warn, info or debug (default info)"},
    {"scheduler.log_file", CONF_STRING, "log file; \"\" = stderr (default \"\")"},
    {"scheduler.heartbeat_timeout", CONF_DURATION,
     "silence after which a node is down (default 30s)"},
    {"scheduler.default_walltime", CONF_DURATION,
     "wall-time limit of jobs that ask none (default 1h)"},
    {"scheduler.max_walltime", CONF_DURATION,
     "largest wall-time limit a job may ask (default 7-00:00:00)"},
    {"scheduler.store", CONF_STRING,
     "\"sqlite\" (durable) or \"memory\" (nothing survives) (default sqlite)"},
    {"scheduler.store_path", CONF_STRING,
     "the SQLite file (default <state_dir>/" DEFAULT_STORE_FILE ")"},
    {"scheduler.store_sync", CONF_STRING,
     "\"full\" (survives power loss) or \"normal\" (survives crashes) "
     "(default full)"},
    {"scheduler.backfill", CONF_STRING,
     "\"fifo\", \"easy\" or \"conservative\" (default easy)"},
    {"scheduler.backfill_reservations", CONF_INT,
     "conservative: waiting jobs that get a reservation (default 16)"},
    {"scheduler.pass_interval", CONF_FLOAT,
     "seconds between scheduling passes over a queue of more than 1000 "
     "pending jobs; smaller queues pass after every change (default 0.05)"},
    {"scheduler.max_array_size", CONF_INT,
     "most elements of one job array (default and ceiling 10000)"},
    {"scheduler.max_requeue", CONF_INT,
     "times a run lost to its node is requeued before the job ends NODE_FAIL, "
     "1 to 1000 (default 3)"},
    {"scheduler.requeue_delay", CONF_DURATION,
     "wait before a lost run is requeued the first time, doubling each next "
     "time; 0 = at once (default 10s)"},
    {"scheduler.max_start_failures", CONF_INT,
     "job starts failing in a row on a node's side that drain the node; 0 = "
     "never (default 3)"},
    {"scheduler.default_mem_per_core", CONF_SIZE,
     "memory limit per core of jobs that ask no --mem; 0 = the node's memory "
     "divided by its cores (default 0)"},
    {"scheduler.allow_simulated_nodes", CONF_BOOL,
     "take nodes whose agent simulates execution (agent.simulate): their jobs "
     "run nothing; for benchmarks and tests only (default false)"},
    /* what one tenant or connection can make the scheduler hold
     * (config_limits.c) */
    {"scheduler.max_waits_per_connection", CONF_INT,
     "parked `cphub wait`s of one connection (default 16)"},
    {"scheduler.max_waits_per_tenant", CONF_INT,
     "parked `cphub wait`s of one tenant (default 256)"},
    {"scheduler.max_waited_ids_per_tenant", CONF_INT,
     "job ids one tenant's parked waits may name (default 100000)"},
    {"scheduler.max_ids_per_request", CONF_INT,
     "job ids in one cancel or wait, after removing repeats (default and "
     "ceiling 10000)"},
    {"scheduler.max_logs_per_connection", CONF_INT,
     "`cphub logs` requests under way per connection (default 4)"},
    {"scheduler.max_logs_per_tenant", CONF_INT,
     "`cphub logs` requests under way per tenant (default 64)"},
    {"scheduler.client_send_bytes", CONF_SIZE,
     "reply bytes a client connection may leave unread before it is cut off "
     "(default 16M)"},
    {"scheduler.client_send_queue", CONF_INT,
     "replies a client connection may leave unread before it is cut off "
     "(default 256)"},
    {"scheduler.max_connections_per_key", CONF_INT,
     "open client connections with one key (default 256)"},
    {"scheduler.client_idle_timeout", CONF_DURATION,
     "a client connection silent this long, with nothing parked, is closed "
     "(default 60s)"},
    {"scheduler.client_hello_timeout", CONF_DURATION,
     "a client connection that sent nothing this long is closed (default 10s)"},
    {"scheduler.fd_reserve", CONF_INT,
     "file descriptors kept for agents and the store: new client connections "
     "are refused below it (default 256)"},
    {"scheduler.slice_jobs", CONF_INT,
     "jobs one turn of the loop walks for a long answer (jobs --all, wait) "
     "before serving others (default 20000)"},
    {"scheduler.keep_ended", CONF_DURATION,
     "an ended job stays in the scheduler's memory this long, then only in the "
     "store's history (default 5m)"},
    {"scheduler.history_days", CONF_INT,
     "days the store keeps an ended job, then deletes it; accounting records "
     "stay (default 0: for ever)"},
    {"priority", CONF_GROUP, "how pending jobs are ordered (cphub priority ID)"},
    {"priority.weight_fairshare", CONF_FLOAT,
     "points for a tenant that used nothing lately (default 10000)"},
    {"priority.weight_age", CONF_FLOAT, "points for waiting max_age (default 1000)"},
    {"priority.weight_size", CONF_FLOAT,
     "points for a job as large as the largest node (default 100)"},
    {"priority.max_age", CONF_DURATION,
     "waiting time at which age counts fully (default 7-0)"},
    {"priority.fairshare_half_life", CONF_DURATION,
     "time in which past usage counts half (default 7-0)"},
    {"tenants", CONF_LIST, "companies that submit jobs"},
    {"tenants.[*]", CONF_GROUP, "one tenant"},
    {"tenants.[*].name", CONF_STRING, "the tenant's name"},
    {"tenants.[*].keys", CONF_ARRAY, "public key files of the tenant's users"},
    {"tenants.[*].shares", CONF_FLOAT,
     "the tenant's part of the hub against the others' (default 1)"},
    {"tenants.[*].boost", CONF_FLOAT,
     "priority points added to each of its jobs (default 0)"},
    /* quotas and budgets, read by config_quota.c */
    {"tenants.[*].max_running_cores", CONF_INT,
     "cores its running jobs may hold at once (default 0: no limit)"},
    {"tenants.[*].max_running_gpus", CONF_INT,
     "GPUs its running jobs may hold at once (default 0: no limit)"},
    {"tenants.[*].max_running_jobs", CONF_INT,
     "jobs it may run at once (default 0: no limit)"},
    {"tenants.[*].max_pending_jobs", CONF_INT,
     "pending jobs it may have; more are refused (default 100000; 0: no "
     "limit)"},
    {"tenants.[*].budget", CONF_FLOAT,
     "its budget in core-hours, before operators' grants (default: none, "
     "unlimited)"},
    {"billing", CONF_GROUP, "what usage costs against budgets (cphub balance)"},
    {"billing.core_hour", CONF_FLOAT,
     "budget core-hours one core-hour costs (default 1)"},
    {"billing.gpu_hour", CONF_FLOAT,
     "budget core-hours one GPU-hour costs (default 1)"},
    {"operators", CONF_LIST, "hub operators: see every job and node"},
    {"operators.[*]", CONF_GROUP, "one operator"},
    {"operators.[*].name", CONF_STRING, "the operator's name"},
    {"operators.[*].keys", CONF_ARRAY, "public key files of the operator"},
    {"agents", CONF_LIST, "node agents allowed to connect"},
    {"agents.[*]", CONF_GROUP, "one node"},
    {"agents.[*].node", CONF_STRING, "the node's name (its agent.name)"},
    {"agents.[*].key", CONF_STRING, "the agent's public key file"},
    {NULL, 0, NULL},
};

static const char *const store_names[SCHEDCONF_STORE_COUNT] = {
    [SCHEDCONF_STORE_SQLITE] = "sqlite",
    [SCHEDCONF_STORE_MEMORY] = "memory",
};

static const char *const sync_names[] = {
    [STORE_SYNC_FULL] = "full",
    [STORE_SYNC_NORMAL] = "normal",
};

int schedconf_store_parse (const char *name, schedconf_store_t *out)
{
    for (int i = 0; i < SCHEDCONF_STORE_COUNT; i++) {
        if (strcmp (name, store_names[i]) == 0) {
            *out = (schedconf_store_t)i;
            return 0;
        }
    }
    errno = EINVAL;
    return -1;
}

const char *schedconf_store_name (schedconf_store_t store)
{
    return (unsigned)store < SCHEDCONF_STORE_COUNT ? store_names[store] : "?";
}

static int sync_parse (const char *name, store_sync_t *out)
{
    for (size_t i = 0; i < sizeof (sync_names) / sizeof (sync_names[0]); i++) {
        if (strcmp (name, sync_names[i]) == 0) {
            *out = (store_sync_t)i;
            return 0;
        }
    }
    errno = EINVAL;
    return -1;
}

/* *out = a copy of the string setting (or def). */
static int load_string (
    const conf_t *c, const char *path, const char *def, char **out, cphub_error_t *err)
{
    const char *s = NULL;

    if (conf_get_string (c, path, def, &s, err) < 0)
        return -1;
    if (!(*out = strdup (s ? s : "")))
        return cphub_fail (err, ENOMEM, "out of memory");
    return 0;
}

/* *out = the path setting resolved against the config's directory, or NULL
 * when it is "" and empty_ok. */
static int load_path (const conf_t *c,
                      const char *path,
                      const char *def,
                      bool empty_ok,
                      char **out,
                      cphub_error_t *err)
{
    const char *s = NULL;

    *out = NULL;
    if (conf_get_string (c, path, def, &s, err) < 0)
        return -1;
    if (!s || s[0] == '\0') {
        if (empty_ok)
            return 0;
        return conf_fail (c, path, err, "must name a file or directory, not \"\"");
    }
    if (!(*out = conf_resolve_path (c, s)))
        return cphub_fail (err, ENOMEM, "out of memory");
    return 0;
}

/* Read the public key in the file named by the string value at path (or
 * given as value) and add it to the identity table for role:name. */
static int load_key (schedconf_t *cfg,
                     const conf_t *c,
                     const char *path,
                     const char *value,
                     auth_role_t role,
                     const char *name,
                     cphub_error_t *err)
{
    char pub[KEY_Z85_LEN + 1];
    cphub_error_t kerr = {{0}};
    char *file = NULL;

    if (value[0] == '\0')
        return conf_fail (c, path, err, "must name a key file, not \"\"");
    if (!(file = conf_resolve_path (c, value)))
        return cphub_fail (err, ENOMEM, "out of memory");
    if (keys_read_public (file, pub, &kerr) < 0) {
        free (file);
        return conf_fail (c, path, err, "%s", kerr.text);
    }
    free (file);
    if (auth_add (cfg->auth, pub, role, name, &kerr) < 0) {
        if (errno == ENOMEM)
            return cphub_fail (err, ENOMEM, "out of memory");
        return conf_fail (c, path, err, "%s: %s", value, kerr.text);
    }
    return 0;
}

/* The "name" (or "node") of element i of a list, checked for form and for
 * uniqueness against the first i names. */
static int load_member_name (const conf_t *c,
                             const char *list,
                             const char *field,
                             const char *what,
                             schedconf_name_t *names,
                             int i,
                             cphub_error_t *err)
{
    char path[96];
    const char *name = NULL;
    int rc;

    snprintf (path, sizeof (path), "%s.[%d].%s", list, i, field);
    if ((rc = conf_get_string (c, path, NULL, &name, err)) < 0)
        return -1;
    if (rc == 1 || !name) {
        snprintf (path, sizeof (path), "%s.[%d]", list, i);
        return conf_fail (c, path, err, "missing %s = \"...\"", field);
    }
    if (!parse_name_valid (name, AUTH_NAME_MAX))
        return conf_fail (c, path, err,
                          "%s name '%s' must be 1 to %d of A-Z a-z 0-9 . _ -", what,
                          name, AUTH_NAME_MAX);
    for (int j = 0; j < i; j++) {
        if (strcmp (names[j].name, name) == 0)
            return conf_fail (c, path, err,
                              "%s '%s' is defined twice (also as %s.[%d])", what, name,
                              list, j);
    }
    snprintf (names[i].name, sizeof (names[i].name), "%s", name);
    return 0;
}

/* tenants or operators: ( { name = "..."; keys = [ "..." ]; }, ... ) */
static int load_people (schedconf_t *cfg,
                        const conf_t *c,
                        const char *list,
                        auth_role_t role,
                        schedconf_name_t **out,
                        uint32_t *count,
                        cphub_error_t *err)
{
    const char *what = auth_role_name (role);
    int n = conf_count (c, list);
    char path[96];

    if (n > 0 && !(*out = calloc ((size_t)n, sizeof (**out))))
        return cphub_fail (err, ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        if (load_member_name (c, list, "name", what, *out, i, err) < 0)
            return -1;
        snprintf (path, sizeof (path), "%s.[%d].keys", list, i);
        int nkeys = conf_count (c, path);
        if (nkeys == 0) {
            snprintf (path, sizeof (path), "%s.[%d]", list, i);
            return conf_fail (c, path, err,
                              "%s '%s' has no keys; list its public key files in "
                              "keys = [ \"keys/NAME.pub\" ]",
                              what, (*out)[i].name);
        }
        for (int j = 0; j < nkeys; j++) {
            const char *value = NULL;
            if (conf_get_array_string (c, path, j, &value, err) < 0)
                return -1;
            if (load_key (cfg, c, path, value, role, (*out)[i].name, err) < 0)
                return -1;
        }
        *count = (uint32_t)i + 1;
    }
    return 0;
}

/* agents: ( { node = "..."; key = "..."; }, ... ) */
static int load_agents (schedconf_t *cfg, const conf_t *c, cphub_error_t *err)
{
    int n = conf_count (c, "agents");
    char path[96];

    if (n > 0 && !(cfg->agents = calloc ((size_t)n, sizeof (*cfg->agents))))
        return cphub_fail (err, ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        const char *value = NULL;
        int rc;

        if (load_member_name (c, "agents", "node", "node", cfg->agents, i, err) < 0)
            return -1;
        snprintf (path, sizeof (path), "agents.[%d].key", i);
        if ((rc = conf_get_string (c, path, NULL, &value, err)) < 0)
            return -1;
        if (rc == 1 || !value) {
            snprintf (path, sizeof (path), "agents.[%d]", i);
            return conf_fail (c, path, err, "node '%s' has no key = \"keys/%s.pub\"",
                              cfg->agents[i].name, cfg->agents[i].name);
        }
        if (load_key (cfg, c, path, value, AUTH_ROLE_AGENT, cfg->agents[i].name, err) <
            0)
            return -1;
        cfg->nagents = (uint32_t)i + 1;
    }
    return 0;
}

static int load_durations (schedconf_t *cfg, const conf_t *c, cphub_error_t *err)
{
    int64_t heartbeat, def, max;
    char a[32], b[32];

    if (conf_get_duration (c, "scheduler.heartbeat_timeout", DEFAULT_HEARTBEAT_TIMEOUT,
                           &heartbeat, err) < 0 ||
        conf_get_duration (c, "scheduler.default_walltime", DEFAULT_WALLTIME, &def,
                           err) < 0 ||
        conf_get_duration (c, "scheduler.max_walltime", DEFAULT_MAX_WALLTIME, &max,
                           err) < 0)
        return -1;
    if (heartbeat <= 0)
        return conf_fail (c, "scheduler.heartbeat_timeout", err,
                          "must be more than 0 (e.g. \"30s\")");
    if (def <= 0)
        return conf_fail (c, "scheduler.default_walltime", err,
                          "must be more than 0 (e.g. \"1h\")");
    if (max < def) {
        format_duration (max, a, sizeof (a));
        format_duration (def, b, sizeof (b));
        return conf_fail (c, "scheduler.max_walltime", err,
                          "%s is less than default_walltime %s", a, b);
    }
    cfg->core.heartbeat_timeout = (double)heartbeat;
    cfg->core.stall_after = (double)heartbeat / 2; /* see sched_config_t */
    if (conf_get_float (c, "scheduler.pass_interval", 0.05, &cfg->core.pass_interval,
                        err) < 0)
        return -1;
    if (cfg->core.pass_interval < 0 || cfg->core.pass_interval > 10)
        return conf_fail (c, "scheduler.pass_interval", err,
                          "must be between 0 and 10 seconds (e.g. 0.05)");
    cfg->core.default_walltime = def;
    cfg->core.max_walltime = max;
    return 0;
}

/* How lost runs are requeued, when failing starts drain a node, and the
 * memory limit of jobs that ask none. */
static int load_requeue (schedconf_t *cfg, const conf_t *c, cphub_error_t *err)
{
    int64_t max_requeue, delay, failures;

    if (conf_get_int (c, "scheduler.max_requeue", DEFAULT_MAX_REQUEUE, &max_requeue,
                      err) < 0 ||
        conf_get_duration (c, "scheduler.requeue_delay", DEFAULT_REQUEUE_DELAY, &delay,
                           err) < 0 ||
        conf_get_int (c, "scheduler.max_start_failures", DEFAULT_MAX_START_FAILURES,
                      &failures, err) < 0 ||
        conf_get_size (c, "scheduler.default_mem_per_core", 0,
                       &cfg->core.default_mem_per_core, err) < 0)
        return -1;
    if (max_requeue < 1 || max_requeue > MAX_REQUEUE_MAX)
        return conf_fail (c, "scheduler.max_requeue", err,
                          "must be from 1 to %d (a job that must never be requeued "
                          "asks --no-requeue)",
                          MAX_REQUEUE_MAX);
    if (delay < 0)
        return conf_fail (c, "scheduler.requeue_delay", err,
                          "must be 0 or more (e.g. \"10s\")");
    if (failures < 0 || failures > MAX_START_FAILURES_MAX)
        return conf_fail (c, "scheduler.max_start_failures", err,
                          "must be from 0 (never drain) to %d", MAX_START_FAILURES_MAX);
    cfg->core.max_requeue = (uint32_t)max_requeue;
    cfg->core.requeue_delay = (double)delay;
    cfg->core.max_start_failures = (uint32_t)failures;
    return 0;
}

/* scheduler.store, store_path (default in state_dir) and store_sync. */
static int load_store (schedconf_t *cfg, const conf_t *c, cphub_error_t *err)
{
    const char *kind = NULL, *sync = NULL;

    if (conf_get_string (c, "scheduler.store", DEFAULT_STORE, &kind, err) < 0 ||
        conf_get_string (c, "scheduler.store_sync", DEFAULT_STORE_SYNC, &sync, err) <
            0 ||
        load_path (c, "scheduler.store_path", "", true, &cfg->store_path, err) < 0)
        return -1;
    if (schedconf_store_parse (kind, &cfg->store) < 0)
        return conf_fail (c, "scheduler.store", err,
                          "'%s' is not a store; use \"sqlite\" or \"memory\"", kind);
    if (sync_parse (sync, &cfg->store_sync) < 0)
        return conf_fail (c, "scheduler.store_sync", err,
                          "'%s' is not a sync mode; use \"full\" or \"normal\"", sync);
    if (!cfg->store_path &&
        asprintf (&cfg->store_path, "%s/" DEFAULT_STORE_FILE, cfg->state_dir) < 0) {
        cfg->store_path = NULL;
        return cphub_fail (err, ENOMEM, "out of memory");
    }
    return 0;
}

static int load_daemon (schedconf_t *cfg, const conf_t *c, cphub_error_t *err)
{
    const char *level = NULL;
    cphub_error_t kerr = {{0}};

    if (load_string (c, "scheduler.client_endpoint", DEFAULT_CLIENT_ENDPOINT,
                     &cfg->client_endpoint, err) < 0 ||
        load_string (c, "scheduler.agent_endpoint", DEFAULT_AGENT_ENDPOINT,
                     &cfg->agent_endpoint, err) < 0 ||
        load_path (c, "scheduler.key", DEFAULT_KEY, false, &cfg->key_path, err) < 0 ||
        load_path (c, "scheduler.state_dir", DEFAULT_STATE_DIR, false, &cfg->state_dir,
                   err) < 0 ||
        load_path (c, "scheduler.log_file", "", true, &cfg->log_file, err) < 0)
        return -1;
    if (cfg->client_endpoint[0] == '\0')
        return conf_fail (c, "scheduler.client_endpoint", err,
                          "must be an endpoint such as \"%s\"",
                          DEFAULT_CLIENT_ENDPOINT);
    if (cfg->agent_endpoint[0] == '\0')
        return conf_fail (c, "scheduler.agent_endpoint", err,
                          "must be an endpoint such as \"%s\"", DEFAULT_AGENT_ENDPOINT);
    if (conf_get_string (c, "scheduler.log_level", DEFAULT_LOG_LEVEL, &level, err) < 0)
        return -1;
    if (log_level_parse (level, &cfg->log_level) < 0)
        return conf_fail (c, "scheduler.log_level", err,
                          "'%s' is not a log level; use err, warn, info or debug",
                          level);
    if (keys_read_pair (cfg->key_path, &cfg->keypair, &kerr) < 0)
        return conf_fail (c, "scheduler.key", err, "%s", kerr.text);
    if (conf_get_bool (c, "scheduler.allow_simulated_nodes", false,
                       &cfg->allow_simulated_nodes, err) < 0 ||
        load_store (cfg, c, err) < 0 || load_requeue (cfg, c, err) < 0)
        return -1;
    return load_durations (cfg, c, err);
}

/* A priority weight: a finite number >= 0. */
static int load_weight (
    const conf_t *c, const char *path, double def, double *out, cphub_error_t *err)
{
    if (conf_get_float (c, path, def, out, err) < 0)
        return -1;
    if (!isfinite (*out) || *out < 0 || *out > POLICY_POINTS_MAX)
        return conf_fail (c, path, err, "must be a number from 0 to %g",
                          POLICY_POINTS_MAX);
    return 0;
}

/* scheduler.backfill*, priority.* and each tenant's shares and boost. */
static int load_policy (schedconf_t *cfg, const conf_t *c, cphub_error_t *err)
{
    sched_config_t *core = &cfg->core;
    const char *name = NULL;
    int64_t resv, max_age, half_life;
    char path[96];

    if (conf_get_string (c, "scheduler.backfill", DEFAULT_BACKFILL, &name, err) < 0)
        return -1;
    if (sched_backfill_parse (name, &core->backfill) < 0)
        return conf_fail (c, "scheduler.backfill", err,
                          "'%s' is not a backfill policy; use \"fifo\", \"easy\" "
                          "or \"conservative\"",
                          name);
    if (conf_get_int (c, "scheduler.backfill_reservations", DEFAULT_RESERVATIONS, &resv,
                      err) < 0)
        return -1;
    if (resv < 1 || resv > 100000)
        return conf_fail (c, "scheduler.backfill_reservations", err,
                          "must be from 1 to 100000 (e.g. 16)");
    core->backfill_reservations = (uint32_t)resv;
    int64_t array_size; /* elements one submit may make */
    if (conf_get_int (c, "scheduler.max_array_size", JOBSPEC_ARRAY_SIZE_MAX,
                      &array_size, err) < 0)
        return -1;
    if (array_size < 1 || array_size > JOBSPEC_ARRAY_SIZE_MAX)
        return conf_fail (c, "scheduler.max_array_size", err,
                          "must be from 1 to %d (e.g. 1000)", JOBSPEC_ARRAY_SIZE_MAX);
    core->max_array_size = (uint32_t)array_size;
    if (load_weight (c, "priority.weight_fairshare", 10000, &core->weight_fairshare,
                     err) < 0 ||
        load_weight (c, "priority.weight_age", 1000, &core->weight_age, err) < 0 ||
        load_weight (c, "priority.weight_size", 100, &core->weight_size, err) < 0 ||
        conf_get_duration (c, "priority.max_age", DEFAULT_POLICY_DAYS, &max_age, err) <
            0 ||
        conf_get_duration (c, "priority.fairshare_half_life", DEFAULT_POLICY_DAYS,
                           &half_life, err) < 0)
        return -1;
    if (max_age <= 0)
        return conf_fail (c, "priority.max_age", err,
                          "must be more than 0 (e.g. \"7-0\" for 7 days)");
    if (half_life <= 0)
        return conf_fail (c, "priority.fairshare_half_life", err,
                          "must be more than 0 (e.g. \"7-0\" for 7 days); for usage "
                          "that hardly fades, give a long one such as \"365-0\"");
    core->max_age = (double)max_age;
    core->fairshare_half_life = (double)half_life;
    if (cfg->ntenants > 0 && !(cfg->tenant_policies = calloc (
                                   cfg->ntenants, sizeof (*cfg->tenant_policies))))
        return cphub_fail (err, ENOMEM, "out of memory");
    for (uint32_t i = 0; i < cfg->ntenants; i++) {
        sched_tenant_policy_t *pol = &cfg->tenant_policies[i];
        snprintf (pol->name, sizeof (pol->name), "%s", cfg->tenants[i].name);
        snprintf (path, sizeof (path), "tenants.[%u].shares", i);
        if (conf_get_float (c, path, 1.0, &pol->shares, err) < 0)
            return -1;
        if (!isfinite (pol->shares) || pol->shares <= 0 ||
            pol->shares > POLICY_POINTS_MAX)
            return conf_fail (c, path, err,
                              "must be more than 0 (a tenant with 2 shares gets twice "
                              "the hub of one with 1)");
        snprintf (path, sizeof (path), "tenants.[%u].boost", i);
        if (conf_get_float (c, path, 0.0, &pol->boost, err) < 0)
            return -1;
        if (!isfinite (pol->boost) || fabs (pol->boost) > POLICY_POINTS_MAX)
            return conf_fail (c, path, err, "must be a number from %g to %g",
                              -POLICY_POINTS_MAX, POLICY_POINTS_MAX);
    }
    core->tenant_policies = cfg->tenant_policies;
    core->ntenant_policies = cfg->ntenants;
    return 0;
}

schedconf_t *schedconf_load (const char *path, cphub_error_t *err)
{
    schedconf_t *cfg = NULL;
    conf_t *c = NULL;
    int saved;

    if (!(c = conf_load (path, settings, err)))
        return NULL;
    if (!(cfg = calloc (1, sizeof (*cfg))) || !(cfg->path = strdup (path)) ||
        !(cfg->auth = auth_create ())) {
        cphub_fail (err, ENOMEM, "out of memory");
        goto error;
    }
    if (load_daemon (cfg, c, err) < 0 ||
        load_people (cfg, c, "tenants", AUTH_ROLE_TENANT, &cfg->tenants, &cfg->ntenants,
                     err) < 0 ||
        load_people (cfg, c, "operators", AUTH_ROLE_OPERATOR, &cfg->operators,
                     &cfg->noperators, err) < 0 ||
        load_agents (cfg, c, err) < 0 || load_policy (cfg, c, err) < 0 ||
        schedconf_load_quotas (cfg, c, err) < 0 ||
        schedconf_load_limits (cfg, c, err) < 0)
        goto error;
    conf_destroy (c);
    return cfg;
error:
    saved = errno;
    schedconf_destroy (cfg);
    conf_destroy (c);
    errno = saved;
    return NULL;
}

void schedconf_destroy (schedconf_t *cfg)
{
    if (!cfg)
        return;
    free (cfg->path);
    free (cfg->client_endpoint);
    free (cfg->agent_endpoint);
    free (cfg->key_path);
    free (cfg->state_dir);
    free (cfg->log_file);
    free (cfg->store_path);
    free (cfg->tenants);
    free (cfg->operators);
    free (cfg->agents);
    free (cfg->tenant_policies);
    free (cfg->tenant_limits);
    auth_destroy (cfg->auth);
    free (cfg);
}

static int replace (char **field, const char *value, cphub_error_t *err)
{
    char *copy = strdup (value);

    if (!copy)
        return cphub_fail (err, ENOMEM, "out of memory");
    free (*field);
    *field = copy;
    return 0;
}

int schedconf_apply_overrides (schedconf_t *cfg,
                               const schedconf_overrides_t *o,
                               cphub_error_t *err)
{
    if (o->client_endpoint &&
        replace (&cfg->client_endpoint, o->client_endpoint, err) < 0)
        return -1;
    if (o->agent_endpoint && replace (&cfg->agent_endpoint, o->agent_endpoint, err) < 0)
        return -1;
    if (o->log_file) {
        if (o->log_file[0] == '\0') {
            free (cfg->log_file);
            cfg->log_file = NULL;
        } else if (replace (&cfg->log_file, o->log_file, err) < 0)
            return -1;
    }
    if (o->verbose)
        cfg->log_level = LOG_LVL_DEBUG;
    if (o->store && schedconf_store_parse (o->store, &cfg->store) < 0)
        return cphub_fail (err, EINVAL,
                           "--store: '%s' is not a store; use sqlite or memory",
                           o->store);
    return 0;
}
