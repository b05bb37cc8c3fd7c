"""restart: kill -9 the server in the middle of a replay and start it again.

A slice of Boston is replayed at a speed that takes about 20 s.  A few
batches in, the server is frozen (SIGSTOP) until the replay has sent it
bytes it has not read (a batch in flight: Recv-Q of its connection in
/proc/net/tcp), then killed with SIGKILL and restarted on the same port
(with frequent snapshots, so the restart loads a snapshot plus the log
tail).  The replay reconnects, resends what was not acked (it must say it
repeated a batch send) and finishes.  The export must then equal, byte for
byte, the export of an uninterrupted run on a fresh Redis, and every read
the replay had acked must be in the log exactly once.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import asyncio
import signal
import time

import boston
import harness
from harness import check, log

DEV = "replay-r"


def unread(port):
    """Bytes that reached the established TCP connections of local port
    `port` and that the process holding them has not read (Recv-Q)."""
    n = 0
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                rows = f.read().split("\n")[1:]
        except OSError:
            continue
        for row in rows:
            x = row.split()  # sl local remote st tx_queue:rx_queue ...
            if len(x) > 4 and x[3] == "01" and int(x[1].rsplit(":", 1)[1], 16) == port:
                n += int(x[4].split(":")[1], 16)
    return n


async def main(h):
    redis = h.redis()
    extra = ["--snapshot-every", "20"]
    r = await boston.replay_mid(h, redis, h.args.runners, DEV, extra=extra)
    srv, rp, t0, expected, ref = r.srv, r.rp, r.t0, r.expected, r.ref
    check(r.ref_summary["acked"] == expected, f"reference replay: {r.ref_summary}, "
          f"want {expected}")
    # Freeze the server first, until the replay has sent it something it
    # has not read: a batch in flight (never acked) when the server dies.
    check(rp.alive(), "replay ended before the kill")
    srv.proc.signal(signal.SIGSTOP)
    t1 = time.monotonic()
    while time.monotonic() - t1 < 0.5 or not unread(srv.port):
        check(rp.alive(), f"replay ended while the server was frozen: {rp.out_text()[-500:]}")
        check(time.monotonic() - t1 < 30, "the replay sent nothing to the frozen server in 30 s")
        await asyncio.sleep(0.05)
    queued = unread(srv.port)
    srv.kill()
    log(f"killed the server (-9) {time.monotonic() - t0:.1f}s into the replay, "
        f"{redis.xlen() - r.base} batches in the log, {queued} bytes from the replay unread")
    await asyncio.sleep(1)
    srv = harness.Server(h, redis, "server-2", port=srv.port, extra=extra).start()
    log("server restarted on the same port")

    summary, err, resent = await boston.replay_end(r)
    check(resent > 0, f"the replay repeated no batch send after the kill, "
          f"though the server died with its batch unread:\n{err[-1500:]}")
    await srv.wait_caught_up()
    boston.check_log_complete(redis, DEV, expected)
    got = srv.export("csv")
    check(got == ref, "export after the restart differs from the uninterrupted run: "
          + boston.diff_hint(ref, got))
    h1 = srv.health()
    check(h1.get("caught_up") is True, f"health after the replay: {h1}")
    log("export equals the uninterrupted run, byte for byte")
    srv.stop()


def args(ap):
    ap.add_argument("--runners", type=int, default=2000)


if __name__ == "__main__":
    harness.run("restart", main, args)
