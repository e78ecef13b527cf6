#!/usr/bin/env bash
# Multi-node and exclusive jobs through the real CLI: `-N 2 -c 2` runs its
# script once, on the first node, with CPHUB_NODELIST naming both nodes,
# CPHUB_NNODES=2 and CPHUB_CPUS_PER_NODE=2,2; while it runs both nodes show
# their 2 cores used, and nothing of it runs on the second node; its end
# frees both. An --exclusive job holds all of its node. A job spanning more
# nodes than the hub has is refused at submit.
. "$(dirname "$0")/lib.sh"

hub_setup "node1=synthetic:package:1 core:4 pu:1" "node2=synthetic:package:1 core:4 pu:1"
hub_start
log "2 nodes up"

cat >"$T/multi.sh" <<SCRIPT
#!/bin/sh
echo "node=\$CPHUB_NODE list=\$CPHUB_NODELIST n=\$CPHUB_NNODES cpus=\$CPHUB_CPUS_PER_NODE"
i=0
while [ ! -e '$T/go' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i + 1)); done
SCRIPT
chmod +x "$T/multi.sh"
id=$(as tenant-a submit -N 2 -c 2 "$T/multi.sh")
wait_until 10 "job $id RUNNING" job_state_is tenant-a "$id" RUNNING
first=$(job_field tenant-a "$id" node)
[ "$(job_field tenant-a "$id" nodelist)" = "node1,node2" ] ||
    fail "nodelist is '$(job_field tenant-a "$id" nodelist)'"
[ "$first" = node1 ] || fail "the first node is $first"
[ "$(node_field node1 cores_used)" = 2 ] || fail "node1 uses $(node_field node1 cores_used) cores"
[ "$(node_field node2 cores_used)" = 2 ] || fail "node2 uses $(node_field node2 cores_used) cores"
[ ! -e "$T/state/node2/runs/$id" ] || fail "the job has a directory on node2: it ran there"
[ -d "$(job_dir node1 "$id")" ] || fail "no job directory on node1"
log "running on node1, 2 cores held on each node"

# a 3-core job does not fit beside it on either node: it waits
other=$(as tenant-a submit -c 3 -- true)
sleep 0.5
[ "$(job_field tenant-a "$other" state)" = PENDING ] ||
    fail "a 3-core job is $(job_field tenant-a "$other" state) while 2 of 4 cores are held on each node"

touch "$T/go"
as tenant-a wait -q "$id" || fail "the multi-node job did not complete"
out=$(as tenant-a logs "$id")
[ "$out" = "node=node1 list=node1,node2 n=2 cpus=2,2" ] || fail "the job printed '$out'"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "the script ran more than once"
log "environment: $out"
as tenant-a wait -q "$other" || fail "the 3-core job did not run after"
wait_until 10 "cores free on both nodes" cores_free node1 node2

# --exclusive: all 4 cores of its node, whatever it asked
rm -f "$T/go"
x=$(as tenant-a submit --exclusive -n 1 "$T/multi.sh")
wait_until 10 "job $x RUNNING" job_state_is tenant-a "$x" RUNNING
xnode=$(job_field tenant-a "$x" node)
[ "$(node_field "$xnode" cores_used)" = 4 ] || fail "exclusive job holds $(node_field "$xnode" cores_used) cores"
[ "$(job_field tenant-a "$x" cpus)" = 0-3 ] || fail "exclusive job's cpus: $(job_field tenant-a "$x" cpus)"
touch "$T/go"
as tenant-a wait -q "$x" || fail "the exclusive job did not complete"
log "exclusive job held all of $xnode"

if as tenant-a submit -N 3 -- true >"$T/out" 2>"$T/err"; then
    fail "a 3-node job was accepted on a 2-node hub"
fi
grep -q "asked 3 nodes; only 2 nodes can hold" "$T/err" || fail "refusal: $(cat "$T/err")"
log "refused: $(cat "$T/err")"
