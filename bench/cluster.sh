#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Cluster benchmark: three app nodes on one PostgreSQL behind nginx, run the way
# docs/deploy.md tells an operator to, and one node killed (SIGKILL) in the middle of a run.
#
#   bench/cluster.sh            # PAGE_SECS=15 per throughput run, CHAOS_SECS=30
#   SMOKE=1 bench/cluster.sh    # short runs: checks the bench still works
#
# Everything listens on 127.0.0.1 only: a throwaway PostgreSQL (scripts/pg-cluster.sh), three
# nodes (`serve --demo`, trusted_proxies 127.0.0.1, the same base URL: nginx's), and Debian's
# nginx with a temporary prefix and its own nginx.conf (never the system's), whose http
# part is docs/deploy/nginx.conf with this run's ports put in (see that file's header).
#
# Steps:
#  1. Throughput, one node (direct) against the cluster (through nginx): the campaign page
#     (wrk -t2 -c64 -dPAGE_SECS --latency, gzip), then donations (examples/donation_load.rs:
#     DONATIONS signed test-provider callbacks, 32 concurrent; phase B timed).
#  2. Chaos, through nginx for CHAOS_SECS: STREAMS live streams held (examples/live_streams.rs,
#     reconnecting like a browser), wrk on the page (-c16), DONORS donors through the hosted
#     test checkout (each confirmed session id and every error is written down with its
#     time), a prober fetching the page every 100 ms. At a third of the run node 2 is
#     SIGKILLed; KILL_DOWN seconds later it is started again on the same port.
#  3. Checks: every donation the client saw confirmed (the checkout's 303) has exactly one
#     ledger entry, and no donation has two; `shelfraiser ledger verify` passes; donor and
#     prober errors fall only between the kill and a few seconds after the restart; every
#     held stream caught up to the final version (those on the killed node reconnected
#     through nginx); wrk's errors through nginx are reported.
#  4. Summary table; a row appended to bench/out/cluster.md.
#
# Environment: PAGE_SECS, DONATIONS, CHAOS_SECS, KILL_DOWN (s, 5), STREAMS (300), DONORS (4),
# DEMO_SLUG, KEEP_TMP=1, SHELFRAISER_BIN / DONATION_LOAD_BIN / LIVE_STREAMS_BIN (prebuilt
# binaries: no build).
#
# Exit status: 0 when every check passed; 1 when one failed; 2 for a missing tool; others:
# errors of the bench. Throughput has no target (on two cores three nodes are not faster;
# the point is correctness and the shape of the curve).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

SMOKE=${SMOKE:-0}
if [[ "$SMOKE" == 1 ]]; then
    PAGE_SECS=${PAGE_SECS:-2}
    DONATIONS=${DONATIONS:-100}
    CHAOS_SECS=${CHAOS_SECS:-12}
    STREAMS=${STREAMS:-30}
else
    PAGE_SECS=${PAGE_SECS:-15}
    DONATIONS=${DONATIONS:-2000}
    CHAOS_SECS=${CHAOS_SECS:-30}
    STREAMS=${STREAMS:-300}
fi
KILL_DOWN=${KILL_DOWN:-5}
DONORS=${DONORS:-4}
SLUG=${DEMO_SLUG:-library-for-kalpakkam}
SECRET=clustersecret
# Errors are expected from the kill until this many seconds after the node is back.
GRACE_AFTER_RESTART=5

for tool in curl wrk nginx psql python3 awk; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "cluster: '$tool' not found (apt-get install curl wrk nginx-light postgresql-15 python3 gawk)" >&2
        exit 2
    }
done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

NODE1_PID=""
NODE2_PID=""
NODE3_PID=""
NGINX_PID=""
WRK_PID=""
CLIENT_PID=""
PROBER_PID=""
PG_DIR=""
sr_more_cleanup() {
    if [[ -n "$PG_DIR" ]]; then
        bash "$ROOT/scripts/pg-cluster.sh" stop "$PG_DIR" || true
        rm -rf "$PG_DIR"
    fi
}
sr_scratch shelfraiser-bench-cluster CLIENT_PID WRK_PID PROBER_PID NGINX_PID NODE1_PID NODE2_PID NODE3_PID

if [[ -n "${SHELFRAISER_BIN:-}" && -n "${DONATION_LOAD_BIN:-}" && -n "${LIVE_STREAMS_BIN:-}" ]]; then
    BIN=$SHELFRAISER_BIN
    LOAD=$DONATION_LOAD_BIN
    CLIENT=$LIVE_STREAMS_BIN
