/* test_store_records.c: the contract of store.h beside the jobs, run
 * against every store (store_contract.h): accounting records appended and
 * read back in order and added up per tenant and node, nodes put, replaced
 * and loaded in name order, the next job id, tenants and keys changed at
 * run time, and a hub identity given once. Each test reads back after
 * reopen(), so that a durable store is checked across a restart.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_contract.h"

#include "cphub/limits.h"
#include "cphub/resource.h"

/* --- accounting ------------------------------------------------------------ */

typedef struct acct_seen {
    int count;
    int stop_after;
    store_acct_t recs[300];
} acct_seen_t;

static int acct_cb (const store_acct_t *rec, void *arg)
{
    acct_seen_t *s = arg;

    if (s->stop_after && s->count == s->stop_after) {
        errno = EINTR;
        return -1;
    }
    cr_assert_lt (s->count, 300);
    s->recs[s->count++] = *rec;
    return 0;
}

static store_acct_t acct_make (uint64_t job_id, bool failed_run)
{
    store_acct_t rec = {
        .job_id = job_id,
        .run = failed_run ? 1 : 2,
        .cores = 4,
        .gpus = 1,
        .start_time = 100.0,
        .end_time = 110.0,
        .state = failed_run ? JOB_NODE_FAIL : JOB_COMPLETED,
        .core_seconds = 40.0,
        .gpu_seconds = 10.0,
        .failed_run = failed_run,
    };
    snprintf (rec.tenant, sizeof (rec.tenant), "acme");
    snprintf (rec.node, sizeof (rec.node), "node%ju", (uintmax_t)job_id % 3);
    return rec;
}

STORE_TEST (accounting_in_append_order)
{
    cphub_error_t err = {{0}};
    acct_seen_t *seen = calloc (1, sizeof (*seen));
    store_acct_t rec;

    cr_assert_eq (store_acct_foreach (st, acct_cb, seen, &err), 0, "%s", err.text);
    cr_assert_eq (seen->count, 0);
    begin ();
    /* a requeued job: its node failed, then it ran again */
    rec = acct_make (9, true);
    cr_assert_eq (store_acct_append (st, &rec, &err), 0, "%s", err.text);
    rec = acct_make (3, false);
    cr_assert_eq (store_acct_append (st, &rec, &err), 0, "%s", err.text);
    rec = acct_make (9, false);
    cr_assert_eq (store_acct_append (st, &rec, &err), 0, "%s", err.text);
    commit ();
    /* the record was copied */
    memset (&rec, 0, sizeof (rec));
    reopen ();

    cr_assert_eq (store_acct_foreach (st, acct_cb, seen, &err), 0, "%s", err.text);
    cr_assert_eq (seen->count, 3);
    cr_assert_eq (seen->recs[0].job_id, 9);
    cr_assert (seen->recs[0].failed_run);
    cr_assert_eq (seen->recs[0].state, JOB_NODE_FAIL);
    cr_assert_eq (seen->recs[1].job_id, 3);
    cr_assert_eq (seen->recs[0].run, 1);
    cr_assert_eq (seen->recs[2].job_id, 9);
    cr_assert_eq (seen->recs[2].run, 2);
    cr_assert_not (seen->recs[2].failed_run);
    cr_assert_str_eq (seen->recs[1].tenant, "acme");
    cr_assert_str_eq (seen->recs[1].node, "node0");
    cr_assert_eq (seen->recs[1].cores, 4);
    cr_assert_eq (seen->recs[1].gpus, 1);
    cr_assert_float_eq (seen->recs[1].core_seconds, 40.0, 1e-9);
    cr_assert_float_eq (seen->recs[1].gpu_seconds, 10.0, 1e-9);
    cr_assert_float_eq (seen->recs[1].end_time - seen->recs[1].start_time, 10.0, 1e-9);
    free (seen);
}

