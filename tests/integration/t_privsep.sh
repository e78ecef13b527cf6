#!/usr/bin/env bash
# Privilege separation of the agent, run as root: the agent is two
# processes. The one holding the ZeroMQ TCP connection to the scheduler runs
# as `nobody` (real, effective, saved and file-system uids and gids), the
# other (the pid we started) is the only one of the two that is root and
# holds no TCP connection. Jobs still run, print (their output comes back
# through `cphub logs`, though `nobody` cannot read the job directories: the
# root process opens the file and passes the descriptor), are cancelled,
# and are adopted by the next agent after the root process is killed
# (the network process notices and exits) and after the network process is
# killed (the root process notices and exits). The agent's log says who the
# network process runs as.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "not root: the agent cannot drop to another user"
command -v ss >/dev/null 2>&1 || skip "no ss here"
command -v runuser >/dev/null 2>&1 || skip "no runuser here"
NOBODY=$(id -u nobody 2>/dev/null) || skip "no user nobody here"

hub_setup "node1=synthetic:package:1 core:4 pu:1"
hub_start
LOG=$T/agent-node1.log

# status_ids PID FIELD: the four ids of /proc/PID/status's Uid or Gid line
status_ids() { awk -v f="$2:" '$1 == f { print $2, $3, $4, $5 }' "/proc/$1/status"; }
# net_pid: the network process of the running agent, from its log
net_pid() {
    sed -n 's/.*cphub-agent\[\([0-9]*\)\] info: privilege separation: this network process runs as nobody.*/\1/p' "$LOG" | tail -n 1
}
# tcp_holders: pids holding a TCP connection to the scheduler's agent port
tcp_holders() {
    ss -Htnp state established "( dport = :$AGENT_PORT )" 2>/dev/null |
        grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u
}
has_tcp() { [ -n "$(tcp_holders)" ]; }
# has_output ID: job ID has printed something
has_output() { [ -n "$(as tenant-a logs "$1" 2>/dev/null)" ]; }
# net_pid_is_not PID: the log names a network process other than PID
net_pid_is_not() {
    local n
    n=$(net_pid)
    [ -n "$n" ] && [ "$n" != "$1" ]
}
# adoptions: how many agents said they adopted one job
adoptions() { grep -c "1 running (adopted)" "$LOG" || true; }
adopted_at_least() { [ "$(adoptions)" -ge "$1" ]; }
# agent_procs: pids of the agent processes of node1 (shepherds excluded)
agent_procs() {
    local p
    for p in /proc/[0-9]*; do
        [ "$(cat "$p/comm" 2>/dev/null)" = cphub-agent ] || continue
        if grep -qaF "$T/agent-node1.conf" "$p/cmdline" 2>/dev/null; then
            echo "${p#/proc/}"
        fi
    done
}

# 1. who is who
root=${AGENT_PIDS[node1]}
wait_until 10 "the agent logs its privilege separation" grep -q "privilege separation: this network process runs as nobody" "$LOG"
net=$(net_pid)
[ -n "$net" ] && [ "$net" != "$root" ] || fail "no network process pid in the log"
[ "$(awk '$1 == "PPid:" { print $2 }' "/proc/$net/status")" = "$root" ] ||
    fail "the network process $net is not the child of the agent $root"
[ "$(status_ids "$net" Uid)" = "$NOBODY $NOBODY $NOBODY $NOBODY" ] ||
    fail "network process uids: $(status_ids "$net" Uid), not nobody's ($NOBODY)"
ngid=$(id -g nobody)
[ "$(status_ids "$net" Gid)" = "$ngid $ngid $ngid $ngid" ] ||
    fail "network process gids: $(status_ids "$net" Gid), not nobody's group ($ngid)"
[ "$(awk '$1 == "Groups:" { print $2 }' "/proc/$net/status")" = "$ngid" ] ||
    fail "network process keeps groups: $(grep Groups: "/proc/$net/status")"
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$net/status" || fail "the network process may gain privileges"
[ "$(status_ids "$root" Uid)" = "0 0 0 0" ] || fail "the root process runs as $(status_ids "$root" Uid)"
wait_until 10 "a TCP connection to the scheduler" has_tcp
[ "$(tcp_holders)" = "$net" ] || fail "the TCP connection is held by '$(tcp_holders)', not by the network process $net"
procs=$(agent_procs | sort -n | tr '\n' ' ')
[ "$procs" = "$(printf '%s\n' "$root" "$net" | sort -n | tr '\n' ' ')" ] ||
    fail "agent processes are '$procs', not the root $root and the network $net"
