/* test_conf.c: unit tests for common/conf.c (settings tables, unknown and
 * mistyped settings, syntax errors, getters, durations and sizes, relative
 * paths), common/keys.c (key files read through conf), and settings of
 * agent.conf that decide who jobs run as (agent/config.c).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/config.h"
#include "cphub/conf.h"
#include "cphub/keys.h"

static const conf_setting_t settings[] = {
    {.path = "scheduler", .type = CONF_GROUP, .help = "daemon settings"},
    {.path = "scheduler.client_endpoint", .type = CONF_STRING, .help = "clients"},
    {.path = "scheduler.key", .type = CONF_STRING, .help = "key file"},
    {.path = "scheduler.heartbeat_timeout",
     .type = CONF_DURATION,
     .help = "down after"},
    {.path = "scheduler.max_walltime", .type = CONF_DURATION, .help = "limit"},
    {.path = "scheduler.max_mem", .type = CONF_SIZE, .help = "limit"},
    {.path = "scheduler.workers", .type = CONF_INT, .help = "threads"},
    {.path = "scheduler.verbose", .type = CONF_BOOL, .help = "chatty"},
    {.path = "scheduler.weight", .type = CONF_FLOAT, .help = "share"},
    {.path = "tenants", .type = CONF_LIST, .help = "tenants"},
    {.path = "tenants.[*].name", .type = CONF_STRING, .help = "name"},
    {.path = "tenants.[*].keys", .type = CONF_ARRAY, .help = "public keys"},
    /* not listed as a group on purpose: implied by its members */
    {.path = "agents.[*].node", .type = CONF_STRING, .help = "node"},
    {.path = NULL},
};

static const char good[] =
    "scheduler = {\n"                                 /* 1 */
    "  client_endpoint = \"tcp://127.0.0.1:7710\";\n" /* 2 */
    "  key = \"keys/scheduler.key\";\n"               /* 3 */
    "  heartbeat_timeout = \"30s\";\n"                /* 4 */
    "  max_walltime = \"7-00:00:00\";\n"              /* 5 */
    "  max_mem = \"4G\";\n"                           /* 6 */
    "  workers = 4;\n"                                /* 7 */
    "  verbose = true;\n"                             /* 8 */
    "  weight = 1.5;\n"                               /* 9 */
    "};\n"                                            /* 10 */
    "tenants = (\n"                                   /* 11 */
    "  { name = \"tenant-a\"; keys = [ \"a.pub\", \"b.pub\" ]; },\n"
    "  { name = \"tenant-b\"; keys = [ ]; }\n" /* 13 */
    ");\n"
    "agents = ( { node = \"node1\"; } );\n";

static conf_t *load_ok (const char *text)
{
    cphub_error_t err = {{0}};
    conf_t *c = conf_load_string (text, "test.conf", settings, &err);

    cr_assert_not_null (c, "load failed: %s", err.text);
    return c;
}

static void load_bad (const char *text, const char *needle)
{
    cphub_error_t err = {{0}};

    errno = 0;
    cr_assert_null (conf_load_string (text, "test.conf", settings, &err),
                    "should fail: %s", text);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, needle), "'%s' not in '%s'", needle, err.text);
}

Test (conf, getters)
{
    conf_t *c = load_ok (good);
    cphub_error_t err;
    const char *s;
    int64_t i;
    bool b;
    double d;
    uint64_t sz;

    cr_assert_eq (conf_get_string (c, "scheduler.client_endpoint", NULL, &s, &err), 0);
    cr_assert_str_eq (s, "tcp://127.0.0.1:7710");
    cr_assert_eq (conf_get_duration (c, "scheduler.heartbeat_timeout", 0, &i, &err), 0);
    cr_assert_eq (i, 30);
    cr_assert_eq (conf_get_duration (c, "scheduler.max_walltime", 0, &i, &err), 0);
    cr_assert_eq (i, 7 * 86400);
    cr_assert_eq (conf_get_size (c, "scheduler.max_mem", 0, &sz, &err), 0);
    cr_assert_eq (sz, 4ULL << 30);
    cr_assert_eq (conf_get_int (c, "scheduler.workers", 0, &i, &err), 0);
    cr_assert_eq (i, 4);
    cr_assert_eq (conf_get_bool (c, "scheduler.verbose", false, &b, &err), 0);
    cr_assert (b);
    cr_assert_eq (conf_get_float (c, "scheduler.weight", 0, &d, &err), 0);
    cr_assert_float_eq (d, 1.5, 1e-9);
    cr_assert_eq (conf_get_float (c, "scheduler.workers", 0, &d, &err), 0);
    cr_assert_float_eq (d, 4.0, 1e-9);
    conf_destroy (c);
}

