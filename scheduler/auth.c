/* auth.c: the identity table (public key -> identity, a uthash table) behind
 * the scheduler's ZAP handler and the per-message key check, identity
 * parsing, and the authorization of one message by its type's rule (the
 * rules are the auth column of the message table, msgtab.c). See auth.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "cphub/hash_free.h"
#include "cphub/log.h"
#include "scheduler/auth.h"

typedef struct auth_key {
    char pubkey[KEY_Z85_LEN + 1];
    char identity[TPEER_IDENTITY_MAX];
    UT_hash_handle hh;
} auth_key_t;

struct auth {
    auth_key_t *keys; /* uthash by pubkey */
};

static const char *const role_names[AUTH_ROLE_COUNT] = {
    [AUTH_ROLE_TENANT] = "tenant",
    [AUTH_ROLE_OPERATOR] = "operator",
    [AUTH_ROLE_AGENT] = "agent",
};

static const char *const role_plurals[AUTH_ROLE_COUNT] = {
    [AUTH_ROLE_TENANT] = "tenants",
    [AUTH_ROLE_OPERATOR] = "operators",
    [AUTH_ROLE_AGENT] = "agents",
};

auth_t *auth_create (void)
{
    return calloc (1, sizeof (auth_t));
}

void auth_destroy (auth_t *a)
{
    if (!a)
        return;
    HASH_FREE_ALL (hh, a->keys);
    free (a);
}

int auth_add (auth_t *a,
              const char *pubkey_z85,
              auth_role_t role,
              const char *name,
              cphub_error_t *err)
{
    auth_key_t *k = NULL;
    size_t len = name ? strlen (name) : 0;

    if ((unsigned)role >= AUTH_ROLE_COUNT)
        return cphub_fail (err, EINVAL, "unknown role %d", (int)role);
    if (len == 0 || len > AUTH_NAME_MAX)
        return cphub_fail (err, EINVAL, "%s name must be 1 to %d characters",
                           role_names[role], AUTH_NAME_MAX);
    if (!pubkey_z85 || !keys_valid_z85 (pubkey_z85))
        return cphub_fail (err, EINVAL, "not a Z85 public key (40 characters)");
    HASH_FIND_STR (a->keys, pubkey_z85, k);
    if (k)
        return cphub_fail (err, EEXIST, "key %.8s... is already the key of %s",
                           pubkey_z85, k->identity);
    if (!(k = calloc (1, sizeof (*k))))
        return cphub_fail (err, ENOMEM, "out of memory");
    snprintf (k->pubkey, sizeof (k->pubkey), "%s", pubkey_z85);
    snprintf (k->identity, sizeof (k->identity), "%s:%s", role_names[role], name);
    HASH_ADD_STR (a->keys, pubkey, k);
    return 0;
}

const char *auth_lookup (const auth_t *a, const char *pubkey_z85)
{
    auth_key_t *k = NULL;

    if (!a || !pubkey_z85)
        return NULL;
    HASH_FIND_STR (a->keys, pubkey_z85, k);
    return k ? k->identity : NULL;
}

size_t auth_count (const auth_t *a)
{
    return a ? HASH_COUNT (a->keys) : 0;
}

int auth_zap_cb (const char *pubkey_z85, char identity[TPEER_IDENTITY_MAX], void *arg)
{
    const auth_t *a = arg;
    const char *id = auth_lookup (a, pubkey_z85);

    if (!id)
        return -1; /* the transport logs the refusal with the peer's address */
    snprintf (identity, TPEER_IDENTITY_MAX, "%s:%s", id, pubkey_z85);
    log_debug ("accepted a connection from %s", id);
    return 0;
}

int auth_parse_identity (const char *identity, auth_role_t *role, const char **name)
{
    const char *colon = identity ? strchr (identity, ':') : NULL;

    if (!colon || colon[1] == '\0') {
        errno = EINVAL;
        return -1;
    }
    for (int r = 0; r < AUTH_ROLE_COUNT; r++) {
        size_t len = strlen (role_names[r]);
        if ((size_t)(colon - identity) == len &&
            strncmp (identity, role_names[r], len) == 0) {
            *role = (auth_role_t)r;
            *name = colon + 1;
            return 0;
        }
    }
    errno = EINVAL;
    return -1;
}

const char *auth_role_name (auth_role_t role)
{
    return (unsigned)role < AUTH_ROLE_COUNT ? role_names[role] : NULL;
}

const char *auth_role_plural (auth_role_t role)
{
    return (unsigned)role < AUTH_ROLE_COUNT ? role_plurals[role] : NULL;
}

bool auth_may_send (auth_role_t role, const auth_rule_t *rule)
{
    if ((unsigned)role >= AUTH_ROLE_COUNT || !rule)
        return false;
    return (rule->roles & (1u << role)) != 0;
}

int auth_remove (auth_t *a, const char *pubkey_z85)
{
    auth_key_t *k = NULL;

    if (a && pubkey_z85)
        HASH_FIND_STR (a->keys, pubkey_z85, k);
    if (!k) {
        errno = ENOENT;
        return -1;
    }
    HASH_DEL (a->keys, k);
    free (k);
    return 0;
}

int auth_foreach (const auth_t *a, auth_key_f cb, void *arg)
{
    auth_key_t *k, *tmp;

    if (!a)
        return 0;
    HASH_ITER (hh, a->keys, k, tmp)
    {
        if (cb (k->pubkey, k->identity, arg) < 0)
            return -1;
    }
    return 0;
}

int auth_check_peer (const auth_t *a,
                     const char *zap_identity,
                     char identity[TPEER_IDENTITY_MAX],
                     cphub_error_t *err)
{
    const char *first = zap_identity ? strchr (zap_identity, ':') : NULL;
    const char *second = first ? strchr (first + 1, ':') : NULL;
    const char *key, *now;
    size_t len;

    identity[0] = '\0';
    if (!second || second == first + 1)
        return cphub_fail (err, EINVAL, "the connection has no key identity ('%.60s')",
                           zap_identity ? zap_identity : "");
    len = (size_t)(second - zap_identity);
    if (len >= TPEER_IDENTITY_MAX)
        return cphub_fail (err, EINVAL, "identity too long");
    memcpy (identity, zap_identity, len);
    identity[len] = '\0';
    key = second + 1;
    now = auth_lookup (a, key);
    if (!now || strcmp (now, identity) != 0)
        return cphub_fail (err, EACCES,
                           "this key (%.8s...) was revoked; ask the hub's operator "
                           "to add a new one (cphub keygen makes it)",
                           key);
    return 0;
}

int auth_authorize (auth_role_t role,
                    const auth_rule_t *rule,
                    const msg_t *m,
                    cphub_error_t *err)
{
    const char *type = msg_type_name (m->type);
    const char *what = rule && rule->operators_only ? rule->operators_only (m) : NULL;

    if ((unsigned)role >= AUTH_ROLE_COUNT)
        return cphub_fail (err, EPERM, "unknown role %d", (int)role);
    if (!auth_may_send (role, rule)) {
        /* a client that asked for an operator's request learns what it
         * would have done; anyone else only that the type is not theirs */
        if (what && role != AUTH_ROLE_AGENT && (rule->roles & AUTH_CLIENTS))
            return cphub_fail (err, EPERM, "only operators may %s", what);
        return cphub_fail (err, EPERM, "%s may not send %s", role_plurals[role],
                           type ? type : "this message type");
    }
    if (what && role != AUTH_ROLE_OPERATOR)
        return cphub_fail (err, EPERM, "only operators may %s", what);
    return 0;
}
