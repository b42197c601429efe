#!/bin/bash
# Entrypoint of biodev/postgres:15, following the official postgres image's contract:
#   POSTGRES_USER (default postgres), POSTGRES_PASSWORD (required unless
#   POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_DB (default $POSTGRES_USER),
#   PGDATA (default /var/lib/postgresql/data), POSTGRES_INITDB_ARGS (extra initdb flags),
#   and /docker-entrypoint-initdb.d/*.sql, *.sql.gz, *.sh run once, on first init.
# bash, as in the official image: init scripts it sources may use bash.
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

# initdb and postgres look the running uid up in passwd; an arbitrary --user has no
# entry, so nss_wrapper supplies one while they run (as the official image does).
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

# SQL quoting for values that only ever travel on stdin: a literal and an identifier.
sql_literal() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }
sql_ident() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }

# Statements on stdin for a single-user backend in database $1 (no socket, no port:
# nothing can connect meanwhile), one per ";" and blank line; the first error stops it
# non-zero. Its log (checkpoints) is shown only when it fails.
single_user() {
  err=$(mktemp)
  if ! with_passwd_entry postgres --single -j -D "$PGDATA" -c exit_on_error=on -c fsync=off \
    "$1" >/dev/null 2>"$err"; then
    cat "$err" >&2
    rm -f "$err"
    return 1
  fi
  rm -f "$err"
}

# The image carries a cluster initdb made at build time ($TEMPLATE, superuser
# "postgres", and a spare database: see make-template.sh). Copying it is what initdb
# would write, in a fraction of the time, as long as nothing asks initdb for something
# else: extra initdb flags, another time zone, an authentication method other than the
# plain ones. Like initdb, it wants an empty directory (initdb's own message explains a
# mount point's lost+found).
TEMPLATE=/usr/share/biodev/postgres-template
template_fits() {
  [ -s "$TEMPLATE/PG_VERSION" ] && [ -s "$TEMPLATE.spare-oid" ] &&
    [ -z "$POSTGRES_INITDB_ARGS" ] && [ -z "${TZ:-}" ] && [ -z "${PGTZ:-}" ] &&
    cmp -s /etc/localtime "$TEMPLATE.localtime" &&
    [ -O "$PGDATA" ] && [ -z "$(ls -A "$PGDATA")" ] &&
    case "$POSTGRES_HOST_AUTH_METHOD" in
      trust | password | md5 | scram-sha-256) true ;;
      *) false ;;
    esac
}

