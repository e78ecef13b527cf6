/* store_sqlite_query.c: queries of the SQLite store's jobs, the history
 * included (store_job_query_t). SQL reads the rows of the query's id range
 * through what its indexes serve (the primary key, jobs_tenant), and
 * nothing else: a filter on another column would have SQLite step over
 * rows unseen and uncounted (but for an unbounded query of the jobs active
 * since a time, a restart's, read through the indexes jobs_active and
 * jobs_ended). Each row read is counted against the query's
 * scan, its plain columns tested first and only a row that passes decoded
 * and asked store_job_query_match(), the predicate the memory store applies
 * too; the rows stop being read at the limit or the scan, so a page costs
 * its own rows, never the history's. The report's counts of the jobs read
 * the index jobs_tenant_state alone, never a row.
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>

#include "scheduler/store_sqlite_int.h"

/* Bytes of stored specs one page (a query with a next) decodes at most:
 * the scan counts rows, and a row's spec may be a script of megabytes, so
 * a filter that matches nothing over a tenant's large scripts would
 * otherwise cost the loop the scan times the largest script. */
#define SQL_QUERY_DECODE_BYTES_MAX (16u * 1024 * 1024)

/* The plain fields of the current row, for store_job_query_match_plain():
 * false when its state is none (the decoding then says why). */
static bool sql_job_plain (sqlite3_stmt *stmt, sched_job_t *job)
{
    const char *state = (const char *)sqlite3_column_text (stmt, SQL_JOB_COL_STATE);

    job->id = (uint64_t)sqlite3_column_int64 (stmt, SQL_JOB_COL_ID);
    sql_text_column (stmt, SQL_JOB_COL_TENANT, job->tenant, sizeof (job->tenant));
    job->submit_time = sqlite3_column_double (stmt, SQL_JOB_COL_SUBMIT_TIME);
    job->end_time = sqlite3_column_double (stmt, SQL_JOB_COL_END_TIME);
    job->array_id = (uint64_t)sqlite3_column_int64 (stmt, SQL_JOB_COL_ARRAY_ID);
    return state && job_state_parse (state, &job->state) == 0;
}

/* One row read: tested, decoded if it may match, given to cb if it does;
 * *found counts the matches, *decoded the bytes of the specs decoded. 0, or
 * -1 with err. */
static int sql_query_row (store_sqlite_t *q,
                          sqlite3_stmt *stmt,
                          const store_job_query_t *query,
                          store_job_f cb,
                          void *arg,
                          size_t *found,
                          size_t *decoded,
                          cphub_error_t *err)
{
    sched_job_t job = {.id = 0};
    int failed = 0;

    if (sql_job_plain (stmt, &job) && !store_job_query_match_plain (query, &job))
        return 0;
    /* the spec is the statement's last column */
    *decoded += (size_t)sqlite3_column_bytes (stmt, sqlite3_column_count (stmt) - 1);
    if ((failed = sql_job_from_row (q, stmt, &job, err)) == 0 &&
        store_job_query_match (query, &job)) {
        (*found)++;
        if (cb (&job, arg) < 0)
            failed =
                cphub_fail (err, errno, "store: query stopped at job %" PRIu64, job.id);
    }
    int saved = errno;
    sql_job_row_clear (&job);
    errno = saved;
    return failed;
}

