#!/usr/bin/env bash
# Quotas and budgets through the real daemons and CLI, on one node
# of 4 cores and a GPU. tenant-a may run 2 cores at once and have 2 pending
# jobs: its third job waits with reason "Quota" and a text naming the limit,
# a fifth submit is refused, and no more than 2 of its jobs ever run at once.
# tenant-b has a budget of 0.05 core-hours (billing: a GPU-hour costs 10
# core-hours): a job whose wall time it cannot cover waits with reason
# "Budget" and starts after an operator's grant; tenants may not grant; a
# running job reserves its cores times its wall time. `cphub balance`
# matches the accounting records in the store exactly (the same sums of
# core- and GPU-seconds, converted the same way), and says the same after a
# scheduler restart, the grant included.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 is needed to read the accounting"

TENANT_EXTRA_tenant_a='max_running_cores = 2; max_pending_jobs = 2;'
TENANT_EXTRA_tenant_b='budget = 0.05;'
SCHED_EXTRA='billing = { core_hour = 1.0; gpu_hour = 10.0; };'
hub_setup "node1=synthetic:package:1 core:4 pu:1"
sed -i 's|^};$|  gpus = ( { name = "gpu0"; numa = 0; } );\n};|' "$T/agent-node1.conf"

# Bad values are refused with the setting named.
cp "$T/scheduler.conf" "$T/bad.conf"
sed -i 's|max_pending_jobs = 2;|max_pending_jobs = -1;|' "$T/bad.conf"
if "$SCHED_BIN" -c "$T/bad.conf" --check-config >"$T/out" 2>&1; then
    fail "max_pending_jobs = -1 was accepted"
fi
grep -q "tenants.\[0\].max_pending_jobs': must be from 0" "$T/out" || fail "bad limit: $(cat "$T/out")"
cp "$T/scheduler.conf" "$T/bad.conf"
sed -i 's|gpu_hour = 10.0;|gpu_hour = "ten";|' "$T/bad.conf"
if "$SCHED_BIN" -c "$T/bad.conf" --check-config >"$T/out" 2>&1; then
    fail "gpu_hour = \"ten\" was accepted"
fi
grep -q "billing.gpu_hour" "$T/out" || fail "bad billing: $(cat "$T/out")"
"$SCHED_BIN" -c "$T/scheduler.conf" --check-config >"$T/out" 2>&1 ||
    fail "quota settings refused: $(cat "$T/out")"

hub_start
log "1 node of 4 cores and 1 GPU up"

# A job that runs until FILE exists.
until_file() { echo "while [ ! -e $1 ]; do sleep 0.05; done"; }
submit_id() { # submit_id IDENTITY ARGS...: the new job's id, or fail
    local id
    id=$(as "$@" 2>"$T/submit.err") || fail "submit by $1 failed: $(cat "$T/submit.err")"
    [[ $id =~ ^[0-9]+$ ]] || fail "submit printed '$id'"
    echo "$id"
}
reason_of() { job_field "$1" "$2" reason; }
reason_starts() { [[ "$(reason_of "$1" "$2")" == "$3"* ]]; } # IDENT ID PREFIX
running_count() { # running_count IDENTITY
    jobs_json "$1" | jq '[.[] | select(.state == "RUNNING")] | length'
}
running_is() { [ "$(running_count "$1")" -eq "$2" ]; }
balance_field() { # balance_field IDENTITY TENANT FIELD (the row of TENANT)
    as "$1" balance --json | jq -r ".tenants[] | select(.tenant == \"$2\") | .$3"
}
# same_double A B: A and B are the same double (exact, parsed by awk).
same_double() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 == b + 0) }'; }

# --- running-cores quota and the pending limit ---------------------------------

GO_A=$T/go-a
a1=$(submit_id tenant-a submit -J a1 -- sh -c "$(until_file "$GO_A")")
a2=$(submit_id tenant-a submit -J a2 -- sh -c "$(until_file "$GO_A")")
a3=$(submit_id tenant-a submit -J a3 -- sh -c "$(until_file "$GO_A")")
wait_until 15 "two of tenant-a's jobs run" running_is tenant-a 2
held=$(jobs_json tenant-a | jq -r '.[] | select(.state == "PENDING") | .id')
[ "$(wc -w <<<"$held")" -eq 1 ] || fail "not one job of tenant-a waits: '$held'"
wait_until 10 "job $held waits for its quota" reason_starts tenant-a "$held" Quota
[ "$(reason_of tenant-a "$held")" = "Quota: tenant-a runs 2 of 2 cores allowed" ] ||
    fail "job $held: reason '$(reason_of tenant-a "$held")'"
