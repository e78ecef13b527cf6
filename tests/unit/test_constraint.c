/* test_constraint.c: unit tests for the feature expressions of --constraint
 * (constraint.h): precedence and parentheses, negation, exact name matching
 * against a node's comma-separated features, the limits, and the error texts
 * that point at the column at fault.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cphub/constraint.h"

static bool matches (const char *expr, const char *features)
{
    cphub_error_t err = {{0}};
    constraint_t *c = constraint_parse (expr, &err);
    bool ok;

    cr_assert_not_null (c, "'%s' parses: %s", expr, err.text);
    ok = constraint_match (c, features);
    constraint_destroy (c);
    return ok;
}

static void expect_error (const char *expr, const char *want)
{
    cphub_error_t err = {{0}};

    errno = 0;
    cr_assert_null (constraint_parse (expr, &err), "'%s' is refused", expr);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, want) != NULL, "'%s': error '%s' should say '%s'",
               expr, err.text, want);
    cr_assert_eq (constraint_check (expr, NULL), -1);
}

Test (constraint, single_name)
{
    cr_assert (matches ("avx512", "avx512"));
    cr_assert (matches ("avx512", "a100,avx512,bigmem"));
    cr_assert_not (matches ("avx512", "a100,bigmem"));
    cr_assert_not (matches ("avx512", ""));
    cr_assert_not (matches ("avx512", NULL));
}

Test (constraint, names_match_whole_words_only)
{
    cr_assert_not (matches ("avx", "avx512"));
    cr_assert_not (matches ("avx512", "avx"));
    cr_assert_not (matches ("a100", "A100"), "case matters");
    cr_assert (matches ("gpu.v2", "x,gpu.v2"));
    cr_assert (matches ("big-mem_1", "big-mem_1"));
}

Test (constraint, and_or_not_and_parentheses)
{
    const char *e = "avx512&(a100|h100)";

    cr_assert (matches (e, "avx512,a100"));
    cr_assert (matches (e, "h100,avx512"));
    cr_assert_not (matches (e, "avx512"));
    cr_assert_not (matches (e, "a100,h100"));
    cr_assert (matches ("!bigmem", "avx512"));
    cr_assert_not (matches ("!bigmem", "bigmem"));
    cr_assert (matches ("!(a&b)", "a"));
    cr_assert_not (matches ("!(a&b)", "a,b"));
    cr_assert (matches ("!!a", "a"));
}

Test (constraint, and_binds_tighter_than_or)
{
    /* a|b&c is a|(b&c), not (a|b)&c */
    cr_assert (matches ("a|b&c", "a"));
    cr_assert_not (matches ("a|b&c", "b"));
    cr_assert (matches ("a|b&c", "b,c"));
    cr_assert_not (matches ("(a|b)&c", "a"));
    /* left to right, any length */
    cr_assert (matches ("a&b&c&d", "d,c,b,a"));
    cr_assert_not (matches ("a&b&c&d", "a,b,c"));
    cr_assert (matches ("a|b|c|d", "d"));
}

Test (constraint, blanks_between_tokens)
{
    cr_assert (matches ("  avx512 & ( a100 | h100 ) ", "avx512,h100"));
    cr_assert (matches ("\tx\t", "x"));
}

Test (constraint, repeated_names_and_deep_left_nesting)
{
    char expr[CONSTRAINT_TEXT_MAX + 1] = "";

    /* one name 60 times: one table entry, many operations */
    for (int i = 0; i < 60; i++)
        strcat (expr, i ? "&a" : "a");
    cr_assert (matches (expr, "a"));
    cr_assert_not (matches (expr, "b"));
    /* nesting to the limit on both sides of every operator */
    snprintf (expr, sizeof (expr), "%s", "a|(b&(c|(d&(e|(f&(g|(h&i)))))))");
    cr_assert (matches (expr, "a"));
    cr_assert (matches (expr, "b,c"));
    cr_assert (matches (expr, "b,d,e"));
    cr_assert (matches (expr, "b,d,f,g"));
    cr_assert (matches (expr, "b,d,f,h,i"));
    cr_assert_not (matches (expr, "b,d,f,h"));
}

Test (constraint, errors_point_at_the_column)
{
    expect_error ("avx512)", "unexpected ')' at column 7");
    expect_error ("a&(b|c))", "unexpected ')' at column 8");
    expect_error ("(a|b", "'(' at column 1 is never closed");
    expect_error ("a&(b|(c)", "'(' at column 3 is never closed");
    expect_error ("avx512&",
                  "expected a feature name after '&' at column 7, found the end");
    expect_error ("a|", "after '|' at column 2");
    expect_error ("!", "after '!' at column 1");
    expect_error ("&a", "unexpected '&' at column 1");
    expect_error ("a&|b", "unexpected '|' at column 3");
    expect_error ("()", "unexpected ')' at column 2");
    expect_error ("a b", "expected '&' or '|' at column 3, found 'b'");
    expect_error ("(a b)", "expected '&', '|' or ')' at column 4, found 'b'");
    expect_error ("a$b", "'$' at column 2 may not be in a feature name");
    expect_error ("a,b", "',' at column 2 may not be in a feature name");
    expect_error ("a\x01", "byte 0x01 at column 2");
    expect_error ("", "empty");
    expect_error ("   ", "empty");
}

Test (constraint, limits)
{
    char expr[400];
    size_t n = 0;

    /* a name of 64 bytes */
    memset (expr, 'x', 64);
    expr[64] = '\0';
    expect_error (expr, "is 64 bytes; the most is 63");
    expr[63] = '\0';
    cr_assert (matches (expr, expr));
    /* 33 different names */
    n = 0;
    for (int i = 0; i < 33; i++)
        n += (size_t)snprintf (expr + n, sizeof (expr) - n, "%sf%d", i ? "|" : "", i);
    expect_error (expr, "more than 32 different feature names");
    /* 17 levels of nesting */
    n = 0;
    for (int i = 0; i < 17; i++)
        expr[n++] = '(';
    expr[n++] = 'a';
    for (int i = 0; i < 17; i++)
        expr[n++] = ')';
    expr[n] = '\0';
    expect_error (expr, "nested deeper than 16 levels");
    /* 16 levels are fine */
    expr[n - 1] = '\0';
    cr_assert (matches (expr + 1, "a"));
    /* longer than 255 bytes */
    memset (expr, 'a', 256);
    for (int i = 1; i < 256; i += 2)
        expr[i] = '&';
    expr[256] = '\0';
    expect_error (expr, "is 256 bytes; the most is 255");
}

Test (constraint, null_constraint_matches_all_and_destroy_null)
{
    cr_assert (constraint_match (NULL, ""));
    cr_assert (constraint_match (NULL, "a"));
    constraint_destroy (NULL);
    cr_assert_eq (constraint_check ("a&b", NULL), 0);
}

Test (constraint, text_and_short_text)
{
    char buf[8];
    constraint_t *c = constraint_parse ("avx512&(a100|h100)", NULL);

    cr_assert_str_eq (constraint_text (c), "avx512&(a100|h100)");
    cr_assert_str_eq (constraint_text (NULL), "");
    cr_assert_str_eq (constraint_text_short (c, buf, sizeof (buf)), "avx5...");
    cr_assert_str_eq (constraint_text_short (NULL, buf, sizeof (buf)), "");
    constraint_t *copy = constraint_copy (c);
    constraint_destroy (c);
    cr_assert (constraint_match (copy, "avx512,h100"), "the copy outlives the first");
    cr_assert_not (constraint_match (copy, "avx512"));
    constraint_destroy (copy);
    cr_assert_null (constraint_copy (NULL));
}
