#!/usr/bin/env bash
# Wall time: a job with -t 3s running `sleep 60` ends TIMEOUT a few seconds
# after its limit (TERM ends it at once); a job that ignores TERM is killed
# after the agent's grace (kill_grace = 2s) and ends TIMEOUT too. A job that
# asks more than the hub's maximum is refused at submit.
. "$(dirname "$0")/lib.sh"

hub_setup "node1=synthetic:package:1 core:2 pu:1"
conf_set "$T/agent-node1.conf" kill_grace '"2s"'
hub_start

# elapsed IDENTITY ID: seconds from start to end, as the scheduler saw them
elapsed() {
    as "$1" show "$2" --json | jq -r '.end_time - .start_time'
}

# between X LO HI: LO <= X <= HI (decimals)
between() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }

plain=$(as tenant-a submit -t 3s -- sleep 60)
deaf=$(as tenant-a submit -t 3s -- sh -c 'trap "" TERM; while :; do sleep 1; done')
wait_until 10 "both jobs RUNNING" job_state_is tenant-a "$plain" RUNNING
wait_until 10 "both jobs RUNNING" job_state_is tenant-a "$deaf" RUNNING
[ "$(job_field tenant-a "$plain" walltime)" = 3 ] || fail "walltime is $(job_field tenant-a "$plain" walltime)"

wait_until 15 "job $plain ended" job_ended tenant-a "$plain"
[ "$(job_field tenant-a "$plain" state)" = TIMEOUT ] || fail "sleep 60 with -t 3s is $(job_field tenant-a "$plain" state)"
took=$(elapsed tenant-a "$plain")
between "$took" 2.9 4.9 || fail "sleep 60 with -t 3s ran ${took}s (limit 3s, TERM ends it)"
log "sleep 60 -t 3s: TIMEOUT after ${took}s ($(job_field tenant-a "$plain" reason))"

wait_until 15 "job $deaf ended" job_ended tenant-a "$deaf"
[ "$(job_field tenant-a "$deaf" state)" = TIMEOUT ] || fail "the job ignoring TERM is $(job_field tenant-a "$deaf" state)"
took=$(elapsed tenant-a "$deaf")
between "$took" 4.8 7.5 || fail "the job ignoring TERM ran ${took}s (limit 3s + grace 2s)"
log "job ignoring TERM: killed after the grace, TIMEOUT after ${took}s"
rc=0
as tenant-a wait "$deaf" >/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "cphub wait on a TIMEOUT job exited $rc, not 1"

# nothing of either job is left running on the node
no_job_procs() { [ "$(job_procs "$T/state/node1/jobs")" -eq 0 ]; }
wait_until 10 "no job process left" no_job_procs
[ "$(node_field node1 state)" = UP ] || fail "node1 is $(node_field node1 state): $(node_field node1 reason)"

# the hub's maximum is enforced at submit
if as tenant-a submit -t 8-00:00:00 -- true >"$T/out" 2>"$T/err"; then
    fail "a job asking 8 days was accepted"
fi
grep -q "maximum is 7-00:00:00" "$T/err" || fail "refusal: $(cat "$T/err")"
log "wall-time maximum enforced: $(cat "$T/err")"