# Creating the ~950 files is most of the copy's time (up to a millisecond a file on
# some disks), and creations in different directories go in parallel: one cp in the
# background for each database's directory but template1 (their pids in $copies),
# while the rest and template1 are copied here. The spare database is left out when
# there is nothing to rename it to (its empty directory lets DROP DATABASE finish
# cleanly). The template is readable by every uid (a container may run as any);
# umask 077 makes the copies what Postgres wants of its files: u+rwX, go-rwx. It stays
# for the rest of the script, which makes no other file (postgres sets its own).
copy_template() {
  umask 077
  mkdir -p "$PGDATA/base" || return 1
  for db in "$TEMPLATE"/base/*; do
    case "${db##*/}" in
      1) continue ;;
      "$SPARE_OID")
        if [ "$POSTGRES_DB" = postgres ]; then
          mkdir "$PGDATA/base/$SPARE_OID" || return 1
          continue
        fi
        ;;
    esac
    cp -R "$db" "$PGDATA/base/" &
    copies="$copies $!"
  done
  for f in "$TEMPLATE"/*; do
    [ "$f" = "$TEMPLATE/base" ] || cp -R "$f" "$PGDATA/" || return 1
  done
  cp -R "$TEMPLATE/base/1" "$PGDATA/base/"
}

# The single-user step runs in template1 while the other databases are still being
# copied: it changes shared catalogs (global/) and template1's files only. At start it
# also removes every database's relcache init file (pg_internal.init), which the
# template does not carry (make-template.sh).
# Both this and init_with_initdb return non-zero at the first failing step (they run
# where `set -e` does not reach: in an `||` list); this one after its copies ended.
init_from_template() {
  SPARE_OID=$(cat "$TEMPLATE.spare-oid") || return 1
  copies=
  rc=0
  copy_template && set_up_from_template || rc=1
  for pid in $copies; do
    wait "$pid" || rc=1
  done
  return "$rc"
}

set_up_from_template() {
  sed -i "s/scram-sha-256\$/$POSTGRES_HOST_AUTH_METHOD/" "$PGDATA/pg_hba.conf" || return 1
  {
    if [ -n "$POSTGRES_PASSWORD" ]; then
      printf 'ALTER ROLE postgres PASSWORD %s;\n\n' "$(sql_literal "$POSTGRES_PASSWORD")"
    fi
    # The spare database, a copy of template1 made with the template, is the database
    # CREATE DATABASE would make now.
    case "$POSTGRES_DB" in
      postgres) printf 'DROP DATABASE biodev_spare;\n\n' ;;
      biodev_spare) ;;
      *) printf 'ALTER DATABASE biodev_spare RENAME TO %s;\n\n' "$(sql_ident "$POSTGRES_DB")" ;;
    esac
    # The bootstrap superuser (oid 10) takes the name asked for, as with initdb
    # --username; ALTER ROLE cannot rename the role of the running session.
    if [ "$POSTGRES_USER" != postgres ]; then
      printf 'UPDATE pg_authid SET rolname = %s WHERE oid = 10;\n\n' "$(sql_literal "$POSTGRES_USER")"
    fi
  } | single_user template1
}

init_with_initdb() {
  # The password travels through a pipe, never argv or a file on disk.
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of flags
  printf '%s\n' "$POSTGRES_PASSWORD" | with_passwd_entry initdb --username="$POSTGRES_USER" \
    --pwfile=/dev/stdin --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync --no-instructions $POSTGRES_INITDB_ARGS \
    >/dev/null || return 1
  # OID 16384 as a server would give it: a single-user backend hands out reserved ones.
  if [ "$POSTGRES_DB" != postgres ]; then
    printf 'CREATE DATABASE %s OID = 16384 STRATEGY = FILE_COPY;\n\n' "$(sql_ident "$POSTGRES_DB")" |
      single_user postgres
  fi
}

init_cluster() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    log "POSTGRES_PASSWORD is not set; set it, or set POSTGRES_HOST_AUTH_METHOD=trust"
    exit 1
  fi
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA" 2>/dev/null || :
  # Nothing here fsyncs file by file (initdb --no-sync, fsync=off), nor does the
  # temporary server of the init scripts: one syncfs once they have run is as durable
  # and seconds faster.
  if template_fits; then
    log "initialising $PGDATA from the image's initdb template (superuser $POSTGRES_USER)"
    init_from_template || init_failed template
  else
    log "initialising $PGDATA with initdb (superuser $POSTGRES_USER)"
    init_with_initdb || init_failed
  fi
  echo "host all all all $POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
  log "initialised"
}

# The directory was empty before (both ways insist on it; initdb refuses a full one
# untouched, template_fits makes sure): emptied again, the next start initialises it
# afresh instead of running a half-made cluster. $1: "template" when the copy made it.
init_failed() {
  if [ "${1:-}" = template ] || [ -s "$PGDATA/PG_VERSION" ]; then
    find "$PGDATA" -mindepth 1 -delete 2>/dev/null || :
    log "initialising $PGDATA failed; the half-made cluster was removed"
  else
    log "initialising $PGDATA failed"
  fi
  exit 1
}

# The official image's /docker-entrypoint-initdb.d: after the cluster is made, in name
# order, *.sql and *.sql.gz through psql (ON_ERROR_STOP, as POSTGRES_USER in
# POSTGRES_DB), *.sh executed when executable and sourced otherwise; other files are
# ignored. They run against a temporary server listening on the unix socket only, so
# no client sees the database before they finished. A failing script stops the start
# with its name, and the cluster is removed as for any failed initialisation: the next
# start runs them all again on a fresh cluster (the official image would keep it half
# made and never run them again).
INITDB_D=/docker-entrypoint-initdb.d
init_scripts() {
  local f
  for f in "$INITDB_D"/*; do
    [ -f "$f" ] && printf '%s\n' "$f"
  done
}

# psql as the official image's docker_process_sql: the script sees the same variables.
docker_process_sql() {
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc \
    --dbname "$POSTGRES_DB" "$@"
}

run_init_script() {
  case "$1" in
    *.sh)
      if [ -x "$1" ]; then
        log "running $1"
        "$1"
      else
        log "sourcing $1"
        # shellcheck disable=SC1090 # the user's script
        (set +u; . "$1")
      fi
      ;;
    *.sql)
      log "running $1"
      docker_process_sql -f "$1" >/dev/null
      ;;
    *.sql.gz)
      log "running $1"
      gzip -dc "$1" | docker_process_sql >/dev/null
      ;;
    *) log "ignoring $1" ;;
  esac
}

# The temporary server (pid in $temp_pid) is ready when postmaster.pid's status line
# says so, as pg_ctl -w checks, but looked at every 10 ms instead of pg_ctl's 100 ms:
# first init waits on this twice. Fails when the server exits or 60 s pass.
wait_temp_server() {
  local i
  local -a status
  for ((i = 0; i < 6000; i++)); do
    kill -0 "$temp_pid" 2>/dev/null || return 1
    status=()
    { mapfile -t -s 7 -n 1 status <"$PGDATA/postmaster.pid"; } 2>/dev/null
    case "${status[0]:-}" in ready*) return 0 ;; esac
    sleep 0.01
  done
  return 1
}

# Arguments: the server flags given to the container (shared_preload_libraries), which
# apply to the temporary server too.
run_init_scripts() {
  local scripts f rc=0
  scripts=$(init_scripts)
  [ -n "$scripts" ] || return 0
  export POSTGRES_USER POSTGRES_DB POSTGRES_PASSWORD PGDATA
  export PGPASSWORD=${PGPASSWORD:-$POSTGRES_PASSWORD}
  # listen_addresses='': the unix socket only, as the official image's temporary server.
  # fsync=off: its writes reach the disk by the syncfs after it stops, in one go.
  postgres -D "$PGDATA" -c listen_addresses='' -c unix_socket_directories=/tmp -c fsync=off "$@" \
    </dev/null >"$PGDATA/init-scripts.log" 2>&1 &
  temp_pid=$!
  if ! wait_temp_server; then
    kill -INT "$temp_pid" 2>/dev/null
    wait "$temp_pid"
    cat "$PGDATA/init-scripts.log" >&2
    log "the temporary server for $INITDB_D did not start"
    return 1
  fi
  # Each script in a subshell with errexit in force: its first failing command fails
  # it, as in the official image, and it cannot change this script's variables.
  while IFS= read -r f; do
    (set -eo pipefail; run_init_script "$f")
    rc=$?
    if [ "$rc" != 0 ]; then
      log "$f failed (exit status $rc)"
      break
    fi
  done <<<"$scripts"
  # A fast shutdown, as pg_ctl -m fast; `wait` returns the moment the server has exited.
  # A script that restarted the server itself (pg_ctl restart) left another one running.
  kill -INT "$temp_pid" 2>/dev/null
  wait "$temp_pid" || rc=1
  if [ -e "$PGDATA/postmaster.pid" ]; then
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null || rc=1
  fi
  rm -f "$PGDATA/init-scripts.log"
  return "$rc"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  init_cluster
  # Not in an `||` list, where errexit would be off inside the scripts' subshells.
  set +e
  run_init_scripts "${@:2}"
  rc=$?
  set -e
  [ "$rc" = 0 ] || init_failed template
  sync -f "$PGDATA"
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
