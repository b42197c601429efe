#!/usr/bin/env bash
# `biodev snapshot` on the default stack (engine-picked ports), against the real stores:
# seed data, save, change every store (rows, keys, objects, points added, changed and
# deleted; a table, a bucket and a collection made), restore, and everything is exactly
# as saved (checks/snapshots_check.py dumps each store canonically, with psycopg,
# redis-py and boto3). Then a second restore (the ready copy made in the background),
# save over a taken name, the exit codes of missing and bad names, ls, rm, and `down -v`
# leaving no snapshot folder and no snapshot database.
source "$(dirname "$0")/lib.sh"
require_engine
new_project
default_stack_folder
/usr/bin/python3 -c 'import psycopg, redis, boto3' 2>/dev/null ||
  fail "needs Debian's python3-psycopg, python3-redis and python3-boto3 (scripts/deps.sh)"
B=("$BIODEV" -p "$PROJECT")
CHECK=(/usr/bin/python3 "$SRC/tests/integration/checks/snapshots_check.py")

note "up"
"${B[@]}" up --timeout 300 >up.log 2>&1 || { tail -30 up.log; fail "up failed"; }
eval "$("${B[@]}" env)"
export DATABASE_URL REDIS_URL S3_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY QDRANT_URL
psql_c() { /usr/bin/python3 -c 'import os, sys, psycopg; print(psycopg.connect(os.environ["DATABASE_URL"]).execute(sys.argv[1]).fetchone()[0])' "$1"; }

note "ls with none, then seed and save"
expect_exit 0 "${B[@]}" snapshot ls
expect_contains "$OUT" "no snapshots"
"${CHECK[@]}" seed || fail "seeding failed"
saved=$("${CHECK[@]}" state) || fail "reading the stores failed"
expect_exit 0 "${B[@]}" snapshot save before
expect_contains "$OUT" "saved snapshot before: postgres"
for store in redis s3 qdrant; do expect_contains "$OUT" "$store "; done
[[ -f .snapshots/before/manifest.json ]] || fail "no .snapshots/before/manifest.json"
jq -e '.stores | map(.store) == ["postgres","redis","s3","qdrant"]' .snapshots/before/manifest.json >/dev/null ||
  fail "manifest stores: $(cat .snapshots/before/manifest.json)"
[[ $(psql_c "SELECT count(*) FROM pg_database WHERE datname IN ('biodev_snap_before', 'biodev_snapr_before')") == 2 ]] ||
  fail "the template and ready databases of snapshot before are missing"
[[ $(psql_c "SELECT datallowconn FROM pg_database WHERE datname = 'biodev_snap_before'") == False ]] ||
  fail "the snapshot's template database accepts connections"
