#!/usr/bin/env bash
# The foundation and data-stack tests again, each against a TLS engine (a verifying TLS
# front, client certificates required, in front of the local engine): the bench stack on
# an engine at 127.0.0.2, which counts as another machine (ports published there, env and
# probes at 127.0.0.2), and the default profile (bind mounts, seeds through exec, hot
# reload, watch's event stream) on a TLS engine at 127.0.0.1, this machine. The same
# suites on Podman are in test_podman.sh; TLS and ssh errors in test_engine_remote.sh.
source "$(dirname "$0")/lib.sh"
require_engine
new_project
command -v openssl >/dev/null && command -v socat >/dev/null || fail "openssl and socat are needed"
make_test_certs "$WORK/certs"
on_exit 'kill "${PIDS[@]}" 2>/dev/null'
tls_front "$WORK/certs" 127.0.0.2 2386 server
tls_front "$WORK/certs" 127.0.0.1 2387 server

run_suite() {  # run_suite ADDR PORT TEST
  note "$3 against the TLS engine tcp://$1:$2"
  DOCKER_HOST=tcp://$1:$2 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$WORK/certs/client BIODEV_TEST_ENGINE_ADDR=$1 \
    bash "$SRC/tests/integration/$3.sh" || fail "$3 failed against the TLS engine at $1:$2"
}
run_suite 127.0.0.2 2386 test_foundation_bench_stack
run_suite 127.0.0.1 2387 test_data_stack
echo "PASS [$TEST_NAME]"