log "job $held waits: $(reason_of tenant-a "$held")"

a4=$(submit_id tenant-a submit -J a4 -- true)
if as tenant-a submit -J a5 -- true >"$T/out" 2>&1; then
    fail "a third pending job of tenant-a was accepted"
fi
grep -q "tenant-a has 2 pending jobs; the limit is 2" "$T/out" || fail "pending limit: $(cat "$T/out")"
log "a submit over max_pending_jobs is refused: $(cat "$T/out")"

# tenant-a sees where it stands, and only its own line
[ "$(as tenant-a balance --json | jq '.tenants | length')" -eq 1 ] || fail "tenant-a sees other lines"
[ "$(balance_field tenant-a tenant-a running_cores)" = 2 ] || fail "running_cores"
[ "$(balance_field tenant-a tenant-a max_running_cores)" = 2 ] || fail "max_running_cores"
[ "$(balance_field tenant-a tenant-a pending_jobs)" = 2 ] || fail "pending_jobs"
[ "$(balance_field tenant-a tenant-a limited)" = false ] || fail "tenant-a has no budget"
as tenant-a balance >"$T/out" || fail "balance: $(cat "$T/out")"
grep -q "unlimited" "$T/out" || fail "balance does not say unlimited: $(cat "$T/out")"
if as tenant-a balance tenant-b >"$T/out" 2>&1; then
    fail "tenant-a saw tenant-b's balance"
fi
grep -q "only their own balance" "$T/out" || fail "other balance: $(cat "$T/out")"

touch "$GO_A"
wait_until 30 "tenant-a's jobs end" all_ended tenant-a "$a1" "$a2" "$a3" "$a4"
for id in "$a1" "$a2" "$a3" "$a4"; do
    job_state_is tenant-a "$id" COMPLETED || fail "job $id ended $(job_field tenant-a "$id" state)"
done
jobs_json tenant-a >"$T/a.json"
[ "$(max_overlap "$T/a.json")" -le 2 ] || fail "more than 2 of tenant-a's jobs ran at once"
log "tenant-a's held job started when a core of its quota came back"

# --- budget ----------------------------------------------------------------

GO_B=$T/go-b
# 1 core for 1 minute: 0.0167 of 0.05 core-hours
b1=$(submit_id tenant-b submit -J b1 -t 1:00 -- sh -c "$(until_file "$GO_B")")
wait_until 15 "b1 runs" job_state_is tenant-b "$b1" RUNNING
reserved=$(balance_field tenant-b tenant-b reserved)
same_double "$reserved" "$(jq -n '60 / 3600')" || fail "b1 reserves $reserved, not 60/3600"
# 2 cores for an hour: 2 core-hours, far beyond what remains
b2=$(submit_id tenant-b submit -J b2 -n 2 -t 1:00:00 -- true)
wait_until 10 "b2 waits for its budget" reason_starts tenant-b "$b2" Budget
reason_starts tenant-b "$b2" "Budget: needs 2.0 core-hours" ||
    fail "b2: reason '$(reason_of tenant-b "$b2")'"
log "job $b2 waits: $(reason_of tenant-b "$b2")"

if as tenant-b budget grant tenant-b 100 >"$T/out" 2>&1; then
    fail "a tenant granted itself a budget"
fi
grep -q "operators" "$T/out" || fail "tenant grant: $(cat "$T/out")"
if as ops budget grant nobody 5 >"$T/out" 2>&1; then
    fail "a grant to an unknown tenant was accepted"
fi
grep -q "no tenant 'nobody'" "$T/out" || fail "unknown tenant: $(cat "$T/out")"
job_state_is tenant-b "$b2" PENDING || fail "b2 started before any grant"

as ops budget grant tenant-b 5 --reason "top-up" >"$T/out" 2>&1 || fail "grant: $(cat "$T/out")"
grep -q "tenant-b" "$T/out" || fail "grant printed: $(cat "$T/out")"
wait_until 15 "b2 runs after the grant" job_ended tenant-b "$b2"
job_state_is tenant-b "$b2" COMPLETED || fail "b2 ended $(job_field tenant-b "$b2" state)"
log "job $b2 ran after an operator's grant of 5 core-hours"

