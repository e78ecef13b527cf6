/* jobspec.c: a tenant's job request, parsed from command-line options or from
 * #CPHUB directive lines in a script, and validated.
 *
 * One option table (long name, short letter, argument, help, setter) serves
 * the CLI's getopt table and help, `#CPHUB` lines and jobspec_set_option.
 * --constraint, --array and --after are parsed here into the typed forms the
 * spec keeps. The codec calls jobspec_validate again on what arrives from the
 * wire, so every limit here is also a limit the hub enforces. Setters never
 * change the spec when they fail.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/constraint.h"
#include "cphub/jobspec.h"
#include "cphub/parse.h"

#define DIRECTIVE "#CPHUB"
/* Largest --mem: the wire carries JSON integers as signed 64-bit. */
#define JOBSPEC_MEM_MAX ((uint64_t)INT64_MAX)
#define DIRECTIVE_TOKENS_MAX 64
/* An unknown option this long or longer that starts a real one's name is
 * offered as "did you mean". */
#define JOBSPEC_NEAR_MIN 3

void jobspec_init (jobspec_t *spec)
{
    memset (spec, 0, sizeof (*spec));
    spec->ntasks = 1;
    spec->cpus_per_task = 1;
}

static void jobspec_free_argv (char **argv)
{
    if (!argv)
        return;
    for (char **a = argv; *a; a++)
        free (*a);
    free (argv);
}

void jobspec_clear (jobspec_t *spec)
{
    if (!spec)
        return;
    int saved = errno;
    jobspec_free_argv (spec->argv);
    free (spec->script);
    constraint_destroy (spec->constraint);
    free (spec->array);
    free (spec->after);
    jobspec_init (spec);
    errno = saved;
}

/* NULL-terminated deep copy of argv[0..argc-1]; NULL/ENOMEM. */
static char **jobspec_dup_argv (int argc, char *const argv[])
{
    char **copy = calloc ((size_t)argc + 1, sizeof (char *));

    if (!copy)
        return NULL;
    for (int i = 0; i < argc; i++) {
        if (!(copy[i] = strdup (argv[i] ? argv[i] : "")))
            goto error;
    }
    return copy;
error:
    jobspec_free_argv (copy);
    errno = ENOMEM;
    return NULL;
}

int jobspec_copy (jobspec_t *dst, const jobspec_t *src)
{
    jobspec_t tmp = *src;

    tmp.argv = NULL;
    tmp.script = NULL;
    tmp.constraint = NULL;
    tmp.array = NULL;
    tmp.after = NULL;
    if (src->argv && !(tmp.argv = jobspec_dup_argv (src->argc, src->argv)))
        goto error;
    if (src->script && !(tmp.script = strdup (src->script)))
        goto error;
    if (src->constraint && !(tmp.constraint = constraint_copy (src->constraint)))
        goto error;
    if (src->array && !(tmp.array = jobspec_array_copy (src->array)))
        goto error;
    if (src->after && !(tmp.after = jobspec_after_copy (src->after)))
        goto error;
    *dst = tmp;
    return 0;
error:
    jobspec_clear (&tmp);
    errno = ENOMEM;
    return -1;
}

int jobspec_set_argv (jobspec_t *spec, int argc, char *const argv[], cphub_error_t *err)
{
    char **copy;

    if (argc < 1 || !argv || !argv[0] || !argv[0][0])
        return cphub_fail (err, EINVAL, "no command given; give a command or a script");
    if (argc > JOBSPEC_ARGC_MAX)
        return cphub_fail (err, EINVAL, "the command has %d words; the most is %d",
                           argc, JOBSPEC_ARGC_MAX);
    for (int i = 0; i < argc; i++) {
        if (!argv[i])
            return cphub_fail (err, EINVAL, "command word %d is missing", i);
        size_t n = strlen (argv[i]);
        if (n > JOBSPEC_ARG_MAX)
            return cphub_fail (err, EINVAL,
                               "command word %d is %zu bytes; the most is %d", i, n,
                               JOBSPEC_ARG_MAX);
    }
    if (!(copy = jobspec_dup_argv (argc, argv)))
        return cphub_fail (err, ENOMEM, "out of memory");
    jobspec_free_argv (spec->argv);
    free (spec->script);
    spec->script = NULL;
    spec->argv = copy;
    spec->argc = argc;
    return 0;
}

