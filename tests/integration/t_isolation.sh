#!/usr/bin/env bash
# Isolation on the node, run as root: two Unix users made for the
# test stand for tenant-a and tenant-b. A job runs as its tenant's user, in a
# directory only that user can read (the other tenant's user, and its jobs,
# cannot); a tenant with no user is refused at start with the reason; a job
# that allocates more memory than it asked for ends OUT_OF_MEMORY (one that
# asked for enough completes, so the allocation is real; one that asked none
# ends OUT_OF_MEMORY over its default limit); a job's cpuset
# cgroup equals its placement, its memory and pids limits are set; and a job
# cannot open a GPU device it was not given, shown with two fake GPU device
# nodes that are in fact /dev/full (1:7) and /dev/random (1:8).
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "not root: cannot switch users or make cgroups"
for cmd in useradd userdel runuser mknod findmnt; do
    command -v "$cmd" >/dev/null 2>&1 || skip "no $cmd here"
done

UA=cphub-a-$$
UB=cphub-b-$$
# kill_user USER: every process of a user this test made, by pid.
kill_user() {
    local uid p
    uid=$(id -u "$1" 2>/dev/null) || return 0
    for p in /proc/[0-9]*; do
        [ "$(stat -c %u "$p" 2>/dev/null)" = "$uid" ] && kill -KILL "${p#/proc/}" 2>/dev/null
    done
    return 0
}
for u in "$UA" "$UB"; do
    useradd -r -M -U -s /bin/sh "$u" || skip "useradd $u failed"
    at_exit "kill_user $u; userdel -f $u; groupdel $u"
done