Test (conf, defaults_when_absent)
{
    conf_t *c = load_ok ("scheduler = { workers = 2; };");
    cphub_error_t err;
    const char *s;
    int64_t i;
    uint64_t sz;
    bool b;

    cr_assert_eq (conf_get_string (c, "scheduler.key", "dflt", &s, &err), 1);
    cr_assert_str_eq (s, "dflt");
    cr_assert_eq (conf_get_duration (c, "scheduler.heartbeat_timeout", 30, &i, &err),
                  1);
    cr_assert_eq (i, 30);
    cr_assert_eq (conf_get_size (c, "scheduler.max_mem", 7, &sz, &err), 1);
    cr_assert_eq (sz, 7);
    cr_assert_eq (conf_get_bool (c, "scheduler.verbose", true, &b, &err), 1);
    cr_assert (b);
    cr_assert_eq (conf_count (c, "tenants"), 0);
    cr_assert_eq (conf_get_int (c, "tenants.[0].name", 5, &i, &err), 1);
    conf_destroy (c);
}

Test (conf, lists_and_arrays)
{
    conf_t *c = load_ok (good);
    cphub_error_t err = {{0}};
    const char *s;

    cr_assert_eq (conf_count (c, "tenants"), 2);
    cr_assert_eq (conf_get_string (c, "tenants.[1].name", NULL, &s, &err), 0);
    cr_assert_str_eq (s, "tenant-b");
    cr_assert_eq (conf_count (c, "tenants.[0].keys"), 2);
    cr_assert_eq (conf_count (c, "tenants.[1].keys"), 0);
    cr_assert_eq (conf_get_array_string (c, "tenants.[0].keys", 1, &s, &err), 0);
    cr_assert_str_eq (s, "b.pub");
    cr_assert_eq (conf_get_array_string (c, "tenants.[0].keys", 2, &s, &err), -1);
    cr_assert_eq (errno, ENOENT);
    cr_assert_eq (conf_count (c, "agents"), 1);
    cr_assert_eq (conf_get_string (c, "agents.[0].node", NULL, &s, &err), 0);
    cr_assert_str_eq (s, "node1");
    conf_destroy (c);
}

Test (conf, unknown_setting_names_file_line_key)
{
    load_bad ("scheduler = {\n  workers = 2;\n  heartbeat_timout = \"30s\";\n};\n",
              "test.conf:3: 'scheduler.heartbeat_timout': unknown setting");
    load_bad ("scheduler = {\n  heartbeat_timout = \"30s\";\n};\n",
              "did you mean 'scheduler.heartbeat_timeout'?");
    load_bad ("color = \"blue\";\n", "test.conf:1: 'color': unknown setting");
    /* list element paths are reported with their index */
    load_bad ("tenants = (\n { name = \"a\"; },\n { name = \"b\"; key = \"x\"; }\n);\n",
              "test.conf:3: 'tenants.[1].key': unknown setting");
    load_bad ("agents = ( { node = \"n\"; cores = 4; } );\n",
              "'agents.[0].cores': unknown setting");
}

Test (conf, wrong_types)
{
    load_bad ("scheduler = {\n workers = \"four\";\n};\n",
              "test.conf:2: 'scheduler.workers': expected an integer, found a string");
    load_bad ("scheduler = { verbose = 1; };",
              "'scheduler.verbose': expected true or false");
    load_bad ("scheduler = { key = 5; };",
              "'scheduler.key': expected a string in quotes");
    load_bad ("scheduler = 5;", "'scheduler': expected a group");
    load_bad ("tenants = { name = \"a\"; };", "'tenants': expected a list");
    load_bad ("tenants = ( \"a\" );", "'tenants.[0]': expected a group");
    load_bad ("tenants = ( { keys = [ 1, 2 ]; } );",
              "'tenants.[0].keys': expected an array of strings");
    load_bad ("tenants = ( { keys = \"a.pub\"; } );",
              "'tenants.[0].keys': expected an array");
    load_bad ("agents = { node = \"x\"; };", "'agents': expected a list");
}

