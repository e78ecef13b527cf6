/* test_runner.c: unit tests for agent/runner_wire.c, the records between
 * the agent's root process and its unprivileged network process, and for
 * the agent.user setting that names who the network process becomes.
 *
 * Every record type survives encode and decode unchanged; the header check
 * refuses unknown types, types from the wrong side and oversized payloads;
 * and the decoder refuses each way a compromised network process could bend
 * a record: every truncation, bytes left over, NULs and newlines inside
 * strings, strings past their bounds, ids of 0, unknown signals, streams and
 * exit kinds, NaN, booleans other than 0 and 1, too many words, and a spec
 * the wire codec would refuse. Records and a passed descriptor also go
 * through a real socketpair in pieces.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/runner_wire.h"

static void make_run (msg_job_run_t *run)
{
    char *argv[] = {"sh", "-c", "echo hi"};
    cphub_error_t err = {""};

    memset (run, 0, sizeof (*run));
    jobspec_init (&run->spec);
    cr_assert_eq (jobspec_set_argv (&run->spec, 3, argv, &err), 0, "%s", err.text);
    run->id = 42;
    snprintf (run->tenant, sizeof (run->tenant), "tenant-a");
    run->spec.walltime = 60;
    run->spec.mem = 1 << 20;
    snprintf (run->spec.name, sizeof (run->spec.name), "a job name");
    snprintf (run->cores, sizeof (run->cores), "0-1");
    snprintf (run->cpus, sizeof (run->cpus), "0-1");
    snprintf (run->mems, sizeof (run->mems), "0");
    run->mem = 1 << 20;
    run->nodelist = strdup ("node1,node2");
    run->cpus_per_node = strdup ("2,2");
    run->array_id = 40;
    run->array_index = 2;
    run->run = 5;
}

static void run_clear (msg_job_run_t *run)
{
    jobspec_clear (&run->spec);
    free (run->nodelist);
    free (run->cpus_per_node);
}

/* Encode r; the payload's offset in *buf is RUNNER_HEADER_SIZE. */
static size_t encode (const runner_record_t *r, uint8_t **buf)
{
    size_t len = 0;

    cr_assert_eq (runner_wire_encode (r, buf, &len), 0, "encode: %s", strerror (errno));
    cr_assert_geq (len, RUNNER_HEADER_SIZE);
    return len;
}

/* Decode a payload; 0 or -1. */
static int decode (runner_type_t type,
                   const uint8_t *p,
                   size_t len,
                   runner_record_t *out)
{
    cphub_error_t err = {""};
    int rc = runner_wire_decode (type, p, len, out, &err);

    if (rc < 0) {
        cr_assert_eq (errno, EPROTO);
        cr_assert_neq (err.text[0], '\0', "a refusal says why");
    }
    return rc;
}

Test (runner_wire, start_round_trip)
{
    runner_record_t r = {.type = RUNNER_REQ_START}, back;
    uint8_t *buf;
    size_t len;
    uint32_t header[2];

    make_run (&r.u.run);
    len = encode (&r, &buf);
    memcpy (header, buf, sizeof (header));
    cr_assert_eq (header[0], RUNNER_REQ_START);
    cr_assert_eq (header[1], len - RUNNER_HEADER_SIZE);
    cr_assert_eq (decode (RUNNER_REQ_START, buf + RUNNER_HEADER_SIZE,
                          len - RUNNER_HEADER_SIZE, &back),
                  0);
    cr_assert_eq (back.u.run.id, 42);
    cr_assert_str_eq (back.u.run.tenant, "tenant-a");
    cr_assert_eq (back.u.run.spec.argc, 3);
    cr_assert_str_eq (back.u.run.spec.argv[2], "echo hi");
    cr_assert_null (back.u.run.spec.argv[3]);
    cr_assert_null (back.u.run.spec.script);
    cr_assert_eq (back.u.run.spec.walltime, 60);
    cr_assert_str_eq (back.u.run.spec.name, "a job name");
    cr_assert_str_eq (back.u.run.cores, "0-1");
    cr_assert_str_eq (back.u.run.gpus, "");
    cr_assert_str_eq (back.u.run.nodelist, "node1,node2");
    cr_assert_str_eq (back.u.run.cpus_per_node, "2,2");
    cr_assert_eq (back.u.run.array_id, 40);
    cr_assert_eq (back.u.run.array_index, 2);
    cr_assert_eq (back.u.run.run, 5, "the run's number reaches the root side");
    cr_assert_eq (back.u.run.mem, 1 << 20);
    runner_record_clear (&back);
    cr_assert_eq (back.type, RUNNER_INVALID);
    free (buf);
    run_clear (&r.u.run);
}

