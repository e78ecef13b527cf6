/* test_auth.c: unit tests for scheduler/auth.c: the key -> identity table
 * behind the scheduler's ZAP handler, identity parsing, and the
 * authorization of each message by its row of the message table
 * (scheduler/msgtab.c, linked from the scheduler's library, so that the
 * tests check the very table the daemon runs on). The keys are fixed Z85
 * strings, so the tests need no transport.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cphub/keys.h"
#include "cphub/msg.h"
#include "scheduler/auth.h"
#include "scheduler/msgtab.h"

#define K1 "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
#define K2 "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
#define K3 "0123456789abcdefghijklmnopqrstuvwxyzABCD"
#define K4 "EFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{"

static const char z85_alphabet[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]"
    "{}@%$#";

/* A distinct valid key per n: each group of 5 starts with '0', so every group
 * stays below 2^32. */
static void key_for (unsigned n, char key[KEY_Z85_LEN + 1])
{
    for (int i = 0; i < KEY_Z85_LEN; i++) {
        if (i % 5 == 0) {
            key[i] = '0';
        } else {
            key[i] = z85_alphabet[n % 85];
            n /= 85;
        }
    }
    key[KEY_Z85_LEN] = '\0';
}

static auth_t *table (void)
{
    cphub_error_t err = {{0}};
    auth_t *a = auth_create ();

    cr_assert_not_null (a);
    cr_assert_eq (auth_add (a, K1, AUTH_ROLE_TENANT, "acme", &err), 0, "%s", err.text);
    cr_assert_eq (auth_add (a, K2, AUTH_ROLE_OPERATOR, "ops", &err), 0, "%s", err.text);
    cr_assert_eq (auth_add (a, K3, AUTH_ROLE_AGENT, "node1", &err), 0, "%s", err.text);
    return a;
}

/* --- the identity table --------------------------------------------------- */

Test (auth_table, lookups)
{
    auth_t *a = table ();

    cr_assert_eq (auth_count (a), 3);
    cr_assert_str_eq (auth_lookup (a, K1), "tenant:acme");
    cr_assert_str_eq (auth_lookup (a, K2), "operator:ops");
    cr_assert_str_eq (auth_lookup (a, K3), "agent:node1");
    auth_destroy (a);
}

Test (auth_table, unknown_keys_refused)
{
    auth_t *a = table ();
    char identity[TPEER_IDENTITY_MAX];

    cr_assert_null (auth_lookup (a, K4));
    cr_assert_null (auth_lookup (a, ""));
    cr_assert_null (auth_lookup (a, NULL));
    /* a prefix of a known key is not that key */
    cr_assert_null (auth_lookup (a, "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf"));
    snprintf (identity, sizeof (identity), "untouched");
    cr_assert_eq (auth_zap_cb (K4, identity, a), -1);
    cr_assert_eq (auth_zap_cb ("not a key", identity, a), -1);
    cr_assert_str_eq (identity, "untouched", "a refusal gives no identity");
    /* an empty table knows nobody */
    auth_t *empty = auth_create ();
    cr_assert_eq (auth_count (empty), 0);
    cr_assert_eq (auth_zap_cb (K1, identity, empty), -1);
    auth_destroy (empty);
    auth_destroy (a);
}

Test (auth_table, zap_callback_gives_identity)
{
    auth_t *a = table ();
    char identity[TPEER_IDENTITY_MAX];

    /* the identity carries the key, checked again on every message */
    cr_assert_eq (auth_zap_cb (K1, identity, a), 0);
    cr_assert_str_eq (identity, "tenant:acme:" K1);
    cr_assert_eq (auth_zap_cb (K3, identity, a), 0);
    cr_assert_str_eq (identity, "agent:node1:" K3);
    auth_destroy (a);
}

