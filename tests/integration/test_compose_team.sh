#!/usr/bin/env bash
# A team's own compose project (examples/compose-team: an API built from its
# Dockerfile, Postgres 16 with an initdb.d script, Redis 7, healthchecks,
# depends_on: service_healthy), run with a bare `biodev up` in its folder, offline:
# it comes up healthy, the init script ran once, a warm re-up touches nothing, an edit
# of the API's source rebuilds and recreates the API alone, an edit of a
# .dockerignored file rebuilds nothing, an anonymous volume (from the team's override
# file) keeps its data across a recreate and a plain `down`, and `down -v` leaves
# nothing. The same file is valid for docker-compose (1.29, `config`), so the team keeps
# its compose workflow.
source "$(dirname "$0")/lib.sh"
require_engine
new_project
cp -r "$SRC/examples/compose-team/." "$WORK/"
chmod -R a+rX "$WORK"
export API_PORT=28410 DB_PORT=28411
built_image="$PROJECT-api"
# compose.override.yaml beside compose.yaml is merged in, as compose merges it.
cat >compose.override.yaml <<'YAML'
services:
  db:
    volumes: ["/scratch"]
YAML
anon_volume="${PROJECT}_db_anon_$(printf %s /scratch | sha256sum | cut -c1-12)"
on_exit 'engine_delete "/images/$built_image?force=1"'

ids() {  # service=container-id lines, sorted
  engine_get "/containers/json?all=1&filters=$(printf '{"label":["dev.biodev.project=%s"]}' "$PROJECT" | jq -sRr @uri)" |
    jq -r '.[] | "\(.Labels["dev.biodev.service"])=\(.Id)"' | sort
}

note "biodev up in the folder uses its compose.yaml, offline, and waits for every healthcheck"
expect_exit 0 "$BIODEV" -p "$PROJECT" up
expect_contains "$OUT" "postgres:16 -> biodev/postgres:15"
expect_contains "$OUT" "python:3.12-slim -> biodev/python:3.11"
[[ $(labelled_count containers "$PROJECT") -eq 3 ]] || fail "expected 3 containers: $(ids)"
body=$(curl -fsS -m 5 "http://127.0.0.1:$API_PORT/hello") || fail "the API does not answer on :$API_PORT"
[[ $(jq -r .hits <<<"$body") == 1 && $(jq -r .version <<<"$body") == 1.0 ]] || fail "unexpected /hello: $body"
rows=$("$BIODEV" -p "$PROJECT" exec db -- psql -U app -d app -tAc "select count(*) from visits where path = '/initdb'" 2>/dev/null) ||
  fail "psql in db failed"
[[ $(tr -d '[:space:]' <<<"$rows") == 1 ]] || fail "the initdb.d script did not run once: $rows"
expect_exit 0 "$BIODEV" -p "$PROJECT" status
expect_contains "$OUT" "offline substitute"

unchanged_up() {  # `up` whose result says it changed nothing
  local result
  result=$("$BIODEV" -p "$PROJECT" --json up | grep '"type":"result"') || fail "up failed"
  [[ $(jq -r .changed <<<"$result") == false ]] || fail "$1: up changed something: $result"
}

note "a warm re-up changes nothing"
before=$(ids)
unchanged_up "warm re-up"
[[ $(ids) == "$before" ]] || fail "a warm re-up replaced containers"

note "an edit of a .dockerignored file rebuilds nothing"
echo "more notes" >>api/NOTES.md
unchanged_up "after a .dockerignored edit"

note "an edit of the API's source rebuilds and recreates the API alone"
sed -i 's/hello from the team api/hello from the edited api/' api/app.py
expect_exit 0 "$BIODEV" -p "$PROJECT" up
after=$(ids)
[[ $(grep -v '^api=' <<<"$after") == $(grep -v '^api=' <<<"$before") ]] || fail "db or cache was recreated"
[[ $(grep '^api=' <<<"$after") != $(grep '^api=' <<<"$before") ]] || fail "the API was not recreated"
body=$(curl -fsS -m 5 "http://127.0.0.1:$API_PORT/hello")
[[ $(jq -r .message <<<"$body") == "hello from the edited api" ]] || fail "the edit is not live: $body"
[[ $(jq -r .hits <<<"$body") == 2 ]] || fail "Redis lost its data across the API's recreation: $body"

note "an anonymous volume keeps its data across a recreate and a plain down"
engine_get "/volumes/$anon_volume" | jq -e '.Labels["dev.biodev.service"] == "db"' >/dev/null ||
  fail "no volume $anon_volume labelled with service db"
"$BIODEV" -p "$PROJECT" exec db -- sh -c 'echo kept >/scratch/marker' 2>/dev/null || fail "cannot write to /scratch"
db_before=$(ids | grep '^db=')
expect_exit 0 "$BIODEV" -p "$PROJECT" up --force-recreate db
[[ $(ids | grep '^db=') != "$db_before" ]] || fail "db was not recreated"
marker() { "$BIODEV" -p "$PROJECT" exec db -- cat /scratch/marker 2>/dev/null || true; }
[[ $(marker) == kept ]] || fail "the anonymous volume lost its data across a recreate"
expect_exit 0 "$BIODEV" -p "$PROJECT" down
engine_get "/volumes/$anon_volume" >/dev/null || fail "a plain down removed $anon_volume"
expect_exit 0 "$BIODEV" -p "$PROJECT" up db
[[ $(marker) == kept ]] || fail "the anonymous volume lost its data across down and up"

note "down -v leaves nothing"
expect_exit 0 "$BIODEV" -p "$PROJECT" down -v --yes
for kind in containers networks volumes; do
  [[ $(labelled_count "$kind" "$PROJECT") -eq 0 ]] || fail "$kind left after down -v"
done
! engine_get "/volumes/$anon_volume" >/dev/null 2>&1 || fail "down -v left $anon_volume"

note "biodev run in the folder runs its compose stack for one command; nothing of it is left"
set +e
result=$("$BIODEV" --json run -- sh -c 'curl -fsS -m 5 "http://127.0.0.1:$API_PORT/hello" >/dev/null && exit 7' 2>run.err | grep '"type":"result"')
set -e
run_project=$(jq -r .project <<<"$result")
[[ $(jq -r .exit_code <<<"$result") == 7 ]] || fail "run did not hand back the command's exit code: $result $(tail -5 run.err)"
for kind in containers networks volumes; do
  [[ $(labelled_count "$kind" "$run_project") -eq 0 ]] || fail "$kind of the run left behind"
done
engine_get "/images/json" | jq -e --arg t "$run_project-api:latest" '[.[].RepoTags[]?] | index($t) == null' >/dev/null ||
  fail "the image built for the run was left behind"

if command -v docker-compose >/dev/null; then
  note "docker-compose accepts the same file"
  expect_exit 0 docker-compose -f compose.yaml config -q
fi
note "ok"
