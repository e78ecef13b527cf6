#!/usr/bin/env bash
# The scheduler's trust in runs, nodes and its own store, tried as an
# attacker would:
# - a scheduler on a missing store does not start without --init (and
#   --init is refused on a store that holds a hub); an agent saves the hub
#   id, refuses a scheduler of a new hub made on a lost database (its job
#   does not run there) until started with --join-new-hub;
# - a stolen node key (tests/integration/impostor, node mode) registers
#   listing another node's running job and a pending job: neither is held
#   back, both run and finish normally on node1;
# - the same key answers a job.run with an exit claiming the run lasted from
#   1 to 1e12: the run is charged only from the scheduler's own start to the
#   report's arrival;
# - the same key fails every start on its side: the job is requeued with a
#   growing delay at most max_requeue (2 here) times and ends NODE_FAIL, and
#   after 3 failures in a row the node drains itself with the last error,
#   until an operator resumes it;
# - a job without --mem holds and shows a memory limit (the node's memory
#   divided by its cores, per core).
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || skip "the sqlite3 command is not installed"
IMPOSTOR=$B/tests/integration/impostor
hub_setup "node1=synthetic:package:1 numa:1(memory=8GB) core:4 pu:1" \
    "node2=synthetic:package:1 core:1 pu:1"
conf_set "$T/scheduler.conf" requeue_delay '"2s"'
conf_set "$T/scheduler.conf" max_requeue 2

# --- settings and --init -------------------------------------------------------

sed 's/max_requeue = 2;/max_requeue = 0;/' "$T/scheduler.conf" >"$T/bad.conf"
if "$SCHED_BIN" -c "$T/bad.conf" --check-config >"$T/out" 2>&1; then
    fail "max_requeue = 0 accepted"
fi
grep -q "max_requeue.*1 to 1000" "$T/out" || fail "max_requeue error: $(cat "$T/out")"

if timeout 20 "$SCHED_BIN" -c "$T/scheduler.conf" >"$T/noinit.out" 2>&1; then
    fail "a scheduler started on a missing store without --init"
fi
grep -q "cphub.db: no hub here; start with --init to create a new hub" "$T/noinit.out" ||
    fail "missing store: $(cat "$T/noinit.out")"
log "a missing store is refused: $(tail -n 1 "$T/noinit.out")"
rm -f "$STORE_DB" "$STORE_DB"-wal "$STORE_DB"-shm
start_scheduler # lib.sh: --init on the first start
wait_until 20 "the scheduler answers" sched_answers
hub=$(sqlite3 "$STORE_DB" "SELECT value FROM meta WHERE key = 'hub_id'")
[[ "$hub" =~ ^[0-9a-f]{32}$ ]] || fail "hub id '$hub'"
if timeout 20 "$SCHED_BIN" -c "$T/scheduler.conf" --init >"$T/reinit.out" 2>&1; then
    fail "--init accepted on a store that holds hub $hub"
fi
grep -q "holds hub $hub already" "$T/reinit.out" || fail "--init again: $(cat "$T/reinit.out")"
log "hub $hub created by --init; --init again refused"

start_agent node1
wait_until 20 "node1 UP" nodes_up 1
wait_until 10 "node1 saved the hub id" grep -qx "$hub" "$T/state/node1/hub_id"

# --- a stolen node key: claims, a forged bill ------------------------------------

running=$(as tenant-a submit -n 1 -- sleep 6)
wait_until 10 "job $running running on node1" job_on tenant-a "$running" node1
as ops node drain node1 --reason "the test routes jobs to node2" >/dev/null
pending=$(as tenant-b submit -n 2 -- true) # node2 has 1 core: waits for node1
"$IMPOSTOR" node --endpoint "tcp://127.0.0.1:$AGENT_PORT" \
    --server-key "$T/keys/scheduler.pub" --key "$T/keys/node2.key" --node node2 \
    --flag "$T/forge" --claim "$running" --forge-exit >"$T/forge.out" 2>&1 &
imp=$!
PIDS+=("$imp")
wait_until 10 "the impostor registered" test -e "$T/forge.ready"
wait_until 10 "node2 UP" node_state_is node2 UP
billed=$(as tenant-a submit -n 1 -- true)
t_submit=$(date +%s)
wait "$imp" || fail "impostor (forge): $(cat "$T/forge.out")"
sed 's/^/    /' "$T/forge.out"
wait_until 10 "job $billed ended" job_ended tenant-a "$billed"
t_end=$(date +%s)
grep -q "node node2 listed 1 job not placed there" "$T/scheduler.log" ||
    fail "the claim was not logged"
secs=$(sqlite3 "$STORE_DB" "SELECT core_seconds FROM acct WHERE job_id = $billed")
awk -v s="$secs" -v lim="$((t_end - t_submit + 2))" 'BEGIN { exit !(s >= 0 && s <= lim) }' ||
    fail "job $billed charged $secs core-seconds for a run of at most $((t_end - t_submit + 2)) s"
end=$(job_field tenant-a "$billed" end_time)
awk -v e="$end" -v now="$t_end" 'BEGIN { exit !(e <= now + 1) }' ||
    fail "job $billed ended at $end, after now ($t_end)"
log "a forged exit (1 to 1e12) charged $secs core-seconds"

