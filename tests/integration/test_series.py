"""series: a series over three events, team scores and award lists, through the real server.

One Redis, one splitlined without --event.  Three small road races (s1, s2, s3: one race
`r`, gun time from 10:00:00Z) are created with `splitline event create`, their athletes
imported with `splitline participants import` (a custom field `athlete_id` matches them
across events), and their finishes sent as a reader's passings over the WebSocket.  The
series document is put with `splitline series put`.  Everything below is computed by hand
(the finish orders are in FINISHES):

  overall places and points (table 10, 8, 6, 5, 4), best 2 of 3, ties [wins, last]:
    s1: a1 1 (10), a2 2 (8), a3 3 (6), a4 4 (5), a5 5 (4)
    s2: a2 1 (10), a1 2 (8), a4 3 (6), a3 4 (5), a6 5 (4)
    s3: a3 1 (10), a2 2 (8), a1 3 (6), a6 4 (5), a7 5 (4)
    a2: 8 + 10 (+8 dropped: equal points, the earlier event counts) = 18
    a1: 10 + 8 (+6 dropped) = 18; tie with a2: wins 1 each, then `last`: in s3 a2 is 2nd,
        a1 3rd, so a2 first
    a3: 6 + 10 (5 dropped) = 16; a4: 5 + 6 = 11; a6: 4 + 5 = 9
    a7 and a5: 4 each; wins 0; last: a7 was placed in s3, a5 not: a7 first
    -> a2 18, a1 18, a3 16, a4 11, a6 9, a7 4, a5 4 (places 1..7)
    a7 has a5's name and birth date under another id: one likely duplicate reported.
  after a DQ of a1 in s1 (an official's decision, so results are corrected):
    s1: a2 1 (10), a3 2 (8), a4 3 (6), a5 4 (5)
    -> a2 10+10 = 20, a3 8+10 = 18, a1 8+6 = 14, a4 6+6 = 12, a6 9, a5 5, a7 4
  then an official confirms the duplicate (same: {a7: a5}): a5 = 5 + 4 = 9, tied with a6;
    wins 0 each; last: in s3 a6 is 4th, a5 (as a7) 5th -> a6 5th, a5 6th; no report left.
  teams in s1 (club, places, n 2, min 2): X = 1 + 2 = 3 (1st), Y = 3 + 4 = 7 (2nd),
    Z has one finisher: incomplete, unranked.
  awards in s1 (overall 1, category 1, exclude_overall): Women a1, Men a2; category F: a3
    (a1 excluded), category M: a4 (a2 excluded).

Hostile: an event admin's series_put is refused (only the deployment's admin); a typo in
the document is refused naming the key and the key meant; a bad series id, an unknown
series, a bad format, an unknown race: each refused, nothing stored.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import asyncio
import csv
import json
import os
import subprocess
import time
import types

import harness
from harness import check, log

EVENTS = ["s1", "s2", "s3"]
START = 1772359200000  # 2026-03-01T10:00:00Z
ATHLETES = {  # id: (name, sex, club, birth)
    "a1": ("Ann Lee", "F", "X", "1990-01-01"),
    "a2": ("Bob Ray", "M", "X", "1988-02-02"),
    "a3": ("Cid Moe", "F", "Y", "1991-03-03"),
    "a4": ("Dan Fox", "M", "Y", "1985-04-04"),
    "a5": ("Eve Park", "F", "Z", "1992-05-05"),
    "a6": ("Fay Orr", "M", "Z", "1980-06-06"),
    "a7": ("Eve Park", "F", "", "1992-05-05"),  # a5 under another id
}
FINISHES = {  # event: athletes in finish order (one minute apart from 0:20:00)
    "s1": ["a1", "a2", "a3", "a4", "a5"],
    "s2": ["a2", "a1", "a4", "a3", "a6"],
    "s3": ["a3", "a2", "a1", "a6", "a7"],
}

YAML = """event: {ev}
name: Race {ev}
date: 2026-03-0{day}
timezone: UTC
level: community
races:
  - id: r
    name: 5K
    kind: mass
    distance_m: 5000
    ranking: gun
    waves:
      - {{id: "1", start: "2026-03-0{day}T10:00:00Z", bibs: "1-999"}}
    points:
      - {{id: finish, distance_m: 5000, role: finish, min_s: 60}}
    categories:
      - {{id: F, name: Women, sex: F}}
      - {{id: M, name: Men, sex: M}}
    awards: {{overall: 1, category: 1, exclude_overall: true}}
    teams:
      - {{id: clubs, field: club, score: places, n: 2, min: 2}}
