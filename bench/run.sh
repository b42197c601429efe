#!/usr/bin/env bash
# biodev against docker compose on the bench stack: `make bench`, or bench/run.sh.
# Settings (ROUNDS=5, BIODEV=, SKIP=compose,floor,scale,wrk,team,edit, ...): see bench/bench.py,
# bench/compose_team.py, bench/edit_loop.py
# and docs/benchmarks.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
export BIODEV=${BIODEV:-$root/build/biodev}

missing=()
for tool in python3 wrk /usr/bin/time "${COMPOSE:-docker-compose}"; do
  command -v "${tool%% *}" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "bench: missing ${missing[*]} (Debian: apt-get install python3 wrk time docker-compose)" >&2
  exit 2
fi
[[ -x $BIODEV ]] || { echo "bench: no biodev binary at $BIODEV (make build)" >&2; exit 2; }

# The images the bench stack runs; building them is not part of any measurement.
"$BIODEV" -f bench images build >&2

python3 "$here/bench.py" "$@"
# A team's own compose file (built API, Postgres, Redis) under both tools.
if [[ ,${SKIP:-}, != *,team,* ]]; then
  python3 "$here/compose_team.py"
fi
# Edit a mounted source file until the service answers with it, under both tools.
if [[ ,${SKIP:-}, != *,edit,* ]]; then
  python3 "$here/edit_loop.py"
fi
