#!/usr/bin/env bash
# build: services: `up` builds from the Dockerfile and the service becomes ready; a warm
# `up` changes nothing; a source edit rebuilds and recreates only that service; an edit
# of a .dockerignored file does not; a broken Dockerfile fails with exit 1 naming the
# service and the line; rebuilds leave no untagged images piling up; `down -v` leaves no
# container, network or volume (built images stay, as with docker compose).
source "$(dirname "$0")/lib.sh"
require_engine
new_project
PROJECT="bld-build-$$"
IMAGE="$PROJECT-api"
if ! engine_get "/images/biodev/python:3.11/json" >/dev/null 2>&1; then
  [[ ${CI:-} == true ]] && fail "biodev/python:3.11 is missing (make images)"
  echo "SKIP [$TEST_NAME]: biodev/python:3.11 is missing (make images)" >&2
  exit 125
fi
cp "$SRC/tests/integration/profiles/build-app.yaml" profile.yaml
cp -r "$SRC/tests/integration/profiles/build-app" app
P=(-p "$PROJECT" -f profile.yaml)
label_filter() { printf '{"label":["dev.biodev.project=%s"]%s}' "$PROJECT" "$1" | jq -sRr @uri; }
remove_images() {
  for id in $(engine_get "/images/json?all=1&filters=$(label_filter '')" | jq -r '.[].Id'); do
    engine_delete "/images/$id?force=1"
  done
}
on_exit '"$BIODEV" -p "$PROJECT" down -v --yes >/dev/null 2>&1; remove_images'

image_id() { engine_get "/images/$IMAGE/json" | jq -r .Id; }
container_id() { engine_get "/containers/$PROJECT-$1/json" | jq -r .Id; }
answer() { curl -fsS -m 5 "http://127.0.0.1:$(host_port api 8000)/"; }
dangling() { engine_get "/images/json?filters=$(label_filter ',"dangling":["true"]')" | jq length; }
# A warm `up`: exit 0, changed false, no engine change in the plan, no build. Prints ms.
warm_up() {
  local t0 t1
  t0=$(date +%s%N)
  expect_exit 0 "$BIODEV" "${P[@]}" --json up
  t1=$(date +%s%N)
  expect_contains "$OUT" '"changed":false'
  [[ $OUT != *building* ]] || fail "a warm up built: $OUT"
  echo $(( (t1 - t0) / 1000000 ))
}

note "cold up builds the image and the service becomes ready"
expect_exit 0 "$BIODEV" "${P[@]}" up --timeout 120
expect_contains "$OUT" "project $PROJECT is ready"
engine_get "/images/$IMAGE/json" | jq -e '.Config.Labels["dev.biodev.build-hash"] | length == 64' >/dev/null \
  || fail "the built image has no build-hash label"
[[ $(answer) == "hello v1" ]] || fail "the built service answers $(answer)"
img1=$(image_id); api1=$(container_id api); redis1=$(container_id redis)

note "a second up changes nothing"
expect_exit 0 "$BIODEV" "${P[@]}" -v up
if grep -E '^[0-9]+ (create|start|stop|remove|connect)' <<<"$OUT"; then fail "a warm plan changes the engine: $OUT"; fi
ms=$(warm_up)
note "warm up with a build: service took ${ms} ms"
[[ $(image_id) == "$img1" && $(container_id api) == "$api1" ]] || fail "a warm up replaced the image or container"

note "a .dockerignored file's edit does not rebuild"
echo "more" >> app/notes/todo.txt
echo "log" > app/debug.log
ms=$(warm_up)
[[ $(image_id) == "$img1" ]] || fail "an ignored file's edit rebuilt the image"

note "a source edit rebuilds and recreates only that service"
sed -i 's/VERSION = "v1"/VERSION = "v2"/' app/server.py
expect_exit 0 "$BIODEV" "${P[@]}" up --timeout 120
[[ $(image_id) != "$img1" ]] || fail "the edit did not rebuild"
[[ $(container_id api) != "$api1" ]] || fail "the api container was not recreated"
[[ $(container_id redis) == "$redis1" ]] || fail "redis was recreated by an api edit"
[[ $(answer) == "hello v2" ]] || fail "the rebuilt service answers $(answer)"
ms=$(warm_up)

note "rebuilds do not pile up untagged images"
for v in v3 v4; do
  sed -i "s/VERSION = \"v[0-9]\"/VERSION = \"$v\"/" app/server.py
  expect_exit 0 "$BIODEV" "${P[@]}" up --timeout 120
done
[[ $(answer) == "hello v4" ]] || fail "the last rebuild answers $(answer)"
(( $(dangling) <= 1 )) || fail "$(dangling) untagged images of the project after 4 builds"

