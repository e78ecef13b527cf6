/* test_jobspec.c: unit tests for common/jobspec.c (options, #CPHUB
 * directives, validation, summaries) and common/job.c (state names).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/job.h"
#include "cphub/jobspec.h"

#define GIB (1ULL << 30)
#define MIB (1ULL << 20)

static jobspec_t spec;

static void setup (void)
{
    jobspec_init (&spec);
}

static void teardown (void)
{
    jobspec_clear (&spec);
}

TestSuite (jobspec, .init = setup, .fini = teardown);

static void opt_ok (const char *opt, const char *value)
{
    cphub_error_t err = {{0}};

    cr_assert_eq (jobspec_set_option (&spec, opt, value, &err), 0, "%s=%s: %s", opt,
                  value, err.text);
}

static void opt_bad (const char *opt, const char *value, const char *needle)
{
    cphub_error_t err = {{0}};
    jobspec_t before = spec;

    errno = 0;
    cr_assert_eq (jobspec_set_option (&spec, opt, value, &err), -1, "%s=%s should fail",
                  opt, value ? value : "(null)");
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, needle), "'%s' not in '%s'", needle, err.text);
    cr_assert_eq (memcmp (&before, &spec, sizeof (spec)), 0, "spec changed on failure");
}

Test (jobspec, defaults)
{
    cr_assert_eq (spec.ntasks, 1);
    cr_assert_eq (spec.cpus_per_task, 1);
    cr_assert_eq (spec.gpus, 0);
    cr_assert_eq (spec.mem, 0);
    cr_assert_eq (spec.walltime, 0);
    cr_assert_str_eq (spec.name, "");
    cr_assert_null (spec.argv);
    cr_assert_null (spec.script);
    cr_assert_eq (jobspec_cores (&spec), 1);
}

Test (jobspec, options_long_and_short)
{
    opt_ok ("ntasks", "4");
    cr_assert_eq (spec.ntasks, 4);
    opt_ok ("n", "6");
    cr_assert_eq (spec.ntasks, 6);
    opt_ok ("cpus-per-task", "2");
    opt_ok ("c", "3");
    cr_assert_eq (spec.cpus_per_task, 3);
    cr_assert_eq (jobspec_cores (&spec), 18);
    opt_ok ("gpus", "2");
    cr_assert_eq (spec.gpus, 2);
    opt_ok ("mem", "4G");
    cr_assert_eq (spec.mem, 4 * GIB);
    opt_ok ("mem", "100"); /* bare = MiB, as Slurm */
    cr_assert_eq (spec.mem, 100 * MIB);
    opt_ok ("time", "10"); /* bare = minutes */
    cr_assert_eq (spec.walltime, 600);
    opt_ok ("t", "1-02:03:04");
    cr_assert_eq (spec.walltime, 93784);
    opt_ok ("t", "30s");
    cr_assert_eq (spec.walltime, 30);
    opt_ok ("job-name", "train");
    cr_assert_str_eq (spec.name, "train");
    opt_ok ("J", "eval run");
    cr_assert_str_eq (spec.name, "eval run");
    opt_ok ("--ntasks", "2"); /* dashes are tolerated */
    cr_assert_eq (spec.ntasks, 2);
}

