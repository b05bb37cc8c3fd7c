"""slow_readers: clients that stop reading cost bounded memory, and nobody else.

Boston 2015 (26,598 runners) replays at 2000x (10.4 hours of race in 19 s)
while
2,000 spectators subscribe to `results/marathon` (limit 100) and
`finishes/marathon` and never read a byte after the WebSocket upgrade
(raw sockets with a small receive buffer), and one spectator reads
everything (`results/marathon` limit 100, `finishes/marathon`, `status`).

What must hold (issue 14; PROTOCOL.md "Session", "Server pushes"):
- the server's RSS (/proc/PID/status VmRSS, sampled every 50 ms) stays
  under its baseline (after the import, before the flood) + 256 MB;
- every slow connection is closed with 4008 "too slow: ...": once the
  replay is over, each slow client reads what it was sent, and the last
  frame is that close, then the connection ends; the server logged each
  close with at most its cap unsent;
- the reading client is never closed, gets no delta over 64 KiB (bigger ones
  come as the window's snapshot) and no snapshot of its 100-row window over
  128 KiB; its frames come in order (no runner ever goes back: status and
  splits only grow, `status` records only grow) and it ends with the
  server's final rows (the export's top 100, the latest finishers, every
  record);
- once the slow clients are gone, RSS is back within 64 MB of the baseline
  (the replay itself adds about 20 MB under ASan; the flood's sessions, lws
  buffers and frames must be given back).
/health latency during the flood is measured and logged (p50/p99/max), not
asserted: this machine is shared and noisy, and tests do not time things.

Under ASan the server runs with a small quarantine (quarantine_size_mb=8),
so that RSS shows live memory rather than 256 MB of freed blocks kept to
catch use-after-free, and gives freed memory back to the system every
500 ms (allocator_release_to_os_interval_ms; ASan's allocator never does by
default, and malloc_trim does not reach it).  The spectators' cap is 2 MiB
(--spectator-queue-kib 2048, half the default): the replay's fixed speed
makes at least 190 ticks of updates, about 7 MB for each subscriber of the
two topics (logged), so every slow reader passes the cap whatever pace a busy
machine gives the test, while the reading client may lag by 2 MiB (seconds)
before it would be closed.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import asyncio
import base64
import os
import re
import select
import socket
import struct
import threading
import time

import msgpack

import harness
from harness import Client, check, log

RACE = harness.RACE
CAP_KIB = 2048
SPEED = 2000
DELTA_MAX = 64 << 10       # NET_DELTA_MAX
WINDOW_SNAP_MAX = 128 << 10  # 100 result rows of about 650 bytes, with room
RSS_FLOOD_MB = 256
RSS_AFTER_MB = 64
STATUS_ORDER = {"registered": 0, "dns": 0, "started": 1, "on_course": 2, "dnf": 3,
                "finished": 3, "dsq": 3}


# ---------------------------------------------------------------- raw slow clients

def ws_frame(obj):
    """A masked binary frame holding obj in msgpack (RFC 6455 5.2)."""
    payload = msgpack.packb(obj, use_bin_type=True)
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x82])
    if n < 126:
        head += bytes([0x80 | n])
    else:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + masked


def slow_client(port, event):
    """A WebSocket that says hello, subscribes and never reads again."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(60)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Protocol: {harness.SUBPROTO['msgpack']}\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        check(chunk, "the server closed a connection during the WebSocket upgrade")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    check(head.startswith(b"HTTP/1.1 101"), f"upgrade answered {head[:80]!r}")
    check(rest == b"", f"bytes after the upgrade before any request: {rest[:40]!r}")
    s.sendall(ws_frame({"t": "hello", "id": 1, "event": event}) +
              ws_frame({"t": "subscribe", "id": 2, "topic": f"results/{RACE}", "limit": 100}) +
              ws_frame({"t": "subscribe", "id": 3, "topic": f"finishes/{RACE}"}))
    s.setblocking(False)
    return s


