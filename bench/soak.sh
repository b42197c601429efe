#!/usr/bin/env bash
# Randomized fault soak of the default profile (fixed host ports), not part of
# `make test`: `make soak`, or bench/soak.sh. Each cycle runs a random verb (up, down,
# restart, run) and interrupts it at a random moment with one fault: kill -9, SIGHUP,
# SIGINT, a service container killed, a service OOM-killed at its memory limit, the
# engine restarted, a full disk under .data/, a host port taken by another program.
# Then it checks the invariants: the next `up` converges (exit 0, and the `up` after it
# changes nothing); the engine holds exactly the project's containers, networks and
# volumes (no duplicate, no orphan, nothing left of a `run`); every Postgres row, Redis
# key and S3 object written before the fault is still there; and a verb that failed on
# its own (not killed by the soak) said what failed and what to do.
#
# Everything runs against a PRIVATE engine this script starts (its own dockerd, socket
# under /run/biodev-soak/, data root, exec root and address pool), so the engine
# restarts never touch the machine's engine; the images are copied into it from the
# machine's engine. Needs root, and the default profile's host ports free.
#
# Settings: SOAK_SEED (replays the same choices), SOAK_CYCLES (300), SOAK_SECONDS
# (3600: stops after the cycle that passes it), SOAK_FAULTS (comma list, default all),
# BIODEV (build/biodev), SOAK_LOG (the cycle log, /tmp/biodev-soak-<seed>.log).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
BIODEV=$(realpath "${BIODEV:-$root/build/biodev}")
SEED=${SOAK_SEED:-$(( $(date +%s%N) % 1000000 ))}
CYCLES=${SOAK_CYCLES:-300}
SECONDS_MAX=${SOAK_SECONDS:-3600}
ALL_FAULTS=kill9,sighup,sigint,container_kill,oom,engine_restart,full_disk,foreign_port
IFS=, read -r -a FAULTS <<<"${SOAK_FAULTS:-$ALL_FAULTS}"
SHARED_SOCK=${SOAK_SHARED_SOCK:-/var/run/docker.sock}
RUN=/run/biodev-soak
SOCK=$RUN/docker.sock
LOG=${SOAK_LOG:-/tmp/biodev-soak-$SEED.log}
PROJECT=soak
PORTS=(5432 6379 9000 6333 8000 8080)
SERVICES=9 NETWORKS=3

say() { echo "soak: $*" | tee -a "$LOG" >&2; }
die() { say "$*"; exit 2; }
[[ $(id -u) -eq 0 ]] || die "needs root (it starts its own dockerd)"
[[ -x $BIODEV ]] || die "no biodev binary at $BIODEV (make build)"
for tool in dockerd curl jq psql python3 mountpoint; do
  command -v $tool >/dev/null || die "needs $tool"
done
: >"$LOG"

