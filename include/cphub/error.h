/* error.h: the small human-readable error carried beside errno.
 *
 * Functions that can fail return -1 (or NULL) with errno set and, when given a
 * non-NULL cphub_error_t, a one-line text saying what was wrong and what would
 * be right. The text never ends with a newline.
 *
 * CPHUB_ERROR_TEXT_MAX is also the size of every error text on the wire (the
 * error message, cancel results, job exits, logs replies): long enough for a
 * list of what would be right (a script's allowed options, a quota's limits)
 * and a path or two.
 */
#ifndef CPHUB_ERROR_H
#define CPHUB_ERROR_H

#define CPHUB_ERROR_TEXT_MAX 511

typedef struct cphub_error {
    char text[CPHUB_ERROR_TEXT_MAX + 1];
} cphub_error_t;

/* Fill err->text (if err != NULL) printf-style. Keeps errno unchanged. */
void cphub_error_set (cphub_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Set errno to errnum, fill err, return -1: for "return cphub_fail (...)". */
int cphub_fail (cphub_error_t *err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

#endif
