#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Federation fan-out benchmark: one campaign post delivered to FOLLOWERS followers spread over
# INBOXES shared inboxes on loopback receivers (bench/inbox-sink.py, RECEIVERS ports), through
# the node's own job worker and guarded outbound client, signed as on the open network.
#
#   bench/fanout.sh              # FOLLOWERS=10000 INBOXES=1000 RECEIVERS=10
#   SMOKE=1 bench/fanout.sh      # FOLLOWERS=200 INBOXES=20: checks the bench works
#
# Environment: FOLLOWERS, INBOXES, RECEIVERS, KEEP_TMP=1, SHELFRAISER_BIN (use this prebuilt
# binary instead of building target/release).
#
# Steps:
#  1. start the receivers, then `serve --demo` with SHELFRAISER_OUTBOUND_ALLOW naming them
#  2. the campaign's actor is made (GET of its actor document), FOLLOWERS accepted followers
#     written straight into the SQLite file, each of its receiver's shared inboxes
#  3. `post create --campaign … --publish` (the CLI, another process, as a writer would):
#     the node's worker publishes it, one signed delivery per shared inbox
#  4. waits until every shared inbox got its delivery; reports deliveries per second, the
#     time from the post to the last delivery, the jobs left failed, and the server's memory
#     (VmRSS before, VmHWM after); a row appended to bench/out/fanout.md
#
# Targets: every inbox reached exactly once; drain within 60 s; no failed delivery.
# Exit status: 0 on PASS; 1 on a missed target; other values are errors of the bench itself.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

SMOKE=${SMOKE:-0}
if [[ "$SMOKE" == 1 ]]; then
    FOLLOWERS=${FOLLOWERS:-200}
    INBOXES=${INBOXES:-20}
    RECEIVERS=${RECEIVERS:-2}
else
    FOLLOWERS=${FOLLOWERS:-10000}
    INBOXES=${INBOXES:-1000}
    RECEIVERS=${RECEIVERS:-10}
fi
TARGET_DRAIN_S=60
SLUG=library-for-kalpakkam

for tool in curl python3; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "fanout: '$tool' not found (apt-get install curl python3)" >&2
        exit 2
    }
done

APP_PID=""
SINK_PID=""
sr_scratch shelfraiser-bench-fanout APP_PID SINK_PID
sr_app_binary release "$ROOT"

echo "== receivers: $RECEIVERS ports"
python3 "$ROOT/bench/inbox-sink.py" "$RECEIVERS" "$TMP/ports" &
SINK_PID=$!
for _ in $(seq 1 100); do
    [[ -s "$TMP/ports" && $(wc -l <"$TMP/ports") -ge $RECEIVERS ]] && break
    sleep 0.1
done
mapfile -t PORTS <"$TMP/ports"
ALLOW=$(printf '127.0.0.1:%s,' "${PORTS[@]}")
ALLOW=${ALLOW%,}

echo "== serve --demo"
DATA="$TMP/data"
SHELFRAISER_OUTBOUND_ALLOW="$ALLOW" sr_start_app "$TMP/app.log" \
    "$BIN" serve --demo --data-dir "$DATA" --listen 127.0.0.1:0
status=$(curl -sS --noproxy '*' -o /dev/null -w '%{http_code}' \
    -H 'Accept: application/activity+json' "$APP_URL/campaigns/$SLUG")
[[ "$status" == 200 ]] || {
    echo "fanout: the campaign's actor answered $status" >&2
    exit 2
}

# The demo's own posts were published when it was seeded: their publishing jobs must have run
# (to no followers) before the bench's followers exist, or the first of them would be counted.
echo "== wait for the demo's publishing jobs"
python3 - "$DATA/shelfraiser.db" <<'PY'
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], timeout=30)
deadline = time.time() + 60
while True:
    (n,) = con.execute(
        "SELECT COUNT(*) FROM jobs WHERE kind = 'post_changed' AND done_at IS NULL").fetchone()
    if n == 0:
        break
    if time.time() > deadline:
        sys.exit(f"fanout: {n} publishing jobs of the demo still pending after 60 s")
    time.sleep(0.2)
