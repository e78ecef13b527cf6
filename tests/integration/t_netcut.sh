#!/usr/bin/env bash
# A node cut off from the scheduler for longer than the heartbeat timeout,
# then healed: nothing is lost or run to completion twice.
#
# With root and `ip netns`: node1's agent runs in a network namespace of this
# test, joined to the host by a veth pair with addresses from 10.203.X.0/30
# (the scheduler's agent endpoint is the host side's address; node2's agent
# runs on the host). node1 runs two jobs; its link goes down past the
# heartbeat timeout (3 s): node1 is DOWN, the jobs are requeued and run on
# node2. When the link comes back, node1's agent registers again still
# holding the old runs; the scheduler has them killed. Each job appends its
# id to a shared file when it completes: every id is there exactly once,
# every job COMPLETED once, and the accounting holds the failed run (marked)
# and the completed one.
#
# Without network namespaces (or with CPHUB_TEST_NO_NETNS=1) it stops the
# scheduler (SIGSTOP) for longer than the heartbeat timeout while jobs end,
# then lets it go on (SIGCONT): the exits buffered meanwhile are applied
# exactly once and no node is blamed for the scheduler's absence.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, veth links)"

hub_setup "node1=synthetic:package:1 core:2 pu:1" \
    "node2=synthetic:package:1 core:2 pu:1"
conf_set "$T/scheduler.conf" heartbeat_timeout '"3s"'
ENDS=$T/ends
: >"$ENDS"

# each id in the file of ends exactly once
ends_once() { # ends_once ID...
    local id n
    for id in "$@"; do
        n=$(grep -cx "$id" "$ENDS" || true)
        [ "$n" -eq 1 ] || fail "job $id completed $n times: $(tr '\n' ' ' <"$ENDS")"
    done
    [ "$(wc -l <"$ENDS")" -eq "$#" ] || fail "unexpected ends: $(tr '\n' ' ' <"$ENDS")"
}

# A namespace and a veth pair, or return 1 when this machine does not allow
# them (then the fallback runs).
NS=cphub-it-$$
VH=cph$$h
VN=cph$$n
netns_setup() {
    [ -z "${CPHUB_TEST_NO_NETNS:-}" ] || return 1 # to try the fallback
    command -v ip >/dev/null 2>&1 || return 1
    local x
    for x in $(seq $(($$ % 200 + 20)) 250) $(seq 20 250); do
        ip -4 -o addr show | grep -q " 10\.203\.$x\." || break
    done
    NET=10.203.$x
    ip netns add "$NS" 2>/dev/null || return 1
    at_exit ip netns del "$NS"
    ip link add "$VH" type veth peer name "$VN" 2>/dev/null || return 1
    at_exit ip link del "$VH"
    ip link set "$VN" netns "$NS" &&
        ip addr add "$NET.1/30" dev "$VH" &&
        ip link set "$VH" up &&
        ip netns exec "$NS" ip addr add "$NET.2/30" dev "$VN" &&
        ip netns exec "$NS" ip link set "$VN" up &&
        ip netns exec "$NS" ip link set lo up || return 1
}

job() { # job SECONDS: a job that appends its id to the file of ends
    echo "sleep $1; echo \$CPHUB_JOB_ID >>$ENDS"
}

