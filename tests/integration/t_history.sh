#!/usr/bin/env bash
# History out of the core: with keep_ended = 1s, ended jobs leave the
# scheduler's memory (its log says so) and live on in the store: `show`
# still finds one (its tenant's own; another tenant gets "no such job"),
# `--after ok:ID` on it is still met, and `jobs --all`, `--json` and
# `--jsonl` over a couple thousand jobs (arrays, several pages) list every
# job exactly once; the filters (--state, --array, --name, --tenant,
# --limit, --since, -o, --noheader) select what they say, and a tenant never
# sees another's jobs; `wait` on a forgotten job is answered; a restart
# loads only the active and recent jobs, the history stays in the store;
# `report` counts every stored job (a failed and a cancelled one too), each
# once, before and after they leave memory and after a restart.
. "$(dirname "$0")/lib.sh"

SCHED_GROUP_EXTRA='  keep_ended = "1s";'
hub_setup "node1=synthetic:package:1 core:16 pu:1"
hub_start
log "node up"

A_COUNT=1500
B_COUNT=500
arr_a=$(as tenant-a submit --array "0-$((A_COUNT - 1))" -J hist-a -- true)
arr_b=$(as tenant-b submit --array "0-$((B_COUNT - 1))" -J hist-b -- true)
active_count() { as ops jobs --json | jq length; }
no_active() { [ "$(active_count)" -eq 0 ]; }
wait_until 300 "every array element ended" no_active
log "$((A_COUNT + B_COUNT)) jobs ended"

forgot() { grep -q "ended jobs left memory" "$T/scheduler.log"; }
wait_until 20 "ended jobs left the scheduler's memory" forgot
forgot_all() {
    [ "$(grep -o '[0-9]* ended jobs left memory' "$T/scheduler.log" | awk '{ n += $1 } END { print n + 0 }')" \
        -ge $((A_COUNT + B_COUNT)) ]
}
wait_until 20 "every ended job left memory" forgot_all
log "the core forgot them"

[ "$(job_field tenant-a "$arr_a" state)" = COMPLETED ] || fail "show $arr_a as its tenant: $(job_field tenant-a "$arr_a" state)"
as ops show "$arr_b" >/dev/null || fail "an operator's show of forgotten job $arr_b failed"
if as tenant-b show "$arr_a" >"$T/other.out" 2>&1; then fail "tenant-b sees tenant-a's job $arr_a"; fi
grep -q "no such job" "$T/other.out" || fail "tenant-b was told: $(cat "$T/other.out")"
as tenant-a wait -q "$arr_a" || fail "wait on forgotten job $arr_a did not exit 0"
if as tenant-b wait -q "$arr_a" >/dev/null 2>&1; then fail "tenant-b waited on tenant-a's job"; fi
log "show and wait find forgotten jobs, a tenant's own only"

after=$(as tenant-a submit -J after-forgotten --after "ok:$arr_a" -- true)
as tenant-a wait -q "$after" || fail "--after ok:$arr_a on a forgotten job: $(job_field tenant-a "$after" state)"
if as tenant-b submit --after "ok:$arr_a" -- true >"$T/after-b.out" 2>&1; then
    fail "tenant-b may wait on tenant-a's forgotten job"
fi
log "--after ok: on a forgotten job is met"

total=$((A_COUNT + B_COUNT + 1))
as ops jobs --all --jsonl >"$T/all.jsonl" || fail "jobs --all --jsonl failed"
[ "$(wc -l <"$T/all.jsonl")" -eq "$total" ] || fail "--jsonl gave $(wc -l <"$T/all.jsonl") lines, not $total"
[ "$(jq -s 'map(.id) | unique | length' "$T/all.jsonl")" -eq "$total" ] || fail "--jsonl lists a job twice"
as ops jobs --all --json | jq -e "length == $total and (map(.id) | unique | length) == $total" >/dev/null ||
    fail "jobs --all --json does not list every job once"
[ "$(as ops jobs --all --expand --noheader | wc -l)" -eq "$total" ] || fail "--expand has not one row per job"
# without --expand an array is one row, gathered across the pages it spans
as ops jobs --all --noheader -o id,state >"$T/table.out" || fail "jobs --all failed"
[ "$(wc -l <"$T/table.out")" -eq 3 ] || fail "not one row per array: $(cat "$T/table.out")"
grep -q "^ *${arr_a}_\[0-$((A_COUNT - 1))\] *COMPLETED:$A_COUNT\$" "$T/table.out" ||
    fail "array $arr_a's row: $(cat "$T/table.out")"
log "--all, --json, --jsonl and the table list every job once over pages"

as tenant-a jobs --all --jsonl | jq -se "length == $((A_COUNT + 1)) and all(.tenant == \"tenant-a\")" >/dev/null ||
    fail "tenant-a's --all is not its own jobs exactly"
