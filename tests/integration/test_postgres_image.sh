#!/usr/bin/env bash
# biodev/postgres:15 keeps the official image's contract whichever way it makes the
# cluster: from the initdb template it carries (names with quotes, the default user,
# trust without a password) or with initdb (extra initdb flags, another time zone). The
# superuser is the bootstrap role, the password works over TCP and a wrong one does not,
# the database belongs to the superuser; a cluster that cannot be made is not kept.
# /docker-entrypoint-initdb.d scripts run once, in order, on first init; one that fails
# stops the start with its name.
source "$(dirname "$0")/lib.sh"
require_engine
new_project

cat >biodev.yaml <<'YAML'

x-pg: &pg
  image: biodev/postgres:15
  offline: { image: biodev/postgres:15 }
  ready: { type: postgres, port: 5432 }
services:
  quoted:
    <<: *pg
    env: { POSTGRES_USER: "o'ne\"il", POSTGRES_PASSWORD: "it's \"secret\"", POSTGRES_DB: "my\"db" }
  plain:
    <<: *pg
    env: { POSTGRES_PASSWORD: pw-plain }
  trust:
    <<: *pg
    env: { POSTGRES_USER: bob, POSTGRES_HOST_AUTH_METHOD: trust }
  md5:
    <<: *pg
    env: { POSTGRES_USER: bio, POSTGRES_PASSWORD: pw-md5, POSTGRES_DB: app, POSTGRES_HOST_AUTH_METHOD: md5 }
  checksums:
    <<: *pg
    env: { POSTGRES_USER: bio, POSTGRES_PASSWORD: pw-sum, POSTGRES_DB: bio, POSTGRES_INITDB_ARGS: --data-checksums }
  berlin:
    <<: *pg
    env: { POSTGRES_USER: bio, POSTGRES_PASSWORD: pw-tz, POSTGRES_DB: bio, TZ: Europe/Berlin }
YAML

note "six clusters, four from the template and two by initdb"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f biodev.yaml up --timeout 180

# query SERVICE USER PASSWORD DB SQL: over TCP with a password, as a client would.
query() {
  "$BIODEV" -p "$PROJECT" -f biodev.yaml exec -T "$1" -- env PGPASSWORD="$3" \
    psql -h 127.0.0.1 -U "$2" -d "$4" -v ON_ERROR_STOP=1 -XAtc "$5"
}
WHO="select current_user || '|' || (select oid from pg_roles where rolname = current_user)
  || '|' || pg_get_userbyid((select datdba from pg_database where datname = current_database()))
  || '|' || (select count(*) from pg_roles where rolname !~ '^pg_')"

# check SERVICE USER PASSWORD DB HOW: the superuser is oid 10 and the only role, owns
# the database, and the log says which way the cluster was made.
check() {
  local got
  got=$(query "$1" "$2" "$3" "$4" "$WHO") || fail "$1: cannot connect as $2 to $4: $got"
  [[ $got == "$2|10|$2|1" ]] || fail "$1: user|oid|db owner|roles is '$got', expected '$2|10|$2|1'"
  expect_exit 0 "$BIODEV" -p "$PROJECT" -f biodev.yaml logs "$1"
  expect_contains "$OUT" "$5"
}
check quoted "o'ne\"il" "it's \"secret\"" 'my"db' "from the image's initdb template"
check plain postgres pw-plain postgres "from the image's initdb template"
check trust bob "" bob "from the image's initdb template"
check md5 bio pw-md5 app "from the image's initdb template"
check checksums bio pw-sum bio "with initdb"
check berlin bio pw-tz bio "with initdb"

note "POSTGRES_DB has an ordinary OID (16384, as a server-side CREATE DATABASE gives)"
[[ $(query md5 bio pw-md5 app "select oid from pg_database where datname = 'app'") == 16384 ]] \
  || fail "md5: database app is not oid 16384"
[[ $(query checksums bio pw-sum bio "select oid from pg_database where datname = 'bio'") == 16384 ]] \
  || fail "checksums: database bio is not oid 16384"
got=$(query plain postgres pw-plain postgres "select string_agg(datname, ',' order by datname) from pg_database")
[[ $got == postgres,template0,template1 ]] || fail "plain: databases are $got, expected postgres,template0,template1"

note "a cluster from the template passes amcheck; VACUUM brings back the maps it leaves out"
query md5 bio pw-md5 app "create extension amcheck" >/dev/null || fail "md5: no amcheck"
got=$(query md5 bio pw-md5 app "select count(*) from pg_class c, verify_heapam(c.oid) where c.relkind in ('r', 't', 'm')") \
  || fail "md5: verify_heapam failed: $got"
