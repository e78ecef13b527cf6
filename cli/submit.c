/* submit.c: `cphub submit`, which turns a command line or a script into a
 * jobspec and queues it.
 *
 *     cphub submit [-n TASKS] [-c CPUS] [--mem SIZE] [--gpus N] [-t TIME]
 *                  [-J NAME] -- COMMAND [ARGS...]
 *     cphub submit [OPTIONS] SCRIPT
 *
 * The options come from jobspec_options(), so the command line, #CPHUB lines
 * and --help always agree. Options are collected first and applied after the
 * script's directives (jobspec_set_script), so the command line wins, as with
 * sbatch. Each option is parsed into the spec as it is applied, and the
 * whole spec validated here, for a quick, clear error; the hub checks it
 * again when it decodes the request. On success the job id alone goes to stdout, for
 * scripts: id=$(cphub submit -- ./simulate); for a job array (--array), the array's id,
 * which is the id of its first element (the others follow it).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cphub/jobspec.h"

enum { OPT_JSON = 256, OPT_HELP, OPT_SPEC_BASE = 512 };

/* What to say when a count option is not a number at all. */
typedef struct cli_count_hint {
    const char *option; /* long name */
    const char *hint;   /* "a count of tasks like -n 4" */
} cli_count_hint_t;

static const cli_count_hint_t cli_count_hints[] = {
    {.option = "ntasks", .hint = "a count of tasks like -n 4"},
    {.option = "cpus-per-task", .hint = "a count of cores per task like -c 2"},
    {.option = "gpus", .hint = "a count of GPUs like --gpus 1"},
    {.option = "nodes", .hint = "a count of nodes like -N 2"},
    {.option = NULL},
};

/* One option as given, applied after the script's directives. */
typedef struct cli_pending {
    const jobspec_option_t *option;
    char typed[32]; /* "-n" or "--ntasks", for messages */
    const char *value;
} cli_pending_t;

static void cli_submit_help (const cli_t *cli)
{
    const jobspec_option_t *o;

    cli_verb_usage (cli, stdout);
    printf ("\noptions (also as \"#CPHUB -n 4\" lines at the top of a script):\n");
    for (o = jobspec_options (); o->long_name != NULL; o++) {
        char flags[64];
        const char *arg = o->flag || !o->arg_name ? "" : o->arg_name;
        if (o->short_name != 0)
            snprintf (flags, sizeof (flags), "-%c, --%s %s", o->short_name,
                      o->long_name, arg);
        else
            snprintf (flags, sizeof (flags), "    --%s %s", o->long_name, arg);
        printf ("  %-28s %s\n", flags, o->help);
    }
    printf ("  %-28s %s\n", "    --json",
            "print {\"id\": N, \"count\": C} instead of the id (an array's first id)");
    printf (
        "\nexamples:\n"
        "  cphub submit -n 4 -c 2 --mem 8G -t 2:00:00 -- ./simulate --steps 100\n"
        "  cphub submit --array 0-99%%10 -C avx512 -- ./work\n"
        "  cphub submit -N 2 -c 8 --after ok:41 job.sh\n"
        "  cphub submit job.sh\n");
}

static bool cli_all_digits (const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return false;
    }
    return true;
}

/* Apply one option, with the CLI's own words for a count that is no number. */
static int cli_submit_apply (jobspec_t *spec, const cli_pending_t *p)
{
    cphub_error_t err = {{0}};

    for (const cli_count_hint_t *h = cli_count_hints; h->option != NULL; h++) {
        if (strcmp (h->option, p->option->long_name) == 0 &&
            !cli_all_digits (p->value)) {
            cli_fail ("%s: '%.40s' is not a number; give %s", p->typed, p->value,
                      h->hint);
            return -1;
        }
    }
    if (jobspec_set_option (spec, p->option->long_name, p->value, &err) < 0) {
        cli_fail ("%s", err.text);
        return -1;
    }
    return 0;
}

