#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Campaign page benchmark: the app's dynamic campaign page against nginx serving the same
# HTML as a static, pre-gzipped file (the fastest thing a server could do with that page).
#
#   bench/campaign-page.sh            # DURATION=10 s per run, ROUNDS=2 (app, nginx, app, nginx)
#   SMOKE=1 bench/campaign-page.sh    # DURATION=2, ROUNDS=1: checks the bench still works
#
# Environment: DURATION (seconds per wrk run), ROUNDS, DEMO_SLUG (campaign to fetch),
# CONNECTIONS (default 64), THREADS (default 2), KEEP_TMP=1 (keep the temp dir for a look),
# SHELFRAISER_BIN (benchmark this prebuilt binary instead of building target/release).
#
# Steps:
#  1. cargo build --release; start `shelfraiser serve --demo` on 127.0.0.1:0
#  2. fetch /campaigns/SLUG once with Accept-Encoding: gzip; record the compressed size
#  3. write that HTML, plus a gzip -9 copy, into a temp docroot; start nginx with gzip_static on
#  4. wrk -t2 -c64 --latency -H 'Accept-Encoding: gzip', alternating app / nginx, ROUNDS times
#  5. table: req/s and p99 of each run; best of each (highest req/s, lowest p99); ratio
#     app/nginx of the best req/s; targets and PASS/FAIL; a row appended to
#     bench/out/campaign-page.md
#
# Targets: app/nginx req/s ratio >= 0.5, app p99 <= 20 ms, gzip'd page <= 14336 bytes (fits in
# the first round trips of a new connection).
#
# Exit status: 0 on PASS; 1 on a missed target (but 0 under SMOKE=1, whose job is only to prove
# the bench runs); other non-zero values are errors of the bench itself.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

SMOKE=${SMOKE:-0}
if [[ "$SMOKE" == 1 ]]; then
    DURATION=${DURATION:-2}
    ROUNDS=${ROUNDS:-1}
else
    DURATION=${DURATION:-10}
    ROUNDS=${ROUNDS:-2}
fi
SLUG=${DEMO_SLUG:-library-for-kalpakkam}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
MAX_GZ_BYTES=14336
TARGET_RATIO=0.5
TARGET_P99_MS=20

for tool in curl wrk nginx gzip python3; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "campaign-page: '$tool' not found (apt-get install curl wrk nginx-light gzip python3)" >&2
        exit 2
    }
done

APP_PID=""
NGINX_PID=""
sr_scratch shelfraiser-bench-page NGINX_PID APP_PID

sr_app_binary release "$ROOT"

echo "== start app"
sr_start_app "$TMP/app.log" "$BIN" serve --demo --data-dir "$TMP/data" --listen 127.0.0.1:0
APP_PAGE="$APP_URL/campaigns/$SLUG"
echo "app: $APP_PAGE"

# ---- one real fetch: compressed size, and the HTML nginx will serve -------------------------
status=$(curl -sS --noproxy '*' -H 'Accept-Encoding: gzip' -D "$TMP/headers" -o "$TMP/page.body" \
    -w '%{http_code}' "$APP_PAGE")
if [[ "$status" != 200 ]]; then
    echo "campaign-page: GET $APP_PAGE answered $status (set DEMO_SLUG?)" >&2
    exit 2
fi
encoding=$(tr -d '\r' <"$TMP/headers" | awk -F': *' 'tolower($1)=="content-encoding" {print tolower($2)}' | tail -n 1)
GZ_BYTES=$(wc -c <"$TMP/page.body")
mkdir -p "$TMP/www/campaigns"
if [[ "$encoding" == gzip ]]; then
    gzip -dc "$TMP/page.body" >"$TMP/www/campaigns/$SLUG"
else
    echo "campaign-page: the app did not gzip the page (Content-Encoding: '${encoding:-none}');" \
        "size is of the uncompressed body" >&2
    cp "$TMP/page.body" "$TMP/www/campaigns/$SLUG"
    GZ_BYTES_NOTE=" (NOT gzip)"