class Stream:
    """What a slow client reads at last: frames walked without keeping them."""

    def __init__(self):
        self.buf = bytearray()
        self.frames = 0
        self.bytes = 0
        self.close = None  # (code, reason) of a close frame
        self.after_close = 0
        self.eof = False

    def feed(self, data):
        self.bytes += len(data)
        self.buf += data
        while True:
            b = self.buf
            if len(b) < 2:
                return
            op, n, off = b[0] & 0x0F, b[1] & 0x7F, 2
            if n == 126:
                if len(b) < 4:
                    return
                n, off = struct.unpack(">H", b[2:4])[0], 4
            elif n == 127:
                if len(b) < 10:
                    return
                n, off = struct.unpack(">Q", b[2:10])[0], 10
            if len(b) < off + n:
                return
            if self.close is not None:
                self.after_close += 1
            elif op == 8:
                p = bytes(b[off:off + n])
                self.close = (struct.unpack(">H", p[:2])[0] if n >= 2 else None,
                              p[2:].decode("utf-8", "replace"))
            self.frames += 1
            del self.buf[:off + n]


def drain_all(socks, quiet=5.0, limit=120.0):
    """Read every socket to its end; [Stream] in the same order.  A socket
    that stays silent for `quiet` seconds without ending counts as open."""
    streams = [Stream() for _ in socks]
    live = {s.fileno(): (s, st) for s, st in zip(socks, streams)}
    deadline, last = time.monotonic() + limit, time.monotonic()
    poller = select.epoll()
    for fd in live:
        poller.register(fd, select.EPOLLIN)
    while live and time.monotonic() < deadline and time.monotonic() - last < quiet:
        for fd, _ in poller.poll(0.5):
            s, st = live[fd]
            try:
                data = s.recv(1 << 16)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                data = b""
                st.reset = True
            last = time.monotonic()
            if data:
                st.feed(data)
            else:
                st.eof = True
                poller.unregister(fd)
                del live[fd]
    poller.close()
    return streams


# ---------------------------------------------------------------- watchers

def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Watch(threading.Thread):
    """Samples the server's RSS every 50 ms and times GET /health every 100 ms."""

    def __init__(self, srv):
        super().__init__(daemon=True)
        self.srv, self.stop_ev = srv, threading.Event()
        self.peak_kb, self.health_ms, self.health_fail = 0, [], 0

    def run(self):
        next_health = 0.0
        while not self.stop_ev.is_set():
            try:
                self.peak_kb = max(self.peak_kb, rss_kb(self.srv.proc.pid))
            except OSError:
                return
            now = time.monotonic()
            if now >= next_health:
                next_health = now + 0.1
                t0 = time.monotonic()
                st, _ = self.srv.get("/health", timeout=30)
                if st == 200:
                    self.health_ms.append((time.monotonic() - t0) * 1000)
                else:
                    self.health_fail += 1
            self.stop_ev.wait(0.05)

    def stop(self):
        self.stop_ev.set()
        self.join(60)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] if xs else float("nan")


# ---------------------------------------------------------------- the reading client

class Reader(Client):
    """A spectator that reads everything and keeps each frame's size."""

    def __init__(self, ws, fmt):
        self.sizes = []
        super().__init__(ws, fmt)

    def decode(self, frame):
        m = super().decode(frame)
        if isinstance(m, dict) and m.get("t") in ("snapshot", "delta"):
            self.sizes.append((m["t"], m.get("topic"), len(frame)))
        return m


def progress(row):
    return (STATUS_ORDER.get(row.get("status"), 0), len(row.get("splits") or {}))


