/* constraint.h: node feature expressions, as `--constraint "avx512&(a100|h100)"`
 * asks for them.
 *
 * An expression combines feature names (the words an agent lists under
 * `features` in its config: letters, digits, '.', '_', '-') with & (and),
 * | (or), ! (not) and parentheses; & binds tighter than |, ! tighter than
 * both; blanks between tokens are ignored. The text is parsed once where it
 * enters (jobspec_set_option, the codec's decode) into the compact form below,
 * which a jobspec holds and the scheduler evaluates against each candidate
 * node's feature list (node_desc_t.features, "avx512,a100"). The form keeps
 * its text for display and the wire. Names match exactly (case matters).
 */
#ifndef CPHUB_CONSTRAINT_H
#define CPHUB_CONSTRAINT_H

#include <stdbool.h>
#include <stddef.h>

#include "cphub/error.h"

#define CONSTRAINT_TEXT_MAX 255 /* bytes of an expression */
#define CONSTRAINT_NAME_MAX 63  /* bytes of one feature name */
#define CONSTRAINT_NAMES_MAX 32 /* feature names in one expression */
#define CONSTRAINT_DEPTH_MAX 16 /* nesting of parentheses and ! */

/* The compiled expression: one allocation, immutable after parse, shared
 * by its copies. */
typedef struct constraint constraint_t;

/* Parse text. NULL with errno EINVAL and err saying what and where, with
 * 1-based columns: "unexpected ')' at column 7", "'(' at column 3 is never
 * closed", "expected a feature name after '&' at column 7, found the end",
 * "'$' at column 4 may not be in a feature name; ...". ENOMEM too. */
constraint_t *constraint_parse (const char *text, cphub_error_t *err);

/* NULL: nothing. */
void constraint_destroy (constraint_t *c);

/* A copy of c (NULL for NULL) that the caller destroys: the same
 * immutable expression, shared (one more holder; no allocation, never
 * fails). */
constraint_t *constraint_copy (const constraint_t *c);

/* The text c was parsed from; "" for NULL. */
const char *constraint_text (const constraint_t *c);

/* For an error message, where the whole text (up to 255 bytes) would crowd
 * out the rest: the text in buf, cut to fit len with "..." at the end. */
const char *constraint_text_short (const constraint_t *c, char *buf, size_t len);

/* Only check text (constraint_parse without keeping the result). 0 or
 * -1/EINVAL with err. */
int constraint_check (const char *text, cphub_error_t *err);

/* Does a node with this comma-separated feature list ("avx512,a100"; "" or
 * NULL = none) satisfy c? A NULL c matches every node. */
bool constraint_match (const constraint_t *c, const char *features);

#endif
