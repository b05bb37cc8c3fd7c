"""event_config (issue 12): the event configuration does exactly what it says.

Through the CLI and over the wire, against the real server:
- a config with a typo'd key (`rankng: gun`, `distanse_m`) is refused by
  `splitline event create` (every problem, FILE:LINE, a did-you-mean; also
  with --dry-run) and, sent raw by another client, by the server (the path,
  a did-you-mean); so are a wave start without an offset, overlapping wave
  bib ranges (in a race and across races) and two categories with the same
  rule, and bad `awards` and `teams` values of a race; nothing is written;
- the event's `timezone`: starts without an offset in the file are read in
  it (EDT on race day) and the event topic carries it;
- a participants import lists the athletes who fit no category of their
  race (count and the first 20 bibs) as a warning, with the server's reply
  carrying them (dry run too);
- the officials' clock times: `wave start --at 9:55`, `passing add --at
  10:41:07` are times of day on the event's date in its zone, and are
  printed back in that zone, while the CLI runs with TZ=Asia/Tokyo; without
  a timezone, a clock time is refused with what to add (`adjust hand_time
  --at` too; its hand time itself cannot cross the wire on this branch: the
  message's `t` is its type, fixed by the decisions work).
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import os

from harness import EVENT, RACE, Client, check, log, run, topic_snapshot

T_0955_EDT = 1429538100000  # 2015-04-20T09:55:00-04:00
T_1000_EDT = 1429538400000

GOOD = f"""event: {EVENT}
name: Config test
date: 2015-04-20
timezone: America/New_York
races:
  - id: {RACE}
    name: Marathon
    ranking: gun
    precision_ms: 1000
    waves:
      - {{id: "1", start: "2015-04-20T10:00:00", bibs: "1-99"}}
      - {{id: "2", bibs: "100-199"}}
    points:
      - {{id: start, distance_m: 0, role: start, window_s: 3600}}
      - {{id: 10k, distance_m: 10000, role: split}}
      - {{id: finish, distance_m: 42195, role: finish, min_s: 60}}
    categories:
      - {{id: M18-39, sex: M, age_min: 18, age_max: 39}}
      - {{id: F18-39, sex: F, age_min: 18, age_max: 39}}
      - {{id: M40+, sex: M, age_min: 40}}
"""

BAD = f"""event: {EVENT}
date: 2015-04-20
races:
  - id: {RACE}
    rankng: gun
    distanse_m: 42195
    waves:
      - {{id: "1", start: "2015-04-20T10:00:00", bibs: "1-99"}}
      - {{id: "2", bibs: "50-199"}}
    points:
      - {{id: finish, distance_m: 42195, role: finish}}
    categories:
      - {{id: M40+, sex: M, age_min: 40}}
      - {{id: Masters, sex: M, age_min: 40}}
