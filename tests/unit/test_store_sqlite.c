/* test_store_sqlite.c: what only the SQLite store does (the contract of
 * store.h, shared with every store, is test_store.c; reading a file of an
 * older schema is test_store_migrate.c): a batch not committed is lost when
 * the process dies, a run is never accounted twice, state changes leave
 * rows in job_transitions, a node's description must be valid and the jobs
 * it held are not kept, files that are not cphub stores or are of a newer
 * schema are refused, and an older store that has a past is given a hub
 * when it is migrated. The test reads tables with the sqlite3 command where
 * it needs to (skipped without it).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cphub/idset.h"
#include "cphub/jobspec.h"
#include "scheduler/store.h"

static char dir[64];
static char path[128];
static store_t *st;

static void reopen (void)
{
    cphub_error_t err = {{0}};

    store_destroy (st);
    st = store_sqlite_create (path, STORE_SYNC_FULL, &err);
    cr_assert_not_null (st, "%s", err.text);
}

static void setup (void)
{
    snprintf (dir, sizeof (dir), "/tmp/cphub-store-test.XXXXXX");
    cr_assert_not_null (mkdtemp (dir));
    snprintf (path, sizeof (path), "%s/cphub.db", dir);
    st = NULL;
    reopen ();
}

static void teardown (void)
{
    char cmd[160];

    store_destroy (st);
    st = NULL;
    snprintf (cmd, sizeof (cmd), "rm -rf '%s'", dir);
    cr_assert_eq (system (cmd), 0);
}

TestSuite (store_sqlite, .init = setup, .fini = teardown);

/* --- helpers ---------------------------------------------------------------- */

static idset_t *ids (const char *text)
{
    cphub_error_t err = {{0}};
    idset_t *s = idset_decode (text, &err);

    cr_assert_not_null (s, "'%s': %s", text, err.text);
    return s;
}

static void job_make (sched_job_t *job, uint64_t id, job_state_t state)
{
    char *argv[] = {"sh", "-c", "echo \"hi\" $1", NULL};
    cphub_error_t err = {{0}};

    memset (job, 0, sizeof (*job));
    jobspec_init (&job->spec);
    cr_assert_eq (jobspec_set_argv (&job->spec, 3, argv, &err), 0, "%s", err.text);
    job->spec.ntasks = 2;
    job->spec.cpus_per_task = 2;
    job->spec.mem = 1ULL << 30;
    snprintf (job->spec.name, sizeof (job->spec.name), "job%ju", (uintmax_t)id);
    job->id = id;
    snprintf (job->tenant, sizeof (job->tenant), "tenant-a");
    job->state = state;
    job->walltime = 3600;
    job->submit_time = 1000.25 + (double)id;
    if (state != JOB_PENDING) {
        job->start_time = 2000.5;
        snprintf (job->alloc.node, sizeof (job->alloc.node), "node1");
        job->alloc.cores = ids ("0-3");
        job->alloc.cpus = ids ("0-3,8-11");
        job->alloc.gpus = ids ("1");
        job->alloc.mems = ids ("0");
        job->alloc.mem = 1ULL << 30;
        job->runs = 1;
    }
}

static void job_free (sched_job_t *job)
{
    sched_allocs_free (job->others, job->nothers);
    jobspec_clear (&job->spec);
    idset_destroy (job->alloc.cores);
    idset_destroy (job->alloc.cpus);
    idset_destroy (job->alloc.gpus);
    idset_destroy (job->alloc.mems);
}

static void begin (void)
{
    cphub_error_t err = {{0}};
    cr_assert_eq (store_begin (st, &err), 0, "%s", err.text);
}

static void commit (void)
{
    cphub_error_t err = {{0}};
    cr_assert_eq (store_commit (st, &err), 0, "%s", err.text);
}

static void put (const sched_job_t *job)
{
    cphub_error_t err = {{0}};
    cr_assert_eq (store_job_put (st, job, &err), 0, "%s", err.text);
}

#define LOADED_MAX 64

typedef struct loaded {
    int count;
    sched_job_t jobs[LOADED_MAX]; /* copies of the scalar fields */
    char text[LOADED_MAX][256];   /* "name argv cores cpus gpus mems" */
    char others[LOADED_MAX][128]; /* sched_allocs_encode of the other nodes */
} loaded_t;

