#!/usr/bin/env bash
# The scheduler crashes in the middle of a run and nothing is lost, run
# twice or billed twice: 500 short jobs on three agents, each appending its
# id to a shared file; once about 150 have completed the scheduler gets
# SIGKILL and is started again with the same config. Then every job ends
# COMPLETED exactly once: the store's accounting holds 500 records and no
# failed run, the shared file holds 500 distinct ids (no job ran twice), and
# the jobs that were running at the crash were not killed (a killed job
# would have ended FAILED or NODE_FAIL, not COMPLETED). Last, SIGTERM stops
# the scheduler with exit 0 and a store that passes PRAGMA integrity_check.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || skip "the sqlite3 command is not installed"
NJOBS=500
SUBMITTERS=10
hub_setup "node1=synthetic:package:1 core:4 pu:1" \
    "node2=synthetic:package:1 core:4 pu:1" \
    "node3=synthetic:package:1 core:4 pu:1"
hub_start
log "3 nodes up"

SHARED=$T/ran.txt
: >"$SHARED"
# submit_share K: submitter K of SUBMITTERS submits its share of the jobs.
submit_share() {
    local i
    for ((i = $1; i <= NJOBS; i += SUBMITTERS)); do
        as tenant-a submit -J "r$i" -- sh -c "echo \$CPHUB_JOB_ID >>$SHARED; sleep 0.2" ||
            return 1
    done >"$T/ids.$1"
}
sub_pids=()
for k in $(seq 1 "$SUBMITTERS"); do
    submit_share "$k" &
    sub_pids+=("$!")
done
for pid in "${sub_pids[@]}"; do
    wait "$pid" || fail "a submit failed before the crash"
done
mapfile -t ids < <(cat "$T"/ids.*)
[ "${#ids[@]}" -eq "$NJOBS" ] || fail "${#ids[@]} of $NJOBS submits acknowledged"
[ "$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)" -eq "$NJOBS" ] || fail "job ids repeat"
log "$NJOBS jobs submitted"

completed_count() {
    as ops jobs --all --json | jq '[.[] | select(.state == "COMPLETED")] | length'
}
completed_at_least() { [ "$(completed_count)" -ge "$1" ]; }
wait_until 60 "150 jobs COMPLETED" completed_at_least 150
running=$(as ops jobs --json | jq '[.[] | select(.state == "RUNNING")] | length')
kill9_scheduler
log "scheduler killed with SIGKILL ($running jobs running, $(wc -l <"$SHARED") started)"

start_scheduler
wait_until 20 "the restarted scheduler answers" sched_answers
grep -q "recovered $NJOBS jobs" "$T/scheduler.log" ||
    fail "the restarted scheduler did not recover $NJOBS jobs: $(grep recovered "$T/scheduler.log")"
recovered_running=$(grep -o 'recovered [0-9]* jobs ([0-9]* pending, [0-9]* running)' \
    "$T/scheduler.log" | tail -n 1 | sed 's/.*pending, \([0-9]*\) running.*/\1/')
[ "${recovered_running:-0}" -gt 0 ] || fail "no job was running at the crash; the test proves nothing"
log "restarted: $(grep -o 'recovered .*' "$T/scheduler.log" | tail -n 1)"
wait_until 20 "3 nodes UP again" nodes_up 3

rc=0
timeout 90 env CPHUB_CONFIG="$T/tenant-a.conf" "$CPHUB_BIN" wait -q "${ids[@]}" || rc=$?
[ "$rc" -eq 0 ] || fail "cphub wait on the $NJOBS jobs exited $rc: $(as ops jobs --all --json |
    jq -c '[.[] | select(.state != "COMPLETED") | {id, state, reason}] | .[:5]')"
as ops jobs --all --json >"$T/jobs.json"
[ "$(jq 'length' "$T/jobs.json")" -eq "$NJOBS" ] || fail "the hub lists $(jq 'length' "$T/jobs.json") jobs"
bad=$(jq -c '[.[] | select(.state != "COMPLETED") | {id, state, reason}]' "$T/jobs.json")
[ "$bad" = "[]" ] || fail "jobs not COMPLETED: $bad"
log "all $NJOBS jobs COMPLETED"

# Each job ran exactly once: its id is in the shared file once.
[ "$(wc -l <"$SHARED")" -eq "$NJOBS" ] || fail "the shared file has $(wc -l <"$SHARED") lines, not $NJOBS"
[ "$(sort -u "$SHARED" | wc -l)" -eq "$NJOBS" ] ||
    fail "jobs ran twice: $(sort "$SHARED" | uniq -d | head -n 5 | tr '\n' ' ')"
diff <(printf '%s\n' "${ids[@]}" | sort) <(sort "$SHARED") >/dev/null ||
    fail "the ids that ran are not the ids acknowledged"
log "every job ran once"

# SIGTERM: a clean stop, exit 0, then the store is read as it was left.
kill -TERM "$SCHED_PID"
rc=0
wait "$SCHED_PID" || rc=$?
[ "$rc" -eq 0 ] || fail "the scheduler exited $rc on SIGTERM"
forget_pid "$SCHED_PID"
[ "$(sqlite3 "$STORE_DB" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check failed"
[ "$(sqlite3 "$STORE_DB" 'SELECT count(*) FROM acct WHERE failed_run = 0')" -eq "$NJOBS" ] ||
    fail "$(sqlite3 "$STORE_DB" 'SELECT count(*) FROM acct WHERE failed_run = 0') accounting records, not $NJOBS"
[ "$(sqlite3 "$STORE_DB" 'SELECT count(*) FROM acct WHERE failed_run != 0')" -eq 0 ] ||
    fail "failed runs in the accounting: $(sqlite3 "$STORE_DB" 'SELECT job_id, node, state FROM acct WHERE failed_run != 0 LIMIT 5')"
[ "$(sqlite3 "$STORE_DB" 'SELECT count(DISTINCT job_id) FROM acct')" -eq "$NJOBS" ] ||
    fail "the accounting does not cover the $NJOBS jobs once each"
[ "$(sqlite3 "$STORE_DB" "SELECT count(*) FROM acct WHERE state != 'COMPLETED'")" -eq 0 ] ||
    fail "accounted runs that did not complete"
log "accounting: $NJOBS records, no failed run; SIGTERM exit 0; integrity ok"
