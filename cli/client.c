/* client.c: how `cphub` reaches the scheduler.
 *
 * cli_connect() finds the client config (-c FILE, else $CPHUB_CONFIG, else
 * ~/.config/cphub/cphub.conf), loads it through conf.h, reads this user's key
 * pair and the scheduler's public key (paths relative to the config file's
 * directory), opens a CURVE DEALER socket and waits for the handshake with the
 * configured timeout: a key the scheduler does not know, or a scheduler that
 * does not answer, is reported within seconds instead of hanging. Requests are
 * one message out, one reply back (cli_exchange); an `error` reply becomes the
 * scheduler's own text; cli_request_print() ends most verbs: the request,
 * its reply, and the reply printed as JSON or as the verb's text. Only
 * wait.c asks for no deadline.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cphub/conf.h"
#include "cphub/keys.h"
#include "cphub/parse.h"

#define CLI_DEFAULT_ENDPOINT "tcp://127.0.0.1:7710"
#define CLI_DEFAULT_TIMEOUT 5 /* seconds */
/* Longest single poll while waiting; longer waits loop. */
#define CLI_RECV_SLICE_MS (60 * 60 * 1000)
/* Pauses before connecting again when the scheduler is busy with this key. */
#define CLI_BUSY_PAUSE_MIN_US 20000
#define CLI_BUSY_PAUSE_MAX_US 500000

static const conf_setting_t cli_settings[] = {
    {.path = "scheduler",
     .type = CONF_STRING,
     .help = "the scheduler's client endpoint (default " CLI_DEFAULT_ENDPOINT ")"},
    {.path = "scheduler_key",
     .type = CONF_STRING,
     .help = "the scheduler's public key file (.pub)"},
    {.path = "key", .type = CONF_STRING, .help = "this user's key pair file (.key)"},
    {.path = "timeout",
     .type = CONF_DURATION,
     .help = "how long to wait for the scheduler (default 5s)"},
    {.path = NULL},
};

/* The config file to read, malloc'd; NULL with err when there is none. */
static char *cli_config_find (const cli_t *cli, cphub_error_t *err)
{
    const char *env = getenv ("CPHUB_CONFIG");
    const char *xdg = getenv ("XDG_CONFIG_HOME");
    const char *home = getenv ("HOME");
    char *path = NULL;

    if (cli->config_path != NULL)
        return strdup (cli->config_path);
    if (env != NULL && env[0] != '\0')
        return strdup (env);
    if (xdg != NULL && xdg[0] == '/') {
        if (asprintf (&path, "%s/cphub/cphub.conf", xdg) < 0)
            return NULL;
    } else if (home != NULL && home[0] != '\0') {
        if (asprintf (&path, "%s/.config/cphub/cphub.conf", home) < 0)
            return NULL;
    } else {
        cphub_fail (err, ENOENT,
                    "no config: HOME is not set; give one with -c FILE or "
                    "CPHUB_CONFIG=FILE");
        return NULL;
    }
    if (access (path, F_OK) < 0) {
        cphub_error_set (err,
                         "no config at %s; give one with -c FILE or CPHUB_CONFIG "
                         "(see etc/cphub.conf)",
                         path);
        free (path);
        errno = ENOENT;
        return NULL;
    }
    return path;
}

/* A required file setting, resolved against the config's directory and
 * checked to exist. Caller frees. */
static char *cli_config_file_setting (const conf_t *conf,
                                      const char *file,
                                      const char *setting,
                                      const char *example,
                                      cphub_error_t *err)
{
    const char *value = NULL;
    char *path = NULL;
    int rc = conf_get_string (conf, setting, NULL, &value, err);

    if (rc < 0)
        return NULL;
    if (rc == 1 || value == NULL || value[0] == '\0') {
        cphub_fail (err, EINVAL, "%s: no '%s'; add e.g. %s = \"%s\";", file, setting,
                    setting, example);
        return NULL;
    }
    path = conf_resolve_path (conf, value);
    if (path == NULL) {
        cphub_fail (err, ENOMEM, "out of memory");
        return NULL;
    }
    if (access (path, R_OK) < 0) {
        int saved = errno;
        cphub_error_set (err, "%s: '%s': cannot read %s (%s)", file, setting, path,
                         strerror (saved));
        free (path);
        errno = saved;
        return NULL;
    }
    return path;
}

/* Open the socket and wait for the handshake. A scheduler that refuses
 * the connection for now (this key has too many connections open: a burst
 * of parallel commands) is tried again, with a growing pause, until the
 * timeout. */
