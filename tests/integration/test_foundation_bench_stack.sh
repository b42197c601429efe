#!/usr/bin/env bash
# Foundation: the bench profile comes up healthy from a clean folder, status shows it,
# a second up changes nothing, down removes every labelled object.
source "$(dirname "$0")/lib.sh"
require_engine
new_project

note "cold up (bench profile)"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench --json up --timeout 240
result=$(grep '"type":"result"' <<<"$OUT")
[[ $(jq -r .ok <<<"$result") == true ]] || fail "up not ok: $OUT"
[[ $(jq '.services | length' <<<"$result") -eq 4 ]] || fail "expected 4 services: $result"
[[ $(jq '[.services[] | select(.ready)] | length' <<<"$result") -eq 4 ]] || fail "not all ready: $result"

note "status lists the four services running"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench status --json
for svc in postgres redis inference gateway; do
  state=$(jq -r --arg s "$svc" '.services[] | select(.service==$s) | .state' <<<"$OUT")
  [[ $state == running ]] || fail "$svc is '$state', expected running: $OUT"
done

note "published ports answer from the host"
gw=$(jq -r '.services[] | select(.service=="gateway") | .ports[0].host_port' <<<"$OUT")
curl -fsS "http://$ENGINE_ADDR:$gw/health" | jq -e '.status == "ok"' >/dev/null || fail "gateway /health"

note "a second up touches nothing"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench --json up
result=$(grep '"type":"result"' <<<"$OUT")
[[ $(jq -r .changed <<<"$result") == false ]] || fail "warm up changed something: $result"

note "down removes containers and networks, keeps the volume"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench down
expect_contains "$OUT" "removed 4 containers, 1 networks (data kept)"
[[ $(labelled_count containers "$PROJECT") -eq 0 ]] || fail "containers left after down"
[[ $(labelled_count networks "$PROJECT") -eq 0 ]] || fail "networks left after down"
[[ $(labelled_count volumes "$PROJECT") -eq 1 ]] || fail "the pgdata volume should be kept"

note "down -v removes the volume too"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench down -v --yes
expect_contains "$OUT" "removed 0 containers, 0 networks, 1 volumes and 0 data folders"
[[ $(labelled_count volumes "$PROJECT") -eq 0 ]] || fail "volume left after down -v"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench down -v --yes
expect_contains "$OUT" "nothing to remove"
note "ok"