# ---- the private engine -------------------------------------------------------------
api() { curl -fsS -m 60 --unix-socket "$SOCK" "$@"; }
BRIDGE=biodev-soak0  # its default bridge (the run reaper uses it), on its own subnet
engine_up() {
  mkdir -p "$RUN" /var/lib/biodev-soak
  if ! ip link show $BRIDGE >/dev/null 2>&1; then
    ip link add $BRIDGE type bridge && ip addr add 10.214.0.1/24 dev $BRIDGE && ip link set $BRIDGE up ||
      die "cannot make the bridge $BRIDGE"
  fi
  # A dockerd given another default bridge deletes docker0, which the machine's engine
  # (its default network) needs: put it back as it was once this one answers.
  local docker0
  docker0=$(ip -4 addr show docker0 2>/dev/null | awk '/inet /{print $2; exit}')
  nohup dockerd --host "unix://$SOCK" --data-root /var/lib/biodev-soak --exec-root "$RUN/exec" \
    --pidfile "$RUN/docker.pid" --bridge=$BRIDGE --iptables=false --ip6tables=false --ip-masq=false \
    --default-address-pool base=10.213.0.0/16,size=24 --cgroup-parent=/biodev-soak \
    >>"$RUN/dockerd.log" 2>&1 &
  for _ in $(seq 1 150); do
    if curl -fsS -m 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1; then
      if [[ -n $docker0 ]] && ! ip link show docker0 >/dev/null 2>&1; then
        ip link add docker0 type bridge && ip addr add "$docker0" dev docker0 && ip link set docker0 up
      fi
      return 0
    fi
    sleep 0.2
  done
  die "the private engine did not start (see $RUN/dockerd.log)"
}
engine_down() {
  local pid
  pid=$(cat "$RUN/docker.pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
# The bridges of the private pool forward between containers although the machine's
# FORWARD policy drops (its engine manages that chain for its own bridges only).
FWD_RULE=(FORWARD -s 10.213.0.0/16 -d 10.213.0.0/16 -j ACCEPT)

WORK=$(mktemp -d /tmp/biodev-soak-XXXXXX)
chmod 755 "$WORK"
teardown() {
  cd /
  DOCKER_HOST="unix://$SOCK" "$BIODEV" -p $PROJECT down -v --yes >/dev/null 2>&1
  engine_down
  iptables -D "${FWD_RULE[@]}" 2>/dev/null
  ip link del $BRIDGE 2>/dev/null
  umount "$WORK/.data" 2>/dev/null
  rm -rf "$WORK"
}
trap teardown EXIT

if curl -fsS -m 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1; then
  say "a private engine answers already at $SOCK: using it"
else
  engine_up
fi
iptables -C "${FWD_RULE[@]}" 2>/dev/null || iptables -I "${FWD_RULE[@]}"

# The offline images, copied from the machine's engine (docker save | docker load).
VERSION=$("$BIODEV" version | awk '{print $2; exit}')
for img in biodev/postgres:15 biodev/redis:7 biodev/s3rver:3.7.1 biodev/python:3.11; do
  api "http://localhost/images/$img/json" >/dev/null 2>&1 && continue
  say "copying $img into the private engine"
  curl -fsS --unix-socket "$SHARED_SOCK" "http://localhost/images/get?names=$img" |
    api -X POST -H 'Content-Type: application/x-tar' --data-binary @- http://localhost/images/load >/dev/null ||
    die "cannot copy $img from $SHARED_SOCK (run \`biodev images build\` there first)"
done
export DOCKER_HOST="unix://$SOCK" BIODEV_IMAGES=offline
"$BIODEV" -f default images build >>"$LOG" 2>&1 || die "images build failed on the private engine"

# ---- the project folder -------------------------------------------------------------
cd "$WORK"
cp -r "$root/examples" "$root/init-scripts" .
mkdir -p profiles .data
# A small tmpfs holds .data/, so a full disk is a few megabytes away.
mount -t tmpfs -o size=400m,mode=0755 soak-data .data || die "cannot mount a tmpfs on .data"
# The memory pool (Postgres, Redis, the worker) shrunk so Redis can be driven to its limit.
cat >profiles/soak.yaml <<'YAML'
extends: default
pools:
  memory: { cpus: 1, memory: 256m }
YAML
B=("$BIODEV" -p $PROJECT -f soak)

redis() {  # redis CMD ARGS...: one inline command; prints the first reply line
  exec 3<>/dev/tcp/127.0.0.1/6379 || return 1
  printf '%s\r\n' "$*" >&3
  local line
  IFS= read -r -t 10 line <&3
  exec 3>&-
  echo "${line%$'\r'}"
}
pg() { PGPASSWORD=bio-local-only psql -h 127.0.0.1 -U bio -d bio -tAqc "$1"; }
s3() { curl -fsS -m 10 --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }

count() {
  case $1 in
    containers) api "http://localhost/containers/json?all=1" | jq length ;;
    networks) api http://localhost/networks | jq '[.[] | select(.Name != "host" and .Name != "none" and .Name != "bridge")] | length' ;;
    volumes) api http://localhost/volumes | jq '.Volumes // [] | length' ;;
  esac
}

# ---- a cycle ------------------------------------------------------------------------
declare -A INJECTED=()
VIOLATIONS=0
WRITTEN=0   # rows, keys and objects written so far (one of each per cycle)

violation() { VIOLATIONS=$((VIOLATIONS + 1)); say "VIOLATION cycle $CYCLE ($FAULT during $VERB): $*"; }
rand_delay() { printf '%d.%02d' $((RANDOM % 3)) $((RANDOM % 100)); }  # 0.00 - 2.99 s

# The data a fault must not lose: one row, key and object per cycle, written and
# acknowledged before the fault.
write_data() {
  local n=$((WRITTEN + 1))
  pg "insert into soak values ($n)" >/dev/null || { violation "cannot write row $n"; return; }
  [[ $(redis SET "soak:$n" "$n") == +OK ]] || { violation "cannot write key soak:$n"; return; }
  echo "$n" >"$WORK/object"
  s3 -T "$WORK/object" "http://127.0.0.1:9000/raw/soak-$n" >/dev/null || { violation "cannot put object soak-$n"; return; }
  WRITTEN=$n
}
check_data() {
  local rows keys
  rows=$(pg "select count(distinct n) from soak where n <= $WRITTEN")
  [[ $rows == "$WRITTEN" ]] || violation "Postgres has $rows of $WRITTEN rows"
  keys=$(redis EXISTS $(seq -f 'soak:%g' 1 "$WRITTEN"))
  [[ $keys == ":$WRITTEN" ]] || violation "Redis has ${keys#:} of $WRITTEN keys"
  s3 -o /dev/null "http://127.0.0.1:9000/raw/soak-$WRITTEN" || violation "S3 object soak-$WRITTEN is gone"
  local first=$(( (RANDOM % WRITTEN) + 1 ))
  s3 -o /dev/null "http://127.0.0.1:9000/raw/soak-$first" || violation "S3 object soak-$first is gone"
}