/* A flag: value is NULL. */
static int jobspec_set_no_requeue (jobspec_t *spec,
                                   const char *value,
                                   cphub_error_t *err)
{
    (void)value;
    (void)err;
    spec->no_requeue = true;
    return 0;
}

/* A flag: value is NULL. */
static int jobspec_set_hold (jobspec_t *spec, const char *value, cphub_error_t *err)
{
    (void)value;
    (void)err;
    spec->hold = true;
    return 0;
}

/* A flag: value is NULL. */
static int jobspec_set_exclusive (jobspec_t *spec,
                                  const char *value,
                                  cphub_error_t *err)
{
    (void)value;
    (void)err;
    spec->exclusive = true;
    return 0;
}

static int jobspec_set_count (const char *flag,
                              const char *value,
                              uint64_t min,
                              uint64_t max,
                              uint32_t *field,
                              cphub_error_t *err)
{
    uint64_t v;

    if (parse_uint (value, flag, min, max, &v, err) < 0) {
        errno = EINVAL;
        return -1;
    }
    *field = (uint32_t)v;
    return 0;
}

static int jobspec_set_ntasks (jobspec_t *spec, const char *value, cphub_error_t *err)
{
    return jobspec_set_count ("--ntasks", value, 1, JOBSPEC_TASKS_MAX, &spec->ntasks,
                              err);
}

static int jobspec_set_cpus (jobspec_t *spec, const char *value, cphub_error_t *err)
{
    return jobspec_set_count ("--cpus-per-task", value, 1, JOBSPEC_CPUS_PER_TASK_MAX,
                              &spec->cpus_per_task, err);
}

static int jobspec_set_gpus (jobspec_t *spec, const char *value, cphub_error_t *err)
{
    return jobspec_set_count ("--gpus", value, 0, JOBSPEC_GPUS_MAX, &spec->gpus, err);
}

static int jobspec_set_mem (jobspec_t *spec, const char *value, cphub_error_t *err)
{
    cphub_error_t perr;
    uint64_t bytes;

    if (parse_mem (value, &bytes, &perr) < 0)
        return cphub_fail (err, EINVAL, "--mem: %s", perr.text);
    if (bytes > JOBSPEC_MEM_MAX)
        return cphub_fail (err, EINVAL,
                           "--mem: '%.32s' is too large; ask less than 8192P", value);
    spec->mem = bytes;
    return 0;
}

static int jobspec_set_time (jobspec_t *spec, const char *value, cphub_error_t *err)
{
    cphub_error_t perr;
    int64_t seconds;

    if (parse_duration (value, &seconds, &perr) < 0)
        return cphub_fail (err, EINVAL, "--time: %s", perr.text);
    if (seconds == 0)
        return cphub_fail (err, EINVAL,
                           "--time: '%.32s' is no time at all; give e.g. 30 (minutes), "
                           "2:00:00 or 1-00:00:00",
                           value);
    spec->walltime = seconds;
    return 0;
}

/* Printable text: no control characters (UTF-8 bytes above 0x7f pass). */
static bool jobspec_printable (const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f)
            return false;
    }
    return true;
}

static int jobspec_set_name (jobspec_t *spec, const char *value, cphub_error_t *err)
{
    size_t n = strlen (value);

    if (n == 0)
        return cphub_fail (err, EINVAL, "--job-name: empty; give a name");
    if (n > JOBSPEC_NAME_MAX)
        return cphub_fail (err, EINVAL, "--job-name: %zu bytes; the most is %d", n,
                           JOBSPEC_NAME_MAX);
    if (!jobspec_printable (value))
        return cphub_fail (err, EINVAL, "--job-name: has control characters");
    memcpy (spec->name, value, n + 1);
    return 0;
}

static int jobspec_set_nodes (jobspec_t *spec, const char *value, cphub_error_t *err)
{
    return jobspec_set_count ("--nodes", value, 1, JOBSPEC_NODES_MAX, &spec->nodes,
                              err);
}

