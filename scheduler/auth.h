/* auth.h: who is asking, and what they may say.
 *
 * The identity table maps a CURVE public key (Z85) to an identity string
 * "tenant:NAME", "operator:NAME" or "agent:NODE"; the scheduler's ZAP handler
 * looks every connecting key up in it (auth_zap_cb) and refuses unknown keys.
 * Every received message then carries the identity the transport
 * authenticated; auth_parse_identity() splits it into a role and a name, and
 * auth_may_send() is the authorization table: tenants and operators speak the
 * client protocol only, agents the agent protocol only (that an agent speaks
 * only for its own node is checked by the agent handlers). The table is built
 * from the config file by config.c.
 */
#ifndef CPHUB_SCHEDULER_AUTH_H
#define CPHUB_SCHEDULER_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "cphub/error.h"
#include "cphub/keys.h"
#include "cphub/msg.h"
#include "cphub/transport.h"

typedef enum {
    AUTH_ROLE_TENANT = 0,
    AUTH_ROLE_OPERATOR,
    AUTH_ROLE_AGENT,
    AUTH_ROLE_COUNT
} auth_role_t;

/* Longest name in an identity (tenant, operator, node). */
#define AUTH_NAME_MAX 63

typedef struct auth auth_t;

auth_t *auth_create (void);
void auth_destroy (auth_t *a); /* NULL: nothing */

/* Add a key for role:name. -1/EEXIST with err "key ... is already the key of
 * tenant:acme" when the key is in the table already; -1/EINVAL when the key
 * is not Z85 or the name is empty or longer than AUTH_NAME_MAX; ENOMEM. */
int auth_add (auth_t *a,
              const char *pubkey_z85,
              auth_role_t role,
              const char *name,
              cphub_error_t *err);

/* The identity of a key ("tenant:acme"), or NULL if it is unknown. */
const char *auth_lookup (const auth_t *a, const char *pubkey_z85);
/* Number of keys in the table. */
size_t auth_count (const auth_t *a);

/* tzap_auth_f for tzap_create (arg is the auth_t *): accept known keys with
 * their identity, refuse (and log at warn) the others. */
int auth_zap_cb (const char *pubkey_z85, char identity[TPEER_IDENTITY_MAX], void *arg);

/* Split "tenant:acme" into AUTH_ROLE_TENANT and a pointer to "acme" (inside
 * identity). -1/EINVAL for an unknown role or an empty name. */
int auth_parse_identity (const char *identity, auth_role_t *role, const char **name);

/* "tenant", "operator", "agent" (for identities) and the plural for texts
 * ("tenants may not send register"). NULL out of range. */
const char *auth_role_name (auth_role_t role);
const char *auth_role_plural (auth_role_t role);

/* May a peer with this role send a message of this type to the scheduler? */
bool auth_may_send (auth_role_t role, msg_type_t type);

#endif
