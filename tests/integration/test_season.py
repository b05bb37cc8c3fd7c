"""season: one splitlined, started without --event, serves every event of its Redis.

One Redis, one server (no --event, --event-idle-s 3).  Three events are created at
runtime by the deployment's admin, each through the real tools:
  - boston-2015, a road race: the Boston config, a slice of runners replayed;
  - park-run-7, a community race: the same course under another id and name, with
    `level: community`, another slice;
  - regatta-hebda-2023, a regatta: `splitline-regatta import` and `replay`.

Asserts:
  - the node's /health names no event; /api/events.json lists the three with their
    level, state and races (after none at first), newest date first;
  - each event's results at /api/events/<event>/results/...: boston-2015's CSV is
    byte-identical to a single-event run of the same slice on a fresh Redis, park-run's
    holds its own runners only, the regatta's JSON has its crews;
  - tokens do not cross events: a reader token and an event admin token of
    boston-2015 are refused by park-run-7 (`unauthorized`) and accepted by their own;
    a spectator's hello to an event that does not exist is `not_found`, a hello
    without an event is `bad_request`, an event admin of one event cannot name a new
    one; a subscribe before any hello names no event;
  - idle events are unloaded (the node's events_loaded falls to 0) and loaded again
    by a request, with the same bytes;
  - a restart (SIGTERM, start again) brings all three back byte-identical (CSV and
    JSON of every race, the regatta's whole-event CSV);
  - today's single-event routes answer 404 saying where the events are; each
    event's pages are at /e/<event>/, and a path that climbs out is 404.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import asyncio
import json
import os
import subprocess
import time
import types

import boston
import harness
import test_slow_readers
from harness import check, log

ROAD, COMM, REG = "boston-2015", "park-run-7", "regatta-hebda-2023"
DEV = "replay-s"


def at(srv, event):
    """What the tools need of a server, for one of its events."""
    return types.SimpleNamespace(ws_url=srv.ws_url, event=event, port=srv.port)


def get_json(srv, path, want=200):
    st, body = srv.get(path)
    check(st == want, f"GET {path}: {st}, want {want}: {body[:300]!r}")
    return json.loads(body)


def community_yaml(h):
    with open(h.paths.event_yaml) as f:
        text = f.read()
    text = text.replace("event: boston-2015", f"event: {COMM}", 1)
    text = text.replace("name: Boston Marathon 2015",
                        "name: Park Run 7\nlevel: community\norganizer: Parks Dept\n"
                        "venue: Riverside Park", 1)
    check(f"event: {COMM}" in text and "level: community" in text, "community yaml not made")
    path = h.path("park-run.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def replay(h, ev, csv_path, yaml, token, name):
    argv = [h.paths.replay, "boston", csv_path, "--config", yaml, "--server", ev.ws_url,
            "--event", ev.event, "--token", token, "--device", DEV, "--speed", 0, "--seed", "1"]
    return harness.Proc(h, name, argv, stdout_file=h.path(f"{name}.out"))


async def run_replay(h, *a):
    p = replay(h, *a)
    rc = await p.wait_async(900)
    check(rc == 0, f"replay exited {rc}: {p.out_text()[-1000:]} {p.log_text()[-2000:]}")
    return harness.parse_replay_summary(p.out_text())


def regatta_tool(h, ev, verb, path):
    tool = h.args.regatta or harness._guess_bin("splitline-regatta", ["clients/regatta"])
    argv = [os.path.abspath(tool), "--server", ev.ws_url, "--event", ev.event, "--token-file",
            h.admin_token_file, verb, path]
    r = subprocess.run(argv, cwd=h.tmp, stdin=subprocess.DEVNULL, capture_output=True,
                       env=harness.child_env(), timeout=900)
    err = r.stderr.decode("utf-8", "replace")
    harness.scan_sanitizer(err, f"splitline-regatta {verb}")
    check(r.returncode == 0, f"splitline-regatta {verb} exited {r.returncode}: {err[-2000:]}")


async def caught_up(srv, redis, event, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hl = get_json(srv, f"/api/events/{event}/health")
        if hl.get("caught_up") and hl.get("last_id") == (redis.last_id(event) or "0-0"):
            return hl
        await asyncio.sleep(0.1)
    raise harness.TestFailure(f"{event}: did not catch up: {hl}")


async def hello_err(srv, event, token=None, code=None):
    c = await harness.Client.connect(srv, "json")
    try:
        m = {"t": "hello"}
        if event is not None:
            m["event"] = event
        if token:
            m["token"] = token
        r = await c.request(m)
        check(r.get("t") == "err" and (code is None or r.get("code") == code),
              f"hello {m}: {r}, want err {code}")
        return r
    finally:
        await c.close()


async def hello_ok(srv, event, token):
    c = await harness.Client.connect(srv, "json")
    try:
        return await c.hello(token, event=event)
    finally:
        await c.close()


def exports(srv, event, races):
    out = {}
    for r in races:
        for fmt in ("csv", "json"):
            st, body = srv.get(f"/api/events/{event}/results/{r}.{fmt}")
            check(st == 200, f"{event} {r}.{fmt}: {st} {body[:200]!r}")
            out[f"{r}.{fmt}"] = body
    st, body = srv.get(f"/api/events/{event}/results.csv")
    check(st == 200, f"{event} results.csv: {st} {body[:200]!r}")
    out["all.csv"] = body
    return out


async def main(h):
    n1, n2 = 300, 120
    sl1 = boston.write_slice(h.paths.boston_csv, h.path("slice1.csv"), n1)
    sl2 = boston.write_slice(h.paths.boston_csv, h.path("slice2.csv"), n2)
    ref, _ = await boston.reference_export(h, sl1, DEV)

    redis = h.redis()
    srv = harness.Server(h, redis, event=None, extra=["--event-idle-s", "3"]).start()
    hl = srv.health()
    check(hl.get("event") is None and hl.get("events_loaded") == 0, f"node health: {hl}")
    check(get_json(srv, "/api/events.json") == {"events": []}, "events listed before any")
    await hello_err(srv, None, code="bad_request")
    await hello_err(srv, "no-such-event", code="not_found")
    await hello_err(srv, "Bad_Id", code="bad_request")

    road, comm, reg = at(srv, ROAD), at(srv, COMM), at(srv, REG)
    h.create_event(road)
    h.import_boston(road, sl1)
    tok_road = h.issue_token(road, "reader", DEV)
    h.create_event(comm, community_yaml(h))
    h.import_boston(comm, sl2)
    tok_comm = h.issue_token(comm, "reader", DEV)
    path = os.path.join(h.paths.data, "regatta-hebda-2023.csv")
    regatta_tool(h, reg, "import", path)
    regatta_tool(h, reg, "replay", path)
    s1 = await run_replay(h, road, sl1, h.paths.event_yaml, tok_road, "replay-road")
    s2 = await run_replay(h, comm, sl2, h.path("park-run.yaml"), tok_comm, "replay-comm")
    log(f"replays: {s1} / {s2}")
    for ev in (ROAD, COMM, REG):
        await caught_up(srv, redis, ev)

    # each event's own results
    road_csv = srv.get(f"/api/events/{ROAD}/results/marathon.csv")[1]
    check(road_csv == ref, "boston-2015 in a server of three events differs from a "
          f"single-event run:\n{boston.diff_hint(ref, road_csv)}")
    comm_rows = get_json(srv, f"/api/events/{COMM}/results/marathon.json")["rows"]
    bibs1 = {r.bib for r in boston.load(sl1)}
    bibs2 = {r.bib for r in boston.load(sl2)}
    got2 = {r["bib"] for r in comm_rows}
    check(got2 == bibs2, f"park-run-7 rows: {len(got2)} bibs, want the {len(bibs2)} of its slice")
    check(len(bibs1 - bibs2) > 0, "the slices must differ")
    reg_doc = get_json(srv, f"/api/events/{REG}/results.json")
    check(len(json.dumps(reg_doc)) > 1000, "the regatta exports nothing")
    get_json(srv, f"/api/events/nope/results/marathon.csv", want=404)
    get_json(srv, f"/api/events/{ROAD}/results/nope.csv", want=404)

    # the directory
    await asyncio.sleep(2.5)  # summaries written, the registry read again
    lst = get_json(srv, "/api/events.json")["events"]
    ids = [e["id"] for e in lst]
    check(sorted(ids) == sorted([ROAD, COMM, REG]), f"events listed: {ids}")
    by = {e["id"]: e for e in lst}
    check(by[COMM]["level"] == "community" and by[COMM]["venue"] == "Riverside Park" and
          by[COMM]["organizer"] == "Parks Dept" and by[ROAD]["level"] is None,
          f"levels: {by}")
    check(by[ROAD]["races"] == [{"id": "marathon", "name": "Marathon", "kind": "mass"}] or
          by[ROAD]["races"][0]["id"] == "marathon", f"races: {by[ROAD]['races']}")
    check(by[ROAD]["state"] in ("live", "provisional") and by[COMM]["name"] == "Park Run 7",
          f"states: {[(e['id'], e['state']) for e in lst]}")
    dates = [e["date"] for e in lst]
    check(dates == sorted(dates, reverse=True), f"not newest first: {dates}")

    # tokens do not cross events
    r = await hello_ok(srv, ROAD, tok_road)
    check(r.get("role") == "reader" and r.get("event") == ROAD, f"road reader hello: {r}")
    await hello_err(srv, COMM, tok_road, "unauthorized")
    await hello_err(srv, ROAD, tok_comm, "unauthorized")
    ev_admin = h.issue_token(road, "admin")
    r = await hello_ok(srv, ROAD, ev_admin)
    check(r.get("role") == "admin", f"event admin hello: {r}")
    await hello_err(srv, COMM, ev_admin, "unauthorized")
    await hello_err(srv, "brand-new-event", ev_admin, "not_found")
    r = h.ctl(at(srv, COMM), ["event", "create", h.paths.event_yaml], check_rc=False)
    check(r.returncode != 0 and f"not '{COMM}'" in (r.stdout + r.stderr),
          f"a config of another event sent to park-run-7: {r.returncode} {r.stderr[-500:]}")
    c = await harness.Client.connect(srv, "json")
    await c.hello(ev_admin, event=ROAD)
    r = await c.request({"t": "event_create", "config": {"event": COMM}})
    check(r.get("code") == "bad_request" and "not the event" in r.get("msg", ""),
          f"an event admin of {ROAD} sent {COMM}'s config: {r}")
    await c.close()
    c = await harness.Client.connect(srv, "json")
    r = await c.request({"t": "subscribe", "topic": "status"})
    check(r.get("t") == "err", f"subscribe before hello: {r}")
    await c.close()

    # today's routes and the pages
    st, body = srv.get("/api/results/marathon.csv")
    check(st == 404 and b"/api/events" in body, f"single-event route: {st} {body[:200]!r}")
    st, body = srv.get(f"/e/{ROAD}/")
    check(st == 200 and b"<html" in body.lower(), f"/e/{ROAD}/: {st}")
    st, _ = srv.get(f"/e/{ROAD}/tracker.html")
    check(st == 200, f"/e/{ROAD}/tracker.html: {st}")
    for bad in (f"/e/{ROAD}/../README.md", f"/e/{ROAD}/.hidden", "/e/Bad_Id/index.html",
                f"/e/{ROAD}/nope.html"):
        st, _ = srv.get(bad)
        check(st == 404, f"GET {bad}: {st}, want 404")

    before = {ev: exports(srv, ev, races) for ev, races in
              ((ROAD, ["marathon"]), (COMM, ["marathon"]), (REG, []))}

    # idle events unload, and load again on a request
    deadline = time.monotonic() + 60
    while srv.health().get("events_loaded") and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    check(srv.health().get("events_loaded") == 0, f"events still loaded: {srv.health()}")
    again = exports(srv, COMM, ["marathon"])
    check(again == before[COMM], "park-run-7 differs after an unload and a reload")
    check(srv.health().get("events_loaded") >= 1, "a request did not load its event")

    # a restart brings all three back; the stop with clients that never read nor answer the
    # close (their events' logs close while lws still holds them: nothing may be freed under them)
    slow = [test_slow_readers.slow_client(srv.port, ev) for ev in (ROAD, COMM)]
    await asyncio.sleep(0.5)
    srv.stop()
    for c in slow:
        c.close()
    srv.start()
    for ev, races in ((ROAD, ["marathon"]), (COMM, ["marathon"]), (REG, [])):
        await caught_up(srv, redis, ev)
        after = exports(srv, ev, races)
        for k, v in before[ev].items():
            check(after[k] == v, f"{ev} {k} differs after a restart:\n"
                  f"{boston.diff_hint(v, after[k])}")
    log(f"three events served, unloaded, reloaded and restarted; "
        f"{len(ref)} bytes of Boston CSV identical to a single-event run")


def extra(ap):
    ap.add_argument("--regatta", default=os.environ.get("SL_REGATTA_BIN"))


if __name__ == "__main__":
    harness.run("season", main, extra)
