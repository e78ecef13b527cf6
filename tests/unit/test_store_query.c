/* test_store_query.c: the contract of store_jobs_query() and
 * store_jobs_expire(), run against every store (store_contract.h): pages
 * that follow one another list every job exactly once in id order, each
 * filter selects the same jobs in every store, filters combine, a query
 * stopped by its callback fails, a durable store answers the same after it
 * is opened again; a page of SQLite's decodes a bounded amount of specs;
 * retention deletes the oldest ended jobs in batches, never a running one,
 * never an accounting record; the jobs counted by tenant and state are
 * every stored job, in its latest state, and no more once retention
 * deleted some.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/jobspec.h"
#include "scheduler/store_sqlite_int.h"
#include "store_contract.h"

#define QUERY_JOBS 60
#define QUERY_PAGE 7

/* Job id in state: tenant acme for odd ids, zeta for even ones; submitted
 * at 1000 + id; ended (if state is an end) at 5000 + id; on node
 * "node<id % 3>"; named "train" when id % 4 == 0, else "sim"; ids 21..30
 * are the elements of array 21. */
static void put_job (uint64_t id, job_state_t state)
{
    char *argv[] = {"true", NULL};
    cphub_error_t err = {{0}};
    sched_job_t job = {.id = id};

    jobspec_init (&job.spec);
    cr_assert_eq (jobspec_set_argv (&job.spec, 1, argv, &err), 0, "%s", err.text);
    snprintf (job.spec.name, sizeof (job.spec.name), "%s", id % 4 ? "sim" : "train");
    snprintf (job.tenant, sizeof (job.tenant), "%s", id % 2 ? "acme" : "zeta");
    job.submit_time = 1000.0 + (double)id;
    job.state = state;
    job.end_time = job_state_is_terminal (state) ? 5000.0 + (double)id : 0;
    snprintf (job.alloc.node, sizeof (job.alloc.node), "node%u", (unsigned)(id % 3));
    if (id >= 21 && id <= 30) {
        job.array_id = 21;
        job.array_index = (uint32_t)(id - 21);
    }
    cr_assert_eq (store_job_put (st, &job, &err), 0, "%s", err.text);
    jobspec_clear (&job.spec);
}

/* Job id as the fill stores it: COMPLETED up to id 40, RUNNING above. */
static void stored_job (uint64_t id)
{
    put_job (id, id <= 40 ? JOB_COMPLETED : JOB_RUNNING);
}

static void fill (void)
{
    begin ();
    for (uint64_t id = QUERY_JOBS; id >= 1; id--) /* out of order */
        stored_job (id);
    commit ();
}

typedef struct answer {
    size_t n;
    uint64_t ids[QUERY_JOBS];
    size_t stop_after; /* fail the call after this many; 0: never */
} answer_t;

static int answer_cb (const sched_job_t *job, void *arg)
{
    answer_t *a = arg;

    if (a->stop_after && a->n == a->stop_after) {
        errno = ECANCELED;
        return -1;
    }
    cr_assert_lt (a->n, QUERY_JOBS);
    a->ids[a->n++] = job->id;
    return 0;
}

/* Every job q selects, fetched in pages of QUERY_PAGE, each page starting
 * after the last id of the one before. */
static answer_t *ask (store_job_query_t q)
{
    static answer_t all;
    cphub_error_t err = {{0}};

    memset (&all, 0, sizeof (all));
    q.limit = QUERY_PAGE;
    for (;;) {
        size_t before = all.n;
        cr_assert_eq (store_jobs_query (st, &q, answer_cb, &all, &err), 0, "%s",
                      err.text);
        cr_assert_leq (all.n - before, QUERY_PAGE);
        if (all.n - before < QUERY_PAGE)
            break;
        q.after = all.ids[all.n - 1];
    }
    for (size_t i = 1; i < all.n; i++)
        cr_assert_lt (all.ids[i - 1], all.ids[i], "in id order, each once");
    return &all;
}

