#!/usr/bin/env bash
# The walking hub end to end: three agents with different synthetic
# topologies; 200 trivial jobs submitted at once all complete; a failing job
# keeps its exit code through `cphub wait`; an impossible job is refused at
# submit naming the largest node; output comes back through `cphub logs`;
# #CPHUB directives apply; cancel kills a running job; the report counts.
. "$(dirname "$0")/lib.sh"

hub_setup "node1=synthetic:package:1 core:4 pu:1" \
    "node2=synthetic:package:2 numa:1 core:4 pu:2" \
    "node3=synthetic:package:1 core:2 pu:1"
hub_start
log "3 nodes up"

# 200 jobs at once (parallel submits), then wait on all of them.
ids=()
sub_pids=()
for i in $(seq 1 200); do
    as tenant-a submit -J "t$i" -- true >"$T/sub.$i" 2>&1 &
    sub_pids+=("$!")
done
for pid in "${sub_pids[@]}"; do
    wait "$pid" || fail "a submit failed: $(cat "$T"/sub.* | grep -v '^[0-9]*$' | head -n 3)"
done
for i in $(seq 1 200); do
    id=$(cat "$T/sub.$i")
    [[ "$id" =~ ^[0-9]+$ ]] || fail "submit printed '$id', not a job id"
    ids+=("$id")
done
[ "$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)" -eq 200 ] || fail "job ids are not unique"
as tenant-a wait -q "${ids[@]}" || fail "cphub wait on the 200 jobs exited $?"
completed=$(as tenant-a jobs --all --json | jq '[.[] | select(.state == "COMPLETED" and (.name | startswith("t")))] | length')
[ "$completed" -eq 200 ] || fail "$completed of 200 jobs COMPLETED"
log "200 jobs COMPLETED"
as ops jobs --all --json | jq -e '[.[] | .node] | unique | length == 3' >/dev/null ||
    fail "the 200 jobs did not use all three nodes"

# exit 3: FAILED with exit code 3, and cphub wait exits 3.
id=$(as tenant-a submit -- sh -c 'exit 3')
rc=0
as tenant-a wait "$id" >/dev/null || rc=$?
[ "$rc" -eq 3 ] || fail "cphub wait on 'exit 3' exited $rc"
[ "$(job_field tenant-a "$id" state)" = FAILED ] || fail "exit 3 job is $(job_field tenant-a "$id" state)"
[ "$(job_field tenant-a "$id" exit_code)" = 3 ] || fail "exit 3 job has exit_code $(job_field tenant-a "$id" exit_code)"
log "exit 3 -> FAILED, wait exits 3"

# A job no node can run is refused at submit, naming the largest node.
if as tenant-a submit -c 64 -- true >"$T/out" 2>"$T/err"; then
    fail "a 64-core job was accepted"
fi
grep -q "largest node has 8" "$T/err" || fail "refusal does not name the largest node: $(cat "$T/err")"
log "impossible job refused: $(cat "$T/err")"

# Output through the scheduler from the agent.
id=$(as tenant-a submit -- sh -c 'echo "hello from $CPHUB_JOB_ID"; echo oops >&2')
as tenant-a wait "$id" >/dev/null
[ "$(as tenant-a logs "$id")" = "hello from $id" ] || fail "stdout was '$(as tenant-a logs "$id")'"
[ "$(as tenant-a logs "$id" --stderr)" = "oops" ] || fail "stderr was '$(as tenant-a logs "$id" --stderr)'"
log "logs ok"

# A script with #CPHUB directives; the command line wins over them.
cat >"$T/job.sh" <<'SCRIPT'
#!/bin/sh
#CPHUB -c 2
#CPHUB -J scripted
echo "cpus=$CPHUB_CPUS"
SCRIPT
chmod +x "$T/job.sh"
id=$(as tenant-b submit "$T/job.sh")
as tenant-b wait "$id" >/dev/null || fail "script job did not complete"
[ "$(job_field tenant-b "$id" name)" = scripted ] || fail "#CPHUB -J not applied"
[ "$(job_field tenant-b "$id" cpus_per_task)" = 2 ] || fail "#CPHUB -c not applied"
cpus=$(job_field tenant-b "$id" cpus)
[ "$(as tenant-b logs "$id")" = "cpus=$cpus" ] || fail "CPHUB_CPUS differs from the placement $cpus"
id=$(as tenant-b submit -c 1 "$T/job.sh")
as tenant-b wait "$id" >/dev/null
[ "$(job_field tenant-b "$id" cpus_per_task)" = 1 ] || fail "command line did not win over #CPHUB"
log "script directives ok"

# Cancel a running job: its process group is killed, it ends CANCELLED.
id=$(as tenant-b submit -- sleep 300)
wait_until 10 "job $id RUNNING" job_state_is tenant-b "$id" RUNNING
as tenant-b cancel "$id"
rc=0
as tenant-b wait "$id" >/dev/null || rc=$?
[ "$rc" -ne 0 ] || fail "wait on a cancelled job exited 0"
[ "$(job_field tenant-b "$id" state)" = CANCELLED ] || fail "cancelled job is $(job_field tenant-b "$id" state)"
log "cancel ok"

# The report counts both tenants.
as ops report --json >"$T/report.json"
jq -e '.tenants[] | select(.tenant == "tenant-a") | .jobs == 202 and .completed == 201 and .failed == 1' "$T/report.json" >/dev/null ||
    fail "report for tenant-a is wrong: $(cat "$T/report.json")"
jq -e '.tenants[] | select(.tenant == "tenant-b") | .cancelled == 1' "$T/report.json" >/dev/null ||
    fail "report for tenant-b is wrong: $(cat "$T/report.json")"
log "report ok"
