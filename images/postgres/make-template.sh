#!/bin/sh
# Run once when the image is built (Dockerfile RUN), as root: makes the cluster the
# entrypoint copies instead of running initdb (docker-entrypoint.sh, init_from_template).
#   $TEMPLATE            initdb's output, superuser "postgres", plus one database,
#                        biodev_spare, that becomes POSTGRES_DB by a rename; without
#                        the catalogs' free-space and visibility maps (below)
#   $TEMPLATE.spare-oid  biodev_spare's directory under base/
#   $TEMPLATE.localtime  the time zone initdb saw; another one means initdb at start
set -eu
TEMPLATE=/usr/share/biodev/postgres-template

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

mkdir -p "$TEMPLATE"
chown postgres:postgres "$TEMPLATE"
as_postgres initdb -D "$TEMPLATE" --username=postgres --auth-local=trust \
  --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync --no-instructions >/dev/null

# CREATE DATABASE at first start would copy template1's few hundred files one after
# the other; made here, they are copied with the rest, in parallel. A single-user
# backend hands out OIDs from initdb's reserved range unless told otherwise; 16384 is
# the first ordinary one, which a server-side CREATE DATABASE would have taken.
before=" "
for d in "$TEMPLATE"/base/*; do before="$before${d##*/} "; done
log=$(mktemp)
echo 'CREATE DATABASE biodev_spare OID = 16384 STRATEGY = FILE_COPY;' |
  as_postgres postgres --single -j -D "$TEMPLATE" -c exit_on_error=on -c fsync=off postgres \
    >/dev/null 2>"$log" || { cat "$log" >&2; exit 1; }
rm -f "$log"
spare=
for d in "$TEMPLATE"/base/*; do
  case "$before" in *" ${d##*/} "*) ;; *) spare=${d##*/} ;; esac
done
[ -n "$spare" ] || { echo "make-template: no directory for biodev_spare under base/" >&2; exit 1; }
echo "$spare" >"$TEMPLATE.spare-oid"

# The free-space and visibility maps of the system tables (a quarter of the files
# initdb makes) are left out: every new cluster copies the template, and on some disks
# each file created costs up to a millisecond. Postgres makes these forks on demand, as
# it does for every new table, and VACUUM rebuilds them; until then an insert tries the
# table's last page and then extends it instead of filling an earlier hole, and the
# visibility map has no page marked all-visible. Relcache init files go too: every
# server start removes them (and the entrypoint's single-user step runs while other
# databases are still being copied).
find "$TEMPLATE" -type f \( -name '*_fsm' -o -name '*_vm' -o -name 'pg_internal.init*' \) -delete

chmod -R a+rX "$TEMPLATE"
cp -L /etc/localtime "$TEMPLATE.localtime"
