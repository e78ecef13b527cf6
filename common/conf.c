/* conf.c: configuration files for the scheduler, the agent, the CLI and key
 * files, read with libconfig (the only file that includes libconfig.h).
 *
 * A program describes its settings in a table of paths and types. conf_load
 * parses the file, then walks every setting in it and matches its path
 * against the table, list elements matching "[*]", so a misspelt or misplaced
 * setting is an error rather than silently ignored. Types, durations and sizes
 * are checked at load time too, so getters rarely fail. Every message names
 * the file, the line and the setting: "x.conf:12: 'scheduler.key': ...".
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <inttypes.h>
#include <libconfig.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/conf.h"
#include "cphub/parse.h"

#define CONF_PATH_MAX 256

struct conf {
    config_t cfg;
    char *name; /* file name as given, or the name of a string */
    char *dir;  /* its directory, for relative paths */
    const conf_setting_t *settings;
};

static const char *const conf_expected[] = {
    [CONF_STRING] = "a string in quotes",
    [CONF_INT] = "an integer",
    [CONF_BOOL] = "true or false",
    [CONF_FLOAT] = "a number",
    [CONF_DURATION] = "a duration (\"30s\", \"1:00:00\", \"7-00:00:00\") or seconds",
    [CONF_SIZE] = "a size (\"512M\", \"4G\") or bytes",
    [CONF_GROUP] = "a group { ... }",
    [CONF_LIST] = "a list ( { ... }, ... )",
    [CONF_ARRAY] = "an array of strings [ \"a\", \"b\" ]",
};

static const char *const conf_found[] = {
    [CONFIG_TYPE_NONE] = "nothing",   [CONFIG_TYPE_GROUP] = "a group",
    [CONFIG_TYPE_INT] = "an integer", [CONFIG_TYPE_INT64] = "an integer",
    [CONFIG_TYPE_FLOAT] = "a number", [CONFIG_TYPE_STRING] = "a string",
    [CONFIG_TYPE_BOOL] = "a boolean", [CONFIG_TYPE_ARRAY] = "an array",
    [CONFIG_TYPE_LIST] = "a list",
};

static const char *conf_found_name (const config_setting_t *s)
{
    int t = config_setting_type (s);

    if (t < 0 || t >= (int)(sizeof (conf_found) / sizeof (conf_found[0])))
        return "something else";
    return conf_found[t];
}

static const char *conf_file_of (const conf_t *c, const config_setting_t *s)
{
    const char *f = s ? config_setting_source_file (s) : NULL;

    return f ? f : c->name;
}

/* "FILE:LINE: 'path': <msg>" into err; -1 with errno = errnum. */
static int conf_vfail_at (const conf_t *c,
                          const config_setting_t *s,
                          const char *path,
                          cphub_error_t *err,
                          int errnum,
                          const char *fmt,
                          va_list ap) __attribute__ ((format (printf, 6, 0)));

static int conf_vfail_at (const conf_t *c,
                          const config_setting_t *s,
                          const char *path,
                          cphub_error_t *err,
                          int errnum,
                          const char *fmt,
                          va_list ap)
{
    char msg[160];

    vsnprintf (msg, sizeof (msg), fmt, ap);
    if (s && config_setting_source_line (s) > 0)
        return cphub_fail (err, errnum, "%s:%u: '%s': %s", conf_file_of (c, s),
                           (unsigned)config_setting_source_line (s), path, msg);
    return cphub_fail (err, errnum, "%s: '%s': %s", conf_file_of (c, s), path, msg);
}

static int conf_fail_at (const conf_t *c,
                         const config_setting_t *s,
                         const char *path,
                         cphub_error_t *err,
                         const char *fmt,
                         ...) __attribute__ ((format (printf, 5, 6)));

static int conf_fail_at (const conf_t *c,
                         const config_setting_t *s,
                         const char *path,
                         cphub_error_t *err,
                         const char *fmt,
                         ...)
{
    va_list ap;
    int rc;

    va_start (ap, fmt);
    rc = conf_vfail_at (c, s, path, err, EINVAL, fmt, ap);
    va_end (ap);
    return rc;
}

