#!/usr/bin/env bash
# Retention: with scheduler.history_days = 1 the jobs that ended over a day
# ago leave the store in batches, the recent ones stay, and the accounting
# records all stay. Days cannot pass in a test: the scheduler is stopped,
# some ended jobs (a plain job, an array, and a thousand more rows made
# from them) get an end time three days back in the SQLite file, and the
# scheduler starts again. Then `show` of an aged job or array element is
# "no such job" (to its tenant and to an operator), `jobs --all` lists
# only the recent jobs, the log shows batches of at most 500, the aged
# jobs' state transitions are gone too, and `cphub report` and the acct
# table are what they were (the report's usage, which they make).
# Then, over a thousand recent rows read 100 (slice_jobs) per page, a
# filter that matches nothing is answered in empty pages the CLI follows,
# and the filters still list exactly what they select.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || skip "no sqlite3 (scripts/deps installs it)"
SCHED_GROUP_EXTRA='  keep_ended = "1s";
  history_days = 1;
  slice_jobs = 100;'
hub_setup "node1=synthetic:package:1 core:4 pu:1"
hub_start
log "node up"

EXTRA=1100 # rows aged beside the real jobs: more than two batches
old=$(as tenant-a submit -J old -- true)
old_arr=$(as tenant-a submit -J old-arr --array 0-2 -- true)
recent=$(as tenant-b submit -J recent -- true)
recent_arr=$(as tenant-b submit -J recent-arr --array 5-6 -- true)
ids=("$old" "$old_arr" $((old_arr + 1)) $((old_arr + 2)) "$recent" "$recent_arr" $((recent_arr + 1)))
wait_until 60 "every job ended" all_ended ops "${ids[@]}"
log "${#ids[@]} jobs ended"

# the report's usage comes from the accounting records (its job counts
# from the jobs in memory, which keep_ended empties anyway)
report_usage() { as ops report --json | jq -c '[.tenants[] | {tenant, core_seconds, gpu_seconds}]'; }
acct_count() { sqlite3 "$STORE_DB" "SELECT count(*) FROM acct;"; }
acct_wrote() { [ "$(acct_count)" -ge "${#ids[@]}" ]; }
wait_until 20 "every run's accounting record is stored" acct_wrote
report_before=$(report_usage)
stop_pid "$SCHED_PID"
acct_before=$(acct_count)

# three days back: the old job, the old array, and EXTRA copies of the old
# job under new ids (the store's next id moves past them)
day=86400
columns="tenant, state, reason, exit_code, signal, walltime, submit_time, start_time,
  end_time, cpu_time, max_rss, node, cores, cpus, gpus, mems, mem, kill_sent, runs, boost,
  others, array_id, array_index, spec, requeues, eligible_time, hold"
next_id=$(sqlite3 "$STORE_DB" "SELECT value FROM meta WHERE key = 'next_job_id';")
sqlite3 "$STORE_DB" <<SQL || fail "aging jobs in $STORE_DB"
BEGIN;
UPDATE jobs SET end_time = end_time - 3 * $day, start_time = start_time - 3 * $day,
  submit_time = submit_time - 3 * $day
  WHERE id = $old OR array_id = $old_arr;
WITH RECURSIVE n (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $EXTRA)
INSERT INTO jobs (id, $columns)
  SELECT $next_id + n.i, $columns FROM jobs, n WHERE jobs.id = $old;
UPDATE meta SET value = $next_id + $EXTRA WHERE key = 'next_job_id';
COMMIT;
SQL
aged=$(sqlite3 "$STORE_DB" "SELECT count(*) FROM jobs WHERE end_time > 0 AND end_time < strftime('%s', 'now') - $day;")
[ "$aged" -eq $((4 + EXTRA)) ] || fail "$aged jobs aged, not $((4 + EXTRA))"
log "$aged ended jobs aged by three days"

start_scheduler
wait_until 20 "the scheduler answers again" sched_answers
expired() { [ "$(grep -o 'history: [0-9]* jobs ended over 1 days ago left the store' "$T/scheduler.log" | awk '{ n += $2 } END { print n + 0 }')" -eq "$aged" ]; }
wait_until 60 "every aged job left the store" expired
batches=$(grep -o 'history: [0-9]* jobs ended over' "$T/scheduler.log" | awk '{ print $2 }' | tr '\n' ' ')
for b in $batches; do [ "$b" -le 500 ] || fail "a batch of $b jobs: $batches"; done
[ "$(wc -w <<<"$batches")" -ge 3 ] || fail "$aged jobs in fewer than 3 batches: $batches"
log "the aged jobs left the store in batches of $batches"

