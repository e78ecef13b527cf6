/* store_codec.h: the store's own text form of a job spec and of a node's
 * description, JSON objects with the store's field names.
 *
 * The stores keep what they cannot hold in columns as these texts, never as
 * wire messages: the wire protocol may change its version and its fields
 * without making a stored job unreadable. The form is versioned by the
 * SQLite store's schema (a change of it is a migration of the rows). A text
 * read back is untrusted: every field is checked for type and range, then
 * the whole is validated (jobspec_validate, node_desc_validate).
 */
#ifndef CPHUB_SCHEDULER_STORE_CODEC_H
#define CPHUB_SCHEDULER_STORE_CODEC_H

#include <stddef.h>

#include "cphub/error.h"
#include "cphub/jobspec.h"
#include "cphub/resource.h"

/* The spec as a JSON object text (NUL-terminated, *len bytes). Caller frees
 * *text. 0, or -1 with errno (ENOMEM; ERANGE for a number JSON cannot hold;
 * EILSEQ for text that is not UTF-8). */
int store_codec_spec_encode (const jobspec_t *spec, char **text, size_t *len);

/* Parse and validate a spec text into spec (initialized here; the caller
 * clears it, also after a failure). 0, or -1 with errno (EINVAL, ENOMEM) and
 * err saying which field is wrong. */
int store_codec_spec_decode (const char *text,
                             size_t len,
                             jobspec_t *spec,
                             cphub_error_t *err);

/* A node's description without the jobs it held (they are not state), as
 * store_codec_spec_encode. */
int store_codec_node_encode (const node_desc_t *desc, char **text, size_t *len);

/* As store_codec_spec_decode, for a node's description (njobs is 0). */
int store_codec_node_decode (const char *text,
                             size_t len,
                             node_desc_t *desc,
                             cphub_error_t *err);

#endif
