#!/usr/bin/env bash
# Foundation: bad profiles, a busy port, a crashing service, a probe that never passes
# and an unreachable engine each give one clear error and the documented exit code.
source "$(dirname "$0")/lib.sh"
require_engine
new_project

note "a broken profile: exit 2, file:line:col, nothing created"
cp "$SRC/tests/profiles/bad/unknown_dependency.yaml" broken.yaml
expect_exit 2 "$BIODEV" -p "$PROJECT" -f broken.yaml up
expect_contains "$OUT" "broken.yaml:8:7: service api depends on unknown service \"postgress\" (did you mean \"postgres\"?)"
[[ $(labelled_count containers "$PROJECT") -eq 0 ]] || fail "containers created for a broken profile"
[[ $(labelled_count networks "$PROJECT") -eq 0 ]] || fail "networks created for a broken profile"

note "an unknown command suggests the right one"
expect_exit 2 "$BIODEV" upp
expect_contains "$OUT" 'unknown command "upp" (did you mean "up"?)'

note "engine unreachable: exit 3 at once"
start=$(date +%s%N)
expect_exit 3 env DOCKER_HOST=unix:///nonexistent/docker.sock "$BIODEV" -p "$PROJECT" status
expect_contains "$OUT" "cannot reach the Docker engine at unix:///nonexistent/docker.sock"
(( ($(date +%s%N) - start) / 1000000 < 2000 )) || fail "unreachable engine took over 2s to report"

note "a port taken by another program: exit 1, names port, service and profile line, nothing created"
port=$(( 20000 + RANDOM % 20000 ))
"$BIODEV" serve inference --port "$port" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
expect_exit 1 env REDIS_PORT="$port" "$BIODEV" -p "$PROJECT" -f "$SRC/tests/integration/profiles/redis-only.yaml" up --timeout 60
kill "$holder" 2>/dev/null || true
expect_contains "$OUT" "redis-only.yaml:8:13: port 127.0.0.1:$port (service redis) is already in use on this machine"
[[ $(labelled_count containers "$PROJECT") -eq 0 ]] || fail "containers created with a port in use"
[[ $(labelled_count networks "$PROJECT") -eq 0 ]] || fail "networks created with a port in use"

note "a service that exits at start and one that never gets ready: exit 1, service named, logs shown"
expect_exit 1 "$BIODEV" -p "$PROJECT" -f "$SRC/tests/integration/profiles/crashes.yaml" up --timeout 60
expect_contains "$OUT" "service crash exited with code 3"
expect_contains "$OUT" "fatal: config file missing"
expect_contains "$OUT" "service never not ready after 2.00s"
note "ok"
