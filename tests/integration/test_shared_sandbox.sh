#!/usr/bin/env bash
# Shared network sandboxes: the bench stack comes up in one namespace (one sandbox
# container holding the published ports and every member's DNS names, members joined
# to it), answers on its ports and by name, is healthy, keeps its mode on a warm up, goes
# back to separate sandboxes when asked, and `down` leaves nothing; `biodev run` uses
# shared sandboxes by default.
source "$(dirname "$0")/lib.sh"
require_engine
new_project
PROJECT="sbx-it-shared-$$"
RUN_PROJECT="sbx-it-shared-run-$$"
on_exit '"$BIODEV" -p "$RUN_PROJECT" down -v --yes >/dev/null 2>&1'

containers_json() {
  local filter
  filter=$(printf '{"label":["dev.biodev.project=%s"]}' "$1" | jq -sRr @uri)
  engine_get "/containers/json?all=1&filters=$filter"
}

note "cold up of the bench stack in shared-sandbox mode"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench --json up --shared-sandbox --timeout 240
result=$(grep '"type":"result"' <<<"$OUT")
[[ $(jq -r .ok <<<"$result") == true ]] || fail "up not ok: $OUT"
[[ $(jq '[.services[] | select(.ready and .sandbox == "sandbox:postgres")] | length' <<<"$result") -eq 4 ]] ||
  fail "expected 4 ready services in sandbox:postgres: $result"

note "the engine holds one sandbox with every port and name, and four members joined to it"
list=$(containers_json "$PROJECT")
[[ $(jq length <<<"$list") -eq 5 ]] || fail "expected 5 containers (4 services, 1 sandbox): $list"
sandbox=$(jq -r '.[] | select(.Labels["dev.biodev.service"]=="sandbox:postgres") | .Id' <<<"$list")
[[ -n $sandbox ]] || fail "no sandbox container: $list"
inspect=$(engine_get "/containers/$sandbox/json")
ports=$(jq -r '[.NetworkSettings.Ports | to_entries[] | select(.value != null) | .key] | sort | join(",")' <<<"$inspect")
[[ $ports == "5432/tcp,6379/tcp,8000/tcp,8080/tcp" ]] || fail "sandbox publishes '$ports'"
aliases=$(jq -r --arg n "${PROJECT}_bio_net" '.NetworkSettings.Networks[$n].Aliases | sort | join(",")' <<<"$inspect")
for svc in postgres redis inference gateway; do
  [[ ,$aliases, == *",$svc,"* ]] || fail "DNS name $svc is not an alias of the sandbox: $aliases"
done
for svc in postgres redis inference gateway; do
  id=$(jq -r --arg s "$svc" '.[] | select(.Labels["dev.biodev.service"]==$s) | .Id' <<<"$list")
  mode=$(engine_get "/containers/$id/json" | jq -r .HostConfig.NetworkMode)
  # A member is created after its sandbox, and Docker stores the id of the container it joins.
  [[ $mode == "container:$sandbox" ]] || fail "$svc has NetworkMode $mode, not container:$sandbox"
done

note "published ports answer from the host; names resolve inside the namespace"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench status --json
gw=$(jq -r '.services[] | select(.service=="gateway") | .ports[0].host_port' <<<"$OUT")
[[ $(jq -r '.services[] | select(.service=="redis") | .sandbox' <<<"$OUT") == "sandbox:postgres" ]] || fail "status: $OUT"
[[ $(jq -r '.services[] | select(.service=="sandbox:postgres") | .members | join(",")' <<<"$OUT") == \
   "postgres,redis,inference,gateway" ]] || fail "status members: $OUT"
curl -fsS "http://$ENGINE_ADDR:$gw/health" | jq -e '.status == "ok"' >/dev/null || fail "gateway /health"
# The gateway reaches inference by its DNS name (its route), through the sandbox's alias.
curl -fsS "http://$ENGINE_ADDR:$gw/inference/health" >/dev/null || fail "gateway -> inference by name"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench exec redis -- redis-cli -h postgres -p 6379 ping
expect_contains "$OUT" "PONG"  # one namespace: redis's port answers at postgres's name
pg=$(host_port postgres 5432)
PGPASSWORD=bio-local-only psql -h "$ENGINE_ADDR" -p "$pg" -U bio -d bio -tAc 'select 1' | grep -qx 1 ||
  fail "postgres on its published port $pg"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench health
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench status
expect_contains "$OUT" "SANDBOX"
expect_contains "$OUT" "holds postgres, redis, inference, gateway"
expect_exit 0 "$BIODEV" -f bench graph --shared-sandbox
expect_contains "$OUT" 'subgraph sandbox_postgres["sandbox:postgres: one network namespace"]'

note "a warm up keeps the mode and touches nothing"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench --json up
[[ $(grep '"type":"result"' <<<"$OUT" | jq -r .changed) == false ]] || fail "warm up changed something: $OUT"

note "restart of a member keeps it in the namespace"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench restart inference
curl -fsS "http://$ENGINE_ADDR:$gw/inference/health" >/dev/null || fail "inference after its restart"

note "--no-shared-sandbox goes back to a sandbox per service"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench --json up --no-shared-sandbox
list=$(containers_json "$PROJECT")
[[ $(jq length <<<"$list") -eq 4 ]] || fail "expected the 4 services alone: $list"
[[ $(jq '[.[] | select(.HostConfig.NetworkMode | startswith("container:"))] | length' <<<"$list") -eq 0 ]] ||
  fail "a service still joins a sandbox: $list"

note "down removes everything"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench up --shared-sandbox
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench down -v --yes
[[ $(labelled_count containers "$PROJECT") -eq 0 ]] || fail "containers left after down"
[[ $(labelled_count networks "$PROJECT") -eq 0 ]] || fail "networks left after down"
[[ $(labelled_count volumes "$PROJECT") -eq 0 ]] || fail "volumes left after down -v"

note "biodev run groups services by default, and leaves nothing"
check='c=$("$BIODEV" -p "$BIODEV_PROJECT" status --json) && [ "$(echo "$c" | jq -r ".services[] | select(.service==\"redis\") | .sandbox")" = sandbox:postgres ] && curl -fsS "$GATEWAY_URL/health" >/dev/null'
expect_exit 0 env BIODEV="$BIODEV" "$BIODEV" -p "$RUN_PROJECT" -f bench run -- sh -c "$check"
[[ $(labelled_count containers "$RUN_PROJECT") -eq 0 ]] || fail "containers left after run"
[[ $(labelled_count networks "$RUN_PROJECT") -eq 0 ]] || fail "networks left after run"
note "ok"
