#!/usr/bin/env bash
# The history of 20,000 jobs: two tenants submit four arrays (10,000 (the
# array limit), 6,000, 2,000 and 1,990 elements) and 10 single jobs, run on
# 20 simulated nodes of one agent process (allow_simulated_nodes,
# --simulate-nodes) so that it takes seconds, not the minutes of real
# processes. With keep_ended = 1s every ended job leaves the scheduler's
# memory (its log counts 20,000); `show` still finds a forgotten job and an
# element (ID_INDEX), a tenant its own only; `--after ok:` on a forgotten
# job and on a forgotten array is met; then `jobs --all --jsonl` and
# `--json` list exactly the submitted ids, each once and COMPLETED; the
# table has one row per job with --expand and one per array without.
# t_history.sh does the same with 2,000 real jobs, the filters and what a
# tenant lists.
. "$(dirname "$0")/lib.sh"

SIM_NODES=20
SCHED_GROUP_EXTRA='  keep_ended = "1s";
  allow_simulated_nodes = true;'
names=()
for i in $(seq -f %04g 1 "$SIM_NODES"); do names+=("sim-$i=synthetic:package:1 core:64 pu:1"); done
hub_setup "${names[@]}"
conf_set "$T/agent-sim-0001.conf" log_level '"info"'
start_scheduler
"$AGENT_BIN" -c "$T/agent-sim-0001.conf" --name sim --simulate-nodes "$SIM_NODES" >>"$T/agent-sim.log" 2>&1 &
AGENT_PIDS[sim]=$!
PIDS+=("$!")
wait_until 60 "$SIM_NODES simulated nodes UP" nodes_up "$SIM_NODES"
log "$SIM_NODES simulated nodes up"

# expected: the ids every submit answered, one per line
t0=$SECONDS
arrays=()
submit_array() { # submit_array TENANT COUNT
    local id
    id=$(as "$1" submit --array "0-$(($2 - 1))" -J "big-$1" -- true)
    [[ "$id" =~ ^[0-9]+$ ]] || fail "submit --array 0-$(($2 - 1)) as $1 printed '$id'"
    arrays+=("$id")
    seq "$id" $((id + $2 - 1)) >>"$T/expected"
}
submit_array tenant-a 10000
submit_array tenant-b 6000
submit_array tenant-a 2000
submit_array tenant-b 1990
singles=()
for i in $(seq 1 5); do
    for who in tenant-a tenant-b; do
        id=$(as "$who" submit -J "single-$who" -- true)
        [[ "$id" =~ ^[0-9]+$ ]] || fail "submit as $who printed '$id'"
        singles+=("$id")
        echo "$id" >>"$T/expected"
    done
done
total=$(wc -l <"$T/expected")
[ "$total" -eq 20000 ] || fail "submitted $total jobs, not 20000"
[ "$(sort -u "$T/expected" | wc -l)" -eq 20000 ] || fail "two submits were given one id"
log "20000 jobs submitted (4 arrays, 10 single jobs, 2 tenants) in $((SECONDS - t0))s"

t1=$SECONDS
no_active() { [ "$(as ops jobs --json | jq length)" -eq 0 ]; }
wait_until 120 "every job ended" no_active
forgot_all() {
    [ "$(grep -o '[0-9]* ended jobs left memory' "$T/scheduler.log" | awk '{ n += $1 } END { print n + 0 }')" \
        -ge 20000 ]
}
wait_until 60 "every ended job left memory" forgot_all
log "all ended and left the core in $((SECONDS - t1))s"

# a forgotten job, an element of a forgotten array, each its tenant's only
a_single=${singles[0]} b_single=${singles[1]}
[ "$(job_field tenant-a "$a_single" state)" = COMPLETED ] || fail "show $a_single: $(as tenant-a show "$a_single" 2>&1)"
elem="${arrays[0]}_4321"
[ "$(job_field tenant-a "$elem" state)" = COMPLETED ] || fail "show $elem: $(as tenant-a show "$elem" 2>&1)"
[ "$(job_field tenant-a "$elem" array_index)" = 4321 ] || fail "show $elem is not element 4321"
[ "$(job_field ops "${arrays[3]}_1989" state)" = COMPLETED ] || fail "operator's show of ${arrays[3]}_1989"
if as tenant-b show "$elem" >"$T/other.out" 2>&1; then fail "tenant-b sees tenant-a's $elem"; fi
grep -q "no such job" "$T/other.out" || fail "tenant-b was told: $(cat "$T/other.out")"
log "show finds forgotten jobs and elements, a tenant's own only"

after=$(as tenant-a submit -J after-single --after "ok:$a_single" -- true)
after_arr=$(as tenant-b submit -J after-array --after "ok:${arrays[1]}" -- true)
as tenant-a wait -q "$after" || fail "--after ok:$a_single: $(job_field tenant-a "$after" state)"
as tenant-b wait -q "$after_arr" || fail "--after ok:${arrays[1]}: $(job_field tenant-b "$after_arr" state)"
printf '%s\n' "$after" "$after_arr" >>"$T/expected"
total=$((total + 2))
log "--after ok: on a forgotten job and a forgotten array is met"

# every id exactly once: the sorted list equals the sorted submitted ids
t2=$SECONDS
sort -n "$T/expected" | jq -s . >"$T/expected.json"
as ops jobs --all --jsonl >"$T/all.jsonl" || fail "jobs --all --jsonl failed"
[ "$(wc -l <"$T/all.jsonl")" -eq "$total" ] || fail "--jsonl gave $(wc -l <"$T/all.jsonl") lines, not $total"
jq -se --slurpfile want "$T/expected.json" '(map(.id) | sort) == $want[0]' "$T/all.jsonl" >/dev/null ||
    fail "--jsonl does not list the submitted ids exactly once"
jq -se 'all(.state == "COMPLETED")' "$T/all.jsonl" >/dev/null ||
    fail "not every job COMPLETED: $(jq -r .state "$T/all.jsonl" | sort | uniq -c)"
as ops jobs --all --json >"$T/all.json" || fail "jobs --all --json failed"
jq -e --slurpfile want "$T/expected.json" '(map(.id) | sort) == $want[0]' "$T/all.json" >/dev/null ||
    fail "--json does not list the submitted ids exactly once"
log "--jsonl and --json list the $total ids exactly once ($((SECONDS - t2))s)"

[ "$(as ops jobs --all --expand --noheader | wc -l)" -eq "$total" ] || fail "--expand has not one row per job"
as ops jobs --all --noheader -o id >"$T/table.out" || fail "jobs --all failed"
rows=$(wc -l <"$T/table.out")
[ "$rows" -eq $((4 + 10 + 2)) ] || fail "without --expand $rows rows, not one per array and single job"
for a in "${arrays[@]}"; do
    grep -q "^ *${a}_\[0-" "$T/table.out" || fail "no row for array $a: $(head "$T/table.out")"
done
log "the table: $total rows with --expand, $rows without"
log "${SECONDS}s in all, hub set-up included"
