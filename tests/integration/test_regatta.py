"""regatta: the three regatta exports, replayed over the real protocol.

Real Redis and splitlined, one event per file (regatta-midwest-2023,
regatta-hebda-2023, canoe-kayak-tedhouk-2022).  `splitline-regatta import`
sends the config (one race per event), the crews and the officials'
decisions (adjust messages: DNS, DNF, DQ, scratch, exhibition, penalties,
the finish station the judges took; with --places-from-file, the judges'
places); `splitline-regatta replay` sends the start guns (wave_start) and
every station reading as its own timing device (start, start2, start3,
the intermediate stations, finish, finish2, finish3).

Asserts, from the server's per-race JSON exports: every entry's raw time,
adjusted time and place equal the published ones to the millisecond;
DNS/DNF/DQ/scratch are the published status, exhibition crews are flagged
and unplaced; the regatta CSV export has its columns; on hebda, the
line-up of final 16 (topic progression/16) is pushed and pushed again,
complete, once its heats are official (race_official).  Then the same
import run again changes nothing (the export is byte-identical).

The midwest regatta (races on Sat and Sun) is imported and replayed with
`--timezone America/Chicago --date 2023-05-13` (a Saturday: the file names
days, not dates): the event topic carries the zone and the date, Saturday's
starts are on 2023-05-13 in it and Sunday's on 2023-05-14, and the results
are the published ones all the same.  Without --date (hebda) the import
says that it put the regatta on 2023-01-01.

Two files of the tests' own (tests/data, described in
tests/unit/test_regatta_data.c):
  - regatta-head-splits.csv, head races with two intermediate stations
    (500m, 1000m) and two bad station reads, imported with --distance 1500
    --places-from-file: each crew's split at each station is the file's,
    the two bad reads were sent and are not taken (no split there), places
    and times are the file's, the three judges' places are place_manual
    and in the audit trail (`splitline audit`: op place, by the official,
    reason "place from the results file", from none to the place);
  - regatta-head-backup.csv, the same with a backup station at the 500 m
    waypoint (G_500m2_time_raw: each crew's 500m reading plus 7 ms; the
    500m reading of bows 130 and 152 blanked; tests/data/README.md): the
    races' points (event topic) are start, 500m, 1000m, finish, with no
    point 500m2; every crew's 500m split is its 500m reading, else its
    500m2 reading (bow 157's bad reading at both is taken at neither);
    places and times are the file's; `splitline adjust 7-128 station --pt
    500m --station 500m2` takes the backup's time (and is in the audit
    trail), withdrawn it gives the primary's again; the station named at
    another point, or as a point, is refused and changes nothing;
  - regatta-dup-events.csv, two events under event number 1: the import
    warns naming both, they are two races (1 and 1b) with their own crews
    and the published places.

The officials' decisions go over the wire as `adjust` messages (PROTOCOL.md,
"Officials"); a server that does not take them fails the test.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import asyncio
import csv
import json
import os
import subprocess
import time
import traceback

import harness
from harness import Client, Server, check, log

FILES = ["regatta-midwest-2023.csv", "regatta-hebda-2023.csv", "canoe-kayak-tedhouk-2022.csv"]
ZONED, ZONE, DATE = "regatta-midwest-2023.csv", "America/Chicago", "2023-05-13"
SAT0 = 1683954000000  # 2023-05-13T00:00:00-05:00 (CDT)
SUN0 = SAT0 + 86400000
STATUS = {"DNS": "dns", "DNF": "dnf", "DQ": "dsq", "Scratch": "scratch"}
SPLITS = "regatta-head-splits.csv"
SPLIT_PTS = ["500m", "1000m"]
BAD_READS = {("7-131", "1000m"), ("8-157", "500m")}  # see tests/unit/test_regatta_data.c
JUDGED = {"7-128": 1, "7-149": 2, "8-154": 1}  # 8-154 shares 1st with 8-156: a dead heat
DUPS = "regatta-dup-events.csv"
BACKUP = "regatta-head-backup.csv"  # SPLITS with a backup station 500m2 at the 500m waypoint
FROM_BACKUP = {"7-130", "8-152"}  # their 500m reading is blank: the split is 500m2's


def ms_of(s):
    """'08:34:25.954', '06:42.696', '00.757' -> ms; None when not a time."""
    if not s:
        return None
    whole, dot, frac = s.partition(".")
    parts = whole.split(":")
    if not all(p.isdigit() for p in parts) or (dot and not frac.isdigit()):
        return None
    v = 0
    for p in parts:
        v = v * 60 + int(p)
    f = (frac + "000")[:3] if dot else "000"
    return v * 1000 + int(f)


def race_ids(rows):
    """The race of each row, as splitline-regatta makes them: one per EventNum
    and Event name; a second event under a number gets a letter (12b)."""
    nums = {r["EventNum"].lower() for r in rows}
    races, out = [], []  # races: (num, name, id)
    for r in rows:
        num, name = r["EventNum"], r["Event"]
        same = [x for x in races if x[0] == num]
        hit = [x for x in same if x[1] == name] or \
            (same[:1] if same and not any(c.isalnum() for c in name) else [])
        if hit:
            out.append(hit[0][2])
            continue
        rid = num
        if same:
            taken = nums | {x[2].lower() for x in races}
            rid = next(f"{num}{c}" for c in "bcdefghijklmnopqrstuvwxyz"
                       if f"{num}{c}".lower() not in taken)
        races.append((num, name, rid))
        out.append(rid)
    return out


def load(path):
    """Rows with their bib (as splitline-regatta makes it) and what is published."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    seen, out = {}, []
    for i, (r, race) in enumerate(zip(rows, race_ids(rows))):
        key = (race, r["Bow"])
        bib = f"{race}-{r['Bow']}" if key not in seen else f"{race}-{r['Bow']}.{i}"
        seen.setdefault(key, i)
        adj = r.get("AdjTime", "")
        exh = adj.startswith("Exh ")
        start = ms_of(r.get("G_Start_time_raw", ""))
        splits = {}
        for pt in SPLIT_PTS:
            t = ms_of(r.get(f"G_{pt}_time_raw", ""))
            if t is not None and start is not None:
                splits[pt] = t - start
        out.append({
            "line": i + 2, "bib": bib, "race": race,
            "raw": ms_of(r.get("RawTime", "")),
            "adj": ms_of(adj[4:] if exh else adj),
            "place": int(r["Place"]) if r.get("Place", "").isdigit() else 0,
            "exhibition": exh, "status": STATUS.get(adj), "splits": splits,
        })
    return out


