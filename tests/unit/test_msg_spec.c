/* test_msg_spec.c: the wire codec (common/msg.c) for the fields that place
 * and relate jobs and for the later request types: a spec's constraint,
 * array and after travel as text and arrive parsed (old clients' spellings
 * accepted, bad text refused with the setter's words), node failures,
 * submit.ok counts, job_info and job.run fields, tenant and key requests.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/msg.h"
#include "tests/unit/msg_test.h"

Test (msg, node_failure_fields)
{
    msg_t *m;

    /* no_requeue: optional, absent = requeue */
    m = decode_ok ("submit",
                   "{\"v\":1,\"spec\":{\"ntasks\":1,\"cpus_per_task\":1,"
                   "\"gpus\":0,\"mem\":0,\"walltime\":0,\"name\":\"\","
                   "\"argv\":[\"true\"],\"no_requeue\":true}}");
    cr_assert (m->u.submit.spec.no_requeue);
    msg_destroy (m);
    m = decode_ok ("submit",
                   "{\"v\":1,\"spec\":{\"ntasks\":1,\"cpus_per_task\":1,"
                   "\"gpus\":0,\"mem\":0,\"walltime\":0,\"name\":\"\","
                   "\"argv\":[\"true\"]}}");
    cr_assert_not (m->u.submit.spec.no_requeue);
    msg_destroy (m);
    expect_reject ("submit",
                   "{\"v\":1,\"spec\":{\"ntasks\":1,\"cpus_per_task\":1,\"gpus\":0,"
                   "\"mem\":0,\"walltime\":0,\"name\":\"\",\"argv\":[\"true\"],"
                   "\"no_requeue\":1}}",
                   EPROTO, "field 'spec.no_requeue' must be true or false");

    /* survived_kill: optional, absent = false */
    m = decode_ok ("job.exit",
                   "{\"v\":1,\"id\":3,\"kind\":\"timeout\",\"exit_code\":0,"
                   "\"signal\":9,\"start_time\":1,\"end_time\":2,"
                   "\"cpu_time\":0,\"max_rss\":0,\"text\":\"\","
                   "\"survived_kill\":true}");
    cr_assert (m->u.exit.survived_kill);
    cr_assert_eq (m->u.exit.kind, EXIT_TIMEOUT);
    msg_destroy (m);
    m = decode_ok ("job.exit",
                   "{\"v\":1,\"id\":3,\"kind\":\"exited\",\"exit_code\":0,"
                   "\"signal\":0,\"start_time\":1,\"end_time\":2,"
                   "\"cpu_time\":0,\"max_rss\":0,\"text\":\"\"}");
    cr_assert_not (m->u.exit.survived_kill);
    msg_destroy (m);
    /* output: killed at the node's output limit, its text the reason */
    m = decode_ok ("job.exit",
                   "{\"v\":1,\"id\":4,\"kind\":\"output\",\"exit_code\":0,"
                   "\"signal\":25,\"start_time\":1,\"end_time\":2,"
                   "\"cpu_time\":0,\"max_rss\":0,\"text\":\"output over 1G limit\"}");
    cr_assert_eq (m->u.exit.kind, EXIT_OUTPUT);
    cr_assert_str_eq (m->u.exit.text, "output over 1G limit");
    msg_destroy (m);

    /* node.drain: a node must be named; the reason may be left out */
    m = decode_ok ("node.drain", "{\"v\":1,\"node\":\"node1\",\"drain\":false}");
    cr_assert_str_eq (m->u.drain.node, "node1");
    cr_assert_not (m->u.drain.drain);
    cr_assert_str_eq (m->u.drain.reason, "");
    cr_assert_eq (m->type, MSG_NODE_DRAIN);
    msg_destroy (m);
    expect_reject ("node.drain", "{\"v\":1,\"node\":\"\",\"drain\":true}", EINVAL,
                   "node.drain: field 'node' is empty");
    expect_reject ("node.drain", "{\"v\":1,\"drain\":true}", EPROTO,
                   "missing field 'node'");
    char big[300];
    snprintf (big, sizeof (big),
              "{\"v\":1,\"node\":\"n\",\"drain\":true,\"reason\":\"%0150d\"}", 0);
    expect_reject ("node.drain", big, EINVAL, "field 'reason' is 150 bytes long");
    m = decode_ok ("node.drain.ok", "{\"v\":1}");
    msg_destroy (m);

    /* job.exit.ack: 1..MSG_IDS_MAX ids */
    m = decode_ok ("job.exit.ack", "{\"v\":1,\"ids\":[4,5]}");
    cr_assert_eq (m->type, MSG_JOB_EXIT_ACK);
    cr_assert_eq (m->u.ids.count, 2);
    cr_assert_eq (m->u.ids.ids[1], 5);
    msg_destroy (m);
    expect_reject ("job.exit.ack", "{\"v\":1,\"ids\":[]}", EINVAL, "field 'ids' has 0");
}

