#!/usr/bin/env bash
# Jobs the scheduler forgot (keep_ended = 1s) answer every verb as they did
# before: `wait ARRAY` on a forgotten array waits on all its elements and
# names the one that failed (not its first element only); `--after ok:ARRAY`
# on it is refused by how the failed element ended, read from the store,
# while `--after any:` is met; `resubmit` of a job whose --after names a
# forgotten job is taken as a submit is; `show ARRAY_INDEX` finds an element
# whose array's first element has left the store; a request naming an id
# 10,000 times recalls it once; and the jobs recalled for a request leave
# the scheduler's memory again at once.
. "$(dirname "$0")/lib.sh"

SCHED_GROUP_EXTRA='  keep_ended = "1s";'
hub_setup "node1=synthetic:package:1 core:16 pu:1"
hub_start
log "node up"

arr=$(as tenant-a submit --array 0-9 -J rec -- \
    sh -c '[ "$CPHUB_ARRAY_INDEX" != 7 ] || exit 3')
one=$(as tenant-a submit -J one -- true)
dep=$(as tenant-a submit -J dep --after "ok:$one" -- true)
active_count() { as ops jobs --json | jq length; }
no_active() { [ "$(active_count)" -eq 0 ]; }
wait_until 120 "every job ended" no_active
forgotten() { # the scheduler's log counts at least $1 jobs forgotten
    [ "$(grep -o '[0-9]* ended jobs left memory' "$T/scheduler.log" | awk '{ n += $1 } END { print n + 0 }')" -ge "$1" ]
}
wait_until 30 "every ended job left memory" forgotten 12
log "12 jobs ended and left the scheduler's memory"

rc=0
as tenant-a wait -q "$arr" 2>"$T/wait.err" || rc=$?
[ "$rc" -eq 3 ] || fail "wait on forgotten array $arr exited $rc, not 3: $(cat "$T/wait.err")"
grep -q "job ${arr}_7 ended FAILED" "$T/wait.err" || fail "wait did not name ${arr}_7: $(cat "$T/wait.err")"
if as tenant-b wait -q "$arr" >"$T/other.out" 2>&1; then fail "tenant-b waited on tenant-a's array"; fi
grep -q "no such job" "$T/other.out" || fail "tenant-b was told: $(cat "$T/other.out")"
log "wait on a forgotten array answers for all its elements"
# the 10 recalled for the wait leave again, without waiting for keep_ended
wait_until 30 "the recalled jobs left memory again" forgotten 22

if as tenant-a submit --after "ok:$arr" -- true >"$T/after.out" 2>&1; then
    fail "--after ok:$arr taken though ${arr}_7 failed"
fi
grep -q "job $((arr + 7)) ended FAILED; ok:$arr can never be met" "$T/after.out" ||
    fail "--after ok:$arr was refused with: $(cat "$T/after.out")"
any=$(as tenant-a submit --after "any:$arr" -- true) || fail "--after any:$arr refused"
as tenant-a wait -q "$any" || fail "--after any:$arr did not run: $(job_field tenant-a "$any" state)"
if as tenant-b submit --after "any:$arr" -- true >"$T/after-b.out" 2>&1; then
    fail "tenant-b may wait on tenant-a's forgotten array"
fi
log "--after on a forgotten array is settled by how its elements ended"

again=$(as tenant-a resubmit "$dep") || fail "resubmit $dep (--after ok:$one, forgotten) refused"
as tenant-a wait -q "$again" || fail "resubmitted $dep as $again: $(job_field tenant-a "$again" state)"
log "resubmit of a job whose --after names a forgotten job"

# 10,000 times the same forgotten id: one job, recalled once
ids=$(for _ in $(seq 10000); do printf '%s ' "$one"; done)
# shellcheck disable=SC2086
as tenant-a requeue $ids >"$T/requeue.out" 2>&1 || fail "requeue of one id named 10,000 times: $(cat "$T/requeue.out")"
as tenant-a wait -q "$one" || fail "requeued $one: $(job_field tenant-a "$one" state)"
log "an id named 10,000 times is one job"

if command -v sqlite3 >/dev/null 2>&1 && [ -f "$STORE_DB" ]; then
    sqlite3 "$STORE_DB" "DELETE FROM jobs WHERE id = $arr;" || fail "could not delete job $arr"
    [ "$(job_field ops "${arr}_7" state)" = FAILED ] ||
        fail "show ${arr}_7 without its first element: $(as ops show "${arr}_7" 2>&1)"
    [ "$(job_field ops "${arr}_7" id)" = "$((arr + 7))" ] || fail "show ${arr}_7 found another job"
    log "show ARRAY_INDEX finds an element whose first element left the store"
fi