Test (conf, durations_and_sizes)
{
    conf_t *c = load_ok (
        "scheduler = { heartbeat_timeout = 45; max_walltime = \"90\";\n"
        "  max_mem = 1048576; };");
    cphub_error_t err;
    int64_t i;
    uint64_t sz;

    cr_assert_eq (conf_get_duration (c, "scheduler.heartbeat_timeout", 0, &i, &err), 0);
    cr_assert_eq (i, 45); /* an integer is seconds */
    cr_assert_eq (conf_get_duration (c, "scheduler.max_walltime", 0, &i, &err), 0);
    cr_assert_eq (i, 5400); /* a bare number in a string is minutes, as everywhere */
    cr_assert_eq (conf_get_size (c, "scheduler.max_mem", 0, &sz, &err), 0);
    cr_assert_eq (sz, 1048576);
    conf_destroy (c);

    load_bad ("scheduler = {\n\n max_walltime = \"5x\";\n};",
              "test.conf:3: 'scheduler.max_walltime': '5x' is not a duration");
    load_bad ("scheduler = { heartbeat_timeout = -3; };", "cannot be negative");
    load_bad ("scheduler = { max_mem = \"4X\"; };",
              "'scheduler.max_mem': '4X' is not a size");
    load_bad ("scheduler = { max_mem = true; };", "expected a size");
}

Test (conf, syntax_error_with_line)
{
    load_bad ("scheduler = {\n  workers 2;\n  verbose = true;\n};\n",
              "test.conf:2: syntax error");
    load_bad ("scheduler = {\n workers = 1;\n\n", "test.conf:4: syntax error");
    /* (no string tokens before the error: libconfig 1.5 leaks a scanned
     * string on a parse error, which would trip LeakSanitizer) */
    load_bad ("scheduler = { key = @; };\n", "test.conf:1: syntax error");
    load_bad ("a = 1;\na = 2;\n", "test.conf:2: syntax error: duplicate setting name");
}

