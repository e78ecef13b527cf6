/* store_sqlite.c: the durable store of store.h, one SQLite file in WAL mode;
 * the store's files (store_sqlite*.c) are the only ones of cphub that
 * include sqlite3.h.
 *
 * Tables: jobs (every field of sched_job_t needed to restore it; the jobspec
 * in the store's own JSON form, store_codec.c), job_transitions (one row per
 * state a job entered, appended by triggers on jobs), acct (one row per run,
 * UNIQUE (job_id, run) so that no run is billed twice), nodes (the last
 * registered description in the store's form, the state and the drain
 * reason), meta (schema_version, next_job_id, hub_id and hub_created: the
 * store's identity), tenants and tenant_keys (tenants and keys added at run
 * time, revocations of any tenant key) and budget_ledger (the operators'
 * grants and sets, in order), those three in store_sqlite_records.c. The
 * schema and its migrations are in store_sqlite_schema.c. A batch is one
 * transaction, opened lazily by its first write and made durable by one
 * COMMIT (one fsync of the WAL with synchronous=FULL), so an idle turn of the
 * loop costs nothing. Statements are prepared once at open. A write that
 * fails inside a batch poisons it: the commit rolls back and fails, and the
 * shell must not acknowledge anything of that turn.
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/idset.h"
#include "cphub/jobspec.h"
#include "scheduler/store_codec.h"
#include "scheduler/store_sqlite_int.h"

#define STORE_BUSY_TIMEOUT_MS 5000

/* --- prepared statements -------------------------------------------------- */

/* The job columns after id, in the order job_bind() and job_from_row() use. */
#define JOB_COLUMNS                                                            \
    "tenant, state, reason, exit_code, signal, walltime, submit_time, "        \
    "start_time, end_time, cpu_time, max_rss, node, cores, cpus, gpus, mems, " \
    "mem, kill_sent, runs, boost, others, array_id, array_index, requeues, "   \
    "eligible_time, hold"
#define JOB_NCOLUMNS 26
#define ACCT_COLUMNS                                                        \
    "job_id, run, tenant, node, cores, gpus, start_time, end_time, state, " \
    "core_seconds, gpu_seconds, failed_run"

