#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# The whole test suite, on SQLite and PostgreSQL:
#
#   scripts/test.sh [extra cargo test args...]
#
# Starts a throwaway PostgreSQL cluster in a temporary directory (stopped and removed on exit),
# exports SHELFRAISER_TEST_PG_URL=<admin URL> (each PostgreSQL test creates its own fresh
# database from it), then runs the suite once per backend: `cargo test --locked --workspace
# --all-targets "$@"` with SHELFRAISER_TEST_BACKEND=sqlite (the server, crates/formats and the
# integration tests on SQLite), then the integration tests again with
# SHELFRAISER_TEST_BACKEND=postgres. Both passes run even when the first fails, so a failure on
# one backend never hides the other's result; the script fails if either did.
#
# If SHELFRAISER_TEST_PG_URL is already set, that server is used and no cluster is started.
# Stripe's Python library is installed first (scripts/interop-venv.sh) and its virtualenv
# exported as SHELFRAISER_INTEROP_VENV, unless that is already set.
#
# If no PostgreSQL server binaries are installed, the PostgreSQL tests cannot run: with CI=true
# this is an error; otherwise the suite runs without them (the tests say they were skipped).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PG_DIR=""
cleanup() {
    local rc=$?
    if [[ -n "$PG_DIR" ]]; then
        bash "$ROOT/scripts/pg-cluster.sh" stop "$PG_DIR" || true
        rm -rf "$PG_DIR"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -n "${SHELFRAISER_TEST_PG_URL:-}" ]]; then
    echo "test.sh: using the PostgreSQL server given in SHELFRAISER_TEST_PG_URL"
else
    PG_DIR=$(mktemp -d /tmp/shelfraiser-test-pg.XXXXXX)
    set +e
    url=$(bash "$ROOT/scripts/pg-cluster.sh" start "$PG_DIR")
    rc=$?
    set -e
    if [[ $rc -eq 0 ]]; then
        export SHELFRAISER_TEST_PG_URL="$url"
        echo "test.sh: throwaway PostgreSQL cluster at $SHELFRAISER_TEST_PG_URL"
    elif [[ $rc -eq 3 ]]; then
        echo "test.sh: PostgreSQL server binaries not found (apt-get install postgresql-15);" \
            "PostgreSQL tests will not run" >&2
        if [[ "${CI:-}" == "true" ]]; then
            echo "test.sh: CI=true requires PostgreSQL; failing" >&2
            exit 1
        fi
    else
        echo "test.sh: could not start the throwaway PostgreSQL cluster" >&2
        exit 1
    fi
fi

# Stripe's own Python library, for the webhook interoperability test (tests/interop/).
if [[ -z "${SHELFRAISER_INTEROP_VENV:-}" ]]; then
    if venv=$(bash "$ROOT/scripts/interop-venv.sh"); then
        export SHELFRAISER_INTEROP_VENV="$venv"
    elif [[ "${CI:-}" == "true" ]]; then
        echo "test.sh: CI=true requires the interop virtualenv (scripts/interop-venv.sh); failing" >&2
        exit 1
    else
        echo "test.sh: WARNING: could not install the interop virtualenv; the Stripe" \
            "interoperability test will be skipped" >&2
    fi
fi

status=0
echo "test.sh: pass 1 of 2: everything, integration tests on SQLite"
SHELFRAISER_TEST_BACKEND=sqlite cargo test --locked --workspace --all-targets "$@" || status=1
if [[ -n "${SHELFRAISER_TEST_PG_URL:-}" ]]; then
    echo "test.sh: pass 2 of 2: integration tests on PostgreSQL"
    SHELFRAISER_TEST_BACKEND=postgres cargo test --locked --test it "$@" || status=1
else
    echo "test.sh: pass 2 of 2 skipped: no PostgreSQL server" >&2
fi
if [[ $status -ne 0 ]]; then
    echo "test.sh: FAILED (see the pass above that failed)" >&2
fi
exit $status