/* Look a path up ("a.b", "tenants.[0].name"); NULL when absent. */
static config_setting_t *conf_lookup (const conf_t *c, const char *path)
{
    config_setting_t *s = config_root_setting (&c->cfg);
    const char *p = path;
    char part[CONF_PATH_MAX];

    if (!path || !*path)
        return NULL;
    while (s && *p) {
        size_t n = strcspn (p, ".");
        if (n == 0 || n >= sizeof (part))
            return NULL;
        memcpy (part, p, n);
        part[n] = '\0';
        p += n;
        if (*p == '.')
            p++;
        if (part[0] == '[') {
            char *end;
            long i = strtol (part + 1, &end, 10);
            if (end == part + 1 || strcmp (end, "]") != 0 || i < 0 || i > INT32_MAX)
                return NULL;
            if (config_setting_type (s) != CONFIG_TYPE_LIST &&
                config_setting_type (s) != CONFIG_TYPE_ARRAY)
                return NULL;
            s = config_setting_get_elem (s, (unsigned int)i);
        } else {
            if (config_setting_type (s) != CONFIG_TYPE_GROUP)
                return NULL;
            s = config_setting_get_member (s, part);
        }
    }
    return s;
}

static const conf_setting_t *conf_table_find (const conf_setting_t *table,
                                              const char *pattern,
                                              const char *actual)
{
    for (const conf_setting_t *t = table; t && t->path; t++) {
        if (strcmp (t->path, pattern) == 0 || strcmp (t->path, actual) == 0)
            return t;
    }
    return NULL;
}

/* If some table path lies below pattern, the kind of container pattern must
 * be: CONF_LIST when the next part is "[*]", else CONF_GROUP. -1 if none. */
static int conf_table_container (const conf_setting_t *table, const char *pattern)
{
    size_t n = strlen (pattern);

    for (const conf_setting_t *t = table; t && t->path; t++) {
        if (strncmp (t->path, pattern, n) == 0 && t->path[n] == '.')
            return t->path[n + 1] == '[' ? CONF_LIST : CONF_GROUP;
    }
    return -1;
}