/* A spec's parsed forms cross as text and are parsed again on the root side,
 * which refuses text its parsers refuse. */
Test (runner_wire, start_forms_parsed_on_decode)
{
    runner_record_t r = {.type = RUNNER_REQ_START}, back;
    uint8_t *buf, *at;
    size_t len;

    make_run (&r.u.run);
    cr_assert_eq (jobspec_set_option (&r.u.run.spec, "C", "a1&b1", NULL), 0);
    cr_assert_eq (jobspec_set_option (&r.u.run.spec, "array", "1-9:4%2", NULL), 0);
    cr_assert_eq (jobspec_set_option (&r.u.run.spec, "after", "afterok:7", NULL), 0);
    len = encode (&r, &buf);
    cr_assert_eq (decode (RUNNER_REQ_START, buf + RUNNER_HEADER_SIZE,
                          len - RUNNER_HEADER_SIZE, &back),
                  0);
    cr_assert_str_eq (constraint_text (back.u.run.spec.constraint), "a1&b1");
    cr_assert_eq (back.u.run.spec.array->count, 3);
    cr_assert_eq (back.u.run.spec.array->throttle, 2);
    cr_assert_eq (back.u.run.spec.after->deps[0].id, 7);
    runner_record_clear (&back);
    /* "a1&b1" -> "a1&&1": still printable, but no expression */
    at = memmem (buf, len, "a1&b1", 5);
    cr_assert_not_null (at);
    at[3] = '&';
    cr_assert_eq (decode (RUNNER_REQ_START, buf + RUNNER_HEADER_SIZE,
                          len - RUNNER_HEADER_SIZE, &back),
                  -1, "a bad constraint is refused");
    free (buf);
    run_clear (&r.u.run);
}

Test (runner_wire, small_records_round_trip)
{
    runner_record_t in[] = {
        {.type = RUNNER_REQ_RECOVER},
        {.type = RUNNER_REQ_SHUTDOWN},
        {.type = RUNNER_REQ_KILL, .u.kill = {.id = 7, .signal = 9}},
        {.type = RUNNER_REQ_EXIT_ACK, .u.id = 8},
        {.type = RUNNER_REQ_LOG_OPEN, .u.log = {.id = 9, .stream = LOG_STREAM_STDERR}},
        {.type = RUNNER_EV_HELD,
         .u.job = {.id = 10, .pid = 1234, .start_time = 1.5, .run = 2}},
        {.type = RUNNER_EV_STARTED,
         .u.job = {.id = 11, .pid = 99, .start_time = 2.5, .run = 3}},
        {.type = RUNNER_EV_KILLED,
         .u.result = {.id = 12, .code = ENOENT, .text = "no"}},
        {.type = RUNNER_EV_LOG_OPENED, .u.result = {.id = 13}},
        {.type = RUNNER_EV_RECOVERED,
         .u.recovered = {.adopted = 3, .reported = 4, .code = 0}},
        {.type = RUNNER_EV_EXITED,
         .u.exit = {.id = 14,
                    .kind = EXIT_SIGNALED,
                    .signal = 15,
                    .start_time = 10,
                    .end_time = 20,
                    .cpu_time = 0.25,
                    .max_rss = 4096,
                    .text = "killed by TERM",
                    .survived_kill = true,
                    .run = 4}},
        {.type = RUNNER_REQ_EXIT_SAVE,
         .u.exit = {.id = 15, .kind = EXIT_LOST, .text = "not here"}},
    };

    for (size_t i = 0; i < sizeof (in) / sizeof (in[0]); i++) {
        runner_record_t back;
        uint8_t *buf;
        size_t len = encode (&in[i], &buf);

        cr_assert_eq (decode (in[i].type, buf + RUNNER_HEADER_SIZE,
                              len - RUNNER_HEADER_SIZE, &back),
                      0, "%s", runner_type_name (in[i].type));
        cr_assert_eq (memcmp (&back, &in[i], sizeof (back)), 0, "%s changed on the way",
                      runner_type_name (in[i].type));
        free (buf);
    }
}

