/* test_jobid.c: unit tests for common/jobid.c, the "42", "42_7" and
 * "42_[1-5,9]" forms that name a job, an array or some of its elements.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cphub/jobid.h"

static jobid_spec_t parse_ok (const char *text)
{
    cphub_error_t err = {{0}};
    jobid_spec_t spec;

    cr_assert_eq (jobid_parse (text, &spec, &err), 0, "'%s': %s", text, err.text);
    return spec;
}

static void parse_bad (const char *text, const char *says)
{
    cphub_error_t err = {{0}};
    jobid_spec_t spec = {.id = 99};

    errno = 0;
    cr_assert_eq (jobid_parse (text, &spec, &err), -1, "'%s' was accepted", text);
    cr_assert_eq (errno, EINVAL);
    cr_assert_eq (spec.id, 99, "'%s' touched the spec on failure", text);
    cr_assert (strstr (err.text, says), "'%s': '%s' lacks '%s'", text, err.text, says);
}

Test (jobid, plain_id_names_job_or_whole_array)
{
    jobid_spec_t s = parse_ok ("42");

    cr_assert_eq (s.id, 42);
    cr_assert_eq (s.nranges, 0);
    cr_assert (jobid_has_index (&s, 0));
    cr_assert (jobid_has_index (&s, 999));
    cr_assert_eq (jobid_index_count (&s), 0);
    cr_assert_eq (parse_ok ("18446744073709551615").id, UINT64_MAX);
}

Test (jobid, one_element)
{
    jobid_spec_t s = parse_ok ("42_7");

    cr_assert_eq (s.id, 42);
    cr_assert_eq (s.nranges, 1);
    cr_assert (jobid_has_index (&s, 7));
    cr_assert_not (jobid_has_index (&s, 6));
    cr_assert_not (jobid_has_index (&s, 8));
    cr_assert_eq (jobid_index_count (&s), 1);
    cr_assert_eq (parse_ok ("42_0").ranges[0].first, 0);
    cr_assert_eq (parse_ok ("42_[7]").nranges, 1);
}

Test (jobid, element_ranges)
{
    jobid_spec_t s = parse_ok ("42_[1-5,9]");

    cr_assert_eq (s.id, 42);
    cr_assert_eq (s.nranges, 2);
    for (uint32_t i = 1; i <= 5; i++)
        cr_assert (jobid_has_index (&s, i));
    cr_assert (jobid_has_index (&s, 9));
    cr_assert_not (jobid_has_index (&s, 0));
    cr_assert_not (jobid_has_index (&s, 6));
    cr_assert_not (jobid_has_index (&s, 10));
    cr_assert_eq (jobid_index_count (&s), 6);
    cr_assert_eq (jobid_index_count (&(jobid_spec_t){0}), 0);
    cr_assert_eq (parse_ok ("7_[0-9999999]").ranges[0].last, 9999999);
}

Test (jobid, errors_say_what_is_right)
{
    parse_bad ("", "is not a job id");
    parse_bad ("0", "is not a job id");
    parse_bad ("-1", "is not a job id");
    parse_bad ("abc", "42_[1-5,9]");
    parse_bad ("42x", "is not a job id");
    parse_bad ("18446744073709551616", "is not a job id");
    parse_bad ("42_", "whole numbers from 0 to");
    parse_bad ("42_x", "whole numbers from 0 to");
    parse_bad ("42_[]", "whole numbers from 0 to");
    parse_bad ("42_[1-5", "expected ']'");
    parse_bad ("42_[1-5]x", "unexpected 'x'");
    parse_bad ("42_7,8", "unexpected ',8'");
    parse_bad ("42_[5-1]", "write 1-5");
    parse_bad ("42_1-5", "in brackets");
    parse_bad ("42_10000000", "whole numbers from 0 to 9999999");
    parse_bad ("42_[1,]", "whole numbers from 0 to");
}

Test (jobid, too_many_ranges_or_bytes)
{
    char text[JOBID_TEXT_MAX * 2];
    size_t n = (size_t)snprintf (text, sizeof (text), "1_[");

    for (int i = 0; i <= JOBID_RANGES_MAX; i++)
        n += (size_t)snprintf (text + n, sizeof (text) - n, "%d,", i);
    text[n - 1] = ']';
    parse_bad (text, "more than 64 index ranges");
    memset (text, '1', sizeof (text) - 1);
    text[sizeof (text) - 1] = '\0';
    parse_bad (text, "at most 255");
}
