#!/usr/bin/env bash
# The store survives kill -9 at any moment: four clients submit in a loop
# while the scheduler is killed with SIGKILL ten times at random moments and
# started again each time. Every id a client printed (an acknowledged
# submit) must be in the hub afterwards, no id may have been given twice,
# and the SQLite file must pass PRAGMA integrity_check, also after a last
# kill -9 in the middle of the submits.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || skip "the sqlite3 command is not installed"
KILLS=10
LOOPS=4
hub_setup # the scheduler alone: the jobs stay pending
# the submitters give up on a scheduler that died under them after 1 s
sed 's/^timeout = .*/timeout = "1s";/' "$T/tenant-a.conf" >"$T/loop.conf"
start_scheduler
wait_until 20 "the scheduler answers" sched_answers

# submit_loop K: submit until $T/stop exists; every printed id is acknowledged.
submit_loop() {
    local id
    while [ ! -e "$T/stop" ]; do
        if id=$(CPHUB_CONFIG="$T/loop.conf" "$CPHUB_BIN" submit -J "c$1" -- true 2>/dev/null); then
            echo "$id" >>"$T/acked.$1"
        fi
    done
}
loop_pids=()
for k in $(seq 1 "$LOOPS"); do
    : >"$T/acked.$k"
    submit_loop "$k" &
    loop_pids+=("$!")
done
stop_loops() {
    touch "$T/stop"
    local pid
    for pid in "${loop_pids[@]}"; do wait "$pid" || true; done
}

acked_count() { cat "$T"/acked.* | wc -l; }
acked_more_than() { [ "$(acked_count)" -gt "$1" ]; }

for n in $(seq 1 "$KILLS"); do
    before=$(acked_count)
    # let some submits through, then kill at a random moment within ~0.3 s
    wait_until 20 "submits acknowledged before kill $n" acked_more_than $((before + 20))
    sleep "0.$((RANDOM % 300 + 1))"
    kill9_scheduler
    start_scheduler
    wait_until 20 "the scheduler answers after kill $n" sched_answers
done
log "killed and restarted the scheduler $KILLS times; $(acked_count) submits acknowledged"
before=$(acked_count)
wait_until 20 "submits acknowledged after the last restart" acked_more_than $((before + 20))
kill9_scheduler # a last crash in the middle of the submits
stop_loops
[ "$(sqlite3 "$STORE_DB" 'PRAGMA integrity_check')" = ok ] ||
    fail "integrity_check after kill -9: $(sqlite3 "$STORE_DB" 'PRAGMA integrity_check' | head -n 3)"
log "integrity_check ok after kill -9"

start_scheduler
wait_until 20 "the scheduler answers" sched_answers
cat "$T"/acked.* | LC_ALL=C sort >"$T/acked"
[ "$(wc -l <"$T/acked")" -gt 100 ] || fail "only $(wc -l <"$T/acked") submits acknowledged"
[ "$(uniq -d "$T/acked" | wc -l)" -eq 0 ] || fail "ids given twice: $(uniq -d "$T/acked" | head -n 5 | tr '\n' ' ')"
as ops jobs --all --json | jq -r '.[].id' | LC_ALL=C sort >"$T/present"
missing=$(comm -23 "$T/acked" "$T/present" | head -n 10 | tr '\n' ' ')
[ -z "$missing" ] || fail "acknowledged jobs lost: $missing"
# and through `cphub show`, one by one, for a sample across the run
for id in $(awk 'NR % 25 == 1' "$T/acked"); do
    [ "$(job_field tenant-a "$id" id)" = "$id" ] || fail "cphub show $id does not find it"
done
log "all $(wc -l <"$T/acked") acknowledged jobs are present ($(wc -l <"$T/present") in the store)"
