"""officials_doc: docs/officials.md's commands, as typed, against a real race.

Boston 2015: the fastest 30 runners imported, 29 replayed (bib 83, the
30th, has no reads), as the guide's examples assume.  Every ```sh block of
docs/officials.md runs in order with bash -e, `splitline` on the PATH and
the server, event and an official's token in the environment (as the guide
says to set them).  Then what the guide promises is checked: the decisions
undone are undone, the race is official again after its correction, and
the audit trail holds each decision with its before and after.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import csv
import io
import json
import os
import subprocess

import boston
import harness
from harness import check, log


async def main(h):
    sl = boston.write_slice(h.paths.boston_csv, h.path("slice.csv"), 30)
    redis = h.redis()
    srv = h.server(redis)
    h.create_event(srv)
    h.import_boston(srv, sl)
    tok = h.issue_token(srv, "reader", "replay-o")
    await h.run_replay(srv, sl, tok, "replay-o", speed=0, extra=["--limit", "29"])
    await srv.wait_caught_up()
    official = h.issue_token(srv, "official")

    bindir = h.path("bin")
    os.makedirs(bindir)
    os.symlink(os.path.abspath(h.paths.ctl), os.path.join(bindir, "splitline"))
    env = harness.child_env()
    env.update(PATH=bindir + os.pathsep + env.get("PATH", ""), SPLITLINE_SERVER=srv.ws_url,
               SPLITLINE_EVENT=harness.EVENT, SPLITLINE_TOKEN=official)
    doc = os.path.join(h.paths.source, "docs", "officials.md")
    blocks = harness.sh_blocks(doc)
    check(len(blocks) >= 7, f"docs/officials.md has only {len(blocks)} sh blocks")
    for start, text in blocks:
        r = subprocess.run(["bash", "-euo", "pipefail", "-c", text], cwd=h.tmp, env=env,
                           capture_output=True, text=True, timeout=300)
        with open(h.path("doc.log"), "a") as f:
            f.write(f"---- docs/officials.md:{start}\n{text}\n# exit {r.returncode}\n"
                    f"{r.stdout}{r.stderr}\n")
        check(r.returncode == 0, f"docs/officials.md:{start} exits {r.returncode}:\n{text}\n"
              f"stdout: {r.stdout[-1500:]}\nstderr: {r.stderr[-1500:]}")
        log(f"docs/officials.md:{start}: ok ({len(text.splitlines())} lines)")
    await srv.wait_caught_up()

    rows = {r["bib"]: r for r in csv.DictReader(io.StringIO(srv.export("csv").decode()))}
    check(rows["3"]["place"] == "1" and rows["3"]["penalty"] == "", f"bib 3: {rows['3']}")
    check(rows["4"]["status"] == "finished", f"bib 4 reinstated: {rows['4']}")
    check(rows["16"]["penalty"] == "-0:00:30", f"bib 16's bonus: {rows['16']}")
    check("hand_time: camera" in rows["10"]["reasons"], f"bib 10's hand time: {rows['10']}")
    check(rows["83"]["status"] == "on_course", f"bib 83's hand passing: {rows['83']}")
    check(rows["83"]["10k"] == "", f"bib 83's voided 10k passing counts: {rows['83']}")
    doc_json = json.loads(srv.export("json").decode())
    check(doc_json["results"]["state"] == "official", f"results {doc_json['results']}")
    with open(h.path("audit.csv")) as f:
        trail = list(csv.DictReader(f))
    ops = [t["op"] for t in trail]
    want = ["passing", "passing", "read_void", "penalty", "penalty", "dq", "hand_time", "penalty",
            "dq", "wave_start", "race_official", "wave_start", "race_official"]
    check(ops == want, f"audit trail {ops}, want {want}")
    check(trail[2]["bib"] == "83" and trail[2]["to"] == "void" and
          "at 10k" in trail[2]["from"] and trail[2]["reason"] == "wrong bib: it was 38",
          f"void passing: {trail[2]}")
    check(trail[7]["from"] == "'+0:01:00" and trail[7]["to"] == "none" and
          trail[7]["by"] == "jury", f"undone penalty: {trail[7]}")
    check(trail[11]["reason"] == "starter's clock was 2 s slow", f"correction: {trail[11]}")
    log(f"the guide's {len(blocks)} examples ran; {len(trail)} decisions in the audit trail")


if __name__ == "__main__":
    harness.run("officials_doc", main)
