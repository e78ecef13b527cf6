/* clock.h: the one monotonic clock every program measures time with.
 *
 * Deadlines, timeouts and durations are taken from CLOCK_MONOTONIC so that
 * a change of the wall clock (NTP, an operator's date) neither fires them
 * early nor holds them back. cphub_monotonic() returns seconds and
 * cphub_monotonic_ms() milliseconds, both since an arbitrary start point
 * (boot on Linux): only differences between two readings mean anything.
 * Neither can fail on a system that has CLOCK_MONOTONIC (POSIX).
 */
#ifndef CPHUB_CLOCK_H
#define CPHUB_CLOCK_H

#include <stdint.h>

double cphub_monotonic (void);
int64_t cphub_monotonic_ms (void);

#endif /* CPHUB_CLOCK_H */
