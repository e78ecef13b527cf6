/* test_idset.c: unit tests for common/idset.c, the id bitmap and its
 * "0-3,8,10-11" text form used for cores, PUs and GPUs.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/idset.h"

static void round_trip (const char *in, const char *want)
{
    cphub_error_t err = {{0}};
    idset_t *s = idset_decode (in, &err);
    char buf[256];
    char *alloc;

    cr_assert_not_null (s, "'%s': %s", in, err.text);
    cr_assert_eq (idset_encode (s, buf, sizeof (buf)), 0);
    cr_assert_str_eq (buf, want, "'%s' encoded as '%s', wanted '%s'", in, buf, want);
    alloc = idset_encode_alloc (s);
    cr_assert_not_null (alloc);
    cr_assert_str_eq (alloc, want);
    free (alloc);
    idset_destroy (s);
}

Test (idset, round_trips)
{
    round_trip ("", "");
    round_trip ("0", "0");
    round_trip ("0-3,8,10-11", "0-3,8,10-11");
    round_trip ("3,2,1,0", "0-3");
    round_trip ("0-3,2-5", "0-5");
    round_trip ("5,5,5", "5");
    round_trip ("63,64", "63-64");
    round_trip ("0,2,4", "0,2,4");
    round_trip ("65535", "65535");
    round_trip ("1-1", "1");
    round_trip ("0-127,129", "0-127,129");
    round_trip (" 1-2\n", "1-2"); /* Linux list files end with a newline */
}

static void bad (const char *in, const char *needle)
{
    cphub_error_t err = {{0}};

    errno = 0;
    cr_assert_null (idset_decode (in, &err), "'%s' should fail", in);
    cr_assert_eq (errno, EINVAL);
    cr_assert_neq (err.text[0], '\0');
    if (needle)
        cr_assert (strstr (err.text, needle), "'%s' not in '%s'", needle, err.text);
}

Test (idset, decode_errors)
{
    bad ("a", "not an id list");
    bad ("1,,2", NULL);
    bad ("1,", NULL);
    bad (",1", NULL);
    bad ("-3", NULL);
    bad ("3-", NULL);
    bad ("5-3", "backwards");
    bad ("65536", "below 65536");
    bad ("0-99999999999", "below");
    bad ("1 2", NULL);
    bad ("1-2-3", NULL);
    bad (NULL, NULL);
}

Test (idset, set_clear_test_count)
{
    idset_t *s = idset_create ();

    cr_assert (idset_empty (s));
    cr_assert_eq (idset_first (s), IDSET_NONE);
    cr_assert_eq (idset_set (s, 1000), 0);
    cr_assert_eq (idset_set (s, 3), 0);
    cr_assert (idset_test (s, 1000));
    cr_assert (idset_test (s, 3));
    cr_assert_not (idset_test (s, 4));
    cr_assert_not (idset_test (s, 100000));
    cr_assert_not (idset_test (s, -1));
    cr_assert_eq (idset_count (s), 2);
    cr_assert_eq (idset_set (s, -1), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert_eq (idset_set (s, IDSET_MAX_ID), -1);
    cr_assert_eq (idset_set (s, IDSET_MAX_ID - 1), 0);
    cr_assert_eq (idset_clear (s, 3), 0);
    cr_assert_eq (idset_clear (s, 60000), 0); /* not set: fine */
    cr_assert_eq (idset_clear (s, -5), -1);
    cr_assert_eq (idset_count (s), 2);
    idset_clear_all (s);
    cr_assert (idset_empty (s));
    cr_assert_eq (idset_count (s), 0);
    idset_destroy (s);
    idset_destroy (NULL);
}

Test (idset, iteration)
{
    idset_t *s = idset_decode ("1,63-65,200", NULL);
    int want[] = {1, 63, 64, 65, 200};
    int n = 0;

    cr_assert_not_null (s);
    for (int id = idset_first (s); id != IDSET_NONE; id = idset_next (s, id)) {
        cr_assert_lt (n, 5);
        cr_assert_eq (id, want[n]);
        n++;
    }
    cr_assert_eq (n, 5);
    cr_assert_eq (idset_next (s, 200), IDSET_NONE);
    cr_assert_eq (idset_next (s, IDSET_MAX_ID - 1), IDSET_NONE);
    idset_destroy (s);
}

Test (idset, equal_subset_add_subtract)
{
    idset_t *a = idset_decode ("0-3", NULL);
    idset_t *b = idset_decode ("2-5", NULL);
    idset_t *big = idset_create ();
    char buf[64];

    /* equality ignores capacity: grow then clear a high id */
    idset_set (big, 5000);
    idset_clear (big, 5000);
    for (int i = 0; i <= 3; i++)
        idset_set (big, i);
    cr_assert (idset_equal (a, big));
    cr_assert (idset_equal (big, a));
    cr_assert_not (idset_equal (a, b));

    cr_assert_not (idset_is_subset (a, b));
    cr_assert_eq (idset_add (a, b), 0);
    idset_encode (a, buf, sizeof (buf));
    cr_assert_str_eq (buf, "0-5");
    cr_assert (idset_is_subset (b, a));
    idset_subtract (a, b);
    idset_encode (a, buf, sizeof (buf));
    cr_assert_str_eq (buf, "0-1");

    idset_t *empty = idset_create ();
    cr_assert (idset_is_subset (empty, a));
    cr_assert (idset_equal (empty, NULL));
    idset_destroy (empty);
    idset_destroy (a);
    idset_destroy (b);
    idset_destroy (big);
}

Test (idset, copy_is_deep)
{
    idset_t *a = idset_decode ("1,70", NULL);
    idset_t *c = idset_copy (a);

    cr_assert (idset_equal (a, c));
    idset_set (c, 2);
    cr_assert_not (idset_test (a, 2));
    cr_assert_eq (idset_count (a), 2);
    idset_destroy (a);
    idset_destroy (c);
}

Test (idset, encode_no_space)
{
    idset_t *s = idset_decode ("0-3,8,10-11", NULL);
    char buf[12]; /* needs 12 including the NUL */
    char small[11];

    cr_assert_eq (idset_encode (s, buf, sizeof (buf)), 0);
    cr_assert_str_eq (buf, "0-3,8,10-11");
    errno = 0;
    cr_assert_eq (idset_encode (s, small, sizeof (small)), -1);
    cr_assert_eq (errno, ENOSPC);
    cr_assert_eq (idset_encode (s, small, 0), -1);
    idset_destroy (s);
}

Test (idset, large_alloc_encode)
{
    idset_t *s = idset_create ();
    char *text;

    for (int i = 0; i < 2000; i += 2)
        idset_set (s, i);
    text = idset_encode_alloc (s);
    cr_assert_not_null (text);
    idset_t *back = idset_decode (text, NULL);
    cr_assert_not_null (back);
    cr_assert (idset_equal (s, back));
    cr_assert_eq (idset_count (back), 1000);
    free (text);
    idset_destroy (back);
    idset_destroy (s);
}
