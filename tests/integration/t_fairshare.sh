#!/usr/bin/env bash
# Fair share through the real daemons and CLI: two tenants with equal shares
# on one small node. tenant-a floods the queue with 500 short jobs first;
# tenant-b then submits 50. tenant-b's jobs start before tenant-a's backlog is
# done, and their mean wait (start - submit) is far below tenant-a's. Along
# the way: `cphub jobs` shows queue positions, `cphub show` a reason, and
# `cphub priority` explains a job's factors, hides another tenant's job as
# "no such job", and lets only operators set a boost; a fair-share half-life
# of 0 is refused by --check-config.
. "$(dirname "$0")/lib.sh"

NA=500
NB=50
hub_setup "node1=synthetic:package:1 core:4 pu:1"

# A half-life of 0 is refused, never taken by accident; the defaults load.
cp "$T/scheduler.conf" "$T/bad.conf"
echo 'priority = { fairshare_half_life = 0; };' >>"$T/bad.conf"
if "$SCHED_BIN" -c "$T/bad.conf" --check-config >"$T/out" 2>&1; then
    fail "fairshare_half_life = 0 was accepted"
fi
grep -q "fairshare_half_life': must be more than 0" "$T/out" || fail "half-life 0: $(cat "$T/out")"
cp "$T/scheduler.conf" "$T/ok.conf"
echo 'priority = { weight_fairshare = 10000; max_age = "7-0"; fairshare_half_life = "7-0"; };' >>"$T/ok.conf"
"$SCHED_BIN" -c "$T/ok.conf" --check-config >"$T/out" 2>&1 || fail "priority section refused: $(cat "$T/out")"

hub_start
log "1 node of 4 cores up"

# submit_many TENANT COUNT PREFIX: COUNT jobs of `sleep 0.2`, 50 at a time in
# parallel; their ids go to $T/PREFIX.ids.
submit_many() {
    local who=$1 count=$2 prefix=$3 i pids=()
    for i in $(seq 1 "$count"); do
        as "$who" submit -J "$prefix$i" -- sleep 0.2 >"$T/$prefix.$i" 2>&1 &
        pids+=("$!")
        if [ "${#pids[@]}" -ge 50 ]; then
            wait "${pids[@]}" || fail "a submit of $who failed: $(cat "$T/$prefix".* | grep -v '^[0-9]*$' | head -n 3)"
            pids=()
        fi
    done
    [ "${#pids[@]}" -eq 0 ] || wait "${pids[@]}" || fail "a submit of $who failed"
    for i in $(seq 1 "$count"); do
        [[ "$(cat "$T/$prefix.$i")" =~ ^[0-9]+$ ]] || fail "submit printed '$(cat "$T/$prefix.$i")'"
        cat "$T/$prefix.$i"
    done >"$T/$prefix.ids"
}

submit_many tenant-a "$NA" a
log "tenant-a queued $NA jobs"
pending_a=$(as tenant-a jobs --json | jq '[.[] | select(.state == "PENDING")] | length')
[ "$pending_a" -gt "$NB" ] || fail "only $pending_a of tenant-a's jobs still wait: the hub is too fast for this test"

submit_many tenant-b "$NB" b
log "tenant-b queued $NB jobs while $pending_a of tenant-a's waited"

# While tenant-a still waits: positions, reasons and the priority verb.
last_a=$(tail -n 1 "$T/a.ids")
first_b=$(head -n 1 "$T/b.ids")
as tenant-a jobs >"$T/jobs.txt"
grep -q '^ *ID .* POS ' "$T/jobs.txt" || fail "cphub jobs has no POS column: $(head -n 1 "$T/jobs.txt")"
if job_state_is tenant-a "$last_a" PENDING; then
    pos=$(job_field tenant-a "$last_a" queue_position)
    [ "$pos" -ge 1 ] || fail "pending job $last_a has queue position '$pos'"
    reason=$(job_field tenant-a "$last_a" reason)
    case "$reason" in Priority | Resources | Reservation) ;; *) fail "pending job $last_a has reason '$reason'" ;; esac
fi
as tenant-b priority "$first_b" >"$T/prio.txt" || fail "cphub priority $first_b failed"
grep -q "fair share" "$T/prio.txt" || fail "cphub priority shows no fair share: $(cat "$T/prio.txt")"
as tenant-b priority "$first_b" --json | jq -e '.weight_fairshare > 0 and .fairshare > 0' >/dev/null ||
    fail "priority --json: $(as tenant-b priority "$first_b" --json)"
if as tenant-a priority "$first_b" >/dev/null 2>"$T/err"; then
    fail "tenant-a saw the priority of tenant-b's job"
fi
grep -q "no such job $first_b" "$T/err" || fail "another tenant's job: '$(cat "$T/err")'"
if as tenant-b priority "$first_b" --boost 100 >/dev/null 2>"$T/err"; then
    fail "a tenant boosted its own job"
fi
grep -q "only operators" "$T/err" || fail "tenant boost refusal: '$(cat "$T/err")'"
as ops priority "$last_a" --boost 5 --json | jq -e '.job_boost == 5' >/dev/null ||
    fail "the operator's boost did not take"
log "positions, reasons and cphub priority ok"

# Everything ends.
wait_all() { as ops wait -q $(cat "$T/a.ids" "$T/b.ids"); }
wait_until 240 "all $((NA + NB)) jobs ended" wait_all

# Waits from submit_time/start_time, per tenant.
as ops jobs --all --json >"$T/all.json"
stats=$(jq -r '
  def of(t): [.[] | select(.tenant == t and (.name | test("^[ab][0-9]+$")))];
  def wait: (.start_time - .submit_time);
  [ (of("tenant-a") | map(wait) | add / length),
    (of("tenant-b") | map(wait) | add / length),
    (of("tenant-a") | map(.start_time) | max),
    (of("tenant-b") | map(.start_time) | max),
    (of("tenant-a") | length), (of("tenant-b") | length),
    ([.[] | select(.state != "COMPLETED" and (.name | test("^[ab][0-9]+$")))] | length)
  ] | @tsv' "$T/all.json")
read -r wait_a wait_b last_start_a last_start_b count_a count_b bad <<<"$stats"
[ "$count_a" -eq "$NA" ] && [ "$count_b" -eq "$NB" ] || fail "found $count_a and $count_b jobs"
[ "$bad" -eq 0 ] || fail "$bad jobs did not complete"
log "mean wait: tenant-a $wait_a s, tenant-b $wait_b s"
awk -v b="$last_start_b" -v a="$last_start_a" 'BEGIN { exit !(b < a) }' ||
    fail "tenant-b's last job started at $last_start_b, after tenant-a's backlog was done ($last_start_a)"
awk -v b="$wait_b" -v a="$wait_a" 'BEGIN { exit !(b * 4 < a) }' ||
    fail "tenant-b's mean wait $wait_b s is not far below tenant-a's $wait_a s"
log "tenant-b's jobs went ahead of tenant-a's backlog"
