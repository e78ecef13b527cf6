/* test_msg.c: the wire codec (common/msg.c). Every message type survives an
 * encode/decode round trip unchanged; hostile or broken bodies (wrong version,
 * unknown type, not an object, missing or mistyped fields, overlong strings,
 * oversized bodies, invalid job specs and node descriptions) are refused with
 * the errno and the field-naming text that doc/protocol.md promises; log bytes
 * survive base64; and the --json payload carries the documented fields.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/msg.h"
#include "tests/unit/msg_test.h"

/* The register field of a simulated node, as the codec writes it. */
#define SIMULATED_TRUE ",\"simulated\":true"

static void *xcalloc (size_t n, size_t size)
{
    void *p = calloc (n, size);
    cr_assert_not_null (p);
    return p;
}

static void fill_job (job_info_t *j, uint64_t id, job_state_t state)
{
    j->id = id;
    strcpy (j->tenant, "tenant-a");
    strcpy (j->name, "train");
    strcpy (j->command, "python train.py --epochs 3");
    j->state = state;
    strcpy (j->reason, state == JOB_PENDING ? "Resources" : "");
    j->exit_code = state == JOB_FAILED ? 3 : 0;
    j->signal = 0;
    j->ntasks = 2;
    j->cpus_per_task = 4;
    j->gpus_count = 1;
    j->mem = (uint64_t)8 << 30;
    j->walltime = 3600;
    strcpy (j->node, "node1");
    strcpy (j->cpus, "0-7");
    strcpy (j->gpus, "0");
    j->submit_time = 1764237600.25;
    j->start_time = 1764237601.5;
    j->end_time = state == JOB_RUNNING ? 0 : 1764237700.125;
    j->cpu_time = 812.75;
    j->max_rss = 123456789;
    j->expected_start = 1764237900.5;
    j->queue_position = 7;
    j->priority = 10250.125;
}

static void fill_spec_argv (jobspec_t *spec)
{
    char *const argv[] = {"sh", "-c", "echo \"hi\" | tr a-z A-Z; printf '\\t\\n'",
                          NULL};
    cphub_error_t err;

    cr_assert_eq (jobspec_set_argv (spec, 3, argv, &err), 0, "%s", err.text);
    spec->ntasks = 4;
    spec->cpus_per_task = 2;
    spec->gpus = 1;
    spec->mem = (uint64_t)1 << 30;
    spec->walltime = 7200;
    strcpy (spec->name, "étude-1"); /* UTF-8 survives */
}

static void fill_node_desc (node_desc_t *d)
{
    strcpy (d->name, "node1");
    d->npackages = 1;
    d->nnuma = 2;
    d->numa_mem = xcalloc (2, sizeof (uint64_t));
    d->numa_mem[0] = (uint64_t)16 << 30;
    d->numa_mem[1] = (uint64_t)16 << 30;
    d->ncores = 4;
    d->cores = xcalloc (4, sizeof (node_core_t));
    for (uint32_t i = 0; i < 4; i++) {
        d->cores[i].package = 0;
        d->cores[i].numa = i / 2;
        d->cores[i].l3 = i / 2;
        snprintf (d->cores[i].pus, sizeof (d->cores[i].pus), "%u,%u", i, i + 4);
    }
    d->ngpus = 1;
    d->gpus = xcalloc (1, sizeof (node_gpu_t));
    strcpy (d->gpus[0].name, "gpu0");
    d->gpus[0].numa = 1;
    d->mem = (uint64_t)32 << 30;
    strcpy (d->features, "avx512,a100");
    strcpy (d->topology, "synthetic:package:1 numa:2 core:2 pu:2");
    d->binding = false;
    d->simulated = true;
    d->njobs = 2;
    d->jobs = xcalloc (2, sizeof (uint64_t));
    d->jobs[0] = 17;
    d->jobs[1] = 23;
}

static void fill_logs_data (msg_logs_data_t *l, size_t len)
{
    l->tag = 9;
    l->id = 5;
    l->offset = 4096;
    l->eof = true;
    l->len = len;
    l->data = xcalloc (len + 1, 1);
    for (size_t i = 0; i < len; i++)
        l->data[i] = (char)(i * 7 + 3); /* every byte value, NULs included */
}

