/* store_sqlite_query.c: queries of the SQLite store's jobs, the history
 * included (store_job_query_t). SQL narrows the rows by what its indexes
 * serve (the id range, the tenant) and by the plain columns; every row is
 * then decoded and asked store_job_query_match(), the predicate the memory
 * store applies too, and the rows stop being read as soon as the limit is
 * reached, so a page costs its own rows, not the history's.
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>

#include "scheduler/store_sqlite_int.h"

int sql_jobs_query (store_t *st,
                    const store_job_query_t *query,
                    store_job_f cb,
                    void *arg,
                    cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    sqlite3_stmt *stmt = q->stmt[query->tenant ? ST_JOBS_QUERY_TENANT : ST_JOBS_QUERY];
    uint64_t after = query->after;
    size_t found = 0;
    int rc = SQLITE_DONE;

    /* one job, or an array whose elements come after its first id */
    if (query->id && query->id - 1 > after)
        after = query->id - 1;
    if (query->array_id && query->array_id - 1 > after)
        after = query->array_id - 1;
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)after);
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)query->id);
    sqlite3_bind_int64 (stmt, 3, (sqlite3_int64)query->array_id);
    sqlite3_bind_double (stmt, 4, query->until);
    sqlite3_bind_double (stmt, 5, query->since);
    if (query->tenant)
        sqlite3_bind_text (stmt, 6, query->tenant, -1, SQLITE_STATIC);
    while ((!query->limit || found < query->limit) &&
           (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        sched_job_t job;
        int failed = sql_job_from_row (q, stmt, &job, err);

        if (failed == 0 && store_job_query_match (query, &job)) {
            found++;
            if (cb (&job, arg) < 0) {
                failed = cphub_fail (err, errno, "store: query stopped at job %" PRIu64,
                                     job.id);
            }
        }
        int saved = errno;
        sql_job_row_clear (&job);
        if (failed < 0) {
            sqlite3_reset (stmt);
            sqlite3_clear_bindings (stmt);
            errno = saved;
            return -1;
        }
    }
    if (query->limit && found == query->limit)
        rc = SQLITE_DONE;
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    if (rc != SQLITE_DONE)
        return sql_fail (q, rc, "querying jobs", err);
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