if netns_setup; then
    log "node1 in network namespace $NS ($NET.2), scheduler at $NET.1"
    ep="\"tcp://$NET.1:$AGENT_PORT\""
    conf_set "$T/scheduler.conf" agent_endpoint "$ep"
    conf_set "$T/agent-node1.conf" scheduler "$ep"
    conf_set "$T/agent-node2.conf" scheduler "$ep"
    start_scheduler
    ip netns exec "$NS" "$AGENT_BIN" -c "$T/agent-node1.conf" >>"$T/agent-node1.log" 2>&1 &
    AGENT_PIDS[node1]=$!
    PIDS+=("$!")
    wait_until 20 "node1 UP" nodes_up 1

    a=$(as tenant-a submit -- sh -c "$(job 20)")
    b=$(as tenant-b submit -- sh -c "$(job 20)")
    wait_until 10 "job $a RUNNING on node1" job_on tenant-a "$a" node1
    wait_until 10 "job $b RUNNING on node1" job_on tenant-b "$b" node1
    start_agent node2
    wait_until 20 "node2 UP" nodes_up 2

    ip link set "$VH" down
    cut=$SECONDS
    log "link to node1 down"
    wait_until 10 "node1 DOWN" node_state_is node1 DOWN
    wait_until 10 "job $a requeued onto node2" job_on tenant-a "$a" node2
    wait_until 10 "job $b requeued onto node2" job_on tenant-b "$b" node2
    ip link set "$VH" up
    log "link up again after $((SECONDS - cut))s; jobs requeued onto node2"

    # node1 comes back holding the old runs: they are killed there
    wait_until 30 "node1 UP again" node_state_is node1 UP
    old_runs_gone() { [ "$(job_procs "$T/state/node1/jobs")" -eq 0 ]; }
    wait_until 20 "the old runs on node1 killed" old_runs_gone
    grep -q "killing job $a on node1" "$T/scheduler.log" || fail "job $a was not killed on node1"
    log "node1 rejoined; its old runs were killed"

    wait_until 40 "the jobs ended" all_ended tenant-a "$a"
    wait_until 40 "the jobs ended" all_ended tenant-b "$b"
    for id in "$a" "$b"; do
        who=tenant-a
        [ "$id" = "$b" ] && who=tenant-b
        [ "$(job_field "$who" "$id" state)" = COMPLETED ] || fail "job $id is $(job_field "$who" "$id" state)"
        [ "$(job_field "$who" "$id" node)" = node2 ] || fail "job $id ended on $(job_field "$who" "$id" node)"
    done
    ends_once "$a" "$b"
    want="1|node1|NODE_FAIL|1
2|node2|COMPLETED|0
1|node1|NODE_FAIL|1
2|node2|COMPLETED|0"
else
    log "no network namespaces here: stopping the scheduler instead"
    hub_start
    a=$(as tenant-a submit -- sh -c "$(job 2)")
    b=$(as tenant-b submit -- sh -c "$(job 2)")
    c=$(as tenant-a submit -- sh -c "$(job 3)")
    wait_until 10 "job $a RUNNING" job_state_is tenant-a "$a" RUNNING
    wait_until 10 "job $b RUNNING" job_state_is tenant-b "$b" RUNNING
    wait_until 10 "job $c RUNNING" job_state_is tenant-a "$c" RUNNING
    kill -STOP "$SCHED_PID"
    stopped=$SECONDS
    # the scheduler is away past the heartbeat timeout while the jobs end
    while [ $((SECONDS - stopped)) -lt 5 ] || [ "$(wc -l <"$ENDS")" -lt 3 ]; do
        [ $((SECONDS - stopped)) -lt 20 ] || { kill -CONT "$SCHED_PID"; fail "jobs did not end"; }
        sleep 0.2
    done
    kill -CONT "$SCHED_PID"
    log "scheduler stopped for $((SECONDS - stopped))s"
    wait_until 30 "the jobs ended" all_ended tenant-a "$a" "$c"
    wait_until 30 "the jobs ended" all_ended tenant-b "$b"
    for id in "$a" "$c"; do
        [ "$(job_field tenant-a "$id" state)" = COMPLETED ] || fail "job $id is $(job_field tenant-a "$id" state)"
    done
    [ "$(job_field tenant-b "$b" state)" = COMPLETED ] || fail "job $b is $(job_field tenant-b "$b" state)"
    nodes_up 2 || fail "a node is not UP: $(as ops nodes)"
    ends_once "$a" "$b" "$c"
    b_node=$(job_field tenant-b "$b" node)
    want="1|$(job_field tenant-a "$a" node)|COMPLETED|0
1|$b_node|COMPLETED|0
1|$(job_field tenant-a "$c" node)|COMPLETED|0"
fi
log "every job COMPLETED exactly once"

rc=0
ids="$a, $b"
[ -n "${c:-}" ] && ids+=", $c"
rows=$(acct_rows "job_id IN ($ids)") || rc=$?
if [ "$rc" -eq 2 ]; then
    log "SKIP accounting check: no sqlite3 or no store at $STORE_DB"
else
    [ "$rc" -eq 0 ] || fail "cannot read the accounting: $rows"
    [ "$rows" = "$want" ] || fail "accounting is:
$rows
wanted:
$want"
    log "accounting: one completed run per job, failed runs marked"
fi