Test (msg, placement_and_relation_fields_round_trip)
{
    msg_t *m = msg_create (MSG_SUBMIT), *back;
    char *argv[] = {"true", NULL};

    /* submit: nodes, exclusive, constraint, array, after */
    cr_assert_eq (jobspec_set_argv (&m->u.submit.spec, 1, argv, NULL), 0);
    m->u.submit.spec.nodes = 2;
    m->u.submit.spec.exclusive = true;
    cr_assert_eq (
        jobspec_set_option (&m->u.submit.spec, "C", "avx512&(a100|h100)", NULL), 0);
    cr_assert_eq (jobspec_set_option (&m->u.submit.spec, "array", "0-999%50", NULL), 0);
    cr_assert_eq (
        jobspec_set_option (&m->u.submit.spec, "after", "ok:12:13,any:14", NULL), 0);
    back = round_trip (m);
    cr_assert_eq (back->u.submit.spec.nodes, 2);
    cr_assert (back->u.submit.spec.exclusive);
    cr_assert_str_eq (constraint_text (back->u.submit.spec.constraint),
                      "avx512&(a100|h100)");
    cr_assert_eq (back->u.submit.spec.array->count, 1000, "arrives parsed");
    cr_assert_eq (back->u.submit.spec.array->throttle, 50);
    cr_assert_eq (back->u.submit.spec.after->count, 3);
    cr_assert_eq (back->u.submit.spec.after->deps[2].id, 14);
    cr_assert_eq (back->u.submit.spec.after->deps[2].kind, JOBSPEC_AFTER_ANY);
    msg_destroy (back);
    msg_destroy (m);
    /* absent, they keep their defaults: one node, shared, anywhere */
    m = decode_ok ("submit",
                   "{\"v\":1,\"spec\":{\"ntasks\":1,\"cpus_per_task\":1,"
                   "\"gpus\":0,\"mem\":0,\"walltime\":0,\"name\":\"\","
                   "\"argv\":[\"true\"]}}");
    cr_assert_eq (m->u.submit.spec.nodes, 0);
    cr_assert_eq (jobspec_nodes (&m->u.submit.spec), 1);
    cr_assert_null (m->u.submit.spec.array);
    cr_assert_not (jobspec_is_array (&m->u.submit.spec));
    cr_assert_not (jobspec_has_after (&m->u.submit.spec));
    cr_assert_not (m->u.submit.spec.exclusive);
    cr_assert_null (m->u.submit.spec.constraint);
    msg_destroy (m);
    /* what clients send today: "" constraint, null array, other spellings */
    m = decode_ok ("submit",
                   "{\"v\":1,\"spec\":{\"ntasks\":1,\"cpus_per_task\":1,"
                   "\"gpus\":0,\"mem\":0,\"walltime\":0,\"name\":\"\","
                   "\"argv\":[\"true\"],\"constraint\":\"\",\"array\":null,"
                   "\"after\":\"afterok:3,afterany:4\"}}");
    cr_assert_null (m->u.submit.spec.constraint);
    cr_assert_null (m->u.submit.spec.array);
    cr_assert_eq (m->u.submit.spec.after->count, 2);
    /* and the encoder writes the canonical text, "" for no constraint */
    {
        size_t len = 0;
        char *body = encode (m, &len);
        cr_assert (strstr (body, "\"after\":\"ok:3,any:4\""), "%s", body);
        cr_assert (strstr (body, "\"constraint\":\"\""), "%s", body);
        free (body);
    }
    msg_destroy (m);
    expect_reject ("submit",
                   "{\"v\":1,\"spec\":{\"ntasks\":1,\"cpus_per_task\":1,\"gpus\":0,"
                   "\"mem\":0,\"walltime\":0,\"name\":\"\",\"argv\":[\"true\"],"
                   "\"array\":\"5-3\"}}",
                   EINVAL, "submit: --array: '5-3' runs backwards");
    expect_reject ("submit",
                   "{\"v\":1,\"spec\":{\"ntasks\":1,\"cpus_per_task\":1,\"gpus\":0,"
                   "\"mem\":0,\"walltime\":0,\"name\":\"\",\"argv\":[\"true\"],"
                   "\"after\":\"ok:0\"}}",
                   EINVAL, "--after: '0' is not a job id");
    /* a bad constraint is refused with its column */
    expect_reject ("submit",
                   "{\"v\":1,\"spec\":{\"ntasks\":1,\"cpus_per_task\":1,\"gpus\":0,"
                   "\"mem\":0,\"walltime\":0,\"name\":\"\",\"argv\":[\"true\"],"
                   "\"constraint\":\"avx512)\"}}",
                   EINVAL, "--constraint: unexpected ')' at column 7");
    expect_reject ("submit",
                   "{\"v\":1,\"spec\":{\"ntasks\":1,\"cpus_per_task\":1,\"gpus\":0,"
                   "\"mem\":0,\"walltime\":0,\"name\":\"\",\"argv\":[\"true\"],"
                   "\"nodes\":65}}",
                   EINVAL, "spec.nodes");

    /* submit.ok: count, 1 when absent */
    m = msg_create (MSG_SUBMIT_OK);
    cr_assert_eq (m->u.id.count, 1);
    m->u.id.id = 100;
    m->u.id.count = 50;
    back = round_trip (m);
    cr_assert_eq (back->u.id.id, 100);
    cr_assert_eq (back->u.id.count, 50);
    msg_destroy (back);
    msg_destroy (m);
    m = decode_ok ("submit.ok", "{\"v\":1,\"id\":7}");
    cr_assert_eq (m->u.id.count, 1);
    msg_destroy (m);

    /* job_info: nodelist, array_id, array_index */
    m = msg_create (MSG_SHOW_OK);
    m->u.job_list.count = 1;
    m->u.job_list.jobs = calloc (1, sizeof (job_info_t));
    m->u.job_list.jobs[0].id = 101;
    strcpy (m->u.job_list.jobs[0].nodelist, "node1,node2");
    m->u.job_list.jobs[0].array_id = 100;
    m->u.job_list.jobs[0].array_index = 7;
    back = round_trip (m);
    cr_assert_str_eq (back->u.job_list.jobs[0].nodelist, "node1,node2");
    cr_assert_eq (back->u.job_list.jobs[0].array_id, 100);
    cr_assert_eq (back->u.job_list.jobs[0].array_index, 7);
    msg_destroy (back);
    msg_destroy (m);

    /* job.run: nodelist, cpus_per_node, array_id, array_index */
    m = msg_create (MSG_JOB_RUN);
    m->u.run.id = 9;
    strcpy (m->u.run.tenant, "tenant-a");
    cr_assert_eq (jobspec_set_argv (&m->u.run.spec, 1, argv, NULL), 0);
    m->u.run.spec.walltime = 60;
    strcpy (m->u.run.cores, "0-1");
    strcpy (m->u.run.cpus, "0-1");
    strcpy (m->u.run.mems, "0");
    m->u.run.nodelist = strdup ("node1,node2");
    m->u.run.cpus_per_node = strdup ("2,2");
    m->u.run.array_id = 5;
    m->u.run.array_index = 3;
    back = round_trip (m);
    cr_assert_str_eq (back->u.run.nodelist, "node1,node2");
    cr_assert_str_eq (back->u.run.cpus_per_node, "2,2");
    cr_assert_eq (back->u.run.array_id, 5);
    cr_assert_eq (back->u.run.array_index, 3);
    msg_destroy (back);
    msg_destroy (m);
}

