/* fuzz_conf.c: fuzz target for the config loader (common/conf.c over
 * libconfig), which reads the files an operator writes for the scheduler
 * and the agents.
 *
 * The input is config text, loaded with conf_load_string against a settings
 * table shaped like the daemons' (groups, lists of groups with [*], arrays
 * of strings, and every scalar type: strings, integers, booleans, numbers,
 * durations, sizes). What loads is then read the way the daemons read it:
 * every setting of the table through its getter, list elements and array
 * strings by index, relative paths resolved, and one conf_fail at a setting.
 * A getter may refuse a value the loader let through only with a message.
 * Inputs with "@include" are skipped: libconfig would open the named file
 * relative to the working directory, which is not the loader's code.
 */
#include <errno.h>
#include <string.h>

#include "cphub/conf.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_LIST_MAX 16 /* list elements read per list */

static const conf_setting_t fuzz_settings[] = {
    {"scheduler", CONF_GROUP, "the scheduler daemon"},
    {"scheduler.client_endpoint", CONF_STRING, "tenants connect here"},
    {"scheduler.agent_endpoint", CONF_STRING, "agents connect here"},
    {"scheduler.key", CONF_STRING, "key pair file"},
    {"scheduler.state_dir", CONF_STRING, "durable state"},
    {"scheduler.log_level", CONF_STRING, "err, warn, info or debug"},
    {"scheduler.log_file", CONF_STRING, "log file"},
    {"scheduler.heartbeat_timeout", CONF_DURATION, "silence before down"},
    {"scheduler.default_walltime", CONF_DURATION, "default wall time"},
    {"scheduler.max_walltime", CONF_DURATION, "largest wall time"},
    {"scheduler.backfill_reservations", CONF_INT, "reservations"},
    {"scheduler.max_array_size", CONF_INT, "array elements"},
    {"scheduler.max_job_mem", CONF_SIZE, "largest memory request"},
    {"scheduler.accounting", CONF_BOOL, "keep accounting records"},
    {"priority", CONF_GROUP, "job order"},
    {"priority.weight_fairshare", CONF_FLOAT, "fair-share points"},
    {"priority.weight_age", CONF_FLOAT, "age points"},
    {"priority.max_age", CONF_DURATION, "age counted"},
    {"tenants", CONF_LIST, "companies"},
    {"tenants.[*]", CONF_GROUP, "one tenant"},
    {"tenants.[*].name", CONF_STRING, "its name"},
    {"tenants.[*].keys", CONF_ARRAY, "its public key files"},
    {"tenants.[*].shares", CONF_FLOAT, "its shares"},
    {"tenants.[*].max_cores", CONF_INT, "running cores quota"},
    {"tenants.[*].max_mem", CONF_SIZE, "running memory quota"},
    {"tenants.[*].budget_walltime", CONF_DURATION, "budget as time"},
    {"tenants.[*].suspended", CONF_BOOL, "refuse its submits"},
    {"operators", CONF_LIST, "operators"},
    {"operators.[*]", CONF_GROUP, "one operator"},
    {"operators.[*].name", CONF_STRING, "its name"},
    {"operators.[*].keys", CONF_ARRAY, "its public key files"},
    {"agents", CONF_LIST, "node agents"},
    {"agents.[*]", CONF_GROUP, "one node"},
    {"agents.[*].node", CONF_STRING, "the node"},
    {"agents.[*].key", CONF_STRING, "its public key file"},
    {"agent", CONF_GROUP, "the node agent"},
    {"agent.name", CONF_STRING, "node name"},
    {"agent.topology", CONF_STRING, "topology source"},
    {"agent.features", CONF_ARRAY, "node features"},
    {"agent.gpus", CONF_LIST, "extra GPUs"},
    {"agent.gpus.[*]", CONF_GROUP, "one GPU"},
    {"agent.gpus.[*].name", CONF_STRING, "its name"},
    {"agent.gpus.[*].numa", CONF_INT, "its NUMA domain"},
    {"agent.heartbeat_interval", CONF_DURATION, "heartbeat period"},
    {"agent.kill_grace", CONF_DURATION, "TERM to KILL"},
    {"agent.reserve_mem", CONF_SIZE, "memory kept for the system"},
    {"agent.binding", CONF_BOOL, "bind jobs"},
    {"agent.load_factor", CONF_FLOAT, "scale"},
    {NULL, 0, NULL},
};

