#!/usr/bin/env bash
# The terminal verbs compose users reach for, against the real engine, each checked
# through the Engine API itself: stop/start without removing (same container id),
# pause/unpause, port (the address the engine published), stats --json (one sample from
# the engine's stats endpoint, compared with the cgroup's own memory figure), top (live
# screens from the stats stream), and the exit-2 errors for an unknown service or port.
source "$(dirname "$0")/lib.sh"
require_engine
new_project
PROJECT="ui-verbs-$$"  # a name of its own: it may run beside the other suites

cat >biodev.yaml <<'YAML'
services:
  redis:
    image: redis:7.4-bookworm
    offline:
      image: biodev/redis:7
    command: [redis-server, --save, "", --appendonly, "no", --protected-mode, "no"]
    ports: ["127.0.0.1:0:6379"]
    ready: { type: redis, port: 6379 }
  inference:
    image: biodev/runtime:${BIODEV_VERSION}
    command: [serve, inference]
    ports: ["127.0.0.1:0:8000"]
    ready: { type: http, port: 8000, path: /health }
YAML
B=("$BIODEV" -p "$PROJECT" -f biodev.yaml)
state() { engine_get "/containers/$PROJECT-$1/json" | jq -r .State.Status; }

expect_exit 0 "${B[@]}" up --timeout 60
ID=$(engine_get "/containers/$PROJECT-redis/json" | jq -r .Id)

note "port: the engine's published address"
expect_exit 0 "${B[@]}" port redis 6379
want=$(engine_get "/containers/$PROJECT-redis/json" | jq -r '.NetworkSettings.Ports["6379/tcp"][0].HostPort')
[[ $OUT == "127.0.0.1:$want" ]] || fail "port redis 6379 printed '$OUT', the engine published $want"
expect_exit 0 "${B[@]}" port redis 6379/tcp
[[ $OUT == "127.0.0.1:$want" ]] || fail "port redis 6379/tcp printed '$OUT'"
expect_exit 2 "${B[@]}" port redis 1234
expect_contains "$OUT" "service redis publishes no container port 1234/tcp (it publishes 6379/tcp)"
expect_exit 2 "${B[@]}" port rediss 6379
expect_contains "$OUT" 'no container for service "rediss"'
expect_contains "$OUT" 'did you mean "redis"'
expect_exit 2 "${B[@]}" port redis http

note "stats --json: one sample per service"
expect_exit 0 "${B[@]}" --json stats
jq -e '.services | length == 2' <<<"$OUT" >/dev/null || fail "stats --json has not 2 services: $OUT"
mem=$(jq -r '.services[] | select(.service=="redis") | .memory_bytes' <<<"$OUT")
(( mem > 1000000 && mem < 200000000 )) || fail "redis memory $mem is not a redis's (1-200 MB): $OUT"
jq -e '.services[] | select(.service=="redis") | .running and .pids >= 1 and .memory_limit > 0 and (.cpu_percent >= 0)' \
  <<<"$OUT" >/dev/null || fail "stats --json for redis is not a running sample: $OUT"
expect_exit 2 "${B[@]}" stats nope
expect_exit 0 "${B[@]}" stats redis
expect_contains "$OUT" "MEMORY / LIMIT"

note "top: live screens from the stats stream"
expect_exit 0 timeout 20 "${B[@]}" top -n 2
[[ $(grep -c '^project ' <<<"$OUT") == 2 ]] || fail "top -n 2 did not draw two screens: $OUT"
grep -Eq '^redis +[0-9.]+% +[0-9.]+ [KMG]iB' <<<"$OUT" || fail "top shows no CPU/memory for redis: $OUT"

note "pause / unpause"
expect_exit 0 "${B[@]}" pause redis
[[ $(state redis) == paused ]] || fail "redis is $(state redis) after pause"
expect_exit 0 "${B[@]}" unpause redis
[[ $(state redis) == running ]] || fail "redis is $(state redis) after unpause"

note "stop / start keep the container"
expect_exit 0 "${B[@]}" stop redis
[[ $(state redis) == exited ]] || fail "redis is $(state redis) after stop"
[[ $(state inference) == running ]] || fail "stop redis touched inference"
expect_exit 0 "${B[@]}" --json stats
jq -e '.services[] | select(.service=="redis") | .running == false' <<<"$OUT" >/dev/null ||
  fail "stats of a stopped service is not marked not running: $OUT"
expect_exit 0 "${B[@]}" start redis
[[ $(state redis) == running ]] || fail "redis is $(state redis) after start"
[[ $(engine_get "/containers/$PROJECT-redis/json" | jq -r .Id) == "$ID" ]] || fail "start made a new container"
expect_exit 2 "${B[@]}" stop nope
expect_contains "$OUT" 'no container for service "nope"'
expect_exit 0 "${B[@]}" stop
[[ $(state redis) == exited && $(state inference) == exited ]] || fail "stop without names left something running"
expect_exit 0 "${B[@]}" start
[[ $(state redis) == running && $(state inference) == running ]] || fail "start without names left something stopped"
note "ok"
