"""Several nodes, one event (DESIGN.md "Scaling out"): every node folds the
same Redis log, so any node serves any client.

Two nodes on two ports against one Redis: reads sent to node A reach a
spectator subscribed on node B (a live delta naming the finishers), and both
nodes' exports are byte for byte the same; a token revoked on node A stops
writing on node B; desks on both nodes assigning bibs from one pool get
distinct bibs.  Then two nodes with --reuse-port yes on ONE port: both run,
the kernel spreads new connections over both (their /health `node` differs),
a third node without the option cannot take the port, and when one of the
two is killed the other keeps serving the port.
"""

import asyncio
import os
import signal

import boston
from harness import (EVENT, RACE, Client, Proc, TestFailure, check, free_port, log, run, wait_for,
                     topic_snapshot)

T0 = 1429538400000  # wave 1: 2015-04-20T10:00:00-04:00



async def live_across_nodes(h, a, b, runners):
    token = h.issue_token(a, "reader", "mat-fin")
    spec = await Client.connect(b, "json")
    await spec.hello()
    await spec.expect_ok({"t": "subscribe", "topic": f"finishes/{RACE}", "limit": 50})
    snap = await spec.next_push()
    check(snap.get("t") == "snapshot" and snap.get("n") == 0, f"first snapshot on B: {snap}")
    fin = runners[:10]
    reads = [{"chip": r.bib, "pt": "finish", "t": T0 + r.time * 1000} for r in fin]
    rd = await Client.connect(a, "msgpack")
    await rd.hello(token)
    await rd.expect_ok({"t": "passings", "dev": "mat-fin", "seq": 1, "reads": reads})
    got, seen = set(), []
    while len(got) < len(fin):
        try:
            m = await spec.next_push(30)
        except asyncio.TimeoutError:
            raise TestFailure(f"node B pushed {sorted(got)} of {len(fin)} finishers; pushes: "
                              + "; ".join(f"{x.get('t')} n={x.get('n')} rows="
                                          f"{[r['bib'] for r in x.get('rows', [])]}"
                                          for x in seen))
        check(m is not None, "spectator on node B was disconnected")
        seen.append(m)
        if m.get("topic") != f"finishes/{RACE}":
            continue
        if m.get("t") == "delta":
            got |= {row["bib"] for row in m["rows"]}
        elif m.get("t") == "snapshot":  # a fresh one: it holds every finisher so far
            got = {row["bib"] for row in m["rows"]}
    check(got == {r.bib for r in fin}, f"node B pushed finishers {sorted(got)}")
    await spec.close()
    await a.wait_caught_up()
    await b.wait_caught_up()
    check(a.export("csv") == b.export("csv") and a.export("json") == b.export("json"),
          "the two nodes' exports differ")
    log("reads sent to node A pushed to a spectator on node B; exports identical")

    # a token revoked on A stops writing on B
    rb = await Client.connect(b, "msgpack")
    await rb.hello(token)
    h.ctl(a, ["token", "revoke", token])
    seq = 2

    async def refused():
        nonlocal seq
        r = await rb.request({"t": "passings", "dev": "mat-fin", "seq": seq, "reads": [
            {"chip": "X-none", "pt": "finish", "t": T0 + 4 * 3600 * 1000}]})
        if r.get("t") == "ack":
            seq += 1
            return False
        check(r.get("code") == "unauthorized", f"after the revoke, node B answered {r}")
        return True
    await wait_for(refused, "a token revoked on node A refused on node B", 10)
    await rb.close()
    await rd.close()
    log(f"token revoked on node A refused on node B after {seq - 2} more batches")