if as tenant-b jobs --all --tenant tenant-a >"$T/tenant.out" 2>&1; then fail "tenant-b listed tenant-a's jobs"; fi
[ "$(as ops jobs --all --tenant tenant-b --jsonl | wc -l)" -eq "$B_COUNT" ] || fail "--tenant tenant-b"
[ "$(as ops jobs --array "$arr_b" --state COMPLETED --jsonl | wc -l)" -eq "$B_COUNT" ] || fail "--array --state"
[ "$(as ops jobs --state FAILED --jsonl | wc -l)" -eq 0 ] || fail "--state FAILED found jobs"
[ "$(as ops jobs --all --name after-forgotten -o id --noheader)" = "$after" ] || fail "--name -o id --noheader"
[ "$(as ops jobs --all --limit 300 --jsonl | wc -l)" -eq 300 ] || fail "--limit 300 over two pages"
[ "$(as ops jobs --all --since 1h --jsonl | wc -l)" -eq "$total" ] || fail "--since 1h"
[ "$(as ops jobs --all --until @1 --jsonl | wc -l)" -eq 0 ] || fail "--until @1"
if as ops jobs --state BOGUS >"$T/bogus.out" 2>&1; then fail "--state BOGUS taken"; fi
grep -q "COMPLETED" "$T/bogus.out" || fail "--state BOGUS: $(cat "$T/bogus.out")"
log "filters select what they say"

# a restart brings back only the active and recent jobs; the store the rest
stop_pid "$SCHED_PID"
start_scheduler
wait_until 20 "the scheduler answers again" sched_answers
grep -q "recovered [0-9]* jobs" "$T/scheduler.log" || fail "no recovery line"
recovered=$(grep -o "recovered [0-9]* jobs" "$T/scheduler.log" | tail -1 | awk '{ print $2 }')
[ "$recovered" -lt "$total" ] || fail "the restart loaded all $recovered jobs into memory"
[ "$(as ops jobs --all --jsonl | wc -l)" -eq "$total" ] || fail "jobs --all after the restart"
[ "$(job_field tenant-b "$arr_b" state)" = COMPLETED ] || fail "show $arr_b after the restart"
log "after a restart: $recovered jobs in memory, all $total in the history"

# The report counts every job the store keeps, those that left memory
# included, in the state it ended in, each once; a tenant's own report
# counts its own; a restart changes nothing.
report_counts() { # report_counts IDENTITY TENANT: [jobs, completed, failed, cancelled]
    as "$1" report --json | jq -c ".tenants[] | select(.tenant == \"$2\") | [.jobs, .completed, .failed, .cancelled]"
}
want_a="[$((A_COUNT + 1)),$((A_COUNT + 1)),0,0]"
want_b="[$((B_COUNT + 2)),$B_COUNT,1,1]"
counts_right() { # counts_right WHEN
    [ "$(report_counts ops tenant-a)" = "$want_a" ] || fail "$1: tenant-a's counts $(report_counts ops tenant-a), not $want_a"
    [ "$(report_counts ops tenant-b)" = "$want_b" ] || fail "$1: tenant-b's counts $(report_counts ops tenant-b), not $want_b"
    [ "$(report_counts tenant-b tenant-b)" = "$want_b" ] || fail "$1: tenant-b's own report $(report_counts tenant-b tenant-b)"
    [ -z "$(report_counts tenant-b tenant-a)" ] || fail "$1: tenant-b's report has tenant-a's row"
}
log_lines=$(wc -l <"$T/scheduler.log")
failed=$(as tenant-b submit -J hist-fail -- false)
cancelled=$(as tenant-b submit -J hist-cancel -- sleep 600)
running() { [ "$(job_field tenant-b "$cancelled" state)" = RUNNING ]; }
wait_until 30 "job $cancelled runs" running
as tenant-b cancel "$cancelled" >/dev/null || fail "cancel $cancelled failed"
both_ended() {
    [ "$(job_field tenant-b "$failed" state)" = FAILED ] &&
        [ "$(job_field tenant-b "$cancelled" state)" = CANCELLED ]
}
wait_until 60 "job $failed failed and job $cancelled was cancelled" both_ended
counts_right "as they end"
forgot_both() {
    [ "$(tail -n +"$((log_lines + 1))" "$T/scheduler.log" | grep -o '[0-9]* ended jobs left memory' |
        awk '{ n += $1 } END { print n + 0 }')" -ge 2 ]
}
wait_until 20 "the failed and the cancelled job left memory" forgot_both
counts_right "out of memory"
log "the report counts every job: tenant-a $want_a, tenant-b $want_b"

stop_pid "$SCHED_PID"
start_scheduler
wait_until 20 "the scheduler answers again" sched_answers
counts_right "after a restart"
log "a restart leaves the report's counts as they were"
