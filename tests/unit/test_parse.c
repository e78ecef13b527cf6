/* test_parse.c: unit tests for common/parse.c, the duration and size parsers
 * and formatters that the CLI, #CPHUB directives and config files share, and
 * the rule for names.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cphub/parse.h"

static int64_t dur_ok (const char *s)
{
    cphub_error_t err = {{0}};
    int64_t v = -1;

    cr_assert_eq (parse_duration (s, &v, &err), 0, "'%s' should parse: %s", s,
                  err.text);
    return v;
}

static void dur_bad (const char *s, int errnum, const char *needle)
{
    cphub_error_t err = {{0}};
    int64_t v = 12345;

    errno = 0;
    cr_assert_eq (parse_duration (s, &v, &err), -1, "'%s' should fail", s);
    cr_assert_eq (errno, errnum, "'%s': errno %d, wanted %d", s, errno, errnum);
    cr_assert_eq (v, 12345, "output must be untouched on failure");
    cr_assert_neq (err.text[0], '\0');
    if (needle)
        cr_assert (strstr (err.text, needle), "'%s' not in '%s'", needle, err.text);
}

Test (duration, bare_number_is_minutes)
{
    cr_assert_eq (dur_ok ("90"), 5400);
    cr_assert_eq (dur_ok ("0"), 0);
    cr_assert_eq (dur_ok ("1"), 60);
}

Test (duration, colon_forms)
{
    cr_assert_eq (dur_ok ("5:30"), 330);         /* MM:SS */
    cr_assert_eq (dur_ok ("90:00"), 5400);       /* minutes may exceed 59 */
    cr_assert_eq (dur_ok ("02:03:04"), 7384);    /* HH:MM:SS */
    cr_assert_eq (dur_ok ("100:00:00"), 360000); /* hours may exceed 23 */
}

Test (duration, day_forms)
{
    cr_assert_eq (dur_ok ("1-02:03:04"), 93784);
    cr_assert_eq (dur_ok ("2-3"), 2 * 86400 + 3 * 3600);
    cr_assert_eq (dur_ok ("1-02:30"), 86400 + 2 * 3600 + 30 * 60);
    cr_assert_eq (dur_ok ("7-00:00:00"), 7 * 86400);
    cr_assert_eq (dur_ok ("0-00:00:05"), 5);
}

Test (duration, unit_forms)
{
    cr_assert_eq (dur_ok ("30s"), 30);
    cr_assert_eq (dur_ok ("5m"), 300);
    cr_assert_eq (dur_ok ("2h"), 7200);
    cr_assert_eq (dur_ok ("1d"), 86400);
    cr_assert_eq (dur_ok ("2H"), 7200);
    cr_assert_eq (dur_ok ("0s"), 0);
}

Test (duration, errors)
{
    dur_bad ("", EINVAL, "empty");
    dur_bad (NULL, EINVAL, NULL);
    dur_bad ("abc", EINVAL, "'abc' is not a duration");
    dur_bad ("-5", EINVAL, "negative");
    dur_bad ("5x", EINVAL, "5x");
    dur_bad ("30 s", EINVAL, NULL);
    dur_bad (" 30", EINVAL, NULL);
    dur_bad ("1:2:3:4", EINVAL, NULL);
    dur_bad ("1-2:3:4:5", EINVAL, NULL);
    dur_bad ("1:", EINVAL, NULL);
    dur_bad (":30", EINVAL, NULL);
    dur_bad ("1-", EINVAL, NULL);
    dur_bad ("1-2h", EINVAL, NULL);
    dur_bad ("1:30s", EINVAL, NULL);
    dur_bad ("5ss", EINVAL, NULL);
    dur_bad ("1.5h", EINVAL, NULL);
    dur_bad ("10:75", EINVAL, "0-59");
    dur_bad ("1:60:00", EINVAL, "0-59");
    dur_bad ("1-24", EINVAL, "0-23");
}

Test (duration, overflow)
{
    dur_bad ("99999999999999999999999", ERANGE, "too large");
    dur_bad ("9223372036854775807", ERANGE, "too large"); /* minutes: *60 overflows */
    dur_bad ("999999999999999999d", ERANGE, "too large");
    /* the largest whole number of seconds still fits */
    cr_assert_eq (dur_ok ("9223372036854775807s"), INT64_MAX);
}

static uint64_t size_ok (const char *s)
{
    cphub_error_t err = {{0}};
    uint64_t v = 0;

    cr_assert_eq (parse_size (s, &v, &err), 0, "'%s' should parse: %s", s, err.text);
    return v;
}

