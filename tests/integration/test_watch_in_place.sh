#!/usr/bin/env bash
# `biodev watch` restarts a watched service's process inside its running container
# (biodev-init as its first process), from a compose file's x-biodev watch: the same
# container, start time and host port, the new code served; an edit with a syntax
# error fails at once with the traceback and leaves the container running, and the fix
# brings the service back; `restart: container` restarts the container instead; a
# stop still reaches the service's process (no SIGKILL after the grace).
source "$(dirname "$0")/lib.sh"
require_engine
new_project

mkdir app
cat >app/server.py <<'EOF'
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MESSAGE = "first"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"message": MESSAGE}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
EOF
cat >compose.yaml <<'EOF'
services:
  app:
    image: python:3.12-slim
    command: ["python3", "-u", "/app/server.py"]
    volumes: ["./app:/app:ro"]
    ports: ["127.0.0.1::8000"]
    init: true
    stop_grace_period: 5s
    x-biodev:
      watch: [./app]
      ready: { type: http, port: 8000, path: /health }
  legacy:
    image: python:3.12-slim
    command: ["python3", "-u", "/app/server.py"]
    volumes: ["./app:/app:ro"]
    ports: ["127.0.0.1::8000"]
    init: true
    stop_grace_period: 2s
    x-biodev:
      watch: { paths: [./app], restart: container }
      ready: { type: http, port: 8000, path: /health }
EOF

note "up: app runs under biodev-init, legacy as it is"
expect_exit 0 "$BIODEV" -p "$PROJECT" up --timeout 120
state() { engine_get "/containers/$1/json"; }
cid() {
  engine_get "/containers/json?filters=$(printf '{"label":["dev.biodev.service=%s","dev.biodev.project=%s"]}' "$1" "$PROJECT" | jq -sRr @uri)" | jq -r '.[0].Id'
}
app=$(cid app)
legacy=$(cid legacy)
[[ $(state "$app" | jq -r '.Config.Entrypoint[0]') == /.biodev-init ]] || fail "app's entrypoint is not biodev-init: $(state "$app" | jq -c .Config.Entrypoint)"
[[ $(state "$app" | jq -r '.Config.Labels["dev.biodev.in-place-restart"]') == true ]] || fail "app lacks the in-place label"
[[ $(state "$legacy" | jq -r '.Config.Entrypoint // [] | length') == 0 ]] || fail "legacy was wrapped: $(state "$legacy" | jq -c .Config.Entrypoint)"
app_started=$(state "$app" | jq -r .State.StartedAt)
legacy_started=$(state "$legacy" | jq -r .State.StartedAt)
port=$(host_port app 8000)
hello() { curl -fsS "http://$ENGINE_ADDR:$1/" | jq -r .message; }
[[ $(hello "$port") == first ]] || fail "app does not answer"

note "a warm up changes nothing"
expect_exit 0 "$BIODEV" -p "$PROJECT" --json up
expect_contains "$OUT" '"changed":false'

"$BIODEV" -p "$PROJECT" watch app legacy >watch.log 2>&1 &
watcher=$!
on_exit "kill -INT $watcher 2>/dev/null; wait $watcher 2>/dev/null"
sleep 1

note "an edit restarts app's process in the same container, and legacy's container"
sed -i 's/^MESSAGE = .*/MESSAGE = "second"/' app/server.py
wait_until 30 sh -c "[ \"\$(curl -fsS http://$ENGINE_ADDR:$port/ | jq -r .message)\" = second ]" ||
  { cat watch.log; fail "app did not serve the edit"; }
wait_until 30 grep -q "legacy.*ready" watch.log || { cat watch.log; fail "watch did not report legacy ready"; }
lport=$(host_port legacy 8000)  # a restarted container may get another engine-picked port
[[ $(hello "$lport") == second ]] || { cat watch.log; fail "legacy did not serve the edit"; }
[[ $(state "$app" | jq -r .State.StartedAt) == "$app_started" ]] || fail "app's container was restarted"
[[ $(state "$app" | jq -r .State.Running) == true ]] || fail "app's container is not running"
[[ $(host_port app 8000) == "$port" ]] || fail "app's host port changed"
[[ $(state "$legacy" | jq -r .State.StartedAt) != "$legacy_started" ]] || fail "legacy's container was not restarted"
grep -q "app.*its process, in the running container" watch.log || { cat watch.log; fail "watch did not say it restarted app's process"; }
"$BIODEV" -p "$PROJECT" logs app 2>&1 | grep -q "biodev-init: started python3" || fail "app's log lacks biodev-init's restart line"

note "an edit with a syntax error fails at once with the traceback; the container stays"
kill -INT $watcher; wait $watcher || true
"$BIODEV" -p "$PROJECT" watch app >watch.log 2>&1 &
watcher=$!
on_exit "kill -INT $watcher 2>/dev/null; wait $watcher 2>/dev/null"
sleep 1
echo 'broken(' >>app/server.py
wait_until 20 grep -q "exited with status 1" watch.log || { cat watch.log; fail "watch did not report the crash"; }
grep -q "SyntaxError" watch.log || { cat watch.log; fail "watch did not show the traceback"; }
[[ $(state "$app" | jq -r .State.Running) == true ]] || fail "the crash stopped app's container"
[[ $(state "$app" | jq -r .State.StartedAt) == "$app_started" ]] || fail "the crash restarted app's container"

note "the fix brings app back in the same container"
sed -i '$d' app/server.py
sed -i 's/^MESSAGE = .*/MESSAGE = "third"/' app/server.py
wait_until 30 sh -c "[ \"\$(curl -fsS http://$ENGINE_ADDR:$port/ | jq -r .message)\" = third ]" ||
  { cat watch.log; fail "app did not come back after the fix"; }
[[ $(state "$app" | jq -r .State.StartedAt) == "$app_started" ]] || fail "the fix restarted app's container"
kill -INT $watcher; wait $watcher || true
on_exit ":"

note "a stop reaches the process through biodev-init (no SIGKILL after the grace)"
expect_exit 0 "$BIODEV" -p "$PROJECT" stop app
code=$(state "$app" | jq -r .State.ExitCode)
[[ $code != 137 ]] || fail "app was killed after its grace: the stop signal did not reach python"

note "down -v leaves nothing"
expect_exit 0 "$BIODEV" -p "$PROJECT" down -v --yes
[[ $(labelled_count containers "$PROJECT") -eq 0 ]] || fail "containers left"
note "ok"
