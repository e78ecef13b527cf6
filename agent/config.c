/* config.c: cphub-agent's settings table, agent.conf loading and flags.
 *
 * The table below is the one list of settings: conf_load() rejects anything
 * else, agent_usage() prints it, and etc/agent.conf documents the same keys
 * with the same defaults. String settings are read through a second table
 * (setting, field, default, whether it is a path) so that defaults and path
 * resolution are data, not code. Command-line flags are applied last.
 */
#include "agent/config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cphub/conf.h"

#ifndef CPHUB_SYSCONFDIR
#define CPHUB_SYSCONFDIR "/etc"
#endif

static const conf_setting_t agent_settings[] = {
    {.path = "agent", .type = CONF_GROUP, .help = "the node agent's settings"},
    {.path = "agent.name",
     .type = CONF_STRING,
     .help = "node name the scheduler knows this agent by (default: host name)"},
    {.path = "agent.scheduler",
     .type = CONF_STRING,
     .help = "the scheduler's agent endpoint (default \"tcp://127.0.0.1:7711\")"},
    {.path = "agent.scheduler_key",
     .type = CONF_STRING,
     .help = "the scheduler's public key file (default \"keys/scheduler.pub\")"},
    {.path = "agent.key",
     .type = CONF_STRING,
     .help = "this agent's key pair file (default \"keys/NAME.key\")"},
    {.path = "agent.topology",
     .type = CONF_STRING,
     .help = "\"\" (this machine, the default), \"synthetic:<hwloc synthetic>\" "
             "or \"xml:PATH\""},
    {.path = "agent.features",
     .type = CONF_ARRAY,
     .help = "features jobs can ask for, e.g. [ \"avx512\" ] (default none)"},
    {.path = "agent.gpus",
     .type = CONF_LIST,
     .help =
         "extra GPUs to advertise, ( { name = \"gpu0\"; numa = 0; } ) (default none)"},
    {.path = "agent.gpus.[*]", .type = CONF_GROUP, .help = "one extra GPU"},
    {.path = "agent.gpus.[*].name", .type = CONF_STRING, .help = "the GPU's name"},
    {.path = "agent.gpus.[*].numa",
     .type = CONF_INT,
     .help = "the NUMA domain the GPU is attached to"},
    {.path = "agent.gpus.[*].device",
     .type = CONF_STRING,
     .help = "the GPU's device node, denied to jobs not given it (default none)"},
    {.path = "agent.users",
     .type = CONF_LIST,
     .help = "Unix users tenants' jobs run as (root agent), ( { tenant = \"tenant-a\"; "
             "user = \"cphub-a\"; group = \"cphub-a\"; } ) (default none)"},
    {.path = "agent.users.[*]", .type = CONF_GROUP, .help = "one tenant's user"},
    {.path = "agent.users.[*].tenant", .type = CONF_STRING, .help = "the tenant"},
    {.path = "agent.users.[*].user", .type = CONF_STRING, .help = "its Unix user"},
    {.path = "agent.users.[*].group",
     .type = CONF_STRING,
     .help = "its Unix group (default: the user's primary group)"},
    {.path = "agent.default_user",
     .type = CONF_STRING,
     .help = "the user of tenants not in users (default \"\": they are refused "
             "once users is set)"},
    {.path = "agent.allow_root_jobs",
     .type = CONF_BOOL,
     .help = "a root agent runs the jobs of tenants with no user as root (default "
             "false: they are refused)"},
    {.path = "agent.user",
     .type = CONF_STRING,
     .help = "the user the agent's network process runs as when the agent is root "
             "(default \"nobody\")"},
    {.path = "agent.cgroups",
     .type = CONF_BOOL,
     .help = "per-job cgroups (cpuset, memory, pids, devices) where the kernel "
             "offers them (default true)"},
    {.path = "agent.pids_max",
     .type = CONF_INT,
     .help = "processes a job may have at once, 0 for no limit (default 4096)"},
    {.path = "agent.pids_max_all",
     .type = CONF_INT,
     .help = "processes all jobs of the node may have at once, 0 for the kernel's "
             "limit less a quarter (default 0)"},
    {.path = "agent.state_dir",
     .type = CONF_STRING,
     .help = "where job directories and the agent's records are kept (default "
             "\"state/NAME\")"},
    {.path = "agent.keep_job_dirs",
     .type = CONF_DURATION,
     .help = "how long a run's directory (its output) is kept once its end is "
             "acknowledged, 0 to remove it at once (default \"1d\")"},
    {.path = "agent.max_output",
     .type = CONF_SIZE,
     .help = "the size each of a job's stdout and stderr may reach; a job "
             "that reaches it is killed (default \"1G\", 0: no limit)"},
    {.path = "agent.heartbeat_interval",
     .type = CONF_DURATION,
     .help = "time between heartbeats to the scheduler (default \"2s\")"},
    {.path = "agent.kill_grace",
     .type = CONF_DURATION,
     .help = "time between TERM and KILL when a job is stopped (default \"10s\")"},
    {.path = "agent.simulate",
     .type = CONF_BOOL,
     .help = "simulated execution for benchmarks and tests: jobs run no process, "
             "a leading `sleep N` sets their run time (default false)"},
    {.path = "agent.log_level",
     .type = CONF_STRING,
     .help = "err, warn, info or debug (default \"info\")"},
    {.path = "agent.log_file",
     .type = CONF_STRING,
     .help = "log to this file instead of stderr (default \"\": stderr)"},
    {.path = NULL},
};

