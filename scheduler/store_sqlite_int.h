/* store_sqlite_int.h: what the files of the SQLite store share, and nothing
 * outside them sees: the open store, its prepared statements, the error and
 * batch helpers, and the steps of opening a file.
 *
 * store_sqlite.c holds the batch, jobs, accounting, nodes and meta and opens
 * the file; store_sqlite_records.c the hub's identity and the records
 * operators change at run time (tenants, keys, the budget ledger);
 * store_sqlite_schema.c the schema and its migrations.
 */
#ifndef CPHUB_SCHEDULER_STORE_SQLITE_INT_H
#define CPHUB_SCHEDULER_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "cphub/error.h"
#include "scheduler/store.h"

/* The schema version this program writes (store_sqlite_schema.c). */
#define STORE_SQLITE_SCHEMA_VERSION 9

/* Text of an error kept for the batch's commit. */
#define STORE_SQLITE_FAILURE_MAX 160

enum {
    ST_BEGIN = 0,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_JOB_UPDATE,
    ST_JOB_INSERT,
    ST_JOBS_LOAD,
    ST_JOBS_QUERY,
    ST_JOBS_QUERY_TENANT,
    ST_JOBS_QUERY_SINCE,
    ST_JOBS_EXPIRE_TRANSITIONS,
    ST_JOBS_EXPIRE,
    ST_JOBS_COUNT,
    ST_JOBS_COUNT_TENANT,
    ST_JOB_STATE,
    ST_ACCT_APPEND,
    ST_ACCT_FOREACH,
    ST_ACCT_TOTALS,
    ST_NODE_PUT,
    ST_NODES_LOAD,
    ST_META_GET,
    ST_META_SET,
    ST_META_TEXT_GET,
    ST_META_INSERT,
    ST_TENANT_PUT,
    ST_TENANT_REMOVE,
    ST_TENANTS_LOAD,
    ST_KEY_PUT,
    ST_KEY_REVOKE,
    ST_KEYS_LOAD,
    ST_GRANT_APPEND,
    ST_GRANTS_LOAD,
    ST_COUNT
};

typedef struct store_sqlite {
    struct store base; /* first: store_t * <-> store_sqlite_t * */
    sqlite3 *db;
    char *path;
    sqlite3_stmt *stmt[ST_COUNT];
    bool in_batch; /* between begin and commit */
    bool in_txn;   /* the batch has written: a transaction is open */
    bool failed;   /* a write of this batch failed: commit rolls back */
    char failure[STORE_SQLITE_FAILURE_MAX]; /* the first failure of the batch */
    int failure_errno; /* and its errno (ENOSPC: the disk is full) */
    uint64_t next_id;  /* cached meta next_job_id */
} store_sqlite_t;

static inline store_sqlite_t *sql_of (store_t *st)
{
    return (store_sqlite_t *)st;
}

/* One value to bind to a statement's parameter. */
typedef struct sql_value {
    enum { SQL_V_NULL = 0, SQL_V_INT, SQL_V_REAL, SQL_V_TEXT } kind;
    sqlite3_int64 i;
    double r;
    const char *s;
    int n; /* bytes of s; -1: up to its NUL */
} sql_value_t;

#define SQL_INT(v) ((sql_value_t){.kind = SQL_V_INT, .i = (sqlite3_int64)(v)})
#define SQL_REAL(v) ((sql_value_t){.kind = SQL_V_REAL, .r = (v)})
#define SQL_TEXT(v) ((sql_value_t){.kind = SQL_V_TEXT, .s = (v), .n = -1})
/* A char array, up to its NUL or its end. */
#define SQL_CHARS(a) \
    ((sql_value_t){.kind = SQL_V_TEXT, .s = (a), .n = (int)strnlen ((a), sizeof (a))})

/* Bind vals to ?1..?n (text copied), run the statement (it returns no rows),
 * then reset it and clear its bindings: SQLITE_OK or the error code. */
int sql_run (sqlite3_stmt *stmt, const sql_value_t *vals, int n);

/* -1 with err "store PATH: WHAT: sqlite's message" and an errno for rc
 * (ENOSPC for a full disk, EBUSY, EPROTO for a damaged file, ...). */
