/* parse.c: durations and sizes as people type them, and their display forms.
 *
 * Used by the CLI (--time, --mem), the #CPHUB directives, the config loader
 * (durations and sizes in config files) and the daemons' output. Durations
 * follow Slurm's forms; sizes are powers of 1024. Every parser checks for
 * overflow and answers with a message naming the bad text and the forms it
 * accepts, so callers can prefix it with the option or setting name. The
 * rule for names (tenants, nodes, key files) is here too, so that the config
 * loader, the run-time tenant table and keygen accept the same ones.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cphub/parse.h"

#define DURATION_FORMS \
    "use minutes (90), MM:SS, HH:MM:SS, D-HH[:MM[:SS]] or 30s, 5m, 2h, 1d"
#define SIZE_FORMS "use e.g. 512M or 4G"

/* Units a duration may carry after a plain number; a bare number is minutes. */
static const struct {
    char unit;
    int64_t seconds;
} duration_units[] = {
    {.unit = 's', .seconds = 1},
    {.unit = 'm', .seconds = 60},
    {.unit = 'h', .seconds = 3600},
    {.unit = 'd', .seconds = 86400},
};

/* Size suffixes, powers of 1024. */
static const struct {
    char unit;
    int shift;
} size_units[] = {
    {.unit = 'K', .shift = 10}, {.unit = 'M', .shift = 20}, {.unit = 'G', .shift = 30},
    {.unit = 'T', .shift = 40}, {.unit = 'P', .shift = 50},
};

/* Read decimal digits at *p into *out (at least one). Advances *p. -1 on no
 * digits or overflow (sets *overflow). */
static int parse_digits (const char **p, uint64_t *out, bool *overflow)
{
    const char *s = *p;
    uint64_t v = 0;

    if (!isdigit ((unsigned char)*s))
        return -1;
    while (isdigit ((unsigned char)*s)) {
        if (__builtin_mul_overflow (v, 10, &v) ||
            __builtin_add_overflow (v, (uint64_t)(*s - '0'), &v)) {
            *overflow = true;
            return -1;
        }
        s++;
    }
    *p = s;
    *out = v;
    return 0;
}

/* Sum of fields[i] * scale[i], checked against INT64_MAX. */
static int duration_sum (const uint64_t *fields,
                         const int64_t *scale,
                         int n,
                         int64_t *out)
{
    int64_t total = 0;

    for (int i = 0; i < n; i++) {
        int64_t term;
        if (fields[i] > (uint64_t)INT64_MAX ||
            __builtin_mul_overflow ((int64_t)fields[i], scale[i], &term) ||
            __builtin_add_overflow (total, term, &total))
            return -1;
    }
    *out = total;
    return 0;
}

