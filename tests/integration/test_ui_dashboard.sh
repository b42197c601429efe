#!/usr/bin/env bash
# `biodev ui` in a real browser: Debian's headless Chromium driven by playwright-core (the
# version pinned in tests/clients/dashboard/package-lock.json, installed here with
# `npm ci`) on the bench stack (engine-picked ports) with a postgres seed. The page shows
# every service running and in the topology; a service stopped through the Engine API
# turns to exited within seconds; the restart button brings it back; its logs arrive and
# follow on after the restart; the search box filters them; while another holds the
# project lock the stop button is refused and the page says the project is busy. Then,
# without a browser: the seed ledger's result, the Host and X-Biodev checks, an unknown
# service, the lock's 409 (the container untouched), a taken port.
source "$(dirname "$0")/lib.sh"
require_engine
command -v node >/dev/null || fail "node is missing (scripts/deps.sh installs nodejs)"
command -v npm >/dev/null || fail "npm is missing (scripts/deps.sh installs it)"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[[ -x $CHROMIUM ]] || fail "no Chromium at $CHROMIUM (scripts/deps.sh installs Debian's chromium)"
new_project
PROJECT="ui-dash-$$"  # a name of its own: the browser test may run beside the others
UI_PID=
HOLDER=
on_exit '[[ -z $UI_PID ]] || kill "$UI_PID"; [[ -z $HOLDER ]] || kill "$HOLDER" 2>/dev/null'

note "npm ci: playwright-core into a scratch copy of tests/clients/dashboard"
cp -r "$SRC/tests/clients/dashboard" client
rm -rf client/node_modules
registry=$(cd client && npm config get registry)
out=$(cd client && npm ci --no-audit --no-fund --fetch-retries=2 --fetch-retry-mintimeout=2000 \
        --fetch-retry-maxtimeout=10000 2>&1) ||
  fail "npm ci failed: is the npm registry $registry reachable from here?
$(grep -m 8 "npm error" <<<"$out" || tail -n 15 <<<"$out")"

mkdir -p init
echo "CREATE TABLE ui_seeded (id int);" >init/01_table.sql
cat >biodev.yaml <<'YAML'
extends: bench
services:
  postgres:
    seed: { type: postgres, scripts: init }
YAML

note "up: the bench stack with a postgres seed"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f biodev.yaml up --timeout 120

note "ui on a free port"
"$BIODEV" -p "$PROJECT" -f biodev.yaml ui --port 0 >ui.out 2>ui.err &
UI_PID=$!
wait_until 20 grep -q 'http://127.0.0.1:' ui.out || fail "biodev ui printed no address:
$(cat ui.out ui.err)"
URL=$(grep -o "http://127.0.0.1:[0-9]*" ui.out)
PORT=${URL#http://127.0.0.1:}


CONTAINER=$(engine_get "/containers/$PROJECT-redis/json" | jq -r .Id)
note "the browser: $URL"
LOCK=/tmp/biodev-locks/$PROJECT.lock  # plan/project_lock.cpp's path
out=$(cd client && CHROMIUM=$CHROMIUM DOCKER_SOCK=$SOCK LOCK_FILE=$LOCK timeout 150 node dashboard.mjs "$URL/" \
        postgres,redis,inference,gateway redis "$CONTAINER" 2>&1) || fail "the browser test failed:
$out
--- biodev ui:
$(cat ui.err)"
echo "$out" >&2
expect_contains "$out" "PASS the restart button brought redis back"
expect_contains "$out" "PASS while another holds the project lock the stop button is refused"
[[ $(engine_get "/containers/$PROJECT-redis/json" | jq -r .State.Status) == running ]] ||
  fail "redis is not running in the engine after the restart button"

note "the seed ledger's last result"
seeded() { curl -fsS "$URL/api/stack" | jq -e '.services[] | select(.service=="postgres") | .seed | test("1 script\\(s\\) applied, last 01_table.sql at ")'; }
wait_until 40 seeded || fail "the page does not show postgres's ledger: $(curl -sS "$URL/api/stack" | jq -c '.services[0]')"

note "requests another site could make are refused"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/api/services/redis/stop")
[[ $code == 403 ]] || fail "a POST without X-Biodev answered $code, not 403"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example:80' "$URL/api/stack")
[[ $code == 403 ]] || fail "a request for another host name answered $code, not 403"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Biodev: 1' -H "Origin: http://evil.example" -X POST "$URL/api/services/redis/stop")
[[ $code == 403 ]] || fail "a POST from another origin answered $code, not 403"
body=$(curl -s -H 'X-Biodev: 1' -X POST "$URL/api/services/nope/restart")
expect_contains "$body" 'no service \"nope\" in project'
[[ $(engine_get "/containers/$PROJECT-redis/json" | jq -r .State.Status) == running ]] ||
  fail "a refused request stopped redis"

note "the buttons take the project lock: refused at once with 409 and the holder while it is held"
bash -c 'exec 9>>"$1" && flock -x 9 && printf "biodev down, pid %s, since now\n" "$$" >"$1" && exec sleep 60' holder "$LOCK" &
HOLDER=$!
wait_until 5 grep -q "biodev down, pid $HOLDER" "$LOCK" || fail "the lock holder did not start"
started=$(engine_get "/containers/$PROJECT-redis/json" | jq -r .State.StartedAt)
code=$(curl -s -o busy.json -w '%{http_code}' -H 'X-Biodev: 1' -X POST "$URL/api/services/redis/restart")
[[ $code == 409 ]] || fail "a restart while the project is locked answered $code, not 409: $(cat busy.json)"
expect_contains "$(jq -r .error busy.json)" "project $PROJECT is busy (biodev down, pid $HOLDER, since now); redis was not restarted"
[[ $(jq -r .busy busy.json) == true && $(jq -r .holder busy.json) == "biodev down, pid $HOLDER, since now" ]] ||
  fail "the 409 body does not name the holder: $(cat busy.json)"
[[ $(engine_get "/containers/$PROJECT-redis/json" | jq -r .State.StartedAt) == "$started" ]] ||
  fail "redis was restarted although the project was locked"
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null || true
HOLDER=
code=$(curl -s -o done.json -w '%{http_code}' -H 'X-Biodev: 1' -X POST "$URL/api/services/redis/restart")
[[ $code == 200 ]] || fail "a restart once the lock is free answered $code: $(cat done.json)"
[[ $(engine_get "/containers/$PROJECT-redis/json" | jq -r .State.StartedAt) != "$started" ]] ||
  fail "the restart that answered 200 did not restart redis"

note "a second ui on the same port fails with exit 1 and says why"
expect_exit 1 "$BIODEV" -p "$PROJECT" -f biodev.yaml ui --port "$PORT"
expect_contains "$OUT" "cannot listen on 127.0.0.1:$PORT"
expect_exit 2 "$BIODEV" -p "$PROJECT" -f biodev.yaml ui --port 70000

kill "$UI_PID"
wait "$UI_PID" 2>/dev/null || true
UI_PID=
note "ok"
