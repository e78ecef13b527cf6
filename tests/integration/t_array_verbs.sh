#!/usr/bin/env bash
# An array's id names the whole array in every verb: `wait ID` waits for all
# its elements and exits with the first failed element's code, naming it
# ("job 42_3 ended FAILED"), as `wait ID_[RANGES]` does for some of them;
# `show`, `logs` and `priority ID_INDEX` name one element; `jobs` shows the
# array as one line, `jobs --expand` its elements; `cancel ID_[1-3]`
# those elements and no other; `cancel ID` every unfinished element, pending
# ones included, also after a scheduler restart; another tenant can neither
# show, read, cancel nor wait on it (it reads as no such job).
. "$(dirname "$0")/lib.sh"

hub_setup "node1=synthetic:package:1 core:4 pu:1"
hub_start
log "1 node up"

# wait on an array with one failed element (index 3 exits 7)
first=$(as tenant-a submit --array 0-4 -J fails -- \
    sh -c 'echo "i=$CPHUB_ARRAY_INDEX"; [ "$CPHUB_ARRAY_INDEX" != 3 ] || exit 7')
[[ "$first" =~ ^[0-9]+$ ]] || fail "submit printed '$first', not the array's id"
rc=0
as tenant-a wait -q "$first" 2>"$T/err" || rc=$?
[ "$rc" -eq 7 ] || fail "wait on the array exited $rc, not 7 (the failed element's code)"
grep -q "job ${first}_3 ended FAILED" "$T/err" || fail "wait did not name the element: $(cat "$T/err")"
n=$(jobs_json tenant-a | jq "[.[] | select(.array_id == $first and (.state | IN(\"COMPLETED\", \"FAILED\")))] | length")
[ "$n" -eq 5 ] || fail "wait answered with $n of 5 elements ended"
log "wait $first: exit 7, $(cat "$T/err")"
as tenant-a wait -q "${first}_[0-2,4]" || fail "wait ${first}_[0-2,4] exited $?"
rc=0
as tenant-a wait -q "${first}_[2-3]" 2>"$T/err" || rc=$?
[ "$rc" -eq 7 ] || fail "wait ${first}_[2-3] exited $rc, not 7"

# show ID_INDEX names the element; another tenant's or a missing one is no job
as tenant-a show --json "${first}_3" >"$T/show.json" || fail "show ${first}_3 exited $?"
jq -e ".id == $((first + 3)) and .array_index == 3 and .state == \"FAILED\"" "$T/show.json" \
    >/dev/null || fail "show ${first}_3: $(cat "$T/show.json")"
as tenant-a show "${first}_3" | grep -q FAILED || fail "show ${first}_3 does not say FAILED"
for who_what in "tenant-b ${first}_3" "tenant-a ${first}_9" "tenant-a $((first + 1))_0"; do
    set -- $who_what
    if as "$1" show "$2" 2>"$T/err"; then
        fail "$1 was shown $2"
    fi
    grep -q "no such job" "$T/err" || fail "$1 show $2: $(cat "$T/err")"
done
if as tenant-a show "${first}_[1-2]" 2>"$T/err"; then
    fail "show took a range of elements"
fi
grep -q "names several elements" "$T/err" || fail "show of a range: $(cat "$T/err")"
log "show ${first}_3: the element; other tenants and missing elements: no such job"

# logs and priority take an element too
[ "$(as tenant-a logs "${first}_3")" = "i=3" ] || fail "logs ${first}_3: '$(as tenant-a logs "${first}_3")'"
[ "$(as tenant-a logs "${first}_0")" = "i=0" ] || fail "logs ${first}_0: '$(as tenant-a logs "${first}_0")'"
if as tenant-b logs "${first}_3" 2>"$T/err"; then
    fail "tenant-b read the logs of ${first}_3"
fi
grep -q "no such job" "$T/err" || fail "tenant-b logs ${first}_3: $(cat "$T/err")"
as tenant-a priority "${first}_2" >"$T/prio" || fail "priority ${first}_2 exited $?"
log "logs ${first}_3: i=3; priority ${first}_2: $(head -1 "$T/prio")"