/* String settings: where they go and their defaults. A default with
 * def_suffix is def + node name + def_suffix ("keys/" node1 ".key"). */
typedef struct string_key {
    const char *path;
    size_t offset; /* of a char * in agent_config_t */
    const char *def;
    const char *def_suffix;
    bool is_path; /* resolved against the config file's directory */
} string_key_t;

static const string_key_t string_keys[] = {
    {.path = "agent.scheduler",
     .offset = offsetof (agent_config_t, scheduler),
     .def = "tcp://127.0.0.1:7711"},
    {.path = "agent.scheduler_key",
     .offset = offsetof (agent_config_t, scheduler_key),
     .def = "keys/scheduler.pub",
     .is_path = true},
    {.path = "agent.key",
     .offset = offsetof (agent_config_t, key),
     .def = "keys/",
     .def_suffix = ".key",
     .is_path = true},
    {.path = "agent.state_dir",
     .offset = offsetof (agent_config_t, state_dir),
     .def = "state/",
     .def_suffix = "",
     .is_path = true},
    {.path = "agent.topology",
     .offset = offsetof (agent_config_t, topology),
     .def = ""},
};
#define STRING_KEY_COUNT (sizeof (string_keys) / sizeof (string_keys[0]))

/* The command-line flags: each sets one field of agent_flags_t, a string to
 * the flag's value or a bool to true. getopt's long options are made from
 * this table. */
typedef struct agent_flag {
    const char *name; /* long option */
    int letter;       /* short option, 0: none */
    size_t offset;    /* in agent_flags_t */
    bool takes_value; /* a const char *; else a bool */
} agent_flag_t;

#define FLAG_VALUE(n, l, field)                                                \
    {                                                                          \
        .name = (n), .letter = (l), .offset = offsetof (agent_flags_t, field), \
        .takes_value = true                                                    \
    }
#define FLAG_BOOL(n, l, field)                                                 \
    {                                                                          \
        .name = (n), .letter = (l), .offset = offsetof (agent_flags_t, field), \
        .takes_value = false                                                   \
    }