static void size_bad (const char *s, int errnum, const char *needle)
{
    cphub_error_t err = {{0}};
    uint64_t v = 777;

    errno = 0;
    cr_assert_eq (parse_size (s, &v, &err), -1, "'%s' should fail", s);
    cr_assert_eq (errno, errnum, "'%s': errno %d, wanted %d", s, errno, errnum);
    cr_assert_eq (v, 777);
    if (needle)
        cr_assert (strstr (err.text, needle), "'%s' not in '%s'", needle, err.text);
}

Test (size, units)
{
    cr_assert_eq (size_ok ("0"), 0);
    cr_assert_eq (size_ok ("1000"), 1000);
    cr_assert_eq (size_ok ("512B"), 512);
    cr_assert_eq (size_ok ("1K"), 1024);
    cr_assert_eq (size_ok ("512M"), 512ULL << 20);
    cr_assert_eq (size_ok ("4G"), 4ULL << 30);
    cr_assert_eq (size_ok ("4g"), 4ULL << 30);
    cr_assert_eq (size_ok ("2T"), 2ULL << 40);
    cr_assert_eq (size_ok ("4GB"), 4ULL << 30);
    cr_assert_eq (size_ok ("4GiB"), 4ULL << 30);
    cr_assert_eq (size_ok ("16KiB"), 16ULL << 10);
}

Test (size, decimals)
{
    cr_assert_eq (size_ok ("1.5G"), 3ULL << 29);
    cr_assert_eq (size_ok ("0.5K"), 512);
    cr_assert_eq (size_ok ("2.25M"), (9ULL << 20) / 4);
}

Test (size, errors)
{
    size_bad ("4X", EINVAL, "'4X' is not a size; use e.g. 512M or 4G");
    size_bad ("", EINVAL, "empty");
    size_bad ("G", EINVAL, NULL);
    size_bad ("-1G", EINVAL, "negative");
    size_bad ("4GG", EINVAL, NULL);
    size_bad ("4iB", EINVAL, NULL);
    size_bad ("1.5", EINVAL, "whole");
    size_bad ("1.G", EINVAL, NULL);
    size_bad ("4 G", EINVAL, NULL);
    size_bad ("16777216T", ERANGE, "too large");
    size_bad ("99999999999999999999999", ERANGE, "too large");
}

Test (size, mem_bare_is_mib)
{
    cphub_error_t err;
    uint64_t v;

    cr_assert_eq (parse_mem ("100", &v, &err), 0);
    cr_assert_eq (v, 100ULL << 20);
    cr_assert_eq (parse_mem ("4G", &v, &err), 0);
    cr_assert_eq (v, 4ULL << 30);
    cr_assert_eq (parse_mem ("1.5", &v, &err), 0);
    cr_assert_eq (v, 3ULL << 19);
    cr_assert_eq (parse_mem ("100B", &v, &err), 0);
    cr_assert_eq (v, 100);
    cr_assert_eq (parse_mem ("4X", &v, &err), -1);
}

Test (uint, range_and_errors)
{
    cphub_error_t err;
    uint64_t v = 0;

    cr_assert_eq (parse_uint ("42", "--ntasks", 1, 100, &v, &err), 0);
    cr_assert_eq (v, 42);
    cr_assert_eq (parse_uint ("1", "--ntasks", 1, 100, &v, &err), 0);
    cr_assert_eq (parse_uint ("100", "--ntasks", 1, 100, &v, &err), 0);
    cr_assert_eq (parse_uint ("0", "--ntasks", 1, 100, &v, &err), -1);
    cr_assert (strstr (err.text, "--ntasks"), "%s", err.text);
    cr_assert (strstr (err.text, "1 to 100"), "%s", err.text);
    cr_assert_eq (parse_uint ("101", "--ntasks", 1, 100, &v, &err), -1);
    cr_assert_eq (parse_uint ("4x", "--ntasks", 1, 100, &v, &err), -1);
    cr_assert (strstr (err.text, "'4x' is not a whole number"), "%s", err.text);
    cr_assert_eq (parse_uint ("-1", "--ntasks", 0, 100, &v, &err), -1);
    cr_assert_eq (parse_uint ("", "--ntasks", 0, 100, &v, &err), -1);
    cr_assert_eq (parse_uint ("99999999999999999999999", "x", 0, UINT64_MAX, &v, &err),
                  -1);
    cr_assert_eq (errno, ERANGE);
    cr_assert_eq (parse_uint ("18446744073709551615", "x", 0, UINT64_MAX, &v, &err), 0);
    cr_assert_eq (v, UINT64_MAX);
}

