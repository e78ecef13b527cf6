/* clock.c: the monotonic clock (clock.h), read in one place so that every
 * deadline in the daemons, the CLI and the benchmarks uses the same one. */
#include <time.h>

#include "cphub/clock.h"

double cphub_monotonic (void)
{
    struct timespec ts;

    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t cphub_monotonic_ms (void)
{
    struct timespec ts;

    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
