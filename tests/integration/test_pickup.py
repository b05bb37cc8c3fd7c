"""Issue 5, bib pickup against the real server: registrations without a bib
(the first 400 Boston 2015 runners, registered by code R<bib>) get bibs
from the race's bib_pool at four desks at once, over real WebSockets, some
with a chip paired, the first 100 bibs pre-chipped (a chip file imported
with --blank: those bibs bring their chips); then a swap, a transfer and an undo; then the server is
killed and restarted, from its snapshot and from the bare log.

Asserted: every registration got exactly one bib; the 400 bibs are the 400
lowest free numbers of the pool (a bib of the pool that a participant
already held is skipped); each answer names the registration's athlete;
counts and no-shows on checkin/<race>; reads of a paired chip time the
athlete who got it (the mat read came before the pairing, so it waited as
an unknown chip); a scanner token may not assign (forbidden, naming the
scan), a spectator may not read the audit trail; the audit trail has every
assign, the swap with both persons, the transfer and the undo, in log
order, and live deltas; after SIGKILL + restart (snapshot) and a restart
with the snapshot deleted (whole log), the results export, the answers,
the audit trail and the counts are byte for byte what they were.
"""

import asyncio
import csv
import datetime
import io
import time

from harness import EVENT, RACE, Client, TestFailure, check, log, run, topic_snapshot

NREG = 400
NBIB = 100
POOL_LO = 50001
HELD = 50003  # a pool bib given to a participant by the import: skipped
NDESK = 4
T_SCAN = 1429500000000  # 2015-04-20 03:20 UTC: pickup the morning before
WAVE4_T0 = 1429542900000  # 2015-04-20 11:15 EDT


def event_yaml(h):
    with open(h.paths.event_yaml) as f:
        text = f.read()
    check("    points:\n" in text, "the demo event has no points section")
    text = text.replace("    points:\n", '    bib_pool: "50001-50999"\n    points:\n', 1)
    p = h.path("event.yaml")
    with open(p, "w") as f:
        f.write(text)
    return p


def runners(h):
    out = []
    with open(h.paths.boston_csv, newline="") as f:
        for row in csv.DictReader(f):
            out.append(row)
            if len(out) == NREG + NBIB:
                break
    return out


async def assign_all(h, server, desk_tokens, regs):
    """Four desks, each assigning its share in batches of 10 scans."""
    async def desk(i, token):
        c = await Client.connect(server, "json" if i % 2 else "msgpack")
        await c.hello(token)
        mine = regs[i::NDESK]
        seq = 1
        for k in range(0, len(mine), 10):
            scans = []
            for j, r in enumerate(mine[k:k + 10]):
                s = {"code": f"sl:{EVENT}:{r['reg']}" if j % 3 == 0 else r["reg"],
                     "t": T_SCAN + seq + j, "volunteer": f"vol-{i}", "op": "assign"}
                if r.get("chip"):
                    s["chip"] = r["chip"]
                scans.append(s)
            a = await c.expect_ok({"t": "checkins", "dev": f"desk-{i}", "seq": seq,
                                   "scans": scans})
            check(a.get("last") == seq + len(scans) - 1 and not a.get("dup"),
                  f"desk-{i} ack {a}")
            seq += len(scans)
        await c.close()
        return seq - 1

    counts = await asyncio.gather(*(desk(i, t) for i, t in enumerate(desk_tokens)))
    await server.wait_caught_up()
    return counts


async def answers(server, token, dev):
    snap = await topic_snapshot(server, token, f"scans/{dev}", offset=1)
    return snap["rows"]


async def audit_rows(server, token):
    return (await topic_snapshot(server, token, "audit"))["rows"]


async def state(h, server, token):
    """Everything a restart must give back, as comparable values."""
    out = {"export": server.export("csv"), "export_json": server.export("json")}
    for i in range(NDESK):
        out[f"desk-{i}"] = await answers(server, token, f"desk-{i}")
    out["audit"] = await audit_rows(server, token)
    ck = await topic_snapshot(server, token, f"checkin/{RACE}")
    out["checkin"] = {k: ck.get(k) for k in ("n", "checked_in", "no_shows", "waves", "rows")}
    return out