roots=0
for p in $procs; do [ "$(status_ids "$p" Uid | cut -d' ' -f1)" = 0 ] && roots=$((roots + 1)); done
[ "$roots" -eq 1 ] || fail "$roots agent processes run as root"
log "network process $net runs as nobody and holds the TCP connection; root process $root is the only root one"

# 2. jobs run, and their output comes back though nobody cannot read it
id=$(as tenant-a submit -- sh -c 'echo "out of $CPHUB_JOB_ID"; echo "err of $CPHUB_JOB_ID" >&2')
as tenant-a wait "$id" >/dev/null || fail "job $id failed: $(job_field tenant-a "$id" reason)"
[ "$(job_field tenant-a "$id" state)" = COMPLETED ] || fail "job $id is $(job_field tenant-a "$id" state)"
[ "$(as tenant-a logs "$id")" = "out of $id" ] || fail "stdout of job $id: '$(as tenant-a logs "$id")'"
[ "$(as tenant-a logs "$id" --stderr)" = "err of $id" ] || fail "stderr of job $id: '$(as tenant-a logs "$id" --stderr)'"
out=$(grep -rl "out of $id" "$T/state/node1" 2>/dev/null | head -n 1 || true)
[ -n "$out" ] || fail "no output file of job $id under $T/state/node1"
if runuser -u nobody -- cat "$out" >/dev/null 2>&1; then
    fail "nobody can read $out itself: the test would not show the descriptor passing"
fi
log "job $id ran; its stdout and stderr came back through the root process"

# 3. cancel kills a running job
id=$(as tenant-a submit -- sh -c 'echo $$; exec sleep 60')
wait_until 10 "job $id RUNNING" job_state_is tenant-a "$id" RUNNING
wait_until 10 "job $id printed its pid" has_output "$id"
pid=$(job_pid node1 "$id") # the host's pid: in its PID namespace the job is 2
alive "$pid" || fail "job $id's process $pid is not alive"
as tenant-a cancel "$id" >/dev/null
wait_until 15 "job $id CANCELLED" job_state_is tenant-a "$id" CANCELLED
wait_until 10 "job $id's process ended" sh -c "! kill -0 $pid 2>/dev/null"
log "job $id cancelled: its process is gone"

# 4. the root process killed: the network process exits, the job runs on,
#    the next agent adopts it
job_pid_of() { job_pid node1 "$1"; }
id=$(as tenant-a submit -- sh -c 'echo $$; sleep 4; exit 3')
wait_until 10 "job $id RUNNING" job_state_is tenant-a "$id" RUNNING
wait_until 10 "job $id printed its pid" has_output "$id"
pid=$(job_pid_of "$id")
stop_agent KILL node1
wait_until 10 "the network process $net exits without its root process" sh -c "! kill -0 $net 2>/dev/null"
alive "$pid" || fail "job $id died with its agent"
start_agent node1
root=${AGENT_PIDS[node1]}
wait_until 10 "the new agent adopts job $id" adopted_at_least 1
wait_until 15 "job $id ended" job_ended tenant-a "$id"
[ "$(job_field tenant-a "$id" state)" = FAILED ] && [ "$(job_field tenant-a "$id" exit_code)" = 3 ] ||
    fail "adopted job $id is $(job_field tenant-a "$id" state) (exit $(job_field tenant-a "$id" exit_code)), not FAILED (exit 3)"
log "root process killed: the network process left, job $id adopted and ended with exit 3"

# 5. the network process killed: the root process exits, the job runs on
wait_until 10 "the new network process" net_pid_is_not "$net"
net=$(net_pid)
id=$(as tenant-a submit -- sh -c 'echo $$; sleep 4')
wait_until 10 "job $id RUNNING" job_state_is tenant-a "$id" RUNNING
wait_until 10 "job $id printed its pid" has_output "$id"
pid=$(job_pid_of "$id")
kill -KILL "$net"
wait_until 10 "the root process $root exits without its network process" sh -c "! kill -0 $root 2>/dev/null"
alive "$pid" || fail "job $id died with the network process"
grep -q "the network process closed its end: stopping" "$LOG" || fail "the root process did not say why it stopped"
forget_pid "$root"
wait "$root" 2>/dev/null || true
start_agent node1
wait_until 10 "the third agent adopts job $id" adopted_at_least 2
wait_until 15 "job $id ended" job_ended tenant-a "$id"
[ "$(job_field tenant-a "$id" state)" = COMPLETED ] || fail "job $id is $(job_field tenant-a "$id" state)"
log "network process killed: the root process left, job $id adopted and COMPLETED"
