"""hostile (issue 11): every fix proved by an attack beside a happy case,
and after every attack nothing changed that should not have.

Two stacks side by side, each its own Redis and splitlined: the reference
gets only the legitimate steps (the Boston 2015 event, ~100 runners, reader
mats sending reads in several steps, officials' manual passings, check-ins,
a transfer at a desk, wave starts); the hostile stack (two nodes, A and B,
on one Redis) gets the same steps in the same order plus every attack.
After each attack both stacks have folded their logs and the hostile
stack's results CSV is byte for byte the reference's.  Every ack the
hostile stack gave for passings and check-ins is in a ledger: its log holds
each acked (kind, dev, seq..last) exactly once, no (kind, dev, seq) twice
and nothing that was not acked; at the end both logs hold the same records
(officials' own device names mapped, `rx` left out).

Cases (each fails on the code before issue 11):
 1. revocation: a failed hello (unknown token, another event, a token that
    is not a string) leaves a spectator that may not write and loses its
    desk topics; a revoke closes the node's sessions with 4001; a reader
    token and an admin token revoked on node A write nothing on node B at
    once (no grace second), and a revoked admin issues and revokes nothing;
 2. devices: device roles need a device, reserved names are refused, no
    token writes as another device (the old "batch at 2^62 under mat-5k"
    that made mat-5k's own batches duplicates), officials' own devices are
    numbered by the server (two officials interleaved: 1..3 each);
 3. passings and check-ins of one device have separate seq spaces;
 4. seqs bounded to 2^53-1, for passings and check-ins;
 5. wave starts and reads bounded to the years 2000..2100;
 6. /health says "down" all along while Redis is frozen (SIGSTOP);
 7. at the open-file limit the server pauses accepting instead of spinning;
 8. the front door: RFC 6455 framing errors close with 1002 (a good frame
    before the broken one answered first, also when both arrive in one TCP
    segment), oversized request lines and heads get 414/431, a long URL 404;
    formula-safe CSV cells (results export and `splitline audit`); topics a
    scanner may not follow.
Cases 6 and 7 run dedicated servers (6 with its own Redis, 7 under
`prlimit --nofile=80:120` on the hostile Redis); the rest run on the hostile
stack, and every case is followed by the comparison with the reference.

    python3 tests/integration/test_hostile.py
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import asyncio
import base64
import collections
import csv
import difflib
import hashlib
import io
import json
import os
import signal
import socket
import struct
import time

import boston
import harness
from harness import EVENT, RACE, Client, Proc, Server, TestFailure, check, log, wait_for

T0 = 1429538400000  # wave 1: 2015-04-20T10:00:00-04:00
SEQ_MAX = 2**53 - 1
T_MIN, T_MAX = 946684800000, 4133980800000  # 2000-01-01, 2101-01-01 (exclusive)
T_SCAN = 1429520000000  # check-ins on race morning
HYPER = '=HYPERLINK("http://x","y")'
HYPER_CSV = '"\'=HYPERLINK(""http://x"",""y"")"'


def own_device(token):
    return "official-" + hashlib.sha256(token.encode()).hexdigest()[:12]


def is_err(r, codes, what, words=()):
    codes = (codes,) if isinstance(codes, str) else codes
    check(r is not None and r.get("t") == "err" and r.get("code") in codes,
          f"{what}: expected err {'/'.join(codes)}, got {r}")
    msg = r.get("msg") or ""
    for w in words:
        check(w in msg, f"{what}: message {msg!r} does not say {w!r}")
    return r



async def next_closed(c, timeout=20):
    """Pushes until the connection ends; returns them."""
    out = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            m = await c.next_push(max(0.1, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            break
        if m is None:
            return out
        out.append(m)
    raise TestFailure(f"connection still open after {timeout}s (pushes {out[:3]})")


# ---------------------------------------------------------------- the two stacks

class Stack:
    """One Redis with its node(s), tokens, clients, and the ledger of acks."""

    def __init__(self, h, name, nodes):
        self.h, self.name = h, name
        self.redis = h.redis(name=f"redis-{name}")
        self.a = h.server(self.redis, name=f"{name}-a")
        self.b = h.server(self.redis, name=f"{name}-b") if nodes == 2 else self.a
        self.tok = {}      # label -> token
        self.cli = {}      # label -> Client
        self.devlabel = {}  # device name in the log -> label (officials' own differ)
        self.ledger = []   # (kind, dev, seq, last, dup) of every ack
        self.admin = None  # the deployment admin's session on node A

    @property
    def nodes(self):
        return [self.a] if self.b is self.a else [self.a, self.b]

    async def start(self, slice_csv, rows):
        self.h.create_event(self.a)
        self.h.import_boston(self.a, slice_csv)
        self.admin = await Client.connect(self.a, "msgpack")
        r = await self.admin.hello(self.h.admin_token)
        check(r.get("role") == "admin" and r.get("device") == "admin" and
              r.get("seqs") == "server",
              f"{self.name}: the deployment admin's hello: {r}, want device 'admin', "
              f"seqs 'server'")
        self.devlabel["admin"] = "admin"
        await self.admin.expect_ok({"t": "participants", "rows": rows})

    async def issue(self, role, device=None, via=None, **kw):
        m = {"t": "token_issue", "role": role, **kw}
        if device:
            m["device"] = device
        r = await (via or self.admin).expect_ok(m)
        check(isinstance(r.get("token"), str) and len(r["token"]) == 32,
              f"{self.name}: token_issue {role} {device}: {r}")
        return r["token"]

    async def session(self, label, node, token, fmt="msgpack", **want):
        c = await Client.connect(node, fmt)
        r = await c.hello(token)
        for k, v in want.items():
            check(r.get(k) == v, f"{self.name}: hello of {label}: {k} is {r.get(k)!r}, "
                                 f"want {v!r} ({r})")
        self.cli[label] = c
        return c, r

    async def write(self, c, msg, dup=False):
        """A write that must be acked; the ack goes to the ledger."""
        r = await c.request(msg)
        check(r.get("t") == "ack", f"{self.name}: {msg['t']} {msg.get('dev')} "
                                   f"seq {msg.get('seq')}: {r}")
        check(r.get("dup") is dup, f"{self.name}: {msg['t']} seq {msg.get('seq')}: "
                                   f"dup {r.get('dup')}, want {dup}: {r}")
        if "seq" in msg:
            n = len(msg.get("reads") or msg.get("scans"))
            check(r.get("seq") == msg["seq"] and r.get("last") == msg["seq"] + n - 1,
                  f"{self.name}: ack {r} for seq {msg['seq']} with {n} items")
        self.ledger.append((msg["t"], r["dev"], r["seq"], r["last"], r["dup"]))
        return r

    async def caught_up(self):
        for s in self.nodes:
            await s.wait_caught_up(120)

    def ntokens(self):
        return self.redis.cmd("HLEN", f"sl:{{{EVENT}}}:tok")

    async def close(self):
        for c in list(self.cli.values()) + [self.admin]:
            await c.close()


def device_records(redis):
    out = []
    for _, rec in redis.records():
        k = rec.get("k")
        if k in ("passings", "checkins"):
            n = len(rec["reads"] if k == "passings" else rec["scans"])
            out.append((k, rec["dev"], rec["seq"], rec["seq"] + n - 1))
    return out


def check_ledger(st, what):
    """The log holds every acked batch once, no seq twice, nothing unacked."""
    recs = device_records(st.redis)
    per_seq = collections.Counter()
    for k, d, s, l in recs:
        for q in range(s, l + 1):
            per_seq[(k, d, q)] += 1
    twice = [x for x, n in per_seq.items() if n > 1]
    check(not twice, f"{what}: {st.name} log holds (kind, dev, seq) more than once: {twice[:5]}")
    acked = collections.Counter((k, d, s, l) for k, d, s, l, dup in st.ledger if not dup)
    got = collections.Counter(recs)
    check(got == acked, f"{what}: {st.name} log vs acks: in the log but never acked "
                        f"{sorted((got - acked).elements())[:5]}; acked but not in the log "
                        f"{sorted((acked - got).elements())[:5]}")
    for k, d, s, l, dup in st.ledger:
        if dup:
            check(all(per_seq[(k, d, q)] == 1 for q in range(s, l + 1)),
                  f"{what}: {st.name} acked {k} {d} {s}..{l} as dup but the log lacks it")
    return len(recs)


def normalized_log(st):
    out = collections.Counter()
    for _, rec in st.redis.records():
        rec = dict(rec)
        rec.pop("rx", None)
        if "dev" in rec:
            rec["dev"] = st.devlabel.get(rec["dev"], rec["dev"])
        out[json.dumps(rec, sort_keys=True, default=repr)] += 1
    return out


# ---------------------------------------------------------------- raw sockets

def ws_raw(port, proto="splitline.v1.json"):
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Protocol: {proto}\r\n\r\n").encode())
    r = b""
    while b"\r\n\r\n" not in r:
        chunk = s.recv(4096)
        check(chunk, f"upgrade: connection closed after {r!r}")
        r += chunk
    head, rest = r.split(b"\r\n\r\n", 1)
    check(head.startswith(b"HTTP/1.1 101"), f"upgrade answered {head[:200]!r}")
    return s, rest


def frame(op, payload, mask=True):
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        hdr = bytes([0x80 | op, m | n])
    elif n < 65536:
        hdr = bytes([0x80 | op, m | 126]) + struct.pack(">H", n)
    else:
        hdr = bytes([0x80 | op, m | 127]) + struct.pack(">Q", n)
    if mask:
        k = os.urandom(4)
        hdr += k
        payload = bytes(c ^ k[i % 4] for i, c in enumerate(payload))
    return hdr + payload


def read_to_eof(s, buf=b"", timeout=20):
    """Everything the peer sends until it closes (ECONNRESET counts as the end)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TestFailure(f"the server kept the connection open {timeout}s; got {buf[:200]!r}")
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return buf, "reset"
        except socket.timeout:
            continue
        if not chunk:
            return buf, "eof"
        buf += chunk


