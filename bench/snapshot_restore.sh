#!/usr/bin/env bash
# `biodev snapshot restore` of a ~100 MB Postgres database: the bench stack (Postgres on a
# named volume, Redis) in a scratch project, a table filled with generate_series, one
# save, then ROUNDS restores, each after a change to the database, each checked. The
# ready copy the next restore renames in is made after each restore returns
# (`snapshot prepare` in the background); "ready again after" is how long after a restore
# returns a foreground `snapshot prepare` waits until that copy exists. Prints a Markdown
# table row.
#   bench/snapshot_restore.sh            # ROUNDS=5 ROWS=330000 BIODEV=build/biodev
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BIODEV=${BIODEV:-$(dirname "$here")/build/biodev}
ROUNDS=${ROUNDS:-5}
ROWS=${ROWS:-330000}
[[ -x $BIODEV ]] || { echo "bench: no biodev binary at $BIODEV (make build)" >&2; exit 2; }
/usr/bin/python3 -c 'import psycopg' 2>/dev/null || { echo "bench: needs python3-psycopg" >&2; exit 2; }

work=$(mktemp -d /tmp/biodev-bench-snap-XXXXXX)
project="bench-snap-$$"
B=("$BIODEV" -p "$project" -f bench)
trap 'cd /; "${B[@]}" down -v --yes >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cd "$work"

"${B[@]}" up --timeout 240 >up.log 2>&1 || { tail -20 up.log >&2; exit 1; }
eval "$("${B[@]}" env)"
export DATABASE_URL
sql() { /usr/bin/python3 -c 'import os, sys, psycopg
with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as c:
    r = c.execute(sys.argv[1]); print(r.fetchone()[0] if r.description else "")' "$1"; }
now() { date +%s.%N; }
secs() { /usr/bin/python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }

sql "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS h, repeat(md5((g * 7)::text), 6) AS pad FROM generate_series(1, $ROWS) g" >/dev/null
sql "CREATE INDEX big_id ON big (id)" >/dev/null
size=$(sql "SELECT pg_database_size(current_database())")
rows=$(sql "SELECT count(*) FROM big")

t0=$(now); "${B[@]}" snapshot save big >/dev/null 2>&1; t1=$(now)
save=$(secs "$t0" "$t1")

restores=() prepares=()
for ((i = 1; i <= ROUNDS; i++)); do
  sql "DELETE FROM big WHERE id % 10 = $((i % 10))" >/dev/null
  t0=$(now); "${B[@]}" snapshot restore big >/dev/null 2>&1; t1=$(now)
  restores+=("$(secs "$t0" "$t1")")
  got=$(sql "SELECT count(*) FROM big")
  [[ $got == "$rows" ]] || { echo "bench: restore $i: $got rows, expected $rows" >&2; exit 1; }
  # The ready copy for the next round: the background prepare, or this one (the lock
  # serialises them; whichever comes second finds it made).
  t0=$(now); "${B[@]}" snapshot prepare big >/dev/null 2>&1; t1=$(now)
  prepares+=("$(secs "$t0" "$t1")")
done

summary() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%.3f s (median), %.3f-%.3f", a[int((NR+1)/2)], a[1], a[NR]}'; }
echo "| date | database | save | restore ($ROUNDS rounds) | ready again after |"
echo "| --- | --- | --- | --- | --- |"
echo "| $(date -u +%Y-%m-%d) | $(( size / 1000000 )) MB, $rows rows | ${save} s | $(summary "${restores[@]}") | $(summary "${prepares[@]}") |"