else
    echo "== build (release: server and clients)"
    sr_build_release "$ROOT"
    BIN=${SHELFRAISER_BIN:-$ROOT/target/release/shelfraiser}
    LOAD=${DONATION_LOAD_BIN:-$ROOT/target/release/examples/donation_load}
    CLIENT=${LIVE_STREAMS_BIN:-$ROOT/target/release/examples/live_streams}
fi
echo "== binary: $BIN (commit $(sr_git_rev "$ROOT"))"

# ---- PostgreSQL -----------------------------------------------------------------------------
# Its own temp dir: the cluster's OS user (postgres) must be able to enter it.
PG_DIR=$(mktemp -d /tmp/shelfraiser-bench-pg.XXXXXX)
admin=$(bash "$ROOT/scripts/pg-cluster.sh" start "$PG_DIR")
psql -q -X -v ON_ERROR_STOP=1 "$admin" -c 'CREATE DATABASE clusterdb' >/dev/null
DB_URL="${admin%/postgres}/clusterdb"
echo "== PostgreSQL: ${DB_URL%%@*}@..."

# ---- the nodes ------------------------------------------------------------------------------
NGINX_PORT=$(sr_free_port)
NGINX_URL="http://127.0.0.1:$NGINX_PORT"
PORTS=("$(sr_free_port)" "$(sr_free_port)" "$(sr_free_port)")
# start_node I: starts node I (1-3) on its port; sets NODEi_PID.
start_node() {
    local i=$1 port=${PORTS[$(($1 - 1))]}
    # Node 1 seeds the demo into the empty database; the others find it there.
    SHELFRAISER_TRUSTED_PROXIES=127.0.0.1 SHELFRAISER_PROVIDERS__TEST__SECRET=$SECRET \
        SHELFRAISER_DONATIONS__CHECKOUTS_PER_IP=0 SHELFRAISER_DONATIONS__CHECKOUTS_PER_CAMPAIGN=0 \
        sr_start_app "$TMP/node$i.log.$(date +%s%N)" "$BIN" serve --demo --database-url "$DB_URL" \
        --data-dir "$TMP/node$i" --listen "127.0.0.1:$port" --base-url "$NGINX_URL"
    printf -v "NODE${i}_PID" '%s' "$APP_PID"
    sr_wait_http "http://127.0.0.1:$port/readyz" 30
}
for i in 1 2 3; do
    start_node "$i"
    echo "node $i: http://127.0.0.1:${PORTS[$((i - 1))]} (pid $(eval echo "\$NODE${i}_PID"))"
done

# ---- nginx: docs/deploy/nginx.conf with this run's ports ------------------------------------
mkdir -p "$TMP/nginx/logs" "$TMP/nginx/tmp"
sed -e "/# tls\$/d" \
    -e "s/listen 443 ssl;/listen 127.0.0.1:$NGINX_PORT;/" \
    -e "s/127\.0\.0\.1:8081/127.0.0.1:${PORTS[0]}/" \
    -e "s/127\.0\.0\.1:8082/127.0.0.1:${PORTS[1]}/" \
    -e "s/127\.0\.0\.1:8083/127.0.0.1:${PORTS[2]}/" \
    "$ROOT/docs/deploy/nginx.conf" >"$TMP/nginx/shelfraiser.conf"
for p in "${PORTS[@]}" "$NGINX_PORT"; do
    grep -q "127.0.0.1:$p" "$TMP/nginx/shelfraiser.conf" || {
        echo "cluster: docs/deploy/nginx.conf no longer has the markers this script fills in" >&2
        exit 4
    }