Test (runner_wire, header_check)
{
    cphub_error_t err = {""};

    cr_assert_eq (runner_wire_check_header (RUNNER_FROM_NET, RUNNER_REQ_KILL, 12, &err),
                  0);
    cr_assert_eq (runner_wire_check_header (RUNNER_FROM_NET, 0, 0, &err), -1);
    cr_assert_eq (errno, EPROTO);
    cr_assert_eq (
        runner_wire_check_header (RUNNER_FROM_NET, RUNNER_TYPE_COUNT, 0, &err), -1);
    cr_assert_eq (runner_wire_check_header (RUNNER_FROM_NET, 0xffffffffu, 0, &err), -1);
    cr_assert (strstr (err.text, "unknown record type"), "%s", err.text);
    /* an event is never a request, nor the other way round */
    cr_assert_eq (
        runner_wire_check_header (RUNNER_FROM_NET, RUNNER_EV_EXITED, 10, &err), -1);
    cr_assert (strstr (err.text, "wrong side"), "%s", err.text);
    cr_assert_eq (
        runner_wire_check_header (RUNNER_FROM_ROOT, RUNNER_REQ_START, 10, &err), -1);
    /* sizes: a kill is 12 bytes; a start at most RUNNER_PAYLOAD_MAX */
    cr_assert_eq (runner_wire_check_header (RUNNER_FROM_NET, RUNNER_REQ_KILL, 13, &err),
                  -1);
    cr_assert_eq (
        runner_wire_check_header (RUNNER_FROM_NET, RUNNER_REQ_SHUTDOWN, 1, &err), -1);
    cr_assert_eq (runner_wire_check_header (RUNNER_FROM_NET, RUNNER_REQ_START,
                                            RUNNER_PAYLOAD_MAX + 1, &err),
                  -1);
    cr_assert (strstr (err.text, "bytes (at most"), "%s", err.text);
}

Test (runner_wire, every_truncation_and_extra_byte_refused)
{
    runner_record_t r = {.type = RUNNER_REQ_START}, back;
    uint8_t *buf, *longer;
    size_t len;

    make_run (&r.u.run);
    len = encode (&r, &buf) - RUNNER_HEADER_SIZE;
    for (size_t n = 0; n < len; n++)
        cr_assert_eq (decode (RUNNER_REQ_START, buf + RUNNER_HEADER_SIZE, n, &back), -1,
                      "a start cut at %zu of %zu bytes was taken", n, len);
    longer = malloc (len + 1);
    memcpy (longer, buf + RUNNER_HEADER_SIZE, len);
    longer[len] = 0;
    cr_assert_eq (decode (RUNNER_REQ_START, longer, len + 1, &back), -1,
                  "a byte left over was ignored");
    free (longer);
    free (buf);
    run_clear (&r.u.run);
}

/* Encode a start after f bent the job; expect a refusal. */
static void start_refused (void (*f) (msg_job_run_t *), const char *what)
{
    runner_record_t r = {.type = RUNNER_REQ_START}, back;
    uint8_t *buf;
    size_t len;

    make_run (&r.u.run);
    f (&r.u.run);
    len = encode (&r, &buf);
    cr_assert_eq (decode (RUNNER_REQ_START, buf + RUNNER_HEADER_SIZE,
                          len - RUNNER_HEADER_SIZE, &back),
                  -1, "a start with %s was taken", what);
    free (buf);
    run_clear (&r.u.run);
}

static void id_zero (msg_job_run_t *run)
{
    run->id = 0;
}
static void tenant_space (msg_job_run_t *run)
{
    snprintf (run->tenant, sizeof (run->tenant), "tenant a");
}
static void cores_letters (msg_job_run_t *run)
{
    snprintf (run->cores, sizeof (run->cores), "0-1;rm");
}
static void nodelist_newline (msg_job_run_t *run)
{
    free (run->nodelist);
    run->nodelist = strdup ("node1\nnode2");
}
static void no_tasks (msg_job_run_t *run)
{
    run->spec.ntasks = 0;
}
static void script_and_argv (msg_job_run_t *run)
{
    run->spec.script = strdup ("#!/bin/sh\ntrue\n");
}

Test (runner_wire, bad_fields_refused)
{
    start_refused (id_zero, "id 0");
    start_refused (tenant_space, "a space in the tenant");
    start_refused (cores_letters, "letters in cores");
    start_refused (nodelist_newline, "a newline in the node list");
    start_refused (no_tasks, "0 tasks (jobspec_validate)");
    start_refused (script_and_argv, "both a script and a command");
}