# The job users reach their directories through $T (mktemp made it 0700).
chmod 711 "$T"
mknod -m 666 "$T/fake-gpu0" c 1 7
mknod -m 666 "$T/fake-gpu1" c 1 8
AGENT_EXTRA="  users = ( { tenant = \"tenant-a\"; user = \"$UA\"; group = \"$UA\"; },
            { tenant = \"tenant-b\"; user = \"$UB\"; } );
  gpus = ( { name = \"gpu0\"; numa = 0; device = \"fake-gpu0\"; },
           { name = \"gpu1\"; numa = 0; device = \"fake-gpu1\"; } );
  pids_max = 64;"
# a job that asks no --mem holds 48M per core (the scheduler's default)
SCHED_GROUP_EXTRA='default_mem_per_core = "48M";'
hub_setup "node1="
# tenant-c: known to the scheduler, mapped to no user on node1
keygen tenant-c
client_conf tenant-c
sed -i 's|^\(  { name = "tenant-b"; keys = \[ "keys/tenant-b.pub" \];.*}\)$|\1,\n  { name = "tenant-c"; keys = [ "keys/tenant-c.pub" ]; }|' "$T/scheduler.conf"
grep -q tenant-c "$T/scheduler.conf" || fail "could not add tenant-c to the scheduler's config"
hub_start

iso=$(node_field node1 isolation)
log "node1 isolation: $iso"
case "$iso" in
"cgroup "*) ;;
*) skip "no cgroups on this machine ($iso)" ;;
esac
for ctl in cpuset memory pids devices; do
    [[ "$iso" =~ [:,\ ]$ctl(,|$|\ |\;) ]] || skip "no $ctl cgroup controller here ($iso)"
done
grep -q "jobs run as their tenants' Unix users" "$T/agent-node1.log" ||
    fail "the agent does not say that jobs run as their tenants' users"
JOBS=$T/state/node1/jobs

# --- users ---------------------------------------------------------------------
id=$(as tenant-a submit -- sh -c 'id -un; id -gn; echo "$HOME"; echo "$USER $LOGNAME";
    stat -c "%U %a" . stdout; echo secret-a > mine')
as tenant-a wait "$id" >/dev/null || fail "tenant-a's job $id did not complete: $(job_field tenant-a "$id" reason)"
out=$(as tenant-a logs "$id")
[ "$(sed -n 1p <<<"$out")" = "$UA" ] || fail "tenant-a's job ran as '$(sed -n 1p <<<"$out")', not $UA"
[ "$(sed -n 2p <<<"$out")" = "$UA" ] || fail "tenant-a's job ran in group '$(sed -n 2p <<<"$out")'"
dir=$(job_dir node1 "$id")
[ "$(sed -n 3p <<<"$out")" = "$dir" ] || fail "HOME is '$(sed -n 3p <<<"$out")', not the job directory"
[ "$(sed -n 4p <<<"$out")" = "$UA $UA" ] || fail "USER and LOGNAME are '$(sed -n 4p <<<"$out")'"
[ "$(sed -n 5p <<<"$out")" = "$UA 700" ] || fail "the job directory is '$(sed -n 5p <<<"$out")', not '$UA 700'"
[ "$(sed -n 6p <<<"$out")" = "$UA 600" ] || fail "stdout is '$(sed -n 6p <<<"$out")', not '$UA 600'"
log "tenant-a's job ran as $UA in a 0700 directory of its own"

runuser -u "$UA" -- cat "$dir/mine" >/dev/null || fail "$UA cannot read its own job's file"
if runuser -u "$UB" -- cat "$dir/mine" >"$T/b.out" 2>"$T/b.err"; then
    fail "$UB read tenant-a's job file: $(cat "$T/b.out")"
fi
grep -q "Permission denied" "$T/b.err" || fail "$UB's read failed oddly: $(cat "$T/b.err")"
if runuser -u "$UB" -- ls "$JOBS" >/dev/null 2>&1; then
    fail "$UB can list the jobs directory"
fi
# and a job of tenant-b (running as $UB) cannot read it either
idb=$(as tenant-b submit -- cat "$dir/stdout")
as tenant-b wait "$idb" >/dev/null && fail "tenant-b's job read tenant-a's output"
[ "$(job_field tenant-b "$idb" state)" = FAILED ] || fail "tenant-b's job is $(job_field tenant-b "$idb" state)"
as tenant-b logs "$idb" --stderr | grep -q "Permission denied" ||
    fail "tenant-b's job failed oddly: $(as tenant-b logs "$idb" --stderr)"
log "tenant-b's user and job cannot read tenant-a's job directory"

# a tenant with no user on the node is refused with the reason
idc=$(as tenant-c submit -- true)
wait_until 20 "tenant-c's job ended" job_ended tenant-c "$idc"
[ "$(job_field tenant-c "$idc" state)" = FAILED ] || fail "tenant-c's job is $(job_field tenant-c "$idc" state)"
reason=$(job_field tenant-c "$idc" reason)
[ "$reason" = "tenant tenant-c has no Unix user on node1" ] || fail "tenant-c's job failed with '$reason'"
[ ! -e "$(job_dir node1 "$idc")/stdout" ] || fail "tenant-c's job got a job directory with output"
log "tenant-c refused: $reason"

# --- memory ----------------------------------------------------------------------
# ~100 MB held by the shell: over 32M, under 512M
hog='x=$(head -c 100000000 /dev/zero | tr "\0" a); echo "held ${#x} bytes"'
ok=$(as tenant-a submit --mem 512M -- sh -c "$hog")
oom=$(as tenant-a submit --mem 32M -- sh -c "$hog")
wait_until 60 "both memory jobs ended" all_ended tenant-a "$ok" "$oom"
[ "$(job_field tenant-a "$ok" state)" = COMPLETED ] ||
    fail "the 512M job is $(job_field tenant-a "$ok" state): $(job_field tenant-a "$ok" reason)"
[ "$(as tenant-a logs "$ok")" = "held 100000000 bytes" ] || fail "the 512M job said '$(as tenant-a logs "$ok")'"
rss=$(job_field tenant-a "$ok" max_rss)
[ "$rss" -gt $((32 * 1024 * 1024)) ] || fail "the 512M job peaked at $rss bytes: no more than 32M"
state=$(job_field tenant-a "$oom" state)
reason=$(job_field tenant-a "$oom" reason)
[ "$state" = OUT_OF_MEMORY ] || fail "the 32M job is $state ($reason)"
[ "$reason" = "out of memory (limit 32M)" ] || fail "the 32M job's reason is '$reason'"
rc=0
as tenant-a wait "$oom" >/dev/null || rc=$?
[ "$rc" -ne 0 ] || fail "cphub wait on an OUT_OF_MEMORY job exited 0"
log "held $rss bytes under 512M; under 32M: $state, $reason"
# no --mem: the default limit applies in its cgroup like an asked one
nomem=$(as tenant-a submit -- sh -c "$hog")
wait_until 60 "the job without --mem ended" job_ended tenant-a "$nomem"
[ "$(job_field tenant-a "$nomem" mem)" -eq $((48 * 1024 * 1024)) ] ||
    fail "the job without --mem shows a limit of $(job_field tenant-a "$nomem" mem)"
state=$(job_field tenant-a "$nomem" state)
reason=$(job_field tenant-a "$nomem" reason)
[ "$state" = OUT_OF_MEMORY ] || fail "the job without --mem is $state ($reason)"
log "without --mem: limit 48M shown, $state, $reason"

# --- cpuset, memory and pids limits ------------------------------------------------
# The job reads its own groups (they are gone once it ends).
cat >"$T/limits.sh" <<'SH'
#!/bin/sh
grp() { awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup; }
v2=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
unified=$(findmnt -n -o TARGET -t cgroup2 | head -n 1)
for c in cpuset memory pids; do
    g=$(grp "$c")
    if [ -n "$g" ]; then
        eval "dir_$c=\$(findmnt -n -o TARGET -t cgroup -O $c | head -n 1)\$g"
    else
        eval "dir_$c=\$unified\$v2"
    fi
done
echo "$dir_cpuset"
cat "$dir_cpuset/cpuset.cpus" 2>/dev/null || cat "$dir_cpuset/cpuset.cpus.effective"
grep Cpus_allowed_list /proc/self/status | cut -f2
cat "$dir_memory/memory.limit_in_bytes" 2>/dev/null || cat "$dir_memory/memory.max"
cat "$dir_pids/pids.max"
SH
chmod 755 "$T/limits.sh"
id=$(as tenant-a submit -c 1 --mem 64M -- "$T/limits.sh")
as tenant-a wait "$id" >/dev/null || fail "the limits job failed: $(job_field tenant-a "$id" reason) $(as tenant-a logs "$id" --stderr)"
out=$(as tenant-a logs "$id")
cpus=$(job_field tenant-a "$id" cpus)
[[ "$(sed -n 1p <<<"$out")" == */cphub-node1-*/job-$id ]] || fail "the job's cgroup is '$(sed -n 1p <<<"$out")'"
[ "$(sed -n 2p <<<"$out")" = "$cpus" ] || fail "the job's cpuset is '$(sed -n 2p <<<"$out")', its placement $cpus"
[ "$(sed -n 3p <<<"$out")" = "$cpus" ] || fail "Cpus_allowed_list '$(sed -n 3p <<<"$out")', placement $cpus"
[ "$(sed -n 4p <<<"$out")" = $((64 * 1024 * 1024)) ] || fail "the memory limit is '$(sed -n 4p <<<"$out")'"
[ "$(sed -n 5p <<<"$out")" = 64 ] || fail "pids.max is '$(sed -n 5p <<<"$out")', not 64"
[ ! -e "$(sed -n 1p <<<"$out")" ] || fail "the job's cgroup $(sed -n 1p <<<"$out") is still there"
base=$(dirname "$(sed -n 1p <<<"$out")")
log "job $id: cpuset $cpus as placed, memory limit 64M, pids.max 64, group removed at the end"

# --- GPUs ---------------------------------------------------------------------------
probe='echo "given=$CUDA_VISIBLE_DEVICES"; for g in 0 1; do
    if head -c 1 "'"$T"'/fake-gpu$g" >/dev/null 2>"err$g"; then echo "gpu$g=open"
    else echo "gpu$g=$(sed "s/.*: //" "err$g")"; fi; done'
gpu_check() { # gpu_check ID: the given GPU opens, the other does not
    local out given other
    out=$(as tenant-a logs "$1")
    given=$(sed -n 's/^given=//p' <<<"$out")
    case "$given" in 0) other=1 ;; 1) other=0 ;; *) fail "job $1 was given GPUs '$given'" ;; esac
    grep -qx "gpu$given=open" <<<"$out" || fail "job $1 cannot open its own GPU $given: $out"
    grep -qx "gpu$other=Operation not permitted" <<<"$out" ||
        fail "job $1 was not denied GPU $other: $out"
    log "job $1 given gpu$given: opens it; gpu$other: Operation not permitted"
}
id=$(as tenant-a submit --gpus 1 -- sh -c "$probe")
as tenant-a wait "$id" >/dev/null || fail "GPU job $id failed: $(job_field tenant-a "$id" reason)"
gpu_check "$id"
# while that GPU is busy, the next job gets the other one
hold=$(as tenant-a submit --gpus 1 -- sleep 30)
wait_until 20 "the GPU holder runs" job_state_is tenant-a "$hold" RUNNING
id=$(as tenant-a submit --gpus 1 -- sh -c "$probe")
as tenant-a wait "$id" >/dev/null || fail "GPU job $id failed: $(job_field tenant-a "$id" reason)"
gpu_check "$id"
as tenant-a cancel "$hold" >/dev/null
id=$(as tenant-a submit -- sh -c "$probe")
as tenant-a wait "$id" >/dev/null || fail "job $id failed: $(job_field tenant-a "$id" reason)"
out=$(as tenant-a logs "$id")
grep -qx "gpu0=Operation not permitted" <<<"$out" && grep -qx "gpu1=Operation not permitted" <<<"$out" ||
    fail "a job without GPUs could open one: $out"
log "a job without GPUs opens neither"
wait_until 20 "the GPU holder ended" job_ended tenant-a "$hold"

# --- nothing left behind ------------------------------------------------------------
# The agent keeps its own group while it runs; a job that outlives its agent
# removes it when it ends.
[ -d "$base" ] || fail "the agent's cgroup $base is gone while it runs"
id=$(as tenant-a submit -- sleep 2)
wait_until 20 "job $id's process" test -s "$T/state/node1/runs/$id/pid"
pid=$(job_pid node1 "$id")
stop_agent TERM node1
[ -d "$base/job-$id" ] || fail "job $id lost its cgroup when its agent stopped"
wait_until 20 "job $id's process ended" sh -c "! kill -0 $pid 2>/dev/null"
wait_until 10 "the shepherd removed the agent's group $base" sh -c "[ ! -e '$base' ]"
log "a job that outlived its agent removed the agent's cgroup when it ended"