"""

SERIES = """series: cup
name: Community Cup
events: [s1, s2, s3]
match: fields.athlete_id
points: {by: overall, table: [10, 8, 6, 5, 4]}
best: 2
ties: [wins, last]
"""


def bib(ev, a):
    return str(100 * (EVENTS.index(ev) + 1) + int(a[1:]))


def at(srv, ev):
    return types.SimpleNamespace(ws_url=srv.ws_url, event=ev, port=srv.port)


def get(srv, path, want=200):
    st, body = srv.get(path)
    check(st == want, f"GET {path}: {st}, want {want}: {body[:300]!r}")
    return body


def standings(srv):
    doc = json.loads(get(srv, "/api/series/cup.json"))
    return doc, [(r["place"], r["athlete"], r["total"]) for r in doc["rows"]]


async def make_event(h, srv, ev, i):
    day = i + 1
    path = h.path(f"{ev}.yaml")
    with open(path, "w") as f:
        f.write(YAML.format(ev=ev, day=day))
    h.create_event(at(srv, ev), path)
    rows = h.path(f"{ev}.csv")
    with open(rows, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Bib", "Name", "Sex", "Club", "AID", "Birth"])
        for a in FINISHES[ev]:
            name, sex, club, birth = ATHLETES[a]
            w.writerow([bib(ev, a), name, sex, club, a, birth])
    h.ctl(at(srv, ev), ["participants", "import", rows, "--map",
                        "bib=Bib,name=Name,sex=Sex,club=Club,fields.athlete_id=AID,birth=Birth",
                        "--chip-from-bib"])
    tok = h.issue_token(at(srv, ev), "reader", "mat")
    c = await harness.Client.connect(srv, "json")
    await c.hello(tok, event=ev)
    t0 = START + i * 86400000
    reads = [{"chip": bib(ev, a), "pt": "finish", "t": t0 + (20 + k) * 60000}
             for k, a in enumerate(FINISHES[ev])]
    await c.expect_ok({"t": "passings", "dev": "mat", "seq": 1, "reads": reads})
    await c.close()


async def until(srv, want, what, timeout=60):
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        doc, got = standings(srv)
        if got == want:
            return doc
        await asyncio.sleep(0.2)
    raise harness.TestFailure(f"{what}: standings {got}, want {want}")


async def main(h):
    redis = h.redis()
    srv = harness.Server(h, redis, event=None).start()
    for i, ev in enumerate(EVENTS):
        await make_event(h, srv, ev, i)

    # hostile first: nothing may be stored
    ev_admin = h.issue_token(at(srv, "s1"), "admin")
    path = h.path("cup.yaml")
    with open(path, "w") as f:
        f.write(SERIES)
    r = h.ctl(at(srv, "s1"), ["series", "put", path], token=ev_admin, check_rc=False)
    check(r.returncode != 0 and "deployment" in r.stderr, f"event admin put a series: {r.stderr}")
    bad = h.path("bad.yaml")
    with open(bad, "w") as f:
        f.write(SERIES.replace("best: 2", "bset: 2"))
    r = h.ctl(at(srv, "s1"), ["series", "put", bad], check_rc=False)
    check(r.returncode != 0 and "bset" in r.stderr and "best" in r.stderr,
          f"a typo in the series: {r.returncode} {r.stderr}")
    with open(bad, "w") as f:
        f.write(SERIES.replace("series: cup", "series: Cup_1"))
    r = h.ctl(at(srv, "s1"), ["series", "put", bad], check_rc=False)
    check(r.returncode != 0, f"a bad series id was stored: {r.stdout}")
    get(srv, "/api/series/cup.json", 404)
    check(json.loads(get(srv, "/api/series.json")) == {"series": []}, "a series was stored")

    r = h.ctl(at(srv, "s1"), ["series", "put", path])
    check("stored" in r.stdout, f"series put: {r.stdout}")
    want = [(1, "a2", 18), (2, "a1", 18), (3, "a3", 16), (4, "a4", 11), (5, "a6", 9),
            (6, "a7", 4), (7, "a5", 4)]
    doc = await until(srv, want, "the series")
    a2 = next(r for r in doc["rows"] if r["athlete"] == "a2")
    check([c and (c["points"], c["counted"]) for c in a2["results"]] ==
          [(8, True), (10, True), (8, False)], f"a2's results: {a2['results']}")
    dups = [(d["kind"], sorted(e["id"] for e in d["entries"])) for d in doc["duplicates"]]
    check(dups == [("same_person", ["a5", "a7"])], f"duplicates: {doc['duplicates']}")
    lst = json.loads(get(srv, "/api/series.json"))["series"]
    check(lst == [{"id": "cup", "name": "Community Cup", "events": EVENTS}], f"list: {lst}")
    csv_text = get(srv, "/api/series/cup.csv").decode()
    lines = csv_text.splitlines()
    check(lines[0] == "place,group,athlete,name,total,s1,s2,s3" and
          lines[1] == "1,,a2,Bob Ray,18,8,10,(8)", f"series CSV: {lines[:3]}")
    out = h.ctl(at(srv, "s1"), ["series", "show", "cup", "--format", "csv"]).stdout
    check(out == csv_text, "splitline series show differs from the HTTP export")
    get(srv, "/api/series/nope.json", 404)
    get(srv, "/api/series/cup.txt", 404)
    # polled bodies carry an ETag: 304 while unchanged (the DQ below changes it)
    st, hd, body = harness.http_fetch(srv.port, "/api/series/cup.json")
    etag = hd.get("etag", "")
    check(st == 200 and len(etag) == 34 and hd.get("cache-control") == "no-cache",
          f"series ETag: {st} {hd}")
    st, hd, body = harness.http_fetch(srv.port, "/api/series/cup.json",
                                      [("If-None-Match", etag)])
    check(st == 304 and body == b"" and hd.get("etag") == etag, f"If-None-Match: {st} {hd}")
    st, _, _ = harness.http_fetch(srv.port, "/api/series/cup.json",
                                  [("If-None-Match", '"0123456789abcdef0123456789abcdef"')])
    check(st == 200, f"a stale ETag got {st}")
    st, hd, _ = harness.http_fetch(srv.port, "/health")
    check(st == 200 and "etag" not in hd and hd.get("cache-control") == "no-store",
          f"/health is never cached: {hd}")

    # teams and awards of s1
    teams = json.loads(get(srv, "/api/events/s1/teams/r.json"))["tables"][0]
    got = [(t["place"], t["team"], t["score"]) for t in teams["rows"]]
    check(got == [(1, "X", 3), (2, "Y", 7), (None, "Z", None)], f"teams: {got}")
    aw = json.loads(get(srv, "/api/events/s1/awards/r.json"))["rows"]
    got = [(a["kind"], a["section"], a["place"], a["bib"]) for a in aw]
    want_aw = [("sex", "F", 1, bib("s1", "a1")), ("sex", "M", 1, bib("s1", "a2")),
               ("category", "F", 1, bib("s1", "a3")), ("category", "M", 1, bib("s1", "a4"))]
    check(got == want_aw, f"awards: {got}, want {want_aw}")
    txt = get(srv, "/api/events/s1/awards/r.txt").decode()
    check(f"Women, 1st: Ann Lee ({bib('s1', 'a1')}), 0:20:00" in txt, f"awards text: {txt}")
    # the printed award list follows the race's rule too (a1 and a2 left out of F and M)
    pdf = get(srv, "/api/events/s1/awards/r.pdf")
    with open(h.path("awards.pdf"), "wb") as f:
        f.write(pdf)
    text = subprocess.run(["pdftotext", "-layout", h.path("awards.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    names = [ln.split()[2:4] for ln in text.splitlines() if ln.strip()[:3] == "1st"]
    check(names == [["Ann", "Lee"], ["Bob", "Ray"], ["Cid", "Moe"], ["Dan", "Fox"]],
          f"award PDF winners: {names}\n{text}")
    get(srv, "/api/events/s1/teams/nope.json", 404)
    get(srv, "/api/events/s1/awards/r.xml", 404)

    # live topics: a spectator of s2 follows the series and s1's teams
    live = await harness.Client.connect(srv, "json")
    await live.hello(event="s2")
    for t, code in (("series/nope", "not_found"), ("teams/nope", "not_found"),
                    ("series/Bad_Id", "not_found"), ("awards/r x", "bad_request")):
        r = await live.request({"t": "subscribe", "topic": t})
        check(r.get("code") == code, f"subscribe {t}: {r}, want {code}")
    await live.expect_ok({"t": "subscribe", "topic": "series/cup"})
    first = await live.next_push()
    check(first.get("t") == "snapshot" and first.get("topic") == "series/cup" and
          [(r["place"], r["athlete"], r["total"]) for r in first["data"]["rows"]][:3] ==
          [(1, "a2", 18), (2, "a1", 18), (3, "a3", 16)], f"series topic: {first}")
    sp = await harness.Client.connect(srv, "json")
    await sp.hello(event="s1")
    await sp.expect_ok({"t": "subscribe", "topic": "teams/r"})
    tfirst = await sp.next_push()
    check(tfirst.get("topic") == "teams/r" and
          [(t["place"], t["team"]) for t in tfirst["data"]["tables"][0]["rows"]] ==
          [(1, "X"), (2, "Y"), (None, "Z")], f"teams topic: {tfirst}")

    # a correction moves the standings
    h.ctl(at(srv, "s1"), ["adjust", bib("s1", "a1"), "dq", "--reason", "course cut",
                          "--official", "referee"])
    pushed = await live.next_push(30)
    check(pushed.get("topic") == "series/cup" and
          [(r["place"], r["athlete"], r["total"]) for r in pushed["data"]["rows"]][:3] ==
          [(1, "a2", 20), (2, "a3", 18), (3, "a1", 14)], f"series topic after the DQ: {pushed}")
    tpushed = await sp.next_push(30)
    check([(t["place"], t["team"]) for t in tpushed["data"]["tables"][0]["rows"]] ==
          [(1, "Y"), (None, "X"), (None, "Z")], f"teams topic after the DQ: {tpushed}")
    await live.close()
    await sp.close()

    # a session follows at most 8 score topics: the 8th is taken, the 9th refused, and one
    # freed makes room again
    for k in range(2, 9):
        with open(h.path(f"cup{k}.yaml"), "w") as f:
            f.write(SERIES.replace("series: cup", f"series: cup{k}"))
        h.ctl(at(srv, "s1"), ["series", "put", h.path(f"cup{k}.yaml")])
    lim = await harness.Client.connect(srv, "json")
    await lim.hello(event="s1")
    for k in ["", *range(2, 9)]:
        await lim.expect_ok({"t": "subscribe", "topic": f"series/cup{k}"})
    r = await lim.request({"t": "subscribe", "topic": "teams/r"})
    check(r.get("t") == "err" and "8 of them" in r.get("msg", ""), f"a 9th score topic: {r}")
    await lim.expect_ok({"t": "unsubscribe", "topic": "series/cup8"})
    await lim.expect_ok({"t": "subscribe", "topic": "teams/r"})
    await lim.close()

    want = [(1, "a2", 20), (2, "a3", 18), (3, "a1", 14), (4, "a4", 12), (5, "a6", 9),
            (6, "a5", 5), (7, "a7", 4)]
    await until(srv, want, "after the DQ")
    st, hd, _ = harness.http_fetch(srv.port, "/api/series/cup.json", [("If-None-Match", etag)])
    check(st == 200 and hd.get("etag") != etag, f"the standings changed, the ETag not: {st} {hd}")

    # an official confirms the likely duplicate: a7 is a5 (s3's 4 points join s1's 5)
    with open(path, "w") as f:
        f.write(SERIES + "same: {a7: a7}\n")
    r = h.ctl(at(srv, "s1"), ["series", "put", path], check_rc=False)
    check(r.returncode != 0 and "same" in r.stderr, f"same: an id to itself: {r.stderr}")
    with open(path, "w") as f:
        f.write(SERIES + "same: {a7: a5}\n")
    h.ctl(at(srv, "s1"), ["series", "put", path])
    want = [(1, "a2", 20), (2, "a3", 18), (3, "a1", 14), (4, "a4", 12), (5, "a6", 9),
            (6, "a5", 9)]
    doc = await until(srv, want, "a7 confirmed as a5")
    check(doc["duplicates"] == [], f"a confirmed duplicate is still reported: {doc['duplicates']}")
    log("series, teams and awards as computed by hand; the DQ moved the standings")


def extra(ap):
    pass


if __name__ == "__main__":
    harness.run("series", main, extra)
