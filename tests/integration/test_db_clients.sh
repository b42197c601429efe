#!/usr/bin/env bash
# The offline Redis and Postgres (biodev/redis:7, biodev/postgres:15) held to what real
# clients that nobody here wrote expect of them. Debian's redis-py runs
# tests/integration/clients/db_redis.py (strings and expiry, counters, hashes, lists with
# blocking pops, sets, sorted sets, pipelines, MULTI/EXEC and WATCH, pub/sub, Lua, SCAN,
# streams with consumer groups, logical databases, client names, WRONGTYPE; a second
# Redis that requires a password refuses none and a wrong one). Debian's Psycopg 3 and
# psycopg2 each run tests/integration/clients/db_psycopg.py (DATABASE_URL, parameters,
# executemany, COPY, transactions and savepoints, server-side cursors, LISTEN/NOTIFY,
# JSONB, arrays, timestamptz, prepared statements, SQLSTATE errors; a wrong password and
# a missing database refused). Any newer client `python3` has runs them too. The same
# Postgres gets an /docker-entrypoint-initdb.d script (the image's contract) and a
# biodev seed folder (the default profile's), both checked through psycopg. Redis Stack's
# stand-in answers its module commands (JSON.*, FT.*, ...) with an error naming the module.
source "$(dirname "$0")/lib.sh"
require_engine
new_project

mkdir initdb seed
cat >initdb/01-contract.sql <<'SQL'
create table contract (source text primary key, db text not null, who text not null);
insert into contract values ('initdb', current_database(), current_user);
SQL
cat >seed/01_contract.sql <<'SQL'
insert into contract values ('seed', current_database(), current_user) on conflict do nothing;
SQL

cat >biodev.yaml <<'YAML'
volumes:
  pgdata: {}

services:
  postgres:
    image: biodev/postgres:15
    offline: { image: biodev/postgres:15 }
    env: { POSTGRES_USER: bio, POSTGRES_PASSWORD: conformance-pg-pw, POSTGRES_DB: bio }
    ports: ["127.0.0.1:0:5432"]
    mounts: ["pgdata:/var/lib/postgresql/data", "./initdb:/docker-entrypoint-initdb.d:ro"]
    ready: { type: postgres, port: 5432, user: bio, database: bio }
    healthcheck: { test: "pg_isready -q -h 127.0.0.1 -U bio -d bio", interval: 2s, timeout: 2s, retries: 10 }
    seed: { type: postgres, scripts: seed }

  redis:
    image: biodev/redis:7
    offline: { image: biodev/redis:7 }
    command: [redis-server, --save, "", --appendonly, "no", --protected-mode, "no"]
    ports: ["127.0.0.1:0:6379"]
    ready: { type: redis, port: 6379 }
    healthcheck: { test: "redis-cli ping", interval: 2s, timeout: 2s, retries: 10 }

  redis_auth:
    image: biodev/redis:7
    offline: { image: biodev/redis:7 }
    command: [redis-server, --save, "", --appendonly, "no", --protected-mode, "no", --requirepass, conformance-redis-pw]
    ports: ["127.0.0.1:0:6379"]
    ready: { type: redis, port: 6379 }
    healthcheck: { test: "redis-cli -a conformance-redis-pw --no-auth-warning ping", interval: 2s, timeout: 2s, retries: 10 }

exports:
  DATABASE_URL: "postgresql://bio:conformance-pg-pw@{{postgres:5432}}/bio"
  REDIS_URL: "redis://{{redis:6379}}/0"
YAML

# A team's compose file naming upstream Redis Stack, served offline by biodev/redis:7: the
# module commands answer an error that names the missing module.
mkdir stack
cat >stack/compose.yaml <<'YAML'
services:
  cache:
    image: redis/redis-stack-server:7.4.0-v1
    ports: ["127.0.0.1::6379"]
    environment: { REDIS_ARGS: "--save ''" }
YAML
STACK_PROJECT=$PROJECT-stack
on_exit '"$BIODEV" -p "$STACK_PROJECT" -f stack/compose.yaml down -v >/dev/null 2>&1'

note "up: Postgres (initdb script and seed), Redis, and a Redis that requires a password"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f biodev.yaml up --timeout 180
note "up: a compose file's Redis Stack, offline"
expect_exit 0 "$BIODEV" -p "$STACK_PROJECT" -f stack/compose.yaml up --offline --timeout 120
expect_contains "$OUT" "cache (stand-in for Redis Stack, without its modules)"
expect_exit 0 "$BIODEV" -p "$STACK_PROJECT" -f stack/compose.yaml status --json
STACK_PORT=$(jq -r 'select(.services) | .services[] | select(.service == "cache") | .ports[] | select(.container_port == 6379) | .host_port' <<<"$OUT")
expect_exit 0 "$BIODEV" -p "$PROJECT" -f biodev.yaml status --json
STATUS=$OUT
port_of() { jq -r --arg s "$1" --argjson p "$2" \
  '.services[] | select(.service == $s) | .ports[] | select(.container_port == $p) | .host_port' <<<"$STATUS"; }
