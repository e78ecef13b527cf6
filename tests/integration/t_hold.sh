#!/usr/bin/env bash
# Hold, release, requeue and resubmit through the real CLI: a held job stays
# PENDING (reason Held, by hand or submit --hold) while the node is idle and starts once released; an
# operator's hold is not the tenant's to release; holds survive a scheduler
# restart; a requeued running job is killed and runs again, each run its own
# accounting record; an ended job requeued runs again; resubmit runs the
# same command as a new job; another tenant's job reads as no such job.
# Run numbers: the exit of an ended job's old run, sent again by its node
# after the job was requeued and runs again there, is ignored (the new run
# goes on, two records, each charged once); an exit without a run number
# from the node the job's current run is on ends that run. Arrays: hold, release and
# requeue take an array's id and element ranges; resubmit of an element
# submits one plain job, of the array the whole array. With keep_ended = 1s
# a job that left the scheduler's memory is requeued and resubmitted, and
# hold and release of it answer as for any ended job.
. "$(dirname "$0")/lib.sh"

IMPOSTOR=$B/tests/integration/impostor
SCHED_GROUP_EXTRA='  keep_ended = "1s";'
hub_setup "node1=synthetic:package:1 core:4 pu:1"
hub_start
log "node up"

lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
lines_are() { [ "$(lines "$1")" -eq "$2" ]; } # lines_are FILE N
reason_is() { [ "$(job_field "$1" "$2" reason)" = "$3" ]; }

# a blocker fills the node while jobs are held behind it
blk=$(as tenant-a submit -n 4 -- sh -c "while [ ! -e '$T/blk-end' ]; do sleep 0.05; done")
wait_until 10 "blocker RUNNING" job_state_is tenant-a "$blk" RUNNING
h=$(as tenant-a submit -- sh -c "echo h >>'$T/h-runs'")
as tenant-a hold "$h" || fail "tenant-a could not hold its job $h"
g=$(as tenant-a submit --hold -- sh -c "echo g >>'$T/g-runs'")
q=$(as tenant-a submit -- sh -c "echo q >>'$T/q-runs'")
as ops hold "$q" || fail "the operator could not hold job $q"
reason_is tenant-a "$h" Held || fail "H waits for '$(job_field tenant-a "$h" reason)'"
reason_is tenant-a "$g" Held || fail "G (submit --hold) waits for '$(job_field tenant-a "$g" reason)'"
if as tenant-a release "$q" 2>"$T/err"; then fail "tenant-a released an operator's hold"; fi
grep -q "only an operator may release it" "$T/err" || fail "refusal: $(cat "$T/err")"
log "held: H by its tenant, Q by the operator; $(cat "$T/err")"

# another tenant's job is no such job, for every verb
for verb in hold release requeue resubmit; do
    if as tenant-b "$verb" "$h" 2>"$T/err"; then fail "tenant-b could $verb tenant-a's job"; fi
    grep -q "no such job" "$T/err" || fail "tenant-b $verb: $(cat "$T/err")"
done
log "tenant-b: no such job for hold, release, requeue, resubmit"

# holds are durable: a restarted scheduler keeps them
kill -TERM "$SCHED_PID"
wait "$SCHED_PID" || true
forget_pid "$SCHED_PID"
start_scheduler
wait_until 20 "node UP again" nodes_up 1
reason_is tenant-a "$h" Held || fail "after restart H waits for '$(job_field tenant-a "$h" reason)'"
reason_is tenant-a "$g" Held || fail "after restart G waits for '$(job_field tenant-a "$g" reason)'"
reason_is tenant-a "$q" Held || fail "after restart Q waits for '$(job_field tenant-a "$q" reason)'"
if as tenant-a release "$q" 2>"$T/err"; then fail "the operator's hold was lost in the restart"; fi
log "holds kept across the restart"

# the node goes idle: held jobs still do not start
touch "$T/blk-end"
wait_until 20 "blocker COMPLETED" job_state_is tenant-a "$blk" COMPLETED
for _ in 1 2 3 4 5; do
    job_state_is tenant-a "$h" PENDING || fail "held H is $(job_field tenant-a "$h" state)"
    job_state_is tenant-a "$q" PENDING || fail "held Q is $(job_field tenant-a "$q" state)"
    job_state_is tenant-a "$g" PENDING || fail "held G is $(job_field tenant-a "$g" state)"
    sleep 0.2