/* Read one setting at a concrete path with the getter of its type. */
static void fuzz_get (const conf_t *c, const char *path, conf_type_t type)
{
    cphub_error_t err = {{0}};
    const char *s = NULL;
    char *resolved;
    int64_t i = 0;
    uint64_t u = 0;
    double d = 0;
    bool b = false;
    int rc = 0, n;

    switch (type) {
    case CONF_STRING:
        rc = conf_get_string (c, path, "default", &s, &err);
        if (rc >= 0) {
            fuzz_assert (s != NULL);
            if ((resolved = conf_resolve_path (c, s)))
                free (resolved);
        }
        break;
    case CONF_INT:
        rc = conf_get_int (c, path, 7, &i, &err);
        break;
    case CONF_BOOL:
        rc = conf_get_bool (c, path, true, &b, &err);
        break;
    case CONF_FLOAT:
        rc = conf_get_float (c, path, 1.5, &d, &err);
        break;
    case CONF_DURATION:
        rc = conf_get_duration (c, path, 30, &i, &err);
        fuzz_assert (rc < 0 || i >= 0);
        break;
    case CONF_SIZE:
        rc = conf_get_size (c, path, 4096, &u, &err);
        break;
    case CONF_ARRAY:
        n = conf_count (c, path);
        for (int k = 0; k < n && k < FUZZ_LIST_MAX; k++) {
            if (conf_get_array_string (c, path, k, &s, &err) < 0)
                fuzz_assert (err.text[0] != '\0');
            else
                fuzz_assert (s != NULL);
        }
        /* Past the end: refused, not read. */
        fuzz_assert (conf_get_array_string (c, path, n, &s, &err) < 0);
        break;
    case CONF_GROUP:
    case CONF_LIST:
        (void)conf_count (c, path);
        break;
    }
    if (rc < 0)
        fuzz_assert (err.text[0] != '\0');
}

/* Read a table entry, with "[*]" (at most one) replaced by each index. */
static void fuzz_get_entry (const conf_t *c, const conf_setting_t *entry)
{
    const char *star = strstr (entry->path, "[*]");
    char list[128], path[256];
    int n;

    if (!star) {
        fuzz_get (c, entry->path, entry->type);
        return;
    }
    snprintf (list, sizeof (list), "%.*s", (int)(star - entry->path - 1), entry->path);
    n = conf_count (c, list);
    for (int i = 0; i < n && i < FUZZ_LIST_MAX; i++) {
        snprintf (path, sizeof (path), "%s.[%d]%s", list, i, star + 3);
        fuzz_get (c, path, entry->type);
    }
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup (data, size);
    cphub_error_t err = {{0}};
    conf_t *c;

    if (!text)
        return 0;
    if (strstr (text, "@include"))
        goto done;
    errno = 0;
    if (!(c = conf_load_string (text, "fuzz.conf", fuzz_settings, &err))) {
        fuzz_assert (errno != 0);
        fuzz_assert (err.text[0] != '\0');
        goto done;
    }
    for (const conf_setting_t *e = fuzz_settings; e->path; e++)
        fuzz_get_entry (c, e);
    fuzz_assert (conf_fail (c, "tenants.[0].name", &err, "fuzz %d", 1) == -1);
    fuzz_assert (err.text[0] != '\0');
    fuzz_assert (conf_fail (c, "no.such.setting", &err, "fuzz") == -1);
    conf_destroy (c);
done:
    free (text);
    return 0;
}
