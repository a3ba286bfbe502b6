#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Donations benchmark: sustained donations per second through the test payment provider's
# signed callback path, on SQLite and on PostgreSQL, each followed by `ledger verify`.
#
#   bench/donations.sh            # COUNT=5000 donations, CONCURRENCY=32, both backends
#   SMOKE=1 bench/donations.sh    # COUNT=200: checks the bench still works
#
# Environment: COUNT, CONCURRENCY, BACKENDS ("sqlite postgres"), DEMO_SLUG, KEEP_TMP=1,
# SHELFRAISER_BIN / DONATION_LOAD_BIN (use these prebuilt binaries instead of building).
#
# For each backend:
#  1. start `shelfraiser serve --demo` on 127.0.0.1:0 with the test provider's secret set
#     (PostgreSQL: a throwaway cluster from scripts/pg-cluster.sh and a fresh `benchdb`)
#  2. run the load driver, examples/donation_load.rs: phase A creates COUNT checkouts (not
#     timed), phase B posts their COUNT signed `checkout.succeeded` callbacks with CONCURRENCY
#     workers (timed) and reports donations/s, p50/p99 latency and errors
#  3. stop the server, then `shelfraiser ledger verify` on the same storage: must exit 0
# Then a table of both backends, and rows appended to bench/out/donations.md.
#
# Durability is real: SQLite as the app configures it, PostgreSQL with fsync and
# synchronous_commit on.
#
# Exit status: non-zero if the bench could not run, any donation request failed, or a ledger
# did not verify. There is no throughput target here, so a slow run is not a failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

SMOKE=${SMOKE:-0}
if [[ "$SMOKE" == 1 ]]; then
    COUNT=${COUNT:-200}
    CONCURRENCY=${CONCURRENCY:-16}
else
    COUNT=${COUNT:-5000}
    CONCURRENCY=${CONCURRENCY:-32}
fi
BACKENDS=${BACKENDS:-sqlite postgres}
SLUG=${DEMO_SLUG:-library-for-kalpakkam}
SECRET=benchsecret

for tool in curl psql; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "donations: '$tool' not found (apt-get install curl postgresql-client-15)" >&2
        exit 2
    }
done

APP_PID=""
PG_DIR=""
# Called by the cleanup (scripts/lib.sh), after the app has stopped.
sr_more_cleanup() {
    if [[ -n "$PG_DIR" ]]; then
        bash "$ROOT/scripts/pg-cluster.sh" stop "$PG_DIR" || true
        rm -rf "$PG_DIR"
    fi
}
sr_scratch shelfraiser-bench-donations APP_PID

if [[ -n "${SHELFRAISER_BIN:-}" && -n "${DONATION_LOAD_BIN:-}" ]]; then
    BIN=$SHELFRAISER_BIN
    LOAD=$DONATION_LOAD_BIN
else
    echo "== build (release: server and load driver)"
    sr_build_release "$ROOT"
    BIN=${SHELFRAISER_BIN:-$ROOT/target/release/shelfraiser}
    LOAD=${DONATION_LOAD_BIN:-$ROOT/target/release/examples/donation_load}
fi

