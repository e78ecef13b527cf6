/* store_sqlite.c: the durable store of store.h, one SQLite file in WAL mode,
 * and the only file of cphub that includes sqlite3.h.
 *
 * Tables: jobs (every field of sched_job_t needed to restore it; the jobspec
 * as the JSON body of a submit message, so that the codec stays the only
 * JSON producer), job_transitions (one row per state a job entered, appended
 * by triggers on jobs), acct (one row per run, UNIQUE (job_id, run) so that
 * no run is billed twice), nodes (the last registered description as a
 * register body, the state and the drain reason), meta (schema_version,
 * next_job_id, hub_id and hub_created: the store's identity), and tenants and
 * tenant_keys (tenants and keys added at run time, revocations of any tenant
 * key), budget_ledger (the operators' grants and sets, in order). The schema
 * is built by a table of migration steps: a file at version v gets steps v+1.. in one
 * transaction at open, and a file newer than this program is refused. A batch is one
 * transaction, opened lazily by its first write and made durable by one COMMIT (one
 * fsync of the WAL with synchronous=FULL), so an idle turn of the loop costs nothing.
 * Statements are prepared once at open. A write that fails inside a batch poisons it:
 * the commit rolls back and fails, and the shell must not acknowledge
 * anything of that turn.
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/idset.h"
#include "cphub/jobspec.h"
#include "cphub/limits.h"
#include "cphub/msg.h"
#include "scheduler/store.h"

/* "cphb": marks the file as a cphub store (PRAGMA application_id). */
#define STORE_APPLICATION_ID 0x63706862
#define STORE_BUSY_TIMEOUT_MS 5000

/* --- schema --------------------------------------------------------------- */

/* Step i brings the schema from version i to i + 1. Append, never edit. */
static const char *const migrations[] = {
    /* 1: the first schema */
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "CREATE TABLE jobs ("
    "  id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, state TEXT NOT NULL,"
    "  reason TEXT NOT NULL DEFAULT '', exit_code INTEGER NOT NULL DEFAULT 0,"
    "  signal INTEGER NOT NULL DEFAULT 0, walltime INTEGER NOT NULL DEFAULT 0,"
    "  submit_time REAL NOT NULL DEFAULT 0, start_time REAL NOT NULL DEFAULT 0,"
    "  end_time REAL NOT NULL DEFAULT 0, cpu_time REAL NOT NULL DEFAULT 0,"
    "  max_rss INTEGER NOT NULL DEFAULT 0, node TEXT NOT NULL DEFAULT '',"
    "  cores TEXT, cpus TEXT, gpus TEXT, mems TEXT,"
    "  mem INTEGER NOT NULL DEFAULT 0, kill_sent INTEGER NOT NULL DEFAULT 0,"
    "  runs INTEGER NOT NULL DEFAULT 0, boost REAL NOT NULL DEFAULT 0,"
    "  others TEXT, array_id INTEGER NOT NULL DEFAULT 0,"
    "  array_index INTEGER NOT NULL DEFAULT 0, spec TEXT NOT NULL);"
    "CREATE TABLE job_transitions ("
    "  job_id INTEGER NOT NULL, state TEXT NOT NULL, time REAL NOT NULL);"
    "CREATE INDEX job_transitions_job ON job_transitions (job_id);"
    /* a job first stored past PENDING (it started in the turn of its
       submit) was PENDING from its submit time all the same */
    "CREATE TRIGGER jobs_inserted AFTER INSERT ON jobs BEGIN"
    "  INSERT INTO job_transitions SELECT NEW.id, 'PENDING', NEW.submit_time"
    "    WHERE NEW.state IS NOT 'PENDING';"
    "  INSERT INTO job_transitions VALUES"
    "    (NEW.id, NEW.state, (julianday ('now') - 2440587.5) * 86400.0);"
    "END;"
    "CREATE TRIGGER jobs_state_changed AFTER UPDATE OF state ON jobs"
    "  WHEN OLD.state IS NOT NEW.state BEGIN"
    "  INSERT INTO job_transitions VALUES"
    "    (NEW.id, NEW.state, (julianday ('now') - 2440587.5) * 86400.0);"
    "END;"
    "CREATE TABLE acct ("
    "  job_id INTEGER NOT NULL, run INTEGER NOT NULL, tenant TEXT NOT NULL,"
    "  node TEXT NOT NULL, cores INTEGER NOT NULL, gpus INTEGER NOT NULL,"
    "  start_time REAL NOT NULL, end_time REAL NOT NULL, state TEXT NOT NULL,"
    "  core_seconds REAL NOT NULL, gpu_seconds REAL NOT NULL,"
    "  failed_run INTEGER NOT NULL, UNIQUE (job_id, run));"
    "CREATE TABLE nodes ("
    "  name TEXT PRIMARY KEY, desc TEXT NOT NULL, state TEXT NOT NULL,"
    "  reason TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"
    "INSERT INTO meta VALUES ('next_job_id', 1);",
    /* 2: tenants and tenant keys changed at run time (issue 4) */
    "CREATE TABLE tenants ("
    "  name TEXT PRIMARY KEY, shares REAL NOT NULL DEFAULT 1,"
    "  created REAL NOT NULL DEFAULT 0, removed INTEGER NOT NULL DEFAULT 0,"
    "  removed_time REAL NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE tenant_keys ("
    "  pubkey TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL,"
    "  added REAL NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0,"
    "  revoked_time REAL NOT NULL DEFAULT 0);",
    /* 3: the budget ledger: operators' grants and sets (issue 4); the
       charges are the acct rows */
    "CREATE TABLE budget_ledger ("
    "  id INTEGER PRIMARY KEY, time REAL NOT NULL, tenant TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('grant', 'set')), hours REAL NOT NULL,"
    "  reason TEXT NOT NULL DEFAULT '', operator TEXT NOT NULL DEFAULT '');",
    /* 4: how often a job's runs were lost and requeued, and when it may run
       again; the hub's identity, given here to a store that has a past
       (an empty one gets it from the scheduler's --init) */
    "ALTER TABLE jobs ADD COLUMN requeues INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE jobs ADD COLUMN eligible_time REAL NOT NULL DEFAULT 0;"
    "INSERT INTO meta SELECT 'hub_id', lower (hex (randomblob (16)))"
    "  WHERE EXISTS (SELECT 1 FROM jobs) OR EXISTS (SELECT 1 FROM nodes)"
    "  OR (SELECT value FROM meta WHERE key = 'next_job_id') > 1;"
    "INSERT INTO meta SELECT 'hub_created',"
    "  (julianday ('now') - 2440587.5) * 86400.0"
    "  WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'hub_id');",
};