def parse_frames(buf):
    out = []
    while len(buf) >= 2:
        op, n, i = buf[0] & 0x0f, buf[1] & 0x7f, 2
        check(not buf[1] & 0x80, f"the server sent a masked frame {buf[:20]!r}")
        if n == 126:
            n, i = struct.unpack(">H", buf[2:4])[0], 4
        elif n == 127:
            n, i = struct.unpack(">Q", buf[2:10])[0], 10
        if len(buf) < i + n:
            break
        out.append((op, buf[i:i + n]))
        buf = buf[i + n:]
    return out


def raw_http(port, data, timeout=20):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_to_eof(s, timeout=timeout)[0]
    finally:
        s.close()


# ---------------------------------------------------------------- the race

class World:
    """The race, both stacks, and the steps every case uses: `legit` sends a
    legitimate step to both stacks; `same` is the check after every case."""

    def __init__(self, h, runners):
        self.h, self.R = h, runners
        self.start = {r.bib: T0 + 20000 + 500 * i for i, r in enumerate(runners)}
        self.ref = Stack(h, "ref", 1)
        self.hos = Stack(h, "hostile", 2)
        self.stacks = (self.ref, self.hos)
        self.A, self.B = self.hos.a, self.hos.b
        self.watch = None  # the deployment admin on node A, following the audit trail
        self.attackers = []  # attack sessions left open, closed at the end

    def reads(self, runners, pt, col=None, kind=None):
        out = []
        for r in runners:
            t = self.start[r.bib]
            if col == "finish":
                t += r.time * 1000
            elif col:
                t += boston.hms(r.cells[col]) * 1000
            if kind:
                out.append({"bib": r.bib, "pt": pt, "t": t, "kind": kind})
            else:
                out.append({"chip": r.bib, "pt": pt, "t": t})
        return out

    async def same(self, what):
        """After a case: both stacks caught up, the exports byte for byte equal,
        the hostile log holding exactly what it acked."""
        for st in self.stacks:
            await st.caught_up()
        want = self.ref.a.export("csv")
        for s in self.hos.nodes:
            got = s.export("csv")
            if got != want:
                d = "\n".join(list(difflib.unified_diff(
                    want.decode().splitlines(), got.decode().splitlines(), "reference",
                    s.name, lineterm=""))[:40])
                check(False, f"after {what}: {s.name}'s results CSV differs from the "
                             f"reference's:\n{d}")
        check(self.hos.a.export("json") == self.ref.a.export("json"),
              f"after {what}: the JSON exports differ")
        n = check_ledger(self.hos, what)
        log(f"ok: {what}: exports identical ({len(want)} bytes); hostile log holds its "
            f"{n} acked device batches once each")

    async def legit(self, what, fn):
        for st in self.stacks:
            await fn(st)
        log(f"legit: {what}")

    def send(self, label, seq, items, t="passings"):
        """A legitimate batch of device `label` (its own session on each stack)."""
        async def fn(st):
            await st.write(st.cli[label], {"t": t, "dev": label, "seq": seq,
                                           ("reads" if t == "passings" else "scans"): items})
        return fn

    async def setup(self, slice_csv):
        # participants whose text cells a spreadsheet would run as formulas
        formula_rows = [
            {"bib": "99001", "name": HYPER, "club": "+1", "sex": "M", "age": 30},
            {"bib": "99002", "name": "Cell Test", "club": "@SUM(A1)", "sex": "F", "age": 31},
            {"bib": "99003", "name": "Minus Test", "club": "-2", "sex": "M", "age": 32},
            {"bib": "99004", "name": "At Test", "club": "@SUM(A1)", "sex": "F", "age": 34},
        ]
        for st in self.stacks:
            await st.start(slice_csv, formula_rows)
        # the legitimate devices, the same on both stacks (mat-half on node B)
        for st in self.stacks:
            for dev in ("mat-start", "mat-5k", "mat-half", "mat-fin", "mat-max"):
                st.tok[dev] = await st.issue("reader", dev)
            st.tok["desk-1"] = await st.issue("desk", "desk-1")
            st.tok["scan-big"] = await st.issue("scanner", "scan-big")
            st.tok["mix-1"] = await st.issue("official", "mix-1")
            for o in ("O1", "O2"):
                st.tok[o] = await st.issue("official")
                st.devlabel[own_device(st.tok[o])] = o
            for dev in ("mat-start", "mat-5k", "mat-fin", "mat-max"):
                await st.session(dev, st.a, st.tok[dev], role="reader", device=dev,
                                 seqs="device")
            await st.session("mat-half", st.b, st.tok["mat-half"], role="reader",
                             device="mat-half", seqs="device")
            await st.session("desk-1", st.a, st.tok["desk-1"], "json", role="desk",
                             device="desk-1", seqs="device")
            await st.session("scan-big", st.a, st.tok["scan-big"], role="scanner",
                             device="scan-big", seqs="device")
            await st.session("mix-1", st.a, st.tok["mix-1"], role="official", device="mix-1",
                             seqs="device")
            for o in ("O1", "O2"):
                await st.session(o, st.a, st.tok[o], "json", role="official",
                                 device=own_device(st.tok[o]), seqs="server")
        self.watch = await Client.connect(self.A, "json")
        await self.watch.hello(self.h.admin_token)
        await self.watch.expect_ok({"t": "subscribe", "topic": "audit"})
        await self.watch.drain(quiet=0.3)

    async def end(self):
        for st in self.stacks:
            check_ledger(st, "the end")
        nh, nr = normalized_log(self.hos), normalized_log(self.ref)
        check(nh == nr, f"the logs differ: only hostile {list((nh - nr).elements())[:3]}; "
                        f"only reference {list((nr - nh).elements())[:3]}")
        log(f"the two logs hold the same {sum(nr.values())} records")
        check(self.watch.closed is None, f"the admin watcher was closed: {self.watch.closed}")
        for c in [self.watch] + self.attackers:
            await c.close()
        for st in self.stacks:
            await st.close()
            for s in st.nodes:
                s.stop()


