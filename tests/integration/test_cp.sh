#!/usr/bin/env bash
# `biodev cp` against the real engine: a file and a folder (subfolder, symlink, an
# executable, a name over 100 bytes) copied into a running service's container and back
# out, compared byte for byte and mode for mode — inside the container through exec, on
# the host with cmp and find; docker cp's rules for an existing or missing DEST and for
# "dir/."; owners (root's, the host's with -a); the "-" tar streams; a copy out of a stopped container; and each error with
# its exit code (2: bad argument, unknown service; 1: missing path or parent).
source "$(dirname "$0")/lib.sh"
require_engine
new_project
PROJECT="cp-$$"

cat >biodev.yaml <<'YAML'
services:
  redis:
    image: redis:7.4-bookworm
    offline:
      image: biodev/redis:7
    command: [redis-server, --save, "", --appendonly, "no", --protected-mode, "no"]
    ports: ["127.0.0.1:0:6379"]
    ready: { type: redis, port: 6379 }
YAML
B=("$BIODEV" -p "$PROJECT" -f biodev.yaml)
in_redis() { "${B[@]}" exec -T redis -- sh -c "$1" </dev/null; }
# One line per path under DIR: mode, kind, size of files, link target, relative name.
listing_host() { (cd "$1" && find . -mindepth 1 -printf '%m %y %p %l\n' | sort); }
listing_redis() { in_redis "cd '$1' && find . -mindepth 1 -printf '%m %y %p %l\n' | sort"; }

expect_exit 0 "${B[@]}" up --timeout 60

head -c 300000 /dev/urandom >blob.bin
chmod 0640 blob.bin
LONG=$(printf 'n%.0s' $(seq 1 130)).txt
mkdir -p tree/sub/empty
printf '#!/bin/sh\necho hi\n' >tree/run.sh
chmod 0755 tree/run.sh
printf 'deep\n' >"tree/sub/$LONG"
chmod 0600 "tree/sub/$LONG"
ln -s ../run.sh tree/sub/link
chmod 0750 tree/sub
touch -d @1650000000 tree/run.sh blob.bin

note "a file into the container: into a folder, under a new name"
expect_exit 0 "${B[@]}" cp blob.bin redis:/tmp/
want=$(sha256sum <blob.bin | cut -d' ' -f1)
[[ $(in_redis 'sha256sum </tmp/blob.bin | cut -d" " -f1') == "$want" ]] || fail "bytes differ in the container"
[[ $(in_redis 'stat -c "%a %Y" /tmp/blob.bin') == "640 1650000000" ]] || fail "mode/mtime: $(in_redis 'stat -c "%a %Y" /tmp/blob.bin')"
expect_exit 0 "${B[@]}" cp blob.bin redis:tmp/renamed.bin
[[ $(in_redis 'sha256sum </tmp/renamed.bin | cut -d" " -f1') == "$want" ]] || fail "renamed copy differs"

note "owners: root's in the container, the host's with -a"
cp blob.bin owned.bin
chown 1234:2345 owned.bin
expect_exit 0 "${B[@]}" cp owned.bin redis:/tmp/owned-root.bin
[[ $(in_redis 'stat -c %u:%g /tmp/owned-root.bin') == "0:0" ]] || fail "without -a: $(in_redis 'stat -c %u:%g /tmp/owned-root.bin')"
expect_exit 0 "${B[@]}" cp -a owned.bin redis:/tmp/owned-kept.bin
[[ $(in_redis 'stat -c %u:%g /tmp/owned-kept.bin') == "1234:2345" ]] || fail "with -a: $(in_redis 'stat -c %u:%g /tmp/owned-kept.bin')"

note "a folder into the container: as a child of an existing folder, its content with /., a new name"
expect_exit 0 "${B[@]}" cp tree redis:/tmp
[[ $(listing_redis /tmp/tree) == "$(listing_host tree)" ]] || fail "tree differs in the container:
$(listing_redis /tmp/tree)
--- host:
$(listing_host tree)"
[[ $(in_redis "cat '/tmp/tree/sub/$LONG'") == deep ]] || fail "long-named file's content"
in_redis 'mkdir /tmp/existing'
expect_exit 0 "${B[@]}" cp tree/. redis:/tmp/existing
[[ $(listing_redis /tmp/existing) == "$(listing_host tree)" ]] || fail "tree/. did not land as content"
expect_exit 0 "${B[@]}" cp tree redis:/tmp/newname
[[ $(listing_redis /tmp/newname) == "$(listing_host tree)" ]] || fail "tree as a new name differs"

