"""haproxy: scripts/deploy/haproxy.cfg in front of two nodes; one is killed.

haproxy runs the shipped configuration as it is, its addresses given in the
environment as docs/deploy.md says (SL_BIND, SL_NODE1..3, SL_STATS; no
chroot), with -dW (a warning is an error).  Behind it: nodes A and B on one
Redis, and node C on a Redis that does not exist (its /health answers 200
with "ok":false), which haproxy must mark down by the body of /health
alone and never send a client to.

Spectators connect through haproxy (leastconn spreads them over A and B) and
follow the live finishes; a replay connects through haproxy too.  Once
finishers are arriving, the replay's node is frozen until it has bytes of
the replay unread (a batch in flight, never acked) and killed with SIGKILL.
Then: the replay finishes by itself (exit 0, some batch sent again); the
spectators that were on the killed node are cut, reconnect through haproxy
and get, from the other node, a snapshot that holds every finisher they had
seen and more; the others are never cut; every spectator ends with every
finisher of the export.  haproxy marks the killed node DOWN (its stats and
its log say so) and sends it no new connection; /health through haproxy is
answered by B only.  The log holds every acked read exactly once and the
export, fetched through haproxy, equals a clean single-node run's byte for
byte.

Then node D (SL_NODE4, down until now) starts, its Redis reached through a
proxy, and haproxy sends it some new spectators; D loses its Redis (the
proxy cut: "ok":false), then, back up, hangs (SIGSTOP): each time haproxy
marks it down by its check (L7RSP, then L7TOUT) and closes its tunnels
(on-marked-down shutdown-sessions) though D still runs, and its spectators
come back through haproxy on B with every finisher.  The times from each
harm to DOWN and to each spectator's new snapshot are printed (the failover
times of docs/deploy.md).
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import asyncio
import csv
import io
import json
import os
import re
import signal
import shutil
import statistics
import subprocess
import time
import urllib.request

import boston
import harness
from harness import RACE, Client, TestFailure, check, free_port, log
from test_restart import unread

DEV = "replay-h"
SPECTATORS = 8
TOPIC = f"finishes/{RACE}"


class Front(harness.Server):
    """haproxy started from scripts/deploy/haproxy.cfg: a harness.Server for
    the clients (its url, ws_url and get() are haproxy's), with its stats."""

    def __init__(self, h, ports, event=harness.EVENT):
        self.h, self.event = h, event
        self.port, self.stats_port = free_port(), free_port()
        self.cfg = os.path.join(h.paths.source, "scripts", "deploy", "haproxy.cfg")
        env = {"SL_BIND": f"127.0.0.1:{self.port}", "SL_STATS": f"127.0.0.1:{self.stats_port}",
               "SL_LOG": "stderr", "SL_MAXCONN": "2000", "SL_NO_SANDBOX": "1"}
        for i, port in enumerate(ports, 1):
            env[f"SL_NODE{i}"] = f"127.0.0.1:{port}"
        os.environ.update(env)  # the harness' children inherit our environment
        self.proc = harness.Proc(h, "haproxy", [h.args.haproxy, "-dW", "-db", "-f", self.cfg])

    def stats(self):
        """{server name: its row of the stats CSV (a dict)} of the backend."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.stats_port}/stats;csv",
                                    timeout=10) as r:
            text = r.read().decode()
        rows = csv.DictReader(io.StringIO(text.lstrip("# ")))
        return {r["svname"]: r for r in rows if r["pxname"] == "splitlined"}

    def status(self):
        return {k: v["status"] for k, v in self.stats().items() if k != "BACKEND"}


class Spectator:
    """A spectator through haproxy on the live finishes: reconnects (through
    haproxy) as a page would when its connection is cut."""

    def __init__(self, front, i):
        self.front, self.i = front, i
        self.seen = set()       # every finisher's bib pushed to it so far
        self.cuts = []          # (time cut, time of the next snapshot, its bibs)
        self.task = None
        self.snapshots = 0

    async def connect(self):
        c = await Client.connect(self.front, "json")
        await c.hello()
        await c.expect_ok({"t": "subscribe", "topic": TOPIC, "limit": 1000})
        return c

    async def first_snapshot(self, c):
        while True:
            m = await c.next_push(60)
            check(m is not None, f"spectator {self.i}: cut before its snapshot")
            if m.get("t") == "snapshot" and m.get("topic") == TOPIC:
                rows = {r["bib"] for r in m["rows"]}
                check(len(rows) == m["n"], f"spectator {self.i}: a snapshot of {len(rows)} rows "
                      f"for {m['n']} finishers (the window holds 1000)")
                self.snapshots += 1
                return rows

    async def start(self):
        c = await self.connect()
        self.seen |= await self.first_snapshot(c)
        self.task = asyncio.ensure_future(self.follow(c))

    async def follow(self, c):
        while True:
            m = await c.next_push(3600)
            if m is None:  # cut: reconnect through haproxy at once
                t_cut = time.monotonic()
                c = await self.connect()
                rows = await self.first_snapshot(c)
                self.cuts.append((t_cut, time.monotonic(), rows, set(self.seen)))
                self.seen |= rows
                continue
            if m.get("topic") == TOPIC and m.get("t") == "delta":
                self.seen |= {r["bib"] for r in m["rows"]}


async def wait_status(front, want, what, timeout=60):
    async def ok():
        check(front.proc.alive(), f"haproxy exited:\n{front.proc.log_text()[-2000:]}")
        try:
            st = front.status()
        except OSError:  # haproxy still starting
            return None
        return st if all(st.get(k) == v for k, v in want.items()) else None
    try:
        return await harness.wait_for(ok, what, timeout, every=0.02)
    except TestFailure:
        raise TestFailure(f"{what}: haproxy's stats say {front.status()} after {timeout}s")


def unit_checks(h):
    """scripts/deploy/splitlined.service, with ExecStart pointing at the
    built splitlined (verify wants it to exist): `systemd-analyze verify`
    says nothing, and `security --offline` rates its exposure 2.0 or less
    (of 10: the hardening is there)."""
    tool = h.args.systemd_analyze
    check(os.access(tool, os.X_OK),
          f"systemd-analyze not found ({tool!r}): scripts/setup installs it")
    with open(os.path.join(h.paths.source, "scripts", "deploy", "splitlined.service")) as f:
        text = f.read()
    check("ExecStart=/usr/local/bin/splitlined " in text, "the unit's ExecStart moved")
    unit = h.path("splitlined.service")
    with open(unit, "w") as f:
        f.write(text.replace("ExecStart=/usr/local/bin/splitlined ",
                             f"ExecStart={os.path.abspath(h.paths.server)} "))
    r = subprocess.run([tool, "verify", unit], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0 and not (r.stdout + r.stderr).strip(),
          f"systemd-analyze verify splitlined.service: exit {r.returncode}:\n{r.stdout}{r.stderr}")
    r = subprocess.run([tool, "security", "--offline=yes", "--threshold=20", unit],
                       capture_output=True, text=True, timeout=120)
    m = re.search(r"Overall exposure level for splitlined.service: ([0-9.]+)", r.stdout)
    check(r.returncode == 0 and m, f"systemd-analyze security: exit {r.returncode}:\n"
          f"{r.stdout[-1500:]}{r.stderr}")
    log(f"splitlined.service: systemd-analyze verify clean, exposure {m.group(1)} of 10")


async def main(h):
    check(os.access(h.args.haproxy, os.X_OK),
          f"haproxy not found ({h.args.haproxy!r}): scripts/setup installs it")
    unit_checks(h)
    n = h.args.runners
    sl = boston.write_slice(h.paths.boston_csv, h.path("slice.csv"), n)
    runners = boston.load(sl)
    expected = sum(r.reads for r in runners)
    ref, _ = await boston.reference_export(h, sl, DEV)
    log(f"reference export: {len(ref)} bytes from {expected} reads")

    redis = h.redis()
    a = h.server(redis, name="node-a")
    h.create_event(a)
    h.import_boston(a, sl)
    b = h.server(redis, name="node-b")

    class NoRedis:  # a port where nothing listens
        addr = f"127.0.0.1:{free_port()}"
    c = harness.Server(h, NoRedis, name="node-c").start()
    hc = c.health()
    check(hc["ok"] is False and hc["redis"] == "down", f"node C without Redis: {hc}")
    await a.wait_caught_up()
    await b.wait_caught_up()

    d_port = free_port()  # node D starts later
    front = Front(h, [a.port, b.port, c.port, d_port])
    await wait_status(front, {"node1": "UP", "node2": "UP", "node3": "DOWN", "node4": "DOWN"},
                      "haproxy: A and B up, C (no Redis) and D (not started) down")
    st = front.stats()
    check(st["node3"]["check_status"] == "L7RSP" and st["node3"]["stot"] == "0",
          f"node C: {st['node3']['check_status']} ({st['node3']['check_desc']}), "
          f"{st['node3']['stot']} sessions; want L7RSP (its /health said ok:false), 0")
    log("haproxy: nodes A, B up; C down by the body of its /health (200, \"ok\":false)")

    specs = [Spectator(front, i) for i in range(SPECTATORS)]
    for s in specs:
        await s.start()
    st = front.stats()
    per_node = {k: int(st[k]["scur"]) for k in ("node1", "node2", "node3")}
    check(per_node["node1"] > 0 and per_node["node2"] > 0 and per_node["node3"] == 0,
          f"spectators per node through haproxy: {per_node}")
    log(f"{SPECTATORS} spectators through haproxy: {per_node}")

    tok = h.issue_token(a, "reader", DEV)
    base = redis.xlen()
    stot0 = {k: int(st[k]["stot"]) for k in ("node1", "node2")}
    speed = max(1, boston.race_span_s(runners) // 20)
    log(f"replaying {expected} reads at --speed {speed} through haproxy")
    rp = h.replay(front, sl, tok, DEV, speed=speed)

    async def replay_node():
        s = front.stats()
        d = {k: int(s[k]["stot"]) - stot0[k] for k in stot0}
        return d if sum(d.values()) else None
    d = await harness.wait_for(replay_node, "the replay's connection through haproxy", 60)
    check(sorted(d.values()) == [0, 1], f"new sessions per node when the replay connected: {d}")
    victim, other = (a, b) if d["node1"] else (b, a)
    vname, oname = ("node1", "node2") if victim is a else ("node2", "node1")
    on_victim = per_node[vname]

    # Mid-replay, finishers arriving: the spectators have seen some.
    t0 = time.monotonic()
    while min(len(s.seen) for s in specs) < h.args.kill_after:
        check(rp.alive(), f"replay ended before the kill: {rp.out_text()[-500:]}")
        check(time.monotonic() - t0 < 300, "spectators saw no finishers in 300 s")
        await asyncio.sleep(0.05)
    seen_at_kill = min(len(s.seen) for s in specs)
    # Frozen until the replay has sent it bytes it has not read: a batch in
    # flight, never acked, when it dies (as in test_restart).
    victim.proc.signal(signal.SIGSTOP)
    t1 = time.monotonic()
    queued = await harness.wait_for(
        lambda: time.monotonic() - t1 > 0.3 and unread(victim.port),
        f"bytes of the replay unread by the frozen {victim.name}", 30, every=0.02)
    check(rp.alive(), f"replay ended while its node was frozen: {rp.out_text()[-500:]}")
    victim.proc.signal(signal.SIGKILL)
    t_kill = time.monotonic()
    victim.proc.wait(10)
    log(f"killed node {victim.name} (-9) holding the replay and {on_victim} spectators, "
        f"{redis.xlen() - base} batches in the log, {queued} bytes unread, "
        f"{seen_at_kill}+ finishers seen")

    await wait_status(front, {vname: "DOWN", oname: "UP", "node3": "DOWN"},
                      f"haproxy marks the killed {vname} down")
    t_down = time.monotonic() - t_kill
    stot_dead = int(front.stats()[vname]["stot"])

    # The replay finishes by itself, through haproxy, on the other node.
    rc = await rp.wait_async(600)
    out, err = rp.out_text(), rp.log_text()
    harness.scan_sanitizer(err, "replay")
    check(rc == 0, f"replay exited {rc}: {out[-500:]} {err[-1500:]}")
    summary = harness.parse_replay_summary(out)
    check(summary["acked"] == expected and summary["sent"] == expected,
          f"replay {summary}, expected {expected} reads")
    m = re.search(r"(\d+) batch sends were repeated", err)
    check(m and int(m.group(1)) > 0, f"the replay repeated no batch send though its node died "
          f"with its batch unread:\n{err[-1500:]}")
    log(f"replay finished through haproxy: {summary}; {m.group(0)}")

    await other.wait_caught_up()
    boston.check_log_complete(redis, DEV, expected)
    st, got = front.get(f"/api/results/{RACE}.csv")
    check(st == 200 and got == ref, f"export through haproxy ({st}) differs from the clean run: "
          + boston.diff_hint(ref, got))
    finishers = {r["bib"] for r in csv.DictReader(io.StringIO(got.decode()))
                 if r["status"] == "finished"}
    check(0 < len(finishers) <= 1000, f"{len(finishers)} finishers (the window holds 1000)")
    log(f"log complete, each read once; export through haproxy equals the clean run "
        f"({len(finishers)} finishers)")

    # Spectators: the victim's were cut once and came back with everything;
    # the others were never cut; all hold every finisher.
    async def all_seen():
        return all(s.seen == finishers for s in specs)
    await harness.wait_for(all_seen, "every spectator holding every finisher", 60)
    cut = [s for s in specs if s.cuts]
    check(len(cut) == on_victim and all(len(s.cuts) == 1 for s in cut),
          f"{len(cut)} spectators cut ({[len(s.cuts) for s in specs]}), "
          f"{on_victim} were on the killed node")
    times = []
    for s in cut:
        t_cut, t_snap, rows, before = s.cuts[0]
        check(before <= rows, f"spectator {s.i}: the snapshot after reconnecting lacks "
              f"{sorted(before - rows)[:5]} it had seen")
        check(len(rows) >= seen_at_kill, f"spectator {s.i}: a snapshot of {len(rows)} finishers "
              f"after reconnecting, {seen_at_kill} were seen before the kill")
        times.append(t_snap - t_kill)
    for s in specs:
        s.task.cancel()

    # No new connection to the dead node; /health through haproxy is B's.
    for _ in range(20):
        st, body = front.get("/health")
        check(st == 200 and json.loads(body)["node"] == other.proc.pid,
              f"/health through haproxy: {st} {body[:200]!r}, want node {other.proc.pid}")
    st = front.stats()
    check(int(st[vname]["stot"]) == stot_dead and st["node3"]["stot"] == "0",
          f"sessions of the dead node {stot_dead} -> {st[vname]['stot']}, node C "
          f"{st['node3']['stot']}: want no new ones")
    text = front.proc.log_text()
    check(f"Server splitlined/{vname} is DOWN" in text and "Server splitlined/node3 is DOWN"
          in text, f"haproxy's log does not say {vname} and node3 went down:\n{text[-2000:]}")
    log(f"haproxy marked the killed node DOWN {t_down:.2f}s after the kill and sent it nothing "
        f"since; 20 /health through haproxy all from node {other.name}")
    log(f"failover of {len(times)} spectators (kill -> snapshot from the other node): "
        f"median {statistics.median(times):.2f}s, max {max(times):.2f}s")
    await node_d(h, front, redis, d_port, finishers)
    other.stop()
    front.proc.stop()


async def onto_d(front, first):
    """New spectators through haproxy until node D holds one; returns them.
    D is in its slow start (its weight grows from nearly 0 over 10 s), so
    leastconn sends it a new spectator only once its weight has grown
    enough: one every 0.25 s (at the latest when its slow start ends, D with
    no connection is the least loaded)."""
    late = []
    while int(front.stats()["node4"]["scur"]) < 1:
        check(len(late) < 60, f"{len(late)} new spectators in 15 s, none on node D")
        late.append(Spectator(front, first + len(late)))
        await late[-1].start()
        await asyncio.sleep(0.25)
    return late


async def d_goes_bad(front, d, late, finishers, harm, what, check_status):
    """harm() makes node D unable to serve while it still runs: haproxy must
    mark it down by its check (check_status) and close its tunnels
    (on-marked-down shutdown-sessions), so that its spectators, cut, come
    back through haproxy on node B with every finisher."""
    on_d = int(front.stats()["node4"]["scur"])
    check(all(s.seen == finishers for s in late), f"spectators before node D {what}: "
          f"{[len(s.seen) for s in late]} finishers, want {len(finishers)}")
    await harm()
    t_cut = time.monotonic()
    await wait_status(front, {"node4": "DOWN"}, f"haproxy marks node D down ({what})")
    t_down = time.monotonic() - t_cut

    async def back():
        return sum(1 for s in late if s.cuts) == on_d
    await harness.wait_for(back, f"node D's {on_d} spectators cut and back on node B", 60)
    check(d.proc.alive(), f"node D died ({what})")
    st = front.stats()
    check(st["node4"]["check_status"] == check_status and st["node4"]["scur"] == "0",
          f"node D ({what}): check {st['node4']['check_status']}, {st['node4']['scur']} "
          f"sessions; want {check_status}, 0")
    check(all(len(s.cuts) <= 1 for s in late), f"cuts per spectator: {[len(s.cuts) for s in late]}")
    times = []
    for s in late:
        if s.cuts:
            _, t_snap, rows, _ = s.cuts[0]
            check(rows == finishers, f"spectator {s.i}: {len(rows)} finishers after "
                  f"reconnecting, want {len(finishers)}")
            times.append(t_snap - t_cut)
        s.task.cancel()
    log(f"node D {what}: marked DOWN ({check_status}) after {t_down:.2f}s, its {on_d} "
        f"spectators cut by haproxy and back on node B with every finisher after "
        f"{statistics.median(times):.2f}s (median), {max(times):.2f}s (max)")


async def node_d(h, front, redis, d_port, finishers):
    """Node D comes up (haproxy sends it new spectators: it has the fewest),
    then loses its Redis (a proxy on its link cut: D's /health says
    "ok":false); it gets it back and comes up again, then hangs (SIGSTOP:
    its connections stay open, its checks time out)."""
    link = harness.Proxy(redis.port)
    await link.up()

    class ViaLink:
        addr = f"127.0.0.1:{link.port}"
    d = harness.Server(h, ViaLink, name="node-d", port=d_port).start()
    d.redis = redis  # the log it must catch up with
    await d.wait_caught_up()
    await wait_status(front, {"node4": "UP"}, "haproxy: node D up")
    late = await onto_d(front, 100)
    await d_goes_bad(front, d, late, finishers, link.down, "lost its Redis", "L7RSP")
    check(d.health()["redis"] == "down", f"node D's health without Redis: {d.health()}")

    await link.up()
    await d.wait_caught_up()
    await wait_status(front, {"node4": "UP"}, "haproxy: node D up again with its Redis")
    late = await onto_d(front, 200)

    async def freeze():
        d.proc.signal(signal.SIGSTOP)
    await d_goes_bad(front, d, late, finishers, freeze, "hangs (SIGSTOP)", "L7TOUT")
    d.proc.signal(signal.SIGCONT)
    d.stop()


def args(ap):
    ap.add_argument("--haproxy", default=shutil.which("haproxy") or "/usr/sbin/haproxy")
    ap.add_argument("--systemd-analyze",
                    default=shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze")
    ap.add_argument("--runners", type=int, default=600)
    ap.add_argument("--kill-after", type=int, default=20,
                    help="finishers every spectator has seen before the kill")


if __name__ == "__main__":
    harness.run("haproxy", main, args)
