#!/usr/bin/env bash
# Hold, release, requeue and resubmit through the real CLI: a held job stays
# PENDING (reason Held, by hand or submit --hold) while the node is idle and starts once released; an
# operator's hold is not the tenant's to release; holds survive a scheduler
# restart; a requeued running job is killed and runs again, each run its own
# accounting record; an ended job requeued runs again; resubmit runs the
# same command as a new job; another tenant's job reads as no such job.
. "$(dirname "$0")/lib.sh"

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
log "ok"
