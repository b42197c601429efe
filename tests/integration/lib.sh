# Shared by the integration tests. Each test is a bash script run by ctest with
# BIODEV (the binary) and BIODEV_SOURCE_DIR set. Outside CI a missing engine skips the
# test (exit 125); under CI=true it fails it: CI must never silently skip.
set -euo pipefail

BIODEV=${BIODEV:?set BIODEV to the biodev binary}
SRC=${BIODEV_SOURCE_DIR:?set BIODEV_SOURCE_DIR}
SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
TEST_NAME=$(basename "$0" .sh)
# Where the engine's published ports are reached (another address when a test runs the
# suite against an engine "elsewhere", see test_engine_matrix.sh).
ENGINE_ADDR=${BIODEV_TEST_ENGINE_ADDR:-127.0.0.1}

fail() { echo "FAIL [$TEST_NAME]: $*" >&2; exit 1; }
note() { echo "-- [$TEST_NAME] $*" >&2; }

require_engine() {
  if ! curl -fsS -m 3 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1; then
    if [[ ${CI:-} == true ]]; then fail "no Docker engine at $SOCK (CI requires one)"; fi
    echo "SKIP [$TEST_NAME]: no Docker engine at $SOCK" >&2
    exit 125
  fi
}

# Engine API GET through curl: an independent view of what biodev did.
engine_get() { curl -fsS --unix-socket "$SOCK" "http://localhost$1"; }
# DELETE of an object a test made itself, best effort (it may be gone already).
engine_delete() { curl -fsS --unix-socket "$SOCK" -X DELETE "http://localhost$1" >/dev/null 2>&1 || true; }
# Count of objects labelled with a project: containers, networks, volumes.
labelled_count() {
  local kind=$1 project=$2 filter
  filter=$(printf '{"label":["dev.biodev.project=%s"]}' "$project" | jq -sRr @uri)
  case $kind in
    containers) engine_get "/containers/json?all=1&filters=$filter" | jq length ;;
    networks) engine_get "/networks?filters=$filter" | jq length ;;
    volumes) engine_get "/volumes?filters=$filter" | jq '.Volumes // [] | length' ;;
  esac
}

# A fresh project folder and name per test; removed (with its stack) on exit.
new_project() {
  WORK=$(mktemp -d "/tmp/biodev-it-XXXXXX")
  chmod 755 "$WORK"  # containers running as the data owner read mounted sources
  PROJECT="it-${TEST_NAME//_/-}-$$"
  PROJECT=${PROJECT:0:50}
  cd "$WORK"
  trap cleanup EXIT
}
# on_exit 'CMD': CMD (the test's own objects outside the project) runs on exit, then
# cleanup; the test's exit status stays what it was, so a failure is never lost, and a
# failing CMD does not skip cleanup. A second on_exit replaces the first.
# shellcheck disable=SC2064,SC2154 # CMD's text goes into the trap now, runs at exit
on_exit() { trap "__rc=\$?; { $1; } || true; cleanup \$__rc" EXIT; }
cleanup() {
  local rc=${1:-$?}
  cd /
  "$BIODEV" -p "$PROJECT" down -v --yes >/dev/null 2>&1 || true
  rm -rf "$WORK"
  exit $rc
}

# expect_exit CODE CMD...: runs CMD, captures stdout+stderr in $OUT, checks the code.
expect_exit() {
  local want=$1; shift
  set +e
  OUT=$("$@" 2>&1)
  local got=$?
  set -e
  [[ $got -eq $want ]] || fail "expected exit $want, got $got from: $*
$OUT"
}
expect_contains() { [[ $1 == *"$2"* ]] || fail "expected output to contain: $2
--- output:
$1"; }

command -v jq >/dev/null || fail "jq is needed by the integration tests (apt-get install jq)"

# A project folder holding copies of the repo's examples/ and init-scripts/ (so tests
# edit copies), and a .env asking the engine to pick every host port.
default_stack_folder() {
  cp -r "$SRC/examples" "$SRC/init-scripts" "$WORK/"
  cat >"$WORK/.env" <<ENV
POSTGRES_PORT=0
REDIS_PORT=0
S3_PORT=0
QDRANT_PORT=0
INFERENCE_PORT=0
GATEWAY_PORT=0
ENV
}

# wait_until SECONDS CMD...: retries CMD every 0.2s until it succeeds.
wait_until() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < deadline )) || return 1
    sleep 0.2
  done
}

# The host port the engine published for SERVICE's container port PORT (the warnings
# --json prints first are lines of their own).
host_port() {
  "$BIODEV" -p "$PROJECT" status --json | jq -r --arg s "$1" --argjson p "$2" \
    'select(.services) | .services[] | select(.service==$s) | .ports[] | select(.container_port==$p) | .host_port'
}

# make_test_certs DIR: a CA (DIR/ca.pem), a server certificate for 127.0.0.1, 127.0.0.2
# and engine.test (DIR/server.pem), and a client certificate in DIR/client/ as the docker
# CLI wants it (ca.pem, cert.pem, key.pem).
test_cert() {  # test_cert DIR NAME SUBJECT EXTENSIONS: DIR/NAME.pem, DIR/NAME-key.pem
  local dir=$1 name=$2
  openssl req -newkey rsa:2048 -nodes -keyout "$dir/$name-key.pem" -out "$dir/$name.csr" -subj "$3" 2>/dev/null
  printf '%b' "$4" >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial \
    -out "$dir/$name.pem" -days 2 -extfile "$dir/$name.ext" 2>/dev/null
}
make_test_certs() {
  local dir=$1
  mkdir -p "$dir/client"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" -days 2 \
    -subj "/CN=biodev test CA" 2>/dev/null
  test_cert "$dir" server "/CN=engine" \
    'subjectAltName=IP:127.0.0.1,IP:127.0.0.2,DNS:engine.test\nextendedKeyUsage=serverAuth\n'
  test_cert "$dir" client "/CN=client" 'extendedKeyUsage=clientAuth\n'
  cp "$dir/ca.pem" "$dir/client/ca.pem"
  cp "$dir/client.pem" "$dir/client/cert.pem"
  cp "$dir/client-key.pem" "$dir/client/key.pem"
}
# tls_front DIR ADDR PORT CERTNAME: a TLS front requiring client certificates signed by
# DIR/ca.pem, on ADDR:PORT, in front of the engine's socket (its pid added to PIDS).
PIDS=()
tls_front() {
  local dir=$1 addr=$2 port=$3 cert=$4
  if bash -c "exec 3<>/dev/tcp/$addr/$port" 2>/dev/null; then
    fail "$addr:$port is already in use: stop what listens there (or choose another port for the test)"
  fi
  # -t: after one direction ends (an exec's stdin), keep the other open (its output).
  socat -t 3600 "openssl-listen:$port,bind=$addr,reuseaddr,fork,cert=$dir/$cert.pem,key=$dir/$cert-key.pem,cafile=$dir/ca.pem,verify=1" \
    "UNIX-CONNECT:$SOCK" 2>/dev/null &
  PIDS+=("$!")
  wait_until 10 bash -c "exec 3<>/dev/tcp/$addr/$port" || fail "no TLS front on $addr:$port"
}
