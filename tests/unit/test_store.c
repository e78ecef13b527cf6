/* test_store.c: the contract of store.h for jobs, run against every store
 * (store_contract.h: the memory store, the reference, and the SQLite
 * store): the batch discipline (writes only between begin and commit), jobs
 * put and updated as deep copies with every field kept and loaded back in
 * id order, a load stopped by its callback. reopen() closes and opens a
 * durable store again, so that what a test reads back has also survived a
 * restart where a store promises it. The rest of the contract is
 * test_store_records.c; what only one store does is in its own file
 * (test_store_sqlite.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/constraint.h"
#include "cphub/idset.h"
#include "cphub/jobspec.h"
#include "store_contract.h"

static idset_t *ids (const char *text)
{
    cphub_error_t err = {{0}};
    idset_t *s = idset_decode (text, &err);

    cr_assert_not_null (s, "'%s': %s", text, err.text);
    return s;
}

/* A running job with an allocation; free with job_free. */
static void job_make (sched_job_t *job, uint64_t id, const char *tenant)
{
    char *argv[] = {"sleep", "60", NULL};
    cphub_error_t err = {{0}};

    memset (job, 0, sizeof (*job));
    jobspec_init (&job->spec);
    cr_assert_eq (jobspec_set_argv (&job->spec, 2, argv, &err), 0, "%s", err.text);
    job->spec.ntasks = 2;
    job->spec.cpus_per_task = 2;
    snprintf (job->spec.name, sizeof (job->spec.name), "job%ju", (uintmax_t)id);
    job->id = id;
    snprintf (job->tenant, sizeof (job->tenant), "%s", tenant);
    job->state = JOB_RUNNING;
    job->walltime = 3600;
    job->submit_time = 1000.0 + (double)id;
    job->start_time = 2000.0 + (double)id;
    snprintf (job->alloc.node, sizeof (job->alloc.node), "node1");
    job->alloc.cores = ids ("0-3");
    job->alloc.cpus = ids ("0-7");
    job->alloc.gpus = ids ("1");
    job->alloc.mems = ids ("0");
    job->alloc.mem = 1ULL << 30;
}

static void job_free (sched_job_t *job)
{
    jobspec_clear (&job->spec);
    idset_destroy (job->alloc.cores);
    idset_destroy (job->alloc.cpus);
    idset_destroy (job->alloc.gpus);
    idset_destroy (job->alloc.mems);
    job->alloc.cores = job->alloc.cpus = job->alloc.gpus = job->alloc.mems = NULL;
}

static void put (sched_job_t *job)
{
    cphub_error_t err = {{0}};

    cr_assert_eq (store_job_put (st, job, &err), 0, "job %ju: %s", (uintmax_t)job->id,
                  err.text);
}

/* --- loading ---------------------------------------------------------------- */

#define LOADED_MAX 256

typedef struct loaded {
    int count;
    int stop_after; /* return -1 after this many calls; 0 = never */
    uint64_t ids[LOADED_MAX];
    job_state_t states[LOADED_MAX];
    char text[LOADED_MAX][512];   /* "tenant name argv0 cores cpus gpus mems" */
    char others[LOADED_MAX][128]; /* sched_allocs_encode of the other nodes */
    char spec[LOADED_MAX][512];   /* the spec's other fields */
    sched_job_t jobs[LOADED_MAX]; /* copies of the scalar fields */
    bool next_pending_null;
} loaded_t;

static void idset_text (const idset_t *s, char *buf, size_t len)
{
    if (!s) {
        snprintf (buf, len, "-");
        return;
    }
    cr_assert_eq (idset_encode (s, buf, len), 0);
    if (!buf[0])
        snprintf (buf, len, "{}");
}

/* The text of a spec's array and after forms, "-" for none. */
static const char *array_text (const jobspec_t *spec, char *buf, size_t len)
{
    if (!spec->array)
        return "-";
    jobspec_array_format (spec->array, buf, len);
    return buf;
}

static const char *after_text (const jobspec_t *spec, char *buf, size_t len)
{
    if (!spec->after)
        return "-";
    jobspec_after_format (spec->after, buf, len);
    return buf;
}

