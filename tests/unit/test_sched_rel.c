/* test_sched_rel.c: the scheduling core's jobs that relate to others or to
 * several nodes: job arrays and their throttle, dependencies (--after) and
 * their refusals, constraints, --exclusive, multi-node jobs (held on every
 * node, failing with any of them, restored) and restored arrays and
 * dependencies.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORE_HELPERS_FIXTURE
#include "tests/unit/core_helpers.h"

TestSuite (sched_rel, .init = core_setup, .fini = core_teardown);

/* A node of ncores cores in one domain with these features. */
static void rel_register (const char *name,
                          uint32_t ncores,
                          const char *features,
                          double now)
{
    node_desc_t d;

    make_node (&d, name, 1, ncores, false, 64 * GIB);
    snprintf (d.features, sizeof (d.features), "%s", features);
    core_register_desc (s, &d, now);
}

/* Submit a job of ntasks x cpt cores with one option set ("array", "after",
 * "constraint", "nodes", "exclusive"), as tenant; 0 and *first and *count, or
 * -1 with err. */
static int rel_submit (const char *tenant,
                       uint32_t ntasks,
                       uint32_t cpt,
                       const char *option,
                       const char *value,
                       double now,
                       uint64_t *first,
                       uint32_t *count,
                       cphub_error_t *err)
{
    jobspec_t spec;
    int rc;

    core_spec (&spec, ntasks, cpt);
    if (option)
        cr_assert_eq (jobspec_set_option (&spec, option, value, err), 0, "%s: %s",
                      option, err->text);
    rc = sched_job_submit_many (s, tenant, &spec, now, first, count, err);
    jobspec_clear (&spec);
    return rc;
}

static uint64_t rel_ok (
    uint32_t ntasks, uint32_t cpt, const char *option, const char *value, double now)
{
    cphub_error_t err = {{0}};
    uint64_t id = 0;
    uint32_t n = 0;

    cr_assert_eq (
        rel_submit ("tenant-a", ntasks, cpt, option, value, now, &id, &n, &err), 0,
        "submit --%s %s: %s", option ? option : "", value ? value : "", err.text);
    return id;
}

static void rel_refused (const char *tenant,
                         const char *option,
                         const char *value,
                         const char *want)
{
    cphub_error_t err = {{0}};
    uint64_t id = 0;
    uint32_t n = 0;

    cr_assert_eq (rel_submit (tenant, 1, 1, option, value, 1, &id, &n, &err), -1,
                  "--%s %s is refused", option, value);
    cr_assert (strstr (err.text, want), "error '%s' should say '%s'", err.text, want);
}

/* Decisions: START count (and the nodes they went to), KILLs. */
typedef struct rel_out {
    int starts, kills, changed;
    uint64_t started[64];
    char start_node[64][NODE_NAME_MAX + 1];
    char kill_node[NODE_NAME_MAX + 1];
} rel_out_t;

static rel_out_t rel_tick (double now)
{
    rel_out_t o;
    sched_decision_t d;

    memset (&o, 0, sizeof (o));
    sched_tick (s, now);
    while (sched_next (s, &d)) {
        if (d.action == SCHED_START && o.starts < 64) {
            o.started[o.starts] = d.job_id;
            snprintf (o.start_node[o.starts], sizeof (o.start_node[0]), "%s", d.node);
            o.starts++;
        } else if (d.action == SCHED_KILL) {
            o.kills++;
            snprintf (o.kill_node, sizeof (o.kill_node), "%s", d.node);
        } else if (d.action == SCHED_CHANGED) {
            o.changed++;
        }
    }
    return o;
}

static void rel_exit (uint64_t id, int code, double now)
{
    sched_exit_t ex = {.id = id, .kind = SCHED_EXIT_EXITED, .exit_code = code};

    ex.end_time = now;
    cr_assert_eq (sched_job_exited (s, job (id)->alloc.node, &ex, now), 0,
                  "exit of %ju", (uintmax_t)id);
}

static uint32_t rel_cores_used (const char *node)
{
    node_info_t info;

    cr_assert_eq (sched_node_lookup (s, node, &info), 0);
    return info.cores_used;
}

