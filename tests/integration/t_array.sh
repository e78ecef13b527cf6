#!/usr/bin/env bash
# Job arrays through the real CLI: `--array 0-9%2` is one submit that prints
# the array's id alone; its ten elements all complete, each sees its own
# CPHUB_ARRAY_INDEX (0..9, each once) and the array's id in
# CPHUB_ARRAY_JOB_ID, and the %2 throttle keeps at most two running at once
# (from the start and end times `cphub jobs --all --json` reports). A bad
# array is refused at submit with what to write instead.
. "$(dirname "$0")/lib.sh"

hub_setup "node1=synthetic:package:1 core:4 pu:1" "node2=synthetic:package:1 core:4 pu:1"
hub_start
log "2 nodes up"

first=$(as tenant-a submit --array 0-9%2 -J arr -- \
    sh -c 'echo "$CPHUB_ARRAY_INDEX $CPHUB_ARRAY_JOB_ID"; sleep 0.3')
[[ "$first" =~ ^[0-9]+$ ]] || fail "submit printed '$first', not the array's id"
ids=($(seq "$first" $((first + 9))))
log "array $first: jobs ${ids[0]}..${ids[9]}"

as tenant-a wait -q "${ids[@]}" || fail "cphub wait on the array exited $?"
jobs_json tenant-a | jq "[.[] | select(.array_id == $first)]" >"$T/array.json"
[ "$(jq length "$T/array.json")" -eq 10 ] || fail "$(jq length "$T/array.json") elements, not 10"
[ "$(jq '[.[] | select(.state == "COMPLETED")] | length' "$T/array.json")" -eq 10 ] ||
    fail "not all 10 COMPLETED: $(jq -c '[.[] | .state]' "$T/array.json")"
[ "$(jq -r '[.[] | .array_index] | sort | map(tostring) | join(",")' "$T/array.json")" = \
    "0,1,2,3,4,5,6,7,8,9" ] || fail "array indices: $(jq -c '[.[] | .array_index]' "$T/array.json")"
log "10 elements COMPLETED with indices 0..9"

# each element saw its own index and the array's id
seen=()
for id in "${ids[@]}"; do
    out=$(as tenant-a logs "$id")
    want=$(jq -r ".[] | select(.id == $id) | .array_index" "$T/array.json")
    [ "$out" = "$want $first" ] || fail "job $id printed '$out', wanted '$want $first'"
    seen+=("${out%% *}")
done
[ "$(printf '%s\n' "${seen[@]}" | sort -n | uniq | tr '\n' ,)" = "0,1,2,3,4,5,6,7,8,9," ] ||
    fail "CPHUB_ARRAY_INDEX values: ${seen[*]}"
log "CPHUB_ARRAY_INDEX 0..9 each once, CPHUB_ARRAY_JOB_ID $first"

most=$(max_overlap "$T/array.json")
[ "$most" -le 2 ] || fail "$most elements ran at once; the throttle is 2"
[ "$most" -ge 1 ] || fail "no element ran"
log "at most $most running at once (throttle 2)"

# --json gives the id and the count
as tenant-a submit --json --array 1-3 -- true >"$T/sub.json"
jq -e '.count == 3 and (.id | type == "number")' "$T/sub.json" >/dev/null ||
    fail "submit --json: $(cat "$T/sub.json")"
as tenant-a wait -q $(seq "$(jq .id "$T/sub.json")" $(($(jq .id "$T/sub.json") + 2))) ||
    fail "array 1-3 did not complete"

# refused at submit, saying what to write
if as tenant-a submit --array 5-3 -- true >"$T/out" 2>"$T/err"; then
    fail "--array 5-3 was accepted"
fi
grep -q "'5-3' runs backwards; write 3-5" "$T/err" || fail "refusal: $(cat "$T/err")"
if as tenant-a submit --array 0-20000 -- true >"$T/out" 2>"$T/err"; then
    fail "an array of 20001 was accepted"
fi
grep -q "at most 10000" "$T/err" || fail "refusal: $(cat "$T/err")"
log "bad arrays refused: $(cat "$T/err")"

# A scheduler restart in the middle of an array: the elements keep their
# array, index and throttle.
first=$(as tenant-a submit --array 0-5%2 -J again -- \
    sh -c 'echo "$CPHUB_ARRAY_INDEX"; sleep 0.5')
running_now() {
    [ "$(jobs_json tenant-a | jq "[.[] | select(.array_id == $first and .state == \"RUNNING\")] | length")" -ge 1 ]
}
wait_until 10 "an element RUNNING" running_now
kill9_scheduler
start_scheduler
wait_until 20 "the scheduler answers again" sched_answers
as tenant-a wait -q $(seq "$first" $((first + 5))) || fail "the array did not complete after a restart"
jobs_json tenant-a | jq "[.[] | select(.array_id == $first)]" >"$T/again.json"
[ "$(jq '[.[] | select(.state == "COMPLETED")] | length' "$T/again.json")" -eq 6 ] ||
    fail "after a restart: $(jq -c '[.[] | [.id, .state, .array_index]]' "$T/again.json")"
for id in $(seq "$first" $((first + 5))); do
    [ "$(as tenant-a logs "$id")" = "$((id - first))" ] ||
        fail "job $id printed '$(as tenant-a logs "$id")' after the restart"
done
most=$(max_overlap "$T/again.json")
[ "$most" -le 2 ] || fail "$most elements ran at once across a restart; the throttle is 2"
log "array across a scheduler restart: 6 COMPLETED, at most $most at once"
