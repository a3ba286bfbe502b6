#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Blog benchmark: a generated WordPress export (10,000 posts, 100,000 comments) imported with
# `shelfraiser import wordpress`, then the blog home, a post and two archives under wrk.
#
#   bench/blog.sh              # POSTS=10000 COMMENTS=100000, DURATION=10 s per page
#   SMOKE=1 bench/blog.sh      # POSTS=200 COMMENTS=2000, DURATION=2: checks the bench works
#   BIG_MB=500 bench/blog.sh   # also import a ~500 MB export and report its peak memory
#
# Environment: POSTS, COMMENTS, DURATION, CONNECTIONS (64), THREADS (2), BIG_MB, KEEP_TMP=1,
# SHELFRAISER_BIN (use this prebuilt binary instead of building target/release).
#
# Steps:
#  1. cargo build --release (unless SHELFRAISER_BIN)
#  2. python3 writes a WXR 1.2 file: 12 categories, 40 tags, POSTS posts with Gutenberg blocks,
#     a <!--more-->, a [caption] and a link to the previous post, COMMENTS comments (threaded)
#  3. `import wordpress --stats` under /usr/bin/time -v: wall time and max RSS
#  4. serve; wrk -c64 --latency on /blog/, one post, /category/news/ and a month archive
#  5. `backup --to` while it serves, `restore` into a fresh folder, `move-to` an empty
#     PostgreSQL (a throwaway cluster, when its server binaries are installed): times, size
#  6. table with targets and PASS/FAIL; a row appended to bench/out/blog.md
#
# Targets: import < 60 s; p99 <= 20 ms on every page.
# Errors: wrk's socket errors and timeouts (--timeout 2s), and every answer that was not 2xx
# (counted by the app's /metrics, since wrk takes 3xx for success); a page with no completed
# request has no p99 and is recorded as -1.
#
# Exit status: 0 on PASS (and under SMOKE=1 when only a p99 or import target was missed);
# 1 on a missed target, and always (SMOKE=1 too) on errors or a page with no completed
# request; other values are errors of the bench itself.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

SMOKE=${SMOKE:-0}
if [[ "$SMOKE" == 1 ]]; then
    POSTS=${POSTS:-200}
    COMMENTS=${COMMENTS:-2000}
    DURATION=${DURATION:-2}
else
    POSTS=${POSTS:-10000}
    COMMENTS=${COMMENTS:-100000}
    DURATION=${DURATION:-10}
fi
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
BIG_MB=${BIG_MB:-0}
TARGET_IMPORT_S=60
TARGET_P99_MS=20

for tool in curl wrk python3; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "blog: '$tool' not found (apt-get install curl wrk python3)" >&2
        exit 2
    }
done

APP_PID=""
sr_scratch shelfraiser-bench-blog APP_PID

sr_app_binary release "$ROOT"