[[ $got == 0 ]] || fail "md5: verify_heapam found $got problems in the catalogs"
got=$(query md5 bio pw-md5 app "with i as materialized (select c.oid from pg_class c join pg_am a
  on a.oid = c.relam where c.relkind = 'i' and a.amname = 'btree')
  select count(bt_index_parent_check(oid, true)) from i") || fail "md5: bt_index_parent_check failed: $got"
[[ $got -gt 100 ]] || fail "md5: only $got btree indexes checked"
[[ $(query md5 bio pw-md5 app "select pg_relation_size('pg_class', 'vm')") == 0 ]] \
  || fail "md5: pg_class has a visibility map before any VACUUM: the template should leave it out"
query md5 bio pw-md5 app "vacuum pg_class" >/dev/null || fail "md5: vacuum pg_class failed"
[[ $(query md5 bio pw-md5 app "select pg_relation_size('pg_class', 'vm') > 0 and pg_relation_size('pg_class', 'fsm') > 0") == t ]] \
  || fail "md5: VACUUM did not make pg_class's visibility and free-space maps"

note "settings the template cannot give come from initdb"
[[ $(query checksums bio pw-sum bio "show data_checksums") == on ]] || fail "checksums: data_checksums not on"
[[ $(query berlin bio pw-tz bio "show timezone") == Europe/Berlin ]] || fail "berlin: timezone not Europe/Berlin"
[[ $(query plain postgres pw-plain postgres "show timezone") == Etc/UTC ]] || fail "plain: timezone not Etc/UTC"

note "host authentication: the method asked for, and a wrong password is refused"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f biodev.yaml exec -T md5 -- grep -c '^host .*md5$' /var/lib/postgresql/data/pg_hba.conf
[[ $OUT -ge 3 ]] || fail "md5: pg_hba.conf has $OUT md5 host lines"
expect_exit 2 query plain postgres wrong-password postgres "select 1"
expect_contains "$OUT" "password authentication failed"
expect_exit 2 query quoted "o'ne\"il" "it's" 'my"db' "select 1"

note "the cluster's files are its owner's only, from the template as from initdb"
for svc in quoted checksums; do
  expect_exit 0 "$BIODEV" -p "$PROJECT" -f biodev.yaml exec -T "$svc" -- find /var/lib/postgresql/data -perm /077
  [[ -z $OUT ]] || fail "$svc: files others can read or write: $(head -3 <<<"$OUT")"
done

note "/docker-entrypoint-initdb.d runs once, in name order, on both ways of making the cluster"
mkdir -p initdb
cat >initdb/01-schema.sql <<'SQL'
create table runs (id serial primary key, what text not null);
insert into runs (what) values ('sql');
-- the temporary server listens on the unix socket only
create table seen as select current_setting('listen_addresses') as listen, current_user as who;
SQL
echo "insert into runs (what) values ('gz');" | gzip >initdb/02-data.sql.gz
cat >initdb/03-exec.sh <<'SH'
#!/bin/sh
set -e
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -qc "insert into runs (what) values ('exec:$POSTGRES_DB')"
SH
chmod 755 initdb/03-exec.sh
# Not executable: sourced by bash, with the entrypoint's docker_process_sql at hand.
cat >initdb/04-sourced.sh <<'SH'
if [[ -n $POSTGRES_USER ]]; then docker_process_sql -qc "insert into runs (what) values ('sourced')"; fi
SH
echo "not a script" >initdb/05-readme.txt
cat >initdb.yaml <<YAML

x-pg: &pg
  image: biodev/postgres:15
  offline: { image: biodev/postgres:15 }
  ready: { type: postgres, port: 5432 }
  mounts: ["$WORK/initdb:/docker-entrypoint-initdb.d:ro"]
services:
  initd:
    <<: *pg
    env: { POSTGRES_USER: bio, POSTGRES_PASSWORD: pw-init, POSTGRES_DB: appdb }
  initdb_tz:
    <<: *pg
    env: { POSTGRES_USER: bio, POSTGRES_PASSWORD: pw-init, POSTGRES_DB: appdb, TZ: Europe/Berlin }
