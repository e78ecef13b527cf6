/* idset.h: a set of small non-negative integer ids (cores, PUs, GPUs, NUMA
 * nodes), with the compact text form "0-3,8,10-11" used on the wire, in
 * CPHUB_CPUS and in Linux's Cpus_allowed_list.
 *
 * A growable bitmap. Ids are < IDSET_MAX_ID.
 */
#ifndef CPHUB_IDSET_H
#define CPHUB_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cphub/error.h"

#define IDSET_MAX_ID 65536
#define IDSET_NONE (-1)

typedef struct idset idset_t;

idset_t *idset_create (void);
void idset_destroy (idset_t *s); /* NULL: nothing */
idset_t *idset_copy (const idset_t *s);

/* Parse "0-3,8" ("" is the empty set). NULL/EINVAL with err on bad text. */
idset_t *idset_decode (const char *text, cphub_error_t *err);
/* Write the compact form into buf; -1/ENOSPC if it does not fit. */
int idset_encode (const idset_t *s, char *buf, size_t len);
/* Same, malloc'd. Caller frees. */
char *idset_encode_alloc (const idset_t *s);

int idset_set (idset_t *s, int id); /* -1/EINVAL if id out of range */
int idset_clear (idset_t *s, int id);
bool idset_test (const idset_t *s, int id);
void idset_clear_all (idset_t *s);
int idset_count (const idset_t *s);
bool idset_empty (const idset_t *s);
bool idset_equal (const idset_t *a, const idset_t *b);
bool idset_is_subset (const idset_t *sub, const idset_t *super);

/* First id in the set, or IDSET_NONE. */
int idset_first (const idset_t *s);
/* Next id after prev, or IDSET_NONE. */
int idset_next (const idset_t *s, int prev);
/* The first bit set at or after from in a plain bitmap of nwords 64-bit
 * words (bit b of word w is id w * 64 + b), or IDSET_NONE: idset_next's
 * scan, for bitmaps kept outside an idset_t. */
int idset_bits_next (const uint64_t *words, size_t nwords, int from);

/* dst |= src; dst &= ~src. 0 or -1/ENOMEM. */
int idset_add (idset_t *dst, const idset_t *src);
void idset_subtract (idset_t *dst, const idset_t *src);

#endif
