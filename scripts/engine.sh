#!/usr/bin/env bash
# Makes sure a Docker engine answers. As root on a machine without one, installs
# docker.io and starts dockerd (through systemd when it runs, else in the background).
set -euo pipefail

sock=/var/run/docker.sock
[[ ${DOCKER_HOST:-} == unix://* ]] && sock=${DOCKER_HOST#unix://}

ping() {
  if [[ -n ${DOCKER_HOST:-} && ${DOCKER_HOST} == tcp://* ]]; then
    curl -fsS -m 2 "http://${DOCKER_HOST#tcp://}/_ping" >/dev/null 2>&1
  else
    curl -fsS -m 2 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1
  fi
}

ping && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "no Docker engine answers at ${DOCKER_HOST:-unix://$sock}." >&2
  echo "  start it:   sudo systemctl start docker" >&2
  echo "  install it: sudo apt-get install -y docker.io && sudo usermod -aG docker \$USER" >&2
  exit 3
fi

if ! command -v dockerd >/dev/null; then
  echo "installing docker.io" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

if [[ -d /run/systemd/system ]] && systemctl start docker 2>/dev/null; then
  :
else
  echo "starting dockerd in the background (log: /var/log/dockerd.log)" >&2
  nohup dockerd >/var/log/dockerd.log 2>&1 &
fi
for _ in $(seq 1 60); do
  ping && exit 0
  sleep 0.5
done
echo "dockerd did not answer within 30s; see /var/log/dockerd.log" >&2
tail -n 20 /var/log/dockerd.log >&2 || true
exit 3