static int cli_handshake (cli_t *cli,
                          const char *server_public,
                          const cphub_keypair_t *kp,
                          cphub_error_t *err)
{
    double deadline = clock_now () + cli->timeout_ms / 1000.0;
    useconds_t pause = CLI_BUSY_PAUSE_MIN_US;

    for (;;) {
        int left = (int)((deadline - clock_now ()) * 1000.0);
        if (!(cli->sock = tsock_client_create (cli->ctx, cli->endpoint, server_public,
                                               kp, err)))
            return -1;
        if (tsock_client_wait_ready (cli->sock, left > 0 ? left : 0, err) == 0)
            return 0;
        if (errno != EAGAIN || clock_now () + pause / 1e6 >= deadline)
            return -1;
        tsock_destroy (cli->sock);
        cli->sock = NULL;
        usleep (pause + (useconds_t)(rand () % (int)pause));
        if (pause < CLI_BUSY_PAUSE_MAX_US)
            pause *= 2;
    }
}

int cli_connect (cli_t *cli, cphub_error_t *err)
{
    conf_t *conf = NULL;
    char *server_key_path = NULL;
    char *key_path = NULL;
    const char *endpoint = NULL;
    int64_t timeout = 0;
    char server_public[KEY_Z85_LEN + 1];
    cphub_keypair_t kp;
    int saved;

    if (cli->sock != NULL)
        return 0;
    if (cli->verb != NULL && cli->verb->offline)
        return cphub_fail (err, EINVAL, "'%s' works without a scheduler",
                           cli->verb->name);
    memset (&kp, 0, sizeof (kp));
    if (cli->config_file == NULL) {
        if (!(cli->config_file = cli_config_find (cli, err)))
            goto error;
    }
    if (!(conf = conf_load (cli->config_file, cli_settings, err)))
        goto error;
    if (conf_get_string (conf, "scheduler", CLI_DEFAULT_ENDPOINT, &endpoint, err) < 0)
        goto error;
    if (endpoint[0] == '\0') {
        cphub_fail (err, EINVAL, "%s: 'scheduler' is empty; give e.g. %s",
                    cli->config_file, CLI_DEFAULT_ENDPOINT);
        goto error;
    }
    if (conf_get_duration (conf, "timeout", CLI_DEFAULT_TIMEOUT, &timeout, err) < 0)
        goto error;
    if (timeout < 1 || timeout > INT_MAX / 1000) {
        conf_fail (conf, "timeout", err, "give between 1s and 24d (e.g. \"5s\")");
        goto error;
    }
    if (!(server_key_path = cli_config_file_setting (
              conf, cli->config_file, "scheduler_key", "keys/scheduler.pub", err)))
        goto error;
    if (!(key_path = cli_config_file_setting (conf, cli->config_file, "key",
                                              "keys/tenant-a.key", err)))
        goto error;
    if (keys_read_public (server_key_path, server_public, err) < 0)
        goto error;
    if (keys_read_pair (key_path, &kp, err) < 0)
        goto error;
    if (!(cli->endpoint = strdup (endpoint))) {
        cphub_fail (err, ENOMEM, "out of memory");
        goto error;
    }
    cli->timeout_ms = (int)(timeout * 1000);
    if (!(cli->ctx = tctx_create ())) {
        cphub_fail (err, errno, "cannot start ZeroMQ: %s", strerror (errno));
        goto error;
    }
    if (cli_handshake (cli, server_public, &kp, err) < 0)
        goto error;
    explicit_bzero (&kp, sizeof (kp));
    free (key_path);
    free (server_key_path);
    conf_destroy (conf);
    return 0;
error:
    saved = errno;
    explicit_bzero (&kp, sizeof (kp));
    free (key_path);
    free (server_key_path);
    conf_destroy (conf);
    cli_disconnect (cli);
    errno = saved;
    return -1;
}

void cli_disconnect (cli_t *cli)
{
    tsock_destroy (cli->sock);
    cli->sock = NULL;
    tctx_destroy (cli->ctx);
    cli->ctx = NULL;
    free (cli->endpoint);
    cli->endpoint = NULL;
    free (cli->config_file);
    cli->config_file = NULL;
}

/* Receive one reply, waiting at most timeout_ms (-1: no deadline) in slices
 * short enough for tsock_recv_wait's int. */
static int cli_recv (cli_t *cli, int timeout_ms, msg_t **reply, cphub_error_t *err)
{
    double deadline = timeout_ms < 0 ? 0 : clock_now () + timeout_ms / 1000.0;

    for (;;) {
        int slice = CLI_RECV_SLICE_MS;
        if (timeout_ms >= 0) {
            double left_ms = (deadline - clock_now ()) * 1000.0;
            if (left_ms < 0)
                left_ms = 0;
            if (left_ms < slice)
                slice = (int)left_ms;
        }
        if (tsock_recv_wait (cli->sock, slice, reply, err) == 0)
            return 0;
        if (errno != ETIMEDOUT && errno != EINTR)
            return -1;
        if (timeout_ms >= 0 && clock_now () >= deadline) {
            errno = ETIMEDOUT;
            return -1;
        }
    }
}

