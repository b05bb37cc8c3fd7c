"""decisions (issue 12): an official's decision does all of what it says, or
refuses and says why, through the real CLI, the wire and the exports.

Boston 2015, the fastest 30 runners imported and 29 replayed (every read
acked), then as
the chief official would:
  - `passing add` with a point that does not exist, a bib nobody has, a
    time before the wave's start, a hand read where the mat has one: each
    refused (exit 1, nothing in the log) with the reason ("did you mean");
    the same with --force: recorded (exit 0), the reason still printed;
    a good one: recorded, exit 0, no warning;
  - `adjust BIB hand_time --pt finish --at TIME` (used to fail with "t:
    required"): the finish time is the hand time, in the CSV and the JSON;
    `--clear` takes it back;
  - `adjust WINNER penalty --ms 60000`: the winner is 2nd, the CSV shows
    net as measured, penalty 0:01:00, the adjusted time and the reason;
    a bonus (`--ms -30000`) moves a runner up; `--ms 0` clears;
  - `adjust BIB dq`: status dsq, the reason in the CSV and the JSON row;
  - `race official`: the exports say official (by whom); a wave start after
    it is refused without a reason, and with one marks the race corrected;
    official again;
  - `passing void` takes a hand-entered passing back (named by the device
    and seq `passing add` printed): the runner is no longer finished, the
    official race is corrected, the audit has it; voiding it again, a seq
    never sent and a reader's token are refused with nothing written;
    `passing restore` counts it again.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import csv
import datetime
import io
import json
import re

import boston
import harness
from harness import check, log

N = 30


def export_rows(srv):
    body = srv.export("csv").decode()
    return {r["bib"]: r for r in csv.DictReader(io.StringIO(body))}


def json_rows(srv):
    return {r["bib"]: r for r in srv.export_rows_json()}


def passing_records(redis):
    return [rec for _, rec in redis.records(harness.EVENT) if rec.get("k") == "passings"]


async def main(h):
    sl = boston.write_slice(h.paths.boston_csv, h.path("slice.csv"), N)
    redis = h.redis()
    srv = h.server(redis)
    h.create_event(srv)
    h.import_boston(srv, sl)
    tok = h.issue_token(srv, "reader", "replay-d")
    # the last runner of the slice has no reads: a hand passing for them counts
    summary, _, _ = await h.run_replay(srv, sl, tok, "replay-d", speed=0,
                                       extra=["--limit", str(N - 1)])
    await srv.wait_caught_up()
    rows = export_rows(srv)
    fin = sorted((r for r in rows.values() if r["status"] == "finished"),
                 key=lambda r: int(r["place"]))
    check(len(fin) == N - 1, f"{len(fin)} finishers of {N - 1} replayed")
    unread = [b for b, r in rows.items() if r["status"] == "registered"]
    check(len(unread) == 1, f"runners without reads: {unread}")
    winner, second, tenth = fin[0]["bib"], fin[1]["bib"], fin[9]["bib"]
    official = h.issue_token(srv, "official")
    log(f"{N - 1} runners replayed ({summary['acked']} reads); winner bib {winner}")

    def ctl(args, rc=0):
        r = h.ctl(srv, args, token=official, check_rc=False, admin=False)
        check(r.returncode == rc, f"splitline {' '.join(args)}: exit {r.returncode}, want {rc}:"
              f"\n{r.stdout}{r.stderr}")
        return r

    # -- passing add: refused unless it counts, or --force
    before = len(passing_records(redis))
    cases = [
        (["--bib", winner, "--pt", "finsh", "--at", "2015-04-20T12:30:00-04:00"],
         "point 'finsh' is not a timing point of race 'marathon'", "did you mean 'finish'?"),
        (["--bib", "999999", "--pt", "finish", "--at", "2015-04-20T12:30:00-04:00"],
         "no participant has bib '999999'", "counts for nobody"),
        (["--bib", tenth, "--pt", "30k", "--at", "2015-04-20T09:00:00-04:00"],
         "2015-04-20T09:00:00-04:00 is before the start of bib", "(2015-04-20T10:00:00-04:00)"),
        (["--bib", second, "--pt", "finish", "--at", "2015-04-20T12:30:00-04:00"],
         f"bib '{second}' has a mat read at 'finish'", "does not count"),
    ]
    for args, want, also in cases:
        r = ctl(["passing", "add"] + args, rc=1)
        check(want in r.stderr and also in r.stderr and "nothing recorded" in r.stderr and
              "--force" in r.stderr, f"passing add {args}: {r.stderr!r}")
        await srv.wait_caught_up()
        check(len(passing_records(redis)) == before,
              f"passing add {args} was refused but something was written")
    log("passing add: a bad point, an unknown bib, a time before the start and a read the "
        "mat already has are refused with the reason; nothing written")
    r = ctl(["passing", "add", "--force"] + cases[0][0])
    check(cases[0][1] in r.stderr and "recorded" in r.stdout, f"--force: {r.stdout}{r.stderr}")
    await srv.wait_caught_up()
    check(len(passing_records(redis)) == before + 1, "passing add --force wrote nothing")
    r = ctl(["passing", "add", "--bib", unread[0], "--pt", "5k", "--at",
             "2015-04-20T10:20:00-04:00", "--kind", "manual"])
    check(r.stderr == "" and "recorded" in r.stdout, f"a good passing: {r.stdout}{r.stderr}")
    log("passing add --force records and still says why; a good one is silent")

    # -- hand time through the CLI and the wire
    jr = json_rows(srv)[tenth]
    hand_ms = jr["start"] + jr["net"] + 4000  # four seconds later than the mat
    iso = harness_iso(hand_ms)
    ctl(["adjust", tenth, "hand_time", "--pt", "finish", "--at", iso, "--reason",
         "mat missed the chip; camera", "--official", "chief"])
    await srv.wait_caught_up()
    jr2 = json_rows(srv)[tenth]
    check(jr2["net"] == jr["net"] + 4000, f"hand time: net {jr2['net']}, want {jr['net'] + 4000}")
    check(any(x["type"] == "hand_time" and "camera" in x["reason"] for x in jr2["reasons"]),
          f"hand time reason missing: {jr2['reasons']}")
    ctl(["adjust", tenth, "hand_time", "--pt", "finish", "--clear", "--reason", "appeal",
         "--official", "chief"])
    await srv.wait_caught_up()
    check(json_rows(srv)[tenth]["net"] == jr["net"], "hand time cleared: net not back")
    log(f"hand_time: bib {tenth}'s finish moved 4 s by hand and back")

    # -- penalty on a road race: place, time shown, reason
    r = ctl(["adjust", winner, "penalty", "--ms", "60000", "--reason", "cup not in the bin",
             "--official", "chief"])
    check(r.stdout.splitlines()[-1] == "  was none, now +0:01:00; 1 result changed",
          f"adjust does not say what it did: {r.stdout!r}")
    await srv.wait_caught_up()
    rows = export_rows(srv)
    w = rows[winner]
    check(w["place"] == "2" and rows[second]["place"] == "1",
          f"penalty: winner place {w['place']}, second {rows[second]['place']}")
    check(w["penalty"] == "0:01:00" and boston.hms(w["adjusted"]) == boston.hms(w["net"]) + 60,
          f"penalty: net {w['net']} penalty {w['penalty']} adjusted {w['adjusted']}")
    check("penalty: cup not in the bin" in w["reasons"], f"penalty reason: {w['reasons']!r}")
    jw = json_rows(srv)[winner]
    check(jw["penalty"] == 60000 and jw["adj"] == jw["net"] + 60000, f"JSON row {jw}")
    log(f"penalty: bib {winner} 2nd, {w['net']} + {w['penalty']} = {w['adjusted']}, reason shown")
    ctl(["adjust", tenth, "penalty", "--ms", "-600000", "--reason", "prime at 20 km",
         "--official", "chief"])
    await srv.wait_caught_up()
    rows = export_rows(srv)
    check(rows[tenth]["penalty"] == "-0:10:00" and int(rows[tenth]["place"]) < 10,
          f"bonus: {rows[tenth]['penalty']} place {rows[tenth]['place']}")
    ctl(["adjust", winner, "penalty", "--ms", "0", "--reason", "appeal upheld",
         "--official", "chief"])
    ctl(["adjust", tenth, "penalty", "--ms", "0", "--reason", "bonus withdrawn",
         "--official", "chief"])
    await srv.wait_caught_up()
    rows = export_rows(srv)
    check(rows[winner]["place"] == "1" and rows[winner]["penalty"] == "" and
          rows[winner]["adjusted"] == rows[winner]["net"], f"cleared: {rows[winner]}")
    log("a bonus moves a runner up; --ms 0 clears both")

    # -- disqualification with its reason
    ctl(["adjust", second, "dq", "--reason", "shortcut at 20 km", "--official", "chief"])
    await srv.wait_caught_up()
    rows = export_rows(srv)
    check(rows[second]["status"] == "dsq" and rows[second]["place"] == "" and
          "dq: shortcut at 20 km" in rows[second]["reasons"], f"dq: {rows[second]}")
    js = json_rows(srv)[second]
    check(js["status"] == "dsq" and any(x["type"] == "dq" and x["reason"] == "shortcut at 20 km"
                                        and x["official"] == "chief" for x in js["reasons"]),
          f"dq JSON: {js}")
    log(f"dq: bib {second} dsq, no place, the reason in the CSV and the JSON")

    # -- the other kinds, each through the CLI and back, then withdrawn
    fin = sorted((r for r in export_rows(srv).values() if r["place"]),
                 key=lambda r: int(r["place"]))
    a, b, c = fin[0]["bib"], fin[1]["bib"], fin[2]["bib"]
    for kind, status in (("dns", "dns"), ("dnf", "dnf"), ("scratch", "scratch")):
        ctl(["adjust", c, kind, "--reason", f"{kind} by the referee", "--official", "chief"])
        await srv.wait_caught_up()
        row = export_rows(srv)[c]
        check(row["status"] == status and row["place"] == "" and
              f"{kind}: {kind} by the referee" in row["reasons"], f"{kind}: {row}")
        ctl(["adjust", c, kind, "--clear", "--reason", "withdrawn", "--official", "chief"])
        await srv.wait_caught_up()
        check(export_rows(srv)[c]["status"] == "finished", f"{kind} withdrawn")
    ctl(["adjust", a, "exhibition", "--reason", "guest runner", "--official", "chief"])
    await srv.wait_caught_up()
    rows = export_rows(srv)
    check(rows[a]["place"] == "" and rows[a]["adjusted"] == rows[a]["net"] and
          rows[b]["place"] == "1", f"exhibition: {rows[a]} / {rows[b]['place']}")
    ctl(["adjust", a, "exhibition", "--clear", "--reason", "x", "--official", "chief"])
    ctl(["adjust", a, "relegation", "--reason", "obstruction", "--official", "chief"])
    await srv.wait_caught_up()
    rows = export_rows(srv)
    placed = [r for r in rows.values() if r["place"]]
    check(int(rows[a]["place"]) == len(placed), f"relegated: place {rows[a]['place']} of "
          f"{len(placed)}")
    ctl(["adjust", a, "relegation", "--clear", "--reason", "x", "--official", "chief"])
    ctl(["adjust", c, "place", "--place", "1", "--reason", "photo finish", "--official",
         "chief"])
    await srv.wait_caught_up()
    rows = export_rows(srv)
    places = sorted(int(r["place"]) for r in rows.values() if r["place"])
    # (two runners of the file share a time to the second, and a place: 1..9, 9, 11..)
    check(rows[c]["place"] == "1" and rows[a]["place"] == "2" and rows[b]["place"] == "3" and
          places.count(1) == 1 and places.count(2) == 1 and places.count(3) == 1,
          f"judged place: {rows[c]['place']} {rows[a]['place']} {rows[b]['place']}: {places}")
    ctl(["adjust", c, "place", "--place", "0", "--reason", "x", "--official", "chief"])
    await srv.wait_caught_up()
    check(export_rows(srv)[c]["place"] == "3", "judged place withdrawn")
    log("dns, dnf, scratch, exhibition, relegation and a judges' place, each through the CLI "
        "and withdrawn; the judged place renumbers the others")

    # -- provisional, official, corrected
    def state():
        doc = json.loads(srv.export("json").decode())
        rows = export_rows(srv)
        states = {r["results"] for r in rows.values()}
        check(len(states) == 1 and states == {doc["results"]["state"]},
              f"CSV says {states}, JSON {doc['results']}")
        return doc["results"]
    check(state()["state"] == "provisional", "results not provisional before official")
    ctl(["race", "official", "marathon", "--official", "chief"])
    await srv.wait_caught_up()
    st = state()
    check(st["state"] == "official" and st["official_by"] == "chief", f"official: {st}")
    r = ctl(["wave", "start", "marathon", "1", "--at", "2015-04-20T10:00:05-04:00"], rc=1)
    check("is official: a wave start now needs a reason" in r.stderr, f"wave start: {r.stderr}")
    await srv.wait_caught_up()
    check(state()["state"] == "official", "a refused wave start changed the state")
    r = ctl(["wave", "start", "marathon", "1", "--at", "2015-04-20T10:00:05-04:00", "--reason",
             "starter's clock was 5 s slow", "--official", "referee"])
    check(r.stdout.splitlines()[-1] == "  was 2015-04-20T10:00:00-04:00, now "
          "2015-04-20T10:00:05-04:00; 30 results changed",
          f"wave start does not say what it did: {r.stdout!r}")
    await srv.wait_caught_up()
    st = state()
    check(st["state"] == "corrected" and st["corrected_by"] == "referee" and
          "5 s slow" in st["corrected_why"], f"corrected: {st}")
    ctl(["race", "official", "marathon", "--official", "chief"])
    await srv.wait_caught_up()
    check(state()["state"] == "official", "official again")
    log("results: provisional, official, a wave start refused without a reason, corrected "
        "with one, official again; CSV and JSON agree")

    # -- every decision in the audit trail, with before and after
    r = ctl(["audit", "--format", "csv"])
    trail = list(csv.DictReader(io.StringIO(r.stdout)))
    ops = [t["op"] for t in trail]
    want_ops = ["passing", "passing", "hand_time", "hand_time", "penalty", "penalty", "penalty",
                "penalty", "dq", "dns", "dns", "dnf", "dnf", "scratch", "scratch", "exhibition",
                "exhibition", "relegation", "relegation", "place", "place", "race_official",
                "wave_start", "race_official"]
    check(ops == want_ops, f"audit ops {ops}, want {want_ops}")
    pen = trail[4]
    check(pen["bib"] == winner and pen["by"] == "chief" and pen["reason"] == "cup not in the bin"
          and pen["from"] == "none" and pen["to"] == "'+0:01:00" and pen["changed"] == "1",
          f"penalty row {pen}")  # (a cell beginning with + is written as text: formula-safe)
    check(trail[6]["from"] == "'+0:01:00" and trail[6]["to"] == "none" and
          trail[6]["reason"] == "appeal upheld", f"penalty cleared row {trail[6]}")
    check(trail[8]["from"] == "off" and trail[8]["to"] == "on" and trail[8]["bib"] == second,
          f"dq row {trail[8]}")
    ws = trail[22]
    check(ws["race"] == "marathon" and ws["pt"] == "wave 1" and ws["by"] == "referee" and
          ws["from"] == "2015-04-20T10:00:00-04:00" and ws["to"] == "2015-04-20T10:00:05-04:00"
          and ws["time"].endswith(("-04:00", "-05:00")) and int(ws["changed"]) > 0,
          f"wave start row {ws}")
    check(trail[21]["from"] == "provisional" and trail[21]["to"] == "official" and
          trail[23]["from"] == "corrected" and trail[23]["to"] == "official",
          f"race official rows {trail[21]} {trail[23]}")
    check(trail[19]["to"] == "1" and trail[20]["from"] == "1" and trail[20]["to"] == "none",
          f"place rows {trail[19]} {trail[20]}")
    check(trail[1]["bib"] == unread[0] and "at 5k" in trail[1]["to"] and
          trail[1]["by"].startswith("official-"), f"passing row {trail[1]}")
    log(f"audit: {len(trail)} decisions, each with who, why, before, after and results changed")

    # -- a hand-entered passing taken back, and counted again
    bib = unread[0]
    r = ctl(["passing", "add", "--bib", bib, "--pt", "finish", "--at", "2015-04-20T13:40:00-04:00"])
    m = re.search(r"device '([^']+)', seq (\d+)", r.stdout)
    check(m is not None, f"passing add names no device and seq: {r.stdout}")
    dev, seq = m.group(1), m.group(2)
    check(f"to take it back: splitline passing void --dev {dev} --seq {seq} " in r.stdout,
          f"passing add says not how to take it back: {r.stdout}")
    await srv.wait_caught_up()
    check(export_rows(srv)[bib]["status"] == "finished", f"bib {bib} not finished by hand")
    ctl(["race", "official", "marathon", "--official", "chief"])
    await srv.wait_caught_up()
    check(state()["state"] == "official", "official before the void")
    r = ctl(["passing", "void", "--dev", dev, "--seq", seq, "--reason", "wrong bib",
             "--official", "referee"])
    check(f"read {seq} of device '{dev}' is void" in r.stdout and
          r.stdout.splitlines()[-1].startswith(f"  was bib {bib} at finish 2015-04-20T13:40:00-04:00 "
                                               f"(manual), device {dev} seq {seq}, now void; 1 "
                                               "result changed"), f"passing void: {r.stdout}")
    await srv.wait_caught_up()
    row = export_rows(srv)[bib]
    check(row["status"] != "finished" and row["net"] == "", f"void passing still counts: {row}")
    st = state()
    check(st["state"] == "corrected" and st["corrected_by"] == "referee" and
          st["corrected_why"] == "wrong bib", f"void of a passing in an official race: {st}")

    def voids():
        return [rec for _, rec in redis.records(harness.EVENT) if rec.get("k") == "read_void"]
    nvoid = len(voids())
    refused = [
        (["--dev", dev, "--seq", seq], official, f"read {seq} of device '{dev}' is void already"),
        (["--dev", dev, "--seq", str(int(seq) + 1000)], official,
         f"seq: device '{dev}' has no read {int(seq) + 1000}"),
        (["--dev", "nobody-here", "--seq", "1"], official,
         "dev: no read came from device 'nobody-here'"),
        (["--dev", dev, "--seq", seq], tok, "role 'reader' may not send 'read_void'"),
    ]
    for args, who, want in refused:
        r = h.ctl(srv, ["passing", "void"] + args + ["--reason", "x", "--official", "y"],
                  token=who, check_rc=False, admin=False)
        check(r.returncode == 1 and want in r.stderr, f"passing void {args}: exit "
              f"{r.returncode}: {r.stdout}{r.stderr}")
    r = ctl(["passing", "restore", "--dev", dev, "--seq", "1", "--reason", "x", "--official",
             "y"], rc=1)
    check("is not void: nothing to restore" in r.stderr, f"restore of a counted read: {r.stderr}")
    await srv.wait_caught_up()
    check(len(voids()) == nvoid, "a refused passing void wrote to the log")
    r = ctl(["passing", "restore", "--dev", dev, "--seq", seq, "--reason", "it was him after all",
             "--official", "jury"])
    check(f"read {seq} of device '{dev}' counts again" in r.stdout, f"restore: {r.stdout}")
    await srv.wait_caught_up()
    check(export_rows(srv)[bib]["status"] == "finished", "restored passing does not count")
    trail = list(csv.DictReader(io.StringIO(ctl(["audit", "--format", "csv"]).stdout)))
    vo, re_ = trail[-2], trail[-1]
    check(vo["op"] == "read_void" and vo["bib"] == bib and vo["by"] == "referee" and
          vo["pt"] == "finish" and vo["to"] == "void" and f"device {dev} seq {seq}" in vo["from"]
          and vo["changed"] == "1", f"void row {vo}")
    check(re_["op"] == "read_restore" and re_["from"] == "void" and re_["by"] == "jury" and
          f"bib {bib} at finish" in re_["to"], f"restore row {re_}")
    log("passing void: the hand-entered finish no longer counts (race corrected, in the audit); "
        "void twice, a seq never sent, an unknown device and a reader refused; restored")


def harness_iso(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


if __name__ == "__main__":
    harness.run("decisions", main)
