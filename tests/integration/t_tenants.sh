#!/usr/bin/env bash
# Tenants, keys and roles. Another tenant's job answers exactly
# like a job that does not exist (show, wait, logs, cancel, priority) and
# shows nowhere (jobs, report, nodes: aggregate load only). An agent key
# cannot submit and cannot speak for another node (tests/integration/
# impostor, with node1's key against a job on node2). An operator adds a
# tenant and its key at run time and the tenant submits at once; set,
# list and remove work, remove is refused while the tenant has jobs, and a
# removed name is not given out again. A revoked key is refused on the next
# request of a connection opened before (impostor revoke) and at every new
# connection, its tenant's jobs run on, and a config key can be revoked
# too. All of it survives a scheduler restart (SQLite store).
. "$(dirname "$0")/lib.sh"

IMPOSTOR=$B/tests/integration/impostor
[ -x "$IMPOSTOR" ] || skip "$IMPOSTOR is not built (make check builds it)"
command -v jq >/dev/null || skip "jq is not installed"

declare -A FEATURES=([node2]="second")
hub_setup "node1=synthetic:package:1 core:4 pu:1" "node2=synthetic:package:1 core:4 pu:1"
for k in tenant-c tenant-c2 tenant-d; do
    keygen "$k"
    client_conf "$k"
done
at_exit stop_job_procs "$T/state"
hub_start

# --- another tenant's job is a job that does not exist -----------------------

id=$(as tenant-a submit -J secret-name -C second -- sh -c 'echo private-output; sleep 300')
wait_until 10 "job $id running on node2" job_on tenant-a "$id" node2
nosuch=$((id + 1000))
as tenant-b show "$nosuch" >/dev/null 2>"$T/ref.err" && fail "show of a missing job succeeded"
ref=$(sed "s/$nosuch/ID/g" "$T/ref.err")
for verb in show wait logs cancel priority; do
    if as tenant-b "$verb" "$id" >"$T/b.out" 2>"$T/b.err"; then
        fail "tenant-b '$verb $id' succeeded: $(cat "$T/b.out")"
    fi
    [ "$(sed "s/$id/ID/g" "$T/b.err")" = "$ref" ] ||
        fail "tenant-b '$verb' answered '$(cat "$T/b.err")', not '$ref'"
done
as tenant-b jobs --all --json | jq -e 'length == 0' >/dev/null ||
    fail "tenant-b's job list shows another tenant's job"
as tenant-b report --json | jq -e '[.tenants[].tenant] == ["tenant-b"]' >/dev/null ||
    fail "tenant-b's report shows other rows: $(as tenant-b report --json)"
as tenant-b nodes --json >"$T/nodes.json"
jq -e '.[] | select(.name == "node2") | .cores_used >= 1 and .jobs >= 1' \
    "$T/nodes.json" >/dev/null || fail "tenant-b does not see node2's load"
if grep -q -e tenant-a -e secret-name -e private-output "$T/nodes.json"; then
    fail "tenant-b's nodes list says whose jobs run where"
fi
[ "$(job_field tenant-a "$id" state)" = RUNNING ] || fail "tenant-b touched tenant-a's job"
log "tenant-b sees tenant-a's job nowhere; nodes shows aggregate load only"

# What is for operators only is refused to tenants by the table.
for args in "node drain node1 --reason x" "priority $id --boost 5" "tenant list" \
    "key list" "tenant add evil"; do
    # shellcheck disable=SC2086
    if as tenant-a $args >/dev/null 2>"$T/op.err"; then fail "a tenant could '$args'"; fi
    grep -q "only operators may" "$T/op.err" || fail "'$args' refusal: $(cat "$T/op.err")"
done
log "operator requests refused to tenants: $(cat "$T/op.err")"

# --- an agent key cannot submit or speak for another node --------------------

before=$(as ops jobs --all --json | jq length)
"$IMPOSTOR" agent --endpoint "tcp://127.0.0.1:$AGENT_PORT" \
    --server-key "$T/keys/scheduler.pub" --key "$T/keys/node1.key" \
    --node node2 --job "$id" >"$T/impostor.out" 2>&1 ||
    fail "impostor (agent): $(cat "$T/impostor.out")"
