#!/usr/bin/env bash
# A tenant (tenant-a) queues the answers of waits on jobs that already
# ended: 40 waits at once on one connection, each naming 600 cancelled
# jobs (three pages each). Such a wait is answered at once, but its pages
# go out a few per turn, so each answer holds a wait of the connection
# until its last page went: past max_waits_per_connection (4 here) the
# waits are refused with that setting named, and once the answers went
# the same connection's worth of waits is taken again, none refused.
. "$(dirname "$0")/lib.sh"

FLOOD=$B/tests/integration/flood
[ -x "$FLOOD" ] || fail "missing $FLOOD (make check builds it)"
WAITS_PER_CONN=4
ENDED=600
BURST=40

hub_setup "node1=synthetic:package:1 core:2 pu:1"
sed -i "s|^\( *\)heartbeat_timeout = .*;|&\n\1max_waits_per_connection = $WAITS_PER_CONN;|" \
    "$T/scheduler.conf"
hub_start

long=$(as tenant-a submit -t 10:00 -- sleep 600)
wait_until 20 "job $long running" job_state_is tenant-a "$long" RUNNING
first=$(as tenant-a submit --array "0-$((ENDED - 1))" --after "ok:$long" -- true)
last=$((first + ENDED - 1))
as tenant-a cancel $(seq "$first" "$last") >/dev/null || fail "cancel of the array failed"
wait_until 20 "job $last cancelled" job_state_is tenant-a "$last" CANCELLED

# answers BURST: "answered P refused R" once the replies came in
answers() {
    local name=$1 burst=$2
    "$FLOOD" --endpoint "tcp://127.0.0.1:$CLIENT_PORT" --server-key "$T/keys/scheduler.pub" \
        --key "$T/keys/tenant-a.key" --for 0 answers "$burst" "$first" "$last" \
        >"$T/$name.out" 2>"$T/$name.err" || fail "$name: flood failed: $(cat "$T/$name.err")"
    read -r _ answered _ refused <"$T/$name.out"
    log "$name: $burst waits on $ENDED ended jobs each: $answered pages, $refused refused"
}

answers burst "$BURST"
[ "$refused" -gt 0 ] || fail "burst: $BURST queued answers on one connection, none refused"
grep -q "wait from tenant:tenant-a refused:.*max_waits_per_connection" "$T/scheduler.log" ||
    fail "burst: the refusals do not name max_waits_per_connection"
[ "$answered" -gt 0 ] || fail "burst: no wait answered at all"

# the answers went: their holds were given back
answers again "$WAITS_PER_CONN"
[ "$refused" = 0 ] || fail "again: $refused of $WAITS_PER_CONN waits refused after the answers went"
[ "$answered" -ge $((WAITS_PER_CONN * 3)) ] ||
    fail "again: $answered pages for $WAITS_PER_CONN answers of three pages"
as tenant-a cancel "$long" >/dev/null
log "ok"
