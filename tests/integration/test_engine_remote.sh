#!/usr/bin/env bash
# Engines that are not this machine's unix socket, for real:
# - TLS: a verifying TLS front (socat, client certificates required) on 127.0.0.2, in
#   front of the local engine. 127.0.0.2 is "another machine" here: a port published on
#   127.0.0.1 is not reachable at 127.0.0.2, so `env`, probes, seeds and `run` must all
#   use the engine's host. Missing files, a wrong CA, no client certificate and a server
#   certificate for another name each fail with exit 3 and say what to fix.
# - docker contexts: a context folder made here, chosen by --context, DOCKER_CONTEXT
#   and config.json's currentContext; an unknown one is exit 3.
# - ssh: Debian's sshd on 127.0.0.1 with a key made here; `docker system dial-stdio`
#   on the far side, as the docker CLI does it.
source "$(dirname "$0")/lib.sh"
require_engine
new_project
for tool in openssl socat psql ssh-keygen /usr/sbin/sshd; do
  command -v "$tool" >/dev/null || fail "$tool is missing (scripts/deps.sh installs it)"
done
TLS_PORT=${BIODEV_TEST_TLS_PORT:-2376}
SSH_PORT=${BIODEV_TEST_SSH_PORT:-2222}

# --- certificates and the TLS engine: verifying fronts on 127.0.0.2 ---------------
make_test_certs "$WORK/certs"
CERTS=$WORK/certs
mkdir -p "$CERTS/onlyca" "$CERTS/otherca"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$CERTS/other-key.pem" -out "$CERTS/otherca/ca.pem" \
  -days 2 -subj "/CN=another CA" 2>/dev/null
test_cert "$CERTS" wrongname "/CN=engine" 'subjectAltName=IP:127.0.0.3\nextendedKeyUsage=serverAuth\n'
cp "$CERTS/ca.pem" "$CERTS/onlyca/ca.pem"
cp "$CERTS/client/cert.pem" "$CERTS/client/key.pem" "$CERTS/otherca/"

# The stacks go first, through the local socket, while the fronts still run.
on_exit 'unset DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_CONFIG DOCKER_CONTEXT BIODEV_SSH_COMMAND;
  "$BIODEV" -p "$PROJECT-ctx" down -v --yes >/dev/null 2>&1; kill "${PIDS[@]}" 2>/dev/null'
tls_front "$CERTS" 127.0.0.2 "$TLS_PORT" server
tls_front "$CERTS" 127.0.0.2 $((TLS_PORT + 1)) wrongname

export DOCKER_HOST=tcp://127.0.0.2:$TLS_PORT DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$CERTS/client

note "TLS: missing, wrong and incomplete certificates are exit 3 and name what to fix"
DOCKER_CERT_PATH=$WORK/nowhere expect_exit 3 "$BIODEV" -p "$PROJECT" -f bench status
expect_contains "$OUT" "$WORK/nowhere does not exist (DOCKER_CERT_PATH)"
DOCKER_CERT_PATH=$CERTS/otherca expect_exit 3 "$BIODEV" -p "$PROJECT" -f bench status
expect_contains "$OUT" "does not verify against $CERTS/otherca/ca.pem"
DOCKER_CERT_PATH=$CERTS/onlyca expect_exit 3 "$BIODEV" -p "$PROJECT" -f bench status
expect_contains "$OUT" "client certificate: put cert.pem and key.pem in $CERTS/onlyca"
DOCKER_HOST=tcp://127.0.0.2:$((TLS_PORT + 1)) expect_exit 3 "$BIODEV" -p "$PROJECT" -f bench status
expect_contains "$OUT" "not valid for 127.0.0.2"
DOCKER_TLS_VERIFY= expect_exit 3 "$BIODEV" -p "$PROJECT" -f bench status
expect_contains "$OUT" "closed the connection"

