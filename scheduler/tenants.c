/* tenants.c: the registry of tenants and tenant keys behind `cphub tenant`
 * and `cphub key` (see tenants.h for the rules).
 *
 * Two uthash tables: tenants by name and keys by public key (iterated in the
 * order they were added, which is the listing order). Nothing is ever freed
 * before tenants_destroy: a removed tenant and a revoked key stay as records
 * (so that the name is not given out again and the key is not taken back),
 * which also keeps the pointers of the dirty lists valid until
 * tenants_persist writes them. A request changes the registry, the identity
 * table (auth.h) and the core's shares at once, and queues the records it
 * changed; its reply is queued by handlers.c like any other and goes out
 * after the turn's commit. Pending and running counts come from the core
 * (sched_balance), so no request scans the jobs.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uthash.h>

#include "cphub/hash_free.h"
#include "cphub/log.h"
#include "cphub/parse.h"
#include "scheduler/tenants.h"

#define SHARES_MAX 1e9

typedef struct tenant_rec {
    char name[AUTH_NAME_MAX + 1]; /* key */
    tenant_source_t source;
    double shares;
    double created;
    bool removed;
    double removed_time;
    uint32_t keys; /* keys in force */
    bool stored;   /* the store has a row for it */
    bool dirty;    /* on the dirty list */
    struct tenant_rec *next_dirty;
    UT_hash_handle hh;
} tenant_rec_t;

typedef struct key_rec {
    char pubkey[KEY_Z85_LEN + 1]; /* key */
    char tenant[AUTH_NAME_MAX + 1];
    tenant_source_t source;
    double added;
    bool revoked;
    double revoked_time;
    bool dirty;
    struct key_rec *next_dirty;
    UT_hash_handle hh;
} key_rec_t;

struct tenants {
    tenant_rec_t *by_name; /* config tenants first, in file order */
    key_rec_t *by_key;     /* in the order added */
    tenant_rec_t *dirty_tenants;
    key_rec_t *dirty_keys;
};

/* --- records -------------------------------------------------------------- */

static tenant_rec_t *tenant_find (const tenants_t *t, const char *name)
{
    tenant_rec_t *rec = NULL;

    HASH_FIND_STR (t->by_name, name, rec);
    return rec;
}

static key_rec_t *key_find (const tenants_t *t, const char *pubkey)
{
    key_rec_t *rec = NULL;

    HASH_FIND_STR (t->by_key, pubkey, rec);
    return rec;
}

/* A new tenant record (name checked by the caller). NULL/ENOMEM. */
static tenant_rec_t *tenant_new (tenants_t *t, const char *name, tenant_source_t source)
{
    tenant_rec_t *rec = calloc (1, sizeof (*rec));

    if (!rec) {
        errno = ENOMEM;
        return NULL;
    }
    snprintf (rec->name, sizeof (rec->name), "%s", name);
    rec->source = source;
    rec->shares = 1.0;
    HASH_ADD_STR (t->by_name, name, rec);
    return rec;
}

static key_rec_t *key_new (tenants_t *t,
                           const char *pubkey,
                           const char *tenant,
                           tenant_source_t source)
{
    key_rec_t *rec = calloc (1, sizeof (*rec));

    if (!rec) {
        errno = ENOMEM;
        return NULL;
    }
    snprintf (rec->pubkey, sizeof (rec->pubkey), "%s", pubkey);
    snprintf (rec->tenant, sizeof (rec->tenant), "%s", tenant);
    rec->source = source;
    HASH_ADD_STR (t->by_key, pubkey, rec);
    return rec;
}

static void tenant_dirty (tenants_t *t, tenant_rec_t *rec)
{
    if (rec->dirty)
        return;
    rec->dirty = true;
    rec->next_dirty = t->dirty_tenants;
    t->dirty_tenants = rec;
}

static void key_dirty (tenants_t *t, key_rec_t *rec)
{
    if (rec->dirty)
        return;
    rec->dirty = true;
    rec->next_dirty = t->dirty_keys;
    t->dirty_keys = rec;
}

/* Take a key out of force: out of the identity table, its tenant's count
 * down. The caller marks it dirty when the change is to be stored. */
