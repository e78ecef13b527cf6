/* log.c: the process-wide log sink used by the daemons and the CLI.
 *
 * Lines carry an ISO-8601 UTC timestamp with milliseconds, the program name
 * and pid, and the level: "2026-11-27T10:00:00.123Z cphub-agent[42] info: x".
 * The sink state is the one allowed piece of process state besides signal
 * flags (a logger is inherently per process); nothing here decides anything.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cphub/log.h"

static struct {
    char prog[64];
    log_level_t level;
    FILE *file; /* NULL: stderr */
} log_sink = {.prog = "cphub", .level = LOG_LVL_INFO, .file = NULL};

static const char *const log_level_names[] = {
    [LOG_LVL_ERR] = "err",
    [LOG_LVL_WARN] = "warn",
    [LOG_LVL_INFO] = "info",
    [LOG_LVL_DEBUG] = "debug",
};

static const struct {
    const char *name;
    log_level_t level;
} log_level_aliases[] = {
    {.name = "err", .level = LOG_LVL_ERR},   {.name = "error", .level = LOG_LVL_ERR},
    {.name = "warn", .level = LOG_LVL_WARN}, {.name = "warning", .level = LOG_LVL_WARN},
    {.name = "info", .level = LOG_LVL_INFO}, {.name = "debug", .level = LOG_LVL_DEBUG},
};

void log_init (const char *prog, log_level_t level)
{
    if (prog) {
        const char *slash = strrchr (prog, '/');
        snprintf (log_sink.prog, sizeof (log_sink.prog), "%s",
                  slash ? slash + 1 : prog);
    }
    log_set_level (level);
}

void log_set_level (log_level_t level)
{
    if (level < LOG_LVL_ERR)
        level = LOG_LVL_ERR;
    if (level > LOG_LVL_DEBUG)
        level = LOG_LVL_DEBUG;
    log_sink.level = level;
}

int log_set_file (const char *path)
{
    FILE *f = NULL;

    if (path && *path) {
        f = fopen (path, "ae");
        if (!f)
            return -1;
        setvbuf (f, NULL, _IOLBF, 0);
    }
    if (log_sink.file)
        fclose (log_sink.file);
    log_sink.file = f;
    return 0;
}

int log_level_parse (const char *s, log_level_t *out)
{
    if (!s) {
        errno = EINVAL;
        return -1;
    }
    for (size_t i = 0; i < sizeof (log_level_aliases) / sizeof (log_level_aliases[0]);
         i++) {
        if (strcasecmp (s, log_level_aliases[i].name) == 0) {
            if (out)
                *out = log_level_aliases[i].level;
            return 0;
        }
    }
    errno = EINVAL;
    return -1;
}

void log_msg (log_level_t level, const char *fmt, ...)
{
    int saved = errno;
    FILE *f = log_sink.file ? log_sink.file : stderr;
    struct timespec ts;
    struct tm tm;
    char stamp[32] = "";
    char text[2048];
    va_list ap;
    size_t n;

    if (level > log_sink.level || level < LOG_LVL_ERR)
        goto out;
    clock_gettime (CLOCK_REALTIME, &ts);
    if (gmtime_r (&ts.tv_sec, &tm))
        strftime (stamp, sizeof (stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    n = strlen (text);
    while (n > 0 && text[n - 1] == '\n')
        text[--n] = '\0';
    fprintf (f, "%s.%03ldZ %s[%ld] %s: %s\n", stamp, (long)(ts.tv_nsec / 1000000),
             log_sink.prog, (long)getpid (), log_level_names[level], text);
    fflush (f);
out:
    errno = saved;
}