STORE_TEST (query_pages_list_every_job_once)
{
    answer_t *a;

    fill ();
    reopen ();
    a = ask ((store_job_query_t){.after = 0});
    cr_assert_eq (a->n, QUERY_JOBS);
    for (size_t i = 0; i < a->n; i++)
        cr_assert_eq (a->ids[i], i + 1);
    a = ask ((store_job_query_t){.after = 55});
    cr_assert_eq (a->n, 5);
    cr_assert_eq (a->ids[0], 56);
}

STORE_TEST (query_filters)
{
    answer_t *a;

    fill ();
    reopen ();
    a = ask ((store_job_query_t){.tenant = "zeta"});
    cr_assert_eq (a->n, QUERY_JOBS / 2);
    for (size_t i = 0; i < a->n; i++)
        cr_assert_eq (a->ids[i] % 2, 0, "only zeta's");
    a = ask ((store_job_query_t){.states = 1u << JOB_RUNNING});
    cr_assert_eq (a->n, QUERY_JOBS - 40);
    cr_assert_eq (a->ids[0], 41);
    a = ask ((store_job_query_t){.name = "train"});
    cr_assert_eq (a->n, QUERY_JOBS / 4);
    a = ask ((store_job_query_t){.node = "node2"});
    cr_assert_eq (a->n, QUERY_JOBS / 3);
    cr_assert_eq (ask ((store_job_query_t){.node = "nowhere"})->n, 0);
    a = ask ((store_job_query_t){.array_id = 21});
    cr_assert_eq (a->n, 10);
    cr_assert_eq (a->ids[0], 21);
    cr_assert_eq (a->ids[9], 30);
    a = ask ((store_job_query_t){.id = 17});
    cr_assert_eq (a->n, 1);
    cr_assert_eq (a->ids[0], 17);
    cr_assert_eq (ask ((store_job_query_t){.id = 99})->n, 0);
    /* active at or after 5035: ended then or later (35..40), or running */
    a = ask ((store_job_query_t){.since = 5035.0});
    cr_assert_eq (a->n, 6 + QUERY_JOBS - 40);
    cr_assert_eq (a->ids[0], 35);
    a = ask ((store_job_query_t){.until = 1010.0});
    cr_assert_eq (a->n, 10);
}

STORE_TEST (query_filters_combine)
{
    answer_t *a;

    fill ();
    a = ask ((store_job_query_t){.tenant = "acme",
                                 .states = 1u << JOB_COMPLETED,
                                 .array_id = 21,
                                 .until = 1027.0});
    cr_assert_eq (a->n, 4); /* 21, 23, 25, 27 */
    cr_assert_eq (a->ids[3], 27);
    a = ask ((store_job_query_t){.tenant = "zeta", .id = 17});
    cr_assert_eq (a->n, 0, "another tenant's job is not found by its id");
    /* since (a restart's query: no tenant, no scan) with an id range */
    a = ask ((store_job_query_t){.since = 5035.0, .after = 38});
    cr_assert_eq (a->n, 2 + QUERY_JOBS - 40);
    cr_assert_eq (a->ids[0], 39);
    cr_assert_eq (ask ((store_job_query_t){.since = 5035.0, .id = 17})->n, 0);
    cr_assert_eq (ask ((store_job_query_t){.since = 5035.0, .id = 36})->n, 1);
    cr_assert_eq (ask ((store_job_query_t){.since = 5035.0, .array_id = 21})->n, 0);
}

STORE_TEST (query_stopped_by_callback_fails)
{
    cphub_error_t err = {{0}};
    answer_t a = {.stop_after = 3};
    store_job_query_t q = {.after = 0};

    fill ();
    cr_assert_eq (store_jobs_query (st, &q, answer_cb, &a, &err), -1);
    cr_assert_eq (errno, ECANCELED);
    cr_assert_eq (a.n, 3);
    memset (&a, 0, sizeof (a));
    cr_assert_eq (store_jobs_query (st, &q, answer_cb, &a, &err), 0, "usable again");
    cr_assert_eq (a.n, QUERY_JOBS);
}

