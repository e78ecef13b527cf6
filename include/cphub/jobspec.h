/* jobspec.h: what a tenant asks for, parsed and validated.
 *
 * The same option table serves the command line (`cphub submit -n 4 ...`) and
 * `#CPHUB` directive lines in a script, as #SBATCH does for Slurm. The CLI
 * builds a jobspec; the codec carries it; the scheduler validates it again
 * (never trusting the client) and places it; the agent runs it.
 */
#ifndef CPHUB_JOBSPEC_H
#define CPHUB_JOBSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cphub/error.h"

/* Limits on what one job may say (the scheduler enforces them too). */
#define JOBSPEC_NAME_MAX 127     /* job name, bytes */
#define JOBSPEC_ARGC_MAX 4096    /* command words */
#define JOBSPEC_ARG_MAX 65536    /* bytes per command word */
#define JOBSPEC_SCRIPT_MAX (1 << 20) /* script bytes */
#define JOBSPEC_TASKS_MAX 65536
#define JOBSPEC_CPUS_PER_TASK_MAX 4096
#define JOBSPEC_GPUS_MAX 1024

typedef struct jobspec {
    uint32_t ntasks;        /* -n, --ntasks; default 1 */
    uint32_t cpus_per_task; /* -c, --cpus-per-task; default 1 */
    uint32_t gpus;          /* --gpus; default 0 */
    uint64_t mem;           /* --mem, bytes for the whole job; 0 = not asked */
    int64_t walltime;       /* -t, --time, seconds; 0 = hub default */
    char name[JOBSPEC_NAME_MAX + 1]; /* -J, --job-name; "" = from command */
    int argc;               /* command and arguments, or 0 when script is set */
    char **argv;            /* argc strings + NULL; owned */
    char *script;           /* script text (starts with #!), or NULL; owned */
} jobspec_t;

/* Defaults: 1 task, 1 cpu per task, nothing else. */
void jobspec_init (jobspec_t *spec);
/* Free what the spec owns and re-init it. */
void jobspec_clear (jobspec_t *spec);
/* Deep copy into dst (which is overwritten, not cleared). 0 or -1/ENOMEM. */
int jobspec_copy (jobspec_t *dst, const jobspec_t *src);

/* Copy argv[0..argc-1] into the spec. */
int jobspec_set_argv (jobspec_t *spec, int argc, char *const argv[],
                      cphub_error_t *err);
/* Take a copy of a script's text and apply its #CPHUB directive lines (those
 * in the leading comment block, stopping at the first non-comment line).
 * The CLI calls this first and then applies its command-line options, so
 * that the command line wins over directives, as with sbatch. */
int jobspec_set_script (jobspec_t *spec, const char *text, cphub_error_t *err);

/* Apply one option by its long name without dashes ("ntasks",
 * "cpus-per-task", "mem", "gpus", "time", "job-name") or short letter as a
 * one-char string ("n", "c", "t", "J"). -1/EINVAL with err for an unknown
 * option or a bad value ("--mem: '4X' is not a size; use e.g. 512M or 4G"). */
int jobspec_set_option (jobspec_t *spec, const char *option, const char *value,
                        cphub_error_t *err);

/* Table of the options, for the CLI's getopt table and help. */
typedef struct jobspec_option {
    const char *long_name; /* "ntasks" */
    char short_name;       /* 'n', or 0 */
    const char *arg_name;  /* "TASKS" */
    const char *help;      /* one line */
} jobspec_option_t;
/* NULL-terminated (long_name == NULL) table. */
const jobspec_option_t *jobspec_options (void);

/* Check every field against the limits above and for consistency: exactly one
 * of argv/script, counts >= 1, strings within bounds. -1/EINVAL with err. */
int jobspec_validate (const jobspec_t *spec, cphub_error_t *err);

/* Cores the job needs (ntasks * cpus_per_task; saturates at UINT32_MAX). */
uint32_t jobspec_cores (const jobspec_t *spec);

/* A short human summary of the command: "sleep 60" or "script.sh" (the
 * name), truncated to len. */
void jobspec_command_summary (const jobspec_t *spec, char *buf, size_t len);

#endif