# ---------------------------------------------------------------- 1. revocation

async def case_1a(w):
    """A failed hello leaves a spectator, whatever the session was before."""
    hos, A, R = w.hos, w.A, w.R
    start2 = w.reads(R[50:], "start")
    rtok = await hos.issue("reader", "mat-start")  # a second token of the mat
    w.rtok = rtok
    ra, _ = await hos.session("attack-1a", A, rtok, "json", role="reader", device="mat-start")
    is_err(await ra.request({"t": "hello", "event": EVENT, "token": os.urandom(16).hex()}),
           "unauthorized", "1a: hello with an unknown token")
    is_err(await ra.request({"t": "passings", "dev": "mat-start", "seq": 51, "reads": start2}),
           "forbidden", "1a: passings after a failed hello", ["role 'spectator'", "passings"])
    is_err(await ra.request({"t": "passings", "seq": 51, "reads": start2}),
           "forbidden", "1a: passings without dev after a failed hello", ["spectator"])
    dtok = await hos.issue("desk", "desk-1")
    da, _ = await hos.session("attack-1a-desk", A, dtok, "json", role="desk", device="desk-1")
    await da.expect_ok({"t": "subscribe", "topic": "audit"})
    await da.expect_ok({"t": "subscribe", "topic": "scans/desk-1"})
    await da.drain(quiet=0.3)
    is_err(await da.request({"t": "hello", "event": "no-such-event", "token": dtok}),
           "not_found", "1a: desk's hello to another event")
    is_err(await da.request({"t": "subscribe", "topic": "audit"}), "forbidden",
           "1a: audit after a failed hello")
    is_err(await da.request({"t": "checkins", "dev": "desk-1", "seq": 1, "scans": [
        {"code": "99002", "t": T_SCAN, "volunteer": "x"}]}), "forbidden",
        "1a: checkins after a failed hello")
    stok = await hos.issue("scanner", "scan-big")
    sa, _ = await hos.session("attack-1a-scan", A, stok, "json", role="scanner")
    is_err(await sa.request({"t": "hello", "event": EVENT, "token": 12345}), "bad_request",
           "1a: hello with a token that is not a string", ["token"])
    is_err(await sa.request({"t": "checkins", "dev": "scan-big", "seq": 1, "scans": [
        {"code": R[0].bib, "t": T_SCAN, "volunteer": "x"}]}), "forbidden",
        "1a: scanner's checkins after a failed hello")
    w.attackers += [ra, da, sa]
    w.ex_desk = da
    await w.same("1a: failed hellos (unknown token, other event, token not a string)")


async def transfer_unseen(w):
    """The desk's transfer (an audit row with formula cells): the admin watching
    the trail gets it, the ex-desk session of 1a (its subscriptions dropped) not."""
    async def transfer(st):
        await st.write(st.cli["desk-1"], {"t": "checkins", "dev": "desk-1", "seq": 1, "scans": [
            {"code": "99002", "t": T_SCAN, "volunteer": "@SUM(A1)", "op": "transfer",
             "to": {"name": HYPER, "sex": "F", "age": 33}, "reason": "-2"}]})
    await w.legit("desk-1 transfers bib 99002 (seq 1)", transfer)
    while True:
        m = await w.watch.next_push(30)
        check(m is not None, "the admin watching the audit trail was disconnected")
        if m.get("topic") == "audit" and m.get("t") == "delta":
            break
    da = w.ex_desk
    await da.expect_ok({"t": "subscribe", "topic": "status"})  # a round trip after the delta
    leaked = [m for m in await da.drain(quiet=0.5) if m and m.get("topic") in
              ("audit", "scans/desk-1")]
    check(not leaked, f"1a: the ex-desk session still got {leaked}")
    log("1a: the ex-desk session got no audit delta (its subscriptions were dropped)")


