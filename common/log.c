/* log.c: the process-wide log sink used by the daemons and the CLI.
 *
 * Lines carry an ISO-8601 UTC timestamp with milliseconds, the program name
 * and pid, and the level: "2026-11-27T10:00:00.123Z cphub-agent[42] info: x".
 * The sink state is the one allowed piece of process state besides signal
 * flags (a logger is inherently per process); nothing here decides anything.
 *
 * Messages carry strings nobody here trusts (command lines, job names, text
 * from the network), so the formatted message is escaped once, here, for
 * every caller: a control character becomes "\n", "\r", "\t" or "\xNN",
 * and one log_msg() call always writes exactly one line that nobody can
 * make look like another (no forged lines, no terminal escapes). A log file
 * is created mode 0640 whatever the umask: it holds every tenant's command
 * lines, which other users of the machine have no business reading.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cphub/log.h"

/* The formatted message before escaping, and the room for it after (every
 * byte may become "\xNN"). Longer messages are cut. */
#define LOG_TEXT_MAX 2048
#define LOG_ESCAPED_MAX (4 * LOG_TEXT_MAX)
#define LOG_FILE_MODE 0640

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

bool log_enabled (log_level_t level)
{
    return level >= LOG_LVL_ERR && level <= log_sink.level;
}

/* Open path for appending; a new file gets LOG_FILE_MODE exactly, and an
 * existing one of ours loses any access beyond it. -1 with errno. */
static int log_open (const char *path)
{
    struct stat st;
    int fd =
        open (path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, LOG_FILE_MODE);
    bool created = fd >= 0;

    if (fd < 0 && errno == EEXIST)
        fd = open (path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat (fd, &st) < 0)
        goto error;
    /* The umask may have taken bits away; put back exactly 0640. An older
     * file keeps what it had within 0640. */
    if (created && fchmod (fd, LOG_FILE_MODE) < 0)
        goto error;
    if (!created && S_ISREG (st.st_mode) && st.st_uid == geteuid () &&
        (st.st_mode & 07777 & ~LOG_FILE_MODE) &&
        fchmod (fd, st.st_mode & LOG_FILE_MODE) < 0)
        goto error;
    return fd;
error : {
    int e = errno;
    close (fd);
    errno = e;
    return -1;
}
}

int log_set_file (const char *path)
{
    FILE *f = NULL;

    if (path && *path) {
        int fd = log_open (path);
        if (fd < 0)
            return -1;
        if (!(f = fdopen (fd, "a"))) {
            int e = errno;
            close (fd);
            errno = e;
            return -1;
        }
        setvbuf (f, NULL, _IOLBF, 0);
    }
    if (log_sink.file)
        fclose (log_sink.file);
    log_sink.file = f;
    return 0;
}

/* Control characters with a name of their own; the others are "\xNN". */
static const char *const log_named_escapes[0x20] = {
    ['\n'] = "\\n",
    ['\r'] = "\\r",
    ['\t'] = "\\t",
};

size_t log_escape (char *dst, size_t size, const char *src)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;

    if (size == 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)src; p && *p; p++) {
        char esc[5] = {(char)*p, '\0'};

        if (*p < 0x20 && log_named_escapes[*p])
            snprintf (esc, sizeof (esc), "%s", log_named_escapes[*p]);
        else if (*p < 0x20 || *p == 0x7f)
            snprintf (esc, sizeof (esc), "\\x%c%c", hex[*p >> 4], hex[*p & 0xf]);
        size_t len = strlen (esc);
        if (n + len >= size)
            break; /* cut before an escape, never inside one */
        memcpy (dst + n, esc, len);
        n += len;
    }
    dst[n] = '\0';
    return n;
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
    char text[LOG_TEXT_MAX];
    char line[LOG_ESCAPED_MAX];
    va_list ap;
    size_t n;

    if (!log_enabled (level))
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
    log_escape (line, sizeof (line), text);
    fprintf (f, "%s.%03ldZ %s[%ld] %s: %s\n", stamp, (long)(ts.tv_nsec / 1000000),
             log_sink.prog, (long)getpid (), log_level_names[level], line);
    fflush (f);
out:
    errno = saved;
}
