#!/usr/bin/env bash
# Leases on the ci stack (engine-picked ports), against the real stores: isolation,
# seeds (rows, buckets with their objects, collections), release leaving nothing behind,
# reclaim when a keepalive connection closes and when a TTL passes
# (checks/leases_check.py, with psycopg, redis-py and boto3); the template database
# rebuilt when a seed script is added; `biodev lease` for shell scripts; the pytest, Jest
# and Go examples (test_leases_run.sh runs the pytest one under `biodev run`).
source "$(dirname "$0")/lib.sh"
require_engine
new_project
PROJECT="lease-it-$$"
/usr/bin/python3 -c 'import psycopg, redis, boto3, pytest' 2>/dev/null ||
  fail "needs Debian's python3-psycopg, python3-redis, python3-boto3 and python3-pytest (scripts/deps.sh)"
command -v npm >/dev/null || fail "npm is missing (scripts/deps.sh installs it)"
command -v go >/dev/null || fail "go is missing (scripts/deps.sh installs Debian's golang-go)"

note "npm ci: jest, pg and redis into a scratch copy of examples/leases/jest"
cp -r "$SRC/examples/leases/jest" jest
rm -rf jest/node_modules
registry=$(cd jest && npm config get registry)
out=$(cd jest && npm ci --no-audit --no-fund --fetch-retries=2 --fetch-retry-mintimeout=2000 \
        --fetch-retry-maxtimeout=10000 2>&1) ||
  fail "npm ci failed: is the npm registry $registry reachable from here?
$(grep -m 8 "npm error" <<<"$out" || tail -n 15 <<<"$out")"
cp -r "$SRC/init-scripts" "$WORK/"
B=("$BIODEV" -p "$PROJECT" -f ci)

note "up: the lease service is configured once the stack is ready"
"${B[@]}" up --timeout 240 >up.log 2>&1 || { tail -30 up.log; fail "up failed"; }
eval "$("${B[@]}" env)"
[[ $BIODEV_LEASES_URL == http://*/leases ]] || fail "biodev env exports no BIODEV_LEASES_URL: '$BIODEV_LEASES_URL'"
export BIODEV_LEASES_URL

note "isolation, seeds, release, reclaim (real clients)"
/usr/bin/python3 "$SRC/tests/integration/checks/leases_check.py" || fail "lease checks failed"

note "a new seed script rebuilds the template: new leases have it"
cat >init-scripts/postgres/03_lease_probe.sql <<'SQL'
CREATE TABLE IF NOT EXISTS lease_probe (v text);
INSERT INTO lease_probe VALUES ('added later');
SQL
"${B[@]}" up --timeout 120 >up2.log 2>&1 || { tail -30 up2.log; fail "second up failed"; }
eval "$("${B[@]}" lease --ttl 120)"
[[ $BIODEV_LEASE_ID =~ ^[0-9a-f]{10}$ ]] || fail "biodev lease printed no BIODEV_LEASE_ID"
[[ $DATABASE_URL == *"/biodev_lease_$BIODEV_LEASE_ID" ]] || fail "DATABASE_URL is not the lease's: $DATABASE_URL"
got=$(/usr/bin/python3 -c 'import os, psycopg; print(psycopg.connect(os.environ["DATABASE_URL"]).execute("SELECT v FROM lease_probe").fetchone()[0])') ||
  fail "lease $BIODEV_LEASE_ID has no lease_probe table from the new seed script"
[[ $got == "added later" ]] || fail "lease_probe reads '$got'"

note "biodev lease ls / release"
expect_exit 0 "${B[@]}" lease ls
expect_contains "$OUT" "$BIODEV_LEASE_ID"
expect_exit 0 "${B[@]}" lease release "$BIODEV_LEASE_ID"
expect_exit 1 "${B[@]}" lease release "$BIODEV_LEASE_ID"
expect_contains "$OUT" "no lease $BIODEV_LEASE_ID"
expect_exit 0 "${B[@]}" lease ls
[[ $OUT != *"$BIODEV_LEASE_ID"* ]] || fail "released lease still listed: $OUT"

note "biodev lease warm: the pool kept at the announced size"
expect_exit 0 "${B[@]}" lease warm 12 --for 60
expect_contains "$OUT" "12 kept ready"
ready=$(curl -sf "$BIODEV_LEASES_URL" | jq '.pool.ready')
announced=$(curl -sf "$BIODEV_LEASES_URL" | jq '.pool.announced')
[[ $ready -ge 12 && $announced -eq 12 ]] || fail "after lease warm 12: $ready ready, $announced announced"
expect_exit 2 "${B[@]}" lease warm 65
expect_contains "$OUT" "n=65: expected the number of leases wanted ready, 0 to 64"
expect_exit 0 "${B[@]}" lease warm 0

note "a profile without a lease service is a usage error"
expect_exit 2 "$BIODEV" -p "$PROJECT-none" -f bench lease
expect_contains "$OUT" "has no lease service"

note "the pytest example, against this stack"
eval "$("${B[@]}" env)"
/usr/bin/python3 -m pytest -q -p no:cacheprovider "$SRC/examples/leases/pytest" >pytest.log 2>&1 ||
  { cat pytest.log; fail "the pytest example failed"; }
grep -q "2 passed" pytest.log || { cat pytest.log; fail "the pytest example did not run its 2 tests"; }

note "the Jest example (node-postgres, node-redis), against this stack"
(cd jest && node node_modules/jest/bin/jest.js --ci --json --outputFile=result.json) >jest.log 2>&1 ||
  { cat jest.log; fail "the Jest example failed"; }
[[ $(jq '[.numPassedTests, .numFailedTests, .numTotalTests] | join(" ")' -r jest/result.json) == "2 0 2" ]] ||
  { cat jest.log; fail "the Jest example did not pass its 2 tests"; }

note "the Go example (standard library only), against this stack"
cp -r "$SRC/examples/leases/go" go
(cd go && GOFLAGS=-mod=mod GOPROXY=off GOCACHE="$WORK/.gocache" go test -count=1 -v ./...) >go.log 2>&1 ||
  { cat go.log; fail "the Go example failed"; }
[[ $(grep -c -- "^--- PASS" go.log) -eq 2 ]] || { cat go.log; fail "the Go example did not pass its 2 tests"; }

note "down -v: nothing of the project left"
"${B[@]}" down -v --yes >/dev/null 2>&1
[[ $(labelled_count containers "$PROJECT") -eq 0 && $(labelled_count networks "$PROJECT") -eq 0 ]] ||
  fail "objects of $PROJECT left after down -v"
note "ok"