static int load_cb (const sched_job_t *job, void *arg)
{
    char array[JOBSPEC_ARRAY_TEXT_MAX + 1], after[JOBSPEC_AFTER_MAX + 1];
    loaded_t *l = arg;
    char cores[32], cpus[32], gpus[32], mems[32];

    if (l->stop_after && l->count == l->stop_after) {
        errno = ECANCELED;
        return -1;
    }
    cr_assert_lt (l->count, LOADED_MAX);
    idset_text (job->alloc.cores, cores, sizeof (cores));
    idset_text (job->alloc.cpus, cpus, sizeof (cpus));
    idset_text (job->alloc.gpus, gpus, sizeof (gpus));
    idset_text (job->alloc.mems, mems, sizeof (mems));
    l->ids[l->count] = job->id;
    l->jobs[l->count] = *job;
    snprintf (l->spec[l->count], sizeof (l->spec[0]),
              "%u %u %u %ju %jd %d %d %s %s %s %s", job->spec.ntasks, job->spec.nodes,
              job->spec.gpus, (uintmax_t)job->spec.mem, (intmax_t)job->spec.walltime,
              job->spec.exclusive, job->spec.no_requeue,
              constraint_text (job->spec.constraint),
              array_text (&job->spec, array, sizeof (array)),
              after_text (&job->spec, after, sizeof (after)),
              job->spec.argc > 2 ? job->spec.argv[2] : "-");
    char *others = sched_allocs_encode (job->others, job->nothers);
    cr_assert_not_null (others);
    snprintf (l->others[l->count], sizeof (l->others[0]), "%s", others);
    free (others);
    l->states[l->count] = job->state;
    snprintf (l->text[l->count], sizeof (l->text[0]), "%s %s %s %s %s %s %s",
              job->tenant, job->spec.name,
              job->spec.argc > 0 ? job->spec.argv[0] : "(script)", cores, cpus, gpus,
              mems);
    if (job->next_pending)
        l->next_pending_null = false;
    l->count++;
    return 0;
}

static loaded_t *load (void)
{
    static loaded_t l; /* large: not on the stack */
    cphub_error_t err = {{0}};

    memset (&l, 0, sizeof (l));
    l.next_pending_null = true;
    cr_assert_eq (store_jobs_load (st, load_cb, &l, &err), 0, "%s", err.text);
    return &l;
}

/* --- batches ---------------------------------------------------------------- */

STORE_TEST (name_and_null_destroy)
{
    cr_assert_str_eq (st->ops->name, kind->name);
    store_destroy (NULL);
}

STORE_TEST (writes_outside_a_batch_refused)
{
    sched_job_t job;
    store_acct_t rec = {.job_id = 1};
    cphub_error_t err = {{0}};

    job_make (&job, 1, "acme");
    errno = 0;
    cr_assert_eq (store_job_put (st, &job, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, "outside a batch"), "%s", err.text);
    errno = 0;
    cr_assert_eq (store_acct_append (st, &rec, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, "store_begin"), "%s", err.text);
    cr_assert_eq (load ()->count, 0, "nothing was written");

    /* and again once a batch is over */
    begin ();
    put (&job);
    commit ();
    job.id = 2;
    cr_assert_eq (store_job_put (st, &job, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert_eq (load ()->count, 1);
    job_free (&job);
}

STORE_TEST (begin_and_commit_rules)
{
    cphub_error_t err = {{0}};

    errno = 0;
    cr_assert_eq (store_commit (st, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, "commit without a batch"), "%s", err.text);
    begin ();
    errno = 0;
    cr_assert_eq (store_begin (st, &err), -1, "batches do not nest");
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, "already open"), "%s", err.text);
    commit ();
    cr_assert_eq (store_commit (st, &err), -1, "a batch is committed once");
    /* an empty batch is fine, and batches follow each other */
    begin ();
    commit ();
    begin ();
    commit ();
}

/* --- jobs ------------------------------------------------------------------- */

STORE_TEST (put_and_load_in_id_order)
{
    sched_job_t job;
    loaded_t *l;

    begin ();
    for (uint64_t id = 10; id >= 1; id--) {
        job_make (&job, id * 3, id % 2 ? "acme" : "beta");
        put (&job);
        job_free (&job);
    }
    commit ();
    reopen ();
    l = load ();
    cr_assert_eq (l->count, 10);
    for (int i = 0; i < l->count; i++)
        cr_assert_eq (l->ids[i], (uint64_t)(i + 1) * 3, "position %d", i);
    cr_assert_str_eq (l->text[0], "acme job3 sleep 0-3 0-7 1 0");
    cr_assert_str_eq (l->text[1], "beta job6 sleep 0-3 0-7 1 0");
    /* loading does not consume anything */
    cr_assert_eq (load ()->count, 10);
}

STORE_TEST (update_replaces)
{
    sched_job_t job;
    loaded_t *l;

    job_make (&job, 5, "acme");
    begin ();
    put (&job);
    commit ();

    begin ();
    job.state = JOB_COMPLETED;
    job.end_time = 3000.0;
    idset_destroy (job.alloc.gpus);
    job.alloc.gpus = NULL;
    idset_destroy (job.alloc.cores);
    job.alloc.cores = ids ("4-5");
    put (&job);
    put (&job); /* the same twice in a batch is one job */
    commit ();
    job_free (&job);

    reopen ();
    l = load ();
    cr_assert_eq (l->count, 1);
    cr_assert_eq (l->ids[0], 5);
    cr_assert_eq (l->states[0], JOB_COMPLETED);
    cr_assert_str_eq (l->text[0], "acme job5 sleep 4-5 0-7 - 0");
    cr_assert_float_eq (l->jobs[0].end_time, 3000.0, 1e-9);
}