STORE_TEST (accounting_grows_and_stops)
{
    cphub_error_t err = {{0}};
    acct_seen_t *seen = calloc (1, sizeof (*seen));

    for (int batch = 0; batch < 3; batch++) {
        begin ();
        for (uint64_t i = 0; i < 100; i++) {
            store_acct_t rec = acct_make ((uint64_t)batch * 100 + i + 1, false);
            cr_assert_eq (store_acct_append (st, &rec, &err), 0, "%s", err.text);
        }
        commit ();
    }
    cr_assert_eq (store_acct_foreach (st, acct_cb, seen, &err), 0, "%s", err.text);
    cr_assert_eq (seen->count, 300);
    for (int i = 0; i < 300; i++)
        cr_assert_eq (seen->recs[i].job_id, (uint64_t)i + 1, "record %d", i);

    memset (seen, 0, sizeof (*seen));
    seen->stop_after = 10;
    errno = 0;
    cr_assert_eq (store_acct_foreach (st, acct_cb, seen, &err), -1);
    cr_assert_eq (errno, EINTR);
    cr_assert_eq (seen->count, 10);
    cr_assert (strstr (err.text, "accounting"), "%s", err.text);
    free (seen);
}

/* --- nodes ------------------------------------------------------------------ */

static void desc_make (node_desc_t *d, const char *name, uint32_t ncores)
{
    node_desc_init (d);
    snprintf (d->name, sizeof (d->name), "%s", name);
    d->npackages = 1;
    d->nnuma = 1;
    cr_assert_not_null (d->numa_mem = calloc (1, sizeof (*d->numa_mem)));
    d->numa_mem[0] = 8ULL << 30;
    d->mem = 8ULL << 30;
    d->ncores = ncores;
    cr_assert_not_null (d->cores = calloc (ncores, sizeof (*d->cores)));
    for (uint32_t i = 0; i < ncores; i++)
        snprintf (d->cores[i].pus, sizeof (d->cores[i].pus), "%u", i);
    snprintf (d->features, sizeof (d->features), "avx512");
    snprintf (d->topology, sizeof (d->topology), "synthetic:core:%u pu:1", ncores);
}

#define NODES_MAX 8

typedef struct nodes_seen {
    int count;
    char name[NODES_MAX][NODE_NAME_MAX + 1];
    node_state_t state[NODES_MAX];
    char reason[NODES_MAX][128];
    uint32_t ncores[NODES_MAX];
    char last_pus[NODES_MAX][64];
    char features[NODES_MAX][256];
    uint64_t mem[NODES_MAX];
} nodes_seen_t;

static int node_cb (const store_node_t *node, void *arg)
{
    nodes_seen_t *s = arg;
    int i = s->count;

    cr_assert_lt (i, NODES_MAX);
    cr_assert_not_null (node->desc);
    snprintf (s->name[i], sizeof (s->name[i]), "%s", node->desc->name);
    s->state[i] = node->state;
    snprintf (s->reason[i], sizeof (s->reason[i]), "%s",
              node->reason ? node->reason : "");
    s->ncores[i] = node->desc->ncores;
    if (node->desc->ncores > 0)
        snprintf (s->last_pus[i], sizeof (s->last_pus[i]), "%s",
                  node->desc->cores[node->desc->ncores - 1].pus);
    snprintf (s->features[i], sizeof (s->features[i]), "%s", node->desc->features);
    s->mem[i] = node->desc->mem;
    s->count++;
    return 0;
}

static void assert_node_ops (void)
{
    cr_assert_not_null (st->ops->node_put, "%s store has no node_put", kind->name);
    cr_assert_not_null (st->ops->nodes_load, "%s store has no nodes_load", kind->name);
}

