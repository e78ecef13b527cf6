/* auth.c: the identity table (public key -> identity, a uthash table) behind
 * the scheduler's ZAP handler, identity parsing, and the table saying which
 * role may send which message type. See auth.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

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

#define CLIENTS ((1u << AUTH_ROLE_TENANT) | (1u << AUTH_ROLE_OPERATOR))
#define AGENTS (1u << AUTH_ROLE_AGENT)

/* Bit mask of the roles that may send each type; replies and the messages
 * the scheduler itself sends are allowed to nobody. */
static const unsigned may_send[MSG_TYPE_COUNT] = {
    [MSG_SUBMIT] = CLIENTS,   [MSG_CANCEL] = CLIENTS,     [MSG_JOBS] = CLIENTS,
    [MSG_SHOW] = CLIENTS,     [MSG_WAIT] = CLIENTS,       [MSG_NODES] = CLIENTS,
    [MSG_LOGS] = CLIENTS,     [MSG_REPORT] = CLIENTS,     [MSG_REGISTER] = AGENTS,
    [MSG_HEARTBEAT] = AGENTS, [MSG_JOB_STARTED] = AGENTS, [MSG_JOB_EXIT] = AGENTS,
    [MSG_LOGS_DATA] = AGENTS,
    /* tenants too, so that they hear why not (handlers.c: operators only) */
    [MSG_NODE_DRAIN] = CLIENTS,
    /* a boost is for operators only (handlers.c says so to tenants) */
    [MSG_PRIORITY] = CLIENTS,
};

auth_t *auth_create (void)
{
    return calloc (1, sizeof (auth_t));
}

void auth_destroy (auth_t *a)
{
    auth_key_t *k, *tmp;

    if (!a)
        return;
    HASH_ITER (hh, a->keys, k, tmp)
    {
        HASH_DEL (a->keys, k);
        free (k);
    }
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
    snprintf (identity, TPEER_IDENTITY_MAX, "%s", id);
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

bool auth_may_send (auth_role_t role, msg_type_t type)
{
    if ((unsigned)role >= AUTH_ROLE_COUNT || (unsigned)type >= MSG_TYPE_COUNT)
        return false;
    return (may_send[type] & (1u << role)) != 0;
}