def check_reader(rd, msgs, export, nrecords):
    """In order, bounded, and ending with the server's rows."""
    for t, tp, n in rd.sizes:
        if t == "delta":
            check(n <= DELTA_MAX, f"reader got a {n}-byte delta of {tp} (bound {DELTA_MAX})")
        elif tp == f"results/{RACE}":
            check(n <= WINDOW_SNAP_MAX, f"reader got a {n}-byte snapshot of the 100-row window")
    seen, records = {}, -1
    results, finishes = {}, {}
    for m in msgs:
        t, tp = m.get("t"), m.get("topic")
        check(t in ("snapshot", "delta"), f"reader: unexpected push {str(m)[:200]}")
        if tp == "status":
            r = (m.get("rows") or [{}])[0].get("records", -1)
            check(r > records or (r == records and t == "snapshot"),
                  f"status records went from {records} to {r}: a frame out of order")
            records = r
            continue
        state = results if tp == f"results/{RACE}" else finishes
        if t == "snapshot":
            state.clear()
        for row in m.get("rows") or []:
            b = str(row["bib"])
            p = progress(row)
            check(p >= seen.get(b, p), f"bib {b} went back from {seen.get(b)} to {p} in a "
                                       f"{t} of {tp}: a frame out of order")
            seen[b] = p
            state[b] = row
    check(records == nrecords, f"reader's last status counts {records} records, log has "
                               f"{nrecords}")
    top = sorted((r for r in export.values() if r.get("place")), key=lambda r: r["place"])[:100]
    for r in top:
        got = results.get(str(r["bib"]))
        check(got is not None and all(got.get(k) == r.get(k) for k in
                                      ("status", "net", "gun", "splits")),
              f"reader's row of bib {r['bib']} (place {r['place']}) is {got}, export says {r}")
    fin = [r for r in export.values() if r.get("status") == "finished"]
    latest = sorted(fin, key=lambda r: r["start"] + r["net"])[-40:]
    missing = [str(r["bib"]) for r in latest if str(r["bib"]) not in finishes]
    check(not missing, f"the reader's finishes lack the latest finishers {missing[:10]}")


# ---------------------------------------------------------------- the test