static const agent_flag_t agent_flags[] = {
    FLAG_VALUE ("config", 'c', config),
    FLAG_BOOL ("check-config", 0, check_config),
    FLAG_BOOL ("verbose", 'v', verbose),
    FLAG_BOOL ("help", 'h', help),
    FLAG_VALUE ("name", 0, name),
    FLAG_VALUE ("topology", 0, topology),
    FLAG_VALUE ("state-dir", 0, state_dir),
    FLAG_VALUE ("log-file", 0, log_file),
    FLAG_BOOL ("join-new-hub", 0, join_new_hub),
    FLAG_BOOL ("simulate", 0, simulate),
    FLAG_VALUE ("simulate-nodes", 0, simulate_nodes),
};
#define AGENT_FLAGS_COUNT (sizeof (agent_flags) / sizeof (agent_flags[0]))
/* getopt_long's value of a flag without a letter: past every char */
#define AGENT_FLAG_VAL(i) (256 + (int)(i))

const char *agent_config_default_file (void)
{
    return CPHUB_SYSCONFDIR "/cphub/agent.conf";
}

void agent_usage (FILE *out)
{
    fprintf (out,
             "Usage: cphub-agent [-c FILE] [--check-config] [-v] [--name N]\n"
             "                   [--topology T] [--state-dir D] [--log-file F]\n"
             "Runs the jobs the cphub scheduler places on this node.\n\n"
             "  -c, --config FILE   config file (default %s)\n"
             "      --check-config  check the config, keys and topology, then exit\n"
             "  -v, --verbose       log at debug level\n"
             "      --name N        node name (overrides agent.name)\n"
             "      --topology T    \"\", \"synthetic:<hwloc synthetic>\" or "
             "\"xml:PATH\"\n"
             "      --state-dir D   job directories (overrides agent.state_dir)\n"
             "      --log-file F    log file (overrides agent.log_file)\n"
             "      --join-new-hub  follow a scheduler of another hub than the one\n"
             "                      this node joined (its id replaces the saved one)\n"
             "      --simulate      simulated execution, for benchmarks and tests:\n"
             "                      no job runs (sets agent.simulate)\n"
             "      --simulate-nodes N  play N simulated nodes NAME-0001... in this\n"
             "                      process (implies --simulate); node i's key pair\n"
             "                      is NAME-000i.key next to agent.key\n"
             "  -h, --help          this text\n\nSettings of agent.conf:\n",
             agent_config_default_file ());
    for (const conf_setting_t *s = agent_settings; s->path; s++)
        fprintf (out, "  %-26s %s\n", s->path, s->help);
}

/* The flag getopt_long returned as val, or NULL. */
static const agent_flag_t *agent_flag_of (int val)
{
    for (size_t i = 0; i < AGENT_FLAGS_COUNT; i++) {
        if (val == (agent_flags[i].letter ? agent_flags[i].letter : AGENT_FLAG_VAL (i)))
            return &agent_flags[i];
    }
    return NULL;
}

int agent_flags_parse (int argc, char **argv, agent_flags_t *flags, cphub_error_t *err)
{
    struct option options[AGENT_FLAGS_COUNT + 1];
    char shortopts[2 * AGENT_FLAGS_COUNT + 2] = ":";
    size_t n = 1;
    int opt;

    memset (options, 0, sizeof (options));
    for (size_t i = 0; i < AGENT_FLAGS_COUNT; i++) {
        const agent_flag_t *f = &agent_flags[i];
        options[i] =
            (struct option){.name = f->name,
                            .has_arg = f->takes_value ? required_argument : no_argument,
                            .val = f->letter ? f->letter : AGENT_FLAG_VAL (i)};
        if (f->letter) {
            shortopts[n++] = (char)f->letter;
            if (f->takes_value)
                shortopts[n++] = ':';
        }
    }
    shortopts[n] = '\0';
    memset (flags, 0, sizeof (*flags));
    opterr = 0;
    optind = 0;
    while ((opt = getopt_long (argc, argv, shortopts, options, NULL)) != -1) {
        const agent_flag_t *f = agent_flag_of (opt);
        char *field = (char *)flags + (f ? f->offset : 0);

        if (f && f->takes_value)
            *(const char **)field = optarg;
        else if (f)
            *(bool *)field = true;
        else if (opt == ':')
            return cphub_fail (err, EINVAL, "option '%s' needs a value",
                               argv[optind - 1]);
        else
            return cphub_fail (err, EINVAL,
                               "unknown option '%s'; see cphub-agent --help",
                               argv[optind - 1]);
    }
    if (optind < argc)
        return cphub_fail (err, EINVAL,
                           "unexpected argument '%s'; see cphub-agent --help",
                           argv[optind]);
    return 0;
}