after_impostor=$(date +%s)
sed 's/^/    /' "$T/impostor.out"
[ "$(as ops jobs --all --json | jq length)" = "$before" ] || fail "an agent key made a job"
job_on tenant-a "$id" node2 || fail "node1's reports changed node2's job: $(as ops show "$id")"
node_state_is node2 UP || fail "node2 is $(node_field node2 state) after node1's reports"
alive "$SCHED_PID" || fail "the scheduler died"
# node1's own agent is heard again (its heartbeats make it node1's connection)
node1_heard() { [ "$(node_field node1 last_seen | cut -d. -f1)" -gt "$after_impostor" ]; }
wait_until 10 "a heartbeat of node1's agent" node1_heard
log "an agent key cannot submit or report for another node"

# --- run-time tenants and keys -------------------------------------------------

as ops tenant list --json | jq -e '[.[] | "\(.name):\(.source)"] == ["tenant-a:config",
    "tenant-b:config"]' >/dev/null || fail "tenant list: $(as ops tenant list --json)"
if as tenant-c jobs >/dev/null 2>&1; then fail "tenant-c was served before it existed"; fi
as ops tenant add tenant-c --shares 2
# An operator can grant a budget to a tenant added at run time at once,
# before it has run anything.
as ops budget grant tenant-c 10 --reason "welcome" >"$T/grant.out" 2>&1 ||
    fail "grant to a new run-time tenant: $(cat "$T/grant.out")"
as ops key add tenant-c "$T/keys/tenant-c.pub"
cid=$(as tenant-c submit -- sh -c 'echo hello-from-c')
as tenant-c wait "$cid" >/dev/null || fail "tenant-c's job $cid failed"
wait_until 10 "output of job $cid" sh -c \
    "CPHUB_CONFIG='$T/tenant-c.conf' '$CPHUB_BIN' logs $cid | grep -q hello-from-c"
as tenant-c show "$id" >/dev/null 2>&1 && fail "tenant-c sees tenant-a's job"
as ops tenant set tenant-c --shares 3
as ops tenant list --json | jq -e '.[] | select(.name == "tenant-c") |
    .source == "runtime" and .shares == 3 and .keys == 1' >/dev/null ||
    fail "tenant list after set: $(as ops tenant list --json)"
as ops tenant list | grep -q "^tenant-c " || fail "tenant list table: $(as ops tenant list)"
if as ops tenant set tenant-a --shares 5 2>"$T/e"; then fail "a config tenant was set"; fi
grep -q "scheduler.conf" "$T/e" || fail "config tenant set refusal: $(cat "$T/e")"
if as ops tenant add tenant-a 2>"$T/e"; then fail "tenant-a added twice"; fi
if as ops tenant add 'bad:name' 2>"$T/e"; then fail "a name with ':' was added"; fi
if as ops key add tenant-c "$T/keys/tenant-a.pub" 2>"$T/e"; then
    fail "tenant-a's key was given to tenant-c"
fi
grep -q "already the key of tenant:tenant-a" "$T/e" || fail "key add refusal: $(cat "$T/e")"
if as ops key add nobody "$T/keys/tenant-d.pub" 2>"$T/e"; then fail "a key for no tenant"; fi
log "tenant-c added at run time submits with its new key"

# --- revocation: on an open connection, and at every new one -------------------

as ops key add tenant-c "$T/keys/tenant-c2.pub"
lid=$(as tenant-c2 submit -- sleep 300)
wait_until 10 "job $lid RUNNING" job_state_is tenant-c "$lid" RUNNING
"$IMPOSTOR" revoke --endpoint "tcp://127.0.0.1:$CLIENT_PORT" \
    --server-key "$T/keys/scheduler.pub" --key "$T/keys/tenant-c2.key" \
    --flag "$T/revoked" >"$T/revoke.out" 2>&1 &
