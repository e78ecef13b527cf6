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

# same_proc PID START: PID is still the process that started at START (field
# 22 of /proc/PID/stat, counted after the command name, which may hold
# spaces), not another that got its pid since.
same_proc() {
    [ "$1" -gt 0 ] 2>/dev/null &&
        [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $20 }')" = "$2" ]
}

# Jobs still running when a test ends would outlive it under their shepherds
# (which is what shepherds are for): kill each job's process group and its
# shepherd, found by the agents' records, if they are still the processes
# recorded.
kill_leftover_jobs() {
    local f pid start shep shep_start
    for f in "$T"/state/*/runs/*/pid; do
        [ -f "$f" ] || continue
        read -r pid start shep shep_start < <(awk '
            $1 == "pid" { p = $2 } $1 == "proc_start" { ps = $2 }
            $1 == "shepherd" { s = $2 } $1 == "shepherd_start" { ss = $2 }
            END { print p + 0, ps + 0, s + 0, ss + 0 }' "$f" 2>/dev/null) || continue
        if same_proc "$pid" "$start"; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
        if same_proc "$shep" "$shep_start"; then kill -KILL "$shep" 2>/dev/null || true; fi
    done
    return 0
}

cleanup() {
    local rc=$?
    local pid
    for pid in "${PIDS[@]}"; do
        stop_pid "$pid"
    done
    kill_leftover_jobs
    sanitizer_reports || rc=1
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
        p=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+)
        if ! grep -qx "$p" <<<"$used" && ! grep -qx "$p" "$T/.ports" 2>/dev/null; then
            echo "$p" >>"$T/.ports"
            echo "$p"
            return
        fi
    done
}

# wait_until SECONDS DESCRIPTION COMMAND...: poll COMMAND until it succeeds.
# The shell expands COMMAND's words once, before the first poll, so a
# comparison of words (`test "$(job_field ...)" = RUNNING`) could never see
# a change: wait_until refuses `test`/`[` with a string or number
# comparison. Poll a function that runs the query each time
# (job_state_is, node_field_is, ...); file tests (`test -e FILE`) are fine.
wait_until() {
    local secs=$1 what=$2 a
    shift 2
    if [ "$1" = test ] || [ "$1" = "[" ]; then
        for a in "${@:2}"; do
            case "$a" in
            = | == | != | -eq | -ne | -lt | -le | -gt | -ge | -n | -z)
                fail "wait_until '$what': '$*' compares words expanded once, before waiting; poll a function that queries each time"
                ;;
            esac
        done
    fi
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
# and one agent per argument (TOPOLOGY "" = this machine). A test may set,
# before hub_setup, TENANT_EXTRA_tenant_a / TENANT_EXTRA_tenant_b (settings
# added to that tenant's entry, e.g. "max_running_cores = 2; budget = 1.0;")
# and SCHED_EXTRA (top-level settings, e.g. "billing = { gpu_hour = 10.0; };"),
# SCHED_GROUP_EXTRA (settings added to the scheduler group, e.g.
# "max_requeue = 2;"),
# and AGENT_EXTRA (settings added to every agent's group, e.g.
# "pids_max = 64;").
#
# Agents run as root in CI. A root agent refuses the jobs of tenants it maps
# to no Unix user rather than run them as root, unless allow_root_jobs is
# true; tests that are not about who jobs run as set it (ALLOW_ROOT_JOBS,
# default true), so that their jobs run as they always did. Tests about
# isolation map tenants to users in AGENT_EXTRA (the map then decides), or
# set ALLOW_ROOT_JOBS=false to see the refusal.
hub_setup() {
    mkdir -p -m 700 "$T/keys" # as a hub keeps them: no job reads them
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
  allow_root_jobs = ${ALLOW_ROOT_JOBS:-true};
$(agent_features_conf "$name")
${AGENT_EXTRA:-}
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
  # lost runs requeue after 1s (doubling), not the default 10s: tests wait less
  requeue_delay = "1s";
  max_requeue = 3;
  max_start_failures = 3;
${SCHED_GROUP_EXTRA:-}
};
tenants = (
  { name = "tenant-a"; keys = [ "keys/tenant-a.pub" ]; ${TENANT_EXTRA_tenant_a:-} },
  { name = "tenant-b"; keys = [ "keys/tenant-b.pub" ]; ${TENANT_EXTRA_tenant_b:-} }
);
${SCHED_EXTRA:-}
operators = ( { name = "ops"; keys = [ "keys/ops.pub" ]; } );
agents = (
${agents%,$'\n'}
);
CONF
    mkdir -p "$T/state/scheduler"
    for k in tenant-a tenant-b ops intruder; do client_conf "$k"; done
}

