#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Campaign page benchmark: the app's dynamic campaign page against nginx serving the same
# HTML as a static, pre-gzipped file (the fastest thing a server could do with that page),
# while donations arrive. Each app run crosses at least five cache expiries (MAX_AGE is 10 s
# in src/http/page_cache.rs) and one donation a second goes through the test provider's
# hosted checkout (each bumps the campaign's version, so the page is rendered again): it
# measures the moments of expiry, not only the steady state.
#
#   bench/campaign-page.sh            # DURATION=55 s per run, ROUNDS=1 (app, then nginx)
#   SMOKE=1 bench/campaign-page.sh    # DURATION=2, ROUNDS=1: checks the bench still works
#
# Environment: DURATION (seconds per wrk run), ROUNDS, DEMO_SLUG (campaign to fetch),
# CONNECTIONS (default 64), THREADS (default 2), DONATIONS_PER_SEC (default 1; 0: none),
# KEEP_TMP=1 (keep the temp dir for a look), SHELFRAISER_BIN (benchmark this prebuilt
# binary instead of building target/release).
#
# Steps:
#  1. cargo build --release; start `shelfraiser serve --demo` on 127.0.0.1:0
#  2. fetch /campaigns/SLUG once with Accept-Encoding: gzip; record the compressed size
#  3. write that HTML, plus a gzip -9 copy, into a temp docroot; start nginx with gzip_static on
#  4. wrk -t2 -c64 --latency -H 'Accept-Encoding: gzip', app then nginx, ROUNDS times; during
#     each app run a donor gives once a second (page, donate form, hosted test checkout)
#  5. table: req/s, p50, p99 and max of each server; best of each (highest req/s, lowest
#     p99); ratio app/nginx of the best req/s; targets and PASS/FAIL; a row appended to
#     bench/out/campaign-page.md
#
# Targets: app/nginx req/s ratio >= 0.8, app p99 <= 20 ms, gzip'd page <= 14336 bytes (fits in
# the first round trips of a new connection), every donation recorded.
#
# Exit status: 0 on PASS; 1 on a missed target (but 0 under SMOKE=1, whose job is only to prove
# the bench runs); 3 when a request failed (non-2xx, socket errors or wrk time-outs, a
# donation that did not go through), also under SMOKE=1: such a run measures nothing, and
# its p99 would hide the failures; other non-zero values are errors of the bench itself.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

SMOKE=${SMOKE:-0}
if [[ "$SMOKE" == 1 ]]; then
    DURATION=${DURATION:-2}
    ROUNDS=${ROUNDS:-1}
else
    DURATION=${DURATION:-55}
    ROUNDS=${ROUNDS:-1}
fi
SLUG=${DEMO_SLUG:-library-for-kalpakkam}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
DONATIONS_PER_SEC=${DONATIONS_PER_SEC:-1}
MAX_GZ_BYTES=14336
TARGET_RATIO=0.8
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
# One donor from one address, a gift a second: the donate form's card-testing limits are off.
SHELFRAISER_DONATIONS__CHECKOUTS_PER_IP=0 SHELFRAISER_DONATIONS__CHECKOUTS_PER_CAMPAIGN=0 \
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