#define SCHEMA_VERSION ((int)(sizeof (migrations) / sizeof (migrations[0])))

/* --- prepared statements -------------------------------------------------- */

enum {
    ST_BEGIN = 0,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_JOB_UPDATE,
    ST_JOB_INSERT,
    ST_JOBS_LOAD,
    ST_ACCT_APPEND,
    ST_ACCT_FOREACH,
    ST_ACCT_TOTALS,
    ST_NODE_PUT,
    ST_NODES_LOAD,
    ST_META_GET,
    ST_META_SET,
    ST_TENANT_PUT, /* issue 4 */
    ST_TENANT_REMOVE,
    ST_TENANTS_LOAD,
    ST_KEY_PUT,
    ST_KEY_REVOKE,
    ST_KEYS_LOAD,
    ST_GRANT_APPEND, /* issue 4: the budget ledger */
    ST_GRANTS_LOAD,
    ST_META_TEXT_GET,
    ST_META_INSERT,
    ST_COUNT
};

/* The job columns after id, in the order job_bind() and job_from_row() use. */
#define JOB_COLUMNS                                                            \
    "tenant, state, reason, exit_code, signal, walltime, submit_time, "        \
    "start_time, end_time, cpu_time, max_rss, node, cores, cpus, gpus, mems, " \
    "mem, kill_sent, runs, boost, others, array_id, array_index, requeues, "   \
    "eligible_time"
#define JOB_NCOLUMNS 25
#define ACCT_COLUMNS                                                        \
    "job_id, run, tenant, node, cores, gpus, start_time, end_time, state, " \
    "core_seconds, gpu_seconds, failed_run"

static const char *const statements[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    /* the spec never changes after submit: updates leave it alone */
    [ST_JOB_UPDATE] =
        "UPDATE jobs SET (" JOB_COLUMNS
        ") = (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
        " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26) WHERE id = ?1",
    [ST_JOB_INSERT] = "INSERT INTO jobs (id, " JOB_COLUMNS
                      ", spec) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
                      " ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23,"
                      " ?24, ?25, ?26, ?27)",
    [ST_JOBS_LOAD] = "SELECT id, " JOB_COLUMNS ", spec FROM jobs ORDER BY id",
    [ST_ACCT_APPEND] = "INSERT INTO acct (" ACCT_COLUMNS
                       ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [ST_ACCT_FOREACH] = "SELECT " ACCT_COLUMNS " FROM acct ORDER BY rowid",
    [ST_ACCT_TOTALS] =
        "SELECT 0, 0, tenant, node, 0, 0,"
        " coalesce (min (CASE WHEN start_time > 0 THEN start_time END),"
        " 0), max (end_time), 'PENDING', sum (core_seconds),"
        " sum (gpu_seconds), 0 FROM acct GROUP BY tenant, node",
    [ST_NODE_PUT] =
        "INSERT INTO nodes (name, desc, state, reason) VALUES (?1, ?2, ?3,"
        " ?4) ON CONFLICT (name) DO UPDATE SET desc = excluded.desc,"
        " state = excluded.state, reason = excluded.reason",
    [ST_NODES_LOAD] = "SELECT name, desc, state, reason FROM nodes ORDER BY name",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_TEXT_GET] =
        "SELECT (SELECT value FROM meta WHERE key = 'hub_id'),"
        " (SELECT value FROM meta WHERE key = 'hub_created')",
    [ST_META_INSERT] =
        "INSERT INTO meta (key, value) VALUES ('hub_id', ?1),"
        " ('hub_created', ?2)",
    [ST_META_SET] =
        "INSERT INTO meta (key, value) VALUES (?1, ?2)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [ST_TENANT_PUT] =
        "INSERT INTO tenants (name, shares, created, removed, removed_time)"
        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET"
        " shares = excluded.shares, created = excluded.created,"
        " removed = excluded.removed, removed_time = excluded.removed_time",
    [ST_TENANT_REMOVE] =
        "UPDATE tenants SET removed = 1, removed_time = ?2 WHERE name = ?1",
    [ST_TENANTS_LOAD] =
        "SELECT name, shares, created, removed, removed_time"
        " FROM tenants ORDER BY name",
    [ST_KEY_PUT] =
        "INSERT INTO tenant_keys (pubkey, tenant, added, revoked, revoked_time)"
        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (pubkey) DO UPDATE SET"
        " tenant = excluded.tenant, added = excluded.added,"
        " revoked = excluded.revoked, revoked_time = excluded.revoked_time",
    [ST_KEY_REVOKE] =
        "INSERT INTO tenant_keys (pubkey, tenant, revoked, revoked_time)"
        " VALUES (?1, ?2, 1, ?3) ON CONFLICT (pubkey) DO UPDATE SET"
        " revoked = 1, revoked_time = excluded.revoked_time",
    [ST_KEYS_LOAD] =
        "SELECT pubkey, tenant, added, revoked, revoked_time"
        " FROM tenant_keys ORDER BY rowid",
    [ST_GRANT_APPEND] =
        "INSERT INTO budget_ledger (time, tenant, kind, hours, reason,"
        " operator) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_GRANTS_LOAD] =
        "SELECT time, tenant, kind, hours, reason, operator"
        " FROM budget_ledger ORDER BY id",
};

typedef struct store_sqlite {
    struct store base; /* first: store_t * <-> store_sqlite_t * */
    sqlite3 *db;
    char *path;
    sqlite3_stmt *stmt[ST_COUNT];
    bool in_batch;     /* between begin and commit */
    bool in_txn;       /* the batch has written: a transaction is open */
    bool failed;       /* a write of this batch failed: commit rolls back */
    char failure[160]; /* the first failure of the batch */
    int failure_errno; /* and its errno (ENOSPC: the disk is full) */
    uint64_t next_id;  /* cached meta next_job_id */
} store_sqlite_t;

static store_sqlite_t *sql_of (store_t *st)
{
    return (store_sqlite_t *)st;
}