def regatta_bin(h):
    return h.args.regatta


def run_tool(h, srv, verb, path, timeout=900, extra=()):
    argv = [regatta_bin(h), "--server", srv.ws_url, "--event", srv.event,
            "--token-file", h.admin_token_file, verb, path] + list(extra)
    t0 = time.monotonic()
    r = subprocess.run(argv, cwd=h.tmp, stdin=subprocess.DEVNULL, capture_output=True,
                       env=harness.child_env(), timeout=timeout)
    out, err = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
    with open(h.path("regatta.log"), "a") as f:
        f.write(f"$ {' '.join(argv)}\n# exit {r.returncode} in {time.monotonic() - t0:.1f}s\n"
                f"{out}{err}\n")
    harness.scan_sanitizer(err, f"splitline-regatta {verb}")
    check(r.returncode == 0, f"splitline-regatta {verb} {os.path.basename(path)} exited "
          f"{r.returncode}:\nstdout: {out[-2000:]}\nstderr: {err[-3000:]}")
    return out, err


async def event_row(srv):
    """The row of the event topic of srv's event."""
    c = await Client.connect(srv, "json")
    try:
        await c.hello(None, event=srv.event)
        await c.expect_ok({"t": "subscribe", "topic": "event"})
        while True:
            m = await c.next_push(60)
            check(m is not None, "connection closed waiting for the event topic")
            if m.get("t") == "snapshot" and m.get("topic") == "event":
                return m["rows"][0]
    finally:
        await c.close()