async def main(h):
    nslow = h.args.slow
    base = os.environ.get("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
    os.environ["ASAN_OPTIONS"] = base + ":quarantine_size_mb=8:allocator_release_to_os_interval_ms=500"
    redis = h.redis()
    srv = h.server(redis, extra=["--spectator-queue-kib", CAP_KIB])
    h.create_event(srv)
    h.import_boston(srv, h.paths.boston_csv)
    tok = h.issue_token(srv, "reader", "replay-1")
    await srv.wait_caught_up()

    rd = await Reader.connect(srv, "msgpack")
    await rd.hello()
    for tp, lim in ((f"results/{RACE}", 100), (f"finishes/{RACE}", 0), ("status", 0)):
        await rd.expect_ok({"t": "subscribe", "topic": tp, "limit": lim})
    await asyncio.sleep(1)
    base_kb = min(rss_kb(srv.proc.pid) for _ in range(3))
    log(f"baseline RSS {base_kb / 1024:.1f} MB")

    watch = Watch(srv)
    watch.start()
    t0 = time.monotonic()
    loop = asyncio.get_running_loop()
    slow = await loop.run_in_executor(None, lambda: [slow_client(srv.port, srv.event)
                                                    for _ in range(nslow)])
    log(f"{nslow} slow readers connected in {time.monotonic() - t0:.1f}s, "
        f"RSS {rss_kb(srv.proc.pid) / 1024:.1f} MB")

    replay = h.replay(srv, h.paths.boston_csv, tok, "replay-1", speed=SPEED)
    limit_kb = base_kb + RSS_FLOOD_MB * 1024
    while replay.alive():
        check(watch.peak_kb <= limit_kb, f"server RSS {watch.peak_kb / 1024:.0f} MB passed "
                                         f"the baseline + {RSS_FLOOD_MB} MB during the flood")
        check(srv.proc.alive(), f"server died:\n{srv.proc.log_text()[-3000:]}")
        await asyncio.sleep(0.2)
    check(replay.p.returncode == 0, f"replay exited {replay.p.returncode}:\n"
                                    f"{replay.log_text()[-2000:]}")
    await srv.wait_caught_up()
    log(f"replay done in {time.monotonic() - t0:.1f}s")
    closes = re.compile(r"closed (\d+) connections too slow to keep up \(4008\): up to (\d+) "
                        r"bytes unsent \(caps \d+, spectators (\d+)\)")

    def closed():
        found = closes.findall(srv.proc.log_text())
        return sum(int(k) for k, _, _ in found), found
    await harness.wait_for(lambda: closed()[0] >= nslow,
                           f"{nslow} closes for being too slow in the server's log", timeout=30)
    await asyncio.sleep(1)
    watch.stop()
    lat = watch.health_ms
    log(f"RSS peak {watch.peak_kb / 1024:.1f} MB (baseline + "
        f"{(watch.peak_kb - base_kb) / 1024:.1f}); /health during the flood: {len(lat)} "
        f"requests, p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms, "
        f"max {max(lat or [0]):.1f} ms, {watch.health_fail} failed")
    check(watch.peak_kb <= limit_kb, f"server RSS peaked at {watch.peak_kb / 1024:.0f} MB")

    n, found = closed()
    check(n == nslow, f"{n} closes for being too slow logged, {nslow} slow readers")
    over = [(u, c) for _, u, c in found if int(u) > int(c) or int(c) != CAP_KIB << 10]
    check(not over, f"sessions were closed only past their cap: {over[:3]}")
    log(f"closed as too slow: {n} in {len(found)} ticks, "
        f"{', '.join(k for k, _, _ in found[:10])}")

    streams = await loop.run_in_executor(None, drain_all, slow)
    for s in slow:
        s.close()
    bad = [(i, st.close, st.eof, st.after_close, len(st.buf)) for i, st in enumerate(streams)
           if not (st.eof and st.close and st.close[0] == 4008 and
                   st.close[1].startswith("too slow") and st.after_close == 0 and not st.buf)]
    log(f"slow readers read {sum(st.bytes for st in streams) / 1e6:.1f} MB in "
        f"{sum(st.frames for st in streams)} frames at last; {nslow - len(bad)} ended with "
        f"close 4008")
    check(not bad, f"{len(bad)} of {nslow} slow readers did not end with close 4008 and EOF "
                   f"(index, close, eof, frames after close, bytes left): {bad[:5]}")

    async def settled():
        return rss_kb(srv.proc.pid) <= base_kb + RSS_AFTER_MB * 1024
    t1 = time.monotonic()
    try:
        await harness.wait_for(settled, "RSS back near the baseline", timeout=20, every=0.5)
    finally:
        after = rss_kb(srv.proc.pid)
        log(f"RSS {after / 1024:.1f} MB {time.monotonic() - t1:.1f}s after the slow readers "
            f"left (baseline + {(after - base_kb) / 1024:.1f} MB)")

    check(rd.closed is None, f"the reading client was closed: {rd.closed}")
    msgs = await rd.drain(quiet=2.0)
    check(rd.closed is None, f"the reading client was closed: {rd.closed}")
    export = {str(r["bib"]): r for r in srv.export_rows_json()}
    check_reader(rd, msgs, export, redis.xlen())
    deltas = [n for t, _, n in rd.sizes if t == "delta"]
    sent = sum(n for _, tp, n in rd.sizes if tp != "status")
    log(f"reader: {len(rd.sizes)} frames, {len(deltas)} deltas, largest frame "
        f"{max(n for _, _, n in rd.sizes)} bytes, {sent / 1e6:.1f} MB of the two topics the "
        f"slow readers follow; in order and final")
    await rd.close()
    srv.stop()


def args(ap):
    ap.add_argument("--slow", type=int, default=2000, help="slow readers")


if __name__ == "__main__":
    harness.run("slow_readers", main, args)
