#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Runs every benchmark in its small SMOKE=1 form, so the benches never rot (CI runs this).
#
#   bench/smoke.sh
#
# Fails only if a bench script itself fails: it could not build or start, a request errored,
# a ledger did not verify, or the campaign page stopped answering under abuse.sh's attacks.
# Missed performance targets are printed but do not fail (a 2-second
# run on a shared CI machine measures nothing reliable). live-streams holds 200 streams and
# cluster runs three nodes behind nginx (a temp prefix and config, loopback only) for a few
# seconds with one node killed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export SMOKE=1
# Smoke runs only prove the benches still work: use the debug binaries the test suite built
# (`cargo test --all-targets` builds the example too) instead of a second, release build.
if [[ -z "${SHELFRAISER_BIN:-}" ]]; then
    cargo build --locked --bin shelfraiser --example donation_load --example live_streams
    export SHELFRAISER_BIN="$ROOT/target/debug/shelfraiser"
    export DONATION_LOAD_BIN="$ROOT/target/debug/examples/donation_load"
    export LIVE_STREAMS_BIN="$ROOT/target/debug/examples/live_streams"
fi

failed=()
for bench in campaign-page donations live-streams cluster blog abuse fanout; do
    echo
    echo "--- bench/$bench.sh (SMOKE=1)"
    if ! bash "bench/$bench.sh"; then
        failed+=("$bench")
    fi
done

echo
if ((${#failed[@]})); then
    echo "bench smoke: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "bench smoke: all benches ran"