async def takes_adjust(srv, token):
    c = await Client.connect(srv, "json")
    try:
        await c.hello(token, event=srv.event)
        r = await c.request({"t": "adjust", "bib": "no-such-bib", "type": "dq",
                             "reason": "probe", "official": "test"})
    finally:
        await c.close()
    check(r.get("t") == "err", f"adjust of an unknown bib was accepted: {r}")
    return r.get("code") != "unknown_type"


def export_rows(srv, entries):
    """The rows of the races of entries, from the server's JSON exports, by bib."""
    rows = {}
    for race in sorted({e["race"] for e in entries}):
        doc = json.loads(srv.export("json", race))
        for row in doc["rows"]:
            rows[row["bib"]] = row
    return rows


def compare(srv, entries):
    """Differences between the server's exports and the published results."""
    diffs, rows = [], export_rows(srv, entries)
    for e in entries:
        row = rows.get(e["bib"])
        if row is None:
            diffs.append(f"line {e['line']} bib {e['bib']}: not in the export")
            continue
        got = {"raw": row.get("raw"), "adj": row.get("adj"), "place": row.get("place") or 0}
        want = {"raw": e["raw"], "adj": e["adj"], "place": e["place"]}
        why = [f"{k} {got[k]} != {want[k]}" for k in got if got[k] != want[k]]
        if e["status"] and row.get("status") != e["status"]:
            why.append(f"status {row.get('status')} != {e['status']}")
        if not e["status"] and bool(row.get("exhibition")) != e["exhibition"]:
            why.append(f"exhibition {row.get('exhibition')} != {e['exhibition']}")
        if why:
            diffs.append(f"line {e['line']} bib {e['bib']}: {', '.join(why)}")
    return diffs


async def progression_live(srv, token):
    """progression/16 (fed by heats 16A and 16B, "3 to Final"): the line-up
    is pushed, and pushed again complete once both heats are official."""
    c = await Client.connect(srv, "json")
    try:
        await c.hello(token, event=srv.event)
        await c.expect_ok({"t": "subscribe", "topic": "progression/16"})
        snap = await c.next_push()
        check(snap and snap.get("t") == "snapshot" and snap.get("feeders") == ["16A", "16B"],
              f"progression/16 snapshot: {snap}")
        rows = snap["rows"]
        check(len(rows) == 6 and [r["lane"] for r in rows[:2]] == [4, 5]
              and not snap["complete"], f"progression/16 line-up: {snap}")
        log("progression/16: " + ", ".join(f"{r['lane']}:{r['name']}" for r in rows))
        for heat in ("16A", "16B"):
            await c.expect_ok({"t": "race_official", "race": heat, "official": "chief-judge"})
        deadline = time.monotonic() + 30
        while True:
            m = await c.next_push(timeout=max(0.1, deadline - time.monotonic()))
            check(m is not None, "connection closed waiting for the progression delta")
            if m.get("topic") == "progression/16" and m.get("complete"):
                break
        log("progression/16: complete once 16A and 16B are official")
    finally:
        await c.close()


