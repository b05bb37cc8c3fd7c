"""reader_faults: timing hardware through faults, nothing lost, nothing doubled.

Real Redis and splitlined with the Chicago 2023 event and a slice of
chicago-2023-mats.csv (chips A<bib> and B<bib>), two emulated mats, each
a splitline-emu decoder feeding its own splitline-reader:

    start   MYLAPS       (the decoder connects; messages acked after fsync)
    10K     RaceResult   (we connect; clock +1500 ms; gap fetch by number)

Twice in the race, once while the start mat is busy and once while the
10K mat is, one fault (--fault):

    reader-kill     the busy mat's reader SIGKILLed, restarted 1.5 s later
                    on the same journal
    link-cut        the busy mat's decoder cuts its TCP link (splitline-emu
                    SIGUSR1) and keeps it down 3 s; reads keep coming and
                    keep their passing numbers: the RaceResult reader must
                    fetch the gap by number, MYLAPS resends unacked ones
    server-restart  splitlined SIGKILLed, restarted 2 s later
    redis-restart   redis-server SIGKILLed, restarted 2 s later (AOF,
                    appendfsync always)

Asserts: every crossing the emulators report is in the export exactly as
the file says (start to the second, the 10K split to the second: as
test_chicago.py); each reader's status.json has acked == passings; the
Redis log holds every (dev, seq) exactly once (the reader probes one read
at a time after a reconnect so that no resent batch overlaps one appended
but never acked: clients/reader/fwd.c), seqs 1..passings without a
hole, and every (dev, chip) at most once (a runner crosses a mat once: a
read doubled through a restart would show here); the set of chips per mat
is the set of crossings of the file.  Logs the acked counts before and
after the fault.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import asyncio
import collections
import csv
import json
import os
import signal
import time

import harness
from harness import Proc, Server, check, free_port, log
from test_chicago import EVENT, PT, load, split_diffs

# mat, protocol, decoder clock skew, reader extra args, chip A miss rate
SETUP = [
    ("start", "mylaps", 0, [], 0.0),
    ("10K", "raceresult", 1500, [], 0.1),
]
FAULTS = ("reader-kill", "link-cut", "server-restart", "redis-restart")


def extra_args(ap):
    ap.add_argument("--emu", default=os.environ.get("SL_EMU_BIN"))
    ap.add_argument("--reader", default=os.environ.get("SL_READER_BIN"))
    ap.add_argument("--runners", type=int, default=150)
    ap.add_argument("--speed", type=float, default=60)
    ap.add_argument("--fault", choices=FAULTS, required=True)


def status(h, pt):
    try:
        with open(h.path(f"jrn-{pt}", "status.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


async def main(h):
    a = h.args
    emu = a.emu or harness._guess_bin("splitline-emu", ["clients/emu", "clients"])
    rdr = a.reader or harness._guess_bin("splitline-reader", ["clients/reader", "clients"])
    data = os.path.join(h.paths.data, "chicago-2023-mats.csv")
    yaml = os.path.join(h.paths.source, "scripts", "demo", "chicago-2023.yaml")
    runners = load(data, a.runners)
    log(f"{len(runners)} runners, speed {a.speed}x, fault {a.fault}")

    part = h.path("participants.csv")
    with open(part, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["bib", "chip", "chip2", "sex"])
        for bib, r in runners.items():
            w.writerow([bib, f"A{bib}", f"B{bib}", r["sex"]])

    redis = h.redis()
    srv = Server(h, redis, event=EVENT).start()
    h.create_event(srv, yaml)
    h.ctl(srv, ["participants", "import", part])

    # the crossings each mat must report: bib set per point
    want = {"start": {b for b, r in runners.items() if r["start"] is not None}}
    for mat, *_ in SETUP:
        if mat != "start":
            want[PT[mat]] = {b for b, r in runners.items()
                             if r["start"] is not None and r["net"][mat] is not None
                             and mat.lower() not in r["est"]}
    first = min(r["start"] for r in runners.values() if r["start"] is not None)
    last = max(r["start"] + r["net"][m] for r in runners.values() if r["start"] is not None
               for m, *_ in SETUP if m != "start" and r["net"][m] is not None)
    wall0 = int(time.time() * 1000) + 3000
    race0 = first * 1000 - 2000
    sim = f"{wall0}:{race0}:{a.speed}"

    readers, emus, rargv = {}, {}, {}
    for mat, proto, skew, rextra, miss in SETUP:
        pt = PT[mat]
        dev = f"reader-{pt}"
        tok = h.issue_token(srv, "reader", dev)
        port = free_port()
        argv = [rdr, "--protocol", proto, "--point", pt, "--device", dev,
                "--journal", h.path(f"jrn-{pt}"), "--server", srv.ws_url, "--event", EVENT,
                "--token", tok, "--date", "2023-10-08", "--utc-offset", "-05:00",
                "--sim-clock", sim, "--status-every", "0"] + rextra
        eargv = [emu, "--protocol", proto, "--mat", mat, "--data", data,
                 "--limit", a.runners, "--sim-clock", sim, "--skew-ms", skew,
                 "--miss", miss, "--seed", "7", "--down-ms", "3000"]
        if proto == "raceresult":
            eargv += ["--port", port]
            argv += ["--decoder", f"127.0.0.1:{port}"]
        else:
            eargv += ["--connect", f"127.0.0.1:{port}"]
            argv += ["--listen", f"127.0.0.1:{port}"]
        rargv[pt] = argv
        if proto == "raceresult":
            emus[pt] = Proc(h, f"emu-{pt}", eargv, stdout_file=h.path(f"emu-{pt}.out"))
            await asyncio.sleep(0.3)
            readers[pt] = Proc(h, f"reader-{pt}", argv)
        else:
            readers[pt] = Proc(h, f"reader-{pt}", argv)
            await asyncio.sleep(0.3)
            emus[pt] = Proc(h, f"emu-{pt}", eargv, stdout_file=h.path(f"emu-{pt}.out"))

    race_s = (last - first) / a.speed
    log(f"race {first}..{last}: about {race_s:.0f} s of wall time")

    # the fault: in the middle of the 10K mat's traffic (the start mat is
    # busy in the first seconds: the fault time is picked so both see it)
    k10 = sorted(r["start"] + r["net"]["10K"] for r in runners.values()
                 if r["start"] is not None and r["net"]["10K"] is not None)
    mid_race = k10[len(k10) // 3]
    fault_wall = wall0 / 1000 + (mid_race * 1000 - race0) / 1000 / a.speed
    # the start mat's reads come in the first few seconds: cut it then too
    start_wall = wall0 / 1000 + 2000 / 1000 / a.speed + \
        (sorted(r["start"] for r in runners.values() if r["start"] is not None)
         [len(want["start"]) // 2] - first) / a.speed
    before = {}

    async def at(t):
        d = t - time.time()
        if d > 0:
            await asyncio.sleep(d)

    async def fault(pts, when):
        await at(when)
        for pt in pts:
            before[pt] = status(h, pt).get("acked")
        log(f"fault {a.fault} on {pts}; acked before: {before}")
        if a.fault == "reader-kill":
            for pt in pts:
                p = readers[pt]
                check(p.alive(), f"{p.name} died before the fault:\n{p.log_text()[-2000:]}")
                p.kill()
            await asyncio.sleep(1.5)
            for pt in pts:
                readers[pt] = Proc(h, f"reader-{pt}", rargv[pt])
        elif a.fault == "link-cut":
            for pt in pts:
                emus[pt].signal(signal.SIGUSR1)
        elif a.fault == "server-restart":
            srv.kill()
            await asyncio.sleep(2)
            srv.start()
        elif a.fault == "redis-restart":
            redis.kill()
            await asyncio.sleep(2)
            redis.start()

    # once while the start mat is busy, once while the 10K mat is
    await fault(["start"], start_wall)
    await fault(["10k"], fault_wall)
    log(f"10K fault at race time {mid_race - first} s")

    for pt, e in emus.items():
        rc = await e.wait_async(race_s + 120)
        harness.scan_sanitizer(e.log_text(), e.name)
        check(rc == 0, f"{e.name} exited {rc}:\n{e.log_text()[-2000:]}")
        log(e.out_text().strip())
        if a.fault == "link-cut":
            check("cuts 1" in e.out_text(), f"{e.name} did not cut its link: {e.out_text()}")
    # every reader forwarded and got everything acked
    deadline = time.monotonic() + 120
    after = {}
    for pt, r in readers.items():
        st = {}
        while time.monotonic() < deadline:
            check(r.alive(), f"{r.name} died:\n{r.log_text()[-2000:]}")
            st = status(h, pt)
            if st.get("passings") and st.get("open_groups") == 0 and \
                    st.get("acked") == st.get("passings"):
                break
            await asyncio.sleep(0.2)
        check(st.get("acked") == st.get("passings") and st.get("passings"),
              f"{r.name}: not everything acked: {st}")
        after[pt] = st
        log(f"{r.name}: acked before the fault {before[pt]}, after {st.get('acked')}: {st}")
    if a.fault in ("reader-kill", "link-cut"):
        txt = readers["10k"].log_text()
        check("fetching passings" in txt, f"reader-10k fetched no gap:\n{txt[-2000:]}")
    for pt, r in readers.items():
        rc = r.stop()
        check(rc in (0, -15), f"{r.name} exited {rc} on SIGTERM:\n{r.log_text()[-2000:]}")
        harness.scan_sanitizer(r.log_text(), r.name)
    await srv.wait_caught_up()

    # the log: every (dev, seq) once, no hole; every (dev, chip) at most once
    seqs = collections.Counter()
    chips = collections.Counter()
    for _, rec in redis.records(EVENT):
        if rec.get("k") != "passings":
            continue
        for i, rd in enumerate(rec.get("reads") or []):
            seqs[(rec["dev"], rec["seq"] + i)] += 1
            if rd.get("chip"):
                chips[(rec["dev"], rd["chip"])] += 1
    twice = [k for k, n in seqs.items() if n > 1]
    check(not twice, f"{len(twice)} (dev, seq) in the log more than once: {twice[:20]}")
    twice = [k for k, n in chips.items() if n > 1]
    check(not twice, f"{len(twice)} (dev, chip) in the log more than once: {twice[:20]}")
    for pt in readers:
        dev = f"reader-{pt}"
        got = sorted(s for d, s in seqs if d == dev)
        n = after[pt]["passings"]
        check(got == list(range(1, n + 1)),
              f"{dev}: the log holds {len(got)} seqs ({got[:3]}..{got[-3:]}), "
              f"the reader made {n} passings")
        bibs = {c[1:] for d, c in chips if d == dev and c[:1] in "AB"}
        check(bibs == want[pt], f"{dev}: {len(want[pt] - bibs)} crossings missing "
              f"({sorted(want[pt] - bibs)[:10]}), {len(bibs - want[pt])} extra")
        log(f"{dev}: {n} passings in the log once each, {len(bibs)} crossings as the file")

    rows = {str(x["bib"]): x for x in srv.export_rows_json()}
    bad, checked = split_diffs(runners, rows, [m for m, *_ in SETUP])
    check(not bad, f"{len(bad)} of {checked} splits differ from the file:\n" +
          "\n".join(bad[:30]))
    log(f"{checked} splits and {len(want['start'])} starts equal the file")


if __name__ == "__main__":
    harness.run("reader_faults", main, extra_args)