# start_scheduler: the hub's scheduler; the first start (no store file yet)
# creates the hub with --init, later ones find it in the store.
start_scheduler() {
    local init=()
    [ -e "$T/state/scheduler/cphub.db" ] || init=(--init)
    "$SCHED_BIN" -c "$T/scheduler.conf" "${init[@]}" >>"$T/scheduler.log" 2>&1 &
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
    case "$s" in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) return 0 ;; esac
    return 1
}

alive() { kill -0 "$1" 2>/dev/null; }

# --- node failures, drain, wall time -----------------------------------------

# conf_set FILE KEY VALUE: set an existing `KEY = ...;` line of a config
# written above (VALUE as libconfig text, e.g. '"3s"').
conf_set() {
    grep -q "^ *$2 = " "$1" || fail "conf_set: no '$2' in $1"
    sed -i "s|^\( *\)$2 = .*;|\1$2 = $3;|" "$1"
}

node_field() { # node_field NODE FIELD (as the operator sees it)
    as ops nodes --json | jq -r ".[] | select(.name == \"$1\") | .$2"
}

node_field_is() { [ "$(node_field "$1" "$2")" = "$3" ]; }      # node_field_is NODE FIELD VALUE
node_state_is() { node_field_is "$1" state "$2"; }               # node_state_is NODE STATE
job_state_is() { [ "$(job_field "$1" "$2" state)" = "$3" ]; } # job_state_is IDENT ID STATE
job_on() { [ "$(job_field "$1" "$2" node)" = "$3" ] && job_state_is "$1" "$2" RUNNING; }

# all_ended IDENTITY ID...: every job has ended.
all_ended() {
    local who=$1 id
    shift
    for id in "$@"; do job_ended "$who" "$id" || return 1; done
}

# all_in_state IDENTITY STATE ID...: every job is in STATE.
all_in_state() {
    local who=$1 state=$2 id
    shift 2
    for id in "$@"; do job_state_is "$who" "$id" "$state" || return 1; done
}

# acct_rows SQL-WHERE: the accounting records (run|node|state|failed_run),
# one per line, from the scheduler's SQLite store; exit 2 when it cannot be
# read here (no sqlite3, or no store file).
STORE_DB=$T/state/scheduler/cphub.db
acct_rows() {
    command -v sqlite3 >/dev/null 2>&1 && [ -f "$STORE_DB" ] || return 2
    sqlite3 "$STORE_DB" \
        "SELECT run, node, state, failed_run FROM acct WHERE $1 ORDER BY job_id, run;"
}