STORE_TEST (nodes_put_and_load_in_name_order)
{
    cphub_error_t err = {{0}};
    nodes_seen_t seen = {0};
    node_desc_t a, b;
    store_node_t na = {.desc = &b, .state = NODE_DOWN, .reason = ""};
    store_node_t nb = {.desc = &a, .state = NODE_DRAIN, .reason = "new disks"};

    assert_node_ops ();
    desc_make (&a, "node1", 4);
    desc_make (&b, "node2", 8);
    errno = 0;
    cr_assert_eq (store_node_put (st, &na, &err), -1, "a write outside a batch");
    cr_assert_eq (errno, EINVAL);
    begin ();
    cr_assert_eq (store_node_put (st, &na, &err), 0, "%s", err.text);
    cr_assert_eq (store_node_put (st, &nb, &err), 0, "%s", err.text);
    commit ();
    /* the store keeps copies */
    node_desc_clear (&a);
    node_desc_clear (&b);
    reopen ();

    cr_assert_eq (store_nodes_load (st, node_cb, &seen, &err), 0, "%s", err.text);
    cr_assert_eq (seen.count, 2);
    cr_assert_str_eq (seen.name[0], "node1");
    cr_assert_eq (seen.state[0], NODE_DRAIN);
    cr_assert_str_eq (seen.reason[0], "new disks");
    cr_assert_eq (seen.ncores[0], 4);
    cr_assert_str_eq (seen.last_pus[0], "3");
    cr_assert_str_eq (seen.features[0], "avx512");
    cr_assert_eq (seen.mem[0], 8ULL << 30);
    cr_assert_str_eq (seen.name[1], "node2");
    cr_assert_eq (seen.state[1], NODE_DOWN);
    cr_assert_eq (seen.ncores[1], 8);
}

STORE_TEST (node_put_replaces)
{
    cphub_error_t err = {{0}};
    nodes_seen_t seen = {0};
    node_desc_t d;
    store_node_t n = {.desc = &d, .state = NODE_DRAIN, .reason = "broken fan"};

    assert_node_ops ();
    desc_make (&d, "node1", 2);
    begin ();
    cr_assert_eq (store_node_put (st, &n, &err), 0, "%s", err.text);
    commit ();
    node_desc_clear (&d);

    /* it came back with more cores and was resumed */
    desc_make (&d, "node1", 6);
    n.state = NODE_DOWN;
    n.reason = "";
    begin ();
    cr_assert_eq (store_node_put (st, &n, &err), 0, "%s", err.text);
    commit ();
    node_desc_clear (&d);

    cr_assert_eq (store_nodes_load (st, node_cb, &seen, &err), 0, "%s", err.text);
    cr_assert_eq (seen.count, 1);
    cr_assert_eq (seen.ncores[0], 6);
    cr_assert_eq (seen.state[0], NODE_DOWN);
    cr_assert_str_empty (seen.reason[0]);
}

STORE_TEST (next_id)
{
    cphub_error_t err = {{0}};
    uint64_t next = 0;

    cr_assert_not_null (st->ops->next_id_get, "%s store: no next_id_get", kind->name);
    cr_assert_not_null (st->ops->next_id_set, "%s store: no next_id_set", kind->name);
    cr_assert_eq (store_next_id_get (st, &next, &err), 0, "%s", err.text);
    cr_assert_eq (next, 1, "an empty store starts at 1");
    errno = 0;
    cr_assert_eq (store_next_id_set (st, 5, &err), -1, "set outside a batch");
    cr_assert_eq (errno, EINVAL);
    begin ();
    cr_assert_eq (store_next_id_set (st, 42, &err), 0, "%s", err.text);
    commit ();
    reopen ();
    cr_assert_eq (store_next_id_get (st, &next, &err), 0, "%s", err.text);
    cr_assert_eq (next, 42);
}

/* --- accounting totals for the report -------------------------------------- */

typedef struct total {
    char tenant[TENANT_NAME_MAX + 1];
    char node[NODE_NAME_MAX + 1];
    double core_seconds, gpu_seconds, first_start, last_end;
} total_t;

typedef struct totals {
    int count;
    total_t t[8];
} totals_t;

static int totals_cb (const store_acct_t *rec, void *arg)
{
    totals_t *s = arg;
    total_t *t = NULL;

    for (int i = 0; i < s->count && !t; i++)
        if (!strcmp (s->t[i].tenant, rec->tenant) && !strcmp (s->t[i].node, rec->node))
            t = &s->t[i];
    if (!t) {
        cr_assert_lt (s->count, 8);
        t = &s->t[s->count++];
        snprintf (t->tenant, sizeof (t->tenant), "%s", rec->tenant);
        snprintf (t->node, sizeof (t->node), "%s", rec->node);
    }
    t->core_seconds += rec->core_seconds;
    t->gpu_seconds += rec->gpu_seconds;
    if (rec->start_time > 0 &&
        (t->first_start == 0 || rec->start_time < t->first_start))
        t->first_start = rec->start_time;
    if (rec->end_time > t->last_end)
        t->last_end = rec->end_time;
    return 0;
}

