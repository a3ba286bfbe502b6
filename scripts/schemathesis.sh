#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Property-based API testing with Schemathesis against the app's own OpenAPI document:
# builds the app, starts `shelfraiser serve --demo` on 127.0.0.1 (a throwaway data dir), and
# runs Schemathesis on $URL/api/openapi.json. Fails on any finding: a 5xx, a response that does
# not match its documented schema, status code or content type, a method that should be
# refused, a schema problem Schemathesis cannot work with.
#
#   scripts/schemathesis.sh
#
# Environment:
#   ST_MAX_EXAMPLES   test cases per API operation and phase (default 100)
#   ST_SEED           Hypothesis seed (default 1; set ST_SEED=random for a fresh one each run)
#   ST_CHECKS         Schemathesis checks (default below)
#   ST_ARGS           extra arguments for `st run`
#   SHELFRAISER_BIN   test this prebuilt binary instead of `cargo build --locked`
#   SHELFRAISER_VENV  the virtualenv for Schemathesis (default ~/.cache/shelfraiser-venv)
#   KEEP_TMP=1        keep the temp dir (server log, reports)
#
# Where the binary has `user add` and `token create`, an owner's API token is sent with every
# request, so the signed-in operations are exercised (in the throwaway data dir).
#
# Only loopback traffic: the app listens on 127.0.0.1 and is the only thing tested.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

SCHEMATHESIS_VERSION=4.32.5
VENV=${SHELFRAISER_VENV:-$HOME/.cache/shelfraiser-venv}
MAX_EXAMPLES=${ST_MAX_EXAMPLES:-100}
SEED=${ST_SEED:-1}
CHECKS=${ST_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,unsupported_method,negative_data_rejection}

# ---- Schemathesis, pinned, in its own virtualenv ------------------------------------------
if [[ "$("$VENV/bin/st" --version 2>/dev/null || true)" != *"version $SCHEMATHESIS_VERSION"* ]]; then
    echo "== installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
"$VENV/bin/st" --version
# .ci/run installs it in the background while the server compiles.
[[ "${SCHEMATHESIS_INSTALL_ONLY:-}" == 1 ]] && exit 0

APP_PID=""
sr_scratch shelfraiser-schemathesis APP_PID

# ---- the app --------------------------------------------------------------------------------
sr_app_binary debug "$ROOT"

echo "== start app"
sr_start_app "$TMP/app.log" "$BIN" serve --demo --data-dir "$TMP/data" --listen 127.0.0.1:0
echo "app: $APP_URL"
sr_wait_http "$APP_URL/api/openapi.json" 30

# ---- credentials for the operations that need a signed-in member -----------------------------
# An owner and a personal API token in the same throwaway data dir, sent on every request, so
# the authenticated operations are tested too and not only their 401s.
auth_args=()
if "$BIN" token --help >/dev/null 2>&1; then
    "$BIN" user add --data-dir "$TMP/data" --email api-test@example.org --name "API test" \
        --role owner >"$TMP/user-add.txt" 2>&1 || {
        cat "$TMP/user-add.txt" >&2
        exit 1
    }
    token=$("$BIN" token create --data-dir "$TMP/data" --email api-test@example.org \
        --label schemathesis 2>"$TMP/token.err" | grep -o 'sr_[A-Za-z0-9_-]*' | head -n 1 || true)
    if [[ -z "$token" ]]; then
        echo "schemathesis: could not create an API token:" >&2
        cat "$TMP/token.err" >&2
        exit 1
    fi
    auth_args=(-H "Authorization: Bearer $token")
    echo "authenticated as an owner (personal API token)"
fi

# ---- Schemathesis ---------------------------------------------------------------------------
seed_args=()
[[ "$SEED" != random ]] && seed_args=(--seed "$SEED")
# shellcheck disable=SC2206 # ST_ARGS is split on purpose
extra=(${ST_ARGS:-})

echo "== schemathesis: $APP_URL/api/openapi.json, $MAX_EXAMPLES examples per operation"
start=$(date +%s)
set +e
# `timeout` bounds the run whatever happens; the example count bounds it in practice.
# Warnings (schema problems Schemathesis can work around) fail the run too — all but
# validation_mismatch: POST /api/v1/posts has rules across fields (a note has no title, an
# article needs one) that a JSON schema does not express, so most random bodies are 422.
printf '[warnings]\nfail-on = ["missing_auth", "missing_deserializer", "unused_openapi_auth", "method_not_allowed"]\n' >"$TMP/schemathesis.toml"
# From the temp dir: Schemathesis keeps a cache (.schemathesis/) in its working directory.
(cd "$TMP" && timeout 600 "$VENV/bin/st" --config-file "$TMP/schemathesis.toml" run "$APP_URL/api/openapi.json" \
    --url "$APP_URL" \
    --checks "$CHECKS" \
    --phases examples,coverage,fuzzing \
    --max-examples "$MAX_EXAMPLES" \
    --workers 2 \
    --request-timeout 10 \
    --output-truncate false \
    --report junit --report-dir "$TMP/report" \
    "${auth_args[@]}" "${seed_args[@]}" "${extra[@]}")
rc=$?
set -e
echo "schemathesis: $(($(date +%s) - start))s, exit $rc"

if ((rc != 0)); then
    echo "schemathesis: FAILED (exit $rc); the server's log ends:" >&2
    tail -n 30 "$TMP/app.log" >&2
    exit 1
fi
echo "schemathesis: no findings"
