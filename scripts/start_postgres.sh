#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on 127.0.0.1 for Herald's tests.
#
# Installs PostgreSQL from Debian packages when it is missing (root only), initialises a
# cluster in $HERALD_PG_DIR (default /tmp/herald-pg) unless one is there already, starts it
# on $HERALD_PG_PORT (default: 5432 when free, else a free port), creates the role `herald`
# (password `herald`, CREATEDB) and the database `herald_test`, and prints the SQLAlchemy URL
# as the only line on stdout:
#
#     postgresql+psycopg://herald:herald@127.0.0.1:PORT/herald_test
#
# Everything else goes to stderr. Running it again reuses the running cluster.
# Stop it with: pg_ctl -D "$HERALD_PG_DIR/data" stop   (as the user that owns the folder)
set -euo pipefail

PG_DIR="${HERALD_PG_DIR:-/tmp/herald-pg}"
DATA="$PG_DIR/data"
log() { echo "start_postgres: $*" >&2; }

find_bindir() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -z "$dir" ]] && command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir)"
    fi
    echo "$dir"
}

BINDIR="$(find_bindir)"
if [[ -z "$BINDIR" || ! -x "$BINDIR/initdb" ]]; then
    if [[ "$(id -u)" != 0 ]]; then
        log "PostgreSQL is not installed and I am not root: install the 'postgresql' package"
        exit 1
    fi
    log "installing PostgreSQL from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    BINDIR="$(find_bindir)"
fi

# PostgreSQL refuses to run as root: as root, run its programs as the `postgres` user.
if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$PG_DIR" postgres
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

mkdir -p "$PG_DIR"
[[ "$(id -u)" == 0 ]] && chown postgres: "$PG_DIR"

running_port() {
    as_pg "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1 || return 1
    head -n 4 "$DATA/postmaster.pid" | tail -n 1
}

free_port() {
    python3 - <<'PY'
import socket
for port in [5432, *range(15432, 15532)]:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
PY
}

if PORT="$(running_port)"; then
    log "reusing the cluster running in $DATA on port $PORT"
else
    if [[ ! -f "$DATA/PG_VERSION" ]]; then
        log "initialising a cluster in $DATA"
        pwfile="$PG_DIR/pwfile"
        echo "postgres" > "$pwfile"
        [[ "$(id -u)" == 0 ]] && chown postgres: "$pwfile"
        as_pg "$BINDIR/initdb" -D "$DATA" -U postgres --pwfile="$pwfile" --auth-local=trust \
            --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync >&2
        rm -f "$pwfile"
    fi
    PORT="${HERALD_PG_PORT:-$(free_port)}"
    log "starting PostgreSQL on 127.0.0.1:$PORT"
    as_pg "$BINDIR/pg_ctl" -D "$DATA" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PG_DIR -c fsync=off -c max_connections=200" \
        start >&2
fi

psql_pg() { as_pg "$BINDIR/psql" -h "$PG_DIR" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [[ "$(psql_pg -c "SELECT 1 FROM pg_roles WHERE rolname = 'herald'")" != 1 ]]; then
    psql_pg -c "CREATE ROLE herald LOGIN CREATEDB PASSWORD 'herald'" >&2
fi
if [[ "$(psql_pg -c "SELECT 1 FROM pg_database WHERE datname = 'herald_test'")" != 1 ]]; then
    psql_pg -c "CREATE DATABASE herald_test OWNER herald" >&2
fi
echo "postgresql+psycopg://herald:herald@127.0.0.1:$PORT/herald_test"
