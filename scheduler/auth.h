/* auth.h: who is asking, and what they may say.
 *
 * The identity table maps a CURVE public key (Z85) to an identity string
 * "tenant:NAME", "operator:NAME" or "agent:NODE"; the scheduler's ZAP handler
 * looks every connecting key up in it (auth_zap_cb) and refuses unknown keys.
 * Every received message then carries the identity the transport
 * authenticated; auth_parse_identity() splits it into a role and a name, and
 * auth_authorize() checks a message against its type's rule (auth_rule_t,
 * one per row of the message table, msgtab.c): tenants and operators speak
 * the client protocol only, agents the agent protocol only (that an agent
 * speaks only for its own node is checked by the agent handlers); some
 * requests are for operators only, and so are some forms of a request (a
 * priority request that sets a boost). The identity table is built from
 * the config file by config.c, and changed at run time by tenants.c (`cphub
 * key add|revoke`, `cphub tenant remove`).
 *
 * Revocation: the ZAP identity carries the key ("tenant:acme:Z85KEY", see
 * auth_zap_cb), and every received message is checked against the live table
 * with auth_check_peer() (one hash lookup), so a key taken out of the table
 * is refused on its next request even on a connection opened before, and at
 * its next handshake.
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
 * their identity and the key itself, "tenant:acme:Z85KEY" (the ZAP User-Id,
 * checked again on every message by auth_check_peer), refuse the others. */
int auth_zap_cb (const char *pubkey_z85, char identity[TPEER_IDENTITY_MAX], void *arg);

/* Split "tenant:acme" into AUTH_ROLE_TENANT and a pointer to "acme" (inside
 * identity). -1/EINVAL for an unknown role or an empty name. */
int auth_parse_identity (const char *identity, auth_role_t *role, const char **name);

/* "tenant", "operator", "agent" (for identities) and the plural for texts
 * ("tenants may not send register"). NULL out of range. */
const char *auth_role_name (auth_role_t role);
const char *auth_role_plural (auth_role_t role);

/* Roles as bits of auth_rule_t.roles. */
#define AUTH_TENANTS (1u << AUTH_ROLE_TENANT)
#define AUTH_OPERATORS (1u << AUTH_ROLE_OPERATOR)
#define AUTH_AGENTS (1u << AUTH_ROLE_AGENT)
#define AUTH_CLIENTS (AUTH_TENANTS | AUTH_OPERATORS)

/* Who may send a message type. */
typedef struct auth_rule {
    unsigned roles; /* AUTH_* bits; 0: nobody (replies, the scheduler's own) */
    /* What a message of this type would do when it (or this form of it) is
     * for operators only ("drain nodes", "boost jobs"), else NULL; NULL
     * function: no such form. */
    const char *(*operators_only) (const msg_t *m);
} auth_rule_t;

/* May a peer with this role send a message under rule (NULL: nobody)? */
bool auth_may_send (auth_role_t role, const auth_rule_t *rule);

/* --- run-time keys, revocation --- */

/* Take a key out of the table: its next handshake is refused, and so is
 * the next message of a connection opened with it (auth_check_peer). 0, or
 * -1/ENOENT when the key is not in the table. */
int auth_remove (auth_t *a, const char *pubkey_z85);

/* Call cb for every key and its identity ("tenant:acme"), in no particular
 * order; cb returns 0 to go on, -1 to stop (auth_foreach then returns -1).
 * cb must not change the table. */
typedef int (*auth_key_f) (const char *pubkey_z85, const char *identity, void *arg);
int auth_foreach (const auth_t *a, auth_key_f cb, void *arg);

/* Check the identity a message arrived with. The ZAP handler gives
 * "ROLE:NAME:KEY" (auth_zap_cb); the key must still be in the table with
 * the same identity. Fills identity with "ROLE:NAME" (what the handlers
 * act on and log) even on failure, when it can be parsed. 0; -1/EACCES with
 * err "this key was revoked ..." when the key is no longer in the table or
 * now names someone else; -1/EINVAL when zap_identity has no key part. */
int auth_check_peer (const auth_t *a,
                     const char *zap_identity,
                     char identity[TPEER_IDENTITY_MAX],
                     cphub_error_t *err);

/* The authorization of one message under its type's rule: auth_may_send,
 * then the forms of the type that are for operators only. 0, or -1/EPERM
 * with err "only operators may drain nodes" (a client that asked for what
 * only operators may) or "tenants may not send register". */
int auth_authorize (auth_role_t role,
                    const auth_rule_t *rule,
                    const msg_t *m,
                    cphub_error_t *err);

#endif
