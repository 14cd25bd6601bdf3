#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and the load benchmark.
#
#   eval "$(bash tests/postgres.sh start)"   # starts it if needed, exports SFN_ETL_TEST_PG_DSN
#   bash tests/postgres.sh stop              # stops it and deletes its data directory
#   bash tests/postgres.sh status
#
# Only the export line goes to stdout, so `eval "$(...)"` is safe; progress goes to stderr.
# The server is for throwaway data only: fsync and synchronous commit are off.
set -euo pipefail

PORT="${SFN_ETL_TEST_PG_PORT:-54329}"
BASE="${SFN_ETL_TEST_PG_DIR:-/tmp/sfn-etl-test-pg-${PORT}}"
DATA="$BASE/data"
SOCK="$BASE/sock"
LOG="$BASE/server.log"
DSN="postgresql://postgres@127.0.0.1:${PORT}/postgres"

say() { echo "postgres.sh: $*" >&2; }

find_bin() {
    local dir
    for dir in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        if [[ -x "$dir/initdb" ]]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

ensure_installed() {
    if find_bin >/dev/null; then
        return 0
    fi
    if [[ "$(id -u)" != 0 ]]; then
        say "PostgreSQL is not installed and installing it needs root: apt-get install -y postgresql"
        exit 1
    fi
    say "installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q postgresql >&2 || { apt-get update -q >&2 && apt-get install -y -q postgresql >&2; }
    find_bin >/dev/null || { say "postgresql installed but no initdb under /usr/lib/postgresql"; exit 1; }
}

# initdb and postgres refuse to run as root: as root, run them as the postgres user.
as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

is_running() {
    [[ -f "$DATA/PG_VERSION" ]] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

start() {
    ensure_installed
    BIN="$(find_bin)"
    if is_running; then
        say "already running on port $PORT ($DATA)"
    else
        mkdir -p "$BASE"
        if [[ "$(id -u)" == 0 ]]; then
            chown postgres: "$BASE"
        fi
        as_owner mkdir -p "$SOCK"
        if [[ ! -f "$DATA/PG_VERSION" ]]; then
            say "initdb $DATA"
            as_owner "$BIN/initdb" -D "$DATA" -A trust -U postgres --no-sync >"$BASE/initdb.log" 2>&1 \
                || { cat "$BASE/initdb.log" >&2; exit 1; }
        fi
        say "starting on 127.0.0.1:$PORT (log: $LOG)"
        as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start -o "-p $PORT -k $SOCK \
-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
-c max_wal_size=4GB -c shared_buffers=256MB -c max_connections=60" >&2 \
            || { tail -n 20 "$LOG" >&2; exit 1; }
    fi
    echo "export SFN_ETL_TEST_PG_DSN=$DSN"
}

stop() {
    if ! BIN="$(find_bin)"; then
        say "PostgreSQL is not installed: nothing to stop"
        return 0
    fi
    if is_running; then
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2
    fi
    rm -rf "$BASE"
    say "stopped; removed $BASE"
}

status() {
    if BIN="$(find_bin)" && is_running; then
        say "running on port $PORT ($DATA)"
        echo "export SFN_ETL_TEST_PG_DSN=$DSN"
    else
        say "not running"
        return 1
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *)
        say "usage: bash tests/postgres.sh start|stop|status"
        exit 2
        ;;
esac
