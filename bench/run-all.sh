#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Runs every benchmark and writes bench/RESULTS.md: the machine, the date, each figure with its
# target and verdict.
#
#   bench/run-all.sh            # full runs (about 3 minutes of load after the release build)
#   SMOKE=1 bench/run-all.sh    # tiny runs (passed through to each bench): checks they still work
#
# Runs bench/campaign-page.sh, bench/donations.sh, bench/live-streams.sh, bench/cluster.sh,
# bench/blog.sh, bench/abuse.sh and bench/fanout.sh (each also appends its rows to bench/out/*.md)
# on one shared release build, then writes bench/RESULTS.md (or $RESULTS). SHELFRAISER_BIN /
# DONATION_LOAD_BIN / LIVE_STREAMS_BIN and every other variable of the benches pass through.
# BENCHES="live-streams cluster" runs only those (RESULTS.md then has only their figures).
#
# Exit status: 0 if every bench passed (under SMOKE=1: if all ran), 1 otherwise. RESULTS.md is
# written either way, with what the benches printed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

SMOKE=${SMOKE:-0}
export SMOKE
RESULTS=${RESULTS:-$ROOT/bench/RESULTS.md}

TMP=$(mktemp -d /tmp/shelfraiser-bench-all.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

PREBUILT=""
[[ -n "${SHELFRAISER_BIN:-}" ]] && PREBUILT=1
if [[ -z "${SHELFRAISER_BIN:-}" || -z "${DONATION_LOAD_BIN:-}" || -z "${LIVE_STREAMS_BIN:-}" ]]; then
    echo "== build (release: server and clients, shared by every bench)"
    sr_build_release "$ROOT"
    export SHELFRAISER_BIN=${SHELFRAISER_BIN:-$ROOT/target/release/shelfraiser}
    export DONATION_LOAD_BIN=${DONATION_LOAD_BIN:-$ROOT/target/release/examples/donation_load}
    export LIVE_STREAMS_BIN=${LIVE_STREAMS_BIN:-$ROOT/target/release/examples/live_streams}
fi
BENCHES=${BENCHES:-campaign-page donations live-streams cluster blog abuse fanout}

started=$(date -u +%Y-%m-%dT%H:%MZ)
# The machine may be shared: its load before and after the runs goes into the results.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
failed=()
for bench in $BENCHES; do
    echo
    if [[ "$SMOKE" == 1 ]]; then echo "--- bench/$bench.sh (SMOKE=1)"; else echo "--- bench/$bench.sh"; fi
    set +e
    bash "bench/$bench.sh" 2>&1 | tee "$TMP/$bench.log"
    rc=${PIPESTATUS[0]}
    set -e
    echo "$rc" >"$TMP/$bench.rc"
    ((rc == 0)) || failed+=("$bench")
done

# ---- bench/RESULTS.md ----------------------------------------------------------------------
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
kernel=$(uname -r)
rev=$(sr_git_rev "$ROOT")
# A binary given by the caller may come from another tree than the one checked out.
[[ -n "${PREBUILT:-}" ]] && rev="$rev (checked out; the binaries were given prebuilt)"
binary_note="release build"
[[ "$SHELFRAISER_BIN" == */debug/* ]] && binary_note="debug build"
binary_note="$binary_note, built $(date -u -r "$SHELFRAISER_BIN" +%Y-%m-%dT%H:%MZ 2>/dev/null || echo '?')"

python3 - "$TMP" "$RESULTS" <<PY
import os, re, sys
tmp, out = sys.argv[1], sys.argv[2]
smoke = "$SMOKE" == "1"
meta = {
    "date": "$started",
    "commit": "$rev",
    "nproc": "$(nproc)",
    "mem": "$mem",
    "cpu": """$cpu""".strip() or "unknown",
    "kernel": "$kernel",
    "binary": "$binary_note",
    "load": "$load_before before, $load_after after",
}

def read(name):
    p = os.path.join(tmp, name)
    return open(p).read() if os.path.exists(p) else ""

rows = []  # (figure, value, target, verdict)

# campaign page: the "  label   value" summary lines.
page = read("campaign-page.log")
page_rc = read("campaign-page.rc").strip()
kv = {}
for line in page.splitlines():
    m = re.match(r"^  (page HTML|app gzip response|nginx \.gz \(gzip -9\)|app req/s|nginx req/s|"
                 r"ratio app/nginx|app p50 / p99 / max|nginx p50 / p99 / max|donations during app runs|"
                 r"campaign page renders|errors \(non-2xx, socket\)|verdict)\s{2,}(.*)$", line)
    if m:
        kv[m.group(1)] = m.group(2).strip()
def num(s):
    m = re.match(r"[-\d.]+", s or "")
    return float(m.group(0)) if m else None
dur = re.search(r"best of (\d+) round\(s\) of (\d+)s", page)
page_setup = f"{dur.group(1)} round(s) x {dur.group(2)} s, wrk -t2 -c64" if dur else "?"
if kv:
    app_rps, ngx_rps = num(kv.get("app req/s")), num(kv.get("nginx req/s"))
    lat = lambda k: [num(x) for x in (kv.get(k) or "? / ? / ?").split(" ms")[0].split(" / ")]
    (p50, p99, pmax), (ngx_p50, ngx_p99, ngx_max) = lat("app p50 / p99 / max"), lat("nginx p50 / p99 / max")
    ratio, gz = num(kv.get("ratio app/nginx")), num(kv.get("app gzip response"))
    errs = num(kv.get("errors (non-2xx, socket)"))
    ok = lambda c: "PASS" if c else "FAIL"
    rows += [
        ("Campaign page: app req/s", f"{app_rps:,.0f}" if app_rps is not None else "?", "-", "-"),
        ("Campaign page: nginx req/s (same HTML, gzip_static)", f"{ngx_rps:,.0f}" if ngx_rps is not None else "?", "-", "-"),
        ("Campaign page: req/s ratio app/nginx", f"{ratio:.3f}" if ratio is not None else "?", ">= 0.8",
         ok(ratio is not None and ratio >= 0.8)),
        ("Campaign page: app p50 / p99 / max (crossing expiries, a donation a second)",
         f"{p50} / {p99} / {pmax} ms", "p99 <= 20 ms", ok(p99 is not None and p99 <= 20)),
        ("Campaign page: nginx p50 / p99 / max", f"{ngx_p50} / {ngx_p99} / {ngx_max} ms", "-",
         f"app/nginx p99 {p99 / ngx_p99:.2f}x" if p99 and ngx_p99 else "-"),
        ("Campaign page: donations during the app runs", kv.get("donations during app runs", "?"), "0 failed", "-"),
        ("Campaign page: renders (answered stale meanwhile)", kv.get("campaign page renders", "?"), "-", "-"),
        ("Campaign page: gzip'd response", f"{gz:,.0f} B" if gz is not None else "?", "<= 14,336 B",
         ok(gz is not None and gz <= 14336)),
        ("Campaign page: page HTML (uncompressed)", kv.get("page HTML", "?"), "-", "-"),
        ("Campaign page: errors (non-2xx, socket)", f"{errs:.0f}" if errs is not None else "?", "0",
         ok(errs == 0)),
    ]
elif "campaign-page" in "$BENCHES".split():
    rows.append(("Campaign page", "no result", "-", f"bench failed (exit {page_rc or '?'})"))

# donations: the summary table after "Donations through the test-provider callback".
don = read("donations.log")
don_rc = read("donations.rc").strip()
head = re.search(r"^Donations through the test-provider callback: (\d+) donations, (\d+) concurrent", don, re.M)
don_setup = f"{head.group(1)} donations, {head.group(2)} concurrent" if head else "?"
found = False
if head:
    for line in don[head.end():].splitlines():
        m = re.match(r"^\s+(sqlite|postgres)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", line)
        if not m:
            continue
        found = True
        name, rate, p50, p99, errors, verify = m.groups()
        label = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[name]
        good = errors == "0" and verify == "ok"
        try:
            rate_s = f"{float(rate):,.0f}"
        except ValueError:
            rate_s = rate
        rows.append((f"Donations/s, {label} (durable, signed callbacks)", rate_s,
                     "none set; 0 errors, ledger verifies",
                     ("PASS" if good else "FAIL") + f" ({errors} errors, ledger verify {verify})"))
        rows.append((f"Donation callback latency, {label}", f"p50 {p50} ms, p99 {p99} ms", "-", "-"))
if not found and "donations" in "$BENCHES".split():
    rows.append(("Donations", "no result", "-", f"bench failed (exit {don_rc or '?'})"))

# live streams: the "  label   value" summary lines after "Live streams /campaigns/...".
live = read("live-streams.log")
live_rc = read("live-streams.rc").strip()
lhead = re.search(r"^Live streams \S+ — (\d+) streams, (\d+) donations every (\d+) ms", live, re.M)
live_setup = f"{lhead.group(1)} streams, {lhead.group(2)} donations every {lhead.group(3)} ms, wrk -c16 on the page meanwhile" if lhead else "not run"
if lhead:
    lv = {}
    for line in live[lhead.end():].splitlines():
        m = re.match(r"^  (.+?)\s{2,}(.*)$", line)
        if m:
            lv[m.group(1).strip()] = m.group(2).strip()
    dl = lv.get("delivery p50 / p99 / max", "?")
    p99 = num(dl.split(" / ")[1]) if dl.count(" / ") >= 2 else None
    kb = num(lv.get("server memory per stream"))
    rows += [
        ("Live streams: held on one node", lv.get("streams held", "?"), "all", "-"),
        ("Live streams: delivery p50 / p99 / max (every stream x every donation)", dl.split(" (")[0],
         "p99 <= 1000 ms", "PASS" if p99 is not None and p99 <= 1000 else "FAIL"),
        ("Live streams: slowest stream per donation", lv.get("slowest stream per donation", "?"), "-", "-"),
        ("Live streams: server RSS before / held / peak", lv.get("server RSS before / held / peak", "?"), "-", "-"),
        ("Live streams: server memory per stream", lv.get("server memory per stream", "?").split(" (")[0],
         "<= 10 kB", "PASS" if kb is not None and kb <= 10 else "FAIL"),
        ("Live streams: campaign page meanwhile p50 / p99 / max", lv.get("page p50 / p99 / max (wrk -c16)", "?"), "-", "-"),
    ]
elif "live-streams" in "$BENCHES".split():
    rows.append(("Live streams", "no result", "-", f"bench failed (exit {live_rc or '?'})"))

# cluster: the "  label   value" summary lines after "Cluster: ...".
cl = read("cluster.log")
cl_rc = read("cluster.rc").strip()
chead = re.search(r"^Cluster: .*$", cl, re.M)
cluster_setup = chead.group(0)[len("Cluster: "):] if chead else "not run"
if chead:
    for line in cl[chead.end():].splitlines():
        m = re.match(r"^  (.+?)\s{2,}(.*)$", line)
        if not m:
            continue
        label, value = m.group(1).strip(), m.group(2).strip()
        if label == "verdict":
            rows.append(("Cluster: checks after killing a node", value, "PASS", value))
        else:
            rows.append((f"Cluster: {label}", value, "-", "-"))
    for line in cl[chead.end():].splitlines():
        if line.startswith("  FAILED: "):
            rows.append(("Cluster: failed check", line[len("  FAILED: "):], "-", "FAIL"))
elif "cluster" in "$BENCHES".split():
    rows.append(("Cluster", "no result", "-", f"bench failed (exit {cl_rc or '?'})"))

# blog: the "  label   value" summary lines after "Blog — N posts, M comments".
blog = read("blog.log")
blog_rc = read("blog.rc").strip()
bhead = re.search(r"^Blog — (\d+) posts, (\d+) comments \(([\d.]+) MB export\)", blog, re.M)
blog_setup = f"{bhead.group(1)} posts, {bhead.group(2)} comments ({bhead.group(3)} MB WXR), wrk -c64" if bhead else "?"
if bhead:
    for line in blog[bhead.end():].splitlines():
        m = re.match(r"^  (backup|restore|move-to)\s{2,}(.*)$", line)
        if m:
            label, value = m.groups()
            rows.append((f"Blog site: {label}", value, "-", "-"))
            continue
        m = re.match(r"^  (import|import max RSS|large export)\s{2,}(.*)$", line)
        if m:
            label, value = m.groups()
            if label == "import":
                secs = num(value)
                rows.append(("Blog: WordPress import", f"{secs:.2f} s" if secs is not None else "?",
                             "< 60 s", "PASS" if secs is not None and secs < 60 else "FAIL"))
            elif label == "import max RSS":
                rows.append(("Blog: import peak memory (max RSS)", value, "-", "-"))
            else:
                rows.append(("Blog: large export import", value, "-", "-"))
            continue
        m = re.match(r"^  (home|post|category|month) (\S+)\s+([\d.]+) req/s, p99 ([\d.]+) ms .*errors (\d+)$", line)
        if m:
            name, path, rps, p99, errs = m.groups()
            good = float(p99) <= 20 and errs == "0"
            rows.append((f"Blog {name} ({path}): req/s, p99", f"{float(rps):,.0f} req/s, p99 {float(p99):.2f} ms",
                         "p99 <= 20 ms, 0 errors", ("PASS" if good else "FAIL") + f" ({errs} errors)"))
elif "blog" in "$BENCHES".split():
    rows.append(("Blog", "no result", "-", f"bench failed (exit {blog_rc or '?'})"))

# fanout: its one table row.
fan = read("fanout.log")
fan_rc = read("fanout.rc").strip()
m = re.search(r"^\| (\d+) \| (\d+) \| (\d+) \((\d+)\) \| ([\d.]+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\w+) \|$", fan, re.M)
if m:
    fol, inb, got, distinct, drain, rate, left, rss0, hwm, verdict = m.groups()
    rows += [
        (f"Fan-out: one post to {int(fol):,} followers over {int(inb):,} shared inboxes",
         f"{int(got):,} deliveries ({int(distinct):,} inboxes), drained in {drain} s",
         "each inbox once, <= 60 s, 0 failed", f"{verdict} ({left} not done)"),
        ("Fan-out: deliveries/s (signed, through the job queue)", f"{int(rate):,}", "-", "-"),
        ("Fan-out: server memory (RSS before, peak)", f"{int(rss0):,} kB, {int(hwm):,} kB", "-", "-"),
    ]
elif "fanout" in "$BENCHES".split():
    rows.append(("Fan-out", "no result", "-", f"bench failed (exit {fan_rc or '?'})"))

mode = "SMOKE (tiny runs; figures mean nothing)" if smoke else "full"
lines = [
    "# Benchmark results",
    "",
    "Generated by \`bench/run-all.sh\`; do not edit by hand. Each bench also appends its rows to",
    "\`bench/out/*.md\` (not committed). Figures from one run on the machine below, which is shared",
    "with other work: treat them as indicative, not as a lab measurement.",
    "",
    "| | |",
    "| --- | --- |",
    f"| date (UTC) | {meta['date']} |",
    f"| commit | {meta['commit']} |",
    f"| mode | {mode} |",
    f"| binary | {meta['binary']} |",
    f"| CPU | {meta['cpu']} |",
    f"| cores (nproc) | {meta['nproc']} |",
    f"| memory | {meta['mem']} |",
    f"| kernel | {meta['kernel']} |",
    f"| load average (1, 5, 15 min) | {meta['load']} |",
    f"| campaign page run | {page_setup}; app and nginx alternate on the same cores |",
    f"| donations run | {don_setup} |",
    f"| blog run | {blog_setup} |",
    f"| live-streams run | {live_setup} |",
    f"| cluster run | {cluster_setup} |",
    "",
    "| figure | value | target | verdict |",
    "| --- | --- | --- | --- |",
]
lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
# The attacks of the security review (bench/abuse.sh): its summary table as printed.
abuse = read("abuse.log").splitlines()
head = next((i for i, l in enumerate(abuse) if l.startswith("abuse bench (")), None)
if head is not None:
    lines += ["", "Attacks (\`bench/abuse.sh\`): " + abuse[head], "", "\`\`\`"]
    for l in abuse[head + 1:]:
        if not l.strip() or l.startswith(("PASS", "FAIL")):
            break
        lines.append(l)
    verdict = [l for l in abuse[head + 1:] if l.startswith(("PASS", "FAIL"))]
    lines += ["\`\`\`"] + verdict
lines += [
    "",
    "Targets: campaign page req/s at least half of nginx serving the same HTML pre-compressed,",
    "app p99 at most 20 ms, and the gzip'd page within 14 KB (the first round trips of a new",
    "connection); see \`bench/campaign-page.sh\`. Donations have no throughput target: the bench",
    "fails on any request error or a ledger that does not verify (\`bench/donations.sh\`).",
    "Blog: import of the generated WordPress export under 60 s, p99 at most 20 ms on every page",
    "(\`bench/blog.sh\`). Live streams: every stream gets each donation's total within 1 s (p99),",
    "at most 10 kB of server memory per open stream (\`bench/live-streams.sh\`). Cluster: no",
    "throughput target; a confirmed donation is in the ledger exactly once, the ledger verifies,",
    "errors only around the kill, every stream catches up (\`bench/cluster.sh\`).",
    "",
]
# Hand-written comparisons (before/after a change) below the marker are kept across runs.
marker = "<!-- comparisons: kept by bench/run-all.sh -->"
kept = ""
if os.path.exists(out):
    old = open(out).read()
    if marker in old:
        kept = old[old.index(marker):]
text = "\n".join(lines)
if kept:
    text = text.rstrip("\n") + "\n\n" + kept
open(out, "w").write(text)
PY
echo
echo "wrote ${RESULTS#"$ROOT"/}"
cat "$RESULTS"

if ((${#failed[@]})); then
    if [[ "$SMOKE" == 1 ]]; then
        echo "bench: FAILED to run: ${failed[*]}" >&2
    else
        echo "bench: FAILED (missed target or error): ${failed[*]}" >&2
    fi
    exit 1
fi
echo "bench: all passed"
