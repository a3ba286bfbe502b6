#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Builds every cargo-fuzz target in fuzz/ once, then runs each for SECONDS (default 20) on a
# temporary copy of its seed corpus (fuzz/corpus/TARGET stays as committed). Fails if any target
# finds a crash, a panic (a broken invariant), a timeout or an out-of-memory.
#
#   scripts/fuzz.sh [SECONDS]
#
# Environment:
#   FUZZ_TARGETS     space-separated targets to run (default: all, from `cargo fuzz list`)
#   FUZZ_SANITIZER   address (default) or none; `none` builds and runs faster
#   FUZZ_JOBS        cargo build jobs (default: cargo's own)
#   FUZZ_CODEGEN_UNITS  rustc codegen units (cargo-fuzz's default is 1: slower build, faster runs)
#   FUZZ_MAX_LEN     libFuzzer -max_len (default 4096 bytes)
#   FUZZ_TIMEOUT     libFuzzer -timeout: seconds one input may take (default 2); a slower
#                    input is a finding, like a crash (markdown_nesting builds texts up to
#                    256 KiB from its bytes, so quadratic parsing shows up here)
#   FUZZ_RSS_MB      libFuzzer -rss_limit_mb (default 2048)
#   FUZZ_KEEP=1      keep the temporary corpora (new inputs found) for a look
#   FUZZ_PARALLEL    targets run at once (default: the number of cores)
#
# The toolchain is the pinned stable one (rust-toolchain.toml): RUSTC_BOOTSTRAP=1 lets the -Z
# flags cargo-fuzz passes (-Zsanitizer) work on it. Targets are built with debug assertions
# (and so integer overflow checks), like `cargo test`. cargo-fuzz is installed from crates.io
# if missing. The build goes to fuzz/target (its own workspace and lock file, fuzz/Cargo.lock,
# which must be up to date). The targets depend on crates/formats only: the cold instrumented
# build takes a minute or two, not the quarter of an hour the whole server would.
#
# A finding leaves its input in fuzz/artifacts/TARGET/ (gitignored) and prints how to replay it:
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz -a TARGET fuzz/artifacts/TARGET/crash-...
# Once fixed, copy the input into fuzz/corpus/TARGET/ as a regression seed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SECS=${1:-20}
[[ "$SECS" =~ ^[0-9]+$ && "$SECS" -ge 1 ]] || {
    echo "usage: scripts/fuzz.sh [SECONDS]" >&2
    exit 2
}
SANITIZER=${FUZZ_SANITIZER:-address}
MAX_LEN=${FUZZ_MAX_LEN:-4096}
TIMEOUT=${FUZZ_TIMEOUT:-2}
RSS_MB=${FUZZ_RSS_MB:-2048}
CARGO_FUZZ_VERSION=0.13.2

export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi

BUILD_ARGS=(--fuzz-dir fuzz -O --debug-assertions --sanitizer "$SANITIZER")
[[ -n "${FUZZ_JOBS:-}" ]] && export CARGO_BUILD_JOBS=$FUZZ_JOBS
[[ -n "${FUZZ_CODEGEN_UNITS:-}" ]] && BUILD_ARGS+=(--codegen-units "$FUZZ_CODEGEN_UNITS")

# The committed fuzz/Cargo.lock must be current (cargo fuzz build has no --locked).
if ! cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null; then
    echo "fuzz: fuzz/Cargo.lock is out of date; update it with" \
        "'cargo metadata --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null' and commit it" >&2
    exit 1
fi

echo "== cargo fuzz build (sanitizer: $SANITIZER)"
build_start=$(date +%s)
cargo fuzz build "${BUILD_ARGS[@]}"
build_secs=$(($(date +%s) - build_start))
echo "fuzz build: ${build_secs}s"

TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
BIN_DIR="$ROOT/fuzz/target/$TRIPLE/release"

