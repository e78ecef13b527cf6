/* store_sqlite_schema.c: the schema of the SQLite store and its migrations.
 *
 * The schema is a table of steps: a file at version v gets steps v+1.. in
 * one transaction when it is opened, and a file newer than this program is
 * refused. A step is SQL, or a function that rewrites stored rows when a
 * version changes their form. Version 5 gave the store its own form of job
 * specs and node descriptions (store_codec.c): up to version 4 they were
 * the wire protocol's submit and register bodies, so the first change of
 * the protocol would have made them unreadable. That old form is frozen
 * here as a table of its field names, read with jansson, never with the
 * wire codec, and every row is validated before it is written again.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/store_codec.h"
#include "scheduler/store_sqlite_int.h"

/* "cphb": marks the file as a cphub store (PRAGMA application_id). */
#define STORE_APPLICATION_ID 0x63706862

/* --- rows of version 4 -------------------------------------------------- */

/* The protocol version the rows of version 4 were written with. */
#define V4_PROTOCOL_VERSION 1

/* A field of the version 4 form and its name in the store's form (NULL:
 * dropped). Nested objects (a node's cores and GPUs) kept their names. */
typedef struct v4_name {
    const char *old;
    const char *store;
} v4_name_t;

static const v4_name_t v4_spec_names[] = {
    {"ntasks", "tasks"},
    {"cpus_per_task", "cpus_per_task"},
    {"gpus", "gpus"},
    {"mem", "mem_bytes"},
    {"walltime", "walltime_s"},
    {"name", "name"},
    {"argv", "argv"},
    {"script", "script"},
    {"nodes", "nodes"},
    {"exclusive", "exclusive"},
    {"constraint", "constraint"},
    {"array", "array"},
    {"after", "after"},
    {"no_requeue", "no_requeue"},
    {NULL, NULL},
};

static const v4_name_t v4_node_names[] = {
    {"name", "name"},
    {"npackages", "packages"},
    {"numa_mem", "numa_mem_bytes"},
    {"cores", "cores"},
    {"gpus", "gpus"},
    {"mem", "mem_bytes"},
    {"features", "features"},
    {"topology", "topology"},
    {"binding", "binding"},
    {"jobs", NULL}, /* the jobs the agent held: not state */
    {"isolation", "isolation"},
    {NULL, NULL},
};

/* How the rows of one table are rewritten. */
typedef struct v4_table {
    const char *what;  /* "job", "node" in errors */
    const char *next;  /* the row after key ?1: key, text */
    const char *write; /* set the text ?2 of key ?1 */
    const char *body;  /* the object of the old body that holds the fields */
    const v4_name_t *names;
    /* decode (validating) and encode in the store's form */
    int (*reform) (
        const char *text, size_t len, char **out, size_t *outlen, cphub_error_t *err);
} v4_table_t;

static int spec_reform (
    const char *text, size_t len, char **out, size_t *outlen, cphub_error_t *err)
{
    jobspec_t spec;
    int rc = store_codec_spec_decode (text, len, &spec, err);

    if (rc == 0 && (rc = store_codec_spec_encode (&spec, out, outlen)) < 0)
        cphub_fail (err, errno, "cannot be written again: %s", strerror (errno));
    jobspec_clear (&spec);
    return rc;
}

static int node_reform (
    const char *text, size_t len, char **out, size_t *outlen, cphub_error_t *err)
{
    node_desc_t desc;
    int rc = store_codec_node_decode (text, len, &desc, err);

    if (rc == 0 && (rc = store_codec_node_encode (&desc, out, outlen)) < 0)
        cphub_fail (err, errno, "cannot be written again: %s", strerror (errno));
    node_desc_clear (&desc);
    return rc;
}

static const v4_table_t v4_tables[] = {
    {.what = "job",
     .next = "SELECT id, spec FROM jobs WHERE id > ?1 ORDER BY id LIMIT 1",
     .write = "UPDATE jobs SET spec = ?2 WHERE id = ?1",
     .body = "spec",
     .names = v4_spec_names,
     .reform = spec_reform},
    {.what = "node",
     .next = "SELECT name, desc FROM nodes WHERE name > ?1 ORDER BY name LIMIT 1",
     .write = "UPDATE nodes SET desc = ?2 WHERE name = ?1",
     .body = "node",
     .names = v4_node_names,
     .reform = node_reform},
};

/* The old body text in the store's field names (a JSON text the caller
 * frees), or NULL with err. Nothing of the old form is trusted: its
 * version, its shape and every name are checked. */
