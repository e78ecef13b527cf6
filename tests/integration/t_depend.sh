#!/usr/bin/env bash
# Dependencies through the real CLI: B (--after ok:A) waits with reason
# Dependency and starts only after A completed; C (--after ok:F) ends
# CANCELLED when F fails, with the reason naming F; D (--after any:F) runs
# after F all the same. Unknown ids and another tenant's jobs are refused at
# submit as "no such job".
. "$(dirname "$0")/lib.sh"

hub_setup "node1=synthetic:package:1 core:4 pu:1"
hub_start
log "node up"

a=$(as tenant-a submit -J A -- sh -c "while [ ! -e '$T/a-may-end' ]; do sleep 0.05; done")
b=$(as tenant-a submit -J B --after "ok:$a" -- true)
wait_until 10 "A RUNNING" job_state_is tenant-a "$a" RUNNING
# B fits the node but waits for A
for _ in 1 2 3; do
    [ "$(job_field tenant-a "$b" state)" = PENDING ] || fail "B is $(job_field tenant-a "$b" state) while A runs"
    [ "$(job_field tenant-a "$b" reason)" = Dependency ] || fail "B waits for '$(job_field tenant-a "$b" reason)'"
    sleep 0.2
done
log "B waits: Dependency"
touch "$T/a-may-end"
as tenant-a wait -q "$a" "$b" || fail "A and B did not both complete"
a_end=$(job_field tenant-a "$a" end_time)
b_start=$(job_field tenant-a "$b" start_time)
jq -en "$b_start >= $a_end" >/dev/null || fail "B started at $b_start, before A ended at $a_end"
log "B started after A completed"

f=$(as tenant-a submit -J F -- sh -c 'sleep 0.3; exit 1')
c=$(as tenant-a submit -J C --after "ok:$f" -- true)
d=$(as tenant-a submit -J D --after "afterany:$f" -- true)
rc=0
as tenant-a wait -q "$f" "$c" "$d" || rc=$?
[ "$(job_field tenant-a "$f" state)" = FAILED ] || fail "F is $(job_field tenant-a "$f" state)"
[ "$(job_field tenant-a "$c" state)" = CANCELLED ] || fail "C is $(job_field tenant-a "$c" state)"
[ "$(job_field tenant-a "$c" reason)" = "dependency $f failed" ] ||
    fail "C's reason is '$(job_field tenant-a "$c" reason)'"
[ "$(job_field tenant-a "$c" start_time)" = 0 ] || fail "C ran"
[ "$(job_field tenant-a "$d" state)" = COMPLETED ] || fail "D is $(job_field tenant-a "$d" state)"
jq -en "$(job_field tenant-a "$d" start_time) >= $(job_field tenant-a "$f" end_time)" >/dev/null ||
    fail "D started before F ended"
log "F failed: C CANCELLED ($(job_field tenant-a "$c" reason)), D COMPLETED"

# refusals at submit
if as tenant-a submit --after ok:99999 -- true >"$T/out" 2>"$T/err"; then
    fail "a dependency on no job was accepted"
fi
grep -q -- "--after: no such job 99999" "$T/err" || fail "refusal: $(cat "$T/err")"
if as tenant-b submit --after "ok:$a" -- true >"$T/out" 2>"$T/err"; then
    fail "tenant-b may depend on tenant-a's job"
fi
grep -q -- "--after: no such job $a" "$T/err" || fail "refusal: $(cat "$T/err")"
if as tenant-a submit --after "ok:$f" -- true >"$T/out" 2>"$T/err"; then
    fail "ok: on a failed job was accepted"
fi
grep -q "can never be met" "$T/err" || fail "refusal: $(cat "$T/err")"
if as tenant-a submit --after "okk:$a" -- true >"$T/out" 2>"$T/err"; then
    fail "a bad --after was accepted"
fi
grep -q "is not a kind of dependency" "$T/err" || fail "refusal: $(cat "$T/err")"
log "refusals ok: $(cat "$T/err")"
