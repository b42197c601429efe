#!/usr/bin/env bash
# Inference through the gateway, /api/v1/health following a stopped service, tier
# isolation, `biodev health` exit codes, and the pre-commit hook.
source "$(dirname "$0")/lib.sh"
require_engine
new_project
default_stack_folder
expect_exit 0 "$BIODEV" -p "$PROJECT" up --timeout 300
gw=$(host_port gateway 8080)

note "embeddings through the gateway: right dimension, deterministic"
embed() { curl -fsS -X POST "http://127.0.0.1:$gw/inference/v1/embeddings" -H 'Content-Type: application/json' -d "{\"input\":\"$1\"}"; }
a=$(embed "sequence ACGT" | jq -c '.data[0].embedding')
b=$(embed "sequence ACGT" | jq -c '.data[0].embedding')
c=$(embed "sequence TTTT" | jq -c '.data[0].embedding')
[[ $(jq length <<<"$a") -eq 384 ]] || fail "embedding dimension is not 384"
[[ $a == "$b" ]] || fail "same text gave different vectors"
[[ $a != "$c" ]] || fail "different texts gave the same vector"
curl -fsS "http://127.0.0.1:$gw/api/embed?text=hi" | jq -e '.dim == 384' >/dev/null || fail "bio_ai_server -> inference"

note "/api/v1/health: 200 when healthy"
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$gw/api/v1/health") == 200 ]] || fail "health not 200"
expect_exit 0 "$BIODEV" -p "$PROJECT" health

note "stopping redis turns it 503 within a few seconds, and biodev health exits 1 naming redis"
redis_id=$("$BIODEV" -p "$PROJECT" status --json | jq -r '.services[] | select(.service=="redis") | .id')
curl -fsS --unix-socket "$SOCK" -X POST "http://localhost/containers/$redis_id/stop?t=1" >/dev/null
start=$(date +%s)
wait_until 5 sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$gw/api/v1/health) = 503 ]" || fail "gateway still 200 5s after redis stopped"
note "503 after $(( $(date +%s) - start ))s"
curl -s "http://127.0.0.1:$gw/api/v1/health" | jq -e '.services.redis.status == "unhealthy"' >/dev/null || fail "redis not reported unhealthy"
expect_exit 1 "$BIODEV" -p "$PROJECT" health
expect_contains "$OUT" "unhealthy: redis"

note "the pre-commit hook blocks the commit and names the service"
git init -q . && git config user.email t@example.com && git config user.name t
expect_exit 0 "$BIODEV" -p "$PROJECT" hook install
expect_exit 0 "$BIODEV" -p "$PROJECT" hook install   # twice: still one block
[[ $(grep -c '>>> biodev health >>>' .git/hooks/pre-commit) -eq 1 ]] || fail "hook block duplicated"
echo x > f && git add f
expect_exit 1 git commit -qm "blocked"
expect_contains "$OUT" "redis"
expect_contains "$OUT" "not healthy"

note "up brings it back: 200 and exit 0, the commit goes through"
expect_exit 0 "$BIODEV" -p "$PROJECT" up --timeout 120
wait_until 5 sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$gw/api/v1/health) = 200 ]" || fail "gateway not back to 200"
expect_exit 0 "$BIODEV" -p "$PROJECT" health
expect_exit 0 git commit -qm "allowed"

note "tiers: bio_nexus cannot reach inference, bio_ai_server can"
probe='import socket,sys
try:
    socket.create_connection(("inference", 8000), timeout=2).close()
except OSError as e:
    print("unreachable:", e); sys.exit(1)
print("reachable")'
expect_exit 1 "$BIODEV" -p "$PROJECT" exec -T bio_nexus -- python3 -c "$probe"
expect_contains "$OUT" "unreachable"
expect_exit 0 "$BIODEV" -p "$PROJECT" exec -T bio_ai_server -- python3 -c "$probe"
expect_exit 0 "$BIODEV" -p "$PROJECT" exec -T bio_worker -- python3 -c "$probe"

note "health: exit 2 when nothing runs for the project, 3 without an engine"
expect_exit 2 "$BIODEV" -p "$PROJECT-none" health
expect_exit 3 env DOCKER_HOST=unix:///nonexistent.sock "$BIODEV" -p "$PROJECT" health
note "ok"
