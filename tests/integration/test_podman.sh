#!/usr/bin/env bash
# Podman: biodev against Podman's Docker-compatible API, on a `podman system service` of
# its own (a private socket, no system unit). biodev builds its images into Podman
# through /build; the bench stack comes up, and status, health, env (DATABASE_URL
# answers), run and down -v work; the default profile comes up healthy on its fixed
# ports, with its tiers kept apart, and goes; then the foundation and data-stack suites
# run again with Podman as their engine. Needs root and podman (scripts/deps.sh
# installs it); outside CI a machine without them skips, under CI=true it fails.
source "$(dirname "$0")/lib.sh"

skip_or_fail() {
  [[ ${CI:-} == true ]] && fail "$1 (CI requires it: scripts/deps.sh installs podman)"
  echo "SKIP [$TEST_NAME]: $1" >&2
  exit 125
}
command -v podman >/dev/null || skip_or_fail "podman is not installed"
[[ $(id -u) -eq 0 ]] || skip_or_fail "podman system service needs root here"

# Podman's defaults fail where RLIMIT_NPROC cannot be raised (setrlimit: operation not
# permitted) and with crun on this kind of machine: these work.
conf=/etc/containers/containers.conf
if [[ ! -e $conf ]]; then
  note "writing $conf"
  mkdir -p /etc/containers
  cat >"$conf" <<'CONF'
[containers]
default_ulimits = ["nofile=16384:16384", "nproc=4096:4096"]

[engine]
runtime = "runc"
CONF
fi

new_project
DPROJECT="$PROJECT-default"
PODMAN_DIR=$(mktemp -d /tmp/biodev-podman-XXXXXX)
SOCK=$PODMAN_DIR/podman.sock  # lib.sh's engine_get and labelled_count ask Podman
export DOCKER_HOST=unix://$SOCK
podman system service --time=0 "$DOCKER_HOST" >"$PODMAN_DIR/service.log" 2>&1 &
PODMAN_PID=$!
# The stacks go first, while the service still answers; then the service.
finish() {
  local rc=$?
  cd /
  for p in "$PROJECT" "$PROJECT-run" "$PROJECT-sb" "$DPROJECT"; do "$BIODEV" -p "$p" down -v --yes >/dev/null 2>&1 || true; done
  kill "$PODMAN_PID" 2>/dev/null || true
  wait "$PODMAN_PID" 2>/dev/null || true
  rm -rf "$WORK" "$PODMAN_DIR"
  exit $rc
}
trap finish EXIT
wait_until 30 curl -fsS --unix-socket "$SOCK" http://localhost/_ping ||
  fail "podman system service did not answer on $SOCK: $(tail -5 "$PODMAN_DIR/service.log")"