static const total_t *total_of (const totals_t *s, const char *tenant, const char *node)
{
    for (int i = 0; i < s->count; i++)
        if (!strcmp (s->t[i].tenant, tenant) && !strcmp (s->t[i].node, node))
            return &s->t[i];
    cr_assert_fail ("no totals for %s on %s", tenant, node);
    return NULL;
}

STORE_TEST (accounting_totals)
{
    cphub_error_t err = {{0}};
    totals_t s = {0};
    store_acct_t rec;
    const total_t *t;

    begin ();
    rec = acct_make (3, false); /* acme on node0, 100..110, 40 core-s */
    cr_assert_eq (store_acct_append (st, &rec, &err), 0, "%s", err.text);
    rec = acct_make (6, false); /* acme on node0 again */
    rec.start_time = 50.0;
    rec.end_time = 300.0;
    rec.core_seconds = 1000.0;
    cr_assert_eq (store_acct_append (st, &rec, &err), 0, "%s", err.text);
    rec = acct_make (4, true); /* acme on node1 */
    cr_assert_eq (store_acct_append (st, &rec, &err), 0, "%s", err.text);
    rec = acct_make (7, false); /* beta on node1 */
    snprintf (rec.tenant, sizeof (rec.tenant), "beta");
    rec.gpu_seconds = 5.0;
    cr_assert_eq (store_acct_append (st, &rec, &err), 0, "%s", err.text);
    commit ();

    cr_assert_eq (store_acct_totals (st, totals_cb, &s, &err), 0, "%s", err.text);
    cr_assert_eq (s.count, 3);
    t = total_of (&s, "acme", "node0");
    cr_assert_float_eq (t->core_seconds, 1040.0, 1e-9);
    cr_assert_float_eq (t->gpu_seconds, 20.0, 1e-9);
    cr_assert_float_eq (t->first_start, 50.0, 1e-9);
    cr_assert_float_eq (t->last_end, 300.0, 1e-9);
    t = total_of (&s, "acme", "node1");
    cr_assert_float_eq (t->core_seconds, 40.0, 1e-9);
    t = total_of (&s, "beta", "node1");
    cr_assert_float_eq (t->gpu_seconds, 5.0, 1e-9);
}

/* --- tenants and keys changed at run time ----------------------------------- */

typedef struct tk_seen {
    int tenants, removed, keys, revoked;
    char names[8][64];
    char key_tenants[8][64];
    double shares[8];
} tk_seen_t;

static int tk_tenant_cb (const store_tenant_t *t, void *arg)
{
    tk_seen_t *s = arg;

    if (s->tenants < 8) {
        snprintf (s->names[s->tenants], sizeof (s->names[0]), "%s", t->name);
        s->shares[s->tenants] = t->shares;
    }
    s->tenants++;
    s->removed += t->removed;
    return 0;
}

static int tk_key_cb (const store_key_t *k, void *arg)
{
    tk_seen_t *s = arg;

    if (s->keys < 8)
        snprintf (s->key_tenants[s->keys], sizeof (s->key_tenants[0]), "%s", k->tenant);
    s->keys++;
    s->revoked += k->revoked;
    return 0;
}

#define TK_K1 "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
#define TK_K2 "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
#define TK_K3 "0123456789abcdefghijklmnopqrstuvwxyzABCD"

/* Write two tenants (one removed later) and three keys (one a config key
 * whose revocation alone is stored), in two batches. */
