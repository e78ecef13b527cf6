/* test_store_migrate.c: the SQLite store reads a database written before it
 * had its own form of specs and nodes.
 *
 * tests/fixtures/store-v4.sql is a store of schema version 4 (specs and
 * nodes as wire-protocol bodies), made by a small program that wrote it
 * through store.h (store_sqlite_create, job_put, node_put, acct_append,
 * grant_append, tenant_put, key_put, key_revoke, identity_set) and dumped
 * with `sqlite3 FILE .dump` (the application_id line added by hand: .dump
 * leaves it out). Each test loads it into a new file with sqlite3_exec,
 * opens it with the store and checks what it reads back: every job field
 * (spec, state, allocation, other nodes), the nodes, the accounting, the
 * ledger, tenants, keys and identity; the file is then at the newest
 * schema, and reopening changes nothing. A bad row refuses the open with an
 * error naming its job, and leaves the file as it was.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cphub/constraint.h"
#include "cphub/idset.h"
#include "cphub/jobspec.h"
#include "scheduler/store.h"
#include "scheduler/store_sqlite_int.h"

#define FIXTURE "tests/fixtures/store-v4.sql"
#define FIXTURE_JOBS 6
#define TEXT_MAX 256

static char dir[64];
static char path[128];
static store_t *st;

/* The source tree: $CPHUB_SRCDIR, else two levels above this file. */
static void fixture_path (char *buf, size_t len)
{
    const char *env = getenv ("CPHUB_SRCDIR");
    const char *file = __FILE__;
    const char *suffix = "tests/unit/test_store_migrate.c";
    size_t flen = strlen (file), slen = strlen (suffix);

    if (env && env[0]) {
        snprintf (buf, len, "%s/%s", env, FIXTURE);
        return;
    }
    cr_assert_geq (flen, slen, "cannot find the source dir from %s", file);
    snprintf (buf, len, "%.*s%s", (int)(flen - slen), file, FIXTURE);
}

/* Run sql on the file (not through the store). */
static void file_exec (const char *sql)
{
    sqlite3 *db = NULL;
    char *msg = NULL;

    cr_assert_eq (sqlite3_open (path, &db), SQLITE_OK);
    cr_assert_eq (sqlite3_exec (db, sql, NULL, NULL, &msg), SQLITE_OK, "%s",
                  msg ? msg : "?");
    sqlite3_close (db);
}

/* The first column of the first row of sql, as text. */
static void file_query (const char *sql, char *out, size_t len)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;

    cr_assert_eq (sqlite3_open (path, &db), SQLITE_OK);
    cr_assert_eq (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), SQLITE_OK, "%s",
                  sqlite3_errmsg (db));
    out[0] = '\0';
    if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0))
        snprintf (out, len, "%s", (const char *)sqlite3_column_text (stmt, 0));
    sqlite3_finalize (stmt);
    sqlite3_close (db);
}

static void setup (void)
{
    char fixture[512];
    char *sql;
    FILE *f;
    long n;

    snprintf (dir, sizeof (dir), "/tmp/cphub-store-migrate.XXXXXX");
    cr_assert_not_null (mkdtemp (dir));
    snprintf (path, sizeof (path), "%s/cphub.db", dir);
    st = NULL;
    fixture_path (fixture, sizeof (fixture));
    cr_assert_not_null (f = fopen (fixture, "r"), "%s: %s", fixture, strerror (errno));
    cr_assert_eq (fseek (f, 0, SEEK_END), 0);
    cr_assert_gt (n = ftell (f), 0);
    rewind (f);
    cr_assert_not_null (sql = calloc (1, (size_t)n + 1));
    cr_assert_eq (fread (sql, 1, (size_t)n, f), (size_t)n);
    fclose (f);
    file_exec (sql);
    free (sql);
}

static void teardown (void)
{
    char cmd[160];

    store_destroy (st);
    st = NULL;
    snprintf (cmd, sizeof (cmd), "rm -rf '%s'", dir);
    cr_assert_eq (system (cmd), 0);
}

TestSuite (store_migrate, .init = setup, .fini = teardown);

static void open_store (void)
{
    cphub_error_t err = {{0}};

    store_destroy (st);
    st = store_sqlite_create (path, STORE_SYNC_FULL, &err);
    cr_assert_not_null (st, "%s", err.text);
}

static void set_is (const idset_t *set, const char *want, uint64_t id, const char *what)
{
    char text[TEXT_MAX] = "";

    if (set)
        cr_assert_eq (idset_encode (set, text, sizeof (text)), 0);
    cr_assert_str_eq (text, want, "job %ju: %s", (uintmax_t)id, what);
}

