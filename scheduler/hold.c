/* hold.c: counts of what holders and connections hold, against their
 * limits (see hold.h). Two hash tables: holders by identity, connections
 * by serial; an entry lives while it holds something.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "cphub/hash_free.h"
#include "scheduler/hold.h"

typedef struct hold_entry {
    uint64_t conn;                   /* key of by_conn */
    char holder[AUTH_NAME_MAX + 16]; /* key of by_holder: "tenant:acme" */
    uint32_t count[HOLD_KIND_COUNT];
    uint64_t ids;
    UT_hash_handle hh;
} hold_entry_t;

struct hold {
    schedconf_limits_t lim;
    hold_entry_t *by_holder;
    hold_entry_t *by_conn;
};

/* The limits of each kind, and the settings that name them. */
typedef struct hold_limit {
    size_t per_holder; /* offsets of uint32_t in schedconf_limits_t */
    size_t per_conn;
    const char *holder_setting;
    const char *conn_setting;
    const char *what;
} hold_limit_t;

static const hold_limit_t hold_limits[HOLD_KIND_COUNT] = {
    [HOLD_WAIT] = {offsetof (schedconf_limits_t, waits_per_tenant),
                   offsetof (schedconf_limits_t, waits_per_connection),
                   "scheduler.max_waits_per_tenant",
                   "scheduler.max_waits_per_connection", "parked waits"},
    [HOLD_LOGS] = {offsetof (schedconf_limits_t, logs_per_tenant),
                   offsetof (schedconf_limits_t, logs_per_connection),
                   "scheduler.max_logs_per_tenant", "scheduler.max_logs_per_connection",
                   "logs requests under way"},
};

static uint32_t limit_of (const hold_t *h, size_t offset)
{
    return *(const uint32_t *)((const char *)&h->lim + offset);
}

hold_t *hold_create (const schedconf_limits_t *lim)
{
    hold_t *h = calloc (1, sizeof (*h));

    if (!h)
        return NULL;
    h->lim = *lim;
    return h;
}

static void table_free (hold_entry_t **table)
{
    HASH_FREE_ALL (hh, *table);
}

void hold_destroy (hold_t *h)
{
    if (!h)
        return;
    table_free (&h->by_holder);
    table_free (&h->by_conn);
    free (h);
}

static hold_entry_t *find_holder (const hold_t *h, const char *holder)
{
    hold_entry_t *e = NULL;

    HASH_FIND_STR (h->by_holder, holder, e);
    return e;
}

static hold_entry_t *find_conn (const hold_t *h, uint64_t conn)
{
    hold_entry_t *e = NULL;

    HASH_FIND (hh, h->by_conn, &conn, sizeof (conn), e);
    return e;
}

static bool entry_empty (const hold_entry_t *e)
{
    for (int k = 0; k < HOLD_KIND_COUNT; k++)
        if (e->count[k] > 0)
            return false;
    return e->ids == 0;
}

int hold_take (hold_t *h,
               hold_kind_t kind,
               const char *holder,
               uint64_t conn,
               uint32_t ids,
               cphub_error_t *err)
{
    const hold_limit_t *hl = &hold_limits[kind];
    hold_entry_t *he = find_holder (h, holder), *ce = conn ? find_conn (h, conn) : NULL;
    uint32_t max_holder = limit_of (h, hl->per_holder);
    uint32_t max_conn = limit_of (h, hl->per_conn);
    bool new_he = false;

    if (he && he->count[kind] >= max_holder)
        return cphub_fail (err, EAGAIN,
                           "%s already has %u %s, the limit (%s); try again when "
                           "some are answered",
                           holder, he->count[kind], hl->what, hl->holder_setting);
    if (ce && ce->count[kind] >= max_conn)
        return cphub_fail (err, EAGAIN,
                           "this connection already has %u %s, the limit (%s)",
                           ce->count[kind], hl->what, hl->conn_setting);
    if (kind == HOLD_WAIT && (he ? he->ids : 0) + ids > h->lim.waited_ids_per_tenant)
        return cphub_fail (err, EAGAIN,
                           "%s already waits on %" PRIu64
                           " jobs; %u more would pass "
                           "the limit of %u (scheduler.max_waited_ids_per_tenant)",
                           holder, he ? he->ids : 0, ids, h->lim.waited_ids_per_tenant);
    if (strlen (holder) >= sizeof (he->holder))
        return cphub_fail (err, EINVAL, "identity too long: %s", holder);
    if (!he) {
        if (!(he = calloc (1, sizeof (*he))))
            return cphub_fail (err, ENOMEM, "the scheduler is out of memory");
        snprintf (he->holder, sizeof (he->holder), "%s", holder);
        HASH_ADD_STR (h->by_holder, holder, he);
        new_he = true;
    }
    if (conn && !ce) {
        if (!(ce = calloc (1, sizeof (*ce)))) {
            if (new_he) {
                HASH_DEL (h->by_holder, he);
                free (he);
            }
            return cphub_fail (err, ENOMEM, "the scheduler is out of memory");
        }
        ce->conn = conn;
        HASH_ADD (hh, h->by_conn, conn, sizeof (ce->conn), ce);
    }
    he->count[kind]++;
    if (kind == HOLD_WAIT)
        he->ids += ids;
    if (ce)
        ce->count[kind]++;
    return 0;
}

void hold_release (
    hold_t *h, hold_kind_t kind, const char *holder, uint64_t conn, uint32_t ids)
{
    hold_entry_t *he = find_holder (h, holder), *ce = conn ? find_conn (h, conn) : NULL;

    if (he) {
        if (he->count[kind] > 0)
            he->count[kind]--;
        if (kind == HOLD_WAIT)
            he->ids = he->ids > ids ? he->ids - ids : 0;
        if (entry_empty (he)) {
            HASH_DEL (h->by_holder, he);
            free (he);
        }
    }
    if (ce) {
        if (ce->count[kind] > 0)
            ce->count[kind]--;
        if (entry_empty (ce)) {
            HASH_DEL (h->by_conn, ce);
            free (ce);
        }
    }
}

uint32_t hold_count (const hold_t *h,
                     hold_kind_t kind,
                     const char *holder,
                     uint64_t conn)
{
    const hold_entry_t *e = holder ? find_holder (h, holder) : find_conn (h, conn);

    return e ? e->count[kind] : 0;
}

uint64_t hold_ids (const hold_t *h, const char *holder)
{
    const hold_entry_t *e = find_holder (h, holder);

    return e ? e->ids : 0;
}