Test (jobspec, option_errors)
{
    opt_bad ("mem", "4X", "--mem: '4X' is not a size; use e.g. 512M or 4G");
    opt_bad ("mem", "10000000T", "too large"); /* > INT64_MAX: no room on the wire */
    opt_bad ("ntasks", "0", "--ntasks");
    opt_bad ("ntasks", "65537", "1 to 65536");
    opt_bad ("n", "four", "'four' is not a whole number");
    opt_bad ("cpus-per-task", "4097", "--cpus-per-task");
    opt_bad ("gpus", "1025", "--gpus");
    opt_bad ("gpus", "-1", "--gpus");
    opt_bad ("time", "abc", "--time: 'abc' is not a duration");
    opt_bad ("time", "0", "--time");
    opt_bad ("t", "-5", "negative");
    opt_bad ("job-name", "", "empty");
    opt_bad ("J", "a\tb", "control");
    opt_bad ("frobnicate", "1", "unknown option 'frobnicate'");
    opt_bad ("x", "1", "unknown option");
    /* a near miss names the option meant, and the message fits its text */
    opt_bad ("ntask", "1", "unknown option 'ntask'; did you mean --ntasks?");
    opt_bad ("--cpus", "1", "did you mean --cpus-per-task?");
    opt_bad ("nodez", "1", "cphub submit --help lists the options");
    opt_bad ("frobnicate", "1", "cphub submit --help lists the options");
    opt_bad ("ntasks", NULL, "needs a value");

    char longname[200];
    memset (longname, 'a', sizeof (longname) - 1);
    longname[sizeof (longname) - 1] = '\0';
    opt_bad ("J", longname, "the most is 127");
}

Test (jobspec, option_table)
{
    const jobspec_option_t *o = jobspec_options ();
    int n = 0;
    bool seen_n = false, seen_mem = false;

    for (; o[n].long_name; n++) {
        cr_assert_not_null (o[n].help);
        cr_assert (o[n].flag || o[n].arg_name, "--%s names its value", o[n].long_name);
        if (o[n].flag)
            continue; /* flags: see no_requeue_flag */
        if (strcmp (o[n].long_name, "ntasks") == 0)
            seen_n = o[n].short_name == 'n';
        if (strcmp (o[n].long_name, "mem") == 0)
            seen_mem = true;
        /* every listed option is accepted by jobspec_set_option by its name */
        cphub_error_t err;
        errno = 0;
        int rc = jobspec_set_option (&spec, o[n].long_name, "", &err);
        cr_assert_eq (rc, -1);
        cr_assert_null (strstr (err.text, "unknown option"), "%s", err.text);
    }
    cr_assert_geq (n, 7, "6 value options and at least --no-requeue");
    cr_assert (seen_n);
    cr_assert (seen_mem);
}

static const char script_text[] =
    "#!/bin/sh\n"
    "#CPHUB -n 4\n"
    "#CPHUB --mem=4G\n"
    "# an ordinary comment\n"
    "\n"
    "#CPHUB --time 10\n"
    "#CPHUB -c2 --gpus=1   # trailing comment\n"
    "#CPHUB -J \"my job\"\n"
    "# CPHUB -n 99\n"
    "#CPHUBX -n 98\n"
    "echo hello\n"
    "#CPHUB -n 8\n";

Test (jobspec, directives)
{
    cphub_error_t err = {{0}};

    cr_assert_eq (jobspec_set_script (&spec, script_text, &err), 0, "%s", err.text);
    cr_assert_eq (spec.ntasks, 4,
                  "a directive after the first command must be ignored");
    cr_assert_eq (spec.mem, 4 * GIB);
    cr_assert_eq (spec.walltime, 600);
    cr_assert_eq (spec.cpus_per_task, 2);
    cr_assert_eq (spec.gpus, 1);
    cr_assert_str_eq (spec.name, "my job");
    cr_assert_str_eq (spec.script, script_text);
    cr_assert_eq (spec.argc, 0);
    cr_assert_null (spec.argv);
    cr_assert_eq (jobspec_validate (&spec, &err), 0, "%s", err.text);
}

Test (jobspec, command_line_wins)
{
    cphub_error_t err;

    /* The CLI applies the script first and its options after. */
    cr_assert_eq (jobspec_set_script (&spec, script_text, &err), 0, "%s", err.text);
    opt_ok ("n", "2");
    opt_ok ("mem", "512M");
    cr_assert_eq (spec.ntasks, 2);
    cr_assert_eq (spec.mem, 512 * MIB);
    cr_assert_eq (spec.walltime, 600); /* untouched directive stays */
}