async def case_1b(w):
    """A revoke on node A closes A's sessions holding the token with 4001."""
    hos, A = w.hos, w.A
    rb, _ = await hos.session("attack-1b", A, w.rtok, "msgpack", role="reader")
    n_tok = hos.ntokens()
    await hos.admin.expect_ok({"t": "token_revoke", "token": w.rtok})
    await next_closed(rb)
    check(rb.closed and rb.closed[0] == 4001 and "revoked" in (rb.closed[1] or ""),
          f"1b: session with the revoked token: closed {rb.closed}, want 4001 'token revoked'")
    check(hos.ntokens() == n_tok - 1, "1b: the revoke did not remove the token")
    c = await Client.connect(A, "json")
    is_err(await c.request({"t": "hello", "event": EVENT, "token": w.rtok}), "unauthorized",
           "1b: hello with the revoked token")
    is_err(await c.request({"t": "passings", "dev": "mat-start", "seq": 1000,
                            "reads": w.reads(w.R[:1], "start")}),
           "forbidden", "1b: passings after a hello with the revoked token")
    await c.close()
    check(hos.admin.closed is None, "1b: the admin's own session was closed")
    await w.same("1b: revoke on node A closes A's session with 4001")


async def case_1c(w):
    """A reader token revoked on node A writes nothing on node B, at once."""
    hos, B = w.hos, w.B
    half2 = w.reads(w.R[40:], "half", "Half")
    await hos.admin.expect_ok({"t": "token_revoke", "token": hos.tok["mat-half"]})
    hb = hos.cli["mat-half"]  # on node B; no pause after the revoke
    is_err(await hb.request({"t": "passings", "dev": "mat-half", "seq": 41, "reads": half2}),
           "unauthorized", "1c: passings on B right after the revoke on A",
           ["token revoked: nothing was written"])
    is_err(await hb.request({"t": "passings", "dev": "mat-half", "seq": 41, "reads": half2}),
           "forbidden", "1c: passings on B after the unauthorized write", ["spectator"])
    is_err(await hb.request({"t": "hello", "event": EVENT, "token": "f" * 32}),
           "unauthorized", "1c: hello with a bad token on B")
    is_err(await hb.request({"t": "passings", "dev": "mat-half", "seq": 41, "reads": half2}),
           "forbidden", "1c: passings on B after the failed hello", ["spectator"])
    check(hb.closed is None, "1c: node B closed the session (only the revoking node does)")
    await hb.close()
    hos.tok["mat-half"] = await hos.issue("reader", "mat-half")
    await hos.session("mat-half", B, hos.tok["mat-half"], role="reader", device="mat-half")
    await w.same("1c: reader token revoked on A refused at once on B")


async def case_1d(w):
    """An admin token revoked on node A issues, revokes and writes nothing on B."""
    hos, B = w.hos, w.B
    adm = await hos.issue("admin")
    s1, _ = await hos.session("adm-1", B, adm, "json", role="admin",
                              device="admin-" + hashlib.sha256(adm.encode()).hexdigest()[:12],
                              seqs="server")
    s2, _ = await hos.session("adm-2", B, adm, "msgpack", role="admin")
    s3, _ = await hos.session("adm-3", B, adm, "msgpack", role="admin")
    t_x = await hos.issue("reader", "mat-x", via=s1)  # works before the revoke
    cx, _ = await hos.session("mat-x", B, t_x, role="reader", device="mat-x")
    await hos.admin.expect_ok({"t": "token_revoke", "token": adm})
    n_tok = hos.ntokens()
    r = is_err(await s1.request({"t": "token_issue", "role": "admin"}), "unauthorized",
               "1d: token_issue by the revoked admin on B", ["token revoked"])
    check("token" not in r, f"1d: the refusal carries a token: {r}")
    check(hos.ntokens() == n_tok, f"1d: a token was stored ({n_tok} -> {hos.ntokens()})")
    is_err(await s1.request({"t": "token_issue", "role": "admin"}), "forbidden",
           "1d: token_issue again (now a spectator)")
    is_err(await s2.request({"t": "token_revoke", "token": hos.tok["mat-fin"]}),
           "unauthorized", "1d: token_revoke by the revoked admin on B")
    check(hos.ntokens() == n_tok, "1d: the revoked admin's revoke removed a token")
    is_err(await s3.request({"t": "passings", "reads": [
        {"chip": "ADM-X", "pt": "5k", "t": T0 + 10**6}]}), "unauthorized",
        "1d: passings by the revoked admin on B")
    is_err(await s3.request({"t": "participants", "rows": [
        {"bib": "99999", "name": "Ghost", "sex": "M", "age": 40}]}), "forbidden",
        "1d: participants by the ex-admin")
    for c in (s1, s2, s3, cx):
        await c.close()
    await w.same("1d: admin token revoked on A refused on B")


# ---------------------------------------------------------------- 2. devices