static void set_text (const idset_t *s, char *buf, size_t len)
{
    if (!s)
        snprintf (buf, len, "-");
    else
        cr_assert_eq (idset_encode (s, buf, len), 0);
}

static int load_cb (const sched_job_t *job, void *arg)
{
    loaded_t *l = arg;
    char cores[32], cpus[32], gpus[32], mems[32];

    cr_assert_lt (l->count, LOADED_MAX);
    set_text (job->alloc.cores, cores, sizeof (cores));
    set_text (job->alloc.cpus, cpus, sizeof (cpus));
    set_text (job->alloc.gpus, gpus, sizeof (gpus));
    set_text (job->alloc.mems, mems, sizeof (mems));
    l->jobs[l->count] = *job;
    int n = snprintf (
        l->text[l->count], sizeof (l->text[0]), "%s %d:%s|%s|%s %s %s %s %s",
        job->spec.name, job->spec.argc, job->spec.argc > 0 ? job->spec.argv[0] : "",
        job->spec.argc > 2 ? job->spec.argv[2] : "",
        job->spec.script ? job->spec.script : "", cores, cpus, gpus, mems);
    cr_assert_lt (n, (int)sizeof (l->text[0]));
    char *others = sched_allocs_encode (job->others, job->nothers);
    cr_assert_not_null (others);
    snprintf (l->others[l->count], sizeof (l->others[0]), "%s", others);
    free (others);
    l->count++;
    return 0;
}

static loaded_t *load (void)
{
    static loaded_t l;
    cphub_error_t err = {{0}};

    memset (&l, 0, sizeof (l));
    cr_assert_eq (store_jobs_load (st, load_cb, &l, &err), 0, "%s", err.text);
    return &l;
}

/* The first line sqlite3 prints for sql, or skip the test without it. */
static void query (const char *sql, char *out, size_t len)
{
    char cmd[1024];
    FILE *p;

    if (system ("command -v sqlite3 >/dev/null 2>&1") != 0)
        cr_skip_test ("the sqlite3 command is not installed");
    snprintf (cmd, sizeof (cmd), "sqlite3 '%s' \"%s\"", path, sql);
    cr_assert_not_null (p = popen (cmd, "r"));
    out[0] = '\0';
    if (fgets (out, (int)len, p))
        out[strcspn (out, "\n")] = '\0';
    cr_assert_eq (pclose (p), 0, "sqlite3 failed on: %s", sql);
}

/* --- tests ------------------------------------------------------------------ */

Test (store_sqlite, name_and_empty_store)
{
    cphub_error_t err = {{0}};
    uint64_t next = 0;

    cr_assert_str_eq (st->ops->name, "sqlite");
    cr_assert_eq (load ()->count, 0);
    cr_assert_eq (store_next_id_get (st, &next, &err), 0, "%s", err.text);
    cr_assert_eq (next, 1);
    store_destroy (NULL);
}

Test (store_sqlite, update_changes_state_and_records_transitions)
{
    sched_job_t job;
    char out[256];

    job_make (&job, 1, JOB_PENDING);
    begin ();
    put (&job);
    commit ();
    job_free (&job);
    job_make (&job, 1, JOB_RUNNING);
    begin ();
    put (&job);
    put (&job); /* same state again: no new transition */
    commit ();
    job.state = JOB_COMPLETED;
    job.end_time = 2010.0;
    job.exit_code = 0;
    begin ();
    put (&job);
    commit ();
    reopen ();
    loaded_t *l = load ();
    cr_assert_eq (l->count, 1);
    cr_assert_eq (l->jobs[0].state, JOB_COMPLETED);
    cr_assert_float_eq (l->jobs[0].end_time, 2010.0, 1e-9);
    cr_assert_str_eq (l->text[0], "job1 3:sh|echo \"hi\" $1| 0-3 0-3,8-11 1 0");
    query (
        "SELECT group_concat(state, ',') FROM (SELECT state FROM job_transitions "
        "WHERE job_id = 1 ORDER BY rowid)",
        out, sizeof (out));
    cr_assert_str_eq (out, "PENDING,RUNNING,COMPLETED");
    job_free (&job);
}

