/* test_agent_sim.c: unit tests for agent/sim.c, the agent's simulated
 * execution: the run time read from a job's command, the end it reports
 * (COMPLETED, TIMEOUT at the wall-time limit, CANCELLED on a kill), the
 * order jobs end in, and huge, endless or senseless run times (`sleep
 * 1e300`, `sleep inf`, `sleep nan`) that end at the limit or at once, never
 * past SIM_RUN_TIME_MAX. Time is an argument, so no test waits.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/sim.h"

/* A spec running argv (NULL-terminated), with walltime seconds. */
static void spec_argv (jobspec_t *spec, int64_t walltime, char *const argv[])
{
    cphub_error_t err = {""};
    int argc = 0;

    while (argv[argc])
        argc++;
    jobspec_init (spec);
    cr_assert_eq (jobspec_set_argv (spec, argc, argv, &err), 0, "%s", err.text);
    spec->walltime = walltime;
}

static double run_time_of (char *const argv[])
{
    jobspec_t spec;
    double t;

    spec_argv (&spec, 0, argv);
    t = sim_run_time (&spec);
    jobspec_clear (&spec);
    return t;
}

Test (agent_sim, run_time_from_leading_sleep)
{
    cr_assert_float_eq (run_time_of ((char *[]){"sleep", "10", NULL}), 10.0, 1e-9);
    cr_assert_float_eq (run_time_of ((char *[]){"/bin/sleep", "2.5", NULL}), 2.5, 1e-9);
    cr_assert_float_eq (run_time_of ((char *[]){"sleep", "2m", NULL}), 120.0, 1e-9);
    cr_assert_float_eq (run_time_of ((char *[]){"true", NULL}), 0.0, 1e-9);
    cr_assert_float_eq (run_time_of ((char *[]){"sleep", "x", NULL}), 0.0, 1e-9);
    cr_assert_float_eq (run_time_of ((char *[]){"sleep", "-3", NULL}), 0.0, 1e-9);
    cr_assert_float_eq (run_time_of ((char *[]){"nosleep", "3", NULL}), 0.0, 1e-9);
    cr_assert_float_eq (run_time_of ((char *[]){"sleep", NULL}), 0.0, 1e-9);
}

Test (agent_sim, run_time_from_script)
{
    jobspec_t spec;

    jobspec_init (&spec);
    spec.script = strdup ("#!/bin/sh\n# a comment\n\n  sleep 7; echo done\n");
    cr_assert_float_eq (sim_run_time (&spec), 7.0, 1e-9);
    free (spec.script);
    spec.script = strdup ("#!/bin/sh\nhostname\nsleep 7\n");
    cr_assert_float_eq (sim_run_time (&spec), 0.0, 1e-9);
    jobspec_clear (&spec);
}

Test (agent_sim, completes_after_its_run_time)
{
    char *argv[] = {"sleep", "5", NULL};
    sim_t *s = sim_create ();
    msg_job_exit_t e;
    jobspec_t spec;

    spec_argv (&spec, 60, argv);
    cr_assert_eq (sim_start (s, 7, &spec, 100.0, 1000.0), 0);
    cr_assert_eq (sim_start (s, 7, &spec, 100.0, 1000.0), -1);
    cr_assert_eq (errno, EEXIST);
    cr_assert_eq (sim_count (s), 1);
    cr_assert_float_eq (sim_next (s), 105.0, 1e-9);
    cr_assert_eq (sim_take_due (s, 104.9, 1004.9, &e), 0);
    cr_assert_eq (sim_take_due (s, 105.5, 1005.5, &e), 1);
    cr_assert_eq (e.id, 7);
    cr_assert_eq (e.kind, EXIT_EXITED);
    cr_assert_eq (e.exit_code, 0);
    cr_assert_float_eq (e.start_time, 1000.0, 1e-9);
    cr_assert_float_eq (e.end_time, 1005.0, 1e-9);
    cr_assert_eq (sim_count (s), 0);
    cr_assert_float_eq (sim_next (s), -1.0, 1e-9);
    jobspec_clear (&spec);
    sim_destroy (s);
}