static char *v4_rename (const v4_table_t *t,
                        const char *text,
                        size_t len,
                        cphub_error_t *err)
{
    json_error_t jerr;
    json_t *old = json_loadb (text, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *fields = json_object_get (old, t->body), *out = json_object ();
    const json_t *version = json_object_get (old, "v");
    const char *key;
    json_t *val;
    char *renamed = NULL;

    if (!old || !out) {
        cphub_fail (err, old ? ENOMEM : EINVAL, "not JSON (byte %d: %s)", jerr.position,
                    jerr.text);
        goto error;
    }
    if (!json_is_integer (version) ||
        json_integer_value (version) != V4_PROTOCOL_VERSION ||
        !json_is_object (fields)) {
        cphub_fail (err, EINVAL, "not a version %d body with an object '%s'",
                    V4_PROTOCOL_VERSION, t->body);
        goto error;
    }
    json_object_foreach (fields, key, val)
    {
        const v4_name_t *n = t->names;
        while (n->old && strcmp (n->old, key) != 0)
            n++;
        if (!n->old) {
            cphub_fail (err, EINVAL, "unknown field '%.40s'", key);
            goto error;
        }
        if (n->store && json_object_set (out, n->store, val) < 0) {
            cphub_fail (err, ENOMEM, "out of memory");
            goto error;
        }
    }
    if (!(renamed = json_dumps (out, JSON_COMPACT)))
        cphub_fail (err, ENOMEM, "out of memory");
error:
    json_decref (old);
    json_decref (out);
    return renamed;
}

/* Rewrite every row of t, in key order. */
static int v4_rewrite_table (store_sqlite_t *q, const v4_table_t *t, cphub_error_t *err)
{
    sqlite3_stmt *next = NULL, *write = NULL;
    sqlite3_value *key = NULL;
    cphub_error_t rerr = {{0}};
    char *renamed = NULL, *text = NULL;
    size_t len = 0;
    int rc;

    if ((rc = sqlite3_prepare_v2 (q->db, t->next, -1, &next, NULL)) != SQLITE_OK ||
        (rc = sqlite3_prepare_v2 (q->db, t->write, -1, &write, NULL)) != SQLITE_OK ||
        (rc = sqlite3_bind_int (next, 1, 0)) != SQLITE_OK) {
        sql_fail (q, rc, "migrating to the store's own form", err);
        goto error;
    }
    while ((rc = sqlite3_step (next)) == SQLITE_ROW) {
        const char *old = (const char *)sqlite3_column_text (next, 1);
        sqlite3_value_free (key);
        if (!(key = sqlite3_value_dup (sqlite3_column_value (next, 0)))) {
            rc = SQLITE_NOMEM;
            break;
        }
        if (!old ||
            !(renamed =
                  v4_rename (t, old, (size_t)sqlite3_column_bytes (next, 1), &rerr)) ||
            t->reform (renamed, strlen (renamed), &text, &len, &rerr) < 0) {
            cphub_fail (err, errno == ENOMEM ? ENOMEM : EINVAL,
                        "store %s: %s %s: its stored description (schema 4): %s",
                        q->path, t->what, sqlite3_value_text (key),
                        old ? rerr.text : "missing");
            goto error;
        }
        free (renamed);
        renamed = NULL;
        sqlite3_reset (next);
        if ((rc = sqlite3_bind_value (next, 1, key)) != SQLITE_OK ||
            (rc = sqlite3_bind_value (write, 1, key)) != SQLITE_OK ||
            (rc = sqlite3_bind_text (write, 2, text, (int)len, SQLITE_TRANSIENT)) !=
                SQLITE_OK ||
            (rc = sqlite3_step (write)) != SQLITE_DONE)
            break;
        sqlite3_reset (write);
        free (text);
        text = NULL;
    }
    if (rc != SQLITE_DONE) {
        sql_fail (q, rc, "migrating to the store's own form", err);
        goto error;
    }
    rc = 0;
    goto done;
error:
    rc = -1;
done:;
    int saved = errno;
    sqlite3_value_free (key);
    sqlite3_finalize (next);
    sqlite3_finalize (write);
    free (renamed);
    free (text);
    errno = saved;
    return rc;
}

static int v4_rewrite (store_sqlite_t *q, cphub_error_t *err)
{
    for (size_t i = 0; i < sizeof (v4_tables) / sizeof (v4_tables[0]); i++) {
        if (v4_rewrite_table (q, &v4_tables[i], err) < 0)
            return -1;
    }
    return 0;
}

/* --- the steps ---------------------------------------------------------- */

/* Step i brings the schema from version i to i + 1. Append, never edit. */
typedef struct migration {
    const char *sql;
    int (*rewrite) (store_sqlite_t *q, cphub_error_t *err);
} migration_t;

static const migration_t migrations[] = {
    /* 1: the first schema */
    {.sql = "CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
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
            "INSERT INTO meta VALUES ('next_job_id', 1);"},
    /* 2: tenants and tenant keys changed at run time */
    {.sql = "CREATE TABLE tenants ("
            "  name TEXT PRIMARY KEY, shares REAL NOT NULL DEFAULT 1,"
            "  created REAL NOT NULL DEFAULT 0, removed INTEGER NOT NULL DEFAULT 0,"
            "  removed_time REAL NOT NULL DEFAULT 0) WITHOUT ROWID;"
            "CREATE TABLE tenant_keys ("
            "  pubkey TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL,"
            "  added REAL NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0,"
            "  revoked_time REAL NOT NULL DEFAULT 0);"},
    /* 3: the budget ledger: operators' grants and sets; the
       charges are the acct rows */
    {.sql =
         "CREATE TABLE budget_ledger ("
         "  id INTEGER PRIMARY KEY, time REAL NOT NULL, tenant TEXT NOT NULL,"
         "  kind TEXT NOT NULL CHECK (kind IN ('grant', 'set')), hours REAL NOT NULL,"
         "  reason TEXT NOT NULL DEFAULT '', operator TEXT NOT NULL DEFAULT '');"},
    /* 4: how often a job's runs were lost and requeued, and when it may run
       again; the hub's identity, given here to a store that has a past
       (an empty one gets it from the scheduler's --init) */
    {.sql = "ALTER TABLE jobs ADD COLUMN requeues INTEGER NOT NULL DEFAULT 0;"
            "ALTER TABLE jobs ADD COLUMN eligible_time REAL NOT NULL DEFAULT 0;"
            "INSERT INTO meta SELECT 'hub_id', lower (hex (randomblob (16)))"
            "  WHERE EXISTS (SELECT 1 FROM jobs) OR EXISTS (SELECT 1 FROM nodes)"
            "  OR (SELECT value FROM meta WHERE key = 'next_job_id') > 1;"
            "INSERT INTO meta SELECT 'hub_created',"
            "  (julianday ('now') - 2440587.5) * 86400.0"
            "  WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'hub_id');"},
    /* 5: job specs and node descriptions in the store's own form */
    {.rewrite = v4_rewrite},
    /* 6: who holds a pending job back (sched_hold_by_t; 0 = nobody) */
    {.sql = "ALTER TABLE jobs ADD COLUMN hold INTEGER NOT NULL DEFAULT 0;"},
    /* 7: the history is queried by tenant, and expires by end time */
    {.sql = "CREATE INDEX IF NOT EXISTS jobs_tenant ON jobs (tenant, id);"
            "CREATE INDEX IF NOT EXISTS jobs_ended ON jobs (end_time) WHERE end_time > "
            "0;"},
    /* 8: the report counts the jobs by tenant and state from an index */
    {.sql = "CREATE INDEX IF NOT EXISTS jobs_tenant_state ON jobs (tenant, state);"},
    /* 9: a restart reads the active jobs without reading the history */
    {.sql = "CREATE INDEX IF NOT EXISTS jobs_active ON jobs (id) WHERE end_time = 0;"},
};

#define SCHEMA_VERSION ((int)(sizeof (migrations) / sizeof (migrations[0])))
_Static_assert(SCHEMA_VERSION == STORE_SQLITE_SCHEMA_VERSION,
               "a migration step was added: update STORE_SQLITE_SCHEMA_VERSION");

/* --- migrating a file --------------------------------------------------- */

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

int sql_exec (store_sqlite_t *q, const char *sql, cphub_error_t *err)
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

int store_sqlite_migrate (store_sqlite_t *q, cphub_error_t *err)
{
    int64_t version;
    char sql[96];

    if (sql_exec (q, "BEGIN IMMEDIATE", err) < 0)
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
        const migration_t *step = &migrations[v];
        if (step->sql ? sql_exec (q, step->sql, err) < 0 : step->rewrite (q, err) < 0)
            goto error;
    }
    if (version < SCHEMA_VERSION) {
        snprintf (sql, sizeof (sql),
                  "INSERT OR REPLACE INTO meta VALUES ('schema_version', %d);"
                  "PRAGMA application_id = %d;",
                  SCHEMA_VERSION, STORE_APPLICATION_ID);
        if (sql_exec (q, sql, err) < 0)
            goto error;
    }
    return sql_exec (q, "COMMIT", err);
error:;
    int saved = errno;
    sqlite3_exec (q->db, "ROLLBACK", NULL, NULL, NULL);
    errno = saved;
    return -1;
}
