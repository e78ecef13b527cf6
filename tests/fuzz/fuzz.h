/* fuzz.h: what the fuzz targets in tests/fuzz/ share. Each fuzz_<name>.c
 * defines LLVMFuzzerTestOneInput; scripts/fuzz links it with libFuzzer
 * (clang -fsanitize=fuzzer), and `make check` links it with replay.c, which
 * feeds it every file of tests/fuzz/corpus/<name>/. A target must treat any
 * input as possible, return 0, and call fuzz_assert() for properties that
 * must hold (a decoded message encodes and decodes again to the same text):
 * a broken property aborts, which both drivers report as a failure.
 */
#ifndef CPHUB_FUZZ_H
#define CPHUB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Abort with the failed condition and where it is. */
#define fuzz_assert(cond)                                                        \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf (stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, \
                     #cond);                                                     \
            abort ();                                                            \
        }                                                                        \
    } while (0)

/* A NUL-terminated malloc'd copy of data[0..size-1] (exactly size + 1 bytes,
 * so that AddressSanitizer sees any read past the end); NULL on ENOMEM. */
static inline char *fuzz_strndup (const uint8_t *data, size_t size)
{
    char *s = malloc (size + 1);

    if (!s)
        return NULL;
    for (size_t i = 0; i < size; i++)
        s[i] = (char)data[i];
    s[size] = '\0';
    return s;
}

/* An exact-size malloc'd copy, not NUL-terminated (a frame as it comes off
 * the wire); ASan flags any read past size (one byte is allocated for 0). */
static inline uint8_t *fuzz_memdup (const uint8_t *data, size_t size)
{
    uint8_t *p = malloc (size ? size : 1);

    if (!p)
        return NULL;
    for (size_t i = 0; i < size; i++)
        p[i] = data[i];
    return p;
}

#endif