Test (agent_sim, times_out_at_the_wall_time_limit)
{
    char *argv[] = {"sleep", "600", NULL};
    sim_t *s = sim_create ();
    msg_job_exit_t e;
    jobspec_t spec;

    spec_argv (&spec, 60, argv);
    cr_assert_eq (sim_start (s, 1, &spec, 0.0, 500.0), 0);
    cr_assert_float_eq (sim_next (s), 60.0, 1e-9);
    cr_assert_eq (sim_take_due (s, 61.0, 561.0, &e), 1);
    cr_assert_eq (e.kind, EXIT_TIMEOUT);
    cr_assert_float_eq (e.end_time, 560.0, 1e-9);
    jobspec_clear (&spec);
    sim_destroy (s);
}

Test (agent_sim, kill_cancels_at_once)
{
    char *argv[] = {"sleep", "100", NULL};
    sim_t *s = sim_create ();
    msg_job_exit_t e;
    jobspec_t spec;

    spec_argv (&spec, 0, argv);
    cr_assert_eq (sim_start (s, 1, &spec, 0.0, 0.0), 0);
    cr_assert_eq (sim_start (s, 2, &spec, 0.0, 0.0), 0);
    cr_assert_eq (sim_kill (s, 2, 3.0), 0);
    cr_assert_eq (sim_kill (s, 9, 3.0), -1);
    cr_assert_eq (errno, ENOENT);
    cr_assert_float_eq (sim_next (s), 3.0, 1e-9);
    cr_assert_eq (sim_take_due (s, 3.0, 3.0, &e), 1);
    cr_assert_eq (e.id, 2);
    cr_assert_eq (e.kind, EXIT_CANCELLED);
    /* the stale entry of job 2's first end is skipped */
    cr_assert_eq (sim_take_due (s, 99.0, 99.0, &e), 0);
    cr_assert_eq (sim_take_due (s, 100.0, 100.0, &e), 1);
    cr_assert_eq (e.id, 1);
    cr_assert_eq (sim_take_due (s, 200.0, 200.0, &e), 0);
    jobspec_clear (&spec);
    sim_destroy (s);
}

Test (agent_sim, many_jobs_end_in_order)
{
    sim_t *s = sim_create ();
    msg_job_exit_t e;
    jobspec_t spec;
    double last = -1;
    uint32_t n = 0;

    for (int i = 0; i < 1000; i++) {
        char arg[16];
        char *argv[] = {"sleep", arg, NULL};
        snprintf (arg, sizeof (arg), "%d", (i * 7919) % 1000);
        spec_argv (&spec, 0, argv);
        cr_assert_eq (sim_start (s, (uint64_t)i + 1, &spec, 0.0, 0.0), 0);
        jobspec_clear (&spec);
    }
    while (sim_take_due (s, 1e9, 1e9, &e) > 0) {
        cr_assert_geq (e.end_time, last);
        last = e.end_time;
        n++;
    }
    cr_assert_eq (n, 1000);
    sim_destroy (s);
}

Test (agent_sim, run_time_huge_endless_or_senseless)
{
    cr_assert_float_eq (run_time_of ((char *[]){"sleep", "1e300", NULL}), 1e300, 1e288);
    cr_assert (isinf (run_time_of ((char *[]){"sleep", "inf", NULL})));
    cr_assert (isinf (run_time_of ((char *[]){"sleep", "infinity", NULL})));
    cr_assert (isinf (run_time_of ((char *[]){"sleep", "1e400", NULL})));
    cr_assert (isinf (run_time_of ((char *[]){"sleep", "1e307d", NULL})));
    cr_assert_float_eq (run_time_of ((char *[]){"sleep", "1e-400", NULL}), 0.0, 1e-9);
    cr_assert_float_eq (run_time_of ((char *[]){"sleep", "nan", NULL}), 0.0, 1e-9);
    cr_assert_float_eq (run_time_of ((char *[]){"sleep", "-inf", NULL}), 0.0, 1e-9);
    cr_assert_float_eq (run_time_of ((char *[]){"sleep", "-1e300", NULL}), 0.0, 1e-9);
}

