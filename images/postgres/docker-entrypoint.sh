#!/bin/sh
# Entrypoint of biodev/postgres:15, following the official postgres image's contract:
#   POSTGRES_USER (default postgres), POSTGRES_PASSWORD (required unless
#   POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_DB (default $POSTGRES_USER),
#   PGDATA (default /var/lib/postgresql/data), POSTGRES_INITDB_ARGS (extra initdb flags).
# Started as root it owns $PGDATA to postgres and re-runs itself as postgres; started
# as any other uid:gid it uses that identity, so a bind-mounted directory owned by
# that uid stays owned by it. SIGTERM and SIGINT both mean a fast shutdown.
set -eu

PGDATA=${PGDATA:-/var/lib/postgresql/data}
POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
POSTGRES_PASSWORD=${POSTGRES_PASSWORD:-}
POSTGRES_HOST_AUTH_METHOD=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
POSTGRES_INITDB_ARGS=${POSTGRES_INITDB_ARGS:-}
export PGDATA

log() { echo "entrypoint: $*" >&2; }

# `docker run image -c work_mem=64MB` means postgres with those flags.
case "${1:-}" in -*) set -- postgres "$@" ;; esac

# Anything else (psql, sh, ...) runs as given.
if [ "${1:-}" != postgres ]; then
  exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA"
  # Only files not yet owned: a large existing cluster is not rewalked needlessly.
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

# initdb looks the running uid up in passwd; an arbitrary --user has no entry, so
# nss_wrapper supplies one for the duration of initdb (as the official image does).
with_passwd_entry() {
  if getent passwd "$(id -u)" >/dev/null 2>&1; then
    "$@"
    return
  fi
  for wrapper in /usr/lib/*/libnss_wrapper.so; do break; done
  nss_dir=$(mktemp -d)
  echo "postgres:x:$(id -u):$(id -g):PostgreSQL:$PGDATA:/bin/false" >"$nss_dir/passwd"
  echo "postgres:x:$(id -g):" >"$nss_dir/group"
  rc=0
  LD_PRELOAD=$wrapper NSS_WRAPPER_PASSWD=$nss_dir/passwd NSS_WRAPPER_GROUP=$nss_dir/group \
    "$@" || rc=$?
  rm -rf "$nss_dir"
  return $rc
}

init_cluster() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    log "POSTGRES_PASSWORD is not set; set it, or set POSTGRES_HOST_AUTH_METHOD=trust"
    exit 1
  fi
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA" 2>/dev/null || :
  log "initialising $PGDATA (superuser $POSTGRES_USER)"
  # The password travels through a pipe, never argv or a file on disk. Nothing below
  # fsyncs file by file (--no-sync, fsync=off): one syncfs at the end is as durable and
  # seconds faster.
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of flags
  printf '%s\n' "$POSTGRES_PASSWORD" | with_passwd_entry initdb --username="$POSTGRES_USER" \
    --pwfile=/dev/stdin --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync $POSTGRES_INITDB_ARGS >/dev/null
  echo "host all all all $POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

  if [ "$POSTGRES_DB" != postgres ]; then
    # A temporary server on a private unix socket only: nothing can connect over TCP
    # before the database exists.
    sock=$(mktemp -d)
    pg_ctl -D "$PGDATA" -w -s \
      -o "-c listen_addresses='' -c unix_socket_directories=$sock -c fsync=off" start
    # On stdin, not -c: psql interpolates :"db" (quoted as an identifier) only there.
    echo 'CREATE DATABASE :"db";' |
      psql -h "$sock" -U "$POSTGRES_USER" -d postgres -v ON_ERROR_STOP=1 -q -v db="$POSTGRES_DB"
    pg_ctl -D "$PGDATA" -w -s -m fast stop
    rm -rf "$sock"
  fi
  sync -f "$PGDATA"
  log "initialised"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  init_cluster
fi

shift
postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp "$@" &
pid=$!
# postgres reads SIGTERM as "smart" shutdown, which waits for every client to leave;
# a dev stack wants the "fast" one (SIGINT): roll back and stop now.
trap 'kill -INT "$pid" 2>/dev/null || :' INT TERM
status=0
while kill -0 "$pid" 2>/dev/null; do
  wait "$pid" && status=0 || status=$?
done
exit "$status"
