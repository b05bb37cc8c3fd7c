#!/usr/bin/env python3
"""events_bench: many events live at once on one splitlined (issue 15).

One Redis (scripts/redis.conf: appendonly, fsync always) and one splitlined
started without --event.  N events (--events, default 50) are created at
runtime by the deployment admin, each with its own participants and reader
token: N-1 community races of --runners-small Boston runners (different
slices of data/boston-2015.csv) and one Boston event of --runners-big
runners.  One splitline-replay per event, all let go at the same moment
(each waits in a shell on a fifo until every one is ready: spawning 50
processes takes seconds on a loaded machine), at --speed 0.  Then the server
is stopped (SIGTERM) and started again, and every event is asked for its
/api/events/<event>/health (which loads it) until each has folded its whole
log.  The restarted server runs with --event-idle-s --unload-s: the bench
waits until it has unloaded every event, then loads them all again, --cycles
times.

It prints the server's CPU seconds (utime + stime of /proc/<pid>/stat) and
RSS (VmRSS) at idle with no event, after creating and loading N events,
after the replays; per active event, (RSS - idle RSS) / N and the CPU; CPU
per acknowledged read (server, Redis, and the replay clients together);
acknowledged reads per second; Redis' longest AOF write or fsync (its
latency monitor); the time a restart takes to reload every event and the
RSS then; RSS once every event is unloaded and after each load again.

Reference in the same run: the same number of reads (one Boston event of
the sum of the runners, as far as the file allows) through ONE event on a
fresh Redis and server (also without --event), replayed, restarted and
reloaded the same way, so CPU per read and reload time read as ratios.  A
benchmark prints numbers; it asserts nothing.

    python3 scripts/bench/events_bench.py [--events 50] [--runners-small 300]
        [--runners-big 5000] [--unload-s 10] [--cycles 3] [--batch N]
        [--jobs 4] [--timeout 900] [--no-reference]
        [--server PATH --ctl PATH --replay PATH]

Binaries default to build/release (scripts/run builds it).
"""

import asyncio
import concurrent.futures
import json
import os
import resource
import sys
import time
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

BIG = "boston-2015"
DEV = "bench"
TICK = os.sysconf("SC_CLK_TCK")


def extra_args(ap):
    ap.add_argument("--events", type=int, default=50, help="events live at once (>= 1)")
    ap.add_argument("--runners-small", type=int, default=300,
                    help="runners of each community race")
    ap.add_argument("--runners-big", type=int, default=5000,
                    help="runners of the one Boston event")
    ap.add_argument("--unload-s", type=int, default=10,
                    help="--event-idle-s of the restarted server; 0: skip the unload step")
    ap.add_argument("--cycles", type=int, default=3,
                    help="times the restarted server unloads every event and loads it again")
    ap.add_argument("--batch", type=int, default=None, help="replay --batch (default its own)")
    ap.add_argument("--jobs", type=int, default=4, help="events created in parallel")
    ap.add_argument("--timeout", type=int, default=900, help="seconds for each waiting step")
    ap.add_argument("--no-reference", action="store_true", help="skip the one-event reference")


# ---------------------------------------------------------------- the process

def proc_usage(pid):
    """(CPU seconds, RSS MiB) of a process from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    cpu = (int(rest[11]) + int(rest[12])) / TICK  # fields 14, 15: utime, stime
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return cpu, int(line.split()[1]) / 1024
    raise harness.TestFailure(f"no VmRSS in /proc/{pid}/status")


def sample(srv, what):
    """The server's CPU and RSS now, and Redis' CPU."""
    check(srv.proc.alive(), f"{srv.name} died ({what}):\n{srv.proc.log_text()[-3000:]}")
    cpu, rss = proc_usage(srv.proc.pid)
    rcpu, _ = proc_usage(srv.redis.proc.pid)
    hl = srv.health() or {}
    log(f"{what}: cpu {cpu:.2f} s, rss {rss:.1f} MiB, events_loaded {hl.get('events_loaded')}")
    return types.SimpleNamespace(cpu=cpu, rss=rss, loaded=hl.get("events_loaded"), redis=rcpu)


def redis_stall_ms(redis):
    """Redis' longest AOF write or fsync so far (its latency monitor, events
    of 20 ms and more), in ms; 0 when none reached 20 ms."""
    worst = 0
    for ev in redis.cmd("LATENCY", "LATEST") or []:
        name = ev[0].decode() if isinstance(ev[0], bytes) else str(ev[0])
        if name.startswith("aof-"):
            worst = max(worst, int(ev[3]))
    return worst


def children_cpu():
    """CPU seconds of every child reaped so far."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# ---------------------------------------------------------------- the events