STORE_TEST (query_of_an_empty_store)
{
    cr_assert_eq (ask ((store_job_query_t){.after = 0})->n, 0);
}

static size_t expire (double before, size_t max)
{
    cphub_error_t err = {{0}};
    size_t deleted = 99;

    begin ();
    cr_assert_eq (store_jobs_expire (st, before, max, &deleted, &err), 0, "%s",
                  err.text);
    commit ();
    return deleted;
}

static int count_acct_cb (const store_acct_t *rec, void *arg)
{
    (void)rec;
    (*(size_t *)arg)++;
    return 0;
}

STORE_TEST (expire_the_oldest_ended_in_batches_and_keep_accounting)
{
    cphub_error_t err = {{0}};
    store_acct_t rec = {.job_id = 1, .run = 1, .state = JOB_COMPLETED};
    size_t deleted, records = 0;
    answer_t *a;

    fill ();
    snprintf (rec.tenant, sizeof (rec.tenant), "acme");
    begin ();
    cr_assert_eq (store_acct_append (st, &rec, &err), 0, "%s", err.text);
    commit ();
    cr_assert_eq (store_jobs_expire (st, 1e9, 10, &deleted, &err), -1,
                  "outside a batch");
    cr_assert_eq (expire (5011.0, 4), 4, "a batch at most");
    a = ask ((store_job_query_t){.after = 0});
    cr_assert_eq (a->n, QUERY_JOBS - 4);
    cr_assert_eq (a->ids[0], 5, "the oldest ends went first");
    cr_assert_eq (expire (5011.0, 100), 6, "only those ended before");
    reopen ();
    cr_assert_eq (ask ((store_job_query_t){.after = 0})->ids[0], 11);
    cr_assert_eq (expire (1e9, 1000), 30);
    a = ask ((store_job_query_t){.after = 0});
    cr_assert_eq (a->n, QUERY_JOBS - 40, "running jobs stay");
    cr_assert_eq (expire (1e9, 1000), 0);
    cr_assert_eq (store_acct_foreach (st, count_acct_cb, &records, &err), 0, "%s",
                  err.text);
    cr_assert_eq (records, 1, "accounting records are never expired");
}

/* Pages of q read at most scan rows each, following next until 0. */
static answer_t *ask_scan (store_job_query_t q, size_t scan, size_t *pages)
{
    static answer_t all;
    cphub_error_t err = {{0}};
    uint64_t next = 0;

    memset (&all, 0, sizeof (all));
    q.scan = scan;
    q.next = &next;
    for (*pages = 1;; (*pages)++) {
        size_t before = all.n;
        cr_assert_eq (store_jobs_query (st, &q, answer_cb, &all, &err), 0, "%s",
                      err.text);
        cr_assert_leq (all.n - before, scan);
        if (next == 0)
            break;
        cr_assert_gt (next, q.after, "pages move on");
        q.after = next;
    }
    return &all;
}

STORE_TEST (query_reads_at_most_its_scan)
{
    cphub_error_t err = {{0}};
    answer_t one = {0};
    uint64_t next = 99;
    size_t pages = 0;
    answer_t *a;

    fill ();
    reopen ();
    /* a filter that matches nothing reads scan rows per page, not all */
    a = ask_scan ((store_job_query_t){.name = "nothing"}, 7, &pages);
    cr_assert_eq (a->n, 0);
    cr_assert_eq (pages, QUERY_JOBS / 7 + 1);
    /* the pages of a filter give what one unbounded query gives */
    a = ask_scan ((store_job_query_t){.name = "train"}, 7, &pages);
    cr_assert_eq (a->n, QUERY_JOBS / 4);
    cr_assert_eq (a->ids[0], 4);
    /* a tenant's query reads only the tenant's rows: 2, 4, .. 10 */
    store_job_query_t q = {.tenant = "zeta", .scan = 5, .next = &next};
    cr_assert_eq (store_jobs_query (st, &q, answer_cb, &one, &err), 0, "%s", err.text);
    cr_assert_eq (one.n, 5);
    cr_assert_eq (next, 10, "%ju", (uintmax_t)next);
    /* a full page says where it stopped; the last page says 0 */
    q = (store_job_query_t){.after = 50, .limit = 3, .next = &next};
    memset (&one, 0, sizeof (one));
    cr_assert_eq (store_jobs_query (st, &q, answer_cb, &one, &err), 0, "%s", err.text);
    cr_assert_eq (next, 53);
    q.after = 58;
    cr_assert_eq (store_jobs_query (st, &q, answer_cb, &one, &err), 0, "%s", err.text);
    cr_assert_eq (next, 0);
    a = ask_scan ((store_job_query_t){.tenant = "acme", .since = 5039.0}, 4, &pages);
    cr_assert_eq (a->n, 1 + (QUERY_JOBS - 40) / 2, "39 and the running");
}

