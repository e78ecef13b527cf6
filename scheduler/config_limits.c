/* config_limits.c: the settings that bound what one tenant or one client
 * connection can make the scheduler hold (parked waits, logs requests,
 * unread replies, connections, file descriptors) and how long one request
 * may hold its loop, loaded into schedconf_t.limits by schedconf_load
 * (config.c lists them in its settings table). Each is a named default
 * here; doc/security.md says which attack each one stops.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include "cphub/msg.h"
#include "scheduler/config.h"

#define DEFAULT_WAITS_PER_CONNECTION 16
#define DEFAULT_WAITS_PER_TENANT 256
#define DEFAULT_WAITED_IDS_PER_TENANT 100000
#define DEFAULT_LOGS_PER_CONNECTION 4
#define DEFAULT_LOGS_PER_TENANT 64
#define DEFAULT_CLIENT_SEND_BYTES (16u * 1024 * 1024)
#define DEFAULT_CLIENT_SEND_QUEUE 256
#define DEFAULT_CONNECTIONS_PER_KEY 256
#define DEFAULT_CLIENT_IDLE_TIMEOUT 60 /* s */
#define DEFAULT_CLIENT_HELLO_TIMEOUT 10
#define DEFAULT_FD_RESERVE 256
#define DEFAULT_SLICE_JOBS 20000
#define DEFAULT_KEEP_ENDED 300 /* s */
#define HISTORY_DAYS_MAX 36500 /* a century */
#define COUNT_LIMIT_MAX 100000000
#define TIMEOUT_MAX (7 * 86400)
/* The largest reply must fit in what one connection may leave unread. */
#define CLIENT_SEND_BYTES_MIN ((uint64_t)MSG_MAX_BYTES + 65536)

/* One integer limit: its setting, default, range and field. */
typedef struct limit_setting {
    const char *path;
    int64_t def, min, max;
    size_t offset; /* of a uint32_t in schedconf_limits_t */
} limit_setting_t;

#define LIMIT_FIELD(f) offsetof (schedconf_limits_t, f)

static const limit_setting_t limit_settings[] = {
    {"scheduler.max_waits_per_connection", DEFAULT_WAITS_PER_CONNECTION, 1,
     COUNT_LIMIT_MAX, LIMIT_FIELD (waits_per_connection)},
    {"scheduler.max_waits_per_tenant", DEFAULT_WAITS_PER_TENANT, 1, COUNT_LIMIT_MAX,
     LIMIT_FIELD (waits_per_tenant)},
    {"scheduler.max_waited_ids_per_tenant", DEFAULT_WAITED_IDS_PER_TENANT, 1,
     COUNT_LIMIT_MAX, LIMIT_FIELD (waited_ids_per_tenant)},
    {"scheduler.max_ids_per_request", MSG_IDS_MAX, 1, MSG_IDS_MAX,
     LIMIT_FIELD (ids_per_request)},
    {"scheduler.max_logs_per_connection", DEFAULT_LOGS_PER_CONNECTION, 1,
     COUNT_LIMIT_MAX, LIMIT_FIELD (logs_per_connection)},
    {"scheduler.max_logs_per_tenant", DEFAULT_LOGS_PER_TENANT, 1, COUNT_LIMIT_MAX,
     LIMIT_FIELD (logs_per_tenant)},
    {"scheduler.client_send_queue", DEFAULT_CLIENT_SEND_QUEUE, 1, 1000000,
     LIMIT_FIELD (client_send_queue)},
    {"scheduler.max_connections_per_key", DEFAULT_CONNECTIONS_PER_KEY, 1, 1000000,
     LIMIT_FIELD (connections_per_key)},
    {"scheduler.fd_reserve", DEFAULT_FD_RESERVE, 0, 1000000, LIMIT_FIELD (fd_reserve)},
    {"scheduler.slice_jobs", DEFAULT_SLICE_JOBS, 100, COUNT_LIMIT_MAX,
     LIMIT_FIELD (slice_jobs)},
    {"scheduler.history_days", 0, 0, HISTORY_DAYS_MAX, LIMIT_FIELD (history_days)},
};

static int load_timeout (
    const conf_t *c, const char *path, int64_t def, int64_t *out, cphub_error_t *err)
{
    if (conf_get_duration (c, path, def, out, err) < 0)
        return -1;
    if (*out < 1 || *out > TIMEOUT_MAX)
        return conf_fail (c, path, err, "must be from 1s to 7 days (e.g. \"%llds\")",
                          (long long)def);
    return 0;
}

int schedconf_load_limits (schedconf_t *cfg, const conf_t *c, cphub_error_t *err)
{
    schedconf_limits_t *lim = &cfg->limits;
    size_t n = sizeof (limit_settings) / sizeof (limit_settings[0]);

    for (size_t i = 0; i < n; i++) {
        const limit_setting_t *ls = &limit_settings[i];
        int64_t v;
        if (conf_get_int (c, ls->path, ls->def, &v, err) < 0)
            return -1;
        if (v < ls->min || v > ls->max)
            return conf_fail (
                c, ls->path, err, "must be from %lld to %lld (default %lld)",
                (long long)ls->min, (long long)ls->max, (long long)ls->def);
        *(uint32_t *)((char *)lim + ls->offset) = (uint32_t)v;
    }
    if (conf_get_size (c, "scheduler.client_send_bytes", DEFAULT_CLIENT_SEND_BYTES,
                       &lim->client_send_bytes, err) < 0)
        return -1;
    if (lim->client_send_bytes < CLIENT_SEND_BYTES_MIN)
        return conf_fail (c, "scheduler.client_send_bytes", err,
                          "must be at least %llu bytes (the largest reply and some), "
                          "e.g. \"16M\"",
                          (unsigned long long)CLIENT_SEND_BYTES_MIN);
    if (load_timeout (c, "scheduler.client_idle_timeout", DEFAULT_CLIENT_IDLE_TIMEOUT,
                      &lim->client_idle_timeout, err) < 0 ||
        load_timeout (c, "scheduler.client_hello_timeout", DEFAULT_CLIENT_HELLO_TIMEOUT,
                      &lim->client_hello_timeout, err) < 0 ||
        load_timeout (c, "scheduler.keep_ended", DEFAULT_KEEP_ENDED, &lim->keep_ended,
                      err) < 0)
        return -1;
    /* retention must not take from the store a job the core still holds:
       its next write would bring the row back without its transitions */
    if (lim->history_days > 0 &&
        (double)lim->keep_ended > (double)lim->history_days * SCHEDCONF_DAY)
        return conf_fail (c, "scheduler.keep_ended", err,
                          "must not be longer than scheduler.history_days (%u days): "
                          "jobs would leave the store while still in memory",
                          lim->history_days);
    return 0;
}