# A verb that failed by itself (not killed by the soak) must say what failed and what to
# do: a service, port, folder or the engine, and a way out.
check_message() {
  local rc=$1 out=$2 expect=${3:-}
  case $rc in 0 | 129 | 130 | 137 | 143) return ;; esac
  grep -qE "service [a-z_]+|port [0-9.:]+|\.data/|Docker engine|project $PROJECT" "$out" ||
    violation "exit $rc without naming what failed: $(tail -3 "$out" | tr '\n' ' ')"
  grep -qiE "run |stop |raise |free |change |remove |start |biodev " "$out" ||
    violation "exit $rc without saying what to do: $(tail -3 "$out" | tr '\n' ' ')"
  if [[ -n $expect ]] && ! grep -qE "$expect" "$out"; then
    violation "exit $rc without \"$expect\": $(tail -3 "$out" | tr '\n' ' ')"
  fi
}

# verb_cmd VERB: the command line of a verb (run has its own project and profile).
verb_cmd() {
  case $1 in
    run) echo "$BIODEV -p soak-run run -- sleep 5" ;;
    *) echo "${B[*]} $1" ;;
  esac
}

# start_verb VERB: in the background; sets PID, OUT.
start_verb() {
  OUT="$WORK/verb.log"
  # shellcheck disable=SC2046 # the command line is words
  $(verb_cmd "$1") >"$OUT" 2>&1 & PID=$!
}
finish_verb() { wait "$PID"; RC=$?; }

# The containers and networks of project $1 on the engine.
project_count() {
  local f
  f=$(printf '{"label":["dev.biodev.project=%s"]}' "$1" | jq -sRr @uri)
  echo $(($(api "http://localhost/containers/json?all=1&filters=$f" | jq length) +
    $(api "http://localhost/networks?filters=$f" | jq length)))
}