# ---- donations ----------------------------------------------------------------------------
# donor PAGE_URL SECONDS OUT: gives DONATIONS_PER_SEC a second for SECONDS through the donate
# form and the test provider's hosted checkout; writes "ok failed" to OUT.
donor() {
    python3 - "$1" "$2" "$DONATIONS_PER_SEC" "$3" <<'PY'
import re, sys, time, urllib.error, urllib.parse, urllib.request
page, secs, rate, out = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
base = page.split("/campaigns/")[0]
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None
opener = urllib.request.build_opener(NoRedirect, urllib.request.ProxyHandler({}))
def fetch(url, form=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        r = opener.open(urllib.request.Request(url, data=data), timeout=10)
        return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode(errors="replace")
def csrf(html):
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    return m.group(1) if m else ""
ok = failed = 0
end = time.monotonic() + secs
step = 1.0 / rate if rate > 0 else secs
nxt = time.monotonic()
while rate > 0 and time.monotonic() < end:
    try:
        _, _, html = fetch(page)
        st, h, _ = fetch(page + "/donate", {"amount": "5", "currency": "GBP", "name": "Bench donor",
            "email": "", "message": "", "visibility": "public", "csrf": csrf(html)})
        loc = h.get("Location", "") if st == 303 else ""
        if not loc.startswith("/test-checkout/"):
            raise RuntimeError(f"donate answered {st} {loc!r}")
        _, _, html = fetch(base + loc)
        st, h, _ = fetch(base + loc, {"csrf": csrf(html), "outcome": "succeed"})
        if st != 303:
            raise RuntimeError(f"checkout answered {st}")
        ok += 1
    except Exception as e:
        failed += 1
        print(f"donation failed: {e}", file=sys.stderr)
    nxt += step
    time.sleep(max(0.0, nxt - time.monotonic()))
open(out, "w").write(f"{ok} {failed}\n")
PY
}

# ---- wrk -----------------------------------------------------------------------------------
# run_wrk NAME URL: runs wrk (with the donor beside it for the app), appends
# "NAME RPS P50_MS P99_MS MAX_MS ERRORS REQUESTS" to $TMP/results.
run_wrk() {
    local name=$1 url=$2 out="$TMP/wrk-$1-$RANDOM.txt" donor_pid=""
    if [[ "$name" == app ]]; then
        donor "$url" "$DURATION" "$TMP/donor-$RANDOM.out" &
        donor_pid=$!
    fi
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H 'Accept-Encoding: gzip' "$url" >"$out"
    [[ -n "$donor_pid" ]] && wait "$donor_pid"
    python3 - "$name" "$out" >>"$TMP/results" <<'PY'
import re, sys
name, path = sys.argv[1], sys.argv[2]
text = open(path).read()
unit = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
def need(pattern, what):
    m = re.search(pattern, text, re.M)
    if not m:
        sys.exit(f"could not parse {what} from wrk output:\n{text}")
    return m
rps = float(need(r"Requests/sec:\s*([\d.]+)", "Requests/sec").group(1))
lat = lambda m: float(m.group(1)) * unit[m.group(2)]
p50 = lat(need(r"^\s*50%\s+([\d.]+)(us|ms|s|m)\s*$", "the 50% latency"))
p99 = lat(need(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$", "the 99% latency"))
mx = lat(need(r"^\s*Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)", "the max latency"))
requests = int(need(r"(\d+) requests in", "the request count").group(1))
errors = 0
m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
if m:
    errors += int(m.group(1))
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
if m:
    errors += sum(int(g) for g in m.groups())
if requests == 0:
    errors += 1
print(f"{name} {rps:.1f} {p50:.3f} {p99:.3f} {mx:.3f} {errors} {requests}")
PY
    tail -n 1 "$TMP/results" | awk '{printf "  %-6s %10.1f req/s   p50 %7.3f ms   p99 %8.3f ms   max %8.3f ms   errors %s\n", $1, $2, $3, $4, $5, $6}'
}

: >"$TMP/results"
echo "== wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $ROUNDS round(s), app (with $DONATIONS_PER_SEC donation/s) then nginx"
for _ in $(seq 1 "$ROUNDS"); do
    run_wrk app "$APP_PAGE"
    run_wrk nginx "$NGINX_PAGE"
done
read -r DONATIONS_OK DONATIONS_FAILED < <(cat "$TMP"/donor-*.out | awk '{ok += $1; f += $2} END {print ok + 0, f + 0}')
RENDERS=$(curl -sS --noproxy '*' "$APP_URL/metrics" | awk '$1 == "shelfraiser_page_renders_total{cache=\"campaign\"}" {print $2}')
STALE=$(curl -sS --noproxy '*' "$APP_URL/metrics" | awk '$1 == "shelfraiser_page_cache_stale_total" {print $2}')

# ---- summary -------------------------------------------------------------------------------
read -r APP_RPS APP_P50 APP_P99 APP_MAX NGINX_RPS NGINX_P50 NGINX_P99 NGINX_MAX ERRORS RATIO VERDICT REASONS < <(
    python3 - "$TMP/results" "$GZ_BYTES" "$MAX_GZ_BYTES" "$TARGET_RATIO" "$TARGET_P99_MS" "$DONATIONS_FAILED" <<'PY'
import sys
path, gz, max_gz, t_ratio, t_p99, dfail = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
rows = [l.split() for l in open(path) if l.strip()]
def parse(n):
    return [tuple(float(x) for x in r[1:6]) for r in rows if r[0] == n]
app, ngx = parse("app"), parse("nginx")
best = lambda rs: (max(r[0] for r in rs), min(r[1] for r in rs), min(r[2] for r in rs), min(r[3] for r in rs))
a, n = best(app), best(ngx)
errors = int(sum(r[4] for r in app + ngx)) + dfail
ratio = a[0] / n[0] if n[0] else 0.0
why = []
if ratio < t_ratio: why.append(f"ratio<{t_ratio}")
if a[2] > t_p99: why.append(f"p99>{t_p99:g}ms")
if gz > max_gz: why.append(f"gzip>{max_gz}B")
if errors: why.append("errors")
print(f"{a[0]:.1f} {a[1]:.3f} {a[2]:.3f} {a[3]:.3f} {n[0]:.1f} {n[1]:.3f} {n[2]:.3f} {n[3]:.3f} {errors} {ratio:.3f} "
      f"{'FAIL' if why else 'PASS'} {','.join(why) or '-'}")
PY
)
[[ "$REASONS" == - ]] && REASONS=""

echo
echo "Campaign page /campaigns/$SLUG — best of $ROUNDS round(s) of ${DURATION}s (highest req/s, lowest latencies)"
printf '  %-28s %s\n' "page HTML" "$HTML_BYTES bytes"
printf '  %-28s %s\n' "app gzip response" "$GZ_BYTES bytes${GZ_BYTES_NOTE:-} (target <= $MAX_GZ_BYTES)"
printf '  %-28s %s\n' "nginx .gz (gzip -9)" "$NGINX_GZ_BYTES bytes"
printf '  %-28s %s\n' "app req/s" "$APP_RPS"
printf '  %-28s %s\n' "nginx req/s" "$NGINX_RPS"
printf '  %-28s %s\n' "ratio app/nginx" "$RATIO (target >= $TARGET_RATIO)"
printf '  %-28s %s\n' "app p50 / p99 / max" "$APP_P50 / $APP_P99 / $APP_MAX ms (target p99 <= $TARGET_P99_MS ms)"
printf '  %-28s %s\n' "nginx p50 / p99 / max" "$NGINX_P50 / $NGINX_P99 / $NGINX_MAX ms"
printf '  %-28s %s\n' "donations during app runs" "$DONATIONS_OK recorded, $DONATIONS_FAILED failed"
printf '  %-28s %s\n' "campaign page renders" "${RENDERS:-?} (answered stale meanwhile: ${STALE:-?})"
printf '  %-28s %s\n' "errors (non-2xx, socket)" "$ERRORS"
printf '  %-28s %s\n' "verdict" "$VERDICT${REASONS:+ ($REASONS)}"

# ---- markdown log --------------------------------------------------------------------------
OUT="$ROOT/bench/out/campaign-page.md"
mkdir -p "$(dirname "$OUT")"
if [[ ! -s "$OUT" ]]; then
    cat >"$OUT" <<'EOF'
# Campaign page benchmark (bench/campaign-page.sh)

Best of the rounds: highest req/s, lowest latencies. One donation a second during app runs.
Targets: ratio >= 0.8, app p99 <= 20 ms, gzip <= 14336 B, no errors.

| date (UTC) | commit | mode | runs | app req/s | nginx req/s | ratio | app p50/p99/max ms | nginx p50/p99/max ms | donations | renders | gzip B | errors | verdict |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
EOF
fi
mode=full
[[ "$SMOKE" == 1 ]] && mode=smoke
printf '| %s | %s | %s | %sx%ss c%s | %s | %s | %s | %s/%s/%s | %s/%s/%s | %s | %s | %s | %s | %s |\n' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$(sr_git_rev "$ROOT")" "$mode" "$ROUNDS" "$DURATION" \
    "$CONNECTIONS" "$APP_RPS" "$NGINX_RPS" "$RATIO" "$APP_P50" "$APP_P99" "$APP_MAX" \
    "$NGINX_P50" "$NGINX_P99" "$NGINX_MAX" "$DONATIONS_OK" "${RENDERS:-?}" "$GZ_BYTES" \
    "$ERRORS" "$VERDICT${REASONS:+ ($REASONS)}" >>"$OUT"
echo "row appended to ${OUT#"$ROOT"/}"

if ((ERRORS > 0)); then
    echo "campaign-page: $ERRORS failed request(s) or donation(s): the figures above measure nothing" >&2
    exit 3
fi
if [[ "$VERDICT" != PASS && "$SMOKE" != 1 ]]; then
    exit 1
fi
exit 0