static const char *const statements[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    /* the spec never changes after submit: updates leave it alone */
    [ST_JOB_UPDATE] = "UPDATE jobs SET (" JOB_COLUMNS
                      ") = (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                      " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, "
                      "?27) WHERE id = ?1",
    [ST_JOB_INSERT] = "INSERT INTO jobs (id, " JOB_COLUMNS
                      ", spec) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
                      " ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23,"
                      " ?24, ?25, ?26, ?27, ?28)",
    [ST_JOBS_LOAD] = "SELECT id, " JOB_COLUMNS ", spec FROM jobs ORDER BY id",
    /* a query reads the rows of its id range (its id, its array's ids), by
       the primary key or, with a tenant, the index jobs_tenant; its other
       filters are tested on each row read (store_sqlite_query.c) */
    [ST_JOBS_QUERY] = "SELECT id, " JOB_COLUMNS
                      ", spec FROM jobs WHERE id > ?1 AND id <= ?2 ORDER BY id",
    [ST_JOBS_QUERY_TENANT] =
        "SELECT id, " JOB_COLUMNS
        ", spec FROM jobs WHERE tenant = ?3 AND id > ?1 AND id <= ?2"
        " ORDER BY id",
    /* the jobs active or ended since ?3 (a restart's), through the indexes
       jobs_active and jobs_ended: never a row of the older history */
    [ST_JOBS_QUERY_SINCE] =
        "SELECT id, " JOB_COLUMNS
        ", spec FROM jobs WHERE id > ?1 AND id <= ?2 AND id IN"
        " (SELECT id FROM jobs WHERE end_time = 0 UNION ALL"
        " SELECT id FROM jobs WHERE end_time > 0 AND end_time >= ?3) ORDER BY id",
    /* retention: the oldest ends first, through the index jobs_ended */
    [ST_JOBS_EXPIRE_TRANSITIONS] =
        "DELETE FROM job_transitions WHERE job_id IN (SELECT id FROM jobs"
        " WHERE end_time > 0 AND end_time < ?1 AND state NOT IN ('PENDING', 'RUNNING')"
        " ORDER BY end_time, id LIMIT ?2)",
    [ST_JOBS_EXPIRE] =
        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs"
        " WHERE end_time > 0 AND end_time < ?1"
        " AND state NOT IN ('PENDING', 'RUNNING')"
        " ORDER BY end_time, id LIMIT ?2)",
    /* the report's counts, through the index jobs_tenant_state alone */
    [ST_JOBS_COUNT] =
        "SELECT tenant, state, count (*) FROM jobs GROUP BY tenant, state",
    [ST_JOBS_COUNT_TENANT] =
        "SELECT tenant, state, count (*) FROM jobs WHERE tenant = ?1 GROUP BY state",
    [ST_JOB_STATE] = "SELECT state FROM jobs WHERE id = ?1",
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

int sql_fail (store_sqlite_t *q, int rc, const char *what, cphub_error_t *err)
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

int sql_run (sqlite3_stmt *stmt, const sql_value_t *vals, int n)
{
    int rc = SQLITE_OK;

    for (int i = 0; i < n && rc == SQLITE_OK; i++) {
        const sql_value_t *v = &vals[i];
        switch (v->kind) {
        case SQL_V_NULL:
            rc = sqlite3_bind_null (stmt, i + 1);
            break;
        case SQL_V_INT:
            rc = sqlite3_bind_int64 (stmt, i + 1, v->i);
            break;
        case SQL_V_REAL:
            rc = sqlite3_bind_double (stmt, i + 1, v->r);
            break;
        case SQL_V_TEXT:
            rc = sqlite3_bind_text (stmt, i + 1, v->s, v->n, SQLITE_TRANSIENT);
            break;
        }
    }
    if (rc == SQLITE_OK)
        rc = step_done (stmt);
    sqlite3_clear_bindings (stmt);
    return rc;
}

int sql_rows (store_sqlite_t *q,
              sqlite3_stmt *stmt,
              sql_row_f row,
              void *arg,
              const char *what,
              cphub_error_t *err)
{
    int rc;

    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        if (row (stmt, arg, err) < 0) {
            int saved = errno;
            sqlite3_reset (stmt);
            errno = saved;
            return -1;
        }
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE)
        return sql_fail (q, rc, what, err);
    return 0;
}

int sql_batch_fail (store_sqlite_t *q, int rc, const char *what, cphub_error_t *err)
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

