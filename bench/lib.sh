# bench/lib.sh: shared by the bench/ scripts, which source it. A benchmark
# builds a hub in its own temporary directory (keys from the real `cphub
# keygen`, a scheduler config on free loopback ports), starts real
# cphub-scheduler processes, and on exit stops exactly the processes it
# started, by pid. Programs come from the build directory: CPHUB_BUILDDIR,
# else the directory above this script (an in-tree build).

set -euo pipefail

B=${CPHUB_BUILDDIR:-$(cd "$(dirname "$0")/.." && pwd)}
SCHED_BIN=$B/scheduler/cphub-scheduler
CPHUB_BIN=$B/cli/cphub
T=$(mktemp -d "${TMPDIR:-/tmp}/cphub-bench.XXXXXX")
PIDS=()
SCHED_PID=

for bin in "$SCHED_BIN" "$CPHUB_BIN"; do
    [ -x "$bin" ] || {
        echo "$(basename "$0"): missing $bin: build first (make), or set CPHUB_BUILDDIR" >&2
        exit 1
    }
done

# Stop one process we started: TERM, then KILL after 5 s.
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
    local rc=$? pid
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    rm -rf "$T"
    exit "$rc"
}
trap cleanup EXIT

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

# hub_setup [LOG_LEVEL]: keys (scheduler, tenant-a, ops), scheduler.conf and
# client configs. bench/submit logs at warn: it measures the work, not the
# logging of every submit. A benchmark hub takes simulated nodes
# (allow_simulated_nodes): bench/many-nodes and others play them.
hub_setup() {
    local level=${1:-info}
    mkdir -p "$T/keys" "$T/state"
    CLIENT_PORT=$(free_port)
    AGENT_PORT=$(free_port)
    local k
    for k in scheduler tenant-a ops; do
        "$CPHUB_BIN" keygen "$k" --dir "$T/keys" >/dev/null
    done
    cat >"$T/scheduler.conf" <<CONF
scheduler = {
  client_endpoint = "tcp://127.0.0.1:$CLIENT_PORT";
  agent_endpoint = "tcp://127.0.0.1:$AGENT_PORT";
  key = "keys/scheduler.key";
  state_dir = "state";
  log_level = "$level";
  log_file = "scheduler.log";
  allow_simulated_nodes = true;
};
tenants = ( { name = "tenant-a"; keys = [ "keys/tenant-a.pub" ]; } );
operators = ( { name = "ops"; keys = [ "keys/ops.pub" ]; } );
CONF
    for k in tenant-a ops; do
        cat >"$T/$k.conf" <<CONF
scheduler = "tcp://127.0.0.1:$CLIENT_PORT";
scheduler_key = "keys/scheduler.pub";
key = "keys/$k.key";
timeout = "5s";
CONF
    done
}

# start_scheduler ARGS...: one scheduler with these extra flags; --init
# (a new hub) when there is no store file yet.
start_scheduler() {
    local init=()
    [ -e "$T/state/cphub.db" ] || init=(--init)
    "$SCHED_BIN" -c "$T/scheduler.conf" "${init[@]}" "$@" >>"$T/scheduler.out" 2>&1 &
    SCHED_PID=$!
    PIDS+=("$SCHED_PID")
}

stop_scheduler() {
    stop_pid "$SCHED_PID"
    local keep=() pid
    for pid in "${PIDS[@]}"; do [ "$pid" = "$SCHED_PID" ] || keep+=("$pid"); done
    PIDS=("${keep[@]}")
    SCHED_PID=
}

# The scheduler answers a `cphub jobs` request. Asked only once its client
# port listens: a client started earlier would wait out its reconnect
# backoff, and that wait is not the scheduler's.
answers() {
    [ -n "$(ss -Htln "sport = :$CLIENT_PORT" 2>/dev/null)" ] &&
        CPHUB_CONFIG="$T/ops.conf" "$CPHUB_BIN" jobs >/dev/null 2>&1
}

# wait_answers SECONDS: poll until the scheduler answers, or fail.
wait_answers() {
    local deadline=$((SECONDS + $1))
    until answers; do
        if [ "$SECONDS" -ge "$deadline" ] || ! kill -0 "$SCHED_PID" 2>/dev/null; then
            echo "$(basename "$0"): the scheduler did not answer; its log:" >&2
            tail -n 20 "$T/scheduler.log" "$T/scheduler.out" >&2 2>/dev/null || true
            exit 1
        fi
        sleep 0.01
    done
}

now() { date +%s.%N; }