as ops node resume node1 >/dev/null
wait_until 20 "the claimed jobs ended" all_ended tenant-a "$running"
wait_until 20 "the claimed jobs ended" all_ended tenant-b "$pending"
[ "$(job_field tenant-a "$running" state)" = COMPLETED ] ||
    fail "claimed running job: $(job_field tenant-a "$running" state)"
[ "$(job_field tenant-a "$running" node)" = node1 ] || fail "claimed job moved"
[ "$(job_field tenant-b "$pending" state)" = COMPLETED ] ||
    fail "claimed pending job: $(job_field tenant-b "$pending" state) ($(job_field tenant-b "$pending" reason))"
log "the jobs node2 claimed ran and completed on node1"

# --- starts failing on a node: requeue limit, the node drains itself -----------

as ops node drain node1 --reason "the test routes jobs to node2" >/dev/null
"$IMPOSTOR" node --endpoint "tcp://127.0.0.1:$AGENT_PORT" \
    --server-key "$T/keys/scheduler.pub" --key "$T/keys/node2.key" --node node2 \
    --flag "$T/fail" --fail-starts 3 >"$T/fail.out" 2>&1 &
imp=$!
PIDS+=("$imp")
wait_until 10 "the impostor registered" test -e "$T/fail.ready"
wait_until 10 "node2 UP" node_state_is node2 UP
doomed=$(as tenant-a submit -n 1 -- true)
reason_has() { job_field tenant-a "$doomed" reason | grep -q "$1"; }
wait_until 15 "job $doomed waits after its first lost run" \
    reason_has "Requeued 1 of 2 times; eligible in"
wait_until 30 "job $doomed NODE_FAIL" job_state_is tenant-a "$doomed" NODE_FAIL
wait "$imp" || fail "impostor (fail): $(cat "$T/fail.out")"
reason=$(job_field tenant-a "$doomed" reason)
[[ "$reason" == "requeued 2 times, the limit: start failed on node2"* ]] ||
    fail "NODE_FAIL reason: $reason"
runs=$(sqlite3 "$STORE_DB" "SELECT count(*) FROM acct WHERE job_id = $doomed AND failed_run = 1")
[ "$runs" -eq 3 ] || fail "job $doomed: $runs failed runs accounted, not 3"
wait_until 10 "node2 drained" node_state_is node2 DRAIN
nreason=$(node_field node2 reason)
[[ "$nreason" == "3 job starts failed in a row: cannot create the job directory"* ]] ||
    fail "node2 drain reason: $nreason"
log "job $doomed: 3 lost runs, then NODE_FAIL ($reason); node2: $nreason"
as ops node resume node2 >/dev/null
[ "$(node_field node2 state)" != DRAIN ] || fail "node2 still drained after resume"

# --- a job without --mem has a memory limit ----------------------------------------

as ops node resume node1 >/dev/null
mem_job=$(as tenant-a submit -n 2 -- sleep 1)
wait_until 10 "job $mem_job on node1" job_on tenant-a "$mem_job" node1
limit=$(job_field tenant-a "$mem_job" mem)
node_mem=$(node_field node1 mem)
[ "$limit" -eq $((node_mem / 4 * 2)) ] ||
    fail "job without --mem: limit $limit, want $((node_mem / 4 * 2)) (2 of 4 cores of $node_mem)"
as tenant-a show "$mem_job" | grep -qi "mem" || fail "cphub show names no memory"
log "a job without --mem holds $limit bytes (2 cores of node1)"
wait_until 20 "job $mem_job ended" job_ended tenant-a "$mem_job"

# --- a scheduler of a new hub on a lost database: the agent refuses it -----------

stop_pid "$SCHED_PID"
forget_pid "$SCHED_PID"
mv "$STORE_DB" "$T/lost.db"
rm -f "$STORE_DB"-wal "$STORE_DB"-shm
start_scheduler # no store file: a new hub
wait_until 20 "the new scheduler answers" sched_answers
newhub=$(sqlite3 "$STORE_DB" "SELECT value FROM meta WHERE key = 'hub_id'")
[ "$newhub" != "$hub" ] || fail "the new store has the old hub id"
wait_until 30 "node1 refuses hub $newhub" \
    grep -q "the scheduler belongs to hub $newhub, but this node joined hub $hub" \
    "$T/agent-node1.log"
orphan=$(as tenant-a submit -n 1 -- true)
sleep 3 # a job.run may be on its way: nothing may come of it
[ "$(job_field tenant-a "$orphan" state)" != COMPLETED ] ||
    fail "node1 ran job $orphan for a hub it did not join"
grep -qx "$hub" "$T/state/node1/hub_id" || fail "node1 forgot its hub"
log "node1 refused the new hub $newhub"
stop_agent TERM node1
"$AGENT_BIN" -c "$T/agent-node1.conf" --join-new-hub >>"$T/agent-node1.log" 2>&1 &
AGENT_PIDS[node1]=$!
PIDS+=("$!")
wait_until 10 "node1 joined hub $newhub" grep -qx "$newhub" "$T/state/node1/hub_id"
wait_until 60 "job $orphan completed after --join-new-hub" \
    job_state_is tenant-a "$orphan" COMPLETED
log "with --join-new-hub node1 follows hub $newhub"