Test (sched_rel, array_is_one_submit_of_consecutive_jobs)
{
    cphub_error_t err = {{0}};
    uint64_t first = 0;
    uint32_t n = 0;
    job_info_t info;

    rel_register ("n1", 4, "", 0);
    cr_assert_eq (rel_submit ("tenant-a", 1, 1, "array", "0-15:4", 1, &first, &n, &err),
                  0, "%s", err.text);
    cr_assert_eq (n, 4);
    for (uint32_t i = 0; i < 4; i++) {
        sched_job_t *j = job (first + i);
        cr_assert_not_null (j);
        cr_assert_eq (j->array_id, first);
        cr_assert_eq (j->array_index, i * 4);
        cr_assert_eq (j->state, JOB_PENDING);
    }
    sched_job_info (job (first + 2), &info);
    cr_assert_eq (info.array_id, first);
    cr_assert_eq (info.array_index, 8);
    /* all four fit the 4-core node at once: no throttle */
    cr_assert_eq (rel_tick (2).starts, 4);
    /* a plain job is no array */
    uint64_t plain = rel_ok (1, 1, NULL, NULL, 3);
    cr_assert_eq (job (plain)->array_id, 0);
}

Test (sched_rel, array_element_by_index)
{
    cphub_error_t err = {{0}};
    uint64_t first = 0, id = 0;
    uint32_t n = 0, count = 0;

    rel_register ("n1", 4, "", 0);
    cr_assert_eq (
        rel_submit ("tenant-a", 1, 1, "array", "1-5,9,20-40:10", 1, &first, &n, &err),
        0, "%s", err.text);
    cr_assert_eq (n, 9);
    cr_assert_eq (sched_array_count (s, first, &count), 0);
    cr_assert_eq (count, 9);
    for (uint32_t i = 0; i < n; i++) {
        cr_assert_eq (sched_array_element (s, first, job (first + i)->array_index, &id),
                      0);
        cr_assert_eq (id, first + i);
    }
    /* where the indices >= 6, >= 9, >= 21 and >= 41 begin */
    uint32_t offset = 0;
    uint32_t seek[][2] = {{0, 0}, {6, 5}, {9, 5}, {21, 7}, {41, 9}};
    for (size_t i = 0; i < sizeof (seek) / sizeof (seek[0]); i++) {
        cr_assert_eq (sched_array_seek (s, first, seek[i][0], &offset), 0);
        cr_assert_eq (offset, seek[i][1], "seek %u: %u", seek[i][0], offset);
    }
    /* indices the array never had, and ids that are no array */
    uint32_t absent[] = {0, 6, 8, 10, 25, 41, 9999999};
    for (size_t i = 0; i < sizeof (absent) / sizeof (absent[0]); i++) {
        errno = 0;
        cr_assert_eq (sched_array_element (s, first, absent[i], &id), -1);
        cr_assert_eq (errno, ENOENT);
    }
    cr_assert_eq (sched_array_element (s, first + 1, 2, &id), -1);
    cr_assert_eq (sched_array_count (s, first + 1, &count), -1);
    cr_assert_eq (errno, ENOENT);
    /* forgotten elements leave gaps the lookup steps over */
    for (uint32_t i = 2; i <= 5; i++) {
        cr_assert_eq (sched_job_cancel (s, first + i, 2, &err), 0, "%s", err.text);
        cr_assert_eq (sched_job_forget (s, first + i), 0);
    }
    cr_assert_eq (sched_array_element (s, first, 5, &id), -1);
    cr_assert_eq (sched_array_seek (s, first, 3, &offset), 0);
    cr_assert_eq (offset, 2, "just past index 2, the forgotten after: %u", offset);
    cr_assert_eq (sched_array_element (s, first, 2, &id), 0);
    cr_assert_eq (id, first + 1);
    cr_assert_eq (sched_array_element (s, first, 30, &id), 0);
    cr_assert_eq (id, first + 7);
    cr_assert_eq (sched_array_element (s, first, 40, &id), 0);
    cr_assert_eq (id, first + 8);
}