async def one_file(h, redis, name):
    path = os.path.join(h.paths.data, name)
    check(os.path.exists(path), f"no regatta data at {path}")
    event = name[:-4].lower()
    srv = Server(h, redis, name=f"server-{event}", event=event).start()
    check(await takes_adjust(srv, h.admin_token),
          "the server answers unknown_type to `adjust` messages")
    entries = load(path)
    # one regatta with its time zone and date: in the config, and the file's times of day
    # read in it, Saturday's races on the date and Sunday's on the next day
    tz = ["--timezone", ZONE, "--date", DATE] if name == ZONED else []
    out, err = run_tool(h, srv, "import", path, extra=tz)
    log(f"{name}: {out.strip()}")
    if not tz:
        check("warning: no date" in err and "2023-01-01" in err,
              f"{name}: imported without a date and not said so: {err[-1000:]}")
    out, _ = run_tool(h, srv, "replay", path, extra=tz)
    log(f"{name}: {out.strip()}")
    await srv.wait_caught_up()
    if tz:
        ev = (await event_row(srv))
        check(ev.get("timezone") == ZONE, f"{name}: event topic timezone {ev.get('timezone')}")
        check(ev.get("date") == DATE, f"{name}: event topic date {ev.get('date')}")
        with open(path, newline="") as f:
            day = {r["EventNum"]: r["Day"] for r in csv.DictReader(f)}
        starts = {r["id"]: w["start"] for r in ev["races"] for w in r["waves"] if w.get("start")}
        wrong = {k: t for k, t in starts.items()
                 if not 0 <= t - (SAT0 if day[k] == "Sat" else SUN0) < 86400000}
        check(starts and not wrong and {day[k] for k in starts} == {"Sat", "Sun"},
              f"{name}: starts not on their day ({DATE} or the next) in {ZONE}: "
              f"{list(wrong.items())[:5]}")
        log(f"{name}: {len(starts)} starts, Saturday's on {DATE} and Sunday's on the next day")
    diffs = compare(srv, entries)
    timed = sum(1 for e in entries if e["adj"] is not None)
    placed = sum(1 for e in entries if e["place"])
    log(f"{name}: {len(entries)} entries, {timed} timed, {placed} placed, "
        f"{len(diffs)} differences")
    check(not diffs, f"{name}: {len(diffs)} entries differ from the published results:\n"
          + "\n".join(diffs[:40]))

    # (the longest race id: net.c refuses "/api/results/<1 char>.csv")
    race = max((e["race"] for e in entries), key=len)
    body = srv.export("csv", race).decode()
    head = body.split("\n", 1)[0]
    check(head.startswith("place,lane,bib,crew,club,race,status,start_time,raw,penalty,adjusted,"
                          "margin,exhibition,relegated,place_manual,reasons"),
          f"regatta CSV header of race {race}: {head!r}")
    cols = head.split(",")
    check(len(cols) == len(set(cols)), f"regatta CSV header repeats a column: {head!r}")

    if name == "regatta-hebda-2023.csv":
        await progression_live(srv, h.admin_token)

    # The import again: same config, crews and decisions; nothing moves.
    before = [srv.export("json", r) for r in sorted({e["race"] for e in entries})]
    run_tool(h, srv, "import", path, extra=tz)
    await srv.wait_caught_up()
    after = [srv.export("json", r) for r in sorted({e["race"] for e in entries})]
    check(before == after, f"{name}: a second import changed the exports")

    if name == "regatta-hebda-2023.csv":
        await officials_cli(h, srv, entries)
    srv.stop()


def audit_rows(h, srv):
    return json.loads(h.ctl(srv, ["audit", "--format", "json"]).stdout)