fault_signal() {  # SIGNAL
  start_verb "$VERB"; sleep "$(rand_delay)"; kill "-$1" "$PID" 2>/dev/null; finish_verb
  check_message $RC "$OUT"
  # Stopped by a signal it handles, run takes its stack down itself before it returns.
  if [[ $VERB == run && $1 != KILL ]] && (( $(project_count soak-run) != 0 )); then
    violation "run returned after SIG$1 with $(project_count soak-run) containers and networks of its stack left"
  fi
}
fault_container_kill() {
  local svc=${SVCS[RANDOM % ${#SVCS[@]}]}
  start_verb "$VERB"; sleep "$(rand_delay)"
  api -X POST "http://localhost/containers/$PROJECT-$svc/kill" >/dev/null 2>&1
  finish_verb; check_message $RC "$OUT"
}
fault_oom() {
  # Redis fills its memory (256m) and the kernel kills it; `health` must say so.
  # One allocation past the limit; it never reaches the AOF (the command does not finish).
  redis SETRANGE soak-oom 300000000 x >/dev/null 2>&1
  wait_state "$PROJECT-redis" exited 20 || { violation "redis was not OOM-killed"; return; }
  api "http://localhost/containers/$PROJECT-redis/json" | jq -e .State.OOMKilled >/dev/null ||
    violation "redis exited without OOMKilled"
  "${B[@]}" health >"$OUT" 2>&1; RC=$?
  grep -q "OOM killer (out of memory)" "$OUT" && grep -q "256 MiB" "$OUT" && grep -q "pool memory" "$OUT" ||
    violation "health after an OOM kill does not say out of memory, the limit and the pool: $(tr '\n' ' ' <"$OUT")"
  start_verb "$VERB"; finish_verb; check_message $RC "$OUT"
}
fault_engine_restart() {
  start_verb "$VERB"; sleep "$(rand_delay)"
  engine_down; engine_up
  finish_verb
  case $RC in 0 | 3) ;; 1) grep -q "Docker engine" "$OUT" || violation "exit 1, not 3, when the engine restarted: $(tail -3 "$OUT" | tr '\n' ' ')" ;;
    *) violation "exit $RC when the engine restarted: $(tail -3 "$OUT" | tr '\n' ' ')" ;; esac
  check_message $RC "$OUT"
}
fault_full_disk() {
  # Fill .data, run the verb, free the space: a failure must name the folder.
  dd if=/dev/zero of=.data/filler bs=1M >/dev/null 2>&1
  start_verb "$VERB"; sleep "$(rand_delay)"
  pg "insert into soak_junk select generate_series(1, 20000)" >/dev/null 2>&1
  finish_verb
  # A failure the full disk caused must name the folder.
  if grep -q "No space left" "$OUT"; then check_message $RC "$OUT" '\.data/'; else check_message $RC "$OUT"; fi
  rm -f .data/filler
}
fault_foreign_port() {
  local port=${PORTS[RANDOM % ${#PORTS[@]}]}
  "${B[@]}" down >/dev/null 2>&1
  python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1',$port)); s.listen(); time.sleep(30)" &
  local holder=$!
  for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  OUT="$WORK/verb.log"
  "${B[@]}" up --timeout 60 >"$OUT" 2>&1; RC=$?
  [[ $RC -eq 1 ]] || violation "up with 127.0.0.1:$port taken exited $RC, expected 1"
  check_message $RC "$OUT" "port 127\.0\.0\.1:$port \(service [a-z_]+\) is already in use"
  kill $holder; wait $holder 2>/dev/null
}

wait_state() {  # NAME STATE SECONDS
  local deadline=$((SECONDS + $3))
  while ((SECONDS < deadline)); do
    [[ $(api "http://localhost/containers/$1/json" 2>/dev/null | jq -r .State.Status) == "$2" ]] && return 0
    sleep 0.2
  done
  return 1
}

# The invariants after a cycle.
converge() {
  local out="$WORK/converge.log" t0=$SECONDS
  "${B[@]}" up --timeout 180 >"$out" 2>&1 ||
    { violation "the next up failed: $(tail -5 "$out" | tr '\n' ' ')"; "${B[@]}" up --timeout 180 >>"$out" 2>&1; }
  "${B[@]}" --json up --timeout 180 >"$out" 2>&1
  grep -q '"changed":false' "$out" || violation "the up after the next one changed something: $(tail -2 "$out")"
  # Nothing of a run may be left, once its reaper had the time to act (run is killed -9).
  local deadline=$((SECONDS + 20))
  while ((SECONDS < deadline)) && [[ $(count containers) -ne $SERVICES || $(count networks) -ne $NETWORKS ]]; do
    sleep 0.5
  done
  [[ $(count containers) -eq $SERVICES ]] || violation "the engine has $(count containers) containers, expected $SERVICES: $(api 'http://localhost/containers/json?all=1' | jq -c '[.[].Names[0]]')"
  [[ $(count networks) -eq $NETWORKS ]] || violation "the engine has $(count networks) networks, expected $NETWORKS"
  [[ $(count volumes) -eq 0 ]] || violation "the engine has $(count volumes) volumes, expected 0"
  check_data
  CONVERGE_S=$((SECONDS - t0))
}

# ---- the soak -----------------------------------------------------------------------
say "seed $SEED, up to $CYCLES cycles or ${SECONDS_MAX}s, faults: ${FAULTS[*]}"
say "replay: SOAK_SEED=$SEED SOAK_CYCLES=$CYCLES SOAK_FAULTS=${SOAK_FAULTS:-$ALL_FAULTS} make soak"
RANDOM=$SEED
SVCS=(postgres redis minio qdrant inference gateway bio_ai_server bio_nexus bio_worker)
"${B[@]}" up --timeout 300 >"$WORK/first.log" 2>&1 || { cat "$WORK/first.log"; die "the first up failed"; }
pg "create table if not exists soak (n int); create table if not exists soak_junk (n int)" >/dev/null
START=$SECONDS
CYCLE=0
while ((CYCLE < CYCLES && SECONDS - START < SECONDS_MAX)); do
  CYCLE=$((CYCLE + 1))
  FAULT=${FAULTS[RANDOM % ${#FAULTS[@]}]}
  VERBS=(up up down restart run)
  VERB=${VERBS[RANDOM % ${#VERBS[@]}]}
  [[ $FAULT == oom ]] && VERB=up
  [[ $FAULT == foreign_port ]] && VERB=up
  write_data
  t0=$SECONDS
  case $FAULT in
    kill9) fault_signal KILL ;;
    sighup) fault_signal HUP ;;
    sigint) fault_signal INT ;;
    *) "fault_$FAULT" ;;
  esac
  INJECTED[$FAULT]=$((${INJECTED[$FAULT]:-0} + 1))
  converge
  printf 'soak: cycle %d: %s during %s, exit %s, converged in %ss, %ss in all, %d violations\n' \
    "$CYCLE" "$FAULT" "$VERB" "${RC:-}" "$CONVERGE_S" $((SECONDS - t0)) "$VIOLATIONS" | tee -a "$LOG" >&2
done

say "done: $CYCLE cycles in $((SECONDS - START))s, seed $SEED, invariant violations: $VIOLATIONS"
for f in "${FAULTS[@]}"; do say "  $f: ${INJECTED[$f]:-0}"; done
((VIOLATIONS == 0))