note "TLS: the bench stack up, its ports published on 127.0.0.2 and nowhere else"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench up --timeout 240
expect_contains "$OUT" "published on 127.0.0.2"
expect_contains "$OUT" "127.0.0.2:"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench up
expect_contains "$OUT" "nothing changed"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench health
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench env
expect_contains "$OUT" "@127.0.0.2:"
[[ $OUT != *127.0.0.1* ]] || fail "env names 127.0.0.1 for an engine at 127.0.0.2: $OUT"
eval "$OUT"
[[ $(psql "$DATABASE_URL" -tAc 'select 40 + 2') == 42 ]] || fail "psql could not use DATABASE_URL=$DATABASE_URL"
pg_port=${DATABASE_URL##*:}
pg_port=${pg_port%%/*}
if bash -c "exec 3<>/dev/tcp/127.0.0.1/$pg_port" 2>/dev/null; then
  fail "postgres answers on 127.0.0.1:$pg_port: it was published on this machine's loopback"
fi
[[ $(curl -fsS "$GATEWAY_URL/health" | jq -r .status) == ok ]] || fail "gateway at $GATEWAY_URL"

note "TLS: run -- CMD gets the engine's host, and its reaper runs on the engine"
expect_exit 0 "$BIODEV" -f bench run -- sh -c 'psql "$DATABASE_URL" -tAc "select 7"; echo "url=$DATABASE_URL"'
expect_contains "$OUT" "@127.0.0.2:"
run_project=$(sed -n 's/^project \([^ ]*\) ready in.*/\1/p' <<<"$OUT")
[[ -n $run_project ]] || fail "run named no project: $OUT"
[[ $(labelled_count containers "$run_project") == 0 ]] || fail "run left containers of $run_project"

note "TLS: down -v leaves nothing (seen through the local socket)"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench down -v
for kind in containers networks volumes; do
  [[ $(labelled_count "$kind" "$PROJECT") == 0 ]] || fail "down -v left $kind"
done

note "docker contexts: --context, DOCKER_CONTEXT, currentContext; an unknown one is exit 3"
export DOCKER_CONFIG=$WORK/docker-config
ctx_id=$(printf '%s' tls-box | sha256sum | cut -d' ' -f1)
mkdir -p "$DOCKER_CONFIG/contexts/meta/$ctx_id" "$DOCKER_CONFIG/contexts/tls/$ctx_id/docker"
printf '{"Name":"tls-box","Metadata":{},"Endpoints":{"docker":{"Host":"tcp://127.0.0.2:%s","SkipTLSVerify":false}}}' \
  "$TLS_PORT" >"$DOCKER_CONFIG/contexts/meta/$ctx_id/meta.json"
cp "$CERTS/client/"*.pem "$DOCKER_CONFIG/contexts/tls/$ctx_id/docker/"
unset DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH
ctx_project=$PROJECT-ctx
expect_exit 0 "$BIODEV" --context tls-box -p "$ctx_project" -f bench up --timeout 240 redis
expect_contains "$OUT" "127.0.0.2:"
redis_ip() { jq -r '.services[] | select(.service == "redis") | .ports[0].host_ip' <<<"$OUT"; }
DOCKER_CONTEXT=tls-box expect_exit 0 "$BIODEV" -p "$ctx_project" -f bench status --json
[[ $(redis_ip) == 127.0.0.2 ]] || fail "status through DOCKER_CONTEXT: $OUT"
echo '{"currentContext": "tls-box"}' >"$DOCKER_CONFIG/config.json"
expect_exit 0 "$BIODEV" -p "$ctx_project" -f bench status --json
[[ $(redis_ip) == 127.0.0.2 ]] || fail "status through currentContext: $OUT"
expect_exit 3 "$BIODEV" --context no-such -p "$ctx_project" -f bench status
expect_contains "$OUT" 'docker context "no-such" (from --context) does not exist'
expect_exit 0 "$BIODEV" -p "$ctx_project" -f bench down -v
[[ $(labelled_count containers "$ctx_project") == 0 ]] || fail "down -v through the context left containers"
rm "$DOCKER_CONFIG/config.json"

note "ssh: sshd on 127.0.0.1:$SSH_PORT with a key made here"
SSHD=$WORK/sshd
mkdir -p "$SSHD" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$SSHD/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$SSHD/id"
ssh-keygen -q -t ed25519 -N '' -f "$SSHD/stranger"
cp "$SSHD/id.pub" "$SSHD/authorized_keys"
cat >"$SSHD/sshd_config" <<CFG
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $SSHD/host_key
AuthorizedKeysFile $SSHD/authorized_keys
PidFile $SSHD/sshd.pid
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
CFG
/usr/sbin/sshd -f "$SSHD/sshd_config" -D -e 2>"$SSHD/log" &
PIDS+=("$!")
wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SSH_PORT" || fail "sshd did not listen: $(cat "$SSHD/log")"
ssh_opts="-o UserKnownHostsFile=$SSHD/known_hosts -o StrictHostKeyChecking=accept-new"
export DOCKER_HOST=ssh://$(id -un)@127.0.0.1:$SSH_PORT

BIODEV_SSH_COMMAND="ssh -i $SSHD/stranger -o IdentitiesOnly=yes $ssh_opts" \
  expect_exit 3 "$BIODEV" -p "$PROJECT" -f bench status
expect_contains "$OUT" "Permission denied"

export BIODEV_SSH_COMMAND="ssh -i $SSHD/id -o IdentitiesOnly=yes $ssh_opts"
note "ssh: up, status and down -v of the bench stack"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench up --timeout 240
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench status --json
[[ $(jq '[.services[] | select(.state == "running")] | length' <<<"$OUT") == 4 ]] || fail "status over ssh: $OUT"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench health
expect_exit 0 "$BIODEV" -p "$PROJECT" -f bench down -v
[[ $(labelled_count containers "$PROJECT") == 0 ]] || fail "down -v over ssh left containers"
wait_until 5 bash -c '! pgrep -f "[1]27.0.0.1 docker system dial-stdio"' ||
  fail "ssh processes outlived biodev: $(pgrep -af 'docker system dial-stdio')"
echo "PASS [$TEST_NAME]"
