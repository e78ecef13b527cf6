/* log.h: leveled logging for the daemons and the CLI.
 *
 * One process-wide sink (stderr by default, or a file). Lines look like
 * "2026-11-27T10:00:00.123Z cphub-scheduler[123] warn: text". Logging never
 * decides anything; the pure core does not log.
 *
 * Every message is escaped before it is written (log_escape()): callers may
 * pass untrusted strings (command lines, job names, network text) without
 * escaping them first, and one call is always one line.
 *
 * A message below the level set costs one comparison: log_msg() returns
 * before formatting, and log_debug() tests the level before it even
 * evaluates its arguments, so debug lines may call helpers that format
 * (ids, sets) without slowing a daemon that does not log them.
 */
#ifndef CPHUB_LOG_H
#define CPHUB_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG } log_level_t;

/* prog: name shown in each line. */
void log_init (const char *prog, log_level_t level);
void log_set_level (log_level_t level);
/* Send lines to a file opened for append (NULL path: back to stderr). A new
 * file is created mode 0640 whatever the umask; an existing one of this
 * user's loses group write and any access by others. -1 with errno. */
int log_set_file (const char *path);
/* Whether a message of this level is written now. */
bool log_enabled (log_level_t level);
/* Parse "err", "error", "warn", "warning", "info", "debug". -1/EINVAL on others. */
int log_level_parse (const char *s, log_level_t *out);

/* Copy src to dst (size bytes, NUL included) with every control character
 * (below 0x20, and 0x7f) written as "\n", "\r", "\t" or "\xNN", so the
 * result is one line of printable text; other bytes (UTF-8 included) are
 * kept. A result that does not fit is cut before an escape, never inside
 * one. Returns the length written. A dst of 4 * strlen(src) + 1 bytes always
 * fits. */
size_t log_escape (char *dst, size_t size, const char *src);

void log_msg (log_level_t level, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

#define log_err(...) log_msg (LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg (LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg (LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) \
    (log_enabled (LOG_LVL_DEBUG) ? log_msg (LOG_LVL_DEBUG, __VA_ARGS__) : (void)0)

#endif
