#!/usr/bin/env bash
# Hostile jobs against the agent's job runner, through the real CLI. As root
# the tenants are mapped to two Unix users made for the test (as in
# t_isolation.sh); without root the parts that need it are skipped with the
# reason.
#  (a) a job that wrecks its own directory (mkdir status.tmp, rm -rf *,
#      chmod 000 .) ends with its own outcome and its run is charged
#      (failed_run = 0 in the scheduler's acct table), never NODE_FAIL;
#  (b) a job with a 3 s wall time that deletes what it can of its records
#      and then sleeps, with its agent killed (SIGKILL) under it: no process
#      of the job lives past its wall time + grace while no agent runs (its
#      shepherd holds the limit), the restarted agent reports it TIMEOUT,
#      charged once, never run again;
#  (c) every run has a directory of its own, <id>.<token>; another tenant
#      (user and job) cannot read it; it is removed after keep_job_dirs;
#      jobs run with umask 077: a file a job leaves in /tmp is mode 0600,
#      another tenant's job cannot read it;
#  (d) a job writing past max_output ends FAILED "output over 1M limit", so
#      does one that ignores SIGXFSZ, and the agent serves the next job;
#  (e) as root, a job sees only its own processes in /proc;
#  (f) as root with cgroups: a job whose records are gone (the operator's
#      doing; no job can) when its agent restarts is killed through its
#      cgroup and reported, never left running;
#  (g) as root: a job that fills the disk of the agent's state directory (a
#      small tmpfs here) ends COMPLETED and charged; with keep_job_dirs 1h
#      its directory is removed at once all the same (the disk is nearly
#      full), so that the next jobs start (three failed starts would drain
#      the node) and the node stays UP.
#  (h) as root with a pids cgroup: jobs together cannot take more than
#      pids_max_all processes (40 here, each job may have 4096): with one
#      tenant's job holding 25, another's cannot fork 25 more, the node
#      stays UP and the next job runs (on a real node the default keeps a
#      quarter of the kernel's pid_max for the agent and the system).
. "$(dirname "$0")/lib.sh"

ROOT=false
[ "$(id -u)" = 0 ] && ROOT=true
UA=cphub-ha-$$
UB=cphub-hb-$$
AGENT_EXTRA="  keep_job_dirs = \"3s\";
  max_output = \"1M\";
  pids_max_all = 40;"