async def body(h):
    redis = h.redis()
    server = h.server(redis, extra=("--snapshot-every", "20"))
    h.create_event(server, event_yaml(h))
    admin = h.admin_token
    rows = runners(h)
    regs, parts = [], []
    for i, r in enumerate(rows):
        person = {"name": r["Name"], "sex": r["M/F"], "age": int(r["Age"]), "race": RACE}
        if i < NREG:
            reg = dict(person, reg=f"R{r['Bib']}")
            regs.append(dict(reg, chip=f"E2{r['Bib']:0>6}" if i % 2 == 0 else None))
            parts.append(reg)
        else:
            parts.append(dict(person, bib=r["Bib"], chips=[r["Bib"]]))
    parts[-1]["bib"] = str(HELD)  # a pool bib already held
    c = await Client.connect(server, "json")
    await c.hello(admin)
    r = await c.expect_ok({"t": "participants", "rows": parts})
    check(r.get("count") == len(parts), f"participants import answered {r}")
    # a registration row may not carry a chip before it has a bib
    r = await c.request({"t": "participants", "rows": [{"reg": "RX", "chips": ["Q1"]}]})
    check(r.get("t") == "err" and r.get("code") == "bad_request" and
          "rows[0].chips: a registration without a bib gets its chip at pickup" in r.get("msg"),
          f"registration with a chip: {r}")

    # the chip file: pool bibs 50001..50100 come pre-chipped (not 50003: taken)
    with open(h.path("chips.csv"), "w") as f:
        f.write("Bib,Chip\n" + "".join(f"{b},P{b}\n" for b in range(POOL_LO, POOL_LO + 100)
                                        if b != HELD))
    r = h.ctl(server, ["participants", "import", h.path("chips.csv"), "--blank"])
    with open(h.path("bad-chips.csv"), "w") as f:
        f.write("Bib,Chip,Name\n50200,P50200,Somebody\n")
    r = h.ctl(server, ["participants", "import", h.path("bad-chips.csv"), "--blank"],
              check_rc=False)
    check(r.returncode == 1 and "bad-chips.csv:2: field 'name': a blank bib has no athlete" in
          r.stderr, f"a chip file naming an athlete: exit {r.returncode}: {r.stderr!r}")

    desk_tokens = [h.issue_token(server, "desk", f"desk-{i}") for i in range(NDESK)]
    scanner = h.issue_token(server, "scanner", "hh-1")

    # a chip read at the finish before anyone has the chip: unknown for now
    reader = h.issue_token(server, "reader", "mat-fin")
    first = regs[0]
    t_fin = WAVE4_T0 + 3 * 3600 * 1000  # pool bibs 50001... run in wave 4
    rc = await Client.connect(server, "msgpack")
    await rc.hello(reader)
    await rc.expect_ok({"t": "passings", "dev": "mat-fin", "seq": 1, "reads": [
        {"chip": first["chip"], "pt": "finish", "t": t_fin}]})
    await rc.close()

    # a scanner may check in, not assign
    sc = await Client.connect(server, "json")
    await sc.hello(scanner)
    r = await sc.request({"t": "checkins", "dev": "hh-1", "seq": 1, "scans": [
        {"code": "R1", "t": T_SCAN}, {"code": regs[1]["reg"], "t": T_SCAN, "op": "assign"}]})
    check(r.get("t") == "err" and r.get("code") == "forbidden" and
          r.get("msg") == "scans[1].op: 'assign' needs a desk or official token",
          f"scanner assign: {r}")
    await sc.close()
    # ...and a spectator may not read the audit trail
    sp = await Client.connect(server, "json")
    await sp.hello()
    r = await sp.request({"t": "subscribe", "topic": "audit"})
    check(r.get("t") == "err" and r.get("code") == "forbidden", f"spectator audit: {r}")
    await sp.close()

    # live audit deltas on an official's connection
    watch = await Client.connect(server, "json")
    await watch.hello(admin)
    await watch.expect_ok({"t": "subscribe", "topic": "audit"})
    snap = await watch.next_push()
    check(snap.get("t") == "snapshot" and snap.get("n") == 0, f"audit snapshot {snap}")

    await assign_all(h, server, desk_tokens, regs)

    # every registration: one bib, the lowest free ones, the right athlete
    by_reg, bibs = {}, []
    for i in range(NDESK):
        rows_i = await answers(server, admin, f"desk-{i}")
        check(len(rows_i) == len(regs[i::NDESK]), f"desk-{i}: {len(rows_i)} answers")
        for a in rows_i:
            check(a.get("ok") is True and a.get("op") == "assign",
                  f"desk-{i} answer not ok: {a}")
            check(a["reg"] not in by_reg, f"{a['reg']} assigned twice")
            by_reg[a["reg"]] = a
            bibs.append(int(a["bib"]))
    want = [b for b in range(POOL_LO, POOL_LO + NREG + 1) if b != HELD]
    check(sorted(bibs) == want, f"bibs assigned {sorted(bibs)[:5]}... are not the lowest "
          f"free bibs of the pool ({want[:5]}...)")
    for r in regs:
        a = by_reg.get(r["reg"])
        check(a is not None, f"no answer for {r['reg']}")
        check(a["name"] == r["name"], f"{r['reg']}: answer names {a['name']!r}")
        if r["chip"]:
            check(a["chips"] == [r["chip"]] and "paired" in a["msg"], f"chip not paired: {a}")
        elif int(a["bib"]) < POOL_LO + 100:
            check(a["chips"] == [f"P{a['bib']}"], f"a pre-chipped bib lost its chip: {a}")
        else:
            check(a["chips"] == [], f"a bib beyond the chip file has chips: {a}")
    log(f"{NREG} registrations got bibs {min(bibs)}..{max(bibs)} at {NDESK} desks "
        f"(bib {HELD} skipped)")

    # the chip read that came first now times the athlete who got the chip
    fb = by_reg[first["reg"]]["bib"]
    ath = (await topic_snapshot(server, admin, f"athlete/{fb}"))["rows"][0]
    check(ath.get("name") == first["name"] and ath.get("status") == "finished" and
          ath.get("net") == 3 * 3600 * 1000, f"athlete {fb} after pairing: {ath}")

    ck = await topic_snapshot(server, admin, f"checkin/{RACE}")
    check(ck["n"] == NREG + NBIB and ck["checked_in"] == NREG and ck["no_shows"] == NBIB,
          f"checkin/{RACE}: n {ck['n']}, checked_in {ck['checked_in']}, "
          f"no_shows {ck['no_shows']}")

    # swap, transfer, undo, as an official would
    a_bib, b_bib = by_reg[regs[1]["reg"]]["bib"], by_reg[regs[2]["reg"]]["bib"]
    d0 = await Client.connect(server, "json")
    await d0.hello(desk_tokens[0])
    nseq = len(regs[0::NDESK]) + 1
    await d0.expect_ok({"t": "checkins", "dev": "desk-0", "seq": nseq, "scans": [
        {"code": a_bib, "t": T_SCAN + 10**6, "volunteer": "lead", "op": "swap", "with": b_bib,
         "reason": "bibs handed out crossed"},
        {"code": a_bib, "t": T_SCAN + 10**6 + 1, "volunteer": "lead", "op": "transfer",
         "to": {"name": "Mia Berg", "sex": "F", "age": 31}, "reason": "entry transferred"}]})
    await d0.close()
    await c.close()
    r = h.ctl(server, ["checkin", "undo", b_bib, "--official", "chief", "--reason", "wrong runner"])
    check(f"bib '{b_bib}': check-in undone" in r.stdout, f"checkin undo printed {r.stdout!r}")
    r = h.ctl(server, ["checkin", "undo", b_bib, "--official", "chief"], check_rc=False)
    check(r.returncode == 1 and "is not checked in" in r.stderr,
          f"a second undo: exit {r.returncode}, {r.stderr!r}")
    await server.wait_caught_up()
    audit = await audit_rows(server, admin)
    check(len(audit) == NREG + 3 and [x["i"] for x in audit] == list(range(NREG + 3)),
          f"audit has {len(audit)} rows")
    check(sum(x["op"] == "assign" for x in audit) == NREG, "assign rows")
    sw, tr, un = audit[-3:]
    check(sw["op"] == "swap" and sw["bib"] == a_bib and sw["with"] == b_bib and
          sw["from"]["name"] == regs[1]["name"] and sw["to"]["name"] == regs[2]["name"] and
          sw["by"] == "lead" and sw["reason"] == "bibs handed out crossed", f"swap row {sw}")
    check(tr["op"] == "transfer" and tr["from"]["name"] == regs[2]["name"] and
          tr["to"]["name"] == "Mia Berg" and tr["to"]["sex"] == "F", f"transfer row {tr}")
    check(un["op"] == "undo" and un["bib"] == b_bib and un["by"] == "chief" and
          isinstance(un["t"], int), f"undo row {un}")
    # the officials' CLI prints the same trail as CSV
    r = h.ctl(server, ["audit", "--format", "csv"])
    lines = list(csv.DictReader(io.StringIO(r.stdout)))
    check(len(lines) == len(audit) and [int(x["i"]) for x in lines] == [x["i"] for x in audit],
          f"splitline audit printed {len(lines)} rows, the topic has {len(audit)}")
    check(lines[-3]["op"] == "swap" and lines[-3]["from"] == regs[1]["name"] and
          lines[-3]["to"] == regs[2]["name"] and lines[-3]["reason"] == "bibs handed out crossed"
          and lines[-1]["op"] == "undo" and lines[-1]["by"] == "chief" and
          lines[0]["op"] == "assign" and lines[0]["reg"] and lines[0]["time"].endswith("-04:00")
          and round(datetime.datetime.fromisoformat(lines[0]["time"]).timestamp() * 1000) ==
          audit[0]["t"],  # the instant of the topic's t, in the event's zone (New York, EDT)
          f"splitline audit rows: {lines[0]}, {lines[-3]}, {lines[-1]}")
    r = h.ctl(server, ["audit", "--format", "xml"], check_rc=False)
    check(r.returncode == 2 and "--format 'xml' is not csv or json" in r.stderr,
          f"audit --format xml: exit {r.returncode}: {r.stderr!r}")
    r = h.ctl(server, ["checkin", "undo", a_bib], check_rc=False)
    check(r.returncode == 2 and "usage: splitline checkin undo" in r.stderr + r.stdout,
          f"checkin undo without --official: exit {r.returncode}: {r.stderr!r}")
    # the trail names people (transfers, ages): desks and officials only
    r = h.ctl(server, ["audit"], token=scanner, check_rc=False, admin=False)
    check(r.returncode == 1 and "audit trail is for desks and officials" in r.stderr,
          f"a scanner token read the audit trail: exit {r.returncode}: {r.stderr!r}")
    r = h.ctl(server, ["audit"], token=desk_tokens[0], check_rc=False, admin=False)
    check(r.returncode == 0 and r.stdout.count("\n") == len(audit) + 1,
          f"a desk token reads the trail: exit {r.returncode}: {r.stderr!r}")
    exp = {row["bib"]: row for row in server.export_rows_json()}
    check(exp[a_bib]["name"] == "Mia Berg" and exp[b_bib]["name"] == regs[1]["name"],
          f"export after swap+transfer: {exp[a_bib]['name']}, {exp[b_bib]['name']}")
    # the live watcher saw every row, in order, as deltas (or a fresh snapshot)
    seen = []
    while len(seen) < NREG + 3:
        try:
            m = await watch.next_push(30)
        except asyncio.TimeoutError:
            raise TestFailure(f"audit deltas: got {len(seen)} rows of {NREG + 3}: {seen[:5]}..{seen[-5:]}")
        check(m is not None, "audit watcher closed")
        if m.get("topic") != "audit":
            continue
        if m.get("t") == "delta":
            seen += [x["i"] for x in m["rows"]]
        elif m.get("t") == "snapshot":  # sent again when a participant left a topic
            seen = [x["i"] for x in m["rows"]]
    check(seen == list(range(NREG + 3)), f"audit deltas {seen[:10]}...")
    await watch.close()
    log("swap, transfer and undo audited; live deltas in order")

    # restarts: from the snapshot, then from the bare log
    before = await state(h, server, admin)
    # snapshots are written in the background: kill only once one is there
    deadline = time.monotonic() + 60
    while not redis.cmd("EXISTS", f"sl:{{{EVENT}}}:snap"):
        check(time.monotonic() < deadline, "no snapshot written in 60 s (--snapshot-every 20)")
        await asyncio.sleep(0.1)
    server.kill()
    server = h.server(redis, name="server-2", extra=("--snapshot-every", "20"))
    await server.wait_caught_up()
    check("loaded snapshot" in server.proc.log_text(), "server-2 did not load a snapshot")
    after = await state(h, server, admin)
    for k in before:
        check(before[k] == after[k], f"after a restart from the snapshot, {k} differs")
    server.stop()
    redis.cmd("DEL", f"sl:{{{EVENT}}}:snap")
    server = h.server(redis, name="server-3")
    await server.wait_caught_up()
    check("loaded snapshot" not in server.proc.log_text(), "server-3 loaded a snapshot")
    again = await state(h, server, admin)
    for k in before:
        check(before[k] == again[k], f"after a restart from the whole log, {k} differs")
    log("restart from snapshot and from the whole log: identical state")
    server.stop()


if __name__ == "__main__":
    run("pickup", body)
