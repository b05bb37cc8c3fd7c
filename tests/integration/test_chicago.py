"""chicago: emulated timing hardware, end to end.

Real Redis and splitlined with the Chicago 2023 event
(scripts/demo/chicago-2023.yaml) and a slice of chicago-2023-mats.csv
imported as participants (chips A<bib> and B<bib>).  Four mats, each an
emulated decoder (splitline-emu) speaking a different protocol to its own
splitline-reader, which forwards to the server as its own device:

    start   MYLAPS       (the decoder connects; clock exact)
    10K     RaceResult   (we connect; clock +1500 ms, fixed by GETTIME)
    HALF    ChronoTrack  (the decoder connects; clock +800 ms, --clock-offset-ms)
    Finish  JChip        (the decoder connects; clock -2300 ms, fixed by GT)

All on one simulated race clock (--sim-clock) at --speed times real time.
Asserts: every runner's start is its file start to the second; each split
at those mats equals the file's net time to the second; a split the file
marks estimated (or has not) is missing; the stray tags are listed by
/api/unknown.json.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import asyncio
import csv
import datetime
import json
import os
import time

import harness
from harness import Proc, Server, check, free_port, log

EVENT = "chicago-2023"
MATS = ["05K", "10K", "15K", "20K", "HALF", "25K", "30K", "35K", "40K", "Finish"]
PT = {"05K": "5k", "10K": "10k", "15K": "15k", "20K": "20k", "HALF": "half", "25K": "25k",
      "30K": "30k", "35K": "35k", "40K": "40k", "Finish": "finish", "start": "start"}
DAY0 = int(datetime.datetime(2023, 10, 8, 5, 0, tzinfo=datetime.timezone.utc).timestamp())
# mat, protocol, decoder clock skew, reader extra args, stray tags, chip A miss rate
SETUP = [
    ("start", "mylaps", 0, [], 0, 0.0),
    ("10K", "raceresult", 1500, [], 5, 0.1),
    ("HALF", "chronotrack", 800, ["--clock-offset-ms", "800"], 3, 0.0),
    ("Finish", "jchip", -2300, [], 0, 0.1),
]


def t12(s):
    if not s or s == "\u2013":
        return None
    hms, ap = s[:-2], s[-2:]
    h, m, x = map(int, hms.split(":"))
    h = h % 12 + (12 if ap == "PM" else 0)
    return h * 3600 + m * 60 + x


def hms(s):
    if not s or s == "\u2013":
        return None
    h, m, x = map(int, s.split(":"))
    return h * 3600 + m * 60 + x


def load(path, n):
    """The first n runners: {bib: {sex, start (UTC s), net: {mat: s}, est: set}}."""
    out = {}
    with open(path, newline="") as f:
        rd = csv.reader(f)
        next(rd)
        for i, row in enumerate(rd):
            if i >= n:
                break
            bib = row[0]
            if bib in out:
                continue
            est = {x.strip().lower() for x in row[24].split(";") if x.strip()} \
                if len(row) > 24 else set()
            tod = {m: t12(row[4 + 2 * k]) for k, m in enumerate(MATS)}
            net = {m: hms(row[5 + 2 * k]) for k, m in enumerate(MATS)}
            start = None
            order = ["Finish"] + MATS
            for m in order:
                if tod[m] is not None and net[m] is not None and m.lower() not in est:
                    start = tod[m] - net[m]
                    break
            g = row[3]
            out[bib] = {"sex": "M" if g == "Male" else "F" if g == "Female" else "X",
                        "start": None if start is None else DAY0 + start,
                        "net": net, "est": est}
    return out


def extra_args(ap):
    ap.add_argument("--emu", default=os.environ.get("SL_EMU_BIN"))
    ap.add_argument("--reader", default=os.environ.get("SL_READER_BIN"))
    ap.add_argument("--runners", type=int, default=300)
    ap.add_argument("--speed", type=float, default=40)


def split_diffs(runners, rows, mats):
    """Each runner's start and net splits at mats against the file: (the
    differences as sentences, the number of splits checked).  An estimated
    split (a missed read in the file) or a runner without a start is wanted
    absent."""
    bad, checked = [], 0
    for bib, r in runners.items():
        row = rows.get(bib)
        if row is None:
            bad.append(f"bib {bib}: no result row")
            continue
        if r["start"] is not None:
            st = row.get("start")
            if st is None or st // 1000 != r["start"]:
                bad.append(f"bib {bib}: start {st}, file {r['start']}")
        splits = row.get("splits") or {}
        for mat in mats:
            if mat == "start":
                continue
            pt = PT[mat]
            want = r["net"][mat]
            if mat.lower() in r["est"] or r["start"] is None:
                want = None
            got = splits.get(pt)
            if got is None and pt == "finish":
                got = row.get("net")
            got_s = None if got is None else got // 1000
            checked += 1
            if got_s != want:
                bad.append(f"bib {bib} at {mat}: got {got}, file {r['net'][mat]}"
                           f"{' (estimated)' if mat.lower() in r['est'] else ''}")
    return bad, checked


async def main(h):
    a = h.args
    emu = a.emu or harness._guess_bin("splitline-emu", ["clients/emu", "clients"])
    rdr = a.reader or harness._guess_bin("splitline-reader", ["clients/reader", "clients"])
    data = os.path.join(h.paths.data, "chicago-2023-mats.csv")
    yaml = os.path.join(h.paths.source, "scripts", "demo", "chicago-2023.yaml")
    runners = load(data, a.runners)
    log(f"{len(runners)} runners, speed {a.speed}x")

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

    first = min(r["start"] for r in runners.values() if r["start"] is not None)
    last = max(r["start"] + max(v for v in r["net"].values() if v is not None)
               for r in runners.values() if r["start"] is not None)
    wall0 = int(time.time() * 1000) + 4000
    race0 = first * 1000 - 2000
    sim = f"{wall0}:{race0}:{a.speed}"

    readers, emus = [], []
    for mat, proto, skew, rextra, stray, miss in SETUP:
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
                 "--stray", stray, "--miss", miss, "--seed", "7"]
        if proto == "raceresult":
            eargv += ["--port", port]
            argv += ["--decoder", f"127.0.0.1:{port}"]
        else:
            eargv += ["--connect", f"127.0.0.1:{port}"]
            argv += ["--listen", f"127.0.0.1:{port}"]
        if proto == "raceresult":
            emus.append(Proc(h, f"emu-{pt}", eargv, stdout_file=h.path(f"emu-{pt}.out")))
            await asyncio.sleep(0.3)
            readers.append(Proc(h, f"reader-{pt}", argv))
        else:
            readers.append(Proc(h, f"reader-{pt}", argv))
            await asyncio.sleep(0.3)
            emus.append(Proc(h, f"emu-{pt}", eargv, stdout_file=h.path(f"emu-{pt}.out")))

    race_s = (last - first) / a.speed
    log(f"race {first}..{last}: about {race_s:.0f} s of wall time")
    for e in emus:
        rc = await e.wait_async(race_s + 300)
        harness.scan_sanitizer(e.log_text(), e.name)
        check(rc == 0, f"{e.name} exited {rc}:\n{e.log_text()[-2000:]}")
        log(e.out_text().strip())
    # every reader forwarded and got everything acked
    deadline = time.monotonic() + 120
    for r in readers:
        pt = r.name.split("-", 1)[1]
        st = {}
        while time.monotonic() < deadline:
            check(r.alive(), f"{r.name} died:\n{r.log_text()[-2000:]}")
            try:
                with open(h.path(f"jrn-{pt}", "status.json")) as f:
                    st = json.load(f)
            except (OSError, ValueError):
                st = {}
            if st.get("passings") and st.get("open_groups") == 0 and \
                    st.get("acked") == st.get("passings"):
                break
            await asyncio.sleep(0.2)
        check(st.get("acked") == st.get("passings") and st.get("passings"),
              f"{r.name}: not everything acked: {st}")
        log(f"{r.name}: {st}")
    for r in readers:
        rc = r.stop()
        check(rc in (0, -15), f"{r.name} exited {rc} on SIGTERM:\n{r.log_text()[-2000:]}")
        harness.scan_sanitizer(r.log_text(), r.name)
    await srv.wait_caught_up()

    rows = {str(x["bib"]): x for x in srv.export_rows_json()}
    bad, checked = split_diffs(runners, rows, [m for m, *_ in SETUP])
    check(not bad, f"{len(bad)} of {checked} splits differ from the file:\n" +
          "\n".join(bad[:30]))
    log(f"{checked} splits equal the file")

    st, body = srv.get("/api/unknown.json")
    check(st == 200, f"GET /api/unknown.json answered {st}: {body[:300]!r}")
    doc = json.loads(body)
    urows = doc.get("rows", doc.get("unknown")) if isinstance(doc, dict) else doc
    codes = {str(u.get("code")) for u in urows or []}
    want = {f"S{i:04d}" for _, _, _, _, n, _ in SETUP for i in range(1, n + 1)}
    check(want <= codes, f"unknown lists {sorted(codes)[:20]}, expected {sorted(want)}")
    check(not any(c.startswith(("A", "B")) for c in codes),
          f"runners' chips listed as unknown: {sorted(codes)[:20]}")
    log(f"unknown tags: {sorted(codes)}")


if __name__ == "__main__":
    harness.run("chicago", main, extra_args)
