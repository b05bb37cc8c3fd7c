"""printouts (issue 17): results as PDF and XLSX, award lists and finisher
certificates as PDF, encoded by the server off the loop and shared per
change like the CSV and JSON exports.

An event of two races: Boston 2015's marathon (the fastest 150 runners
imported, 149 replayed: one registered runner never starts) and a "mile"
of three runners whose names and clubs a spreadsheet would run as formulas
or split on commas.  Then:
  - before any event: /api/results.xlsx is 404 "no event to export yet";
  - /api/results/marathon.pdf (pdftotext -layout): more than one page, and
    on every page the event's name, its date, the race and PROVISIONAL and
    "Page N of M"; every finisher's name on a line with its bib and place,
    a section per category numbered by the category's place; the runner who
    never started is not listed; never gzip, an ETag and 304; after
    `race official` every page says OFFICIAL, after a penalty CORRECTED;
  - /api/awards/marathon.pdf: the first 5 women and men by their sex place
    and the first 3 of each category, as the CSV has them, nobody else;
  - /api/certificate/marathon/<bib>.pdf: the winner's name, time and
    places; 404 JSON errors for the runner without a finish, a bib nobody
    has, an unknown race, a bib of another race, junk and traversal-like
    paths; of 70 certificates asked for the last 64 are kept, the first is
    encoded again when asked;
  - /api/results/<race>.xlsx and /api/results.xlsx (python3-openpyxl): a
    sheet per race, read back row for row against the CSV export (numbers
    as numbers, times and bibs as text, the CSV's formula-defusing ' gone);
  - `splitline results RACE --format pdf|xlsx --out F`: the same bytes;
    a bad --format exits 2;
  - a second node on the same log: the same bytes and ETags;
  - 20 clients that close while their printout is being made leave nothing
    behind;
  - the server stops cleanly (the sanitizers watch).
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import csv
import io
import json
import os
import re
import socket
import subprocess

import boston
import harness
from harness import check, log

N = 150
MILE = """
  - id: mile
    name: Mile
    kind: mass
    distance_m: 1609
    ranking: net
    precision_ms: 1000
    waves:
      - {id: m1, start: "2015-04-20T08:00:00-04:00"}
    points:
      - {id: start, name: "Start", distance_m: 0, role: start}
      - {id: finish, name: "Finish", distance_m: 1609, role: finish}