gone() { # gone IDENTITY ID: show says there is no such job
    if as "$1" show "$2" >"$T/gone.out" 2>&1; then fail "$1: show $2 still finds it: $(cat "$T/gone.out")"; fi
    grep -q "no such job" "$T/gone.out" || fail "$1: show $2: $(cat "$T/gone.out")"
}
gone tenant-a "$old"
gone ops "$old"
gone ops "$((next_id + EXTRA - 1))"
gone tenant-a "${old_arr}_1"
gone ops "${old_arr}_2"
[ "$(job_field tenant-b "$recent" state)" = COMPLETED ] || fail "recent job $recent: $(job_field tenant-b "$recent" state)"
[ "$(as ops show "${recent_arr}_6" --json | jq -r .id)" = $((recent_arr + 1)) ] || fail "show ${recent_arr}_6"
as ops jobs --all --jsonl >"$T/all.jsonl" || fail "jobs --all failed"
[ "$(jq -s 'map(.id) | sort | map(tostring) | join(" ")' "$T/all.jsonl")" = "\"$recent $recent_arr $((recent_arr + 1))\"" ] ||
    fail "jobs --all lists $(jq -s -c 'map(.id)' "$T/all.jsonl")"
[ "$(as tenant-a jobs --all --jsonl | wc -l)" -eq 0 ] || fail "tenant-a's aged jobs are listed"
log "show and jobs --all: the aged jobs are gone, the recent ones stay"

[ "$(report_usage)" = "$report_before" ] || fail "the report's usage changed: $(report_usage), was $report_before"
stop_pid "$SCHED_PID"
[ "$(acct_count)" -eq "$acct_before" ] || fail "$(acct_count) accounting records, were $acct_before"
[ "$(sqlite3 "$STORE_DB" "SELECT count(*) FROM acct WHERE job_id = $old OR job_id BETWEEN $old_arr AND $((old_arr + 2));")" -eq 4 ] ||
    fail "the aged jobs' accounting records went"
[ "$(sqlite3 "$STORE_DB" "SELECT count(*) FROM job_transitions WHERE job_id = $old OR job_id >= $next_id;")" -eq 0 ] ||
    fail "the aged jobs' state transitions stayed"
[ "$(sqlite3 "$STORE_DB" "SELECT count(*) FROM job_transitions WHERE job_id = $recent;")" -gt 0 ] ||
    fail "the recent job's state transitions went"
log "report, accounting records and the recent jobs' transitions stay"

# a thousand recent copies of the recent job: pages read 100 rows each
next_id=$(sqlite3 "$STORE_DB" "SELECT value FROM meta WHERE key = 'next_job_id';")
sqlite3 "$STORE_DB" <<SQL || fail "copying jobs in $STORE_DB"
BEGIN;
WITH RECURSIVE n (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $EXTRA)
INSERT INTO jobs (id, $columns)
  SELECT $next_id + n.i, $columns FROM jobs, n WHERE jobs.id = $recent;
UPDATE meta SET value = $next_id + $EXTRA WHERE key = 'next_job_id';
COMMIT;
SQL
start_scheduler
wait_until 20 "the scheduler answers again" sched_answers
as ops jobs --all --name nosuch --jsonl >"$T/none.jsonl" || fail "jobs --all --name nosuch failed"
[ ! -s "$T/none.jsonl" ] || fail "--name nosuch listed $(wc -l <"$T/none.jsonl") jobs"
[ "$(as ops jobs --all --name recent --jsonl | wc -l)" -eq $((EXTRA + 1)) ] || fail "--name recent over pages"
as tenant-b jobs --all --state COMPLETED --jsonl | jq -se "length == $((EXTRA + 3)) and all(.tenant == \"tenant-b\")" >/dev/null ||
    fail "tenant-b's --state COMPLETED over pages"
[ "$(as tenant-a jobs --all --jsonl | wc -l)" -eq 0 ] || fail "tenant-a lists jobs it has not"
[ "$(as ops jobs --all --until @1 --jsonl | wc -l)" -eq 0 ] || fail "--until @1 over pages"
log "pages of 100 rows read: a filter matching nothing gives empty pages, the others every job"
