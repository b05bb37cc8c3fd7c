"""spectator_window: a spectator's snapshot is a window of at most 1000 rows.

The first 1,500 runners of Boston 2015 are imported and replayed.  A
spectator (no token, or a spectator token; msgpack or JSON) that asks for
`limit` 0 (all rows), or more than 1000, gets 1000 rows, and the `ok` says
`"limit":1000`; one that asks for 1000 or fewer gets what it asked, and the
`ok` says nothing more.  `finishes/` keeps its limit 0 (the last 50).  An
official or the admin asking for limit 0 gets every row (PROTOCOL.md,
"Session": whole races are for officials and for the HTTP export).
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import boston
import harness
from harness import Client, check, log

RACE = harness.RACE
RUNNERS = 1500
ROWS = 1000  # NET_SPECTATOR_ROWS


async def window(c, topic, limit, offset=None):
    """(ok, snapshot) of one subscribe on c."""
    req = {"t": "subscribe", "topic": topic, "limit": limit}
    if offset is not None:
        req["offset"] = offset
    ok = await c.expect_ok(req)
    while True:
        m = await c.next_push(60)
        check(m is not None, f"connection closed waiting for the snapshot of {topic}")
        if m.get("t") == "snapshot" and m.get("topic") == topic:
            await c.expect_ok({"t": "unsubscribe", "topic": topic})
            return ok, m


async def expect(c, who, topic, limit, rows, said, offset=None, n=RUNNERS):
    ok, snap = await window(c, topic, limit, offset)
    got = len(snap.get("rows") or [])
    check(got == rows, f"{who}: {topic} limit {limit} offset {offset}: {got} rows, "
                       f"expected {rows}")
    check(ok.get("limit") == said, f"{who}: {topic} limit {limit}: ok {ok}, expected limit "
                                   f"{said}")
    if topic.startswith("results/"):
        check(snap.get("n") == n, f"{who}: snapshot n {snap.get('n')}, expected {n}")


async def main(h):
    sl = boston.write_slice(h.paths.boston_csv, h.path("slice.csv"), RUNNERS)
    redis = h.redis()
    srv = h.server(redis)
    h.create_event(srv)
    h.import_boston(srv, sl)
    await h.run_replay(srv, sl, h.issue_token(srv, "reader", "replay-w"), "replay-w", speed=0)
    await srv.wait_caught_up()
    finishers = sum(1 for r in srv.export_rows_json() if r.get("status") == "finished")
    check(finishers > 50, f"only {finishers} finishers")
    res, fin = f"results/{RACE}", f"finishes/{RACE}"

    adm = await Client.connect(srv, "msgpack")
    await adm.hello(srv.admin_token)
    spectator_tok = (await adm.expect_ok({"t": "token_issue", "role": "spectator"}))["token"]
    await adm.close()
    for who, tok, fmt in (("anonymous", None, "msgpack"), ("anonymous", None, "json"),
                          ("spectator token", spectator_tok, "msgpack")):
        c = await Client.connect(srv, fmt)
        r = await c.hello(tok)
        check(r.get("role") == "spectator", f"{who}: hello said {r}")
        who = f"{who} ({fmt})"
        await expect(c, who, res, 0, ROWS, ROWS)
        await expect(c, who, res, ROWS, ROWS, None)
        await expect(c, who, res, ROWS + 1, ROWS, ROWS)
        await expect(c, who, res, 100000000, ROWS, ROWS)
        await expect(c, who, res, ROWS - 1, ROWS - 1, None)
        await expect(c, who, res, 0, RUNNERS - 1200, ROWS, offset=1200)
        await expect(c, who, fin, 0, 50, None)
        await expect(c, who, fin, 5000, min(finishers, ROWS), ROWS)
        check(c.closed is None, f"{who} was disconnected: {c.closed}")
        await c.close()
        log(f"{who}: windows of at most {ROWS} rows")

    official = h.issue_token(srv, "official")
    for who, tok in (("official", official), ("admin", srv.admin_token)):
        c = await Client.connect(srv, "msgpack")
        await c.hello(tok)
        await expect(c, who, res, 0, RUNNERS, None)
        await expect(c, who, res, 5000, RUNNERS, None)
        await expect(c, who, fin, 0, 50, None)
        await c.close()
        log(f"{who}: limit 0 gets all {RUNNERS} rows")
    srv.stop()


if __name__ == "__main__":
    harness.run("spectator_window", main)