int parse_duration (const char *s, int64_t *seconds, cphub_error_t *err)
{
    uint64_t fields[4];
    int64_t scale[4];
    int n = 0;
    bool overflow = false;
    bool days = false;
    const char *p = s;
    int64_t total;

    if (!s || !*s)
        return cphub_fail (err, EINVAL, "empty duration; %s", DURATION_FORMS);
    if (*s == '-')
        return cphub_fail (err, EINVAL, "'%.32s': a duration cannot be negative", s);
    if (parse_digits (&p, &fields[n++], &overflow) < 0)
        goto bad;
    if (*p == '-') { /* D-HH[:MM[:SS]] */
        days = true;
        p++;
        if (parse_digits (&p, &fields[n++], &overflow) < 0)
            goto bad;
    }
    while (*p == ':' && n < 4) {
        p++;
        if (parse_digits (&p, &fields[n++], &overflow) < 0)
            goto bad;
    }
    if (!days && n == 1 && *p != '\0') { /* number with a unit */
        for (size_t i = 0; i < sizeof (duration_units) / sizeof (duration_units[0]);
             i++) {
            if (tolower ((unsigned char)*p) == duration_units[i].unit && p[1] == '\0') {
                scale[0] = duration_units[i].seconds;
                p++;
                goto sum;
            }
        }
        goto bad;
    }
    if (*p != '\0')
        goto bad;
    if (days) {
        /* D-HH, D-HH:MM, D-HH:MM:SS */
        static const int64_t d_scale[] = {86400, 3600, 60, 1};
        if (n > 4)
            goto bad;
        memcpy (scale, d_scale, sizeof (int64_t) * (size_t)n);
        if (fields[1] > 23)
            return cphub_fail (err, EINVAL, "'%.32s': hours after the day must be 0-23",
                               s);
    } else if (n == 1) {
        scale[0] = 60; /* bare number: minutes, as Slurm */
    } else if (n == 2) {
        scale[0] = 60; /* MM:SS */
        scale[1] = 1;
    } else if (n == 3) {
        scale[0] = 3600; /* HH:MM:SS */
        scale[1] = 60;
        scale[2] = 1;
    } else {
        goto bad;
    }
    /* Minutes and seconds after the leading field must be below 60. */
    for (int i = 1; i < n; i++) {
        if (scale[i] < 3600 && fields[i] > 59)
            return cphub_fail (
                err, EINVAL, "'%.32s': minutes and seconds after ':' must be 0-59", s);
    }
sum:
    if (duration_sum (fields, scale, n, &total) < 0)
        return cphub_fail (err, ERANGE, "'%.32s': duration too large", s);
    *seconds = total;
    return 0;
bad:
    if (overflow)
        return cphub_fail (err, ERANGE, "'%.32s': duration too large", s);
    return cphub_fail (err, EINVAL, "'%.32s' is not a duration; %s", s, DURATION_FORMS);
}

/* Shared by parse_size and parse_mem: bare_shift is the unit of a bare number. */
static int parse_size_unit (const char *s,
                            int bare_shift,
                            uint64_t *bytes,
                            cphub_error_t *err)
{
    const char *p = s;
    uint64_t whole = 0;
    uint64_t frac = 0;
    uint64_t frac_div = 1;
    bool overflow = false;
    bool has_frac = false;
    int shift = bare_shift;
    unsigned __int128 total;

    if (!s || !*s)
        return cphub_fail (err, EINVAL, "empty size; %s", SIZE_FORMS);
    if (*s == '-')
        return cphub_fail (err, EINVAL, "'%.32s': a size cannot be negative", s);
    if (parse_digits (&p, &whole, &overflow) < 0)
        goto bad;
    if (*p == '.') {
        has_frac = true;
        p++;
        if (!isdigit ((unsigned char)*p))
            goto bad;
        while (isdigit ((unsigned char)*p)) {
            if (frac_div < 1000000000) { /* digits past 9 cannot matter */
                frac = frac * 10 + (uint64_t)(*p - '0');
                frac_div *= 10;
            }
            p++;
        }
    }
    if (*p != '\0') {
        bool found = false;
        for (size_t i = 0; i < sizeof (size_units) / sizeof (size_units[0]); i++) {
            if (toupper ((unsigned char)*p) == size_units[i].unit) {
                shift = size_units[i].shift;
                found = true;
                p++;
                break;
            }
        }
        if (found && (strcmp (p, "iB") == 0 || strcmp (p, "ib") == 0))
            p += 2;
        else if (*p == 'B' || *p == 'b') {
            if (!found)
                shift = 0; /* "512B": bytes */
            p++;
        }
        if (*p != '\0')
            goto bad;
    }
    if (has_frac && shift == 0)
        return cphub_fail (err, EINVAL, "'%.32s': a byte count must be whole; %s", s,
                           SIZE_FORMS);
    total = ((unsigned __int128)whole << shift) +
            (((unsigned __int128)frac << shift) / frac_div);
    if (total > UINT64_MAX)
        return cphub_fail (err, ERANGE, "'%.32s': size too large", s);
    *bytes = (uint64_t)total;
    return 0;
bad:
    if (overflow)
        return cphub_fail (err, ERANGE, "'%.32s': size too large", s);
    return cphub_fail (err, EINVAL, "'%.32s' is not a size; %s", s, SIZE_FORMS);
}