PG_PORT=$(port_of postgres 5432)
REDIS_PORT=$(port_of redis 6379)
AUTH_PORT=$(port_of redis_auth 6379)
for p in "$PG_PORT" "$REDIS_PORT" "$AUTH_PORT" "$STACK_PORT"; do
  [[ $p =~ ^[0-9]+$ && $p != 0 ]] || fail "a service has no published port: $STATUS"
done

note "biodev env: the exported URLs carry the published ports"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f biodev.yaml env --format json
DATABASE_URL=$(jq -r .DATABASE_URL <<<"$OUT")
REDIS_URL=$(jq -r .REDIS_URL <<<"$OUT")
[[ $DATABASE_URL == "postgresql://bio:conformance-pg-pw@127.0.0.1:$PG_PORT/bio" ]] \
  || fail "DATABASE_URL is '$DATABASE_URL', expected port $PG_PORT: $OUT"
[[ $REDIS_URL == "redis://127.0.0.1:$REDIS_PORT/0" ]] || fail "REDIS_URL is '$REDIS_URL', expected port $REDIS_PORT: $OUT"

# run_client MODULE LABEL SCRIPT ARGS...: SCRIPT under Debian's python3 (which must have
# MODULE) and under python3 when that is another interpreter with MODULE.
run_client() {
  local module=$1 label=$2 script=$3 ran=0 py version out; shift 3
  for py in /usr/bin/python3 python3; do
    [[ $py == python3 && $(command -v python3) == /usr/bin/python3 ]] && continue
    version=$("$py" -c "import $module; print($module.__version__.split()[0])" 2>/dev/null) || {
      [[ $py == /usr/bin/python3 ]] && fail "Debian's $label is missing (scripts/deps.sh installs it)"
      continue
    }
    note "$label $version ($py)"
    out=$("$py" "$SRC/tests/integration/clients/$script" "$@" 2>&1) || fail "$label $version ($py): $out"
    expect_contains "$out" "PASS $label $version"
    note "$label $version: $(grep -c '^ok ' <<<"$out") checks passed ($(grep -m1 '^server ' <<<"$out"))"
    ran=$((ran + 1))
  done
  [[ $ran -ge 1 ]] || fail "no $label ran"
}

run_client redis redis-py db_redis.py "$REDIS_URL" "$AUTH_PORT" conformance-redis-pw
note "redis-py against Redis Stack's stand-in: JSON.*, FT.*, TS.*, BF.* name the missing module; plain Redis does not know them"
got=$(/usr/bin/python3 - "$STACK_PORT" "$REDIS_PORT" <<'PY'
import sys, redis
stack = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]))
plain = redis.Redis(host="127.0.0.1", port=int(sys.argv[2]))
def error_of(call):
    try:
        call()
    except redis.ResponseError as e:
        return str(e)
    raise SystemExit("no error from " + repr(call))
for call, module in [
    (lambda: stack.json().set("doc", "$", {"a": 1}), "RedisJSON"),
    (lambda: stack.json().get("doc"), "RedisJSON"),
    (lambda: stack.ft("idx").search("*"), "RediSearch"),
    (lambda: stack.execute_command("ts.add", "t", "*", 1), "RedisTimeSeries"),
    (lambda: stack.execute_command("BF.ADD", "b", "x"), "RedisBloom"),
]:
    msg = error_of(call)
    assert module in msg and "biodev/redis:7" in msg and "redis/redis-stack-server" in msg, msg
assert stack.set("plain", "ok") and stack.get("plain") == b"ok"
msg = error_of(lambda: plain.execute_command("JSON.GET", "doc"))
assert "unknown command" in msg, msg
print("ok", error_of(lambda: stack.json().set("doc", "$", 1)))
PY
) || fail "Redis Stack's stand-in: $got"
expect_contains "$got" "ok JSON.SET needs the RedisJSON module"

run_client psycopg psycopg db_psycopg.py psycopg "$DATABASE_URL"
run_client psycopg2 psycopg2 db_psycopg.py psycopg2 "$DATABASE_URL"

note "the initdb script ran at first init, then biodev's seed, both as the owner in its database"
got=$(/usr/bin/python3 - "$DATABASE_URL" <<'PY'
import sys, psycopg
with psycopg.connect(sys.argv[1]) as c:
    rows = c.execute("select source, db, who from contract order by source").fetchall()
    ledger = c.execute("select count(*) from biodev_seed_ledger").fetchone()[0]
print(" ".join("|".join(r) for r in rows), ledger)
PY
) || fail "reading the contract table: $got"
[[ $got == "initdb|bio|bio seed|bio|bio 1" ]] || fail "initdb/seed rows and ledger count are '$got'"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f biodev.yaml logs postgres
expect_contains "$OUT" "running /docker-entrypoint-initdb.d/01-contract.sql"

echo "PASS [$TEST_NAME]"
