#!/usr/bin/env bash
# Node features and --constraint through the real CLI: three agents with
# different features; jobs land only on nodes whose features satisfy their
# expression; an expression no node satisfies is refused at submit, and a
# malformed one is refused naming the column.
. "$(dirname "$0")/lib.sh"

declare -A FEATURES=([node1]="avx512,a100" [node2]="avx512" [node3]="h100,bigmem")
hub_setup "node1=synthetic:package:1 core:4 pu:1" \
    "node2=synthetic:package:1 core:2 pu:1" \
    "node3=synthetic:package:1 core:4 pu:1"
hub_start
log "3 nodes up"
[ "$(node_field node1 features)" = "avx512,a100" ] || fail "node1 features: $(node_field node1 features)"
[ "$(node_field node3 features)" = "h100,bigmem" ] || fail "node3 features: $(node_field node3 features)"

ids=()
for i in 1 2 3; do ids+=("$(as tenant-a submit -C 'avx512&(a100|h100)' -- true)"); done
for i in 1 2; do ids+=("$(as tenant-a submit --constraint '!avx512' -- true)"); done
ids+=("$(as tenant-a submit --constraint 'avx512 & !a100' -- true)")
ids+=("$(as tenant-a submit --constraint 'bigmem|a100' -c 4 -- true)")
as tenant-a wait -q "${ids[@]}" || fail "constrained jobs did not all complete"
for i in 0 1 2; do
    [ "$(job_field tenant-a "${ids[$i]}" node)" = node1 ] ||
        fail "avx512&(a100|h100) ran on $(job_field tenant-a "${ids[$i]}" node)"
done
for i in 3 4; do
    [ "$(job_field tenant-a "${ids[$i]}" node)" = node3 ] ||
        fail "!avx512 ran on $(job_field tenant-a "${ids[$i]}" node)"
done
[ "$(job_field tenant-a "${ids[5]}" node)" = node2 ] ||
    fail "avx512&!a100 ran on $(job_field tenant-a "${ids[5]}" node)"
case "$(job_field tenant-a "${ids[6]}" node)" in node1 | node3) ;;
*) fail "bigmem|a100 ran on $(job_field tenant-a "${ids[6]}" node)" ;; esac
log "constrained jobs landed on the right nodes"

if as tenant-a submit --constraint 'avx512&h100' -- true >"$T/out" 2>"$T/err"; then
    fail "an unsatisfiable constraint was accepted"
fi
grep -q "no node has features avx512&h100" "$T/err" || fail "refusal: $(cat "$T/err")"
log "unsatisfiable refused: $(cat "$T/err")"
if as tenant-a submit --constraint 'avx512' -c 4 -- true >"$T/out" 2>"$T/err"; then
    true # node1 has 4 cores and avx512: accepted
else
    fail "avx512 with 4 cores was refused: $(cat "$T/err")"
fi
if as tenant-a submit --constraint 'avx512&!a100' -c 4 -- true >"$T/out" 2>"$T/err"; then
    fail "4 cores on the 2-core avx512 node was accepted"
fi
grep -q "with features avx512&!a100" "$T/err" || fail "refusal: $(cat "$T/err")"
if as tenant-a submit --constraint 'avx512)' -- true >"$T/out" 2>"$T/err"; then
    fail "a malformed constraint was accepted"
fi
grep -q -- "--constraint: unexpected ')' at column 7" "$T/err" || fail "refusal: $(cat "$T/err")"
log "malformed refused: $(cat "$T/err")"