Test (format, duration)
{
    char buf[32];

    format_duration (93784, buf, sizeof (buf));
    cr_assert_str_eq (buf, "1-02:03:04");
    format_duration (7384, buf, sizeof (buf));
    cr_assert_str_eq (buf, "02:03:04");
    format_duration (5, buf, sizeof (buf));
    cr_assert_str_eq (buf, "00:00:05");
    format_duration (0, buf, sizeof (buf));
    cr_assert_str_eq (buf, "00:00:00");
    format_duration (7 * 86400, buf, sizeof (buf));
    cr_assert_str_eq (buf, "7-00:00:00");
    format_duration (-65, buf, sizeof (buf));
    cr_assert_str_eq (buf, "-00:01:05");
    format_duration (INT64_MIN, buf, sizeof (buf)); /* must not crash */
    cr_assert_eq (buf[0], '-');
    format_duration (93784, buf, 4); /* truncated, terminated */
    cr_assert_eq (strlen (buf), 3);
}

Test (format, duration_round_trip)
{
    static const int64_t values[] = {0,    1,     59,    60,    3599,
                                     3600, 86399, 86400, 93784, 1000000};
    for (size_t i = 0; i < sizeof (values) / sizeof (values[0]); i++) {
        char buf[32];
        cphub_error_t err;
        int64_t back;
        format_duration (values[i], buf, sizeof (buf));
        cr_assert_eq (parse_duration (buf, &back, &err), 0, "%s: %s", buf, err.text);
        cr_assert_eq (back, values[i], "%s", buf);
    }
}

Test (format, size)
{
    char buf[32];

    format_size (0, buf, sizeof (buf));
    cr_assert_str_eq (buf, "0");
    format_size (1000, buf, sizeof (buf));
    cr_assert_str_eq (buf, "1000");
    format_size (512ULL << 20, buf, sizeof (buf));
    cr_assert_str_eq (buf, "512M");
    format_size (4ULL << 30, buf, sizeof (buf));
    cr_assert_str_eq (buf, "4G");
    format_size (3ULL << 29, buf, sizeof (buf));
    cr_assert_str_eq (buf, "1.5G");
    format_size (1536, buf, sizeof (buf));
    cr_assert_str_eq (buf, "1.5K");
    format_size (UINT64_MAX, buf, sizeof (buf));
    cr_assert_neq (buf[0], '\0');
}

Test (format, size_round_trip)
{
    static const uint64_t values[] = {
        0, 1, 1023, 1024, 512ULL << 20, 3ULL << 29, 4ULL << 30, 2ULL << 40};
    for (size_t i = 0; i < sizeof (values) / sizeof (values[0]); i++) {
        char buf[32];
        cphub_error_t err;
        uint64_t back;
        format_size (values[i], buf, sizeof (buf));
        cr_assert_eq (parse_size (buf, &back, &err), 0, "%s: %s", buf, err.text);
        cr_assert_eq (back, values[i], "%s", buf);
    }
}

Test (clock, now_is_epoch_seconds)
{
    double a = clock_now ();
    double b = clock_now ();

    cr_assert_gt (a, 1.6e9); /* after 2020 */
    cr_assert_geq (b, a);
}

Test (name, valid_characters_and_length)
{
    static const char *const good[] = {"acme", "node-1", "a.b_c", "A9", "x"};
    static const char *const bad[] = {"",     "a b", "a/b", "tenant\n",
                                      "café", "a:b", "$x"};

    for (size_t i = 0; i < sizeof (good) / sizeof (good[0]); i++)
        cr_assert (parse_name_valid (good[i], 63), "'%s' is a name", good[i]);
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
        cr_assert_not (parse_name_valid (bad[i], 63), "'%s' is not a name", bad[i]);
    cr_assert (parse_name_valid ("abcd", 4), "exactly max is a name");
    cr_assert_not (parse_name_valid ("abcde", 4), "one over max is not");
    cr_assert (parse_name_valid ("abcdefghijklmnopqrstuvwxyz0123456789", 0),
               "max 0: no length limit");
    cr_assert_not (parse_name_valid ("", 0), "an empty name is never one");
    cr_assert (parse_name_char ('-'));
    cr_assert_not (parse_name_char ('\0'));
    cr_assert_not (parse_name_char ('&'), "constraint operators are not names");
}
