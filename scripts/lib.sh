# SPDX-License-Identifier: AGPL-3.0-or-later
# shellcheck shell=bash
#
# Shared helpers for scripts/ and bench/. Source it; do not run it:
#
#   source "$ROOT/scripts/lib.sh"
#
# Everything here only talks to loopback addresses.

# root's non-login PATH may lack the sbin directories (nginx, runuser live there).
case ":$PATH:" in
*:/usr/sbin:*) ;;
*) PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" ;;
esac
export PATH
# The app and every client here talk to 127.0.0.1 only: never through a proxy.
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
export no_proxy="$NO_PROXY"
# Plain log lines (no ANSI colours) so the "listening on" line is easy to parse.
export NO_COLOR=1

# A free TCP port on 127.0.0.1, chosen by the kernel (python3), or by probing if python3 is
# missing. There is a small race between this and the real bind; callers retry or fail loudly.
sr_free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
        return
    fi
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    echo "sr_free_port: no free port found" >&2
    return 1
}

# The one release build used by every benchmark and script, so that running several of them
# compiles the dependency tree once. The load-driver examples are built in the same invocation:
# building it separately would unify dev-dependency features differently and rebuild.
sr_build_release() {
    local root=$1
    local -a targets=(--bin shelfraiser)
    [[ -f "$root/examples/donation_load.rs" ]] && targets+=(--example donation_load)
    [[ -f "$root/examples/live_streams.rs" ]] && targets+=(--example live_streams)
    (cd "$root" && cargo build --release --locked "${targets[@]}")
}

# sr_start_app LOG CMD... : start the server CMD in the background with stdout+stderr to LOG,
# wait for its "listening on http://ADDR" line, and set APP_PID and APP_URL (no trailing /).
# Fails (returning 1, after printing the log) if the process exits or 120 s pass first.
sr_start_app() {
    local log=$1
    shift
    : >"$log"
    "$@" >"$log" 2>&1 &
    APP_PID=$!
    APP_URL=""
    local line
    for _ in $(seq 1 1200); do
        # Strip ANSI escapes in case the logger colours its output anyway.
        line=$(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$log" | grep -o 'listening on http://[^[:space:]"'"'"',]*' | head -n 1 || true)
        if [[ -n "$line" ]]; then
            APP_URL=${line#listening on }
            APP_URL=${APP_URL%.}
            APP_URL=${APP_URL%/}
            return 0
        fi
        if ! kill -0 "$APP_PID" 2>/dev/null; then
            echo "server exited before it was listening; its output:" >&2
            cat "$log" >&2
            APP_PID=""
            return 1
        fi
        sleep 0.1
    done
    echo "server did not print 'listening on http://...' within 120 s; its output:" >&2
    cat "$log" >&2
    return 1
}

# sr_wait_http URL [SECONDS]: wait until URL answers with any HTTP status.
sr_wait_http() {
    local url=$1 secs=${2:-30}
    for _ in $(seq 1 $((secs * 10))); do
        if curl -s --noproxy '*' -o /dev/null --max-time 2 "$url"; then
            return 0
        fi
        sleep 0.1
    done
    echo "no answer from $url within $secs s" >&2
    return 1
}

# sr_stop PID: SIGTERM, wait up to 15 s, then SIGKILL. Only ever the PID we started.
sr_stop() {
    local pid=${1:-}
    [[ -n "$pid" ]] || return 0
    kill -0 "$pid" 2>/dev/null || {
        wait "$pid" 2>/dev/null || true
        return 0
    }
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "process $pid ignored SIGTERM for 15 s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# sr_scratch PREFIX PID_VAR...: makes a temporary directory, $TMP, and sets the EXIT/INT/TERM
# traps that clean up: stop each process whose PID is in the named variables (read at exit,
# so set them later; "" is skipped), call the script's own `sr_more_cleanup` if it defines
# one, then remove $TMP (kept, and named, with KEEP_TMP=1). Exits with the script's status.
sr_scratch() {
    TMP=$(mktemp -d "/tmp/$1.XXXXXX")
    shift
    SR_PID_VARS=("$@")
    trap _sr_cleanup EXIT
    trap 'exit 130' INT TERM
}

_sr_cleanup() {
    local rc=$? var
    for var in "${SR_PID_VARS[@]}"; do
        sr_stop "${!var:-}"
    done
    if declare -F sr_more_cleanup >/dev/null; then
        sr_more_cleanup || true
    fi
    if [[ "${KEEP_TMP:-0}" == 1 ]]; then
        echo "temp dir kept: $TMP" >&2
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}

# sr_app_binary release|debug ROOT: sets BIN to $SHELFRAISER_BIN when given (a prebuilt
# binary: no build), otherwise builds the server (release: the shared sr_build_release) and
# sets BIN to it.
# shellcheck disable=SC2034 # BIN is for the caller
sr_app_binary() {
    local profile=$1 root=$2
    if [[ -n "${SHELFRAISER_BIN:-}" ]]; then
        BIN=$SHELFRAISER_BIN
    elif [[ "$profile" == release ]]; then
        echo "== build (release)"
        sr_build_release "$root"
        BIN="$root/target/release/shelfraiser"
    else
        echo "== cargo build --locked"
        (cd "$root" && cargo build --locked --bin shelfraiser)
        BIN="$root/target/debug/shelfraiser"
    fi
}

# sr_git_rev ROOT: short commit id (plus "-dirty"), or "unknown" outside git.
sr_git_rev() {
    local rev
    rev=$(git -C "$1" rev-parse --short HEAD 2>/dev/null) || {
        echo unknown
        return
    }
    if [[ -n "$(git -C "$1" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
        rev="$rev-dirty"
    fi
    echo "$rev"
}