Test (auth_table, one_name_many_keys)
{
    auth_t *a = table ();
    cphub_error_t err = {{0}};

    cr_assert_eq (auth_add (a, K4, AUTH_ROLE_TENANT, "acme", &err), 0, "%s", err.text);
    cr_assert_eq (auth_count (a), 4);
    cr_assert_str_eq (auth_lookup (a, K4), "tenant:acme");
    cr_assert_str_eq (auth_lookup (a, K1), "tenant:acme");
    auth_destroy (a);
}

Test (auth_table, duplicate_key_refused)
{
    auth_t *a = table ();
    cphub_error_t err = {{0}};

    errno = 0;
    cr_assert_eq (auth_add (a, K1, AUTH_ROLE_AGENT, "node2", &err), -1);
    cr_assert_eq (errno, EEXIST);
    cr_assert (strstr (err.text, "is already the key of tenant:acme"), "%s", err.text);
    cr_assert_eq (auth_count (a), 3);
    cr_assert_str_eq (auth_lookup (a, K1), "tenant:acme", "the first owner stays");
    auth_destroy (a);
}

static void add_fails (
    auth_t *a, const char *key, auth_role_t role, const char *name, const char *needle)
{
    cphub_error_t err = {{0}};

    errno = 0;
    cr_assert_eq (auth_add (a, key, role, name, &err), -1,
                  "accepted key '%s' name '%s'", key ? key : "(null)",
                  name ? name : "(null)");
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, needle), "'%s' not in '%s'", needle, err.text);
}

Test (auth_table, bad_keys_and_names)
{
    auth_t *a = auth_create ();
    char name[AUTH_NAME_MAX + 2];
    char identity[TPEER_IDENTITY_MAX];
    cphub_error_t err = {{0}};

    add_fails (a, "short", AUTH_ROLE_TENANT, "acme", "not a Z85 public key");
    add_fails (a, NULL, AUTH_ROLE_TENANT, "acme", "not a Z85 public key");
    add_fails (a, K1 "0", AUTH_ROLE_TENANT, "acme", "not a Z85 public key");
    /* a character outside the Z85 alphabet */
    add_fails (a, "0123456789abcdefghijklmnopqrstuvwxyzABC~", AUTH_ROLE_TENANT, "acme",
               "not a Z85 public key");
    /* Z85 characters, but a group worth more than 4 bytes */
    add_fails (a, "#####56789abcdefghijklmnopqrstuvwxyzABCD", AUTH_ROLE_TENANT, "acme",
               "not a Z85 public key");
    add_fails (a, K1, AUTH_ROLE_TENANT, "", "tenant name must be 1 to 63 characters");
    add_fails (a, K1, AUTH_ROLE_AGENT, NULL, "agent name must be 1 to 63 characters");
    memset (name, 'n', sizeof (name) - 1);
    name[sizeof (name) - 1] = '\0';
    add_fails (a, K1, AUTH_ROLE_OPERATOR, name, "operator name must be 1 to 63");
    add_fails (a, K1, AUTH_ROLE_COUNT, "acme", "unknown role");
    add_fails (a, K1, (auth_role_t)-1, "acme", "unknown role");
    cr_assert_eq (auth_count (a), 0, "nothing was added");

    /* the longest name fits, and so does its identity */
    name[AUTH_NAME_MAX] = '\0';
    cr_assert_eq (auth_add (a, K1, AUTH_ROLE_OPERATOR, name, &err), 0, "%s", err.text);
    cr_assert_eq (auth_zap_cb (K1, identity, a), 0);
    cr_assert_eq (strncmp (identity, "operator:", 9), 0);
    cr_assert_eq (strncmp (identity + 9, name, AUTH_NAME_MAX), 0);
    cr_assert_str_eq (identity + 9 + AUTH_NAME_MAX, ":" K1);
    auth_destroy (a);
}

