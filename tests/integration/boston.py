"""The Boston results file as the tests' oracle (see data/README.md).

Official places in the file come from sub-second times we do not have: a
system fed whole-second times must put each runner between
1 + (runners strictly faster) and (runners with a time <= theirs), overall,
within sex, and within sex + age group (18-39, 40-44, ..., 75-79, 80+).
The age groups match the categories of scripts/demo/boston-2015.yaml.
"""

import asyncio
import bisect
import csv
import io
import json
import re
import time
import types

import harness
from harness import check, log

SPLITS = ["5K", "10K", "15K", "20K", "Half", "25K", "30K", "35K", "40K", "Official Time"]
HMS = re.compile(r"^(\d+):([0-5]\d):([0-5]\d)$")


def hms(s):
    m = HMS.match(s)
    return None if not m else int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3))


def age_group(age):
    if age < 40:
        return "18-39"
    if age >= 80:
        return "80plus"
    lo = age - age % 5
    return f"{lo}-{lo + 4}"


def division(sex, age):
    return f"{sex}{age_group(age)}"


class Runner:
    __slots__ = ("bib", "line", "sex", "age", "div", "time", "cells", "reads")

    def __init__(self, row, line):
        self.bib = row["Bib"]
        self.line = line
        self.sex = row["M/F"]
        self.age = int(row["Age"])
        self.div = division(self.sex, self.age)
        self.cells = {c: row[c] for c in SPLITS}
        self.time = hms(row["Official Time"])  # None for the corrupt cell
        # one start-mat read + one per parseable split cell
        self.reads = 1 + sum(1 for c in SPLITS if hms(row[c]) is not None)


def load(path, limit=None):
    """Runners in file order, with their 1-based file line numbers."""
    out = []
    with open(path, newline="") as f:
        rd = csv.DictReader(f)
        for row in rd:
            if limit is not None and len(out) >= limit:
                break
            out.append(Runner(row, rd.line_num))
    return out


def write_slice(src, dst, n):
    """The header and the first n rows of src (the fastest n runners)."""
    with open(src, newline="") as f, open(dst, "w", newline="") as g:
        for i, line in enumerate(f):
            if i > n:
                break
            g.write(line)
    return dst


def bad_cells(runners):
    """(runner, column, value) of every cell that is neither H:MM:SS nor '-'."""
    return [(r, c, v) for r in runners for c, v in r.cells.items()
            if v != "-" and hms(v) is None]


class Intervals:
    """Allowed place intervals over one population of (group, time)."""

    def __init__(self, runners, key, times):
        self.by = {}
        for r in runners:
            t = times.get(r.bib)
            if t is not None:
                self.by.setdefault(key(r), []).append(t)
        for v in self.by.values():
            v.sort()

    def allowed(self, group, t):
        v = self.by[group]
        return 1 + bisect.bisect_left(v, t), bisect.bisect_right(v, t)


# ---------------------------------------------------------------- exports

def _int(v):
    if v is None:
        return None
    if isinstance(v, int):
        return v
    v = str(v).strip()
    return int(v) if re.fullmatch(r"\d+", v) else None


def parse_export_csv(body):
    """{bib: {column(lower case): value}} from the CSV export."""
    text = body.decode("utf-8")
    rd = csv.DictReader(io.StringIO(text))
    check(rd.fieldnames, "CSV export is empty")
    rows = {}
    for row in rd:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        check("bib" in row, f"CSV export has no 'bib' column: {rd.fieldnames}")
        check(row["bib"] not in rows, f"CSV export lists bib {row['bib']} twice")
        rows[row["bib"]] = row
    return rows, [f.strip().lower() for f in rd.fieldnames]


def _pick(cols, names, what):
    for n in names:
        if n in cols:
            return n
    return None


