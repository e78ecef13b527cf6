/* conf.h: configuration files, read with libconfig (this is the only file
 * pair that sees libconfig.h).
 *
 * A program describes its settings in a table (path, type, default, help);
 * conf_load() parses the file, rejects any setting not in the table ("file:
 * line N: unknown setting 'scheduler.heartbeat_timout'"), and checks each
 * setting's type. Getters take a path like "scheduler.client_endpoint" or
 * "tenants.[0].name"; paths with [*] in the table match any list element.
 * Every error names the file, the line and the setting.
 */
#ifndef CPHUB_CONF_H
#define CPHUB_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "cphub/error.h"

typedef enum {
    CONF_STRING = 0,
    CONF_INT,
    CONF_BOOL,
    CONF_FLOAT,
    CONF_DURATION, /* string ("30s", "5:00") or int (seconds) */
    CONF_SIZE,     /* string ("4G") or int (bytes) */
    CONF_GROUP,    /* { ... } */
    CONF_LIST,     /* ( {...}, {...} ) */
    CONF_ARRAY,    /* [ "a", "b" ] of strings */
} conf_type_t;

typedef struct conf_setting {
    const char *path; /* "scheduler.client_endpoint", "tenants.[*].keys" */
    conf_type_t type;
    const char *help; /* one line, for docs and --help */
} conf_setting_t;     /* tables end with path == NULL */

typedef struct conf conf_t;

/* Parse path and check it against settings. NULL with errno (ENOENT, EINVAL)
 * and err "etc/x.conf:12: unknown setting 'foo.bar'" or "etc/x.conf:3: syntax
 * error". */
conf_t *conf_load (const char *path,
                   const conf_setting_t *settings,
                   cphub_error_t *err);
/* The same from a string (for tests); name is used in messages. */
conf_t *conf_load_string (const char *text,
                          const char *name,
                          const conf_setting_t *settings,
                          cphub_error_t *err);
void conf_destroy (conf_t *c);

/* The directory of the file ("." for a string), to resolve relative paths. */
const char *conf_dir (const conf_t *c);
/* Resolve a path relative to conf_dir() unless absolute. Caller frees. */
char *conf_resolve_path (const conf_t *c, const char *path);

/* Getters: 0 and *out when present; 1 (out = def) when absent; -1/EINVAL with
 * err "file:line: 'scheduler.max_walltime': '5x' is not a duration" when the
 * value is wrong. Strings point into the conf (valid until conf_destroy). */
int conf_get_string (const conf_t *c,
                     const char *path,
                     const char *def,
                     const char **out,
                     cphub_error_t *err);
int conf_get_int (
    const conf_t *c, const char *path, int64_t def, int64_t *out, cphub_error_t *err);
int conf_get_bool (
    const conf_t *c, const char *path, bool def, bool *out, cphub_error_t *err);
int conf_get_float (
    const conf_t *c, const char *path, double def, double *out, cphub_error_t *err);
int conf_get_duration (
    const conf_t *c, const char *path, int64_t def, int64_t *out, cphub_error_t *err);
int conf_get_size (
    const conf_t *c, const char *path, uint64_t def, uint64_t *out, cphub_error_t *err);
/* Number of elements of a list or array (0 when absent). */
int conf_count (const conf_t *c, const char *path);
/* Element i of an array of strings. */
int conf_get_array_string (
    const conf_t *c, const char *path, int i, const char **out, cphub_error_t *err);
/* Fill err with "file:line: 'path': <what>" for a semantic error found by
 * the caller (e.g. a duplicate tenant name). Returns -1, errno EINVAL. */
int conf_fail (const conf_t *c,
               const char *path,
               cphub_error_t *err,
               const char *fmt,
               ...) __attribute__ ((format (printf, 4, 5)));

#endif