Test (sched_rel, array_throttle_runs_at_most_n_at_once)
{
    cphub_error_t err = {{0}};
    uint64_t first = 0;
    uint32_t n = 0, done = 0;
    bool seen[10] = {false};
    double t = 1;

    rel_register ("n1", 8, "", 0);
    cr_assert_eq (rel_submit ("tenant-a", 1, 1, "array", "0-9%2", t, &first, &n, &err),
                  0, "%s", err.text);
    cr_assert_eq (n, 10);
    cr_assert_str_eq (job (first + 5)->reason, "ArrayTaskLimit");
    while (done < 10) {
        rel_out_t o = rel_tick (++t);
        uint32_t running = 0;
        for (uint32_t i = 0; i < 10; i++)
            running += job (first + i)->state == JOB_RUNNING;
        cr_assert_leq (running, 2, "at most 2 running, %u at t=%g", running, t);
        cr_assert (running > 0 || done == 10);
        for (int k = 0; k < o.starts; k++) {
            uint32_t index = job (o.started[k])->array_index;
            cr_assert_not (seen[index], "index %u started twice", index);
            seen[index] = true;
        }
        /* the lowest running element ends */
        for (uint32_t i = 0; i < 10; i++) {
            if (job (first + i)->state == JOB_RUNNING) {
                rel_exit (first + i, 0, t);
                done++;
                break;
            }
        }
    }
    for (uint32_t i = 0; i < 10; i++) {
        cr_assert (seen[i], "index %u ran", i);
        cr_assert_eq (job (first + i)->state, JOB_COMPLETED);
    }
}

Test (sched_rel, array_cancelled_elements_free_their_slot)
{
    cphub_error_t err = {{0}};
    uint64_t first = 0;
    uint32_t n = 0;

    rel_register ("n1", 8, "", 0);
    cr_assert_eq (rel_submit ("tenant-a", 1, 1, "array", "1-6%2", 1, &first, &n, &err),
                  0);
    cr_assert_eq (rel_tick (2).starts, 2);
    /* cancel a waiting element and a running one: the next waiting starts */
    cr_assert_eq (sched_job_cancel (s, first + 2, 3, &err), 0);
    cr_assert_eq (job (first + 2)->state, JOB_CANCELLED);
    cr_assert_eq (sched_job_cancel (s, first, 3, &err), 0);
    sched_exit_t ex = {.id = first, .kind = SCHED_EXIT_CANCELLED, .end_time = 3};
    cr_assert_eq (sched_job_exited (s, "n1", &ex, 3), 0);
    rel_out_t o = rel_tick (4);
    cr_assert_eq (o.starts, 1);
    cr_assert_eq (o.started[0], first + 3, "index 4 (index 3 was cancelled)");
}

Test (sched_rel, array_limits)
{
    sched_config_t cfg = {.default_walltime = 3600,
                          .max_walltime = 7 * 86400,
                          .heartbeat_timeout = 30,
                          .max_array_size = 100};

    sched_destroy (s);
    s = sched_create (&cfg);
    cr_assert_not_null (s);
    rel_refused ("tenant-a", "array", "0-199",
                 "200 elements; this hub allows at most 100");
    rel_ok (1, 1, "array", "0-99", 1);
    cr_assert_not_null (sched_job_lookup (s, 100));
    cr_assert_null (sched_job_lookup (s, 101));
}

Test (sched_rel, after_ok_waits_for_completion)
{
    rel_register ("n1", 4, "", 0);
    uint64_t a = rel_ok (1, 1, NULL, NULL, 1);
    char after[32];

    snprintf (after, sizeof (after), "ok:%ju", (uintmax_t)a);
    uint64_t b = rel_ok (1, 1, "after", after, 1);
    cr_assert_str_eq (job (b)->reason, "Dependency");
    rel_out_t o = rel_tick (2);
    cr_assert_eq (o.starts, 1, "only A starts, though B fits");
    cr_assert_eq (o.started[0], a);
    cr_assert_eq (rel_tick (3).starts, 0);
    cr_assert_eq (job (b)->state, JOB_PENDING);
    rel_exit (a, 0, 4);
    o = rel_tick (5);
    cr_assert_eq (o.starts, 1);
    cr_assert_eq (o.started[0], b);
}