"""
MILE_CSV = ('bib,name,sex,age,club\n'
            'M1,"=HYPERLINK(""http://x"")",F,30,"Runners, Inc."\n'
            'M2,Zed Quinn,M,41,+plus club\n'
            'M3,Ann Never,F,50,\n')


def fetch(srv, path, headers=()):
    return harness.http_fetch(srv.port, path, headers, timeout=120)


def pdf_pages(h, body, name):
    """The text of each page (pdftotext -layout)."""
    path = h.path(name)
    with open(path, "wb") as f:
        f.write(body)
    out = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, check=True)
    pages = out.stdout.decode().split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return pages


def get_pdf(h, srv, path, name):
    st, hd, body = fetch(srv, path, [("Accept-Encoding", "gzip")])
    check(st == 200 and hd.get("content-type") == "application/pdf" and body[:5] == b"%PDF-",
          f"{path}: {st} {hd} {body[:200]!r}")
    check("content-encoding" not in hd and hd.get("etag", "").startswith('"'),
          f"{path}: gzip or no ETag: {hd}")
    return body, hd["etag"], pdf_pages(h, body, name)


def csv_rows(srv, race):
    return list(csv.reader(io.StringIO(srv.export("csv", race).decode())))


def check_headers(pages, state, what):
    for i, p in enumerate(pages):
        for want in ("Boston Marathon 2015", "20 April 2015", state, f"Page {i + 1} of "
                     f"{len(pages)}"):
            check(want in p, f"{what} page {i + 1}: no {want!r} in\n{p[:600]}")


def check_results_pdf(h, srv, rows):
    body, etag, pages = get_pdf(h, srv, "/api/results/marathon.pdf", "results.pdf")
    check(len(pages) > 2, f"results.pdf: {len(pages)} pages for {N - 1} finishers")
    check_headers(pages, "PROVISIONAL", "results.pdf")
    text = "\n".join(pages)
    hd = rows[0]
    col = {c: i for i, c in enumerate(hd)}
    lines = text.splitlines()
    for r in rows[1:]:
        if r[col["status"]] != "finished":
            check(r[col["name"]] not in text, f"non-starter {r[col['name']]} listed")
            continue
        pat = re.compile(rf"^\s*{r[col['place']]}\s+{re.escape(r[col['bib']])}\s+"
                         rf"{re.escape(r[col['name']][:12])}")
        check(any(pat.match(ln) for ln in lines),
              f"no line with place {r[col['place']]}, bib {r[col['bib']]}, {r[col['name']]}")
        # its category section, numbered by the category's place
        cat, cpl = r[col["categories"]], r[col["place_categories"]]
        pat = re.compile(rf"^\s*{cpl}\s+{re.escape(r[col['bib']])}\s+")
        check(sum(1 for ln in lines if pat.match(ln)) >= 1 and
              any(ln.strip().endswith(cat) or cat in ln for ln in lines),
              f"bib {r[col['bib']]} not in its category {cat} as {cpl}")
    check("Women 18-39" in text and "Overall" in text, "no category or overall section")
    log(f"results.pdf: {len(pages)} pages, headers on each, every finisher with place and bib")
    st, hd, b = fetch(srv, "/api/results/marathon.pdf", [("If-None-Match", etag)])
    check(st == 304 and b == b"", f"If-None-Match on the PDF: {st}")
    # no gzip form: the one ETag, whatever Accept-Encoding says
    st, hd, b = fetch(srv, "/api/results/marathon.pdf", [("If-None-Match", etag),
                                                         ("Accept-Encoding", "gzip")])
    check(st == 304 and hd.get("etag") == etag, f"If-None-Match with gzip accepted: {st} {hd}")
    st, hd, b = fetch(srv, "/api/results/marathon.pdf", [("If-None-Match", etag[:-1] + '-gzip"')])
    check(st == 200 and b == body, f"a -gzip ETag of a PDF: {st}")
    return body, etag


def check_awards(h, srv, rows):
    _, _, pages = get_pdf(h, srv, "/api/awards/marathon.pdf", "awards.pdf")
    check_headers(pages, "PROVISIONAL", "awards.pdf")
    text = "\n".join(pages)
    col = {c: i for i, c in enumerate(rows[0])}
    fin = [r for r in rows[1:] if r[col["status"]] == "finished"]
    want = set()
    for r in fin:
        if int(r[col["place_sex"]]) <= 5:
            want.add(r[col["bib"]])
        if r[col["place_categories"]] and int(r[col["place_categories"]]) <= 3:
            want.add(r[col["bib"]])
    for r in fin:
        shown = re.search(rf"(?m)^\s*\d+(st|nd|rd|th)\s+{re.escape(r[col['bib']])}\s", text)
        check(bool(shown) == (r[col["bib"]] in want),
              f"awards: bib {r[col['bib']]} (sex place {r[col['place_sex']]}, category "
              f"{r[col['categories']]} {r[col['place_categories']]}) shown {bool(shown)}")
    check("Overall \u2014 Women" in text and "Overall \u2014 Men" in text,
          f"awards: no overall sections\n{text[:800]}")
    log(f"awards.pdf: {len(want)} athletes, the first 5 by sex and 3 by category, nobody else")


def check_certificates(h, srv, rows):
    col = {c: i for i, c in enumerate(rows[0])}
    win = next(r for r in rows[1:] if r[col["place"]] == "1")
    unread = next(r for r in rows[1:] if r[col["status"]] == "registered")
    _, _, pages = get_pdf(h, srv, f"/api/certificate/marathon/{win[col['bib']]}.pdf", "c.pdf")
    text = pages[0]
    check(len(pages) == 1, f"certificate: {len(pages)} pages")
    n_fin = sum(1 for r in rows[1:] if r[col["status"]] == "finished")
    for want in (win[col["name"]], win[col["adjusted"]], "Boston Marathon 2015",
                 "20 April 2015", "Marathon", f"1st of {n_fin} overall", "PROVISIONAL"):
        check(want in text, f"certificate: no {want!r} in\n{text}")
    bad = {f"/api/certificate/marathon/{unread[col['bib']]}.pdf": "has no finish",
           "/api/certificate/marathon/no-such-bib.pdf": "no participant has bib",
           f"/api/certificate/nosuchrace/{win[col['bib']]}.pdf": "no such race",
           f"/api/certificate/mile/{win[col['bib']]}.pdf": "is not in race 'mile'",
           "/api/certificate/marathon/M1.pdf": "is not in race 'marathon'",
           "/api/certificate/marathon/a%20b.pdf": "expected /api/certificate/",
           "/api/certificate/marathon/../../etc/passwd.pdf": "not found",
           "/api/certificate/..%2f..%2fetc/1.pdf": "not found",
           "/api/certificate/marathon/" + "9" * 65 + ".pdf": "expected /api/certificate/",
           f"/api/certificate/marathon/{win[col['bib']]}": "expected /api/certificate/",
           f"/api/certificate/marathon/{win[col['bib']]}.pdf.exe": "expected",
           "/api/certificate/marathon/.pdf": "expected /api/certificate/",
           "/api/awards/nosuchrace.pdf": "no such race",
           "/api/awards/marathon.csv": "expected /api/awards/<race>.pdf",
           "/api/results/nosuchrace.pdf": "no such race",
           "/api/results/marathon.docx": "expected /api/results/<race>.csv",
           "/api/results/..%2fmarathon.pdf": "not found"}
    for path, msg in bad.items():
        st, hd, body = fetch(srv, path)
        check(st == 404 and hd.get("content-type") == "application/json" and
              "etag" not in hd and msg in json.loads(body).get("error", ""),
              f"{path}: {st} {hd.get('content-type')} {body[:200]!r}, want 404 with {msg!r}")
    log(f"certificate: the winner's name, time, places; {len(bad)} bad paths 404 with a reason")
    return win


def check_cert_bound(srv, rows):
    """The server keeps the 64 certificates asked for last (XC_CERT_MAX):
    one encode per new one, none for one kept, one again for one gone."""
    col = {c: i for i, c in enumerate(rows[0])}
    bibs = [r[col["bib"]] for r in rows[1:] if r[col["status"]] == "finished"][:70]
    check(len(bibs) == 70, f"only {len(bibs)} finishers")

    def encodes_for(bib):
        n = srv.health()["export_encodes"]
        st, _, body = fetch(srv, f"/api/certificate/marathon/{bib}.pdf")
        check(st == 200 and body[:5] == b"%PDF-", f"certificate {bib}: {st}")
        return srv.health()["export_encodes"] - n

    for b in bibs:
        encodes_for(b)
    check(encodes_for(bibs[-1]) == 0, "the last certificate asked for was encoded again")
    check(encodes_for(bibs[10]) == 0, "the 11th of 70 certificates (in the last 64) was dropped")
    check(encodes_for(bibs[0]) == 1, "the first of 70 certificates was kept (the bound is 64)")
    log("certificates: the last 64 asked for are kept, an older one is encoded again")


def xlsx_rows(h, body, name):
    import openpyxl
    path = h.path(name)
    with open(path, "wb") as f:
        f.write(body)
    wb = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def defused(cell):
    """A CSV text cell as the spreadsheet shows it: without the ' the export
    puts in front of a would-be formula."""
    return cell[1:] if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@\t\r" else cell


def same_as_csv(sheet, rows, what):
    check(len(sheet) == len(rows), f"{what}: {len(sheet)} rows, the CSV has {len(rows)}")
    numeric = {"place", "age", "place_sex", "lane"}
    for i, (got, want) in enumerate(zip(sheet, rows)):
        got = got + [None] * (len(want) - len(got))
        for k, w in enumerate(want):
            g = got[k]
            if w == "":
                check(g is None, f"{what} row {i} {rows[0][k]}: {g!r}, want empty")
            elif i > 0 and rows[0][k] in numeric:
                check(isinstance(g, int) and g == int(w),
                      f"{what} row {i} {rows[0][k]}: {g!r}, want the number {w}")
            else:
                check(g == defused(w), f"{what} row {i} {rows[0][k]}: {g!r}, want {w!r}")


def check_xlsx(h, srv):
    marathon, mile = csv_rows(srv, "marathon"), csv_rows(srv, "mile")
    check(any(r[2].startswith("'=") for r in mile[1:]), f"the mile CSV defuses nothing: {mile}")
    st, hd, body = fetch(srv, "/api/results/marathon.xlsx", [("Accept-Encoding", "gzip")])
    check(st == 200 and "spreadsheetml" in hd.get("content-type", "") and
          "content-encoding" not in hd and body[:2] == b"PK", f"marathon.xlsx: {st} {hd}")
    check('filename="marathon.xlsx"' in hd.get("content-disposition", ""), f"xlsx: {hd}")
    one = xlsx_rows(h, body, "marathon.xlsx")
    check(list(one) == ["marathon"], f"marathon.xlsx sheets: {list(one)}")
    same_as_csv(one["marathon"], marathon, "marathon.xlsx")
    st, hd, body = fetch(srv, "/api/results.xlsx")
    check(st == 200, f"results.xlsx: {st} {body[:200]!r}")
    every = xlsx_rows(h, body, "event.xlsx")
    check(list(every) == ["marathon", "mile"], f"results.xlsx sheets: {list(every)}")
    same_as_csv(every["marathon"], marathon, "results.xlsx marathon")
    same_as_csv(every["mile"], mile, "results.xlsx mile")
    check(every["mile"][1][2] == '=HYPERLINK("http://x")', f"mile: {every['mile'][1]}")
    log(f"xlsx: a sheet per race, {len(marathon) + len(mile)} rows as the CSV, typed")


def check_cli(h, srv):
    for fmt, path in (("pdf", "/api/results/marathon.pdf"), ("xlsx", "/api/results/marathon.xlsx")):
        out = h.path(f"cli.{fmt}")
        h.ctl(srv, ["results", "marathon", "--format", fmt, "--out", out], admin=False)
        with open(out, "rb") as f:
            check(f.read() == fetch(srv, path)[2], f"splitline results --format {fmt}: other bytes")
    r = h.ctl(srv, ["results", "marathon", "--format", "docx"], admin=False, check_rc=False)
    check(r.returncode == 2 and "not csv, json, pdf or xlsx" in r.stderr, f"--format docx: {r}")
    r = h.ctl(srv, ["results", "nosuchrace", "--format", "pdf"], admin=False, check_rc=False)
    check(r.returncode == 1 and "no such race" in r.stderr, f"unknown race as pdf: {r.stderr}")
    log("splitline results --format pdf|xlsx: the server's bytes; docx exits 2")


async def main(h):
    srv = h.server(h.redis())
    st, hd, body = fetch(srv, "/api/results.xlsx")
    check(st == 404 and b"no event to export yet" in body, f"xlsx before the event: {st} {body}")
    yaml = h.path("event.yaml")
    with open(h.paths.event_yaml) as f, open(yaml, "w") as g:
        g.write(f.read().rstrip("\n") + "\n" + MILE)
    sl = boston.write_slice(h.paths.boston_csv, h.path("slice.csv"), N)
    h.create_event(srv, yaml)
    h.ctl(srv, ["participants", "import", sl, "--map", "sex=M/F", "--chip-from-bib", "--race",
                "marathon"])
    with open(h.path("mile.csv"), "w") as f:
        f.write(MILE_CSV)
    h.ctl(srv, ["participants", "import", h.path("mile.csv"), "--race", "mile"])
    tok = h.issue_token(srv, "reader", "replay-x")
    await h.run_replay(srv, sl, tok, "replay-x", speed=0, extra=["--limit", str(N - 1)])
    official = h.issue_token(srv, "official")
    for bib, t in (("M1", "08:06:00"), ("M2", "08:07:30")):
        h.ctl(srv, ["passing", "add", "--bib", bib, "--pt", "finish", "--at",
                    f"2015-04-20T{t}-04:00", "--kind", "manual"], token=official, admin=False)
    await srv.wait_caught_up()

    rows = csv_rows(srv, "marathon")
    _, etag = check_results_pdf(h, srv, rows)
    check_awards(h, srv, rows)
    win = check_certificates(h, srv, rows)
    check_cert_bound(srv, rows)
    check_xlsx(h, srv)
    check_cli(h, srv)

    srv2 = h.server(srv.redis, "server-2")
    await srv2.wait_caught_up()
    for p in ("/api/results/marathon.pdf", "/api/awards/marathon.pdf", "/api/results.xlsx",
              f"/api/certificate/marathon/{win[1]}.pdf"):
        a, b = fetch(srv, p), fetch(srv2, p)
        check(a[0] == b[0] == 200 and a[2] == b[2] and a[1]["etag"] == b[1]["etag"],
              f"{p}: two nodes on one log differ")
    log("a second node: the same PDF and XLSX bytes and ETags")
    srv2.stop()

    h.ctl(srv, ["race", "official", "marathon", "--official", "chief"], token=official,
          admin=False)
    await srv.wait_caught_up()
    _, etag2, pages = get_pdf(h, srv, "/api/results/marathon.pdf", "official.pdf")
    check(etag2 != etag, "race official: the PDF's ETag did not change")
    check_headers(pages, "OFFICIAL", "official.pdf")
    check(not any("PROVISIONAL" in p for p in pages), "official.pdf still says PROVISIONAL")
    h.ctl(srv, ["adjust", win[1], "penalty", "--ms", "60000", "--reason", "cup", "--official",
                "chief"], token=official, admin=False)
    await srv.wait_caught_up()
    # clients that leave while their printout is being made: the others are answered
    for p in ("/api/results/marathon.pdf", "/api/awards/marathon.pdf", "/api/results.xlsx",
              f"/api/certificate/marathon/{win[1]}.pdf"):
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
            s.sendall(f"GET {p} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            s.close()
    _, _, pages = get_pdf(h, srv, "/api/results/marathon.pdf", "corrected.pdf")
    check_headers(pages, "CORRECTED", "corrected.pdf")
    log("race official: OFFICIAL on every page; a penalty after it: CORRECTED; 20 clients "
        "gone while their printouts were made")
    srv.stop()


if __name__ == "__main__":
    harness.run("printouts", main)