# gen_wxr FILE POSTS COMMENTS BODY_BYTES: writes the export; prints a sample post path.
gen_wxr() {
    python3 - "$@" <<'PY'
import datetime, random, sys
path, posts, comments, body_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(42)
site = "https://bench-blog.example"
words = ("library shelf book reader village roof window lamp story volunteer donation "
         "goal page chapter paper ink map school teacher child evening morning").split()
cats = ["news", "events", "books", "volunteers", "building", "donors", "school", "stories",
        "reports", "travel", "press", "thanks"]
tags = [f"tag-{i}" for i in range(40)]
start = datetime.datetime(2015, 1, 1, 8, 0, 0)
per_post = comments // posts if posts else 0
extra = comments - per_post * posts
def para():
    return " ".join(rnd.choice(words) for _ in range(40)).capitalize() + "."
with open(path, "w", encoding="utf-8") as f:
    w = f.write
    w('<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
      'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
      'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
      'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n')
    w(f"<title>Bench blog</title><link>{site}</link><wp:wxr_version>1.2</wp:wxr_version>"
      f"<wp:base_site_url>{site}</wp:base_site_url><wp:base_blog_url>{site}</wp:base_blog_url>\n")
    w("<wp:author><wp:author_id>1</wp:author_id><wp:author_login>bench</wp:author_login>"
      "<wp:author_email>bench@bench-blog.example</wp:author_email>"
      "<wp:author_display_name><![CDATA[Bench Writer]]></wp:author_display_name></wp:author>\n")
    for i, c in enumerate(cats):
        parent = "news" if i in (1, 2) else ""
        for _ in range(2):  # written twice, as full exports do
            w(f"<wp:category><wp:category_nicename>{c}</wp:category_nicename>"
              f"<wp:category_parent>{parent}</wp:category_parent><wp:cat_name><![CDATA[{c.title()}]]></wp:cat_name></wp:category>\n")
    for t in tags:
        w(f"<wp:tag><wp:tag_slug>{t}</wp:tag_slug><wp:tag_name><![CDATA[{t}]]></wp:tag_name></wp:tag>\n")
    cid = 0
    sample = None
    for p in range(1, posts + 1):
        when = start + datetime.timedelta(hours=7 * p)
        slug = f"post-{p}"
        link = f"{site}/{when:%Y/%m/%d}/{slug}/"
        if sample is None:
            sample = f"/{when:%Y/%m/%d}/{slug}/"
        body = [f"<!-- wp:paragraph -->\n<p>{para()}</p>\n<!-- /wp:paragraph -->", "<!--more-->"]
        if p > 1:
            body.append(f'<p>Earlier: <a href="{site}/?p={p - 1}">the previous post</a>.</p>')
        body.append('[caption id="attachment_1" width="300"]<img src="https://cdn.example/x.jpg" alt="" /> A shelf[/caption]')
        size = sum(len(b) for b in body)
        while size < body_bytes:
            b = f"<!-- wp:paragraph -->\n<p>{para()}</p>\n<!-- /wp:paragraph -->"
            body.append(b)
            size += len(b)
        content = "\n\n".join(body)
        w(f"<item><title>Post number {p}</title><link>{link}</link><dc:creator>bench</dc:creator>"
          f"<guid isPermaLink=\"false\">{site}/?p={p}</guid>"
          f"<content:encoded><![CDATA[{content}]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>"
          f"<wp:post_id>{p}</wp:post_id><wp:post_date>{when:%Y-%m-%d %H:%M:%S}</wp:post_date>"
          f"<wp:post_date_gmt>{when:%Y-%m-%d %H:%M:%S}</wp:post_date_gmt><wp:comment_status>open</wp:comment_status>"
          f"<wp:post_name>{slug}</wp:post_name><wp:status>publish</wp:status><wp:post_parent>0</wp:post_parent>"
          f"<wp:post_type>post</wp:post_type><wp:post_password></wp:post_password><wp:is_sticky>{1 if p == posts else 0}</wp:is_sticky>")
        c1 = cats[p % len(cats)]
        w(f'<category domain="category" nicename="{c1}"><![CDATA[{c1.title()}]]></category>')
        if p % 3 == 0:
            w('<category domain="category" nicename="news"><![CDATA[News]]></category>')
        for t in (tags[p % 40], tags[(p * 7) % 40]):
            w(f'<category domain="post_tag" nicename="{t}"><![CDATA[{t}]]></category>')
        n = per_post + (1 if p <= extra else 0)
        first = None
        for k in range(n):
            cid += 1
            parent = first if (k % 3 == 2 and first) else 0
            if k == 0:
                first = cid
            cw = when + datetime.timedelta(minutes=5 * (k + 1))
            w(f"<wp:comment><wp:comment_id>{cid}</wp:comment_id><wp:comment_author><![CDATA[Reader {cid % 997}]]></wp:comment_author>"
              f"<wp:comment_author_email>reader{cid % 997}@readers.example</wp:comment_author_email>"
              f"<wp:comment_date_gmt>{cw:%Y-%m-%d %H:%M:%S}</wp:comment_date_gmt>"
              f"<wp:comment_content><![CDATA[{para()}]]></wp:comment_content>"
              f"<wp:comment_approved>{'1' if k % 10 else '0'}</wp:comment_approved><wp:comment_type>{'pingback' if k == 9 else 'comment'}</wp:comment_type>"
              f"<wp:comment_parent>{parent}</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id></wp:comment>")
        w("</item>\n")
    w("</channel>\n</rss>\n")
print(sample)
PY
}

