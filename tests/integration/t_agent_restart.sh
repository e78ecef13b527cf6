#!/usr/bin/env bash
# An agent restart loses nothing: jobs run on while their agent is away (their
# shepherds keep them), and the next agent adopts them or reports how they
# ended, once.
#  1. node1's agent is killed (SIGKILL) while it runs `sleep 3; exit 7` and
#     `sleep 3`, and started again at once (within the heartbeat timeout):
#     it adopts both, and they end FAILED with exit code 7 and COMPLETED.
#  2. A job that ends while its agent is dead is reported by the next agent
#     with its real exit code.
#  3. SIGTERM stops an agent cleanly: its job keeps running, and the next
#     agent reports it when it ends.
# Each exit is reported and counted once, and acknowledged: no exit record is
# left in the job directories.
. "$(dirname "$0")/lib.sh"

hub_setup "node1=synthetic:package:1 core:4 pu:1"
hub_start
J=$T/state/node1/jobs
R=$T/state/node1/runs # the agent's records

# reported_once ID: the agents' log says once that job ID ended
reported_once() {
    local n
    n=$(grep -c " job $1 ended: " "$T/agent-node1.log" || true)
    [ "$n" -eq 1 ] || fail "job $1 was reported ended $n times by the agents"
}

# expect IDENTITY ID STATE EXIT_CODE
expect() {
    [ "$(job_field "$1" "$2" state)" = "$3" ] || fail "job $2 is $(job_field "$1" "$2" state), not $3 ($(job_field "$1" "$2" reason))"
    [ "$(job_field "$1" "$2" exit_code)" = "$4" ] || fail "job $2 has exit code $(job_field "$1" "$2" exit_code), not $4"
}

# 1. killed and restarted under running jobs: adoption
a=$(as tenant-a submit -- sh -c 'sleep 3; exit 7')
b=$(as tenant-a submit -- sleep 3)
wait_until 10 "job $a RUNNING" job_state_is tenant-a "$a" RUNNING
wait_until 10 "job $b RUNNING" job_state_is tenant-a "$b" RUNNING
wait_until 10 "pid files" test -s "$R/$a/pid" -a -s "$R/$b/pid"
pa=$(job_pid node1 "$a")
pb=$(job_pid node1 "$b")
stop_agent KILL node1
alive "$pa" || fail "job $a died with its agent"
alive "$pb" || fail "job $b died with its agent"
start_agent node1
wait_until 10 "the new agent adopts both jobs" grep -q "2 running (adopted), 0 ended" "$T/agent-node1.log"
wait_until 15 "jobs $a and $b ended" all_ended tenant-a "$a" "$b"
expect tenant-a "$a" FAILED 7
expect tenant-a "$b" COMPLETED 0
rc=0
as tenant-a wait "$a" >/dev/null || rc=$?
[ "$rc" -eq 7 ] || fail "cphub wait on the adopted 'exit 7' job exited $rc"
reported_once "$a"
reported_once "$b"
log "SIGKILL + restart: jobs adopted, ended FAILED (7) and COMPLETED, once"

# 2. a job ends while no agent runs: the next one reports it
c=$(as tenant-a submit -- sh -c 'sleep 1; exit 5')
wait_until 10 "job $c RUNNING" job_state_is tenant-a "$c" RUNNING
stop_agent KILL node1
wait_until 10 "job $c ends with no agent" test -s "$R/$c/status"
[ "$(job_field tenant-a "$c" state)" = RUNNING ] || fail "job $c is $(job_field tenant-a "$c" state) with no agent to say so"
start_agent node1
wait_until 15 "job $c ended" job_ended tenant-a "$c"
expect tenant-a "$c" FAILED 5
reported_once "$c"
log "a job that ended while its agent was dead: reported after the restart, exit 5"

# 3. SIGTERM: the agent stops, its job does not
d=$(as tenant-a submit -- sh -c 'sleep 2; echo done')
wait_until 10 "job $d RUNNING" job_state_is tenant-a "$d" RUNNING
wait_until 10 "pid file" test -s "$R/$d/pid"
pd=$(job_pid node1 "$d")
stop_agent TERM node1
alive "$pd" || fail "SIGTERM of the agent killed job $d"
grep -q "Terminated: stopping" "$T/agent-node1.log" || fail "the agent did not say it stopped"
[ -s "$R/$d/pid" ] || fail "no pid file for the next agent"
start_agent node1
wait_until 15 "job $d ended" job_ended tenant-a "$d"
expect tenant-a "$d" COMPLETED 0
[ "$(as tenant-a logs "$d")" = done ] || fail "output of job $d: '$(as tenant-a logs "$d")'"
reported_once "$d"
log "SIGTERM: the agent stopped, its job ran on and was reported by the next agent"

# counted once, acknowledged, nothing left running, the node never blamed
as ops report --json >"$T/report.json"
jq -e '.tenants[] | select(.tenant == "tenant-a") | .jobs == 4 and .completed == 2 and .failed == 2' \
    "$T/report.json" >/dev/null || fail "the report counts differ: $(cat "$T/report.json")"
no_exit_records() { ! compgen -G "$R/*/exit" >/dev/null; }
wait_until 10 "every exit acknowledged (no exit record left)" no_exit_records
no_job_procs() { [ "$(job_procs "$J")" -eq 0 ]; }
wait_until 10 "no job process left" no_job_procs
[ "$(node_field node1 state)" = UP ] || fail "node1 is $(node_field node1 state): $(node_field node1 reason)"
log "each exit counted once and acknowledged; node1 UP"
