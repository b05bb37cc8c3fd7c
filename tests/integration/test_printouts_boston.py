"""printouts_boston (issue 17): the results PDF of a whole marathon.

All of Boston 2015 (26,598 runners) imported and replayed, then
GET /api/results/marathon.pdf read with pdftotext: about a thousand pages,
each with the event, the date, the race and its section, PROVISIONAL and
"Page N of M" with N counting up to M; every finisher of the CSV export on
an overall line with its place and bib, and again in its category's section
(config order) with its place there.  Then GET /api/results/marathon.xlsx
read back (openpyxl) cell for cell against the CSV export.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import csv
import io
import re
import subprocess

import harness
from harness import check, log
from test_printouts import same_as_csv, xlsx_rows

SECTION = re.compile(r"^Marathon \u2014 (.+?)\s{2,}(PROVISIONAL|OFFICIAL|CORRECTED)\s*$", re.M)
LINE = re.compile(r"^\s*(\d+)\s+(\S+)\s+\S")


async def main(h):
    srv = h.server(h.redis())
    h.create_event(srv)
    h.import_boston(srv, h.paths.boston_csv)
    tok = h.issue_token(srv, "reader", "replay-1")
    await h.run_replay(srv, h.paths.boston_csv, tok, "replay-1", speed=0)
    await srv.wait_caught_up()
    rows = list(csv.reader(io.StringIO(srv.export("csv").decode())))
    col = {c: i for i, c in enumerate(rows[0])}
    fin = [r for r in rows[1:] if r[col["status"]] == "finished"]
    check(len(fin) > 26000, f"{len(fin)} finishers")

    st, body = srv.get("/api/results/marathon.pdf", timeout=600)
    check(st == 200 and body[:5] == b"%PDF-", f"results.pdf: {st} {body[:200]!r}")
    path = h.path("results.pdf")
    with open(path, "wb") as f:
        f.write(body)
    out = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, check=True)
    pages = out.stdout.decode().split("\f")
    if not pages[-1].strip():
        pages.pop()
    check(len(pages) > 900, f"{len(pages)} pages for {len(fin)} finishers")

    seen = {}  # section -> {bib: place}
    order = []
    for i, p in enumerate(pages):
        for want in ("Boston Marathon 2015", "20 April 2015", f"Page {i + 1} of {len(pages)}"):
            check(want in p, f"page {i + 1}: no {want!r} in\n{p[:500]}")
        m = SECTION.search(p)
        check(m and m.group(2) == "PROVISIONAL", f"page {i + 1}: no section or state:\n{p[:300]}")
        sec = m.group(1)
        if not order or order[-1] != sec:
            check(sec not in seen, f"section {sec} comes twice")
            order.append(sec)
            seen[sec] = {}
        for ln in p.splitlines():
            lm = LINE.match(ln)
            if lm:
                seen[sec][lm.group(2)] = lm.group(1)
    cats = ["Overall"] + [f"{s} {a}" for s in ("Men", "Women")
                          for a in ("18-39", "40-44", "45-49", "50-54", "55-59", "60-64",
                                    "65-69", "70-74", "75-79")]
    check(order[:10] == cats[:10], f"sections: {order[:12]}")
    names = {"M": "Men", "F": "Women"}
    for r in fin:
        bib = r[col["bib"]]
        check(seen["Overall"].get(bib) == r[col["place"]],
              f"bib {bib}: overall place {seen['Overall'].get(bib)}, CSV {r[col['place']]}")
        cat = r[col["categories"]]
        sec = names[cat[0]] + " " + (cat[1:] if cat[1:] != "80plus" else "80 and over")
        check(seen.get(sec, {}).get(bib) == r[col["place_categories"]],
              f"bib {bib}: place {seen.get(sec, {}).get(bib)} in {sec}, CSV "
              f"{r[col['place_categories']]}")
    log(f"results.pdf: {len(pages)} pages, {len(order)} sections, every one of {len(fin)} "
        "finishers overall and in its category with the CSV's places")
    st, body = srv.get("/api/results/marathon.xlsx", timeout=600)
    check(st == 200 and body[:2] == b"PK", f"marathon.xlsx: {st} {body[:200]!r}")
    sheets = xlsx_rows(h, body, "marathon.xlsx")
    check(list(sheets) == ["marathon"], f"sheets {list(sheets)}")
    same_as_csv(sheets["marathon"], rows, "marathon.xlsx")
    log(f"marathon.xlsx: {len(rows)} rows, cell for cell the CSV's")
    srv.stop()


if __name__ == "__main__":
    harness.run("printouts_boston", main)