Test (store_sqlite, a_job_first_stored_running_gets_its_pending_transition)
{
    sched_job_t job;
    char out[256];

    job_make (&job, 4, JOB_RUNNING);
    begin ();
    put (&job);
    commit ();
    query (
        "SELECT group_concat(state, ',') FROM (SELECT state FROM job_transitions "
        "WHERE job_id = 4 ORDER BY rowid)",
        out, sizeof (out));
    cr_assert_str_eq (out, "PENDING,RUNNING");
    job_free (&job);
}

Test (store_sqlite, uncommitted_batch_is_lost)
{
    cphub_error_t err = {{0}};
    sched_job_t job;
    uint64_t next = 0;

    job_make (&job, 1, JOB_PENDING);
    begin ();
    put (&job);
    cr_assert_eq (store_next_id_set (st, 2, &err), 0, "%s", err.text);
    commit ();
    job_free (&job);
    job_make (&job, 2, JOB_PENDING);
    begin ();
    put (&job);
    cr_assert_eq (store_next_id_set (st, 3, &err), 0, "%s", err.text);
    reopen (); /* closed with the batch open: as if the process died */
    cr_assert_eq (load ()->count, 1);
    cr_assert_eq (store_next_id_get (st, &next, &err), 0, "%s", err.text);
    cr_assert_eq (next, 2);
    job_free (&job);
}

static store_acct_t acct_rec (uint64_t job, uint32_t run, const char *tenant, double cs)
{
    store_acct_t rec = {.job_id = job,
                        .run = run,
                        .cores = 4,
                        .start_time = 100.0 * (double)job,
                        .end_time = 100.0 * (double)job + cs / 4,
                        .state = JOB_COMPLETED,
                        .core_seconds = cs};
    snprintf (rec.tenant, sizeof (rec.tenant), "%s", tenant);
    snprintf (rec.node, sizeof (rec.node), "node1");
    return rec;
}

typedef struct acct_seen {
    int count;
    store_acct_t recs[16];
} acct_seen_t;

static int acct_cb (const store_acct_t *rec, void *arg)
{
    acct_seen_t *s = arg;
    cr_assert_lt (s->count, 16);
    s->recs[s->count++] = *rec;
    return 0;
}

Test (store_sqlite, a_run_is_accounted_once)
{
    cphub_error_t err = {{0}};
    store_acct_t r1 = acct_rec (5, 1, "tenant-a", 40);
    store_acct_t r2 = acct_rec (5, 2, "tenant-a", 8);
    store_acct_t r3 = acct_rec (6, 1, "tenant-b", 4);
    acct_seen_t seen = {0};

    r1.failed_run = true;
    r1.state = JOB_NODE_FAIL;
    begin ();
    cr_assert_eq (store_acct_append (st, &r1, &err), 0, "%s", err.text);
    cr_assert_eq (store_acct_append (st, &r1, &err), -1);
    cr_assert_eq (errno, EEXIST);
    cr_assert (strstr (err.text, "already accounted"), "%s", err.text);
    cr_assert_eq (store_acct_append (st, &r2, &err), 0, "%s", err.text);
    cr_assert_eq (store_acct_append (st, &r3, &err), 0, "%s", err.text);
    commit (); /* the refused duplicate does not spoil the batch */
    reopen ();
    begin ();
    cr_assert_eq (store_acct_append (st, &r2, &err), -1, "a run accounted again");
    commit ();
    cr_assert_eq (store_acct_foreach (st, acct_cb, &seen, &err), 0, "%s", err.text);
    cr_assert_eq (seen.count, 3);
    cr_assert_eq (seen.recs[0].job_id, 5);
    cr_assert_eq (seen.recs[0].run, 1);
    cr_assert (seen.recs[0].failed_run);
    cr_assert_eq (seen.recs[0].state, JOB_NODE_FAIL);
    cr_assert_eq (seen.recs[0].cores, 4);
    cr_assert_str_eq (seen.recs[0].tenant, "tenant-a");
    cr_assert_str_eq (seen.recs[0].node, "node1");
    cr_assert_float_eq (seen.recs[0].core_seconds, 40.0, 1e-9);
    cr_assert_eq (seen.recs[1].run, 2);
    cr_assert_eq (seen.recs[2].job_id, 6);
    cr_assert_eq (seen.recs[2].state, JOB_COMPLETED);
}

