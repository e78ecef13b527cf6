/* store_sqlite_records.c: the records of the SQLite store beside the jobs
 * and nodes: the hub's identity (made once), and what operators change at
 * run time: tenants (a removed one stays, so that its name is not
 * given again), tenant keys (added ones and the revocation of any key, the
 * config's included) and the budget ledger (grants and sets, in order; the
 * charges are the accounting rows). Writes go into the batch of
 * store_sqlite.c like every other write (store_sqlite_int.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scheduler/store_sqlite_int.h"

#include "cphub/limits.h"

/* Bytes of a name in an error text. */
#define RECORD_WHAT_MAX 96

/* Run stmt with vals inside the batch; a failure poisons it. */
static int record_write (store_sqlite_t *q,
                         int st,
                         const sql_value_t *vals,
                         int n,
                         const char *what,
                         cphub_error_t *err)
{
    int rc;

    if (sql_write_begin (q, err) < 0)
        return -1;
    if ((rc = sql_run (q->stmt[st], vals, n)) != SQLITE_OK)
        return sql_batch_fail (q, rc, what, err);
    return 0;
}

int sql_tenant_put (store_t *st, const store_tenant_t *t, cphub_error_t *err)
{
    char what[RECORD_WHAT_MAX];
    const sql_value_t vals[] = {SQL_TEXT (t->name), SQL_REAL (t->shares),
                                SQL_REAL (t->created), SQL_INT (t->removed ? 1 : 0),
                                SQL_REAL (t->removed_time)};

    snprintf (what, sizeof (what), "storing tenant %.63s", t->name);
    return record_write (sql_of (st), ST_TENANT_PUT, vals, 5, what, err);
}

int sql_tenant_remove (store_t *st, const char *name, double when, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    char what[RECORD_WHAT_MAX];
    const sql_value_t vals[] = {SQL_TEXT (name), SQL_REAL (when)};

    snprintf (what, sizeof (what), "removing tenant %.63s", name);
    if (record_write (q, ST_TENANT_REMOVE, vals, 2, what, err) < 0)
        return -1;
    if (sqlite3_changes (q->db) == 0)
        return cphub_fail (err, ENOENT, "store: no tenant %s to remove", name);
    return 0;
}

/* The caller's callback of a load, and its argument. */
typedef struct record_scan {
    union {
        store_tenant_f tenant;
        store_key_f key;
        store_grant_f grant;
    } cb;
    void *arg;
} record_scan_t;

static int tenant_row (sqlite3_stmt *stmt, void *arg, cphub_error_t *err)
{
    record_scan_t *scan = arg;
    char name[TENANT_NAME_MAX + 1];
    store_tenant_t t = {.name = name};

    sql_text_column (stmt, 0, name, sizeof (name));
    t.shares = sqlite3_column_double (stmt, 1);
    t.created = sqlite3_column_double (stmt, 2);
    t.removed = sqlite3_column_int (stmt, 3) != 0;
    t.removed_time = sqlite3_column_double (stmt, 4);
    if (scan->cb.tenant (&t, scan->arg) < 0)
        return cphub_fail (err, errno, "store: loading tenant %s stopped", name);
    return 0;
}

int sql_tenants_load (store_t *st, store_tenant_f cb, void *arg, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    record_scan_t scan = {.cb.tenant = cb, .arg = arg};

    return sql_rows (q, q->stmt[ST_TENANTS_LOAD], tenant_row, &scan, "reading tenants",
                     err);
}

int sql_key_put (store_t *st, const store_key_t *k, cphub_error_t *err)
{
    const sql_value_t vals[] = {SQL_TEXT (k->pubkey), SQL_TEXT (k->tenant),
                                SQL_REAL (k->added), SQL_INT (k->revoked ? 1 : 0),
                                SQL_REAL (k->revoked_time)};

    return record_write (sql_of (st), ST_KEY_PUT, vals, 5, "storing a tenant key", err);
}

