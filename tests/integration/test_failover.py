"""failover: an event's primary fails, or its slot moves, in the middle of a replay.

A 3-primary, 3-replica cluster (scripts/cluster, node timeout 2 s), one
splitlined --event boston-2015 --redis <seeds> (so --redis-wait 1, the
cluster default: a batch is acked once a replica has it), the fastest
--runners of Boston 2015 replayed at a speed that makes the replay last some
25 s.  Some 6 s in, with batches in the log, one fault (--case):

  kill9      the primary that owns the event's slot is killed (SIGKILL); its
             replica is promoted; the killed node is started again from its
             dir (it rejoins as the new primary's replica: with one replica
             per primary and min-replicas-to-write 1 the new primary takes
             writes only once it has a replica again);
  partition  the primary is SIGSTOPped until its replica is promoted (past
             the node timeout), then SIGCONTed: it rejoins as a replica;
  reshard    the event's slot is moved to another primary mid-replay, key by
             key (IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE), so appends and
             the tail meet the slot half moved (ASK, TRYAGAIN) and then MOVED.

Each asserts: the replay finishes by itself (exit 0) with every read acked;
every acked read is in the log exactly once (the records decoded: each
(device, seq) 1..N once, none beyond); the CSV export is byte-identical to a
clean run on a single Redis; after a failover the replay had to resend (the
fault met traffic) and the new primary holds the whole log; /health names the
slot's owner as redis_node.

  replica-down  (hostile) a device sends batches itself; the replica of the
             event's primary is killed: a batch is answered `unavailable`
             (not acked), again on a resend; once the replica runs again
             (started from its dir) the resend is acked and the log holds each
             read once.  A second node with --redis-wait 2 (one replica per
             primary: never enough) answers `unavailable` while the first
             acks; --redis-wait 0 acks without waiting.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import asyncio
import os
import re
import time

import boston
import harness
from harness import EVENT, Client, check, log

DEV = "replay-f"
T0 = 1429538400000  # wave 1: 2015-04-20T10:00:00-04:00


async def fault_kill9(h, c, rp):
    old = c.primary_of()
    rep = c.replica_of(old)
    t0 = time.monotonic()
    c.kill9(old)
    new = c.wait_promoted(EVENT, old)
    check(new is rep, f"{new} was promoted, not {old}'s replica {rep}")
    log(f"killed primary {old}; its replica {new} promoted in {time.monotonic() - t0:.1f}s")
    await asyncio.sleep(1)  # the replay meets a primary without a replica
    c.start_node(old)
    await harness.wait_for(lambda: old.info("replication").get("master_link_status") == "up",
                           f"{old} back as {new}'s replica", 60)
    log(f"{old} started again from its dir: a replica of {new}")
    return new


async def fault_partition(h, c, rp):
    old = c.primary_of()
    rep = c.replica_of(old)
    t0 = time.monotonic()
    c.sigstop(old)
    new = c.wait_promoted(EVENT, old)
    check(new is rep, f"{new} was promoted, not {old}'s replica {rep}")
    log(f"SIGSTOPped primary {old}; its replica {new} promoted in {time.monotonic() - t0:.1f}s")
    c.sigcont(old)
    await harness.wait_for(lambda: old.info("replication").get("role") == "slave" and
                           old.info("replication").get("master_link_status") == "up",
                           f"{old} back as a replica", 60)
    log(f"{old} SIGCONTed: a replica of {new} now")
    return new


async def fault_reshard(h, c, rp):
    src = c.primary_of()
    to = [p for p in c.primaries() if p is not src][0]
    t0 = time.monotonic()
    moved = c.move_slot(EVENT, to, pause=0.5)
    log(f"slot {c.slot_of()} moved from {src} to {to} ({moved} keys) in "
        f"{time.monotonic() - t0:.1f}s")
    check(moved >= 2, f"only {moved} keys moved: the event's keys were not in the slot?")
    return to


async def through_fault(h, fault):
    n = h.args.runners
    sl = boston.write_slice(h.paths.boston_csv, h.path("slice.csv"), n)
    runners = boston.load(sl)
    expected = sum(r.reads for r in runners)
    ref, _ = await boston.reference_export(h, sl, DEV)

    c = h.cluster()
    srv = h.server(c)
    h.create_event(srv)
    h.import_boston(srv, sl)
    tok = h.issue_token(srv, "reader", DEV)
    base = c.xlen()
    speed = max(1, boston.race_span_s(runners) // 25)
    log(f"replaying {expected} reads at --speed {speed}; the event's slot {c.slot_of()} is on "
        f"{c.primary_of()}")
    rp = h.replay(srv, sl, tok, DEV, speed=speed)
    t0 = time.monotonic()
    while c.xlen() < base + 3 or time.monotonic() - t0 < 6:
        check(rp.alive(), f"replay ended before the fault: {rp.out_text()[-500:]}")
        await asyncio.sleep(0.05)
    check(rp.alive(), "the replay ended before the fault")
    log(f"fault {time.monotonic() - t0:.1f}s into the replay, {c.xlen() - base} records in")
    owner = await fault(h, c, rp)

    rc = await rp.wait_async(600)
    out, err = rp.out_text(), rp.log_text()
    harness.scan_sanitizer(err, "replay")
    check(rc == 0, f"replay exited {rc}: {out[-500:]} {err[-1500:]}")
    summary = harness.parse_replay_summary(out)
    log(f"replay finished by itself in {time.monotonic() - t0:.1f}s: {summary}")
    check(summary["acked"] == expected, f"replay {summary}, expected {expected} reads acked")
    await srv.wait_caught_up()
    check(c.primary_of() is owner, f"the slot's owner is {c.primary_of()}, not {owner}")
    boston.check_log_complete(c, DEV, expected)
    check(owner.cmd("XLEN", c.log_key()) == c.xlen(),
          f"{owner} holds {owner.cmd('XLEN', c.log_key())} records, the log {c.xlen()}")
    got = srv.export("csv")
    check(got == ref, "export after the fault differs from a clean run: "
          + boston.diff_hint(ref, got))
    await harness.wait_for(lambda: (srv.health() or {}).get("redis_node") == owner.addr,
                           f"/health naming {owner} as redis_node", 30)
    hl = srv.health()
    check(hl.get("redis") == "up" and hl.get("redis_mode") == "cluster", f"health {hl}")
    log(f"each of the {expected} acked reads in the log once, export byte-identical, "
        f"/health: redis_node {hl.get('redis_node')}")
    srv.stop()
    return err


def repeated(err):
    m = re.search(r"(\d+) batch sends were repeated", err)
    return int(m.group(1)) if m else 0


def batch(runners, seq, pt):
    reads = [{"chip": r.bib, "pt": pt, "t": T0 + 20000 + 1000 * i + (
        0 if pt == "start" else boston.hms(r.cells["5K"]) * 1000), "kind": "rfid"}
        for i, r in enumerate(runners)]
    return {"t": "passings", "dev": DEV, "seq": seq, "reads": reads}


async def send(srv, token, msg):
    cl = await Client.connect(srv, "msgpack")
    try:
        await cl.hello(token)
        return await cl.request(msg, timeout=60)
    finally:
        await cl.close()


async def replica_down(h):
    sl = boston.write_slice(h.paths.boston_csv, h.path("slice.csv"), 40)
    runners = [r for r in boston.load(sl) if r.bib.isdigit() and int(r.bib) < 9000][:20]
    check(len(runners) >= 10, "not enough wave-1 runners in the slice")
    c = h.cluster()
    srv = h.server(c)
    h.create_event(srv)
    h.import_boston(srv, sl)
    tok = h.issue_token(srv, "reader", DEV)
    k = len(runners)
    a, b = batch(runners, 1, "start"), batch(runners, k + 1, "5k")

    r = await send(srv, tok, a)
    check(r.get("t") == "ack" and r.get("last") == k, f"batch A with the replica up: {r}")
    # the bound: one replica per primary, so --redis-wait 2 never has enough
    srv2 = h.server(c, "server-wait2", extra=["--redis-wait", "2"])
    tok2 = h.issue_token(srv, "reader", "dev-w2")  # a token waits too
    w2 = dict(batch(runners, 1, "start"), dev="dev-w2")
    r = await send(srv2, tok2, w2)
    check(r.get("t") == "err" and r.get("code") == "unavailable",
          f"--redis-wait 2 with one replica: {r}, want err unavailable")
    srv2.stop()
    srv0 = h.server(c, "server-wait0", extra=["--redis-wait", "0"])
    tok0 = h.issue_token(srv, "reader", "dev-w0")
    r = await send(srv0, tok0, dict(w2, dev="dev-w0"))
    check(r.get("t") == "ack", f"--redis-wait 0: {r}, want ack")
    srv0.stop()
    log("--redis-wait 2 with one replica per primary: unavailable; --redis-wait 0 and 1: acked")

    p = c.primary_of()
    rep = c.replica_of(p)
    c.kill9(rep)
    log(f"killed {rep}, the replica of the event's primary {p}")
    for attempt in (1, 2):
        r = await send(srv, tok, b)
        check(r.get("t") == "err" and r.get("code") == "unavailable",
              f"batch B (send {attempt}) with the replica down: {r}, want err unavailable")
    log(f"batch B, twice, with the replica down: {r.get('code')} ({r.get('msg')})")
    wm = c.cmd("HGET", f"sl:{{{EVENT}}}:dev", DEV)
    check(wm is not None and int(wm) in (k, 2 * k), f"device watermark {wm!r}")

    c.start_node(rep)
    await harness.wait_for(lambda: rep.info("replication").get("master_link_status") == "up",
                           f"{rep} linked to {p} again", 60)
    r = await send(srv, tok, b)
    check(r.get("t") == "ack" and r.get("last") == 2 * k,
          f"batch B once the replica is back: {r}")
    log(f"batch B acked once {rep} was back (dup {r.get('dup')})")
    await srv.wait_caught_up()
    boston.check_log_complete(c, DEV, 2 * k)
    srv.stop()


async def main(h):
    case = h.args.case
    if case == "replica-down":
        await replica_down(h)
        return
    fault = {"kill9": fault_kill9, "partition": fault_partition,
             "reshard": fault_reshard}[case]
    err = await through_fault(h, fault)
    if case != "reshard":
        check(repeated(err) > 0, f"the replay resent nothing: did the failover meet traffic?\n"
              f"{err[-1500:]}")
        log(f"the replay resent {repeated(err)} batches across the failover")


def args(ap):
    ap.add_argument("--case", choices=["kill9", "partition", "reshard", "replica-down"],
                    default=os.environ.get("SL_FAILOVER_CASE", "kill9"))
    ap.add_argument("--runners", type=int, default=1500)


if __name__ == "__main__":
    harness.run("failover", main, args)