async def head_splits(h, redis):
    """A head race with intermediate stations: splits per station, the bad
    reads not taken, the judges' places imported and in the audit trail."""
    path = os.path.join(h.paths.source, "tests", "data", SPLITS)
    srv = Server(h, redis, name="server-head-splits", event="head-splits").start()
    entries = load(path)
    extra = ["--date", DATE, "--distance", "1500", "--places-from-file"]
    out, err = run_tool(h, srv, "import", path, extra=extra)
    log(f"{SPLITS}: {out.strip()}")
    check("no distance" not in err and "spread" not in err,
          f"{SPLITS}: distances were guessed: {err}")
    out, _ = run_tool(h, srv, "replay", path, extra=["--date", DATE])
    log(f"{SPLITS}: {out.strip()}")
    await srv.wait_caught_up()
    diffs = compare(srv, entries)
    check(not diffs, f"{SPLITS}: {len(diffs)} entries differ from the file:\n" + "\n".join(diffs))
    rows = export_rows(srv, entries)
    bad, nsplits = [], 0
    for e in entries:
        got = rows[e["bib"]].get("splits") or {}
        for pt in SPLIT_PTS:
            want = None if (e["bib"], pt) in BAD_READS else e["splits"][pt]
            if got.get(pt) != want:
                bad.append(f"{e['bib']} {pt}: {got.get(pt)} != {want}")
            nsplits += want is not None
        if got.get("finish") != e["raw"]:
            bad.append(f"{e['bib']} finish: {got.get('finish')} != {e['raw']}")
    check(not bad, f"{SPLITS}: splits differ from the file's:\n" + "\n".join(bad))
    log(f"{SPLITS}: {nsplits} splits at 500m and 1000m as the file's; the bad reads "
        f"{sorted(BAD_READS)} not taken")
    manual = {b: r["place"] for b, r in rows.items() if r.get("place_manual")}
    check(manual == JUDGED, f"{SPLITS}: judged places {manual}, want {JUDGED}")
    trail = [r for r in audit_rows(h, srv) if r.get("op") == "place"]
    got = {r["bib"]: (r.get("by"), r.get("reason"), r.get("from"), r.get("to")) for r in trail}
    want = {b: ("chief-judge", "place from the results file", "none",
                f"{p} (dead heat)" if b == "8-154" else str(p)) for b, p in JUDGED.items()}
    check(len(trail) == 3 and got == want, f"{SPLITS}: audit trail of the places: {trail}")
    log(f"{SPLITS}: judges' places {JUDGED} shown and in the audit trail")
    srv.stop()


def backup_splits(path):
    """bib -> the 500m split regatta-head-backup.csv gives: its 500m reading,
    else its 500m2 reading, from its start; None for the bad read."""
    with open(path, newline="") as f:
        rows, want = list(csv.DictReader(f)), {}
    for e, r in zip(load(path), rows):
        start, t = ms_of(r["G_Start_time_raw"]), ms_of(r["G_500m_time_raw"])
        check((t is None) == (e["bib"] in FROM_BACKUP), f"{BACKUP}: {e['bib']}'s 500m reading")
        t = ms_of(r["G_500m2_time_raw"]) if t is None else t
        want[e["bib"]] = None if (e["bib"], "500m") in BAD_READS else t - start
    return want