Test (conf, fail_helper)
{
    conf_t *c = load_ok (good);
    cphub_error_t err;

    errno = 0;
    cr_assert_eq (conf_fail (c, "tenants.[1].name", &err, "duplicate tenant '%s'", "x"),
                  -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert_str_eq (err.text,
                      "test.conf:13: 'tenants.[1].name': duplicate tenant 'x'");
    /* an absent setting is reported at its nearest enclosing one */
    conf_fail (c, "scheduler.agent_endpoint", &err, "is required");
    cr_assert_str_eq (err.text, "test.conf:1: 'scheduler.agent_endpoint': is required");
    conf_destroy (c);
}

static char tmpdir[64];

static void make_tmpdir (void)
{
    strcpy (tmpdir, "/tmp/cphub-test-conf-XXXXXX");
    cr_assert_not_null (mkdtemp (tmpdir));
}

static void remove_tmpdir (void)
{
    char cmd[128];

    if (tmpdir[0] == '\0')
        return;
    snprintf (cmd, sizeof (cmd), "rm -rf '%s'", tmpdir);
    cr_assert_eq (system (cmd), 0);
}

static char *write_file (const char *name, const char *text)
{
    char *path;
    FILE *f;

    cr_assert_neq (asprintf (&path, "%s/%s", tmpdir, name), -1);
    f = fopen (path, "w");
    cr_assert_not_null (f);
    fputs (text, f);
    fclose (f);
    return path;
}

Test (conf_file, load_and_resolve, .init = make_tmpdir, .fini = remove_tmpdir)
{
    char *path = write_file ("s.conf", good);
    cphub_error_t err = {{0}};
    conf_t *c = conf_load (path, settings, &err);
    char *resolved;

    cr_assert_not_null (c, "%s", err.text);
    cr_assert_str_eq (conf_dir (c), tmpdir);
    resolved = conf_resolve_path (c, "keys/scheduler.key");
    cr_assert_not_null (resolved);
    char want[128];
    snprintf (want, sizeof (want), "%s/keys/scheduler.key", tmpdir);
    cr_assert_str_eq (resolved, want);
    free (resolved);
    resolved = conf_resolve_path (c, "/etc/x.key");
    cr_assert_str_eq (resolved, "/etc/x.key");
    free (resolved);
    conf_destroy (c);
    free (path);

    c = load_ok ("");
    cr_assert_str_eq (conf_dir (c), ".");
    resolved = conf_resolve_path (c, "a/b");
    cr_assert_str_eq (resolved, "a/b");
    free (resolved);
    conf_destroy (c);
}

Test (conf_file, errors_name_the_file, .init = make_tmpdir, .fini = remove_tmpdir)
{
    char *path =
        write_file ("bad.conf", "scheduler = {\n workers = 1;\n wrkers = 2;\n};\n");
    char *syn =
        write_file ("syn.conf", "scheduler = {\n workers = 1;\n verbose true;\n};\n");
    char want[160];
    cphub_error_t err = {{0}};

    cr_assert_null (conf_load (path, settings, &err));
    snprintf (want, sizeof (want), "%s:3: 'scheduler.wrkers': unknown setting", path);
    cr_assert (strstr (err.text, want), "'%s' not in '%s'", want, err.text);

    cr_assert_null (conf_load (syn, settings, &err));
    snprintf (want, sizeof (want), "%s:3: syntax error", syn);
    cr_assert (strstr (err.text, want), "'%s' not in '%s'", want, err.text);

    errno = 0;
    cr_assert_null (conf_load ("/nonexistent/cphub.conf", settings, &err));
    cr_assert_eq (errno, ENOENT);
    cr_assert (strstr (err.text, "/nonexistent/cphub.conf"), "%s", err.text);
    free (path);
    free (syn);
}

#define PUB "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
#define SEC "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"

Test (keys, valid_z85)
{
    cr_assert (keys_valid_z85 (PUB));
    cr_assert (keys_valid_z85 (SEC));
    cr_assert_not (keys_valid_z85 (""));
    cr_assert_not (keys_valid_z85 (NULL));
    cr_assert_not (keys_valid_z85 (PUB "x"));
    cr_assert_not (keys_valid_z85 ("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf\""));
    cr_assert_not (keys_valid_z85 ("#####rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"));
}

Test (keys, write_and_read, .init = make_tmpdir, .fini = remove_tmpdir)
{
    cphub_keypair_t kp = {.public_z85 = PUB, .secret_z85 = SEC};
    cphub_keypair_t back;
    char pub[KEY_Z85_LEN + 1];
    cphub_error_t err = {{0}};
    char path[128];
    struct stat st;

    cr_assert_eq (keys_write (tmpdir, "tenant-a", &kp, 0, &err), 0, "%s", err.text);
    snprintf (path, sizeof (path), "%s/tenant-a.key", tmpdir);
    cr_assert_eq (stat (path, &st), 0);
    cr_assert_eq (st.st_mode & 0777, 0600);
    cr_assert_eq (keys_read_pair (path, &back, &err), 0, "%s", err.text);
    cr_assert_str_eq (back.public_z85, PUB);
    cr_assert_str_eq (back.secret_z85, SEC);
    cr_assert_eq (keys_read_public (path, pub, &err), 0, "%s", err.text);
    cr_assert_str_eq (pub, PUB);

    snprintf (path, sizeof (path), "%s/tenant-a.pub", tmpdir);
    cr_assert_eq (stat (path, &st), 0);
    cr_assert_eq (st.st_mode & 0777, 0644);
    cr_assert_eq (keys_read_public (path, pub, &err), 0, "%s", err.text);
    cr_assert_str_eq (pub, PUB);
    errno = 0;
    cr_assert_eq (keys_read_pair (path, &back, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cr_assert (strstr (err.text, "'secret': missing"), "%s", err.text);

    /* no overwrite unless forced */
    errno = 0;
    cr_assert_eq (keys_write (tmpdir, "tenant-a", &kp, 0, &err), -1);
    cr_assert_eq (errno, EEXIST);
    cr_assert (strstr (err.text, "exists"), "%s", err.text);
    cr_assert_eq (keys_write (tmpdir, "tenant-a", &kp, 1, &err), 0, "%s", err.text);

    cr_assert_eq (keys_write (tmpdir, "../evil", &kp, 0, &err), -1);
    cr_assert_eq (errno, EINVAL);
    cphub_keypair_t half = {.public_z85 = PUB, .secret_z85 = ""};
    cr_assert_eq (keys_write (tmpdir, "half", &half, 0, &err), -1);
}

Test (keys, bad_key_files, .init = make_tmpdir, .fini = remove_tmpdir)
{
    char pub[KEY_Z85_LEN + 1];
    cphub_error_t err = {{0}};
    char *p1 = write_file ("short.pub", "public = \"abc\";\n");
    char *p2 = write_file ("extra.pub", "public = \"" PUB "\";\nowner = \"me\";\n");
    char *p3 = write_file ("empty.pub", "# nothing\n");

    cr_assert_eq (keys_read_public (p1, pub, &err), -1);
    cr_assert (strstr (err.text, "short.pub:1: 'public': not a Z85 key"), "%s",
               err.text);
    cr_assert_eq (keys_read_public (p2, pub, &err), -1);
    cr_assert (strstr (err.text, "extra.pub:2: 'owner': unknown setting"), "%s",
               err.text);
    cr_assert_eq (keys_read_public (p3, pub, &err), -1);
    cr_assert (strstr (err.text, "'public': missing"), "%s", err.text);
    free (p1);
    free (p2);
    free (p3);
}

/* Load text as an agent.conf: 0 and cfg, or -1 and err. */
static int agent_conf_load (const char *text, agent_config_t *cfg, cphub_error_t *err)
{
    char *path = write_file ("agent.conf", text);
    agent_flags_t flags = {.config = path};
    int rc = agent_config_load (cfg, &flags, err);

    free (path);
    return rc;
}

Test (agent_conf, allow_root_jobs, .init = make_tmpdir, .fini = remove_tmpdir)
{
    agent_config_t cfg;
    cphub_error_t err = {{0}};

    cr_assert_eq (agent_conf_load ("agent = { name = \"node1\"; };\n", &cfg, &err), 0,
                  "%s", err.text);
    cr_assert_not (cfg.users.allow_root_jobs,
                   "default: a root agent refuses root jobs");
    agent_config_clear (&cfg);
    cr_assert_eq (agent_conf_load ("agent = { name = \"node1\";\n"
                                   "  allow_root_jobs = true; };\n",
                                   &cfg, &err),
                  0, "%s", err.text);
    cr_assert (cfg.users.allow_root_jobs);
    agent_config_clear (&cfg);
    cr_assert_eq (agent_conf_load ("agent = { name = \"node1\";\n"
                                   "  allow_root_jobs = \"yes\"; };\n",
                                   &cfg, &err),
                  -1);
    cr_assert (strstr (err.text, "agent.conf:2: 'agent.allow_root_jobs'"), "%s",
               err.text);
}

Test (agent_conf, pids_max_all, .init = make_tmpdir, .fini = remove_tmpdir)
{
    agent_config_t cfg;
    cphub_error_t err = {{0}};

    cr_assert_eq (agent_conf_load ("agent = { name = \"node1\"; };\n", &cfg, &err), 0,
                  "%s", err.text);
    cr_assert_eq (cfg.pids_max_all, 0, "default: from the kernel's limit");
    agent_config_clear (&cfg);
    cr_assert_eq (agent_conf_load ("agent = { name = \"node1\";\n"
                                   "  pids_max_all = 5000; };\n",
                                   &cfg, &err),
                  0, "%s", err.text);
    cr_assert_eq (cfg.pids_max_all, 5000);
    agent_config_clear (&cfg);
    cr_assert_eq (agent_conf_load ("agent = { name = \"node1\";\n"
                                   "  pids_max_all = -3; };\n",
                                   &cfg, &err),
                  -1);
    cr_assert (strstr (err.text, "agent.conf:2: 'agent.pids_max_all'"), "%s", err.text);
}

Test (agent_conf, simulate, .init = make_tmpdir, .fini = remove_tmpdir)
{
    agent_config_t cfg;
    cphub_error_t err = {{0}};
    char *path = write_file ("agent.conf", "agent = { name = \"node1\"; };\n");
    agent_flags_t flags = {.config = path, .simulate = true};

    cr_assert_eq (agent_conf_load ("agent = { name = \"node1\"; };\n", &cfg, &err), 0,
                  "%s", err.text);
    cr_assert_not (cfg.simulate, "default: jobs really run");
    agent_config_clear (&cfg);
    cr_assert_eq (agent_conf_load ("agent = { name = \"node1\";\n"
                                   "  simulate = true; };\n",
                                   &cfg, &err),
                  0, "%s", err.text);
    cr_assert (cfg.simulate);
    agent_config_clear (&cfg);
    cr_assert_eq (agent_config_load (&cfg, &flags, &err), 0, "%s", err.text);
    cr_assert (cfg.simulate, "--simulate sets it");
    agent_config_clear (&cfg);
    free (path);
}