static int jobspec_set_constraint (jobspec_t *spec,
                                   const char *value,
                                   cphub_error_t *err)
{
    cphub_error_t cerr;
    constraint_t *c = constraint_parse (value, &cerr);

    if (!c)
        return cphub_fail (err, errno, "--constraint: %s", cerr.text);
    constraint_destroy (spec->constraint);
    spec->constraint = c;
    return 0;
}

static int jobspec_set_array (jobspec_t *spec, const char *value, cphub_error_t *err)
{
    jobspec_array_t *a = jobspec_array_parse (value, err);

    if (!a)
        return -1;
    free (spec->array);
    spec->array = a;
    return 0;
}

static int jobspec_set_after (jobspec_t *spec, const char *value, cphub_error_t *err)
{
    jobspec_after_t *a = jobspec_after_parse (value, err);

    if (!a)
        return -1;
    free (spec->after);
    spec->after = a;
    return 0;
}

/* One row per option: the CLI's getopt table and help, #CPHUB lines and
 * jobspec_set_option all read it. */
#define OPTION(l, s, a, fn, h)                                                         \
    {                                                                                  \
        .long_name = (l), .short_name = (s), .arg_name = (a), .help = (h), .set = (fn) \
    }
#define FLAG(l, fn, h)                                           \
    {                                                            \
        .long_name = (l), .help = (h), .flag = true, .set = (fn) \
    }

static const jobspec_option_t jobspec_option_table[] = {
    OPTION ("ntasks", 'n', "TASKS", jobspec_set_ntasks, "number of tasks (default 1)"),
    OPTION ("cpus-per-task",
            'c',
            "CPUS",
            jobspec_set_cpus,
            "cores for each task (default 1)"),
    OPTION ("mem",
            0,
            "SIZE",
            jobspec_set_mem,
            "memory for the whole job: 512M, 4G (bare number = MiB)"),
    OPTION ("gpus", 0, "COUNT", jobspec_set_gpus, "GPUs for the whole job (default 0)"),
    OPTION ("time",
            't',
            "TIME",
            jobspec_set_time,
            "wall-time limit: minutes, HH:MM:SS, D-HH:MM:SS, 30s, 2h"),
    OPTION ("job-name",
            'J',
            "NAME",
            jobspec_set_name,
            "name of the job (default: the command)"),
    OPTION ("nodes",
            'N',
            "NODES",
            jobspec_set_nodes,
            "nodes the job spans; tasks spread evenly (default 1)"),
    OPTION ("constraint",
            'C',
            "EXPR",
            jobspec_set_constraint,
            "node features, e.g. \"avx512&(a100|h100)\""),
    OPTION ("array",
            0,
            "INDICES",
            jobspec_set_array,
            "a job array: 0-99, 0-15:4, 1,5,7; %N runs at most N at once"),
    OPTION ("after",
            0,
            "DEPS",
            jobspec_set_after,
            "start after jobs: ok:ID[:ID...] (completed), any:ID (ended)"),
    FLAG ("no-requeue",
          jobspec_set_no_requeue,
          "if its node fails, end NODE_FAIL instead of running again"),
    FLAG ("exclusive", jobspec_set_exclusive, "whole nodes: no other job shares them"),
    FLAG ("hold", jobspec_set_hold, "held at submit: it starts only once released"),
    {.long_name = NULL},
};

const jobspec_option_t *jobspec_options (void)
{
    return jobspec_option_table;
}

/* Find an option by long name or one-letter short name, leading dashes
 * allowed. -1 when unknown. */
static int jobspec_option_find (const char *option)
{
    while (*option == '-')
        option++;
    for (int i = 0; jobspec_option_table[i].long_name; i++) {
        const jobspec_option_t *o = &jobspec_option_table[i];
        if (strcmp (option, o->long_name) == 0 ||
            (o->short_name && option[0] == o->short_name && option[1] == '\0'))
            return i;
    }
    return -1;
}

/* The option a cut-short name meant ("ntask", "--cpus"): the first whose
 * long name starts with it, from JOBSPEC_NEAR_MIN bytes on; or -1. */
