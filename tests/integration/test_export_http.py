"""export_http (issue 14): the HTTP results exports are encoded once per
change and shared, gzip-encoded when the client accepts it, with an ETag that
changes exactly when the bytes do, and 304 for If-None-Match.

Boston 2015, the fastest 30 runners imported and 29 replayed, then over
plain HTTP/1.1 (http.client, headers exactly as written):
  - every export (the event and one race, CSV and JSON): without
    Accept-Encoding the plain body; with `gzip` a gzip body (Content-Encoding,
    Vary, its own ETag) that decodes to the plain body byte for byte;
    `gzip;q=0`, `identity`, `*;q=0`, a q above 1 and garbage get the plain
    body; `*`, `GZIP;Q=0.5`, `x-gzip` get gzip;
  - many requests and no change: the same ETag, and /health's
    export_encodes does not move (one encode per change, shared);
  - If-None-Match: the current ETag (also W/, in a list, `*`) gives 304 with
    no body and the connection stays usable; a stale or malformed one, or
    the other representation's ETag, gives 200; a 14 KB list ending with the
    ETag gives 304; a head over the door's 16 KB limit gives 431;
  - a decision (penalty) and a new read change every ETag; a passing for a
    bib nobody has (a record that changes no export) changes no byte and no
    ETag;
  - a second node on the same Redis gives the same bodies and ETags;
  - 20 concurrent requests after a change all get the same bytes from one
    encode; 20 clients that close while waiting for an encode leave nothing
    behind (the sanitizers watch); an unknown race is 404 without an ETag.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import asyncio
import gzip
import http.client
import socket

import boston
import harness
from harness import check, log

N = 30
PATHS = ["/api/results.csv", "/api/results.json", "/api/results/marathon.csv",
         "/api/results/marathon.json"]


def fetch(srv, path, headers=(), conn=None):
    return harness.http_fetch(srv.port, path, headers, conn)


def encodes(srv):
    h = srv.health()
    check(h is not None and "export_encodes" in h, f"/health has no export_encodes: {h}")
    return h["export_encodes"]


def plain_and_gzip(srv, path):
    """Both representations, checked against each other; returns
    (plain body, plain etag, gzip etag)."""
    st, hd, plain = fetch(srv, path)
    check(st == 200, f"{path}: {st} {plain[:200]!r}")
    check("content-encoding" not in hd, f"{path} without Accept-Encoding: {hd}")
    check(hd.get("etag", "").startswith('"') and hd.get("vary") == "Accept-Encoding" and
          hd.get("cache-control") == "no-cache", f"{path}: headers {hd}")
    check(int(hd["content-length"]) == len(plain), f"{path}: content-length {hd}")
    st, hz, gz = fetch(srv, path, [("Accept-Encoding", "gzip")])
    check(st == 200 and hz.get("content-encoding") == "gzip" and
          hz.get("vary") == "Accept-Encoding", f"{path} gzip: {st} {hz}")
    check(int(hz["content-length"]) == len(gz) and gz[:2] == b"\x1f\x8b",
          f"{path} gzip: {len(gz)} bytes, {gz[:4]!r}")
    check(gzip.decompress(gz) == plain, f"{path}: the gzip body does not decode to the plain one")
    check(hz["etag"] != hd["etag"], f"{path}: one ETag for both representations: {hd['etag']}")
    return plain, hd["etag"], hz["etag"]


def check_accept_encoding(srv, path, plain):
    want = {"gzip;q=0": False, "gzip;q=0.000": False, "identity": False, "deflate": False,
            "*;q=0": False, "gzip;q=2": False, "gzip;q=abc": False, "br;q=1, gzip ;q=0": False,
            "%%%;;q=;,,": False, "gzip junk": False, "gzip;level=9": False,
            "*": True, "GZIP;Q=0.5": True, "x-gzip": True, "br, gzip, deflate": True,
            "identity;q=0.5, gzip;q=0.1": True, "  ,gzip": True, "gzip;q=0, *": False}
    for ae, gz in want.items():
        st, hd, body = fetch(srv, path, [("Accept-Encoding", ae)])
        got = hd.get("content-encoding") == "gzip"
        check(st == 200 and got == gz, f"Accept-Encoding {ae!r}: {st}, gzip {got}, want {gz}")
        check((gzip.decompress(body) if got else body) == plain,
              f"Accept-Encoding {ae!r}: the body differs from the plain export")


def check_if_none_match(srv, path, etag, etag_gz):
    def st_of(inm, ae=None):
        hs = [("If-None-Match", inm)] + ([("Accept-Encoding", ae)] if ae else [])
        st, hd, body = fetch(srv, path, hs)
        if st == 304:
            check(body == b"" and hd.get("etag") == (etag_gz if ae else etag),
                  f"If-None-Match {inm[:60]!r}: 304 with {len(body)} bytes, headers {hd}")
        return st

    cases = [(etag, None, 304), (etag_gz, "gzip", 304), ("W/" + etag, None, 304),
             ('"nope", ' + etag, None, 304), ("*", None, 304), (etag, "gzip", 200),
             (etag_gz, None, 200), ('"0123456789abcdef0123456789abcdef"', None, 200),
             (etag[1:-1], None, 200), ('"unterminated', None, 200), (",,,", None, 200)]
    for inm, ae, want in cases:
        got = st_of(inm, ae)
        check(got == want, f"If-None-Match {inm!r} (Accept-Encoding {ae}): {got}, want {want}")
    big = ", ".join(f'"{i:032x}"' for i in range(400)) + ", " + etag  # ~14 KB
    check(len(big) > 14000 and st_of(big) == 304, "a 14 KB If-None-Match ending with the ETag")
    check(st_of(big[:-len(etag) - 2]) == 200, "a 14 KB If-None-Match without the ETag")
    st, _, _ = fetch(srv, path, [("If-None-Match", '"' + "a" * 20000 + '"')])
    check(st == 431, f"a 20 KB If-None-Match: {st}, want 431 (the door's head limit)")
    # after a 304 the connection carries on
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    st1, _, b1 = fetch(srv, path, [("If-None-Match", etag)], conn=c)
    st2, hd2, b2 = fetch(srv, path, [], conn=c)
    c.close()
    check(st1 == 304 and b1 == b"" and st2 == 200 and hd2["etag"] == etag and len(b2) > 0,
          f"304 then 200 on one connection: {st1} {len(b1)}, {st2} {len(b2)}")


def all_etags(srv):
    out = {}
    for p in PATHS:
        out[p] = plain_and_gzip(srv, p)
    return out


async def main(h):
    srv = h.server(h.redis())
    sl = boston.write_slice(h.paths.boston_csv, h.path("slice.csv"), N)
    h.create_event(srv)
    h.import_boston(srv, sl)
    tok = h.issue_token(srv, "reader", "replay-x")
    await h.run_replay(srv, sl, tok, "replay-x", speed=0, extra=["--limit", str(N - 1)])
    await srv.wait_caught_up()

    before = all_etags(srv)
    for p in PATHS:
        check(fetch(srv, p)[2] == srv.get(p)[1], f"{p}: urllib's body differs")
    log("plain and gzip: every export decodes to the plain bytes, each with its own ETag")
    check_accept_encoding(srv, "/api/results/marathon.json", before[PATHS[3]][0])
    check_accept_encoding(srv, "/api/results.csv", before[PATHS[0]][0])
    log("Accept-Encoding: q=0, identity, garbage -> plain; *, x-gzip, any case -> gzip")

    n0 = encodes(srv)
    for _ in range(5):
        again = all_etags(srv)
        check(again == before, "the ETags or bodies changed while nothing did")
    check(encodes(srv) == n0, f"export_encodes moved from {n0} to {encodes(srv)} without a change")
    log(f"no change: the same ETags over 40 requests, no encode ({n0} so far)")

    for p in (PATHS[0], PATHS[3]):
        check_if_none_match(srv, p, before[p][1], before[p][2])
    log("If-None-Match: 304 with no body for the ETag, W/, lists and *; 200 otherwise; 431 "
        "over the head limit; the connection carries on after a 304")

    # a decision: the winner gets a penalty
    official = h.issue_token(srv, "official")
    rows = srv.export_rows_json()
    fin = sorted((r for r in rows if r.get("place")), key=lambda r: r["place"])
    unread = [r["bib"] for r in rows if r["status"] == "registered"]
    check(len(fin) == N - 1 and len(unread) == 1, f"{len(fin)} placed, unread {unread}")
    h.ctl(srv, ["adjust", fin[0]["bib"], "penalty", "--ms", "60000", "--reason", "cup",
                "--official", "chief"], token=official, admin=False)
    await srv.wait_caught_up()
    after = all_etags(srv)
    for p in PATHS:
        check(after[p][1] != before[p][1] and after[p][2] != before[p][2] and
              after[p][0] != before[p][0], f"{p}: the penalty changed nothing: {after[p][1:]}")
        st, _, body = fetch(srv, p, [("If-None-Match", before[p][1])])
        check(st == 200 and body == after[p][0], f"{p}: the stale ETag gave {st}")
    log("a penalty: every ETag changed; the stale ones get 200 and the new body")

    # a new read
    h.ctl(srv, ["passing", "add", "--bib", unread[0], "--pt", "5k", "--at",
                "2015-04-20T10:20:00-04:00", "--kind", "manual"], token=official, admin=False)
    await srv.wait_caught_up()
    read = all_etags(srv)
    for p in PATHS:
        check(read[p][1] != after[p][1] and read[p][0] != after[p][0],
              f"{p}: a new read changed nothing")
    log("a new read: every ETag changed")

    # a record that changes no export: the same bytes, the same ETag
    recs = srv.health()["records"]
    h.ctl(srv, ["passing", "add", "--force", "--bib", "999999", "--pt", "finish", "--at",
                "2015-04-20T12:30:00-04:00"], token=official, admin=False)
    await srv.wait_caught_up()
    check(srv.health()["records"] == recs + 1, "passing add --force wrote no record")
    n1 = encodes(srv)
    same = all_etags(srv)
    check(same == read, "a passing for nobody changed an export's bytes or ETag")
    check(encodes(srv) == n1 + len(PATHS), f"export_encodes {n1} -> {encodes(srv)}")
    log("a read for a bib nobody has: one re-encode each, the same bytes and ETags")

    # 20 concurrent requests after a change: one encode, one body
    h.ctl(srv, ["adjust", fin[0]["bib"], "penalty", "--ms", "0", "--reason", "appeal",
                "--official", "chief"], token=official, admin=False)
    await srv.wait_caught_up()
    n2 = encodes(srv)
    got = await asyncio.gather(*[asyncio.to_thread(fetch, srv, PATHS[1],
                                                   [("Accept-Encoding", "gzip")])
                                 for _ in range(20)])
    check(all(g[0] == 200 for g in got) and len({g[2] for g in got}) == 1 and
          len({g[1]["etag"] for g in got}) == 1, "20 concurrent requests got different bodies")
    check(encodes(srv) == n2 + 1, f"20 concurrent requests: export_encodes {n2} -> {encodes(srv)}")
    check(got[0][1]["etag"] != same[PATHS[1]][2], "the appeal changed no ETag")
    log("20 concurrent requests after a change: one encode, the same body and ETag")

    # clients that leave while they wait for an encode: the others are answered
    h.ctl(srv, ["adjust", fin[0]["bib"], "penalty", "--ms", "1000", "--reason", "again",
                "--official", "chief"], token=official, admin=False)
    await srv.wait_caught_up()
    for p in PATHS:
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
            s.sendall(f"GET {p} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n".encode())
            s.close()
    again = all_etags(srv)
    check(all(again[p][1] != same[p][1] for p in PATHS), "the last penalty changed no ETag")
    log("20 clients gone while their encode ran: the next requests get the new bodies")

    st, hd, body = fetch(srv, "/api/results/nosuchrace.json", [("Accept-Encoding", "gzip")])
    check(st == 404 and "etag" not in hd and b"no such race" in body, f"unknown race: {st} {hd}")
    st, _, _ = fetch(srv, "/api/results/bad!race.csv")
    check(st == 404, f"a malformed race: {st}")
    # a raw request without Host or Accept-Encoding: plain
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
        s.sendall(b"GET /api/results/marathon.csv HTTP/1.0\r\n\r\n")
        resp = b""
        while chunk := s.recv(65536):
            resp += chunk
    head, _, body = resp.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.0 200") or head.startswith(b"HTTP/1.1 200"),
          f"HTTP/1.0: {head[:80]!r}")
    check(b"content-encoding" not in head.lower() and body == fetch(srv, PATHS[2])[2],
          "HTTP/1.0 without Accept-Encoding: not the plain CSV")
    log("unknown race: 404 without ETag; HTTP/1.0 without headers: the plain body")

    # a second node folding the same log: the same bytes, the same ETags
    srv2 = h.server(srv.redis, "server-2")
    await srv2.wait_caught_up()
    await srv.wait_caught_up()
    check(all_etags(srv2) == all_etags(srv), "two nodes on one log give different ETags")
    log("a second node on the same log: the same bodies and ETags")
    check(srv.proc.alive(), "the server died")


if __name__ == "__main__":
    harness.run("export_http", main)