/* tenant and key requests (operators' run-time tenants and keys) */
Test (msg, tenant_and_key_requests_checked)
{
    msg_t *m;

    m = decode_ok ("tenant", "{\"v\":1,\"op\":\"list\"}");
    cr_assert_eq (m->u.tenant_req.op, TENANT_OP_LIST);
    msg_destroy (m);
    m = decode_ok ("tenant", "{\"v\":1,\"op\":\"add\",\"name\":\"acme\"}");
    cr_assert_eq (m->u.tenant_req.shares, 0.0, "absent shares: 0, the default");
    msg_destroy (m);
    expect_reject ("tenant", "{\"v\":1,\"op\":\"add\"}", EINVAL, "needs a name");
    expect_reject ("tenant", "{\"v\":1,\"op\":\"set\",\"name\":\"acme\"}", EINVAL,
                   "'shares' must be more than 0");
    expect_reject ("tenant", "{\"v\":1,\"op\":\"set\",\"name\":\"acme\",\"shares\":-1}",
                   EINVAL, "shares");
    expect_reject ("tenant", "{\"v\":1,\"op\":\"delete\",\"name\":\"acme\"}", EINVAL,
                   "op");
    expect_reject ("tenant", "{\"v\":1}", EPROTO, "op");
    m = decode_ok ("key", "{\"v\":1,\"op\":\"list\",\"tenant\":\"acme\"}");
    cr_assert_str_eq (m->u.key_req.tenant, "acme");
    msg_destroy (m);
    m = decode_ok ("key",
                   "{\"v\":1,\"op\":\"revoke\",\"key\":"
                   "\"0123456789abcdefghijklmnopqrstuvwxyzABCD\"}");
    cr_assert_eq (m->u.key_req.op, KEY_OP_REVOKE);
    msg_destroy (m);
    expect_reject ("key", "{\"v\":1,\"op\":\"revoke\",\"key\":\"short\"}", EINVAL,
                   "not a public key");
    expect_reject ("key",
                   "{\"v\":1,\"op\":\"add\",\"key\":"
                   "\"0123456789abcdefghijklmnopqrstuvwxyzABCD\"}",
                   EINVAL, "name the key's tenant");
    cr_assert_str_eq (tenant_source_name (TENANT_SOURCE_RUNTIME), "runtime");
    cr_assert_str_eq (tenant_op_name (TENANT_OP_REMOVE), "remove");
    cr_assert_str_eq (key_op_name (KEY_OP_REVOKE), "revoke");
    cr_assert_null (key_op_name (KEY_OP_COUNT));
}

