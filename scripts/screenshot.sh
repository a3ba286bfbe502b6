#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Screenshots of the demo campaign page, for the README and for looking at what people see:
#
#   scripts/screenshot.sh      # writes docs/campaign-page.png (1280x1600)
#                              #    and docs/campaign-page-phone.png (360x1400)
#
# Starts `shelfraiser serve --demo` on a temporary data dir and 127.0.0.1:0, and photographs
# /campaigns/SLUG with Debian's headless Chromium (apt-get install chromium fonts-dejavu-core).
# Environment: DEMO_SLUG, SHELFRAISER_BIN (use a prebuilt binary instead of `cargo build`),
# CHROMIUM (default /usr/bin/chromium).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

SLUG=${DEMO_SLUG:-library-for-kalpakkam}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[[ -x "$CHROMIUM" ]] || {
    echo "screenshot: $CHROMIUM not found (apt-get install chromium fonts-dejavu-core)" >&2
    exit 2
}

APP_PID=""
sr_scratch shelfraiser-screenshot APP_PID

sr_app_binary debug "$ROOT"

sr_start_app "$TMP/app.log" "$BIN" serve --demo --data-dir "$TMP/data" --listen 127.0.0.1:0
URL="$APP_URL/campaigns/$SLUG"
status=$(curl -sS --noproxy '*' -o /dev/null -w '%{http_code}' "$URL")
[[ "$status" == 200 ]] || {
    echo "screenshot: GET $URL answered $status (set DEMO_SLUG?)" >&2
    exit 1
}

mkdir -p "$ROOT/docs"

# shoot WIDTHxHEIGHT OUTPUT: one headless Chromium run with a fresh profile. The flags keep it
# from reaching for the network (this machine has none) and from needing a GPU or a sandbox
# (we may run as root).
shoot() {
    local size=$1 out=$2 profile
    profile=$(mktemp -d "$TMP/chromium.XXXXXX")
    rm -f "$out"
    timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-dev-shm-usage --hide-scrollbars --force-device-scale-factor=1 \
        --user-data-dir="$profile" --window-size="$size" \
        --screenshot="$out" "$URL" >"$TMP/chromium.log" 2>&1 || true
    if [[ ! -s "$out" ]]; then
        echo "screenshot: Chromium wrote no $out; its output:" >&2
        cat "$TMP/chromium.log" >&2
        exit 1
    fi
    echo "wrote ${out#"$ROOT"/} ($size)"
}

shoot 1280,1600 "$ROOT/docs/campaign-page.png"
shoot 360,1400 "$ROOT/docs/campaign-page-phone.png"