# import_wxr NAME FILE: imports into a fresh data dir; sets IMPORT_S and IMPORT_RSS_KB.
import_wxr() {
    local name=$1 file=$2 out="$TMP/import-$1.txt"
    local -a timer=()
    [[ -x /usr/bin/time ]] && timer=(/usr/bin/time -v)
    local t0 t1
    t0=$(date +%s.%N)
    "${timer[@]}" "$BIN" --data-dir "$TMP/data-$name" import wordpress "$file" --stats >"$out" 2>&1 || {
        echo "blog: the import of $file failed:" >&2
        tail -n 30 "$out" >&2
        exit 2
    }
    t1=$(date +%s.%N)
    IMPORT_S=$(python3 -c "print(f'{$t1 - $t0:.2f}')")
    IMPORT_RSS_KB=$(awk -F': *' '/Maximum resident set size/ {print $2}' "$out")
    if [[ -z "$IMPORT_RSS_KB" ]]; then
        IMPORT_RSS_KB=$(awk '/peak memory \(VmHWM\)/ {print $(NF-1)}' "$out")
    fi
    grep -E '^(articles|comments|pingbacks|redirects|categories|tags) ' "$out" | sed 's/^/  /'
}

echo "== generate export: $POSTS posts, $COMMENTS comments"
SAMPLE_POST=$(gen_wxr "$TMP/blog.xml" "$POSTS" "$COMMENTS" 1200)
XML_MB=$(python3 -c "import os; print(f'{os.path.getsize(\"$TMP/blog.xml\") / 1e6:.1f}')")
echo "  $TMP/blog.xml: $XML_MB MB"

echo "== import"
import_wxr main "$TMP/blog.xml"
MAIN_IMPORT_S=$IMPORT_S
MAIN_RSS_KB=$IMPORT_RSS_KB
echo "  import: $MAIN_IMPORT_S s, max RSS ${MAIN_RSS_KB:-?} kB"

BIG_NOTE="-"
if [[ "$BIG_MB" != 0 ]]; then
    big_posts=2000
    big_body=$((BIG_MB * 1000000 / big_posts))
    echo "== generate a ~${BIG_MB} MB export ($big_posts posts of ~$((big_body / 1000)) kB)"
    gen_wxr "$TMP/big.xml" "$big_posts" 20000 "$big_body" >/dev/null
    big_size=$(python3 -c "import os; print(f'{os.path.getsize(\"$TMP/big.xml\") / 1e6:.0f}')")
    import_wxr big "$TMP/big.xml"
    BIG_NOTE="${big_size} MB in ${IMPORT_S} s, max RSS ${IMPORT_RSS_KB:-?} kB"
    echo "  $BIG_NOTE"
    rm -f "$TMP/big.xml"
    rm -rf "$TMP/data-big"
fi

echo "== serve"
sr_start_app "$TMP/app.log" "$BIN" serve --data-dir "$TMP/data-main" --listen 127.0.0.1:0
MONTH=$(echo "$SAMPLE_POST" | cut -d/ -f2-3)
declare -A PAGES=(
    [home]="/blog/"
    [post]="$SAMPLE_POST"
    [category]="/category/news/"
    [month]="/$MONTH/"
)
for name in home post category month; do
    url="$APP_URL${PAGES[$name]}"
    status=$(curl -sS --noproxy '*' -o /dev/null -w '%{http_code}' "$url")
    if [[ "$status" != 200 ]]; then
        echo "blog: GET $url answered $status" >&2
        exit 2
    fi
done

