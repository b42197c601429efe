#!/usr/bin/env bash
# The Qdrant stand-in held to what the official Qdrant JS client, which nobody here
# wrote, expects of Qdrant 1.x's REST API: @qdrant/js-client-rest, at the exact version
# pinned in tests/clients/qdrant-js/package-lock.json and installed here with `npm ci`,
# runs tests/clients/qdrant-js/conformance.mjs against the stand-in brought up as the
# default profile declares it (its storage a host folder, snapshots under it):
# collections, upsert, filtered search, query, scroll, retrieve, count, payload indexes,
# set/overwrite/delete/clear payload, recommend, batch search and query, groups, batch
# updates, collection updates, aliases, snapshots and their recovery, deletes, and the
# 404/400/409 errors, each call checked for its answer. Then an upload of a snapshot
# file as multipart, and the state and snapshot files on the host.
source "$(dirname "$0")/lib.sh"
require_engine
command -v node >/dev/null || fail "node is missing (scripts/deps.sh installs nodejs)"
command -v npm >/dev/null || fail "npm is missing (scripts/deps.sh installs it)"
new_project

note "npm ci: the pinned client into a scratch copy of tests/clients/qdrant-js"
cp -r "$SRC/tests/clients/qdrant-js" client
rm -rf client/node_modules
registry=$(cd client && npm config get registry)
out=$(cd client && npm ci --no-audit --no-fund --fetch-retries=2 --fetch-retry-mintimeout=2000 \
        --fetch-retry-maxtimeout=10000 2>&1) ||
  fail "npm ci failed: is the npm registry $registry reachable from here?
$(grep -m 8 "npm error" <<<"$out" || tail -n 15 <<<"$out")"
pinned=$(jq -r '.packages["node_modules/@qdrant/js-client-rest"].version' client/package-lock.json)
[[ $pinned =~ ^1\.[0-9]+\.[0-9]+$ ]] || fail "package-lock.json pins no 1.x @qdrant/js-client-rest: $pinned"

cat >biodev.yaml <<'YAML'
services:
  qdrant:
    image: biodev/runtime:${BIODEV_VERSION}
    command: [serve, qdrant-standin]
    user: "${BIODEV_UID}:${BIODEV_GID}"
    env:
      QDRANT_STORAGE: /qdrant/storage
      QDRANT__STORAGE__SNAPSHOTS_PATH: /qdrant/storage/snapshots
    ports: ["127.0.0.1:0:6333"]
    mounts: [".data/qdrant:/qdrant/storage"]
    ready: { type: http, port: 6333, path: /readyz }
YAML

note "up: the Qdrant stand-in"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f biodev.yaml up --timeout 120
PORT=$(host_port qdrant 6333)
[[ $PORT =~ ^[0-9]+$ ]] || fail "no published port for qdrant"
URL="http://127.0.0.1:$PORT"
title=$(curl -fsS "$URL/" | jq -r .title)
[[ $title == *stand-in* ]] || fail "GET / does not say it is the stand-in: $title"

note "@qdrant/js-client-rest $pinned: conformance.mjs"
out=$(cd client && node conformance.mjs "$URL" /qdrant/storage/snapshots 2>&1) || fail "the JS client suite failed:
$out"
echo "$out" >&2
expect_contains "$out" "PASS @qdrant/js-client-rest $pinned"

note "a snapshot uploaded as multipart/form-data (curl -F snapshot=@file, as Qdrant documents it), and the files on the host"
api() { curl -sS -H 'content-type: application/json' "$@"; }
api -X PUT "$URL/collections/up" -d '{"vectors":{"size":2,"distance":"Dot"}}' >/dev/null
api -X PUT "$URL/collections/up/points?wait=true" \
  -d '{"points":[{"id":1,"vector":[1,0],"payload":{"k":"v"}},{"id":2,"vector":[0,1]}]}' >/dev/null
name=$(api -X POST "$URL/collections/up/snapshots" | jq -r .result.name)
[[ -f .data/qdrant/snapshots/up/$name ]] || fail "the snapshot $name is not in .data/qdrant/snapshots/up/"
[[ -f .data/qdrant/biodev-qdrant-standin.json ]] || fail "no state file in .data/qdrant/"
curl -fsS -o up.snapshot "$URL/collections/up/snapshots/$name" || fail "cannot download $name"
sum=$(sha256sum up.snapshot | cut -d' ' -f1)
got=$(curl -sS -X POST -F "snapshot=@up.snapshot" "$URL/collections/uploaded/snapshots/upload?wait=true&checksum=$sum")
[[ $(jq -r .result <<<"$got") == true ]] || fail "multipart upload: $got"
got=$(api -X POST "$URL/collections/uploaded/points/scroll" -d '{"with_payload":true}' | jq -c '[.result.points[] | [.id, .payload]]')
[[ $got == '[[1,{"k":"v"}],[2,{}]]' ]] || fail "the uploaded snapshot restored $got"
got=$(curl -sS -o /dev/null -w '%{http_code}' -X POST --data-binary 'not a snapshot' "$URL/collections/x/snapshots/upload")
[[ $got == 400 ]] || fail "a file that is no snapshot was answered $got, not 400"

note "restart: collections, aliases and snapshots are still there"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f biodev.yaml restart qdrant
PORT=$(host_port qdrant 6333)
URL="http://127.0.0.1:$PORT"
wait_until 30 curl -fsS "$URL/readyz" || fail "the stand-in did not come back after a restart"
got=$(curl -fsS "$URL/collections/uploaded" | jq -r .result.points_count)
[[ $got == 2 ]] || fail "after a restart the uploaded collection has $got points"
got=$(curl -fsS "$URL/collections/up/snapshots" | jq -r '.result[0].name')
[[ $got == "$name" ]] || fail "after a restart the snapshot list is $got"

echo "PASS [$TEST_NAME]"