int sql_key_revoke (store_t *st,
                    const char *pubkey,
                    const char *tenant,
                    double when,
                    cphub_error_t *err)
{
    const sql_value_t vals[] = {SQL_TEXT (pubkey), SQL_TEXT (tenant), SQL_REAL (when)};

    return record_write (sql_of (st), ST_KEY_REVOKE, vals, 3, "revoking a tenant key",
                         err);
}

static int key_row (sqlite3_stmt *stmt, void *arg, cphub_error_t *err)
{
    record_scan_t *scan = arg;
    char pubkey[64], tenant[TENANT_NAME_MAX + 1];
    store_key_t k = {.pubkey = pubkey, .tenant = tenant};

    sql_text_column (stmt, 0, pubkey, sizeof (pubkey));
    sql_text_column (stmt, 1, tenant, sizeof (tenant));
    k.added = sqlite3_column_double (stmt, 2);
    k.revoked = sqlite3_column_int (stmt, 3) != 0;
    k.revoked_time = sqlite3_column_double (stmt, 4);
    if (scan->cb.key (&k, scan->arg) < 0)
        return cphub_fail (err, errno, "store: loading keys stopped");
    return 0;
}

int sql_keys_load (store_t *st, store_key_f cb, void *arg, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    record_scan_t scan = {.cb.key = cb, .arg = arg};

    return sql_rows (q, q->stmt[ST_KEYS_LOAD], key_row, &scan, "reading tenant keys",
                     err);
}

int sql_grant_append (store_t *st, const store_grant_t *g, cphub_error_t *err)
{
    char what[RECORD_WHAT_MAX];
    const sql_value_t vals[] = {
        SQL_REAL (g->time),  SQL_CHARS (g->tenant), SQL_TEXT (g->set ? "set" : "grant"),
        SQL_REAL (g->hours), SQL_CHARS (g->reason), SQL_CHARS (g->by)};

    snprintf (what, sizeof (what), "recording a budget %s for %.64s",
              g->set ? "set" : "grant", g->tenant);
    return record_write (sql_of (st), ST_GRANT_APPEND, vals, 6, what, err);
}

static int grant_row (sqlite3_stmt *stmt, void *arg, cphub_error_t *err)
{
    record_scan_t *scan = arg;
    const char *kind = (const char *)sqlite3_column_text (stmt, 2);
    store_grant_t g = {.time = sqlite3_column_double (stmt, 0)};

    sql_text_column (stmt, 1, g.tenant, sizeof (g.tenant));
    g.set = kind && strcmp (kind, "set") == 0;
    g.hours = sqlite3_column_double (stmt, 3);
    sql_text_column (stmt, 4, g.reason, sizeof (g.reason));
    sql_text_column (stmt, 5, g.by, sizeof (g.by));
    if (scan->cb.grant (&g, scan->arg) < 0)
        return cphub_fail (err, errno, "store: loading the budget ledger stopped");
    return 0;
}

int sql_grants_load (store_t *st, store_grant_f cb, void *arg, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    record_scan_t scan = {.cb.grant = cb, .arg = arg};

    return sql_rows (q, q->stmt[ST_GRANTS_LOAD], grant_row, &scan,
                     "reading the budget ledger", err);
}

/* --- the hub's identity ------------------------------------------------ */

int sql_identity_get (store_t *st, store_identity_t *out, cphub_error_t *err)
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

int sql_identity_set (store_t *st, const store_identity_t *id, cphub_error_t *err)
{
    store_sqlite_t *q = sql_of (st);
    store_identity_t have;
    const sql_value_t vals[] = {SQL_CHARS (id->hub_id), SQL_REAL (id->created)};

    if (sql_identity_get (st, &have, NULL) == 0)
        return cphub_fail (err, EEXIST, "store %s belongs to hub %s already", q->path,
                           have.hub_id);
    return record_write (q, ST_META_INSERT, vals, 2, "storing the hub identity", err);
}