Test (auth_table, many_keys)
{
    auth_t *a = auth_create ();
    cphub_error_t err = {{0}};
    char key[KEY_Z85_LEN + 1], name[32], want[48];

    for (unsigned i = 0; i < 2000; i++) {
        key_for (i, key);
        snprintf (name, sizeof (name), "t%u", i);
        cr_assert_eq (auth_add (a, key, AUTH_ROLE_TENANT, name, &err), 0, "%u: %s", i,
                      err.text);
    }
    cr_assert_eq (auth_count (a), 2000);
    for (unsigned i = 0; i < 2000; i += 7) {
        key_for (i, key);
        snprintf (want, sizeof (want), "tenant:t%u", i);
        cr_assert_str_eq (auth_lookup (a, key), want);
    }
    key_for (2000, key);
    cr_assert_null (auth_lookup (a, key));
    auth_destroy (a);
}

Test (auth_table, null_is_harmless)
{
    auth_destroy (NULL);
    cr_assert_eq (auth_count (NULL), 0);
    cr_assert_null (auth_lookup (NULL, K1));
}

/* --- identities ----------------------------------------------------------- */

Test (auth_identity, parse_each_role)
{
    static const struct {
        const char *identity;
        auth_role_t role;
        const char *name;
    } cases[] = {
        {"tenant:acme", AUTH_ROLE_TENANT, "acme"},
        {"operator:ops", AUTH_ROLE_OPERATOR, "ops"},
        {"agent:node1", AUTH_ROLE_AGENT, "node1"},
        {"tenant:a", AUTH_ROLE_TENANT, "a"},
    };

    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        auth_role_t role = AUTH_ROLE_COUNT;
        const char *name = NULL;

        cr_assert_eq (auth_parse_identity (cases[i].identity, &role, &name), 0, "%s",
                      cases[i].identity);
        cr_assert_eq (role, cases[i].role, "%s", cases[i].identity);
        cr_assert_str_eq (name, cases[i].name);
        cr_assert_eq (name, cases[i].identity + strcspn (cases[i].identity, ":") + 1,
                      "the name points into the identity");
    }
}

Test (auth_identity, parse_refuses)
{
    static const char *const bad[] = {
        "",        "tenant",      "tenant:",    ":acme",    "tenants:acme",
        "tenan:x", "Tenant:acme", "admin:root", "agentx:n", " tenant:acme",
    };

    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        auth_role_t role = AUTH_ROLE_COUNT;
        const char *name = NULL;

        errno = 0;
        cr_assert_eq (auth_parse_identity (bad[i], &role, &name), -1, "'%s' parsed",
                      bad[i]);
        cr_assert_eq (errno, EINVAL, "'%s'", bad[i]);
    }
    {
        auth_role_t role;
        const char *name;
        cr_assert_eq (auth_parse_identity (NULL, &role, &name), -1);
        cr_assert_eq (errno, EINVAL);
    }
}

Test (auth_identity, table_identities_parse_back)
{
    auth_t *a = table ();
    const char *keys[] = {K1, K2, K3};
    const auth_role_t roles[] = {AUTH_ROLE_TENANT, AUTH_ROLE_OPERATOR, AUTH_ROLE_AGENT};
    const char *names[] = {"acme", "ops", "node1"};

    for (int i = 0; i < 3; i++) {
        auth_role_t role;
        const char *name;
        cr_assert_eq (auth_parse_identity (auth_lookup (a, keys[i]), &role, &name), 0);
        cr_assert_eq (role, roles[i]);
        cr_assert_str_eq (name, names[i]);
    }
    auth_destroy (a);
}

Test (auth_identity, role_names)
{
    cr_assert_str_eq (auth_role_name (AUTH_ROLE_TENANT), "tenant");
    cr_assert_str_eq (auth_role_name (AUTH_ROLE_OPERATOR), "operator");
    cr_assert_str_eq (auth_role_name (AUTH_ROLE_AGENT), "agent");
    cr_assert_str_eq (auth_role_plural (AUTH_ROLE_TENANT), "tenants");
    cr_assert_str_eq (auth_role_plural (AUTH_ROLE_OPERATOR), "operators");
    cr_assert_str_eq (auth_role_plural (AUTH_ROLE_AGENT), "agents");
    cr_assert_null (auth_role_name (AUTH_ROLE_COUNT));
    cr_assert_null (auth_role_plural (AUTH_ROLE_COUNT));
    cr_assert_null (auth_role_name ((auth_role_t)-1));
}