Test (sched_rel, a_failed_dependency_cancels_the_chain)
{
    char after[32];

    rel_register ("n1", 4, "", 0);
    uint64_t a = rel_ok (1, 1, NULL, NULL, 1);
    snprintf (after, sizeof (after), "ok:%ju", (uintmax_t)a);
    uint64_t b = rel_ok (1, 1, "after", after, 1);
    snprintf (after, sizeof (after), "afterok:%ju", (uintmax_t)b);
    uint64_t c = rel_ok (1, 1, "after", after, 1);
    snprintf (after, sizeof (after), "any:%ju", (uintmax_t)b);
    uint64_t d = rel_ok (1, 1, "after", after, 1);
    snprintf (after, sizeof (after), "afterany:%ju", (uintmax_t)a);
    uint64_t e = rel_ok (1, 1, "after", after, 1);
    rel_tick (2);
    rel_exit (a, 3, 3);
    char want[64];
    snprintf (want, sizeof (want), "dependency %ju failed", (uintmax_t)a);
    cr_assert_eq (job (b)->state, JOB_CANCELLED);
    cr_assert_str_eq (job (b)->reason, want);
    snprintf (want, sizeof (want), "dependency %ju failed", (uintmax_t)b);
    cr_assert_eq (job (c)->state, JOB_CANCELLED, "ok on a cancelled job");
    cr_assert_str_eq (job (c)->reason, want);
    /* any: runs after a cancelled or failed job */
    rel_out_t o = rel_tick (4);
    cr_assert_eq (o.starts, 2);
    cr_assert_eq (job (d)->state, JOB_RUNNING);
    cr_assert_eq (job (e)->state, JOB_RUNNING);
}

Test (sched_rel, after_refusals)
{
    char after[32];

    rel_register ("n1", 4, "", 0);
    rel_refused ("tenant-a", "after", "ok:12", "--after: no such job 12");
    uint64_t theirs = rel_ok (1, 1, NULL, NULL, 1); /* tenant-a's */
    snprintf (after, sizeof (after), "ok:%ju", (uintmax_t)theirs);
    rel_refused ("tenant-b", "after", after, "no such job");
    /* one that already failed can never be met; one that completed is */
    rel_tick (2);
    rel_exit (theirs, 1, 3);
    char want[64];
    snprintf (want, sizeof (want), "job %ju ended FAILED; ok:%ju can never be met",
              (uintmax_t)theirs, (uintmax_t)theirs);
    rel_refused ("tenant-a", "after", after, want);
    uint64_t good = rel_ok (1, 1, NULL, NULL, 4);
    rel_tick (5);
    rel_exit (good, 0, 6);
    snprintf (after, sizeof (after), "ok:%ju,any:%ju", (uintmax_t)good,
              (uintmax_t)theirs);
    uint64_t now_ok = rel_ok (1, 1, "after", after, 7);
    cr_assert_neq (strcmp (job (now_ok)->reason, "Dependency"), 0);
    cr_assert_eq (rel_tick (8).starts, 1);
}

Test (sched_rel, after_an_array_waits_for_every_element)
{
    cphub_error_t err = {{0}};
    uint64_t first = 0;
    uint32_t n = 0;
    char after[32];

    rel_register ("n1", 4, "", 0);
    cr_assert_eq (rel_submit ("tenant-a", 1, 1, "array", "0-2", 1, &first, &n, &err),
                  0);
    snprintf (after, sizeof (after), "ok:%ju", (uintmax_t)first);
    uint64_t b = rel_ok (1, 1, "after", after, 1);
    cr_assert_eq (rel_tick (2).starts, 3);
    rel_exit (first, 0, 3);
    rel_exit (first + 1, 0, 3);
    cr_assert_eq (rel_tick (4).starts, 0, "one element still runs");
    rel_exit (first + 2, 0, 5);
    rel_out_t o = rel_tick (6);
    cr_assert_eq (o.starts, 1);
    cr_assert_eq (o.started[0], b);
}

