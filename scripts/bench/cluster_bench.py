#!/usr/bin/env python3
"""cluster_bench: acknowledged reads per second on a Redis Cluster (issue 16).

One splitlined without --event, --redis <seeds> of a local cluster from
scripts/cluster (every node: scripts/redis.conf + redis-cluster.conf, fsync
always, one replica per primary).  --events events (default 6), each its
own --runners Boston 2015 runners (default 10,000: consecutive rows from
event k * runners on, wrapping around the file's 26,598), ids chosen so that
their slots fall evenly on the three primaries of the default 3-way split.
The deployment admin creates them (event, participants, a reader token), then
one splitline-replay per event, all let go at the same moment at --speed 0
(events_bench.py's fifo gate).  Acknowledged reads per second = acked reads /
seconds from the start to the last replay's exit.

Runs, each on a fresh cluster and server, in this order:
  1p wait1   1 primary + 1 replica, --redis-wait 1 (every event on it)
  3p wait1   3 primaries + 3 replicas, --redis-wait 1 (the cluster default)
  3p wait0   3 primaries + 3 replicas, --redis-wait 0 (no WAIT: an ack may
             be lost in a failover)
  single     one Redis (scripts/redis.conf), no cluster, the reference
and prints per run: acked reads/s, server CPU per acked read, Redis CPU per
acked read (every node), then the ratios 3p/1p (both wait1) and
wait1/wait0 (both 3p).  --rounds N repeats the four runs N times
(interleaved, so a change of load hits all of them), prints each and the
median (min-max) of every figure and ratio.  A benchmark prints numbers; it
asserts nothing.

    /usr/bin/python3 scripts/bench/cluster_bench.py [--events 6] [--runners 10000]
        [--rounds 3] [--batch N] [--timeout 900]
        [--server PATH --ctl PATH --replay PATH]

Binaries default to build/release (scripts/run builds it).
"""

import os
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, HERE)

import boston  # noqa: E402
import harness  # noqa: E402
from harness import check, log  # noqa: E402
from e2e_bench import default_release_bins  # noqa: E402
from events_bench import (absolute_bins, all_caught_up, children_cpu, create_all,  # noqa: E402
                          event_yaml, loadavg, per, proc_usage, replay_all, write_rows)

# The default split of `redis-cli --cluster create` with 3 primaries.
THIRDS = ((0, 5460), (5461, 10922), (10923, 16383))


def extra_args(ap):
    ap.add_argument("--events", type=int, default=6, help="events replayed at once (>= 1)")
    ap.add_argument("--runners", type=int, default=10000, help="runners of each event")
    ap.add_argument("--rounds", type=int, default=3, help="times the four runs are repeated")
    ap.add_argument("--batch", type=int, default=None, help="replay --batch (default its own)")
    ap.add_argument("--jobs", type=int, default=3, help="events created in parallel")
    ap.add_argument("--timeout", type=int, default=900, help="seconds for each waiting step")


def plan(h, n, runners):
    """n events, round-robin over the three thirds of the slots."""
    ids, i = [], 0
    while len(ids) < n:
        ev = f"bench-{i}"
        lo, hi = THIRDS[len(ids) % 3]
        if lo <= harness.key_slot(f"sl:{{{ev}}}:log") <= hi:
            ids.append(ev)
        i += 1
    src = h.paths.boston_csv
    out = []
    for k, ev in enumerate(ids):
        csv_path = write_rows(src, h.path(f"{ev}.csv"), k * runners, runners)
        out.append(types.SimpleNamespace(id=ev, yaml=event_yaml(h, ev, f"Bench race {k}"),
                                         csv=csv_path,
                                         reads=sum(r.reads for r in boston.load(csv_path))))
    return out


def redis_cpu(store):
    """CPU seconds of every redis-server of a Redis or a Cluster."""
    if isinstance(store, harness.Cluster):
        return sum(proc_usage(n.pid)[0] for n in store.nodes.values())
    return proc_usage(store.proc.pid)[0]