if [[ -n "${FUZZ_TARGETS:-}" ]]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
fi
((${#targets[@]})) || {
    echo "fuzz: no targets" >&2
    exit 2
}

TMP=$(mktemp -d /tmp/shelfraiser-fuzz.XXXXXX)
cleanup() {
    local rc=$?
    if [[ "${FUZZ_KEEP:-0}" == 1 ]]; then
        echo "temporary corpora kept: $TMP" >&2
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ASan: leaks are not what we hunt here (and the runtime's leak checker needs ptrace).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}

# One target: runs it, then prints its report in one piece (targets run side by side, so
# their reports must not interleave) and leaves its summary line in $TMP/$t.summary.
run_target() {
    local t=$1 bin="$BIN_DIR/$1" corpus="$TMP/corpus/$1" log="$TMP/$1.log" rc execs cov seeds
    local -a dict=()
    mkdir -p "$corpus" "$ROOT/fuzz/artifacts/$t"
    if [[ -d "fuzz/corpus/$t" ]]; then
        find "fuzz/corpus/$t" -maxdepth 1 -type f ! -name '.*' -exec cp {} "$corpus/" \;
    fi
    seeds=$(find "$corpus" -type f | wc -l)
    [[ -f "fuzz/dicts/$t.dict" ]] && dict=(-dict="$ROOT/fuzz/dicts/$t.dict")
    touch "$TMP/$t.start"
    set +e
    "$bin" "$corpus" "${dict[@]}" \
        -max_total_time="$SECS" \
        -max_len="$MAX_LEN" \
        -timeout="$TIMEOUT" \
        -rss_limit_mb="$RSS_MB" \
        -print_final_stats=1 \
        -artifact_prefix="$ROOT/fuzz/artifacts/$t/" \
        >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1 || true)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)
    {
        echo
        echo "== $t: ${SECS}s from $seeds seed(s)"
        if [[ $rc -eq 0 ]]; then
            tail -n 3 "$log" | sed 's/^/  /'
        else
            echo "fuzz: $t FAILED (exit $rc); the end of its log:"
            grep -v '^#[0-9]' "$log" | tail -n 60 || true
            # This run's findings only (earlier runs' inputs may still lie there).
            find "$ROOT/fuzz/artifacts/$t" -type f -newer "$TMP/$t.start" | while read -r a; do
                echo "  input: ${a#"$ROOT"/} (replay: RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz -a --sanitizer $SANITIZER $t ${a#"$ROOT"/})"
            done
        fi
    } >&2
    if [[ $rc -eq 0 ]]; then
        printf '%-14s ok      %10s execs  cov %s\n' "$t" "${execs:-?}" "${cov:-?}" >"$TMP/$t.summary"
    else
        printf '%-14s FAILED  %10s execs  (exit %s)\n' "$t" "${execs:-?}" "$rc" >"$TMP/$t.summary"
    fi
    return "$rc"
}

# Targets run side by side, one per core (FUZZ_PARALLEL overrides): each still gets its full
# SECS, and on a 2-core machine the whole run takes half as long.
PARALLEL=${FUZZ_PARALLEL:-$(nproc)}
[[ "$PARALLEL" =~ ^[0-9]+$ && "$PARALLEL" -ge 1 ]] || PARALLEL=1
for t in "${targets[@]}"; do
    [[ -x "$BIN_DIR/$t" ]] || {
        echo "fuzz: no binary for target '$t' at $BIN_DIR/$t" >&2
        exit 2
    }
done
failed=()
summary=()
run_start=$(date +%s)
running=0
for t in "${targets[@]}"; do
    if ((running >= PARALLEL)); then
        wait -n || true
        running=$((running - 1))
    fi
    run_target "$t" &
    running=$((running + 1))
done
wait || true
for t in "${targets[@]}"; do
    line=$(cat "$TMP/$t.summary" 2>/dev/null || printf '%-14s FAILED  (no result)' "$t")
    summary+=("$line")
    [[ "$line" == *" ok "* ]] || failed+=("$t")
done
run_secs=$(($(date +%s) - run_start))

echo
echo "Fuzzing: ${#targets[@]} target(s), ${SECS}s each, $PARALLEL at a time; build ${build_secs}s, runs ${run_secs}s"
printf '  %s\n' "${summary[@]}"
if ((${#failed[@]})); then
    echo "fuzz: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: no findings"