/* --- who may send what ---------------------------------------------------- */

/* Who may send each type, as a set of roles. */
enum {
    NOBODY = 0,
    TENANT = 1 << AUTH_ROLE_TENANT,
    OPERATOR = 1 << AUTH_ROLE_OPERATOR,
    AGENT = 1 << AUTH_ROLE_AGENT,
    CLIENT = TENANT | OPERATOR,
};

/* What the protocol says (msg.h "who sends what"): the scheduler accepts
 * client requests from tenants and operators, agent messages from agents,
 * and its own replies and orders from nobody. What is for operators only
 * (node.drain, tenant, key, budget.grant) is so in the table itself. Every
 * type is listed, so a type added to msg.h without a decision here shows up
 * as NOBODY. */
static const int sender[MSG_TYPE_COUNT] = {
    [MSG_ERROR] = NOBODY,
    [MSG_SUBMIT] = CLIENT,
    [MSG_CANCEL] = CLIENT,
    [MSG_JOBS] = CLIENT,
    [MSG_SHOW] = CLIENT,
    [MSG_WAIT] = CLIENT,
    [MSG_NODES] = CLIENT,
    [MSG_LOGS] = CLIENT,
    [MSG_REPORT] = CLIENT,
    [MSG_SUBMIT_OK] = NOBODY,
    [MSG_CANCEL_OK] = NOBODY,
    [MSG_JOBS_OK] = NOBODY,
    [MSG_SHOW_OK] = NOBODY,
    [MSG_WAIT_OK] = NOBODY,
    [MSG_NODES_OK] = NOBODY,
    [MSG_LOGS_OK] = NOBODY,
    [MSG_REPORT_OK] = NOBODY,
    [MSG_REGISTER] = AGENT,
    [MSG_HEARTBEAT] = AGENT,
    [MSG_JOB_STARTED] = AGENT,
    [MSG_JOB_EXIT] = AGENT,
    [MSG_LOGS_DATA] = AGENT,
    [MSG_REGISTER_OK] = NOBODY,
    [MSG_JOB_RUN] = NOBODY,
    [MSG_JOB_KILL] = NOBODY,
    [MSG_LOGS_FETCH] = NOBODY,
    [MSG_NODE_DRAIN] = OPERATOR,
    [MSG_NODE_DRAIN_OK] = NOBODY,
    [MSG_JOB_EXIT_ACK] = NOBODY,
    [MSG_PRIORITY] = CLIENT, /* boosting: operators only (msgtab_authorize) */
    [MSG_PRIORITY_OK] = NOBODY,
    [MSG_TENANT] = OPERATOR, /* tenants and keys at run time */
    [MSG_TENANT_OK] = NOBODY,
    [MSG_KEY] = OPERATOR,
    [MSG_KEY_OK] = NOBODY,
    [MSG_BALANCE] = CLIENT, /* a tenant sees its own */
    [MSG_BALANCE_OK] = NOBODY,
    [MSG_BUDGET_GRANT] = OPERATOR,
    [MSG_BUDGET_GRANT_OK] = NOBODY,
    [MSG_HOLD] = CLIENT, /* their own jobs: request_job */
    [MSG_RELEASE] = CLIENT,
    [MSG_REQUEUE] = CLIENT,
    [MSG_RESUBMIT] = CLIENT,
    [MSG_JOBCTL_OK] = NOBODY,
};

Test (auth_may_send, every_role_and_type)
{
    static const char *const role[AUTH_ROLE_COUNT] = {
        [AUTH_ROLE_TENANT] = "tenant",
        [AUTH_ROLE_OPERATOR] = "operator",
        [AUTH_ROLE_AGENT] = "agent",
    };

    for (int t = 0; t < MSG_TYPE_COUNT; t++) {
        for (int r = 0; r < AUTH_ROLE_COUNT; r++) {
            bool want = (sender[t] & (1 << r)) != 0;
            cr_expect_eq (msgtab_may_send ((auth_role_t)r, (msg_type_t)t), want,
                          "%s %s send message type %d", role[r],
                          want ? "may" : "may not", t);
        }
    }
}

