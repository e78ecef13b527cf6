/* jobspec.h: what a tenant asks for, parsed and validated.
 *
 * The same option table serves the command line (`cphub submit -n 4 ...`) and
 * `#CPHUB` directive lines in a script, as #SBATCH does for Slurm. The CLI
 * builds a jobspec; the codec carries it and, decoding, parses and validates
 * it again (the hub never trusts the client); the scheduler's core applies
 * the hub's rules and places it; the agent runs it.
 */
#ifndef CPHUB_JOBSPEC_H
#define CPHUB_JOBSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cphub/constraint.h"
#include "cphub/error.h"

/* Limits on what one job may say (the scheduler enforces them too). */
#define JOBSPEC_NAME_MAX 127         /* job name, bytes */
#define JOBSPEC_ARGC_MAX 4096        /* command words */
#define JOBSPEC_ARG_MAX 65536        /* bytes per command word */
#define JOBSPEC_SCRIPT_MAX (1 << 20) /* script bytes */
#define JOBSPEC_TASKS_MAX 65536
#define JOBSPEC_CPUS_PER_TASK_MAX 4096
#define JOBSPEC_GPUS_MAX 1024
#define JOBSPEC_NODES_MAX 64       /* -N */
#define JOBSPEC_CONSTRAINT_MAX 255 /* bytes of --constraint */
#define JOBSPEC_ARRAY_TEXT_MAX 127 /* bytes of --array */
#define JOBSPEC_ARRAY_SIZE_MAX                                                \
    10000                               /* elements of one array (the hub may \
                                           set a lower limit) */
#define JOBSPEC_ARRAY_INDEX_MAX 9999999 /* largest array index */
#define JOBSPEC_AFTER_MAX 1023          /* bytes of --after */
#define JOBSPEC_AFTER_IDS_MAX 64        /* job ids in --after */

/* --array "0-15:4,20,30-32%2": ranges of indices in increasing order
 * (first-last[:step]), then an optional %N throttle. */
#define JOBSPEC_ARRAY_RANGES_MAX 64
typedef struct jobspec_array_range {
    uint32_t first;
    uint32_t last; /* first + k * step */
    uint32_t step;
} jobspec_array_range_t;
/* Sized to its ranges (every element of an array holds a copy). */
typedef struct jobspec_array {
    uint32_t count;    /* elements, 1..JOBSPEC_ARRAY_SIZE_MAX */
    uint32_t throttle; /* at most this many running at once; 0 = no limit */
    uint32_t nranges;  /* 1..JOBSPEC_ARRAY_RANGES_MAX */
    jobspec_array_range_t ranges[];
} jobspec_array_t;

/* --after "ok:12:13,any:14" (also afterok:, afterany:): ok waits for the
 * jobs to complete (and fails with any of them), any for them to end. */
typedef enum { JOBSPEC_AFTER_OK = 0, JOBSPEC_AFTER_ANY } jobspec_after_kind_t;
typedef struct jobspec_dep {
    uint64_t id;
    jobspec_after_kind_t kind;
} jobspec_dep_t;
/* Sized to its ids. */
typedef struct jobspec_after {
    uint32_t count; /* 1..JOBSPEC_AFTER_IDS_MAX */
    jobspec_dep_t deps[];
} jobspec_after_t;

/* The parsed forms (constraint, array, after) are owned by the spec and NULL
 * when the job does not ask for them. They are parsed once where text enters
 * (jobspec_set_option for the command line and #CPHUB lines, the codec for
 * the wire) and are valid by construction afterwards: no later layer parses
 * them again. */
typedef struct jobspec {
    uint32_t ntasks;                 /* -n, --ntasks; default 1 */
    uint32_t cpus_per_task;          /* -c, --cpus-per-task; default 1 */
    uint32_t gpus;                   /* --gpus; default 0 */
    uint64_t mem;                    /* --mem, bytes for the whole job; 0 = not asked */
    int64_t walltime;                /* -t, --time, seconds; 0 = hub default */
    char name[JOBSPEC_NAME_MAX + 1]; /* -J, --job-name; "" = from command */
    int argc;        /* command and arguments, or 0 when script is set */
    char **argv;     /* argc strings + NULL; owned */
    char *script;    /* script text (starts with #!), or NULL; owned */
    bool no_requeue; /* --no-requeue: fail (NODE_FAIL) instead of being
                        requeued when the node fails */
    bool hold;       /* --hold: held at submit (reason Held) until released */
    /* placement and relations to other jobs */
    uint32_t nodes;           /* -N, --nodes: nodes the job spans; 0 or 1 = one */
    bool exclusive;           /* --exclusive: whole nodes, shared with no job */
    constraint_t *constraint; /* --constraint: node features, NULL = any node;
                                 its text: constraint_text () */
    jobspec_array_t *array;   /* --array; NULL = one job */
    jobspec_after_t *after;   /* --after; NULL = no dependencies */
} jobspec_t;