Test (sched_rel, cancelled_and_forgotten_jobs_leave_no_links)
{
    cphub_error_t err = {{0}};
    char after[32];

    rel_register ("n1", 4, "", 0);
    uint64_t a = rel_ok (1, 1, NULL, NULL, 1);
    snprintf (after, sizeof (after), "ok:%ju", (uintmax_t)a);
    uint64_t b = rel_ok (1, 1, "after", after, 1);
    uint64_t c = rel_ok (1, 1, "after", after, 1);
    /* b is cancelled while it waits, then forgotten; a's end reaches only c */
    cr_assert_eq (sched_job_cancel (s, b, 2, &err), 0);
    cr_assert_eq (sched_job_forget (s, b), 0);
    rel_tick (3);
    rel_exit (a, 0, 4);
    cr_assert_eq (sched_job_forget (s, a), 0);
    rel_out_t o = rel_tick (5);
    cr_assert_eq (o.starts, 1);
    cr_assert_eq (o.started[0], c);
}

Test (sched_rel, constraints_place_and_refuse)
{
    cphub_error_t err = {{0}};
    uint64_t id = 0;
    uint32_t n = 0;

    /* no node yet: a constrained job waits */
    uint64_t early = rel_ok (1, 1, "constraint", "h100", 0);
    rel_register ("plain", 8, "", 1);
    rel_register ("fast", 4, "avx512", 1);
    rel_register ("gpu", 8, "avx512,a100", 1);
    rel_refused ("tenant-a", "constraint", "avx512&h100",
                 "no node has features avx512&h100");
    rel_refused ("tenant-a", "constraint", "bigmem|h100", "no node has features");
    /* -c 6 with avx512: only the 8-core one of the two can ever hold it */
    cr_assert_eq (
        rel_submit ("tenant-a", 1, 6, "constraint", "avx512", 1, &id, &n, &err), 0);
    cr_assert_eq (
        rel_submit ("tenant-a", 1, 16, "constraint", "avx512", 1, &id, &n, &err), -1);
    cr_assert (strstr (err.text, "with features avx512"), "%s", err.text);
    /* the early one can never run now; under FIFO it would hold the line */
    cr_assert_eq (sched_job_cancel (s, early, 2, &err), 0);
    uint64_t a = rel_ok (2, 1, "constraint", "avx512&!a100", 2);
    uint64_t b = rel_ok (2, 1, "constraint", "a100", 2);
    rel_tick (3);
    cr_assert_str_eq (job (a)->alloc.node, "fast");
    cr_assert_str_eq (job (b)->alloc.node, "gpu");
    cr_assert_str_eq (job (id)->alloc.node, "gpu", "6 cores: only gpu has room");
    cr_assert_str_eq (job (early)->reason, "cancelled by user");
}

Test (sched_rel, exclusive_takes_a_whole_idle_node)
{
    rel_register ("n1", 4, "", 0);
    rel_register ("n2", 8, "", 0);
    uint64_t small = rel_ok (1, 1, NULL, NULL, 1);
    rel_tick (2);
    cr_assert_str_eq (job (small)->alloc.node, "n1", "best fit");
    uint64_t x = rel_ok (2, 1, "exclusive", NULL, 3);
    rel_tick (4);
    cr_assert_str_eq (job (x)->alloc.node, "n2", "n1 is not idle");
    cr_assert_eq (idset_count (job (x)->alloc.cores), 8, "all of n2");
    cr_assert_eq (rel_cores_used ("n2"), 8);
    /* nothing else goes to n2 while it runs; a second exclusive job waits */
    uint64_t z = rel_ok (1, 1, NULL, NULL, 5);
    uint64_t y = rel_ok (1, 1, "exclusive", NULL, 5);
    rel_tick (6);
    cr_assert_eq (job (y)->state, JOB_PENDING);
    cr_assert_str_eq (job (z)->alloc.node, "n1");
    rel_exit (x, 0, 7);
    rel_tick (8);
    cr_assert_str_eq (job (y)->alloc.node, "n2");
}

