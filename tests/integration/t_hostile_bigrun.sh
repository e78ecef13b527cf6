#!/usr/bin/env bash
# A tenant submits a job whose submit just fits in one message but whose
# job.run (the same spec plus the placement) does not: a script of control
# bytes, each six bytes as JSON. No node can ever be handed it, so it must
# end FAILED at once, saying why, without blaming or draining the node;
# sent again after each register it would make the node register every
# heartbeat, forever, and never end.
. "$(dirname "$0")/lib.sh"

hub_setup "node1=synthetic:package:1 core:2 pu:1"
hub_start

big_script() { # big_script N: #!/bin/sh and N control bytes in a comment
    {
        printf '#!/bin/sh\n#'
        head -c "$1" /dev/zero | tr '\0' '\001'
        printf '\ntrue\n'
    } >"$T/big.sh"
}
# the largest such script the submit takes: just under 4 MiB as JSON
n=699040 id=
while [ "$n" -gt 698900 ]; do
    big_script "$n"
    if id=$(as tenant-a submit "$T/big.sh" 2>"$T/err"); then break; fi
    n=$((n - 4))
done
[ -n "$id" ] || fail "no script size was taken: $(cat "$T/err")"
log "job $id: a script of $n control bytes"

wait_until 20 "job $id ended" job_ended tenant-a "$id"
job_state_is tenant-a "$id" FAILED || fail "job $id: $(job_field tenant-a "$id" state)"
job_field tenant-a "$id" reason | grep -q "too large to send" ||
    fail "job $id's reason: $(job_field tenant-a "$id" reason)"
log "job $id failed: $(job_field tenant-a "$id" reason)"
sleep 3 # a loop would show as registers, one a heartbeat
regs=$(grep -c "node node1 registered" "$T/scheduler.log" || true)
[ "$regs" -le 2 ] || fail "node1 registered $regs times"
node_state_is node1 UP || fail "node1 is $(node_field node1 state): $(node_field node1 reason)"
ok=$(as tenant-a submit -- true)
as tenant-a wait -q "$ok" || fail "a normal job after it did not complete"
log "node1 UP, registered $regs times, runs the next job"
