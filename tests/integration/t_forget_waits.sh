#!/usr/bin/env bash
# Forgetting and waits, with keep_ended = 1s. A parked `wait A B` whose A
# ended FAILED long ago (recalled from the history, then forgotten again
# while the wait waits on B) answers both jobs and exits non-zero. An array
# whose first element ended long ago, restored by a restarted scheduler,
# is still one array: a job --after ok:ARRAY stays pending while elements
# run, `cancel ARRAY` cancels the elements left and `wait ARRAY` answers
# every element.
. "$(dirname "$0")/lib.sh"

SCHED_GROUP_EXTRA='  keep_ended = "1s";'
hub_setup "node1=synthetic:package:1 core:4 pu:1"
hub_start
log "node up"

forgotten() {
    grep -o '[0-9]* ended jobs left memory' "$T/scheduler.log" | awk '{ n += $1 } END { print n + 0 }'
}
forgotten_at_least() { [ "$(forgotten)" -ge "$1" ]; }
# gate FILE: a job command that runs until FILE exists
gate() { printf 'while [ ! -e %s ]; do sleep 0.1; done' "$1"; }

failed=$(as tenant-a submit -J fails -- false)
wait_until 30 "job $failed ended" job_ended tenant-a "$failed"
wait_until 20 "job $failed left memory" forgotten_at_least 1
blocker=$(as tenant-a submit -J blocker -- sh -c "$(gate "$T/go-blocker")")
wait_until 30 "job $blocker running" job_state_is tenant-a "$blocker" RUNNING
(
    rc=0
    as tenant-a wait "$failed" "$blocker" >"$T/wait.out" 2>"$T/wait.err" || rc=$?
    echo "$rc" >"$T/wait.rc"
) &
# the wait recalls the failed job; it leaves memory again while the wait waits
wait_until 20 "job $failed left memory again" forgotten_at_least 2
touch "$T/go-blocker"
wait_until 30 "the wait answered" test -s "$T/wait.rc"
grep -q "^$failed FAILED" "$T/wait.out" || fail "the wait's answer lacks $failed: $(cat "$T/wait.out")"
grep -q "^$blocker COMPLETED" "$T/wait.out" || fail "the wait's answer lacks $blocker: $(cat "$T/wait.out")"
[ "$(cat "$T/wait.rc")" -ne 0 ] || fail "wait exited 0 although job $failed failed"
log "a parked wait answers a job forgotten meanwhile"

# element 0 ends at once, the others (one at a time) run until go-arr
arr=$(as tenant-a submit --array 0-3%1 -J thr -- sh -c \
    "[ \"\$CPHUB_ARRAY_INDEX\" = 0 ] || $(gate "$T/go-arr")")
wait_until 30 "element 1 of $arr running" job_state_is tenant-a "$((arr + 1))" RUNNING
dep=$(as tenant-a submit -J dep --after "ok:$arr" -- true)
ended_long_ago() { # ended_long_ago ID: its end is older than keep_ended
    local end
    end=$(job_field tenant-a "$1" end_time)
    awk -v e="$end" -v now="$(date +%s.%N)" 'BEGIN { exit !(e > 0 && now - e > 2) }'
}
wait_until 20 "element 0 ended over 2s ago" ended_long_ago "$arr"
stop_pid "$SCHED_PID"
start_scheduler
wait_until 20 "the scheduler answers again" sched_answers
probe=$(as tenant-a submit -J probe -- true)
wait_until 30 "a job after the restart ran" job_state_is tenant-a "$probe" COMPLETED
job_state_is tenant-a "$dep" PENDING ||
    fail "--after ok:$arr released while the array runs: $(job_field tenant-a "$dep" state)"
job_state_is tenant-a "$((arr + 1))" RUNNING || fail "element 1: $(job_field tenant-a "$((arr + 1))" state)"
log "after a restart, --after ok:ARRAY still waits on the array"

as tenant-a cancel "$arr" >"$T/cancel.out" 2>&1 || fail "cancel $arr: $(cat "$T/cancel.out")"
for i in 1 2 3; do
    wait_until 30 "element $i cancelled" job_state_is tenant-a "$((arr + i))" CANCELLED
done
as tenant-a wait "$arr" >"$T/wait-arr.out" 2>&1 || true # cancelled: not 0
[ "$(grep -c "^${arr}_[0-3] " "$T/wait-arr.out")" -eq 4 ] ||
    fail "wait $arr does not answer every element: $(cat "$T/wait-arr.out")"
grep -q "^${arr}_0 COMPLETED" "$T/wait-arr.out" || fail "element 0: $(cat "$T/wait-arr.out")"
touch "$T/go-arr"
log "cancel and wait by the array's id reach every element"
