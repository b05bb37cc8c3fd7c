"""reader_faults: timing hardware through faults, nothing lost, nothing doubled.

Real Redis and splitlined with the Chicago 2023 event and a slice of
chicago-2023-mats.csv (chips A<bib> and B<bib>), two emulated mats, each
a splitline-emu decoder feeding its own splitline-reader:

    start   MYLAPS       (the decoder connects; messages acked after fsync)
    10K     RaceResult   (we connect; clock +1500 ms; gap fetch by number)

Twice in the race, once while the start mat is busy and once while the
10K mat is (at a crossing of the file with many more right after it), one
fault (--fault).  Each fault lasts until it has certainly overlapped
traffic (a fault that happens to fall between reads proves nothing), and
what the reader had to do about that traffic is then checked:

    reader-kill     the busy mat's reader SIGKILLed, restarted on the same
                    journal 1.5 s later and not before its decoder has
                    said a read came due with no reader connected
                    (splitline-emu's stdout notes, flushed as they happen)
    link-cut        the busy mat's decoder cuts its TCP link (splitline-emu
                    SIGUSR1; MYLAPS: with a message in flight) and keeps
                    it down 3 s and until 3 more reads have come due
                    (--down-reads); reads keep their passing numbers
    server-restart  splitlined SIGKILLed, restarted 2 s later and not
                    before the busy reader's status.json, written after
                    the kill, shows passings not acked
    redis-restart   redis-server SIGKILLed, restarted likewise (AOF,
                    appendfsync always)

After reader-kill and link-cut the decoder reports reads A..B that came due
while its link was down (at least one), and the reader must have got them:
RaceResult by number (the reader logs a fetch covering A..B, by PASSINGS
count or by a gap in the push, whichever comes first, and the emulator
answered a fetch for each); MYLAPS by the decoder sending them after the
reconnect, and after a link-cut also the message unacked at the cut
(the emulator counts reads resent).  After server-restart and
redis-restart the busy reader reconnected and sent from a seq at or below
the passings it held during the outage.

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
import re
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
HOLD_LIMIT = 30  # s: a fault held longer than this for traffic fails the test

# splitline-emu's stdout (clients/emu/main.c) and splitline-reader's log
DUE_DOWN = "came due with the link down"
LINK_UP = re.compile(r"^emu: link up after \d+ ms: reads (\d+)\.\.(\d+) came due while it "
                     r"was down$", re.M)
EMU_SUM = re.compile(r"due while down (\d+), fetched (\d+) of them, resent (\d+)$", re.M)
FETCH = re.compile(r"fetching passings (\d+)\.\.(\d+)|passings (\d+)\.\.(\d+) missing, fetching")
SENDING = re.compile(r"connected to \S+; sending from seq (\d+)")


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


def status_since(h, pt, t):
    """The reader's status.json if written after wall time t, else {}."""
    try:
        if os.stat(h.path(f"jrn-{pt}", "status.json")).st_mtime <= t:
            return {}
    except OSError:
        return {}
    return status(h, pt)