void agent_config_clear (agent_config_t *cfg)
{
    free (cfg->file);
    free (cfg->scheduler);
    free (cfg->scheduler_key);
    free (cfg->key);
    free (cfg->topology);
    free (cfg->gpus);
    free (cfg->state_dir);
    free (cfg->log_file);
    privsep_map_clear (&cfg->users);
    memset (cfg, 0, sizeof (*cfg));
}

static bool valid_name (const char *s, size_t max)
{
    size_t len = strlen (s);

    if (len == 0 || len > max)
        return false;
    return strspn (s,
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                   "0123456789._-") == len;
}

static bool valid_topology (const char *s)
{
    return s[0] == '\0' || (strncmp (s, "synthetic:", 10) == 0 && s[10] != '\0') ||
           (strncmp (s, "xml:", 4) == 0 && s[4] != '\0');
}

static int load_name (agent_config_t *cfg,
                      const conf_t *c,
                      const agent_flags_t *flags,
                      cphub_error_t *err)
{
    const char *name;
    char host[256] = "";

    if (flags->name) {
        if (!valid_name (flags->name, NODE_NAME_MAX))
            return cphub_fail (err, EINVAL,
                               "--name '%s' is not a node name; use 1 to %d letters, "
                               "digits, '.', '_' or '-'",
                               flags->name, NODE_NAME_MAX);
        snprintf (cfg->name, sizeof (cfg->name), "%s", flags->name);
        return 0;
    }
    if (gethostname (host, sizeof (host) - 1) == 0)
        host[strcspn (host, ".")] = '\0';
    if (conf_get_string (c, "agent.name", host, &name, err) < 0)
        return -1;
    if (!valid_name (name, NODE_NAME_MAX))
        return conf_fail (c, "agent.name", err,
                          "'%s' is not a node name; use 1 to %d letters, digits, '.', "
                          "'_' or '-'",
                          name, NODE_NAME_MAX);
    snprintf (cfg->name, sizeof (cfg->name), "%s", name);
    return 0;
}

static int load_strings (agent_config_t *cfg, const conf_t *c, cphub_error_t *err)
{
    for (size_t i = 0; i < STRING_KEY_COUNT; i++) {
        const string_key_t *k = &string_keys[i];
        char **field = (char **)((char *)cfg + k->offset);
        char def[NODE_NAME_MAX + 64];
        const char *value;
        int rc;

        snprintf (def, sizeof (def), "%s%s%s", k->def, k->def_suffix ? cfg->name : "",
                  k->def_suffix ? k->def_suffix : "");
        if ((rc = conf_get_string (c, k->path, def, &value, err)) < 0)
            return -1;
        if (k->is_path && value[0] == '\0')
            return conf_fail (c, k->path, err, "the path is empty");
        *field = k->is_path ? conf_resolve_path (c, value) : strdup (value);
        if (!*field)
            return cphub_fail (err, ENOMEM, "out of memory");
    }
    if (!strstr (cfg->scheduler, "://"))
        return conf_fail (c, "agent.scheduler", err,
                          "'%s' is not an endpoint; use e.g. \"tcp://127.0.0.1:7711\"",
                          cfg->scheduler);
    if (!valid_topology (cfg->topology))
        return conf_fail (c, "agent.topology", err,
                          "'%s': use \"\" for this machine, \"synthetic:<hwloc "
                          "synthetic>\" or \"xml:PATH\"",
                          cfg->topology);
    if (strncmp (cfg->topology, "xml:", 4) == 0) {
        char *path = conf_resolve_path (c, cfg->topology + 4);
        char *spec = NULL;
        if (!path || asprintf (&spec, "xml:%s", path) < 0)
            spec = NULL;
        free (path);
        if (!spec)
            return cphub_fail (err, ENOMEM, "out of memory");
        free (cfg->topology);
        cfg->topology = spec;
    }
    return 0;
}

