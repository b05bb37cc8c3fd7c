"""A batch in flight when a node dies: freeze the node (SIGSTOP) until a
client has sent it bytes it has not read, so that a kill that follows
certainly loses a batch that was sent and never acked (the client must send
it again).  Used by test_restart and test_haproxy."""

import asyncio
import signal
import time

from harness import check


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


async def freeze_in_flight(node, rp, at_least_s):
    """SIGSTOP harness.Server `node` for at least `at_least_s` seconds and
    until the replay `rp` has bytes unread on its port; returns how many."""
    check(rp.alive(), "replay ended before the kill")
    node.proc.signal(signal.SIGSTOP)
    t1 = time.monotonic()
    while time.monotonic() - t1 < at_least_s or not unread(node.port):
        check(rp.alive(), f"replay ended while {node.name} was frozen: {rp.out_text()[-500:]}")
        check(time.monotonic() - t1 < 30, f"the replay sent nothing to the frozen {node.name} "
              "in 30 s")
        await asyncio.sleep(0.02)
    return unread(node.port)