Test (jobspec, directives_crlf_and_indented)
{
    cphub_error_t err;
    const char *text =
        "#!/bin/bash\r\n#CPHUB -n 3\r\n  # indented comment\r\n"
        "#CPHUB --time=5m\r\nhostname\r\n";

    cr_assert_eq (jobspec_set_script (&spec, text, &err), 0, "%s", err.text);
    cr_assert_eq (spec.ntasks, 3);
    cr_assert_eq (spec.walltime, 300);
}

Test (jobspec, directives_stop_at_first_command)
{
    cphub_error_t err;
    const char *text = "#!/bin/sh\nset -e\n#CPHUB -n 4\n";

    cr_assert_eq (jobspec_set_script (&spec, text, &err), 0, "%s", err.text);
    cr_assert_eq (spec.ntasks, 1);
}

static void script_bad (const char *text, const char *needle)
{
    cphub_error_t err = {{0}};

    errno = 0;
    cr_assert_eq (jobspec_set_script (&spec, text, &err), -1, "should fail: %s", text);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, needle), "'%s' not in '%s'", needle, err.text);
    /* no side effects */
    cr_assert_eq (spec.ntasks, 1);
    cr_assert_null (spec.script);
}

Test (jobspec, directive_errors)
{
    script_bad ("#!/bin/sh\n#CPHUB -n 2\n#CPHUB --mem=4X\n",
                "script line 3: --mem: '4X' is not a size");
    script_bad ("#!/bin/sh\n#CPHUB --nope=1\n", "script line 2: unknown option");
    script_bad ("#!/bin/sh\n#CPHUB ntasks=4\n",
                "script line 2: 'ntasks=4' is not an option");
    script_bad ("#!/bin/sh\n#CPHUB -n\n", "script line 2: -n needs a value");
    script_bad ("#!/bin/sh\n#CPHUB -J \"open\n", "unterminated quote");
    script_bad ("echo hi\n", "#!");
    script_bad ("", "empty");
}

Test (jobspec, script_too_big)
{
    size_t n = JOBSPEC_SCRIPT_MAX + 10;
    char *text = malloc (n + 1);

    cr_assert_not_null (text);
    memcpy (text, "#!/bin/sh\n", 10);
    memset (text + 10, '#', n - 10);
    text[n] = '\0';
    script_bad (text, "the most is");
    free (text);
}

Test (jobspec, argv_and_script_replace_each_other)
{
    cphub_error_t err;
    char *argv[] = {"sleep", "60", NULL};

    cr_assert_eq (jobspec_set_argv (&spec, 2, argv, &err), 0);
    cr_assert_eq (spec.argc, 2);
    cr_assert_str_eq (spec.argv[1], "60");
    cr_assert_null (spec.argv[2]);
    cr_assert_eq (jobspec_validate (&spec, &err), 0, "%s", err.text);
    cr_assert_eq (jobspec_set_script (&spec, "#!/bin/sh\ntrue\n", &err), 0);
    cr_assert_eq (spec.argc, 0);
    cr_assert_null (spec.argv);
    cr_assert_eq (jobspec_validate (&spec, &err), 0, "%s", err.text);
    cr_assert_eq (jobspec_set_argv (&spec, 2, argv, &err), 0);
    cr_assert_null (spec.script);
    cr_assert_eq (jobspec_set_argv (&spec, 0, argv, &err), -1);
    cr_assert (strstr (err.text, "no command"), "%s", err.text);
}