PY

echo "== $FOLLOWERS followers over $INBOXES shared inboxes"
python3 - "$DATA/shelfraiser.db" "$SLUG" "$FOLLOWERS" "$INBOXES" "${PORTS[@]}" <<'PY'
import sqlite3, sys, datetime
db, slug, followers, inboxes, ports = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
con = sqlite3.connect(db, timeout=30)
(cid,) = con.execute("SELECT id FROM campaigns WHERE slug = ?", (slug,)).fetchone()
now = datetime.datetime.now(datetime.timezone.utc).isoformat()
rows = []
for i in range(followers):
    k = i % inboxes
    port = ports[k % len(ports)]
    host = f"http://127.0.0.1:{port}"
    actor = f"{host}/s{k}/users/u{i}"
    rows.append((cid, actor, f"{actor}#follow", f"{actor}/inbox", f"{host}/s{k}/inbox", "accepted", now))
con.executemany(
    "INSERT INTO federation_followers (actor_id, follower, follow_id, inbox, shared_inbox, state, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
con.commit()
PY

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$APP_PID/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$APP_PID/status"; }
RSS_BEFORE=$(rss_kb)
count_json() { curl -sS --noproxy '*' "http://127.0.0.1:${PORTS[0]}/count"; }

echo "== publish"
T0=$(date +%s.%N)
echo "Halfway there: thank you, everyone!" |
    "$BIN" --data-dir "$DATA" post create --campaign "$SLUG" --title "Fan-out bench" \
        --body-file - --publish >/dev/null
DEADLINE=$(($(date +%s) + TARGET_DRAIN_S * 3))
while :; do
    got=$(count_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
    ((got >= INBOXES)) && break
    if (($(date +%s) > DEADLINE)); then
        echo "fanout: only $got of $INBOXES inboxes reached after $((TARGET_DRAIN_S * 3)) s" >&2
        break
    fi
    sleep 0.2
done
sleep 1 # anything sent twice would arrive now
STATS=$(count_json)
HWM=$(hwm_kb)
FAILED=$(python3 - "$DATA/shelfraiser.db" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], timeout=30)
print(con.execute("SELECT COUNT(*) FROM jobs WHERE kind = 'deliver' AND done_at IS NULL").fetchone()[0])
PY
)

read -r COUNT PATHS DRAIN RATE < <(python3 - "$T0" "$STATS" <<'PY'
import json, sys
t0, s = float(sys.argv[1]), json.loads(sys.argv[2])
first, last = s["first"] or t0, s["last"] or t0
drain = last - t0
rate = s["count"] / max(last - first, 1e-3)
print(s["count"], s["paths"], f"{drain:.2f}", f"{rate:.0f}")
PY
)

verdict=PASS
[[ "$COUNT" == "$INBOXES" && "$PATHS" == "$INBOXES" ]] || verdict=FAIL
python3 -c "import sys; sys.exit(0 if float('$DRAIN') <= $TARGET_DRAIN_S else 1)" || verdict=FAIL
[[ "$FAILED" == 0 ]] || verdict=FAIL

echo
echo "| followers | shared inboxes | deliveries (distinct) | drain s (target ≤ $TARGET_DRAIN_S) | deliveries/s | jobs not done | RSS before kB | peak RSS kB | verdict |"
echo "|---|---|---|---|---|---|---|---|---|"
row="| $FOLLOWERS | $INBOXES | $COUNT ($PATHS) | $DRAIN | $RATE | $FAILED | $RSS_BEFORE | $HWM | $verdict |"
echo "$row"
mkdir -p "$ROOT/bench/out"
echo "$(date -u +%Y-%m-%dT%H:%MZ) $(sr_git_rev "$ROOT") smoke=$SMOKE $row" >>"$ROOT/bench/out/fanout.md"
[[ "$verdict" == PASS ]] || exit 1