static int jobspec_option_near (const char *option)
{
    size_t len;

    while (*option == '-')
        option++;
    len = strlen (option);
    for (int i = 0; len >= JOBSPEC_NEAR_MIN && jobspec_option_table[i].long_name; i++) {
        if (strncmp (jobspec_option_table[i].long_name, option, len) == 0)
            return i;
    }
    return -1;
}

int jobspec_set_option (jobspec_t *spec,
                        const char *option,
                        const char *value,
                        cphub_error_t *err)
{
    int i = option ? jobspec_option_find (option) : -1;

    if (i < 0 && option && (i = jobspec_option_near (option)) >= 0)
        return cphub_fail (err, EINVAL,
                           "unknown option '%.40s'; did you mean --%s? (cphub "
                           "submit --help lists them all)",
                           option, jobspec_option_table[i].long_name);
    if (i < 0)
        return cphub_fail (err, EINVAL,
                           "unknown option '%.40s'; cphub submit --help lists the "
                           "options",
                           option ? option : "");
    if (jobspec_option_table[i].flag) {
        if (value && value[0] != '\0')
            return cphub_fail (err, EINVAL, "--%s takes no value (given '%.32s')",
                               jobspec_option_table[i].long_name, value);
        return jobspec_option_table[i].set (spec, NULL, err);
    }
    if (!value)
        return cphub_fail (err, EINVAL, "--%s: needs a value (%s)",
                           jobspec_option_table[i].long_name,
                           jobspec_option_table[i].arg_name);
    return jobspec_option_table[i].set (spec, value, err);
}

/* Split a directive's arguments into words in place: blanks separate, single
 * and double quotes group, an unquoted '#' starts a comment. Returns the word
 * count or -1 with err. */
static int jobspec_split (
    char *line, char **words, int max, int lineno, cphub_error_t *err)
{
    int n = 0;
    char *r = line;

    for (;;) {
        while (*r == ' ' || *r == '\t')
            r++;
        if (*r == '\0' || *r == '#')
            return n;
        if (n == max)
            return cphub_fail (err, EINVAL, "script line %d: more than %d words",
                               lineno, max);
        char *w = r;
        char *out = r;
        words[n++] = w;
        while (*r && *r != ' ' && *r != '\t') {
            if (*r == '"' || *r == '\'') {
                char q = *r++;
                while (*r && *r != q)
                    *out++ = *r++;
                if (*r != q)
                    return cphub_fail (err, EINVAL,
                                       "script line %d: unterminated quote", lineno);
                r++;
            } else {
                *out++ = *r++;
            }
        }
        if (*r)
            r++;
        *out = '\0';
    }
}

/* Apply the options on one directive line (text after "#CPHUB"). */
static int jobspec_directive (jobspec_t *spec,
                              char *args,
                              int lineno,
                              cphub_error_t *err)
{
    char *words[DIRECTIVE_TOKENS_MAX];
    cphub_error_t oerr;
    int n = jobspec_split (args, words, DIRECTIVE_TOKENS_MAX, lineno, err);

    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        char *w = words[i];
        char letter[2];
        char *option;
        const char *value = NULL;

        if (w[0] == '-' && w[1] == '-' && w[2] != '\0') {
            option = w + 2;
            char *eq = strchr (option, '=');
            if (eq) {
                *eq = '\0';
                value = eq + 1;
            }
        } else if (w[0] == '-' && w[1] != '\0' && w[1] != '-') {
            /* "-n 4" or "-n4": the letter, then the value glued or next */
            letter[0] = w[1];
            letter[1] = '\0';
            option = letter;
            if (w[2] != '\0')
                value = w + 2;
        } else {
            return cphub_fail (err, EINVAL,
                               "script line %d: '%.32s' is not an option; write e.g. "
                               "#CPHUB -n 4 or #CPHUB --mem=4G",
                               lineno, w);
        }
        int found = jobspec_option_find (option);
        bool flag = found >= 0 && jobspec_option_table[found].flag;
        if (!value && !flag) {
            if (i + 1 >= n)
                return cphub_fail (err, EINVAL, "script line %d: %.32s needs a value",
                                   lineno, words[i]);
            value = words[++i];
        }
        if (jobspec_set_option (spec, option, value, &oerr) < 0)
            return cphub_fail (err, EINVAL, "script line %d: %s", lineno, oerr.text);
    }
    return 0;
}