def write_rows(src, dst, first, n):
    """The header and n rows of src from row `first` (0-based), wrapping
    around the end of the file."""
    with open(src, newline="") as f:
        lines = f.readlines()
    head, rows = lines[0], lines[1:]
    check(n <= len(rows), f"{n} runners asked, {os.path.basename(src)} has {len(rows)}")
    with open(dst, "w", newline="") as g:
        g.write(head)
        for i in range(n):
            g.write(rows[(first + i) % len(rows)])
    return dst


def event_yaml(h, ev_id, name):
    with open(h.paths.event_yaml) as f:
        text = f.read()
    text = text.replace(f"event: {BIG}", f"event: {ev_id}", 1)
    text = text.replace("name: Boston Marathon 2015",
                        f"name: {name}\nlevel: community\norganizer: Bench Parks\n"
                        "venue: Riverside Park", 1)
    check(f"event: {ev_id}" in text, f"yaml of {ev_id} not made")
    path = h.path(f"{ev_id}.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def plan(h, n_events, small, big):
    """[(event id, yaml, slice csv, reads)]: the Boston event first (rows
    0..big-1), then n_events - 1 community races of `small` rows each,
    following it in the file."""
    src = h.paths.boston_csv
    evs = [(BIG, h.paths.event_yaml, write_rows(src, h.path(f"{BIG}.csv"), 0, big))]
    for i in range(1, n_events):
        ev = f"community-{i:02d}"
        csv_path = write_rows(src, h.path(f"{ev}.csv"), big + (i - 1) * small, small)
        evs.append((ev, event_yaml(h, ev, f"Community race {i}"), csv_path))
    return [types.SimpleNamespace(id=e, yaml=y, csv=c, reads=sum(r.reads for r in boston.load(c)))
            for e, y, c in evs]


def at(srv, ev_id):
    """What the tools need of a server, for one of its events."""
    return types.SimpleNamespace(ws_url=srv.ws_url, event=ev_id, port=srv.port)


def create_one(h, srv, ev):
    t = at(srv, ev.id)
    h.create_event(t, ev.yaml)
    h.import_boston(t, ev.csv)
    ev.token = h.issue_token(t, "reader", DEV)


async def create_all(h, srv, evs):
    loop = asyncio.get_running_loop()
    with concurrent.futures.ThreadPoolExecutor(max(1, h.args.jobs)) as ex:
        await asyncio.gather(*[loop.run_in_executor(ex, create_one, h, srv, ev) for ev in evs])


def event_health(srv, ev_id):
    st, body = srv.get(f"/api/events/{ev_id}/health", timeout=30)
    if st != 200:
        return None
    return json.loads(body)


async def all_caught_up(srv, redis, evs, timeout, last=None):
    """Asks every event's health (which loads it) until each has folded its
    whole log; returns the seconds taken."""
    t0 = time.monotonic()
    want = last or {ev.id: redis.last_id(ev.id) or "0-0" for ev in evs}
    pending, hl = [ev.id for ev in evs], {}
    while pending:
        check(srv.proc.alive(), f"{srv.name} died:\n{srv.proc.log_text()[-3000:]}")
        if time.monotonic() - t0 > timeout:
            ev = pending[0]
            raise harness.TestFailure(f"{len(pending)} events not caught up after {timeout}s, "
                                      f"e.g. {ev}: {hl.get(ev)}, log ends at {want[ev]}")
        for ev in list(pending):
            hl[ev] = event_health(srv, ev)
            if hl[ev] and hl[ev].get("caught_up") and hl[ev].get("last_id") == want[ev]:
                pending.remove(ev)
        if pending:
            await asyncio.sleep(0.05)
    return time.monotonic() - t0


GATE = 'read -r go < "$0" && exec "$@"'  # sh -c: wait for a line on the fifo $0


async def gate_open(h, procs, fifo, fd):
    """Waits until every replay's shell reads the fifo, then lets them all go."""
    deadline = time.monotonic() + h.args.timeout
    waiting = list(procs)
    while waiting:
        p = waiting[-1]
        check(p.alive(), f"{p.name} exited before the start: {p.log_text()[-1000:]}")
        check(time.monotonic() < deadline, f"{p.name} not ready after {h.args.timeout}s")
        try:
            ready = os.readlink(f"/proc/{p.pid}/fd/0") == fifo
        except OSError:
            ready = False
        if ready:
            waiting.pop()
        else:
            await asyncio.sleep(0.01)
    os.write(fd, b"\n" * len(procs))


async def replay_all(h, srv, evs, tag):
    """One splitline-replay per event, all started at the same moment (each
    waits in a shell on a fifo until every one is ready); (acked reads,
    seconds to the last ack, {event: seconds to its replay's exit})."""
    extra = ["--progress", "never"] + (["--batch", str(h.args.batch)] if h.args.batch else [])
    fifo = h.path(f"go-{tag}")
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDWR)  # a writer from the start: the shells' opens never block
    procs = {}
    for ev in evs:
        argv = ["/bin/sh", "-c", GATE, fifo, h.paths.replay, "boston", ev.csv, "--config",
                ev.yaml, "--server", srv.ws_url, "--event", ev.id, "--token", ev.token,
                "--device", DEV, "--speed", 0, "--seed", "1"] + extra
        name = f"replay-{tag}-{ev.id}"
        procs[ev.id] = harness.Proc(h, name, argv, stdout_file=h.path(f"{name}.out"))
    try:
        await gate_open(h, procs.values(), fifo, fd)
        t0 = time.monotonic()
        done, acked = await replays_done(h, evs, procs, t0)
    finally:
        os.close(fd)
    return acked, max(done.values()), done