async def head_backup(h, redis):
    """A backup station at a waypoint: one split 500m, its backup 500m2 a
    station of it; the split is the primary's reading, else the backup's;
    an official may take the backup's, and take that back."""
    path = os.path.join(h.paths.source, "tests", "data", BACKUP)
    srv = Server(h, redis, name="server-head-backup", event="head-backup").start()
    entries, want = load(path), backup_splits(path)
    run_tool(h, srv, "import", path, extra=["--date", DATE, "--distance", "1500",
                                             "--places-from-file"])
    out, _ = run_tool(h, srv, "replay", path, extra=["--date", DATE])
    log(f"{BACKUP}: {out.strip()}")
    await srv.wait_caught_up()
    pts = {r["id"]: [p["id"] for p in r["points"]] for r in (await event_row(srv))["races"]}
    check(pts == {"7": ["start", "500m", "1000m", "finish"],
                  "8": ["start", "500m", "1000m", "finish"]}, f"{BACKUP}: points {pts}")
    diffs = compare(srv, entries)
    check(not diffs, f"{BACKUP}: {len(diffs)} entries differ from the file:\n" + "\n".join(diffs))
    rows = export_rows(srv, entries)
    bad = [f"{b}: 500m {(rows[b].get('splits') or {}).get('500m')} != {w}, splits "
           f"{rows[b].get('splits')}" for b, w in want.items()
           if (rows[b].get("splits") or {}).get("500m") != w
           or "500m2" in (rows[b].get("splits") or {})]
    check(not bad, f"{BACKUP}: 500m splits differ from the file's:\n" + "\n".join(bad))
    log(f"{BACKUP}: every 500m split as the file's, {sorted(FROM_BACKUP)} from the backup 500m2")

    # an official takes the backup's reading for a crew that has both, then withdraws it
    bib, race = "7-128", "7"
    before = srv.export("json", race)
    with open(path, newline="") as f:
        r = next(x for x in csv.DictReader(f) if x["Bow"] == "128")
    backup = ms_of(r["G_500m2_time_raw"]) - ms_of(r["G_Start_time_raw"])
    check(backup == want[bib] + 7, f"{BACKUP}: {bib}'s backup reading {backup}")
    for args, why in (([bib, "station", "--pt", "1000m", "--station", "500m2"],
                       "'500m2' is no station of point '1000m'"),
                      ([bib, "station", "--pt", "500m2", "--station", "500m2"],
                       "no point '500m2'")):
        res = h.ctl(srv, ["adjust"] + args + ["--reason", "x", "--official", "chief-judge"],
                    check_rc=False)
        check(res.returncode == 1 and why in res.stderr,
              f"adjust {' '.join(args)}: exit {res.returncode}, stderr {res.stderr!r}")
    decide = ["--reason", "500m timer missed the bow ball", "--official", "chief-judge"]
    h.ctl(srv, ["adjust", bib, "station", "--pt", "500m", "--station", "500m2"] + decide)
    await srv.wait_caught_up()
    row, raw = export_rows(srv, [{"race": race}])[bib], entries[0]["raw"]
    check(entries[0]["bib"] == bib and row["splits"].get("500m") == backup and row["raw"] == raw,
          f"{BACKUP}: {bib} with station 500m2 chosen: {row}")
    h.ctl(srv, ["adjust", bib, "station", "--pt", "500m", "--reason", "primary confirmed",
                "--official", "chief-judge"])
    await srv.wait_caught_up()
    # as before, reasons too (a withdrawn choice is no decision in force)
    after = json.loads(srv.export("json", race))["rows"]
    changed = [(x, y) for x, y in zip(json.loads(before)["rows"], after) if x != y]
    check(not changed and len(after) == len(json.loads(before)["rows"]),
          f"{BACKUP}: race {race} not as before once the station choice is withdrawn: {changed}")
    trail = [(x.get("from"), x.get("to"), x.get("reason")) for x in audit_rows(h, srv)
             if x.get("op") == "station" and x.get("bib") == bib]
    check(trail == [("primary", "finish2", "official finish camera"),  # the import's
                    ("primary", "500m2", decide[1]), ("500m2", "primary", "primary confirmed")],
          f"{BACKUP}: audit trail of the station choice: {trail}")
    log(f"{BACKUP}: {bib} at 500m: {want[bib]} ms, {backup} ms from 500m2 chosen, "
        f"back to {want[bib]} ms withdrawn; in the audit trail")
    srv.stop()


async def dup_events(h, redis):
    """Two events under one event number: kept apart, and said."""
    path = os.path.join(h.paths.source, "tests", "data", DUPS)
    srv = Server(h, redis, name="server-dup-events", event="dup-events").start()
    entries = load(path)
    _, err = run_tool(h, srv, "import", path)
    check("warning: event number 1 names two events, '1 Women's Jr 4+' and "
          "'2 Men's Novice 8+': kept apart, as races 1 and 1b" in err,
          f"{DUPS}: no warning naming both events: {err}")
    run_tool(h, srv, "replay", path)
    await srv.wait_caught_up()
    check({e["race"] for e in entries} == {"1", "1b"}, f"{DUPS}: races {entries}")
    diffs = compare(srv, entries)
    check(not diffs, f"{DUPS}: {len(diffs)} entries differ:\n" + "\n".join(diffs))
    log(f"{DUPS}: races 1 (5 crews) and 1b (3 crews) kept apart, places as published")
    srv.stop()