Test (auth_may_send, out_of_range)
{
    cr_assert_not (msgtab_may_send (AUTH_ROLE_TENANT, MSG_TYPE_COUNT));
    cr_assert_not (msgtab_may_send (AUTH_ROLE_AGENT, (msg_type_t)-1));
    cr_assert_not (msgtab_may_send (AUTH_ROLE_COUNT, MSG_SUBMIT));
    cr_assert_not (msgtab_may_send ((auth_role_t)-1, MSG_REGISTER));
}

Test (auth_may_send, examples)
{
    cr_assert (msgtab_may_send (AUTH_ROLE_TENANT, MSG_SUBMIT));
    cr_assert (msgtab_may_send (AUTH_ROLE_OPERATOR, MSG_REPORT));
    cr_assert (msgtab_may_send (AUTH_ROLE_AGENT, MSG_JOB_EXIT));
    cr_assert_not (msgtab_may_send (AUTH_ROLE_TENANT, MSG_REGISTER),
                   "a tenant may not pose as an agent");
    cr_assert_not (msgtab_may_send (AUTH_ROLE_TENANT, MSG_JOB_EXIT));
    cr_assert_not (msgtab_may_send (AUTH_ROLE_AGENT, MSG_SUBMIT),
                   "an agent may not submit jobs");
    cr_assert_not (msgtab_may_send (AUTH_ROLE_AGENT, MSG_JOB_RUN));
    cr_assert_not (msgtab_may_send (AUTH_ROLE_OPERATOR, MSG_ERROR));
}

Test (auth_may_send, later_messages)
{
    cr_assert (msgtab_may_send (AUTH_ROLE_OPERATOR, MSG_NODE_DRAIN));
    cr_assert_not (msgtab_may_send (AUTH_ROLE_AGENT, MSG_NODE_DRAIN),
                   "an agent may not drain nodes");
    cr_assert_not (msgtab_may_send (AUTH_ROLE_OPERATOR, MSG_NODE_DRAIN_OK));
    cr_assert_not (msgtab_may_send (AUTH_ROLE_AGENT, MSG_JOB_EXIT_ACK),
                   "the exit ack goes from the scheduler to agents");
    cr_assert (msgtab_may_send (AUTH_ROLE_TENANT, MSG_PRIORITY));
    cr_assert_not (msgtab_may_send (AUTH_ROLE_AGENT, MSG_PRIORITY));
    cr_assert_not (msgtab_may_send (AUTH_ROLE_TENANT, MSG_PRIORITY_OK));
}

/* --- revocation, the per-message key check, authorization --------------- */

static int count_cb (const char *pubkey, const char *identity, void *arg)
{
    int *n = arg;

    cr_assert (keys_valid_z85 (pubkey));
    cr_assert_not_null (strchr (identity, ':'));
    (*n)++;
    return 0;
}

static int stop_cb (const char *pubkey, const char *identity, void *arg)
{
    (void)pubkey;
    (void)identity;
    (void)arg;
    return -1;
}

Test (auth_table, remove_and_foreach)
{
    auth_t *a = table ();
    char identity[TPEER_IDENTITY_MAX];
    int n = 0;

    cr_assert_eq (auth_foreach (a, count_cb, &n), 0);
    cr_assert_eq (n, 3);
    cr_assert_eq (auth_foreach (a, stop_cb, NULL), -1);
    cr_assert_eq (auth_remove (a, K1), 0);
    cr_assert_null (auth_lookup (a, K1));
    cr_assert_eq (auth_zap_cb (K1, identity, a), -1, "a removed key is refused");
    cr_assert_eq (auth_count (a), 2);
    errno = 0;
    cr_assert_eq (auth_remove (a, K1), -1);
    cr_assert_eq (errno, ENOENT);
    cr_assert_eq (auth_remove (a, NULL), -1);
    cr_assert_eq (auth_remove (NULL, K2), -1);
    n = 0;
    cr_assert_eq (auth_foreach (a, count_cb, &n), 0);
    cr_assert_eq (n, 2);
    cr_assert_eq (auth_foreach (NULL, count_cb, &n), 0);
    auth_destroy (a);
}

