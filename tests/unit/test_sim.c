/* test_sim.c: unit tests for cphub-sim's trace handling (bench/sim_trace.h):
 * header and records are read, records with unknown values are skipped and
 * counted, run times are capped at the requested time; equal submit times
 * keep trace order; a job spanning more nodes than a job may is skipped and
 * counted instead of stopping the replay, one larger than the cluster too,
 * and on one node (the pool) no job is too wide.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench/sim_trace.h"
#include "cphub/jobspec.h"

#define TIES 1000 /* records sharing one submit time */

static sim_trace_t t;

static void teardown (void)
{
    sim_trace_clear (&t);
}

TestSuite (sim, .fini = teardown);

/* One SWF data record: job, submit, run, procs, requested time, user. */
static void record (uint32_t job, double submit, double run, int procs, double req)
{
    char line[256];

    snprintf (line, sizeof (line),
              "%u %.0f 0 %.0f %d -1 -1 %d %.0f -1 1 7 1 -1 1 -1 -1 -1\n", job, submit,
              run, procs, procs, req);
    cr_assert_eq (sim_trace_line (&t, line), 0);
}

Test (sim, reads_skips_and_caps)
{
    cr_assert_eq (sim_trace_line (&t, "; MaxProcs: 100\n"), 0);
    record (1, 0, 50, 4, 100);
    record (2, 10, 500, 4, 100); /* runs past its request: killed at 100 */
    record (3, -1, 50, 4, 100);  /* unknown submit time */
    record (4, 20, 50, -1, 100); /* unknown processor count */
    cr_assert_eq (sim_trace_line (&t, "\n"), 0, "a blank line is no record");
    cr_assert_eq (t.max_procs, 100);
    cr_assert_eq (t.records, 4);
    cr_assert_eq (t.unknown, 2);
    cr_assert_eq (t.njobs, 2);
    cr_assert_eq (t.capped, 1);
    cr_assert_float_eq (t.jobs[1].run, 100.0, 1e-9);
    cr_assert_eq (t.jobs[1].walltime, 100);
    cr_assert_eq (t.jobs[1].user, 7);
    cr_assert_eq (t.jobs[1].record, 1);
}

Test (sim, equal_submit_times_keep_trace_order)
{
    /* submits 30, 20 and TIES x 10 interleaved: ties must come out in the
     * order the trace gave them, whatever the sort does with equal keys */
    record (0, 30, 1, 1, 10);
    for (uint32_t i = 1; i <= TIES; i++)
        record (i, i % 3 == 0 ? 20 : 10, 1, 1, 10);
    for (uint32_t i = 0, j = t.njobs - 1; i < j; i++, j--) {
        sim_job_t tmp = t.jobs[i]; /* reversed: a stable sort is not enough */
        t.jobs[i] = t.jobs[j];
        t.jobs[j] = tmp;
    }
    sim_trace_order (&t);
    cr_assert_eq (t.njobs, TIES + 1);
    for (uint32_t i = 1; i < t.njobs; i++) {
        const sim_job_t *a = &t.jobs[i - 1], *b = &t.jobs[i];
        cr_assert (
            a->submit < b->submit || (a->submit == b->submit && a->record < b->record),
            "position %u: submit %.0f record %u after submit %.0f record %u", i,
            b->submit, b->record, a->submit, a->record);
    }
    cr_assert_float_eq (t.jobs[t.njobs - 1].submit, 30.0, 1e-9);
}

Test (sim, over_wide_jobs_are_skipped_and_counted)
{
    record (0, 0, 1, JOBSPEC_NODES_MAX, 10);     /* 64 nodes of 1: fits */
    record (1, 1, 1, JOBSPEC_NODES_MAX + 1, 10); /* 65 nodes: too wide */
    record (2, 2, 1, 100, 10);                   /* the whole cluster: too wide */
    record (3, 3, 1, 101, 10);                   /* larger than the cluster */
    record (4, 4, 1, 2, 10);
    sim_trace_order (&t);
    sim_trace_fit (&t, 100, 1, 0);
    cr_assert_eq (t.too_wide, 2, "the replay goes on without them");
    cr_assert_eq (t.too_large, 1);
    cr_assert_eq (t.njobs, 2);
    cr_assert_eq (t.jobs[0].procs, JOBSPEC_NODES_MAX);
    cr_assert_eq (t.jobs[1].procs, 2, "the jobs after them are kept");
}

Test (sim, on_one_node_no_job_is_too_wide)
{
    record (0, 0, 1, 100, 10);
    record (1, 1, 1, 101, 10);
    record (2, 2, 1, 1, 10);
    record (3, 3, 1, 1, 10);
    sim_trace_fit (&t, 1, 100, 2);
    cr_assert_eq (t.too_wide, 0);
    cr_assert_eq (t.too_large, 1);
    cr_assert_eq (t.njobs, 2, "limit keeps the first two usable jobs");
    cr_assert_eq (t.jobs[1].procs, 1);
}

Test (sim, load_reads_a_file_in_order)
{
    char path[] = "/tmp/test_sim.XXXXXX";
    int fd = mkstemp (path);
    cr_assert_geq (fd, 0);
    FILE *f = fdopen (fd, "w");
    cr_assert_not_null (f);
    fputs (
        "; MaxProcs: 8\n"
        "1 20 0 5 1 -1 -1 1 10 -1 1 1 1 -1 1 -1 -1 -1\n"
        "2 10 0 5 2 -1 -1 2 10 -1 1 1 1 -1 1 -1 -1 -1\n"
        "3 10 0 5 3 -1 -1 3 10 -1 1 1 1 -1 1 -1 -1 -1\n",
        f);
    cr_assert_eq (fclose (f), 0);
    int rc = sim_trace_load (path, &t);
    unlink (path);
    cr_assert_eq (rc, 0);
    cr_assert_eq (t.max_procs, 8);
    cr_assert_eq (t.njobs, 3);
    cr_assert_eq (t.jobs[0].procs, 2);
    cr_assert_eq (t.jobs[1].procs, 3);
    cr_assert_eq (t.jobs[2].procs, 1);
    sim_trace_clear (&t);
    cr_assert_eq (sim_trace_load ("/nonexistent/trace.swf", &t), -1);
}