Test (sched_rel, multi_node_job_holds_every_node)
{
    char nodelist[256], cpus[64];
    job_info_t info;

    rel_register ("n1", 4, "", 0);
    rel_register ("n2", 4, "", 0);
    rel_register ("n3", 8, "", 0);
    uint64_t busy = rel_ok (3, 1, NULL, NULL, 1);
    rel_tick (2);
    cr_assert_str_eq (job (busy)->alloc.node, "n1");
    /* -N 2 -c 2: one task of 2 cores on each of two nodes */
    uint64_t m = rel_ok (1, 2, "nodes", "2", 3);
    rel_out_t o = rel_tick (4);
    cr_assert_eq (o.starts, 1, "one job.run, to the first node");
    cr_assert_eq (o.started[0], m);
    cr_assert_str_eq (o.start_node[0], "n2", "best fit: n2 then n3");
    cr_assert_eq (job (m)->nothers, 1);
    cr_assert_str_eq (job (m)->others[0].node, "n3");
    cr_assert_eq (rel_cores_used ("n2"), 2);
    cr_assert_eq (rel_cores_used ("n3"), 2);
    cr_assert_eq (
        sched_job_layout (job (m), nodelist, sizeof (nodelist), cpus, sizeof (cpus)),
        0);
    cr_assert_str_eq (nodelist, "n2,n3");
    cr_assert_str_eq (cpus, "2,2");
    sched_job_info (job (m), &info);
    cr_assert_str_eq (info.nodelist, "n2,n3");
    /* a plain job has its node in the layout too */
    cr_assert_eq (
        sched_job_layout (job (busy), nodelist, sizeof (nodelist), cpus, sizeof (cpus)),
        0);
    cr_assert_str_eq (nodelist, "n1");
    cr_assert_str_eq (cpus, "3");
    /* its end frees both */
    rel_exit (m, 0, 5);
    cr_assert_eq (rel_cores_used ("n2"), 0);
    cr_assert_eq (rel_cores_used ("n3"), 0);
    cr_assert_eq (job (m)->state, JOB_COMPLETED);
}

Test (sched_rel, multi_node_job_waits_for_enough_nodes_and_is_refused_beyond)
{
    rel_register ("n1", 4, "", 0);
    rel_register ("n2", 4, "", 0);
    rel_refused ("tenant-a", "nodes", "3",
                 "asked 3 nodes; only 2 nodes can hold 1 core");
    uint64_t busy = rel_ok (3, 1, NULL, NULL, 1);
    uint64_t m = rel_ok (2, 1, "nodes", "2", 1); /* 1 task of 2... 1 core each */
    rel_tick (2);
    cr_assert_eq (job (busy)->state, JOB_RUNNING);
    cr_assert_eq (job (m)->state, JOB_RUNNING, "1 core left on n1 is enough");
    uint64_t big = rel_ok (4, 1, "nodes", "2", 3); /* 2 cores on each */
    rel_tick (4);
    cr_assert_eq (job (big)->state, JOB_PENDING);
    rel_exit (busy, 0, 5);
    rel_exit (m, 0, 5);
    rel_tick (6);
    cr_assert_eq (job (big)->state, JOB_RUNNING);
}

Test (sched_rel, a_multi_node_job_fails_with_any_of_its_nodes)
{
    uint64_t m;

    rel_register ("n1", 4, "", 0);
    rel_register ("n2", 4, "", 0);
    m = rel_ok (1, 4, "nodes", "2", 1);
    rel_tick (2);
    cr_assert_str_eq (job (m)->alloc.node, "n1");
    cr_assert_eq (rel_cores_used ("n2"), 4);
    /* n2 (where nothing runs but its cores are held) falls silent */
    for (double t = 10; t <= 40; t += 10)
        cr_assert_eq (sched_node_heartbeat (s, "n1", t), 0);
    rel_out_t o = rel_tick (40);
    cr_assert_eq (o.kills, 1, "the script on n1 is killed");
    cr_assert_str_eq (o.kill_node, "n1");
    cr_assert_eq (job (m)->state, JOB_PENDING, "requeued");
    cr_assert_eq (rel_cores_used ("n1"), 0);
    /* it waits for n1 to report the killed run before it starts again */
    cr_assert_eq (rel_tick (41).starts, 0);
    sched_exit_t ex = {.id = m, .kind = SCHED_EXIT_CANCELLED, .end_time = 42};
    cr_assert_eq (sched_job_exited (s, "n1", &ex, 42), 0);
    cr_assert_eq (job (m)->state, JOB_PENDING, "only one node is up");
}