"""


def raw_cfg(**race_extra):
    race = {"id": RACE, "waves": [{"id": "1", "start": "2015-04-20T10:00:00-04:00",
                                   "bibs": "1-99"}],
            "points": [{"id": "finish", "distance_m": 42195, "role": "finish"}]}
    race.update(race_extra)
    return {"event": EVENT, "date": "2015-04-20", "races": [race]}


async def main(h):
    os.environ["TZ"] = "Asia/Tokyo"  # the official's laptop is elsewhere: no effect
    redis = h.redis()
    srv = h.server(redis)

    def write(name, text):
        p = h.path(name)
        with open(p, "w") as f:
            f.write(text)
        return p

    # -- the CLI refuses the typos, with lines, before sending anything
    bad = write("bad.yaml", BAD)
    for dry in (["--dry-run"], []):
        r = h.ctl(srv, ["event", "create", bad] + dry, check_rc=False)
        check(r.returncode == 1, f"event create {dry} of a bad config exited {r.returncode}")
        for want in (f"{bad}:5: races[0].rankng: unknown key; did you mean 'ranking'?",
                     f"{bad}:6: races[0].distanse_m: unknown key; did you mean 'distance_m'?",
                     f"{bad}:8: races[0].waves[0].start: '2015-04-20T10:00:00' has no UTC "
                     "offset",
                     f"{bad}:9: races[0].waves[1].bibs: 50-199 overlaps wave '1' (1-99): bibs "
                     "50-99 would be in both",
                     f"{bad}:14: races[0].categories[1]: the same rule as category 'M40+'"):
            check(want in r.stderr, f"event create {dry}: no {want!r} in:\n{r.stderr}")
    check(redis.xlen() == 0, "a refused config was written")
    log("ok: the CLI reports every problem of the file, nothing sent")

    # -- another client sends them raw: the server refuses them too
    c = await Client.connect(srv, "json")
    await c.hello(h.admin_token)
    cases = [
        (raw_cfg(rankng="gun"), "races[0].rankng: unknown key; did you mean 'ranking'?"),
        (raw_cfg(distanse_m=5), "races[0].distanse_m: unknown key; did you mean 'distance_m'?"),
        (dict(raw_cfg(), tmiezone="UTC"), "tmiezone: unknown key; did you mean 'timezone'?"),
        (raw_cfg(waves=[{"id": "1", "start": "2015-04-20T10:00:00"}]),
         "races[0].waves[0].start: '2015-04-20T10:00:00' has no UTC offset"),
        (raw_cfg(waves=[{"id": "1", "bibs": "1-99"}, {"id": "2", "bibs": "99-199"}]),
         "races[0].waves[1].bibs: 99-199 overlaps wave '1' (1-99): bib 99 would be in both"),
        (raw_cfg(categories=[{"id": "a", "sex": "F"}, {"id": "b", "sex": "F"}]),
         "races[0].categories[1]: the same rule as category 'a'"),
        (dict(raw_cfg(), timezone="New York"),
         "timezone: 'New York' is not a time zone name"),
        # a race's awards and team rules (PROTOCOL.md, "Awards", "Team scores")
        (raw_cfg(awards={"overal": 5}),
         "races[0].awards.overal: unknown key; did you mean 'overall'?"),
        (raw_cfg(awards={"overall": 101}), "races[0].awards.overall: 101 is out of range 0..100"),
        (raw_cfg(teams=[{"id": "a"}, {"id": "b", "n": 0}]),
         "races[0].teams[1].n: 0 is out of range 1..100"),
        (raw_cfg(teams=[{"id": "a", "category": "W"}]),
         f"races[0].teams[0].category: race '{RACE}' has no category 'W'"),
    ]
    two = raw_cfg()
    two["races"].append({"id": "5k", "waves": [{"id": "1", "bibs": "90-120"}],
                         "points": [{"id": "finish", "distance_m": 5000, "role": "finish"}]})
    cases.append((two, "races[1].waves[0].bibs: 90-120 overlaps wave '1' of race "
                       f"'{RACE}' (1-99): bibs 90-99 would be in both races"))
    for cfg, want in cases:
        r = await c.request({"t": "event_create", "config": cfg})
        check(r.get("t") == "err" and r.get("code") == "bad_request",
              f"raw config answered {r}, expected bad_request {want!r}")
        check(r.get("msg", "").startswith(want), f"raw config: {r.get('msg')!r}, want {want!r}")
    check(redis.xlen() == 0, "a refused raw config was written")
    ev = await topic_snapshot(srv, None, "event")
    check(ev["rows"] == [], f"the event exists after refused configs: {ev}")
    log("ok: the server refuses them over the wire, with the path")

    # -- the good config: starts read in the event's zone
    good = write("good.yaml", GOOD)
    r = h.ctl(srv, ["event", "create", good])
    check("(America/New_York)" in r.stdout, f"event create printed {r.stdout!r}")
    await srv.wait_caught_up()
    ev = (await topic_snapshot(srv, None, "event"))["rows"][0]
    check(ev.get("timezone") == "America/New_York", f"event topic: {ev}")
    waves = ev["races"][0]["waves"]
    check(waves[0] == {"id": "1", "start": T_1000_EDT}, f"wave 1 start {waves[0]}")
    check(ev["races"][0]["ranking"] == "gun", f"ranking {ev['races'][0]['ranking']}")
    log("ok: 10:00 in the file is 10:00 EDT, the event topic has the zone")

    # -- participants that fit no category: listed, imported all the same
    rows = ["bib,name,sex,age"]
    unfit = []
    for i in range(1, 31):
        if i <= 5:
            rows.append(f"{i},Fit {i},M,{20 + i}")
        elif i <= 7:
            rows.append(f"{i},Old {i},F,{40 + i}")  # no F40+: fits nothing
            unfit.append(str(i))
        else:
            rows.append(f"{i},Young {i},X,{i}")  # X: fits nothing
            unfit.append(str(i))
    csv_path = write("people.csv", "\n".join(rows) + "\n")
    want = (f"warning: {len(unfit)} participants fit no category of their race: "
            + ", ".join(unfit[:20]) + f" and {len(unfit) - 20} more")
    r = h.ctl(srv, ["participants", "import", csv_path, "--dry-run"])
    check(want in r.stderr, f"dry run: no {want!r} in:\n{r.stderr}")
    r = h.ctl(srv, ["participants", "import", csv_path])
    check(want in r.stderr, f"import: no {want!r} in:\n{r.stderr}")
    check("imported 30 participants" in r.stdout, f"import printed {r.stdout!r}")
    reply = await c.request({"t": "participants", "dry_run": True, "rows": [
        {"bib": "40", "sex": "M", "age": 30}, {"bib": "41", "sex": "F", "age": 60},
        {"bib": "42"}]})
    check(reply.get("t") == "ok" and reply.get("no_category") == 2
          and reply.get("no_category_bibs") == ["41", "42"], f"participants reply {reply}")
    log("ok: athletes who fit no category are listed (CLI warning, reply fields)")

    # -- clock times typed by officials, on the event's date in its zone
    r = h.ctl(srv, ["wave", "start", RACE, "1", "--at", "9:55"])
    check("starts at 2015-04-20T09:55:00-04:00 (America/New_York)" in r.stdout,
          f"wave start printed {r.stdout!r}")
    r = h.ctl(srv, ["wave", "start", RACE, "2", "--at", "10:25:30"])
    check("starts at 2015-04-20T10:25:30-04:00 (America/New_York)" in r.stdout,
          f"wave start printed {r.stdout!r}")
    await srv.wait_caught_up()
    ev = (await topic_snapshot(srv, None, "event"))["rows"][0]
    check(ev["races"][0]["waves"] == [{"id": "1", "start": T_0955_EDT},
                                      {"id": "2", "start": T_0955_EDT + 30 * 60000 + 30000}],
          f"wave starts {ev['races'][0]['waves']}")
    r = h.ctl(srv, ["passing", "add", "--bib", "3", "--pt", "10k", "--at", "10:41:07"])
    check("at '10k' 2015-04-20T10:41:07-04:00 (America/New_York) recorded" in r.stdout,
          f"passing add printed {r.stdout!r}")
    r = h.ctl(srv, ["passing", "add", "--bib", "4", "--pt", "10k", "--at",
                    "2015-04-20T10:42:00"])
    await srv.wait_caught_up()
    res = {row["bib"]: row for row in srv.export_rows_json()}
    check(res["3"]["splits"].get("10k") == (10 * 60 + 41) * 60000 + 7000 - (9 * 60 + 55) * 60000,
          f"bib 3: {res['3']}")
    check(res["4"]["splits"].get("10k") == 47 * 60000, f"bib 4: {res['4']}")
    r = h.ctl(srv, ["wave", "start", RACE, "1", "--at", "25:00"], check_rc=False)
    check(r.returncode == 2 and "'25:00' is not a time" in r.stderr, f"--at 25:00: {r.stderr}")
    r = h.ctl(srv, ["adjust", "5", "hand_time", "--pt", "finish", "--at", "9:5", "--reason",
                    "mat down", "--official", "chief"], check_rc=False)
    check(r.returncode == 2 and "'9:5' is not a time" in r.stderr, f"--at 9:5: {r.stderr}")
    log("ok: clock times in the event's zone, printed back in it")

    # -- an event without a timezone: clock times are refused, saying why
    h.ctl(srv, ["event", "create", write("notz.yaml", GOOD.replace(
        "timezone: America/New_York\n", "").replace(
        '"2015-04-20T10:00:00"', '"2015-04-20T10:00:00-04:00"'))])
    await srv.wait_caught_up()
    r = h.ctl(srv, ["wave", "start", RACE, "1", "--at", "9:55"], check_rc=False)
    check(r.returncode == 2 and "'9:55' is a clock time and the event has no timezone"
          in r.stderr, f"clock time without a zone: {r.returncode} {r.stderr}")
    r = h.ctl(srv, ["wave", "start", RACE, "1", "--at", "2015-04-20T09:55:00"], check_rc=False)
    check(r.returncode == 2 and "has no UTC offset and the event has no timezone" in r.stderr,
          f"local ISO without a zone: {r.returncode} {r.stderr}")
    r = h.ctl(srv, ["adjust", "5", "hand_time", "--pt", "finish", "--at", "12:50", "--reason",
                    "mat down", "--official", "chief"], check_rc=False)
    check(r.returncode == 2 and "'12:50' is a clock time and the event has no timezone"
          in r.stderr, f"adjust --at without a zone: {r.returncode} {r.stderr}")
    r = h.ctl(srv, ["wave", "start", RACE, "1", "--at", "2015-04-20T09:55:00-04:00"])
    check("starts at 2015-04-20T13:55:00.000Z" in r.stdout, f"wave start printed {r.stdout!r}")
    log("ok: without a timezone, clock times are refused; times print in UTC")
    await c.close()


if __name__ == "__main__":
    run("event_config", main)
