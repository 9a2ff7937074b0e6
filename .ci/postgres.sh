#!/usr/bin/env bash
# Install PostgreSQL with PostGIS from Debian's packages (if missing), start a throw-away server on
# loopback, create the test database with the extension, and print its URL for GRIDMGR_TEST_PG_URL.
set -euo pipefail
PGVER=15
PORT=${GRIDMGR_PG_PORT:-54329}
DATA=${GRIDMGR_PG_DATA:-/tmp/gridmgr-pg}
BIN=/usr/lib/postgresql/$PGVER/bin
if [ ! -x "$BIN/initdb" ] || [ ! -f /usr/share/postgresql/$PGVER/extension/postgis.control ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql-$PGVER postgresql-$PGVER-postgis-3 >&2
fi
if ! runuser -u postgres -- "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  rm -rf "$DATA"
  mkdir -p "$DATA" && chown postgres "$DATA"
  runuser -u postgres -- "$BIN/initdb" -D "$DATA" -A trust -U postgres >/dev/null
  runuser -u postgres -- "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" \
    -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DATA -c fsync=off" -w start >&2
fi
PSQL="$BIN/psql -h 127.0.0.1 -p $PORT -U postgres -v ON_ERROR_STOP=1 -q"
$PSQL -tc "SELECT 1 FROM pg_database WHERE datname='gridmgr_test'" | grep -q 1 || $PSQL -c "CREATE DATABASE gridmgr_test" >&2
$PSQL -d gridmgr_test -c "CREATE EXTENSION IF NOT EXISTS postgis" >&2
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/gridmgr_test"