elapsed() { echo "$(( $(date +%s%N) / 1000000 - $1 ))ms"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

note "version names the engine"
expect_exit 0 "$BIODEV" version --json
[[ $(jq -r .engine.name <<<"$OUT") == Podman ]] || fail "expected engine Podman: $OUT"
version=$(jq -r .engine.version <<<"$OUT")
expect_exit 0 "$BIODEV" version
expect_contains "$OUT" "engine Podman $version (API "

note "images build into Podman through /build"
t=$(now_ms)
expect_exit 0 "$BIODEV" images build
note "images built in $(elapsed "$t")"
expect_exit 0 "$BIODEV" images list --json
jq -e 'all(.[]; .state == "current" or .state == "present")' <<<"$OUT" >/dev/null || fail "images missing: $OUT"

note "bench: up"
t=$(now_ms)
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench --json up --timeout 240
note "bench up in $(elapsed "$t")"
result=$(grep '"type":"result"' <<<"$OUT")
[[ $(jq '[.services[] | select(.ready)] | length' <<<"$result") -eq 4 ]] || fail "not all ready: $result"

note "bench: status, in Docker's shape"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench status --json
[[ $(jq '[.services[] | select(.state == "running")] | length' <<<"$OUT") -eq 4 ]] || fail "not 4 running: $OUT"
jq -e 'all(.services[]; (.image | startswith("docker.io/") or startswith("localhost/")) | not)' <<<"$OUT" \
  >/dev/null || fail "image names as Podman writes them: $OUT"
# Every bench service has a healthcheck: Docker's list shows its state, and so must Podman's
# (Podman runs the checks from systemd timers; without systemd they stay "starting").
jq -e 'all(.services[]; .health | IN("starting", "healthy", "unhealthy"))' <<<"$OUT" >/dev/null ||
  fail "no health in status: $OUT"

note "bench: health"
t=$(now_ms)
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench health
note "health in $(elapsed "$t")"

note "bench: env, and DATABASE_URL answers"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench env --format dotenv
db_url=$(sed -n 's/^DATABASE_URL=//p' <<<"$OUT" | tr -d "'\"")
[[ $db_url == postgresql://* ]] || fail "no DATABASE_URL: $OUT"
if command -v psql >/dev/null; then
  [[ $(psql "$db_url" -tAc 'select 1') == 1 ]] || fail "psql to $db_url"
else
  db_port=${db_url##*:}; db_port=${db_port%%/*}
  bash -c "exec 3<>/dev/tcp/127.0.0.1/$db_port" || fail "nothing answers on DATABASE_URL's port $db_port"
fi

note "bench: run -- true"
t=$(now_ms)
expect_exit 0 "$BIODEV" -p "$PROJECT-run" -f bench run -- true
note "run in $(elapsed "$t")"
wait_until 20 sh -c "[ \$(curl -fsS --unix-socket $SOCK 'http://localhost/containers/json?all=1&filters=%7B%22label%22%3A%5B%22dev.biodev.project%3D$PROJECT-run%22%5D%7D' | jq length) = 0 ]" ||
  fail "run left containers behind"

note "bench: up --shared-sandbox (members join their sandbox's namespace on Podman too)"
t=$(now_ms)
expect_exit 0 "$BIODEV" -p "$PROJECT-sb" -f bench up --shared-sandbox --timeout 300
note "shared-sandbox up in $(elapsed "$t")"
expect_exit 0 "$BIODEV" -p "$PROJECT-sb" -f bench health
expect_exit 0 "$BIODEV" -p "$PROJECT-sb" -f bench --json status
jq -e '[.services[] | select(.sandbox != null and .sandbox != "")] | length > 0' <<<"$OUT" >/dev/null ||
  fail "no service in a shared sandbox on Podman: $OUT"
expect_exit 0 "$BIODEV" -p "$PROJECT-sb" -f bench --json up --shared-sandbox
[[ $(grep '"type":"result"' <<<"$OUT" | jq -r .changed) == false ]] || fail "warm shared-sandbox up changed something: $OUT"
expect_exit 0 "$BIODEV" -p "$PROJECT-sb" -f bench down -v --yes
[[ $(labelled_count containers "$PROJECT-sb") -eq 0 ]] || fail "containers left after the shared-sandbox down"

note "bench: down -v"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench down -v --yes
for kind in containers networks volumes; do
  [[ $(labelled_count "$kind" "$PROJECT") -eq 0 ]] || fail "$kind left after down -v"
done

note "default profile (fixed host ports) from a folder without a compose file"
busy=$(ss -ltnH | awk '{print $4}' | grep -E ':(5432|6379|9000|6333|8000|8080)$' || true)
if [[ -n $busy ]]; then
  [[ ${CI:-} == true ]] && fail "the default profile's host ports are taken: $busy"
  note "SKIPPED the default profile: its host ports are taken ($busy)"
  note "ok"
  exit 0
fi
mkdir "$WORK/default" && cd "$WORK/default"
t=$(now_ms)
expect_exit 0 "$BIODEV" -p "$DPROJECT" --json up --timeout 300
note "default up in $(elapsed "$t")"
result=$(grep '"type":"result"' <<<"$OUT")
[[ $(jq -r .ok <<<"$result") == true ]] || fail "default up not ok: $OUT"
expect_exit 0 "$BIODEV" -p "$DPROJECT" health
curl -fsS http://127.0.0.1:8080/api/v1/health | jq -e '.status == "healthy"' >/dev/null ||
  fail "gateway aggregate health"
probe='import socket,sys; socket.create_connection(("inference", 8000), 2)'
expect_exit 0 "$BIODEV" -p "$DPROJECT" exec bio_worker -- python3 -c "$probe"
set +e
"$BIODEV" -p "$DPROJECT" exec bio_nexus -- python3 -c "$probe" >/dev/null 2>&1
rc=$?
set -e
[[ $rc -ne 0 ]] || fail "bio_nexus reaches inference: the tiers are not apart"
expect_exit 0 "$BIODEV" -p "$DPROJECT" down -v --yes
for kind in containers networks volumes; do
  [[ $(labelled_count "$kind" "$DPROJECT") -eq 0 ]] || fail "$kind of the default stack left after down -v"
done
# The same suites the local socket and the TLS engines run (test_engine_matrix.sh), here
# with Podman as the engine and as the independent view (DOCKER_SOCK).
for suite in test_foundation_bench_stack test_data_stack; do
  note "$suite on Podman"
  DOCKER_SOCK=$SOCK bash "$SRC/tests/integration/$suite.sh" || fail "$suite failed on Podman"
done
note "ok"