/* A small valid node description; free with node_desc_clear. */
static void node_make (node_desc_t *d, const char *name, uint32_t ncores)
{
    node_desc_init (d);
    snprintf (d->name, sizeof (d->name), "%s", name);
    d->npackages = 1;
    d->nnuma = 1;
    cr_assert_not_null (d->numa_mem = calloc (1, sizeof (uint64_t)));
    d->numa_mem[0] = 8ULL << 30;
    d->mem = 8ULL << 30;
    d->ncores = ncores;
    cr_assert_not_null (d->cores = calloc (ncores, sizeof (*d->cores)));
    for (uint32_t i = 0; i < ncores; i++)
        snprintf (d->cores[i].pus, sizeof (d->cores[i].pus), "%u", i);
    snprintf (d->features, sizeof (d->features), "avx512");
    snprintf (d->topology, sizeof (d->topology), "synthetic:core:%u", ncores);
    d->njobs = 2;
    cr_assert_not_null (d->jobs = calloc (2, sizeof (uint64_t)));
    d->jobs[0] = 10;
    d->jobs[1] = 11;
}

typedef struct nodes_seen {
    int count;
    char text[8][160];
} nodes_seen_t;

static int node_cb (const store_node_t *node, void *arg)
{
    nodes_seen_t *s = arg;

    cr_assert_lt (s->count, 8);
    int n =
        snprintf (s->text[s->count++], sizeof (s->text[0]), "%s %u %s %s %s jobs=%u",
                  node->desc->name, node->desc->ncores, node->desc->features,
                  node_state_name (node->state), node->reason, node->desc->njobs);
    cr_assert_lt (n, (int)sizeof (s->text[0]));
    return 0;
}

Test (store_sqlite, nodes_survive_in_name_order)
{
    cphub_error_t err = {{0}};
    node_desc_t a, b, bad;
    nodes_seen_t seen = {0};
    store_node_t na = {.desc = &a, .state = NODE_DRAIN, .reason = "maintenance"};
    store_node_t nb = {.desc = &b, .state = NODE_UP, .reason = ""};
    store_node_t nbad = {.desc = &bad, .state = NODE_UP};

    node_make (&a, "zeta", 4);
    node_make (&b, "alpha", 2);
    node_desc_init (&bad);
    snprintf (bad.name, sizeof (bad.name), "ghost"); /* never registered */
    begin ();
    cr_assert_eq (store_node_put (st, &na, &err), 0, "%s", err.text);
    cr_assert_eq (store_node_put (st, &nb, &err), 0, "%s", err.text);
    cr_assert_eq (store_node_put (st, &nbad, &err), -1);
    cr_assert_eq (errno, EINVAL);
    nb.state = NODE_DOWN; /* replaced */
    cr_assert_eq (store_node_put (st, &nb, &err), 0, "%s", err.text);
    commit ();
    reopen ();
    cr_assert_eq (store_nodes_load (st, node_cb, &seen, &err), 0, "%s", err.text);
    cr_assert_eq (seen.count, 2);
    cr_assert_str_eq (seen.text[0], "alpha 2 avx512 DOWN  jobs=0");
    cr_assert_str_eq (seen.text[1], "zeta 4 avx512 DRAIN maintenance jobs=0");
    node_desc_clear (&a);
    node_desc_clear (&b);
}

Test (store_sqlite, not_a_cphub_store_refused)
{
    cphub_error_t err = {{0}};
    char other[160], out[64];
    FILE *f;

    snprintf (other, sizeof (other), "%s/notes.txt", dir);
    cr_assert_not_null (f = fopen (other, "w"));
    fputs (
        "this is not a database, just some text that is long enough to look "
        "like a file header of some kind.\n",
        f);
    fclose (f);
    cr_assert_null (store_sqlite_create (other, STORE_SYNC_FULL, &err));
    cr_assert (strstr (err.text, other), "%s", err.text);
    /* another program's SQLite file */
    snprintf (path, sizeof (path), "%s/other.db", dir);
    query ("CREATE TABLE things (x); SELECT 1", out, sizeof (out));
    cr_assert_null (store_sqlite_create (path, STORE_SYNC_FULL, &err));
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, "not a cphub store"), "%s", err.text);
    snprintf (path, sizeof (path), "%s/cphub.db", dir);
}