/* Patch the payload bytes at off with v (n bytes); expect a refusal. */
static void patched_refused (
    const runner_record_t *r, size_t off, const void *v, size_t n, const char *what)
{
    runner_record_t back;
    uint8_t *buf;
    size_t len = encode (r, &buf);

    cr_assert_leq (off + n, len - RUNNER_HEADER_SIZE);
    memcpy (buf + RUNNER_HEADER_SIZE + off, v, n);
    cr_assert_eq (
        decode (r->type, buf + RUNNER_HEADER_SIZE, len - RUNNER_HEADER_SIZE, &back), -1,
        "a '%s' with %s was taken", runner_type_name (r->type), what);
    free (buf);
}

Test (runner_wire, bent_small_records_refused)
{
    runner_record_t kill = {.type = RUNNER_REQ_KILL, .u.kill = {.id = 7, .signal = 15}};
    runner_record_t log = {.type = RUNNER_REQ_LOG_OPEN,
                           .u.log = {.id = 9, .stream = LOG_STREAM_STDOUT}};
    runner_record_t ack = {.type = RUNNER_REQ_EXIT_ACK, .u.id = 3};
    runner_record_t ex = {.type = RUNNER_REQ_EXIT_SAVE,
                          .u.exit = {.id = 5, .kind = EXIT_LOST, .text = "lost"}};
    uint32_t big = 99, minus = 0xffffffffu;
    uint64_t zero = 0;
    uint8_t two = 2;
    double nan = NAN;
    char nul[4] = {'l', 0, 's', 't'};

    patched_refused (&kill, 8, &big, 4, "signal 99");
    patched_refused (&kill, 8, &minus, 4, "signal -1");
    patched_refused (&kill, 0, &zero, 8, "id 0");
    patched_refused (&log, 8, &big, 4, "stream 99");
    patched_refused (&ack, 0, &zero, 8, "id 0");
    /* exit: id 0-7, kind 8-11, code, signal, 3 doubles from 20, rss 44,
       survived 52, text length 53, text 57 */
    patched_refused (&ex, 8, &big, 4, "exit kind 99");
    patched_refused (&ex, 20, &nan, 8, "a NaN start time");
    patched_refused (&ex, 52, &two, 1, "a boolean of 2");
    patched_refused (&ex, 57, nul, 4, "a NUL inside its text");
    patched_refused (&ex, 53, &minus, 4, "an absent text");
}

Test (runner_wire, too_many_words_refused)
{
    /* a start that claims more words than a job may have */
    runner_record_t r = {.type = RUNNER_REQ_START}, back;
    uint8_t *buf;
    size_t len, off;
    uint32_t argc = JOBSPEC_ARGC_MAX + 1, tenant_len;

    make_run (&r.u.run);
    len = encode (&r, &buf);
    /* id 8, tenant (4 + len), 3 x u32, u64, i64, name (4 + len), argc */
    memcpy (&tenant_len, buf + RUNNER_HEADER_SIZE + 8, 4);
    off = 8 + 4 + tenant_len + 12 + 8 + 8;
    off += 4 + strlen (r.u.run.spec.name);
    memcpy (buf + RUNNER_HEADER_SIZE + off, &argc, 4);
    cr_assert_eq (decode (RUNNER_REQ_START, buf + RUNNER_HEADER_SIZE,
                          len - RUNNER_HEADER_SIZE, &back),
                  -1);
    free (buf);
    run_clear (&r.u.run);
}

Test (runner_wire, encode_bounds_and_types)
{
    runner_record_t r = {.type = RUNNER_EV_KILLED, .u.result = {.id = 1}};
    uint8_t *buf = NULL;
    size_t len;

    memset (r.u.result.text, 'x', sizeof (r.u.result.text)); /* no NUL */
    r.u.result.text[sizeof (r.u.result.text) - 1] = '\0';
    cr_assert_eq (runner_wire_encode (&r, &buf, &len), 0, "159 bytes fit");
    free (buf);
    r.type = RUNNER_INVALID;
    cr_assert_eq (runner_wire_encode (&r, &buf, &len), -1);
    cr_assert_eq (errno, EINVAL);
}