fi
HTML_BYTES=$(wc -c <"$TMP/www/campaigns/$SLUG")
# The same file layout as the URL, so both servers are hit with the same path:
#   www/campaigns/SLUG (the HTML) and www/campaigns/SLUG.gz (served by gzip_static).
gzip -9 -n -k "$TMP/www/campaigns/$SLUG"
NGINX_GZ_BYTES=$(wc -c <"$TMP/www/campaigns/$SLUG.gz")
# Workers of a root-started nginx run as another user unless told otherwise: keep it readable.
chmod -R a+rX "$TMP/www"
chmod a+x "$TMP"

# ---- nginx ---------------------------------------------------------------------------------
NGINX_PORT=$(sr_free_port)
mkdir -p "$TMP/nginx/logs" "$TMP/nginx/tmp"
user_line=""
[[ $EUID -eq 0 ]] && user_line="user root root;"
cat >"$TMP/nginx/nginx.conf" <<EOF
# Throwaway config written by bench/campaign-page.sh
$user_line
worker_processes auto;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    keepalive_timeout 65;
    default_type text/html;
    charset utf-8;
    gzip_static on;
    gzip_vary on;
    client_body_temp_path $TMP/nginx/tmp/body;
    proxy_temp_path $TMP/nginx/tmp/proxy;
    fastcgi_temp_path $TMP/nginx/tmp/fastcgi;
    uwsgi_temp_path $TMP/nginx/tmp/uwsgi;
    scgi_temp_path $TMP/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $TMP/www;
    }
}
EOF
NGINX_ARGS=(-p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log")
nginx -t -q "${NGINX_ARGS[@]}"
nginx "${NGINX_ARGS[@]}" &
# shellcheck disable=SC2034 # stopped by the cleanup (sr_scratch)
NGINX_PID=$!
NGINX_PAGE="http://127.0.0.1:$NGINX_PORT/campaigns/$SLUG"
sr_wait_http "$NGINX_PAGE" 15
nginx_enc=$(curl -sS --noproxy '*' -H 'Accept-Encoding: gzip' -o /dev/null -D - "$NGINX_PAGE" |
    tr -d '\r' | awk -F': *' 'tolower($1)=="content-encoding" {print tolower($2)}')
if [[ "$nginx_enc" != gzip ]]; then
    echo "campaign-page: nginx did not serve the .gz file (Content-Encoding: '${nginx_enc:-none}')" >&2
    cat "$TMP/nginx/logs/error.log" >&2 || true
    exit 2
fi
echo "nginx: $NGINX_PAGE"

# ---- wrk -----------------------------------------------------------------------------------
# run_wrk NAME URL: runs wrk, appends "NAME RPS P99_MS ERRORS" to $TMP/results.
run_wrk() {
    local name=$1 url=$2 out="$TMP/wrk-$1-$RANDOM.txt"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H 'Accept-Encoding: gzip' "$url" >"$out"
    python3 - "$name" "$out" >>"$TMP/results" <<'PY'
import re, sys
name, path = sys.argv[1], sys.argv[2]
text = open(path).read()
m = re.search(r"Requests/sec:\s*([\d.]+)", text)
if not m:
    sys.exit(f"could not parse Requests/sec from wrk output:\n{text}")
rps = float(m.group(1))
m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
if not m:
    sys.exit(f"could not parse the 99% latency from wrk output:\n{text}")
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
errors = 0
m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
if m:
    errors += int(m.group(1))
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
if m:
    errors += sum(int(g) for g in m.groups())
print(f"{name} {rps:.1f} {p99:.3f} {errors}")
PY
    tail -n 1 "$TMP/results" | awk '{printf "  %-6s %10.1f req/s   p99 %8.3f ms   errors %s\n", $1, $2, $3, $4}'
}

: >"$TMP/results"
echo "== wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $ROUNDS round(s), app and nginx alternating"
for _ in $(seq 1 "$ROUNDS"); do
    run_wrk app "$APP_PAGE"
    run_wrk nginx "$NGINX_PAGE"
done

# ---- summary -------------------------------------------------------------------------------
read -r APP_RPS APP_P99 NGINX_RPS NGINX_P99 ERRORS RATIO VERDICT REASONS < <(
    python3 - "$TMP/results" "$GZ_BYTES" "$MAX_GZ_BYTES" "$TARGET_RATIO" "$TARGET_P99_MS" <<'PY'
import sys
path, gz, max_gz, t_ratio, t_p99 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
rows = [l.split() for l in open(path) if l.strip()]
app = [(float(r[1]), float(r[2]), int(r[3])) for r in rows if r[0] == "app"]
ngx = [(float(r[1]), float(r[2]), int(r[3])) for r in rows if r[0] == "nginx"]
app_rps = max(r[0] for r in app); app_p99 = min(r[1] for r in app)
ngx_rps = max(r[0] for r in ngx); ngx_p99 = min(r[1] for r in ngx)
errors = sum(r[2] for r in app + ngx)
ratio = app_rps / ngx_rps if ngx_rps else 0.0
why = []
if ratio < t_ratio: why.append(f"ratio<{t_ratio}")
if app_p99 > t_p99: why.append(f"p99>{t_p99:g}ms")
if gz > max_gz: why.append(f"gzip>{max_gz}B")
if errors: why.append("errors")
print(f"{app_rps:.1f} {app_p99:.3f} {ngx_rps:.1f} {ngx_p99:.3f} {errors} {ratio:.3f} "
      f"{'FAIL' if why else 'PASS'} {','.join(why) or '-'}")
PY
)
[[ "$REASONS" == - ]] && REASONS=""

echo
echo "Campaign page /campaigns/$SLUG — best of $ROUNDS round(s) of ${DURATION}s (highest req/s, lowest p99)"
printf '  %-28s %s\n' "page HTML" "$HTML_BYTES bytes"
printf '  %-28s %s\n' "app gzip response" "$GZ_BYTES bytes${GZ_BYTES_NOTE:-} (target <= $MAX_GZ_BYTES)"
printf '  %-28s %s\n' "nginx .gz (gzip -9)" "$NGINX_GZ_BYTES bytes"
printf '  %-28s %s\n' "app req/s" "$APP_RPS"
printf '  %-28s %s\n' "nginx req/s" "$NGINX_RPS"
printf '  %-28s %s\n' "ratio app/nginx" "$RATIO (target >= $TARGET_RATIO)"
printf '  %-28s %s\n' "app p99" "$APP_P99 ms (target <= $TARGET_P99_MS ms)"
printf '  %-28s %s\n' "nginx p99" "$NGINX_P99 ms"
printf '  %-28s %s\n' "errors (non-2xx, socket)" "$ERRORS"
printf '  %-28s %s\n' "verdict" "$VERDICT${REASONS:+ ($REASONS)}"

# ---- markdown log --------------------------------------------------------------------------
OUT="$ROOT/bench/out/campaign-page.md"
mkdir -p "$(dirname "$OUT")"
if [[ ! -s "$OUT" ]]; then
    cat >"$OUT" <<'EOF'
# Campaign page benchmark (bench/campaign-page.sh)

Best of the rounds: highest req/s, lowest p99. Targets: ratio >= 0.5, app p99 <= 20 ms, gzip <= 14336 B.

| date (UTC) | commit | mode | runs | app req/s | nginx req/s | ratio | app p99 ms | nginx p99 ms | gzip B | errors | verdict |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
EOF
fi
mode=full
[[ "$SMOKE" == 1 ]] && mode=smoke
printf '| %s | %s | %s | %sx%ss c%s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$(sr_git_rev "$ROOT")" "$mode" "$ROUNDS" "$DURATION" \
    "$CONNECTIONS" "$APP_RPS" "$NGINX_RPS" "$RATIO" "$APP_P99" "$NGINX_P99" "$GZ_BYTES" \
    "$ERRORS" "$VERDICT${REASONS:+ ($REASONS)}" >>"$OUT"
echo "row appended to ${OUT#"$ROOT"/}"

if [[ "$VERDICT" != PASS && "$SMOKE" != 1 ]]; then
    exit 1
fi
exit 0