Test (jobspec, validate_errors)
{
    cphub_error_t err = {{0}};
    char *argv[] = {"true", NULL};

    cr_assert_eq (jobspec_validate (&spec, &err), -1);
    cr_assert (strstr (err.text, "no command or script"), "%s", err.text);

    cr_assert_eq (jobspec_set_argv (&spec, 1, argv, &err), 0);
    cr_assert_eq (jobspec_validate (&spec, &err), 0);

    spec.ntasks = 0;
    cr_assert_eq (jobspec_validate (&spec, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, "ntasks is 0"), "%s", err.text);
    spec.ntasks = 1;

    spec.cpus_per_task = 5000;
    cr_assert_eq (jobspec_validate (&spec, &err), -1);
    cr_assert (strstr (err.text, "cpus_per_task is 5000"), "%s", err.text);
    spec.cpus_per_task = 1;

    spec.gpus = 2000;
    cr_assert_eq (jobspec_validate (&spec, &err), -1);
    cr_assert (strstr (err.text, "2000 GPUs"), "%s", err.text);
    spec.gpus = 0;

    spec.walltime = -1;
    cr_assert_eq (jobspec_validate (&spec, &err), -1);
    cr_assert (strstr (err.text, "negative"), "%s", err.text);
    spec.walltime = 0;

    memset (spec.name, 'x', sizeof (spec.name)); /* not terminated */
    cr_assert_eq (jobspec_validate (&spec, &err), -1);
    cr_assert (strstr (err.text, "longer than 127"), "%s", err.text);
    strcpy (spec.name, "bad\nname");
    cr_assert_eq (jobspec_validate (&spec, &err), -1);
    spec.name[0] = '\0';

    spec.script = strdup ("#!/bin/sh\n");
    cr_assert_eq (jobspec_validate (&spec, &err), -1);
    cr_assert (strstr (err.text, "not both"), "%s", err.text);
    free (spec.script);
    spec.script = NULL;

    cr_assert_eq (jobspec_validate (&spec, &err), 0, "%s", err.text);
}

Test (jobspec, cores_saturate)
{
    spec.ntasks = 65536;
    spec.cpus_per_task = 4096;
    cr_assert_eq (jobspec_cores (&spec), 65536u * 4096u);
    spec.ntasks = UINT32_MAX;
    spec.cpus_per_task = 2;
    cr_assert_eq (jobspec_cores (&spec), UINT32_MAX);
}

Test (jobspec, copy_is_deep)
{
    cphub_error_t err;
    char *argv[] = {"echo", "a b", NULL};
    jobspec_t copy;

    opt_ok ("n", "3");
    cr_assert_eq (jobspec_set_argv (&spec, 2, argv, &err), 0);
    cr_assert_eq (jobspec_copy (&copy, &spec), 0);
    cr_assert_eq (copy.ntasks, 3);
    cr_assert_neq (copy.argv, spec.argv);
    cr_assert_neq (copy.argv[1], spec.argv[1]);
    cr_assert_str_eq (copy.argv[1], "a b");
    jobspec_clear (&copy);
    cr_assert_eq (copy.ntasks, 1);
    cr_assert_str_eq (spec.argv[0], "echo"); /* original intact */
}

Test (jobspec, command_summary)
{
    cphub_error_t err;
    char *argv[] = {"python3", "train.py", "--lr", "0.1 0.2", NULL};
    char buf[64];
    char small[10];

    cr_assert_eq (jobspec_set_argv (&spec, 4, argv, &err), 0);
    jobspec_command_summary (&spec, buf, sizeof (buf));
    cr_assert_str_eq (buf, "python3 train.py --lr '0.1 0.2'");
    jobspec_command_summary (&spec, small, sizeof (small));
    cr_assert_str_eq (small, "python...");

    cr_assert_eq (
        jobspec_set_script (&spec, "#!/bin/sh\n#CPHUB -J run.sh\ntrue\n", &err), 0);
    jobspec_command_summary (&spec, buf, sizeof (buf));
    cr_assert_str_eq (buf, "run.sh");
}