/* Start one job of argv with walltime at mono 1000: its report once due. */
static msg_job_exit_t end_of (int64_t walltime, char *const argv[], double *end)
{
    sim_t *s = sim_create ();
    msg_job_exit_t e = {0};
    jobspec_t spec;

    spec_argv (&spec, walltime, argv);
    cr_assert_eq (sim_start (s, 1, &spec, 1000.0, 5000.0), 0);
    *end = sim_next (s);
    cr_assert_eq (sim_take_due (s, *end, 1e12, &e), 1);
    jobspec_clear (&spec);
    sim_destroy (s);
    return e;
}

/* Whatever the command says, a job ends by its wall-time limit, or by
 * SIM_RUN_TIME_MAX when it has none or a longer one: TIMEOUT, as a real
 * job would, at an end a timer can be armed at. */
Test (agent_sim, huge_run_times_end_at_the_limit)
{
    char *huge[] = {"sleep", "1e300", NULL}, *endless[] = {"sleep", "inf", NULL};
    char *senseless[] = {"sleep", "nan", NULL};
    msg_job_exit_t e;
    double end;

    e = end_of (60, huge, &end);
    cr_assert_float_eq (end, 1060.0, 1e-9);
    cr_assert_eq (e.kind, EXIT_TIMEOUT);
    cr_assert (strstr (e.text, "wall-time limit"), "%s", e.text);
    e = end_of (60, endless, &end);
    cr_assert_float_eq (end, 1060.0, 1e-9);
    cr_assert_eq (e.kind, EXIT_TIMEOUT);
    cr_assert_float_eq (e.end_time, 5060.0, 1e-9);
    e = end_of (0, huge, &end);
    cr_assert_float_eq (end, 1000.0 + SIM_RUN_TIME_MAX, 1e-3);
    cr_assert_eq (e.kind, EXIT_TIMEOUT);
    cr_assert (strstr (e.text, "longest simulated run"), "%s", e.text);
    e = end_of (INT64_MAX, endless, &end);
    cr_assert_float_eq (end, 1000.0 + SIM_RUN_TIME_MAX, 1e-3);
    cr_assert_eq (e.kind, EXIT_TIMEOUT);
    cr_assert_lt (end, (double)INT32_MAX, "an end fits even a 32-bit time_t");
    e = end_of (60, senseless, &end);
    cr_assert_float_eq (end, 1000.0, 1e-9);
    cr_assert_eq (e.kind, EXIT_EXITED);
}

Test (agent_sim, script_with_a_huge_sleep_ends_at_the_limit)
{
    sim_t *s = sim_create ();
    jobspec_t spec;

    jobspec_init (&spec);
    spec.script = strdup ("#!/bin/sh\nsleep 1e300d\n");
    spec.walltime = 30;
    cr_assert_eq (sim_start (s, 1, &spec, 10.0, 10.0), 0);
    cr_assert_float_eq (sim_next (s), 40.0, 1e-9);
    jobspec_clear (&spec);
    sim_destroy (s);
}

Test (agent_sim, refuses_a_time_that_is_no_time)
{
    char *argv[] = {"sleep", "5", NULL};
    sim_t *s = sim_create ();
    jobspec_t spec;

    spec_argv (&spec, 60, argv);
    cr_assert_eq (sim_start (s, 1, &spec, NAN, 0.0), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert_eq (sim_start (s, 1, &spec, INFINITY, 0.0), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert_eq (sim_start (s, 1, &spec, 0.0, -1.0), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert_eq (sim_count (s), 0);
    jobspec_clear (&spec);
    sim_destroy (s);
}
