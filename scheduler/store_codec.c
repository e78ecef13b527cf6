/* store_codec.c: the store's own JSON form of a job spec and a node's
 * description (store_codec.h), with jansson.
 *
 * Plain fields are rows of a table (JSON name, kind, offset, limit) walked
 * one way to encode and the other to decode, so that a field is named once.
 * What does not fit a row has a small pair of functions: the command words,
 * the node's NUMA memory, cores and GPUs, and the three relations of a spec
 * (--array, --after, --constraint), kept as their text form: each is read
 * and written in one place only, so that a typed form of them changes one
 * pair. Decoding trusts nothing: types, ranges and lengths are checked per
 * field before the whole is validated.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/constraint.h"
#include "scheduler/store_codec.h"

/* Largest number a JSON integer (signed 64-bit) holds. */
#define CODEC_INT_MAX ((uint64_t)INT64_MAX)
#define CODEC_PATH_MAX 96
/* Largest char array of a spec or a node (a node's features). */
#define CODEC_CHARS_MAX 256

typedef enum {
    CF_U32 = 0,
    CF_U64,
    CF_I64, /* >= 0 */
    CF_BOOL,
    CF_CHARS, /* char array of .size bytes */
    CF_TEXT,  /* owned char *, NULL = absent */
} codec_kind_t;

typedef struct codec_field {
    const char *name;
    codec_kind_t kind;
    size_t off;
    size_t size;   /* CF_CHARS: the array */
    uint64_t max;  /* numbers: largest value; CF_TEXT: bytes */
    bool optional; /* absent or null: 0, false, "" or NULL */
} codec_field_t;

#define ROW(T, f, jname, k, ...)                                          \
    {                                                                     \
        .name = (jname), .kind = (k), .off = offsetof (T, f), __VA_ARGS__ \
    }
#define CHARS(T, f, jname, ...) \
    ROW (T, f, jname, CF_CHARS, .size = sizeof (((T *)0)->f), __VA_ARGS__)
#define END          \
    {                \
        .name = NULL \
    }

static const codec_field_t spec_fields[] = {
    ROW (jobspec_t, ntasks, "tasks", CF_U32, .max = JOBSPEC_TASKS_MAX),
    ROW (jobspec_t,
         cpus_per_task,
         "cpus_per_task",
         CF_U32,
         .max = JOBSPEC_CPUS_PER_TASK_MAX),
    ROW (jobspec_t, gpus, "gpus", CF_U32, .max = JOBSPEC_GPUS_MAX),
    ROW (jobspec_t, mem, "mem_bytes", CF_U64, .max = CODEC_INT_MAX),
    ROW (jobspec_t, walltime, "walltime_s", CF_I64, .max = CODEC_INT_MAX),
    CHARS (jobspec_t, name, "name", .optional = true),
    ROW (jobspec_t,
         script,
         "script",
         CF_TEXT,
         .max = JOBSPEC_SCRIPT_MAX,
         .optional = true),
    ROW (jobspec_t, nodes, "nodes", CF_U32, .max = JOBSPEC_NODES_MAX, .optional = true),
    ROW (jobspec_t, exclusive, "exclusive", CF_BOOL, .optional = true),
    ROW (jobspec_t, no_requeue, "no_requeue", CF_BOOL, .optional = true),
    END,
};

static const codec_field_t node_fields[] = {
    CHARS (node_desc_t, name, "name"),
    ROW (node_desc_t, npackages, "packages", CF_U32, .max = UINT32_MAX),
    ROW (node_desc_t, mem, "mem_bytes", CF_U64, .max = CODEC_INT_MAX),
    CHARS (node_desc_t, features, "features", .optional = true),
    CHARS (node_desc_t, topology, "topology", .optional = true),
    ROW (node_desc_t, binding, "binding", CF_BOOL, .optional = true),
    CHARS (node_desc_t, isolation, "isolation", .optional = true),
    ROW (node_desc_t, simulated, "simulated", CF_BOOL, .optional = true),
    END,
};

static const codec_field_t core_fields[] = {
    ROW (node_core_t, package, "package", CF_U32, .max = UINT32_MAX),
    ROW (node_core_t, numa, "numa", CF_U32, .max = UINT32_MAX),
    ROW (node_core_t, l3, "l3", CF_U32, .max = UINT32_MAX),
    CHARS (node_core_t, pus, "pus"),
    END,
};

