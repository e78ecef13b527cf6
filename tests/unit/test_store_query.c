/* test_store_query.c: the contract of store_jobs_query() and
 * store_jobs_expire(), run against every store (store_contract.h): pages
 * that follow one another list every job exactly once in id order, each
 * filter selects the same jobs in every store, filters combine, a query
 * stopped by its callback fails, a durable store answers the same after it
 * is opened again; retention deletes the oldest ended jobs in batches,
 * never a running one, never an accounting record.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cphub/jobspec.h"
#include "store_contract.h"

#define QUERY_JOBS 60
#define QUERY_PAGE 7

/* Job id: tenant acme for odd ids, zeta for even ones; submitted at
 * 1000 + id; COMPLETED at 5000 + id up to id 40, RUNNING above; on node
 * "node<id % 3>"; named "train" when id % 4 == 0, else "sim"; ids 21..30
 * are the elements of array 21. */
static void stored_job (uint64_t id)
{
    char *argv[] = {"true", NULL};
    cphub_error_t err = {{0}};
    sched_job_t job = {.id = id};

    jobspec_init (&job.spec);
    cr_assert_eq (jobspec_set_argv (&job.spec, 1, argv, &err), 0, "%s", err.text);
    snprintf (job.spec.name, sizeof (job.spec.name), "%s", id % 4 ? "sim" : "train");
    snprintf (job.tenant, sizeof (job.tenant), "%s", id % 2 ? "acme" : "zeta");
    job.submit_time = 1000.0 + (double)id;
    job.state = id <= 40 ? JOB_COMPLETED : JOB_RUNNING;
    job.end_time = id <= 40 ? 5000.0 + (double)id : 0;
    snprintf (job.alloc.node, sizeof (job.alloc.node), "node%u", (unsigned)(id % 3));
    if (id >= 21 && id <= 30) {
        job.array_id = 21;
        job.array_index = (uint32_t)(id - 21);
    }
    cr_assert_eq (store_job_put (st, &job, &err), 0, "%s", err.text);
    jobspec_clear (&job.spec);
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