static int load_features (agent_config_t *cfg, const conf_t *c, cphub_error_t *err)
{
    int n = conf_count (c, "agent.features");
    size_t used = 0;

    for (int i = 0; i < n; i++) {
        const char *f;
        if (conf_get_array_string (c, "agent.features", i, &f, err) < 0)
            return -1;
        if (!valid_name (f, sizeof (cfg->features) - 1))
            return conf_fail (c, "agent.features", err,
                              "feature '%s' is not a word of letters, digits, '.', '_' "
                              "or '-'",
                              f);
        if (used + strlen (f) + 1 >= sizeof (cfg->features))
            return conf_fail (c, "agent.features", err,
                              "the features take more than %zu bytes",
                              sizeof (cfg->features) - 1);
        used += (size_t)snprintf (cfg->features + used, sizeof (cfg->features) - used,
                                  "%s%s", used ? "," : "", f);
    }
    return 0;
}

/* A GPU's device node, resolved against the config's directory. */
static int load_device (const conf_t *c,
                        const char *path,
                        const char *device,
                        topo_gpu_t *gpu,
                        cphub_error_t *err)
{
    char *abs = conf_resolve_path (c, device);
    int n;

    if (!abs)
        return cphub_fail (err, ENOMEM, "out of memory");
    n = snprintf (gpu->device, sizeof (gpu->device), "%s", abs);
    free (abs);
    if (n < 0 || (size_t)n >= sizeof (gpu->device))
        return conf_fail (c, path, err, "the path is longer than %zu bytes",
                          sizeof (gpu->device) - 1);
    return 0;
}

/* users, default_user, allow_root_jobs, cgroups, pids_max, pids_max_all. */
static int load_isolation (agent_config_t *cfg, const conf_t *c, cphub_error_t *err)
{
    int n = conf_count (c, "agent.users");
    const char *def;

    for (int i = 0; i < n; i++) {
        char tpath[48], upath[48], gpath[48];
        const char *tenant, *user, *group;
        cphub_error_t why = {""};

        snprintf (tpath, sizeof (tpath), "agent.users.[%d].tenant", i);
        snprintf (upath, sizeof (upath), "agent.users.[%d].user", i);
        snprintf (gpath, sizeof (gpath), "agent.users.[%d].group", i);
        if (conf_get_string (c, tpath, "", &tenant, err) < 0 ||
            conf_get_string (c, upath, "", &user, err) < 0 ||
            conf_get_string (c, gpath, "", &group, err) < 0)
            return -1;
        if (!tenant[0])
            return conf_fail (c, tpath, err, "every entry of users names a tenant");
        if (!user[0])
            return conf_fail (c, upath, err, "tenant '%s' needs a user", tenant);
        if (privsep_map_add (&cfg->users, tenant, user, group, &why) < 0)
            return errno == ENOMEM ? cphub_fail (err, ENOMEM, "out of memory")
                                   : conf_fail (c, upath, err, "%s", why.text);
    }
    if (conf_get_string (c, "agent.default_user", "", &def, err) < 0)
        return -1;
    if (def[0]) {
        cphub_error_t why = {""};
        if (privsep_map_set_default (&cfg->users, def, &why) < 0)
            return conf_fail (c, "agent.default_user", err, "%s", why.text);
    }
    if (conf_get_string (c, "agent.user", "nobody", &def, err) < 0)
        return -1;
    if (!valid_name (def, sizeof (cfg->user) - 1))
        return conf_fail (c, "agent.user", err,
                          "'%.40s' is not a user name; use 1 to %zu letters, digits, "
                          "'.', '_' or '-'",
                          def, sizeof (cfg->user) - 1);
    snprintf (cfg->user, sizeof (cfg->user), "%s", def);
    if (conf_get_bool (c, "agent.allow_root_jobs", false, &cfg->users.allow_root_jobs,
                       err) < 0 ||
        conf_get_bool (c, "agent.cgroups", true, &cfg->cgroups, err) < 0 ||
        conf_get_int (c, "agent.pids_max", 4096, &cfg->pids_max, err) < 0)
        return -1;
    if (cfg->pids_max < 0)
        return conf_fail (c, "agent.pids_max", err,
                          "must be 0 (no limit) or a number of processes");
    if (conf_get_int (c, "agent.pids_max_all", 0, &cfg->pids_max_all, err) < 0)
        return -1;
    if (cfg->pids_max_all < 0)
        return conf_fail (c, "agent.pids_max_all", err,
                          "must be 0 (the kernel's limit less a quarter) or a number "
                          "of processes");
    return 0;
}

