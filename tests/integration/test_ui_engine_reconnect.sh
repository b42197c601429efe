#!/usr/bin/env bash
# `biodev ui` when its engine goes away and comes back: biodev talks to the engine through
# a socat front on a socket of its own; the front is killed (connections and all, as an
# engine restart drops them), the page's view says the engine is unreachable, a service
# is stopped meanwhile, and once the front is back the view reconnects on its own and
# shows the service exited. No browser: /api/stack is what the page's events carry.
source "$(dirname "$0")/lib.sh"
require_engine
command -v socat >/dev/null || fail "socat is missing (scripts/deps.sh installs it)"
new_project
PROJECT="ui-reconnect-$$"  # a name of its own: it may run beside the other suites
FRONT= UI_PID=
on_exit '[[ -z $UI_PID ]] || kill "$UI_PID"; [[ -z $FRONT ]] || kill -- -"$FRONT"'

front() {
  setsid socat UNIX-LISTEN:"$WORK/engine.sock",fork,unlink-early UNIX-CONNECT:"$SOCK" 2>/dev/null &
  FRONT=$!
  wait_until 10 test -S "$WORK/engine.sock" || fail "no socat front on $WORK/engine.sock"
}

cat >biodev.yaml <<'YAML'
services:
  redis:
    image: redis:7.4-bookworm
    offline:
      image: biodev/redis:7
    command: [redis-server, --save, "", --appendonly, "no"]
    ports: ["127.0.0.1:0:6379"]
    ready: { type: redis, port: 6379 }
YAML
expect_exit 0 "$BIODEV" -p "$PROJECT" -f biodev.yaml up --timeout 60

front
DOCKER_HOST=unix://$WORK/engine.sock "$BIODEV" -p "$PROJECT" -f biodev.yaml ui --port 0 >ui.out 2>ui.err &
UI_PID=$!
wait_until 20 grep -q 'http://127.0.0.1:' ui.out || fail "biodev ui printed no address: $(cat ui.out ui.err)"
URL=$(grep -o "http://127.0.0.1:[0-9]*" ui.out)
stack() { curl -fsS "$URL/api/stack"; }
view_is() { stack | jq -e "$1" >/dev/null; }
view_is '.engine.up and (.services[0].state == "running")' || fail "the view does not start connected with redis running: $(stack)"

note "the engine goes away"
kill -- -"$FRONT"
FRONT=
rm -f "$WORK/engine.sock"
wait_until 10 view_is '.engine.up == false' || fail "the view still says the engine is up: $(stack)"
expect_contains "$(stack | jq -r .engine.message)" "reconnecting"
engine_post() { curl -fsS --unix-socket "$SOCK" -X POST "http://localhost$1" >/dev/null; }
engine_post "/containers/$PROJECT-redis/stop?t=1"

note "the engine is back"
t0=$(date +%s.%N)
front
wait_until 15 view_is '.engine.up and (.services[0].state == "exited")' ||
  fail "the view did not reconnect and show redis exited: $(stack)"
note "reconnected and current $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s after the engine came back"

note "and it follows events again"
engine_post "/containers/$PROJECT-redis/start"
wait_until 10 view_is '.services[0].state == "running"' || fail "the start after the reconnect did not reach the view: $(stack)"
note "ok"
