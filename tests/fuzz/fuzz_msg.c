/* fuzz_msg.c: fuzz target for the wire codec (common/msg.c, msg_schema.c),
 * the first code to see every byte a tenant or an agent sends.
 *
 * The input is the two frames of a message, the type up to the first newline
 * and the body after it ("submit\n{\"v\":1,...}"; no newline: all type, empty
 * body). Whatever msg_decode accepts must survive the round trip: it encodes,
 * the encoding decodes again, and encoding that gives the same text. The
 * --json payload view (msg_payload_json) must work on it as well. Refusals
 * must come with errno and a message.
 */
#include <errno.h>
#include <string.h>

#include "cphub/msg.h"
#include "tests/fuzz/fuzz.h"

/* Encode m; the text must decode and re-encode to itself. */
static void fuzz_msg_round_trip (const msg_t *m)
{
    const char *type = msg_type_name (m->type);
    cphub_error_t err = {{0}};
    char *body = NULL, *again = NULL, *json = NULL;
    size_t len = 0, again_len = 0;
    msg_t *m2;

    fuzz_assert (type != NULL);
    fuzz_assert (msg_encode (m, &body, &len) == 0);
    fuzz_assert (strlen (body) == len);
    m2 = msg_decode (type, strlen (type), body, len, &err);
    if (!m2)
        fprintf (stderr, "re-decode of %s failed: %s\n", body, err.text);
    fuzz_assert (m2 != NULL);
    fuzz_assert (m2->type == m->type);
    fuzz_assert (msg_encode (m2, &again, &again_len) == 0);
    if (again_len != len || memcmp (body, again, len) != 0)
        fprintf (stderr, "first encoding:  %s\nsecond encoding: %s\n", body, again);
    fuzz_assert (again_len == len && memcmp (body, again, len) == 0);
    json = msg_payload_json (m2);
    free (json);
    msg_destroy (m2);
    free (again);
    free (body);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr (data, '\n', size);
    size_t type_len = nl ? (size_t)(nl - data) : size;
    size_t body_len = nl ? size - type_len - 1 : 0;
    uint8_t *type = fuzz_memdup (data, type_len);
    uint8_t *body = fuzz_memdup (nl ? nl + 1 : data + size, body_len);
    cphub_error_t err = {{0}};
    msg_t *m;

    if (!type || !body)
        goto done;
    /* Frames are not NUL-terminated on the wire: exact lengths, no NUL. */
    errno = 0;
    m = msg_decode ((const char *)type, type_len, (const char *)body, body_len, &err);
    if (!m) {
        fuzz_assert (errno != 0);
        fuzz_assert (err.text[0] != '\0');
        goto done;
    }
    fuzz_msg_round_trip (m);
    msg_destroy (m);
done:
    free (body);
    free (type);
    return 0;
}