static int check_fields_cb (const sched_job_t *job, void *arg)
{
    int *calls = arg;

    (*calls)++;
    cr_assert_eq (job->id, 42);
    cr_assert_str_eq (job->tenant, "acme");
    cr_assert_eq (job->state, JOB_RUNNING);
    cr_assert_eq (job->walltime, 3600);
    cr_assert_float_eq (job->submit_time, 1042.0, 1e-9);
    cr_assert_float_eq (job->start_time, 2042.0, 1e-9);
    cr_assert_str_eq (job->alloc.node, "node1");
    cr_assert_eq (job->alloc.mem, 1ULL << 30);
    cr_assert_eq (job->spec.ntasks, 2);
    cr_assert_eq (job->spec.cpus_per_task, 2);
    cr_assert_eq (job->spec.argc, 2);
    cr_assert_str_eq (job->spec.argv[0], "sleep");
    cr_assert_str_eq (job->spec.argv[1], "60");
    cr_assert_null (job->spec.argv[2]);
    cr_assert_null (job->next_pending, "the queue link is not the store's");
    cr_assert (job->kill_sent);
    cr_assert_str_eq (job->reason, "why");
    return 0;
}

STORE_TEST (keeps_deep_copies)
{
    sched_job_t job, other;
    cphub_error_t err = {{0}};
    int calls = 0;
    loaded_t *l;

    job_make (&job, 42, "acme");
    job.kill_sent = true;
    snprintf (job.reason, sizeof (job.reason), "why");
    job_make (&other, 43, "acme");
    job.next_pending = &other; /* the core's link must not be kept */
    begin ();
    put (&job);
    commit ();

    /* change and free everything the caller owns */
    free (job.spec.argv[0]);
    job.spec.argv[0] = strdup ("changed");
    idset_set (job.alloc.cpus, 60);
    job_free (&job);
    memset (&job, 0xa5, sizeof (job));
    job_free (&other);

    cr_assert_eq (store_jobs_load (st, check_fields_cb, &calls, &err), 0, "%s",
                  err.text);
    cr_assert_eq (calls, 1);
    l = load ();
    cr_assert_str_eq (l->text[0], "acme job42 sleep 0-3 0-7 1 0");
    cr_assert (l->next_pending_null);
}

STORE_TEST (every_field_is_kept)
{
    char *argv[] = {"sh", "-c", "echo \"hi\" $1", NULL};
    cphub_error_t err = {{0}};
    sched_job_t a;
    loaded_t *l;

    job_make (&a, 7, "tenant-a");
    jobspec_clear (&a.spec);
    cr_assert_eq (jobspec_set_argv (&a.spec, 3, argv, &err), 0, "%s", err.text);
    a.spec.ntasks = 4;
    a.spec.nodes = 2;
    a.spec.exclusive = true;
    a.spec.no_requeue = true;
    a.spec.gpus = 2;
    a.spec.mem = 1ULL << 31;
    a.spec.walltime = 600;
    snprintf (a.spec.name, sizeof (a.spec.name), "every");
    cr_assert_eq (jobspec_set_option (&a.spec, "constraint", "avx512&(ib|eth)", &err),
                  0);
    cr_assert_eq (jobspec_set_option (&a.spec, "array", "1-9%2", &err), 0);
    cr_assert_eq (jobspec_set_option (&a.spec, "after", "ok:3,any:4", &err), 0);
    snprintf (a.reason, sizeof (a.reason), "started");
    a.exit_code = 2;
    a.signal = 9;
    a.end_time = 2500.75;
    a.cpu_time = 12.5;
    a.kill_sent = true;
    a.max_rss = 12345;
    a.runs = 3;
    a.boost = -2.5;
    a.hold = SCHED_HOLD_ADMIN;
    a.array_id = 5;
    a.array_index = 2;
    a.requeues = 2;
    a.eligible_time = 3000.5;
    cr_assert_eq (sched_allocs_decode ("node2|0-1|0-3||0|1024;node3|4|8|1|1|0",
                                       &a.others, &a.nothers, &err),
                  0, "%s", err.text);
    begin ();
    put (&a);
    commit ();
    sched_allocs_free (a.others, a.nothers);
    job_free (&a);
    reopen ();
    l = load ();
    cr_assert_eq (l->count, 1);
    cr_assert_str_eq (l->text[0], "tenant-a every sh 0-3 0-7 1 0");
    cr_assert_str_eq (l->others[0], "node2|0-1|0-3||0|1024;node3|4|8|1|1|0");
    const sched_job_t *j = &l->jobs[0];
    cr_assert_eq (j->state, JOB_RUNNING);
    cr_assert_str_eq (j->alloc.node, "node1");
    cr_assert_str_eq (j->reason, "started");
    cr_assert_eq (j->exit_code, 2);
    cr_assert_eq (j->signal, 9);
    cr_assert_eq (j->walltime, 3600);
    cr_assert_float_eq (j->submit_time, 1007.0, 1e-9);
    cr_assert_float_eq (j->start_time, 2007.0, 1e-9);
    cr_assert_float_eq (j->end_time, 2500.75, 1e-9);
    cr_assert_float_eq (j->cpu_time, 12.5, 1e-9);
    cr_assert_eq (j->alloc.mem, 1ULL << 30);
    cr_assert_eq (j->max_rss, 12345);
    cr_assert (j->kill_sent);
    cr_assert_eq (j->runs, 3);
    cr_assert_float_eq (j->boost, -2.5, 1e-9);
    cr_assert_eq (j->hold, SCHED_HOLD_ADMIN);
    cr_assert_eq (j->array_id, 5);
    cr_assert_eq (j->array_index, 2);
    cr_assert_eq (j->requeues, 2);
    cr_assert_float_eq (j->eligible_time, 3000.5, 1e-9);
    cr_assert_str_eq (l->spec[0],
                      "4 2 2 2147483648 600 1 1 avx512&(ib|eth) 1-9%2 ok:3,any:4 "
                      "echo \"hi\" $1");
}

