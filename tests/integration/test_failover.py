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
import time

import boston
import harness
from harness import EVENT, Client, check, log

DEV = "replay-f"
T0 = 1429538400000  # wave 1: 2015-04-20T10:00:00-04:00


async def failover(c, how, what):
    """The event's primary stopped by how(node) until its replica is promoted:
    (the old primary, the new one)."""
    old = c.primary_of()
    rep = c.replica_of(old)
    t0 = time.monotonic()
    how(old)
    new = c.wait_promoted(EVENT, old)
    check(new is rep, f"{new} was promoted, not {old}'s replica {rep}")
    log(f"{what} primary {old}; its replica {new} promoted in {time.monotonic() - t0:.1f}s")
    return old, new


async def fault_kill9(h, c, rp):
    old, new = await failover(c, c.kill9, "killed (SIGKILL)")
    await asyncio.sleep(1)  # the replay meets a primary without a replica
    c.start_node(old)
    await harness.wait_for(lambda: old.info("replication").get("master_link_status") == "up",
                           f"{old} back as {new}'s replica", 60)
    log(f"{old} started again from its dir: a replica of {new}")
    return new


async def fault_partition(h, c, rp):
    old, new = await failover(c, c.sigstop, "SIGSTOPped")
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
    c = h.cluster()
    r = await boston.replay_mid(h, c, h.args.runners, DEV, seconds=25)
    srv = r.srv
    log(f"fault {time.monotonic() - r.t0:.1f}s into the replay, {c.xlen() - r.base} records "
        f"in; the event's slot {c.slot_of()} is on {c.primary_of()}")
    owner = await fault(h, c, r.rp)
    summary, err, resent = await boston.replay_end(r)
    await srv.wait_caught_up()
    check(c.primary_of() is owner, f"the slot's owner is {c.primary_of()}, not {owner}")
    boston.check_log_complete(c, DEV, r.expected)
    check(owner.cmd("XLEN", c.log_key()) == c.xlen(),
          f"{owner} holds {owner.cmd('XLEN', c.log_key())} records, the log {c.xlen()}")
    got = srv.export("csv")
    check(got == r.ref, "export after the fault differs from a clean run: "
          + boston.diff_hint(r.ref, got))
    await harness.wait_for(lambda: (srv.health() or {}).get("redis_node") == owner.addr,
                           f"/health naming {owner} as redis_node", 30)
    hl = srv.health()
    check(hl.get("redis") == "up" and hl.get("redis_mode") == "cluster", f"health {hl}")
    log(f"each of the {r.expected} acked reads in the log once, export byte-identical, "
        f"/health: redis_node {hl.get('redis_node')}")
    srv.stop()
    return resent, err


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
    c = h.cluster()
    runners, srv, tok = boston.wave1_event(h, c, DEV)
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
    # a token change waits for the replica too: refused, not "issued"
    t0 = time.monotonic()
    r = h.ctl(srv, ["token", "issue", "--role", "reader", "--device", "dev-down"], check_rc=False)
    said = (r.stdout + r.stderr).lower()
    # nothing written (min-replicas-to-write), or written but not confirmed
    check(r.returncode != 0 and ("unavailable" in said or "not yet confirmed" in said),
          f"token issue with the replica down: exit {r.returncode}, {r.stdout!r} {r.stderr!r}")
    log(f"token issue with the replica down refused in {time.monotonic() - t0:.1f}s: "
        f"{r.stderr.strip()[:200]}")
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
    resent, err = await through_fault(h, fault)
    if case != "reshard":
        check(resent > 0, "the replay resent nothing: did the failover meet traffic?")
        log(f"the replay resent {resent} batches across the failover")
    else:
        # a move keeps a slot's commands in order: batch k + 1 never overtakes
        # a batch k that met TRYAGAIN (the append script refused it as a gap)
        check(": gap" not in err, "a batch overtook its predecessor during the move: "
              + "; ".join(l for l in err.splitlines() if "gap" in l)[:500])
        log(f"no batch overtook another during the move ({resent} resent)")


def args(ap):
    ap.add_argument("--case", choices=["kill9", "partition", "reshard", "replica-down"],
                    default=os.environ.get("SL_FAILOVER_CASE", "kill9"))
    ap.add_argument("--runners", type=int, default=1500)


if __name__ == "__main__":
    harness.run("failover", main, args)
