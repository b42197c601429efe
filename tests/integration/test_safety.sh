#!/usr/bin/env bash
# Safety: biodev never touches objects it did not label for the project; secrets stay
# out of config, progress output and errors; an image that cannot be had is one clear
# error naming the service.
source "$(dirname "$0")/lib.sh"
require_engine
new_project
R="$SRC/tests/integration/profiles/redis-only.yaml"

note "a foreign container with the name biodev wants: exit 1, left untouched"
body='{"Image":"biodev/redis:7","Cmd":["sleep","300"],"Entrypoint":["/bin/sh","-c"],"Labels":{"owner":"someone-else"}}'
foreign=$(curl -fsS --unix-socket "$SOCK" -H 'Content-Type: application/json' -d "$body" \
  "http://localhost/containers/create?name=$PROJECT-redis" | jq -r .Id)
# The test's own foreign objects go even when a check fails (biodev's down leaves them).
on_exit 'engine_delete "/containers/$foreign?force=1"'
expect_exit 1 "$BIODEV" -p "$PROJECT" -f "$R" up --timeout 60
expect_contains "$OUT" "not labelled for this project"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f "$R" down -v --yes
engine_get "/containers/$foreign/json" | jq -e '.Config.Labels.owner == "someone-else"' >/dev/null \
  || fail "down touched a container it does not own"
engine_delete "/containers/$foreign?force=1"
trap cleanup EXIT

note "a foreign network with the name biodev wants: exit 1, named, left untouched"
net=$(curl -fsS --unix-socket "$SOCK" -H 'Content-Type: application/json' \
  -d "{\"Name\":\"${PROJECT}_net\",\"CheckDuplicate\":true}" http://localhost/networks/create | jq -r .Id)
on_exit 'engine_delete "/networks/$net"'
expect_exit 1 "$BIODEV" -p "$PROJECT" -f "$R" up --timeout 60
expect_contains "$OUT" "network ${PROJECT}_net exists and is not labelled for this project"
engine_get "/networks/$net" >/dev/null || fail "the foreign network was removed"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f "$R" down -v --yes
engine_get "/networks/$net" >/dev/null || fail "down removed a network it does not own"
engine_delete "/networks/$net"
trap cleanup EXIT

note "secrets from .env never show in config, progress or errors"
cat > .env <<ENV
POSTGRES_PASSWORD=Sup3r-Secret-Pa55
API_TOKEN=tok-123456789
ENV
cat > secret.yaml <<'YAML'
services:
  db:
    image: biodev/postgres:15
    env:
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}
      POSTGRES_USER: bio
      APP_URL: postgresql://bio:${POSTGRES_PASSWORD}@db/bio
      TOKEN_FOR_APP: ${API_TOKEN}
    command: [sh, -c, "echo connecting with ${POSTGRES_PASSWORD}; exit 1"]
    entrypoint: []
    ports: ["127.0.0.1:0:5432"]
    ready: { type: postgres, port: 5432, timeout: 20s }
YAML
expect_exit 0 "$BIODEV" -p "$PROJECT" -f secret.yaml config
[[ $OUT != *Sup3r-Secret-Pa55* && $OUT != *tok-123456789* ]] || fail "config shows a secret"
expect_contains "$OUT" "********"
expect_exit 1 "$BIODEV" -p "$PROJECT" -f secret.yaml up --timeout 30
[[ $OUT != *Sup3r-Secret-Pa55* ]] || fail "up output or error shows the password: $OUT"
expect_contains "$OUT" "service db exited with code 1"
expect_contains "$OUT" "connecting with ********"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f secret.yaml logs db
[[ $OUT != *Sup3r-Secret-Pa55* ]] || fail "logs show the password"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f secret.yaml down -v --yes
rm .env

note "down -v on a terminal asks first; \"n\" deletes nothing"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f "$SRC/profiles/bench.yaml" up redis --timeout 60
curl -fsS --unix-socket "$SOCK" -H 'Content-Type: application/json' \
  -d "{\"Name\":\"${PROJECT}_keepme\",\"Labels\":{\"dev.biodev.project\":\"$PROJECT\"}}" http://localhost/volumes/create >/dev/null
