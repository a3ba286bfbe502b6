#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Abuse benchmark: the penetration test's resource attacks against one node, measuring the
# server's resident memory and whether the campaign page keeps answering meanwhile.
#
#   bench/abuse.sh               # full run against the release build (built or reused)
#   SMOKE=1 bench/abuse.sh       # a few seconds each, small numbers: proves the script works
#
# Attacks, in turn, each while wrk fetches the campaign page (-t1 -c8, keep-alive):
#  1. parallel wrong passwords (argon2 verifications, bench/abuse-hash.py): SIGNIN_WAVES (64
#     then 512) sign-ins at once from one address for one demo account (e-mails printed by
#     `serve --demo`), the same for as many unknown accounts, then as many guesses at a
#     password-protected post imported from a WordPress export.
#  2. SLOW_CLIENTS (1,100) connections that send half a request head and stall for
#     SLOW_HOLD seconds; the server runs with an open-file limit of 1,024 (ulimit -n), as in
#     the test. Counts the connections the server closed during the hold, and those whose
#     connect had not completed after 0.5 s (waiting in a full accept queue: not-connected).
#  3. a post of NEST_DEPTH (60,000) nested block quotes ("> " repeated), published with
#     `shelfraiser post create`, then parallel GETs of /feed.atom and the post.
#
# The server's VmRSS is sampled from /proc every 100 ms. One summary table: attack, peak RSS
# during it, RSS after it, the campaign page's p99 and max latency (wrk), the attack's
# response status counts. Exit status: 1 if a peak RSS exceeds ABUSE_MAX_RSS_MB (default 200)
# or the campaign page stopped answering (wrk completed no request, or a GET after the attack
# failed); 2 for a missing tool; other non-zero values are errors of the script. Under SMOKE=1
# the memory bound is reported but does not fail the run (a debug build on a shared CI
# machine measures nothing reliable); the page must still answer.
#
# Environment: SHELFRAISER_BIN (a prebuilt binary: no build), ABUSE_MAX_RSS_MB, SIGNIN_WAVES
# ("64 512"), WRK_SECS (campaign-page load per attack, 10), SLOW_CLIENTS, SLOW_HOLD (s), NEST_DEPTH, SERVER_NOFILE (1024), DEMO_SLUG,
# KEEP_TMP=1. Everything talks to 127.0.0.1 only.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

SMOKE=${SMOKE:-0}
if [[ "$SMOKE" == 1 ]]; then
    SIGNIN_WAVES=${SIGNIN_WAVES:-"8"}
    WRK_SECS=${WRK_SECS:-3}
    SLOW_CLIENTS=${SLOW_CLIENTS:-60}
    SLOW_HOLD=${SLOW_HOLD:-2}
    NEST_DEPTH=${NEST_DEPTH:-3000}
else
    SIGNIN_WAVES=${SIGNIN_WAVES:-"64 512"}
    WRK_SECS=${WRK_SECS:-10}
    SLOW_CLIENTS=${SLOW_CLIENTS:-1100}
    SLOW_HOLD=${SLOW_HOLD:-15}
    NEST_DEPTH=${NEST_DEPTH:-60000}
fi
ABUSE_MAX_RSS_MB=${ABUSE_MAX_RSS_MB:-200}
SERVER_NOFILE=${SERVER_NOFILE:-1024}
SLUG=${DEMO_SLUG:-library-for-kalpakkam}

for tool in curl wrk python3 awk; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "abuse: '$tool' not found (apt-get install curl wrk python3 gawk)" >&2
        exit 2
    }
done

APP_PID=""
SAMPLER_PID=""
WRK_PID=""
sr_scratch shelfraiser-abuse SAMPLER_PID WRK_PID APP_PID

if [[ "$SMOKE" == 1 ]]; then
    sr_app_binary debug "$ROOT"
else
    sr_app_binary release "$ROOT"
fi
echo "== binary: $BIN (commit $(sr_git_rev "$ROOT"))"