def size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def text_from(path, offset):
    """What was written to path past offset."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


async def hold(cond, min_s, what):
    """Wait min_s, and until cond() (at most HOLD_LIMIT s); the seconds held."""
    t0 = time.monotonic()
    while True:
        dt = time.monotonic() - t0
        if dt >= min_s and cond():
            return dt
        check(dt < HOLD_LIMIT, f"{what}: not within {HOLD_LIMIT} s")
        await asyncio.sleep(0.05)


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
    h.ctl(srv, ["participants", "import", part, "--map", "name="])  # the data has no names

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
    # the tokens first: the CLI under ASan is slow, and the race clock's lead
    # is for starting the processes
    toks = {PT[mat]: h.issue_token(srv, "reader", f"reader-{PT[mat]}") for mat, *_ in SETUP}
    wall0 = int(time.time() * 1000) + 3000
    race0 = first * 1000 - 2000
    sim = f"{wall0}:{race0}:{a.speed}"

    def wall(t):
        """The wall time (s) at which race time t (UTC s) comes."""
        return wall0 / 1000 + (t * 1000 - race0) / 1000 / a.speed

    readers, emus, rargv = {}, {}, {}
    for mat, proto, skew, rextra, miss in SETUP:
        pt = PT[mat]
        dev = f"reader-{pt}"
        port = free_port()
        argv = [rdr, "--protocol", proto, "--point", pt, "--device", dev,
                "--journal", h.path(f"jrn-{pt}"), "--server", srv.ws_url, "--event", EVENT,
                "--token", toks[pt], "--date", "2023-10-08", "--utc-offset", "-05:00",
                "--sim-clock", sim, "--status-every", "0"] + rextra
        eargv = [emu, "--protocol", proto, "--mat", mat, "--data", data,
                 "--limit", a.runners, "--sim-clock", sim, "--skew-ms", skew,
                 "--miss", miss, "--seed", "7", "--down-ms", "3000", "--down-reads", "3"]
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

    # The fault moments: a crossing of the file with many more right after
    # it.  The start mat: the first wave crosses in the first second of
    # race time, the second from 60 s on; its median start is the second
    # wave's first.  The 10K: a third into its crossings.
    starts = sorted(r["start"] for r in runners.values() if r["start"] is not None)
    k10 = sorted(r["start"] + r["net"]["10K"] for r in runners.values()
                 if r["start"] is not None and r["net"]["10K"] is not None)
    start_t, k10_t = starts[len(starts) // 2], k10[len(k10) // 3]
    before, mark, during = {}, {}, {}

    async def at(t):
        d = t - time.time()
        if d > 0:
            await asyncio.sleep(d)

    async def fault(pts, t):
        await at(wall(t))
        late = time.time() - wall(t)
        for pt in pts:
            before[pt] = status(h, pt).get("acked")
            mark[pt] = (size(emus[pt].out_path), size(readers[pt].log_path))
        log(f"fault {a.fault} on {pts} at race time {t - first} s ({late:+.2f} s late); "
            f"acked before: {before}")
        if a.fault == "reader-kill":
            for pt in pts:
                p = readers[pt]
                check(p.alive(), f"{p.name} died before the fault:\n{p.log_text()[-2000:]}")
                p.kill()
            # dead until a read has come due at the mat with no reader there
            dt = await hold(lambda: all(DUE_DOWN in text_from(emus[pt].out_path, mark[pt][0])
                                        for pt in pts), 1.5,
                            f"no read came due at {pts} while the reader was dead")
            for pt in pts:
                readers[pt] = Proc(h, f"reader-{pt}", rargv[pt])
            log(f"reader {pts} restarted after {dt:.1f} s")
        elif a.fault == "link-cut":
            # the emulator holds the link down until reads have come due
            for pt in pts:
                emus[pt].signal(signal.SIGUSR1)
        elif a.fault in ("server-restart", "redis-restart"):
            victim = srv if a.fault == "server-restart" else redis
            t_kill = time.time()
            victim.kill()

            def pending():
                for pt in pts:
                    st = status_since(h, pt, t_kill)
                    if not st or st.get("passings", 0) <= st.get("acked", 0):
                        return False
                    during[pt] = st
                return True
            # down until each busy reader holds passings the server has not
            # acked (it cannot while down: they must go after the restart)
            dt = await hold(pending, 2, f"readers {pts} made no passing while "
                            f"{'splitlined' if victim is srv else 'Redis'} was down")
            victim.start()
            log(f"{a.fault}: down {dt:.1f} s; " + ", ".join(
                f"reader-{pt} held {during[pt]['passings']} passings, {during[pt]['acked']} "
                f"acked" for pt in pts))

    # once while the start mat is busy, once while the 10K mat is
    await fault(["start"], start_t)
    await fault(["10k"], k10_t)

    for pt, e in emus.items():
        rc = await e.wait_async(race_s + 120)
        harness.scan_sanitizer(e.log_text(), e.name)
        check(rc == 0, f"{e.name} exited {rc}:\n{e.log_text()[-2000:]}")
        log(e.out_text().strip().split("\n")[-1])
        if a.fault == "link-cut":
            check("cuts 1," in e.out_text(), f"{e.name} did not cut its link: {e.out_text()}")
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

    # what each fault overlapped, and what the reader did about it
    for pt in mark:
        out = text_from(emus[pt].out_path, mark[pt][0])
        rlog = text_from(readers[pt].log_path, mark[pt][1])
        if a.fault in ("reader-kill", "link-cut"):
            spans = [(int(x), int(y)) for x, y in LINK_UP.findall(out)]
            check(spans, f"emu-{pt}: no read came due while its link was down: the fault "
                  f"overlapped no traffic:\n{out[-2000:]}")
            m = EMU_SUM.search(out)
            check(m, f"emu-{pt}: no summary line:\n{out[-1000:]}")
            due, fetched, resent = map(int, m.groups())
            if pt == "10k":  # RaceResult: fetched by number
                got, how = set(), []
                for f in FETCH.finditer(rlog):
                    x, y = (f.group(1), f.group(2)) if f.group(1) else (f.group(3), f.group(4))
                    got |= set(range(int(x), int(y) + 1))
                    how.append(f"{x}..{y} " + ("by count" if f.group(1) else "by push gap"))
                miss = [(x, y) for x, y in spans if not set(range(x, y + 1)) <= got]
                check(not miss, f"reader-10k fetched no gap covering the passings {miss} that "
                      f"came due while the link was down:\n{rlog[-2000:]}")
                check(fetched == due, f"emu-10k: {due} passings came due while the link was "
                      f"down, {fetched} of them were fetched by number")
                log(f"10K: passings {spans} came due while the link was down; the reader "
                    f"fetched them by number ({', '.join(how)})")
            else:  # MYLAPS: sent after the reconnect (the emulator ends when all are acked)
                if a.fault == "link-cut":
                    check(resent > 0, f"emu-{pt}: the cut left no message unacked "
                          f"(resent {resent}):\n{out[-2000:]}")
                log(f"{pt}: reads {spans} came due while the link was down, sent after the "
                    f"reconnect; {resent} reads sent again unacked")
        else:
            held = during[pt]["passings"]
            seqs = [int(x) for x in SENDING.findall(rlog)]
            check(seqs and seqs[0] <= held,
                  f"reader-{pt} held {held} passings, not all acked, during the outage, but "
                  f"did not send from one of them after it (sending from {seqs}):\n"
                  f"{rlog[-2000:]}")
            log(f"reader-{pt}: held passings up to {held} during the outage; sent from seq "
                f"{seqs[0]} after it")
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