def places_from_exports(csv_body, json_rows):
    """{bib: (place, place_sex, {cat: place})} read from the CSV export where
    it has the columns, cross-checked against the JSON export's rows
    (PROTOCOL.md "Result row"), which also supplies the category places when
    the CSV has no recognisable column for them."""
    rows, cols = parse_export_csv(csv_body)
    c_place = _pick(cols, ["place", "overall", "place_overall", "rank"], "place")
    c_sex = _pick(cols, ["place_sex", "gender", "sex_place", "place_gender"], "sex place")
    c_cat = _pick(cols, ["place_cat", "division", "place_div", "place_division", "cat_place"],
                  "category place")
    check(c_place, f"CSV export has no overall place column: {cols}")
    check(c_sex, f"CSV export has no sex place column: {cols}")
    jr = {str(r["bib"]): r for r in json_rows}
    check(set(jr) == set(rows),
          f"CSV and JSON exports list different bibs: {len(rows)} vs {len(jr)}, e.g. "
          f"{sorted(set(rows) ^ set(jr))[:5]}")
    out = {}
    for bib, row in rows.items():
        j = jr[bib]
        place, psex = _int(row[c_place]), _int(row[c_sex])
        check(place == j.get("place") and psex == j.get("place_sex"),
              f"bib {bib}: CSV places ({place}, {psex}) differ from JSON "
              f"({j.get('place')}, {j.get('place_sex')})")
        jcats = {k: _int(v) for k, v in (j.get("place_cat") or {}).items()}
        if "categories" in cols and "place_categories" in cols:
            # "M18-39;elite" and "12;3": category ids and their places, aligned
            ids = [x for x in row["categories"].split(";") if x]
            ps = row["place_categories"].split(";") if row["place_categories"] else []
            check(not ps or len(ps) == len(ids),
                  f"bib {bib}: categories {row['categories']!r} vs places "
                  f"{row['place_categories']!r}")
            cats = {k: _int(ps[i]) if ps else None for i, k in enumerate(ids)}
            check({k: v for k, v in cats.items() if v is not None} ==
                  {k: v for k, v in jcats.items() if v is not None},
                  f"bib {bib}: CSV category places {cats} differ from JSON {jcats}")
        else:
            cats = jcats
            if c_cat and row.get(c_cat) and _int(row[c_cat]) is not None and len(cats) == 1:
                (k,) = cats
                check(_int(row[c_cat]) == cats[k],
                      f"bib {bib}: CSV {c_cat} {row[c_cat]} differs from JSON {cats}")
        out[bib] = (place, psex, cats)
    return out


def check_places(runners, places, times):
    """Every runner with a time gets a place within its tie interval, overall,
    in its sex and in its division; runners without a time have no place.
    times: {bib: seconds or None}.  Returns the number of runners checked."""
    overall = Intervals(runners, lambda r: "all", times)
    by_sex = Intervals(runners, lambda r: r.sex, times)
    by_div = Intervals(runners, lambda r: r.div, times)
    errors, n = [], 0
    for r in runners:
        got = places.get(r.bib)
        if got is None:
            errors.append(f"bib {r.bib} (line {r.line}) missing from the export")
            continue
        place, psex, cats = got
        t = times.get(r.bib)
        if t is None:
            if place is not None:
                errors.append(f"bib {r.bib}: no finish time but place {place}")
            continue
        n += 1
        for what, got_p, iv, grp in (("overall", place, overall, "all"),
                                     ("sex", psex, by_sex, r.sex),
                                     ("division " + r.div, cats.get(r.div), by_div, r.div)):
            lo, hi = iv.allowed(grp, t)
            if got_p is None or not lo <= got_p <= hi:
                errors.append(f"bib {r.bib} (line {r.line}, {r.sex} {r.age}, {t}s): {what} "
                              f"place {got_p}, expected {lo}..{hi}")
    check(not errors, f"{len(errors)} wrong places, first ones:\n  " + "\n  ".join(errors[:20]))
    return n


# ---------------------------------------------------------------- replays

def wave_offset_s(bib):
    """Start of the runner's wave after 10:00, as in scripts/demo/boston-2015.yaml."""
    if not bib.isdigit():
        return -28 * 60
    b = int(bib)
    return 0 if b < 9000 else 25 * 60 if b < 18000 else 50 * 60 if b < 27000 else 75 * 60


def race_span_s(runners):
    """About how long the replayed race lasts in race time (corrals: 0..20 min)."""
    first = min(wave_offset_s(r.bib) for r in runners)
    last = max(wave_offset_s(r.bib) + 20 * 60 + (r.time or 0) for r in runners)
    return last - first


def check_log_complete(redis, dev, n):
    """The log holds reads 1..n of device dev, each exactly once."""
    seen = {}
    for rid, rec in redis.records():
        if rec.get("k") != "passings" or rec.get("dev") != dev:
            continue
        for i in range(len(rec.get("reads") or [])):
            s = rec["seq"] + i
            check(s not in seen, f"read {dev}#{s} is in the log twice ({seen.get(s)}, {rid})")
            seen[s] = rid
    missing = [s for s in range(1, n + 1) if s not in seen]
    check(not missing, f"{len(missing)} acked reads of {dev} are not in the log, "
                       f"e.g. seq {missing[:5]}")
    extra = [s for s in seen if s > n]
    check(not extra, f"the log holds reads of {dev} beyond {n}: {sorted(extra)[:5]}")