async def officials_cli(h, srv, entries):
    """The officials' CLI: a penalty moves the winner of a race down and
    shows its reason; a bad decision is refused and changes nothing; taking
    the penalty back restores the results to the byte."""
    races = {}
    for e in entries:
        if e["place"] and e["adj"] is not None:
            races.setdefault(e["race"], []).append(e)
    race = max((r for r in races if len(races[r]) >= 2), key=lambda r: (len(races[r]), r))
    crews = sorted(races[race], key=lambda e: e["place"])
    first, second = crews[0], crews[1]
    before = srv.export("json", race)
    gap_ms = second["adj"] - first["adj"]
    h.ctl(srv, ["adjust", first["bib"], "penalty", "--ms", gap_ms + 1000,
                "--reason", "Lane infringement", "--official", "chief-judge"])
    r = h.ctl(srv, ["adjust", "no-such-bib", "dq", "--reason", "x", "--official", "y"],
              check_rc=False)
    check(r.returncode == 1 and "no-such-bib" in r.stderr,
          f"adjust of an unknown bib: exit {r.returncode}, stderr {r.stderr!r}")
    await srv.wait_caught_up()
    rows = {x["bib"]: x for x in json.loads(srv.export("json", race))["rows"]}
    check(rows[first["bib"]]["place"] == 2 and rows[second["bib"]]["place"] == 1,
          f"race {race}: after a {gap_ms + 1000} ms penalty on {first['bib']}: "
          f"places {rows[first['bib']]['place']}, {rows[second['bib']]['place']}")
    check(rows[first["bib"]]["penalty"] == gap_ms + 1000
          and any(x.get("reason") == "Lane infringement" for x in rows[first["bib"]]["reasons"]),
          f"race {race}: the penalty and its reason are not shown: {rows[first['bib']]}")
    h.ctl(srv, ["adjust", first["bib"], "penalty", "--ms", 0, "--reason", "appeal upheld",
                "--official", "chief-judge"])
    await srv.wait_caught_up()
    after = json.loads(srv.export("json", race))
    was = json.loads(before)
    check([(x["bib"], x["place"], x["adj"]) for x in after["rows"]]
          == [(x["bib"], x["place"], x["adj"]) for x in was["rows"]],
          f"race {race}: taking the penalty back did not restore the results")
    log(f"officials' CLI: penalty on {first['bib']} in race {race} moved it to 2nd and back")


async def main(h):
    redis = h.redis()
    for name in FILES:
        await one_file(h, redis, name)
    await head_splits(h, redis)
    await head_backup(h, redis)
    await dup_events(h, redis)


def extra(ap):
    ap.add_argument("--regatta", default=os.environ.get("SL_REGATTA_BIN"))


def run():
    ns = harness.parse_args(extra=extra)
    ns.regatta = ns.regatta or harness._guess_bin("splitline-regatta", ["clients/regatta"])
    for k in ("server", "ctl", "replay", "regatta"):
        setattr(ns, k, os.path.abspath(getattr(ns, k)))
    paths = harness.Paths(ns)
    t0 = time.monotonic()
    h, failed = None, True
    try:
        h = harness.Harness("regatta", paths)
        h.args = ns
        check(os.access(ns.regatta, os.X_OK), f"splitline-regatta not found: {ns.regatta!r}")
        asyncio.run(main(h))
        failed = False
    except harness.TestFailure as e:
        sys.stdout.write(f"FAIL regatta: {e}\n")
    except Exception:
        sys.stdout.write(f"FAIL regatta: unexpected error\n{traceback.format_exc()}")
    finally:
        reports = h.cleanup(failed) if h else []
    for who, _ in reports:
        sys.stdout.write(f"FAIL regatta: sanitizer report in {who}'s log\n")
        failed = True
    dt = time.monotonic() - t0
    if failed:
        sys.stdout.write(f"regatta: FAILED in {dt:.1f}s\n")
        sys.exit(1)
    sys.stdout.write(f"regatta: passed in {dt:.1f}s\n")


if __name__ == "__main__":
    run()