int sql_fail (store_sqlite_t *q, int rc, const char *what, cphub_error_t *err);

/* Writes: -1/EINVAL outside a batch; the first one opens the transaction. */
int sql_write_begin (store_sqlite_t *q, cphub_error_t *err);

/* A write inside the batch failed: remember it so that the commit fails;
 * -1 with err as sql_fail. */
int sql_batch_fail (store_sqlite_t *q, int rc, const char *what, cphub_error_t *err);

/* Copy a text column into buf ("" for NULL), truncated to len. */
void sql_text_column (sqlite3_stmt *stmt, int col, char *buf, size_t len);

/* Step a SELECT and call row for each row; the statement is reset at the
 * end. 0, or -1: row failed (and filled err), or the read failed (err
 * naming what was read). */
typedef int (*sql_row_f) (sqlite3_stmt *stmt, void *arg, cphub_error_t *err);
int sql_rows (store_sqlite_t *q,
              sqlite3_stmt *stmt,
              sql_row_f row,
              void *arg,
              const char *what,
              cphub_error_t *err);

/* Run SQL statements that return no rows: 0 or -1 with err. */
int sql_exec (store_sqlite_t *q, const char *sql, cphub_error_t *err);

/* Bring an open file's schema to the newest version in one transaction,
 * rewriting stored rows where a version changed their form; refuse a file
 * that is not a cphub store (EINVAL) or is newer than this program
 * (EPROTO). 0 or -1 with err (store_sqlite_schema.c). */
int store_sqlite_migrate (store_sqlite_t *q, cphub_error_t *err);

/* Fill job from the current row of a statement that selects id, the job
 * columns and spec (sql_job_row_clear frees what it holds, also after a
 * failure). 0 or -1 with err. */
int sql_job_from_row (store_sqlite_t *q,
                      sqlite3_stmt *stmt,
                      sched_job_t *job,
                      cphub_error_t *err);
void sql_job_row_clear (sched_job_t *job);
/* Where such a row has the plain fields a query tests before decoding. */
enum {
    SQL_JOB_COL_ID = 0,
    SQL_JOB_COL_TENANT = 1,
    SQL_JOB_COL_STATE = 2,
    SQL_JOB_COL_SUBMIT_TIME = 7,
    SQL_JOB_COL_END_TIME = 9,
    SQL_JOB_COL_ARRAY_ID = 22,
};

/* Queries of the stored jobs (store_sqlite_query.c). */
int sql_jobs_query (store_t *st,
                    const store_job_query_t *query,
                    store_job_f cb,
                    void *arg,
                    cphub_error_t *err);

int sql_jobs_expire (
    store_t *st, double before, size_t max, size_t *deleted, cphub_error_t *err);

/* The report's counts of the stored jobs (store_sqlite_query.c). */
int sql_jobs_count (
    store_t *st, const char *tenant, store_count_f cb, void *arg, cphub_error_t *err);
int sql_job_state (store_t *st, uint64_t id, job_state_t *state, cphub_error_t *err);

/* The records beside jobs and nodes (store_sqlite_records.c). */
int sql_identity_get (store_t *st, store_identity_t *out, cphub_error_t *err);
int sql_identity_set (store_t *st, const store_identity_t *id, cphub_error_t *err);
int sql_tenant_put (store_t *st, const store_tenant_t *t, cphub_error_t *err);
int sql_tenant_remove (store_t *st, const char *name, double when, cphub_error_t *err);
int sql_tenants_load (store_t *st, store_tenant_f cb, void *arg, cphub_error_t *err);
int sql_key_put (store_t *st, const store_key_t *k, cphub_error_t *err);
int sql_key_revoke (store_t *st,
                    const char *pubkey,
                    const char *tenant,
                    double when,
                    cphub_error_t *err);
int sql_keys_load (store_t *st, store_key_f cb, void *arg, cphub_error_t *err);
int sql_grant_append (store_t *st, const store_grant_t *g, cphub_error_t *err);
int sql_grants_load (store_t *st, store_grant_f cb, void *arg, cphub_error_t *err);

#endif
