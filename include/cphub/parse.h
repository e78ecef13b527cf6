/* parse.h: durations and sizes as people write them, names, and the clock
 * helper.
 *
 * Durations follow Slurm: a bare number is minutes; "MM:SS", "HH:MM:SS",
 * "D-HH", "D-HH:MM", "D-HH:MM:SS"; and with units "30s", "5m", "2h", "1d".
 * Sizes: bytes with optional K, M, G, T suffix (powers of 1024, optional
 * trailing "B" or "iB"); a bare number is bytes... except in parse_mem, where
 * a bare number is MiB as in Slurm's --mem.
 */
#ifndef CPHUB_PARSE_H
#define CPHUB_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cphub/error.h"

/* Returns 0 and *seconds, or -1/EINVAL with err naming the bad text and the
 * accepted forms. Negative values and overflow are errors. */
int parse_duration (const char *s, int64_t *seconds, cphub_error_t *err);

/* Bytes; bare number = bytes. -1/EINVAL or ERANGE on error. */
int parse_size (const char *s, uint64_t *bytes, cphub_error_t *err);

/* Like parse_size, but a bare number means MiB (Slurm --mem). */
int parse_mem (const char *s, uint64_t *bytes, cphub_error_t *err);

/* Unsigned integer in [min,max]; what names the value in the error text. */
int parse_uint (const char *s,
                const char *what,
                uint64_t min,
                uint64_t max,
                uint64_t *out,
                cphub_error_t *err);

/* The characters of names (tenants, operators, nodes, key files,
 * features): A-Z a-z 0-9 . _ -, which need no quoting in file names, logs,
 * tables or constraint expressions. */
bool parse_name_char (char ch);
/* true when s is 1 to max of those characters (max 0: no length limit). */
bool parse_name_valid (const char *s, size_t max);

/* "1-02:03:04", "02:03:04", "00:00:05" (Slurm's TimeLimit look). */
void format_duration (int64_t seconds, char *buf, size_t len);
/* "512M", "4G", "1.5G", "0". */
void format_size (uint64_t bytes, char *buf, size_t len);

/* Wall-clock seconds since the epoch (CLOCK_REALTIME) as a double; for the
 * shells only: the core takes now as an argument. */
double clock_now (void);

#endif
