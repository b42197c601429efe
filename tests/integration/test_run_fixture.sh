#!/usr/bin/env bash
# biodev as the CI fixture: two runs in parallel on one engine, no clash, nothing left
# behind; CMD's exit code comes back unchanged; kill -9 of biodev mid-run is cleaned up
# by the reaper within seconds; SIGTERM tears down; --keep keeps.
source "$(dirname "$0")/lib.sh"
require_engine
new_project
export BIODEV
a="it-run-a-$$"; b="it-run-b-$$"; k="it-run-k-$$"; t="it-run-t-$$"; x="it-run-x-$$"
cleanup_runs() { for p in "$a" "$b" "$k" "$t" "$x"; do "$BIODEV" -p "$p" down -v --yes >/dev/null 2>&1 || true; done; }
on_exit cleanup_runs

note "two runs in parallel both pass the contract checks"
"$BIODEV" -p "$a" run -- "$SRC/tests/integration/checks/contract.sh" >run-a.log 2>&1 & pa=$!
"$BIODEV" -p "$b" run -- "$SRC/tests/integration/checks/contract.sh" >run-b.log 2>&1 & pb=$!
wait $pa || { tail -30 run-a.log; fail "run a failed"; }
wait $pb || { tail -30 run-b.log; fail "run b failed"; }
grep -q "contract ok for $a" run-a.log && grep -q "contract ok for $b" run-b.log || fail "contract output missing"
for p in "$a" "$b"; do
  wait_until 10 sh -c "[ \$(curl -fsS --unix-socket $SOCK 'http://localhost/containers/json?all=1&filters=%7B%22label%22%3A%5B%22dev.biodev.project%3D$p%22%5D%7D' | jq length) = 0 ]" \
    || fail "containers of $p left behind (reaper included)"
  [[ $(labelled_count networks "$p") -eq 0 && $(labelled_count volumes "$p") -eq 0 ]] || fail "networks/volumes of $p left"
done

note "a failing command's exit code comes back unchanged"
expect_exit 7 "$BIODEV" -p "$x" run -- sh -c 'exit 7'
[[ $(labelled_count networks "$x") -eq 0 ]] || fail "teardown after a failing command"

note "kill -9 of biodev mid-run: the reaper removes everything within seconds"
"$BIODEV" -p "$k" run -- sleep 600 >run-k.log 2>&1 & pk=$!
wait_until 120 grep -q "running: sleep 600" run-k.log || { cat run-k.log; fail "run did not reach its command"; }
kill -9 $pk; wait $pk 2>/dev/null || true
killed_at=$(date +%s)
wait_until 20 sh -c "[ \$(curl -fsS --unix-socket $SOCK 'http://localhost/containers/json?all=1&filters=%7B%22label%22%3A%5B%22dev.biodev.project%3D$k%22%5D%7D' | jq length) = 0 ]" \
  || fail "containers of $k still there 20s after kill -9"
wait_until 10 sh -c "[ \$(curl -fsS --unix-socket $SOCK 'http://localhost/networks?filters=%7B%22label%22%3A%5B%22dev.biodev.project%3D$k%22%5D%7D' | jq length) = 0 ]" \
  || fail "networks of $k still there after the reaper"
note "reaped $(( $(date +%s) - killed_at ))s after kill -9"
wait_until 5 sh -c '! pgrep -f "^sleep 600$"' || fail "the command outlived biodev"

note "SIGTERM to biodev while the command runs: the command is stopped, the stack torn down"
"$BIODEV" -p "$t" run -- sleep 600 >run-t.log 2>&1 & pt=$!
wait_until 120 grep -q "running: sleep 600" run-t.log || fail "run did not reach its command"
kill -TERM $pt
set +e; wait $pt; rc=$?; set -e
[[ $rc -eq 143 ]] || fail "expected exit 143 after SIGTERM, got $rc"
[[ $(labelled_count networks "$t") -eq 0 ]] || fail "networks of $t left after SIGTERM"

note "--keep leaves the stack and says how to remove it"
expect_exit 0 "$BIODEV" -p "$k" run --keep -- true
expect_contains "$OUT" "biodev -p $k down -v"
sleep 2  # past the reaper's linger: it must have kept the stack
[[ $(labelled_count containers "$k") -ge 6 ]] || fail "--keep did not keep the stack"
expect_exit 0 "$BIODEV" -p "$k" down -v --yes
note "ok"