rpid=$!
PIDS+=("$rpid")
wait_until 10 "the impostor's first request" test -f "$T/revoked.ready"
as ops key revoke "$T/keys/tenant-c2.pub"
touch "$T/revoked"
wait "$rpid" || fail "impostor (revoke): $(cat "$T/revoke.out")"
forget_pid "$rpid"
sed 's/^/    /' "$T/revoke.out"
if as tenant-c2 jobs >/dev/null 2>"$T/e"; then fail "a revoked key was served"; fi
grep -qi refused "$T/e" || fail "revoked key at a new connection: $(cat "$T/e")"
as tenant-c jobs >/dev/null || fail "tenant-c's other key stopped working"
job_state_is tenant-c "$lid" RUNNING || fail "revoking a key touched its tenant's job"
if as ops key add tenant-c "$T/keys/tenant-c2.pub" 2>"$T/e"; then
    fail "a revoked key was taken back"
fi
grep -q "never taken back" "$T/e" || fail "re-adding a revoked key: $(cat "$T/e")"
as ops key list tenant-c --json | jq -e '[.[] | .revoked] == [false, true]' >/dev/null ||
    fail "key list: $(as ops key list tenant-c --json)"
log "a revoked key is refused on its open connection and at new ones; its jobs run on"

# --- remove: refused while the tenant has jobs; its name is kept ----------------

if as ops tenant remove tenant-c 2>"$T/e"; then fail "a tenant with a running job was removed"; fi
grep -q "1 running" "$T/e" || fail "remove refusal: $(cat "$T/e")"
if as ops tenant remove tenant-a 2>"$T/e"; then fail "a config tenant was removed"; fi
as tenant-c cancel "$lid"
wait_until 15 "job $lid ended" job_ended tenant-c "$lid"
as ops tenant add tenant-d
as ops key add tenant-d "$T/keys/tenant-d.pub"
as tenant-d jobs >/dev/null || fail "tenant-d cannot connect"
as ops tenant remove tenant-d
if as tenant-d jobs >/dev/null 2>&1; then fail "a removed tenant's key was served"; fi
if as ops tenant add tenant-d 2>"$T/e"; then fail "a removed tenant's name was given out again"; fi
grep -q "was removed" "$T/e" || fail "re-adding a removed name: $(cat "$T/e")"
# A config key can be revoked too, and stays revoked after a restart.
as ops key revoke "$T/keys/tenant-b.pub"
if as tenant-b jobs >/dev/null 2>&1; then fail "tenant-b's revoked config key was served"; fi
log "remove waits for the tenant's jobs; removed names are kept; config keys revoke"

# --- all of it survives a restart ----------------------------------------------

stop_pid "$SCHED_PID"
forget_pid "$SCHED_PID"
start_scheduler
wait_until 20 "the scheduler answers again" sched_answers
as ops tenant list --json >"$T/tenants.json"
jq -e '[.[] | .name] == ["tenant-a", "tenant-b", "tenant-c"]' "$T/tenants.json" >/dev/null ||
    fail "tenants after the restart: $(cat "$T/tenants.json")"
jq -e '.[] | select(.name == "tenant-c") | .shares == 3 and .keys == 1' \
    "$T/tenants.json" >/dev/null || fail "tenant-c after the restart: $(cat "$T/tenants.json")"
wait_until 20 "2 nodes UP again" nodes_up 2
cid=$(as tenant-c submit -- true)
as tenant-c wait "$cid" >/dev/null || fail "tenant-c's job after the restart failed"
for who in tenant-c2 tenant-d tenant-b; do
    if as "$who" jobs >/dev/null 2>&1; then fail "$who's revoked key was served after the restart"; fi
done
as tenant-a jobs >/dev/null || fail "tenant-a's key stopped working after the restart"
if as ops tenant add tenant-d 2>/dev/null; then fail "tenant-d's name was given out after the restart"; fi
as ops key list --json | jq -e '[.[] | select(.revoked)] | length == 3' >/dev/null ||
    fail "revoked keys after the restart: $(as ops key list --json)"
log "run-time tenants, keys and revocations survive a restart"

as ops cancel "$id"
wait_until 15 "job $id ended" job_ended ops "$id"