async def case_2(w):
    """Device roles need a device; reserved names; no token writes as another device."""
    hos, A = w.hos, w.A
    n_tok = hos.ntokens()
    for role in ("reader", "scanner", "desk"):
        is_err(await hos.admin.request({"t": "token_issue", "role": role}), "bad_request",
               f"2: a {role} token without a device", [f"device: required for a {role} token"])
    for dev in ("admin", "admin-1", "admin-" + "0" * 12, "official-abc",
                own_device(hos.tok["O1"])):
        is_err(await hos.admin.request({"t": "token_issue", "role": "reader", "device": dev}),
               "bad_request", f"2: a token for device {dev!r}", ["reserved"])
    # the device grammar (PROTOCOL.md "Names") at its edges: 64 and 65
    # characters, the characters it refuses, a dot file; a scanner's point is an id
    for dev, words in (("d" * 65, "1 to 64"), ("mat:5k", "letters, digits"),
                       (".journal", "not beginning with '.'"), ("../x", "letters, digits"),
                       ("a+b", "letters, digits"), ("a b", "letters, digits")):
        is_err(await hos.admin.request({"t": "token_issue", "role": "reader", "device": dev}),
               "bad_request", f"2: a token for device {dev!r}", ["device: expected", words])
    is_err(await hos.admin.request({"t": "token_issue", "role": "scanner", "device": "s-1",
                                    "point": "5k:a"}),
           "bad_request", "2: a scanner token for point '5k:a'", ["point: expected", "'+'"])
    check(hos.ntokens() == n_tok, "2: a refused token_issue stored a token")
    r = await hos.admin.request({"t": "token_issue", "role": "reader", "device": "D" * 64})
    check(r.get("t") == "ok", f"2: a token for a device of 64 characters: {r}")
    evil = await hos.issue("reader", "evil-1")
    ev, _ = await hos.session("evil-1", A, evil, "msgpack", role="reader", device="evil-1",
                              seqs="device")
    pad = [{"chip": "EVIL", "pt": "5k", "t": T0 + 10**6}]
    is_err(await ev.request({"t": "passings", "dev": "mat-5k", "seq": 2**62, "reads": pad}),
           ("forbidden", "bad_request"), "2: reader evil-1 writing as mat-5k at seq 2^62")
    for seq in (SEQ_MAX, 1):
        is_err(await ev.request({"t": "passings", "dev": "mat-5k", "seq": seq, "reads": pad}),
               "forbidden", f"2: reader evil-1 writing as mat-5k at seq {seq}",
               ["dev 'mat-5k' is not this token's device 'evil-1'"])
    edesk = await hos.issue("desk", "evil-desk")
    ed, _ = await hos.session("evil-desk", A, edesk, "json", role="desk")
    is_err(await ed.request({"t": "checkins", "dev": "desk-1", "seq": 2**52, "scans": [
        {"code": "99001", "t": T_SCAN, "volunteer": "x"}]}), "forbidden",
        "2: desk evil-desk writing as desk-1", ["not this token's device"])
    pad = [{"chip": "EVIL", "pt": "5k", "t": T0 + 10**6}]
    o1 = hos.cli["O1"]
    is_err(await o1.request({"t": "passings", "seq": 1, "reads": pad}), "bad_request",
           "2: an official's passings with a seq",
           ["seq: this device is numbered by the server: leave seq out"])
    is_err(await o1.request({"t": "passings", "dev": "mat-5k", "reads": pad}), "forbidden",
           "2: an official's passings as mat-5k", ["not this token's device"])
    is_err(await o1.request({"t": "passings", "dev": "mat-5k", "seq": 2**62, "reads": pad}),
           ("forbidden", "bad_request"), "2: an official's passings as mat-5k at seq 2^62")
    is_err(await o1.request({"t": "checkins", "seq": 1, "scans": [
        {"code": "99001", "t": T_SCAN, "volunteer": "x"}]}), "bad_request",
        "2: an official's checkins with a seq", ["seq"])
    is_err(await hos.admin.request({"t": "passings", "dev": "mat-5k", "seq": 2**62,
                                    "reads": pad}), ("forbidden", "bad_request"),
           "2: the deployment admin's passings as mat-5k at seq 2^62")
    is_err(await hos.admin.request({"t": "passings", "dev": "mat-5k", "reads": pad}),
           "forbidden", "2: the deployment admin's passings as mat-5k")
    await ev.close()
    await ed.close()
    check(hos.redis.cmd("HGET", f"sl:{{{EVENT}}}:dev", "mat-5k") is None,
          "2: mat-5k has a watermark before it sent anything")
    await w.same("2: writes in another device's name, reserved and missing devices")

    # the officials' own devices, numbered by the server: interleaved, 1..3 each
    manual = w.reads(w.R[-6:], "finish", "finish", kind="manual")

    async def officials(st):
        async def one(label, reads):
            acks = []
            for rd in reads:
                acks.append(await st.write(st.cli[label], {"t": "passings", "reads": [rd]}))
            return acks
        a1, a2 = await asyncio.gather(one("O1", manual[0::2]), one("O2", manual[1::2]))
        for label, acks in (("O1", a1), ("O2", a2)):
            dev = own_device(st.tok[label])
            got = [(a.get("dev"), a.get("seq"), a.get("last")) for a in acks]
            check(got == [(dev, i, i) for i in (1, 2, 3)],
                  f"2: {st.name} {label}'s acks {got}, want {dev} seqs 1, 2, 3")
        recs = [x for x in device_records(st.redis) if x[1] in
                (own_device(st.tok["O1"]), own_device(st.tok["O2"]))]
        check(len(recs) == 6, f"2: {st.name}: {len(recs)} officials' records of 6: {recs}")
    await w.legit("two officials, 3 manual finishes each, interleaved, server-numbered",
                  officials)
    await w.legit("mat-5k seq 1 (after the attacks: not a duplicate)",
                  w.send("mat-5k", 1, w.reads(w.R, "5k", "5K")))
    check(("passings", "mat-5k", 1, len(w.R)) in device_records(hos.redis),
          "2: mat-5k's batch seq 1 is not in the hostile log")
    await w.same("2: officials numbered by the server; mat-5k's seq 1 written")


# ---------------------------------------------------------------- 3. seq spaces

async def case_3(w):
    """Passings and check-ins of one device are numbered apart."""
    hos, R = w.hos, w.R
    mix_read = [{"bib": R[0].bib, "pt": "10k",
                 "t": w.start[R[0].bib] + boston.hms(R[0].cells["10K"]) * 1000,
                 "kind": "manual"}]
    mix_scan = [{"code": R[1].bib, "t": T_SCAN + 1000, "volunteer": "x"}]
    await w.legit("mix-1 passings seq 1", w.send("mix-1", 1, mix_read))
    await w.legit("mix-1 checkins seq 1", w.send("mix-1", 1, mix_scan, "checkins"))
    await hos.write(hos.cli["mix-1"], {"t": "passings", "dev": "mix-1", "seq": 1,
                                       "reads": mix_read}, dup=True)
    await hos.write(hos.cli["mix-1"], {"t": "checkins", "seq": 1, "scans": mix_scan}, dup=True)
    for st in w.stacks:
        await st.caught_up()
        snap = await harness.topic_snapshot(st.a, st.tok["mix-1"], "scans/mix-1")
        rows = snap.get("rows") or []
        check(len(rows) == 1 and rows[0].get("seq") == 1 and rows[0].get("ok") is True and
              rows[0].get("warning") is None and str(rows[0].get("bib")) == R[1].bib,
              f"3: {st.name} scans/mix-1: {rows}, want bib {R[1].bib} checked in")
        recs = [x for x in device_records(st.redis) if x[1] == "mix-1"]
        check(sorted(recs) == [("checkins", "mix-1", 1, 1), ("passings", "mix-1", 1, 1)],
              f"3: {st.name} mix-1 records {recs}")
    wm = [hos.redis.cmd("HGET", f"sl:{{{EVENT}}}:{k}", "mix-1") for k in ("dev", "devc")]
    check(wm == [b"1", b"1"], f"3: mix-1 watermarks (passings, checkins) {wm}, want 1 and 1")
    await w.same("3: passings and checkins of mix-1 in separate seq spaces")


