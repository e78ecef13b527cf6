/* test_agent_flags.c: unit tests for cphub-agent's command line
 * (agent_flags_parse in agent/config.c, read from a table of flags): every
 * flag, short and long, sets its field; a flag that needs a value and has
 * none, an unknown flag and a stray argument are refused with the word
 * that was wrong.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "agent/config.h"

#define ARGC(a) ((int)(sizeof (a) / sizeof ((a)[0])) - 1)

Test (agent_flags, every_flag_sets_its_field)
{
    char *argv[] = {
        "cphub-agent", "-c",         "a.conf",     "--check-config", "-v",
        "--name",      "node7",      "--topology", "xml:t.xml",      "--state-dir",
        "/var/cphub",  "--log-file", "agent.log",  "--join-new-hub", "--simulate",
        NULL};
    agent_flags_t f;
    cphub_error_t err = {.text = ""};

    cr_assert_eq (agent_flags_parse (ARGC (argv), argv, &f, &err), 0, "%s", err.text);
    cr_assert_str_eq (f.config, "a.conf");
    cr_assert_str_eq (f.name, "node7");
    cr_assert_str_eq (f.topology, "xml:t.xml");
    cr_assert_str_eq (f.state_dir, "/var/cphub");
    cr_assert_str_eq (f.log_file, "agent.log");
    cr_assert (f.check_config);
    cr_assert (f.verbose);
    cr_assert (f.join_new_hub);
    cr_assert (f.simulate);
    cr_assert_not (f.help);
}

Test (agent_flags, long_forms_and_none)
{
    char *argv[] = {"cphub-agent", "--config=b.conf", "--verbose", "--help", NULL};
    char *none[] = {"cphub-agent", NULL};
    agent_flags_t f;
    cphub_error_t err = {.text = ""};

    cr_assert_eq (agent_flags_parse (ARGC (argv), argv, &f, &err), 0, "%s", err.text);
    cr_assert_str_eq (f.config, "b.conf");
    cr_assert (f.verbose);
    cr_assert (f.help);
    cr_assert_eq (agent_flags_parse (ARGC (none), none, &f, &err), 0, "%s", err.text);
    cr_assert_null (f.config);
    cr_assert_not (f.verbose);
}

static void expect_refused (char **argv, int argc, const char *want)
{
    agent_flags_t f;
    cphub_error_t err = {.text = ""};

    errno = 0;
    cr_assert_eq (agent_flags_parse (argc, argv, &f, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert_str_eq (err.text, want);
}

Test (agent_flags, refused_with_the_word_that_was_wrong)
{
    char *novalue[] = {"cphub-agent", "--name", NULL};
    char *noshort[] = {"cphub-agent", "-c", NULL};
    char *unknown[] = {"cphub-agent", "--bogus", NULL};
    char *stray[] = {"cphub-agent", "-v", "extra", NULL};

    expect_refused (novalue, ARGC (novalue), "option '--name' needs a value");
    expect_refused (noshort, ARGC (noshort), "option '-c' needs a value");
    expect_refused (unknown, ARGC (unknown),
                    "unknown option '--bogus'; see cphub-agent --help");
    expect_refused (stray, ARGC (stray),
                    "unexpected argument 'extra'; see cphub-agent --help");
}
