/* test_hold.c: unit tests for the bookkeeping of what tenants and client
 * connections hold in the scheduler (scheduler/hold.c) and for the limit
 * settings that bound it (scheduler/config_limits.c): each limit refuses
 * with EAGAIN and the setting's name, takes nothing when it refuses, and
 * is given back on release; settings out of range name file, line and key;
 * a tenant with no max_pending_jobs gets the default limit, not none;
 * simulated nodes are refused unless scheduler.allow_simulated_nodes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cphub/keys.h"
#include "cphub/msg.h"
#include "cphub/transport.h"
#include "scheduler/config.h"
#include "scheduler/hold.h"

#define ACME "tenant:acme"
#define BETA "tenant:beta"

static schedconf_limits_t small_limits (void)
{
    return (schedconf_limits_t){
        .waits_per_connection = 2,
        .waits_per_tenant = 3,
        .waited_ids_per_tenant = 100,
        .logs_per_connection = 1,
        .logs_per_tenant = 2,
    };
}

Test (hold, per_connection_then_per_tenant)
{
    schedconf_limits_t lim = small_limits ();
    hold_t *h = hold_create (&lim);
    cphub_error_t err = {{0}};

    cr_assert (h);
    cr_assert_eq (hold_take (h, HOLD_WAIT, ACME, 1, 10, &err), 0);
    cr_assert_eq (hold_take (h, HOLD_WAIT, ACME, 1, 10, &err), 0);
    cr_assert_eq (hold_take (h, HOLD_WAIT, ACME, 1, 10, &err), -1);
    cr_assert_eq (errno, EAGAIN);
    cr_assert (strstr (err.text, "scheduler.max_waits_per_connection"), "%s", err.text);
    /* another connection of the same tenant: the tenant's limit is next */
    cr_assert_eq (hold_take (h, HOLD_WAIT, ACME, 2, 10, &err), 0);
    cr_assert_eq (hold_take (h, HOLD_WAIT, ACME, 3, 10, &err), -1);
    cr_assert_eq (errno, EAGAIN);
    cr_assert (strstr (err.text, "scheduler.max_waits_per_tenant"), "%s", err.text);
    /* a refusal took nothing */
    cr_assert_eq (hold_count (h, HOLD_WAIT, ACME, 0), 3);
    cr_assert_eq (hold_count (h, HOLD_WAIT, NULL, 3), 0);
    cr_assert_eq (hold_ids (h, ACME), 30);
    /* another tenant is not touched by acme's use */
    cr_assert_eq (hold_take (h, HOLD_WAIT, BETA, 4, 10, &err), 0);
    hold_destroy (h);
}

Test (hold, release_gives_back)
{
    schedconf_limits_t lim = small_limits ();
    hold_t *h = hold_create (&lim);
    cphub_error_t err = {{0}};

    cr_assert_eq (hold_take (h, HOLD_WAIT, ACME, 1, 5, &err), 0);
    cr_assert_eq (hold_take (h, HOLD_WAIT, ACME, 1, 5, &err), 0);
    hold_release (h, HOLD_WAIT, ACME, 1, 5);
    cr_assert_eq (hold_count (h, HOLD_WAIT, NULL, 1), 1);
    cr_assert_eq (hold_ids (h, ACME), 5);
    cr_assert_eq (hold_take (h, HOLD_WAIT, ACME, 1, 5, &err), 0);
    hold_release (h, HOLD_WAIT, ACME, 1, 5);
    hold_release (h, HOLD_WAIT, ACME, 1, 5);
    cr_assert_eq (hold_count (h, HOLD_WAIT, ACME, 0), 0);
    cr_assert_eq (hold_count (h, HOLD_WAIT, NULL, 1), 0);
    cr_assert_eq (hold_ids (h, ACME), 0);
    /* releasing what is not held changes nothing */
    hold_release (h, HOLD_WAIT, ACME, 1, 5);
    cr_assert_eq (hold_ids (h, ACME), 0);
    hold_destroy (h);
}

Test (hold, waited_ids_per_tenant)
{
    schedconf_limits_t lim = small_limits ();
    hold_t *h = hold_create (&lim);
    cphub_error_t err = {{0}};

    cr_assert_eq (hold_take (h, HOLD_WAIT, ACME, 1, 60, &err), 0);
    cr_assert_eq (hold_take (h, HOLD_WAIT, ACME, 2, 41, &err), -1);
    cr_assert_eq (errno, EAGAIN);
    cr_assert (strstr (err.text, "scheduler.max_waited_ids_per_tenant"), "%s",
               err.text);
    cr_assert_eq (hold_take (h, HOLD_WAIT, ACME, 2, 40, &err), 0);
    cr_assert_eq (hold_ids (h, ACME), 100);
    hold_destroy (h);
}