Test (sched_rel, a_restored_multi_node_job_holds_its_nodes_again)
{
    cphub_error_t err = {{0}};
    sched_job_t copy;
    sched_t *fresh;
    sched_config_t cfg = {
        .default_walltime = 3600, .max_walltime = 7 * 86400, .heartbeat_timeout = 30};

    rel_register ("n1", 4, "", 0);
    rel_register ("n2", 4, "", 0);
    uint64_t m = rel_ok (1, 3, "nodes", "2", 1);
    rel_tick (2);
    /* what a store would give back: a deep copy */
    copy = *job (m);
    copy.others = sched_allocs_copy (job (m)->others, job (m)->nothers);
    cr_assert_not_null (copy.others);
    char *text = sched_allocs_encode (copy.others, copy.nothers);
    sched_alloc_t *back = NULL;
    uint32_t nback = 0;
    cr_assert_eq (sched_allocs_decode (text, &back, &nback, &err), 0, "%s", err.text);
    cr_assert_eq (nback, 1);
    cr_assert_str_eq (back[0].node, "n2");
    cr_assert_eq (idset_count (back[0].cores), 3);
    free (text);
    sched_allocs_free (copy.others, copy.nothers);
    copy.others = back;
    fresh = sched_create (&cfg);
    cr_assert_eq (sched_job_restore (fresh, &copy, &err), 0, "%s", err.text);
    sched_allocs_free (back, nback);
    /* n2 registers: its 3 held cores are taken again */
    sched_t *keep = s;
    s = fresh;
    rel_register ("n2", 4, "", 3);
    cr_assert_eq (rel_cores_used ("n2"), 3);
    uint64_t other = rel_ok (1, 2, NULL, NULL, 4);
    rel_tick (4);
    cr_assert_eq (job (other)->state, JOB_PENDING, "n2 has 1 core free, n1 unknown");
    s = keep;
    sched_destroy (fresh);
    cr_assert_eq (sched_allocs_decode ("n2|0-1|0-1||0", &back, &nback, &err), -1);
    cr_assert_eq (sched_allocs_decode ("", &back, &nback, &err), 0);
    cr_assert_eq (nback, 0);
}

Test (sched_rel, restored_array_and_dependencies_wait_again)
{
    cphub_error_t err = {{0}};
    sched_config_t cfg = {
        .default_walltime = 3600, .max_walltime = 7 * 86400, .heartbeat_timeout = 30};
    uint64_t first = 0;
    uint32_t n = 0;
    char after[32];

    rel_register ("n1", 8, "", 0);
    cr_assert_eq (rel_submit ("tenant-a", 1, 1, "array", "0-5%2", 1, &first, &n, &err),
                  0);
    snprintf (after, sizeof (after), "ok:%ju", (uintmax_t)first);
    uint64_t dep = rel_ok (1, 1, "after", after, 1);
    rel_tick (2);
    /* restore everything into a fresh core (as a restarted scheduler) */
    sched_t *fresh = sched_create (&cfg);
    for (sched_job_t *j = sched_job_first (s); j; j = sched_job_next (s, j))
        cr_assert_eq (sched_job_restore (fresh, j, &err), 0, "%s", err.text);
    sched_t *keep = s;
    s = fresh;
    /* the agent held nothing: the two runs are lost and run again */
    rel_register ("n1", 8, "", 3);
    for (double t = 3; t < 6; t++) {
        rel_tick (t);
        uint32_t running = 0;
        for (uint32_t i = 0; i < n; i++)
            running += job (first + i)->state == JOB_RUNNING;
        cr_assert_eq (running, 2, "the throttle holds after a restart (%u)", running);
    }
    cr_assert_eq (job (first)->state, JOB_RUNNING);
    cr_assert_eq (job (first + 1)->state, JOB_RUNNING);
    cr_assert_str_eq (job (first + 2)->reason, "ArrayTaskLimit");
    cr_assert_eq (job (dep)->state, JOB_PENDING);
    cr_assert_str_eq (job (dep)->reason, "Dependency");
    rel_exit (first, 0, 6);
    cr_assert_eq (rel_tick (7).starts, 1, "the next element");
    cr_assert_eq (job (first + 2)->state, JOB_RUNNING);
    s = keep;
    sched_destroy (fresh);
}