: >"$TMP/results"
# The app's responses by status class (its /metrics), to count what wrk does not: wrk takes
# any 3xx as a success, and a run in which every request timed out has no latencies at all.
non_2xx_so_far() {
    { curl -sS --noproxy '*' "$APP_URL/metrics" || true; } |
        awk '/^shelfraiser_http_requests_total\{class="(1|3|4|5)xx"\}/ {n += $2} END {print n + 0}'
}
# run_wrk NAME URL: one page under wrk; appends "name req/s p99-ms errors requests" to results.
# Errors are wrk's socket errors (connect, read, write, timeout) and every answer that was
# not 2xx; a run that completed no request has no p99 (recorded as -1) and fails.
run_wrk() {
    local name=$1 url=$2 out="$TMP/wrk-$1.txt" before after
    before=$(non_2xx_so_far)
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 2s --latency -H 'Accept-Encoding: gzip' "$url" >"$out" || true
    after=$(non_2xx_so_far)
    python3 - "$name" "$out" "$((after - before))" >>"$TMP/results" <<'PY'
import re, sys
name, path, non2xx = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(path).read()
m = re.search(r"(\d+) requests in", text)
requests = int(m.group(1)) if m else 0
m = re.search(r"Requests/sec:\s*([\d.]+)", text)
rps = float(m.group(1)) if m else 0.0
m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)] if m else -1.0
if requests == 0 or p99 <= 0:
    p99 = -1.0
errors = non2xx
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
if m:
    errors += sum(int(g) for g in m.groups())
m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
if m and int(m.group(1)) > non2xx:  # the app's count includes these; never count twice
    errors += int(m.group(1)) - non2xx
print(f"{name} {rps:.1f} {p99:.3f} {errors} {requests}")
PY
    tail -n 1 "$TMP/results" | awk '{printf "  %-9s %10.1f req/s   p99 %8.3f ms   errors %s (of %s requests)\n", $1, $2, $3, $4, $5}'
}
echo "== wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s"
for name in home post category month; do
    run_wrk "$name" "$APP_URL${PAGES[$name]}"
done

# The backups' figures on this site (issue 16): the archive written while the server serves,
# restored into a fresh SQLite folder, and the site moved to an empty PostgreSQL (a throwaway
# cluster; skipped without PostgreSQL's server binaries). No targets: figures for the docs.
PG_DIR=""
sr_more_cleanup() {
    [[ -n "$PG_DIR" ]] && bash "$ROOT/scripts/pg-cluster.sh" stop "$PG_DIR" >/dev/null 2>&1
    return 0
}
# timed OUT CMD...: runs CMD (its output to OUT), prints its wall time in seconds.
timed() {
    local out=$1 t0 t1
    shift
    t0=$(date +%s.%N)
    "$@" >"$out" 2>&1 || {
        echo "blog: $* failed:" >&2
        tail -n 20 "$out" >&2
        exit 2
    }
    t1=$(date +%s.%N)
    python3 -c "print(f'{$t1 - $t0:.2f}')"
}
echo "== backup (while serving), restore, move-to"
BACKUP_S=$(timed "$TMP/backup.txt" "$BIN" --data-dir "$TMP/data-main" backup --to "$TMP/site.tar.gz")
ARCHIVE_MB=$(python3 -c "import os; print(f'{os.path.getsize(\"$TMP/site.tar.gz\") / 1e6:.1f}')")
RESTORE_S=$(timed "$TMP/restore.txt" "$BIN" --data-dir "$TMP/data-restored" restore "$TMP/site.tar.gz")
grep -q "ledger ok" "$TMP/restore.txt" || {
    echo "blog: the restored site's ledger check did not pass:" >&2
    cat "$TMP/restore.txt" >&2
    exit 2
}
BACKUP_NOTE="$BACKUP_S s, $ARCHIVE_MB MB archive"
RESTORE_NOTE="$RESTORE_S s into SQLite (ledger ok)"
MOVE_NOTE="- (no PostgreSQL server binaries)"
PG_DIR=$(mktemp -d /tmp/shelfraiser-bench-blog-pg.XXXXXX)
chmod 0755 "$PG_DIR"
if PG_URL=$(bash "$ROOT/scripts/pg-cluster.sh" start "$PG_DIR" 2>"$TMP/pg.err"); then
    MOVE_S=$(timed "$TMP/move.txt" "$BIN" --data-dir "$TMP/data-main" move-to "$PG_URL")
    MOVE_NOTE="$MOVE_S s into PostgreSQL (counts and ledger checked)"