/* A page of a filter decodes a bounded amount of specs: over jobs of
 * megabyte scripts it ends early and says where to go on. */
STORE_TEST (query_page_decodes_a_bounded_amount)
{
    enum { BIG_JOBS = 40 };
    cphub_error_t err = {{0}};
    size_t script_len = JOBSPEC_SCRIPT_MAX - 1, pages = 0;
    char *script = malloc (script_len + 1);
    answer_t *a;

    if (strcmp (st->ops->name, "sqlite") != 0) {
        free (script);
        return;
    }
    cr_assert_not_null (script);
    memset (script, '#', script_len);
    memcpy (script, "#!/bin/sh\n", 10);
    script[script_len] = '\0';
    begin ();
    for (uint64_t id = 1; id <= BIG_JOBS; id++) {
        sched_job_t job = {.id = id, .state = JOB_COMPLETED, .end_time = 9.0};
        jobspec_init (&job.spec);
        cr_assert_eq (jobspec_set_script (&job.spec, script, &err), 0, "%s", err.text);
        snprintf (job.tenant, sizeof (job.tenant), "acme");
        cr_assert_eq (store_job_put (st, &job, &err), 0, "%s", err.text);
        jobspec_clear (&job.spec);
    }
    commit ();
    free (script);
    a = ask_scan ((store_job_query_t){.name = "nothing"}, BIG_JOBS, &pages);
    cr_assert_eq (a->n, 0);
    cr_assert_geq (pages, 3, "%zu pages: one page decoded every script", pages);
    /* a caller that bounds what it decodes is told what a query cost */
    size_t decoded = 0;
    answer_t one = {0};
    store_job_query_t q = {.id = 7, .limit = 1, .decoded = &decoded};
    cr_assert_eq (store_jobs_query (st, &q, answer_cb, &one, &err), 0, "%s", err.text);
    cr_assert_eq (one.n, 1);
    cr_assert_geq (decoded, script_len, "%zu bytes decoded counted", decoded);
}

STORE_TEST (query_reads_only_its_id_range)
{
    cphub_error_t err = {{0}};
    answer_t a = {0};
    uint64_t next = 99;

    fill ();
    reopen ();
    /* the oldest job: one row read, not the rows after it */
    store_job_query_t q = {.id = 1, .scan = 2, .next = &next};
    cr_assert_eq (store_jobs_query (st, &q, answer_cb, &a, &err), 0, "%s", err.text);
    cr_assert_eq (a.n, 1);
    cr_assert_eq (next, 0, "one row read of a scan of 2: %ju", (uintmax_t)next);
    /* an array's ids end at its count */
    q = (store_job_query_t){
        .array_id = 21, .array_count = 10, .scan = 10, .next = &next};
    memset (&a, 0, sizeof (a));
    cr_assert_eq (store_jobs_query (st, &q, answer_cb, &a, &err), 0, "%s", err.text);
    cr_assert_eq (a.n, 10);
    cr_assert_eq (next, 30, "its scan was spent at its last id");
    q.array_count = 3;
    memset (&a, 0, sizeof (a));
    cr_assert_eq (store_jobs_query (st, &q, answer_cb, &a, &err), 0, "%s", err.text);
    cr_assert_eq (a.n, 3, "ids 21..23 only");
    cr_assert_eq (next, 0);
    /* ids past what SQLite holds, and an array at the end of the ids */
    q = (store_job_query_t){.id = UINT64_MAX};
    cr_assert_eq (store_jobs_query (st, &q, answer_cb, &a, &err), 0, "%s", err.text);
    q = (store_job_query_t){.array_id = UINT64_MAX - 1};
    cr_assert_eq (store_jobs_query (st, &q, answer_cb, &a, &err), 0, "%s", err.text);
    cr_assert_eq (a.n, 3);
}

