#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Password-hashing abuse: many wrong passwords at once against a running server.

    bench/abuse-hash.py BASE_URL EMAIL PATH PARALLELISM [options]

    bench/abuse-hash.py http://127.0.0.1:8080 ana@example.org /signin 64
    bench/abuse-hash.py http://127.0.0.1:8080 - /2024/02/02/minutes/ 512 --pid 1234

PATH "/signin" posts the sign-in form (email=EMAIL, a wrong password; "{i}" in EMAIL becomes
the thread's number, for one account per thread); any other PATH is a
password-protected post and posts its password form (EMAIL is ignored, "-" is fine). Each of
PARALLELISM threads takes the form's CSRF token once and posts; all start together.

Options:
  --duration S      keep every thread posting for S seconds (default: one request each)
  --spoof-ip        send X-Forwarded-For 10.77.x.y, a different address per thread (only
                    believed by a server whose trusted_proxies covers this client)
  --pid PID         read VmRSS/VmHWM of that process before, at the peak (sampled every
                    50 ms) and --settle seconds after the burst
  --settle S        seconds to wait before the last memory reading (default 30)
  --timeout S       per-request timeout (default 60)

Prints one JSON object: counts per status code ("error" for no answer), durations (ms:
min, p50, p90, p99, max) overall and per status, the wall time, and the memory readings
(kB) when --pid was given. Talks only to BASE_URL (use a loopback address). Standard
library only.
"""

import argparse
import http.client
import json
import re
import threading
import time
import urllib.parse


def status_kb(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    k, v = line.split(":", 1)
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def connection(base):
    u = urllib.parse.urlsplit(base)
    cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
    return cls(u.hostname, u.port or (443 if u.scheme == "https" else 80), timeout=60)


def csrf_of(base, path, headers):
    c = connection(base)
    c.request("GET", path, headers=headers)
    r = c.getresponse()
    body = r.read().decode("utf-8", "replace")
    c.close()
    m = re.search(r'name="csrf" value="([^"]+)"', body)
    if not m:
        raise SystemExit(f"no CSRF token on {path} (status {r.status})")
    return m.group(1)


def pct(sorted_ms, p):
    if not sorted_ms:
        return None
    i = min(len(sorted_ms) - 1, max(0, int(round(p / 100 * len(sorted_ms) + 0.5)) - 1))
    return round(sorted_ms[i], 1)


def summary(ms):
    s = sorted(ms)
    return {
        "n": len(s),
        "min": round(s[0], 1) if s else None,
        "p50": pct(s, 50),
        "p90": pct(s, 90),
        "p99": pct(s, 99),
        "max": round(s[-1], 1) if s else None,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base")
    ap.add_argument("email")
    ap.add_argument("path")
    ap.add_argument("parallelism", type=int)
    ap.add_argument("--duration", type=float, default=0)
    ap.add_argument("--spoof-ip", action="store_true")
    ap.add_argument("--pid", type=int)
    ap.add_argument("--settle", type=float, default=30)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    base = a.base.rstrip("/")
    signin = a.path.rstrip("/") == "/signin"

    results = []  # (status or "error", ms)
    lock = threading.Lock()
    start = threading.Barrier(a.parallelism + 1)

    def worker(i):
        headers = {}
        if a.spoof_ip:
            headers["X-Forwarded-For"] = f"10.77.{i // 250}.{i % 250 + 1}"
        try:
            token = csrf_of(base, "/signin" if signin else a.path, headers)
        except Exception:  # noqa: BLE001 - counted as an error below
            token = ""
        start.wait()
        deadline = time.monotonic() + a.duration
        n = 0
        while True:
            n += 1
            if signin:
                fields = {"email": a.email.replace("{i}", str(i)), "password": f"wrong guess {i}-{n}", "csrf": token}
            else:
                fields = {"password": f"{(i * 7919 + n) % 10000:04d}", "csrf": token}
            body = urllib.parse.urlencode(fields)
            h = dict(headers)
            h["Content-Type"] = "application/x-www-form-urlencoded"
            t0 = time.monotonic()
            try:
                c = connection(base)
                c.timeout = a.timeout
                c.request("POST", a.path, body=body, headers=h)
                r = c.getresponse()
                r.read()
                status = r.status
                c.close()
            except Exception:  # noqa: BLE001 - any failure to get an answer
                status = "error"
            ms = (time.monotonic() - t0) * 1000
            with lock:
                results.append((status, ms))
            if time.monotonic() >= deadline:
                break

    mem = {}
    if a.pid:
        mem["before"] = status_kb(a.pid)
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(a.parallelism)]
    for t in threads:
        t.start()
    peak = {"VmRSS": 0, "VmHWM": 0}
    done = threading.Event()

    def sampler():
        while not done.is_set():
            s = status_kb(a.pid)
            for k in peak:
                peak[k] = max(peak[k], s.get(k, 0))
            time.sleep(0.05)

    if a.pid:
        threading.Thread(target=sampler, daemon=True).start()
    start.wait()
    t0 = time.monotonic()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    done.set()
    if a.pid:
        mem["peak"] = peak
        mem["after_burst"] = status_kb(a.pid)
        time.sleep(a.settle)
        mem[f"after_{int(a.settle)}s"] = status_kb(a.pid)

    counts = {}
    per = {}
    for status, ms in results:
        counts[str(status)] = counts.get(str(status), 0) + 1
        per.setdefault(str(status), []).append(ms)
    out = {
        "base": base,
        "path": a.path,
        "parallelism": a.parallelism,
        "duration_s": a.duration,
        "requests": len(results),
        "wall_s": round(wall, 3),
        "status": dict(sorted(counts.items())),
        "ms": summary([ms for _, ms in results]),
        "ms_by_status": {k: summary(v) for k, v in sorted(per.items())},
    }
    if a.pid:
        out["memory_kb"] = mem
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
