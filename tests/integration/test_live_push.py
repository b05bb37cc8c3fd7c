"""live_push: spectators get a snapshot, then deltas, in both formats.

Two spectator connections, one msgpack and one JSON, subscribe to the
overall ranking, one division and one athlete before a small replay.  Each
must first get a `snapshot` of every topic, then `delta`s; applying them as
PROTOCOL.md says (keep rows by bib, replace changed ones) must end in the
same rows as the server's JSON export, and the deltas must have carried
every expected bib.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import asyncio
import bisect

import boston
import harness
from harness import Client, check, log


def apply(state, msg):
    for row in msg.get("rows") or []:
        state[str(row["bib"])] = row


def replace_places(rows, ranking, precision):
    """PROTOCOL.md, "delta": a client holding a whole ranking re-places its
    rows itself, since rows moved down by a new finisher are not re-sent:
    place = 1 + finishers whose ranking time, cut to precision, is smaller."""
    def key(r):
        t = r.get(ranking)
        return None if r.get("status") != "finished" or t is None else t - t % precision
    times = sorted(k for k in map(key, rows.values()) if k is not None)
    return {b: 1 + bisect.bisect_left(times, key(r)) for b, r in rows.items()
            if key(r) is not None}


async def subscribe(c, topics):
    for tp in topics:
        await c.expect_ok({"t": "subscribe", "topic": tp, "limit": 0})


async def main(h):
    n = h.args.runners
    sl = boston.write_slice(h.paths.boston_csv, h.path("slice.csv"), n)
    runners = boston.load(sl)
    redis = h.redis()
    srv = h.server(redis)
    h.create_event(srv)
    h.import_boston(srv, sl)
    tok = h.issue_token(srv, "reader", "replay-l")

    # A division with several runners, and one athlete in it.
    divs = {}
    for r in runners:
        divs.setdefault(r.div, []).append(r)
    cat = max((d for d in divs if d.startswith("M") and d != "M18-39"), key=lambda d: len(divs[d]))
    athlete = divs[cat][0]
    topics = [f"results/{harness.RACE}", f"results/{harness.RACE}/cat/{cat}",
              f"athlete/{athlete.bib}"]
    log(f"topics: {topics}")

    clients = {}
    for fmt in ("msgpack", "json"):
        c = await Client.connect(srv, fmt)
        await c.hello()  # no token: a spectator
        await subscribe(c, topics)
        clients[fmt] = c

    await h.run_replay(srv, sl, tok, "replay-l", speed=0)
    await srv.wait_caught_up()
    export = {str(r["bib"]): r for r in srv.export_rows_json()}
    finished = {b for b, r in export.items() if r.get("status") == "finished"}
    check(len(finished) == len(runners), f"{len(finished)} of {len(runners)} finished")

    finals = {}
    for fmt, c in clients.items():
        msgs = await c.drain(quiet=2.0)
        check(c.closed is None, f"{fmt} spectator was disconnected: {c.closed}")
        state = {tp: {} for tp in topics}
        basis = {tp: ("net", 1000) for tp in topics}  # the YAML's, unless the server says
        got_snapshot, delta_bibs, ndeltas = set(), {tp: set() for tp in topics}, 0
        for m in msgs:
            t, tp = m.get("t"), m.get("topic")
            check(t in ("snapshot", "delta"), f"{fmt}: unexpected push {str(m)[:300]}")
            check(tp in state, f"{fmt}: push for a topic not subscribed: {tp}")
            if t == "snapshot":
                got_snapshot.add(tp)
                state[tp] = {}
            else:
                check(tp in got_snapshot, f"{fmt}: delta for {tp} before its snapshot")
                ndeltas += 1
                delta_bibs[tp].update(str(r["bib"]) for r in m.get("rows") or [])
            if "ranking" in m or "precision_ms" in m:
                basis[tp] = (m.get("ranking", basis[tp][0]), m.get("precision_ms", basis[tp][1]))
            apply(state[tp], m)
        check(got_snapshot == set(topics), f"{fmt}: snapshots only for {got_snapshot}")
        check(ndeltas > 0, f"{fmt}: no delta during the replay")
        log(f"{fmt}: {len(msgs)} pushes, {ndeltas} deltas")

        # The overall ranking: every finisher arrived in a delta, final rows match.
        overall, cat_t, ath_t = topics
        missing = finished - delta_bibs[overall]
        check(not missing, f"{fmt}: {len(missing)} finishers never in a delta, e.g. "
                           f"{sorted(missing)[:5]}")
        places = replace_places(state[overall], *basis[overall])
        for b in finished:
            got, want = state[overall].get(b), export[b]
            check(got is not None and all(got.get(k) == want.get(k) for k in
                                          ("status", "net", "gun", "splits")),
                  f"{fmt}: {overall} row of bib {b} is {got}, export says {want}")
            check(places.get(b) == want["place"],
                  f"{fmt}: {overall}: bib {b} re-placed at {places.get(b)}, export says "
                  f"{want['place']}")
        # The division: exactly its members, with their division places.
        members = {r.bib for r in divs[cat]}
        check(set(state[cat_t]) == members,
              f"{fmt}: {cat_t} holds {sorted(state[cat_t])[:10]}, expected {sorted(members)[:10]}")
        check(members <= delta_bibs[cat_t], f"{fmt}: {cat_t} deltas missed "
                                            f"{sorted(members - delta_bibs[cat_t])[:5]}")
        cplaces = replace_places(state[cat_t], *basis[cat_t])
        for b in members:
            check(cplaces.get(b) == export[b]["place_cat"].get(cat),
                  f"{fmt}: {cat_t}: bib {b} re-placed at {cplaces.get(b)}, export says "
                  f"{export[b]['place_cat']}")
        # The athlete.
        row = state[ath_t].get(athlete.bib)
        check(set(state[ath_t]) == {athlete.bib}, f"{fmt}: {ath_t} holds {list(state[ath_t])}")
        check(athlete.bib in delta_bibs[ath_t], f"{fmt}: no delta for {ath_t}")
        check(row.get("status") == "finished" and row.get("net") == athlete.time * 1000,
              f"{fmt}: {ath_t} final row {row}, file says {athlete.time}s")
        finals[fmt] = state
    check(finals["json"] == finals["msgpack"] or all(
        set(finals["json"][tp]) == set(finals["msgpack"][tp]) for tp in topics),
        "msgpack and JSON spectators hold different rows")
    for c in clients.values():
        await c.close()
    log("both spectators ended with the export's rows")
    srv.stop()


def args(ap):
    ap.add_argument("--runners", type=int, default=300)


if __name__ == "__main__":
    harness.run("live_push", main, args)