# job_procs DIR: how many live processes have their cwd under DIR (a node's
# job directories): jobs the agent still runs there.
job_procs() {
    local p n=0 cwd
    for p in /proc/[0-9]*; do
        cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
        case "$cwd" in "$1"/*) n=$((n + 1)) ;; esac
    done
    echo "$n"
}

no_job_procs() { [ "$(job_procs "$1")" -eq 0 ]; } # no_job_procs DIR

# at_exit CMD...: run CMD when the test ends, after its processes stopped
# (e.g. to delete a network namespace the test made).
AT_EXIT=()
at_exit() {
    AT_EXIT+=("$*")
    trap cleanup_at_exit EXIT
}
cleanup_at_exit() {
    local rc=$? pid c
    set +e
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    for c in "${AT_EXIT[@]}"; do eval "$c" >/dev/null 2>&1; done
    (exit "$rc")
    cleanup
}

# --- durable state (t_restart, t_store_crash) ---------------------------------

# forget_pid PID: a process we started was reaped; cleanup leaves its pid
# alone (it may belong to another process by then).
forget_pid() {
    local keep=() pid
    for pid in "${PIDS[@]}"; do [ "$pid" = "$1" ] || keep+=("$pid"); done
    PIDS=("${keep[@]}")
}

# kill9_scheduler: SIGKILL the scheduler we started, reap and forget it.
kill9_scheduler() {
    kill -KILL "$SCHED_PID" 2>/dev/null || true
    wait "$SCHED_PID" 2>/dev/null || true
    forget_pid "$SCHED_PID"
    SCHED_PID=
}

# The scheduler answers clients (any reply, even to an empty hub).
sched_answers() { as ops jobs >/dev/null 2>&1; }

# --- agent restarts (t_agent_restart) ------------------------------------------

# stop_agent SIGNAL NODE: signal the agent we started for NODE, reap it and
# forget it (its jobs run on under their shepherds).
stop_agent() {
    local pid=${AGENT_PIDS[$2]}
    kill -"$1" "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    forget_pid "$pid"
}

# job_pid NODE ID: the pid of a job's process, from the agent's pid file.
job_pid() { awk '$1 == "pid" { print $2 }' "$T/state/$1/runs/$2/pid"; }
# job_dir NODE ID: the working directory of the latest run of job ID on NODE
# (named in the agent's run record; empty when there is none).
job_dir() {
    local name
    name=$(awk '$1 == "name" { print $2 }' "$T/state/$1/runs/$2/run" 2>/dev/null)
    [ -n "$name" ] && echo "$T/state/$1/jobs/$name"
}

# --- features, arrays, dependencies, multi-node jobs --------------------------

# Features per node for hub_setup: a test sets, before hub_setup,
#     declare -A FEATURES=([node1]="avx512,a100" [node2]="h100")
# and each named agent's config gets `features = [ ... ];` (none otherwise).
agent_features_conf() { # agent_features_conf NODE
    local decl f list=""
    decl=$(declare -p FEATURES 2>/dev/null) || return 0
    [[ $decl == "declare -A"* ]] || return 0
    f=${FEATURES[$1]:-}
    [ -n "$f" ] || return 0
    local IFS=,
    for f in $f; do list+="${list:+, }\"$f\""; done
    printf '  features = [ %s ];' "$list"
}

# cores_free NODE...: no core of any NODE is in use.
cores_free() {
    local n
    for n in "$@"; do node_field_is "$n" cores_used 0 || return 1; done
}

# jobs_json IDENTITY: every job of IDENTITY (all states) as a JSON array.
jobs_json() { as "$1" jobs --all --json; }

# max_overlap FILE: the largest number of jobs running at once, from a JSON
# array of jobs with start_time and end_time (jobs that never started skip).
max_overlap() {
    jq '[.[] | select(.start_time > 0) | ([.start_time, 1], [.end_time, -1])]
        | sort_by(.[0], .[1]) | reduce .[] as $e ({n: 0, m: 0};
            .n += $e[1] | .m = ([.m, .n] | max)) | .m' "$1"
}

# --- sanitizers ---------------------------------------------------------------

# Under `scripts/check --sanitize` the programs are built with ASan and UBSan.
# Every program a test starts (daemons, shepherds, the CLI) writes any report
# to $T/sanitizer/<tool>.<pid> instead of its stderr, and cleanup fails the
# test when one appeared: a daemon's error is seen even though nobody reads
# its stderr. Harmless without sanitizers (nothing writes there).
# The agent's network process runs as an unprivileged user (privilege
# separation, as root): it must reach $T (by name only) and write its reports.
mkdir -p "$T/sanitizer"
chmod o+x "$T"
chmod 1733 "$T/sanitizer"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$T/sanitizer/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$T/sanitizer/ubsan"

# sanitizer_reports: print the reports written so far; 1 if there are any.
sanitizer_reports() {
    local f found=0
    for f in "$T"/sanitizer/*; do
        [ -f "$f" ] || continue
        found=1
        printf '%s: FAIL: sanitizer report %s\n' "$TEST_NAME" "$(basename "$f")" >&2
        head -n 80 "$f" >&2
    done
    return "$found"
}

# --- tenants and keys (t_tenants) -----------------------------------------------

# stop_job_procs DIR: TERM, by pid, every process whose cwd is under DIR (the
# jobs of the test's nodes, which outlive their agents by design), so that a
# test that stops half-way leaves no job of its own running. For at_exit.
stop_job_procs() {
    local p cwd
    for p in /proc/[0-9]*; do
        cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
        case "$cwd" in "$1"/*) kill -TERM "${p#/proc/}" 2>/dev/null || true ;; esac
    done
}