[[ $(psql_c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = 'biodev_snap_before'") == "biodev snapshot before of bio" ]] ||
  fail "the snapshot's template database is not marked as one"

note "change every store; the state differs"
"${CHECK[@]}" mutate || fail "mutating failed"
changed=$("${CHECK[@]}" state)
[[ $changed != "$saved" ]] || fail "the mutations changed nothing"
for part in tables rows redis s3 qdrant; do
  [[ $(jq -c ".$part" <<<"$changed") != $(jq -c ".$part" <<<"$saved") ]] || fail "the mutations left $part unchanged"
done

note "restore: everything exactly as saved"
expect_exit 0 "${B[@]}" snapshot restore before
expect_contains "$OUT" "restored snapshot before"
restored=$("${CHECK[@]}" state)
if [[ $restored != "$saved" ]]; then
  diff <(jq -S . <<<"$saved") <(jq -S . <<<"$restored") | head -40 >&2
  fail "the stores after restore differ from the snapshot"
fi
# The app services' connections were ended, not broken for good: the stack is healthy.
wait_until 60 "${B[@]}" health || fail "the stack is not healthy after the restore"

note "a second restore after more changes (the ready copy made again in the background)"
"${CHECK[@]}" mutate || fail "mutating failed"
expect_exit 0 "${B[@]}" snapshot restore before
[[ $("${CHECK[@]}" state) == "$saved" ]] || fail "the second restore differs from the snapshot"
# The background prepare drops the set-aside database and makes the next ready copy.
n=0
for _ in $(seq 1 300); do
  n=$(psql_c "SELECT count(*) FROM pg_database WHERE datname LIKE 'biodev\_snap%'")
  [[ $n == 2 ]] && break
  sleep 0.2
done
[[ $n == 2 ]] || fail "after the background prepare: $(psql_c "SELECT string_agg(datname, ',') FROM pg_database")"

note "save over a taken name: refused, then --force"
expect_exit 1 "${B[@]}" snapshot save before
expect_contains "$OUT" "snapshot before exists: \`biodev snapshot save --force before\` replaces it"
expect_exit 0 "${B[@]}" snapshot save --force before
expect_exit 0 "${B[@]}" snapshot save second

note "missing and bad names: exit 4 and 2, nothing changed"
expect_exit 4 "${B[@]}" snapshot restore nope
expect_contains "$OUT" "no snapshot nope in $WORK/.snapshots (there are: before, second)"
expect_exit 4 "${B[@]}" snapshot rm nope
expect_exit 2 "${B[@]}" snapshot save "bad/name"
expect_contains "$OUT" "may hold only lowercase letters"
expect_exit 2 "${B[@]}" snapshot restore ""
[[ $("${CHECK[@]}" state) == "$saved" ]] || fail "a refused command changed the stores"

note "ls and ls --json"
expect_exit 0 "${B[@]}" snapshot ls
expect_contains "$OUT" "NAME"
expect_contains "$OUT" "before"
expect_contains "$OUT" "second"
json=$("${B[@]}" --json snapshot ls)
[[ $(jq -r '[.snapshots[].name] | sort | join(",")' <<<"$json") == "before,second" ]] || fail "ls --json: $json"
[[ $(jq '.snapshots[0].bytes > 0 and (.snapshots[0].age_s >= 0)' <<<"$json") == true ]] || fail "ls --json sizes: $json"

note "rm: the folder and the databases go"
expect_exit 0 "${B[@]}" snapshot rm second
[[ ! -e .snapshots/second ]] || fail ".snapshots/second is still there"
[[ $(psql_c "SELECT count(*) FROM pg_database WHERE datname LIKE 'biodev_snap%second'") == 0 ]] ||
  fail "the databases of snapshot second are still there"

note "a store that is not running: save refused, naming it"
"${B[@]}" pause redis >/dev/null 2>&1 || fail "pause redis failed"
expect_exit 1 "${B[@]}" snapshot save broken
expect_contains "$OUT" "service redis of project $PROJECT is not running"
"${B[@]}" unpause redis >/dev/null 2>&1 || fail "unpause redis failed"

note "a store failing mid-save (Redis refuses DUMP): nothing listed, no partial database"
"${CHECK[@]}" deny-dump
expect_exit 1 "${B[@]}" snapshot save broken
expect_contains "$OUT" "snapshot broken not saved: redis DUMP"
"${CHECK[@]}" allow-dump
[[ ! -e .snapshots/broken ]] || fail "a failed save left .snapshots/broken"
[[ -z $(find .snapshots -maxdepth 1 -name '.partial-*') ]] || fail "a failed save left a partial folder"
[[ $(psql_c "SELECT count(*) FROM pg_database WHERE datname LIKE 'biodev_snap%broken'") == 0 ]] ||
  fail "a failed save left a database"
expect_exit 0 "${B[@]}" snapshot ls
[[ $OUT != *broken* ]] || fail "a failed save is listed: $OUT"

note "down -v: no snapshot left"
expect_exit 0 "${B[@]}" down -v --yes
[[ ! -e .snapshots ]] || fail "down -v left .snapshots/"
[[ -z $(ls -A .data 2>/dev/null) ]] || fail "down -v left .data/: $(ls -A .data)"
expect_exit 0 "${B[@]}" snapshot ls
expect_contains "$OUT" "no snapshots"
note "ok"