async def replays_done(h, evs, procs, t0):
    done, acked = {}, 0
    while len(done) < len(evs):
        check(time.monotonic() - t0 < h.args.timeout,
              f"replays still running after {h.args.timeout}s: "
              f"{sorted(set(procs) - set(done))[:5]}")
        for ev in evs:
            p = procs[ev.id]
            if ev.id in done or p.alive():
                continue
            done[ev.id] = time.monotonic() - t0
            rc = p.p.returncode
            check(rc == 0, f"{p.name} exited {rc}: {p.out_text()[-1000:]} {p.log_text()[-2000:]}")
            s = harness.parse_replay_summary(p.out_text())
            if s["acked"] != ev.reads:
                log(f"warning: {ev.id}: acked {s['acked']} of {ev.reads} reads")
            acked += s["acked"]
        await asyncio.sleep(0.01)
    return done, acked


# ---------------------------------------------------------------- one node

async def restart(h, srv, redis, evs, idle_s):
    """SIGTERM, start again, load every event until caught up: (seconds from
    the start to the last event caught up, seconds to /health)."""
    last = {ev.id: redis.last_id(ev.id) or "0-0" for ev in evs}
    srv.stop()
    srv.extra = ["--event-idle-s", str(idle_s)]
    t0 = time.monotonic()
    srv.start()
    t_up = time.monotonic() - t0
    await all_caught_up(srv, redis, evs, h.args.timeout, last)
    return time.monotonic() - t0, t_up, last