volumes_before=$(labelled_count volumes "$PROJECT")
[[ $volumes_before -ge 1 ]] || fail "the test volume was not created"
set +e
OUT=$(echo n | script -qec "$BIODEV -p $PROJECT -f $SRC/profiles/bench.yaml down -v" /dev/null 2>&1); rc=$?
set -e
[[ $rc -ne 0 ]] || fail "declining the prompt should not succeed"
expect_contains "$OUT" "This deletes the data of project $PROJECT"
expect_contains "$OUT" "nothing deleted"
[[ $(labelled_count volumes "$PROJECT") -eq $volumes_before ]] || fail "a volume went although the answer was no"
[[ $(labelled_count containers "$PROJECT") -eq 1 ]] || fail "declined down -v should change nothing"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f "$SRC/profiles/bench.yaml" down -v --yes
[[ $(labelled_count volumes "$PROJECT") -eq 0 ]] || fail "down -v --yes kept the volume"

note "an image that cannot be had: exit 1, names service and image"
cat > noimage.yaml <<'YAML'
services:
  ghost:
    image: registry.invalid/nothing/here:1.0
    ready: { type: tcp, port: 80 }
YAML
expect_exit 1 "$BIODEV" -p "$PROJECT" -f noimage.yaml up --timeout 30
expect_contains "$OUT" "service ghost: image registry.invalid/nothing/here:1.0 could not be pulled"
[[ $(labelled_count containers "$PROJECT") -eq 0 ]] || fail "containers created although an image is missing"
note "a rebuild removes the image it replaced only when nothing else names it"
# Stand-ins for an older biodev/runtime, made here (FROM scratch, one file each, with
# the label biodev's own images carry); the tag points at one only while `images build
# runtime` runs (ctest runs one test at a time).
ver=$("$BIODEV" version | awk 'NR == 1 { print $2 }')
expect_exit 0 "$BIODEV" images build runtime
runtime=$(engine_get "/images/biodev/runtime:$ver/json" | jq -r .Id)
keep="it-keep-$$"
on_exit 'curl -fsS --unix-socket "$SOCK" -X POST "http://localhost/images/$runtime/tag?repo=biodev/runtime&tag=$ver"; engine_delete "/images/$keep:1"'
# stand_in CONTENT TAG...: builds a one-file image with these tags, prints its id.
stand_in() {
  local content=$1 t query
  query="q=1&labels=$(jq -rn '{"dev.biodev.managed": "true"} | tojson | @uri')"
  shift
  for t in "$@"; do query+="&t=$(jq -rn --arg t "$t" '$t | @uri')"; done
  rm -rf ctx && mkdir ctx && echo "$content" >ctx/f && printf 'FROM scratch\nCOPY f /f\n' >ctx/Dockerfile
  tar -C ctx -c . | curl -fsS --unix-socket "$SOCK" -H 'Content-Type: application/x-tar' \
    --data-binary @- "http://localhost/build?$query" | jq -rs 'map(.stream // empty) | join("") | gsub("\\s"; "")'
}
# Also named by a tag of the user's own: kept, with that tag.
old=$(stand_in "kept $$" "biodev/runtime:$ver" "$keep:1")
[[ $old == sha256:* ]] || fail "could not build a stand-in image: $old"
expect_exit 0 "$BIODEV" images build runtime
now=$(engine_get "/images/biodev/runtime:$ver/json" | jq -r .Id) || fail "no biodev/runtime:$ver after the rebuild"
[[ $now != "$old" ]] || fail "biodev/runtime:$ver was not rebuilt"
[[ $(engine_get "/images/$keep:1/json" | jq -r .Id) == "$old" ]] \
  || fail "the rebuild removed an image another tag names"
engine_delete "/images/$keep:1"
# Named by nothing else: removed.
old=$(stand_in "dropped $$" "biodev/runtime:$ver")
[[ $old == sha256:* ]] || fail "could not build a stand-in image: $old"
expect_exit 0 "$BIODEV" images build runtime
if engine_get "/images/$old/json" >/dev/null 2>&1; then
  engine_delete "/images/$old"
  fail "the replaced image $old was left behind untagged"
fi
note "ok"