/* Edit distance, for "did you mean". Paths are short. */
static size_t conf_distance (const char *a, const char *b)
{
    size_t la = strlen (a), lb = strlen (b);
    size_t row[CONF_PATH_MAX + 1];

    if (la > CONF_PATH_MAX || lb > CONF_PATH_MAX)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static const char *conf_suggest (const conf_setting_t *table, const char *pattern)
{
    const char *best = NULL;
    size_t best_d = 4; /* at most 3 edits away */

    for (const conf_setting_t *t = table; t && t->path; t++) {
        size_t d = conf_distance (pattern, t->path);
        if (d < best_d) {
            best_d = d;
            best = t->path;
        }
    }
    return best;
}

static bool conf_is_int (const config_setting_t *s)
{
    int t = config_setting_type (s);

    return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

/* Elements of an array (or a list used as one) must all be strings. */
static bool conf_all_strings (const config_setting_t *s)
{
    int n = config_setting_length (s);

    for (int i = 0; i < n; i++) {
        if (config_setting_type (config_setting_get_elem (s, (unsigned)i)) !=
            CONFIG_TYPE_STRING)
            return false;
    }
    return true;
}

/* A duration or a size: text its parser takes ("30s", "4G"), or a number
 * of seconds or bytes that is not negative. */
static int conf_check_scaled (const conf_t *c,
                              const config_setting_t *s,
                              const char *path,
                              conf_type_t type,
                              cphub_error_t *err)
{
    bool duration = type == CONF_DURATION;
    cphub_error_t perr;

    if (config_setting_type (s) == CONFIG_TYPE_STRING) {
        const char *text = config_setting_get_string (s);
        int64_t seconds;
        uint64_t bytes;
        int rc = duration ? parse_duration (text, &seconds, &perr)
                          : parse_size (text, &bytes, &perr);
        return rc < 0 ? conf_fail_at (c, s, path, err, "%s", perr.text) : 0;
    }
    if (!conf_is_int (s))
        return conf_fail_at (c, s, path, err, "expected %s, found %s",
                             conf_expected[type], conf_found_name (s));
    if (config_setting_get_int64 (s) < 0)
        return conf_fail_at (c, s, path, err, "a %s cannot be negative",
                             duration ? "duration" : "size");
    return 0;
}

/* Check one setting's value against the type the table gives it. */
static int conf_check_type (const conf_t *c,
                            const config_setting_t *s,
                            const char *path,
                            conf_type_t type,
                            cphub_error_t *err)
{
    int t = config_setting_type (s);
    bool ok = false;

    switch (type) {
    case CONF_STRING:
        ok = t == CONFIG_TYPE_STRING;
        break;
    case CONF_INT:
        ok = conf_is_int (s);
        break;
    case CONF_BOOL:
        ok = t == CONFIG_TYPE_BOOL;
        break;
    case CONF_FLOAT:
        ok = t == CONFIG_TYPE_FLOAT || conf_is_int (s);
        break;
    case CONF_DURATION:
    case CONF_SIZE:
        return conf_check_scaled (c, s, path, type, err);
    case CONF_GROUP:
        ok = t == CONFIG_TYPE_GROUP;
        break;
    case CONF_LIST:
        ok = t == CONFIG_TYPE_LIST ||
             (t == CONFIG_TYPE_ARRAY && config_setting_length (s) == 0);
        break;
    case CONF_ARRAY:
        ok = (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST) && conf_all_strings (s);
        if (!ok && (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST))
            return conf_fail_at (c, s, path, err,
                                 "expected %s; every element must be "
                                 "a string",
                                 conf_expected[type]);
        break;
    }
    if (!ok)
        return conf_fail_at (c, s, path, err, "expected %s, found %s",
                             conf_expected[type], conf_found_name (s));
    return 0;
}

/* Check setting s, whose path is actual (with indices) and pattern (with
 * [*]), and everything below it. */
static int conf_walk (const conf_t *c,
                      const config_setting_t *s,
                      const char *actual,
                      const char *pattern,
                      cphub_error_t *err)
{
    const conf_setting_t *entry = conf_table_find (c->settings, pattern, actual);
    int kind;
    int t = config_setting_type (s);

    if (entry) {
        if (conf_check_type (c, s, actual, entry->type, err) < 0)
            return -1;
        kind = entry->type;
        if (kind != CONF_GROUP && kind != CONF_LIST)
            return 0; /* scalars and arrays of strings: nothing below */
    } else if ((kind = conf_table_container (c->settings, pattern)) >= 0) {
        if (conf_check_type (c, s, actual, (conf_type_t)kind, err) < 0)
            return -1;
    } else {
        const char *hint = conf_suggest (c->settings, pattern);
        if (hint)
            return conf_fail_at (c, s, actual, err,
                                 "unknown setting; did you mean '%s'?", hint);
        return conf_fail_at (c, s, actual, err, "unknown setting");
    }
    int n = config_setting_length (s);
    for (int i = 0; i < n; i++) {
        const config_setting_t *child = config_setting_get_elem (s, (unsigned)i);
        char cact[CONF_PATH_MAX];
        char cpat[CONF_PATH_MAX];
        if (t == CONFIG_TYPE_GROUP) {
            snprintf (cact, sizeof (cact), "%s.%s", actual,
                      config_setting_name (child));
            snprintf (cpat, sizeof (cpat), "%s.%s", pattern,
                      config_setting_name (child));
        } else {
            snprintf (cact, sizeof (cact), "%s.[%d]", actual, i);
            snprintf (cpat, sizeof (cpat), "%s.[*]", pattern);
            /* Elements of a list are groups unless the table says otherwise. */
            if (!conf_table_find (c->settings, cpat, cact) &&
                config_setting_type (child) != CONFIG_TYPE_GROUP)
                return conf_fail_at (c, child, cact, err,
                                     "expected a group { ... }, "
                                     "found %s",
                                     conf_found_name (child));
        }
        if (conf_walk (c, child, cact, cpat, err) < 0)
            return -1;
    }
    return 0;
}

static int conf_check (const conf_t *c, cphub_error_t *err)
{
    const config_setting_t *root = config_root_setting (&c->cfg);
    int n = config_setting_length (root);

    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem (root, (unsigned)i);
        const char *name = config_setting_name (s);
        if (conf_walk (c, s, name, name, err) < 0)
            return -1;
    }
    return 0;
}

static conf_t *conf_create (const char *name,
                            const char *dir,
                            const conf_setting_t *settings)
{
    conf_t *c = calloc (1, sizeof (*c));

    if (!c)
        return NULL;
    config_init (&c->cfg);
    c->settings = settings;
    if (!(c->name = strdup (name)) || !(c->dir = strdup (dir)))
        goto error;
    return c;
error:
    conf_destroy (c);
    errno = ENOMEM;
    return NULL;
}

/* Report a libconfig read failure. */
static void conf_read_error (const conf_t *c, cphub_error_t *err)
{
    const char *file = config_error_file (&c->cfg);
    const char *text = config_error_text (&c->cfg);

    if (!file)
        file = c->name;
    if (!text)
        text = "syntax error";
    if (config_error_type (&c->cfg) == CONFIG_ERR_FILE_IO) {
        cphub_fail (err, EIO, "%s:%d: cannot read an included file (%s)", file,
                    config_error_line (&c->cfg), text);
        return;
    }
    if (strcmp (text, "syntax error") == 0)
        cphub_fail (err, EINVAL,
                    "%s:%d: syntax error (is a ';', '=', quote or brace missing here "
                    "or on the line before?)",
                    file, config_error_line (&c->cfg));
    else
        cphub_fail (err, EINVAL, "%s:%d: syntax error: %s", file,
                    config_error_line (&c->cfg), text);
}

conf_t *conf_load (const char *path, const conf_setting_t *settings, cphub_error_t *err)
{
    conf_t *c = NULL;
    char *copy = NULL;
    FILE *f;

    if (!path || !*path) {
        cphub_fail (err, EINVAL, "no config file named");
        return NULL;
    }
    if (!(f = fopen (path, "re"))) {
        int e = errno;
        cphub_fail (err, e, "%s: cannot open: %s", path, strerror (e));
        return NULL;
    }
    fclose (f);
    if (!(copy = strdup (path)) ||
        !(c = conf_create (path, dirname (copy), settings))) {
        cphub_fail (err, ENOMEM, "out of memory");
        goto error;
    }
    config_set_include_dir (&c->cfg, c->dir);
    if (config_read_file (&c->cfg, path) != CONFIG_TRUE) {
        conf_read_error (c, err);
        goto error;
    }
    if (conf_check (c, err) < 0)
        goto error;
    free (copy);
    return c;
error:
    free (copy);
    conf_destroy (c);
    return NULL;
}

conf_t *conf_load_string (const char *text,
                          const char *name,
                          const conf_setting_t *settings,
                          cphub_error_t *err)
{
    conf_t *c;

    if (!name)
        name = "(string)";
    if (!text) {
        cphub_fail (err, EINVAL, "%s: no text", name);
        return NULL;
    }
    if (!(c = conf_create (name, ".", settings))) {
        cphub_fail (err, ENOMEM, "out of memory");
        return NULL;
    }
    if (config_read_string (&c->cfg, text) != CONFIG_TRUE) {
        conf_read_error (c, err);
        goto error;
    }
    if (conf_check (c, err) < 0)
        goto error;
    return c;
error:
    conf_destroy (c);
    return NULL;
}

void conf_destroy (conf_t *c)
{
    if (!c)
        return;
    int saved = errno;
    config_destroy (&c->cfg);
    free (c->name);
    free (c->dir);
    free (c);
    errno = saved;
}

const char *conf_dir (const conf_t *c)
{
    return c->dir;
}

char *conf_resolve_path (const conf_t *c, const char *path)
{
    char *out = NULL;
    int n;

    if (!path) {
        errno = EINVAL;
        return NULL;
    }
    if (path[0] == '/' || path[0] == '\0')
        return strdup (path);
    if (path[0] == '~' && (path[1] == '/' || path[1] == '\0')) {
        const char *home = getenv ("HOME");
        if (home && *home) {
            n = asprintf (&out, "%s%s", home, path + 1);
            return n < 0 ? NULL : out;
        }
    }
    if (strcmp (c->dir, ".") == 0)
        return strdup (path);
    n = asprintf (&out, "%s/%s", c->dir, path);
    return n < 0 ? NULL : out;
}

/* A value conf_check_type accepted, as the getter of its type returns it. */
typedef union conf_value {
    const char *str;
    int64_t i;
    bool b;
    double f;
    uint64_t u;
} conf_value_t;

static conf_value_t conf_value (const config_setting_t *s, conf_type_t type)
{
    bool text = config_setting_type (s) == CONFIG_TYPE_STRING;
    conf_value_t v = {.i = 0};

    switch (type) {
    case CONF_STRING:
        v.str = config_setting_get_string (s);
        break;
    case CONF_BOOL:
        v.b = config_setting_get_bool (s) != 0;
        break;
    case CONF_FLOAT:
        v.f = conf_is_int (s) ? (double)config_setting_get_int64 (s)
                              : config_setting_get_float (s);
        break;
    case CONF_DURATION: /* "30s" or seconds */
        if (text)
            parse_duration (config_setting_get_string (s), &v.i, NULL);
        else
            v.i = config_setting_get_int64 (s);
        break;
    case CONF_SIZE: /* "4G" or bytes */
        if (text)
            parse_size (config_setting_get_string (s), &v.u, NULL);
        else
            v.u = (uint64_t)config_setting_get_int64 (s);
        break;
    default:
        v.i = config_setting_get_int64 (s);
        break;
    }
    return v;
}

/* What every getter does: 1 when absent (*v kept: the default), -1 with
 * err when the value is not of type (what conf_check_type says when the
 * file is loaded), 0 with *v when present and valid. */
static int conf_get (const conf_t *c,
                     const char *path,
                     conf_type_t type,
                     conf_value_t *v,
                     cphub_error_t *err)
{
    config_setting_t *s = conf_lookup (c, path);

    if (!s)
        return 1;
    if (conf_check_type (c, s, path, type, err) < 0)
        return -1;
    *v = conf_value (s, type);
    return 0;
}

/* The typed getters of conf.h: conf_get_string, _int, _bool, _float,
 * _duration and _size, one definition for all (name, C type, setting type,
 * member of conf_value_t). out is left alone on failure. */
#define CONF_GETTER(name, ctype, type, member)                                     \
    int conf_get_##name (const conf_t *c, const char *path, ctype def, ctype *out, \
                         cphub_error_t *err)                                       \
    {                                                                              \
        conf_value_t v = {.member = def};                                          \
        int rc = conf_get (c, path, type, &v, err);                                \
                                                                                   \
        if (rc >= 0)                                                               \
            *out = v.member;                                                       \
        return rc;                                                                 \
    }