static void key_take_out (scheduler_t *sc, key_rec_t *k, double when)
{
    tenant_rec_t *owner = tenant_find (sc->tenants, k->tenant);

    if (auth_remove (sc->auth, k->pubkey) < 0)
        log_warn ("key %.8s... of tenant %s was not in the identity table", k->pubkey,
                  k->tenant);
    if (owner && owner->keys > 0)
        owner->keys--;
    k->revoked = true;
    k->revoked_time = when;
}

/* "2026-11-27 10:00:00 UTC" */
static void format_utc (double t, char *buf, size_t len)
{
    time_t secs = (time_t)t;
    struct tm tm;

    if (t <= 0 || !gmtime_r (&secs, &tm) ||
        strftime (buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf (buf, len, "an unknown time");
}

void tenants_destroy (tenants_t *t)
{
    if (!t)
        return;
    HASH_FREE_ALL (hh, t->by_name);
    HASH_FREE_ALL (hh, t->by_key);
    free (t);
}

/* --- restore -------------------------------------------------------------- */

static int config_key_cb (const char *pubkey, const char *identity, void *arg)
{
    scheduler_t *sc = arg;
    tenant_rec_t *owner;
    auth_role_t role;
    const char *name;

    if (auth_parse_identity (identity, &role, &name) < 0 || role != AUTH_ROLE_TENANT)
        return 0;
    if (!key_new (sc->tenants, pubkey, name, TENANT_SOURCE_CONFIG))
        return -1;
    if ((owner = tenant_find (sc->tenants, name)))
        owner->keys++;
    return 0;
}

/* Make the core know a run-time tenant (no quota but the default limit of
 * pending jobs, no budget unless an operator grants one), so that `cphub
 * budget grant` works before its first job; limits already set are kept. */
static int core_tenant_ensure (scheduler_t *sc, const char *name)
{
    sched_tenant_t lim;

    if (sched_tenant_get (sc->sched, name, &lim) == 0)
        return 0;
    memset (&lim, 0, sizeof (lim));
    snprintf (lim.name, sizeof (lim.name), "%s", name);
    lim.max_pending_jobs = SCHEDCONF_PENDING_JOBS_DEFAULT;
    return sched_tenant_set (sc->sched, &lim);
}

static int stored_tenant_cb (const store_tenant_t *st, void *arg)
{
    scheduler_t *sc = arg;
    cphub_error_t err = {{0}};
    tenant_rec_t *rec;

    if (!st->name || !parse_name_valid (st->name, AUTH_NAME_MAX)) {
        log_warn ("store: a tenant named '%.63s' is not a valid name; ignored",
                  st->name ? st->name : "");
        return 0;
    }
    if ((rec = tenant_find (sc->tenants, st->name))) {
        log_info ("tenant %s is defined in %s; its run-time record is not used",
                  st->name, sc->config->path);
        return 0;
    }
    if (!(rec = tenant_new (sc->tenants, st->name, TENANT_SOURCE_RUNTIME)))
        return -1;
    rec->shares = isfinite (st->shares) && st->shares > 0 ? st->shares : 1.0;
    rec->created = st->created;
    rec->removed = st->removed;
    rec->removed_time = st->removed_time;
    rec->stored = true;
    if (rec->removed)
        return 0;
    sched_tenant_policy_t pol = {.shares = rec->shares};
    snprintf (pol.name, sizeof (pol.name), "%s", rec->name);
    if (sched_tenant_policy_set (sc->sched, &pol, &err) < 0) {
        if (errno == ENOMEM)
            return -1;
        log_warn ("tenant %s: %s; it keeps 1 share", rec->name, err.text);
    }
    return core_tenant_ensure (sc, rec->name);
}

static int stored_key_cb (const store_key_t *sk, void *arg)
{
    scheduler_t *sc = arg;
    tenants_t *t = sc->tenants;
    cphub_error_t err = {{0}};
    key_rec_t *k;
    tenant_rec_t *owner;
    char when[40];

    if (!sk->pubkey || !keys_valid_z85 (sk->pubkey) || !sk->tenant ||
        !parse_name_valid (sk->tenant, AUTH_NAME_MAX)) {
        log_warn ("store: a tenant key record is malformed; ignored");
        return 0;
    }
    if ((k = key_find (t, sk->pubkey))) { /* a key of the config */
        if (sk->revoked && !k->revoked) {
            format_utc (sk->revoked_time, when, sizeof (when));
            log_warn (
                "key %.8s... of tenant %s in %s was revoked on %s: it stays "
                "refused; take it out of the config",
                k->pubkey, k->tenant, sc->config->path, when);
            key_take_out (sc, k, sk->revoked_time);
        }
        return 0;
    }
    owner = tenant_find (t, sk->tenant);
    if (!sk->revoked && (!owner || owner->removed)) {
        log_warn (
            "key %.8s... of tenant %s: the tenant is gone; the key is not "
            "restored",
            sk->pubkey, sk->tenant);
        return 0;
    }
    if (!sk->revoked &&
        auth_add (sc->auth, sk->pubkey, AUTH_ROLE_TENANT, sk->tenant, &err) < 0) {
        if (errno == ENOMEM)
            return -1;
        log_warn ("key %.8s... of tenant %s not restored: %s", sk->pubkey, sk->tenant,
                  err.text);
        return 0;
    }
    if (!(k = key_new (t, sk->pubkey, sk->tenant, TENANT_SOURCE_RUNTIME)))
        return -1;
    k->added = sk->added;
    k->revoked = sk->revoked;
    k->revoked_time = sk->revoked_time;
    if (!k->revoked)
        owner->keys++;
    return 0;
}

int tenants_restore (scheduler_t *sc, cphub_error_t *err)
{
    const schedconf_t *cfg = sc->config;
    uint32_t runtime = 0, removed = 0, revoked = 0;
    tenant_rec_t *rec, *rtmp;
    key_rec_t *k, *ktmp;

    if (!(sc->tenants = calloc (1, sizeof (*sc->tenants))))
        return cphub_fail (err, ENOMEM, "out of memory");
    for (uint32_t i = 0; i < cfg->ntenants; i++) {
        if (!(rec =
                  tenant_new (sc->tenants, cfg->tenants[i].name, TENANT_SOURCE_CONFIG)))
            return cphub_fail (err, ENOMEM, "out of memory");
        if (cfg->tenant_policies)
            rec->shares = cfg->tenant_policies[i].shares;
    }
    if (auth_foreach (sc->auth, config_key_cb, sc) < 0)
        return cphub_fail (err, ENOMEM, "out of memory");
    if (store_tenants_load (sc->store, stored_tenant_cb, sc, err) < 0 ||
        store_keys_load (sc->store, stored_key_cb, sc, err) < 0)
        return -1;
    HASH_ITER (hh, sc->tenants->by_name, rec, rtmp)
    {
        runtime += rec->source == TENANT_SOURCE_RUNTIME && !rec->removed;
        removed += rec->removed;
    }
    HASH_ITER (hh, sc->tenants->by_key, k, ktmp)
    {
        revoked += k->revoked;
    }
    log_info (
        "tenants: %u from the config, %u added at run time (%u removed); %u "
        "keys revoked",
        cfg->ntenants, runtime, removed, revoked);
    return 0;
}

/* --- persist -------------------------------------------------------------- */

int tenants_persist (scheduler_t *sc, cphub_error_t *err)
{
    tenants_t *t = sc->tenants;
    tenant_rec_t *rec;
    key_rec_t *k;

    if (!t)
        return 0;
    while ((rec = t->dirty_tenants)) {
        t->dirty_tenants = rec->next_dirty;
        rec->dirty = false;
        rec->next_dirty = NULL;
        if (rec->removed && rec->stored) {
            if (store_tenant_remove (sc->store, rec->name, rec->removed_time, err) < 0)
                return -1;
            continue;
        }
        store_tenant_t st = {.name = rec->name,
                             .shares = rec->shares,
                             .created = rec->created,
                             .removed = rec->removed,
                             .removed_time = rec->removed_time};
        if (store_tenant_put (sc->store, &st, err) < 0)
            return -1;
        rec->stored = true;
    }
    while ((k = t->dirty_keys)) {
        t->dirty_keys = k->next_dirty;
        k->dirty = false;
        k->next_dirty = NULL;
        if (k->source == TENANT_SOURCE_CONFIG) {
            if (store_key_revoke (sc->store, k->pubkey, k->tenant, k->revoked_time,
                                  err) < 0)
                return -1;
            continue;
        }
        store_key_t sk = {.pubkey = k->pubkey,
                          .tenant = k->tenant,
                          .added = k->added,
                          .revoked = k->revoked,
                          .revoked_time = k->revoked_time};
        if (store_key_put (sc->store, &sk, err) < 0)
            return -1;
    }
    return 0;
}

/* --- replies -------------------------------------------------------------- */

static void tenant_info_fill (scheduler_t *sc,
                              const tenant_rec_t *rec,
                              tenant_info_t *info)
{
    sched_balance_t b;

    memset (info, 0, sizeof (*info));
    snprintf (info->name, sizeof (info->name), "%s", rec->name);
    info->source = rec->source;
    info->shares = rec->shares;
    info->keys = rec->keys;
    info->created = rec->created;
    info->removed = rec->removed;
    if (rec->removed)
        return;
    sched_balance (sc->sched, rec->name, &b);
    info->pending = b.pending_jobs;
    info->running = b.running_jobs;
}

/* tenant.ok for count records (recs[i]). NULL/ENOMEM. */
static msg_t *tenant_reply (scheduler_t *sc, tenant_rec_t *const *recs, uint32_t count)
{
    msg_t *ok = msg_create (MSG_TENANT_OK);

    if (!ok)
        return NULL;
    if (count > 0 &&
        !(ok->u.tenant_list.tenants = calloc (count, sizeof (tenant_info_t)))) {
        msg_destroy (ok);
        return NULL;
    }
    for (uint32_t i = 0; i < count; i++)
        tenant_info_fill (sc, recs[i], &ok->u.tenant_list.tenants[i]);
    ok->u.tenant_list.count = count;
    return ok;
}

static void key_info_fill (const key_rec_t *k, key_info_t *info)
{
    memset (info, 0, sizeof (*info));
    snprintf (info->key, sizeof (info->key), "%s", k->pubkey);
    snprintf (info->tenant, sizeof (info->tenant), "%s", k->tenant);
    info->source = k->source;
    info->revoked = k->revoked;
    info->added = k->added;
    info->revoked_time = k->revoked_time;
}

/* key.ok with the keys of tenant (NULL: every tenant key), or only k when
 * k is given. NULL/ENOMEM. */
static msg_t *key_reply (const tenants_t *t, const char *tenant, const key_rec_t *k)
{
    msg_t *ok = msg_create (MSG_KEY_OK);
    uint32_t count = 0;
    key_rec_t *rec, *tmp;

    if (!ok)
        return NULL;
    if (k)
        count = 1;
    else
        HASH_ITER (hh, t->by_key, rec, tmp)
        {
            count += !tenant || strcmp (rec->tenant, tenant) == 0;
        }
    if (count > 0 && !(ok->u.key_list.keys = calloc (count, sizeof (key_info_t)))) {
        msg_destroy (ok);
        return NULL;
    }
    if (k)
        key_info_fill (k, &ok->u.key_list.keys[ok->u.key_list.count++]);
    else
        HASH_ITER (hh, t->by_key, rec, tmp)
        {
            if (!tenant || strcmp (rec->tenant, tenant) == 0)
                key_info_fill (rec, &ok->u.key_list.keys[ok->u.key_list.count++]);
        }
    return ok;
}

/* --- tenant requests ------------------------------------------------------ */

typedef msg_t *(*tenant_op_f) (scheduler_t *sc,
                               const char *who,
                               const msg_tenant_req_t *r);

/* The run-time tenant named in r for set and remove, or NULL with *error
 * set to the answer. */
static tenant_rec_t *runtime_tenant (scheduler_t *sc,
                                     const msg_tenant_req_t *r,
                                     msg_t **error)
{
    tenant_rec_t *rec = tenant_find (sc->tenants, r->name);

    if (!rec || rec->removed) {
        *error = msg_error_create (
            ENOENT, "no tenant '%.63s'; cphub tenant list shows them", r->name);
        return NULL;
    }
    if (rec->source == TENANT_SOURCE_CONFIG) {
        *error = msg_error_create (
            EPERM,
            "tenant '%s' is defined in scheduler.conf; %s it there "
            "and restart the scheduler",
            rec->name, r->op == TENANT_OP_REMOVE ? "remove" : "change");
        return NULL;
    }
    return rec;
}

static msg_t *tenant_list (scheduler_t *sc, const char *who, const msg_tenant_req_t *r)
{
    tenant_rec_t **recs = NULL, *rec, *tmp;
    uint32_t count = 0, n = HASH_COUNT (sc->tenants->by_name);
    msg_t *ok;

    (void)who;
    (void)r;
    if (n > 0 && !(recs = calloc (n, sizeof (*recs))))
        return NULL;
    HASH_ITER (hh, sc->tenants->by_name, rec, tmp)
    {
        if (!rec->removed)
            recs[count++] = rec;
    }
    ok = tenant_reply (sc, recs, count);
    free (recs);
    return ok;
}

static msg_t *tenant_add (scheduler_t *sc, const char *who, const msg_tenant_req_t *r)
{
    tenant_rec_t *rec = tenant_find (sc->tenants, r->name);
    double shares = r->shares > 0 ? r->shares : 1.0;
    cphub_error_t err = {{0}};
    char when[40];

    if (!parse_name_valid (r->name, AUTH_NAME_MAX))
        return msg_error_create (
            EINVAL, "tenant name '%.63s' must be 1 to %d of A-Z a-z 0-9 . _ -", r->name,
            AUTH_NAME_MAX);
    if (rec && rec->removed) {
        format_utc (rec->removed_time, when, sizeof (when));
        return msg_error_create (EEXIST,
                                 "tenant '%s' was removed on %s; its past jobs and "
                                 "accounting keep the name, so choose another",
                                 rec->name, when);
    }
    if (rec)
        return msg_error_create (EEXIST, "tenant '%s' exists already (%s)", rec->name,
                                 rec->source == TENANT_SOURCE_CONFIG
                                     ? "in scheduler.conf"
                                     : "added at run time");
    if (!isfinite (shares) || shares > SHARES_MAX)
        return msg_error_create (EINVAL, "shares must be more than 0 and at most %g",
                                 SHARES_MAX);
    sched_tenant_policy_t pol = {.shares = shares};
    snprintf (pol.name, sizeof (pol.name), "%s", r->name);
    if (sched_tenant_policy_set (sc->sched, &pol, &err) < 0)
        return msg_error_create (errno, "%s", err.text);
    if (core_tenant_ensure (sc, r->name) < 0)
        return msg_error_create (errno, "tenant '%s': %s", r->name, strerror (errno));
    if (!(rec = tenant_new (sc->tenants, r->name, TENANT_SOURCE_RUNTIME)))
        return NULL;
    rec->shares = shares;
    rec->created = sc->now;
    tenant_dirty (sc->tenants, rec);
    log_info ("tenant %s added by %s (%g shares)", rec->name, who, shares);
    return tenant_reply (sc, &rec, 1);
}

static msg_t *tenant_set (scheduler_t *sc, const char *who, const msg_tenant_req_t *r)
{
    cphub_error_t err = {{0}};
    msg_t *error = NULL;
    tenant_rec_t *rec = runtime_tenant (sc, r, &error);

    if (!rec)
        return error;
    sched_tenant_policy_t pol = {.shares = r->shares};
    snprintf (pol.name, sizeof (pol.name), "%s", rec->name);
    if (sched_tenant_policy_set (sc->sched, &pol, &err) < 0)
        return msg_error_create (errno, "%s", err.text);
    rec->shares = r->shares;
    tenant_dirty (sc->tenants, rec);
    log_info ("tenant %s set by %s: %g shares", rec->name, who, rec->shares);
    return tenant_reply (sc, &rec, 1);
}

static msg_t *tenant_remove (scheduler_t *sc,
                             const char *who,
                             const msg_tenant_req_t *r)
{
    msg_t *error = NULL;
    tenant_rec_t *rec = runtime_tenant (sc, r, &error);
    key_rec_t *k, *tmp;
    sched_balance_t b;
    uint32_t revoked = 0;

    if (!rec)
        return error;
    sched_balance (sc->sched, rec->name, &b);
    if (b.pending_jobs > 0 || b.running_jobs > 0)
        return msg_error_create (
            EBUSY,
            "tenant '%s' has %u pending and %u running jobs; cancel "
            "them (or let them end) first",
            rec->name, b.pending_jobs, b.running_jobs);
    HASH_ITER (hh, sc->tenants->by_key, k, tmp)
    {
        if (k->revoked || strcmp (k->tenant, rec->name) != 0)
            continue;
        key_take_out (sc, k, sc->now);
        key_dirty (sc->tenants, k);
        revoked++;
    }
    rec->removed = true;
    rec->removed_time = sc->now;
    rec->keys = 0;
    tenant_dirty (sc->tenants, rec);
    log_info ("tenant %s removed by %s (%u keys revoked with it)", rec->name, who,
              revoked);
    return tenant_reply (sc, &rec, 1);
}

static const tenant_op_f tenant_ops[TENANT_OP_COUNT] = {
    [TENANT_OP_LIST] = tenant_list,
    [TENANT_OP_ADD] = tenant_add,
    [TENANT_OP_SET] = tenant_set,
    [TENANT_OP_REMOVE] = tenant_remove,
};

/* --- key requests --------------------------------------------------------- */

typedef msg_t *(*key_op_f) (scheduler_t *sc, const char *who, const msg_key_req_t *r);

static msg_t *key_list (scheduler_t *sc, const char *who, const msg_key_req_t *r)
{
    (void)who;
    if (r->tenant[0] && !tenant_find (sc->tenants, r->tenant))
        return msg_error_create (
            ENOENT, "no tenant '%.63s'; cphub tenant list shows them", r->tenant);
    return key_reply (sc->tenants, r->tenant[0] ? r->tenant : NULL, NULL);
}

static msg_t *key_add (scheduler_t *sc, const char *who, const msg_key_req_t *r)
{
    tenant_rec_t *owner = tenant_find (sc->tenants, r->tenant);
    key_rec_t *k = key_find (sc->tenants, r->key);
    cphub_error_t err = {{0}};
    char when[40];

    if (!owner || owner->removed)
        return msg_error_create (
            ENOENT, "no tenant '%.63s'; cphub tenant list shows them", r->tenant);
    if (k && k->revoked) {
        format_utc (k->revoked_time, when, sizeof (when));
        return msg_error_create (
            EPERM,
            "key %.8s... was revoked on %s and is never taken back; "
            "make a new one with cphub keygen",
            r->key, when);
    }
    if (auth_add (sc->auth, r->key, AUTH_ROLE_TENANT, owner->name, &err) < 0)
        return msg_error_create (errno, "%s", err.text);
    if (!(k = key_new (sc->tenants, r->key, owner->name, TENANT_SOURCE_RUNTIME))) {
        auth_remove (sc->auth, r->key);
        return NULL;
    }
    k->added = sc->now;
    owner->keys++;
    key_dirty (sc->tenants, k);
    log_info ("key %.8s... added to tenant %s by %s", k->pubkey, owner->name, who);
    return key_reply (sc->tenants, NULL, k);
}

static msg_t *key_revoke (scheduler_t *sc, const char *who, const msg_key_req_t *r)
{
    key_rec_t *k = key_find (sc->tenants, r->key);
    const char *identity;
    char when[40];

    if (!k) {
        if ((identity = auth_lookup (sc->auth, r->key)))
            return msg_error_create (
                EPERM,
                "key %.8s... is the key of %s; only tenant keys are "
                "revoked at run time (take it out of scheduler.conf "
                "and restart)",
                r->key, identity);
        return msg_error_create (
            ENOENT, "no tenant key %.8s...; cphub key list shows them", r->key);
    }
    if (k->revoked) {
        format_utc (k->revoked_time, when, sizeof (when));
        return msg_error_create (EALREADY, "key %.8s... of tenant %s was revoked on %s",
                                 k->pubkey, k->tenant, when);
    }
    key_take_out (sc, k, sc->now);
    key_dirty (sc->tenants, k);
    log_info (
        "key %.8s... of tenant %s revoked by %s; refused from its next request on",
        k->pubkey, k->tenant, who);
    return key_reply (sc->tenants, NULL, k);
}

static const key_op_f key_ops[KEY_OP_COUNT] = {
    [KEY_OP_LIST] = key_list,
    [KEY_OP_ADD] = key_add,
    [KEY_OP_REVOKE] = key_revoke,
};

msg_t *tenants_request (scheduler_t *sc, const char *who, const msg_t *m)
{
    if (!sc->tenants)
        return msg_error_create (ENOTSUP, "this scheduler keeps no tenant registry");
    if (m->type == MSG_TENANT && (unsigned)m->u.tenant_req.op < TENANT_OP_COUNT)
        return tenant_ops[m->u.tenant_req.op](sc, who, &m->u.tenant_req);
    if (m->type == MSG_KEY && (unsigned)m->u.key_req.op < KEY_OP_COUNT)
        return key_ops[m->u.key_req.op](sc, who, &m->u.key_req);
    return msg_error_create (EPROTO, "not a tenant or key request");
}
