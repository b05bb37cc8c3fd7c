"""bad_input: every kind of bad input gets a clear error and changes nothing.

Malformed msgpack, malformed JSON, an unknown type, a frame over 1 MiB, a
spectator sending passings, a wrong event or token, a bad config value (from
the CLI and raw), bad participant rows (from the CLI with file:line:field,
and raw with the row index): each gets an `err` (or exit 1 from the CLI) with
a message naming what is wrong; the log and the export stay as they were;
the connection (except after a too-large frame) and the server carry on.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import csv

import boston
import harness
from harness import Client, check, log

T0 = 1429538400000


async def main(h):
    sl = boston.write_slice(h.paths.boston_csv, h.path("slice.csv"), 30)
    redis = h.redis()
    srv = h.server(redis)
    h.create_event(srv)
    h.import_boston(srv, sl)
    reader = h.issue_token(srv, "reader", "dev-x")
    await srv.wait_caught_up()
    xlen0, export0 = redis.xlen(), srv.export("csv")

    async def unchanged(what):
        await srv.wait_caught_up()
        check(srv.health() is not None, f"/health does not answer after {what}")
        check(redis.xlen() == xlen0, f"{what} wrote to the log ({xlen0} -> {redis.xlen()})")
        check(srv.export("csv") == export0, f"{what} changed the export")
        log(f"ok: {what}")

    def is_err(r, codes, what, words=()):
        check(r is not None and r.get("t") == "err" and r.get("code") in codes,
              f"{what}: expected err {codes}, got {r}")
        msg = r.get("msg") or ""
        check(msg, f"{what}: err without a message: {r}")
        for w in words:
            check(w in msg, f"{what}: message {msg!r} does not mention {w!r}")

    async def still_works(c, what):
        r = await c.request({"t": "subscribe", "topic": "status"})
        check(r.get("t") == "ok", f"connection unusable after {what}: {r}")
        await c.request({"t": "unsubscribe", "topic": "status"})
        await c.drain(quiet=0.3)  # the status snapshot

    async def next_err(c, timeout=30):
        while True:
            m = await c.next_push(timeout)
            if m is None or m.get("t") == "err":
                return m

    # -- malformed frames, each format
    m = await Client.connect(srv, "msgpack")
    await m.hello(reader)
    await m.send_raw(b"\xc1\x93\x01")  # 0xc1 is never valid msgpack
    is_err(await next_err(m), ("bad_request",), "malformed msgpack")
    await m.send_raw(b"\x92\x01\x02")  # valid msgpack, but an array, not a map
    is_err(await next_err(m), ("bad_request",), "msgpack array instead of map")
    await still_works(m, "malformed msgpack")
    await unchanged("malformed msgpack")

    j = await Client.connect(srv, "json")
    await j.hello(reader)
    await j.send_raw('{"t":"passings","id":3,')
    is_err(await next_err(j), ("bad_request",), "malformed JSON")
    await still_works(j, "malformed JSON")
    await unchanged("malformed JSON")

    # -- unknown type, missing fields, wrong types
    is_err(await j.request({"t": "frobnicate", "id": 41}), ("unknown_type",), "unknown type")
    is_err(await m.request({"t": "frobnicate"}), ("unknown_type",), "unknown type (msgpack)")
    is_err(await j.request({"t": "passings", "dev": "dev-x", "seq": 1,
                            "reads": [{"chip": "3", "pt": "5k", "t": "soon"}]}),
           ("bad_request",), "read with a string time", ["reads[0].t"])
    is_err(await j.request({"t": "passings", "dev": "dev-x", "seq": 1,
                            "reads": [{"chip": "3", "pt": "5k", "t": T0}, {"pt": "5k"}]}),
           ("bad_request",), "read without chip or bib", ["reads[1]"])
    is_err(await j.request({"t": "passings", "dev": "other-dev", "seq": 1,
                            "reads": [{"chip": "3", "pt": "5k", "t": T0}]}),
           ("forbidden", "bad_request", "unauthorized"), "passings for another device")
    await still_works(j, "unknown type")
    await unchanged("unknown type and bad fields")

    # -- a frame over 1 MiB: err too_large and close 1009
    big = await Client.connect(srv, "msgpack")
    await big.hello(reader)
    pad = "x" * (1024 * 1024 + 100)
    try:
        await big.send({"t": "passings", "id": 5, "dev": "dev-x", "seq": 1,
                        "reads": [{"chip": "3", "pt": "5k", "t": T0, "pad": pad}]})
    except Exception:
        pass  # the server may close while we are still writing
    r = await big.next_push(timeout=30)
    if r is not None:
        is_err(r, ("too_large",), "frame over 1 MiB")
        r = await big.next_push(timeout=30)
    check(r is None and big.closed and big.closed[0] == 1009,
          f"frame over 1 MiB: expected close 1009, got {r} / {big.closed}")
    await unchanged("frame over 1 MiB")

    # -- a spectator is read-only; wrong event; bad token
    s = await Client.connect(srv, "json")
    await s.hello()
    is_err(await s.request({"t": "passings", "dev": "dev-x", "seq": 1,
                            "reads": [{"chip": "3", "pt": "5k", "t": T0}]}),
           ("forbidden", "unauthorized"), "spectator sending passings")
    is_err(await s.request({"t": "token_issue", "role": "admin"}),
           ("forbidden", "unauthorized"), "spectator issuing a token")
    await still_works(s, "spectator passings")
    x = await Client.connect(srv, "json")
    is_err(await x.request({"t": "hello", "event": "no-such-event"}), ("not_found",),
           "hello to a wrong event")
    await x.close()
    x = await Client.connect(srv, "json")
    is_err(await x.request({"t": "hello", "event": harness.EVENT, "token": "0" * 32}),
           ("unauthorized",), "hello with an unknown token")
    await unchanged("spectator and bad hellos")

    # -- a bad config value, raw and from the CLI
    a = await Client.connect(srv, "json")
    await a.hello(h.admin_token)
    bad_cfg = {"event": harness.EVENT, "name": "x", "date": "2015-04-20",
               "races": [{"id": "marathon", "kind": "relay", "distance_m": 42195,
                          "points": [{"id": "finish", "role": "finish", "distance_m": 42195}]}]}
    is_err(await a.request({"t": "event_create", "config": bad_cfg}), ("bad_request",),
           "raw config with kind relay", ["kind"])
    with open(h.paths.event_yaml) as f:
        yaml_text = f.read()
    check("precision_ms: 1000" in yaml_text, "the demo YAML changed shape")
    bad_yaml = h.path("bad.yaml")
    with open(bad_yaml, "w") as f:
        f.write(yaml_text.replace("precision_ms: 1000", "precision_ms: -5"))
    line = next(i for i, l in enumerate(yaml_text.split("\n"), 1) if "precision_ms" in l)
    r = h.ctl(srv, ["event", "create", bad_yaml], check_rc=False)
    check(r.returncode == 1, f"event create with a bad value exited {r.returncode}: {r.stderr}")
    check("bad.yaml" in r.stderr and "precision_ms" in r.stderr,
          f"event create error does not name the file and field: {r.stderr!r}")
    if f"bad.yaml:{line}" not in r.stderr:
        log(f"note: the error does not name line {line}: {r.stderr.strip()}")
    check(f"bad.yaml:{line}" in r.stderr, f"event create error lacks 'bad.yaml:{line}': "
                                          f"{r.stderr!r}")
    await unchanged("bad config value")

    # -- bad participant rows: CLI (file:line:field, exit 1, nothing sent) and raw
    bad_csv = h.path("bad.csv")
    with open(sl, newline="") as f:
        rows = list(csv.reader(f))
    rows[3][rows[0].index("M/F")] = "Q"  # file line 4
    with open(bad_csv, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows[:10])
    r = h.ctl(srv, ["participants", "import", bad_csv, "--map", "sex=M/F", "--chip-from-bib"],
              check_rc=False)
    check(r.returncode == 1, f"import of a bad row exited {r.returncode}: {r.stderr}")
    check("bad.csv:4:" in r.stderr and "sex" in r.stderr and "'Q'" in r.stderr,
          f"import error should read \"bad.csv:4: field 'sex': 'Q' ...\", got {r.stderr!r}")
    await unchanged("bad participant row (CLI)")
    r = await a.request({"t": "participants", "rows": [
        {"bib": "90001", "name": "A B", "sex": "M", "age": 30},
        {"bib": "90002", "name": "C D", "sex": "Q", "age": 30}]})
    is_err(r, ("bad_request",), "raw participants with a bad sex", ["sex"])
    check(r.get("row") == 1, f"raw participants error should name row 1: {r}")
    is_err(await a.request({"t": "participants", "rows": [{"name": "no bib"}]}),
           ("bad_request",), "participant without bib", ["bib"])
    await unchanged("bad participant rows (raw)")

    for c in (m, j, s, a):
        await still_works(c, "everything")
        await c.close()
    await x.close()
    check(srv.proc.alive(), "server died")
    srv.stop()


if __name__ == "__main__":
    harness.run("bad_input", main)