# a GPU job: its GPU-seconds cost 10 core-seconds each
b3=$(submit_id tenant-b submit -J b3 --gpus 1 -t 10:00 -- sleep 0.3)
touch "$GO_B"
wait_until 30 "tenant-b's jobs end" all_ended tenant-b "$b1" "$b2" "$b3"
for id in "$b1" "$b3"; do
    job_state_is tenant-b "$id" COMPLETED || fail "job $id ended $(job_field tenant-b "$id" state)"
done

# --- the balance is the accounting, converted the same way -------------------

STORE_DB=$T/state/scheduler/cphub.db
check_balance() { # check_balance IDENTITY: tenant-b's balance against the store
    local who=$1 bal sql_cs sql_gs sql_spent cs gs spent
    bal=$(as "$who" balance --json | jq -c '.tenants[] | select(.tenant == "tenant-b")')
    [ -n "$bal" ] || fail "$who sees no balance of tenant-b"
    cs=$(jq -r .core_seconds <<<"$bal")
    gs=$(jq -r .gpu_seconds <<<"$bal")
    spent=$(jq -r .spent <<<"$bal")
    read -r sql_cs sql_gs sql_spent < <(sqlite3 -separator ' ' "$STORE_DB" \
        "SELECT quote (sum (core_seconds)), quote (sum (gpu_seconds)),
                quote ((sum (core_seconds) * 1.0 + sum (gpu_seconds) * 10.0) / 3600.0)
         FROM acct WHERE tenant = 'tenant-b' AND failed_run = 0")
    [ "$(sqlite3 "$STORE_DB" "SELECT count(*) FROM acct WHERE tenant = 'tenant-b'")" -eq 3 ] ||
        fail "not 3 accounting records of tenant-b"
    # to the printed precision, then exactly
    [ "$(printf '%.6f' "$cs")" = "$(printf '%.6f' "$sql_cs")" ] ||
        fail "$who: core_seconds $cs, the records say $sql_cs"
    [ "$(printf '%.6f' "$gs")" = "$(printf '%.6f' "$sql_gs")" ] ||
        fail "$who: gpu_seconds $gs, the records say $sql_gs"
    [ "$(printf '%.9f' "$spent")" = "$(printf '%.9f' "$sql_spent")" ] ||
        fail "$who: spent $spent core-hours, the records say $sql_spent"
    same_double "$cs" "$sql_cs" || fail "$who: core_seconds $cs is not exactly $sql_cs"
    same_double "$gs" "$sql_gs" || fail "$who: gpu_seconds $gs is not exactly $sql_gs"
    same_double "$spent" "$sql_spent" || fail "$who: spent $spent is not exactly $sql_spent"
    awk -v g="$gs" 'BEGIN { exit !(g > 0) }' || fail "the GPU job was not charged"
    [ "$(jq -r .reserved <<<"$bal")" = 0 ] || fail "$who: nothing runs, yet $(jq .reserved <<<"$bal") reserved"
    same_double "$(jq -r .granted <<<"$bal")" "$(jq -n '0.05 + 5')" ||
        fail "$who: granted $(jq .granted <<<"$bal"), not 0.05 + 5"
    same_double "$(jq -r .remaining <<<"$bal")" "$(jq -n "0.05 + 5 - $spent")" ||
        fail "$who: remaining is not granted - spent"
    echo "$bal"
}
before=$(check_balance tenant-b)
[ "$(check_balance ops)" = "$before" ] || fail "ops and tenant-b see different balances"
log "balance matches the accounting: $(jq -c '{core_seconds, gpu_seconds, spent}' <<<"$before")"
[ "$(sqlite3 "$STORE_DB" "SELECT kind, hours, reason, operator FROM budget_ledger")" = "grant|5.0|top-up|ops" ] ||
    fail "ledger: $(sqlite3 "$STORE_DB" "SELECT * FROM budget_ledger")"

# --- a restart keeps the ledger ---------------------------------------------------

stop_pid "$SCHED_PID"
forget_pid "$SCHED_PID"
start_scheduler
wait_until 20 "the scheduler answers again" sched_answers
after=$(check_balance ops)
[ "$after" = "$before" ] || fail "after a restart: $after, before: $before"
log "the same balance after a restart, the grant included"

log "PASS"