Test (job_state, names_and_parse)
{
    job_state_t s;

    for (int i = 0; i < JOB_STATE_COUNT; i++) {
        const char *name = job_state_name ((job_state_t)i);
        cr_assert_not_null (name);
        cr_assert_eq (job_state_parse (name, &s), 0, "%s", name);
        cr_assert_eq ((int)s, i);
    }
    cr_assert_str_eq (job_state_name (JOB_COMPLETED), "COMPLETED");
    cr_assert_str_eq (job_state_name (JOB_NODE_FAIL), "NODE_FAIL");
    cr_assert_eq (job_state_parse ("running", &s), 0);
    cr_assert_eq (s, JOB_RUNNING);
    cr_assert_eq (job_state_parse ("PD", &s), 0);
    cr_assert_eq (s, JOB_PENDING);
    cr_assert_eq (job_state_parse ("sleeping", &s), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert_eq (job_state_parse (NULL, &s), -1);
    cr_assert_str_eq (job_state_name ((job_state_t)99), "UNKNOWN");
}

Test (job_state, terminal)
{
    cr_assert_not (job_state_is_terminal (JOB_PENDING));
    cr_assert_not (job_state_is_terminal (JOB_RUNNING));
    cr_assert (job_state_is_terminal (JOB_COMPLETED));
    cr_assert (job_state_is_terminal (JOB_FAILED));
    cr_assert (job_state_is_terminal (JOB_CANCELLED));
    cr_assert (job_state_is_terminal (JOB_TIMEOUT));
    cr_assert (job_state_is_terminal (JOB_NODE_FAIL));
}

Test (node_state, names_and_parse)
{
    node_state_t s;

    for (int i = 0; i < NODE_STATE_COUNT; i++) {
        cr_assert_eq (node_state_parse (node_state_name ((node_state_t)i), &s), 0);
        cr_assert_eq ((int)s, i);
    }
    cr_assert_eq (node_state_parse ("drain", &s), 0);
    cr_assert_eq (s, NODE_DRAIN);
    cr_assert_eq (node_state_parse ("broken", &s), -1);
}

Test (jobspec, no_requeue_flag)
{
    const jobspec_option_t *o = jobspec_options ();
    cphub_error_t err = {{0}};
    int i = 0;

    while (o[i].long_name && strcmp (o[i].long_name, "no-requeue") != 0)
        i++;
    cr_assert_not_null (o[i].long_name, "--no-requeue is in the table");
    cr_assert (o[i].flag, "and marked as a flag");
    cr_assert_null (o[i].arg_name);
    cr_assert_not (spec.no_requeue, "requeue is the default");

    opt_ok ("no-requeue", NULL);
    cr_assert (spec.no_requeue);
    jobspec_clear (&spec);
    opt_ok ("--no-requeue", "");
    cr_assert (spec.no_requeue);
    jobspec_clear (&spec);
    opt_bad ("no-requeue", "yes", "--no-requeue takes no value");

    /* #CPHUB --no-requeue: a flag takes no next word as its value */
    cr_assert_eq (jobspec_set_script (&spec,
                                      "#!/bin/sh\n"
                                      "#CPHUB --no-requeue -n 2\n"
                                      "true\n",
                                      &err),
                  0, "%s", err.text);
    cr_assert (spec.no_requeue);
    cr_assert_eq (spec.ntasks, 2);

    /* copied, and not set by other options */
    jobspec_t copy;
    cr_assert_eq (jobspec_copy (&copy, &spec), 0);
    cr_assert (copy.no_requeue);
    jobspec_clear (&copy);
    jobspec_clear (&spec);
    cr_assert_eq (
        jobspec_set_script (&spec, "#!/bin/sh\n#CPHUB --no-requeue=1\n", &err), -1);
    cr_assert (strstr (err.text, "takes no value"), "%s", err.text);
}

/* --- nodes, exclusive, constraint, array, after -------------------------- */

/* The canonical texts of a spec's parsed forms ("" when absent). */
static const char *array_text (const jobspec_t *s)
{
    static char buf[JOBSPEC_ARRAY_TEXT_MAX + 1];

    buf[0] = '\0';
    if (s->array)
        jobspec_array_format (s->array, buf, sizeof (buf));
    return buf;
}

static const char *after_text (const jobspec_t *s)
{
    static char buf[JOBSPEC_AFTER_MAX + 1];

    buf[0] = '\0';
    if (s->after)
        jobspec_after_format (s->after, buf, sizeof (buf));
    return buf;
}

Test (jobspec, placement_and_relation_options)
{
    cphub_error_t err = {{0}};

    cr_assert_eq (jobspec_nodes (&spec), 1, "one node by default");
    opt_ok ("N", "4");
    cr_assert_eq (spec.nodes, 4);
    cr_assert_eq (jobspec_nodes (&spec), 4);
    opt_bad ("nodes", "0", "--nodes");
    opt_bad ("nodes", "65", "--nodes");
    opt_ok ("exclusive", NULL);
    cr_assert (spec.exclusive);
    opt_bad ("exclusive", "yes", "takes no value");
    opt_ok ("C", "avx512&(a100|h100)");
    cr_assert_str_eq (constraint_text (spec.constraint), "avx512&(a100|h100)");
    opt_bad ("constraint", "avx512)", "--constraint: unexpected ')' at column 7");
    opt_bad ("constraint", "", "--constraint: the expression is empty");
    opt_ok ("array", "0-999%50");
    cr_assert_eq (spec.array->count, 1000, "parsed when set");
    cr_assert_str_eq (array_text (&spec), "0-999%50");
    opt_bad ("array", "5-3", "--array: '5-3' runs backwards; write 3-5");
    opt_ok ("after", "ok:12:13,any:14");
    cr_assert_eq (spec.after->count, 3, "parsed when set");
    cr_assert_str_eq (after_text (&spec), "ok:12:13,any:14");
    opt_bad ("after", "okk:12", "'okk' is not a kind of dependency");
    cr_assert_eq (jobspec_validate (&spec, &err), -1, "no command yet");
    /* directives, the flag among them */
    jobspec_clear (&spec);
    cr_assert_eq (jobspec_set_script (&spec,
                                      "#!/bin/sh\n"
                                      "#CPHUB -N 2 --exclusive --array=1-3 -C bigmem\n"
                                      "#CPHUB --after afterany:7\n"
                                      "true\n",
                                      &err),
                  0, "%s", err.text);
    cr_assert_eq (spec.nodes, 2);
    cr_assert (spec.exclusive);
    cr_assert_str_eq (array_text (&spec), "1-3");
    cr_assert_str_eq (constraint_text (spec.constraint), "bigmem");
    cr_assert_str_eq (after_text (&spec), "any:7", "canonical: afterany is any");
    cr_assert_eq (jobspec_validate (&spec, &err), 0, "%s", err.text);
    /* validate catches what did not come through a setter */
    spec.nodes = 65;
    cr_assert_eq (jobspec_validate (&spec, &err), -1);
    cr_assert (strstr (err.text, "asked 65 nodes; the most is 64"), "%s", err.text);
}

static void array_is (const char *text,
                      uint32_t count,
                      uint32_t throttle,
                      const uint32_t *indices)
{
    cphub_error_t err = {{0}};
    jobspec_array_t *a = jobspec_array_parse (text, &err);

    cr_assert_not_null (a, "'%s': %s", text, err.text);
    cr_assert_eq (a->count, count, "'%s' has %u elements", text, a->count);
    cr_assert_eq (a->throttle, throttle);
    for (uint32_t i = 0; indices && i < count; i++)
        cr_assert_eq (jobspec_array_index (a, i), indices[i], "'%s' element %u", text,
                      i);
    /* the seek of every index up to past the last: the first element at or
     * above it, as a walk of the elements would find it */
    for (uint32_t v = 0; indices && v <= indices[count - 1] + 1; v++) {
        uint32_t want = 0, n = UINT32_MAX;
        while (want < count && indices[want] < v)
            want++;
        bool exact = jobspec_array_seek (a, v, &n);
        cr_assert_eq (n, want, "'%s' seek %u: %u", text, v, n);
        cr_assert_eq (exact, want < count && indices[want] == v, "'%s' seek %u", text,
                      v);
    }
    free (a);
}

static void array_bad (const char *text, const char *needle)
{
    cphub_error_t err = {{0}};

    errno = 0;
    cr_assert_null (jobspec_array_parse (text, &err), "'%s' is refused", text);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, needle), "'%s': '%s' not in '%s'", text, needle,
               err.text);
}