/* -1 with err "store PATH: WHAT: sqlite's message" and an errno for rc. */
static int sql_fail (store_sqlite_t *q, int rc, const char *what, cphub_error_t *err)
{
    int errnum;

    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        errnum = ENOMEM;
        break;
    case SQLITE_CONSTRAINT:
        errnum = EEXIST;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        errnum = EBUSY;
        break;
    case SQLITE_FULL:
        errnum = ENOSPC;
        break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
        errnum = EACCES;
        break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        errnum = EPROTO;
        break;
    default:
        errnum = EIO;
    }
    return cphub_fail (err, errnum, "store %s: %s: %s", q->path, what,
                       q->db ? sqlite3_errmsg (q->db) : sqlite3_errstr (rc));
}

/* Run a statement that returns no rows, then reset it. */
static int step_done (sqlite3_stmt *stmt)
{
    int rc = sqlite3_step (stmt);

    sqlite3_reset (stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* A write inside the batch failed: remember it so that the commit fails. */
static int batch_fail (store_sqlite_t *q, int rc, const char *what, cphub_error_t *err)
{
    cphub_error_t own = {{0}};
    int saved;

    sql_fail (q, rc, what, &own);
    saved = errno;
    if (!q->failed) {
        snprintf (q->failure, sizeof (q->failure), "%s", own.text);
        q->failure_errno = saved;
    }
    q->failed = true;
    return cphub_fail (err, saved, "%s", own.text);
}

/* Writes: inside a batch only; the first one opens the transaction. */
static int write_begin (store_sqlite_t *q, cphub_error_t *err)
{
    int rc;

    if (!q->in_batch)
        return cphub_fail (err, EINVAL,
                           "store: write outside a batch (call store_begin)");
    if (q->in_txn)
        return 0;
    if ((rc = step_done (q->stmt[ST_BEGIN])) != SQLITE_OK)
        return batch_fail (q, rc, "cannot open a transaction", err);
    q->in_txn = true;
    return 0;
}

static int sql_begin (store_t *st, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);

    if (q->in_batch)
        return cphub_fail (err, EINVAL, "store: a batch is already open");
    q->in_batch = true;
    q->in_txn = false;
    q->failed = false;
    q->failure[0] = '\0';
    return 0;
}

static int meta_get_u64 (store_sqlite_t *q,
                         const char *key,
                         uint64_t def,
                         uint64_t *out,
                         cphub_error_t *err);

static void rollback (store_sqlite_t *q)
{
    cphub_error_t ignored = {{0}};

    if (!sqlite3_get_autocommit (q->db))
        step_done (q->stmt[ST_ROLLBACK]);
    if (meta_get_u64 (q, "next_job_id", 1, &q->next_id, &ignored) < 0)
        q->next_id = 0; /* unknown: the next set writes */
}

static int sql_commit (store_t *st, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    bool had_txn = q->in_txn;
    int rc;

    if (!q->in_batch)
        return cphub_fail (err, EINVAL, "store: commit without a batch");
    q->in_batch = q->in_txn = false;
    if (q->failed) {
        rollback (q);
        return cphub_fail (err, q->failure_errno ? q->failure_errno : EIO,
                           "batch rolled back: %s", q->failure);
    }
    if (!had_txn)
        return 0;
    if ((rc = step_done (q->stmt[ST_COMMIT])) != SQLITE_OK) {
        sql_fail (q, rc, "commit failed, batch rolled back", err);
        int saved = errno;
        rollback (q);
        errno = saved;
        return -1;
    }
    return 0;
}

/* --- binding helpers ------------------------------------------------------ */

/* Bind an idset's text form (NULL for no set). */
static int bind_idset (sqlite3_stmt *stmt, int col, const idset_t *set)
{
    char buf[1024];
    char *text;
    int rc;

    if (!set)
        return sqlite3_bind_null (stmt, col);
    if (idset_encode (set, buf, sizeof (buf)) == 0)
        return sqlite3_bind_text (stmt, col, buf, -1, SQLITE_TRANSIENT);
    if (!(text = idset_encode_alloc (set)))
        return SQLITE_NOMEM;
    rc = sqlite3_bind_text (stmt, col, text, -1, SQLITE_TRANSIENT);
    free (text);
    return rc;
}

static int bind_text (sqlite3_stmt *stmt, int col, const char *s, size_t max)
{
    return sqlite3_bind_text (stmt, col, s, (int)strnlen (s, max), SQLITE_TRANSIENT);
}

/* The other nodes of a multi-node job as text (NULL for none). */
static int bind_others (sqlite3_stmt *stmt, int col, const sched_job_t *job)
{
    char *text;
    int rc;

    if (job->nothers == 0 || !job->others)
        return sqlite3_bind_null (stmt, col);
    if (!(text = sched_allocs_encode (job->others, job->nothers)))
        return SQLITE_NOMEM;
    rc = sqlite3_bind_text (stmt, col, text, -1, SQLITE_TRANSIENT);
    free (text);
    return rc;
}

/* Bind ?1 (id) and ?2..?26 (JOB_COLUMNS) from job. */
static int job_bind (sqlite3_stmt *stmt, const sched_job_t *job)
{
    const char *state = job_state_name (job->state);
    int rc = SQLITE_OK;
    int col = 1;

#define BIND(call)           \
    do {                     \
        if (rc == SQLITE_OK) \
            rc = (call);     \
        col++;               \
    } while (0)
    BIND (sqlite3_bind_int64 (stmt, col, (sqlite3_int64)job->id));
    BIND (bind_text (stmt, col, job->tenant, sizeof (job->tenant)));
    BIND (sqlite3_bind_text (stmt, col, state ? state : "?", -1, SQLITE_STATIC));
    BIND (bind_text (stmt, col, job->reason, sizeof (job->reason)));
    BIND (sqlite3_bind_int (stmt, col, job->exit_code));
    BIND (sqlite3_bind_int (stmt, col, job->signal));
    BIND (sqlite3_bind_int64 (stmt, col, job->walltime));
    BIND (sqlite3_bind_double (stmt, col, job->submit_time));
    BIND (sqlite3_bind_double (stmt, col, job->start_time));
    BIND (sqlite3_bind_double (stmt, col, job->end_time));
    BIND (sqlite3_bind_double (stmt, col, job->cpu_time));
    BIND (sqlite3_bind_int64 (stmt, col, (sqlite3_int64)job->max_rss));
    BIND (bind_text (stmt, col, job->node, sizeof (job->node)));
    BIND (bind_idset (stmt, col, job->cores));
    BIND (bind_idset (stmt, col, job->cpus));
    BIND (bind_idset (stmt, col, job->gpus));
    BIND (bind_idset (stmt, col, job->mems));
    BIND (sqlite3_bind_int64 (stmt, col, (sqlite3_int64)job->mem));
    BIND (sqlite3_bind_int (stmt, col, job->kill_sent ? 1 : 0));
    BIND (sqlite3_bind_int64 (stmt, col, job->runs));
    BIND (sqlite3_bind_double (stmt, col, job->boost));
    BIND (bind_others (stmt, col, job));
    BIND (sqlite3_bind_int64 (stmt, col, (sqlite3_int64)job->array_id));
    BIND (sqlite3_bind_int64 (stmt, col, job->array_index));
    BIND (sqlite3_bind_int64 (stmt, col, job->requeues));
    BIND (sqlite3_bind_double (stmt, col, job->eligible_time));
#undef BIND
    return rc;
}

/* The spec as a submit body (the codec's JSON). Caller frees *body. */
static int spec_encode (const jobspec_t *spec, char **body, size_t *len)
{
    msg_t m = {.type = MSG_SUBMIT};

    m.u.submit.spec = *spec; /* borrowed: m is not destroyed */
    return msg_encode (&m, body, len);
}

/* --- jobs ----------------------------------------------------------------- */

static int sql_job_put (store_t *st, const sched_job_t *job, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *upd = q->stmt[ST_JOB_UPDATE];
    sqlite3_stmt *ins = q->stmt[ST_JOB_INSERT];
    char what[64];
    char *body = NULL;
    size_t len = 0;
    int rc;

    if (write_begin (q, err) < 0)
        return -1;
    snprintf (what, sizeof (what), "storing job %" PRIu64, job->id);
    if ((rc = job_bind (upd, job)) != SQLITE_OK || (rc = step_done (upd)) != SQLITE_OK)
        return batch_fail (q, rc, what, err);
    if (sqlite3_changes (q->db) > 0)
        return 0;
    /* a new job: insert it with its spec */
    if (spec_encode (&job->spec, &body, &len) < 0) {
        int saved = errno;
        batch_fail (q, SQLITE_ERROR, what, NULL);
        snprintf (q->failure, sizeof (q->failure),
                  "store: job %" PRIu64 ": its spec cannot be encoded: %s", job->id,
                  strerror (saved));
        return cphub_fail (err, saved, "%s", q->failure);
    }
    if ((rc = job_bind (ins, job)) == SQLITE_OK)
        rc = sqlite3_bind_text (ins, JOB_NCOLUMNS + 2, body, (int)len, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = step_done (ins);
    sqlite3_clear_bindings (ins);
    free (body);
    if (rc != SQLITE_OK)
        return batch_fail (q, rc, what, err);
    return 0;
}

static bool idset_column (sqlite3_stmt *stmt,
                          int col,
                          idset_t **out,
                          cphub_error_t *err)
{
    const char *text = (const char *)sqlite3_column_text (stmt, col);

    *out = NULL;
    if (!text)
        return true;
    return (*out = idset_decode (text, err)) != NULL;
}

static void text_column (sqlite3_stmt *stmt, int col, char *buf, size_t len)
{
    const char *text = (const char *)sqlite3_column_text (stmt, col);

    snprintf (buf, len, "%s", text ? text : "");
}

/* Fill job from the current row of ST_JOBS_LOAD; *spec_msg holds the
 * decoded spec that job->spec borrows. 0 or -1 with err. */
static int job_from_row (store_sqlite_t *q,
                         sqlite3_stmt *stmt,
                         sched_job_t *job,
                         msg_t **spec_msg,
                         cphub_error_t *err)
{
    const char *body;
    cphub_error_t derr = {{0}};
    int col = 0;

    memset (job, 0, sizeof (*job));
    job->id = (uint64_t)sqlite3_column_int64 (stmt, col++);
    text_column (stmt, col++, job->tenant, sizeof (job->tenant));
    body = (const char *)sqlite3_column_text (stmt, col++);
    if (!body || job_state_parse (body, &job->state) < 0)
        return cphub_fail (err, EINVAL, "store %s: job %" PRIu64 " has state '%s'",
                           q->path, job->id, body ? body : "");
    text_column (stmt, col++, job->reason, sizeof (job->reason));
    job->exit_code = sqlite3_column_int (stmt, col++);
    job->signal = sqlite3_column_int (stmt, col++);
    job->walltime = sqlite3_column_int64 (stmt, col++);
    job->submit_time = sqlite3_column_double (stmt, col++);
    job->start_time = sqlite3_column_double (stmt, col++);
    job->end_time = sqlite3_column_double (stmt, col++);
    job->cpu_time = sqlite3_column_double (stmt, col++);
    job->max_rss = (uint64_t)sqlite3_column_int64 (stmt, col++);
    text_column (stmt, col++, job->node, sizeof (job->node));
    if (!idset_column (stmt, col++, &job->cores, &derr) ||
        !idset_column (stmt, col++, &job->cpus, &derr) ||
        !idset_column (stmt, col++, &job->gpus, &derr) ||
        !idset_column (stmt, col++, &job->mems, &derr))
        return cphub_fail (err, EINVAL, "store %s: job %" PRIu64 ": allocation: %s",
                           q->path, job->id, derr.text);
    job->mem = (uint64_t)sqlite3_column_int64 (stmt, col++);
    job->kill_sent = sqlite3_column_int (stmt, col++) != 0;
    job->runs = (uint32_t)sqlite3_column_int64 (stmt, col++);
    job->boost = sqlite3_column_double (stmt, col++);
    if (sched_allocs_decode ((const char *)sqlite3_column_text (stmt, col++),
                             &job->others, &job->nothers, &derr) < 0)
        return cphub_fail (err, errno == ENOMEM ? ENOMEM : EINVAL,
                           "store %s: job %" PRIu64 ": other nodes: %s", q->path,
                           job->id, derr.text);
    job->array_id = (uint64_t)sqlite3_column_int64 (stmt, col++);
    job->array_index = (uint32_t)sqlite3_column_int64 (stmt, col++);
    job->requeues = (uint32_t)sqlite3_column_int64 (stmt, col++);
    job->eligible_time = sqlite3_column_double (stmt, col++);
    body = (const char *)sqlite3_column_text (stmt, col);
    if (!body ||
        !(*spec_msg = msg_decode ("submit", 6, body,
                                  (size_t)sqlite3_column_bytes (stmt, col), &derr)))
        return cphub_fail (err, errno == ENOMEM ? ENOMEM : EINVAL,
                           "store %s: job %" PRIu64 ": spec: %s", q->path, job->id,
                           derr.text[0] ? derr.text : "missing");
    job->spec = (*spec_msg)->u.submit.spec;
    return 0;
}

static void job_row_clear (sched_job_t *job, msg_t *spec_msg)
{
    idset_destroy (job->cores);
    idset_destroy (job->cpus);
    idset_destroy (job->gpus);
    idset_destroy (job->mems);
    sched_allocs_free (job->others, job->nothers);
    msg_destroy (spec_msg);
}

static int sql_jobs_load (store_t *st, store_job_f cb, void *arg, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[ST_JOBS_LOAD];
    int rc;

    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        sched_job_t job;
        msg_t *spec_msg = NULL;

        if (job_from_row (q, stmt, &job, &spec_msg, err) < 0) {
            int saved = errno;
            job_row_clear (&job, spec_msg);
            sqlite3_reset (stmt);
            errno = saved;
            return -1;
        }
        if (cb (&job, arg) < 0) {
            int saved = errno;
            job_row_clear (&job, spec_msg);
            sqlite3_reset (stmt);
            return cphub_fail (err, saved, "store: loading job %" PRIu64 " stopped",
                               job.id);
        }
        job_row_clear (&job, spec_msg);
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE)
        return sql_fail (q, rc, "reading jobs", err);
    return 0;
}

/* --- accounting ----------------------------------------------------------- */

static int sql_acct_append (store_t *st, const store_acct_t *rec, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[ST_ACCT_APPEND];
    const char *state = job_state_name (rec->state);
    char what[80];
    int rc = SQLITE_OK, col = 1;

    if (write_begin (q, err) < 0)
        return -1;
#define BIND(call)           \
    do {                     \
        if (rc == SQLITE_OK) \
            rc = (call);     \
        col++;               \
    } while (0)
    BIND (sqlite3_bind_int64 (stmt, col, (sqlite3_int64)rec->job_id));
    BIND (sqlite3_bind_int64 (stmt, col, rec->run));
    BIND (bind_text (stmt, col, rec->tenant, sizeof (rec->tenant)));
    BIND (bind_text (stmt, col, rec->node, sizeof (rec->node)));
    BIND (sqlite3_bind_int64 (stmt, col, rec->cores));
    BIND (sqlite3_bind_int64 (stmt, col, rec->gpus));
    BIND (sqlite3_bind_double (stmt, col, rec->start_time));
    BIND (sqlite3_bind_double (stmt, col, rec->end_time));
    BIND (sqlite3_bind_text (stmt, col, state ? state : "?", -1, SQLITE_STATIC));
    BIND (sqlite3_bind_double (stmt, col, rec->core_seconds));
    BIND (sqlite3_bind_double (stmt, col, rec->gpu_seconds));
    BIND (sqlite3_bind_int (stmt, col, rec->failed_run ? 1 : 0));
#undef BIND
    if (rc == SQLITE_OK)
        rc = step_done (stmt);
    if (rc == SQLITE_OK)
        return 0;
    if ((rc & 0xff) == SQLITE_CONSTRAINT) /* the statement alone is undone */
        return cphub_fail (err, EEXIST,
                           "store: run %" PRIu32 " of job %" PRIu64
                           " is already accounted; not recorded twice",
                           rec->run, rec->job_id);
    snprintf (what, sizeof (what), "accounting run %" PRIu32 " of job %" PRIu64,
              rec->run, rec->job_id);
    return batch_fail (q, rc, what, err);
}

static void acct_from_row (sqlite3_stmt *stmt, store_acct_t *rec)
{
    const char *state;
    int col = 0;

    memset (rec, 0, sizeof (*rec));
    rec->job_id = (uint64_t)sqlite3_column_int64 (stmt, col++);
    rec->run = (uint32_t)sqlite3_column_int64 (stmt, col++);
    text_column (stmt, col++, rec->tenant, sizeof (rec->tenant));
    text_column (stmt, col++, rec->node, sizeof (rec->node));
    rec->cores = (uint32_t)sqlite3_column_int64 (stmt, col++);
    rec->gpus = (uint32_t)sqlite3_column_int64 (stmt, col++);
    rec->start_time = sqlite3_column_double (stmt, col++);
    rec->end_time = sqlite3_column_double (stmt, col++);
    state = (const char *)sqlite3_column_text (stmt, col++);
    if (!state || job_state_parse (state, &rec->state) < 0)
        rec->state = JOB_PENDING;
    rec->core_seconds = sqlite3_column_double (stmt, col++);
    rec->gpu_seconds = sqlite3_column_double (stmt, col++);
    rec->failed_run = sqlite3_column_int (stmt, col) != 0;
}

static int acct_scan (store_sqlite_t *q,
                      sqlite3_stmt *stmt,
                      store_acct_f cb,
                      void *arg,
                      cphub_error_t *err)
{
    store_acct_t rec;
    int rc;

    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        acct_from_row (stmt, &rec);
        if (cb (&rec, arg) < 0) {
            int saved = errno;
            sqlite3_reset (stmt);
            return cphub_fail (err, saved, "store: reading accounting stopped");
        }
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE)
        return sql_fail (q, rc, "reading accounting", err);
    return 0;
}