async def run(h, evs, tag, masters, wait):
    """One fresh store (masters primaries, or a single Redis with masters
    0) and server; the figures of one replay of every event."""
    if masters:
        store = harness.Cluster(h, f"cluster-{tag}", masters=masters, node_timeout=5000).start()
        owners = {store.owner(harness.key_slot(f"sl:{{{ev.id}}}:log")).port for ev in evs}
        check(len(owners) == min(masters, len(evs)), f"{tag}: events on {owners}")
    else:
        store = h.redis(f"redis-{tag}")
    extra = ["--event-idle-s", "3600"] + (["--redis-wait", str(wait)] if masters else [])
    srv = harness.Server(h, store, name=f"server-{tag}", event=None, extra=extra).start()
    await create_all(h, srv, evs)
    await all_caught_up(srv, store, evs, h.args.timeout)
    cpu0, rcpu0, c0 = proc_usage(srv.proc.pid)[0], redis_cpu(store), children_cpu()
    acked, t_ack, _ = await replay_all(h, srv, evs, tag)
    await all_caught_up(srv, store, evs, h.args.timeout)
    m = {"tag": tag, "acked": acked, "t": t_ack, "rate": per(acked, t_ack),
         "cpu": per(proc_usage(srv.proc.pid)[0] - cpu0, acked) * 1e6,
         "redis": per(redis_cpu(store) - rcpu0, acked) * 1e6,
         "clients": children_cpu() - c0}
    log(f"{tag}: {acked:,} reads acked in {t_ack:.2f} s: {m['rate']:,.0f}/s")
    srv.stop()
    store.stop()
    return m


LABELS = {"1p-wait1": "1 primary, --redis-wait 1", "3p-wait1": "3 primaries, --redis-wait 1",
          "3p-wait0": "3 primaries, --redis-wait 0", "single": "single Redis (no cluster)"}
RATIOS = (("3 primaries / 1 primary (wait 1)", "3p-wait1", "1p-wait1"),
          ("--redis-wait 1 / --redis-wait 0 (3 primaries)", "3p-wait1", "3p-wait0"),
          ("cluster (3 primaries, wait 1) / single Redis", "3p-wait1", "single"))


def spread(v):
    """median (min-max) of a list of numbers, as text."""
    v = sorted(v)
    return v[len(v) // 2], f"{v[0]:,.2f}-{v[-1]:,.2f}" if v[0] < 100 else f"{v[0]:,.0f}-{v[-1]:,.0f}"


def report(ns, reads, runs, rounds):
    print()
    print(f"{ns.events} events x {ns.runners} runners, {reads:,} reads, {ns.events} replays at "
          f"once at --speed 0, one splitlined without --event; cluster nodes fsync always, one "
          f"replica per primary (load average at the end {loadavg()}):")
    head = f"{'acked reads/s':>14} {'server us/read':>15} {'Redis us/read (all nodes)':>26}"
    for i, rr in enumerate(rounds, 1):
        print(f"  round {i}: {'':<29} {head}")
        for tag, _, _ in runs:
            m = rr[tag]
            print(f"    {LABELS[tag]:<36} {m['rate']:>14,.0f} {m['cpu']:>15.2f} "
                  f"{m['redis']:>26.2f}")
    print(f"  median over {len(rounds)} round(s) (min-max):")
    for tag, _, _ in runs:
        cols = [spread([rr[tag][k] for rr in rounds]) for k in ("rate", "cpu", "redis")]
        print(f"    {LABELS[tag]:<36} {cols[0][0]:>9,.0f} ({cols[0][1]})  "
              f"{cols[1][0]:.2f} ({cols[1][1]}) us  {cols[2][0]:.2f} ({cols[2][1]}) us")
    for what, a, b in RATIOS:
        med, rng = spread([per(rr[a]["rate"], rr[b]["rate"]) for rr in rounds])
        print(f"    {what:<46} {med:.2f}x ({rng})")


async def main(h):
    ns = h.args
    check(ns.events >= 1 and ns.runners >= 1, "--events and --runners must be at least 1")
    log(f"server {h.paths.server}; load average {loadavg()}")
    evs = plan(h, ns.events, ns.runners)
    reads = sum(ev.reads for ev in evs)
    runs = (("1p-wait1", 1, 1), ("3p-wait1", 3, 1), ("3p-wait0", 3, 0), ("single", 0, 0))
    rounds = []
    for r in range(1, ns.rounds + 1):
        rounds.append({tag: await run(h, evs, f"{tag}-r{r}", m, w) for tag, m, w in runs})
    report(ns, reads, runs, rounds)

if __name__ == "__main__":
    default_release_bins(sys.argv)
    absolute_bins(sys.argv)
    harness.run("cluster_bench", main, extra_args)