Test (hold, logs_apart_from_waits)
{
    schedconf_limits_t lim = small_limits ();
    hold_t *h = hold_create (&lim);
    cphub_error_t err = {{0}};

    cr_assert_eq (hold_take (h, HOLD_WAIT, ACME, 1, 1, &err), 0);
    cr_assert_eq (hold_take (h, HOLD_LOGS, ACME, 1, 0, &err), 0);
    cr_assert_eq (hold_take (h, HOLD_LOGS, ACME, 1, 0, &err), -1);
    cr_assert (strstr (err.text, "scheduler.max_logs_per_connection"), "%s", err.text);
    cr_assert_eq (hold_take (h, HOLD_LOGS, ACME, 2, 0, &err), 0);
    cr_assert_eq (hold_take (h, HOLD_LOGS, ACME, 3, 0, &err), -1);
    cr_assert (strstr (err.text, "scheduler.max_logs_per_tenant"), "%s", err.text);
    /* connection 0 (not known): only the tenant's limit applies */
    hold_release (h, HOLD_LOGS, ACME, 2, 0);
    cr_assert_eq (hold_take (h, HOLD_LOGS, ACME, 0, 0, &err), 0);
    cr_assert_eq (hold_count (h, HOLD_LOGS, ACME, 0), 2);
    cr_assert_eq (hold_count (h, HOLD_WAIT, ACME, 0), 1);
    hold_destroy (h);
}

/* ---- the settings ---------------------------------------------------------- */

/* The settings are read as the daemon reads them, by schedconf_load on a
 * file, in a directory that holds the keys the file names (the scheduler's
 * at its default place, keys/scheduler.key; keys/a.pub .. keys/c.pub for
 * tenants). */
static char dir[] = "/tmp/test_hold.XXXXXX";
static char conf_path[sizeof (dir) + 16];
static const char *const key_names[] = {"scheduler", "a", "b", "c"};

static void make_dir (void)
{
    char keys[sizeof (dir) + 8];
    cphub_error_t err = {{0}};

    cr_assert_not_null (mkdtemp (dir));
    snprintf (keys, sizeof (keys), "%s/keys", dir);
    snprintf (conf_path, sizeof (conf_path), "%s/test.conf", dir);
    cr_assert_eq (mkdir (keys, 0700), 0);
    for (size_t i = 0; i < sizeof (key_names) / sizeof (key_names[0]); i++) {
        cphub_keypair_t kp;
        cr_assert_eq (transport_keypair (&kp, &err), 0, "%s", err.text);
        cr_assert_eq (keys_write (keys, key_names[i], &kp, 0, &err), 0, "%s", err.text);
    }
}

static void remove_dir (void)
{
    char path[sizeof (dir) + 32];

    for (size_t i = 0; i < sizeof (key_names) / sizeof (key_names[0]); i++) {
        snprintf (path, sizeof (path), "%s/keys/%s.key", dir, key_names[i]);
        unlink (path);
        snprintf (path, sizeof (path), "%s/keys/%s.pub", dir, key_names[i]);
        unlink (path);
    }
    snprintf (path, sizeof (path), "%s/keys", dir);
    rmdir (path);
    unlink (conf_path);
    rmdir (dir);
}

TestSuite (limits, .init = make_dir, .fini = remove_dir);

/* text as the scheduler's config file: the config, or NULL and err. */
static schedconf_t *load_conf (const char *text, cphub_error_t *err)
{
    FILE *f = fopen (conf_path, "w");

    cr_assert_not_null (f);
    cr_assert_geq (fputs (text, f), 0);
    cr_assert_eq (fclose (f), 0);
    return schedconf_load (conf_path, err);
}

static int load (const char *text, schedconf_limits_t *lim, cphub_error_t *err)
{
    schedconf_t *cfg = load_conf (text, err);

    if (!cfg)
        return -1;
    *lim = cfg->limits;
    schedconf_destroy (cfg);
    return 0;
}

Test (limits, defaults)
{
    schedconf_limits_t lim;
    cphub_error_t err = {{0}};

    cr_assert_eq (load ("scheduler = { };", &lim, &err), 0, "%s", err.text);
    cr_assert_eq (lim.waits_per_connection, 16);
    cr_assert_eq (lim.waits_per_tenant, 256);
    cr_assert_eq (lim.waited_ids_per_tenant, 100000);
    cr_assert_eq (lim.ids_per_request, MSG_IDS_MAX);
    cr_assert_eq (lim.logs_per_connection, 4);
    cr_assert_eq (lim.logs_per_tenant, 64);
    cr_assert_eq (lim.client_send_bytes, 16u * 1024 * 1024);
    cr_assert_eq (lim.client_send_queue, 256);
    cr_assert_eq (lim.connections_per_key, 256);
    cr_assert_eq (lim.client_idle_timeout, 60);
    cr_assert_eq (lim.client_hello_timeout, 10);
    cr_assert_eq (lim.fd_reserve, 256);
    cr_assert_eq (lim.slice_jobs, 20000);
    cr_assert_eq (lim.keep_ended, 300);
    cr_assert_eq (lim.history_days, 0);
}

