#!/usr/bin/env bash
# Simulated execution (agent.simulate): four simulated agents run an array
# of 100 jobs (`sleep 0.2`, a simulated run time) to COMPLETED without any
# job process or job directory; `cphub nodes` shows them as "simulated" and
# each agent logged the mode as a warning; a `sleep 600` job with a 2s limit
# ends TIMEOUT; a cancelled one ends CANCELLED; the agents used little cpu.
. "$(dirname "$0")/lib.sh"

AGENT_EXTRA="simulate = true;"
hub_setup "node1=synthetic:package:1 core:4 pu:1" "node2=synthetic:package:1 core:4 pu:1" \
    "node3=synthetic:package:1 core:4 pu:1" "node4=synthetic:package:1 core:4 pu:1"
hub_start
log "4 simulated nodes up"

for n in node1 node2 node3 node4; do
    node_field_is "$n" isolation simulated || fail "$n shows isolation '$(node_field "$n" isolation)'"
    grep -q "SIMULATED EXECUTION" "$T/agent-$n.log" || fail "agent $n did not log the mode"
done
as ops nodes | grep -q simulated || fail "cphub nodes does not show 'simulated'"
log "cphub nodes shows the nodes as simulated"

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
log "101 simulated jobs COMPLETED, none ran"

tid=$(as tenant-a submit -t 2s -- sleep 600)
cid=$(as tenant-a submit -- sleep 600)
wait_until 10 "job $cid running" job_state_is tenant-a "$cid" RUNNING
as tenant-a cancel "$cid" >/dev/null || fail "cancel exited $?"
wait_until 10 "job $cid cancelled" job_state_is tenant-a "$cid" CANCELLED
wait_until 15 "job $tid timed out" job_state_is tenant-a "$tid" TIMEOUT
log "wall-time limit -> TIMEOUT, cancel -> CANCELLED"

# the agents' cpu (user + system ticks) stays low: no process per job
for n in node1 node2 node3 node4; do
    ticks=$(awk '{ print $14 + $15 }' "/proc/${AGENT_PIDS[$n]}/stat")
    hz=$(getconf CLK_TCK)
    [ "$ticks" -lt $((hz * 2)) ] || fail "agent $n used $ticks cpu ticks (> 2 s)"
done
log "agents' cpu stays under 2 s each"