Test (auth_check, live_key_passes_and_is_stripped)
{
    auth_t *a = table ();
    char zap[TPEER_IDENTITY_MAX], identity[TPEER_IDENTITY_MAX];
    cphub_error_t err = {{0}};
    auth_role_t role;
    const char *name;

    cr_assert_eq (auth_zap_cb (K1, zap, a), 0);
    cr_assert_eq (auth_check_peer (a, zap, identity, &err), 0, "%s", err.text);
    cr_assert_str_eq (identity, "tenant:acme");
    cr_assert_eq (auth_parse_identity (identity, &role, &name), 0);
    cr_assert_eq (role, AUTH_ROLE_TENANT);
    cr_assert_str_eq (name, "acme");
    /* Z85 has ':' in its alphabet (K1 starts "rq:"): only the first two
     * colons split */
    cr_assert_eq (auth_zap_cb (K2, zap, a), 0);
    cr_assert_eq (auth_check_peer (a, zap, identity, &err), 0, "%s", err.text);
    cr_assert_str_eq (identity, "operator:ops");
    auth_destroy (a);
}

Test (auth_check, revoked_key_refused_on_an_open_connection)
{
    auth_t *a = table ();
    char zap[TPEER_IDENTITY_MAX], identity[TPEER_IDENTITY_MAX];
    cphub_error_t err = {{0}};

    cr_assert_eq (auth_zap_cb (K1, zap, a), 0); /* the connection was accepted */
    cr_assert_eq (auth_remove (a, K1), 0);      /* then the key was revoked */
    errno = 0;
    cr_assert_eq (auth_check_peer (a, zap, identity, &err), -1);
    cr_assert_eq (errno, EACCES);
    cr_assert (strstr (err.text, "revoked"), "%s", err.text);
    cr_assert_str_eq (identity, "tenant:acme", "the identity is kept for the log");
    /* the key given to someone else meanwhile does not revive the old one */
    cr_assert_eq (auth_add (a, K1, AUTH_ROLE_TENANT, "other", &err), 0, "%s", err.text);
    cr_assert_eq (auth_check_peer (a, zap, identity, &err), -1);
    cr_assert_eq (errno, EACCES);
    auth_destroy (a);
}

Test (auth_check, malformed_identities)
{
    auth_t *a = table ();
    char identity[TPEER_IDENTITY_MAX];
    cphub_error_t err = {{0}};
    static const char *const bad[] = {"", "tenant:acme", "tenant::" K1, "nokey"};

    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        errno = 0;
        cr_assert_eq (auth_check_peer (a, bad[i], identity, &err), -1, "'%s'", bad[i]);
        cr_assert_eq (errno, EINVAL, "'%s'", bad[i]);
    }
    cr_assert_eq (auth_check_peer (a, NULL, identity, &err), -1);
    /* a known key presented under another identity */
    cr_assert_eq (auth_check_peer (a, "operator:ops:" K1, identity, &err), -1);
    cr_assert_eq (errno, EACCES);
    cr_assert_eq (auth_check_peer (a, "tenant:acme:" K4, identity, &err), -1);
    cr_assert_eq (errno, EACCES);
    auth_destroy (a);
}

static void authorize_refuses (auth_role_t role, const msg_t *m, const char *needle)
{
    cphub_error_t err = {{0}};

    errno = 0;
    cr_assert_eq (msgtab_authorize (role, m, &err), -1, "%s sent %s",
                  auth_role_name (role), msg_type_name (m->type));
    cr_assert_eq (errno, EPERM);
    cr_assert (strstr (err.text, needle), "'%s' not in '%s'", needle, err.text);
}

