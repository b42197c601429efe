#!/usr/bin/env bash
# Installs the Debian packages biodev needs to build, test and build offline images.
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -euo pipefail

BUILD_PACKAGES=(g++ cmake make pkg-config git
  libboost-dev libyaml-cpp-dev libfmt-dev libspdlog-dev doctest-dev
  nlohmann-json3-dev libcli11-dev libpq-dev libssl-dev)
# Offline images (mmdebstrap), engine set-up and the integration tests (curl, jq, socat);
# docker-compose 1.29 and PyYAML for the compose corpus (tests/compose/compare.py);
# Node.js for the s3rver image's SigV4 front's unit test, boto3 and the AWS CLI as the
# S3 clients the offline S3 is held to (tests/integration/test_s3_clients.sh); redis-py,
# Psycopg 3 and psycopg2 as the clients the offline Redis and Postgres are held to
# (tests/integration/test_db_clients.sh); openssl, ssh and sshd, and psql for the TLS and
# ssh engines (tests/integration/test_engine_remote.sh); pytest for the lease fixture
# example (examples/leases/, tests/integration/test_leases.sh).
RUNTIME_PACKAGES=(mmdebstrap curl jq socat ca-certificates docker-compose python3-yaml
  nodejs python3-boto3 awscli python3-redis python3-psycopg python3-psycopg2
  openssl openssh-client openssh-server postgresql-client python3-pytest)
# npm for the official Qdrant JS client the Qdrant stand-in is held to
# (tests/integration/test_qdrant_js_client.sh). Debian ships it apart from nodejs; a
# nodejs that brings its own (NodeSource's) conflicts with Debian's npm package.
[[ -x /usr/bin/npm ]] || RUNTIME_PACKAGES+=(npm)
# Podman, the second engine biodev is held to (tests/integration/test_podman.sh), and
# what of its recommends biodev needs, named since they are installed without them:
# catatonit runs `init: true` containers (Podman looks for it, not for docker.io's tini),
# netavark and aardvark-dns give its networks the DNS that service names need.
RUNTIME_PACKAGES+=(podman catatonit netavark aardvark-dns)
# Go for the lease example's Go test helper (examples/leases/go, standard library only,
# run by tests/integration/test_leases.sh; its Jest example's packages come from npm
# there, as the other npm test clients do).
RUNTIME_PACKAGES+=(golang-go)
# Chromium, the real browser `biodev ui`'s page is tested in, headless
# (tests/integration/test_ui_dashboard.sh, driven by playwright-core from npm).
RUNTIME_PACKAGES+=(chromium)

missing=()
for p in "${BUILD_PACKAGES[@]}" "${RUNTIME_PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "biodev needs these Debian packages:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
