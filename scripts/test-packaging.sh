#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Checks the packaging without a container runtime or a running systemd (neither is on the
# CI machine, and base images cannot be pulled there):
#
#   scripts/test-packaging.sh            (builds the release binary, as the Containerfile does)
#   SHELFRAISER_BIN=target/debug/shelfraiser scripts/test-packaging.sh   (CI: the test build's)
#
# 1. docs/deploy/shelfraiser.service passes `systemd-analyze verify` with no complaint at all
#    (an unknown or misspelt key is only a warning there: any output fails here).
# 2. The Containerfile's steps: the build command it runs; then the image's start, done by hand
#    as the image does it — the binary in /usr/local/bin of a copy of the file layout, run as
#    uid 10001 with no groups and no new privileges, SHELFRAISER_DATA_DIR=/data and
#    SHELFRAISER_LISTEN from the environment, working directory /data, and nothing writable but
#    /data: in a private mount namespace /tmp, /var/tmp and /dev/shm are empty read-only mounts
#    (uid 10001 owns nothing else). Then: the server answers /healthz and the front page, the
#    `healthcheck` command (the image's HEALTHCHECK) succeeds, `backup` as the same user
#    writes an archive into the volume, SIGTERM ends the server with status 0, and every file
#    the user wrote is inside /data.
# 3. The Containerfile still says what step 2 tested (the user, the volume, the environment,
#    the entry point, the build command), so the two cannot drift apart.
#
# Needs root (namespaces, setpriv). Loopback only.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
UNIT=docs/deploy/shelfraiser.service
CF=Containerfile
APP_UID=10001

fail() {
    echo "test-packaging: FAILED: $*" >&2
    exit 1
}

[[ $(id -u) -eq 0 ]] || fail "run as root (it starts the server as uid $APP_UID in a mount namespace)"

# --- 3. The Containerfile names what is tested below -----------------------------------------
BUILD_CMD="cargo build --release --locked --bin shelfraiser"
for needle in "$BUILD_CMD" "USER $APP_UID:$APP_UID" 'VOLUME ["/data"]' "WORKDIR /data" \
    "SHELFRAISER_DATA_DIR=/data" "SHELFRAISER_LISTEN=0.0.0.0:8080" \
    'ENTRYPOINT ["/usr/local/bin/shelfraiser"]' 'CMD ["serve"]' \
    'CMD ["/usr/local/bin/shelfraiser", "healthcheck"]' "-o $APP_UID -g $APP_UID /data"; do
    grep -qF -- "$needle" "$CF" || fail "$CF no longer says: $needle (update this script with it)"
done
echo "test-packaging: $CF says what this script tests"

# --- The binary --------------------------------------------------------------------------------
if [[ -z "${SHELFRAISER_BIN:-}" ]]; then
    echo "test-packaging: $BUILD_CMD"
    $BUILD_CMD
    SHELFRAISER_BIN="$ROOT/target/release/shelfraiser"
fi
[[ -x "$SHELFRAISER_BIN" ]] || fail "no binary at $SHELFRAISER_BIN"

# --- 1. The systemd unit -----------------------------------------------------------------------
WORK=$(mktemp -d /tmp/shelfraiser-packaging.XXXXXX)
SERVER_PID=""
cleanup() {
    local rc=$?
    [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT

if ! command -v systemd-analyze >/dev/null 2>&1; then
    fail "systemd-analyze is missing (apt-get install systemd)"
fi
mkdir -p "$WORK/unit"
sed "s|/usr/local/bin/shelfraiser|$SHELFRAISER_BIN|" "$UNIT" >"$WORK/unit/shelfraiser.service"
verify_out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$WORK/unit/shelfraiser.service" 2>&1) ||
    fail "systemd-analyze verify $UNIT: $verify_out"
# Complaints about other units on this machine are not ours: only lines naming this unit count.
if grep -q "shelfraiser.service" <<<"$verify_out"; then
    fail "systemd-analyze verify $UNIT: $verify_out"
fi
echo "test-packaging: $UNIT verifies"

# --- 2. The image's start ----------------------------------------------------------------------
IMG="$WORK/image"
mkdir -p "$IMG/usr/local/bin" "$IMG/data"
install -m 0755 "$SHELFRAISER_BIN" "$IMG/usr/local/bin/shelfraiser"
chown "$APP_UID:$APP_UID" "$IMG/data"
chmod 0750 "$IMG/data"
chmod 0755 "$WORK" "$IMG"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LOG="$WORK/server.log"
# As the image runs: its environment only, its user, /data the only writable place. The image's
# /usr/local/bin and /data are the copies above, bound on /mnt inside the namespace. It execs:
# call it in a subshell, `(as_image …)`, or in the background, where the job's PID is then the
# server's own (SIGTERM reaches it, not a shell).
as_image() {
    exec unshare --mount --propagation private -- /bin/sh -c '
        set -e
        img="$1"; shift
        mount --bind "$img" /mnt
        for d in /tmp /var/tmp /dev/shm; do mount -t tmpfs -o ro,size=64k tmpfs "$d"; done
        cd /mnt/data
        exec setpriv --reuid='"$APP_UID"' --regid='"$APP_UID"' --clear-groups --no-new-privs \
            env -i PATH=/usr/bin:/bin SHELFRAISER_DATA_DIR=/mnt/data \
            SHELFRAISER_LISTEN=127.0.0.1:'"$PORT"' "$@"
    ' sh "$IMG" "$@"
}

(as_image /mnt/usr/local/bin/shelfraiser --version) >"$WORK/version" 2>&1 ||
    fail "--version as uid $APP_UID: $(cat "$WORK/version")"
echo "test-packaging: $(head -1 "$WORK/version")"

as_image /mnt/usr/local/bin/shelfraiser serve >"$LOG" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    grep -q "listening on" "$LOG" && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server stopped: $(cat "$LOG")"
    sleep 0.1
done
grep -q "listening on http://127.0.0.1:$PORT" "$LOG" || fail "the server did not start: $(cat "$LOG")"

status() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$1"; }
[[ $(status /healthz) == 200 ]] || fail "/healthz did not answer 200"
[[ $(status /) == 200 ]] || fail "the front page did not answer 200"
(as_image /mnt/usr/local/bin/shelfraiser healthcheck) >"$WORK/health" 2>&1 ||
    fail "healthcheck: $(cat "$WORK/health")"
(as_image /mnt/usr/local/bin/shelfraiser backup --to /mnt/data/by-hand.tar.gz) >"$WORK/backup" 2>&1 ||
    fail "backup as uid $APP_UID: $(cat "$WORK/backup")"
[[ -s "$IMG/data/by-hand.tar.gz" ]] || fail "no archive in the volume"

kill -TERM "$SERVER_PID"
set +e
wait "$SERVER_PID"
rc=$?
set -e
SERVER_PID=""
[[ $rc -eq 0 ]] || fail "the server exited $rc after SIGTERM: $(tail -5 "$LOG")"

[[ -f "$IMG/data/shelfraiser.db" ]] || fail "no database in the volume"
outside=$(find "$WORK" -user "$APP_UID" -not -path "$IMG/data" -not -path "$IMG/data/*" | head -5)
[[ -z "$outside" ]] || fail "uid $APP_UID wrote outside /data: $outside"
if grep -qiE "permission denied|read-only file system" "$LOG"; then
    fail "the server hit a write outside /data: $(grep -iE 'permission denied|read-only' "$LOG" | head -3)"
fi
echo "test-packaging: the image's start works as uid $APP_UID with only /data writable" \
    "($(du -sh "$IMG/data" | cut -f1) in the volume)"
echo "test-packaging: passed"