Test (auth_authorize, operator_only_requests)
{
    cphub_error_t err = {{0}};
    msg_t *drain = msg_create (MSG_NODE_DRAIN);
    msg_t *tenant = msg_create (MSG_TENANT);
    msg_t *key = msg_create (MSG_KEY);

    cr_assert (drain && tenant && key);
    drain->u.drain.drain = true;
    authorize_refuses (AUTH_ROLE_TENANT, drain, "only operators may drain nodes");
    drain->u.drain.drain = false;
    authorize_refuses (AUTH_ROLE_TENANT, drain, "only operators may resume nodes");
    authorize_refuses (AUTH_ROLE_AGENT, drain, "agents may not send node.drain");
    cr_assert_eq (msgtab_authorize (AUTH_ROLE_OPERATOR, drain, &err), 0, "%s",
                  err.text);
    authorize_refuses (AUTH_ROLE_TENANT, tenant, "only operators may manage tenants");
    authorize_refuses (AUTH_ROLE_TENANT, key, "only operators may manage keys");
    authorize_refuses (AUTH_ROLE_AGENT, key, "agents may not send key");
    cr_assert_eq (msgtab_authorize (AUTH_ROLE_OPERATOR, tenant, &err), 0);
    cr_assert_eq (msgtab_authorize (AUTH_ROLE_OPERATOR, key, &err), 0);
    msg_destroy (drain);
    msg_destroy (tenant);
    msg_destroy (key);
}

Test (auth_authorize, boost_is_for_operators)
{
    cphub_error_t err = {{0}};
    msg_t *p = msg_create (MSG_PRIORITY);

    cr_assert_not_null (p);
    p->u.priority_req.id = 7;
    cr_assert_eq (msgtab_authorize (AUTH_ROLE_TENANT, p, &err), 0,
                  "a tenant may ask why: %s", err.text);
    p->u.priority_req.set_boost = true;
    p->u.priority_req.boost = 100;
    authorize_refuses (AUTH_ROLE_TENANT, p, "only operators may boost jobs");
    cr_assert_eq (msgtab_authorize (AUTH_ROLE_OPERATOR, p, &err), 0, "%s", err.text);
    authorize_refuses (AUTH_ROLE_AGENT, p, "agents may not send priority");
    msg_destroy (p);
}

Test (auth_authorize, agents_and_clients_keep_to_their_protocol)
{
    static const msg_type_t agent_types[] = {
        MSG_REGISTER, MSG_HEARTBEAT, MSG_JOB_STARTED, MSG_JOB_EXIT, MSG_LOGS_DATA};
    cphub_error_t err = {{0}};
    msg_t *m;

    for (size_t i = 0; i < sizeof (agent_types) / sizeof (agent_types[0]); i++) {
        cr_assert_not_null (m = msg_create (agent_types[i]));
        cr_assert_eq (msgtab_authorize (AUTH_ROLE_AGENT, m, &err), 0, "%s", err.text);
        authorize_refuses (AUTH_ROLE_TENANT, m, "tenants may not send");
        authorize_refuses (AUTH_ROLE_OPERATOR, m, "operators may not send");
        msg_destroy (m);
    }
    cr_assert_not_null (m = msg_create (MSG_SUBMIT));
    authorize_refuses (AUTH_ROLE_AGENT, m, "agents may not send submit");
    cr_assert_eq (msgtab_authorize (AUTH_ROLE_TENANT, m, &err), 0);
    cr_assert_eq (msgtab_authorize (AUTH_ROLE_COUNT, m, &err), -1);
    msg_destroy (m);
    /* the scheduler's own messages come from nobody */
    cr_assert_not_null (m = msg_create (MSG_JOB_RUN));
    authorize_refuses (AUTH_ROLE_OPERATOR, m, "operators may not send job.run");
    authorize_refuses (AUTH_ROLE_AGENT, m, "agents may not send job.run");
    msg_destroy (m);
}

