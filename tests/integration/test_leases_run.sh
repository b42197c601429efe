#!/usr/bin/env bash
# Leases inside `biodev run`: the ephemeral stack's lease service is configured before
# the command starts, BIODEV_LEASES_URL is in its env, and the pytest example
# (examples/leases/pytest) passes against it; nothing of the run is left afterwards.
source "$(dirname "$0")/lib.sh"
require_engine
new_project
PROJECT="lease-it-run-$$"
/usr/bin/python3 -c 'import psycopg, redis, pytest' 2>/dev/null ||
  fail "needs Debian's python3-psycopg, python3-redis and python3-pytest (scripts/deps.sh)"
cp -r "$SRC/init-scripts" "$WORK/"

"$BIODEV" -p "$PROJECT" run -- /usr/bin/python3 -m pytest -q -p no:cacheprovider "$SRC/examples/leases/pytest" \
  >run.log 2>&1 || { tail -30 run.log; fail "the pytest example failed under biodev run"; }
grep -q "2 passed" run.log || { tail -30 run.log; fail "the pytest example did not run its 2 tests under biodev run"; }
wait_until 20 sh -c "[ \$(curl -fsS --unix-socket $SOCK 'http://localhost/containers/json?all=1&filters=%7B%22label%22%3A%5B%22dev.biodev.project%3D$PROJECT%22%5D%7D' | jq length) = 0 ]" ||
  fail "containers of $PROJECT left after the run"
note "ok"
