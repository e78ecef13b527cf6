#!/usr/bin/env bash
# Drain and resume: an operator drains the only node; the job running there
# completes, a new job stays PENDING; the drain is kept when the agent
# restarts and when the scheduler restarts; tenants may not drain; resume
# lets the waiting job run.
. "$(dirname "$0")/lib.sh"

hub_setup "node1=synthetic:package:1 core:2 pu:1"
hub_start

running=$(as tenant-a submit -- sh -c 'sleep 2; echo finished')
wait_until 10 "job $running RUNNING" job_state_is tenant-a "$running" RUNNING

# tenants may not; the reason is required; an unknown node is named
if as tenant-a node drain node1 --reason "mine now" 2>"$T/err"; then
    fail "a tenant drained a node"
fi
grep -q "only operators may drain nodes" "$T/err" || fail "tenant refusal: $(cat "$T/err")"
rc=0
as ops node drain node1 2>"$T/err" || rc=$?
[ "$rc" -eq 2 ] || fail "drain without --reason exited $rc"
if as ops node drain node9 --reason x 2>"$T/err"; then
    fail "draining an unknown node succeeded"
fi
grep -q "no node named 'node9'" "$T/err" || fail "unknown node: $(cat "$T/err")"
log "refusals ok"

as ops node drain node1 --reason "replacing a fan" || fail "drain failed"
[ "$(node_field node1 state)" = DRAIN ] || fail "node1 is $(node_field node1 state)"
[ "$(node_field node1 reason)" = "replacing a fan" ] || fail "reason: $(node_field node1 reason)"
as ops nodes | grep -q "DRAIN (replacing a fan)" || fail "cphub nodes does not show the drain: $(as ops nodes)"
waiting=$(as tenant-a submit -- sh -c 'echo ran')
log "node1 drained"

# the running job finishes; the new one does not start
wait_until 10 "job $running ended" job_ended tenant-a "$running"
[ "$(job_field tenant-a "$running" state)" = COMPLETED ] || fail "the running job is $(job_field tenant-a "$running" state)"
[ "$(as tenant-a logs "$running")" = finished ] || fail "its output: $(as tenant-a logs "$running")"
[ "$(node_field node1 jobs)" = 0 ] || fail "node1 still runs $(node_field node1 jobs) jobs"
for i in 1 2 3 4 5 6 7 8 9 10; do # ten scheduler turns at least: it stays put
    job_state_is tenant-a "$waiting" PENDING || fail "job $waiting started on a drained node"
    sleep 0.2
done
log "the running job completed; the new one waits"

# an agent restart keeps the drain (the agent re-registers)
registrations() { grep -c "node node1 registered" "$T/scheduler.log" || true; }
before=$(registrations)
stop_pid "${AGENT_PIDS[node1]}"
start_agent node1
registered_again() { [ "$(registrations)" -gt "$before" ]; }
wait_until 20 "node1 registered again" registered_again
[ "$(node_field node1 state)" = DRAIN ] || fail "node1 is $(node_field node1 state) after its agent restarted"
job_state_is tenant-a "$waiting" PENDING || fail "job $waiting started on a drained node"
log "drain kept across an agent restart"

# and across a scheduler restart (the store keeps it; the agent registers again)
before=$(registrations)
stop_pid "$SCHED_PID"
start_scheduler
wait_until 20 "node1 registered with the new scheduler" registered_again
[ "$(node_field node1 state)" = DRAIN ] || fail "node1 is $(node_field node1 state) after a scheduler restart"
[ "$(node_field node1 reason)" = "replacing a fan" ] || fail "reason after restart: $(node_field node1 reason)"
job_state_is tenant-a "$waiting" PENDING || fail "job $waiting is $(job_field tenant-a "$waiting" state) after the restart"
log "drain kept across a scheduler restart"

as ops node resume node1 || fail "resume failed"
wait_until 10 "job $waiting ended" job_ended tenant-a "$waiting"
[ "$(job_field tenant-a "$waiting" state)" = COMPLETED ] || fail "the waiting job is $(job_field tenant-a "$waiting" state)"
[ "$(node_field node1 state)" = UP ] || fail "node1 is $(node_field node1 state) after resume"
[ "$(node_field node1 reason)" = "" ] || fail "node1 keeps reason '$(node_field node1 reason)'"
log "resumed: the waiting job ran"