Test (limits, set)
{
    schedconf_limits_t lim;
    cphub_error_t err = {{0}};

    cr_assert_eq (load ("scheduler = { max_waits_per_tenant = 8;\n"
                        "  max_ids_per_request = 100; client_send_bytes = \"32M\";\n"
                        "  client_idle_timeout = \"2m\"; fd_reserve = 0;\n"
                        "  keep_ended = \"1s\"; history_days = 30; };",
                        &lim, &err),
                  0, "%s", err.text);
    cr_assert_eq (lim.waits_per_tenant, 8);
    cr_assert_eq (lim.ids_per_request, 100);
    cr_assert_eq (lim.client_send_bytes, 32u * 1024 * 1024);
    cr_assert_eq (lim.client_idle_timeout, 120);
    cr_assert_eq (lim.fd_reserve, 0);
    cr_assert_eq (lim.keep_ended, 1);
    cr_assert_eq (lim.history_days, 30);
}

Test (limits, out_of_range_names_file_line_key)
{
    schedconf_limits_t lim;
    cphub_error_t err = {{0}};

    cr_assert_eq (load ("scheduler = {\n  max_ids_per_request = 20000; };", &lim, &err),
                  -1);
    cr_assert (strstr (err.text, "test.conf:2"), "%s", err.text);
    cr_assert (strstr (err.text, "scheduler.max_ids_per_request"), "%s", err.text);
    cr_assert (strstr (err.text, "10000"), "%s", err.text);
    cr_assert_eq (load ("scheduler = { max_waits_per_connection = 0; };", &lim, &err),
                  -1);
    cr_assert (strstr (err.text, "scheduler.max_waits_per_connection"), "%s", err.text);
    cr_assert_eq (load ("scheduler = { client_send_bytes = \"1M\"; };", &lim, &err),
                  -1);
    cr_assert (strstr (err.text, "the largest reply"), "%s", err.text);
    cr_assert_eq (load ("scheduler = { client_idle_timeout = 0; };", &lim, &err), -1);
    cr_assert (strstr (err.text, "scheduler.client_idle_timeout"), "%s", err.text);
    cr_assert_eq (load ("scheduler = { keep_ended = 0; };", &lim, &err), -1);
    cr_assert (strstr (err.text, "scheduler.keep_ended"), "%s", err.text);
    /* retention shorter than memory would take rows the core still writes */
    cr_assert_eq (
        load ("scheduler = { keep_ended = \"2d\"; history_days = 1; };", &lim, &err),
        -1);
    cr_assert (strstr (err.text, "scheduler.history_days (1 days)"), "%s", err.text);
    cr_assert_eq (
        load ("scheduler = { keep_ended = \"1d\"; history_days = 1; };", &lim, &err), 0,
        "%s", err.text);
}

/* Each tenant's pending jobs are bounded unless its entry says 0: absent,
 * the default applies, so one tenant's arrays cannot fill the scheduler. */
Test (limits, pending_jobs_bounded_by_default)
{
    const char *text =
        "tenants = ( { name = \"a\"; keys = [ \"keys/a.pub\" ]; },\n"
        "  { name = \"b\"; keys = [ \"keys/b.pub\" ]; max_pending_jobs = 50; },\n"
        "  { name = \"c\"; keys = [ \"keys/c.pub\" ]; max_pending_jobs = 0; } );";
    cphub_error_t err = {{0}};
    schedconf_t *cfg = load_conf (text, &err);

    cr_assert_not_null (cfg, "%s", err.text);
    cr_assert_eq (cfg->ntenants, 3);
    cr_assert_eq (cfg->tenant_limits[0].max_pending_jobs,
                  SCHEDCONF_PENDING_JOBS_DEFAULT);
    cr_assert_gt (SCHEDCONF_PENDING_JOBS_DEFAULT, 0);
    cr_assert_eq (cfg->tenant_limits[1].max_pending_jobs, 50);
    cr_assert_eq (cfg->tenant_limits[2].max_pending_jobs, 0, "0 still means no limit");
    cr_assert_eq (cfg->tenant_limits[0].max_running_jobs, 0);
    schedconf_destroy (cfg);
}

/* A node whose agent simulates execution runs nothing of its jobs: a hub
 * takes one only where its operator says so, and a value that is no
 * boolean names the file, line and key. */
Test (limits, simulated_nodes_refused_by_default)
{
    cphub_error_t err = {{0}};
    schedconf_t *cfg = load_conf ("scheduler = { };", &err);

    cr_assert_not_null (cfg, "%s", err.text);
    cr_assert_not (cfg->allow_simulated_nodes);
    schedconf_destroy (cfg);
    cfg = load_conf ("scheduler = { allow_simulated_nodes = true; };", &err);
    cr_assert_not_null (cfg, "%s", err.text);
    cr_assert (cfg->allow_simulated_nodes);
    schedconf_destroy (cfg);
    cr_assert_null (
        load_conf ("scheduler = {\n  allow_simulated_nodes = \"yes\"; };", &err));
    cr_assert (strstr (err.text, "test.conf:2"), "%s", err.text);
    cr_assert (strstr (err.text, "scheduler.allow_simulated_nodes"), "%s", err.text);
}
