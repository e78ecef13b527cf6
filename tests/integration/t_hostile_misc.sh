#!/usr/bin/env bash
# Logs, keys and who jobs run as, tried as a hostile tenant would:
# - a job name and a command line holding a newline and ANSI escapes do not
#   forge lines in the scheduler's log (no line starts with the forged
#   text; the text is there, escaped, and no raw ESC byte is);
# - log files are created 0640 even under umask 000 (scheduler and agent),
#   the scheduler's store 0600;
# - a secret key file that others may read (0644) is refused by the
#   scheduler, the agent and the CLI, each saying `chmod 600 PATH`, and
#   `cphub keygen` writes 0600 keys in a 0700 directory under umask 000;
# - as root: an agent with no tenant -> user map (and allow_root_jobs at its
#   default, false) refuses to run a job as root, with the reason, and the
#   job never runs.
. "$(dirname "$0")/lib.sh"

# Under umask 000 every file would be world-readable unless the program
# sets its mode itself.
umask 000
ALLOW_ROOT_JOBS=false
AGENT_EXTRA='  log_file = "agent-file.log";'
hub_setup "node1=synthetic:package:1 numa:1(memory=4GB) core:2 pu:1"
sed -i 's|^\(  log_level = "debug";\)$|\1\n  log_file = "sched-file.log";|' "$T/scheduler.conf"
grep -q 'log_file = "sched-file.log"' "$T/scheduler.conf" || fail "could not set the scheduler's log_file"
SLOG=$T/sched-file.log
ALOG=$T/agent-file.log

# --- secret keys with loose modes are refused -----------------------------------
# expect_chmod_refusal KEY WHAT CMD...: with KEY 0644, CMD fails and its
# output says "chmod 600 KEY"; then KEY is made 0600 again.
expect_chmod_refusal() {
    local key=$1 what=$2
    shift 2
    chmod 644 "$key"
    if timeout 20 "$@" >"$T/refusal.out" 2>&1; then
        fail "$what accepted the 0644 secret key $key: $(cat "$T/refusal.out")"
    fi
    grep -qF "chmod 600 $key" "$T/refusal.out" ||
        fail "$what did not say 'chmod 600 $key': $(cat "$T/refusal.out")"
    log "$what refuses a 0644 secret key: $(head -n 1 "$T/refusal.out")"
    chmod 600 "$key"
}
expect_chmod_refusal "$T/keys/scheduler.key" "cphub-scheduler" \
    "$SCHED_BIN" -c "$T/scheduler.conf"
expect_chmod_refusal "$T/keys/scheduler.key" "cphub-scheduler --check-config" \
    "$SCHED_BIN" -c "$T/scheduler.conf" --check-config
expect_chmod_refusal "$T/keys/node1.key" "cphub-agent" \
    "$AGENT_BIN" -c "$T/agent-node1.conf"
expect_chmod_refusal "$T/keys/tenant-a.key" "cphub jobs" \
    env CPHUB_CONFIG="$T/tenant-a.conf" "$CPHUB_BIN" jobs
[ ! -e "$SLOG" ] || fail "a scheduler that refused its key still wrote $SLOG"

# keygen: a new key directory 0700, the key pair 0600, the public key 0644
"$CPHUB_BIN" keygen fresh --dir "$T/newkeys/sub" >/dev/null || fail "keygen failed"
[ "$(stat -c %a "$T/newkeys/sub")" = 700 ] || fail "keygen made its directory $(stat -c %a "$T/newkeys/sub")"
[ "$(stat -c %a "$T/newkeys/sub/fresh.key")" = 600 ] || fail "keygen wrote the key pair $(stat -c %a "$T/newkeys/sub/fresh.key")"
[ "$(stat -c %a "$T/newkeys/sub/fresh.pub")" = 644 ] || fail "keygen wrote the public key $(stat -c %a "$T/newkeys/sub/fresh.pub")"
log "keygen under umask 000: directory 700, key pair 600, public key 644"

# --- log files 0640 --------------------------------------------------------------
hub_start
for f in "$SLOG" "$ALOG"; do
    [ -f "$f" ] || fail "no log file $f"
    [ "$(stat -c %a "$f")" = 640 ] || fail "$f is mode $(stat -c %a "$f"), not 640"
done
log "log files are 0640 under umask 000"
# The store holds every tenant's command lines and the bill: the hub's alone.
for f in "$STORE_DB" "$STORE_DB-wal"; do
    [ -f "$f" ] || fail "no store file $f"
    [ "$(stat -c %a "$f")" = 600 ] || fail "$f is mode $(stat -c %a "$f"), not 600"
done
log "the store and its WAL are 0600 under umask 000"

# --- forged log lines --------------------------------------------------------------
FORGED="2026-01-01 forged line"
printf '#!/bin/sh\ntrue\n' >"$T/job.sh"
chmod 755 "$T/job.sh"
ids=()
# A job name with control characters may be refused outright (then it is in
# no log); a command line is the tenant's own and is taken.
for name in $'x\n'"$FORGED" $'y\r'"$FORGED"; do
    if id=$(as tenant-a submit -J "$name" "$T/job.sh" 2>"$T/submit.err"); then
        ids+=("$id")
    else
        log "a job name with a control character is refused: $(cat "$T/submit.err")"
    fi
done
ids+=("$(as tenant-a submit -- sh -c $'true\n'"$FORGED"$'\r\e[2K\e[31mred')")
wait_until 20 "the submits are in the scheduler's log" grep -qF "job ${ids[-1]} submitted" "$SLOG"
wait_until 20 "the jobs ended" all_ended tenant-a "${ids[@]}"
if grep -n "^$FORGED" "$SLOG" "$ALOG"; then
    fail "a tenant forged a line in a log"
fi
# the text is there, escaped: the check above looked at what the tenant sent
grep -qF "\\n$FORGED" "$SLOG" || fail "the escaped command line is not in the log: $(grep submitted "$SLOG")"
grep -qF "\\x1b[31mred" "$SLOG" || fail "the ANSI escape is not in the log, escaped"
if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$SLOG" "$ALOG"; then
    fail "a log holds a raw control character"
fi
log "a newline, CR and ANSI escapes in names and commands are escaped in the log"

# --- a root agent without a user map does not run jobs as root ---------------------
if [ "$(id -u)" != 0 ]; then
    log "SKIP of the root refusal: not root (jobs run as the agent's own user)"
    exit 0
fi
grep -q "every job is refused, for it would run as root" "$ALOG" ||
    fail "the root agent did not say at start that jobs would be refused"
id=$(as tenant-a submit -- sh -c "touch '$T/ran-as-root'")
wait_until 20 "job $id ended" job_ended tenant-a "$id"
[ "$(job_field tenant-a "$id" state)" = FAILED ] || fail "job $id is $(job_field tenant-a "$id" state), not FAILED"
reason=$(job_field tenant-a "$id" reason)
[ "$reason" = "tenant tenant-a has no Unix user and would run as root on node1" ] ||
    fail "job $id failed with '$reason'"
[ ! -e "$T/ran-as-root" ] || fail "the job ran as root anyway"
for id in "${ids[@]}"; do
    [ "$(job_field tenant-a "$id" state)" = FAILED ] || fail "job $id was not refused either"
done
log "a root agent with no user map refused the job: $reason"