# all completed: wait on the array's id exits 0
ok=$(as tenant-a submit --array 1-3 -- true)
as tenant-a wait -q "$ok" || fail "wait on a completed array exited $?"

# cancel ID: no element of a throttled array is left running or pending
first=$(as tenant-a submit --array 0-9%2 -J long -- sleep 300)
running_now() {
    [ "$(jobs_json tenant-a | jq "[.[] | select(.array_id == $first and .state == \"RUNNING\")] | length")" -ge 1 ]
}
wait_until 10 "an element RUNNING" running_now
# jobs: the array is one line with its indices, throttle and counts by state
as tenant-a jobs >"$T/jobs"
[ "$(grep -c "^ *${first}_" "$T/jobs")" -eq 1 ] || fail "jobs shows the array as: $(cat "$T/jobs")"
grep "^ *${first}_" "$T/jobs" | grep -q "${first}_\[0-9%2\] .*PENDING:[0-9]* RUNNING:[12]" ||
    fail "jobs: the array's line is $(grep "^ *${first}_" "$T/jobs")"
as tenant-a jobs --expand >"$T/jobs"
[ "$(grep -c "^ *${first}_[0-9] " "$T/jobs")" -eq 10 ] || fail "jobs --expand: $(cat "$T/jobs")"
log "jobs: $(grep -c . "$T/jobs") lines expanded, one line: $(as tenant-a jobs | grep "^ *${first}_")"
# another tenant cannot touch it
if as tenant-b cancel "$first" 2>"$T/err"; then
    fail "tenant-b cancelled tenant-a's array"
fi
grep -q "no such job" "$T/err" || fail "tenant-b's cancel: $(cat "$T/err")"
if as tenant-b wait --timeout 2s -q "$first" 2>"$T/err"; then
    fail "tenant-b waited on tenant-a's array"
fi
grep -q "no such job" "$T/err" || fail "tenant-b's wait: $(cat "$T/err")"
unfinished() {
    jobs_json tenant-a | jq "[.[] | select(.array_id == $first and (.state | IN(\"PENDING\", \"RUNNING\")))] | length"
}
[ "$(unfinished)" -eq 10 ] || fail "tenant-b's cancel touched the array: $(unfinished) unfinished"
if as tenant-b cancel "${first}_[1-3]" 2>"$T/err"; then
    fail "tenant-b cancelled elements of tenant-a's array"
fi
grep -q "no such job" "$T/err" || fail "tenant-b's cancel of elements: $(cat "$T/err")"
# cancel ID_[RANGES]: those elements and no other
as tenant-a cancel "${first}_[1-3]" || fail "cancel ${first}_[1-3] exited $?"
three_cancelled() {
    [ "$(jobs_json tenant-a | jq "[.[] | select(.array_id == $first and .state == \"CANCELLED\") | .array_index] | sort | map(tostring) | join(\",\")")" = '"1,2,3"' ]
}
wait_until 20 "elements 1-3 CANCELLED" three_cancelled
[ "$(unfinished)" -eq 7 ] || fail "cancel ${first}_[1-3] left $(unfinished) unfinished, not 7"
log "cancel ${first}_[1-3]: those three CANCELLED, 7 left"
kill9_scheduler
start_scheduler
wait_until 20 "the scheduler answers again" sched_answers
as tenant-a show --json "${first}_5" | jq -e ".id == $((first + 5))" >/dev/null ||
    fail "show ${first}_5 after a restart: $(as tenant-a show --json "${first}_5")"
as tenant-a jobs | grep -q "^ *${first}_\[0,4-9%2\] " ||
    fail "jobs after a restart: $(as tenant-a jobs)"
as tenant-a cancel "$first" || fail "cancel of the array after a restart exited $?"
none_unfinished() { [ "$(unfinished)" -eq 0 ]; }
wait_until 20 "no element running or pending" none_unfinished
n=$(jobs_json tenant-a | jq "[.[] | select(.array_id == $first and .state == \"CANCELLED\")] | length")
[ "$n" -eq 10 ] || fail "$n of 10 elements CANCELLED"
if as tenant-a cancel "${first}_[1-3]" 2>"$T/err"; then
    fail "a second cancel of ended elements succeeded"
fi
log "cancel $first after a restart: 10 elements CANCELLED"
