#!/usr/bin/env bash
# A node dies under its jobs: node1's agent is killed with SIGKILL while it
# runs three jobs. Within the heartbeat timeout (3 s here) node1 is DOWN; the
# two ordinary jobs are requeued and complete on node2, the --no-requeue job
# ends NODE_FAIL; the accounting keeps the failed runs, marked, next to the
# runs that completed.
. "$(dirname "$0")/lib.sh"

hub_setup "node1=synthetic:package:1 core:3 pu:1" \
    "node2=synthetic:package:1 core:3 pu:1"
conf_set "$T/scheduler.conf" heartbeat_timeout '"3s"'
start_scheduler
start_agent node1
wait_until 20 "node1 UP" nodes_up 1

job='sleep 4; echo "done on $CPHUB_NODE"'
a=$(as tenant-a submit -- sh -c "$job")
b=$(as tenant-b submit -- sh -c "$job")
c=$(as tenant-a submit --no-requeue -- sh -c "$job")
wait_until 10 "jobs running on node1" job_on tenant-a "$a" node1
wait_until 10 "jobs running on node1" job_on tenant-b "$b" node1
wait_until 10 "jobs running on node1" job_on tenant-a "$c" node1
start_agent node2
wait_until 20 "node2 UP" nodes_up 2
log "3 jobs running on node1; node2 up"

# SIGKILL: no goodbye, the scheduler finds out from the silence
kill -KILL "${AGENT_PIDS[node1]}"
killed=$SECONDS
wait_until 10 "node1 DOWN" node_state_is node1 DOWN
wait_until 10 "job $c NODE_FAIL" job_state_is tenant-a "$c" NODE_FAIL
wait_until 10 "job $a requeued onto node2" job_on tenant-a "$a" node2
wait_until 10 "job $b requeued onto node2" job_on tenant-b "$b" node2
took=$((SECONDS - killed))
[ "$took" -le 6 ] || fail "node failure took ${took}s to act on (heartbeat timeout 3s)"
log "node1 DOWN ($(node_field node1 reason)); jobs requeued to node2 within ${took}s"
[ "$(job_field tenant-a "$c" reason)" = "node node1 stopped heartbeating" ] ||
    fail "NODE_FAIL reason: $(job_field tenant-a "$c" reason)"

wait_until 20 "requeued jobs ended" all_ended tenant-a "$a"
wait_until 20 "requeued jobs ended" all_ended tenant-b "$b"
[ "$(job_field tenant-a "$a" state)" = COMPLETED ] || fail "job $a is $(job_field tenant-a "$a" state)"
[ "$(job_field tenant-b "$b" state)" = COMPLETED ] || fail "job $b is $(job_field tenant-b "$b" state)"
[ "$(job_field tenant-a "$a" node)" = node2 ] || fail "job $a ended on $(job_field tenant-a "$a" node)"
[ "$(as tenant-a logs "$a")" = "done on node2" ] || fail "job $a wrote '$(as tenant-a logs "$a")'"
rc=0
as tenant-a wait "$c" >/dev/null || rc=$?
[ "$rc" -ne 0 ] || fail "cphub wait on a NODE_FAIL job exited 0"
log "requeued jobs COMPLETED on node2; the --no-requeue job is NODE_FAIL"

# the accounting: the failed run on node1 (marked) and the completed run on
# node2 for each requeued job; one failed run for the --no-requeue job
rc=0
rows=$(acct_rows "job_id IN ($a, $b, $c)") || rc=$?
if [ "$rc" -eq 2 ]; then
    log "SKIP accounting check: no sqlite3 or no store at $STORE_DB"
else
    [ "$rc" -eq 0 ] || fail "cannot read the accounting: $rows"
    want="1|node1|NODE_FAIL|1
2|node2|COMPLETED|0
1|node1|NODE_FAIL|1
2|node2|COMPLETED|0
1|node1|NODE_FAIL|1"
    [ "$rows" = "$want" ] || fail "accounting is:
$rows
wanted:
$want"
    log "accounting: failed runs kept and marked"
fi

# the tenants' report counts each job once
as ops report --json >"$T/report.json"
jq -e '.tenants[] | select(.tenant == "tenant-a") | .jobs == 2 and .completed == 1 and .failed == 1' \
    "$T/report.json" >/dev/null || fail "report: $(cat "$T/report.json")"
log "report ok"