DATA="$TMP/data"
mkdir -p "$DATA"
PORT=$(sr_free_port)
# The server gets the open-file limit the penetration test had.
sr_start_app "$TMP/serve.log" bash -c "ulimit -n $SERVER_NOFILE && exec \"\$0\" serve --demo --listen 127.0.0.1:$PORT --data-dir \"\$1\"" "$BIN" "$DATA"
sr_wait_http "$APP_URL/healthz" 30
PAGE="$APP_URL/campaigns/$SLUG"
curl -sf --noproxy '*' -o /dev/null "$PAGE" || {
    echo "abuse: $PAGE does not answer" >&2
    exit 3
}
mapfile -t EMAILS < <(sed -n 's/.*demo sign-in ([^)]*): \([^ ]*\) \/ .*/\1/p' "$TMP/serve.log")
((${#EMAILS[@]})) || EMAILS=(harriet@example.org)
echo "== server pid $APP_PID at $APP_URL (ulimit -n $SERVER_NOFILE); team: ${EMAILS[*]}"

# RSS sampler: "<ms since epoch> <VmRSS kB>" every 100 ms.
(
    while kill -0 "$APP_PID" 2>/dev/null; do
        rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$APP_PID/status" 2>/dev/null || true)
        [[ -n "$rss" ]] && echo "$(date +%s%3N) $rss"
        sleep 0.1
    done
) >"$TMP/rss.log" &
SAMPLER_PID=$!

now_ms() { date +%s%3N; }
rss_mb_now() { awk '/^VmRSS:/ {printf "%.0f", $2/1024}' "/proc/$APP_PID/status"; }
peak_mb_between() {
    awk -v a="$1" -v b="$2" '$1 >= a && $1 <= b && $2 > m {m = $2} END {printf "%.0f", m/1024}' "$TMP/rss.log"
}

# wrk on the campaign page in the background for the attack's duration.
wrk_start() {
    wrk -t1 -c8 -d"$1"s --latency -H 'Accept-Encoding: gzip' "$PAGE" >"$TMP/wrk.out" 2>&1 &
    WRK_PID=$!
}
# After wrk ends: sets P99 and MAXLAT (as wrk prints them) and REQS.
wrk_finish() {
    wait "$WRK_PID" || true
    WRK_PID=""
    P99=$(awk '$1 == "99%" {print $2}' "$TMP/wrk.out")
    MAXLAT=$(awk '$1 == "Latency" && NF >= 4 {print $4; exit}' "$TMP/wrk.out")
    REQS=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
    P99=${P99:--}
    MAXLAT=${MAXLAT:--}
    REQS=${REQS:-0}
}

ROWS=()
FAILED=()
# record NAME START_MS STATUSES
record() {
    local name=$1 start=$2 statuses=$3 end peak after
    wrk_finish
    end=$(now_ms)
    sleep 0.3
    peak=$(peak_mb_between "$start" "$end")
    after=$(rss_mb_now)
    ROWS+=("$(printf '%-28s %9s %9s %10s %10s %8s  %s' "$name" "$peak" "$after" "$P99" "$MAXLAT" "$REQS" "$statuses")")
    if ((peak > ABUSE_MAX_RSS_MB)); then
        FAILED+=("$name: peak RSS $peak MB > $ABUSE_MAX_RSS_MB MB")
    fi
    if [[ "$REQS" == 0 ]] || ! curl -sf --noproxy '*' --max-time 5 -o /dev/null "$PAGE"; then
        FAILED+=("$name: the campaign page stopped answering")
    fi
}

# --- 1. parallel wrong passwords (bench/abuse-hash.py) ------------------------------------
# hash_wave NAME PATH EMAIL N: N wrong passwords at once; the status counts as "code:count".
hash_wave() {
    local name=$1 path=$2 email=$3 n=$4 start statuses
    echo "== attack: $name"
    wrk_start "$WRK_SECS"
    sleep 0.5
    start=$(now_ms)
    statuses=$(
        ulimit -n 8192 2>/dev/null
        python3 "$ROOT/bench/abuse-hash.py" "$APP_URL" "$email" "$path" "$n" --timeout 120 |
            python3 -c 'import json, sys; d = json.load(sys.stdin); print(" ".join("%s:%d" % kv for kv in d["status"].items()))'
    )
    record "$name" "$start" "$statuses"
}
for n in $SIGNIN_WAVES; do
    # One account, as the penetration test did; then as many unknown accounts as requests.
    hash_wave "sign-ins x$n (1 account)" /signin "${EMAILS[0]}" "$n"
    hash_wave "sign-ins x$n (n accounts)" /signin "guess{i}@example.org" "$n"
done

# A password-protected post, the way they arrive: through a WordPress import.
cat >"$TMP/protected.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Old blog</title><link>https://old.example</link><wp:wxr_version>1.2</wp:wxr_version>
<item><title>Board minutes</title><dc:creator>board</dc:creator>
<content:encoded><![CDATA[<p>Only for the board.</p>]]></content:encoded>
<wp:post_id>1</wp:post_id><wp:post_date>2024-02-02 10:00:00</wp:post_date>
<wp:post_date_gmt>2024-02-02 10:00:00</wp:post_date_gmt><wp:post_name>board-minutes</wp:post_name>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<wp:post_password><![CDATA[4711]]></wp:post_password></item>
</channel></rss>
XML
protected_path=""
if "$BIN" import wordpress --data-dir "$DATA" "$TMP/protected.xml" >"$TMP/import.log" 2>&1; then
    # A bare slug answers 301 with the post's address under the permalink pattern.
    protected_path=$(curl -s --noproxy '*' -o /dev/null -w '%{redirect_url}' "$APP_URL/board-minutes/" | sed 's#^https\?://[^/]*##')
fi
if [[ -n "$protected_path" ]]; then
    for n in $SIGNIN_WAVES; do
        hash_wave "protected post x$n" "$protected_path" - "$n"
    done
else
    echo "abuse: could not create the protected post (see below); its attack is skipped" >&2
    cat "$TMP/import.log" >&2
    FAILED+=("protected post: not created")
fi

# --- 2. slow clients ----------------------------------------------------------------------
SLOW_PY='
import sys, socket, time, select
host, port = sys.argv[1].split("//")[1].split(":")
n, hold, path = int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
socks, refused = [], 0
for i in range(n):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect((host, int(port)))
    except BlockingIOError:
        pass
    except OSError:
        refused += 1
        continue
    socks.append(s)
time.sleep(0.5)
half = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Ag" % (path, host)).encode()
for s in list(socks):
    try:
        s.send(half)
    except OSError:
        refused += 1
        socks.remove(s)
closed, t0 = 0, time.time()
# poll, not select: select() cannot watch descriptors above 1,023.
by_fd = {s.fileno(): s for s in socks}
poller = select.poll()
for fd in by_fd:
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
open_ = set(socks)
while open_ and time.time() - t0 < hold:
    for fd, _ in poller.poll(200):
        s = by_fd[fd]
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data:
            closed += 1
            open_.discard(s)
            poller.unregister(fd)
for s in socks:
    s.close()
print("sent:%d closed-by-server:%d still-open:%d not-connected:%d" % (len(socks), closed, len(open_), refused))
'
echo "== attack: $SLOW_CLIENTS slow clients, held $SLOW_HOLD s"
wrk_start $((SLOW_HOLD + 3))
sleep 0.5
start=$(now_ms)
statuses=$(ulimit -n 8192 2>/dev/null; python3 -c "$SLOW_PY" "$APP_URL" "$SLOW_CLIENTS" "$SLOW_HOLD" "/campaigns/$SLUG")
record "slow clients x$SLOW_CLIENTS" "$start" "$statuses"

# --- 3. nested Markdown ---------------------------------------------------------------------
echo "== attack: a post of $NEST_DEPTH nested block quotes"
python3 -c 'import sys; sys.stdout.write("> " * int(sys.argv[1]) + "deep\n")' "$NEST_DEPTH" >"$TMP/nested.md"
wrk_start "$WRK_SECS"
sleep 0.5
start=$(now_ms)
# Saving refuses such a body now (markdown::check), so the post is published with a short
# body and the nested one written into the database behind it, as a body stored before the
# limits existed (or by hand) would be: what is measured is rendering it.
echo "placeholder" >"$TMP/short.md"
post_url=$("$BIN" post create --data-dir "$DATA" --kind article --title "Nested" --body-file "$TMP/short.md" --publish 2>"$TMP/post.err" | grep -o 'http://[^[:space:]]*' | tail -n 1 || true)
python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
with db:
    n = db.execute("UPDATE posts SET body_md = ? WHERE title = ?", (open(sys.argv[2]).read(), "Nested")).rowcount
sys.exit(0 if n == 1 else 1)
' "$DATA/shelfraiser.db" "$TMP/nested.md" || {
    echo "abuse: could not store the nested body" >&2
    post_url=""
}
if [[ -z "$post_url" ]]; then
    echo "post create printed no URL:" >&2
    cat "$TMP/post.err" >&2
    post_path=""
else
    post_path="/${post_url#http://*/}"
fi
statuses=$(
    for path in /feed.atom ${post_path:+"$post_path"} /feed.atom ${post_path:+"$post_path"}; do
        curl -s --noproxy '*' --max-time 60 -o /dev/null -w '%{http_code}\n' "$APP_URL$path" &
    done
    wait
)
statuses=$(echo "$statuses" | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')
record "nested markdown x$NEST_DEPTH" "$start" "${statuses:-none}${post_path:+ post=$post_path}"

hwm=$(awk '/^VmHWM:/ {printf "%.0f", $2/1024}' "/proc/$APP_PID/status")
echo
echo "abuse bench ($(sr_git_rev "$ROOT"), $BIN); RSS bound $ABUSE_MAX_RSS_MB MB; server VmHWM $hwm MB"
printf '%-28s %9s %9s %10s %10s %8s  %s\n' "attack" "peak MB" "after MB" "page p99" "page max" "page req" "attack statuses"
for row in "${ROWS[@]}"; do
    echo "$row"
done
if ((${#FAILED[@]})); then
    echo
    printf 'FAIL: %s\n' "${FAILED[@]}"
    if [[ "$SMOKE" == 1 ]] && ! printf '%s\n' "${FAILED[@]}" | grep -q 'stopped answering'; then
        echo "(SMOKE=1: the memory bound is reported, not enforced)"
        exit 0
    fi
    exit 1
fi
echo "PASS"