async def unload_reload(h, srv, redis, evs, last):
    """Waits for the node to unload every idle event, then loads them all
    again, --cycles times: [(unloaded sample, seconds to reload, reloaded sample)]."""
    out = []
    for c in range(1, h.args.cycles + 1):
        deadline = time.monotonic() + h.args.unload_s + h.args.timeout
        while (srv.health() or {}).get("events_loaded"):
            check(time.monotonic() < deadline, f"events still loaded: {srv.health()}")
            await asyncio.sleep(0.5)
        await asyncio.sleep(1)  # the last close callbacks
        gone = sample(srv, f"cycle {c}: all events unloaded")
        t = await all_caught_up(srv, redis, evs, h.args.timeout, last)
        out.append((gone, t, sample(srv, f"cycle {c}: every event loaded again")))
    return out


async def node(h, evs, tag, unload=False):
    """One Redis and one server without --event serving evs; the figures."""
    r = {"events": len(evs), "reads": sum(ev.reads for ev in evs)}
    redis = h.redis(f"redis-{tag}")
    srv = harness.Server(h, redis, name=f"server-{tag}", event=None,
                         extra=["--event-idle-s", "3600"]).start()
    redis.cmd("CONFIG", "SET", "latency-monitor-threshold", "20")
    await asyncio.sleep(1)
    r["idle"] = sample(srv, f"{tag}: idle, no event")
    t0 = time.monotonic()
    await create_all(h, srv, evs)
    await all_caught_up(srv, redis, evs, h.args.timeout)
    r["t_create"] = time.monotonic() - t0
    r["loaded"] = sample(srv, f"{tag}: {len(evs)} events created and loaded")
    c0 = children_cpu()
    r["acked"], r["t_ack"], r["done"] = await replay_all(h, srv, evs, tag)
    r["clients"] = children_cpu() - c0
    r["t_fold"] = await all_caught_up(srv, redis, evs, h.args.timeout) + r["t_ack"]
    r["replayed"] = sample(srv, f"{tag}: replays done, every event caught up")
    r["stall_ms"] = redis_stall_ms(redis)
    idle_s = h.args.unload_s if unload and h.args.unload_s > 0 else 3600
    r["t_reload"], r["t_up"], last = await restart(h, srv, redis, evs, idle_s)
    r["reloaded"] = sample(srv, f"{tag}: restarted, every event loaded and caught up")
    if unload and h.args.unload_s > 0:
        r["cycles"] = await unload_reload(h, srv, redis, evs, last)
    srv.stop()
    redis.stop()
    return r


# ---------------------------------------------------------------- the print

def per(a, b):
    return a / b if b else float("nan")


def rows(m, label):
    """[(figure, value, format, compare)] of one node's run."""
    idle, ld, rp, rl = m["idle"], m["loaded"], m["replayed"], m["reloaded"]
    n, acked = m["events"], m["acked"]
    cpu = rp.cpu - ld.cpu
    return [
        ("events", n, "{:,}", False),
        ("reads replayed and acked", acked, "{:,}", False),
        ("server RSS idle, no event (MiB)", idle.rss, "{:.1f}", False),
        (f"server RSS, {label} loaded, before replays", ld.rss, "{:.1f}", True),
        ("server RSS after the replays", rp.rss, "{:.1f}", True),
        ("  (RSS - idle RSS) / events", per(rp.rss - idle.rss, n), "{:.2f}", False),
        ("server CPU s: create, import, load", ld.cpu - idle.cpu, "{:.2f}", True),
        ("server CPU s: the replays", cpu, "{:.2f}", True),
        ("  per event (ms)", per(cpu, n) * 1e3, "{:.1f}", False),
        ("  per acked read (us)", per(cpu, acked) * 1e6, "{:.2f}", True),
        ("Redis CPU per acked read (us)", per(rp.redis - ld.redis, acked) * 1e6, "{:.2f}", True),
        ("replay clients' CPU s", m["clients"], "{:.2f}", True),
        ("acked reads/s (start to last ack)", per(acked, m["t_ack"]), "{:,.0f}", True),
        ("every event folded (s)", m["t_fold"], "{:.2f}", True),
        ("Redis' longest AOF write/fsync meanwhile (ms)", m["stall_ms"], "{:,}", False),
        ("restart: /health answers (s)", m["t_up"], "{:.2f}", False),
        ("restart: every event loaded, caught up (s)", m["t_reload"], "{:.2f}", True),
        ("  server CPU s of the restart", rl.cpu, "{:.2f}", True),
        ("  server RSS then", rl.rss, "{:.1f}", True),
    ]


