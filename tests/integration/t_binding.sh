#!/usr/bin/env bash
# On the real topology of this machine, a job's own Cpus_allowed_list equals
# the cores the scheduler gave it, and CPHUB_CPUS says the same.
. "$(dirname "$0")/lib.sh"

ncpu=$(nproc)
hub_setup "real=" 
hub_start
[ "$(as ops nodes --json | jq -r '.[0].binding')" = true ] || fail "real node does not apply binding"

check_job() { # check_job CORES
    local id cpus got
    id=$(as tenant-a submit -c "$1" -- sh -c 'grep Cpus_allowed_list /proc/self/status | cut -f2; echo "$CPHUB_CPUS"')
    as tenant-a wait "$id" >/dev/null || fail "binding job $id did not complete"
    cpus=$(job_field tenant-a "$id" cpus)
    got=$(as tenant-a logs "$id")
    [ "$(sed -n 1p <<<"$got")" = "$cpus" ] || fail "-c $1: Cpus_allowed_list '$(sed -n 1p <<<"$got")' but the scheduler gave '$cpus'"
    [ "$(sed -n 2p <<<"$got")" = "$cpus" ] || fail "-c $1: CPHUB_CPUS '$(sed -n 2p <<<"$got")' but the scheduler gave '$cpus'"
    log "-c $1: bound to $cpus as placed"
}
check_job 1
# Two jobs at once get different cores where the machine has two.
if [ "$ncpu" -ge 2 ]; then
    check_job 2
    a=$(as tenant-a submit -- sleep 30)
    b=$(as tenant-a submit -- sleep 30)
    wait_until 10 "both RUNNING" all_in_state tenant-a RUNNING "$a" "$b"
    [ "$(job_field tenant-a "$a" cpus)" != "$(job_field tenant-a "$b" cpus)" ] || fail "two 1-core jobs share a core"
    as tenant-a cancel "$a" "$b"
fi