static int load_gpus (agent_config_t *cfg, const conf_t *c, cphub_error_t *err)
{
    int n = conf_count (c, "agent.gpus");

    if (n == 0)
        return 0;
    if (n > NODE_GPUS_MAX)
        return conf_fail (c, "agent.gpus", err, "%d GPUs; at most %d are supported", n,
                          NODE_GPUS_MAX);
    if (!(cfg->gpus = calloc ((size_t)n, sizeof (*cfg->gpus))))
        return cphub_fail (err, ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        char path[64], npath[64];
        const char *name;
        int64_t numa;

        char dpath[64];
        const char *device;

        snprintf (path, sizeof (path), "agent.gpus.[%d].name", i);
        snprintf (npath, sizeof (npath), "agent.gpus.[%d].numa", i);
        snprintf (dpath, sizeof (dpath), "agent.gpus.[%d].device", i);
        if (conf_get_string (c, path, "", &name, err) < 0 ||
            conf_get_int (c, npath, 0, &numa, err) < 0 ||
            conf_get_string (c, dpath, "", &device, err) < 0)
            return -1;
        if (device[0] && load_device (c, dpath, device, &cfg->gpus[i], err) < 0)
            return -1;
        if (!valid_name (name, sizeof (cfg->gpus[i].name) - 1))
            return conf_fail (c, path, err,
                              "'%s' is not a GPU name; use 1 to %zu letters, digits, "
                              "'.', '_' or '-'",
                              name, sizeof (cfg->gpus[i].name) - 1);
        if (numa < 0 || numa >= NODE_NUMA_MAX)
            return conf_fail (c, npath, err, "%lld is not a NUMA domain index (0..%d)",
                              (long long)numa, NODE_NUMA_MAX - 1);
        snprintf (cfg->gpus[i].name, sizeof (cfg->gpus[i].name), "%s", name);
        cfg->gpus[i].numa = (uint32_t)numa;
        cfg->ngpus++;
    }
    return 0;
}

