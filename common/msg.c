/* msg.c: the wire codec, the one place in cphub that builds or parses the JSON
 * bodies of protocol messages (msg.h), and the only file with jansson.h. What
 * each message holds is data in msg_schema.c; this file walks those field
 * tables to encode a payload, to decode one (checking the presence, JSON
 * type, range and length of every field and naming the field in the error:
 * "submit: field 'spec.ntasks' must be an integer 1..65536"), and to free
 * one. Text a person reads is sanitized to UTF-8 on encode; text a job runs
 * (argv, script) must already be UTF-8 (EILSEQ otherwise). Log bytes travel
 * as base64 (msg_schema.c). doc/protocol.md describes the result for people.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/error.h"
#include "cphub/idset.h"
#include "cphub/msg.h"
#include "msg_schema.h"

/* Where a decode is, for error texts. */
typedef struct dctx {
    const char *type;
    cphub_error_t *err;
} dctx_t;

/* ---- small helpers -------------------------------------------------------- */

static void *field_at (void *base, size_t off)
{
    return (char *)base + off;
}
static const void *cfield_at (const void *base, size_t off)
{
    return (const char *)base + off;
}

/* "type: " + text, errno = code, -1. */
static int dfail (dctx_t *c, int code, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static int dfail (dctx_t *c, int code, const char *fmt, ...)
{
    char text[CPHUB_ERROR_TEXT_MAX + 1];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    return cphub_fail (c->err, code, "%s: %s", c->type, text);
}

/* A field's path for error texts, without printf: every field passes here. */
static void path_join (char *buf, size_t len, const char *path, const char *name)
{
    size_t plen = strnlen (path, len / 2), dot = plen > 0;
    size_t nlen = strnlen (name, len - plen - 2);

    memcpy (buf, path, plen);
    buf[plen] = '.'; /* name overwrites it when path is "" */
    memcpy (buf + plen + dot, name, nlen);
    buf[plen + dot + nlen] = '\0';
}

static void int_range_text (char *buf, size_t len, int64_t lo, int64_t hi)
{
    if (lo == INT64_MIN || (lo == INT_MIN && hi == INT_MAX))
        snprintf (buf, len, "an integer");
    else if (hi == INT64_MAX)
        snprintf (buf, len, "an integer >= %lld", (long long)lo);
    else
        snprintf (buf, len, "an integer %lld..%lld", (long long)lo, (long long)hi);
}

/* A JSON string for text a person reads: bytes that are not UTF-8 become '?'
 * (a name cut in the middle of a character must not stop a whole reply). */
static json_t *json_display_string (const char *s, size_t n)
{
    json_t *j = json_stringn (s, n);
    char *copy;
    size_t i, k;

    if (j)
        return j;
    if (!(copy = malloc (n + 1)))
        return NULL;
    for (i = 0; i < n;) {
        k = msg_utf8_seq_len ((const unsigned char *)s + i, n - i);
        if (k == 0) {
            copy[i++] = '?';
            continue;
        }
        memcpy (copy + i, s + i, k);
        i += k;
    }
    j = json_stringn (copy, n);
    free (copy);
    return j;
}

/* A JSON string that must arrive unchanged (a command word, a script). */
static json_t *json_exact_string (const char *s)
{
    size_t n = strlen (s), i, k;
    json_t *j = json_stringn (s, n);

    if (j)
        return j;
    for (i = 0; i < n; i += k) {
        if ((k = msg_utf8_seq_len ((const unsigned char *)s + i, n - i)) == 0) {
            errno = EILSEQ;
            return NULL;
        }
    }
    errno = ENOMEM;
    return NULL;
}

/* ---- encode ----------------------------------------------------------------- */

/* Drop j, set errno, NULL: for "return json_fail (arr, EINVAL)". */
static json_t *json_fail (json_t *j, int code)
{
    json_decref (j);
    errno = code;
    return NULL;
}

static int encode_fields (const field_t *fields, const void *base, json_t *obj);

static json_t *encode_object (const field_t *fields, const void *base)
{
    json_t *obj = json_object ();

    if (!obj)
        return json_fail (NULL, ENOMEM);
    if (encode_fields (fields, base, obj) < 0)
        return json_fail (obj, errno);
    return obj;
}

static json_t *encode_u64 (uint64_t v)
{
    if (v > INT64_MAX)
        return json_fail (NULL, ERANGE);
    return json_integer ((json_int_t)v);
}

static json_t *encode_array (const field_t *f, const void *base)
{
    const char *elems = *(char *const *)cfield_at (base, f->off);
    uint32_t count = *(const uint32_t *)cfield_at (base, f->count_off), i;
    json_t *arr = json_array (), *e;

    if (!arr)
        return json_fail (NULL, ENOMEM);
    if (count > 0 && !elems)
        return json_fail (arr, EINVAL);
    for (i = 0; i < count; i++) {
        const void *elem = elems + (size_t)i * f->size;
        e = f->sub ? encode_object (f->sub, elem)
                   : encode_u64 (*(const uint64_t *)elem);
        if (!e)
            return json_fail (arr, errno);
        if (json_array_append_new (arr, e) < 0)
            return json_fail (arr, ENOMEM);
    }
    return arr;
}

static json_t *encode_argv (const field_t *f, const void *base)
{
    char *const *argv = *(char *const *const *)cfield_at (base, f->off);
    int argc = *(const int *)cfield_at (base, f->count_off), i;
    json_t *arr = json_array (), *e;

    if (!arr)
        return json_fail (NULL, ENOMEM);
    for (i = 0; i < argc; i++) {
        if (!argv || !argv[i])
            return json_fail (arr, EINVAL);
        if (!(e = json_exact_string (argv[i])))
            return json_fail (arr, errno);
        if (json_array_append_new (arr, e) < 0)
            return json_fail (arr, ENOMEM);
    }
    return arr;
}

static json_t *encode_bytes (const field_t *f, const void *base)
{
    const unsigned char *data = *(const unsigned char *const *)cfield_at (base, f->off);
    size_t len = *(const size_t *)cfield_at (base, f->count_off), n;
    char *text;
    json_t *j;

    if (len > 0 && !data)
        return json_fail (NULL, EINVAL);
    if (!(text = msg_base64_encode (data, len, &n)))
        return json_fail (NULL, ENOMEM);
    j = json_stringn_nocheck (text, n);
    free (text);
    return j ? j : json_fail (NULL, ENOMEM);
}

/* A parsed form as its canonical text; null (or "" with FF_EMPTY) for none. */
static json_t *encode_form (const field_t *f, const void *form)
{
    char *text;
    json_t *j;

    if (!form)
        return (f->flags & FF_EMPTY) ? json_string ("") : json_null ();
    if (!(text = malloc ((size_t)f->max + 1)))
        return NULL;
    if (f->form->format (form, text, (size_t)f->max + 1) > f->max) {
        free (text);
        return json_fail (NULL, EINVAL);
    }
    j = json_exact_string (text);
    free (text);
    return j;
}

/* The JSON value of one field; NULL with errno. */
static json_t *encode_field (const field_t *f, const void *base)
{
    const void *p = cfield_at (base, f->off);
    int v;

    errno = ENOMEM; /* what a NULL from a jansson constructor means */
    switch (f->kind) {
    case FK_U32:
        return json_integer (*(const uint32_t *)p);
    case FK_U64:
        return encode_u64 (*(const uint64_t *)p);
    case FK_INT:
        return json_integer (*(const int *)p);
    case FK_I64:
        return json_integer (*(const int64_t *)p);
    case FK_DOUBLE:
        if (!isfinite (*(const double *)p))
            return json_fail (NULL, ERANGE);
        return json_real (*(const double *)p);
    case FK_BOOL:
        return json_boolean (*(const bool *)p);
    case FK_STR:
        return json_display_string (p, strnlen (p, f->size - 1));
    case FK_ENUM:
        memcpy (&v, p, sizeof (v));
        if (v < 0 || v >= f->names->count)
            return json_fail (NULL, EINVAL);
        return json_string (f->names->name (v));
    case FK_OBJECT:
        return encode_object (f->sub, p);
    case FK_ARRAY:
        return encode_array (f, base);
    case FK_ARGV:
        return encode_argv (f, base);
    case FK_TEXT:
        if (*(char *const *)p == NULL)
            return json_null ();
        return json_exact_string (*(char *const *)p);
    case FK_BYTES:
        return encode_bytes (f, base);
    case FK_FORM:
        return encode_form (f, *(void *const *)p);
    }
    return json_fail (NULL, EINVAL);
}

static int encode_fields (const field_t *fields, const void *base, json_t *obj)
{
    const field_t *f;
    json_t *val;

    for (f = fields; f->name; f++) {
        if (!(val = encode_field (f, base)))
            return -1;
        if (json_object_set_new (obj, f->name, val) < 0) {
            errno = ENOMEM;
            return -1;
        }
    }
    return 0;
}

/* The body object: {"v": 1, payload fields...}, the version first. */
static json_t *encode_body (const msg_t *m)
{
    const msg_kind_t *kind = m ? msg_schema_kind (m->type) : NULL;
    json_t *obj;

    if (!kind)
        return json_fail (NULL, EINVAL);
    if (!(obj = json_object ()) ||
        json_object_set_new (obj, "v", json_integer (CPHUB_PROTOCOL_VERSION)) < 0)
        return json_fail (obj, ENOMEM);
    if (encode_fields (kind->fields, &m->u, obj) < 0)
        return json_fail (obj, errno);
    return obj;
}

int msg_encode (const msg_t *m, char **body, size_t *len)
{
    const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
    json_t *obj = encode_body (m);
    char *buf;
    size_t n = 0;

    if (!obj)
        return -1;
    buf = json_dumps (obj, flags); /* measured after: sizing first dumps twice */
    json_decref (obj);
    if (!buf || (n = strlen (buf)) > MSG_MAX_BYTES) {
        free (buf);
        errno = n > MSG_MAX_BYTES ? E2BIG : ENOMEM;
        return -1;
    }
    *body = buf;
    *len = n;
    return 0;
}

/* ---- decode ----------------------------------------------------------------- */

static int decode_fields (
    dctx_t *c, const field_t *fields, const json_t *obj, void *base, const char *path);

static int decode_int (dctx_t *c,
                       const char *path,
                       const json_t *val,
                       int64_t lo,
                       int64_t hi,
                       int64_t *out)
{
    char range[80];
    json_int_t v;

    int_range_text (range, sizeof (range), lo, hi);
    if (!json_is_integer (val))
        return dfail (c, EPROTO, "field '%s' must be %s", path, range);
    v = json_integer_value (val);
    if (v < lo || v > hi)
        return dfail (c, EINVAL, "field '%s' must be %s, not %lld", path, range,
                      (long long)v);
    *out = v;
    return 0;
}

static int decode_string (dctx_t *c,
                          const char *path,
                          const json_t *val,
                          size_t max,
                          const char **s,
                          size_t *len)
{
    if (!json_is_string (val))
        return dfail (c, EPROTO, "field '%s' must be a string", path);
    *s = json_string_value (val);
    *len = json_string_length (val);
    if (strlen (*s) != *len)
        return dfail (c, EINVAL, "field '%s' contains a NUL byte", path);
    if (*len > max)
        return dfail (c, EINVAL, "field '%s' is %zu bytes long; at most %zu", path,
                      *len, max);
    return 0;
}

static int decode_array (
    dctx_t *c, const field_t *f, const json_t *val, void *base, const char *path)
{
    char epath[128];
    size_t n, i;
    char *elems;
    int64_t v;

    if (!json_is_array (val))
        return dfail (c, EPROTO, "field '%s' must be an array", path);
    n = json_array_size (val);
    if ((int64_t)n < f->min || (int64_t)n > f->max)
        return dfail (c, EINVAL, "field '%s' has %zu entries; it takes %lld..%lld",
                      path, n, (long long)f->min, (long long)f->max);
    if (n > 0 && !(elems = calloc (n, f->size)))
        return dfail (c, ENOMEM, "out of memory decoding '%s'", path);
    if (n == 0)
        elems = NULL;
    *(char **)field_at (base, f->off) = elems;
    *(uint32_t *)field_at (base, f->count_off) = (uint32_t)n;
    for (i = 0; i < n; i++) {
        const json_t *e = json_array_get (val, i);
        snprintf (epath, sizeof (epath), "%.96s[%zu]", path, i);
        if (f->sub) {
            if (!json_is_object (e))
                return dfail (c, EPROTO, "field '%s' must be an object", epath);
            if (decode_fields (c, f->sub, e, elems + i * f->size, epath) < 0)
                return -1;
        } else {
            if (decode_int (c, epath, e, f->elem_min, f->elem_max, &v) < 0)
                return -1;
            ((uint64_t *)elems)[i] = (uint64_t)v;
        }
    }
    return 0;
}

static int decode_argv (
    dctx_t *c, const field_t *f, const json_t *val, void *base, const char *path)
{
    char epath[128];
    const char *s = NULL;
    size_t n, i, len = 0;
    char **argv;

    if (!json_is_array (val))
        return dfail (c, EPROTO, "field '%s' must be an array of strings", path);
    n = json_array_size (val);
    if ((int64_t)n > f->max)
        return dfail (c, EINVAL, "field '%s' has %zu words; at most %lld", path, n,
                      (long long)f->max);
    if (n == 0)
        return 0; /* no command: argv stays NULL (a script job) */
    if (!(argv = calloc (n + 1, sizeof (*argv))))
        return dfail (c, ENOMEM, "out of memory decoding '%s'", path);
    *(char ***)field_at (base, f->off) = argv;
    *(int *)field_at (base, f->count_off) = (int)n;
    for (i = 0; i < n; i++) {
        snprintf (epath, sizeof (epath), "%.96s[%zu]", path, i);
        if (decode_string (c, epath, json_array_get (val, i), (size_t)f->elem_max, &s,
                           &len) < 0)
            return -1;
        if (!(argv[i] = strndup (s, len)))
            return dfail (c, ENOMEM, "out of memory decoding '%s'", epath);
    }
    return 0;
}

static int decode_bytes (
    dctx_t *c, const field_t *f, const json_t *val, void *base, const char *path)
{
    const char *s;
    size_t n, len;
    unsigned char *data;

    if (!json_is_string (val))
        return dfail (c, EPROTO, "field '%s' must be a base64 string", path);
    s = json_string_value (val);
    n = json_string_length (val);
    if (n / 4 * 3 > (size_t)f->max + 2)
        return dfail (c, EINVAL, "field '%s' holds more than %lld bytes", path,
                      (long long)f->max);
    if (!(data = malloc (n / 4 * 3 + 1)))
        return dfail (c, ENOMEM, "out of memory decoding '%s'", path);
    *(unsigned char **)field_at (base, f->off) = data;
    if (msg_base64_decode (s, n, data, &len) < 0)
        return dfail (c, EPROTO, "field '%s' is not valid base64", path);
    if (len > (size_t)f->max)
        return dfail (c, EINVAL, "field '%s' holds %zu bytes; at most %lld", path, len,
                      (long long)f->max);
    data[len] = '\0';
    *(size_t *)field_at (base, f->count_off) = len;
    return 0;
}

static int decode_enum (
    dctx_t *c, const field_t *f, const json_t *val, void *base, const char *path)
{
    char names[120] = "";
    size_t used = 0;
    int i;

    for (i = 0; i < f->names->count && json_is_string (val); i++) {
        if (strcmp (json_string_value (val), f->names->name (i)) == 0) {
            memcpy (field_at (base, f->off), &i, sizeof (i));
            return 0;
        }
    }
    for (i = 0; i < f->names->count && used < sizeof (names); i++)
        used += (size_t)snprintf (names + used, sizeof (names) - used, "%s%s",
                                  i ? ", " : "", f->names->name (i));
    return dfail (c, json_is_string (val) ? EINVAL : EPROTO,
                  "field '%s' must be one of %s", path, names);
}

static int decode_str (
    dctx_t *c, const field_t *f, const json_t *val, void *base, const char *path)
{
    cphub_error_t ierr = {.text = ""};
    const char *s = NULL;
    size_t len = 0;
    idset_t *ids;

    if (decode_string (c, path, val, f->size - 1, &s, &len) < 0)
        return -1;
    if (f->flags & FF_IDSET) {
        if (!(ids = idset_decode (s, &ierr)))
            return dfail (c, EINVAL, "field '%s' is not an id list like '0-3,8': %s",
                          path, ierr.text);
        idset_destroy (ids);
    }
    memcpy (field_at (base, f->off), s, len + 1);
    return 0;
}

/* Text parsed once into its form: the codec boundary's check of it. */
static int decode_form (
    dctx_t *c, const field_t *f, const json_t *val, void *base, const char *path)
{
    cphub_error_t perr = {.text = ""};
    void **p = field_at (base, f->off);
    const char *s = NULL;
    size_t len = 0;
    void *form;

    if (json_is_null (val))
        return 0;
    if (decode_string (c, path, val, (size_t)f->max, &s, &len) < 0)
        return -1;
    if (len == 0)
        return 0;
    if (!(form = f->form->parse (s, &perr)))
        return dfail (c, errno == ENOMEM ? ENOMEM : EINVAL, "%s", perr.text);
    f->form->destroy (*p);
    *p = form;
    return 0;
}

static int decode_field (
    dctx_t *c, const field_t *f, const json_t *val, void *base, const char *path)
{
    void *p = field_at (base, f->off);
    const char *s = NULL;
    size_t len = 0;
    int64_t v;
    double d;

    switch (f->kind) {
    case FK_U32:
    case FK_U64:
    case FK_INT:
    case FK_I64:
        if (decode_int (c, path, val, f->min, f->max, &v) < 0)
            return -1;
        if (f->kind == FK_U32)
            *(uint32_t *)p = (uint32_t)v;
        else if (f->kind == FK_U64)
            *(uint64_t *)p = (uint64_t)v;
        else if (f->kind == FK_INT)
            *(int *)p = (int)v;
        else
            *(int64_t *)p = v;
        return 0;
    case FK_DOUBLE:
        if (!json_is_number (val))
            return dfail (c, EPROTO, "field '%s' must be a number", path);
        d = json_number_value (val);
        if (!isfinite (d) || d < f->dmin || d > f->dmax)
            return dfail (c, EINVAL, "field '%s' must be a number %s", path,
                          f->dmin == 0 ? ">= 0" : "within +-1e300");
        *(double *)p = d;
        return 0;
    case FK_BOOL:
        if (!json_is_boolean (val))
            return dfail (c, EPROTO, "field '%s' must be true or false", path);
        *(bool *)p = json_is_true (val);
        return 0;
    case FK_STR:
        return decode_str (c, f, val, base, path);
    case FK_ENUM:
        return decode_enum (c, f, val, base, path);
    case FK_OBJECT:
        if (!json_is_object (val))
            return dfail (c, EPROTO, "field '%s' must be an object", path);
        return decode_fields (c, f->sub, val, p, path);
    case FK_ARRAY:
        return decode_array (c, f, val, base, path);
    case FK_ARGV:
        return decode_argv (c, f, val, base, path);
    case FK_TEXT:
        if (json_is_null (val))
            return 0;
        if (decode_string (c, path, val, (size_t)f->max, &s, &len) < 0)
            return -1;
        if (!(*(char **)p = strndup (s, len)))
            return dfail (c, ENOMEM, "out of memory decoding '%s'", path);
        return 0;
    case FK_BYTES:
        return decode_bytes (c, f, val, base, path);
    case FK_FORM:
        return decode_form (c, f, val, base, path);
    }
    return dfail (c, EPROTO, "field '%s' has no codec", path);
}

static int decode_fields (
    dctx_t *c, const field_t *fields, const json_t *obj, void *base, const char *path)
{
    char fpath[128];
    const field_t *f;
    const json_t *val;

    for (f = fields; f->name; f++) {
        path_join (fpath, sizeof (fpath), path, f->name);
        if (!(val = json_object_get (obj, f->name))) {
            if (f->flags & FF_OPTIONAL)
                continue;
            return dfail (c, EPROTO, "missing field '%s'", fpath);
        }
        if (decode_field (c, f, val, base, fpath) < 0)
            return -1;
    }
    return 0;
}

/* The type frame for an error text: at most 32 printable characters. */
static void type_printable (const char *type, size_t len, char *buf, size_t size)
{
    size_t i, n = len < 32 ? len : 32;

    for (i = 0; i < n && i + 4 < size; i++)
        buf[i] = (type[i] >= 0x20 && type[i] < 0x7f) ? type[i] : '?';
    if (n < len && i + 4 < size) {
        memcpy (buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
}

static int decode_version (const json_t *obj, cphub_error_t *err)
{
    const json_t *v = json_object_get (obj, "v");

    if (!v)
        return cphub_fail (err, EPROTO,
                           "missing field 'v' (the protocol version; this side "
                           "speaks %d)",
                           CPHUB_PROTOCOL_VERSION);
    if (!json_is_integer (v))
        return cphub_fail (err, EPROTO,
                           "field 'v' must be an integer; this side speaks %d",
                           CPHUB_PROTOCOL_VERSION);
    if (json_integer_value (v) != CPHUB_PROTOCOL_VERSION)
        return cphub_fail (err, EPROTO, "protocol version %lld; this side speaks %d",
                           (long long)json_integer_value (v), CPHUB_PROTOCOL_VERSION);
    return 0;
}

static const char *json_kind_name (const json_t *j)
{
    static const char *const names[] = {
        [JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
        [JSON_STRING] = "a string",  [JSON_INTEGER] = "a number",
        [JSON_REAL] = "a number",    [JSON_TRUE] = "true",
        [JSON_FALSE] = "false",      [JSON_NULL] = "null",
    };
    return names[json_typeof (j)];
}

msg_t *msg_decode (const char *type,
                   size_t type_len,
                   const char *body,
                   size_t body_len,
                   cphub_error_t *err)
{
    char tname[40];
    json_error_t jerr;
    json_t *obj = NULL;
    msg_t *m = NULL;
    msg_type_t t;
    const msg_kind_t *kind;
    cphub_error_t verr = {.text = "invalid"};
    dctx_t c = {.err = err};

    if (body_len > MSG_MAX_BYTES) {
        cphub_fail (err, E2BIG, "message body is %zu bytes; at most %d", body_len,
                    MSG_MAX_BYTES);
        goto error;
    }
    if (!(obj = json_loadb (body ? body : "", body_len,
                            JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr))) {
        cphub_fail (err, EPROTO, "body is not valid JSON (byte %d: %s)", jerr.position,
                    jerr.text);
        goto error;
    }
    if (!json_is_object (obj)) {
        cphub_fail (err, EPROTO, "body must be a JSON object, not %s",
                    json_kind_name (obj));
        goto error;
    }
    if (decode_version (obj, err) < 0)
        goto error;
    if (msg_type_parse (type ? type : "", type_len, &t) < 0) {
        type_printable (type ? type : "", type_len, tname, sizeof (tname));
        cphub_fail (err, ENOENT, "unknown message type '%s'", tname);
        goto error;
    }
    if (!(m = msg_create (t))) {
        cphub_fail (err, ENOMEM, "out of memory");
        goto error;
    }
    kind = msg_schema_kind (t);
    c.type = kind->name;
    if (decode_fields (&c, kind->fields, obj, &m->u, "") < 0)
        goto error;
    if (kind->check && kind->check (m, &verr) < 0) {
        dfail (&c, errno, "%s", verr.text);
        goto error;
    }
    json_decref (obj);
    return m;
error : {
    int saved = errno;
    msg_destroy (m);
    json_decref (obj);
    errno = saved;
    return NULL;
}
}

/* ---- lifecycle -------------------------------------------------------------- */

static void free_fields (const field_t *fields, void *base)
{
    const field_t *f;
    uint32_t i, n;
    char *p, **argv;
    int k;

    for (f = fields; f->name; f++) {
        if (f->kind == FK_ARRAY || f->kind == FK_ARGV || f->kind == FK_TEXT ||
            f->kind == FK_BYTES)
            p = *(char **)field_at (base, f->off);
        else
            p = NULL;
        switch (f->kind) {
        case FK_OBJECT:
            free_fields (f->sub, field_at (base, f->off));
            break;
        case FK_ARRAY:
            n = *(uint32_t *)field_at (base, f->count_off);
            for (i = 0; f->sub && p && i < n; i++)
                free_fields (f->sub, p + (size_t)i * f->size);
            free (p);
            *(char **)field_at (base, f->off) = NULL;
            *(uint32_t *)field_at (base, f->count_off) = 0;
            break;
        case FK_ARGV:
            argv = (char **)p;
            n = (uint32_t) * (int *)field_at (base, f->count_off);
            for (k = 0; argv && k < (int)n; k++)
                free (argv[k]);
            free (argv);
            *(char ***)field_at (base, f->off) = NULL;
            *(int *)field_at (base, f->count_off) = 0;
            break;
        case FK_TEXT:
        case FK_BYTES:
            free (p);
            *(char **)field_at (base, f->off) = NULL;
            break;
        case FK_FORM:
            f->form->destroy (*(void **)field_at (base, f->off));
            *(void **)field_at (base, f->off) = NULL;
            break;
        default:
            break;
        }
    }
}

msg_t *msg_create (msg_type_t type)
{
    msg_t *m;

    if ((unsigned)type >= MSG_TYPE_COUNT) {
        errno = EINVAL;
        return NULL;
    }
    if (!(m = calloc (1, sizeof (*m)))) {
        errno = ENOMEM;
        return NULL;
    }
    m->type = type;
    if (msg_schema_kind (type)->init)
        msg_schema_kind (type)->init (m);
    return m;
}

void msg_destroy (msg_t *m)
{
    int saved = errno;

    if (!m)
        return;
    if (msg_schema_kind (m->type))
        free_fields (msg_schema_kind (m->type)->fields, &m->u);
    free (m);
    errno = saved;
}

msg_t *msg_error_create (int code, const char *fmt, ...)
{
    msg_t *m = msg_create (MSG_ERROR);
    va_list ap;

    if (!m)
        return NULL;
    m->u.error.code = code;
    va_start (ap, fmt);
    vsnprintf (m->u.error.text, sizeof (m->u.error.text), fmt, ap);
    va_end (ap);
    return m;
}

const char *msg_type_name (msg_type_t type)
{
    const msg_kind_t *kind = msg_schema_kind (type);

    return kind ? kind->name : NULL;
}

int msg_type_parse (const char *name, size_t len, msg_type_t *out)
{
    int t;

    for (t = 0; t < MSG_TYPE_COUNT && name; t++) {
        const char *known = msg_schema_kind ((msg_type_t)t)->name;
        if (strlen (known) == len && memcmp (known, name, len) == 0) {
            *out = (msg_type_t)t;
            return 0;
        }
    }
    errno = ENOENT;
    return -1;
}

/* ---- --json output -------------------------------------------------------- */

/* The list --json prints of a list reply (show.ok: its one job). */
static const char *const payload_lists[MSG_TYPE_COUNT] = {
    [MSG_JOBS_OK] = "jobs",      [MSG_WAIT_OK] = "jobs",      [MSG_NODES_OK] = "nodes",
    [MSG_CANCEL_OK] = "results", [MSG_TENANT_OK] = "tenants", [MSG_KEY_OK] = "keys",
};

/* The part of a reply's body --json prints, borrowed from obj. */
static json_t *payload_part (json_t *obj, msg_type_t type)
{
    if (type == MSG_SHOW_OK)
        return json_array_get (json_object_get (obj, "jobs"), 0);
    return payload_lists[type] ? json_object_get (obj, payload_lists[type]) : obj;
}

char *msg_payload_json (const msg_t *m)
{
    json_t *obj = encode_body (m), *out;
    char *text;

    if (!obj)
        return NULL;
    json_object_del (obj, "v");
    out = payload_part (obj, m->type);
    text = json_dumps (out ? out : json_null (),
                       JSON_INDENT (2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    json_decref (obj);
    if (!text)
        errno = ENOMEM;
    return text;
}

char *msg_payload_jsonl (const msg_t *m)
{
    json_t *obj = encode_body (m), *item;
    size_t index, used = 0;
    char *text = NULL;
    FILE *lines = NULL;
    int rc = 0;

    if (!obj || !(lines = open_memstream (&text, &used))) {
        json_decref (obj);
        errno = ENOMEM;
        return NULL;
    }
    json_array_foreach (payload_part (obj, m->type), index, item)
    {
        rc |= json_dumpf (item, lines, JSON_COMPACT | JSON_PRESERVE_ORDER);
        rc |= fputc ('\n', lines) == EOF ? -1 : 0;
    }
    rc |= fclose (lines) == 0 ? 0 : -1;
    json_decref (obj);
    if (rc != 0) {
        free (text);
        errno = ENOMEM;
        return NULL;
    }
    return text;
}