if $ROOT && command -v useradd >/dev/null 2>&1 && command -v runuser >/dev/null 2>&1; then
    kill_user() {
        local uid p
        uid=$(id -u "$1" 2>/dev/null) || return 0
        for p in /proc/[0-9]*; do
            [ "$(stat -c %u "$p" 2>/dev/null)" = "$uid" ] && kill -KILL "${p#/proc/}" 2>/dev/null
        done
        return 0
    }
    for u in "$UA" "$UB"; do
        useradd -r -M -U -s /bin/sh "$u" || fail "useradd $u failed"
        at_exit "kill_user $u; userdel -f $u; groupdel $u"
    done
    chmod 711 "$T"
    AGENT_EXTRA+="
  users = ( { tenant = \"tenant-a\"; user = \"$UA\"; }, { tenant = \"tenant-b\"; user = \"$UB\"; } );"
    USERS=true
else
    USERS=false
    log "not root: jobs run as the agent's user; the parts that need users are skipped"
fi
hub_setup "node1=synthetic:package:1 core:4 pu:1"
TMPFS=false
if $ROOT && mount -t tmpfs -o size=32m,mode=0755 cphub-test "$T/state/node1" 2>/dev/null; then
    TMPFS=true
    at_exit "umount -l $T/state/node1"
fi
hub_start
JOBS=$T/state/node1/jobs
RUNS=$T/state/node1/runs
at_exit "stop_job_procs $JOBS"

# charged_once ID STATE: one accounting record of job ID, in STATE, charged
charged_once() {
    local rows
    rows=$(acct_rows "job_id = $1") || {
        log "no sqlite3 or store here: accounting of job $1 not checked"
        return 0
    }
    [ "$(wc -l <<<"$rows")" -eq 1 ] || fail "job $1 has $(wc -l <<<"$rows") accounting records: $rows"
    [ "$(cut -d'|' -f3 <<<"$rows")" = "$2" ] || fail "job $1 is accounted as $rows, not $2"
    [ "$(cut -d'|' -f4 <<<"$rows")" = 0 ] || fail "job $1's run is not charged: $rows"
}

# run_dir_gone ID: no directory of any run of job ID is left
run_dir_gone() { ! compgen -G "$JOBS/$1.*" >/dev/null; }

# expect ID STATE [EXIT_CODE]
expect() {
    [ "$(job_field tenant-a "$1" state)" = "$2" ] ||
        fail "job $1 is $(job_field tenant-a "$1" state), not $2 ($(job_field tenant-a "$1" reason))"
    [ -z "${3:-}" ] || [ "$(job_field tenant-a "$1" exit_code)" = "$3" ] ||
        fail "job $1 has exit code $(job_field tenant-a "$1" exit_code), not $3"
}

# --- the settings: wrong values refused with file, line and setting ------------------
for bad in 'max_output = "lots";' 'keep_job_dirs = -5;'; do
    sed "s|^ *${bad%% *} = .*|  $bad|" "$T/agent-node1.conf" >"$T/bad.conf"
    if "$AGENT_BIN" -c "$T/bad.conf" --check-config >"$T/out" 2>&1; then
        fail "the agent took '$bad'"
    fi
    grep -q "bad.conf:[0-9]*: 'agent.${bad%% *}'" "$T/out" || fail "refusal of '$bad': $(cat "$T/out")"
done
"$AGENT_BIN" -c "$T/agent-node1.conf" --check-config >"$T/out" 2>&1 ||
    fail "the test's agent config is refused: $(cat "$T/out")"
log "max_output and keep_job_dirs are checked"

# --- (a) a job wrecks its own directory ------------------------------------------
a1=$(as tenant-a submit -- sh -c 'mkdir status.tmp pid.tmp exit.tmp status pid exit; echo done')
a2=$(as tenant-a submit -- sh -c 'echo gone; rm -rf ./* ./.[!.]*; chmod 000 .; exit 0')
a3=$(as tenant-a submit -- sh -c 'chmod 000 .; exit 3')
wait_until 20 "jobs $a1 $a2 $a3 ended" all_ended tenant-a "$a1" "$a2" "$a3"
expect "$a1" COMPLETED 0
expect "$a2" COMPLETED 0
expect "$a3" FAILED 3
[ "$(as tenant-a logs "$a1")" = "done" ] || fail "job $a1's output is '$(as tenant-a logs "$a1")'"
for id in "$a1" "$a2"; do charged_once "$id" COMPLETED; done
charged_once "$a3" FAILED
log "jobs that wreck their own directories end as they ended, charged"

# --- (c) a directory per run, private, removed after keep_job_dirs -------------------
dir=$(job_dir node1 "$a1" || true)
[ -n "$dir" ] || dir=$(compgen -G "$JOBS/$a1.*" | head -1) # swept already
[[ "$(basename "$dir")" =~ ^$a1\.[0-9a-f]{16}$ ]] || fail "job $a1's directory is '$dir'"
[ "$(stat -c %a "$RUNS")" = 700 ] || fail "the records directory is mode $(stat -c %a "$RUNS")"
c1=$(as tenant-a submit -- sh -c 'echo secret > mine; sleep 30')
wait_until 20 "job $c1 RUNNING" job_state_is tenant-a "$c1" RUNNING
wait_until 10 "job $c1's directory" job_dir node1 "$c1"
cdir=$(job_dir node1 "$c1")
[ "$cdir" != "$dir" ] || fail "two runs share $dir"
wait_until 10 "job $c1's file" test -e "$cdir/mine"
if $USERS; then
    if runuser -u "$UB" -- cat "$cdir/mine" >/dev/null 2>&1; then
        fail "$UB read tenant-a's job file"
    fi
    if runuser -u "$UB" -- ls "$RUNS" >/dev/null 2>&1; then
        fail "$UB can list the agent's records"
    fi
    if runuser -u "$UA" -- sh -c "echo x > '$RUNS/$c1/status.tmp'" 2>/dev/null; then
        fail "$UA (the job's own user) can write the agent's records"
    fi
    cb=$(as tenant-b submit -- cat "$cdir/mine")
    wait_until 20 "job $cb ended" job_ended tenant-b "$cb"
    [ "$(job_field tenant-b "$cb" state)" = FAILED ] || fail "tenant-b's job read tenant-a's file"
    # what a job makes outside its directory is not for other tenants
    tf=/tmp/cphub-ha-$$
    at_exit "rm -f $tf"
    ct=$(as tenant-a submit -- sh -c "echo secret > $tf; stat -c %a $tf")
    wait_until 20 "job $ct ended" job_ended tenant-a "$ct"
    [ "$(as tenant-a logs "$ct")" = 600 ] || fail "job $ct's file in /tmp is mode $(as tenant-a logs "$ct")"
    cb=$(as tenant-b submit -- cat "$tf")
    wait_until 20 "job $cb ended" job_ended tenant-b "$cb"
    [ "$(job_field tenant-b "$cb" state)" = FAILED ] || fail "tenant-b's job read tenant-a's file in /tmp"
    log "another tenant's user and job cannot read a run's directory nor the records"
else
    log "SKIP: not root, no tenants' users: private directories not checked"
fi
as tenant-a cancel "$c1" >/dev/null
wait_until 20 "job $c1 ended" job_ended tenant-a "$c1"
wait_until 20 "job $a1's directory removed after keep_job_dirs" test ! -e "$dir"
wait_until 20 "job $c1's directory removed after keep_job_dirs" test ! -e "$cdir"
wait_until 20 "job $a1's records removed with it" test ! -e "$RUNS/$a1"
log "run directories are unique and removed after keep_job_dirs"

# --- (d) output over max_output -------------------------------------------------------
d1=$(as tenant-a submit -- sh -c 'head -c 3000000 /dev/zero; echo after')
d2=$(as tenant-a submit -- sh -c 'trap "" XFSZ; while :; do echo 0123456789abcdef; done')
wait_until 30 "jobs $d1 $d2 ended" all_ended tenant-a "$d1" "$d2"
for id in "$d1" "$d2"; do
    expect "$id" FAILED
    [ "$(job_field tenant-a "$id" reason)" = "output over 1M limit" ] ||
        fail "job $id ended with '$(job_field tenant-a "$id" reason)'"
    charged_once "$id" FAILED
done
d3=$(as tenant-a submit -- echo next)
wait_until 20 "job $d3 ended" job_ended tenant-a "$d3"
expect "$d3" COMPLETED 0
log "jobs over max_output end 'output over 1M limit'; the next job runs"

# --- (e) a job sees only its own processes ---------------------------------------------
if $ROOT; then
    e1=$(as tenant-a submit -- sh -c 'ls /proc | grep -c "^[0-9]"')
    wait_until 20 "job $e1 ended" job_ended tenant-a "$e1"
    expect "$e1" COMPLETED 0
    n=$(as tenant-a logs "$e1")
    [ "$n" -le 4 ] || fail "job $e1 sees $n processes in /proc"
    [[ "$(node_field node1 isolation)" == *"pid ns"* ]] ||
        fail "node1's isolation does not say pid ns: $(node_field node1 isolation)"
    log "a job sees $n processes in /proc; node1: $(node_field node1 isolation)"
else
    log "SKIP: not root: jobs share the agent's PID namespace"
fi

# --- (b) records deleted, agent killed, wall time holds ---------------------------------
# With tenants' users the job also tries the agent's records (and cannot);
# without, it runs as the agent's user, which can.
rmrec=""
$USERS && rmrec="'$RUNS/'*/*"
b1=$(as tenant-a submit -t 3s -- sh -c "sleep 1; rm -rf ./* $rmrec 2>/dev/null; exec sleep 100")
wait_until 20 "job $b1 RUNNING" job_state_is tenant-a "$b1" RUNNING
wait_until 10 "job $b1's pid record" test -s "$RUNS/$b1/pid"
pid=$(job_pid node1 "$b1")
bdir=$(job_dir node1 "$b1")
wait_until 10 "job $b1 emptied its directory" test ! -e "$bdir/stdout"
stop_agent KILL node1
alive "$pid" || fail "job $b1 died with its agent"
# wall time 3 s + grace 2 s, with no agent running
wait_until 10 "job $b1's process ended at its wall time with no agent" sh -c "! kill -0 $pid 2>/dev/null"
[ "$(job_procs "$JOBS")" -eq 0 ] || fail "$(job_procs "$JOBS") processes of jobs still live"
start_agent node1
wait_until 20 "job $b1 ended" job_ended tenant-a "$b1"
expect "$b1" TIMEOUT
charged_once "$b1" TIMEOUT
n=$(grep -c " job $b1 started: " "$T/agent-node1.log" || true)
[ "$n" -eq 1 ] || fail "job $b1 was started $n times"
log "a job that deletes what it can ends TIMEOUT at its wall time across an agent kill, charged once"


# --- (f) records gone: the cgroup tells ------------------------------------------------
iso=$(node_field node1 isolation)
if $ROOT && [[ "$iso" =~ ^cgroup ]]; then
    f1=$(as tenant-a submit --no-requeue -- sh -c 'sleep 100 & exec sleep 100')
    wait_until 20 "job $f1 RUNNING" job_state_is tenant-a "$f1" RUNNING
    wait_until 10 "job $f1's pid record" test -s "$RUNS/$f1/pid"
    pid=$(job_pid node1 "$f1")
    stop_agent KILL node1
    rm -rf "${RUNS:?}/$f1"
    start_agent node1
    wait_until 10 "job $f1's process killed through its cgroup" sh -c "! kill -0 $pid 2>/dev/null"
    wait_until 10 "no process of a job left" no_job_procs "$JOBS"
    wait_until 20 "job $f1 ended" job_ended tenant-a "$f1"
    grep -q "found processes of the job without its records" "$T/agent-node1.log" ||
        fail "the agent does not say why it killed job $f1"
    log "a job without records was killed through its cgroup at agent start: $(job_field tenant-a "$f1" state)"
else
    log "SKIP: not root or no cgroups ($iso): adoption by cgroup not checked"
fi

# --- (h) jobs together cannot exhaust the node's pids ------------------------------------
if $ROOT && [[ "$iso" =~ ^cgroup.*pids ]]; then
    # holds 25 processes until cancelled
    h1=$(as tenant-a submit -- sh -c 'i=0; while [ $i -lt 25 ]; do sleep 100 & i=$((i+1)); done; echo held $i; wait')
    wait_until 20 "job $h1 holds its processes" sh -c "CPHUB_CONFIG='$T/tenant-a.conf' '$CPHUB_BIN' logs $h1 | grep -q 'held 25'"
    h2=$(as tenant-b submit -- sh -c 'i=0; while [ $i -lt 25 ]; do sleep 100 & i=$((i+1)); done; echo forked $i')
    wait_until 20 "job $h2 ended" job_ended tenant-b "$h2"
    [ "$(job_field tenant-b "$h2" state)" = FAILED ] ||
        fail "job $h2 forked 25 processes beside job $h1's 25 with pids_max_all = 40: $(job_field tenant-b "$h2" state), '$(as tenant-b logs "$h2")'"
    as tenant-b logs --stderr "$h2" | grep -qi "fork" ||
        fail "job $h2 failed, not for want of processes: $(as tenant-b logs --stderr "$h2")"
    grep -q "all jobs together may have 40 processes at once" "$T/agent-node1.log" ||
        fail "the agent does not say how many processes all jobs may have"
    as tenant-a cancel "$h1" >/dev/null
    wait_until 20 "job $h1 ended" job_ended tenant-a "$h1"
    h3=$(as tenant-b submit -- sh -c 'sleep 1 & sleep 1 & wait; echo next')
    wait_until 20 "job $h3 ended" job_ended tenant-b "$h3"
    [ "$(job_field tenant-b "$h3" state)" = COMPLETED ] || fail "job $h3 after the pids test: $(job_field tenant-b "$h3" state)"
    [ "$(node_field node1 state)" = UP ] || fail "node1 is $(node_field node1 state)"
    log "jobs together stay within pids_max_all: another tenant's job could not fork past it; node1 stays UP"
else
    log "SKIP: not root or no pids cgroup ($iso): the node-wide pids limit not checked"
fi

# --- (g) a job fills the disk -----------------------------------------------------------
if $TMPFS; then
    # directories kept far longer than the test: only a nearly full disk
    # has the sweep remove one now
    stop_agent TERM node1
    conf_set "$T/agent-node1.conf" keep_job_dirs '"1h"'
    start_agent node1
    wait_until 20 "node1 UP again" node_state_is node1 UP
    # exit 0 only when it left less than 1 MiB free
    g1=$(as tenant-a submit -- sh -c 'i=0; while head -c 900K /dev/zero >f$i 2>/dev/null; do i=$((i+1)); done; echo filled $i; [ "$(df -k --output=avail . | tail -1)" -lt 1024 ]')
    wait_until 30 "job $g1 ended" job_ended tenant-a "$g1"
    expect "$g1" COMPLETED 0
    charged_once "$g1" COMPLETED
    wait_until 20 "job $g1's directory removed on a full disk (keep_job_dirs 1h)" run_dir_gone "$g1"
    grep -q "is nearly full: directories of done jobs are removed now" "$T/agent-node1.log" ||
        fail "the agent does not say why it removed job $g1's directory early"
    # as many starts as drain a node when they fail
    for i in 1 2 3; do
        g2=$(as tenant-b submit -- echo after)
        wait_until 20 "job $g2 ended" job_ended tenant-b "$g2"
        [ "$(job_field tenant-b "$g2" state)" = COMPLETED ] ||
            fail "job $g2 after the disk was filled: $(job_field tenant-b "$g2" state) ($(job_field tenant-b "$g2" reason))"
    done
    [ "$(node_field node1 state)" = UP ] || fail "node1 is $(node_field node1 state)"
    log "a job that filled the agent's disk completed, charged; its directory went at once and the next jobs ran"
else
    log "SKIP: not root (or no tmpfs): disk full not checked"
fi