def report(ns, m, ref):
    n = m["events"]
    print()
    print(f"{n} events on one splitlined without --event: {n - 1} x {ns.runners_small} runners + "
          f"{ns.runners_big}, {m['reads']:,} reads, {n} replays at once at --speed 0; reference: "
          + (f"ONE event of {ref['runners']:,} runners, {ref['reads']:,} reads, on a fresh Redis "
             "and server" if ref else "none") + f" (load average at the end {loadavg()}):")
    mine = rows(m, f"{n} events")
    other = rows(ref, "1 event") if ref else [(None, None, None, False)] * len(mine)
    print(f"  {'':<44} {f'{n} events':>12} {'one event':>12} {'ratio':>7}")
    for (what, v, fmt, cmp), (_, rv, _, _) in zip(mine, other):
        ratio = f"{per(v, rv):.2f}x" if cmp and rv else ""
        rtxt = fmt.format(rv) if rv is not None else "-"
        print(f"  {what:<44} {fmt.format(v):>12} {rtxt:>12} {ratio:>7}")
    print(f"  ({n} event{'s' if n != 1 else ''} created, participants imported, tokens issued, "
          f"{ns.jobs} at a time, in {m['t_create']:.1f} s)")
    small = sorted(t for ev, t in m["done"].items() if ev != BIG)
    if small:
        print(f"  replays done (s): the {len(small)} community races first {small[0]:.2f}, median "
              f"{small[len(small) // 2]:.2f}, last {small[-1]:.2f}; {BIG} {m['done'][BIG]:.2f}")
    if m.get("cycles"):
        print(f"unload and load again, restarted server with --event-idle-s {ns.unload_s}:")
        for i, (gone, t, back) in enumerate(m["cycles"], 1):
            print(f"  cycle {i}: all {n} unloaded (events_loaded {gone.loaded}): RSS "
                  f"{gone.rss:.1f} MiB; all loaded and caught up in {t:.2f} s: RSS "
                  f"{back.rss:.1f} MiB (events_loaded {back.loaded})")


async def main(h):
    ns = h.args
    check(ns.events >= 1 and ns.runners_small >= 1 and ns.runners_big >= 1,
          "--events, --runners-small and --runners-big must be at least 1")
    log(f"server {h.paths.server}; load average {loadavg()}")
    evs = plan(h, ns.events, ns.runners_small, ns.runners_big)
    m = await node(h, evs, "many", unload=True)
    ref = None
    if not ns.no_reference:
        total = min(ns.runners_big + (ns.events - 1) * ns.runners_small,
                    len(boston.load(h.paths.boston_csv)))
        one = types.SimpleNamespace(id=BIG, yaml=h.paths.event_yaml,
                                    csv=write_rows(h.paths.boston_csv, h.path("ref.csv"), 0,
                                                   total))
        one.reads = sum(r.reads for r in boston.load(one.csv))
        ref = await node(h, [one], "one")
        ref["runners"] = total
    report(ns, m, ref)


def absolute_bins(argv):
    """The binaries' paths made absolute: the children run in a temporary directory."""
    for i, a in enumerate(argv[:-1]):
        if a in ("--server", "--ctl", "--replay") and os.path.exists(argv[i + 1]):
            argv[i + 1] = os.path.abspath(argv[i + 1])


if __name__ == "__main__":
    default_release_bins(sys.argv)
    absolute_bins(sys.argv)
    harness.run("events_bench", main, extra_args)
