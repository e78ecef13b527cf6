#!/usr/bin/env bash
# A full scheduler disk: the store lives on a small tmpfs that a file then
# fills. A submit is answered at once with "the scheduler cannot save: disk
# full" (not left to time out), is not acknowledged and leaves no job
# behind; reads (`cphub jobs`, `cphub nodes`) are still answered. Once there
# is room again, submits are taken and run.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs for the store"
hub_setup "node1=synthetic:package:1 core:2 pu:1"
store_dir=$T/state/scheduler
mkdir -p "$store_dir"
mount -t tmpfs -o size=4m cphub-store-full "$store_dir" 2>"$T/mount.err" ||
    skip "cannot mount a tmpfs: $(cat "$T/mount.err")"
at_exit umount -l "$store_dir"
start_scheduler
start_agent node1
wait_until 20 "node1 UP" nodes_up 1
first=$(as tenant-a submit -- true)
wait_until 20 "job $first ended" job_state_is tenant-a "$first" COMPLETED

dd if=/dev/zero of="$store_dir/filler" bs=64k >/dev/null 2>&1 || true # until full
t0=$(date +%s%N)
if out=$(as tenant-a submit -- true 2>&1); then
    fail "a submit was acknowledged on a full disk: $out"
fi
ms=$((($(date +%s%N) - t0) / 1000000))
grep -q "the scheduler cannot save: disk full" <<<"$out" || fail "submit on a full disk: $out"
[ "$ms" -lt 3000 ] || fail "the refusal took $ms ms (the client gives up after 5 s)"
log "a submit on a full disk: refused in $ms ms: $out"
n=$(as tenant-a jobs --all --json | jq length) || fail "jobs not answered on a full disk"
[ "$n" -eq 1 ] || fail "$n jobs after a refused submit, not 1"
as ops nodes >/dev/null || fail "nodes not answered on a full disk"
log "reads answered on a full disk; the refused submit left no job"

rm -f "$store_dir/filler"
submit_ok() { as tenant-a submit -- true >"$T/next.id" 2>"$T/next.err"; }
wait_until 20 "a submit is taken again" submit_ok
next=$(cat "$T/next.id")
[ "$next" -gt "$first" ] || fail "job id $next after $first"
wait_until 30 "job $next ended" job_state_is tenant-a "$next" COMPLETED
log "room again: job $next submitted and completed"
