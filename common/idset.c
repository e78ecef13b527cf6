/* idset.c: sets of small ids (cores, PUs, GPUs, NUMA nodes) as a growable
 * bitmap, with the "0-3,8,10-11" text form shared by the wire protocol,
 * CPHUB_CPUS and Linux's Cpus_allowed_list.
 *
 * The bitmap grows on demand up to IDSET_MAX_ID bits; words past the last one
 * allocated read as zero, so two sets with different capacities compare by
 * content. Queries on a NULL set see the empty set.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/idset.h"

#define IDSET_WORD_BITS 64
#define IDSET_MAX_WORDS (IDSET_MAX_ID / IDSET_WORD_BITS)

struct idset {
    uint64_t *words;
    size_t nwords;
};

static uint64_t idset_word (const idset_t *s, size_t i)
{
    return (s && i < s->nwords) ? s->words[i] : 0;
}

/* Make room for id; 0 or -1/ENOMEM. */
static int idset_grow (idset_t *s, int id)
{
    size_t need = (size_t)id / IDSET_WORD_BITS + 1;
    size_t n;
    uint64_t *w;

    if (need <= s->nwords)
        return 0;
    n = s->nwords ? s->nwords : 1;
    while (n < need)
        n *= 2;
    if (n > IDSET_MAX_WORDS)
        n = IDSET_MAX_WORDS;
    w = realloc (s->words, n * sizeof (*w));
    if (!w)
        return -1;
    memset (w + s->nwords, 0, (n - s->nwords) * sizeof (*w));
    s->words = w;
    s->nwords = n;
    return 0;
}

idset_t *idset_create (void)
{
    return calloc (1, sizeof (idset_t));
}

void idset_destroy (idset_t *s)
{
    if (!s)
        return;
    int saved = errno;
    free (s->words);
    free (s);
    errno = saved;
}

idset_t *idset_copy (const idset_t *s)
{
    idset_t *c = idset_create ();

    if (!c)
        return NULL;
    if (s && s->nwords > 0) {
        c->words = malloc (s->nwords * sizeof (uint64_t));
        if (!c->words)
            goto error;
        memcpy (c->words, s->words, s->nwords * sizeof (uint64_t));
        c->nwords = s->nwords;
    }
    return c;
error:
    idset_destroy (c);
    errno = ENOMEM;
    return NULL;
}

/* Read one id at *p; -1 with err on no digits or out of range. */
static int idset_parse_id (const char **p,
                           const char *text,
                           int *out,
                           cphub_error_t *err)
{
    const char *s = *p;
    long v = 0;

    if (!isdigit ((unsigned char)*s))
        return cphub_fail (err, EINVAL,
                           "'%.48s' is not an id list; use e.g. 0-3,8,10-11", text);
    while (isdigit ((unsigned char)*s)) {
        v = v * 10 + (*s - '0');
        if (v >= IDSET_MAX_ID)
            return cphub_fail (err, EINVAL, "'%.48s': ids must be below %d", text,
                               IDSET_MAX_ID);
        s++;
    }
    *p = s;
    *out = (int)v;
    return 0;
}

idset_t *idset_decode (const char *text, cphub_error_t *err)
{
    idset_t *s = NULL;
    const char *p = text;
    const char *end;

    if (!text) {
        cphub_fail (err, EINVAL, "no id list given");
        return NULL;
    }
    if (!(s = idset_create ()))
        goto nomem;
    while (isspace ((unsigned char)*p))
        p++;
    end = p + strlen (p);
    while (end > p && isspace ((unsigned char)end[-1]))
        end--;
    if (p == end)
        return s;
    for (;;) {
        int lo, hi;
        if (idset_parse_id (&p, text, &lo, err) < 0)
            goto error;
        hi = lo;
        if (*p == '-') {
            p++;
            if (idset_parse_id (&p, text, &hi, err) < 0)
                goto error;
            if (hi < lo) {
                cphub_fail (err, EINVAL, "'%.48s': range %d-%d runs backwards", text,
                            lo, hi);
                goto error;
            }
        }
        if (idset_grow (s, hi) < 0)
            goto nomem;
        for (int id = lo; id <= hi; id++)
            s->words[id / IDSET_WORD_BITS] |= UINT64_C (1) << (id % IDSET_WORD_BITS);
        if (p == end)
            break;
        if (*p != ',') {
            cphub_fail (err, EINVAL, "'%.48s' is not an id list; use e.g. 0-3,8,10-11",
                        text);
            goto error;
        }
        p++;
    }
    return s;
nomem:
    cphub_fail (err, ENOMEM, "out of memory");
error:
    idset_destroy (s);
    return NULL;
}

/* Append "lo" or "lo-hi" (with a leading comma unless first) at buf+*pos. */
static int idset_put_range (char *buf, size_t len, size_t *pos, int lo, int hi)
{
    int n;

    if (hi > lo)
        n = snprintf (buf + *pos, len - *pos, "%s%d-%d", *pos ? "," : "", lo, hi);
    else
        n = snprintf (buf + *pos, len - *pos, "%s%d", *pos ? "," : "", lo);
    if (n < 0 || (size_t)n >= len - *pos) {
        errno = ENOSPC;
        return -1;
    }
    *pos += (size_t)n;
    return 0;
}

