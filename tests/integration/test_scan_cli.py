"""splitline-scan's finish-tap and pickup modes against the real server.

A small event of its own (written to the temporary dir): one 5 km race with
a start and a finish point and a bib_pool.

finish-tap: a chute volunteer taps Enter as athletes cross (real waits
between taps), then scans their bibs.  Asserted: each bib's finish split on
the server equals its tap's time (as splitline-scan printed it, to the ms)
minus the athlete's start read; a mat (rfid) finish read of one bib is not
overridden by its tap; "undo" drops a double tap, "-" a tap that was no
athlete; a bib with no tap waiting and a bib scanned twice are refused with
a BEL and change nothing; after a SIGKILL with taps waiting, a restart
resumes them in order and every tap is attached exactly once (the log holds
one passing per bib); taps and bibs entered while the server is down are
synced when it is back, and the client exits 0 with nothing pending.

pickup: registrations without bibs (imported with a `reg` column and an
empty bib), two `splitline-scan --mode pickup --pair-chip` desks assigning
concurrently: every registration gets a distinct bib, the lowest ones of
the pool; the answer line names the bib and the athlete; the chips paired
at the desk credit the right athlete when a mat reads them.  Labels of
rows with a reg and no bib carry sl:<event>:<reg>; --out x.pdf writes PDF.

Needs --scan (the splitline-scan binary); the rest as every integration test.
"""

import asyncio
import datetime
import json
import os
import re
import signal
import subprocess
import time

from harness import (Client, Server, TestFailure, _die_with_parent, check, child_env, log,
                     run, scan_sanitizer)

EV = "scan-cli"
RACE = "5k"
POOL_LO = 30001
TAP = re.compile(r"^tap (\d+) at (\d\d:\d\d:\d\d\.\d\d\d) \(waiting (\d+)\)$", re.M)
SUMMARY = re.compile(r"scan: (\d+) scans, acked (\d+), answers (\d+), warnings (\d+), "
                     r"pending (\d+)")


def extra(ap):
    ap.add_argument("--scan", default=os.environ.get("SL_SCAN_BIN"))


def event_yaml(t0_ms):
    day = time.strftime("%Y-%m-%d", time.gmtime(t0_ms / 1000))
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0_ms / 1000))
    return f"""event: {EV}
name: Scan CLI test
date: {day}
races:
  - id: {RACE}
    name: 5K
    kind: mass
    distance_m: 5000
    ranking: net
    precision_ms: 1
    waves:
      - {{id: "1", start: "{start}", bibs: "1-29999"}}
    points:
      - {{id: start, name: Start, distance_m: 0, role: start, window_s: 7200}}
      - {{id: finish, name: Finish, distance_m: 5000, role: finish, min_s: 1, dedupe_s: 1}}
    bib_pool: "{POOL_LO}-{POOL_LO + 999}"
"""


def local_ms(hms, near_ms):
    """Epoch ms of a local HH:MM:SS.mmm printed near near_ms."""
    h, m, rest = hms.split(":")
    s, ms = rest.split(".")
    base = datetime.datetime.fromtimestamp(near_ms / 1000)
    cand = base.replace(hour=int(h), minute=int(m), second=int(s), microsecond=int(ms) * 1000)
    t = round(cand.timestamp() * 1000)
    for d in (-86400_000, 86400_000):
        if abs(t + d - near_ms) < abs(t - near_ms):
            t += d
    return t