done
log "held jobs stay PENDING on an idle node"
as tenant-a release "$h" "$g" || fail "tenant-a could not release H and G"
as ops release "$q" || fail "the operator could not release Q"
as tenant-a wait -q "$h" "$g" "$q" || fail "released H, G and Q did not complete"
lines_are "$T/h-runs" 1 && lines_are "$T/g-runs" 1 && lines_are "$T/q-runs" 1 ||
    fail "H, G or Q did not run once"
log "released: H, G and Q ran"

# requeue a running job: killed, then it runs again; two records
r=$(as tenant-a submit -- sh -c "echo r >>'$T/r-runs'; while [ ! -e '$T/r-end' ]; do sleep 0.05; done")
wait_until 10 "R runs" lines_are "$T/r-runs" 1
sleep 1 # a run of some length, so that its charge is not zero
as tenant-a requeue "$r" || fail "tenant-a could not requeue R"
wait_until 20 "R runs a second time" lines_are "$T/r-runs" 2
wait_until 10 "R RUNNING" job_state_is tenant-a "$r" RUNNING
touch "$T/r-end"
as tenant-a wait -q "$r" || fail "R did not complete its second run"
log "requeued R ran twice"

# requeue an ended job
e=$(as tenant-a submit -- sh -c "echo e >>'$T/e-runs'")
as tenant-a wait -q "$e" || fail "E did not complete"
as tenant-a requeue "$e" || fail "tenant-a could not requeue ended E"
wait_until 20 "E runs again" lines_are "$T/e-runs" 2
wait_until 20 "E COMPLETED again" job_state_is tenant-a "$e" COMPLETED
log "requeued ended E ran again"

# resubmit: a new id, the same command, it runs
n=$(as tenant-a resubmit "$e") || fail "resubmit of E failed"
[ -n "$n" ] && [ "$n" != "$e" ] || fail "resubmit printed '$n'"
as tenant-a wait -q "$n" || fail "resubmitted job $n did not complete"
lines_are "$T/e-runs" 3 || fail "the resubmitted job did not run E's command"
log "resubmit: job $n ran E's command"

# the accounting: each run its own record, each charged
rows=0
acct_rows "job_id = $r" >"$T/r-acct" || rows=$?
if [ "$rows" -eq 2 ]; then
    log "no sqlite3: accounting rows not checked"
else
    [ "$(wc -l <"$T/r-acct")" -eq 2 ] || fail "R's accounting: $(cat "$T/r-acct")"
    grep -q '^1|node1|CANCELLED|0$' "$T/r-acct" || fail "R's first run: $(cat "$T/r-acct")"
    grep -q '^2|node1|COMPLETED|0$' "$T/r-acct" || fail "R's second run: $(cat "$T/r-acct")"
    charged=$(sqlite3 "$STORE_DB" "SELECT count(*) FROM acct WHERE job_id = $r AND core_seconds > 0")
    [ "$charged" -eq 2 ] || fail "R was charged for $charged runs, not 2"
    acct_rows "job_id = $e" >"$T/e-acct"
    [ "$(wc -l <"$T/e-acct")" -eq 2 ] || fail "E's accounting: $(cat "$T/e-acct")"
    log "accounting: two records for R and for E, R charged twice"
fi

