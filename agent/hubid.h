/* hubid.h: which hub this node belongs to, remembered in the agent's state
 * directory (file hub_id) and checked on every registration.
 *
 * A scheduler answers a registration with its store's hub id (register.ok).
 * The first id an agent hears is saved; afterwards a scheduler with another
 * id is refused: it may be a scheduler started on a lost or empty database,
 * handing out the ids of jobs this node already ran, or not this hub's at
 * all. An operator who moved the node to a new hub says so with the agent's
 * --join-new-hub (the new id replaces the saved one) or by deleting the file
 * (or emptying it).
 */
#ifndef CPHUB_AGENT_HUBID_H
#define CPHUB_AGENT_HUBID_H

#include <stdbool.h>

#include "cphub/error.h"

/* Seconds a refused agent waits before it registers again. */
#define HUBID_RETRY 60.0
/* The file in the state directory. */
#define HUBID_FILE "hub_id"

typedef struct hubid hubid_t;

/* Open (creating it empty, 0600, and state_dir 0711 if missing) and read
 * the saved id of state_dir (none yet: fine). The file stays open, so that
 * the agent's network process, which runs as a user that may not write the
 * state directory, can still save the first id it hears. join_new: the next
 * scheduler's id replaces the saved one. NULL with err (EINVAL: the file
 * does not hold a hub id, or is not a regular file; ENOMEM; the errno of the
 * mkdir, open or read). */
hubid_t *hubid_create (const char *state_dir, bool join_new, cphub_error_t *err);
void hubid_destroy (hubid_t *h); /* NULL: nothing */

/* A scheduler answered with hub_id ("" from one that does not say: taken,
 * nothing saved). 0 when it is this node's hub (saved now if it is the
 * first, or if join_new); -1/EPERM with err when it is another hub, and the
 * agent must not follow its orders until a scheduler of its hub answers;
 * -1 with the write's errno when it cannot be saved. */
int hubid_check (hubid_t *h, const char *hub_id, cphub_error_t *err);

/* Did the last answer come from another hub? (Orders are then dropped.) */
bool hubid_refused (const hubid_t *h);

#endif
