#!/usr/bin/env bash
# Random bytes, truncated JSON, unknown types, wrong versions and oversized
# frames sent to both endpoints by authenticated peers are refused and logged;
# both daemons keep serving everyone else.
. "$(dirname "$0")/lib.sh"

HOSTILE=$B/tests/integration/hostile
[ -x "$HOSTILE" ] || fail "missing $HOSTILE (make check builds it)"
hub_setup "node1=synthetic:package:1 core:4 pu:1"
hub_start

"$HOSTILE" --endpoint "tcp://127.0.0.1:$CLIENT_PORT" --server-key "$T/keys/scheduler.pub" \
    --key "$T/keys/tenant-a.key" --mode client >"$T/hostile-client.log" 2>&1 ||
    fail "client endpoint: $(grep FAIL "$T/hostile-client.log" | head -n 5)"
log "client endpoint: $(grep -c '^ok' "$T/hostile-client.log") hostile cases answered with errors"
"$HOSTILE" --endpoint "tcp://127.0.0.1:$AGENT_PORT" --server-key "$T/keys/scheduler.pub" \
    --key "$T/keys/node1.key" --mode agent >"$T/hostile-agent.log" 2>&1 ||
    fail "agent endpoint: $(grep FAIL "$T/hostile-agent.log" | head -n 5)"
log "agent endpoint: hostile cases sent"

alive "$SCHED_PID" || fail "the scheduler died"
alive "${AGENT_PIDS[node1]}" || fail "the agent died"
grep -qi "warn" "$T/scheduler.log" || fail "the scheduler logged nothing about the hostile messages"
# The real node is still registered and serving: its registration is not
# displaced by the hostile peer that used its key.
wait_until 15 "node1 UP" nodes_up 1
id=$(as tenant-b submit -- sh -c 'echo still-serving')
as tenant-b wait "$id" >/dev/null || fail "hub stopped serving after hostile input"
[ "$(as tenant-b logs "$id")" = still-serving ] || fail "output lost after hostile input"
log "daemons keep serving"