CONF_GETTER (string, const char *, CONF_STRING, str)
CONF_GETTER (int, int64_t, CONF_INT, i)
CONF_GETTER (bool, bool, CONF_BOOL, b)
CONF_GETTER (float, double, CONF_FLOAT, f)
CONF_GETTER (duration, int64_t, CONF_DURATION, i)
CONF_GETTER (size, uint64_t, CONF_SIZE, u)

int conf_count (const conf_t *c, const char *path)
{
    config_setting_t *s = conf_lookup (c, path);

    if (!s || !config_setting_is_aggregate (s))
        return 0;
    return config_setting_length (s);
}

int conf_get_array_string (
    const conf_t *c, const char *path, int i, const char **out, cphub_error_t *err)
{
    config_setting_t *s = conf_lookup (c, path);
    config_setting_t *e;
    char epath[CONF_PATH_MAX];

    if (!s || !config_setting_is_aggregate (s) || i < 0 ||
        i >= config_setting_length (s)) {
        cphub_fail (err, ENOENT, "%s: '%s' has no element %d", conf_file_of (c, s),
                    path, i);
        return -1;
    }
    e = config_setting_get_elem (s, (unsigned)i);
    snprintf (epath, sizeof (epath), "%s.[%d]", path, i);
    if (config_setting_type (e) != CONFIG_TYPE_STRING)
        return conf_fail_at (c, e, epath, err, "expected %s, found %s",
                             conf_expected[CONF_STRING], conf_found_name (e));
    *out = config_setting_get_string (e);
    return 0;
}

int conf_fail (
    const conf_t *c, const char *path, cphub_error_t *err, const char *fmt, ...)
{
    config_setting_t *s = conf_lookup (c, path);
    char where[CONF_PATH_MAX];
    va_list ap;
    int rc;

    /* An absent setting is reported at the nearest enclosing one. */
    snprintf (where, sizeof (where), "%s", path ? path : "");
    while (!s) {
        char *dot = strrchr (where, '.');
        if (!dot)
            break;
        *dot = '\0';
        s = conf_lookup (c, where);
    }
    va_start (ap, fmt);
    rc = conf_vfail_at (c, s, path ? path : "", err, EINVAL, fmt, ap);
    va_end (ap);
    return rc;
}