# ---------------------------------------------------------------- 4. seq bounds

async def case_4(w):
    """Seqs up to 2^53-1, for passings and check-ins."""
    hos, A, R = w.hos, w.A, w.R
    max_read = [{"chip": "MAXSEQ", "pt": "5k", "t": T0 + 10**6}]
    await w.legit("mat-max seq 2^53-1 (its first batch)", w.send("mat-max", SEQ_MAX, max_read))
    await w.legit("scan-big checkins seq 2^53-1",
                  w.send("scan-big", SEQ_MAX, [{"code": R[2].bib, "t": T_SCAN + 2000,
                                                "volunteer": "x"}], "checkins"))
    mb = await hos.issue("reader", "mat-big")
    cb, _ = await hos.session("mat-big", A, mb, "msgpack", role="reader")
    two = max_read + [{"chip": "MAXSEQ2", "pt": "5k", "t": T0 + 10**6}]
    for c, dev, seq, reads in ((hos.cli["mat-max"], "mat-max", SEQ_MAX + 1, max_read),
                               (cb, "mat-big", SEQ_MAX, two),
                               (cb, "mat-big", 2**53, max_read),
                               (cb, "mat-big", 2**53 + 1, max_read),
                               (cb, "mat-big", 2**63 - 1, max_read),
                               (cb, "mat-big", 2**64 - 1, max_read),
                               (cb, "mat-big", 0, max_read),
                               (cb, "mat-big", -1, max_read)):
        is_err(await c.request({"t": "passings", "dev": dev, "seq": seq, "reads": reads}),
               "bad_request", f"4: {dev} passings seq {seq} with {len(reads)} reads", ["seq"])
    sb = await hos.issue("scanner", "scan-big2")
    cs, _ = await hos.session("scan-big2", A, sb, "msgpack", role="scanner")
    scan = [{"code": R[3].bib, "t": T_SCAN + 3000, "volunteer": "x"}]
    for c, dev, seq, scans in ((hos.cli["scan-big"], "scan-big", SEQ_MAX + 1, scan),
                               (cs, "scan-big2", SEQ_MAX, scan + scan),
                               (cs, "scan-big2", 2**53, scan),
                               (cs, "scan-big2", 2**53 + 1, scan),
                               (cs, "scan-big2", 2**63 - 1, scan),
                               (cs, "scan-big2", 2**64 - 1, scan),
                               (cs, "scan-big2", 0, scan)):
        is_err(await c.request({"t": "checkins", "dev": dev, "seq": seq, "scans": scans}),
               "bad_request", f"4: {dev} checkins seq {seq} with {len(scans)} scans", ["seq"])
    await cb.close()
    await cs.close()
    recs = device_records(hos.redis)
    check(recs.count(("passings", "mat-max", SEQ_MAX, SEQ_MAX)) == 1 and
          recs.count(("checkins", "scan-big", SEQ_MAX, SEQ_MAX)) == 1 and
          not [x for x in recs if x[1] in ("mat-big", "scan-big2")],
          f"4: the log's records of the devices at the bound: "
          f"{[x for x in recs if x[1] in ('mat-max', 'mat-big', 'scan-big', 'scan-big2')]}")
    wm = hos.redis.cmd("HGET", f"sl:{{{EVENT}}}:dev", "mat-max")
    check(wm == str(SEQ_MAX).encode(), f"4: mat-max's watermark {wm!r}, want {SEQ_MAX}")
    await w.same("4: seqs bounded to 2^53-1 (passings and checkins)")


# ---------------------------------------------------------------- 5. times

async def case_5(w):
    """Wave starts and reads within the years 2000..2100."""
    hos = w.hos
    n_waves = sum(1 for _, r in hos.redis.records() if r.get("k") == "wave_start")
    for t0 in (-1, 0, 2**63 - 1, T_MAX, T_MIN - 1):
        is_err(await hos.admin.request({"t": "wave_start", "race": RACE, "wave": "1",
                                        "t0": t0}), "bad_request", f"5: wave_start t0 {t0}",
               ["t0", "is not a time in the years 2000 to 2100"])
    is_err(await hos.cli["O1"].request({"t": "wave_start", "race": RACE, "wave": "1",
                                        "t0": -1}), "bad_request", "5: an official's t0 -1")
    check(sum(1 for _, r in hos.redis.records() if r.get("k") == "wave_start") == n_waves,
          "5: a refused wave_start is in the log")
    await w.same("5: wave_start t0 outside 2000..2100 refused")

    async def waves(st):
        for t0 in (T_MIN, T0):
            await st.admin.expect_ok({"t": "wave_start", "race": RACE, "wave": "1", "t0": t0})
    await w.legit("wave 1 started at 2000-01-01, then at its real time", waves)
    fin2 = w.reads(w.R[30:-6], "finish", "finish")
    for t in (-1, 0, T_MAX, 2**63 - 1):
        is_err(await hos.cli["mat-fin"].request({"t": "passings", "dev": "mat-fin", "seq": 31,
                                                 "reads": [dict(fin2[0], t=t)] + fin2[1:]}),
               "bad_request", f"5: a read at t={t}", ["reads[0].t", "2000 to 2100"])
    await w.same("5: reads outside 2000..2100 refused; the lower bound accepted")


# ---------------------------------------------------------------- 6. frozen Redis

async def frozen_redis(w):
    """/health says down from within 1 s + the command timeout of a SIGSTOP, and stays so."""
    h = w.h
    redis = h.redis(name="redis-frozen")
    srv = h.server(redis, name="server-frozen", extra=("--redis-timeout-ms", "1000"))
    await wait_for(lambda: (srv.health() or {}).get("redis") == "up", "6: /health up at start")
    polls = []
    redis.proc.signal(signal.SIGSTOP)
    try:
        t_stop = time.monotonic()
        first_down = None
        while True:
            t = time.monotonic() - t_stop
            hl = srv.health()
            check(hl is not None, "6: /health does not answer while Redis is frozen")
            polls.append((round(t, 2), hl.get("redis"), hl.get("ok")))
            if first_down is None:
                if hl.get("redis") == "down":
                    check(hl.get("ok") is False, f"6: redis down but ok {hl.get('ok')}")
                    first_down = t
                else:
                    check(t < 3.5, f"6: /health still says up {t:.1f}s after SIGSTOP "
                                   f"(--redis-timeout-ms 1000): {polls}")
            elif t > first_down + 4.0:
                break
            await asyncio.sleep(0.2)
        ups = [p for p in polls if p[0] >= first_down and (p[1] != "down" or p[2] is not False)]
        check(not ups, f"6: /health flipped back to up while Redis was frozen: {ups} of "
                       f"{polls}")
    finally:
        redis.proc.signal(signal.SIGCONT)
    n = len([p for p in polls if p[0] >= first_down])
    t_cont = time.monotonic()
    await wait_for(lambda: (srv.health() or {}).get("redis") == "up", "6: /health up after SIGCONT",
                timeout=15, every=0.2)
    hl = srv.health()
    check(hl.get("ok") is True, f"6: after SIGCONT: {hl}")
    log(f"6: frozen Redis: down after {first_down:.1f}s, then down in all {n} polls over 4s; "
        f"up again {time.monotonic() - t_cont:.1f}s after SIGCONT")
    srv.stop()
    redis.stop()


