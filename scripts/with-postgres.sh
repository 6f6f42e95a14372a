#!/usr/bin/env bash
# Run a command against a private, throwaway PostgreSQL cluster on a loopback port.
# The cluster's URL is exported as MANYI_TEST_DATABASE_URL; the cluster is removed afterwards.
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
# A free loopback port unless one is given (several runs may share the machine).
PGPORT=${PGPORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
PGDATA=$(mktemp -d /tmp/manyi-pg.XXXXXX)
AS_PG=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$PGDATA"
  AS_PG=(runuser -u postgres --)
fi
# Run as the postgres user from a directory it can enter (the caller's may be private).
pg() { (cd / && "${AS_PG[@]}" "$@"); }
cleanup() {
  pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA"
}
trap cleanup EXIT
pg "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 30 \
  -o "-p $PGPORT -c listen_addresses=127.0.0.1 -k $PGDATA -c fsync=off -c max_connections=200" start >/dev/null \
  || { cat "$PGDATA/server.log" >&2; exit 1; }
pg "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE manyi_test" >/dev/null
export MANYI_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/manyi_test"
"$@"