static int sql_acct_foreach (store_t *st,
                             store_acct_f cb,
                             void *arg,
                             cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    return acct_scan (q, q->stmt[ST_ACCT_FOREACH], cb, arg, err);
}

static int sql_acct_totals (store_t *st, store_acct_f cb, void *arg, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    return acct_scan (q, q->stmt[ST_ACCT_TOTALS], cb, arg, err);
}

/* --- nodes ---------------------------------------------------------------- */

static int sql_node_put (store_t *st, const store_node_t *node, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[ST_NODE_PUT];
    const char *state = node_state_name (node->state);
    msg_t m = {.type = MSG_REGISTER};
    cphub_error_t verr = {{0}};
    char what[96];
    char *body = NULL;
    size_t len = 0;
    int rc;

    if (!node->desc || node_desc_validate (node->desc, &verr) < 0)
        return cphub_fail (err, EINVAL, "store: node %s has no valid description: %s",
                           node->desc ? node->desc->name : "?", verr.text);
    if (write_begin (q, err) < 0)
        return -1;
    m.u.node = *node->desc; /* borrowed; the jobs it held then are not state */
    m.u.node.njobs = 0;
    m.u.node.jobs = NULL;
    snprintf (what, sizeof (what), "storing node %s", node->desc->name);
    if (msg_encode (&m, &body, &len) < 0)
        return batch_fail (q, errno == ENOMEM ? SQLITE_NOMEM : SQLITE_ERROR, what, err);
    rc = bind_text (stmt, 1, node->desc->name, sizeof (node->desc->name));
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text (stmt, 2, body, (int)len, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text (stmt, 3, state ? state : "DOWN", -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text (stmt, 4, node->reason ? node->reason : "", -1,
                                SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        rc = step_done (stmt);
    sqlite3_clear_bindings (stmt);
    free (body);
    if (rc != SQLITE_OK)
        return batch_fail (q, rc, what, err);
    return 0;
}

static int sql_nodes_load (store_t *st, store_node_f cb, void *arg, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[ST_NODES_LOAD];
    int rc;

    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text (stmt, 0);
        const char *body = (const char *)sqlite3_column_text (stmt, 1);
        const char *state = (const char *)sqlite3_column_text (stmt, 2);
        const char *reason = (const char *)sqlite3_column_text (stmt, 3);
        cphub_error_t derr = {{0}};
        store_node_t node = {.reason = reason ? reason : ""};
        msg_t *m = NULL;
        int saved;

        if (!body ||
            !(m = msg_decode ("register", 8, body,
                              (size_t)sqlite3_column_bytes (stmt, 1), &derr))) {
            saved = errno == ENOMEM ? ENOMEM : EINVAL;
            sqlite3_reset (stmt);
            return cphub_fail (err, saved, "store %s: node %s: %s", q->path,
                               name ? name : "?", derr.text[0] ? derr.text : "no desc");
        }
        if (!state || node_state_parse (state, &node.state) < 0)
            node.state = NODE_DOWN;
        node.desc = &m->u.node;
        if (cb (&node, arg) < 0) {
            saved = errno;
            msg_destroy (m);
            sqlite3_reset (stmt);
            return cphub_fail (err, saved, "store: loading node %s stopped",
                               name ? name : "?");
        }
        msg_destroy (m);
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE)
        return sql_fail (q, rc, "reading nodes", err);
    return 0;
}

/* --- meta ------------------------------------------------------------------ */

static int meta_get_u64 (
    store_sqlite_t *q, const char *key, uint64_t def, uint64_t *out, cphub_error_t *err)
{
    sqlite3_stmt *stmt = q->stmt[ST_META_GET];
    int rc;

    *out = def;
    if ((rc = sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC)) != SQLITE_OK)
        return sql_fail (q, rc, "reading meta", err);
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
        *out = (uint64_t)sqlite3_column_int64 (stmt, 0);
    sqlite3_reset (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sql_fail (q, rc, "reading meta", err);
    return 0;
}

static int sql_next_id_get (store_t *st, uint64_t *next_id, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);

    if (q->next_id == 0 && meta_get_u64 (q, "next_job_id", 1, &q->next_id, err) < 0)
        return -1;
    *next_id = q->next_id ? q->next_id : 1;
    return 0;
}

static int sql_next_id_set (store_t *st, uint64_t next_id, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[ST_META_SET];
    int rc;

    if (write_begin (q, err) < 0)
        return -1;
    if (next_id == q->next_id)
        return 0;
    rc = sqlite3_bind_text (stmt, 1, "next_job_id", -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)next_id);
    if (rc == SQLITE_OK)
        rc = step_done (stmt);
    if (rc != SQLITE_OK)
        return batch_fail (q, rc, "storing the next job id", err);
    q->next_id = next_id;
    return 0;
}