int sql_jobs_query (store_t *st,
                    const store_job_query_t *query,
                    store_job_f cb,
                    void *arg,
                    cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    /* a query of what is active since a time, unbounded (a restart's),
     * reads through the indexes of active and ended jobs: its rows are all
     * read anyway, none is left uncounted against a scan */
    bool since = !query->tenant && query->since > 0 && !query->scan;
    sqlite3_stmt *stmt = q->stmt[query->tenant ? ST_JOBS_QUERY_TENANT
                                 : since       ? ST_JOBS_QUERY_SINCE
                                               : ST_JOBS_QUERY];
    uint64_t after, last, last_read = 0;
    size_t found = 0, read = 0, decoded = 0;
    bool cut = false; /* a paged query spent its decoding budget */
    int rc = SQLITE_DONE;

    if (query->next)
        *query->next = 0;
    store_job_query_ids (query, &after, &last);
    if (after >= (uint64_t)INT64_MAX || after >= last)
        return 0; /* no id SQLite can hold is in the range */
    if (last > (uint64_t)INT64_MAX)
        last = (uint64_t)INT64_MAX;
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)after);
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)last);
    if (query->tenant)
        sqlite3_bind_text (stmt, 3, query->tenant, -1, SQLITE_STATIC);
    else if (since)
        sqlite3_bind_double (stmt, 3, query->since);
    while ((!query->limit || found < query->limit) &&
           (!query->scan || read < query->scan) &&
           (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        read++;
        last_read = (uint64_t)sqlite3_column_int64 (stmt, SQL_JOB_COL_ID);
        if (sql_query_row (q, stmt, query, cb, arg, &found, &decoded, err) < 0) {
            int saved = errno;
            if (query->decoded)
                *query->decoded += decoded;
            sqlite3_reset (stmt);
            sqlite3_clear_bindings (stmt);
            errno = saved;
            return -1;
        }
        if (query->next && decoded >= SQL_QUERY_DECODE_BYTES_MAX) {
            cut = true;
            break;
        }
    }
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    if (query->decoded)
        *query->decoded += decoded;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return sql_fail (q, rc, "querying jobs", err);
    if (query->next && (cut || (query->limit && found == query->limit) ||
                        (query->scan && read == query->scan)))
        *query->next = last_read;
    return 0;
}

int sql_jobs_expire (
    store_t *st, double before, size_t max, size_t *deleted, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sql_value_t vals[] = {SQL_REAL (before), SQL_INT (max)};
    int rc;

    *deleted = 0;
    if (sql_write_begin (q, err) < 0)
        return -1;
    if ((rc = sql_run (q->stmt[ST_JOBS_EXPIRE_TRANSITIONS], vals, 2)) != SQLITE_OK)
        return sql_batch_fail (q, rc, "expiring job transitions", err);
    if ((rc = sql_run (q->stmt[ST_JOBS_EXPIRE], vals, 2)) != SQLITE_OK)
        return sql_batch_fail (q, rc, "expiring jobs", err);
    *deleted = (size_t)sqlite3_changes (q->db);
    return 0;
}

typedef struct count_scan {
    store_count_f cb;
    void *arg;
} count_scan_t;

static int count_row (sqlite3_stmt *stmt, void *arg, cphub_error_t *err)
{
    count_scan_t *scan = arg;
    const char *state = (const char *)sqlite3_column_text (stmt, 1);
    store_job_count_t c = {.tenant = (const char *)sqlite3_column_text (stmt, 0)};

    if (!c.tenant || !state || job_state_parse (state, &c.state) < 0)
        return cphub_fail (err, EPROTO, "store: a job in state '%s'",
                           state ? state : "");
    c.count = (uint64_t)sqlite3_column_int64 (stmt, 2);
    if (scan->cb (&c, scan->arg) < 0)
        return cphub_fail (err, errno, "store: counting jobs stopped");
    return 0;
}

int sql_jobs_count (
    store_t *st, const char *tenant, store_count_f cb, void *arg, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[tenant ? ST_JOBS_COUNT_TENANT : ST_JOBS_COUNT];
    count_scan_t scan = {.cb = cb, .arg = arg};
    int rc;

    if (tenant)
        sqlite3_bind_text (stmt, 1, tenant, -1, SQLITE_STATIC);
    rc = sql_rows (q, stmt, count_row, &scan, "counting jobs", err);
    int saved = errno;
    sqlite3_clear_bindings (stmt);
    errno = saved;
    return rc;
}

int sql_job_state (store_t *st, uint64_t id, job_state_t *state, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[ST_JOB_STATE];
    const char *text;
    int rc, failed = 0;

    if (id > (uint64_t)INT64_MAX)
        return cphub_fail (err, ENOENT, "store: no job %" PRIu64, id);
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)id);
    if ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        text = (const char *)sqlite3_column_text (stmt, 0);
        if (!text || job_state_parse (text, state) < 0)
            failed = cphub_fail (err, EPROTO, "store: job %" PRIu64 " in state '%s'",
                                 id, text ? text : "");
    } else if (rc == SQLITE_DONE)
        failed = cphub_fail (err, ENOENT, "store: no job %" PRIu64, id);
    else
        failed = sql_fail (q, rc, "reading a job's state", err);
    int saved = errno;
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    errno = saved;
    return failed;
}
