#!/bin/sh
# Entrypoint of biodev/redis:7. `redis-server [flags]` gets the dev-stack defaults (no
# protected mode, data and AOF in /data) ahead of the given flags, which therefore win;
# `redis-server file.conf [flags]` gets what the official image adds: no protected mode. Started as root it owns /data to redis and re-runs itself as redis;
# started as any other uid it uses that identity, so a bind-mounted /data owned by that
# uid stays owned by it. Any other command runs as given.
set -eu

# `docker run image --maxmemory 64mb` means redis-server with those flags.
case "${1:-}" in -* | *.conf) set -- redis-server "$@" ;; esac

if [ "${1:-}" != redis-server ]; then
  exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
  find /data \! -user redis -exec chown redis:redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

shift
# Standing in for Redis Stack (BIODEV_REDIS_STACK=1), the module commands (JSON.*, FT.*,
# TS.*, BF.*, ...) answer an error naming the module this image lacks, not "unknown command".
if [ "${BIODEV_REDIS_STACK:-}" = 1 ]; then
  stub=/usr/lib/redis/modules/biodev-stack-stub.so
else
  stub=
fi
# A config file must come first on redis-server's command line, and it decides
# persistence and the data directory, as with the official image: only protected mode
# is turned off, unless the file sets it itself.
case "${1:-}" in
  *.conf)
    conf=$1 && shift
    if grep -q '^protected-mode' "$conf" 2>/dev/null; then
      exec redis-server "$conf" ${stub:+--loadmodule "$stub"} "$@"
    fi
    exec redis-server "$conf" --protected-mode no ${stub:+--loadmodule "$stub"} "$@"
    ;;
esac
exec redis-server --protected-mode no --dir /data --appendonly yes ${stub:+--loadmodule "$stub"} "$@"