async def reference_export(h, csv_path, device, name="ref"):
    """The CSV export of an uninterrupted run on a fresh Redis and server."""
    redis = h.redis(f"redis-{name}")
    srv = h.server(redis, f"server-{name}")
    h.create_event(srv)
    h.import_boston(srv, csv_path)
    tok = h.issue_token(srv, "reader", device)
    summary, _, _ = await h.run_replay(srv, csv_path, tok, device, speed=0, name=f"replay-{name}")
    await srv.wait_caught_up()
    body = srv.export("csv")
    srv.stop()
    redis.stop()
    return body, summary


def diff_hint(a, b):
    """The first differing line of two exports, for a failure message."""
    la, lb = a.decode("utf-8", "replace").split("\n"), b.decode("utf-8", "replace").split("\n")
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return f"line {i + 1}:\n    {x}\n    {y}"
    return f"lengths {len(la)} vs {len(lb)} lines"


async def replay_mid(h, store, n, dev, seconds=20, extra=()):
    """The first n runners of Boston 2015 on a fresh event: a reference CSV
    export from a clean run first (reference_export), then a server on
    `store` (a Redis or a Cluster; `extra`: its options), the event created
    and imported, and a replay at a speed that makes it last some `seconds`,
    returned once it is some 6 s in with a few batches in the log.
    Returns a namespace: sl, expected (reads), ref, ref_summary, srv, rp,
    t0 (the replay's start), base (log length before it)."""
    sl = write_slice(h.paths.boston_csv, h.path("slice.csv"), n)
    runners = load(sl)
    expected = sum(r.reads for r in runners)
    ref, ref_summary = await reference_export(h, sl, dev)
    srv = h.server(store, extra=extra)
    h.create_event(srv)
    h.import_boston(srv, sl)
    tok = h.issue_token(srv, "reader", dev)
    base = store.xlen()
    speed = max(1, race_span_s(runners) // seconds)
    log(f"replaying {expected} reads at --speed {speed}")
    rp = h.replay(srv, sl, tok, dev, speed=speed)
    t0 = time.monotonic()
    while store.xlen() < base + 3 or time.monotonic() - t0 < 6:
        check(rp.alive(), f"replay ended before the fault: {rp.out_text()[-500:]}")
        await asyncio.sleep(0.05)
    return types.SimpleNamespace(sl=sl, expected=expected, ref=ref, ref_summary=ref_summary,
                                 srv=srv, rp=rp, t0=t0, base=base)


async def replay_end(r):
    """Waits for the replay of replay_mid to end: it exits 0, with every
    read acked.  Returns (summary, its stderr, batch sends it repeated)."""
    rc = await r.rp.wait_async(600)
    out, err = r.rp.out_text(), r.rp.log_text()
    harness.scan_sanitizer(err, "replay")
    check(rc == 0, f"replay exited {rc}: {out[-500:]} {err[-1500:]}")
    summary = harness.parse_replay_summary(out)
    log(f"replay finished in {time.monotonic() - r.t0:.1f}s: {summary}")
    for line in err.strip().split("\n")[-3:]:
        log(f"  replay stderr: {line}")
    check(summary["acked"] == r.expected and summary["sent"] == r.expected,
          f"replay {summary}, expected {r.expected} reads")
    m = re.search(r"(\d+) batch sends were repeated", err)
    return summary, err, int(m.group(1)) if m else 0


def wave1_event(h, store, dev, n=20):
    """A server on `store` with the event created and the first 40 runners
    of the file imported; returns (up to n of them from wave 1 with
    numeric bibs, the server, a reader token for dev)."""
    sl = write_slice(h.paths.boston_csv, h.path("slice.csv"), 40)
    runners = [r for r in load(sl) if r.bib.isdigit() and int(r.bib) < 9000][:n]
    check(len(runners) >= 10, "not enough wave-1 runners in the slice")
    srv = h.server(store)
    h.create_event(srv)
    h.import_boston(srv, sl)
    return runners, srv, h.issue_token(srv, "reader", dev)
