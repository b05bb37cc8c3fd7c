"""idempotency: a batch of reads counts once, however often it is sent.

A reader device sends batches over msgpack as the protocol says: `dev`,
`seq` of the first read, `reads`.  Sending a batch twice gets `dup:true` the
second time and changes nothing (the log, the export).  A batch whose
connection drops after it was appended but before its ack reached the
device (the test stops reading, waits until the batch is in the log, then
aborts the connection: the lost ack is certain, not a race) is sent again
on a new connection: acked with dup:true, in the log once.  A resend cut at
other boundaries (overlapping what was appended) writes only its new
reads: the log holds each seq once.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import asyncio

import boston
import harness
from harness import Client, check, log

T0 = 1429538400000  # wave 1: 2015-04-20T10:00:00-04:00
DEV = "dev-b"


def count_seq(redis, dev, seq):
    return sum(1 for _, rec in redis.records()
               if rec.get("k") == "passings" and rec.get("dev") == dev and rec.get("seq") == seq)


async def main(h):
    redis = h.redis()
    runners, srv, token = boston.wave1_event(h, redis, DEV)

    start = {r.bib: T0 + 20000 + 1000 * i for i, r in enumerate(runners)}
    batch_a = [{"chip": r.bib, "pt": "start", "t": start[r.bib], "kind": "rfid"} for r in runners]
    batch_a += [{"chip": r.bib, "pt": "5k", "t": start[r.bib] + boston.hms(r.cells["5K"]) * 1000}
                for r in runners]
    fin = [r for r in runners[:5]]
    batch_b = [{"chip": r.bib, "pt": "finish", "t": start[r.bib] + r.time * 1000} for r in fin]
    seq_a, seq_b = 1, 1 + len(batch_a)

    c = await Client.connect(srv, "msgpack")
    await c.hello(token)
    ack = await c.expect_ok({"t": "passings", "dev": DEV, "seq": seq_a, "reads": batch_a})
    check(ack.get("t") == "ack" and ack.get("dup") is False
          and ack.get("last") == seq_a + len(batch_a) - 1,
          f"first send of batch A: {ack}")
    await srv.wait_caught_up()
    xlen1, e1 = redis.xlen(), srv.export("csv")

    # The same batch again: acknowledged as a duplicate, nothing written.
    ack = await c.expect_ok({"t": "passings", "dev": DEV, "seq": seq_a, "reads": batch_a})
    check(ack.get("t") == "ack" and ack.get("dup") is True
          and ack.get("last") == seq_a + len(batch_a) - 1, f"second send of batch A: {ack}")
    await srv.wait_caught_up()
    check(redis.xlen() == xlen1, f"the log grew from {xlen1} to {redis.xlen()} on a duplicate")
    check(srv.export("csv") == e1, "the export changed after a duplicate batch")
    check(count_seq(redis, DEV, seq_a) == 1, "batch A is in the log more than once")
    log("duplicate batch A: dup:true, log and export unchanged")

    # Batch B appended, then the connection drops before its ack is read:
    # nothing is read any more, and the connection is cut once B is in the
    # log (whether the first copy reaches Redis is not left to chance).
    c.ws.transport.pause_reading()
    await c.send({"t": "passings", "id": 99, "dev": DEV, "seq": seq_b, "reads": batch_b})
    for _ in range(600):
        if count_seq(redis, DEV, seq_b):
            break
        await asyncio.sleep(0.1)
    check(count_seq(redis, DEV, seq_b) == 1, "batch B was not appended within 60 s")
    c.ws.transport.abort()
    await c.close()
    log("batch B appended, the connection cut before its ack was read")

    c = await Client.connect(srv, "json")  # the device may come back over either format
    await c.hello(token)
    ack = await c.expect_ok({"t": "passings", "dev": DEV, "seq": seq_b, "reads": batch_b})
    check(ack.get("t") == "ack" and ack.get("last") == seq_b + len(batch_b) - 1,
          f"resend of batch B: {ack}")
    check(ack.get("dup") is True, f"resend of batch B, appended before: dup {ack.get('dup')}")
    await srv.wait_caught_up()
    check(count_seq(redis, DEV, seq_b) == 1,
          f"batch B is in the log {count_seq(redis, DEV, seq_b)} times")
    check(redis.xlen() == xlen1 + 1, f"log length {redis.xlen()}, expected {xlen1 + 1}")
    e3 = srv.export("csv")
    rows = {str(r["bib"]): r for r in srv.export_rows_json()}
    for r in fin:
        row = rows[r.bib]
        check(row.get("status") == "finished" and row.get("net") == r.time * 1000,
              f"bib {r.bib} after batch B: {row}")

    # And once more: still once.
    ack = await c.expect_ok({"t": "passings", "dev": DEV, "seq": seq_b, "reads": batch_b})
    check(ack.get("dup") is True, f"third send of batch B: {ack}")
    await srv.wait_caught_up()
    check(srv.export("csv") == e3 and redis.xlen() == xlen1 + 1,
          "a duplicate of batch B changed the log or the export")
    wm = redis.cmd("HGET", f"sl:{{{harness.EVENT}}}:dev", DEV)
    check(wm is not None and int(wm) == seq_b + len(batch_b) - 1,
          f"device watermark {wm!r}, expected {seq_b + len(batch_b) - 1}")
    log("batch B counted once after a dropped connection")

    # A resend cut at other boundaries: the last two reads of batch B again
    # with two new ones.  Acknowledged; only the new reads are written.
    fin2 = runners[5:7]
    seq_c = seq_b + len(batch_b) - 2
    batch_c = batch_b[-2:] + [{"chip": r.bib, "pt": "finish",
                               "t": start[r.bib] + r.time * 1000} for r in fin2]
    ack = await c.expect_ok({"t": "passings", "dev": DEV, "seq": seq_c, "reads": batch_c})
    check(ack.get("dup") is False and ack.get("last") == seq_c + len(batch_c) - 1,
          f"overlapping batch C: {ack}")
    await srv.wait_caught_up()
    check(redis.xlen() == xlen1 + 2, f"log length {redis.xlen()}, expected {xlen1 + 2}")
    last_rec = redis.records()[-1][1]
    check(last_rec.get("seq") == seq_b + len(batch_b) and len(last_rec.get("reads")) == 2 and
          [x["chip"] for x in last_rec["reads"]] == [r.bib for r in fin2],
          f"overlapping batch C was written as seq {last_rec.get('seq')} with "
          f"{len(last_rec.get('reads') or [])} reads, want seq {seq_b + len(batch_b)} with 2")
    seqs = []
    for _, rec in redis.records():
        if rec.get("k") == "passings" and rec.get("dev") == DEV:
            seqs += range(rec["seq"], rec["seq"] + len(rec["reads"]))
    check(seqs == list(range(1, seq_c + len(batch_c))),
          f"the log holds seqs {seqs[:5]}..{seqs[-5:]} ({len(seqs)}): each once, in order?")
    rows = {str(r["bib"]): r for r in srv.export_rows_json()}
    for r in fin2:
        check(rows[r.bib].get("net") == r.time * 1000, f"bib {r.bib} after batch C: {rows[r.bib]}")
    await c.close()
    log("overlapping batch C: only its new reads written, each (device, seq) once in the log")
    srv.stop()


if __name__ == "__main__":
    harness.run("idempotency", main)