/* Requeued ended elements run under their array's throttle again. */
Test (sched_rel, requeued_elements_keep_the_throttle)
{
    cphub_error_t err = {{0}};
    uint64_t first = 0;
    uint32_t n = 0;
    double t = 1;

    rel_register ("n1", 8, "", 0);
    cr_assert_eq (rel_submit ("tenant-a", 1, 1, "array", "0-2%1", t, &first, &n, &err),
                  0, "%s", err.text);
    for (uint32_t i = 0; i < n; i++) {
        rel_tick (++t);
        cr_assert_eq (job (first + i)->state, JOB_RUNNING, "element %u runs", i);
        rel_exit (first + i, 0, ++t);
    }
    for (uint32_t i = 0; i < n; i++)
        cr_assert_eq (sched_job_requeue (s, first + i, t, &err), 0, "%s", err.text);
    cr_assert_str_eq (job (first + 1)->reason, "ArrayTaskLimit");
    for (uint32_t done = 0; done < n;) {
        uint32_t running = 0;
        rel_tick (++t);
        for (uint32_t i = 0; i < n; i++)
            running += job (first + i)->state == JOB_RUNNING;
        cr_assert_eq (running, 1, "one element at a time, %u at t=%g", running, t);
        for (uint32_t i = 0; i < n; i++) {
            if (job (first + i)->state == JOB_RUNNING) {
                rel_exit (first + i, 0, ++t);
                done++;
            }
        }
    }
    for (uint32_t i = 0; i < n; i++)
        cr_assert_eq (job (first + i)->state, JOB_COMPLETED);
}

/* What a restarted scheduler restores of an array whose first element
 * ended long ago: the first element too (it names the array), read before
 * the others in id order, so that the array keeps its size and throttle and
 * --after ok:ARRAY still waits on the elements that run. */
Test (sched_rel, an_array_restored_with_its_ended_first_element_stays_whole)
{
    cphub_error_t err = {{0}};
    sched_config_t cfg = {
        .default_walltime = 3600, .max_walltime = 7 * 86400, .heartbeat_timeout = 30};
    uint64_t first = 0;
    uint32_t n = 0, count = 0;
    char after[32];

    rel_register ("n1", 8, "", 0);
    cr_assert_eq (rel_submit ("tenant-a", 1, 1, "array", "0-3%1", 1, &first, &n, &err),
                  0);
    snprintf (after, sizeof (after), "ok:%ju", (uintmax_t)first);
    uint64_t dep = rel_ok (1, 1, "after", after, 1);
    rel_tick (2);
    rel_exit (first, 0, 3);
    rel_tick (4);
    cr_assert_eq (job (first)->state, JOB_COMPLETED);
    cr_assert_eq (job (first + 1)->state, JOB_RUNNING);
    sched_t *fresh = sched_create (&cfg);
    for (sched_job_t *j = sched_job_first (s); j; j = sched_job_next (s, j))
        cr_assert_eq (sched_job_restore (fresh, j, &err), 0, "%s", err.text);
    sched_t *keep = s;
    s = fresh;
    cr_assert_eq (sched_array_count (s, first, &count), 0);
    cr_assert_eq (count, 4, "the array's size comes from its first element");
    cr_assert_str_eq (job (first + 2)->reason, "ArrayTaskLimit");
    rel_register ("n1", 8, "", 5);
    rel_tick (6);
    cr_assert_eq (job (dep)->state, JOB_PENDING, "elements 1 to 3 have not ended");
    cr_assert_str_eq (job (dep)->reason, "Dependency");
    cr_assert_eq (sched_jobs_forget (s, 1e9, 100), 0,
                  "the first element stays while other elements are known");
    s = keep;
    sched_destroy (fresh);
}