int idset_encode (const idset_t *s, char *buf, size_t len)
{
    size_t pos = 0;
    int id;

    if (!buf || len == 0) {
        errno = ENOSPC;
        return -1;
    }
    buf[0] = '\0';
    id = idset_first (s);
    while (id != IDSET_NONE) {
        int lo = id;
        int hi = id;
        while ((id = idset_next (s, hi)) == hi + 1)
            hi = id;
        if (idset_put_range (buf, len, &pos, lo, hi) < 0) {
            buf[0] = '\0';
            return -1;
        }
    }
    return 0;
}

char *idset_encode_alloc (const idset_t *s)
{
    size_t len = 64;
    char *buf = NULL;

    for (;;) {
        char *nbuf = realloc (buf, len);
        if (!nbuf)
            goto error;
        buf = nbuf;
        if (idset_encode (s, buf, len) == 0)
            return buf;
        if (errno != ENOSPC)
            goto error;
        len *= 2;
    }
error:
    free (buf);
    errno = ENOMEM;
    return NULL;
}

int idset_set (idset_t *s, int id)
{
    if (!s || id < 0 || id >= IDSET_MAX_ID) {
        errno = EINVAL;
        return -1;
    }
    if (idset_grow (s, id) < 0)
        return -1;
    s->words[id / IDSET_WORD_BITS] |= UINT64_C (1) << (id % IDSET_WORD_BITS);
    return 0;
}

int idset_clear (idset_t *s, int id)
{
    if (!s || id < 0 || id >= IDSET_MAX_ID) {
        errno = EINVAL;
        return -1;
    }
    if ((size_t)id / IDSET_WORD_BITS < s->nwords)
        s->words[id / IDSET_WORD_BITS] &= ~(UINT64_C (1) << (id % IDSET_WORD_BITS));
    return 0;
}

bool idset_test (const idset_t *s, int id)
{
    if (id < 0 || id >= IDSET_MAX_ID)
        return false;
    return (idset_word (s, (size_t)id / IDSET_WORD_BITS) >> (id % IDSET_WORD_BITS)) & 1;
}

void idset_clear_all (idset_t *s)
{
    if (s && s->nwords)
        memset (s->words, 0, s->nwords * sizeof (uint64_t));
}

int idset_count (const idset_t *s)
{
    int n = 0;

    for (size_t i = 0; s && i < s->nwords; i++)
        n += __builtin_popcountll (s->words[i]);
    return n;
}

bool idset_empty (const idset_t *s)
{
    for (size_t i = 0; s && i < s->nwords; i++) {
        if (s->words[i])
            return false;
    }
    return true;
}

bool idset_equal (const idset_t *a, const idset_t *b)
{
    size_t n = a ? a->nwords : 0;

    if (b && b->nwords > n)
        n = b->nwords;
    for (size_t i = 0; i < n; i++) {
        if (idset_word (a, i) != idset_word (b, i))
            return false;
    }
    return true;
}

bool idset_is_subset (const idset_t *sub, const idset_t *super)
{
    for (size_t i = 0; sub && i < sub->nwords; i++) {
        if (sub->words[i] & ~idset_word (super, i))
            return false;
    }
    return true;
}

int idset_first (const idset_t *s)
{
    return idset_next (s, -1);
}

int idset_bits_next (const uint64_t *words, size_t nwords, int from)
{
    size_t i;
    uint64_t w;

    if (from < 0)
        return IDSET_NONE;
    i = (size_t)from / IDSET_WORD_BITS;
    if (i >= nwords)
        return IDSET_NONE;
    w = words[i] & (~UINT64_C (0) << (from % IDSET_WORD_BITS));
    while (!w) {
        if (++i >= nwords)
            return IDSET_NONE;
        w = words[i];
    }
    return (int)(i * IDSET_WORD_BITS) + __builtin_ctzll (w);
}

int idset_next (const idset_t *s, int prev)
{
    if (!s || prev + 1 >= IDSET_MAX_ID)
        return IDSET_NONE;
    return idset_bits_next (s->words, s->nwords, prev + 1);
}

int idset_add (idset_t *dst, const idset_t *src)
{
    size_t n = 0;

    if (!dst) {
        errno = EINVAL;
        return -1;
    }
    if (!src)
        return 0;
    /* Only grow as far as src's highest non-zero word. */
    for (size_t i = 0; i < src->nwords; i++) {
        if (src->words[i])
            n = i + 1;
    }
    if (n > 0 && idset_grow (dst, (int)(n * IDSET_WORD_BITS) - 1) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        dst->words[i] |= src->words[i];
    return 0;
}

void idset_subtract (idset_t *dst, const idset_t *src)
{
    for (size_t i = 0; dst && src && i < dst->nwords && i < src->nwords; i++)
        dst->words[i] &= ~src->words[i];
}