int sql_write_begin (store_sqlite_t *q, cphub_error_t *err)
{
    int rc;

    if (!q->in_batch)
        return cphub_fail (err, EINVAL,
                           "store: write outside a batch (call store_begin)");
    if (q->in_txn)
        return 0;
    if ((rc = step_done (q->stmt[ST_BEGIN])) != SQLITE_OK)
        return sql_batch_fail (q, rc, "cannot open a transaction", err);
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
    BIND (bind_text (stmt, col, job->alloc.node, sizeof (job->alloc.node)));
    BIND (bind_idset (stmt, col, job->alloc.cores));
    BIND (bind_idset (stmt, col, job->alloc.cpus));
    BIND (bind_idset (stmt, col, job->alloc.gpus));
    BIND (bind_idset (stmt, col, job->alloc.mems));
    BIND (sqlite3_bind_int64 (stmt, col, (sqlite3_int64)job->alloc.mem));
    BIND (sqlite3_bind_int (stmt, col, job->kill_sent ? 1 : 0));
    BIND (sqlite3_bind_int64 (stmt, col, job->runs));
    BIND (sqlite3_bind_double (stmt, col, job->boost));
    BIND (bind_others (stmt, col, job));
    BIND (sqlite3_bind_int64 (stmt, col, (sqlite3_int64)job->array_id));
    BIND (sqlite3_bind_int64 (stmt, col, job->array_index));
    BIND (sqlite3_bind_int64 (stmt, col, job->requeues));
    BIND (sqlite3_bind_double (stmt, col, job->eligible_time));
    BIND (sqlite3_bind_int (stmt, col, (int)job->hold));
#undef BIND
    return rc;
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

    if (sql_write_begin (q, err) < 0)
        return -1;
    snprintf (what, sizeof (what), "storing job %" PRIu64, job->id);
    if ((rc = job_bind (upd, job)) != SQLITE_OK || (rc = step_done (upd)) != SQLITE_OK)
        return sql_batch_fail (q, rc, what, err);
    if (sqlite3_changes (q->db) > 0)
        return 0;
    /* a new job: insert it with its spec */
    if (store_codec_spec_encode (&job->spec, &body, &len) < 0) {
        int saved = errno;
        sql_batch_fail (q, SQLITE_ERROR, what, NULL);
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
        return sql_batch_fail (q, rc, what, err);
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

void sql_text_column (sqlite3_stmt *stmt, int col, char *buf, size_t len)
{
    const char *text = (const char *)sqlite3_column_text (stmt, col);

    snprintf (buf, len, "%s", text ? text : "");
}

/* A stored hold as the core's kind; what no kind names holds as an operator
 * would, so that a damaged row never lets a job start. */
static sched_hold_by_t hold_of (int v)
{
    return v == SCHED_HOLD_NONE || v == SCHED_HOLD_USER ? (sched_hold_by_t)v
                                                        : SCHED_HOLD_ADMIN;
}

int sql_job_from_row (store_sqlite_t *q,
                      sqlite3_stmt *stmt,
                      sched_job_t *job,
                      cphub_error_t *err)
{
    const char *body;
    cphub_error_t derr = {{0}};
    int col = 0;

    memset (job, 0, sizeof (*job));
    jobspec_init (&job->spec);
    job->id = (uint64_t)sqlite3_column_int64 (stmt, col++);
    sql_text_column (stmt, col++, job->tenant, sizeof (job->tenant));
    body = (const char *)sqlite3_column_text (stmt, col++);
    if (!body || job_state_parse (body, &job->state) < 0)
        return cphub_fail (err, EINVAL, "store %s: job %" PRIu64 " has state '%s'",
                           q->path, job->id, body ? body : "");
    sql_text_column (stmt, col++, job->reason, sizeof (job->reason));
    job->exit_code = sqlite3_column_int (stmt, col++);
    job->signal = sqlite3_column_int (stmt, col++);
    job->walltime = sqlite3_column_int64 (stmt, col++);
    job->submit_time = sqlite3_column_double (stmt, col++);
    job->start_time = sqlite3_column_double (stmt, col++);
    job->end_time = sqlite3_column_double (stmt, col++);
    job->cpu_time = sqlite3_column_double (stmt, col++);
    job->max_rss = (uint64_t)sqlite3_column_int64 (stmt, col++);
    sql_text_column (stmt, col++, job->alloc.node, sizeof (job->alloc.node));
    if (!idset_column (stmt, col++, &job->alloc.cores, &derr) ||
        !idset_column (stmt, col++, &job->alloc.cpus, &derr) ||
        !idset_column (stmt, col++, &job->alloc.gpus, &derr) ||
        !idset_column (stmt, col++, &job->alloc.mems, &derr))
        return cphub_fail (err, EINVAL, "store %s: job %" PRIu64 ": allocation: %s",
                           q->path, job->id, derr.text);
    job->alloc.mem = (uint64_t)sqlite3_column_int64 (stmt, col++);
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
    job->hold = hold_of (sqlite3_column_int (stmt, col++));
    body = (const char *)sqlite3_column_text (stmt, col);
    if (!body ||
        store_codec_spec_decode (body, (size_t)sqlite3_column_bytes (stmt, col),
                                 &job->spec, &derr) < 0)
        return cphub_fail (err, errno == ENOMEM ? ENOMEM : EINVAL,
                           "store %s: job %" PRIu64 ": spec: %s", q->path, job->id,
                           body ? derr.text : "missing");
    return 0;
}

void sql_job_row_clear (sched_job_t *job)
{
    idset_destroy (job->alloc.cores);
    idset_destroy (job->alloc.cpus);
    idset_destroy (job->alloc.gpus);
    idset_destroy (job->alloc.mems);
    sched_allocs_free (job->others, job->nothers);
    jobspec_clear (&job->spec);
}

typedef struct job_scan {
    store_sqlite_t *q;
    store_job_f cb;
    void *arg;
} job_scan_t;

static int job_row (sqlite3_stmt *stmt, void *arg, cphub_error_t *err)
{
    job_scan_t *scan = arg;
    sched_job_t job;
    int rc = sql_job_from_row (scan->q, stmt, &job, err);

    if (rc == 0 && (rc = scan->cb (&job, scan->arg)) < 0)
        cphub_fail (err, errno, "store: loading job %" PRIu64 " stopped", job.id);
    int saved = errno;
    sql_job_row_clear (&job);
    errno = saved;
    return rc;
}

static int sql_jobs_load (store_t *st, store_job_f cb, void *arg, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    job_scan_t scan = {.q = q, .cb = cb, .arg = arg};

    return sql_rows (q, q->stmt[ST_JOBS_LOAD], job_row, &scan, "reading jobs", err);
}

/* --- accounting ----------------------------------------------------------- */

static int sql_acct_append (store_t *st, const store_acct_t *rec, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    const char *state = job_state_name (rec->state);
    const sql_value_t vals[] = {
        SQL_INT (rec->job_id),          SQL_INT (rec->run),
        SQL_CHARS (rec->tenant),        SQL_CHARS (rec->node),
        SQL_INT (rec->cores),           SQL_INT (rec->gpus),
        SQL_REAL (rec->start_time),     SQL_REAL (rec->end_time),
        SQL_TEXT (state ? state : "?"), SQL_REAL (rec->core_seconds),
        SQL_REAL (rec->gpu_seconds),    SQL_INT (rec->failed_run ? 1 : 0)};
    char what[80];
    int rc;

    if (sql_write_begin (q, err) < 0)
        return -1;
    if ((rc = sql_run (q->stmt[ST_ACCT_APPEND], vals, 12)) == SQLITE_OK)
        return 0;
    if ((rc & 0xff) == SQLITE_CONSTRAINT) /* the statement alone is undone */
        return cphub_fail (err, EEXIST,
                           "store: run %" PRIu32 " of job %" PRIu64
                           " is already accounted; not recorded twice",
                           rec->run, rec->job_id);
    snprintf (what, sizeof (what), "accounting run %" PRIu32 " of job %" PRIu64,
              rec->run, rec->job_id);
    return sql_batch_fail (q, rc, what, err);
}

static void acct_from_row (sqlite3_stmt *stmt, store_acct_t *rec)
{
    const char *state;
    int col = 0;

    memset (rec, 0, sizeof (*rec));
    rec->job_id = (uint64_t)sqlite3_column_int64 (stmt, col++);
    rec->run = (uint32_t)sqlite3_column_int64 (stmt, col++);
    sql_text_column (stmt, col++, rec->tenant, sizeof (rec->tenant));
    sql_text_column (stmt, col++, rec->node, sizeof (rec->node));
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

typedef struct acct_scan {
    store_acct_f cb;
    void *arg;
} acct_scan_t;

static int acct_row (sqlite3_stmt *stmt, void *arg, cphub_error_t *err)
{
    acct_scan_t *scan = arg;
    store_acct_t rec;

    acct_from_row (stmt, &rec);
    if (scan->cb (&rec, scan->arg) < 0)
        return cphub_fail (err, errno, "store: reading accounting stopped");
    return 0;
}

static int acct_scan (store_sqlite_t *q,
                      sqlite3_stmt *stmt,
                      store_acct_f cb,
                      void *arg,
                      cphub_error_t *err)
{
    acct_scan_t scan = {.cb = cb, .arg = arg};

    return sql_rows (q, stmt, acct_row, &scan, "reading accounting", err);
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
    const char *state = node_state_name (node->state);
    cphub_error_t verr = {{0}};
    char what[96];
    char *body = NULL;
    size_t len = 0;
    int rc;

    if (!node->desc || node_desc_validate (node->desc, &verr) < 0)
        return cphub_fail (err, EINVAL, "store: node %s has no valid description: %s",
                           node->desc ? node->desc->name : "?", verr.text);
    if (sql_write_begin (q, err) < 0)
        return -1;
    snprintf (what, sizeof (what), "storing node %s", node->desc->name);
    if (store_codec_node_encode (node->desc, &body, &len) < 0)
        return sql_batch_fail (q, errno == ENOMEM ? SQLITE_NOMEM : SQLITE_ERROR, what,
                               err);
    const sql_value_t vals[] = {SQL_CHARS (node->desc->name),
                                {.kind = SQL_V_TEXT, .s = body, .n = (int)len},
                                SQL_TEXT (state ? state : "DOWN"),
                                SQL_TEXT (node->reason ? node->reason : "")};
    rc = sql_run (q->stmt[ST_NODE_PUT], vals, 4);
    free (body);
    if (rc != SQLITE_OK)
        return sql_batch_fail (q, rc, what, err);
    return 0;
}

typedef struct node_scan {
    store_sqlite_t *q;
    store_node_f cb;
    void *arg;
} node_scan_t;

static int node_row (sqlite3_stmt *stmt, void *arg, cphub_error_t *err)
{
    node_scan_t *scan = arg;
    const char *name = (const char *)sqlite3_column_text (stmt, 0);
    const char *body = (const char *)sqlite3_column_text (stmt, 1);
    const char *state = (const char *)sqlite3_column_text (stmt, 2);
    const char *reason = (const char *)sqlite3_column_text (stmt, 3);
    cphub_error_t derr = {{0}};
    node_desc_t desc;
    store_node_t node = {.desc = &desc, .reason = reason ? reason : ""};
    int rc = -1;

    node_desc_init (&desc);
    if (!body || store_codec_node_decode (body, (size_t)sqlite3_column_bytes (stmt, 1),
                                          &desc, &derr) < 0) {
        cphub_fail (err, errno == ENOMEM ? ENOMEM : EINVAL, "store %s: node %s: %s",
                    scan->q->path, name ? name : "?", body ? derr.text : "no desc");
    } else {
        if (!state || node_state_parse (state, &node.state) < 0)
            node.state = NODE_DOWN;
        if ((rc = scan->cb (&node, scan->arg)) < 0)
            cphub_fail (err, errno, "store: loading node %s stopped",
                        name ? name : "?");
    }
    int saved = errno;
    node_desc_clear (&desc);
    errno = saved;
    return rc;
}

static int sql_nodes_load (store_t *st, store_node_f cb, void *arg, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    node_scan_t scan = {.q = q, .cb = cb, .arg = arg};

    return sql_rows (q, q->stmt[ST_NODES_LOAD], node_row, &scan, "reading nodes", err);
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

    if (sql_write_begin (q, err) < 0)
        return -1;
    if (next_id == q->next_id)
        return 0;
    rc = sqlite3_bind_text (stmt, 1, "next_job_id", -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)next_id);
    if (rc == SQLITE_OK)
        rc = step_done (stmt);
    if (rc != SQLITE_OK)
        return sql_batch_fail (q, rc, "storing the next job id", err);
    q->next_id = next_id;
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
    STORE_OPS_OF (sql),
    .acct_totals = sql_acct_totals,
};

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
    return sql_exec (q,
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
    if (configure_db (q, sync, err) < 0 || store_sqlite_migrate (q, err) < 0)
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