Test (runner_wire, socketpair_records_in_pieces_and_a_descriptor)
{
    runner_record_t a = {.type = RUNNER_EV_EXITED,
                         .u.exit = {.id = 3, .kind = EXIT_EXITED, .text = "ok"}};
    runner_record_t b = {.type = RUNNER_EV_LOG_OPENED, .u.result = {.id = 4}};
    runner_reader_t rd = {0};
    runner_record_t got;
    cphub_error_t err = {""};
    uint8_t *ba, *bb;
    size_t la = encode (&a, &ba), lb = encode (&b, &bb), sent;
    int sv[2], fd, passed;
    char byte;

    cr_assert_eq (socketpair (AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fd = open ("/dev/null", O_RDONLY);
    cr_assert_geq (fd, 0);
    /* the first record in two pieces: nothing until it is whole */
    cr_assert_eq (runner_wire_send (sv[0], ba, 5, -1, false, &sent), 0);
    cr_assert_eq (sent, 5);
    cr_assert_gt (runner_reader_fill (&rd, sv[1], true), 0);
    cr_assert_eq (runner_reader_next (&rd, RUNNER_FROM_ROOT, &got, &err), 0);
    cr_assert_eq (runner_wire_send (sv[0], ba + 5, la - 5, -1, false, NULL), 0);
    cr_assert_eq (runner_wire_send (sv[0], bb, lb, fd, false, NULL), 0);
    while (rd.len - rd.pos < la + lb)
        cr_assert_gt (runner_reader_fill (&rd, sv[1], true), 0);
    cr_assert_eq (runner_reader_next (&rd, RUNNER_FROM_ROOT, &got, &err), 1, "%s",
                  err.text);
    cr_assert_eq (got.type, RUNNER_EV_EXITED);
    cr_assert_eq (got.u.exit.id, 3);
    cr_assert_eq (runner_reader_next (&rd, RUNNER_FROM_ROOT, &got, &err), 1);
    cr_assert_eq (got.type, RUNNER_EV_LOG_OPENED);
    passed = runner_reader_take_fd (&rd);
    cr_assert_geq (passed, 0, "the descriptor came with the answer");
    cr_assert_eq (read (passed, &byte, 1), 0, "it is /dev/null");
    cr_assert (fcntl (passed, F_GETFD) & FD_CLOEXEC, "received close-on-exec");
    cr_assert_eq (runner_reader_take_fd (&rd), -1);
    close (passed);
    /* a request where an event is expected breaks the reader's contract */
    cr_assert_eq (runner_wire_send (sv[0], bb, lb, -1, false, NULL), 0);
    cr_assert_gt (runner_reader_fill (&rd, sv[1], true), 0);
    cr_assert_eq (runner_reader_next (&rd, RUNNER_FROM_NET, &got, &err), -1);
    cr_assert (strstr (err.text, "wrong side"), "%s", err.text);
    /* EOF */
    close (sv[0]);
    cr_assert_eq (runner_reader_fill (&rd, sv[1], true), 0);
    runner_reader_clear (&rd);
    close (sv[1]);
    close (fd);
    free (ba);
    free (bb);
}

/* --- agent.user --------------------------------------------------------------- */

static int load_agent_conf (const char *body, agent_config_t *cfg, cphub_error_t *err)
{
    char path[] = "/tmp/cphub-test-runner-XXXXXX";
    int fd = mkstemp (path), rc;
    agent_flags_t flags = {.config = path};

    cr_assert_geq (fd, 0);
    cr_assert_eq (write (fd, body, strlen (body)), (ssize_t)strlen (body));
    close (fd);
    rc = agent_config_load (cfg, &flags, err);
    unlink (path);
    return rc;
}

Test (runner_config, agent_user)
{
    agent_config_t cfg;
    cphub_error_t err = {""};

    cr_assert_eq (load_agent_conf ("agent = { name = \"n1\"; };\n", &cfg, &err), 0,
                  "%s", err.text);
    cr_assert_str_eq (cfg.user, "nobody", "the default");
    agent_config_clear (&cfg);
    cr_assert_eq (
        load_agent_conf ("agent = { name = \"n1\"; user = \"cphub-net\"; };\n", &cfg,
                         &err),
        0, "%s", err.text);
    cr_assert_str_eq (cfg.user, "cphub-net");
    agent_config_clear (&cfg);
    cr_assert_eq (load_agent_conf ("agent = { name = \"n1\";\n user = \"ro ot\"; };\n",
                                   &cfg, &err),
                  -1);
    cr_assert (strstr (err.text, ":2: 'agent.user': 'ro ot' is not a user name"), "%s",
               err.text);
}