# ---------------------------------------------------------------- 7. open files

def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def open_files(w):
    """At the open-file limit: accepting paused, no spinning, and back after."""
    h, hos, ref = w.h, w.hos, w.ref
    srv = Server(h, hos.redis, name="server-nofile")
    argv = ["prlimit", "--nofile=80:120", "--", h.paths.server, "--event", EVENT,
            "--listen", "127.0.0.1", "--port", srv.port, "--redis", hos.redis.addr,
            "--admin-token-file", h.admin_token_file, "--log-level", "info"]
    srv.proc = Proc(h, srv.name, argv)
    srv.wait_health(120)
    with open(f"/proc/{srv.proc.pid}/comm") as f:
        comm = f.read().strip()
    check(comm.startswith("splitlined"), f"7: pid {srv.proc.pid} is {comm!r}, not splitlined")
    await srv.wait_caught_up(120)
    hl = srv.health()
    check(hl.get("open_files_limit") == 120 and hl.get("accepting") is True,
          f"7: /health under a 80:120 limit: {hl}, want open_files_limit 120, accepting true")
    check(srv.export("csv") == ref.a.export("csv"), "7: the export differs before the flood")

    flood = []
    try:
        for _ in range(300):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", srv.port))
            flood.append(s)
        for s in flood:  # a head that never ends
            try:
                s.send(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            except (BlockingIOError, OSError):
                pass
        await wait_for(lambda: "cannot accept connections" in srv.proc.log_text(),
                    "7: the server never ran out of descriptors", timeout=60)
        c0, t0 = cpu_s(srv.proc.pid), time.monotonic()
        await asyncio.sleep(3.0)  # the measurement window
        used, dt = cpu_s(srv.proc.pid) - c0, time.monotonic() - t0
        check(used < 0.5, f"7: the server used {used:.2f}s of CPU in {dt:.1f}s at the "
                          f"open-file limit with 300 connections waiting (spinning?)")
        check(srv.proc.alive(), "7: the server died under the flood")
        n_flood = srv.proc.log_text().count("cannot accept connections")
    finally:
        for s in flood:
            s.close()
    t_close = time.monotonic()

    def back():
        st, body = srv.get("/health", timeout=5)
        if st != 200:
            return None
        hl = json.loads(body)
        return hl if hl.get("accepting") is True else None
    hl = await wait_for(back, "7: /health 200 with accepting true after the flood", timeout=10,
                     every=0.2)
    txt = srv.proc.log_text()
    n = txt.count("cannot accept connections")
    check("pausing" in txt, "7: the log does not say it is pausing")
    log(f"7: open-file limit {hl['open_files_limit']}; 300 connections: {used:.2f}s CPU in "
        f"{dt:.1f}s; healthy {time.monotonic() - t_close:.1f}s after the flood closed; "
        f"'cannot accept connections' logged {n_flood} time(s) during the flood, {n} in all")
    check(srv.export("csv") == ref.a.export("csv"), "7: the export differs after the flood")
    srv.stop()


# ---------------------------------------------------------------- 8. front door

def ws_case(port, good, bad, what, apart):
    """A good frame (its reply awaited first when apart), then a broken one:
    the good one's reply, then a close frame 1002, then the end."""
    s, buf = ws_raw(port)
    try:
        if good and apart:
            s.sendall(good)
            deadline = time.monotonic() + 20
            while not parse_frames(buf):
                check(time.monotonic() < deadline, f"8: {what}: no reply to the good frame")
                s.settimeout(max(0.1, deadline - time.monotonic()))
                chunk = s.recv(4096)
                check(chunk, f"8: {what}: closed before the reply to the good frame")
                buf += chunk
            s.sendall(bad)
        else:
            s.sendall(good + bad)  # one write: one TCP segment on loopback
        buf, how = read_to_eof(s, buf)
    finally:
        s.close()
    frames = parse_frames(buf)
    if good:
        check(frames and frames[0][0] == 1 and json.loads(frames[0][1]).get("t") == "ok",
              f"8: {what}: the good frame before the broken one got no reply; the server "
              f"sent {frames}")
        frames = frames[1:]
    check(frames and frames[-1][0] == 8 and len(frames[-1][1]) >= 2,
          f"8: {what}: no close frame; got {frames} ({how})")
    code = struct.unpack(">H", frames[-1][1][:2])[0]
    reason = frames[-1][1][2:].decode("utf-8", "replace")
    check(code == 1002, f"8: {what}: close code {code} ({reason!r}), want 1002")
    check(buf[-len(frames[-1][1]) - 2:][:2] == bytes([0x88, len(frames[-1][1])]),
          f"8: {what}: the close frame is not 0x88 len ...: {buf[-40:]!r}")
    return reason


async def front_door(w):
    """Broken frames close with 1002; 414, 431, and 404 for a long URL."""
    srv = w.A
    port = srv.port
    hello = frame(1, json.dumps({"t": "hello", "id": 1, "event": EVENT}).encode())
    bad = [
        ("an unmasked text frame", frame(1, b'{"t":"hello","id":2}', mask=False)),
        ("a ping with 126 bytes", frame(9, b"p" * 126)),
        ("a 64-bit length with its top bit set",
         bytes([0x82, 0x80 | 127]) + struct.pack(">Q", (1 << 63) | 5) + os.urandom(4) + b"abcde"),
    ]
    for what, b in bad:
        reason = ws_case(port, b"", b, what + " first", True)
        ws_case(port, hello, b, what + " after a good frame", True)
        log(f"8: {what}: close 1002 ({reason!r}); a good frame before it answered first")
    for what, b in bad:
        ws_case(port, hello, b, what + " in the same TCP segment as a good frame", False)
    log("8: ... also when the good frame and the broken one arrive in one segment")

    r = raw_http(port, b"GET /" + b"a" * 9000)
    check(r.startswith(b"HTTP/1.1 414"), f"8: a 9000-byte request line answered {r[:100]!r}")
    r = raw_http(port, b"GET /health HTTP/1.1\r\nHost: x\r\nCookie: c=" + b"a" * 16500 + b"\r\n")
    check(r.startswith(b"HTTP/1.1 431"), f"8: a 16.5 KB head answered {r[:100]!r}")
    st, body = srv.get("/" + "u" * 1024)
    check(st == 404, f"8: a 1 KB URL answered {st}, want 404: {body[:100]!r}")
    st, body = srv.get("/api/results/" + "r" * 1024 + ".csv")
    check(st == 404, f"8: a 1 KB results URL answered {st}, want 404: {body[:100]!r}")
    hl = srv.health()
    check(hl and hl.get("ok") is True, f"8: /health after the front door cases: {hl}")
    log("8: 414 for a long request line, 431 for a long head, 404 for a 1 KB URL; healthy")


async def csv_cells(w):
    """Formula cells quoted after a ' in CSV (results, audit), as sent in JSON."""
    h, srv, ref = w.h, w.A, w.ref
    body = srv.export("csv")
    check(body == ref.a.export("csv"), "8: CSV exports differ")
    text = body.decode()
    for cell in (HYPER_CSV, '"\'+1"', '"\'@SUM(A1)"', '"\'-2"'):
        check(cell in text, f"8: the results CSV lacks the cell {cell}")
    rows = {r["bib"]: r for r in csv.DictReader(io.StringIO(text))}
    bibs = ("99001", "99002", "99003", "99004")
    check(rows["99001"]["name"] == "'" + HYPER and rows["99001"]["club"] == "'+1" and
          rows["99002"]["name"] == "'" + HYPER and  # transferred to that name at the desk
          rows["99003"]["club"] == "'-2" and rows["99003"]["name"] == "Minus Test" and
          rows["99004"]["club"] == "'@SUM(A1)",
          f"8: CSV rows {[rows[b] for b in bibs]}")
    js = {str(r["bib"]): r for r in srv.export_rows_json()}
    check(js["99001"]["name"] == HYPER and js["99001"]["club"] == "+1" and
          js["99002"]["name"] == HYPER and js["99003"]["club"] == "-2" and
          js["99004"]["club"] == "@SUM(A1)",
          f"8: the JSON export changed the text: {[js[b] for b in bibs]}")
    r = h.ctl(srv, ["audit", "--format", "csv"])
    lines = list(csv.DictReader(io.StringIO(r.stdout)))
    tr = [x for x in lines if x.get("op") == "transfer"]
    check(len(tr) == 1 and tr[0]["bib"] == "99002" and tr[0]["by"] == "'@SUM(A1)" and
          tr[0]["reason"] == "'-2" and tr[0]["to"] == "'" + HYPER and
          tr[0]["from"] == "Cell Test", f"8: splitline audit --format csv: {lines}")
    check(HYPER_CSV in r.stdout, f"8: the audit CSV lacks {HYPER_CSV}: {r.stdout}")
    log("8: formula cells quoted after a ' in the results CSV and the audit CSV; JSON as sent")


async def topics(w):
    """A scanner follows its own scans only; a desk the audit trail."""
    hos = w.hos
    t = await hos.issue("scanner", "scan-1")
    c, r = await hos.session("scan-1", hos.a, t, "json", role="scanner", device="scan-1")
    check("point" not in r, f"8: scanner without a point: {r}")
    is_err(await c.request({"t": "subscribe", "topic": "audit"}), "forbidden",
           "8: a scanner subscribing audit")
    is_err(await c.request({"t": "subscribe", "topic": "scans/desk-1"}), "forbidden",
           "8: a scanner subscribing another device's scans")
    await c.expect_ok({"t": "subscribe", "topic": "scans/scan-1"})
    rd = hos.cli["mat-fin"]
    is_err(await rd.request({"t": "subscribe", "topic": "audit"}), "forbidden",
           "8: a reader subscribing audit")
    is_err(await rd.request({"t": "subscribe", "topic": "scans/scan-1"}), "forbidden",
           "8: a reader subscribing another device's scans")
    await hos.cli["desk-1"].expect_ok({"t": "subscribe", "topic": "audit"})
    await hos.cli["desk-1"].expect_ok({"t": "subscribe", "topic": "scans/scan-1"})
    log("8: a scanner may follow its own scans only; a desk the audit trail and any scans")


# ---------------------------------------------------------------- the script

async def body(h):
    sl = boston.write_slice(h.paths.boston_csv, h.path("slice.csv"), 100)
    R = [r for r in boston.load(sl) if r.bib.isdigit() and int(r.bib) < 9000 and r.time
         and all(boston.hms(r.cells[c]) is not None for c in ("5K", "10K", "Half"))]
    check(len(R) >= 80, f"only {len(R)} usable wave-1 runners in the slice")
    w = World(h, R)
    await w.setup(sl)
    t0 = time.monotonic()
    await w.legit("mat-start seq 1..50", w.send("mat-start", 1, w.reads(R[:50], "start")))
    await w.same("setup")
    await case_1a(w)
    await transfer_unseen(w)
    await w.legit("mat-start seq 51..", w.send("mat-start", 51, w.reads(R[50:], "start")))
    await case_1b(w)
    await w.legit("mat-half seq 1..40 (hostile: on node B)",
                  w.send("mat-half", 1, w.reads(R[:40], "half", "Half")))
    await case_1c(w)
    await w.legit("mat-half seq 41.. (hostile: a new token, node B)",
                  w.send("mat-half", 41, w.reads(R[40:], "half", "Half")))
    await case_1d(w)
    await w.legit("mat-fin seq 1..30 (its token survived the revoked admin's revoke)",
                  w.send("mat-fin", 1, w.reads(R[:30], "finish", "finish")))
    await case_2(w)
    await case_3(w)
    await case_4(w)
    await case_5(w)
    await w.legit("mat-fin seq 31..", w.send("mat-fin", 31, w.reads(R[30:-6], "finish", "finish")))
    await w.same("legit: the last finishes")
    log(f"cases 1 to 5 took {time.monotonic() - t0:.1f}s")
    await frozen_redis(w)
    await open_files(w)
    await front_door(w)
    await w.same("8: broken frames, oversized heads, a long URL")
    await csv_cells(w)
    await topics(w)
    await w.same("8: topics")
    await w.end()


if __name__ == "__main__":
    harness.run("hostile", body)