/* The counts of the stored jobs by tenant (acme, zeta) and state, added
 * up over what store_jobs_count() passes. */
typedef struct counts {
    uint64_t n[2][JOB_STATE_COUNT];
} counts_t;

static int counts_cb (const store_job_count_t *c, void *arg)
{
    counts_t *k = arg;

    cr_assert (strcmp (c->tenant, "acme") == 0 || strcmp (c->tenant, "zeta") == 0, "%s",
               c->tenant);
    cr_assert_lt ((unsigned)c->state, JOB_STATE_COUNT);
    cr_assert_gt (c->count, 0);
    k->n[c->tenant[0] == 'z'][c->state] += c->count;
    return 0;
}

static counts_t counts (const char *tenant)
{
    cphub_error_t err = {{0}};
    counts_t k = {{{0}}};

    cr_assert_eq (store_jobs_count (st, tenant, counts_cb, &k, &err), 0, "%s",
                  err.text);
    return k;
}

static void set_state (uint64_t id, job_state_t state)
{
    begin ();
    put_job (id, state);
    commit ();
}

STORE_TEST (count_jobs_by_tenant_and_state)
{
    cphub_error_t err = {{0}};
    job_state_t state;
    counts_t k;

    k = counts (NULL);
    cr_assert_eq (k.n[0][JOB_COMPLETED] + k.n[1][JOB_RUNNING], 0, "an empty store");
    fill ();
    set_state (41, JOB_FAILED);       /* acme, was RUNNING */
    set_state (42, JOB_CANCELLED);    /* zeta, was RUNNING */
    set_state (43, JOB_PENDING);      /* acme */
    set_state (3, JOB_OUT_OF_MEMORY); /* acme, was COMPLETED */
    reopen ();
    k = counts (NULL);
    cr_assert_eq (k.n[0][JOB_COMPLETED], 19);
    cr_assert_eq (k.n[0][JOB_OUT_OF_MEMORY], 1);
    cr_assert_eq (k.n[0][JOB_FAILED], 1);
    cr_assert_eq (k.n[0][JOB_PENDING], 1);
    cr_assert_eq (k.n[0][JOB_RUNNING], 8);
    cr_assert_eq (k.n[1][JOB_COMPLETED], 20);
    cr_assert_eq (k.n[1][JOB_CANCELLED], 1);
    cr_assert_eq (k.n[1][JOB_RUNNING], 9);
    /* a tenant's own counts are its own only */
    k = counts ("zeta");
    cr_assert_eq (k.n[0][JOB_COMPLETED] + k.n[0][JOB_RUNNING], 0, "none of acme's");
    cr_assert_eq (k.n[1][JOB_COMPLETED], 20);
    cr_assert_eq (k.n[1][JOB_CANCELLED], 1);
    cr_assert_eq (k.n[1][JOB_RUNNING], 9);
    k = counts ("nobody");
    cr_assert_eq (k.n[0][JOB_COMPLETED] + k.n[1][JOB_COMPLETED], 0);
    /* a job's stored state, or none */
    cr_assert_eq (store_job_state (st, 42, &state, &err), 0, "%s", err.text);
    cr_assert_eq (state, JOB_CANCELLED);
    cr_assert_eq (store_job_state (st, 50, &state, &err), 0, "%s", err.text);
    cr_assert_eq (state, JOB_RUNNING);
    cr_assert_eq (store_job_state (st, 99, &state, &err), -1);
    cr_assert_eq (errno, ENOENT);
    cr_assert_eq (store_job_state (st, UINT64_MAX, &state, &err), -1);
    cr_assert_eq (errno, ENOENT);
    /* retention's deletions leave the counts: ids 1..10 ended first */
    cr_assert_eq (expire (5010.5, 100), 10);
    k = counts (NULL);
    cr_assert_eq (k.n[0][JOB_COMPLETED] + k.n[0][JOB_OUT_OF_MEMORY], 15);
    cr_assert_eq (k.n[1][JOB_COMPLETED], 15);
    cr_assert_eq (store_job_state (st, 3, &state, &err), -1);
    cr_assert_eq (errno, ENOENT);
}

