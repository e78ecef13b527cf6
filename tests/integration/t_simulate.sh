#!/usr/bin/env bash
# Simulated execution: a hub refuses simulated nodes unless its operator
# sets scheduler.allow_simulated_nodes (the scheduler logs the refusal, the
# agent is told why, no node is UP); then one agent process plays 20 nodes
# (--simulate-nodes 20, each its own key and connection), shown as
# UP+SIMULATED; they run an array of 100 jobs and a
# `sleep 0.2` (a simulated run time) to COMPLETED without any job process or
# job directory; `cphub nodes` shows them as "simulated" and the agent
# logged the mode as a warning; a `sleep 600` job with a 2s limit ends
# TIMEOUT, and so do `sleep 1e300` and `sleep inf` (the agent that plays
# every node lives on), `sleep nan` ends at once; a cancelled one ends
# CANCELLED; the agent process used little cpu;
# a simulated job running when the agent restarts is lost (NODE_FAIL when
# it may not be requeued): simulated jobs are not remembered.
. "$(dirname "$0")/lib.sh"

names=()
for i in $(seq -f %04g 1 20); do names+=("sim-$i=synthetic:package:1 core:4 pu:1"); done
SCHED_GROUP_EXTRA='  allow_simulated_nodes = false;'
hub_setup "${names[@]}"
start_sim_agent() {
    "$AGENT_BIN" -c "$T/agent-sim-0001.conf" --name sim --simulate-nodes 20 >>"$T/agent-sim.log" 2>&1 &
    AGENT_PIDS[sim]=$!
    PIDS+=("$!")
}

# by default a hub takes no simulated node: its jobs would run nothing
start_scheduler
start_sim_agent
refused_all() { [ "$(grep -c "registration refused: its agent simulates" "$T/scheduler.log")" -ge 20 ]; }
wait_until 30 "20 simulated registrations refused" refused_all
told() { grep -q "refused to register node sim-0001: node sim-0001 simulates execution" "$T/agent-sim.log"; }
wait_until 10 "the agent told why" told
[ "$(as ops nodes --json | jq '[.[] | select(.state == "UP")] | length')" -eq 0 ] ||
    fail "a refused simulated node is UP: $(as ops nodes)"
log "simulated nodes refused by default: logged, the agent told, none UP"

stop_pid "${AGENT_PIDS[sim]}"
forget_pid "${AGENT_PIDS[sim]}"
stop_pid "$SCHED_PID"
forget_pid "$SCHED_PID"
conf_set "$T/scheduler.conf" allow_simulated_nodes true
start_scheduler
start_sim_agent
wait_until 30 "20 nodes UP" nodes_up 20
log "20 simulated nodes of one process up"

for n in sim-0001 sim-0007 sim-0020; do
    node_field_is "$n" isolation simulated || fail "$n shows isolation '$(node_field "$n" isolation)'"
done
grep -q "SIMULATED EXECUTION" "$T/agent-sim.log" || fail "the agent did not log the mode"
as ops nodes | grep -q simulated || fail "cphub nodes does not show 'simulated'"
[ "$(as ops nodes | grep -c " UP+SIMULATED ")" -eq 20 ] || fail "cphub nodes: $(as ops nodes)"
[ "$(as ops nodes --json | jq '[.[] | select(.simulated)] | length')" -eq 20 ] ||
    fail "nodes --json does not mark 20 nodes simulated"
log "cphub nodes shows the nodes as simulated (UP+SIMULATED)"

marker="$T/ran-for-real"
first=$(as tenant-a submit --array 1-100 -J simarr -- sh -c "sleep 0.2; touch $marker")
[[ "$first" =~ ^[0-9]+$ ]] || fail "submit printed '$first', not the array's id"
# the command is sh -c: a simulated run time of 0; this one sleeps 0.2s
second=$(as tenant-a submit -J simsleep -- sleep 0.2)
as tenant-a wait -q $(seq "$first" $((first + 99))) "$second" || fail "cphub wait exited $?"
done_n=$(jobs_json tenant-a | jq '[.[] | select((.name == "simarr" or .name == "simsleep") and .state == "COMPLETED")] | length')
[ "$done_n" -eq 101 ] || fail "$done_n of 101 simulated jobs COMPLETED"
[ ! -e "$marker" ] || fail "a simulated job ran its command"
[ "$(find "$T/state" -path '*/runs/*' 2>/dev/null | wc -l)" -eq 0 ] || fail "simulated jobs made job directories"
used=$(as ops jobs --all --json | jq '[.[] | .node] | unique | length')
[ "$used" -ge 2 ] || fail "the jobs ran on $used simulated node(s)"
log "101 simulated jobs COMPLETED on $used nodes, none ran"

tid=$(as tenant-a submit -t 2s -- sleep 600)
cid=$(as tenant-a submit -- sleep 600)
wait_until 10 "job $cid running" job_state_is tenant-a "$cid" RUNNING
as tenant-a cancel "$cid" >/dev/null || fail "cancel exited $?"
wait_until 10 "job $cid cancelled" job_state_is tenant-a "$cid" CANCELLED
wait_until 15 "job $tid timed out" job_state_is tenant-a "$tid" TIMEOUT
log "wall-time limit -> TIMEOUT, cancel -> CANCELLED"

huge=$(as tenant-a submit -t 2s -- sleep 1e300)
endless=$(as tenant-a submit -t 2s -- sleep inf)
nan=$(as tenant-a submit -t 2s -- sleep nan)
wait_until 15 "sleep 1e300 timed out" job_state_is tenant-a "$huge" TIMEOUT
wait_until 15 "sleep inf timed out" job_state_is tenant-a "$endless" TIMEOUT
wait_until 15 "sleep nan completed" job_state_is tenant-a "$nan" COMPLETED
alive "${AGENT_PIDS[sim]}" || fail "the agent of every simulated node died"
nodes_up 20 || fail "simulated nodes went down after huge run times"
log "sleep 1e300 and sleep inf -> TIMEOUT at the limit, sleep nan ends at once, agent alive"

# the agent's cpu (user + system ticks) stays low: no process per job
ticks=$(awk '{ print $14 + $15 }' "/proc/${AGENT_PIDS[sim]}/stat")
hz=$(getconf CLK_TCK)
[ "$ticks" -lt $((hz * 3)) ] || fail "the agent of 20 nodes used $ticks cpu ticks (> 3 s)"
log "the agent of 20 nodes used $ticks cpu ticks"

# restart: the new agent does not hold the job, which is lost to its node
lid=$(as tenant-a submit --no-requeue -- sleep 600)
wait_until 10 "job $lid running" job_state_is tenant-a "$lid" RUNNING
stop_pid "${AGENT_PIDS[sim]}"
forget_pid "${AGENT_PIDS[sim]}"
start_sim_agent
wait_until 20 "job $lid lost" job_state_is tenant-a "$lid" NODE_FAIL
wait_until 30 "20 nodes UP again" nodes_up 20
log "a simulated job running across an agent restart is lost: NODE_FAIL"