STORE_TEST (script_jobs_and_no_allocation)
{
    sched_job_t job;
    cphub_error_t err = {{0}};
    loaded_t *l;

    memset (&job, 0, sizeof (job));
    jobspec_init (&job.spec);
    cr_assert_eq (
        jobspec_set_script (&job.spec, "#!/bin/sh\n#CPHUB -J scripted\ntrue\n", &err),
        0, "%s", err.text);
    job.id = 7;
    snprintf (job.tenant, sizeof (job.tenant), "beta");
    job.state = JOB_PENDING;
    begin ();
    put (&job);
    commit ();
    jobspec_clear (&job.spec);

    l = load ();
    cr_assert_eq (l->count, 1);
    cr_assert_eq (l->states[0], JOB_PENDING);
    cr_assert_str_eq (l->text[0], "beta scripted (script) - - - -",
                      "a pending job has no allocation");
}

static int script_cb (const sched_job_t *job, void *arg)
{
    (void)arg;
    cr_assert_not_null (job->spec.script);
    cr_assert_str_eq (job->spec.script, "#!/bin/sh\necho hi\n");
    return 0;
}

STORE_TEST (script_text_copied)
{
    sched_job_t job;
    cphub_error_t err = {{0}};

    memset (&job, 0, sizeof (job));
    jobspec_init (&job.spec);
    cr_assert_eq (jobspec_set_script (&job.spec, "#!/bin/sh\necho hi\n", &err), 0);
    job.id = 1;
    begin ();
    put (&job);
    commit ();
    job.spec.script[2] = 'X';
    jobspec_clear (&job.spec);
    cr_assert_eq (store_jobs_load (st, script_cb, NULL, &err), 0, "%s", err.text);
}

STORE_TEST (load_stops_when_callback_fails)
{
    sched_job_t job;
    cphub_error_t err = {{0}};
    loaded_t l;

    begin ();
    for (uint64_t id = 1; id <= 5; id++) {
        job_make (&job, id, "acme");
        put (&job);
        job_free (&job);
    }
    commit ();
    memset (&l, 0, sizeof (l));
    l.stop_after = 2;
    errno = 0;
    cr_assert_eq (store_jobs_load (st, load_cb, &l, &err), -1);
    cr_assert_eq (errno, ECANCELED, "the callback's errno is kept");
    cr_assert_eq (l.count, 2);
    cr_assert (strstr (err.text, "job 3"), "%s", err.text);
}

STORE_TEST (empty_load)
{
    loaded_t *l = load ();
    cr_assert_eq (l->count, 0);
}

STORE_TEST (many_jobs)
{
    sched_job_t job;
    loaded_t *l;

    job_make (&job, 0, "acme");
    begin ();
    for (uint64_t i = 0; i < 200; i++) {
        job.id = (i * 7919) % 200 + 1; /* every id 1..200, out of order */
        put (&job);
    }
    commit ();
    job_free (&job);
    reopen ();
    l = load ();
    cr_assert_eq (l->count, 200);
    for (int i = 0; i < 200; i++)
        cr_assert_eq (l->ids[i], (uint64_t)i + 1);
    cr_assert_eq (load ()->count, 200, "usable again after a load");
}
