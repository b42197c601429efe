#!/usr/bin/env bash
# The default profile's data stack: seed rows are queryable, a row survives down + up,
# S3 put/get with SigV4, the Qdrant collection exists, an edited mounted file is seen
# in the container at once, `watch` restarts the service on change, `down -v` deletes
# the data, and .data/ files belong to the data owner.
source "$(dirname "$0")/lib.sh"
require_engine
new_project
default_stack_folder

note "cold up of the default profile"
expect_exit 0 "$BIODEV" -p "$PROJECT" up --timeout 300
eval "$("$BIODEV" -p "$PROJECT" env)"
[[ $S3_FORCE_PATH_STYLE == true && -n $DATABASE_URL && -n $QDRANT_URL && -n $INFERENCE_URL ]] || fail "env contract incomplete"

psql_exec() { "$BIODEV" -p "$PROJECT" exec -T postgres -- psql -U bio -d bio -tAc "$1"; }

note "rows from the seed SQL are queryable"
[[ $(psql_exec "select count(*) from samples") -ge 1 ]] || fail "no seeded samples"
[[ $(psql_exec "select count(*) from biodev_seed_ledger") -eq 2 ]] || fail "ledger should record 2 scripts"
psql_exec "select rolname from pg_roles where rolname='bio_app'" | grep -qx bio_app || fail "bio_app role missing"

note "a second seed applies nothing"
expect_exit 0 "$BIODEV" -p "$PROJECT" seed postgres
expect_contains "$OUT" "0 applied, 2 unchanged"

note "an applied script that changed is refused, then re-applied with --reseed"
echo "-- edited $$" >> init-scripts/postgres/02_schema.sql
expect_exit 1 "$BIODEV" -p "$PROJECT" seed postgres
expect_contains "$OUT" "02_schema.sql"
expect_contains "$OUT" "--reseed"
expect_exit 0 "$BIODEV" -p "$PROJECT" up --reseed --timeout 120
expect_exit 0 "$BIODEV" -p "$PROJECT" seed postgres
expect_contains "$OUT" "0 applied, 2 unchanged"

note "logs --json: one JSON object per line, naming the service"
expect_exit 0 "$BIODEV" -p "$PROJECT" --json logs --tail 5 postgres
echo "$OUT" | jq -es 'length >= 1 and all(.service == "postgres" and (.line | type) == "string")' >/dev/null \
  || fail "logs --json is not JSON lines: $OUT"

note "a row written by the test survives down + up"
psql_exec "insert into samples (external_id, organism) values ('survivor-$$', 'E. coli')" >/dev/null
expect_exit 0 "$BIODEV" -p "$PROJECT" down
[[ -d .data/postgres ]] || fail ".data/postgres should be kept by down"
expect_exit 0 "$BIODEV" -p "$PROJECT" up --timeout 300
[[ $(psql_exec "select count(*) from samples where external_id='survivor-$$'") -eq 1 ]] || fail "row lost across down + up"

note ".data files belong to the data owner, not root"
owner=$(stat -c %u .data/postgres/pgdata)
want=$( [[ $(id -u) -eq 0 ]] && echo 65534 || id -u )
[[ $owner == "$want" ]] || fail ".data/postgres/pgdata owned by $owner, expected $want"

note "S3: the seeded bucket accepts a SigV4 put and get (path-style)"
eval "$("$BIODEV" -p "$PROJECT" env)"
echo "payload-$$" > obj.txt
curl -fsS --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -T obj.txt "$S3_ENDPOINT/raw/test/obj.txt" >/dev/null || fail "S3 put"
got=$(curl -fsS --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$S3_ENDPOINT/raw/test/obj.txt") || fail "S3 get"
[[ $got == "payload-$$" ]] || fail "S3 get returned '$got'"

note "Qdrant: the seeded collection exists with the profile's size"
curl -fsS "$QDRANT_URL/collections/documents" | jq -e '.result.config.params.vectors.size == 384' >/dev/null \
  || fail "collection documents missing or wrong size"

note "an edited mounted file is visible in the container at once"
sed -i 's/^MESSAGE = .*/MESSAGE = "edited-'$$'"/' examples/bio_ai_server/server.py
"$BIODEV" -p "$PROJECT" exec -T bio_ai_server -- cat /app/server.py | grep -q "edited-$$" || fail "edit not visible in the container"

note "watch restarts the service when its files change"
gw=$(host_port gateway 8080)
"$BIODEV" -p "$PROJECT" watch bio_ai_server >watch.log 2>&1 &
watcher=$!
sleep 1
sed -i 's/^MESSAGE = .*/MESSAGE = "reloaded-'$$'"/' examples/bio_ai_server/server.py
wait_until 30 sh -c "curl -fsS http://$ENGINE_ADDR:$gw/api/hello | grep -q reloaded-$$" || { cat watch.log; fail "watch did not restart bio_ai_server"; }
kill -INT $watcher; wait $watcher || true
grep -q "bio_ai_server" watch.log || fail "watch said nothing about the restart"

note "down -v removes the data"
expect_exit 0 "$BIODEV" -p "$PROJECT" down -v --yes
[[ ! -e .data/postgres ]] || fail ".data/postgres still there after down -v"
[[ $(labelled_count containers "$PROJECT") -eq 0 ]] || fail "containers left"
note "ok"