Test (jobspec, array_indices)
{
    array_is ("0-9", 10, 0, (const uint32_t[]){0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    array_is ("0-15:4", 4, 0, (const uint32_t[]){0, 4, 8, 12});
    array_is ("1-10:4", 3, 0, (const uint32_t[]){1, 5, 9});
    array_is ("3,5,7-8%2", 4, 2, (const uint32_t[]){3, 5, 7, 8});
    array_is ("1-5,9,20-40:10", 9, 0, (const uint32_t[]){1, 2, 3, 4, 5, 9, 20, 30, 40});
    array_is ("0-999%50", 1000, 50, NULL);
    array_is ("7", 1, 0, (const uint32_t[]){7});
    array_is ("0-9999", 10000, 0, NULL);
    array_bad ("0-10000", "10001 elements; an array has at most 10000");
    array_bad ("5-3", "runs backwards");
    array_bad ("0-9:0", "a step of 0");
    array_bad ("0-9%0", "%0 would let none run");
    array_bad ("0-9%x", "is not a throttle");
    array_bad ("3,1", "1 comes after 3; list indices in increasing order");
    array_bad ("0-4,4", "4 comes after 4");
    array_bad ("a", "unexpected 'a'");
    array_bad ("1-", "ends early");
    array_bad ("1;2", "unexpected ';'");
    array_bad ("99999999", "too large; the most is 9999999");
    array_bad ("", "empty");
}

Test (jobspec, after_dependencies)
{
    cphub_error_t err = {{0}};
    jobspec_after_t *a =
        jobspec_after_parse ("ok:12:13,any:14,afterok:15,afterany:16", &err);

    cr_assert_not_null (a, "%s", err.text);
    cr_assert_eq (a->count, 5);
    cr_assert_eq (a->deps[0].id, 12);
    cr_assert_eq (a->deps[0].kind, JOBSPEC_AFTER_OK);
    cr_assert_eq (a->deps[1].id, 13);
    cr_assert_eq (a->deps[1].kind, JOBSPEC_AFTER_OK);
    cr_assert_eq (a->deps[2].kind, JOBSPEC_AFTER_ANY);
    cr_assert_eq (a->deps[3].kind, JOBSPEC_AFTER_OK);
    cr_assert_eq (a->deps[4].id, 16);
    cr_assert_eq (a->deps[4].kind, JOBSPEC_AFTER_ANY);
    free (a);
    cr_assert_null (jobspec_after_parse ("ok", &err));
    cr_assert (strstr (err.text, "ok needs job ids, e.g. ok:12"), "%s", err.text);
    cr_assert_null (jobspec_after_parse ("ok:12x", &err));
    cr_assert (strstr (err.text, "'12x' is not a job id"), "%s", err.text);
    cr_assert_null (jobspec_after_parse ("ok:0", &err));
    cr_assert_null (jobspec_after_parse ("ok:12,", &err));
    cr_assert_null (jobspec_after_parse ("ok:", &err));
    cr_assert_null (jobspec_after_parse ("12", &err));
    cr_assert (strstr (err.text, "'12' is not a kind"), "%s", err.text);
    char many[256] = "ok";
    for (int i = 0; i < 65; i++)
        strcat (many, ":1");
    cr_assert_null (jobspec_after_parse (many, &err));
    cr_assert (strstr (err.text, "more than 64 job ids"), "%s", err.text);
}

/* The canonical text parses back to the same form, and is never longer. */
static void array_round_trip (const char *text, const char *canonical)
{
    jobspec_array_t *a = jobspec_array_parse (text, NULL), *b;
    char buf[JOBSPEC_ARRAY_TEXT_MAX + 1];

    cr_assert_not_null (a, "%s", text);
    cr_assert_eq (jobspec_array_format (a, buf, sizeof (buf)), (int)strlen (canonical));
    cr_assert_str_eq (buf, canonical);
    cr_assert_leq (strlen (buf), strlen (text));
    cr_assert_not_null (b = jobspec_array_parse (buf, NULL), "%s", buf);
    cr_assert_eq (b->nranges, a->nranges);
    cr_assert_eq (memcmp (a, b, sizeof (*a) + a->nranges * sizeof (a->ranges[0])), 0,
                  "'%s' and '%s' differ", text, buf);
    free (a);
    free (b);
}

Test (jobspec, forms_render_canonical_text)
{
    jobspec_after_t *after;
    char buf[JOBSPEC_AFTER_MAX + 1];

    array_round_trip ("0-999%50", "0-999%50");
    array_round_trip ("0-15:4", "0-12:4");
    array_round_trip ("3,5,7-8%2", "3,5,7-8%2");
    array_round_trip ("007-007", "7");
    array_round_trip ("1-9:1", "1-9");
    array_round_trip ("1-2:3", "1");
    after = jobspec_after_parse ("afterok:12:13,ok:14,any:15,afterany:16,ok:17", NULL);
    cr_assert_not_null (after);
    jobspec_after_format (after, buf, sizeof (buf));
    cr_assert_str_eq (buf, "ok:12:13:14,any:15:16,ok:17");
    /* snprintf's contract: the length needed, the buffer cut and ended */
    cr_assert_eq (jobspec_after_format (after, buf, 5), 27);
    cr_assert_str_eq (buf, "ok:1");
    free (after);
}

Test (jobspec, copy_and_clear_own_the_forms)
{
    jobspec_t copy;
    cphub_error_t err = {{0}};

    opt_ok ("C", "a|b");
    opt_ok ("array", "1-4%2");
    opt_ok ("after", "ok:9");
    opt_ok ("C", "c&d"); /* a second set replaces (and frees) the first */
    cr_assert_eq (jobspec_copy (&copy, &spec), 0);
    cr_assert_eq (copy.constraint, spec.constraint, "one expression, shared");
    cr_assert_neq (copy.array, spec.array, "a deep copy");
    cr_assert_neq (copy.after, spec.after);
    jobspec_clear (&spec);
    cr_assert_null (spec.constraint);
    cr_assert_null (spec.array);
    cr_assert_null (spec.after);
    cr_assert_str_eq (constraint_text (copy.constraint), "c&d");
    cr_assert_str_eq (array_text (&copy), "1-4%2");
    cr_assert_str_eq (after_text (&copy), "ok:9");
    /* a failed set leaves the form as it was */
    cr_assert_eq (jobspec_set_option (&copy, "array", "9-1", &err), -1);
    cr_assert_str_eq (array_text (&copy), "1-4%2");
    jobspec_clear (&copy);
}

/* The numbers alone, as the scheduler's core checks a spec it is given (a
 * simulator's spec has no command; the codec checked the rest). */
Test (jobspec, validate_counts_checks_the_numbers_only)
{
    cphub_error_t err = {{0}};

    cr_assert_eq (jobspec_validate_counts (&spec, &err), 0, "no command needed");
    cr_assert_eq (jobspec_validate (&spec, &err), -1, "the whole spec needs one");
    spec.nodes = 65;
    cr_assert_eq (jobspec_validate_counts (&spec, &err), -1);
    cr_assert (strstr (err.text, "asked 65 nodes; the most is 64"), "%s", err.text);
    spec.nodes = 2;
    spec.ntasks = 0;
    cr_assert_eq (jobspec_validate_counts (&spec, &err), -1);
    cr_assert (strstr (err.text, "ntasks is 0"), "%s", err.text);
}