YAML
initq() {
  "$BIODEV" -p "$PROJECT-init" -f initdb.yaml exec -T "$1" -- env PGPASSWORD=pw-init \
    psql -h 127.0.0.1 -U bio -d appdb -v ON_ERROR_STOP=1 -XAtc "$2"
}
on_exit '"$BIODEV" -p "$PROJECT-init" -f "$WORK/initdb.yaml" down -v --yes >/dev/null 2>&1'
expect_exit 0 "$BIODEV" -p "$PROJECT-init" -f initdb.yaml up --timeout 180
for svc in initd initdb_tz; do
  got=$(initq "$svc" "select string_agg(what, ',' order by id) from runs") || fail "$svc: no runs table: $got"
  [[ $got == "sql,gz,exec:appdb,sourced" ]] || fail "$svc: init scripts ran as '$got', expected sql,gz,exec:appdb,sourced"
  got=$(initq "$svc" "select '[' || listen || ']' || who from seen")
  [[ $got == "[]bio" ]] || fail "$svc: scripts ran with listen_addresses|user '$got', expected '[]bio'"
  expect_exit 0 "$BIODEV" -p "$PROJECT-init" -f initdb.yaml logs "$svc"
  expect_contains "$OUT" "running /docker-entrypoint-initdb.d/01-schema.sql"
  expect_contains "$OUT" "sourcing /docker-entrypoint-initdb.d/04-sourced.sh"
  expect_contains "$OUT" "ignoring /docker-entrypoint-initdb.d/05-readme.txt"
done
expect_exit 0 "$BIODEV" -p "$PROJECT-init" -f initdb.yaml logs initdb_tz
expect_contains "$OUT" "with initdb"
note "a second start does not run them again"
expect_exit 0 "$BIODEV" -p "$PROJECT-init" -f initdb.yaml restart initd
# The count once the restarted server answers over TCP (a loaded engine may take a while).
got=
for _ in $(seq 1 60); do
  got=$(initq initd "select count(*) from runs" 2>/dev/null) && break
  sleep 0.5
done
[[ $got == 4 ]] || fail "initd: after a restart, runs has '$got' rows, expected 4 (scripts must not run again)"
expect_exit 0 "$BIODEV" -p "$PROJECT-init" -f initdb.yaml logs initd
[[ $(grep -c "running /docker-entrypoint-initdb.d/01-schema.sql" <<<"$OUT") == 1 ]] \
  || fail "initd: 01-schema.sql ran more than once: $OUT"

note "a cluster that cannot be made leaves an empty directory behind"
# broken: the template's single-user step fails. foreign: a directory anyone may write
# but another uid owns, which Postgres would refuse: initdb says so.
mkdir -m 777 pgfail pgforeign pginitbad initbad
printf 'create table first (x int);\n' >initbad/01-ok.sql
printf 'select 1;\nselect * from no_such_table;\n' >initbad/02-bad.sql
cat >failing.yaml <<YAML

services:
  broken:
    image: biodev/postgres:15
    offline: { image: biodev/postgres:15 }
    env: { POSTGRES_PASSWORD: pw, POSTGRES_DB: template1 }
    mounts: ["$WORK/pgfail:/var/lib/postgresql/data"]
    ready: { type: postgres, port: 5432, timeout: 30s }
  foreign:
    image: biodev/postgres:15
    offline: { image: biodev/postgres:15 }
    user: "4242:4242"
    env: { POSTGRES_PASSWORD: pw }
    mounts: ["$WORK/pgforeign:/var/lib/postgresql/data"]
    ready: { type: postgres, port: 5432, timeout: 30s }
  initbad:
    image: biodev/postgres:15
    offline: { image: biodev/postgres:15 }
    env: { POSTGRES_PASSWORD: pw }
    mounts: ["$WORK/pginitbad:/var/lib/postgresql/data", "$WORK/initbad:/docker-entrypoint-initdb.d:ro"]
    ready: { type: postgres, port: 5432, timeout: 30s }
YAML
for svc in broken foreign initbad; do
  expect_exit 1 "$BIODEV" -p "$PROJECT-fail" -f failing.yaml up "$svc"
  expect_contains "$OUT" "$svc"
  case $svc in
    broken) expect_contains "$OUT" 'database "template1" already exists' ;;
    foreign) expect_contains "$OUT" 'could not change permissions of directory' ;;
    initbad)
      expect_contains "$OUT" '/docker-entrypoint-initdb.d/02-bad.sql failed'
      expect_contains "$OUT" 'relation "no_such_table" does not exist'
      ;;
  esac
done
"$BIODEV" -p "$PROJECT-fail" -f failing.yaml down -v --yes >/dev/null 2>&1 || true
[[ -z $(ls -A pgfail) ]] || fail "pgfail should be empty after the failed init: $(ls -A pgfail | head -5)"
[[ -z $(ls -A pgforeign) ]] || fail "pgforeign should be empty after the failed init: $(ls -A pgforeign | head -5)"
[[ -z $(ls -A pginitbad) ]] || fail "pginitbad should be empty after the failing init script: $(ls -A pginitbad | head -5)"

echo "PASS [$TEST_NAME]"