/* Jobs as the fixture program wrote them. */
static void job_1 (const sched_job_t *j)
{
    cr_assert_eq (j->state, JOB_COMPLETED);
    cr_assert_str_eq (j->tenant, "alice");
    cr_assert_eq (j->spec.ntasks, 2);
    cr_assert_eq (j->spec.cpus_per_task, 2);
    cr_assert_eq (j->spec.mem, 1u << 30);
    cr_assert_eq (j->spec.walltime, 600);
    cr_assert_str_eq (j->spec.name, "nap");
    cr_assert_eq (j->spec.argc, 2);
    cr_assert_str_eq (j->spec.argv[0], "sleep");
    cr_assert_str_eq (j->spec.argv[1], "1");
    cr_assert_null (j->spec.argv[2]);
    cr_assert_null (j->spec.script);
    cr_assert (j->spec.no_requeue);
    cr_assert_str_eq (j->reason, "done");
    cr_assert_eq (j->exit_code, 3);
    cr_assert_eq (j->walltime, 600);
    cr_assert_eq (j->submit_time, 1700000001.0);
    cr_assert_eq (j->start_time, 1700000100.5);
    cr_assert_eq (j->end_time, 1700000200.25);
    cr_assert_eq (j->cpu_time, 12.5);
    cr_assert_eq (j->max_rss, 123456789);
    cr_assert_str_eq (j->alloc.node, "n1");
    set_is (j->alloc.cores, "0-3", j->id, "cores");
    set_is (j->alloc.cpus, "0-3,32-35", j->id, "cpus");
    set_is (j->alloc.gpus, "", j->id, "gpus");
    set_is (j->alloc.mems, "0", j->id, "mems");
    cr_assert_eq (j->alloc.mem, 1u << 30);
    cr_assert_eq (j->runs, 2);
    cr_assert_eq (j->requeues, 1);
    cr_assert_eq (j->eligible_time, 1700000090.0);
    cr_assert_eq (j->boost, 1.5);
}

static void job_2 (const sched_job_t *j)
{
    cr_assert_eq (j->state, JOB_RUNNING);
    cr_assert_str_eq (j->tenant, "bob");
    cr_assert_eq (j->spec.argc, 0);
    cr_assert_str_eq (j->spec.script, "#!/bin/sh\n#CPHUB -n 1\necho hi\n");
    cr_assert_eq (j->spec.gpus, 1);
    cr_assert_eq (j->start_time, 1700000300.0);
    set_is (j->alloc.cores, "4", j->id, "cores");
    set_is (j->alloc.cpus, "4,36", j->id, "cpus");
    set_is (j->alloc.gpus, "0", j->id, "gpus");
    cr_assert_eq (j->alloc.mem, 4096);
    cr_assert (j->kill_sent);
    cr_assert_eq (j->runs, 1);
}

static void job_array (const sched_job_t *j)
{
    cr_assert_eq (j->state, JOB_PENDING);
    cr_assert_str_eq (j->spec.argv[1], "\xc3\xa9lan \"q\"", "UTF-8 and quotes kept");
    char text[64];

    cr_assert_not_null (j->spec.array);
    jobspec_array_format (j->spec.array, text, sizeof (text));
    cr_assert_str_eq (text, "3-4%1");
    cr_assert_eq (j->array_id, 3);
    cr_assert_eq (j->array_index, j->id);
    cr_assert_str_eq (j->reason, "Throttle");
    cr_assert_null (j->alloc.cores);
    cr_assert_str_eq (j->alloc.node, "");
}

static void job_5 (const sched_job_t *j)
{
    cr_assert_eq (j->state, JOB_PENDING);
    char text[64];

    cr_assert_not_null (j->spec.after);
    jobspec_after_format (j->spec.after, text, sizeof (text));
    cr_assert_str_eq (text, "ok:1,any:2");
    cr_assert_str_eq (constraint_text (j->spec.constraint), "fast&(ib|eth)");
    cr_assert_null (j->spec.array);
    cr_assert_str_eq (j->reason, "Dependency");
}