/* Read path when it is a script. 1 and *text (caller frees) for a readable
 * regular file starting with "#!"; 0 when it is not a script (then it is run
 * as a command); -1 (message printed) for a script that cannot be used. */
static int cli_submit_read_script (const char *path, char **text)
{
    struct stat st;
    char magic[2];
    char *buf = NULL;
    size_t len = 0;
    ssize_t n;
    int fd = open (path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return 0;
    if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
        goto not_script;
    if (pread (fd, magic, sizeof (magic), 0) != (ssize_t)sizeof (magic) ||
        magic[0] != '#' || magic[1] != '!') {
        /* A text file that is not executable was surely meant as a script. */
        if (access (path, X_OK) < 0) {
            cli_fail (
                "%s does not start with \"#!\"; make its first line name an "
                "interpreter, e.g. #!/bin/sh, or give a command after --",
                path);
            goto error;
        }
        goto not_script;
    }
    if (st.st_size > JOBSPEC_SCRIPT_MAX) {
        cli_fail ("%s is %jd bytes; a script may be at most %d bytes (1 MiB)", path,
                  (intmax_t)st.st_size, JOBSPEC_SCRIPT_MAX);
        goto error;
    }
    if (!(buf = malloc ((size_t)st.st_size + 1))) {
        cli_fail ("out of memory");
        goto error;
    }
    while (len < (size_t)st.st_size &&
           (n = read (fd, buf + len, (size_t)st.st_size - len)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            cli_fail ("cannot read %s: %s", path, strerror (errno));
            goto error;
        }
        len += (size_t)n;
    }
    buf[len] = '\0';
    if (strlen (buf) != len) {
        cli_fail ("%s has a NUL byte at offset %zu; a script must be text", path,
                  strlen (buf));
        goto error;
    }
    close (fd);
    *text = buf;
    return 1;
not_script:
    close (fd);
    return 0;
error:
    free (buf);
    close (fd);
    return -1;
}

/* Build the getopt tables from jobspec_options(). Caller frees *longopts. */
static int cli_submit_getopt_tables (struct option **longopts,
                                     char *shortopts,
                                     size_t shortlen)
{
    const jobspec_option_t *table = jobspec_options ();
    size_t count = 0;
    size_t pos = 0;
    struct option *opts;

    while (table[count].long_name != NULL)
        count++;
    if (!(opts = calloc (count + 3, sizeof (*opts))))
        return -1;
    pos += (size_t)snprintf (shortopts, shortlen, "+:h");
    for (size_t i = 0; i < count; i++) {
        opts[i].name = table[i].long_name;
        opts[i].has_arg = table[i].flag ? no_argument : required_argument;
        opts[i].val = OPT_SPEC_BASE + (int)i;
        if (table[i].short_name != 0 && pos + 3 < shortlen) {
            shortopts[pos++] = table[i].short_name;
            if (!table[i].flag)
                shortopts[pos++] = ':';
            shortopts[pos] = '\0';
        }
    }
    opts[count] = (struct option){"json", no_argument, NULL, OPT_JSON};
    opts[count + 1] = (struct option){"help", no_argument, NULL, OPT_HELP};
    *longopts = opts;
    return 0;
}

static const jobspec_option_t *cli_submit_short (int letter)
{
    for (const jobspec_option_t *o = jobspec_options (); o->long_name != NULL; o++) {
        if (o->short_name == letter)
            return o;
    }
    return NULL;
}

/* Fill spec from the words after the options: a script (with its
 * directives), else a command. 0, or -1 with the message printed. */
static int cli_submit_target (
    jobspec_t *spec, char **words, int nwords, bool dashdash, char **script_path)
{
    cphub_error_t err = {{0}};
    char *text = NULL;
    int rc = 0;

    if (nwords == 0) {
        cli_fail (
            "nothing to run; give a command after --, e.g. cphub submit -n 4 "
            "-- ./simulate, or a script: cphub submit job.sh");
        return -1;
    }
    if (!dashdash && (rc = cli_submit_read_script (words[0], &text)) < 0)
        return -1;
    if (rc == 1) {
        if (nwords > 1) {
            cli_fail (
                "a script job runs without arguments, but '%.40s' follows %s; "
                "write the values into the script",
                words[1], words[0]);
            free (text);
            return -1;
        }
        rc = jobspec_set_script (spec, text, &err);
        free (text);
        if (rc < 0) {
            cli_fail ("%s: %s", words[0], err.text);
            return -1;
        }
        *script_path = words[0];
        return 0;
    }
    if (jobspec_set_argv (spec, nwords, words, &err) < 0) {
        cli_fail ("%s", err.text);
        return -1;
    }
    return 0;
}

int cli_submit (cli_t *cli, int argc, char **argv)
{
    struct option *longopts = NULL;
    char shortopts[128];
    cli_pending_t *pending = NULL;
    int npending = 0;
    const char *last_arg = NULL;
    char *script_path = NULL;
    cphub_error_t err = {{0}};
    jobspec_t spec;
    msg_t *req = NULL;
    msg_t *reply = NULL;
    bool dashdash;
    int status = 2;
    int opt;

    jobspec_init (&spec);
    if (cli_submit_getopt_tables (&longopts, shortopts, sizeof (shortopts)) < 0 ||
        !(pending = calloc ((size_t)argc + 1, sizeof (*pending)))) {
        status = cli_fail ("out of memory");
        goto done;
    }
    opterr = 0;
    for (;;) {
        int longindex = -1;
        if ((opt = getopt_long (argc, argv, shortopts, longopts, &longindex)) == -1)
            break;
        if (opt == 'h' || opt == OPT_HELP) {
            cli_submit_help (cli);
            status = 0;
            goto done;
        } else if (opt == OPT_JSON) {
            cli->json = true;
        } else if (opt == ':' || opt == '?') {
            status = cli_option_error (cli, opt, optopt, argv[optind - 1]);
            goto done;
        } else {
            cli_pending_t *p = &pending[npending++];
            if (opt >= OPT_SPEC_BASE) {
                p->option = &jobspec_options ()[opt - OPT_SPEC_BASE];
                snprintf (p->typed, sizeof (p->typed), "--%s", p->option->long_name);
            } else {
                p->option = cli_submit_short (opt);
                snprintf (p->typed, sizeof (p->typed), "-%c", opt);
            }
            p->value = optarg;
            last_arg = optarg;
        }
    }
    /* "--" ends the options (and was not the value of the last one). */
    dashdash = optind > 1 && strcmp (argv[optind - 1], "--") == 0 &&
               argv[optind - 1] != last_arg;
    if (cli_submit_target (&spec, argv + optind, argc - optind, dashdash,
                           &script_path) < 0)
        goto done;
    for (int i = 0; i < npending; i++) {
        if (cli_submit_apply (&spec, &pending[i]) < 0)
            goto done;
    }
    if (script_path != NULL && spec.name[0] == '\0') {
        char *copy = strdup (script_path);
        if (copy == NULL ||
            jobspec_set_option (&spec, "job-name", basename (copy), &err) < 0)
            spec.name[0] = '\0'; /* an odd file name: the scheduler names it */
        free (copy);
    }
    if (jobspec_validate (&spec, &err) < 0) {
        cli_fail ("%s", err.text);
        goto done;
    }
    status = 1;
    if (!(req = msg_create (MSG_SUBMIT))) {
        cli_fail ("out of memory");
        goto done;
    }
    jobspec_clear (&req->u.submit.spec);
    req->u.submit.spec = spec; /* the message owns it now */
    jobspec_init (&spec);
    if (!(reply = cli_request (cli, req, MSG_SUBMIT_OK)))
        goto done;
    if (cli->json)
        status = cli_print_json (reply);
    else
        status = printf ("%" PRIu64 "\n", reply->u.id.id) < 0 ? 1 : 0;
done:
    msg_destroy (reply);
    msg_destroy (req);
    jobspec_clear (&spec);
    free (pending);
    free (longopts);
    return status;
}