/* jobs' expand and job_info's folded array: optional both ways, so an older
 * client or scheduler is understood; the counts are named by state. */
Test (msg, jobs_expand_and_folded_array_fields)
{
    msg_t *m = decode_ok ("jobs", "{\"v\":1,\"all\":false}"), *b;
    job_info_t *j;
    size_t len;
    char *body;

    cr_assert_not (m->u.jobs.expand, "absent expand = false");
    msg_destroy (m);
    m = decode_ok ("jobs", "{\"v\":1,\"all\":false,\"expand\":true}");
    cr_assert (m->u.jobs.expand);
    msg_destroy (m);

    m = msg_create (MSG_JOBS_OK);
    m->u.job_list.count = 1;
    cr_assert_not_null (j = m->u.job_list.jobs = calloc (1, sizeof (*j)));
    j->id = 42;
    j->state = JOB_RUNNING;
    j->array_id = 42;
    j->array_throttle = 50;
    j->array_folded = 1000;
    strcpy (j->array_tasks, "0-999%50");
    j->array_nstates = 2;
    cr_assert_not_null (j->array_counts = calloc (2, sizeof (*j->array_counts)));
    j->array_counts[0] = (job_state_count_t){.state = JOB_PENDING, .count = 950};
    j->array_counts[1] = (job_state_count_t){.state = JOB_RUNNING, .count = 50};
    body = encode (m, &len);
    cr_assert_not_null (strstr (body, "{\"state\":\"PENDING\",\"count\":950}"), "%s",
                        body);
    b = decode_ok ("jobs.ok", body);
    j = &b->u.job_list.jobs[0];
    cr_assert_eq (j->array_folded, 1000);
    cr_assert_str_eq (j->array_tasks, "0-999%50");
    cr_assert_eq (j->array_nstates, 2);
    cr_assert_eq (j->array_counts[0].state, JOB_PENDING);
    cr_assert_eq (j->array_counts[0].count, 950);
    cr_assert_eq (j->array_counts[1].state, JOB_RUNNING);
    cr_assert_eq (j->array_counts[1].count, 50);
    msg_destroy (b);
    free (body);
    msg_destroy (m);

    /* a scheduler that folds nothing: one job per job_info */
    m = decode_ok ("jobs.ok",
                   "{\"v\":1,\"jobs\":[{\"id\":7,\"tenant\":\"t\",\"name\":\"n\","
                   "\"command\":\"c\",\"state\":\"PENDING\",\"reason\":\"\","
                   "\"exit_code\":0,\"signal\":0,\"ntasks\":1,\"cpus_per_task\":1,"
                   "\"gpus_count\":0,\"mem\":0,\"walltime\":0,\"node\":\"\","
                   "\"cpus\":\"\",\"gpus\":\"\",\"submit_time\":0,\"start_time\":0,"
                   "\"end_time\":0,\"cpu_time\":0,\"max_rss\":0}]}");
    cr_assert_eq (m->u.job_list.jobs[0].array_folded, 0);
    cr_assert_str_eq (m->u.job_list.jobs[0].array_tasks, "");
    cr_assert_null (m->u.job_list.jobs[0].array_counts);
    msg_destroy (m);
    expect_reject ("jobs.ok",
                   "{\"v\":1,\"jobs\":[{\"id\":7,\"tenant\":\"t\",\"name\":\"n\","
                   "\"command\":\"c\",\"state\":\"PENDING\",\"reason\":\"\","
                   "\"exit_code\":0,\"signal\":0,\"ntasks\":1,\"cpus_per_task\":1,"
                   "\"gpus_count\":0,\"mem\":0,\"walltime\":0,\"node\":\"\","
                   "\"cpus\":\"\",\"gpus\":\"\",\"submit_time\":0,\"start_time\":0,"
                   "\"end_time\":0,\"cpu_time\":0,\"max_rss\":0,"
                   "\"array_counts\":[{\"state\":\"PENDING\",\"count\":-1}]}]}",
                   EINVAL, "count");
}
