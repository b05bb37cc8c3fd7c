#!/usr/bin/env python3
"""export_bench: what the HTTP results exports cost splitlined, end to end.

Starts Redis and splitlined with the whole of Boston 2015 (26,598 runners,
every read replayed at --speed 0), and, with --ref-server PATH, a second
splitlined (an older build, e.g. of main) the same way, as the reference
measured in the same run.  For each, --rounds times: a decision (a penalty)
changes the results, then one GET of the whole event's JSON (the request
that must encode it), while a second client asks /health every 10 ms; it
prints that request's time and the longest /health answer meanwhile (how
long the event loop could not answer anyone).  Then the same export again
(nothing changed), its gzip form and a 304, with sizes.  A benchmark prints
numbers; it asserts nothing.

    python3 scripts/bench/export_bench.py [--rounds 3] [--ref-server PATH]
        [--server PATH --ctl PATH --replay PATH]

Binaries default to build/release (scripts/run builds it).
"""

import asyncio
import os
import sys
import threading
import time
import http.client

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
from harness import log  # noqa: E402
from e2e_bench import default_release_bins  # noqa: E402
from test_export_http import fetch  # noqa: E402

PATH = "/api/results.json"


def extra_args(ap):
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ref-server", help="a reference splitlined (e.g. a build of main)")


def poll_health(srv, stop, lat):
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    while not stop.is_set():
        t0 = time.monotonic()
        c.request("GET", "/health")
        c.getresponse().read()
        lat.append((time.monotonic() - t0) * 1e3)
        time.sleep(0.01)
    c.close()


def timed(srv, headers=()):
    t0 = time.monotonic()
    st, hd, body = fetch(srv, PATH, headers)
    return (time.monotonic() - t0) * 1e3, st, hd, body


async def one(h, label, server_bin, rounds):
    redis = h.redis(f"redis-{label}")
    h.paths.server, saved = server_bin, h.paths.server
    srv = h.server(redis, f"server-{label}", extra=["--log-level", "debug"])
    h.paths.server = saved
    h.create_event(srv)
    h.import_boston(srv, h.paths.boston_csv)
    tok = h.issue_token(srv, "reader", f"replay-{label}")
    await h.run_replay(srv, h.paths.boston_csv, tok, f"replay-{label}", speed=0,
                       name=f"replay-{label}")
    await srv.wait_caught_up()
    official = h.issue_token(srv, "official")
    out = {"rounds": []}
    for i in range(rounds):
        h.ctl(srv, ["adjust", "3", "penalty", "--ms", str(1000 * (i + 1)), "--reason", "bench",
                    "--official", "bench"], token=official, admin=False)
        await srv.wait_caught_up()
        stop, lat = threading.Event(), []
        t = threading.Thread(target=poll_health, args=(srv, stop, lat))
        t.start()
        time.sleep(0.3)
        ms, st, hd, body = timed(srv)
        time.sleep(0.3)
        stop.set()
        t.join()
        out["rounds"].append((ms, max(lat), len(lat)))
        log(f"{label} round {i + 1}: {st}, {len(body)} bytes in {ms:.0f} ms; /health max "
            f"{max(lat):.0f} ms over {len(lat)} answers")
    out["again"], _, hd, body = timed(srv)
    out["plain"] = len(body)
    etag = hd.get("etag")
    out["gz_ms"], _, hz, gz = timed(srv, [("Accept-Encoding", "gzip")])
    out["gz"] = len(gz) if hz.get("content-encoding") == "gzip" else None
    if etag:
        out["304_ms"], st304, _, _ = timed(srv, [("If-None-Match", etag)])
        out["304"] = st304
    out["log"] = [ln for ln in srv.proc.log_text().splitlines() if "exports:" in ln][-rounds:]
    srv.stop()
    redis.stop()
    return out


def report(label, r):
    print(f"{label}:")
    for i, (ms, hmax, n) in enumerate(r["rounds"]):
        print(f"  after change {i + 1}: GET {PATH} {ms:7.0f} ms   /health longest {hmax:6.0f} ms "
              f"({n} answers)")
    print(f"  unchanged: plain {r['again']:.0f} ms, {r['plain']:,} bytes; gzip "
          + (f"{r['gz_ms']:.0f} ms, {r['gz']:,} bytes ({100 * r['gz'] / r['plain']:.1f}%)"
             if r["gz"] else "not served"))
    if "304" in r:
        print(f"  If-None-Match: {r['304']} in {r['304_ms']:.0f} ms")
    for ln in r["log"]:
        print(f"  server: {ln.strip()}")


async def main(h):
    ns = h.args
    log(f"server {h.paths.server}")
    res = [("splitlined", await one(h, "new", h.paths.server, ns.rounds))]
    if ns.ref_server:
        res.append((f"reference {ns.ref_server}", await one(h, "ref", ns.ref_server, ns.rounds)))
    print()
    print(f"Boston 2015 whole, {PATH} right after a change, /health polled every 10 ms:")
    for label, r in res:
        report(label, r)


if __name__ == "__main__":
    default_release_bins(sys.argv)
    harness.run("export_bench", main, extra_args)
