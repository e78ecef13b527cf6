/* store_contract.h: what the contract suite of store.h (test_store.c,
 * test_store_records.c) shares: the table of stores it runs against, the
 * store of the running test, and STORE_TEST, which makes a test run once
 * per store. Adding a store to the suite is one row of store_kinds
 * (store_contract.c).
 */
#ifndef CPHUB_TESTS_STORE_CONTRACT_H
#define CPHUB_TESTS_STORE_CONTRACT_H

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdbool.h>
#include <stddef.h>

#include "scheduler/store.h"

typedef struct store_kind {
    const char *name;                                       /* its ops->name */
    store_t *(*open) (const char *dir, cphub_error_t *err); /* new or again */
    bool durable; /* closing and opening again keeps what was committed */
} store_kind_t;

extern const store_kind_t store_kinds[];
extern const size_t store_kinds_count;

/* The running test's store and its kind. */
extern const store_kind_t *kind;
extern store_t *st;

/* Open a new store of store_kinds[index] in a new directory (removed by
 * the suite's teardown). */
void contract_setup (size_t index);
/* Close and open again a durable store; a memory store stays as it is. */
void reopen (void);
/* Open and commit a batch, asserting success. */
void begin (void);
void commit (void);

/* Indices 0..store_kinds_count-1, for the parameters of STORE_TEST. */
struct criterion_test_params contract_params (void);

/* A contract test: one run per row of store_kinds (parameters are indices:
 * they cross process boundaries). */
#define STORE_TEST(name)                           \
    static void name##_body (void);                \
    ParameterizedTestParameters (store, name)      \
    {                                              \
        return contract_params ();                 \
    }                                              \
    ParameterizedTest (size_t *index, store, name) \
    {                                              \
        contract_setup (*index);                   \
        name##_body ();                            \
    }                                              \
    static void name##_body (void)

#endif