msg_t *cli_exchange (
    cli_t *cli, const msg_t *req, msg_type_t want, int timeout_ms, cphub_error_t *err)
{
    msg_t *reply = NULL;

    if (cli_connect (cli, err) < 0)
        return NULL;
    if (tsock_send (cli->sock, NULL, req) < 0) {
        int saved = errno;
        cphub_fail (err, saved, "could not send to the scheduler at %s: %s",
                    cli->endpoint, strerror (saved));
        return NULL;
    }
    if (cli_recv (cli, timeout_ms, &reply, err) < 0) {
        int saved = errno;
        if (saved == ETIMEDOUT) {
            cphub_fail (err, ETIMEDOUT,
                        "no answer from the scheduler at %s within %d s (the "
                        "'timeout' setting in %s)",
                        cli->endpoint, timeout_ms / 1000, cli->config_file);
        } else {
            char why[sizeof (err->text)];
            snprintf (why, sizeof (why), "%s", err->text);
            cphub_fail (err, saved, "the scheduler's reply could not be read: %s", why);
        }
        return NULL;
    }
    if (reply->type == MSG_ERROR)
        return reply;
    if (reply->type != want) {
        const char *got = msg_type_name (reply->type);
        cphub_fail (err, EPROTO,
                    "the scheduler answered '%s' to '%s'; is it another cphub "
                    "version?",
                    got != NULL ? got : "?", msg_type_name (req->type));
        msg_destroy (reply);
        return NULL;
    }
    return reply;
}

msg_t *cli_receive (cli_t *cli, msg_type_t want, int timeout_ms, cphub_error_t *err)
{
    msg_t *reply = NULL;

    if (cli_recv (cli, timeout_ms, &reply, err) < 0) {
        if (errno == ETIMEDOUT)
            cphub_fail (err, ETIMEDOUT,
                        "the scheduler at %s stopped in the middle of its answer",
                        cli->endpoint);
        return NULL;
    }
    if (reply->type != want && reply->type != MSG_ERROR) {
        const char *got = msg_type_name (reply->type);
        cphub_fail (err, EPROTO, "the scheduler sent '%s' in the middle of '%s'",
                    got != NULL ? got : "?", msg_type_name (want));
        msg_destroy (reply);
        return NULL;
    }
    return reply;
}

int cli_job_list_append (msg_t *into, msg_t *page)
{
    msg_job_list_t *to = &into->u.job_list, *from = &page->u.job_list;
    job_info_t *grown;

    if (from->count == 0)
        return 0;
    if (!(grown = realloc (to->jobs, (to->count + from->count) * sizeof (*grown))))
        return -1;
    memcpy (grown + to->count, from->jobs, from->count * sizeof (*grown));
    to->jobs = grown;
    to->count += from->count;
    free (from->jobs); /* moved, array_counts with them */
    from->jobs = NULL;
    from->count = 0;
    return 0;
}

/* Shared by cli_request and cli_request_job: id 0 means not about one job. */
static msg_t *cli_request_common (cli_t *cli,
                                  const msg_t *req,
                                  msg_type_t want,
                                  uint64_t id)
{
    cphub_error_t err = {{0}};
    msg_t *reply;

    if (cli_connect (cli, &err) < 0) {
        cli_fail ("%s", err.text);
        return NULL;
    }
    if (!(reply = cli_exchange (cli, req, want, cli->timeout_ms, &err))) {
        cli_fail ("%s", err.text);
        return NULL;
    }
    if (reply->type == MSG_ERROR) {
        if (id != 0)
            cli_job_fail (id, reply->u.error.text);
        else
            cli_fail ("%s", reply->u.error.text);
        msg_destroy (reply);
        return NULL;
    }
    return reply;
}

msg_t *cli_request (cli_t *cli, const msg_t *req, msg_type_t want)
{
    return cli_request_common (cli, req, want, 0);
}

msg_t *cli_request_job (cli_t *cli, const msg_t *req, msg_type_t want, uint64_t id)
{
    return cli_request_common (cli, req, want, id);
}

int cli_request_print (
    cli_t *cli, msg_t **req, msg_type_t want, uint64_t id, cli_reply_print_f print)
{
    msg_t *reply = cli_request_common (cli, *req, want, id);
    int status = 1;

    if (reply != NULL) {
        if (cli->json)
            status = cli_print_json (reply);
        else
            status = print != NULL ? print (*req, reply) : 0;
    }
    msg_destroy (reply);
    msg_destroy (*req);
    *req = NULL;
    return status;
}

int cli_request_plain (cli_t *cli,
                       int argc,
                       char **argv,
                       msg_type_t type,
                       msg_type_t want,
                       cli_reply_print_f print)
{
    msg_t *req = NULL;
    int status;

    if ((status = cli_options_json (cli, argc, argv)) >= 0)
        return status;
    if (optind < argc) {
        cli_fail ("%s takes no arguments ('%s'); see cphub %s --help", argv[0],
                  argv[optind], argv[0]);
        return 2;
    }
    if (!(req = msg_create (type)))
        return cli_fail ("out of memory");
    return cli_request_print (cli, &req, want, 0, print);
}