static int sql_identity_get (store_t *st, store_identity_t *out, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[ST_META_TEXT_GET];
    const char *id;
    int rc;

    memset (out, 0, sizeof (*out));
    if ((rc = sqlite3_step (stmt)) != SQLITE_ROW) {
        sqlite3_reset (stmt);
        return sql_fail (q, rc, "reading the hub identity", err);
    }
    id = (const char *)sqlite3_column_text (stmt, 0);
    if (id)
        snprintf (out->hub_id, sizeof (out->hub_id), "%s", id);
    out->created = sqlite3_column_double (stmt, 1);
    sqlite3_reset (stmt);
    if (!out->hub_id[0])
        return cphub_fail (err, ENOENT, "store %s: no hub here", q->path);
    return 0;
}

static int sql_identity_set (store_t *st,
                             const store_identity_t *id,
                             cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[ST_META_INSERT];
    store_identity_t have;
    int rc;

    if (sql_identity_get (st, &have, NULL) == 0)
        return cphub_fail (err, EEXIST, "store %s belongs to hub %s already", q->path,
                           have.hub_id);
    if (write_begin (q, err) < 0)
        return -1;
    rc = sqlite3_bind_text (stmt, 1, id->hub_id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double (stmt, 2, id->created);
    if (rc == SQLITE_OK)
        rc = step_done (stmt);
    sqlite3_clear_bindings (stmt);
    if (rc != SQLITE_OK)
        return batch_fail (q, rc, "storing the hub identity", err);
    return 0;
}

/* --- tenants and keys (issue 4) --------------------------------------------- */

static int sql_tenant_put (store_t *st, const store_tenant_t *t, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[ST_TENANT_PUT];
    char what[96];
    int rc;

    if (write_begin (q, err) < 0)
        return -1;
    snprintf (what, sizeof (what), "storing tenant %.63s", t->name);
    rc = sqlite3_bind_text (stmt, 1, t->name, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double (stmt, 2, t->shares);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double (stmt, 3, t->created);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int (stmt, 4, t->removed ? 1 : 0);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double (stmt, 5, t->removed_time);
    if (rc == SQLITE_OK)
        rc = step_done (stmt);
    sqlite3_clear_bindings (stmt);
    if (rc != SQLITE_OK)
        return batch_fail (q, rc, what, err);
    return 0;
}

static int sql_tenant_remove (store_t *st,
                              const char *name,
                              double when,
                              cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[ST_TENANT_REMOVE];
    char what[96];
    int rc;

    if (write_begin (q, err) < 0)
        return -1;
    snprintf (what, sizeof (what), "removing tenant %.63s", name);
    rc = sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double (stmt, 2, when);
    if (rc == SQLITE_OK)
        rc = step_done (stmt);
    sqlite3_clear_bindings (stmt);
    if (rc != SQLITE_OK)
        return batch_fail (q, rc, what, err);
    if (sqlite3_changes (q->db) == 0)
        return cphub_fail (err, ENOENT, "store: no tenant %s to remove", name);
    return 0;
}

static int sql_tenants_load (store_t *st,
                             store_tenant_f cb,
                             void *arg,
                             cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[ST_TENANTS_LOAD];
    int rc;

    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        char name[TENANT_NAME_MAX + 1];
        store_tenant_t t = {.name = name};

        text_column (stmt, 0, name, sizeof (name));
        t.shares = sqlite3_column_double (stmt, 1);
        t.created = sqlite3_column_double (stmt, 2);
        t.removed = sqlite3_column_int (stmt, 3) != 0;
        t.removed_time = sqlite3_column_double (stmt, 4);
        if (cb (&t, arg) < 0) {
            int saved = errno;
            sqlite3_reset (stmt);
            return cphub_fail (err, saved, "store: loading tenant %s stopped", name);
        }
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE)
        return sql_fail (q, rc, "reading tenants", err);
    return 0;
}

static int sql_key_put (store_t *st, const store_key_t *k, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[ST_KEY_PUT];
    int rc;

    if (write_begin (q, err) < 0)
        return -1;
    rc = sqlite3_bind_text (stmt, 1, k->pubkey, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text (stmt, 2, k->tenant, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double (stmt, 3, k->added);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int (stmt, 4, k->revoked ? 1 : 0);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double (stmt, 5, k->revoked_time);
    if (rc == SQLITE_OK)
        rc = step_done (stmt);
    sqlite3_clear_bindings (stmt);
    if (rc != SQLITE_OK)
        return batch_fail (q, rc, "storing a tenant key", err);
    return 0;
}

static int sql_key_revoke (store_t *st,
                           const char *pubkey,
                           const char *tenant,
                           double when,
                           cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[ST_KEY_REVOKE];
    int rc;

    if (write_begin (q, err) < 0)
        return -1;
    rc = sqlite3_bind_text (stmt, 1, pubkey, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text (stmt, 2, tenant, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double (stmt, 3, when);
    if (rc == SQLITE_OK)
        rc = step_done (stmt);
    sqlite3_clear_bindings (stmt);
    if (rc != SQLITE_OK)
        return batch_fail (q, rc, "revoking a tenant key", err);
    return 0;
}

static int sql_keys_load (store_t *st, store_key_f cb, void *arg, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[ST_KEYS_LOAD];
    int rc;

    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        char pubkey[64], tenant[64];
        store_key_t k = {.pubkey = pubkey, .tenant = tenant};

        text_column (stmt, 0, pubkey, sizeof (pubkey));
        text_column (stmt, 1, tenant, sizeof (tenant));
        k.added = sqlite3_column_double (stmt, 2);
        k.revoked = sqlite3_column_int (stmt, 3) != 0;
        k.revoked_time = sqlite3_column_double (stmt, 4);
        if (cb (&k, arg) < 0) {
            int saved = errno;
            sqlite3_reset (stmt);
            return cphub_fail (err, saved, "store: loading keys stopped");
        }
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE)
        return sql_fail (q, rc, "reading tenant keys", err);
    return 0;
}

/* --- the budget ledger (issue 4) ------------------------------------------- */

static int sql_grant_append (store_t *st, const store_grant_t *g, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[ST_GRANT_APPEND];
    char what[96];
    int rc;

    if (write_begin (q, err) < 0)
        return -1;
    rc = sqlite3_bind_double (stmt, 1, g->time);
    if (rc == SQLITE_OK)
        rc = bind_text (stmt, 2, g->tenant, sizeof (g->tenant));
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text (stmt, 3, g->set ? "set" : "grant", -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double (stmt, 4, g->hours);
    if (rc == SQLITE_OK)
        rc = bind_text (stmt, 5, g->reason, sizeof (g->reason));
    if (rc == SQLITE_OK)
        rc = bind_text (stmt, 6, g->by, sizeof (g->by));
    if (rc == SQLITE_OK)
        rc = step_done (stmt);
    sqlite3_clear_bindings (stmt);
    if (rc == SQLITE_OK)
        return 0;
    snprintf (what, sizeof (what), "recording a budget %s for %.64s",
              g->set ? "set" : "grant", g->tenant);
    return batch_fail (q, rc, what, err);
}

static int sql_grants_load (store_t *st,
                            store_grant_f cb,
                            void *arg,
                            cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[ST_GRANTS_LOAD];
    int rc;

    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text (stmt, 2);
        store_grant_t g = {.time = sqlite3_column_double (stmt, 0)};

        text_column (stmt, 1, g.tenant, sizeof (g.tenant));
        g.set = kind && strcmp (kind, "set") == 0;
        g.hours = sqlite3_column_double (stmt, 3);
        text_column (stmt, 4, g.reason, sizeof (g.reason));
        text_column (stmt, 5, g.by, sizeof (g.by));
        if (cb (&g, arg) < 0) {
            int saved = errno;
            sqlite3_reset (stmt);
            return cphub_fail (err, saved, "store: loading the budget ledger stopped");
        }
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE)
        return sql_fail (q, rc, "reading the budget ledger", err);
    return 0;
}

/* --- open, migrate, close ------------------------------------------------- */

static void sql_destroy (store_t *st)
{
    store_sqlite_t *q = sql_of (st);

    if (!q)
        return;
    if (q->db && !sqlite3_get_autocommit (q->db))
        sqlite3_exec (q->db, "ROLLBACK", NULL, NULL, NULL);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize (q->stmt[i]);
    sqlite3_close (q->db); /* checkpoints the WAL into the file */
    free (q->path);
    free (q);
}

static const store_ops_t sqlite_ops = {
    .name = "sqlite",
    .begin = sql_begin,
    .commit = sql_commit,
    .job_put = sql_job_put,
    .acct_append = sql_acct_append,
    .jobs_load = sql_jobs_load,
    .acct_foreach = sql_acct_foreach,
    .node_put = sql_node_put,
    .nodes_load = sql_nodes_load,
    .next_id_get = sql_next_id_get,
    .next_id_set = sql_next_id_set,
    .destroy = sql_destroy,
    .acct_totals = sql_acct_totals,
    .tenant_put = sql_tenant_put,
    .tenant_remove = sql_tenant_remove,
    .tenants_load = sql_tenants_load,
    .key_put = sql_key_put,
    .key_revoke = sql_key_revoke,
    .keys_load = sql_keys_load,
    .grant_append = sql_grant_append,
    .grants_load = sql_grants_load,
    .identity_get = sql_identity_get,
    .identity_set = sql_identity_set,
};

/* One integer from a query (a PRAGMA), or -1 with err. */
static int query_int (store_sqlite_t *q,
                      const char *sql,
                      int64_t *out,
                      cphub_error_t *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2 (q->db, sql, -1, &stmt, NULL);

    *out = 0;
    if (rc == SQLITE_OK) {
        rc = sqlite3_step (stmt);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64 (stmt, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE)
            rc = SQLITE_OK;
    }
    sqlite3_finalize (stmt);
    if (rc != SQLITE_OK)
        return sql_fail (q, rc, sql, err);
    return 0;
}

static int exec (store_sqlite_t *q, const char *sql, cphub_error_t *err)
{
    int rc = sqlite3_exec (q->db, sql, NULL, NULL, NULL);

    if (rc != SQLITE_OK)
        return sql_fail (q, rc, "setting up", err);
    return 0;
}

/* The schema version of an open file: 0 for an empty file, -1 with err for
 * a file that holds something else. */
static int schema_version (store_sqlite_t *q, int64_t *version, cphub_error_t *err)
{
    int64_t app, tables, has_meta;

    *version = 0;
    if (query_int (q, "PRAGMA application_id", &app, err) < 0 ||
        query_int (q, "SELECT count(*) FROM sqlite_master", &tables, err) < 0 ||
        query_int (q,
                   "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                   "name = 'meta'",
                   &has_meta, err) < 0)
        return -1;
    if (tables == 0 && app == 0)
        return 0;
    if (app != STORE_APPLICATION_ID || !has_meta)
        return cphub_fail (err, EINVAL,
                           "store %s: this is not a cphub store (another program's "
                           "SQLite file?); give scheduler.store_path a new file",
                           q->path);
    return query_int (q, "SELECT value FROM meta WHERE key = 'schema_version'", version,
                      err);
}

/* Bring the file to SCHEMA_VERSION in one transaction. */
static int migrate (store_sqlite_t *q, cphub_error_t *err)
{
    int64_t version;
    char sql[96];

    if (exec (q, "BEGIN IMMEDIATE", err) < 0)
        return -1;
    if (schema_version (q, &version, err) < 0)
        goto error;
    if (version > SCHEMA_VERSION) {
        cphub_fail (err, EPROTO,
                    "store %s has schema version %" PRId64
                    "; this cphub-scheduler knows up to %d: run a newer one",
                    q->path, version, SCHEMA_VERSION);
        goto error;
    }
    for (int64_t v = version; v < SCHEMA_VERSION; v++) {
        if (exec (q, migrations[v], err) < 0)
            goto error;
    }
    if (version < SCHEMA_VERSION) {
        snprintf (sql, sizeof (sql),
                  "INSERT OR REPLACE INTO meta VALUES ('schema_version', %d);"
                  "PRAGMA application_id = %d;",
                  SCHEMA_VERSION, STORE_APPLICATION_ID);
        if (exec (q, sql, err) < 0)
            goto error;
    }
    return exec (q, "COMMIT", err);
error:;
    int saved = errno;
    sqlite3_exec (q->db, "ROLLBACK", NULL, NULL, NULL);
    errno = saved;
    return -1;
}

static int configure_db (store_sqlite_t *q, store_sync_t sync, cphub_error_t *err)
{
    sqlite3_stmt *stmt = NULL;
    const char *mode = NULL;
    bool wal;
    int rc;

    sqlite3_busy_timeout (q->db, STORE_BUSY_TIMEOUT_MS);
    rc = sqlite3_prepare_v2 (q->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        mode = (const char *)sqlite3_column_text (stmt, 0);
        rc = SQLITE_OK;
    }
    wal = mode && strcmp (mode, "wal") == 0;
    sqlite3_finalize (stmt);
    if (rc != SQLITE_OK)
        return sql_fail (q, rc, "cannot open", err);
    if (!wal)
        return cphub_fail (
            err, EINVAL, "store %s: the file system does not allow WAL mode", q->path);
    return exec (q,
                 sync == STORE_SYNC_NORMAL ? "PRAGMA synchronous = NORMAL"
                                           : "PRAGMA synchronous = FULL",
                 err);
}

store_t *store_sqlite_create (const char *path, store_sync_t sync, cphub_error_t *err)
{
    store_sqlite_t *q = calloc (1, sizeof (*q));
    int rc;

    if (!q || !(q->path = strdup (path))) {
        cphub_fail (err, ENOMEM, "store: out of memory");
        goto error;
    }
    q->base.ops = &sqlite_ops;
    rc = sqlite3_open_v2 (
        path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
        NULL);
    if (rc != SQLITE_OK) {
        sql_fail (q, rc, "cannot open", err);
        goto error;
    }
    sqlite3_extended_result_codes (q->db, 1);
    if (configure_db (q, sync, err) < 0 || migrate (q, err) < 0)
        goto error;
    for (int i = 0; i < ST_COUNT; i++) {
        rc = sqlite3_prepare_v3 (q->db, statements[i], -1, SQLITE_PREPARE_PERSISTENT,
                                 &q->stmt[i], NULL);
        if (rc != SQLITE_OK) {
            sql_fail (q, rc, "preparing statements", err);
            goto error;
        }
    }
    if (meta_get_u64 (q, "next_job_id", 1, &q->next_id, err) < 0)
        goto error;
    return &q->base;
error:;
    int saved = errno;
    if (q)
        sql_destroy (&q->base);
    errno = saved;
    return NULL;
}