/* The plan SQLite chose for a prepared statement of st, its steps joined. */
static void plan_of (int which, char *buf, size_t len)
{
    store_sqlite_t *q = sql_of (st);
    char sql[2048];
    sqlite3_stmt *explain = NULL;
    size_t used = 0;

    snprintf (sql, sizeof (sql), "EXPLAIN QUERY PLAN %s", sqlite3_sql (q->stmt[which]));
    cr_assert_eq (sqlite3_prepare_v2 (q->db, sql, -1, &explain, NULL), SQLITE_OK, "%s",
                  sqlite3_errmsg (q->db));
    buf[0] = '\0';
    while (sqlite3_step (explain) == SQLITE_ROW)
        used += (size_t)snprintf (buf + used, len - used, "%s; ",
                                  (const char *)sqlite3_column_text (explain, 3));
    sqlite3_finalize (explain);
}

STORE_TEST (query_plans_read_ranges_of_the_indexes)
{
    sqlite3_stmt *stmt;
    char plan[1024];

    if (strcmp (st->ops->name, "sqlite") != 0)
        return;
    fill ();
    plan_of (ST_JOBS_QUERY, plan, sizeof (plan));
    cr_assert (strstr (plan, "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"), "%s",
               plan);
    cr_assert_null (strstr (plan, "TEMP B-TREE"), "%s", plan);
    plan_of (ST_JOBS_QUERY_TENANT, plan, sizeof (plan));
    cr_assert (strstr (plan, "INDEX jobs_tenant (tenant=? AND id>? AND id<?)"), "%s",
               plan);
    cr_assert_null (strstr (plan, "TEMP B-TREE"), "%s", plan);
    plan_of (ST_JOBS_EXPIRE, plan, sizeof (plan));
    cr_assert (strstr (plan, "INDEX jobs_ended"), "%s", plan);
    /* the counts read the index alone, never a row */
    plan_of (ST_JOBS_COUNT, plan, sizeof (plan));
    cr_assert (strstr (plan, "COVERING INDEX jobs_tenant_state"), "%s", plan);
    cr_assert_null (strstr (plan, "TEMP B-TREE"), "%s", plan);
    plan_of (ST_JOBS_COUNT_TENANT, plan, sizeof (plan));
    cr_assert (strstr (plan, "COVERING INDEX jobs_tenant_state (tenant=?)"), "%s",
               plan);
    plan_of (ST_JOB_STATE, plan, sizeof (plan));
    cr_assert (strstr (plan, "INTEGER PRIMARY KEY (rowid=?)"), "%s", plan);
    /* the plain columns are where the query reads them before decoding */
    stmt = sql_of (st)->stmt[ST_JOBS_QUERY];
    cr_assert_str_eq (sqlite3_column_name (stmt, SQL_JOB_COL_ID), "id");
    cr_assert_str_eq (sqlite3_column_name (stmt, SQL_JOB_COL_TENANT), "tenant");
    cr_assert_str_eq (sqlite3_column_name (stmt, SQL_JOB_COL_STATE), "state");
    cr_assert_str_eq (sqlite3_column_name (stmt, SQL_JOB_COL_SUBMIT_TIME),
                      "submit_time");
    cr_assert_str_eq (sqlite3_column_name (stmt, SQL_JOB_COL_END_TIME), "end_time");
    cr_assert_str_eq (sqlite3_column_name (stmt, SQL_JOB_COL_ARRAY_ID), "array_id");
}