int parse_size (const char *s, uint64_t *bytes, cphub_error_t *err)
{
    return parse_size_unit (s, 0, bytes, err);
}

int parse_mem (const char *s, uint64_t *bytes, cphub_error_t *err)
{
    return parse_size_unit (s, 20, bytes, err);
}

int parse_uint (const char *s,
                const char *what,
                uint64_t min,
                uint64_t max,
                uint64_t *out,
                cphub_error_t *err)
{
    const char *p = s;
    uint64_t v;
    bool overflow = false;

    if (!what)
        what = "value";
    if (!s || !*s)
        return cphub_fail (err, EINVAL,
                           "%s: empty; give a number from %" PRIu64 " to %" PRIu64,
                           what, min, max);
    if (parse_digits (&p, &v, &overflow) < 0 || *p != '\0') {
        if (overflow)
            return cphub_fail (err, ERANGE,
                               "%s: '%.32s' is too large; the most is %" PRIu64, what,
                               s, max);
        return cphub_fail (err, EINVAL, "%s: '%.32s' is not a whole number", what, s);
    }
    if (v < min || v > max)
        return cphub_fail (err, ERANGE,
                           "%s: %" PRIu64 " is out of range; give %" PRIu64
                           " to %" PRIu64,
                           what, v, min, max);
    *out = v;
    return 0;
}

void format_duration (int64_t seconds, char *buf, size_t len)
{
    const char *sign = "";
    uint64_t s;
    uint64_t days;

    if (!buf || len == 0)
        return;
    if (seconds < 0) {
        sign = "-";
        s = (uint64_t)(-(seconds + 1)) + 1;
    } else {
        s = (uint64_t)seconds;
    }
    days = s / 86400;
    s %= 86400;
    if (days > 0)
        snprintf (buf, len, "%s%" PRIu64 "-%02u:%02u:%02u", sign, days,
                  (unsigned)(s / 3600), (unsigned)(s / 60 % 60), (unsigned)(s % 60));
    else
        snprintf (buf, len, "%s%02u:%02u:%02u", sign, (unsigned)(s / 3600),
                  (unsigned)(s / 60 % 60), (unsigned)(s % 60));
}

void format_size (uint64_t bytes, char *buf, size_t len)
{
    int i;

    if (!buf || len == 0)
        return;
    for (i = (int)(sizeof (size_units) / sizeof (size_units[0])) - 1; i >= 0; i--) {
        if (bytes >= (UINT64_C (1) << size_units[i].shift))
            break;
    }
    if (i < 0) {
        snprintf (buf, len, "%" PRIu64, bytes);
        return;
    }
    uint64_t unit = UINT64_C (1) << size_units[i].shift;
    if (bytes % unit == 0) {
        snprintf (buf, len, "%" PRIu64 "%c", bytes / unit, size_units[i].unit);
        return;
    }
    /* One decimal, rounded; drop a ".0" that rounding produced. */
    uint64_t tenths = (uint64_t)(((unsigned __int128)bytes * 10 + unit / 2) / unit);
    if (tenths % 10 == 0)
        snprintf (buf, len, "%" PRIu64 "%c", tenths / 10, size_units[i].unit);
    else
        snprintf (buf, len, "%" PRIu64 ".%u%c", tenths / 10, (unsigned)(tenths % 10),
                  size_units[i].unit);
}

double clock_now (void)
{
    struct timespec ts;

    clock_gettime (CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool parse_name_char (char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
}

bool parse_name_valid (const char *s, size_t max)
{
    size_t len = strlen (s);

    if (len == 0 || (max > 0 && len > max))
        return false;
    for (const char *p = s; *p; p++) {
        if (!parse_name_char (*p))
            return false;
    }
    return true;
}