# run numbers: an ended job requeued runs again on the same node; the exit
# of its first run, sent again (as by an agent whose ack was lost), is not
# the new run's end
x=$(as tenant-a submit -- sh -c "echo x >>'$T/x-runs'
[ \$(wc -l <'$T/x-runs') -lt 2 ] || while [ ! -e '$T/x-end' ]; do sleep 0.05; done")
as tenant-a wait -q "$x" || fail "X did not complete its first run"
as tenant-a requeue "$x" || fail "tenant-a could not requeue ended X"
wait_until 20 "X runs a second time" lines_are "$T/x-runs" 2
wait_until 10 "X RUNNING" job_state_is tenant-a "$x" RUNNING
"$IMPOSTOR" replay --endpoint "tcp://127.0.0.1:$AGENT_PORT" \
    --server-key "$T/keys/scheduler.pub" --key "$T/keys/node1.key" \
    --job "$x" --run 1 >"$T/replay.out" 2>&1 || fail "replay: $(cat "$T/replay.out")"
grep -q "reported the end of run 1 of job $x, which is not its current run (2" \
    "$T/scheduler.log" || fail "the old run's exit was not logged as ignored"
job_state_is tenant-a "$x" RUNNING || fail "the old run's exit ended X: $(job_field tenant-a "$x" state)"
sleep 1 # a second run of some length, so that its charge is not zero
job_state_is tenant-a "$x" RUNNING || fail "X's second run ended early"
touch "$T/x-end"
as tenant-a wait -q "$x" || fail "X did not complete its second run"
if acct_rows "job_id = $x" >"$T/x-acct"; then
    [ "$(wc -l <"$T/x-acct")" -eq 2 ] || fail "X's accounting: $(cat "$T/x-acct")"
    grep -q '^1|node1|COMPLETED|0$' "$T/x-acct" || fail "X's first run: $(cat "$T/x-acct")"
    grep -q '^2|node1|COMPLETED|0$' "$T/x-acct" || fail "X's second run: $(cat "$T/x-acct")"
    secs=$(sqlite3 "$STORE_DB" "SELECT core_seconds FROM acct WHERE job_id = $x AND run = 2")
    awk -v s="$secs" 'BEGIN { exit !(s >= 1) }' || fail "X's second run charged $secs core-seconds"
fi
log "the old run's exit, sent again, left X's second run alone; two records"

# an exit without a run number from the node a job's second run is on (an
# agent upgraded while the job ran) ends that run: it is the current one
y=$(as tenant-a submit -- sh -c "while [ ! -e '$T/y-end' ]; do sleep 0.05; done")
wait_until 10 "Y RUNNING" job_state_is tenant-a "$y" RUNNING
as tenant-a requeue "$y" || fail "tenant-a could not requeue Y"
y_second_run() {
    [ "$(grep -c "job $y started on node1" "$T/scheduler.log")" -ge 2 ] &&
        job_state_is tenant-a "$y" RUNNING
}
wait_until 20 "Y runs a second time" y_second_run
"$IMPOSTOR" replay --endpoint "tcp://127.0.0.1:$AGENT_PORT" \
    --server-key "$T/keys/scheduler.pub" --key "$T/keys/node1.key" \
    --job "$y" --run 0 >"$T/replay0.out" 2>&1 || fail "replay: $(cat "$T/replay0.out")"
wait_until 10 "Y COMPLETED by the exit without a run" job_state_is tenant-a "$y" COMPLETED
touch "$T/y-end"
log "an exit without a run number from Y's node ended Y's current run"

# arrays: hold, release and requeue by the array's id and by element ranges
reason_of() { job_field tenant-a "${1}_$2" reason; } # reason_of ARRAY INDEX
held_are() { # held_are ARRAY "INDICES HELD" "INDICES NOT HELD"
    local i
    for i in $2; do [ "$(reason_of "$1" "$i")" = Held ] || return 1; done
    for i in $3; do [ "$(reason_of "$1" "$i")" != Held ] || return 1; done
}
blk=$(as tenant-a submit -n 4 -- sh -c "while [ ! -e '$T/blk2-end' ]; do sleep 0.05; done")
wait_until 10 "blocker RUNNING" job_state_is tenant-a "$blk" RUNNING
a=$(as tenant-a submit --array 1-6 -- sh -c "echo \"i\$CPHUB_ARRAY_INDEX\" >>'$T/a-runs'")
as tenant-a hold "${a}_[1-2,5]" || fail "hold ${a}_[1-2,5] failed"
held_are "$a" "1 2 5" "3 4 6" || fail "after hold ${a}_[1-2,5]: $(for i in 1 2 3 4 5 6; do printf '%s=%s ' "$i" "$(reason_of "$a" "$i")"; done)"
as tenant-a hold "$a" || fail "hold $a failed"
held_are "$a" "1 2 3 4 5 6" "" || fail "hold $a did not hold every element"
as tenant-a release "${a}_[1-3]" || fail "release ${a}_[1-3] failed"
held_are "$a" "4 5 6" "1 2 3" || fail "after release ${a}_[1-3]"
as tenant-a release "$a" || fail "release $a failed"
held_are "$a" "" "1 2 3 4 5 6" || fail "release $a left elements held"
if as tenant-a requeue "$a" 2>"$T/err"; then fail "requeue of an all-pending array succeeded"; fi
grep -q "every element named is pending already" "$T/err" || fail "requeue $a: $(cat "$T/err")"
log "array $a: hold and release by ranges and by its id"
touch "$T/blk2-end"
as tenant-a wait -q "$a" || fail "array $a did not complete"
lines_are "$T/a-runs" 6 || fail "array $a ran: $(cat "$T/a-runs")"
as tenant-a requeue "${a}_[2,4]" || fail "requeue ${a}_[2,4] failed"
wait_until 20 "elements 2 and 4 ran again" lines_are "$T/a-runs" 8
[ "$(grep -c '^i2$' "$T/a-runs")" -eq 2 ] && [ "$(grep -c '^i4$' "$T/a-runs")" -eq 2 ] &&
    [ "$(grep -c '^i3$' "$T/a-runs")" -eq 1 ] || fail "requeue ${a}_[2,4] ran: $(cat "$T/a-runs")"
as tenant-a wait -q "$a" || fail "array $a did not complete again"
n=$(as tenant-a resubmit "${a}_3") || fail "resubmit ${a}_3 failed"
as tenant-a wait -q "$n" || fail "job $n (${a}_3 again) did not complete"
lines_are "$T/a-runs" 9 && [ "$(tail -n 1 "$T/a-runs")" = i ] ||
    fail "resubmit ${a}_3 did not run one plain job: $(cat "$T/a-runs")"
[ "$(job_field tenant-a "$n" array_id)" = 0 ] || [ "$(job_field tenant-a "$n" array_id)" = null ] ||
    fail "job $n is an array element: $(job_field tenant-a "$n" array_id)"
m=$(as tenant-a resubmit "$a") || fail "resubmit $a failed"
as tenant-a wait -q "$m" || fail "array $m ($a again) did not complete"
lines_are "$T/a-runs" 15 || fail "resubmit $a ran: $(cat "$T/a-runs")"
log "array $a: requeue of elements 2 and 4; resubmit ${a}_3 is job $n, resubmit $a array $m"

# a job that left the scheduler's memory (keep_ended = 1s)
forgotten() { ! as tenant-a priority "$1" >/dev/null 2>&1; } # no longer in memory
f=$(as tenant-a submit -- sh -c "echo f >>'$T/f-runs'")
as tenant-a wait -q "$f" || fail "F did not complete"
wait_until 20 "F left the scheduler's memory" forgotten "$f"
if as tenant-a hold "$f" 2>"$T/err"; then fail "a forgotten ended job was held"; fi
grep -q "job $f is COMPLETED; only a pending job can be held" "$T/err" || fail "hold: $(cat "$T/err")"
wait_until 20 "F left memory again" forgotten "$f"
if as tenant-a release "$f" 2>"$T/err"; then fail "a forgotten ended job was released"; fi
grep -q "job $f is COMPLETED; only a pending job can be released" "$T/err" ||
    fail "release: $(cat "$T/err")"
wait_until 20 "F left memory again" forgotten "$f"
as tenant-a requeue "$f" || fail "requeue of forgotten F failed"
wait_until 20 "F runs again" lines_are "$T/f-runs" 2
wait_until 20 "F COMPLETED again" job_state_is tenant-a "$f" COMPLETED
wait_until 20 "F left memory again" forgotten "$f"
n=$(as tenant-a resubmit "$f") || fail "resubmit of forgotten F failed"
as tenant-a wait -q "$n" || fail "job $n (F again) did not complete"
lines_are "$T/f-runs" 3 || fail "resubmit of forgotten F did not run its command"
if acct_rows "job_id = $f" >"$T/f-acct"; then
    [ "$(wc -l <"$T/f-acct")" -eq 2 ] || fail "F's accounting: $(cat "$T/f-acct")"
fi
log "forgotten F: hold and release refused as for an ended job, requeued, resubmitted as $n"
log "ok"
