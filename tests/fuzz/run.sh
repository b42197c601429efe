#!/usr/bin/env bash
# Builds the libFuzzer targets (ASan + UBSan) in build-fuzz/ and runs each in turn for
# FUZZ_SECONDS (default 600) on its corpus, tests/fuzz/corpus/<target>/. New inputs
# are then merged back with -merge=1 into a minimized corpus (the smallest set of
# inputs that keeps all coverage), so the corpus in the repository stays small.
#
# Exits non-zero when any target finds a crash, a sanitizer report, a leak, a
# timeout or an out-of-memory input; the reproducer is in tests/fuzz/artifacts/.
#
#   FUZZ_SECONDS=60 tests/fuzz/run.sh                  # shorter runs
#   FUZZ_TARGETS="fuzz_frames" tests/fuzz/run.sh       # some targets only
#   tests/fuzz/run.sh --reproduce tests/fuzz/artifacts/fuzz_profile-crash-...
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
fuzz="$root/tests/fuzz"
build="${FUZZ_BUILD:-$root/build-fuzz}"
seconds="${FUZZ_SECONDS:-600}"
targets=(${FUZZ_TARGETS:-fuzz_profile fuzz_frames fuzz_jsonlines})
jobs="${FUZZ_JOBS:-2}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBIODEV_FUZZ=ON -DBIODEV_BUILD_TESTS=OFF >/dev/null
nice cmake --build "$build" -j"$jobs" --target "${targets[@]}"

# Per-target input size limit, dictionary and extra seed folders (read, never written).
max_len() {
  case "$1" in
    fuzz_profile) echo 8192 ;;  # real profiles are 1-5 KB
    *) echo 4096 ;;             # frames and progress lines are a few hundred bytes
  esac
}
dict() {
  case "$1" in
    fuzz_profile) echo "$fuzz/yaml.dict" ;;
    fuzz_jsonlines) echo "$fuzz/json.dict" ;;
  esac
}
seeds() {
  case "$1" in
    fuzz_profile) echo "$root/profiles $root/tests/profiles" ;;
    *) echo "$fuzz/seeds/$1" ;;
  esac
}

if [[ "${1:-}" == "--reproduce" ]]; then
  artifact="$2"
  target=$(basename "$artifact" | sed 's/-\(crash\|leak\|timeout\|oom\|slow-unit\)-.*//')
  exec "$build/tests/fuzz/$target" "$artifact"
fi

mkdir -p "$fuzz/artifacts"
failed=()
for target in "${targets[@]}"; do
  corpus="$fuzz/corpus/$target"
  work="$build/fuzz-work/$target"
  mkdir -p "$corpus"
  rm -rf "$work" && mkdir -p "$work"
  d=$(dict "$target")
  echo "== $target: ${seconds}s, corpus $(ls "$corpus" | wc -l) inputs"
  # New inputs go to $work (the first folder); the corpus and seeds are only read.
  # shellcheck disable=SC2046
  if ! nice -n 10 "$build/tests/fuzz/$target" \
      -max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$fuzz/artifacts/$target-" \
      ${d:+-dict="$d"} "$work" "$corpus" $(seeds "$target"); then
    failed+=("$target")
    continue
  fi
  # Minimize: the smallest set of corpus + seeds + new inputs that keeps every feature.
  merged="$build/fuzz-merged/$target"
  rm -rf "$merged" && mkdir -p "$merged"
  # shellcheck disable=SC2046
  nice -n 10 "$build/tests/fuzz/$target" -merge=1 -max_len="$(max_len "$target")" \
    -timeout=10 -rss_limit_mb=2048 "$merged" "$corpus" "$work" $(seeds "$target") 2>&1 |
    grep -E "MERGE-OUTER: [0-9]+ new files" || true
  find "$corpus" -type f -delete
  cp "$merged"/* "$corpus"/
  echo "== $target: corpus now $(ls "$corpus" | wc -l) inputs, $(du -sk "$corpus" | cut -f1) KB"
done

if ((${#failed[@]})); then
  echo "fuzzing found problems in: ${failed[*]} (reproducers in tests/fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzzing: no findings"