static void job_6 (const sched_job_t *j)
{
    cr_assert_eq (j->state, JOB_RUNNING);
    cr_assert_str_eq (j->tenant, "carol");
    cr_assert_eq (j->spec.ntasks, 4);
    cr_assert_eq (j->spec.nodes, 2);
    cr_assert (j->spec.exclusive);
    cr_assert_str_eq (j->alloc.node, "n1");
    set_is (j->alloc.cores, "5-6", j->id, "cores");
    set_is (j->alloc.cpus, "5-6,37-38", j->id, "cpus");
    cr_assert_eq (j->nothers, 1);
    cr_assert_str_eq (j->others[0].node, "n2");
    set_is (j->others[0].cores, "0-1", j->id, "other cores");
    set_is (j->others[0].cpus, "0-1", j->id, "other cpus");
    set_is (j->others[0].mems, "0", j->id, "other mems");
    cr_assert_eq (j->others[0].mem, 2048);
}

static void (*const job_checks[FIXTURE_JOBS + 1]) (const sched_job_t *) = {
    [1] = job_1,     [2] = job_2, [3] = job_array,
    [4] = job_array, [5] = job_5, [6] = job_6,
};

static int job_cb (const sched_job_t *job, void *arg)
{
    int *seen = arg;

    cr_assert_eq (job->id, (uint64_t)*seen + 1, "jobs in id order");
    job_checks[job->id](job);
    (*seen)++;
    return 0;
}

static int node_cb (const store_node_t *node, void *arg)
{
    int *seen = arg;
    const node_desc_t *d = node->desc;

    cr_assert_str_eq (d->name, *seen == 0 ? "n1" : "n2");
    cr_assert_eq (node->state, *seen == 0 ? NODE_DOWN : NODE_DRAIN);
    cr_assert_str_eq (node->reason, *seen == 0 ? "" : "bad fan");
    cr_assert_eq (d->npackages, 1);
    cr_assert_eq (d->nnuma, 2);
    cr_assert_eq (d->numa_mem[0], 1ull << 34);
    cr_assert_eq (d->numa_mem[1], 1ull << 33);
    cr_assert_eq (d->ncores, 8);
    cr_assert_str_eq (d->cores[7].pus, "7,39");
    cr_assert_eq (d->cores[7].numa, 1);
    cr_assert_eq (d->cores[7].l3, 1);
    cr_assert_eq (d->ngpus, 1);
    cr_assert_str_eq (d->gpus[0].name, "cuda0");
    cr_assert_eq (d->gpus[0].numa, 1);
    cr_assert_eq (d->mem, (1ull << 34) + (1ull << 33));
    cr_assert_str_eq (d->features, "fast,ib");
    cr_assert_str_eq (d->topology, "synthetic:package:1 core:8 pu:2");
    cr_assert (d->binding);
    cr_assert_str_eq (d->isolation, "none: cgroups unavailable");
    cr_assert_eq (d->njobs, 0);
    (*seen)++;
    return 0;
}

static int acct_cb (const store_acct_t *r, void *arg)
{
    int *seen = arg;

    cr_assert_eq (r->job_id, 1);
    cr_assert_eq (r->run, (uint32_t)*seen + 1);
    cr_assert_str_eq (r->tenant, "alice");
    cr_assert_str_eq (r->node, *seen == 0 ? "n2" : "n1");
    cr_assert_eq (r->state, *seen == 0 ? JOB_NODE_FAIL : JOB_COMPLETED);
    cr_assert_eq (r->failed_run, *seen == 0);
    cr_assert_eq (r->core_seconds, *seen == 0 ? 120.0 : 399.0);
    cr_assert_eq (r->gpu_seconds, *seen == 0 ? 0.0 : 99.75);
    cr_assert_eq (r->start_time, *seen == 0 ? 1700000050.0 : 1700000100.5);
    (*seen)++;
    return 0;
}

static int grant_cb (const store_grant_t *g, void *arg)
{
    int *seen = arg;

    cr_assert_str_eq (g->tenant, *seen == 0 ? "alice" : "bob");
    cr_assert_eq (g->set, *seen == 1);
    cr_assert_eq (g->hours, *seen == 0 ? 100.0 : 50.0);
    cr_assert_str_eq (g->reason, *seen == 0 ? "welcome" : "");
    cr_assert_str_eq (g->by, *seen == 0 ? "root" : "ops");
    (*seen)++;
    return 0;
}

static int tenant_cb (const store_tenant_t *t, void *arg)
{
    int *seen = arg;

    cr_assert_str_eq (t->name, *seen == 0 ? "carol" : "dave");
    cr_assert_eq (t->removed, *seen == 1);
    cr_assert_eq (t->shares, *seen == 0 ? 2.0 : 1.0);
    (*seen)++;
    return 0;
}

static int key_cb (const store_key_t *k, void *arg)
{
    int *seen = arg;

    cr_assert_str_eq (k->tenant, *seen == 0 ? "carol" : "alice");
    cr_assert_eq (k->revoked, *seen == 1);
    cr_assert_eq (k->added, *seen == 0 ? 1700000008.0 : 0.0);
    (*seen)++;
    return 0;
}