/* A message of type t with every field set to something other than zero. */
static msg_t *sample (msg_type_t t)
{
    msg_t *m = msg_create (t);
    cphub_error_t err;

    cr_assert_not_null (m, "msg_create (%d)", (int)t);
    switch (t) {
    case MSG_ERROR:
        m->u.error.code = EINVAL;
        strcpy (m->u.error.text, "asked 64 cores per task; the largest node has 32");
        break;
    case MSG_SUBMIT:
        fill_spec_argv (&m->u.submit.spec);
        break;
    case MSG_CANCEL:
    case MSG_HOLD:
    case MSG_RELEASE:
    case MSG_REQUEUE:
    case MSG_WAIT:
    case MSG_JOB_EXIT_ACK:
        m->u.ids.count = 3;
        m->u.ids.ids = xcalloc (3, sizeof (uint64_t));
        m->u.ids.ids[0] = 1;
        m->u.ids.ids[1] = 2;
        m->u.ids.ids[2] = (uint64_t)INT64_MAX;
        break;
    case MSG_JOBS:
        m->u.jobs.all = true;
        break;
    case MSG_SHOW:
    case MSG_RESUBMIT:
    case MSG_SUBMIT_OK:
        m->u.id.id = 42;
        break;
    case MSG_LOGS_FETCH:
        m->u.logs_req.tag = 77;
        /* fall through */
    case MSG_LOGS:
        m->u.logs_req.id = 5;
        m->u.logs_req.stream = LOG_STREAM_STDERR;
        m->u.logs_req.offset = 1000;
        m->u.logs_req.max = 65536;
        break;
    case MSG_JOBS_OK:
    case MSG_SHOW_OK:
    case MSG_WAIT_OK:
        m->u.job_list.count = 2;
        m->u.job_list.jobs = xcalloc (2, sizeof (job_info_t));
        fill_job (&m->u.job_list.jobs[0], 42, JOB_COMPLETED);
        fill_job (&m->u.job_list.jobs[1], 43, JOB_FAILED);
        break;
    case MSG_CANCEL_OK:
    case MSG_JOBCTL_OK:
        m->u.cancel_ok.count = 2;
        m->u.cancel_ok.results = xcalloc (2, sizeof (msg_cancel_result_t));
        m->u.cancel_ok.results[0].id = 7;
        strcpy (m->u.cancel_ok.results[0].text, "cancelled");
        m->u.cancel_ok.results[1].id = 8;
        m->u.cancel_ok.results[1].code = ENOENT;
        strcpy (m->u.cancel_ok.results[1].text, "no job 8");
        break;
    case MSG_NODES_OK:
        m->u.node_list.count = 1;
        m->u.node_list.nodes = xcalloc (1, sizeof (node_info_t));
        strcpy (m->u.node_list.nodes[0].name, "node1");
        m->u.node_list.nodes[0].state = NODE_DRAIN;
        strcpy (m->u.node_list.nodes[0].reason, "maintenance");
        m->u.node_list.nodes[0].cores = 32;
        m->u.node_list.nodes[0].cores_used = 8;
        m->u.node_list.nodes[0].gpus = 2;
        m->u.node_list.nodes[0].gpus_used = 1;
        m->u.node_list.nodes[0].mem = (uint64_t)64 << 30;
        m->u.node_list.nodes[0].mem_used = (uint64_t)8 << 30;
        m->u.node_list.nodes[0].numa = 2;
        m->u.node_list.nodes[0].jobs = 3;
        strcpy (m->u.node_list.nodes[0].features, "a100");
        strcpy (m->u.node_list.nodes[0].topology, "real");
        m->u.node_list.nodes[0].binding = true;
        m->u.node_list.nodes[0].simulated = true;
        m->u.node_list.nodes[0].last_seen = 1764237600.5;
        break;
    case MSG_LOGS_OK:
    case MSG_LOGS_DATA:
        fill_logs_data (&m->u.logs_data, 300);
        break;
    case MSG_REPORT_OK:
        m->u.report.since = 1764000000;
        m->u.report.until = 1764237600.5;
        m->u.report.ntenants = 2;
        m->u.report.tenants = xcalloc (2, sizeof (report_tenant_t));
        strcpy (m->u.report.tenants[0].tenant, "tenant-a");
        m->u.report.tenants[0].jobs = 10;
        m->u.report.tenants[0].completed = 7;
        m->u.report.tenants[0].failed = 2;
        m->u.report.tenants[0].cancelled = 1;
        m->u.report.tenants[0].core_seconds = 3600.5;
        m->u.report.tenants[0].gpu_seconds = 60;
        strcpy (m->u.report.tenants[1].tenant, "tenant-b");
        m->u.report.nnodes = 1;
        m->u.report.nodes = xcalloc (1, sizeof (report_node_t));
        strcpy (m->u.report.nodes[0].node, "node1");
        m->u.report.nodes[0].cores = 4;
        m->u.report.nodes[0].busy_core_seconds = 1800;
        m->u.report.nodes[0].busy_share = 0.25;
        break;
    case MSG_REGISTER:
        fill_node_desc (&m->u.node);
        break;
    case MSG_HEARTBEAT:
        m->u.heartbeat.running = 3;
        break;
    case MSG_JOB_RUN:
        m->u.run.id = 11;
        strcpy (m->u.run.tenant, "tenant-a");
        cr_assert_eq (jobspec_set_script (&m->u.run.spec,
                                          "#!/bin/sh\n#CPHUB -n 2\necho hi\n", &err),
                      0, "%s", err.text);
        m->u.run.spec.walltime = 60;
        strcpy (m->u.run.cores, "0-1");
        strcpy (m->u.run.cpus, "0-1,4-5");
        strcpy (m->u.run.gpus, "");
        strcpy (m->u.run.mems, "0");
        m->u.run.mem = (uint64_t)1 << 30;
        m->u.run.run = 3;
        break;
    case MSG_JOB_STARTED:
        m->u.started.id = 11;
        m->u.started.pid = 4242;
        m->u.started.time = 1764237601.125;
        m->u.started.run = 3;
        break;
    case MSG_JOB_EXIT:
        m->u.exit.id = 11;
        m->u.exit.kind = EXIT_SIGNALED;
        m->u.exit.signal = 9;
        m->u.exit.start_time = 1764237601.125;
        m->u.exit.end_time = 1764237661.5;
        m->u.exit.cpu_time = 59.5;
        m->u.exit.max_rss = 1 << 20;
        strcpy (m->u.exit.text, "killed by signal 9");
        m->u.exit.survived_kill = true;
        m->u.exit.run = 3;
        break;
    case MSG_NODE_DRAIN:
        strcpy (m->u.drain.node, "node1");
        m->u.drain.drain = true;
        strcpy (m->u.drain.reason, "new memory");
        break;
    case MSG_JOB_KILL:
        m->u.kill.id = 11;
        m->u.kill.signal = 15;
        m->u.kill.run = 3;
        break;
    case MSG_PRIORITY:
        m->u.priority_req.id = 42;
        m->u.priority_req.set_boost = true;
        m->u.priority_req.boost = -250.5;
        break;
    case MSG_PRIORITY_OK:
        m->u.priority.id = 42;
        strcpy (m->u.priority.tenant, "tenant-a");
        m->u.priority.state = JOB_PENDING;
        strcpy (m->u.priority.reason, "Resources");
        m->u.priority.queue_position = 3;
        m->u.priority.expected_start = 1764237900.5;
        m->u.priority.priority = 5312.25;
        m->u.priority.fairshare = 0.5;
        m->u.priority.age = 0.25;
        m->u.priority.size = 0.125;
        m->u.priority.job_boost = -250.5;
        m->u.priority.tenant_boost = 100;
        m->u.priority.weight_fairshare = 10000;
        m->u.priority.weight_age = 1000;
        m->u.priority.weight_size = 100;
        m->u.priority.tenant_shares = 0.5;
        m->u.priority.tenant_usage = 7200.75;
        m->u.priority.usage_share = 0.75;
        m->u.priority.half_life = 604800;
        m->u.priority.max_age = 604800;
        break;
    case MSG_TENANT:
        m->u.tenant_req.op = TENANT_OP_ADD;
        strcpy (m->u.tenant_req.name, "acme");
        m->u.tenant_req.shares = 2.5;
        break;
    case MSG_TENANT_OK:
        m->u.tenant_list.count = 1;
        m->u.tenant_list.tenants = xcalloc (1, sizeof (tenant_info_t));
        strcpy (m->u.tenant_list.tenants[0].name, "acme");
        m->u.tenant_list.tenants[0].source = TENANT_SOURCE_RUNTIME;
        m->u.tenant_list.tenants[0].shares = 2.5;
        m->u.tenant_list.tenants[0].keys = 2;
        m->u.tenant_list.tenants[0].pending = 3;
        m->u.tenant_list.tenants[0].running = 1;
        m->u.tenant_list.tenants[0].created = 1764237601.5;
        break;
    case MSG_KEY:
        m->u.key_req.op = KEY_OP_ADD;
        strcpy (m->u.key_req.tenant, "acme");
        strcpy (m->u.key_req.key, "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
        break;
    case MSG_KEY_OK:
        m->u.key_list.count = 1;
        m->u.key_list.keys = xcalloc (1, sizeof (key_info_t));
        strcpy (m->u.key_list.keys[0].key, "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
        strcpy (m->u.key_list.keys[0].tenant, "acme");
        m->u.key_list.keys[0].revoked = true;
        m->u.key_list.keys[0].added = 1764237601.5;
        m->u.key_list.keys[0].revoked_time = 1764237661.25;
        break;
    case MSG_BALANCE: /* budgets */
        strcpy (m->u.balance_req.tenant, "acme");
        break;
    case MSG_BALANCE_OK:
    case MSG_BUDGET_GRANT_OK:
        m->u.balance.core_hour = 1;
        m->u.balance.gpu_hour = 10;
        m->u.balance.count = 1;
        m->u.balance.tenants = xcalloc (1, sizeof (balance_tenant_t));
        strcpy (m->u.balance.tenants[0].tenant, "acme");
        m->u.balance.tenants[0].limited = true;
        m->u.balance.tenants[0].granted = 100;
        m->u.balance.tenants[0].spent = 12.000277777777777;
        m->u.balance.tenants[0].reserved = 8;
        m->u.balance.tenants[0].remaining = 79.999722222222222;
        m->u.balance.tenants[0].core_seconds = 43201.000000000007;
        m->u.balance.tenants[0].gpu_seconds = 0.1;
        m->u.balance.tenants[0].running_cores = 16;
        m->u.balance.tenants[0].max_running_cores = 16;
        m->u.balance.tenants[0].running_gpus = 1;
        m->u.balance.tenants[0].max_running_gpus = 4;
        m->u.balance.tenants[0].running_jobs = 2;
        m->u.balance.tenants[0].max_running_jobs = 10;
        m->u.balance.tenants[0].pending_jobs = 999;
        m->u.balance.tenants[0].max_pending_jobs = 1000;
        break;
    case MSG_BUDGET_GRANT:
        strcpy (m->u.grant.tenant, "acme");
        m->u.grant.hours = -2.5;
        strcpy (m->u.grant.reason, "refund of job 17");
        break;
    case MSG_REGISTER_OK:
        strcpy (m->u.register_ok.hub_id, "0123456789abcdef0123456789abcdef");
        break;
    case MSG_NODES:
    case MSG_REPORT:
    case MSG_NODE_DRAIN_OK:
    case MSG_TYPE_COUNT:
        break;
    }
    return m;
}

Test (msg, type_names_round_trip)
{
    for (int t = 0; t < MSG_TYPE_COUNT; t++) {
        const char *name = msg_type_name ((msg_type_t)t);
        msg_type_t back;
        cr_assert_not_null (name);
        cr_assert_eq (msg_type_parse (name, strlen (name), &back), 0);
        cr_assert_eq ((int)back, t);
    }
    cr_assert_null (msg_type_name (MSG_TYPE_COUNT));
    cr_assert_eq (msg_type_parse ("submit.okx", 10, &(msg_type_t){0}), -1);
    cr_assert_eq (errno, ENOENT);
    cr_assert_eq (msg_type_parse ("submit.ok", 6, &(msg_type_t){0}), 0);
}

Test (msg, every_type_round_trips)
{
    for (int t = 0; t < MSG_TYPE_COUNT; t++) {
        msg_t *m = sample ((msg_type_t)t), *back;
        const char *name = msg_type_name (m->type);
        cphub_error_t err = {.text = ""};
        size_t len, len2;
        char *body = encode (m, &len), *again;

        cr_assert_eq (strlen (body), len);
        cr_assert_not_null (strstr (body, "\"v\":1"), "%s: %s", name, body);
        back = msg_decode (name, strlen (name), body, len, &err);
        cr_assert_not_null (back, "%s: %s (%s)", name, err.text, body);
        cr_assert_eq (back->type, m->type);
        again = encode (back, &len2);
        cr_assert_str_eq (again, body, "%s changed in a round trip", name);
        free (again);
        free (body);
        msg_destroy (back);
        msg_destroy (m);
    }
}

Test (msg, round_trip_fields)
{
    msg_t *m = sample (MSG_SUBMIT), *b;
    size_t len;
    char *body = encode (m, &len);

    b = decode_ok ("submit", body);
    cr_assert_eq (b->u.submit.spec.argc, 3);
    cr_assert_str_eq (b->u.submit.spec.argv[2], m->u.submit.spec.argv[2]);
    cr_assert_null (b->u.submit.spec.argv[3]);
    cr_assert_null (b->u.submit.spec.script);
    cr_assert_str_eq (b->u.submit.spec.name, "étude-1");
    cr_assert_eq (b->u.submit.spec.mem, (uint64_t)1 << 30);
    msg_destroy (b);
    msg_destroy (m);
    free (body);

    m = sample (MSG_REGISTER);
    body = encode (m, &len);
    b = decode_ok ("register", body);
    cr_assert_eq (b->u.node.nnuma, 2);
    cr_assert_eq (b->u.node.ncores, 4);
    cr_assert_str_eq (b->u.node.cores[3].pus, "3,7");
    cr_assert_eq (b->u.node.cores[3].numa, 1);
    cr_assert_eq (b->u.node.ngpus, 1);
    cr_assert_str_eq (b->u.node.gpus[0].name, "gpu0");
    cr_assert_eq (b->u.node.njobs, 2);
    cr_assert_eq (b->u.node.jobs[1], 23);
    cr_assert (b->u.node.simulated);
    msg_destroy (b);
    /* an agent that does not say is not simulated */
    char without[2048];
    cr_assert_lt (strlen (body), sizeof (without));
    strcpy (without, body);
    char *flag = strstr (without, SIMULATED_TRUE);
    cr_assert_not_null (flag, "%s", without);
    memmove (flag, flag + strlen (SIMULATED_TRUE),
             strlen (flag) - strlen (SIMULATED_TRUE) + 1);
    b = decode_ok ("register", without);
    cr_assert_not (b->u.node.simulated);
    msg_destroy (b);
    msg_destroy (m);
    free (body);

    m = sample (MSG_JOB_RUN);
    body = encode (m, &len);
    b = decode_ok ("job.run", body);
    cr_assert_eq (b->u.run.spec.argc, 0);
    cr_assert_null (b->u.run.spec.argv);
    cr_assert_str_eq (b->u.run.spec.script, m->u.run.spec.script);
    cr_assert_str_eq (b->u.run.cpus, "0-1,4-5");
    cr_assert_eq (b->u.run.run, 3);
    msg_destroy (b);
    msg_destroy (m);
    free (body);

    /* an agent that does not number runs says none: 0, not an error */
    b = decode_ok ("job.exit",
                   "{\"v\":1,\"id\":11,\"kind\":\"exited\",\"exit_code\":0,"
                   "\"signal\":0,\"start_time\":1,\"end_time\":2,\"cpu_time\":0,"
                   "\"max_rss\":0,\"text\":\"\"}");
    cr_assert_eq (b->u.exit.run, 0);
    msg_destroy (b);
    m = sample (MSG_JOB_EXIT);
    body = encode (m, &len);
    b = decode_ok ("job.exit", body);
    cr_assert_eq (b->u.exit.run, 3, "%s", body);
    msg_destroy (b);
    msg_destroy (m);
    free (body);
}

Test (msg, base64_binary_round_trip)
{
    for (size_t len = 0; len < 10; len++) {
        msg_t *m = msg_create (MSG_LOGS_DATA), *b;
        size_t blen;
        char *body;

        fill_logs_data (&m->u.logs_data, len == 9 ? 256 * 3 + 1 : len);
        body = encode (m, &blen);
        b = decode_ok ("logs.data", body);
        cr_assert_eq (b->u.logs_data.len, m->u.logs_data.len);
        cr_assert_not_null (b->u.logs_data.data);
        cr_assert_eq (
            memcmp (b->u.logs_data.data, m->u.logs_data.data, m->u.logs_data.len), 0);
        cr_assert_eq (b->u.logs_data.eof, true);
        msg_destroy (b);
        msg_destroy (m);
        free (body);
    }
    /* "hi!\n\0" is aGkhCgA= */
    msg_t *m = decode_ok ("logs.ok",
                          "{\"v\":1,\"tag\":0,\"id\":1,\"code\":0,\"text\":\"\","
                          "\"data\":\"aGkhCgA=\",\"offset\":0,\"eof\":false}");
    cr_assert_eq (m->u.logs_data.len, 5);
    cr_assert_eq (memcmp (m->u.logs_data.data, "hi!\n\0", 5), 0);
    msg_destroy (m);
    expect_reject ("logs.ok",
                   "{\"v\":1,\"tag\":0,\"id\":1,\"code\":0,\"text\":\"\","
                   "\"data\":\"aGk*CgA=\",\"offset\":0,\"eof\":false}",
                   EPROTO, "field 'data' is not valid base64");
    expect_reject ("logs.ok",
                   "{\"v\":1,\"tag\":0,\"id\":1,\"code\":0,\"text\":\"\","
                   "\"data\":\"aGk\",\"offset\":0,\"eof\":false}",
                   EPROTO, "base64");
}

Test (msg, rejects_wrong_version)
{
    expect_reject ("jobs", "{\"v\":2,\"all\":true}", EPROTO,
                   "protocol version 2; this side speaks 1");
    expect_reject ("jobs", "{\"all\":true}", EPROTO, "missing field 'v'");
    expect_reject ("jobs", "{\"v\":\"1\",\"all\":true}", EPROTO, "field 'v'");
    /* The version is checked before the type: a newer peer's new message is
     * reported as a version mismatch. */
    expect_reject ("jobs.stream", "{\"v\":2}", EPROTO, "protocol version 2");
}

Test (msg, rejects_unknown_type)
{
    expect_reject ("foo", "{\"v\":1}", ENOENT, "unknown message type 'foo'");
    expect_reject ("submit.", "{\"v\":1}", ENOENT, "unknown message type 'submit.'");
    expect_reject ("\x01\xff", "{\"v\":1}", ENOENT,
                   "unknown message type '?"
                   "?'");
}

Test (msg, rejects_non_object_and_bad_json)
{
    expect_reject ("jobs", "[1,2,3]", EPROTO, "must be a JSON object, not an array");
    expect_reject ("jobs", "17", EPROTO, "must be a JSON object, not a number");
    expect_reject ("jobs", "{\"v\":1,\"all\":tr", EPROTO, "not valid JSON");
    expect_reject ("jobs", "", EPROTO, "not valid JSON");
    expect_reject ("jobs", "{\"v\":1,\"all\":true} x", EPROTO, "not valid JSON");
    expect_reject ("jobs", "{\"v\":1,\"v\":1,\"all\":true}", EPROTO, "not valid JSON");
}

Test (msg, rejects_missing_field)
{
    expect_reject ("jobs", "{\"v\":1}", EPROTO, "jobs: missing field 'all'");
    expect_reject ("submit",
                   "{\"v\":1,\"spec\":{\"cpus_per_task\":1,\"gpus\":0,\"mem\":0,"
                   "\"walltime\":0,\"name\":\"\",\"argv\":[\"true\"]}}",
                   EPROTO, "submit: missing field 'spec.ntasks'");
    expect_reject ("register", "{\"v\":1}", EPROTO, "register: missing field 'node'");
}

Test (msg, rejects_wrong_field_type_and_range)
{
#define SPEC_NTASKS                                                              \
    "{\"v\":1,\"spec\":{\"ntasks\":%s,\"cpus_per_task\":1,\"gpus\":0,\"mem\":0," \
    "\"walltime\":0,\"name\":\"\",\"argv\":[\"true\"]}}"
    char body[512];

    snprintf (body, sizeof (body), SPEC_NTASKS, "\"4\"");
    expect_reject ("submit", body, EPROTO,
                   "submit: field 'spec.ntasks' must be an integer 1..65536");
    snprintf (body, sizeof (body), SPEC_NTASKS, "4.5");
    expect_reject ("submit", body, EPROTO, "field 'spec.ntasks' must be an integer");
    snprintf (body, sizeof (body), SPEC_NTASKS, "0");
    expect_reject ("submit", body, EINVAL,
                   "submit: field 'spec.ntasks' must be an integer 1..65536");
    snprintf (body, sizeof (body), SPEC_NTASKS, "65537");
    expect_reject ("submit", body, EINVAL, "spec.ntasks");
    snprintf (body, sizeof (body), SPEC_NTASKS, "99999999999999999999");
    expect_reject ("submit", body, EPROTO, "not valid JSON");
    snprintf (body, sizeof (body), SPEC_NTASKS, "1");
    msg_destroy (decode_ok ("submit", body));

    expect_reject ("jobs", "{\"v\":1,\"all\":1}", EPROTO,
                   "field 'all' must be true or false");
    expect_reject ("show", "{\"v\":1,\"id\":0}", EINVAL, "show: field 'id'");
    expect_reject ("show", "{\"v\":1,\"id\":-3}", EINVAL, "show: field 'id'");
    expect_reject ("cancel", "{\"v\":1,\"ids\":[]}", EINVAL, "no job ids");
    expect_reject ("wait", "{\"v\":1,\"ids\":[],\"elements\":[]}", EINVAL,
                   "no job ids");
    expect_reject ("cancel",
                   "{\"v\":1,\"ids\":[],\"elements\":[{\"id\":4,\"first\":5,"
                   "\"last\":1}]}",
                   EINVAL, "elements 5-1 of 4 run backwards");
    expect_reject ("cancel",
                   "{\"v\":1,\"ids\":[],\"elements\":[{\"id\":4,\"first\":0,"
                   "\"last\":10000000}]}",
                   EINVAL, "field 'elements[0].last'");
    msg_destroy (decode_ok ("cancel",
                            "{\"v\":1,\"ids\":[],\"elements\":[{\"id\":4,"
                            "\"first\":1,\"last\":5}]}"));
    expect_reject ("cancel", "{\"v\":1,\"ids\":[1,\"2\"]}", EPROTO, "field 'ids[1]'");
    expect_reject ("cancel", "{\"v\":1,\"ids\":{}}", EPROTO,
                   "field 'ids' must be an array");
    expect_reject ("logs",
                   "{\"v\":1,\"id\":1,\"stream\":\"stdin\",\"offset\":0,\"max\":0}",
                   EINVAL, "field 'stream' must be one of stdout, stderr");
    expect_reject (
        "logs", "{\"v\":1,\"id\":1,\"stream\":\"stdout\",\"offset\":0,\"max\":2000000}",
        EINVAL, "field 'max'");
    expect_reject (
        "job.exit",
        "{\"v\":1,\"id\":1,\"kind\":\"exploded\",\"exit_code\":0,\"signal\":0,"
        "\"start_time\":0,\"end_time\":0,\"cpu_time\":0,\"max_rss\":0,"
        "\"text\":\"\"}",
        EINVAL, "field 'kind' must be one of exited, signaled");
    expect_reject ("job.exit",
                   "{\"v\":1,\"id\":1,\"kind\":\"exited\",\"exit_code\":0,\"signal\":0,"
                   "\"start_time\":-5,\"end_time\":0,\"cpu_time\":0,\"max_rss\":0,"
                   "\"text\":\"\"}",
                   EINVAL, "field 'start_time' must be a number >= 0");
    expect_reject ("jobs.ok", "{\"v\":1,\"jobs\":[{}]}", EPROTO,
                   "jobs.ok: missing field 'jobs[0].id'");
    expect_reject ("jobs.ok", "{\"v\":1,\"jobs\":[7]}", EPROTO,
                   "field 'jobs[0]' must be an object");
}

Test (msg, rejects_too_long_string)
{
    char name[300], body[1024];

    memset (name, 'x', sizeof (name) - 1);
    name[sizeof (name) - 1] = '\0';
    snprintf (
        body, sizeof (body),
        "{\"v\":1,\"spec\":{\"ntasks\":1,\"cpus_per_task\":1,\"gpus\":0,\"mem\":0,"
        "\"walltime\":0,\"name\":\"%s\",\"argv\":[\"true\"]}}",
        name);
    expect_reject ("submit", body, EINVAL,
                   "submit: field 'spec.name' is 299 bytes long; at most 127");
    snprintf (body, sizeof (body), "{\"v\":1,\"code\":1,\"text\":\"%s%s\"}", name,
              name);
    expect_reject ("error", body, EINVAL,
                   "field 'text' is 598 bytes long; at most 511");
    /* exactly the limit is fine */
    name[127] = '\0';
    snprintf (
        body, sizeof (body),
        "{\"v\":1,\"spec\":{\"ntasks\":1,\"cpus_per_task\":1,\"gpus\":0,\"mem\":0,"
        "\"walltime\":0,\"name\":\"%s\",\"argv\":[\"true\"]}}",
        name);
    msg_destroy (decode_ok ("submit", body));
}

Test (msg, rejects_oversized_body)
{
    cphub_error_t err = {.text = ""};
    size_t n = MSG_MAX_BYTES + 1;
    char *big = malloc (n);
    msg_t *m;

    cr_assert_not_null (big);
    memset (big, ' ', n);
    memcpy (big, "{\"v\":1}", 7);
    m = msg_decode ("nodes", 5, big, n, &err);
    cr_assert_null (m);
    cr_assert_eq (errno, E2BIG);
    cr_assert_not_null (strstr (err.text, "at most 4194304"), "%s", err.text);
    free (big);

    /* encoding refuses to build one too */
    m = msg_create (MSG_JOBS_OK);
    m->u.job_list.count = 20000;
    m->u.job_list.jobs = xcalloc (20000, sizeof (job_info_t));
    for (uint32_t i = 0; i < 20000; i++)
        fill_job (&m->u.job_list.jobs[i], i + 1, JOB_PENDING);
    char *body = NULL;
    size_t len;
    cr_assert_eq (msg_encode (m, &body, &len), -1);
    cr_assert_eq (errno, E2BIG);
    cr_assert_null (body);
    msg_destroy (m);
}

Test (msg, rejects_invalid_jobspec)
{
    /* both a command and a script */
    expect_reject ("submit",
                   "{\"v\":1,\"spec\":{\"ntasks\":1,\"cpus_per_task\":1,\"gpus\":0,"
                   "\"mem\":0,\"walltime\":0,\"name\":\"\",\"argv\":[\"true\"],"
                   "\"script\":\"#!/bin/sh\\ntrue\\n\"}}",
                   EINVAL, "submit: give either a command or a script");
    /* neither */
    expect_reject (
        "submit",
        "{\"v\":1,\"spec\":{\"ntasks\":1,\"cpus_per_task\":1,\"gpus\":0,"
        "\"mem\":0,\"walltime\":0,\"name\":\"\",\"argv\":[],\"script\":null}}",
        EINVAL, "submit: no command or script given");
    /* a script without #! */
    expect_reject ("submit",
                   "{\"v\":1,\"spec\":{\"ntasks\":1,\"cpus_per_task\":1,\"gpus\":0,"
                   "\"mem\":0,\"walltime\":0,\"name\":\"\",\"argv\":[],"
                   "\"script\":\"echo hi\"}}",
                   EINVAL, "#!");
    /* job.run needs the limit in force */
    msg_t *m = sample (MSG_JOB_RUN);
    size_t len;
    m->u.run.spec.walltime = 0;
    char *body = encode (m, &len);
    expect_reject ("job.run", body, EINVAL,
                   "job.run: field 'spec.walltime' must be > 0");
    free (body);
    m->u.run.spec.walltime = 60;
    strcpy (m->u.run.cpus, "3-1");
    body = encode (m, &len);
    expect_reject ("job.run", body, EINVAL, "job.run: field 'cpus' is not an id list");
    free (body);
    msg_destroy (m);
}

Test (msg, rejects_invalid_node_desc)
{
    msg_t *m = sample (MSG_REGISTER);
    size_t len;
    char *body;

    m->u.node.cores[3].numa = 2; /* the node has 2 NUMA domains */
    body = encode (m, &len);
    expect_reject ("register", body, EINVAL, "register: node node1: core 3 is in NUMA");
    free (body);
    m->u.node.cores[3].numa = 1;
    strcpy (m->u.node.cores[3].pus, "0");
    body = encode (m, &len);
    expect_reject ("register", body, EINVAL, "appears in two cores");
    free (body);
    msg_destroy (m);
}

Test (msg, extra_fields_are_ignored)
{
    msg_t *m = decode_ok ("jobs", "{\"v\":1,\"all\":false,\"colour\":\"blue\"}");
    cr_assert_eq (m->type, MSG_JOBS);
    cr_assert_eq (m->u.jobs.all, false);
    msg_destroy (m);
    m = decode_ok ("nodes", "{\"v\":1}");
    msg_destroy (m);
}

Test (msg, encode_strings)
{
    msg_t *m = sample (MSG_JOBS_OK), *b;
    size_t len;
    char *body;

    /* a summary cut in the middle of a character still goes out */
    strcpy (m->u.job_list.jobs[0].command, "echo \xc3");
    body = encode (m, &len);
    b = decode_ok ("jobs.ok", body);
    cr_assert_str_eq (b->u.job_list.jobs[0].command, "echo ?");
    msg_destroy (b);
    free (body);
    msg_destroy (m);

    /* a command word must arrive exactly, so bad UTF-8 is refused */
    m = sample (MSG_SUBMIT);
    free (m->u.submit.spec.argv[1]);
    m->u.submit.spec.argv[1] = strdup ("\xff");
    body = NULL;
    cr_assert_eq (msg_encode (m, &body, &len), -1);
    cr_assert_eq (errno, EILSEQ);
    msg_destroy (m);

    /* ids beyond what JSON integers carry */
    m = sample (MSG_SUBMIT_OK);
    m->u.id.id = UINT64_MAX;
    cr_assert_eq (msg_encode (m, &body, &len), -1);
    cr_assert_eq (errno, ERANGE);
    msg_destroy (m);
}

Test (msg, payload_json)
{
    msg_t *m = sample (MSG_JOBS_OK);
    char *text = msg_payload_json (m);

    cr_assert_not_null (text);
    cr_assert_eq (text[0], '[', "%s", text);
    cr_assert_not_null (strstr (text, "\"id\": 42"), "%s", text);
    cr_assert_not_null (strstr (text, "\"state\": \"COMPLETED\""), "%s", text);
    cr_assert_not_null (strstr (text, "\"state\": \"FAILED\""), "%s", text);
    cr_assert_not_null (strstr (text, "\"cpus_per_task\": 4"), "%s", text);
    cr_assert_not_null (strstr (text, "\"max_rss\": 123456789"), "%s", text);
    cr_assert_null (strstr (text, "\"v\""), "%s", text);
    free (text);
    msg_destroy (m);

    m = sample (MSG_SHOW_OK);
    text = msg_payload_json (m);
    cr_assert_eq (text[0], '{', "%s", text);
    cr_assert_not_null (strstr (text, "\"tenant\": \"tenant-a\""), "%s", text);
    cr_assert_null (strstr (text, "\"id\": 43"), "show.ok is the one job: %s", text);
    free (text);
    msg_destroy (m);

    m = sample (MSG_SUBMIT_OK);
    text = msg_payload_json (m);
    cr_assert_not_null (strstr (text, "\"id\": 42"), "%s", text);
    cr_assert_null (strstr (text, "\"v\""), "%s", text);
    free (text);
    msg_destroy (m);

    m = sample (MSG_NODES_OK);
    text = msg_payload_json (m);
    cr_assert_eq (text[0], '[', "%s", text);
    cr_assert_not_null (strstr (text, "\"state\": \"DRAIN\""), "%s", text);
    cr_assert_not_null (strstr (text, "\"binding\": true"), "%s", text);
    cr_assert_not_null (strstr (text, "\"simulated\": true"), "%s", text);
    free (text);
    msg_destroy (m);

    m = sample (MSG_CANCEL_OK);
    text = msg_payload_json (m);
    cr_assert_eq (text[0], '[', "%s", text);
    cr_assert_not_null (strstr (text, "\"code\": 2"), "%s", text);
    free (text);
    msg_destroy (m);

    m = sample (MSG_REPORT_OK);
    text = msg_payload_json (m);
    cr_assert_not_null (strstr (text, "\"tenants\": ["), "%s", text);
    cr_assert_not_null (strstr (text, "\"busy_share\": 0.25"), "%s", text);
    free (text);
    msg_destroy (m);

    m = sample (MSG_JOB_EXIT);
    text = msg_payload_json (m);
    cr_assert_not_null (strstr (text, "\"kind\": \"signaled\""), "%s", text);
    free (text);
    msg_destroy (m);

    m = sample (MSG_LOGS);
    text = msg_payload_json (m);
    cr_assert_not_null (strstr (text, "\"stream\": \"stderr\""), "%s", text);
    free (text);
    msg_destroy (m);
}

Test (msg, error_create_and_destroy_null)
{
    msg_t *m =
        msg_error_create (EPERM, "tenant %s may not cancel job %d", "tenant-b", 7);

    cr_assert_not_null (m);
    cr_assert_eq (m->type, MSG_ERROR);
    cr_assert_eq (m->u.error.code, EPERM);
    cr_assert_str_eq (m->u.error.text, "tenant tenant-b may not cancel job 7");
    msg_destroy (m);
    msg_destroy (NULL);
    cr_assert_null (msg_create (MSG_TYPE_COUNT));
}

/* An error deep in a reply names the whole path to the field, and a body
 * that encodes names its exact length. */
Test (msg, names_the_path_of_a_bad_nested_field)
{
    cphub_error_t err = {.text = ""};
    msg_t *m = msg_create (MSG_JOBS_OK);
    char *body = NULL, *state;
    size_t len;

    cr_assert_not_null (m);
    m->u.job_list.count = 2;
    m->u.job_list.jobs = xcalloc (2, sizeof (job_info_t));
    fill_job (&m->u.job_list.jobs[0], 1, JOB_PENDING);
    fill_job (&m->u.job_list.jobs[1], 2, JOB_PENDING);
    cr_assert_eq (msg_encode (m, &body, &len), 0);
    cr_assert_eq (len, strlen (body));
    msg_destroy (m);
    /* the second job's state becomes a number */
    state = strstr (strstr (body, "\"id\":2"), "\"state\":\"PENDING\"");
    cr_assert_not_null (state, "%s", body);
    memcpy (state, "\"state\":123456789", 17);
    cr_assert_null (msg_decode ("jobs.ok", 7, body, len, &err));
    cr_assert_not_null (strstr (err.text, "'jobs[1].state'"), "%s", err.text);
    free (body);
}
