"""cluster: events spread over the three primaries of a Redis Cluster.

A 3-primary, 3-replica cluster from scripts/cluster (through the harness).
Three event ids are chosen so that their slots (CLUSTER KEYSLOT) fall on three
different primaries of the cluster's own map.  Each event is created, gets
its own slice of Boston 2015 and is replayed through one splitlined started
with `--redis <the seeds>` and no --event.  The same three replays go through
a splitlined on a single Redis first, in the same test.

Asserts:
  - each event's CSV and JSON results are byte-identical to the single-Redis
    run's;
  - each event's log lives on the primary that owns its slot (XLEN there =
    the log's length, > 0) and on no other primary (CLUSTER COUNTKEYSINSLOT
    0 there); the three owners differ;
  - each event's /api/events/<e>/health says redis up, redis_mode cluster and
    names its owner as redis_node;
  - hostile: a list of 32 seeds (the most --redis takes) whose first entry
    and 25 others are dead still works (the same bytes); `--redis nonsense`,
    `--redis 127.0.0.1:99999`, a seed list with an empty entry, 33 seeds,
    `--redis-wait 6` and `--redis-wait-ms 9` are refused at start with a
    message naming the option; a node started while every seed is dead
    answers /health with redis down, then up once a cluster starts on those
    ports.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import asyncio
import json
import socket
import subprocess
import time
import types

import boston
import harness
from harness import check, log
from test_season import at, caught_up, exports

DEV = "replay-c"
SLICES = (120, 160, 200)  # runners of each event's slice


def event_yaml(h, ev):
    with open(h.paths.event_yaml) as f:
        text = f.read()
    check("event: boston-2015" in text, "the Boston config names no event: boston-2015")
    path = h.path(f"{ev}.yaml")
    with open(path, "w") as f:
        f.write(text.replace("event: boston-2015", f"event: {ev}", 1))
    return path


def pick_events(c):
    """Three event ids whose slots the cluster puts on three different primaries."""
    by_owner = {}
    for i in range(200):
        ev = f"city-{i}"
        owner = c.owner(c.slot_of(ev))
        by_owner.setdefault(owner.port, ev)
        if len(by_owner) == 3:
            return list(by_owner.values())
    raise harness.TestFailure(f"200 ids fell on {len(by_owner)} primaries only")


async def run_events(h, srv, store, events, slices, tag):
    """Creates, imports and replays every event (the replays at once);
    returns {event: exports} once the node has folded every log."""
    procs = []
    for ev, sl in zip(events, slices):
        e = at(srv, ev)
        h.create_event(e, event_yaml(h, ev))
        h.import_boston(e, sl)
        tok = h.issue_token(e, "reader", DEV)
        argv = [h.paths.replay, "boston", sl, "--config", h.path(f"{ev}.yaml"), "--server",
                srv.ws_url, "--event", ev, "--token", tok, "--device", DEV, "--speed", 0,
                "--seed", "1"]
        procs.append(harness.Proc(h, f"replay-{tag}-{ev}", argv,
                                  stdout_file=h.path(f"replay-{tag}-{ev}.out")))
    for p in procs:
        rc = await p.wait_async(600)
        harness.scan_sanitizer(p.log_text(), p.name)
        check(rc == 0, f"{p.name} exited {rc}: {p.out_text()[-500:]} {p.log_text()[-1500:]}")
        log(f"{p.name}: {harness.parse_replay_summary(p.out_text())}")
    out = {}
    for ev in events:
        await caught_up(srv, store, ev)
        out[ev] = exports(srv, ev, ["marathon"])
    return out


def refused(h, args, what):
    """splitlined with args must stop at once, saying what is wrong."""
    argv = [h.paths.server, "--listen", "127.0.0.1", "--port", harness.free_port(),
            "--admin-token-file", h.admin_token_file] + args
    r = subprocess.run([str(a) for a in argv], capture_output=True, timeout=60,
                       env=harness.child_env(), stdin=subprocess.DEVNULL)
    err = r.stderr.decode("utf-8", "replace") + r.stdout.decode("utf-8", "replace")
    harness.scan_sanitizer(err, f"splitlined {' '.join(map(str, args))}")
    check(r.returncode != 0 and what in err,
          f"splitlined {' '.join(map(str, args))}: exit {r.returncode}, want a refusal naming "
          f"{what}:\n{err[-1000:]}")
    log(f"refused {' '.join(map(str, args))[:80]}: {err.strip().splitlines()[0][:200]}")


def seeds_only(addr):
    """What harness.Server needs of its Redis: the --redis value."""
    return types.SimpleNamespace(addr=addr)


def free_base(n):
    """A port P with P..P+n-1 and P+10000.. free now (for scripts/cluster --port)."""
    for _ in range(50):
        base = harness.free_port()
        if base + n + 10000 > 65535:
            continue
        socks, ok = [], True
        for p in [base + i for i in range(n)] + [base + 10000 + i for i in range(n)]:
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                ok = False
            socks.append(s)
        for s in socks:
            s.close()
        if ok:
            return base
    raise harness.TestFailure(f"no {n} free ports in a row (and +10000) in 50 tries")


async def main(h):
    c = h.cluster()
    events = pick_events(c)
    owners = {ev: c.primary_of(ev) for ev in events}
    log(f"events {events}: slots {[c.slot_of(ev) for ev in events]}, primaries "
        f"{[owners[ev] for ev in events]}")
    check(len({n.port for n in owners.values()}) == 3, f"owners {owners}: not three primaries")
    slices = [boston.write_slice(h.paths.boston_csv, h.path(f"slice-{n}.csv"), n)
              for n in SLICES]

    redis = h.redis("redis-ref")
    ref_srv = harness.Server(h, redis, "server-ref", event=None).start()
    ref = await run_events(h, ref_srv, redis, events, slices, "ref")
    ref_srv.stop()
    redis.stop()

    srv = harness.Server(h, c, event=None).start()
    got = await run_events(h, srv, c, events, slices, "cluster")
    for ev in events:
        for k, body in ref[ev].items():
            check(got[ev][k] == body, f"{ev} {k} on the cluster differs from a single Redis:\n"
                  f"{boston.diff_hint(body, got[ev][k])}")
    log(f"{len(events)} events: CSV and JSON results byte-identical to a single Redis")

    # where the logs are
    primaries = c.primaries()
    check(len(primaries) == 3, f"primaries: {primaries}")
    for ev in events:
        slot, owner, n = c.slot_of(ev), owners[ev], c.xlen(ev)
        check(n > 0 and owner.cmd("XLEN", c.log_key(ev)) == n,
              f"{ev}: XLEN on its owner {owner} is {owner.cmd('XLEN', c.log_key(ev))}, the "
              f"log has {n}")
        for p in primaries:
            if p is not owner:
                k = p.cmd("CLUSTER", "COUNTKEYSINSLOT", slot)
                check(k == 0, f"{ev}: primary {p} holds {k} keys of slot {slot}, owner {owner}")
        hl = json.loads(srv.get(f"/api/events/{ev}/health")[1])
        check(hl.get("redis") == "up" and hl.get("redis_mode") == "cluster" and
              hl.get("redis_node") == owner.addr, f"{ev} health {hl}, owner {owner}")
        log(f"{ev}: {n} records on {owner} (slot {slot}), none on the other primaries")
    srv.stop()

    # a dead first seed, in a list of 32 (the most --redis takes)
    dead = [f"127.0.0.1:{p}" for p in range(2, 2 + 31 - len(c.nodes))]
    seeds32 = ",".join(["127.0.0.1:1", c.addr] + dead)
    check(seeds32.count(",") == 31, f"{seeds32.count(',') + 1} seeds")
    srv2 = harness.Server(h, seeds_only(seeds32), "server-deadseed", event=None).start()
    ev = events[0]
    await caught_up(srv2, c, ev)
    check(exports(srv2, ev, ["marathon"]) == ref[ev],
          f"{ev} through seeds 127.0.0.1:1,... differs")
    hl = srv2.health()
    check(hl.get("redis") == "up", f"dead first seed: node health {hl}")
    srv2.stop()
    log("32 seeds, the first and 25 others dead: served, the same bytes")

    for args, what in ((["--redis", "nonsense"], "--redis"),
                       (["--redis", "127.0.0.1:99999"], "--redis"),
                       (["--redis", f"{c.addr},,127.0.0.1:7000"], "--redis"),
                       (["--redis", seeds32 + ",127.0.0.1:40"], "more than 32"),
                       (["--redis", c.addr, "--redis-wait", "6"], "--redis-wait"),
                       (["--redis", c.addr, "--redis-wait-ms", "9"], "--redis-wait-ms")):
        refused(h, args, what)
    c.stop()

    # every seed dead at start, then a cluster there
    base = free_base(6)
    seeds = ",".join(f"127.0.0.1:{base + i}" for i in range(6))
    srv3 = harness.Server(h, seeds_only(seeds), "server-noseed", event=None)
    srv3.start()
    await asyncio.sleep(1)
    hl = srv3.health()
    check(hl.get("redis") == "down", f"every seed dead: node health {hl}")
    c2 = harness.Cluster(h, "cluster-late", port=base).start()
    check(c2.addr == seeds, f"the late cluster's seeds {c2.addr}, want {seeds}")
    t0 = time.monotonic()
    await harness.wait_for(lambda: (srv3.health() or {}).get("redis") == "up",
                           "redis up on a node whose seeds came up", 90)
    log(f"every seed dead: /health said redis down, then up {time.monotonic() - t0:.1f}s "
        f"after the cluster was ready")
    srv3.stop()
    c2.stop()


if __name__ == "__main__":
    harness.run("cluster", main)
