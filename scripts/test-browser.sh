#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Real-browser tests: Debian's headless Chromium, driven by playwright-core from Node's own
# test runner, against a demo server on 127.0.0.1:
#
#   scripts/test-browser.sh [test files...]     # default: every tests/browser/*.test.mjs
#
#  1. cargo build --locked (the debug binary; or SHELFRAISER_BIN, a prebuilt one)
#  2. npm ci in tests/browser (playwright-core and axe-core, pinned; no browser download)
#  3. starts `shelfraiser serve --demo` on a fresh temporary data dir and 127.0.0.1:0
#  4. node --test, TAP output (ends with "# pass N" / "# fail N"); screenshots go to
#     tests/browser/screenshots/ (gitignored)
#  5. stops the server on exit, whatever happened; exits non-zero if any test failed
#
# Needs: node >= 20 with npm, and Chromium (apt-get install chromium fonts-dejavu-core).
# Environment: CHROMIUM (default /usr/bin/chromium), SHELFRAISER_BIN, DEMO_SLUG,
# BROWSER_TEST_TIMEOUT (seconds for the whole node run; default 900).
# Everything talks to 127.0.0.1 only, except npm ci, which talks to the npm registry.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

DIR="$ROOT/tests/browser"
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
START=$(date +%s)
say() { echo "test-browser: $* (t+$(($(date +%s) - START))s)"; }

# ---------------------------------------------------------------------------------------------
# What we need is here?
if [[ ! -x "$CHROMIUM" ]]; then
    echo "test-browser: $CHROMIUM not found (apt-get install chromium fonts-dejavu-core)" >&2
    exit 2
fi
for tool in node npm cargo; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "test-browser: $tool not found" >&2
        exit 2
    }
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
if ((node_major < 20)); then
    echo "test-browser: node $(node --version) is too old; need 20 or newer" >&2
    exit 2
fi
say "node $(node --version), npm $(npm --version), $("$CHROMIUM" --version 2>/dev/null | head -n 1)"

TMP=$(mktemp -d /tmp/shelfraiser-browser.XXXXXX)
APP_PID=""
# shellcheck disable=SC2317 # run from the EXIT trap
cleanup() {
    local rc=$?
    if [[ -n "$APP_PID" ]] && ! kill -0 "$APP_PID" 2>/dev/null; then
        echo "test-browser: the server died during the tests; the end of its log:" >&2
        tail -n 40 "$TMP/app.log" >&2 || true
    fi
    sr_stop "$APP_PID"
    # Keep the server's log beside the screenshots (both gitignored) for a look after a failure.
    if [[ -s "$TMP/app.log" && -d "$DIR/screenshots" ]]; then
        cp "$TMP/app.log" "$DIR/screenshots/server.log" 2>/dev/null || true
    fi
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# 1. The binary.
if [[ -n "${SHELFRAISER_BIN:-}" ]]; then
    BIN=$SHELFRAISER_BIN
else
    say "cargo build --locked --bin shelfraiser"
    # Ask cargo where the binary went (CARGO_TARGET_DIR, .cargo/config.toml...); diagnostics
    # still go to stderr as usual.
    (cd "$ROOT" && cargo build --locked --bin shelfraiser --message-format=json-render-diagnostics) >"$TMP/build.json"
    BIN=$(node -e '
        const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
        for (const l of lines) {
            if (!l.startsWith("{")) continue;
            const m = JSON.parse(l);
            if (m.reason === "compiler-artifact" && m.executable && m.target && m.target.name === "shelfraiser") console.log(m.executable);
        }' "$TMP/build.json" | tail -n 1)
    [[ -n "$BIN" ]] || BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/shelfraiser"
fi
[[ -x "$BIN" ]] || {
    echo "test-browser: $BIN is not an executable" >&2
    exit 1
}

# ---------------------------------------------------------------------------------------------
# 2. The npm packages, exactly as locked. No install scripts run (neither package needs one),
# and nothing may fetch a browser of its own: Debian's Chromium is the browser.
say "npm ci (tests/browser)"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
(cd "$DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=warn)

# ---------------------------------------------------------------------------------------------
# 3. The demo server (one for the whole run: the tests compare totals before and after, never
# against fixed figures).
say "starting the demo server"
mkdir -p "$TMP/data"
# Every browser test donates from 127.0.0.1: the per-address checkout limit is off here.
SHELFRAISER_DONATIONS__CHECKOUTS_PER_IP=0 \
    sr_start_app "$TMP/app.log" "$BIN" serve --demo --data-dir "$TMP/data" --listen 127.0.0.1:0
sr_wait_http "$APP_URL/" 30
export SHELFRAISER_URL=$APP_URL
say "server at $SHELFRAISER_URL (pid $APP_PID)"

# ---------------------------------------------------------------------------------------------
# 4. The tests. TAP on stdout, so the summary lines (# tests, # pass, # fail) are there even
# when stdout is a terminal. One file at a time: each launches its own Chromium and the
# machine has two cores.
rm -rf "$DIR/screenshots"
mkdir -p "$DIR/screenshots"
cd "$DIR"
if (($#)); then
    files=("$@")
else
    shopt -s nullglob
    files=(*.test.mjs)
    shopt -u nullglob
fi
if ((${#files[@]} == 0)); then
    echo "test-browser: no test files in $DIR" >&2
    exit 1
fi

say "node --test ${files[*]}"
set +e
timeout --kill-after=30 "${BROWSER_TEST_TIMEOUT:-900}" \
    node --test --test-reporter=tap --test-concurrency=1 "${files[@]}"
rc=$?
set -e
if ((rc == 124 || rc == 137)); then
    echo "test-browser: the browser tests did not finish within ${BROWSER_TEST_TIMEOUT:-900} s" >&2
fi
shots=$(find "$DIR/screenshots" -name '*.png' | wc -l)
say "done, exit code $rc; $shots screenshots and the server's log in tests/browser/screenshots/"
exit "$rc"