/* Walk the leading comment block of text (after the #! line) and apply each
 * #CPHUB line to spec. */
static int jobspec_directives (jobspec_t *spec, const char *text, cphub_error_t *err)
{
    const char *line = strchr (text, '\n');
    int lineno = 1;
    char *buf = NULL;

    while (line) {
        line++;
        lineno++;
        const char *eol = strchr (line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen (line);
        const char *p = line;

        while (p < line + len && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        if (p == line + len || *p == '#') {
            size_t dl = strlen (DIRECTIVE);
            if (len >= dl && strncmp (line, DIRECTIVE, dl) == 0 &&
                (len == dl || line[dl] == ' ' || line[dl] == '\t' ||
                 line[dl] == '\r')) {
                if (!(buf = strndup (line + dl, len - dl))) {
                    cphub_fail (err, ENOMEM, "out of memory");
                    goto error;
                }
                size_t bl = strlen (buf);
                if (bl > 0 && buf[bl - 1] == '\r')
                    buf[bl - 1] = '\0';
                if (jobspec_directive (spec, buf, lineno, err) < 0)
                    goto error;
                free (buf);
                buf = NULL;
            }
        } else {
            break; /* the first command ends the directive block */
        }
        line = eol;
    }
    return 0;
error:
    free (buf);
    return -1;
}

int jobspec_set_script (jobspec_t *spec, const char *text, cphub_error_t *err)
{
    jobspec_t tmp;
    size_t len;

    if (!text || !*text)
        return cphub_fail (err, EINVAL, "the script is empty");
    len = strlen (text);
    if (len > JOBSPEC_SCRIPT_MAX)
        return cphub_fail (err, EINVAL, "the script is %zu bytes; the most is %d", len,
                           JOBSPEC_SCRIPT_MAX);
    if (strncmp (text, "#!", 2) != 0)
        return cphub_fail (
            err, EINVAL,
            "the script does not start with #!; its first line must name "
            "an interpreter, e.g. #!/bin/sh");
    if (jobspec_copy (&tmp, spec) < 0)
        return cphub_fail (err, ENOMEM, "out of memory");
    jobspec_free_argv (tmp.argv);
    tmp.argv = NULL;
    tmp.argc = 0;
    free (tmp.script);
    if (!(tmp.script = strdup (text))) {
        cphub_fail (err, ENOMEM, "out of memory");
        goto error;
    }
    if (jobspec_directives (&tmp, text, err) < 0)
        goto error;
    jobspec_clear (spec);
    *spec = tmp;
    return 0;
error:
    jobspec_clear (&tmp);
    return -1;
}

int jobspec_validate_counts (const jobspec_t *spec, cphub_error_t *err)
{
    if (spec->ntasks < 1 || spec->ntasks > JOBSPEC_TASKS_MAX)
        return cphub_fail (err, EINVAL, "ntasks is %" PRIu32 "; give 1 to %d",
                           spec->ntasks, JOBSPEC_TASKS_MAX);
    if (spec->cpus_per_task < 1 || spec->cpus_per_task > JOBSPEC_CPUS_PER_TASK_MAX)
        return cphub_fail (err, EINVAL, "cpus_per_task is %" PRIu32 "; give 1 to %d",
                           spec->cpus_per_task, JOBSPEC_CPUS_PER_TASK_MAX);
    if (spec->gpus > JOBSPEC_GPUS_MAX)
        return cphub_fail (err, EINVAL, "asked %" PRIu32 " GPUs; the most is %d",
                           spec->gpus, JOBSPEC_GPUS_MAX);
    if (spec->mem > JOBSPEC_MEM_MAX)
        return cphub_fail (err, EINVAL,
                           "asked %" PRIu64 " bytes of memory; the most is %" PRIu64,
                           spec->mem, JOBSPEC_MEM_MAX);
    if (spec->walltime < 0)
        return cphub_fail (err, EINVAL,
                           "walltime is %" PRId64
                           " seconds; it cannot be "
                           "negative",
                           spec->walltime);
    if (spec->nodes > JOBSPEC_NODES_MAX)
        return cphub_fail (err, EINVAL, "asked %" PRIu32 " nodes; the most is %d",
                           spec->nodes, JOBSPEC_NODES_MAX);
    return 0;
}

int jobspec_validate (const jobspec_t *spec, cphub_error_t *err)
{
    if (jobspec_validate_counts (spec, err) < 0)
        return -1;
    if (strnlen (spec->name, sizeof (spec->name)) == sizeof (spec->name))
        return cphub_fail (err, EINVAL, "the job name is longer than %d bytes",
                           JOBSPEC_NAME_MAX);
    if (!jobspec_printable (spec->name))
        return cphub_fail (err, EINVAL, "the job name has control characters");
    if (spec->script && (spec->argc != 0 || spec->argv))
        return cphub_fail (err, EINVAL, "give either a command or a script, not both");
    if (spec->script) {
        size_t len = strlen (spec->script);
        if (len > JOBSPEC_SCRIPT_MAX)
            return cphub_fail (err, EINVAL, "the script is %zu bytes; the most is %d",
                               len, JOBSPEC_SCRIPT_MAX);
        if (strncmp (spec->script, "#!", 2) != 0)
            return cphub_fail (err, EINVAL, "the script does not start with #!");
        return 0;
    }
    if (spec->argc < 1 || !spec->argv)
        return cphub_fail (err, EINVAL, "no command or script given");
    if (spec->argc > JOBSPEC_ARGC_MAX)
        return cphub_fail (err, EINVAL, "the command has %d words; the most is %d",
                           spec->argc, JOBSPEC_ARGC_MAX);
    for (int i = 0; i < spec->argc; i++) {
        if (!spec->argv[i])
            return cphub_fail (err, EINVAL, "command word %d is missing", i);
        size_t n = strlen (spec->argv[i]);
        if (n > JOBSPEC_ARG_MAX)
            return cphub_fail (err, EINVAL,
                               "command word %d is %zu bytes; the most is %d", i, n,
                               JOBSPEC_ARG_MAX);
    }
    if (spec->argv[spec->argc] != NULL)
        return cphub_fail (err, EINVAL, "the command word list is not terminated");
    if (spec->argv[0][0] == '\0')
        return cphub_fail (err, EINVAL, "the command name is empty");
    return 0;
}

uint32_t jobspec_cores (const jobspec_t *spec)
{
    uint64_t n = (uint64_t)spec->ntasks * spec->cpus_per_task;

    return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* Append s at buf+*pos (NUL kept); false once it no longer fits. */
static bool jobspec_append (char *buf, size_t len, size_t *pos, const char *s)
{
    size_t n = strlen (s);
    size_t room = len - 1 - *pos;
    bool fits = n <= room;

    if (!fits)
        n = room;
    memcpy (buf + *pos, s, n);
    *pos += n;
    buf[*pos] = '\0';
    return fits;
}

void jobspec_command_summary (const jobspec_t *spec, char *buf, size_t len)
{
    size_t pos = 0;
    bool fits = true;

    if (!buf || len == 0)
        return;
    buf[0] = '\0';
    if (spec->script || !spec->argv) {
        snprintf (buf, len, "%s", spec->name[0] ? spec->name : "(script)");
        return;
    }
    for (int i = 0; i < spec->argc && spec->argv[i] && fits; i++) {
        const char *w = spec->argv[i];
        bool quote = *w == '\0' || strpbrk (w, " \t\n\"'") != NULL;
        if (i > 0)
            fits = jobspec_append (buf, len, &pos, " ");
        if (fits && quote)
            fits = jobspec_append (buf, len, &pos, "'");
        if (fits)
            fits = jobspec_append (buf, len, &pos, w);
        if (fits && quote)
            fits = jobspec_append (buf, len, &pos, "'");
    }
    if (!fits && len >= 4)
        memcpy (buf + len - 4, "...", 4);
}
