#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# A throwaway PostgreSQL cluster for tests and benchmarks.
#
#   scripts/pg-cluster.sh start  DIR   # initdb (first time) + start; prints the admin URL
#   scripts/pg-cluster.sh url    DIR   # prints postgres://shelfraiser:shelfraiser@127.0.0.1:PORT/postgres
#   scripts/pg-cluster.sh stop   DIR   # fast shutdown (no-op if not running)
#   scripts/pg-cluster.sh status DIR   # exit 0 if running
#
# Layout inside DIR:
#   DIR/data/          the cluster (mode 0700, owned by the server's OS user)
#   DIR/run/           unix socket directory
#   DIR/port           the loopback TCP port chosen at the last start
#   DIR/postgres.log   server log
#
# The cluster listens on 127.0.0.1 only, on a free port picked at start. Authentication is
# `trust` (it is a throwaway on loopback); the superuser role is `shelfraiser` with password
# `shelfraiser`, so the URL works whether or not a client sends the password.
#
# fsync and synchronous_commit are deliberately left ON: benchmarks measure durable commits.
#
# PostgreSQL refuses to run as root. When this script runs as root, the server runs as the
# `postgres` OS user (created by Debian's postgresql-common; created here if missing), and DIR
# must be reachable by that user — anywhere under /tmp is fine. As a normal user, the server
# runs as that user.
#
# Binaries are looked up in: $PG_BINDIR, `pg_config --bindir`, /usr/lib/postgresql/15/bin,
# the newest /usr/lib/postgresql/*/bin, then PATH. Exit code 3 means "no server binaries".
set -euo pipefail

ROLE=shelfraiser
# runuser lives in /usr/sbin, which a non-login root PATH may lack.
RUNUSER=$(command -v runuser || echo /usr/sbin/runuser)
PASSWORD=shelfraiser

usage() {
    echo "usage: $0 start|stop|url|status DIR" >&2
    exit 2
}

# Print the directory holding pg_ctl/initdb/postgres, or return 1.
find_bindir() {
    local cand
    local -a cands=()
    [[ -n "${PG_BINDIR:-}" ]] && cands+=("$PG_BINDIR")
    if command -v pg_config >/dev/null 2>&1; then
        cands+=("$(pg_config --bindir 2>/dev/null || true)")
    fi
    cands+=(/usr/lib/postgresql/15/bin)
    # Any other installed major version, newest first.
    while IFS= read -r cand; do cands+=("$cand"); done \
        < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5 -rn)
    if command -v pg_ctl >/dev/null 2>&1; then
        cands+=("$(dirname "$(readlink -f "$(command -v pg_ctl)")")")
    fi
    for cand in "${cands[@]}"; do
        if [[ -n "$cand" && -x "$cand/pg_ctl" && -x "$cand/initdb" && -x "$cand/postgres" ]]; then
            echo "$cand"
            return 0
        fi
    done
    return 1
}

# Run a command as the OS user that owns the cluster, from inside DIR (so that a cwd the
# postgres user cannot read, such as /root, does not produce warnings or failures).
as_pg() {
    if [[ $EUID -eq 0 ]]; then
        (cd "$DIR" && "$RUNUSER" -u postgres -- "$@")
    else
        (cd "$DIR" && "$@")
    fi
}

# A free TCP port on 127.0.0.1 (the kernel's choice). There is a small race between closing
# the probe socket and the server binding it; `start` retries on a failed start.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

is_running() {
    [[ -f "$DIR/data/PG_VERSION" ]] || return 1
    as_pg "$BINDIR/pg_ctl" status -D "$DIR/data" >/dev/null 2>&1
}

print_url() {
    [[ -f "$DIR/port" ]] || { echo "pg-cluster: no cluster started in $DIR" >&2; return 1; }
    echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$(cat "$DIR/port")/postgres"
}

wait_ready() {
    local port=$1
    for _ in $(seq 1 120); do
        if "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres -U "$ROLE"; then
            return 0
        fi
        sleep 0.25
    done
    echo "pg-cluster: server on port $port did not become ready; log follows" >&2
    tail -n 50 "$DIR/postgres.log" >&2 || true
    return 1
}

