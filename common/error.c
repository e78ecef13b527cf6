/* error.c: the one printf-like helper that fills a cphub_error_t, and the
 * "set errno, fill text, return -1" shorthand every module uses on failure.
 * Both keep errno intact so callers can report and still inspect it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cphub/error.h"

static void error_vset (cphub_error_t *err, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 2, 0)));

static void error_vset (cphub_error_t *err, const char *fmt, va_list ap)
{
    size_t n;

    if (!err)
        return;
    vsnprintf (err->text, sizeof (err->text), fmt, ap);
    n = strlen (err->text);
    while (n > 0 && err->text[n - 1] == '\n')
        err->text[--n] = '\0';
}

void cphub_error_set (cphub_error_t *err, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    va_start (ap, fmt);
    error_vset (err, fmt, ap);
    va_end (ap);
    errno = saved;
}

int cphub_fail (cphub_error_t *err, int errnum, const char *fmt, ...)
{
    va_list ap;

    va_start (ap, fmt);
    error_vset (err, fmt, ap);
    va_end (ap);
    errno = errnum;
    return -1;
}
