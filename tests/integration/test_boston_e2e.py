"""boston_e2e: the whole Boston Marathon 2015 through the real system.

Create the event from scripts/demo/boston-2015.yaml, import all 26,598
runners with the CLI, replay every split as a timing device at full speed,
and check the CSV export against the official results: for every runner the
overall, sex and division places lie in the tie interval computed from the
file.  The one corrupt cell (bib 3820's `Official Time`, a spreadsheet day
fraction) must be reported by the replay with file, line and field; an
official then enters that runner's finish by hand at the true time, 2:59:21
after the runner's start crossing, and every place is checked again over the
whole file.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import datetime
import os

import boston
import harness
from harness import check, log

BAD_BIB = "3820"
BAD_TIME = 2 * 3600 + 59 * 60 + 21


def iso_ms(ms):
    d = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    s = d.strftime("%Y-%m-%dT%H:%M:%S")
    if ms % 1000:
        s += f".{ms % 1000:03d}"
    return s + "Z"


def net_times(json_rows):
    return {str(r["bib"]): r.get("net") for r in json_rows}


def check_nets(runners, json_rows, times):
    nets = net_times(json_rows)
    bad = [f"bib {r.bib}: net {nets.get(r.bib)} ms, file says {times[r.bib]} s"
           for r in runners if times.get(r.bib) is not None
           and nets.get(r.bib) != times[r.bib] * 1000]
    check(not bad, f"{len(bad)} net times differ from the file:\n  " + "\n  ".join(bad[:10]))


async def main(h):
    csv_path = h.paths.boston_csv
    runners = boston.load(csv_path)
    check(len(runners) == 26598, f"expected 26,598 runners in {csv_path}, got {len(runners)}")
    bad = boston.bad_cells(runners)
    check([(r.bib, c) for r, c, _ in bad] == [(BAD_BIB, "Official Time")],
          f"unexpected bad cells in the file: {[(r.bib, c, v) for r, c, v in bad]}")
    bad_runner = bad[0][0]
    expected_reads = sum(r.reads for r in runners)

    redis = h.redis()
    srv = h.server(redis)
    log(f"server on {srv.url}, redis on {redis.addr}")

    h.create_event(srv)
    r = h.import_boston(srv, csv_path)
    log(f"imported: {r.stdout.strip()[-200:]}")
    reader = h.issue_token(srv, "reader", "replay-1")

    log(f"replaying {expected_reads} reads at --speed 0")
    summary, out, err = await h.run_replay(srv, csv_path, reader, "replay-1", speed=0)
    log(f"replay: {summary}")
    check(summary["sent"] == expected_reads and summary["acked"] == expected_reads,
          f"replay sent {summary['sent']}, acked {summary['acked']}; "
          f"the file has {expected_reads} good reads")
    # The corrupt cell is reported with file, line and field, and skipped.
    want = (f"{os.path.basename(csv_path)}:{bad_runner.line}: warning: bib {bad_runner.bib}: "
            f"field 'Official Time'")
    check(want in err and "0.124548611" in err,
          f"replay did not report the bad cell as '{want}: ...0.124548611...'; "
          f"stderr: {err[-1500:]}")

    await srv.wait_caught_up()
    rows = srv.export_rows_json()
    times = {r.bib: r.time for r in runners}
    places = boston.places_from_exports(srv.export("csv"), rows)
    n = boston.check_places(runners, places, times)
    check_nets(runners, rows, times)
    log(f"places of {n} finishers within their tie intervals (bib {BAD_BIB} unfinished)")

    # The official enters bib 3820's finish by hand.
    row = next(x for x in rows if str(x["bib"]) == BAD_BIB)
    check(row.get("start") is not None, f"bib {BAD_BIB} has no start crossing: {row}")
    check(row.get("status") != "finished", f"bib {BAD_BIB} finished without a finish read: {row}")
    at = iso_ms(row["start"] + BAD_TIME * 1000)
    official = h.issue_token(srv, "official")
    h.ctl(srv, ["passing", "add", "--bib", BAD_BIB, "--pt", "finish", "--at", at,
                "--kind", "manual"], token=official)
    log(f"manual finish for bib {BAD_BIB} at {at}")

    await srv.wait_caught_up()
    rows = srv.export_rows_json()
    times[BAD_BIB] = BAD_TIME
    places = boston.places_from_exports(srv.export("csv"), rows)
    n = boston.check_places(runners, places, times)
    check_nets(runners, rows, times)
    check(n == len(runners), f"checked {n} of {len(runners)} runners")
    log(f"places of all {n} runners within their tie intervals")
    st, body = srv.get("/health")
    check(st == 200, f"/health answered {st}")
    srv.stop()


if __name__ == "__main__":
    harness.run("boston_e2e", main)
