#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on loopback for the tests and benchmarks (never for real data).
#
#   scripts/postgres-test-cluster.sh [start] [--port N] [--dir DIR]   create if needed, start, print the URL
#   scripts/postgres-test-cluster.sh url [--dir DIR]                  print the URL of the running cluster
#   scripts/postgres-test-cluster.sh stop [--dir DIR]                 stop it and delete DIR
#
# Idempotent: `start` on a running cluster only prints its URL. The cluster lives in DIR (default .build-pg/ in the
# current folder), listens on 127.0.0.1 only (a free port unless --port is given), and lets the superuser `iotreg`
# in without a password (trust). Usage in CI:
#   export IOTREG_TEST_POSTGRES_URL="$(scripts/postgres-test-cluster.sh)"
# Needs the Debian `postgresql` package (initdb, pg_ctl). As root it runs the server as the `postgres` user.
set -euo pipefail

command=start
case "${1:-}" in start | stop | url) command=$1; shift ;; esac
port=""
dir="${IOTREG_PG_DIR:-$PWD/.build-pg}"
while [ $# -gt 0 ]; do
    case "$1" in
    --port) port=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    *) echo "usage: $0 [start|url|stop] [--port N] [--dir DIR]" >&2; exit 2 ;;
    esac
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

bindir=""
for candidate in "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")" \
    $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then bindir=$candidate; break; fi
done
if [ -z "$bindir" ]; then
    echo "error: initdb/pg_ctl not found; install PostgreSQL: apt-get install -y -q postgresql" >&2
    exit 1
fi

as_server() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

data="$dir/data"
url() { echo "postgres://iotreg@127.0.0.1:$(cat "$dir/port")/postgres"; }
running() { [ -f "$dir/port" ] && as_server "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case "$command" in
stop)
    if [ -d "$data" ]; then as_server "$bindir/pg_ctl" -D "$data" stop -m fast >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    exit 0
    ;;
url)
    running || { echo "error: no cluster running in $dir" >&2; exit 1; }
    url
    exit 0
    ;;
esac

if running; then url; exit 0; fi

if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$data"
    mkdir -p "$data" "$dir/socket"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
    as_server "$bindir/initdb" -D "$data" -U iotreg --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
fi
if [ -z "$port" ]; then
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
echo "$port" >"$dir/port"
[ "$(id -u)" = 0 ] && chown postgres: "$dir/port" "$dir/socket" 2>/dev/null || true
as_server "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/socket -c max_connections=300" >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
url