do_init() {
    if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postgres
    fi
    mkdir -p "$DIR"
    if [[ $EUID -eq 0 ]]; then
        chown postgres: "$DIR"
        if ! "$RUNUSER" -u postgres -- test -w "$DIR"; then
            echo "pg-cluster: the postgres OS user cannot write to $DIR (a parent directory is" \
                "not traversable?); use a directory under /tmp" >&2
            exit 1
        fi
    fi
    as_pg mkdir -p -m 0700 "$DIR/data"
    as_pg mkdir -p -m 0755 "$DIR/run"
    if [[ ! -f "$DIR/data/PG_VERSION" ]]; then
        # --no-sync only affects initdb's own final flush of the new files (it is a
        # throwaway); the server itself runs with fsync on.
        as_pg "$BINDIR/initdb" -D "$DIR/data" -U "$ROLE" --auth=trust -E UTF8 --no-locale \
            --no-sync >"$DIR/initdb.log" 2>&1 || {
            echo "pg-cluster: initdb failed; log follows" >&2
            cat "$DIR/initdb.log" >&2
            exit 1
        }
        cat >>"$DIR/data/postgresql.conf" <<EOF

# --- scripts/pg-cluster.sh: throwaway test cluster ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR/run'
max_connections = 300
# Durable commits on purpose: tests and benchmarks measure the real cost.
fsync = on
synchronous_commit = on
full_page_writes = on
logging_collector = off
log_min_messages = warning
EOF
    fi
}

do_start() {
    do_init
    if is_running; then
        wait_ready "$(cat "$DIR/port")"
        print_url
        return 0
    fi
    local attempt port
    as_pg touch "$DIR/postgres.log"
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if as_pg "$BINDIR/pg_ctl" start -D "$DIR/data" -l "$DIR/postgres.log" -w -t 60 \
            -o "-p $port" >/dev/null 2>&1; then
            echo "$port" >"$DIR/port"
            wait_ready "$port"
            # The password is not needed under trust auth, but set it so the URL also works
            # if someone switches pg_hba.conf to scram-sha-256.
            "$BINDIR/psql" -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$ROLE" -d postgres \
                -c "ALTER ROLE $ROLE WITH SUPERUSER LOGIN PASSWORD '$PASSWORD'" >/dev/null
            print_url
            return 0
        fi
        echo "pg-cluster: start attempt $attempt on port $port failed; retrying" >&2
        sleep 0.5
    done
    echo "pg-cluster: could not start PostgreSQL; log follows" >&2
    tail -n 50 "$DIR/postgres.log" >&2 || true
    exit 1
}

do_stop() {
    if is_running; then
        as_pg "$BINDIR/pg_ctl" stop -D "$DIR/data" -m fast -w -t 60 >/dev/null
    fi
}

[[ $# -eq 2 ]] || usage
CMD=$1
DIR=$2
[[ -n "$DIR" ]] || usage
if [[ ! -d "$DIR" ]]; then
    case "$CMD" in
    start) mkdir -p "$DIR" ;;
    stop) exit 0 ;; # nothing to stop
    *)
        echo "pg-cluster: $DIR does not exist" >&2
        exit 1
        ;;
    esac
fi
# Absolute path: the socket directory and pg_ctl -D must not depend on the cwd.
DIR=$(cd "$DIR" && pwd -P)
# Nothing was ever initialised here: nothing to stop (and no need for the binaries).
if [[ "$CMD" == stop && ! -f "$DIR/data/PG_VERSION" ]]; then
    exit 0
fi

if ! BINDIR=$(find_bindir); then
    echo "pg-cluster: PostgreSQL server binaries (pg_ctl, initdb, postgres) not found;" \
        "install them with: apt-get install postgresql-15 (or set PG_BINDIR)" >&2
    exit 3
fi

case "$CMD" in
start) do_start ;;
stop) do_stop ;;
url) print_url ;;
status) is_running ;;
*) usage ;;
esac
