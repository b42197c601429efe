#!/usr/bin/env bash
# Faults: kill -9 of biodev at 10 points during up (the next up converges, nothing is
# orphaned, rows written before survive); Ctrl-C during up, logs -f and run; the engine
# going away mid-command (exit 3, no hang); two ups at once (serialized by the lock).
source "$(dirname "$0")/lib.sh"
require_engine
new_project
P=(-p "$PROJECT" -f bench)
count() { labelled_count "$1" "$PROJECT"; }

expect_exit 0 "$BIODEV" "${P[@]}" up --timeout 240
pg() { "$BIODEV" "${P[@]}" exec -T postgres -- psql -U bio -d bio -tAc "$1"; }
pg "create table if not exists faults (n int)" >/dev/null
pg "insert into faults select generate_series(1, 100)" >/dev/null

note "kill -9 during up at 10 points; each time the next up converges"
for delay in 0.02 0.05 0.1 0.2 0.3 0.5 0.8 1.2 1.8 2.5; do
  expect_exit 0 "$BIODEV" "${P[@]}" down
  "$BIODEV" "${P[@]}" up --timeout 240 >/dev/null 2>&1 & pid=$!
  sleep "$delay"
  kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  expect_exit 0 "$BIODEV" "${P[@]}" up --timeout 240
  [[ $(count containers) -eq 4 ]] || fail "after kill at ${delay}s: $(count containers) containers, expected 4"
  [[ $(count networks) -eq 1 ]] || fail "after kill at ${delay}s: $(count networks) networks, expected 1"
  [[ $(count volumes) -eq 1 ]] || fail "after kill at ${delay}s: $(count volumes) volumes, expected 1"
  [[ $(pg "select count(*) from faults") -eq 100 ]] || fail "rows lost after kill at ${delay}s"
done
# The project's containers are running and current: a further up changes nothing.
"$BIODEV" "${P[@]}" --json up | grep -q '"changed":false' || fail "not converged after the kill loop"

note "Ctrl-C during up: exit 130, what started keeps running, the next up converges"
expect_exit 0 "$BIODEV" "${P[@]}" down
"$BIODEV" "${P[@]}" up --timeout 240 >ctrlc.log 2>&1 & pid=$!
sleep 0.4
kill -INT $pid
set +e; wait $pid; rc=$?; set -e
[[ $rc -eq 130 ]] || { cat ctrlc.log; fail "up after Ctrl-C exited $rc, expected 130"; }
grep -q "interrupted" ctrlc.log || fail "no 'interrupted' message after Ctrl-C"
expect_exit 0 "$BIODEV" "${P[@]}" up --timeout 240

note "Ctrl-C during logs -f: exit 130 at once"
"$BIODEV" "${P[@]}" logs -f >logs.log 2>&1 & pid=$!
sleep 0.5
start=$(date +%s%N)
kill -INT $pid
set +e; wait $pid; rc=$?; set -e
[[ $rc -eq 130 ]] || fail "logs -f after Ctrl-C exited $rc"
(( ($(date +%s%N) - start) / 1000000 < 1000 )) || fail "logs -f took over 1s to stop"
! grep -q "error" logs.log || fail "logs -f printed an error on Ctrl-C"

note "Ctrl-C during run (SIGINT to the process group): exit 130, nothing left"
r="it-faults-run-$$"
setsid "$BIODEV" -p "$r" run -- sleep 600 >run.log 2>&1 & pid=$!
wait_until 120 grep -q "running: sleep 600" run.log || { cat run.log; fail "run did not reach its command"; }
kill -INT -- -$pid
set +e; wait $pid; rc=$?; set -e
[[ $rc -eq 130 ]] || fail "run after Ctrl-C exited $rc, expected 130"
[[ $(labelled_count networks "$r") -eq 0 ]] || fail "run left networks after Ctrl-C"

note "the engine goes away mid-command: exit 3 with a clear message, no hang"
proxy="$WORK/engine.sock"
socat "UNIX-LISTEN:$proxy,fork" "UNIX-CONNECT:$SOCK" & sp=$!
wait_until 5 test -S "$proxy"
expect_exit 0 "$BIODEV" "${P[@]}" down
DOCKER_HOST="unix://$proxy" "$BIODEV" "${P[@]}" up --timeout 240 >gone.log 2>&1 & pid=$!
sleep 0.3
pkill -P $sp 2>/dev/null || true  # the open (keep-alive) connections first
kill $sp; rm -f "$proxy"
start=$(date +%s)
set +e; wait $pid; rc=$?; set -e
(( $(date +%s) - start < 30 )) || fail "biodev hung after the engine went away"
[[ $rc -eq 3 ]] || { cat gone.log; fail "expected exit 3 when the engine went away, got $rc"; }
grep -q "Docker engine" gone.log || { cat gone.log; fail "no engine-unreachable message"; }
expect_exit 0 "$BIODEV" "${P[@]}" up --timeout 240

note "two ups at once on one project: the second waits for the first and says who holds the lock"
expect_exit 0 "$BIODEV" "${P[@]}" down
"$BIODEV" "${P[@]}" up --timeout 240 >first.log 2>&1 & p1=$!
sleep 0.2
"$BIODEV" "${P[@]}" up --timeout 240 >second.log 2>&1 & p2=$!
wait $p1 || { cat first.log; fail "first up failed"; }
wait $p2 || { cat second.log; fail "second up failed"; }
grep -q "is busy (biodev up, pid $p1" second.log || { cat second.log; fail "second up did not name the lock holder"; }
[[ $(count containers) -eq 4 ]] || fail "concurrent ups made $(count containers) containers"
note "ok"