static const codec_field_t gpu_fields[] = {
    CHARS (node_gpu_t, name, "name"),
    ROW (node_gpu_t, numa, "numa", CF_U32, .max = UINT32_MAX),
    END,
};

/* --- encode --------------------------------------------------------------- */

/* Drop obj, keep errno: NULL. */
static json_t *encode_fail (json_t *obj)
{
    int saved = errno;

    json_decref (obj);
    errno = saved;
    return NULL;
}

/* Set obj[name] to val (taken); -1 with errno when val is NULL (errno as
 * its constructor left it) or the set fails. */
static int put (json_t *obj, const char *name, json_t *val)
{
    if (!val)
        return -1;
    if (json_object_set_new (obj, name, val) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* Append val (taken) to arr; -1 with errno as put. */
static int put_elem (json_t *arr, json_t *val)
{
    if (!val)
        return -1;
    if (json_array_append_new (arr, val) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* A name or a description, only ever shown: text that is not UTF-8 (cut
 * short by its agent) is kept with its bytes past ASCII as '?', so that it
 * cannot keep a node or a job from being stored. */
static json_t *chars_json (const char *s, size_t n)
{
    char shown[CODEC_CHARS_MAX];
    json_t *j = json_stringn (s, n);

    if (j || n >= sizeof (shown))
        return j;
    for (size_t i = 0; i < n; i++)
        shown[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
    return json_stringn (shown, n);
}

/* A string that must come back unchanged: EILSEQ if it is not UTF-8. */
static json_t *text_json (const char *s, size_t n)
{
    json_t *j = json_stringn (s, n);

    if (!j)
        errno = EILSEQ;
    return j;
}

static json_t *field_json (const codec_field_t *f, const void *base)
{
    const char *p = (const char *)base + f->off;
    uint64_t v;

    errno = ENOMEM;
    switch (f->kind) {
    case CF_U32:
        return json_integer (*(const uint32_t *)p);
    case CF_U64:
        v = *(const uint64_t *)p;
        if (v > CODEC_INT_MAX) {
            errno = ERANGE;
            return NULL;
        }
        return json_integer ((json_int_t)v);
    case CF_I64:
        return json_integer (*(const int64_t *)p);
    case CF_BOOL:
        return json_boolean (*(const bool *)p);
    case CF_CHARS:
        return chars_json (p, strnlen (p, f->size));
    case CF_TEXT:
        return text_json (*(char *const *)p, strlen (*(char *const *)p));
    }
    errno = EINVAL;
    return NULL;
}

static int fields_encode (json_t *obj, const codec_field_t *fields, const void *base)
{
    for (const codec_field_t *f = fields; f->name; f++) {
        const char *p = (const char *)base + f->off;
        if (f->kind == CF_TEXT && *(char *const *)p == NULL)
            continue;
        if (put (obj, f->name, field_json (f, base)) < 0)
            return -1;
    }
    return 0;
}

/* An array of n objects of size bytes, each by fields. */
static json_t *objects_json (const void *elems,
                             uint32_t n,
                             size_t size,
                             const codec_field_t *fields)
{
    json_t *arr = json_array ();

    for (uint32_t i = 0; arr && i < n; i++) {
        json_t *obj = json_object ();
        errno = ENOMEM;
        if (!obj || fields_encode (obj, fields, (const char *)elems + i * size) < 0) {
            encode_fail (obj);
            return encode_fail (arr);
        }
        if (put_elem (arr, obj) < 0)
            return encode_fail (arr);
    }
    return arr;
}

/* Dump obj (taken) as the text. */
static int dump (json_t *obj, char **text, size_t *len)
{
    if (!obj)
        return -1;
    *text = json_dumps (obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (obj);
    if (!*text) {
        errno = ENOMEM;
        return -1;
    }
    *len = strlen (*text);
    return 0;
}

/* --- the spec's relations: their text form, one place each ------------------ */

static json_t *spec_array_json (const jobspec_t *spec)
{
    char text[JOBSPEC_ARRAY_TEXT_MAX + 1];

    if (!spec->array)
        return json_null ();
    jobspec_array_format (spec->array, text, sizeof (text));
    return text_json (text, strlen (text));
}

static json_t *spec_after_json (const jobspec_t *spec)
{
    char text[JOBSPEC_AFTER_MAX + 1];

    if (!spec->after)
        return json_null ();
    jobspec_after_format (spec->after, text, sizeof (text));
    return text_json (text, strlen (text));
}

static json_t *spec_constraint_json (const jobspec_t *spec)
{
    const char *text = constraint_text (spec->constraint);

    return text_json (text, strlen (text));
}

/* The command words, an array of strings. */
static json_t *spec_argv_json (const jobspec_t *spec)
{
    json_t *arr = json_array ();

    errno = ENOMEM;
    for (int i = 0; arr && i < spec->argc; i++) {
        if (put_elem (arr, text_json (spec->argv[i], strlen (spec->argv[i]))) < 0)
            arr = encode_fail (arr);
    }
    return arr;
}

int store_codec_spec_encode (const jobspec_t *spec, char **text, size_t *len)
{
    json_t *obj = json_object ();

    errno = ENOMEM;
    if (!obj || fields_encode (obj, spec_fields, spec) < 0 ||
        put (obj, "argv", spec_argv_json (spec)) < 0 ||
        put (obj, "constraint", spec_constraint_json (spec)) < 0 ||
        put (obj, "array", spec_array_json (spec)) < 0 ||
        put (obj, "after", spec_after_json (spec)) < 0)
        return dump (encode_fail (obj), text, len);
    return dump (obj, text, len);
}

/* The NUMA domains' memory, an array of integers. */
static json_t *numa_mem_json (const node_desc_t *d)
{
    json_t *arr = json_array ();

    errno = ENOMEM;
    for (uint32_t i = 0; arr && i < d->nnuma; i++) {
        if (d->numa_mem[i] > CODEC_INT_MAX) {
            errno = ERANGE;
            return encode_fail (arr);
        }
        if (put_elem (arr, json_integer ((json_int_t)d->numa_mem[i])) < 0)
            return encode_fail (arr);
    }
    return arr;
}

int store_codec_node_encode (const node_desc_t *d, char **text, size_t *len)
{
    json_t *obj = json_object ();

    errno = ENOMEM;
    if (!obj || fields_encode (obj, node_fields, d) < 0 ||
        put (obj, "numa_mem_bytes", numa_mem_json (d)) < 0 ||
        put (obj, "cores",
             objects_json (d->cores, d->ncores, sizeof (*d->cores), core_fields)) < 0 ||
        put (obj, "gpus",
             objects_json (d->gpus, d->ngpus, sizeof (*d->gpus), gpu_fields)) < 0)
        return dump (encode_fail (obj), text, len);
    return dump (obj, text, len);
}

/* --- decode --------------------------------------------------------------- */

static int field_fail (cphub_error_t *err,
                       const char *path,
                       const char *name,
                       const char *what)
{
    return cphub_fail (err, EINVAL, "field '%s%s' %s", path, name, what);
}

/* A JSON string without NUL bytes of at most max bytes: its text, or NULL
 * with err. */
static const char *json_text (const json_t *val,
                              size_t max,
                              const char *path,
                              const char *name,
                              cphub_error_t *err)
{
    const char *s = json_string_value (val);
    size_t n = json_string_length (val);

    if (!s || strlen (s) != n) {
        field_fail (err, path, name, "must be a string without NUL bytes");
        return NULL;
    }
    if (n > max) {
        cphub_fail (err, EINVAL, "field '%s%s' has %zu bytes; at most %zu", path, name,
                    n, max);
        return NULL;
    }
    return s;
}

static int json_uint (const json_t *val,
                      uint64_t max,
                      uint64_t *out,
                      const char *path,
                      const char *name,
                      cphub_error_t *err)
{
    json_int_t v;

    if (!json_is_integer (val) || (v = json_integer_value (val)) < 0 ||
        (uint64_t)v > max)
        return cphub_fail (err, EINVAL, "field '%s%s' must be an integer 0..%" PRIu64,
                           path, name, max);
    *out = (uint64_t)v;
    return 0;
}

static int field_decode (const codec_field_t *f,
                         const json_t *val,
                         void *base,
                         const char *path,
                         cphub_error_t *err)
{
    char *p = (char *)base + f->off;
    const char *s;
    uint64_t v = 0;

    switch (f->kind) {
    case CF_U32:
    case CF_U64:
    case CF_I64:
        if (json_uint (val, f->max, &v, path, f->name, err) < 0)
            return -1;
        if (f->kind == CF_U32)
            *(uint32_t *)p = (uint32_t)v;
        else if (f->kind == CF_U64)
            *(uint64_t *)p = v;
        else
            *(int64_t *)p = (int64_t)v;
        return 0;
    case CF_BOOL:
        if (!json_is_boolean (val))
            return field_fail (err, path, f->name, "must be true or false");
        *(bool *)p = json_is_true (val);
        return 0;
    case CF_CHARS:
        if (!(s = json_text (val, f->size - 1, path, f->name, err)))
            return -1;
        memcpy (p, s, strlen (s) + 1);
        return 0;
    case CF_TEXT:
        if (!(s = json_text (val, f->max, path, f->name, err)))
            return -1;
        if (!(*(char **)p = strdup (s)))
            return cphub_fail (err, ENOMEM, "out of memory");
        return 0;
    }
    return cphub_fail (err, EINVAL, "field '%s%s' has no kind", path, f->name);
}

static int fields_decode (const json_t *obj,
                          const codec_field_t *fields,
                          void *base,
                          const char *path,
                          cphub_error_t *err)
{
    for (const codec_field_t *f = fields; f->name; f++) {
        const json_t *val = json_object_get (obj, f->name);
        if (!val || json_is_null (val)) {
            if (!f->optional)
                return field_fail (err, path, f->name, "is missing");
            continue;
        }
        if (field_decode (f, val, base, path, err) < 0)
            return -1;
    }
    return 0;
}

/* obj[name] as an array of at most max elements: 0 with *arr (NULL when
 * absent or null) and *n, or -1 with err. */
static int array_get (const json_t *obj,
                      const char *name,
                      size_t max,
                      const json_t **arr,
                      size_t *n,
                      cphub_error_t *err)
{
    *arr = json_object_get (obj, name);
    *n = 0;
    if (!*arr || json_is_null (*arr))
        return 0;
    if (!json_is_array (*arr))
        return field_fail (err, "", name, "must be an array");
    if ((*n = json_array_size (*arr)) > max)
        return cphub_fail (err, EINVAL, "field '%s' has %zu elements; at most %zu",
                           name, *n, max);
    return 0;
}

/* An array of objects into *elems (calloc'd n x size), each by fields. */
static int objects_decode (const json_t *obj,
                           const char *name,
                           size_t max,
                           const codec_field_t *fields,
                           size_t size,
                           void **elems,
                           uint32_t *count,
                           cphub_error_t *err)
{
    char path[CODEC_PATH_MAX];
    const json_t *arr;
    size_t n;

    if (array_get (obj, name, max, &arr, &n, err) < 0)
        return -1;
    if (n > 0 && !(*elems = calloc (n, size)))
        return cphub_fail (err, ENOMEM, "out of memory");
    *count = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get (arr, i);
        snprintf (path, sizeof (path), "%s[%zu].", name, i);
        if (!json_is_object (e))
            return field_fail (err, path, "", "must be an object");
        if (fields_decode (e, fields, (char *)*elems + i * size, path, err) < 0)
            return -1;
    }
    return 0;
}

static json_t *load_object (const char *text, size_t len, cphub_error_t *err)
{
    json_error_t jerr;
    json_t *obj = json_loadb (text ? text : "", len, JSON_REJECT_DUPLICATES, &jerr);

    if (obj && !json_is_object (obj))
        json_decref (obj), obj = NULL;
    if (!obj)
        cphub_fail (err, EINVAL, "not a JSON object (byte %d: %s)", jerr.position,
                    jerr.text);
    return obj;
}

/* What fills one part of a value from its JSON object: 0 or -1 with err. */
typedef int (*codec_part_f) (const json_t *obj, void *value, cphub_error_t *err);

/* Parse text and fill value by each part in turn (NULL-terminated). */
static int decode_parts (const char *text,
                         size_t len,
                         const codec_part_f *parts,
                         void *value,
                         cphub_error_t *err)
{
    json_t *obj = load_object (text, len, err);
    int rc = obj ? 0 : -1;

    for (const codec_part_f *part = parts; rc == 0 && *part; part++)
        rc = (*part) (obj, value, err);
    json_decref (obj);
    return rc;
}

/* Optional text of a relation: absent, null or "" = none. NULL with err
 * when it is something else. */
static int relation_text (const json_t *obj,
                          const char *name,
                          size_t max,
                          const char **out,
                          cphub_error_t *err)
{
    const json_t *val = json_object_get (obj, name);

    *out = "";
    if (!val || json_is_null (val))
        return 0;
    return (*out = json_text (val, max, "", name, err)) ? 0 : -1;
}

/* A relation's text, parsed into the spec's form by the option's own
 * setter (the same rules as the command line and the wire). */
static int relation_set (const json_t *obj,
                         const char *name,
                         size_t max,
                         jobspec_t *spec,
                         cphub_error_t *err)
{
    const char *s;

    if (relation_text (obj, name, max, &s, err) < 0)
        return -1;
    return s[0] ? jobspec_set_option (spec, name, s, err) : 0;
}

static int spec_array_set (const json_t *obj, void *value, cphub_error_t *err)
{
    return relation_set (obj, "array", JOBSPEC_ARRAY_TEXT_MAX, value, err);
}

static int spec_after_set (const json_t *obj, void *value, cphub_error_t *err)
{
    return relation_set (obj, "after", JOBSPEC_AFTER_MAX, value, err);
}

static int spec_constraint_set (const json_t *obj, void *value, cphub_error_t *err)
{
    return relation_set (obj, "constraint", JOBSPEC_CONSTRAINT_MAX, value, err);
}

static int spec_argv_set (const json_t *obj, void *value, cphub_error_t *err)
{
    jobspec_t *spec = value;
    char name[CODEC_PATH_MAX];
    const json_t *arr;
    const char *s;
    size_t n;

    if (array_get (obj, "argv", JOBSPEC_ARGC_MAX, &arr, &n, err) < 0)
        return -1;
    if (n == 0)
        return 0;
    if (!(spec->argv = calloc (n + 1, sizeof (*spec->argv))))
        return cphub_fail (err, ENOMEM, "out of memory");
    spec->argc = (int)n;
    for (size_t i = 0; i < n; i++) {
        snprintf (name, sizeof (name), "argv[%zu]", i);
        if (!(s = json_text (json_array_get (arr, i), JOBSPEC_ARG_MAX, "", name, err)))
            return -1;
        if (!(spec->argv[i] = strdup (s)))
            return cphub_fail (err, ENOMEM, "out of memory");
    }
    return 0;
}

static int spec_plain_set (const json_t *obj, void *value, cphub_error_t *err)
{
    return fields_decode (obj, spec_fields, value, "", err);
}

static const codec_part_f spec_parts[] = {
    spec_plain_set, spec_argv_set,       spec_array_set,
    spec_after_set, spec_constraint_set, NULL,
};

int store_codec_spec_decode (const char *text,
                             size_t len,
                             jobspec_t *spec,
                             cphub_error_t *err)
{
    jobspec_init (spec);
    if (decode_parts (text, len, spec_parts, spec, err) < 0)
        return -1;
    return jobspec_validate (spec, err);
}

static int numa_mem_set (const json_t *obj, void *value, cphub_error_t *err)
{
    node_desc_t *d = value;
    char name[CODEC_PATH_MAX];
    const json_t *arr;
    size_t n;

    if (array_get (obj, "numa_mem_bytes", NODE_NUMA_MAX, &arr, &n, err) < 0)
        return -1;
    if (n > 0 && !(d->numa_mem = calloc (n, sizeof (*d->numa_mem))))
        return cphub_fail (err, ENOMEM, "out of memory");
    d->nnuma = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        snprintf (name, sizeof (name), "numa_mem_bytes[%zu]", i);
        if (json_uint (json_array_get (arr, i), CODEC_INT_MAX, &d->numa_mem[i], "",
                       name, err) < 0)
            return -1;
    }
    return 0;
}

static int node_plain_set (const json_t *obj, void *value, cphub_error_t *err)
{
    return fields_decode (obj, node_fields, value, "", err);
}

static int node_cores_set (const json_t *obj, void *value, cphub_error_t *err)
{
    node_desc_t *d = value;

    return objects_decode (obj, "cores", NODE_CORES_MAX, core_fields,
                           sizeof (*d->cores), (void **)&d->cores, &d->ncores, err);
}

static int node_gpus_set (const json_t *obj, void *value, cphub_error_t *err)
{
    node_desc_t *d = value;

    return objects_decode (obj, "gpus", NODE_GPUS_MAX, gpu_fields, sizeof (*d->gpus),
                           (void **)&d->gpus, &d->ngpus, err);
}

static const codec_part_f node_parts[] = {
    node_plain_set, numa_mem_set, node_cores_set, node_gpus_set, NULL,
};

int store_codec_node_decode (const char *text,
                             size_t len,
                             node_desc_t *d,
                             cphub_error_t *err)
{
    node_desc_init (d);
    if (decode_parts (text, len, node_parts, d, err) < 0)
        return -1;
    return node_desc_validate (d, err);
}