note "and back out: a file, a folder to a missing name, into an existing folder, its content"
expect_exit 0 "${B[@]}" cp redis:/tmp/blob.bin back.bin
cmp blob.bin back.bin || fail "file copied out differs"
[[ $(stat -c '%a %Y' back.bin) == "640 1650000000" ]] || fail "file out: mode/mtime $(stat -c '%a %Y' back.bin)"
expect_exit 0 "${B[@]}" cp redis:/tmp/tree out1
[[ $(listing_host out1) == "$(listing_host tree)" ]] || fail "folder out differs:
$(listing_host out1)"
cmp "tree/sub/$LONG" "out1/sub/$LONG" || fail "long-named file out differs"
[[ $(stat -c %Y out1/run.sh) == 1650000000 ]] || fail "mtime out"
mkdir out2
expect_exit 0 "${B[@]}" cp redis:/tmp/tree out2/
[[ $(listing_host out2/tree) == "$(listing_host tree)" ]] || fail "folder into an existing folder"
mkdir out3
chmod 0700 out3
expect_exit 0 "${B[@]}" cp redis:/tmp/tree/. out3
[[ $(listing_host out3) == "$(listing_host tree)" ]] || fail "tree/. out"
[[ $(stat -c %a out3) == 700 ]] || fail "tree/. changed the existing folder's mode"

note "tar streams with -"
"${B[@]}" cp redis:/tmp/tree - >stream.tar || fail "cp to - failed"
tar -tf stream.tar | grep -qx "tree/sub/$LONG" || fail "stream lacks the long name: $(tar -tf stream.tar)"
in_redis 'mkdir /tmp/fromstdin'
tar -cf - -C tree . | "${B[@]}" cp - redis:/tmp/fromstdin || fail "cp from - failed"
[[ $(listing_redis /tmp/fromstdin) == "$(listing_host tree)" ]] || fail "stdin tar differs"
expect_exit 1 "${B[@]}" cp - redis:/tmp/blob.bin </dev/null
expect_contains "$OUT" "unpacked into a folder"

note "errors, each with its exit code"
expect_exit 2 "${B[@]}" cp blob.bin nosuch:/tmp
expect_contains "$OUT" 'no container for service "nosuch"'
expect_exit 2 "${B[@]}" cp blob.bin ./elsewhere
expect_contains "$OUT" "one of SRC and DEST must be SERVICE:PATH"
expect_exit 2 "${B[@]}" cp redis:/tmp redis:/srv
expect_exit 1 "${B[@]}" cp redis:/no/such/file x
expect_contains "$OUT" "no such file or folder in service redis's container: /no/such/file"
expect_exit 1 "${B[@]}" cp missing.txt redis:/tmp
expect_contains "$OUT" "no such file or folder on the host: missing.txt"
expect_exit 1 "${B[@]}" cp redis:/tmp/blob.bin nodir/x
expect_contains "$OUT" "the folder nodir (where nodir/x would go) does not exist"
[[ ! -e nodir ]] || fail "nodir was made"
expect_exit 1 "${B[@]}" cp blob.bin redis:/no/such/x
expect_contains "$OUT" "the folder redis:/no/such (where redis:/no/such/x would go) does not exist"
expect_exit 1 "${B[@]}" cp blob.bin redis:/tmp/newdir/
expect_contains "$OUT" "does not exist"
expect_exit 1 "${B[@]}" cp redis:/tmp/tree back.bin
expect_contains "$OUT" "cannot copy the folder redis:/tmp/tree over the file back.bin"
cmp blob.bin back.bin || fail "the refused copy touched back.bin"

note "a stopped container still gives its files"
expect_exit 0 "${B[@]}" stop redis
expect_exit 0 "${B[@]}" cp redis:/tmp/blob.bin stopped.bin
cmp blob.bin stopped.bin || fail "copy out of the stopped container differs"
note "ok"
