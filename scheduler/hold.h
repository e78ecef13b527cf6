/* hold.h: what each holder (an identity such as "tenant:acme") and each of
 * its client connections holds in the scheduler: parked waits, the job ids
 * they name, logs requests under way. Pure bookkeeping against the limits
 * of schedconf_limits_t; handlers.c takes before it parks something and
 * releases when it answers, forgets or frees it (the client went). Entries
 * that fall to zero are freed, so memory follows what is held, not how many
 * connections came and went.
 */
#ifndef CPHUB_SCHEDULER_HOLD_H
#define CPHUB_SCHEDULER_HOLD_H

#include <stdint.h>

#include "cphub/error.h"
#include "scheduler/config.h"

typedef struct hold hold_t;

typedef enum {
    HOLD_WAIT = 0, /* a parked wait (and the ids it names) */
    HOLD_LOGS,     /* a logs request forwarded to an agent */
    HOLD_KIND_COUNT
} hold_kind_t;

/* lim is copied. NULL/ENOMEM. */
hold_t *hold_create (const schedconf_limits_t *lim);
void hold_destroy (hold_t *h); /* NULL: nothing */

/* Take one thing of kind for holder on connection conn (0: not known, then
 * only the holder's limits apply), naming ids job ids (HOLD_WAIT). 0, or
 * -1/EAGAIN with err saying which limit ("tenant:acme already has 256
 * parked waits, the limit (scheduler.max_waits_per_tenant)") and nothing
 * taken; ENOMEM. */
int hold_take (hold_t *h,
               hold_kind_t kind,
               const char *holder,
               uint64_t conn,
               uint32_t ids,
               cphub_error_t *err);
/* Give back what hold_take took (same arguments). */
void hold_release (
    hold_t *h, hold_kind_t kind, const char *holder, uint64_t conn, uint32_t ids);

/* What is held: of kind by holder (conn 0) or by connection conn (holder
 * NULL); hold_ids: the ids holder's waits name. For tests and logs. */
uint32_t hold_count (const hold_t *h,
                     hold_kind_t kind,
                     const char *holder,
                     uint64_t conn);
uint64_t hold_ids (const hold_t *h, const char *holder);

#endif