Test (store_sqlite, newer_schema_refused_and_current_kept)
{
    cphub_error_t err = {{0}};
    char out[64];

    query ("SELECT value FROM meta WHERE key = 'schema_version'", out, sizeof (out));
    cr_assert (atoi (out) >= 2, "schema version '%s'", out);
    query ("PRAGMA journal_mode", out, sizeof (out));
    cr_assert_str_eq (out, "wal");
    store_destroy (st);
    st = NULL;
    query ("UPDATE meta SET value = 99 WHERE key = 'schema_version'; SELECT 1", out,
           sizeof (out));
    cr_assert_null (store_sqlite_create (path, STORE_SYNC_NORMAL, &err));
    cr_assert_eq (errno, EPROTO);
    cr_assert (strstr (err.text, "schema version 99"), "%s", err.text);
}

Test (store_sqlite, a_migrated_store_with_a_past_gets_a_hub)
{
    sched_job_t job;
    store_identity_t got;
    cphub_error_t err = {{0}};
    char out[64];

    /* version 3 with a job in it, as an older scheduler left it: its spec
       in the wire's submit body of that time */
    job_make (&job, 4, JOB_COMPLETED);
    begin ();
    put (&job);
    commit ();
    job_free (&job);
    store_destroy (st);
    st = NULL;
    query (
        "ALTER TABLE jobs DROP COLUMN requeues;"
        " ALTER TABLE jobs DROP COLUMN eligible_time;"
        " ALTER TABLE jobs DROP COLUMN hold;"
        " DELETE FROM meta WHERE key LIKE 'hub_%';"
        " UPDATE jobs SET spec = replace ('{~v~:1,~spec~:{~ntasks~:1,"
        "~cpus_per_task~:1,~gpus~:0,~mem~:0,~walltime~:0,~name~:~~,"
        "~argv~:[~true~],~script~:null}}', '~', char (34));"
        " UPDATE meta SET value = 3 WHERE key = 'schema_version'; SELECT 1",
        out, sizeof (out));
    reopen ();
    cr_assert_eq (store_identity_get (st, &got, &err), 0, "%s", err.text);
    cr_assert_eq (strlen (got.hub_id), STORE_HUB_ID_LEN, "%s", got.hub_id);
    cr_assert_eq (strspn (got.hub_id, "0123456789abcdef"), STORE_HUB_ID_LEN);
    cr_assert_gt (got.created, 0);
    cr_assert_eq (load ()->count, 1, "its job is still there");
}

Test (store_sqlite, a_damaged_row_is_refused_naming_its_job_or_node)
{
    cphub_error_t err = {{0}};
    nodes_seen_t seen = {0};
    sched_job_t job;
    node_desc_t d;
    store_node_t node = {.desc = &d, .state = NODE_UP, .reason = ""};
    char out[64];

    job_make (&job, 1, JOB_PENDING);
    node_make (&d, "n1", 2);
    begin ();
    put (&job);
    cr_assert_eq (store_node_put (st, &node, &err), 0, "%s", err.text);
    commit ();
    job_free (&job);
    node_desc_clear (&d);
    store_destroy (st);
    st = NULL;
    /* a number as a string, an array of the wrong kind: read as untrusted */
    query (
        "UPDATE jobs SET spec = replace (spec, replace ('~tasks~:2', '~', char (34)),"
        " replace ('~tasks~:~2~', '~', char (34)));"
        " UPDATE nodes SET desc = replace (desc, replace ('~numa_mem_bytes~:[', '~',"
        " char (34)), replace ('~numa_mem_bytes~:[~x~,', '~', char (34)));"
        " SELECT 1",
        out, sizeof (out));
    reopen ();
    errno = 0;
    cr_assert_eq (store_jobs_load (st, load_cb, &(loaded_t){0}, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, "job 1") && strstr (err.text, "'tasks'"), "%s",
               err.text);
    errno = 0;
    cr_assert_eq (store_nodes_load (st, node_cb, &seen, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, "node n1") && strstr (err.text, "numa_mem_bytes"),
               "%s", err.text);
}
