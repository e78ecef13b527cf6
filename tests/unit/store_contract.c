/* store_contract.c: the stores the contract suite of store.h runs against,
 * one row each, and the setup of each test's store (store_contract.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "store_contract.h"

#define STORE_DIR_MAX 64
#define STORE_PATH_MAX 128
#define STORE_KINDS_MAX 8

static store_t *mem_open (const char *dir, cphub_error_t *err)
{
    (void)dir;
    return store_mem_create (err);
}

static store_t *sqlite_open (const char *dir, cphub_error_t *err)
{
    char path[STORE_PATH_MAX];

    snprintf (path, sizeof (path), "%s/cphub.db", dir);
    return store_sqlite_create (path, STORE_SYNC_FULL, err);
}

/* Every store that keeps the contract: one row each. */
const store_kind_t store_kinds[] = {
    {.name = "memory", .open = mem_open},
    {.name = "sqlite", .open = sqlite_open, .durable = true},
};
const size_t store_kinds_count = sizeof (store_kinds) / sizeof (store_kinds[0]);

/* The test's store: its kind (by index: parameters cross process
 * boundaries), its directory and the open store. */
const store_kind_t *kind;
static char dir[STORE_DIR_MAX];
store_t *st;

static void store_open (void)
{
    cphub_error_t err = {{0}};

    st = kind->open (dir, &err);
    cr_assert_not_null (st, "%s store: %s", kind->name, err.text);
}

void reopen (void)
{
    if (!kind->durable)
        return;
    store_destroy (st);
    store_open ();
}

void contract_setup (size_t index)
{
    cr_assert_lt (index, store_kinds_count);
    kind = &store_kinds[index];
    snprintf (dir, sizeof (dir), "/tmp/cphub-store-contract.XXXXXX");
    cr_assert_not_null (mkdtemp (dir));
    store_open ();
}

static void contract_teardown (void)
{
    char cmd[STORE_PATH_MAX];

    store_destroy (st);
    st = NULL;
    if (dir[0]) {
        snprintf (cmd, sizeof (cmd), "rm -rf '%s'", dir);
        cr_assert_eq (system (cmd), 0);
    }
}

TestSuite (store, .fini = contract_teardown);

struct criterion_test_params contract_params (void)
{
    static size_t indices[STORE_KINDS_MAX];

    cr_assert_leq (store_kinds_count, STORE_KINDS_MAX);
    for (size_t i = 0; i < store_kinds_count; i++)
        indices[i] = i;
    return cr_make_param_array (size_t, indices, store_kinds_count);
}

void begin (void)
{
    cphub_error_t err = {{0}};
    cr_assert_eq (store_begin (st, &err), 0, "%s", err.text);
}

void commit (void)
{
    cphub_error_t err = {{0}};
    cr_assert_eq (store_commit (st, &err), 0, "%s", err.text);
}