static void tk_write (void)
{
    cphub_error_t err = {{0}};
    store_tenant_t zeta = {.name = "zeta", .shares = 2.5, .created = 100};
    store_tenant_t acme = {.name = "acme", .shares = 1, .created = 200};
    store_key_t k1 = {.pubkey = TK_K1, .tenant = "zeta", .added = 101};
    store_key_t k2 = {.pubkey = TK_K2, .tenant = "acme", .added = 201};

    errno = 0;
    cr_assert_eq (store_tenant_put (st, &zeta, &err), -1, "outside a batch");
    cr_assert_eq (errno, EINVAL);
    cr_assert_eq (store_begin (st, &err), 0, "%s", err.text);
    cr_assert_eq (store_tenant_put (st, &zeta, &err), 0, "%s", err.text);
    cr_assert_eq (store_tenant_put (st, &acme, &err), 0, "%s", err.text);
    cr_assert_eq (store_key_put (st, &k1, &err), 0, "%s", err.text);
    cr_assert_eq (store_key_put (st, &k2, &err), 0, "%s", err.text);
    cr_assert_eq (store_commit (st, &err), 0, "%s", err.text);
    cr_assert_eq (store_begin (st, &err), 0, "%s", err.text);
    zeta.shares = 4; /* tenant set */
    cr_assert_eq (store_tenant_put (st, &zeta, &err), 0, "%s", err.text);
    cr_assert_eq (store_tenant_remove (st, "acme", 300, &err), 0, "%s", err.text);
    errno = 0;
    cr_assert_eq (store_tenant_remove (st, "nobody", 300, &err), -1);
    cr_assert_eq (errno, ENOENT);
    cr_assert_eq (store_key_revoke (st, TK_K2, "acme", 300, &err), 0, "%s", err.text);
    cr_assert_eq (store_key_revoke (st, TK_K3, "tenant-a", 301, &err), 0, "%s",
                  err.text);
    cr_assert_eq (store_commit (st, &err), 0, "%s", err.text);
}

static void tk_check (void)
{
    cphub_error_t err = {{0}};
    tk_seen_t s = {0};

    cr_assert_eq (store_tenants_load (st, tk_tenant_cb, &s, &err), 0, "%s", err.text);
    cr_assert_eq (s.tenants, 2);
    cr_assert_eq (s.removed, 1);
    cr_assert_str_eq (s.names[0], "acme", "in name order");
    cr_assert_str_eq (s.names[1], "zeta");
    cr_assert_eq (s.shares[1], 4.0);
    cr_assert_eq (store_keys_load (st, tk_key_cb, &s, &err), 0, "%s", err.text);
    cr_assert_eq (s.keys, 3);
    cr_assert_eq (s.revoked, 2);
    cr_assert_str_eq (s.key_tenants[0], "zeta", "in the order first stored");
    cr_assert_str_eq (s.key_tenants[1], "acme");
    cr_assert_str_eq (s.key_tenants[2], "tenant-a");
}

STORE_TEST (tenants_and_keys)
{
    tk_write ();
    tk_check ();
    reopen ();
    tk_check ();
}

STORE_TEST (a_hub_identity_is_given_once_and_kept)
{
    store_identity_t id = {.hub_id = "00112233445566778899aabbccddeeff", .created = 5};
    store_identity_t got;
    cphub_error_t err = {{0}};

    errno = 0;
    cr_assert_eq (store_identity_get (st, &got, &err), -1);
    cr_assert_eq (errno, ENOENT, "no hub until it is given one");
    cr_assert (strstr (err.text, "no hub here"), "%s", err.text);
    cr_assert_eq (store_identity_set (st, &id, &err), -1, "outside a batch");
    cr_assert_eq (errno, EINVAL);
    begin ();
    cr_assert_eq (store_identity_set (st, &id, &err), 0, "%s", err.text);
    errno = 0;
    cr_assert_eq (store_identity_set (st, &id, &err), -1, "never given twice");
    cr_assert_eq (errno, EEXIST);
    commit ();
    reopen ();
    cr_assert_eq (store_identity_get (st, &got, &err), 0, "%s", err.text);
    cr_assert_str_eq (got.hub_id, id.hub_id);
    cr_assert_float_eq (got.created, 5, 1e-9);
}