class Scan:
    """One splitline-scan process fed line by line through a pipe."""

    def __init__(self, h, name, token, args, run=1):
        self.h, self.name = h, name
        self.outbox = h.path(f"{name}.outbox")
        self.out_path = h.path(f"{name}.{run}.out")
        self.err_path = h.path(f"{name}.{run}.log")
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        argv = [h.args.scan, "--server", h.srv.ws_url, "--event", EV, "--token", token,
                "--device", name, "--outbox", self.outbox, "--wait", "120"] + list(args)
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=self._out,
                                  stderr=self._err, env=child_env(),
                                  preexec_fn=_die_with_parent)
        h.extra_procs.append(self.p)

    def out(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def err(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def send(self, *lines):
        self.p.stdin.write("".join(x + "\n" for x in lines).encode())
        self.p.stdin.flush()

    async def expect(self, pattern, timeout=30, count=1):
        """Wait until the output matches pattern count times; the matches."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while True:
            found = list(rx.finditer(self.out()))
            if len(found) >= count:
                return found
            if self.p.poll() is not None or time.monotonic() > deadline:
                raise TestFailure(f"{self.name}: no {count}x /{pattern}/ in its output "
                                  f"(exit {self.p.poll()}):\n{self.out()[-2000:]}\n"
                                  f"{self.err()[-1500:]}")
            await asyncio.sleep(0.02)

    async def tap(self):
        """Tap Enter; (tap number, epoch ms as printed, when the test sent it)."""
        n_before = len(TAP.findall(self.out()))
        sent = int(time.time() * 1000)
        self.send("")
        m = (await self.expect(TAP.pattern, count=n_before + 1))[-1]
        t = local_ms(m.group(2), sent)
        # the tap is timed when typed (the printed time is the client's clock)
        check(sent - 100 <= t <= sent + 2000, f"tap {m.group(1)} timed {t - sent} ms "
              f"after it was typed")
        return int(m.group(1)), t

    def kill(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait(10)
        self._out.close()
        self._err.close()

    async def finish(self, timeout=180):
        """Close stdin; wait for the exit; (exit status, stdout)."""
        try:
            self.p.stdin.close()
        except OSError:
            pass
        deadline = time.monotonic() + timeout
        while self.p.poll() is None:
            if time.monotonic() > deadline:
                raise TestFailure(f"{self.name} still running after {timeout}s")
            await asyncio.sleep(0.1)
        self._out.close()
        self._err.close()
        scan_sanitizer(self.err(), self.name)
        return self.p.returncode, self.out()


async def send_reads(server, token, dev, seq, reads):
    c = await Client.connect(server, "msgpack")
    try:
        await c.hello(token, event=EV)
        await c.expect_ok({"t": "passings", "dev": dev, "seq": seq, "reads": reads})
    finally:
        await c.close()


def results(server):
    return {r["bib"]: r for r in server.export_rows_json(RACE) if r.get("bib")}


def passings_of(redis, dev):
    """(bib, t) of every read of dev in the log, each seq once."""
    out, last = [], 0
    for _, rec in redis.records(EV):
        if rec.get("k") != "passings" or rec.get("dev") != dev:
            continue
        for j, rd in enumerate(rec["reads"]):
            if rec["seq"] + j > last:
                last = rec["seq"] + j
                out.append((rd.get("bib"), rd["t"], rd.get("pt"), rd.get("kind")))
    return out


async def finish_tap(h, server, redis, t0, start_of):
    """Taps, bibs, a SIGKILL with taps waiting, a server outage."""
    tok = h.ctl(server, ["token", "issue", "--role", "scanner", "--device", "chute-1",
                         "--point", "finish"]).stdout.strip()
    A, B, C, D, E, F, G = "1", "2", "3", "4", "5", "6", "7"
    s = Scan(h, "chute-1", tok, ["--mode", "finish-tap", "--point", "finish"])
    tap_t = {}
    n1, tap_t[A] = await s.tap()
    await asyncio.sleep(0.3)
    n2, t_none = await s.tap()          # not an athlete: skipped later
    await asyncio.sleep(0.3)
    n3, tap_t[B] = await s.tap()
    n4, _ = await s.tap()               # a double tap
    s.send("undo")
    await s.expect(rf"^tap {n4} undone \(waiting 3\)$")
    await asyncio.sleep(0.3)
    n5, tap_t[C] = await s.tap()
    await asyncio.sleep(0.3)
    n6, tap_t[D] = await s.tap()
    check([n1, n2, n3, n4, n5, n6] == [1, 2, 3, 4, 5, 6], f"tap numbers {[n1, n2, n3, n4, n5, n6]}")
    check(len({tap_t[A], t_none, tap_t[B], tap_t[C], tap_t[D]}) == 5, f"tap times {tap_t}")
    # the mat read C at the finish, 1.5 s before its tap
    mat_t = tap_t[C] - 1500
    rtok = h.issue_token(server, "reader", "mat-finish")
    await send_reads(server, rtok, "mat-finish", 1, [
        {"chip": f"chip-{C}", "pt": "finish", "t": mat_t, "kind": "rfid"}])

    s.send(A)
    await s.expect(rf"^tap {n1} bib {A} queued 1 \(at [0-9:.]+, waiting 4, pending \d+\)$")
    await s.expect(r"^saved 1\.\.1 ")
    s.kill()
    log("finish-tap: 5 taps (one undone), bib attached to tap 1, then SIGKILL with 4 waiting")

    s = Scan(h, "chute-1", tok, ["--mode", "finish-tap", "--point", "finish"], run=2)
    await s.expect(r"^resumed: 4 taps waiting$")
    resumed = [int(x) for x in re.findall(r"^resumed: tap (\d+) at ", s.out(), re.M)]
    check(resumed == [n2, n3, n5, n6], f"resumed taps {resumed}, want {[n2, n3, n5, n6]}")
    s.send("-")
    await s.expect(rf"^tap {n2} skipped \(waiting 3\)$")
    s.send(B)
    await s.expect(rf"^tap {n3} bib {B} queued 2 ")
    s.send(A)                           # already attached: refused, nothing changes
    await s.expect(rf"^error: bib {A} is already on tap {n1} \(scan ignored\)\a$")
    s.send(C, D)
    await s.expect(rf"^tap {n6} bib {D} queued 4 \(at [0-9:.]+, waiting 0, ")
    s.send("99")                        # no tap waiting: refused
    await s.expect(r"^error: bib 99: no tap waiting \(scan ignored\)\a$")
    await s.expect(r"^saved \d+\.\.4 ")
    log("finish-tap: resumed 4 taps in order, skipped one, attached 3 bibs; a second scan "
        "of a bib and a bib without a tap refused")

    # the server goes down; taps and bibs go on, and sync when it is back
    server.stop()
    n7, tap_t[E] = await s.tap()
    await asyncio.sleep(0.3)
    n8, tap_t[F] = await s.tap()
    await asyncio.sleep(0.3)
    n9, tap_t[G] = await s.tap()
    s.send(E, F, G)
    await s.expect(rf"^tap {n9} bib {G} queued 7 ")
    check(not re.search(r"^saved \d+\.\.[567] ", s.out(), re.M),
          f"saved while the server was down:\n{s.out()}")
    server.start()
    rc, out = await s.finish()
    m = SUMMARY.search(out)
    check(rc == 0 and m and m.group(0).endswith("pending 0")
          and "taps waiting 0" in out, f"splitline-scan finish-tap exited {rc}:\n{out[-1500:]}"
          f"\n{s.err()[-1500:]}")
    check(re.search(r"^saved \d+\.\.7 ", out, re.M), f"never saved 7:\n{out}")
    check("offline" in s.err(), "the outage went unnoticed")
    log(f"finish-tap: 3 taps and bibs while the server was down, synced after ({m.group(0)})")

    await server.wait_caught_up(120)
    # every tap attached once: one passing per bib, at its tap's time
    got = passings_of(redis, "chute-1")
    want = sorted((b, tap_t[b], "finish", "handheld") for b in (A, B, C, D, E, F, G))
    check(sorted(got) == want, f"log passings of chute-1:\n{sorted(got)}\nwant\n{want}")
    rows = results(server)
    for b in (A, B, C, D, E, F, G):
        want_t = (mat_t if b == C else tap_t[b]) - start_of[b]
        fin = (rows[b].get("splits") or {}).get("finish")
        check(fin == want_t and rows[b].get("net") == want_t and rows[b]["status"] == "finished",
              f"bib {b}: finish split {fin}, net {rows[b].get('net')}, want {want_t} "
              f"({'mat' if b == C else 'tap'}): {rows[b]}")
    log(f"finish-tap: 7 finish times equal the taps to the ms; bib {C}'s mat read "
        f"({mat_t - start_of[C]} ms) kept over its tap ({tap_t[C] - start_of[C]} ms)")


async def pickup(h, server, redis, t0):
    """Two pickup desks assign bibs from the pool to registrations concurrently."""
    nreg = 24                           # at the two desks; 2 more at an offline one
    regs = [f"R-{2001 + i}" for i in range(nreg + 2)]
    names = {r: f"Pick Up {i:02d}" for i, r in enumerate(regs)}
    chips = {r: f"E200{2001 + i}" for i, r in enumerate(regs)}
    csv_path = h.path("regs.csv")
    with open(csv_path, "w") as f:
        f.write("Bib,Reg,Name,Sex,Age\n")
        for i, r in enumerate(regs):
            f.write(f",{r},{names[r]},{'MF'[i % 2]},{30 + i}\n")
    h.ctl(server, ["participants", "import", csv_path])
    labels_of_regs(h, csv_path)

    # a scanner token cannot assign: refused at hello, before anything is sent
    d = Scan(h, "desk-x", h.issue_token(server, "scanner", "desk-x"), ["--mode", "pickup"])
    d.send(regs[0])
    rc, out = await d.finish()
    check(rc == 1 and "pickup needs a desk, official or admin token (this one is 'scanner')"
          in d.err() and not re.search(r"^answer ", out, re.M),
          f"pickup with a scanner token: exit {rc}:\n{out}\n{d.err()}")

    toks = [h.issue_token(server, "desk", f"desk-{i + 1}") for i in range(2)]
    halves = [regs[:nreg:2], regs[1:nreg:2]]
    desks = []
    for i in range(2):
        codes = [f"sl:{EV}:{r}" if j % 3 == 0 else r for j, r in enumerate(halves[i])]
        d = Scan(h, f"desk-{i + 1}", toks[i], ["--mode", "pickup", "--pair-chip",
                                               "--volunteer", f"vol-{i + 1}"])
        d.codes, d.lines = halves[i], []
        for c, r in zip(codes, halves[i]):
            d.lines.append((c, chips[r]))
        desks.append(d)
    # the two desks scan at the same time, a registration and its chip each
    for j in range(len(halves[0])):
        for d in desks:
            d.send(*d.lines[j])
        await asyncio.sleep(0.03)
    bib_of = {}
    for d in desks:
        rc, out = await d.finish()
        m = SUMMARY.search(out)
        n = len(d.codes)
        check(rc == 0 and m and m.groups() == (str(n), str(n), str(n), "0", "0"),
              f"{d.name} exited {rc}:\n{out[-2000:]}\n{d.err()[-1500:]}")
        ans = re.findall(r"^answer (\d+) ok BIB (\S+) NAME (.*) race (\S+) wave \S+: ", out,
                         re.M)
        check(len(ans) == n, f"{d.name}: {len(ans)} ok answers for {n} codes:\n{out}")
        for seq, bib, name, race in ans:
            reg = d.codes[int(seq) - 1]
            check(name == names[reg] and race == RACE,
                  f"{d.name} seq {seq} ({reg}): answered {name!r} race {race}")
            check(reg not in bib_of, f"{reg} answered twice")
            bib_of[reg] = bib
        check(re.search(rf"^queued 1 \S+ chip {chips[d.codes[0]]} ", out, re.M),
              f"{d.name}: no queued line with the chip:\n{out[:500]}")
    bibs = sorted(int(b) for b in bib_of.values())
    check(bibs == list(range(POOL_LO, POOL_LO + nreg)),
          f"assigned bibs {bibs}: not {nreg} distinct, the lowest of the pool")
    log(f"pickup: two desks assigned {nreg} distinct bibs {bibs[0]}..{bibs[-1]}")

    # a desk offline: its scans wait in the outbox (op and chip with them),
    # survive a SIGKILL, and the next run sends them once the server is back
    late = regs[nreg:]
    dtok = h.issue_token(server, "desk", "desk-3")
    server.stop()
    d = Scan(h, "desk-3", dtok, ["--mode", "pickup", "--pair-chip"])
    for r in late:
        d.send(r, chips[r])
    await d.expect(rf"^queued 2 {late[1]} chip {chips[late[1]]} \(pending 2\)$")
    d.kill()
    with open(os.path.join(d.outbox, "outbox")) as f:
        ob = f.read()
    check(all(f"\t{r}\top=assign\tchip={chips[r]}\n" in ob for r in late),
          f"desk-3 outbox lacks op or chip:\n{ob}")
    server.start()
    d = Scan(h, "desk-3", dtok, ["--mode", "pickup", "--pair-chip"], run=2)
    rc, out = await d.finish()
    ans = re.findall(r"^answer (\d+) ok BIB (\S+) NAME (.*) race ", out, re.M)
    check(rc == 0 and len(ans) == 2, f"desk-3 after the outage exited {rc}:\n{out}")
    for seq, bib, name in ans:
        r = late[int(seq) - 1]
        check(name == names[r], f"desk-3 seq {seq} ({r}): answered {name!r}")
        bib_of[r] = bib
    check(sorted(int(bib_of[r]) for r in late) == [POOL_LO + nreg, POOL_LO + nreg + 1],
          f"desk-3 was given bibs {[bib_of[r] for r in late]}")
    log(f"pickup: an offline desk's scans (op assign, chip) survived a SIGKILL in its outbox "
        f"and got bibs {bib_of[late[0]]}, {bib_of[late[1]]}")

    # a desk handing out pre-chipped bibs from its stack (--bib-from-stack):
    # the chip file makes them blank bibs; each registration takes the one
    # whose barcode is scanned, and its chip with it
    stack = ["901", "902", "903"]
    with open(h.path("chips.csv"), "w") as f:
        f.write("bib,chip\n" + "".join(f"{b},K{b}\n" for b in stack))
    h.ctl(server, ["participants", "import", h.path("chips.csv"), "--blank"])
    sregs = [f"R-{3001 + i}" for i in range(3)]
    with open(h.path("regs2.csv"), "w") as f:
        f.write("reg,name\n" + "".join(f"{r},Stack {r}\n" for r in sregs))
    h.ctl(server, ["participants", "import", h.path("regs2.csv")])
    d = Scan(h, "desk-4", h.issue_token(server, "desk", "desk-4"),
             ["--mode", "pickup", "--bib-from-stack"])
    d.send(sregs[0], "no bib!", stack[0], sregs[1], f"sl:{EV}:{stack[1]}", sregs[2], stack[2])
    rc, out = await d.finish()
    ans = re.findall(r"^answer (\d+) ok BIB (\S+) NAME (.*) race ", out, re.M)
    check(rc == 0 and [(b, n) for _, b, n in ans] == [(b, f"Stack {r}")
                                                      for b, r in zip(stack, sregs)],
          f"desk-4 (bibs from the stack) exited {rc}:\n{out}")
    check("error: 'no bib!' is not a bib" in out, f"desk-4 took a bad bib scan:\n{out}")
    for b, r in zip(stack, sregs):
        regs.append(r)
        names[r], chips[r], bib_of[r] = f"Stack {r}", f"K{b}", b
    log("pickup: a desk handed out 3 pre-chipped bibs from its stack (chip file --blank)")

    # the paired chips credit the right athletes at the mats
    await server.wait_caught_up(120)
    rtok = h.issue_token(server, "reader", "mat-pickup")
    reads, want = [], {}
    for i, r in enumerate(regs):
        st = t0 + 60_000 + i * 1000
        fin = st + 20 * 60_000 + i * 7
        reads += [{"chip": chips[r], "pt": "start", "t": st},
                  {"chip": chips[r], "pt": "finish", "t": fin}]
        want[bib_of[r]] = fin - st
    await send_reads(server, rtok, "mat-pickup", 1, reads)
    await server.wait_caught_up(120)
    rows = results(server)
    for r in regs:
        row = rows.get(bib_of[r])
        check(row and row.get("name") == names[r] and row.get("net") == want[bib_of[r]],
              f"{r} (bib {bib_of[r]}, chip {chips[r]}): result row {row}, want net "
              f"{want[bib_of[r]]}")
    log(f"pickup: the {len(regs)} paired chips credit the right athletes at the mats")


async def old_outbox(h, server):
    """An outbox written before op/chip/tap fields existed still loads and syncs."""
    d = h.path("scan-old.outbox")
    os.makedirs(d)
    now = int(time.time() * 1000)
    with open(os.path.join(d, "outbox"), "w") as f:
        f.write(f"1\t{now}\t5\n2\t{now + 1}\tsl:{EV}:6\n")
    s = Scan(h, "scan-old", h.issue_token(server, "scanner", "scan-old"), [])
    rc, out = await s.finish()
    ans = re.findall(r"^answer (\d+) ok (\S+) Runner", out, re.M)
    check(rc == 0 and ans == [("1", "5"), ("2", "6")], f"old outbox: exit {rc}:\n{out}")
    log("an outbox of the old format (seq, t, code) loads and syncs")


def bad_reg_rows(h, server):
    """Bad reg cells are reported by file, line and field; nothing is sent."""
    path = h.path("bad-regs.csv")
    with open(path, "w") as f:
        f.write("Bib,Confirmation,Name\n1,,Ann\n,R-1,Bo\n,R 2,Cy\n,R-1,Di\n,,Ed\n")
    r = h.ctl(server, ["participants", "import", path, "--map", "reg=Confirmation"],
              check_rc=False)
    want = [f"{path}:4: field 'reg': 'R 2' is not a registration code",
            f"{path}:5: field 'reg': 'R-1' is also on line 3",
            f"{path}:6: field 'bib': missing"]
    check(r.returncode == 1 and all(w in r.stderr for w in want),
          f"import of bad regs exited {r.returncode}:\n{r.stderr}")
    rows = [x for x in results(server).values() if x.get("name") in ("Ann", "Bo")]
    check(not rows, f"rows of a refused file were imported: {rows}")
    log("import: bad reg cells reported as FILE:LINE: field 'reg': ...; nothing sent")


def labels_of_regs(h, csv_path):
    out = h.path("regs.svg")
    r = subprocess.run([h.args.scan, "labels", "--event", EV, "--from-csv", csv_path,
                        "--out", out], capture_output=True, env=child_env(), timeout=120)
    scan_sanitizer(r.stderr.decode(errors="replace"), "splitline-scan labels")
    check(r.returncode == 0, f"labels exited {r.returncode}: {r.stderr[-800:]!r}")
    with open(out) as f:
        svg = f.read()
    codes = re.findall(r'data-code="([^"]*)"', svg)
    check(len(codes) == 26 and codes[0] == f"sl:{EV}:R-2001",
          f"labels of registrations: {codes[:3]}... ({len(codes)})")
    pdf = h.path("regs.pdf")
    r = subprocess.run([h.args.scan, "labels", "--event", EV, "--from-csv", csv_path,
                        "--out", pdf], capture_output=True, env=child_env(), timeout=120)
    scan_sanitizer(r.stderr.decode(errors="replace"), "splitline-scan labels")
    check(r.returncode == 0, f"labels --out x.pdf exited {r.returncode}: {r.stderr[-800:]!r}")
    with open(pdf, "rb") as f:
        doc = f.read()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", doc))
    check(doc.startswith(b"%PDF-") and pages == 2, f"regs.pdf: {doc[:8]!r}, {pages} pages")
    log("labels: registrations without a bib carry sl:<event>:<reg>; .pdf writes a PDF")


async def body(h):
    check(h.args.scan and os.access(h.args.scan, os.X_OK),
          f"splitline-scan not found: {h.args.scan!r} (pass --scan)")
    h.extra_procs = []
    redis = h.redis()
    server = Server(h, redis, event=EV).start()
    h.srv = server
    now = int(time.time() * 1000)
    t0 = now - 30 * 60_000 - now % 1000
    yaml_path = h.path("event.yaml")
    with open(yaml_path, "w") as f:
        f.write(event_yaml(t0))
    h.create_event(server, yaml_path)
    csv_path = h.path("bibs.csv")
    with open(csv_path, "w") as f:
        f.write("bib,name,sex,age,chip\n")
        for b in range(1, 13):
            f.write(f"{b},Runner {b},{'MF'[b % 2]},{20 + b},chip-{b}\n")
    h.ctl(server, ["participants", "import", csv_path])
    # everyone crossed the start mat in the first minutes
    start_of = {str(b): t0 + 30_000 + b * 1111 for b in range(1, 13)}
    rtok = h.issue_token(server, "reader", "mat-start")
    await send_reads(server, rtok, "mat-start", 1, [
        {"chip": f"chip-{b}", "pt": "start", "t": t, "kind": "rfid"}
        for b, t in start_of.items()])

    bad_reg_rows(h, server)
    await finish_tap(h, server, redis, t0, start_of)
    await old_outbox(h, server)

    await pickup(h, server, redis, t0)


if __name__ == "__main__":
    run("scan_cli", body, extra)
