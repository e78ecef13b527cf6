#!/usr/bin/env bash
# The scheduler folds an active array into one row of `cphub jobs`: with
# 100 jobs read per page (slice_jobs), a held array of 250 elements comes
# in three folded rows the CLI merges into the one line it printed when the
# elements came one by one, the same line as `jobs --all` (the history's
# path, whose elements still come one by one), and an array with gaps and
# a throttle keeps its ranges. --limit 1 is the whole first array, cut
# by pages or not; --expand,
# --json and --jsonl list every element, none folded.
. "$(dirname "$0")/lib.sh"

SCHED_GROUP_EXTRA='  slice_jobs = 100;'
hub_setup "node1=synthetic:package:1 core:4 pu:1"
hub_start
log "node up"

big=$(as tenant-a submit --hold -J big --array 0-249 -- true)
gaps=$(as tenant-a submit --hold -J gaps --array 0-9,20-22%3 -- true)
cols=id,name,state,reason,tenant

table() { as tenant-a jobs --noheader -o "$cols" "$@"; }
# the history's path reads the store, a turn behind the core at most
same_as_history() { [ "$(table)" = "$(table --all)" ]; }
wait_until 30 "jobs and jobs --all print the same lines" same_as_history

table >"$T/rows"
[ "$(wc -l <"$T/rows")" -eq 2 ] || fail "two arrays, two lines: $(cat "$T/rows")"
grep -q "^ *${big}_\[0-249\] *big *PENDING:250 *Held *tenant-a *$" "$T/rows" ||
    fail "the big array's line: $(cat "$T/rows")"
grep -q "^ *${gaps}_\[0-9,20-22%3\] *gaps *PENDING:13 *Held *tenant-a *$" "$T/rows" ||
    fail "the array with gaps: $(cat "$T/rows")"
log "$(head -n 1 "$T/rows")"

squeeze() { tr -s ' ' | sed 's/^ //'; }
[ "$(table --limit 1 | squeeze)" = "$(head -n 1 "$T/rows" | squeeze)" ] ||
    fail "--limit 1: $(table --limit 1)"
[ "$(table --limit 2 | squeeze)" = "$(squeeze <"$T/rows")" ] ||
    fail "--limit 2: $(table --limit 2)"
[ "$(table --expand | wc -l)" -eq 263 ] || fail "--expand: $(table --expand | wc -l) lines"
[ "$(as tenant-a jobs --jsonl | wc -l)" -eq 263 ] || fail "--jsonl is not every element"
as tenant-a jobs --json >"$T/json" || fail "jobs --json failed"
[ "$(jq length "$T/json")" -eq 263 ] || fail "--json: $(jq length "$T/json") jobs"
[ "$(jq '[.[] | select((.array_folded // 0) > 0)] | length' "$T/json")" -eq 0 ] ||
    fail "--json carries folded rows"

# a tenant sees its own arrays only
[ -z "$(as tenant-b jobs --noheader -o id)" ] || fail "tenant-b sees tenant-a's arrays"
log "ok"