async def desks_on_two_nodes(h, a, b):
    regs = [{"reg": f"N{i}", "name": f"Runner {i}", "race": RACE} for i in range(40)]
    c = await Client.connect(a, "json")
    await c.hello(h.admin_token)
    await c.expect_ok({"t": "participants", "rows": regs})
    await c.close()
    await b.wait_caught_up()

    async def desk(node, dev, mine):
        tok = h.issue_token(node, "desk", dev)
        d = await Client.connect(node, "msgpack")
        await d.hello(tok)
        for i, r in enumerate(mine):
            await d.expect_ok({"t": "checkins", "dev": dev, "seq": i + 1, "scans": [
                {"code": r["reg"], "t": T0 - 3600000 + i, "op": "assign"}]})
        await d.close()
    await asyncio.gather(desk(a, "desk-a", regs[0::2]), desk(b, "desk-b", regs[1::2]))
    await a.wait_caught_up()
    await b.wait_caught_up()
    bibs = []
    for node, dev in ((a, "desk-a"), (b, "desk-b")):
        rows = (await topic_snapshot(node, h.admin_token, f"scans/{dev}"))["rows"]
        check(len(rows) == 20 and all(r["ok"] for r in rows), f"{dev}: {rows[:2]}")
        bibs += [int(r["bib"]) for r in rows]
    check(sorted(bibs) == list(range(60001, 60041)),
          f"bibs from two nodes: {sorted(bibs)[:5]}..., want 60001..60040 once each")
    log("desks on two nodes: 40 registrations, 40 distinct bibs 60001..60040")


async def shared_port(h, redis):
    port = free_port()
    c = h.server(redis, name="node-c", port=port, extra=("--reuse-port", "yes"))
    d = h.server(redis, name="node-d", port=port, extra=("--reuse-port", "yes"))
    nodes = set()
    for _ in range(600):  # a new connection each time: the kernel picks a node
        hl = c.health()
        check(hl is not None, "no /health on the shared port")
        if hl.get("caught_up") is True and hl.get("records") > 0:
            nodes.add(hl["node"])
        if len(nodes) == 2:
            break
        await asyncio.sleep(0.05)
    check(nodes == {c.proc.pid, d.proc.pid},
          f"/health on the shared port answered from nodes {nodes}, "
          f"want both {c.proc.pid} and {d.proc.pid}")
    # a bad value for the option is refused, naming it
    bad = Proc(h, "node-bad", [h.paths.server, "--event", EVENT, "--port", port,
                               "--reuse-port", "maybe"])
    rc = await bad.wait_async(30)
    check(rc == 2 and "bad value 'maybe' for --reuse-port: expected one of no|yes" in
          bad.log_text(), f"--reuse-port maybe: exit {rc}: {bad.log_text()[-300:]}")
    # without the option the port is not taken
    e = Proc(h, "node-e", [h.paths.server, "--event", EVENT, "--listen", "127.0.0.1",
                           "--port", port, "--redis", redis.addr, "--log-level", "info"])
    rc = await e.wait_async(30)
    check(rc != 0 and "cannot listen" in e.log_text(),
          f"a node without --reuse-port on a shared port: exit {rc}: {e.log_text()[-300:]}")
    # one node dies: the port is still served, and results are there
    c.proc.signal(signal.SIGKILL)
    c.proc.wait(10)
    for _ in range(10):
        hl = d.health()
        check(hl is not None and hl["node"] == d.proc.pid, f"after node C died: {hl}")
    snap = await topic_snapshot(d, None, f"finishes/{RACE}")
    check(snap["n"] == 10, f"node D serves finishes with n {snap['n']}")
    d.stop()
    log("two nodes on one port (SO_REUSEPORT): both served; a third refused; one killed, "
        "the other kept serving")


async def body(h):
    sl = boston.write_slice(h.paths.boston_csv, h.path("slice.csv"), 60)
    runners = [r for r in boston.load(sl) if r.bib.isdigit() and int(r.bib) < 9000
               and r.time][:20]
    check(len(runners) >= 10, "not enough wave-1 runners in the slice")
    with open(h.paths.event_yaml) as f:
        text = f.read()
    with open(h.path("event.yaml"), "w") as f:
        f.write(text.replace("    points:\n", '    bib_pool: "60001-60999"\n    points:\n', 1))
    redis = h.redis()
    a = h.server(redis, name="node-a")
    h.create_event(a, h.path("event.yaml"))
    h.import_boston(a, sl)
    b = h.server(redis, name="node-b")
    await a.wait_caught_up()
    await b.wait_caught_up()
    await live_across_nodes(h, a, b, runners)
    await desks_on_two_nodes(h, a, b)
    a.stop()
    b.stop()
    await shared_port(h, redis)


if __name__ == "__main__":
    run("nodes", body)