done
user_line=""
[[ $EUID -eq 0 ]] && user_line="user root root;"
cat >"$TMP/nginx/nginx.conf" <<EOF
# Throwaway config written by bench/cluster.sh: loopback only, temp prefix.
$user_line
worker_processes auto;
worker_rlimit_nofile 65536;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 16384; }
http {
    access_log $TMP/nginx/logs/access.log;
    client_body_temp_path $TMP/nginx/tmp/body;
    proxy_temp_path $TMP/nginx/tmp/proxy;
    fastcgi_temp_path $TMP/nginx/tmp/fastcgi;
    uwsgi_temp_path $TMP/nginx/tmp/uwsgi;
    scgi_temp_path $TMP/nginx/tmp/scgi;
    include $TMP/nginx/shelfraiser.conf;
}
EOF
NGINX_ARGS=(-p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log")
nginx -t -q "${NGINX_ARGS[@]}"
nginx "${NGINX_ARGS[@]}" &
NGINX_PID=$!
sr_wait_http "$NGINX_URL/readyz" 15
echo "nginx: $NGINX_URL"
PAGE_PATH="/campaigns/$SLUG"

# ---- helpers --------------------------------------------------------------------------------
# wrk_summary FILE: "RPS P50 P99 MAX ERRORS REQUESTS" (ms) from wrk --latency output.
wrk_summary() {
    python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
unit = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
def lat(p):
    m = re.search(p, text, re.M)
    return float(m.group(1)) * unit[m.group(2)] if m else -1.0
m = re.search(r"Requests/sec:\s*([\d.]+)", text)
rps = float(m.group(1)) if m else 0.0
p50 = lat(r"^\s*50%\s+([\d.]+)(us|ms|s|m)\s*$")
p99 = lat(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$")
mx = lat(r"^\s*Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)")
m = re.search(r"(\d+) requests in", text)
reqs = int(m.group(1)) if m else 0
errors = 0
m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
if m: errors += int(m.group(1))
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
if m: errors += sum(int(g) for g in m.groups())
print(f"{rps:.1f} {p50:.2f} {p99:.2f} {mx:.2f} {errors} {reqs}")
PY
}
# load_rate URL: donations/s of the load driver's timed phase against URL ("-" if it failed).
load_rate() {
    local out="$TMP/load-$RANDOM.txt"
    "$LOAD" --base "$1" --slug "$SLUG" --secret "$SECRET" --count "$DONATIONS" --concurrency 32 >"$out" 2>&1 || true
    local r
    r=$(grep '^RESULT ' "$out" | tail -n 1 | tr ' ' '\n' | awk -F= '$1 == "donations_per_sec" {print $2}')
    local e
    e=$(grep '^RESULT ' "$out" | tail -n 1 | tr ' ' '\n' | awk -F= '$1 == "errors" {print $2}')
    [[ -n "$r" ]] || { sed 's/^/  load: /' "$out" | tail -n 5 >&2; }
    echo "${r:--} ${e:--}"
}

# ---- 1. throughput: one node, then the cluster ---------------------------------------------
echo "== throughput: campaign page, ${PAGE_SECS}s each (one node direct, then three through nginx)"
wrk -t2 -c64 -d"${PAGE_SECS}s" --latency -H 'Accept-Encoding: gzip' "http://127.0.0.1:${PORTS[0]}$PAGE_PATH" >"$TMP/wrk-one.txt" 2>&1
read -r ONE_RPS ONE_P50 ONE_P99 ONE_MAX ONE_ERR _ < <(wrk_summary "$TMP/wrk-one.txt")
wrk -t2 -c64 -d"${PAGE_SECS}s" --latency -H 'Accept-Encoding: gzip' "$NGINX_URL$PAGE_PATH" >"$TMP/wrk-cluster.txt" 2>&1
read -r CL_RPS CL_P50 CL_P99 CL_MAX CL_ERR _ < <(wrk_summary "$TMP/wrk-cluster.txt")
echo "  one node: $ONE_RPS req/s, p99 $ONE_P99 ms; cluster: $CL_RPS req/s, p99 $CL_P99 ms"
echo "== throughput: $DONATIONS donations (signed callbacks, 32 concurrent) each"
read -r ONE_DPS ONE_DERR < <(load_rate "http://127.0.0.1:${PORTS[0]}")
read -r CL_DPS CL_DERR < <(load_rate "$NGINX_URL")
echo "  one node: $ONE_DPS donations/s ($ONE_DERR errors); cluster: $CL_DPS donations/s ($CL_DERR errors)"

# ---- 2. chaos: streams, page load, donors, prober; node 2 killed and restarted -------------
echo "== chaos: ${CHAOS_SECS}s through nginx, $STREAMS streams, $DONORS donors; node 2 killed at $((CHAOS_SECS / 3)) s for ${KILL_DOWN} s"
"$CLIENT" --base "$NGINX_URL" --slug "$SLUG" --streams "$STREAMS" --opening 16 \
    --settle-secs 0 --hold-secs "$CHAOS_SECS" --deadline-secs 20 \
    >"$TMP/client.out" 2>"$TMP/client.err" &
CLIENT_PID=$!
while kill -0 "$CLIENT_PID" 2>/dev/null && ! grep -q '^READY ' "$TMP/client.out"; do sleep 0.2; done
grep '^READY ' "$TMP/client.out" >/dev/null || {
    echo "cluster: the stream client ended before its streams were open:" >&2
    cat "$TMP/client.err" "$TMP/client.out" >&2
    exit 3
}
streams_per_node=()
for p in "${PORTS[@]}"; do
    streams_per_node+=("$(curl -s --noproxy '*' "http://127.0.0.1:$p/metrics" | awk '$1 == "shelfraiser_live_streams" {print $2}')")
done
echo "  streams per node: ${streams_per_node[*]}"

wrk -t1 -c16 -d"${CHAOS_SECS}s" --latency -H 'Accept-Encoding: gzip' "$NGINX_URL$PAGE_PATH" >"$TMP/wrk-chaos.txt" 2>&1 &
WRK_PID=$!

# Donors and the prober: one line per event, "EPOCH_SECONDS kind detail".
python3 - "$NGINX_URL$PAGE_PATH" "$CHAOS_SECS" "$DONORS" "$TMP/donors.log" <<'PY' &
import re, sys, threading, time, urllib.error, urllib.parse, urllib.request
page, secs, donors, out = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
base = page.split("/campaigns/")[0]
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None
opener = urllib.request.build_opener(NoRedirect, urllib.request.ProxyHandler({}))
lock = threading.Lock()
log = open(out, "w")
def note(kind, detail):
    with lock:
        log.write(f"{time.time():.3f} {kind} {detail}\n")
        log.flush()
def fetch(url, form=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, headers={"Origin": base} if data else {})
    try:
        r = opener.open(req, timeout=10)
        return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode(errors="replace")
def csrf(html):
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    return m.group(1) if m else ""
end = time.time() + secs
def donor(n):
    while time.time() < end:
        step = "page"
        try:
            st, _, html = fetch(page)
            if st != 200:
                raise RuntimeError(f"page answered {st}")
            step = "donate"
            st, h, _ = fetch(page + "/donate", {"amount": "5", "currency": "GBP", "name": f"Cluster donor {n}",
                "email": "", "message": "", "visibility": "public", "csrf": csrf(html)})
            loc = h.get("Location", "") if st == 303 else ""
            if "/test-checkout/" not in loc:
                raise RuntimeError(f"donate answered {st} {loc!r}")
            session = loc.split("/test-checkout/")[1].split("?")[0]
            url = base + loc if loc.startswith("/") else loc
            step = "checkout page"
            st, _, html = fetch(url)
            if st != 200:
                raise RuntimeError(f"checkout page answered {st}")
            step = "confirm"
            st, h, _ = fetch(url, {"csrf": csrf(html), "outcome": "succeed"})
            if st != 303:
                # Not confirmed to the donor: it may or may not have been recorded.
                raise RuntimeError(f"checkout answered {st}")
            note("confirmed", session)
        except Exception as e:
            note("error", f"donor {n} at {step}: {str(e)[:120]!r}".replace(" ", "_"))
            time.sleep(0.2)
def prober():
    while time.time() < end:
        try:
            st, _, _ = fetch(page)
            if st != 200:
                raise RuntimeError(f"answered {st}")
            note("probe", "ok")
        except Exception as e:
            note("error", f"prober: {str(e)[:120]!r}".replace(" ", "_"))
        time.sleep(0.1)
threads = [threading.Thread(target=donor, args=(i,)) for i in range(donors)] + [threading.Thread(target=prober)]
for t in threads: t.start()
for t in threads: t.join()
PY
PROBER_PID=$!

sleep $((CHAOS_SECS / 3))
VICTIM_STREAMS=$(curl -s --noproxy '*' "http://127.0.0.1:${PORTS[1]}/metrics" | awk '$1 == "shelfraiser_live_streams" {print $2}')
KILL_AT=$(date +%s.%N)
kill -KILL "$NODE2_PID"
wait "$NODE2_PID" 2>/dev/null || true
NODE2_PID=""
echo "  $(date -u +%T) node 2 SIGKILLed (it held ${VICTIM_STREAMS:-?} streams)"
sleep "$KILL_DOWN"
start_node 2
BACK_AT=$(date +%s.%N)
echo "  $(date -u +%T) node 2 is back (pid $NODE2_PID)"

set +e
wait "$PROBER_PID"
PROBER_PID=""
wait "$WRK_PID"
WRK_PID=""
wait "$CLIENT_PID"
client_rc=$?
CLIENT_PID=""
set -e
read -r CH_RPS CH_P50 CH_P99 CH_MAX CH_ERR CH_REQS < <(wrk_summary "$TMP/wrk-chaos.txt")
cat "$TMP/client.err" >&2
grep -v '^READY ' "$TMP/client.out" || true
declare -A R=()
result=$(grep '^RESULT ' "$TMP/client.out" | tail -n 1 || true)
for kv in ${result#RESULT }; do
    R[${kv%%=*}]=${kv#*=}
done

# ---- 3. checks ------------------------------------------------------------------------------
failed=()
CONFIRMED=$(awk '$2 == "confirmed"' "$TMP/donors.log" | wc -l)
DONOR_ERRORS=$(awk '$2 == "error"' "$TMP/donors.log" | wc -l)
PROBES=$(awk '$2 == "probe"' "$TMP/donors.log" | wc -l)
OUTSIDE=$(awk -v a="$KILL_AT" -v b="$BACK_AT" -v g="$GRACE_AFTER_RESTART" \
    '$2 == "error" && ($1 < a - 0.5 || $1 > b + g)' "$TMP/donors.log")
if [[ -n "$OUTSIDE" ]]; then
    failed+=("errors outside the kill window: $(echo "$OUTSIDE" | wc -l)")
    echo "errors outside the kill window:" >&2
    echo "$OUTSIDE" | head -n 5 >&2
fi
awk '$2 == "error" {print "  " $0}' "$TMP/donors.log" | head -n 8

# The ledger: each confirmed checkout's donation has exactly one donation entry.
awk '$2 == "confirmed" {print $3}' "$TMP/donors.log" >"$TMP/confirmed.txt"
psql -q -X -v ON_ERROR_STOP=1 "$DB_URL" >"$TMP/ledger-check.txt" <<SQL
CREATE TEMP TABLE confirmed (session_id TEXT);
\copy confirmed FROM '$TMP/confirmed.txt'
\pset format unaligned
\pset tuples_only on
SELECT 'confirmed ' || count(*) FROM confirmed;
SELECT 'missing ' || count(*) FROM confirmed c
  LEFT JOIN checkout_sessions s ON s.id = c.session_id
  WHERE s.donation_id IS NULL;
SELECT 'not_once ' || count(*) FROM confirmed c
  JOIN checkout_sessions s ON s.id = c.session_id
  WHERE (SELECT count(*) FROM ledger_entries l WHERE l.donation_id = s.donation_id AND l.kind = 'donation') <> 1;
SELECT 'doubled ' || count(*) FROM (SELECT donation_id FROM ledger_entries
  WHERE kind = 'donation' AND donation_id IS NOT NULL GROUP BY donation_id HAVING count(*) > 1) d;
SELECT 'unconfirmed_recorded ' || count(*) FROM checkout_sessions s
  WHERE s.donation_id IS NOT NULL AND s.donor_name LIKE 'Cluster donor %'
  AND s.id NOT IN (SELECT session_id FROM confirmed);
SQL
ledger_val() { awk -v k="$1" '$1 == k {print $2}' "$TMP/ledger-check.txt"; }
MISSING=$(ledger_val missing)
NOT_ONCE=$(ledger_val not_once)
DOUBLED=$(ledger_val doubled)
UNCONFIRMED=$(ledger_val unconfirmed_recorded)
[[ "$(ledger_val confirmed)" == "$CONFIRMED" ]] || failed+=("the ledger check read $(ledger_val confirmed) of $CONFIRMED confirmed ids")
((CONFIRMED > 0)) || failed+=("no donation was confirmed during the chaos run")
[[ "$MISSING" == 0 ]] || failed+=("$MISSING confirmed donation(s) not in the ledger")
[[ "$NOT_ONCE" == 0 ]] || failed+=("$NOT_ONCE confirmed donation(s) not exactly once in the ledger")
[[ "$DOUBLED" == 0 ]] || failed+=("$DOUBLED donation(s) with two ledger entries")

if "$BIN" ledger verify --database-url "$DB_URL" --data-dir "$TMP/verify" >"$TMP/verify.txt" 2>&1; then
    VERIFY=ok
else
    VERIFY=FAILED
    failed+=("ledger verify failed")
fi
sed 's/^/  ledger verify: /' "$TMP/verify.txt" | tail -n 3

HELD=${R[held]:-0}
CAUGHT=${R[caught_up]:-0}
RECONNECTS=${R[reconnects]:-0}
((client_rc == 0)) || failed+=("stream client failed (exit $client_rc)")
[[ "$HELD" == "$STREAMS" ]] || failed+=("$HELD of $STREAMS streams held")
[[ "$CAUGHT" == "$HELD" ]] || failed+=("$CAUGHT of $HELD streams caught up to the final version")
if [[ -n "${VICTIM_STREAMS:-}" && "$VICTIM_STREAMS" -gt 0 && "$RECONNECTS" -lt "$VICTIM_STREAMS" ]]; then
    failed+=("$RECONNECTS reconnections for the $VICTIM_STREAMS streams the killed node held")
fi
DONATIONS_OK=$CONFIRMED

VERDICT=PASS
((${#failed[@]})) && VERDICT=FAIL
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a + 0 > 0 && b != "-") printf "%.2f", b / a; else print "-"}'; }

echo
echo "Cluster: PostgreSQL, 3 nodes, nginx (docs/deploy/nginx.conf) on one $(nproc)-core machine"
printf '  %-36s %s\n' "page, one node (direct)" "$ONE_RPS req/s, p50/p99/max $ONE_P50/$ONE_P99/$ONE_MAX ms, errors $ONE_ERR"
printf '  %-36s %s\n' "page, 3 nodes through nginx" "$CL_RPS req/s, p50/p99/max $CL_P50/$CL_P99/$CL_MAX ms, errors $CL_ERR ($(ratio "$ONE_RPS" "$CL_RPS")x)"
printf '  %-36s %s\n' "donations/s, one node (direct)" "$ONE_DPS ($ONE_DERR errors)"
printf '  %-36s %s\n' "donations/s, 3 nodes through nginx" "$CL_DPS ($CL_DERR errors) ($(ratio "$ONE_DPS" "$CL_DPS")x)"
printf '  %-36s %s\n' "chaos: page through nginx (wrk -c16)" "$CH_RPS req/s, p50/p99/max $CH_P50/$CH_P99/$CH_MAX ms, $CH_REQS requests, errors $CH_ERR"
printf '  %-36s %s\n' "chaos: donations confirmed" "$DONATIONS_OK (errors $DONOR_ERRORS, all within the kill window: $([[ -z "$OUTSIDE" ]] && echo yes || echo no)); recorded but not confirmed to the donor: ${UNCONFIRMED:-?}"
printf '  %-36s %s\n' "chaos: page probes" "$PROBES ok"
printf '  %-36s %s\n' "chaos: ledger" "missing ${MISSING:-?}, not exactly once ${NOT_ONCE:-?}, doubled ${DOUBLED:-?}; verify $VERIFY"
printf '  %-36s %s\n' "chaos: live streams" "$HELD held (per node before the kill: ${streams_per_node[*]}); killed node held ${VICTIM_STREAMS:-?}; reconnections $RECONNECTS; caught up to version ${R[final_version]:-?}: $CAUGHT"
printf '  %-36s %s\n' "verdict" "$VERDICT"
for f in "${failed[@]}"; do
    echo "  FAILED: $f"
done

OUT="$ROOT/bench/out/cluster.md"
mkdir -p "$(dirname "$OUT")"
if [[ ! -s "$OUT" ]]; then
    cat >"$OUT" <<'EOF'
# Cluster benchmark (bench/cluster.sh)

| date (UTC) | commit | mode | page req/s one node / cluster | page p99 ms one / cluster | donations/s one / cluster | chaos: confirmed, errors, page wrk errors | streams held / reconnected / caught up | ledger verify | verdict |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
EOF
fi
mode=full
[[ "$SMOKE" == 1 ]] && mode=smoke
printf '| %s | %s | %s | %s / %s | %s / %s | %s / %s | %s, %s, %s | %s / %s / %s | %s | %s |\n' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$(sr_git_rev "$ROOT")" "$mode" "$ONE_RPS" "$CL_RPS" "$ONE_P99" "$CL_P99" \
    "$ONE_DPS" "$CL_DPS" "$DONATIONS_OK" "$DONOR_ERRORS" "$CH_ERR" "$HELD" "$RECONNECTS" "$CAUGHT" \
    "$VERIFY" "$VERDICT" >>"$OUT"
echo "row appended to ${OUT#"$ROOT"/}"

[[ "$VERDICT" == PASS ]] || exit 1
exit 0
