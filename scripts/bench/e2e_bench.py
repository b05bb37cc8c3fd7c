#!/usr/bin/env python3
"""e2e_bench: acknowledged passings per second, device to durable log to views.

For each batch size (1, 50, 500 reads per `passings` message) it starts a
fresh Redis (scripts/redis.conf: appendonly, fsync always) and splitlined,
imports a slice of Boston 2015 and lets splitline-replay send every read of
it at --speed 0.  It prints:
  acked/s     reads acknowledged per second (replay start to its last ack:
              WebSocket -> Lua append -> fsync -> ack)
  fold        seconds from the replay's start until /health's last_id reached
              the end of the log (the views had folded every record)
and, as a reference measured in the same run on the same kind of Redis,
redis-benchmark's XADD rate one at a time and pipelined, with a payload the
size of one read.  A benchmark prints numbers; it asserts nothing.

    python3 scripts/bench/e2e_bench.py [--runners 1000] [--batches 1,50,500]
        [--window W] [--server PATH --ctl PATH --replay PATH]

Binaries default to build/release (scripts/run builds it).
"""

import asyncio
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import boston  # noqa: E402
import harness  # noqa: E402
from harness import log  # noqa: E402


def release_bin(name, subs):
    for sub in subs:
        p = os.path.join(ROOT, "build", "release", sub, name)
        if os.access(p, os.X_OK):
            return p
    return None


def extra_args(ap):
    ap.add_argument("--runners", type=int, default=10000,
                    help="Boston runners to replay (about 11 reads each)")
    ap.add_argument("--runners-small", type=int, default=1000,
                    help="runners for batch sizes below 10 (one fsync per read is slow)")
    ap.add_argument("--batches", default="1,50,500")
    ap.add_argument("--window", type=int, default=None, help="replay --window")
    ap.add_argument("--ref-n", type=int, default=200000,
                    help="XADDs for the pipelined redis-benchmark reference")


def redis_benchmark(redis, n, clients, pipeline, payload):
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(redis.port), "-n", str(n),
            "-c", str(clients), "-P", str(pipeline), "-q",
            "XADD", "bench:{ref}:log", "*", "m", payload]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    m = re.findall(r"([\d.]+) requests per second", r.stdout.replace("\r", "\n"))
    return float(m[-1]) if m else None


async def one(h, sl, batch, window):
    reads = sum(r.reads for r in boston.load(sl))
    name = f"b{batch}"
    redis = h.redis(f"redis-{name}")
    srv = h.server(redis, f"server-{name}")
    h.create_event(srv)
    h.import_boston(srv, sl)
    dev = f"bench-{batch}"
    tok = h.issue_token(srv, "reader", dev)
    await srv.wait_caught_up()
    extra = ["--batch", str(batch)] + (["--window", str(window)] if window else [])
    t0 = time.monotonic()
    summary, _, _ = await h.run_replay(srv, sl, tok, dev, speed=0, extra=extra,
                                       name=f"replay-{name}")
    t_ack = time.monotonic() - t0
    health = await srv.wait_caught_up()
    t_fold = time.monotonic() - t0
    srv.stop()
    redis.stop()
    if summary["acked"] != reads:
        log(f"warning: batch {batch}: acked {summary['acked']} of {reads} reads")
    return {"batch": batch, "reads": summary["acked"], "t_ack": t_ack, "t_fold": t_fold,
            "records": health.get("records")}


async def main(h):
    ns = h.args
    batches = [int(x) for x in ns.batches.split(",") if x]
    big = boston.write_slice(h.paths.boston_csv, h.path("slice.csv"), ns.runners)
    small = boston.write_slice(h.paths.boston_csv, h.path("small.csv"),
                               min(ns.runners, ns.runners_small))
    log(f"server {h.paths.server}")
    results = []
    for b in batches:
        r = await one(h, small if b < 10 else big, b, ns.window)
        log(f"batch {b}: {r['reads']} acked in {r['t_ack']:.2f}s, folded at {r['t_fold']:.2f}s")
        results.append(r)

    # Reference: raw XADD on a Redis with the same config, same payload size.
    ref = h.redis("redis-ref")
    payload = "x" * 60  # about one msgpack read {chip, pt, t, kind}
    single = redis_benchmark(ref, 3000, 1, 1, payload)
    piped = redis_benchmark(ref, ns.ref_n, 1, 64, payload)
    many = redis_benchmark(ref, 20000, 50, 1, payload)
    many_piped = redis_benchmark(ref, ns.ref_n, 50, 64, payload)
    ref.stop()

    print()
    print("end-to-end, Boston 2015 reads at --speed 0 (fsync always):")
    print(f"  {'batch':>6} {'reads':>8} {'acked reads/s':>14} {'ack s':>8} {'fold s':>8} "
          f"{'records':>8}")
    for r in results:
        print(f"  {r['batch']:>6} {r['reads']:>8} {r['reads'] / r['t_ack']:>14.0f} "
              f"{r['t_ack']:>8.2f} {r['t_fold']:>8.2f} {str(r['records']):>8}")
    print("reference, redis-benchmark XADD of a 60-byte field on the same Redis config:")
    fmt = lambda v: f"{v:,.0f}/s" if v else "n/a"  # noqa: E731
    print(f"  one client, one at a time:     {fmt(single)}")
    print(f"  50 clients, one at a time:     {fmt(many)}")
    print(f"  one client, pipelined 64:      {fmt(piped)}")
    print(f"  50 clients, pipelined 64:      {fmt(many_piped)}")
    print("(a batch is one XADD: acked reads/s / batch size = appends/s, to compare)")


def default_release_bins(argv):
    """Without --server, the binaries of build/release (export_bench.py too)."""
    if "--server" not in argv:
        for flag, name, subs in (("--server", "splitlined", ["server"]),
                                 ("--ctl", "splitline", ["clients", "clients/ctl"]),
                                 ("--replay", "splitline-replay", ["clients", "clients/replay"])):
            p = release_bin(name, subs)
            if p and flag not in argv:
                argv += [flag, p]


if __name__ == "__main__":
    default_release_bins(sys.argv)
    harness.run("e2e_bench", main, extra_args)
