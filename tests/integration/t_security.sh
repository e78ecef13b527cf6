#!/usr/bin/env bash
# Identity comes from the transport: tenant B cannot see, wait on, read the
# output of, or cancel tenant A's job (each answered like a job that does not
# exist), operators see everything, and a client whose key is in no config is
# refused at the handshake, with cphub saying so within seconds.
. "$(dirname "$0")/lib.sh"

hub_setup "node1=synthetic:package:1 core:4 pu:1"
hub_start

id=$(as tenant-a submit -J secret-name -- sh -c 'echo private-output; sleep 300')
wait_until 10 "job $id RUNNING" job_state_is tenant-a "$id" RUNNING
nosuch=$((id + 1000))

# What "no such job" looks like for a job that does not exist.
as tenant-b show "$nosuch" >/dev/null 2>"$T/ref.err" && fail "show of a missing job succeeded"
ref=$(sed "s/$nosuch/ID/g" "$T/ref.err")

same_as_missing() { # same_as_missing VERB-ARGS...: B's view of A's job
    if as tenant-b "$@" >"$T/b.out" 2>"$T/b.err"; then
        fail "tenant-b '$*' succeeded: $(cat "$T/b.out")"
    fi
    [ "$(sed "s/$id/ID/g" "$T/b.err")" = "$ref" ] ||
        fail "tenant-b '$*' answered '$(cat "$T/b.err")', not the missing-job answer '$ref'"
}
same_as_missing show "$id"
same_as_missing wait "$id"
same_as_missing logs "$id"
same_as_missing cancel "$id"
as tenant-b jobs --all --json | jq -e "[.[] | select(.id == $id)] | length == 0" >/dev/null ||
    fail "tenant-b's job list shows tenant-a's job"
if as tenant-b jobs --all | grep -q secret-name; then fail "tenant-b sees tenant-a's job name"; fi
[ "$(job_field tenant-a "$id" state)" = RUNNING ] || fail "tenant-b's cancel touched tenant-a's job"
log "tenant-b cannot see or touch tenant-a's job"

# The operator sees it; the owner reads its output and cancels it.
[ "$(job_field ops "$id" tenant)" = tenant-a ] || fail "operator cannot see tenant-a's job"
wait_until 10 "output of job $id" sh -c "CPHUB_CONFIG='$T/tenant-a.conf' '$CPHUB_BIN' logs $id | grep -q private-output"
as tenant-a cancel "$id"
wait_until 15 "job $id ended" job_ended tenant-a "$id"
[ "$(job_field tenant-a "$id" state)" = CANCELLED ] || fail "owner's cancel did not end the job"
log "operator sees it; owner cancels it"

# An unknown key is refused at the handshake, and cphub says so quickly.
start=$SECONDS
if as intruder jobs >"$T/i.out" 2>"$T/i.err"; then fail "an unknown key was served"; fi
elapsed=$((SECONDS - start))
grep -qi "refused" "$T/i.err" || fail "intruder error does not say refused: $(cat "$T/i.err")"
[ "$elapsed" -le 6 ] || fail "intruder refusal took ${elapsed}s"
[ "$(wc -l <"$T/i.err")" -eq 1 ] || fail "intruder error is not one line: $(cat "$T/i.err")"
log "unknown key refused in ${elapsed}s: $(cat "$T/i.err")"

# A tenant key on the agent endpoint may not speak the agent protocol, and a
# node key may not submit: the scheduler keeps serving.
sed "s/$CLIENT_PORT/$AGENT_PORT/" "$T/tenant-a.conf" >"$T/tenant-a-on-agent.conf"
if as tenant-a-on-agent jobs >/dev/null 2>"$T/x.err"; then fail "a tenant was served on the agent endpoint"; fi
cp "$T/tenant-a.conf" "$T/node-as-client.conf"
sed -i 's#keys/tenant-a.key#keys/node1.key#' "$T/node-as-client.conf"
if as node-as-client submit -- true >/dev/null 2>"$T/y.err"; then fail "an agent key submitted a job"; fi
alive "$SCHED_PID" || fail "scheduler died"
id=$(as tenant-b submit -- true)
as tenant-b wait "$id" >/dev/null || fail "hub stopped serving after refusals"
log "role checks ok"
