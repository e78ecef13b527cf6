/* msg_test.h: helpers shared by the codec's test programs (test_msg.c,
 * test_msg_spec.c): encode a message, decode a body that must pass, decode
 * one that must be refused with a given errno and text. Test code only.
 */
#ifndef CPHUB_TESTS_MSG_TEST_H
#define CPHUB_TESTS_MSG_TEST_H

#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/msg.h"

static inline char *encode (const msg_t *m, size_t *len)
{
    char *body = NULL;

    cr_assert_eq (msg_encode (m, &body, len), 0, "encode %s: %s",
                  msg_type_name (m->type), strerror (errno));
    return body;
}

/* Decode body as type name; expect failure with errno code and a text that
 * contains want. */
static inline void expect_reject (const char *type,
                                  const char *body,
                                  int code,
                                  const char *want)
{
    cphub_error_t err = {.text = ""};
    msg_t *m;

    errno = 0;
    m = msg_decode (type, strlen (type), body, strlen (body), &err);
    cr_assert_null (m, "accepted %s %s", type, body);
    cr_assert_eq (errno, code, "%s %s: errno %d (%s), wanted %d; text '%s'", type, body,
                  errno, strerror (errno), code, err.text);
    cr_assert_not_null (strstr (err.text, want), "text '%s' lacks '%s'", err.text,
                        want);
    msg_destroy (m);
}

static inline msg_t *decode_ok (const char *type, const char *body)
{
    cphub_error_t err = {.text = ""};
    msg_t *m = msg_decode (type, strlen (type), body, strlen (body), &err);

    cr_assert_not_null (m, "refused %s %s: %s", type, body, err.text);
    return m;
}

/* Encode then decode; the caller destroys the result. */
static inline msg_t *round_trip (const msg_t *m)
{
    size_t len = 0;
    char *body = encode (m, &len);
    const char *name = msg_type_name (m->type);
    cphub_error_t err = {.text = ""};
    msg_t *back = msg_decode (name, strlen (name), body, len, &err);

    cr_assert_not_null (back, "%s does not decode: %s", name, err.text);
    free (body);
    return back;
}

#endif