else
    PG_DIR=""
fi
echo "  backup $BACKUP_NOTE; restore $RESTORE_NOTE; move-to $MOVE_NOTE"

read -r VERDICT REASONS _ ERRORS BROKEN < <(
    python3 - "$TMP/results" "$MAIN_IMPORT_S" "$TARGET_IMPORT_S" "$TARGET_P99_MS" <<'PY'
import sys
path, imp, t_imp, t_p99 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
rows = [l.split() for l in open(path) if l.strip()]
worst = max(float(r[2]) for r in rows)
errors = sum(int(r[3]) for r in rows)
why = []
# Errors or a page with no completed request mean the figures are not to be believed:
# that fails the bench even under SMOKE=1.
broken = [r[0] for r in rows if int(r[3]) or int(r[4]) == 0 or float(r[2]) < 0]
if imp >= t_imp: why.append(f"import>={t_imp:g}s")
for r in rows:
    if float(r[2]) < 0: why.append(f"{r[0]}-no-requests-completed")
    elif float(r[2]) > t_p99: why.append(f"{r[0]}-p99>{t_p99:g}ms")
if errors: why.append("errors")
print(f"{'FAIL' if why else 'PASS'} {','.join(why) or '-'} {worst:.3f} {errors} {1 if broken else 0}")
PY
)
[[ "$REASONS" == - ]] && REASONS=""

echo
echo "Blog — $POSTS posts, $COMMENTS comments ($XML_MB MB export)"
printf '  %-26s %s\n' "import" "$MAIN_IMPORT_S s (target < $TARGET_IMPORT_S s)"
printf '  %-26s %s\n' "import max RSS" "${MAIN_RSS_KB:-?} kB"
[[ "$BIG_NOTE" != - ]] && printf '  %-26s %s\n' "large export" "$BIG_NOTE"
printf '  %-26s %s\n' "backup" "$BACKUP_NOTE"
printf '  %-26s %s\n' "restore" "$RESTORE_NOTE"
printf '  %-26s %s\n' "move-to" "$MOVE_NOTE"
while read -r name rps p99 errors requests; do
    printf '  %-26s %s\n' "$name ${PAGES[$name]}" "$rps req/s, p99 $p99 ms (target <= $TARGET_P99_MS ms, $requests requests), errors $errors"
done <"$TMP/results"
printf '  %-26s %s\n' "verdict" "$VERDICT${REASONS:+ ($REASONS)}"

OUT="$ROOT/bench/out/blog.md"
mkdir -p "$(dirname "$OUT")"
if [[ ! -s "$OUT" ]]; then
    cat >"$OUT" <<'EOF2'
# Blog benchmark (bench/blog.sh)

Targets: import of the generated export < 60 s; p99 <= 20 ms for every page (wrk, 64 connections).

| date (UTC) | commit | mode | posts | comments | export MB | import s | import max RSS kB | home req/s, p99 ms | post | category | month | large export | errors | verdict |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
EOF2
fi
cell() { awk -v n="$1" '$1 == n {printf "%s, %s", $2, $3}' "$TMP/results"; }
mode=full
[[ "$SMOKE" == 1 ]] && mode=smoke
printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$(sr_git_rev "$ROOT")" "$mode" "$POSTS" "$COMMENTS" "$XML_MB" \
    "$MAIN_IMPORT_S" "${MAIN_RSS_KB:-?}" "$(cell home)" "$(cell post)" "$(cell category)" \
    "$(cell month)" "$BIG_NOTE" "$ERRORS" "$VERDICT${REASONS:+ ($REASONS)}" >>"$OUT"
echo "row appended to ${OUT#"$ROOT"/}"

if [[ "$BROKEN" == 1 ]]; then
    echo "blog: errors, timeouts or non-2xx answers under load (see above): FAIL" >&2
    exit 1
fi
if [[ "$VERDICT" != PASS && "$SMOKE" != 1 ]]; then
    exit 1
fi
exit 0