/* The table and auth_authorize agree for every role and every type (with a
 * zeroed body: no boost, which is the one form narrower than its type). */
Test (auth_authorize, agrees_with_the_table)
{
    for (int t = 0; t < MSG_TYPE_COUNT; t++) {
        msg_t *m = msg_create ((msg_type_t)t);
        cr_assert_not_null (m, "type %d", t);
        for (int r = 0; r < AUTH_ROLE_COUNT; r++) {
            cphub_error_t err = {{0}};
            bool may = msgtab_may_send ((auth_role_t)r, (msg_type_t)t);
            cr_expect_eq (msgtab_authorize ((auth_role_t)r, m, &err) == 0, may,
                          "%s, %s: %s", auth_role_name ((auth_role_t)r),
                          msg_type_name ((msg_type_t)t), err.text);
        }
        msg_destroy (m);
    }
}

/* The other columns of the table: which sent messages a failed commit
 * holds back, and which handler records the agent's connection itself. */
Test (msgtab, other_columns)
{
    static const msg_type_t acks[] = {
        MSG_SUBMIT_OK,   MSG_CANCEL_OK, MSG_WAIT_OK,  MSG_NODE_DRAIN_OK,
        MSG_PRIORITY_OK, MSG_TENANT_OK, MSG_KEY_OK,   MSG_BUDGET_GRANT_OK,
        MSG_REGISTER_OK, MSG_JOB_RUN,   MSG_JOB_KILL, MSG_JOB_EXIT_ACK,
        MSG_JOBCTL_OK,
    };
    bool want[MSG_TYPE_COUNT] = {false};

    for (size_t i = 0; i < sizeof (acks) / sizeof (acks[0]); i++)
        want[acks[i]] = true;
    for (int t = 0; t < MSG_TYPE_COUNT; t++) {
        const msgtab_row_t *row = msgtab_row ((msg_type_t)t);
        cr_assert_not_null (row);
        cr_expect_eq (row->acknowledges_change, want[t], "%s",
                      msg_type_name ((msg_type_t)t));
        cr_expect (!row->acknowledges_change || row->auth.roles == 0,
                   "%s is sent by the scheduler only", msg_type_name ((msg_type_t)t));
        cr_expect_eq (row->sets_peer, t == MSG_REGISTER, "%s",
                      msg_type_name ((msg_type_t)t));
    }
    cr_assert_null (msgtab_row (MSG_TYPE_COUNT));
    cr_assert_null (msgtab_row ((msg_type_t)-1));
}

/* auth_authorize on a rule of its own: a NULL rule is nobody's, and a form
 * for operators only is refused to the others with what it would do. */
static const char *always_reset (const msg_t *m)
{
    (void)m;
    return "reset the hub";
}

Test (auth_authorize, any_rule)
{
    const auth_rule_t clients = {AUTH_CLIENTS, always_reset};
    cphub_error_t err = {{0}};
    msg_t *m = msg_create (MSG_SUBMIT);

    cr_assert_not_null (m);
    cr_assert_eq (auth_authorize (AUTH_ROLE_OPERATOR, NULL, m, &err), -1);
    cr_assert (strstr (err.text, "operators may not send submit"), "%s", err.text);
    cr_assert_not (auth_may_send (AUTH_ROLE_OPERATOR, NULL));
    cr_assert_eq (auth_authorize (AUTH_ROLE_OPERATOR, &clients, m, &err), 0);
    cr_assert_eq (auth_authorize (AUTH_ROLE_TENANT, &clients, m, &err), -1);
    cr_assert (strstr (err.text, "only operators may reset the hub"), "%s", err.text);
    cr_assert_eq (auth_authorize (AUTH_ROLE_AGENT, &clients, m, &err), -1);
    cr_assert (strstr (err.text, "agents may not send submit"), "%s", err.text);
    msg_destroy (m);
}