# run_backend NAME: runs one backend; appends "NAME RATE P50 P99 ERRORS VERIFY" to results.
run_backend() {
    local name=$1 data="$TMP/$1-data" rc verify
    local -a storage=(--data-dir "$data")
    if [[ "$name" == postgres ]]; then
        if [[ -z "$PG_DIR" ]]; then
            # Its own temp dir: the cluster's OS user (postgres) must be able to enter it.
            PG_DIR=$(mktemp -d /tmp/shelfraiser-bench-pg.XXXXXX)
            local admin
            admin=$(bash "$ROOT/scripts/pg-cluster.sh" start "$PG_DIR")
            psql -q -X -v ON_ERROR_STOP=1 "$admin" -c 'CREATE DATABASE benchdb' >/dev/null
            PG_BENCH_URL="${admin%/postgres}/benchdb"
        fi
        storage+=(--database-url "$PG_BENCH_URL")
    fi

    echo
    echo "== $name: serve --demo"
    # The load driver starts every checkout from one address: the donate form's card-testing
    # limits are off for the bench.
    SHELFRAISER_PROVIDERS__TEST__SECRET=$SECRET \
        SHELFRAISER_DONATIONS__CHECKOUTS_PER_IP=0 SHELFRAISER_DONATIONS__CHECKOUTS_PER_CAMPAIGN=0 \
        sr_start_app "$TMP/$name-app.log" "$BIN" serve --demo "${storage[@]}" --listen 127.0.0.1:0
    echo "app: $APP_URL"

    echo "== $name: $COUNT donations, $CONCURRENCY concurrent"
    set +e
    "$LOAD" --base "$APP_URL" --slug "$SLUG" --secret "$SECRET" --count "$COUNT" \
        --concurrency "$CONCURRENCY" 2>&1 | tee "$TMP/$name-load.txt"
    rc=${PIPESTATUS[0]}
    set -e

    sr_stop "$APP_PID"
    APP_PID=""

    echo "== $name: ledger verify"
    if "$BIN" ledger verify "${storage[@]}" >"$TMP/$name-verify.txt" 2>&1; then
        verify=ok
    else
        verify=FAILED
    fi
    sed 's/^/  /' "$TMP/$name-verify.txt"

    local result
    result=$(grep '^RESULT ' "$TMP/$name-load.txt" | tail -n 1 || true)
    if [[ -z "$result" ]]; then
        echo "donations: the load driver gave no result for $name (exit $rc)" >&2
        echo "$name - - - driver-failed $verify" >>"$TMP/results"
        return
    fi
    # RESULT count=.. ok=.. errors=.. seconds=.. donations_per_sec=.. p50_ms=.. p99_ms=..
    local key value rate="" p50="" p99="" errors=""
    for kv in ${result#RESULT }; do
        key=${kv%%=*}
        value=${kv#*=}
        case "$key" in
        donations_per_sec) rate=$value ;;
        p50_ms) p50=$value ;;
        p99_ms) p99=$value ;;
        errors) errors=$value ;;
        esac
    done
    echo "$name $rate $p50 $p99 $errors $verify" >>"$TMP/results"
}

: >"$TMP/results"
for backend in $BACKENDS; do
    case "$backend" in
    sqlite | postgres) run_backend "$backend" ;;
    *)
        echo "donations: unknown backend '$backend' (sqlite, postgres)" >&2
        exit 2
        ;;
    esac
done

# ---- summary -------------------------------------------------------------------------------
echo
echo "Donations through the test-provider callback: $COUNT donations, $CONCURRENCY concurrent"
printf '  %-10s %12s %10s %10s %8s %14s\n' backend donations/s "p50 ms" "p99 ms" errors "ledger verify"
failed=0
while read -r name rate p50 p99 errors verify; do
    printf '  %-10s %12s %10s %10s %8s %14s\n' "$name" "$rate" "$p50" "$p99" "$errors" "$verify"
    [[ "$errors" == 0 && "$verify" == ok ]] || failed=1
done <"$TMP/results"

OUT="$ROOT/bench/out/donations.md"
mkdir -p "$(dirname "$OUT")"
if [[ ! -s "$OUT" ]]; then
    cat >"$OUT" <<'EOF'
# Donations benchmark (bench/donations.sh)

Signed test-provider callbacks per second (phase B of examples/donation_load.rs), durable commits.

| date (UTC) | commit | mode | backend | donations | concurrency | donations/s | p50 ms | p99 ms | errors | ledger verify |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
EOF
fi
mode=full
[[ "$SMOKE" == 1 ]] && mode=smoke
when=$(date -u +%Y-%m-%dT%H:%MZ)
rev=$(sr_git_rev "$ROOT")
while read -r name rate p50 p99 errors verify; do
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$when" "$rev" "$mode" \
        "$name" "$COUNT" "$CONCURRENCY" "$rate" "$p50" "$p99" "$errors" "$verify" >>"$OUT"
done <"$TMP/results"
echo "rows appended to ${OUT#"$ROOT"/}"

if ((failed)); then
    echo "donations: FAILED (request errors or a ledger that did not verify)" >&2
    exit 1
fi
