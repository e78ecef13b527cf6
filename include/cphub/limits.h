/* limits.h: the sizes of the names and texts that many structures hold.
 *
 * A name or text field is `char x[X_MAX + 1]`: at most X_MAX bytes and the
 * NUL. The wire codec takes its limits from the fields themselves (sizeof),
 * so changing a number here changes what the protocol accepts: doc/protocol.md
 * gives the same numbers. Node names have theirs beside the node description
 * (NODE_NAME_MAX in resource.h), error texts beside the error
 * (CPHUB_ERROR_TEXT_MAX in error.h).
 */
#ifndef CPHUB_LIMITS_H
#define CPHUB_LIMITS_H

/* A tenant's name: in configs, keys, job records, accounting. */
#define TENANT_NAME_MAX 63

/* Why a job waits or how it ended ("Quota: tenant-a runs 16 of 16 cores
 * allowed"), why a node is down or drained, why a budget changed: long
 * enough that the limit or the node named at the end is not cut off. */
#define REASON_TEXT_MAX 127

#endif /* CPHUB_LIMITS_H */