note "up --build and biodev build always build"
expect_exit 0 "$BIODEV" "${P[@]}" up --build --timeout 120
expect_contains "$OUT" "building"
expect_exit 0 "$BIODEV" "${P[@]}" build api
expect_contains "$OUT" "$IMAGE"
expect_exit 2 "$BIODEV" "${P[@]}" build redis
expect_contains "$OUT" "service redis has no build:"

note "a Dockerfile that runs nothing is assembled without the builder; the builder gives the same image"
expect_exit 0 "$BIODEV" "${P[@]}" build api
expect_contains "$OUT" "assembled: no RUN, no builder"
config() { engine_get "/images/$IMAGE/json" | jq -cS '.Config | {Cmd, Entrypoint, Env, WorkingDir, User, ExposedPorts, Labels}'; }
assembled=$(config)
files() { "$BIODEV" "${P[@]}" exec -T api -- sh -c 'cd /app && ls -ln && cat server.py | sha256sum'; }
expect_exit 0 "$BIODEV" "${P[@]}" up --timeout 120
assembled_files=$(files)
BIODEV_BUILDER=engine expect_exit 0 "$BIODEV" "${P[@]}" build api
expect_contains "$OUT" "Step 1/"
[[ $(config) == "$assembled" ]] || fail "the builder's image config differs: $(config) against $assembled"
expect_exit 0 "$BIODEV" "${P[@]}" up --timeout 120
[[ $(files) == "$assembled_files" ]] || fail "the builder's image holds other files: $(files) against $assembled_files"
[[ $(answer) == "hello v4" ]] || fail "the service built by the builder answers $(answer)"
echo 'RUN echo built > /tmp/built.txt' >> app/Dockerfile
expect_exit 0 "$BIODEV" "${P[@]}" up --timeout 120
expect_contains "$OUT" "Step 1/"
sed -i '$d' app/Dockerfile

note "a failing step names the service, the Dockerfile line and the engine's message"
cp app/Dockerfile Dockerfile.good
sed -i '3a COPY missing.txt /app/' app/Dockerfile
expect_exit 1 "$BIODEV" "${P[@]}" up --timeout 120
expect_contains "$OUT" "service api: build failed at $WORK/app/Dockerfile:4 (COPY missing.txt /app/)"
expect_contains "$OUT" "COPY failed: file not found in build context"

note "a Dockerfile syntax error names the line too"
cp Dockerfile.good app/Dockerfile
sed -i '2a COPPY x y' app/Dockerfile
expect_exit 1 "$BIODEV" "${P[@]}" up --timeout 120
expect_contains "$OUT" "service api: build failed at $WORK/app/Dockerfile:3"
expect_contains "$OUT" "unknown instruction"
cp Dockerfile.good app/Dockerfile

note "a service that needs no build comes up while the image builds"
expect_exit 0 "$BIODEV" "${P[@]}" down -v --yes
echo 'RUN sleep 3' >> app/Dockerfile
expect_exit 0 "$BIODEV" "${P[@]}" --json up --timeout 120
events=$(grep '^{' <<<"$OUT" | jq -r 'select(.type == "event") | "\(.subject) \(.state)"')
redis_ready=$(grep -n '^redis ready$' <<<"$events" | head -1 | cut -d: -f1)
api_built=$(grep -n '^api built$' <<<"$events" | head -1 | cut -d: -f1)
[[ -n $redis_ready && -n $api_built && $redis_ready -lt $api_built ]] \
  || fail "redis was not ready before the api's 3 s build ended: $events"
[[ $(answer) == "hello v4" ]] || fail "the service built beside redis answers $(answer)"

note "a build that fails on a new project leaves nothing of what came up beside it"
expect_exit 0 "$BIODEV" "${P[@]}" down -v --yes
sed -i '$d' app/Dockerfile
echo 'RUN sleep 2 && exit 3' >> app/Dockerfile
expect_exit 1 "$BIODEV" "${P[@]}" up --timeout 120
expect_contains "$OUT" "service api: build failed at $WORK/app/Dockerfile:"
for kind in containers networks volumes; do
  [[ $(labelled_count "$kind" "$PROJECT") == 0 ]] || fail "a failed build left $kind: $OUT"
done
cp Dockerfile.good app/Dockerfile
expect_exit 0 "$BIODEV" "${P[@]}" up --timeout 120

note "down -v leaves no container, network or volume; the built image stays"
expect_exit 0 "$BIODEV" "${P[@]}" down -v --yes
for kind in containers networks volumes; do
  [[ $(labelled_count "$kind" "$PROJECT") == 0 ]] || fail "down -v left $kind"
done
engine_get "/images/$IMAGE/json" >/dev/null || fail "down -v removed the built image (compose keeps it)"
note "ok"