/* Everything the fixture holds, read back through the store. */
static void check_all (void)
{
    cphub_error_t err = {{0}};
    store_identity_t id;
    uint64_t next = 0;
    int jobs = 0, nodes = 0, accts = 0, grants = 0, tenants = 0, keys = 0;

    cr_assert_eq (store_jobs_load (st, job_cb, &jobs, &err), 0, "%s", err.text);
    cr_assert_eq (jobs, FIXTURE_JOBS);
    cr_assert_eq (store_nodes_load (st, node_cb, &nodes, &err), 0, "%s", err.text);
    cr_assert_eq (nodes, 2);
    cr_assert_eq (store_acct_foreach (st, acct_cb, &accts, &err), 0, "%s", err.text);
    cr_assert_eq (accts, 2);
    cr_assert_eq (store_grants_load (st, grant_cb, &grants, &err), 0, "%s", err.text);
    cr_assert_eq (grants, 2);
    cr_assert_eq (store_tenants_load (st, tenant_cb, &tenants, &err), 0, "%s",
                  err.text);
    cr_assert_eq (tenants, 2);
    cr_assert_eq (store_keys_load (st, key_cb, &keys, &err), 0, "%s", err.text);
    cr_assert_eq (keys, 2);
    cr_assert_eq (store_identity_get (st, &id, &err), 0, "%s", err.text);
    cr_assert_str_eq (id.hub_id, "00112233445566778899aabbccddeeff");
    cr_assert_eq (id.created, 1700000000.0);
    cr_assert_eq (store_next_id_get (st, &next, &err), 0, "%s", err.text);
    cr_assert_eq (next, 7);
}

Test (store_migrate, version_4_reads_back_whole_at_the_newest_schema)
{
    char version[32], old[32];

    file_query ("SELECT value FROM meta WHERE key = 'schema_version'", version,
                sizeof (version));
    cr_assert_str_eq (version, "4", "the fixture is of version 4");
    open_store ();
    check_all ();
    file_query ("SELECT value FROM meta WHERE key = 'schema_version'", version,
                sizeof (version));
    cr_assert_eq (atoi (version), STORE_SQLITE_SCHEMA_VERSION);
    file_query (
        "SELECT count(*) FROM jobs WHERE spec LIKE '%\"v\":%'"
        " OR spec LIKE '%\"ntasks\":%'",
        old, sizeof (old));
    cr_assert_str_eq (old, "0", "no spec is left in the wire's form");
    file_query ("SELECT count(*) FROM nodes WHERE desc LIKE '%\"v\":%'", old,
                sizeof (old));
    cr_assert_str_eq (old, "0", "no node is left in the wire's form");
}

Test (store_migrate, reopening_is_idempotent)
{
    char before[4096], after[4096];
    const char *rows =
        "SELECT group_concat (spec, '|') FROM (SELECT spec FROM jobs"
        " UNION ALL SELECT desc FROM nodes)";

    open_store ();
    file_query (rows, before, sizeof (before));
    open_store ();
    check_all ();
    open_store ();
    check_all ();
    file_query (rows, after, sizeof (after));
    cr_assert_str_eq (after, before);
}

Test (store_migrate, a_bad_row_names_its_job_and_changes_nothing)
{
    cphub_error_t err = {{0}};
    char version[32];

    file_exec (
        "UPDATE jobs SET spec = replace (spec, '\"ntasks\":1,', '\"ntasks\":0,')"
        " WHERE id = 5");
    st = store_sqlite_create (path, STORE_SYNC_FULL, &err);
    cr_assert_null (st);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, "job 5"), "%s", err.text);
    cr_assert (strstr (err.text, "tasks"), "%s", err.text);
    file_query ("SELECT value FROM meta WHERE key = 'schema_version'", version,
                sizeof (version));
    cr_assert_str_eq (version, "4", "the migration was rolled back");
}

Test (store_migrate, an_unknown_old_field_is_refused)
{
    cphub_error_t err = {{0}};

    file_exec (
        "UPDATE nodes SET desc = replace (desc, '\"binding\"', '\"bound\"')"
        " WHERE name = 'n2'");
    st = store_sqlite_create (path, STORE_SYNC_FULL, &err);
    cr_assert_null (st);
    cr_assert (strstr (err.text, "node n2"), "%s", err.text);
    cr_assert (strstr (err.text, "bound"), "%s", err.text);
}