/* Defaults: 1 task, 1 cpu per task, nothing else. */
void jobspec_init (jobspec_t *spec);
/* Free what the spec owns (argv, script, parsed forms) and re-init it. */
void jobspec_clear (jobspec_t *spec);
/* Deep copy into dst (which is overwritten, not cleared). 0 or -1/ENOMEM. */
int jobspec_copy (jobspec_t *dst, const jobspec_t *src);

/* Copy argv[0..argc-1] into the spec. */
int jobspec_set_argv (jobspec_t *spec,
                      int argc,
                      char *const argv[],
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
int jobspec_set_option (jobspec_t *spec,
                        const char *option,
                        const char *value,
                        cphub_error_t *err);

/* Table of the options, for the CLI's getopt table and help. */
typedef struct jobspec_option {
    const char *long_name; /* "ntasks" */
    char short_name;       /* 'n', or 0 */
    const char *arg_name;  /* "TASKS"; NULL for a flag */
    const char *help;      /* one line */
    bool flag;             /* takes no value (--no-requeue): getopt's
                              no_argument; jobspec_set_option takes NULL or "" */
    /* Apply value (NULL for a flag), leaving spec as it was on failure:
     * 0 or -1 with err. Call jobspec_set_option, which checks flag and value. */
    int (*set) (jobspec_t *spec, const char *value, cphub_error_t *err);
} jobspec_option_t;
/* NULL-terminated (long_name == NULL) table. */
const jobspec_option_t *jobspec_options (void);

/* Check every field against the limits above and for consistency: exactly one
 * of argv/script, counts >= 1, strings within bounds. The parsed forms were
 * checked when parsed. -1/EINVAL with err. */
int jobspec_validate (const jobspec_t *spec, cphub_error_t *err);
/* The numbers only (tasks, cores per task, GPUs, memory, wall time, nodes):
 * the part of jobspec_validate that the scheduler's core computes with.
 * -1/EINVAL with err ("asked 80 nodes; the most is 64"). */
int jobspec_validate_counts (const jobspec_t *spec, cphub_error_t *err);

/* Cores the job needs (ntasks * cpus_per_task; saturates at UINT32_MAX). */
uint32_t jobspec_cores (const jobspec_t *spec);

/* A short human summary of the command: "sleep 60" or "script.sh" (the
 * name), truncated to len. */
void jobspec_command_summary (const jobspec_t *spec, char *buf, size_t len);

/* --- placement and relations to other jobs (common/jobspec_rel.c) -------- */

/* Nodes the job spans (nodes, where 0 means 1). */
uint32_t jobspec_nodes (const jobspec_t *spec);
/* Does it ask for an array (--array), for dependencies (--after)? */
bool jobspec_is_array (const jobspec_t *spec);
bool jobspec_has_after (const jobspec_t *spec);

/* What one node of the job holds: tasks spread evenly over the nodes
 * (ceil(max(ntasks, nodes) / nodes) per node), GPUs and memory likewise
 * (ceil). *share gets the counts only (no argv, no script; nodes = 1);
 * a one-node job's share is its own counts. */
void jobspec_node_share (const jobspec_t *spec, jobspec_t *share);

/* --array text into a new form (free with free ()): NULL with errno EINVAL
 * and err ("--array: '5-3' runs backwards; write 3-5"), or ENOMEM. */
jobspec_array_t *jobspec_array_parse (const char *text, cphub_error_t *err);
/* A copy of a: NULL/ENOMEM. */
jobspec_array_t *jobspec_array_copy (const jobspec_array_t *a);
/* The index of element n (0 <= n < count), in increasing order. */
uint32_t jobspec_array_index (const jobspec_array_t *a, uint32_t n);
/* Its inverse: the offset n of the first element whose index is >= index
 * (count when there is none) into *n; true when that element's index is
 * index. Arithmetic over the ranges, no walk of the elements. */
bool jobspec_array_seek (const jobspec_array_t *a, uint32_t index, uint32_t *n);
/* The canonical text of a ("0-12:4,20%5"), which parses back to the same
 * form; never longer than the text it was parsed from. snprintf's contract:
 * returns the length it needs, buf is always terminated. */
int jobspec_array_format (const jobspec_array_t *a, char *buf, size_t len);

/* --after text into a new form (free with free ()): NULL with errno EINVAL
 * and err ("--after: 'okk' is not a kind; ..."), or ENOMEM. */
jobspec_after_t *jobspec_after_parse (const char *text, cphub_error_t *err);
/* A copy of a: NULL/ENOMEM. */
jobspec_after_t *jobspec_after_copy (const jobspec_after_t *a);
/* The canonical text of a ("ok:12:13,any:14"), as jobspec_array_format. */
int jobspec_after_format (const jobspec_after_t *a, char *buf, size_t len);

#endif