static int load_numbers (agent_config_t *cfg, const conf_t *c, cphub_error_t *err)
{
    const char *level;

    if (conf_get_duration (c, "agent.heartbeat_interval", 2, &cfg->heartbeat_interval,
                           err) < 0 ||
        conf_get_duration (c, "agent.kill_grace", 10, &cfg->kill_grace, err) < 0 ||
        conf_get_duration (c, "agent.keep_job_dirs", AGENT_KEEP_JOB_DIRS_DEFAULT,
                           &cfg->keep_job_dirs, err) < 0 ||
        conf_get_size (c, "agent.max_output", AGENT_MAX_OUTPUT_DEFAULT,
                       &cfg->max_output, err) < 0 ||
        conf_get_bool (c, "agent.simulate", false, &cfg->simulate, err) < 0 ||
        conf_get_string (c, "agent.log_level", "info", &level, err) < 0)
        return -1;
    if (cfg->heartbeat_interval < 1)
        return conf_fail (c, "agent.heartbeat_interval", err,
                          "must be at least 1s (it is %llds)",
                          (long long)cfg->heartbeat_interval);
    if (cfg->kill_grace < 0)
        return conf_fail (c, "agent.kill_grace", err, "must not be negative");
    if (cfg->keep_job_dirs < 0)
        return conf_fail (c, "agent.keep_job_dirs", err,
                          "must not be negative (0 removes a run's directory at once)");
    if (log_level_parse (level, &cfg->log_level) < 0)
        return conf_fail (c, "agent.log_level", err,
                          "'%s' is not a log level; use err, warn, info or debug",
                          level);
    return 0;
}

static int load_log_file (agent_config_t *cfg, const conf_t *c, cphub_error_t *err)
{
    const char *file;

    if (conf_get_string (c, "agent.log_file", "", &file, err) < 0)
        return -1;
    if (file[0] && !(cfg->log_file = conf_resolve_path (c, file)))
        return cphub_fail (err, ENOMEM, "out of memory");
    return 0;
}

/* Replace *field by a copy of value. */
static int override (char **field, const char *value, cphub_error_t *err)
{
    char *copy = strdup (value);

    if (!copy)
        return cphub_fail (err, ENOMEM, "out of memory");
    free (*field);
    *field = copy;
    return 0;
}

static int apply_flags (agent_config_t *cfg,
                        const agent_flags_t *flags,
                        cphub_error_t *err)
{
    if (flags->topology) {
        if (!valid_topology (flags->topology))
            return cphub_fail (err, EINVAL,
                               "--topology '%s': use \"\" for this machine, "
                               "\"synthetic:<hwloc synthetic>\" or \"xml:PATH\"",
                               flags->topology);
        if (override (&cfg->topology, flags->topology, err) < 0)
            return -1;
    }
    if (flags->state_dir) {
        if (flags->state_dir[0] == '\0')
            return cphub_fail (err, EINVAL, "--state-dir: the path is empty");
        if (override (&cfg->state_dir, flags->state_dir, err) < 0)
            return -1;
    }
    if (flags->log_file) {
        free (cfg->log_file);
        cfg->log_file = NULL;
        if (flags->log_file[0] && override (&cfg->log_file, flags->log_file, err) < 0)
            return -1;
    }
    if (flags->simulate || flags->simulate_nodes)
        cfg->simulate = true;
    if (flags->verbose)
        cfg->log_level = LOG_LVL_DEBUG;
    return 0;
}

int agent_config_load (agent_config_t *cfg,
                       const agent_flags_t *flags,
                       cphub_error_t *err)
{
    const char *file = flags->config ? flags->config : agent_config_default_file ();
    conf_t *c = NULL;
    int saved;

    memset (cfg, 0, sizeof (*cfg));
    if (!(cfg->file = strdup (file))) {
        cphub_fail (err, ENOMEM, "out of memory");
        goto error;
    }
    if (!(c = conf_load (file, agent_settings, err))) {
        if (errno == ENOENT && !flags->config)
            cphub_fail (err, ENOENT,
                        "%s does not exist; give the config file with -c FILE", file);
        goto error;
    }
    if (load_name (cfg, c, flags, err) < 0 || load_strings (cfg, c, err) < 0 ||
        load_features (cfg, c, err) < 0 || load_gpus (cfg, c, err) < 0 ||
        load_numbers (cfg, c, err) < 0 || load_log_file (cfg, c, err) < 0 ||
        load_isolation (cfg, c, err) < 0 || apply_flags (cfg, flags, err) < 0)
        goto error;
    conf_destroy (c);
    return 0;
error:
    saved = errno;
    conf_destroy (c);
    agent_config_clear (cfg);
    errno = saved;
    return -1;
}
