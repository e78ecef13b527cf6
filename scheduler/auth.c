/* auth.c: the identity table (public key -> identity, a uthash table) behind
 * the scheduler's ZAP handler and the per-message key check, identity
 * parsing, and the one table saying which role may send which message type
 * (and which forms of a type are for operators only). See auth.h.
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
#define OPERATORS (1u << AUTH_ROLE_OPERATOR)
#define AGENTS (1u << AUTH_ROLE_AGENT)

/* Who may send each type, and for types kept from tenants what they would
 * have done ("only operators may drain nodes"). Replies and the messages the
 * scheduler itself sends are allowed to nobody. Every type of msg.h has a
 * row (tests/unit/test_auth.c checks the whole table). */
typedef struct auth_rule {
    unsigned roles;
    const char *what;                        /* "manage tenants", or NULL */
    const char *(*what_of) (const msg_t *m); /* when it depends on the body */
} auth_rule_t;

static const char *drain_what (const msg_t *m)
{
    return m->u.drain.drain ? "drain nodes" : "resume nodes";
}

static const auth_rule_t rules[MSG_TYPE_COUNT] = {
    [MSG_SUBMIT] = {CLIENTS},
    [MSG_CANCEL] = {CLIENTS},
    [MSG_JOBS] = {CLIENTS},
    [MSG_SHOW] = {CLIENTS},
    [MSG_WAIT] = {CLIENTS},
    [MSG_NODES] = {CLIENTS},
    [MSG_LOGS] = {CLIENTS},
    [MSG_REPORT] = {CLIENTS},
    [MSG_REGISTER] = {AGENTS},
    [MSG_HEARTBEAT] = {AGENTS},
    [MSG_JOB_STARTED] = {AGENTS},
    [MSG_JOB_EXIT] = {AGENTS},
    [MSG_LOGS_DATA] = {AGENTS},
    [MSG_NODE_DRAIN] = {OPERATORS, .what_of = drain_what},
    /* tenants explain their own jobs' priority; a boost is below */
    [MSG_PRIORITY] = {CLIENTS},
    [MSG_TENANT] = {OPERATORS, "manage tenants"},
    [MSG_KEY] = {OPERATORS, "manage keys"},
    /* quotas and budgets (issue 4): a tenant sees its own balance */
    [MSG_BALANCE] = {CLIENTS},
    [MSG_BUDGET_GRANT] = {OPERATORS, "grant budgets"},
};

/* Forms of a type that fewer roles may send than the type itself. */
typedef struct auth_form {
    msg_type_t type;
    bool (*matches) (const msg_t *m);
    unsigned roles;
    const char *what;
} auth_form_t;

static bool priority_sets_boost (const msg_t *m)
{
    return m->u.priority_req.set_boost;
}

static const auth_form_t forms[] = {
    {MSG_PRIORITY, priority_sets_boost, OPERATORS, "boost jobs"},
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

bool auth_may_send (auth_role_t role, msg_type_t type)
{
    if ((unsigned)role >= AUTH_ROLE_COUNT || (unsigned)type >= MSG_TYPE_COUNT)
        return false;
    return (rules[type].roles & (1u << role)) != 0;
}

/* --- issue 4 -------------------------------------------------------------- */

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

int auth_authorize (auth_role_t role, const msg_t *m, cphub_error_t *err)
{
    const char *type = msg_type_name (m->type);

    if ((unsigned)role >= AUTH_ROLE_COUNT)
        return cphub_fail (err, EPERM, "unknown role %d", (int)role);
    if (!auth_may_send (role, m->type)) {
        const auth_rule_t *r =
            (unsigned)m->type < MSG_TYPE_COUNT ? &rules[m->type] : NULL;
        const char *what = r && r->what_of ? r->what_of (m) : r ? r->what : NULL;
        if (what && role != AUTH_ROLE_AGENT && (r->roles & CLIENTS))
            return cphub_fail (err, EPERM, "only operators may %s", what);
        return cphub_fail (err, EPERM, "%s may not send %s", role_plurals[role],
                           type ? type : "this message type");
    }
    for (size_t i = 0; i < sizeof (forms) / sizeof (forms[0]); i++) {
        const auth_form_t *f = &forms[i];
        if (f->type == m->type && !(f->roles & (1u << role)) && f->matches (m))
            return cphub_fail (err, EPERM, "only operators may %s", f->what);
    }
    return 0;
}
