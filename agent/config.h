/* config.h: cphub-agent's settings, from agent.conf and the command line.
 *
 * agent.conf is a libconfig file with one group, agent = { ... }, whose
 * settings are listed (with their defaults) in config.c's table and in
 * etc/agent.conf. Relative paths in the file are relative to the file's
 * directory; relative paths given as flags are relative to the working
 * directory. Flags override the file. Errors name the file, the line and the
 * setting ("etc/agent.conf:7: 'agent.kill_grace': '10x' is not a duration").
 */
#ifndef CPHUB_AGENT_CONFIG_H
#define CPHUB_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/privsep.h"
#include "agent/topo.h"
#include "cphub/error.h"
#include "cphub/log.h"
#include "cphub/resource.h"

/* Command-line flags; NULL/false when not given. Strings point into argv. */
typedef struct agent_flags {
    const char *config;         /* -c FILE */
    const char *name;           /* --name N */
    const char *topology;       /* --topology T */
    const char *state_dir;      /* --state-dir D */
    const char *log_file;       /* --log-file F */
    bool verbose;               /* -v: log at debug */
    bool check_config;          /* --check-config */
    bool help;                  /* -h, --help */
    bool join_new_hub;          /* --join-new-hub: accept a new hub id (hubid.h) */
    bool simulate;              /* --simulate: agent.simulate = true */
    const char *simulate_nodes; /* --simulate-nodes N: N simulated nodes */
} agent_flags_t;

typedef struct agent_config {
    char *file; /* the config file read */
    char name[NODE_NAME_MAX + 1];
    char *scheduler;     /* endpoint of the scheduler's agent socket */
    char *scheduler_key; /* path of the scheduler's public key */
    char *key;           /* path of this agent's key pair */
    char *topology;      /* "", "synthetic:...", "xml:PATH" (PATH resolved) */
    char features[256];  /* "avx512,bigmem" */
    topo_gpu_t *gpus;    /* extra GPUs to advertise */
    size_t ngpus;
    char *state_dir;
    int64_t heartbeat_interval; /* seconds, >= 1 */
    int64_t kill_grace;         /* seconds, >= 0 */
    int64_t keep_job_dirs;      /* seconds a done run's directory is kept */
    uint64_t max_output;        /* bytes per stdout and stderr; 0: none */
    log_level_t log_level;
    char *log_file; /* NULL: stderr */
    /* isolation on the node */
    privsep_map_t users;  /* users = ( { tenant; user; group; } ), default_user */
    bool cgroups;         /* cgroups = true: per-job cgroups where available */
    int64_t pids_max;     /* processes per job; 0 = no limit */
    int64_t pids_max_all; /* processes of all jobs; 0 = the kernel's less a quarter */
    /* privilege separation: the user the network process runs as (root agent) */
    char user[PRIVSEP_NAME_MAX + 1];
    bool simulate; /* simulated execution (sim.h): benchmarks and tests only */
} agent_config_t;

/* Defaults: a day of output to fetch; a gigabyte each of stdout and
 * stderr. */
#define AGENT_KEEP_JOB_DIRS_DEFAULT (24 * 3600)
#define AGENT_MAX_OUTPUT_DEFAULT (1024ULL * 1024 * 1024)

/* The config file used when -c is not given. */
const char *agent_config_default_file (void);

/* Parse argv into flags. 0, or -1/EINVAL with err ("unknown option '--foo';
 * see cphub-agent --help", "option '--name' needs a value"). */
int agent_flags_parse (int argc, char **argv, agent_flags_t *flags, cphub_error_t *err);
/* Print the usage text, the flags and the config settings with their help. */
void agent_usage (FILE *out);

/* Read the config file named by flags (or the default) and apply the flags.
 * cfg is overwritten; on success the caller calls agent_config_clear(). -1
 * with errno and err naming file, line and setting; cfg is left cleared. */
int agent_config_load (agent_config_t *cfg,
                       const agent_flags_t *flags,
                       cphub_error_t *err);
void agent_config_clear (agent_config_t *cfg);

#endif
