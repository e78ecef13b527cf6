# lib.sh: shared by the integration tests, which source it. A test builds a
# hub in its own temporary directory: keys from the real `cphub keygen`,
# configs, free loopback ports, a real cphub-scheduler and real cphub-agent
# processes. It drives them with the real `cphub` command and, on exit, stops
# exactly the processes it started, by pid. Waiting is polling a condition
# with a deadline. Exit status follows automake: 0 pass, 1 fail, 77 skip.

set -euo pipefail

B=${CPHUB_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
S=${CPHUB_SRCDIR:-$B}
SCHED_BIN=$B/scheduler/cphub-scheduler
AGENT_BIN=$B/agent/cphub-agent
CPHUB_BIN=$B/cli/cphub
T=$(mktemp -d "${TMPDIR:-/tmp}/cphub-it.XXXXXX")
PIDS=()
SCHED_PID=
declare -A AGENT_PIDS=()
TEST_NAME=$(basename "$0" .sh)

log() { printf '%s: %s\n' "$TEST_NAME" "$*"; }
fail() {
    printf '%s: FAIL: %s\n' "$TEST_NAME" "$*" >&2
    exit 1
}
skip() {
    printf '%s: SKIP: %s\n' "$TEST_NAME" "$*"
    exit 77
}

# Stop one process we started: TERM, then KILL after a deadline.
stop_pid() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    local pid
    for pid in "${PIDS[@]}"; do
        stop_pid "$pid"
    done
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
        for f in "$T"/*.log; do
            [ -f "$f" ] || continue
            echo "---- $f (last 40 lines)"
            tail -n 40 "$f"
        done
    fi
    rm -rf "$T"
    exit "$rc"
}
trap cleanup EXIT

# A TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
    local p used
    used=$(ss -Htln 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)
    while :; do
        p=$((20000 + RANDOM % 40000))
        if ! grep -qx "$p" <<<"$used" && ! grep -qx "$p" "$T/.ports" 2>/dev/null; then
            echo "$p" >>"$T/.ports"
            echo "$p"
            return
        fi
    done
}

# wait_until SECONDS DESCRIPTION COMMAND...: poll COMMAND until it succeeds.
wait_until() {
    local secs=$1 what=$2
    shift 2
    local deadline=$((SECONDS + secs))
    while ! "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || fail "timed out after ${secs}s waiting for: $what"
        sleep 0.05
    done
}

# as IDENTITY cphub-args...: run the real CLI with that identity's config.
as() {
    local who=$1
    shift
    CPHUB_CONFIG="$T/$who.conf" "$CPHUB_BIN" "$@"
}

keygen() { "$CPHUB_BIN" keygen "$1" --dir "$T/keys" >/dev/null; }

client_conf() { # client_conf IDENTITY
    cat >"$T/$1.conf" <<CONF
scheduler = "tcp://127.0.0.1:$CLIENT_PORT";
scheduler_key = "keys/scheduler.pub";
key = "keys/$1.key";
timeout = "5s";
CONF
}

# hub_setup NODE=TOPOLOGY...: keys and configs for a scheduler, tenants
# tenant-a and tenant-b, operator ops, an intruder whose key is in no config,
# and one agent per argument (TOPOLOGY "" = this machine).
hub_setup() {
    mkdir -p "$T/keys"
    CLIENT_PORT=$(free_port)
    AGENT_PORT=$(free_port)
    local k
    for k in scheduler tenant-a tenant-b ops intruder; do keygen "$k"; done
    NODES=()
    local spec name topo agents=""
    for spec in "$@"; do
        name=${spec%%=*}
        topo=${spec#*=}
        NODES+=("$name")
        keygen "$name"
        agents+="  { node = \"$name\"; key = \"keys/$name.pub\"; },"$'\n'
        mkdir -p "$T/state/$name"
        cat >"$T/agent-$name.conf" <<CONF
agent = {
  name = "$name";
  scheduler = "tcp://127.0.0.1:$AGENT_PORT";
  scheduler_key = "keys/scheduler.pub";
  key = "keys/$name.key";
  topology = "$topo";
  state_dir = "state/$name";
  heartbeat_interval = "1s";
  kill_grace = "2s";
  log_level = "debug";
};
CONF
    done
    cat >"$T/scheduler.conf" <<CONF
scheduler = {
  client_endpoint = "tcp://127.0.0.1:$CLIENT_PORT";
  agent_endpoint = "tcp://127.0.0.1:$AGENT_PORT";
  key = "keys/scheduler.key";
  state_dir = "state/scheduler";
  log_level = "debug";
  heartbeat_timeout = "10s";
};
tenants = (
  { name = "tenant-a"; keys = [ "keys/tenant-a.pub" ]; },
  { name = "tenant-b"; keys = [ "keys/tenant-b.pub" ]; }
);
operators = ( { name = "ops"; keys = [ "keys/ops.pub" ]; } );
agents = (
${agents%,$'\n'}
);
CONF
    mkdir -p "$T/state/scheduler"
    for k in tenant-a tenant-b ops intruder; do client_conf "$k"; done
}

start_scheduler() {
    "$SCHED_BIN" -c "$T/scheduler.conf" >>"$T/scheduler.log" 2>&1 &
    SCHED_PID=$!
    PIDS+=("$SCHED_PID")
}

start_agent() { # start_agent NAME
    "$AGENT_BIN" -c "$T/agent-$1.conf" >>"$T/agent-$1.log" 2>&1 &
    AGENT_PIDS[$1]=$!
    PIDS+=("$!")
}

nodes_up() { # nodes_up N: at least N nodes UP
    local n
    n=$(as ops nodes --json | jq '[.[] | select(.state == "UP")] | length')
    [ "$n" -ge "$1" ]
}

# hub_start: scheduler and every agent, and wait until all nodes are UP.
hub_start() {
    start_scheduler
    local n
    for n in "${NODES[@]}"; do start_agent "$n"; done
    wait_until 20 "${#NODES[@]} nodes UP" nodes_up "${#NODES[@]}"
}

job_field() { # job_field IDENTITY ID FIELD
    as "$1" show "$2" --json | jq -r ".$3"
}

job_ended() { # job_ended IDENTITY ID
    local s
    s=$(job_field "$1" "$2" state)
    case "$s" in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL) return 0 ;; esac
    return 1
}

alive() { kill -0 "$1" 2>/dev/null; }
