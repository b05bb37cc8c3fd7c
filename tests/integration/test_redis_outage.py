"""redis_outage: Redis dies for 5 s in the middle of a replay.

The server must stay up and say so (/health answers, `redis` goes from up to
down and back), refuse what it cannot make durable (`unavailable`) so the
replay resends, reconnect to the restarted Redis (same dir, same AOF), and
end with the same export as an uninterrupted run.  Redis stays down 5 s and
until the replay has had a batch refused (its log says so), so the outage
certainly met traffic; the replay must then say it repeated a batch send.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import asyncio
import os
import re
import time

import boston
import harness
from harness import check, log

DEV = "replay-o"
# What the server answers a write while its Redis is gone: `unavailable`
# (a batch already sent to Redis when it died may come back `timeout`; that
# alone does not prove the server noticed the outage).
REFUSED = re.compile(r"batch seq \d+: unavailable")


async def main(h):
    redis = h.redis()
    r = await boston.replay_mid(h, redis, h.args.runners, DEV)
    srv, rp, t0, expected, ref = r.srv, r.rp, r.t0, r.expected, r.ref
    mark = os.path.getsize(rp.log_path)
    redis.kill()
    log(f"killed redis {time.monotonic() - t0:.1f}s into the replay")

    def refused():
        with open(rp.log_path, "rb") as f:
            f.seek(mark)
            return REFUSED.search(f.read().decode("utf-8", "replace"))

    # down 5 s, and until the replay has had a batch refused as unavailable
    seen_down, answers, t1, why = False, 0, time.monotonic(), None
    while time.monotonic() - t1 < 5 or not why:
        st = srv.health()
        check(st is not None, "/health does not answer while Redis is down")
        check(srv.proc.alive(), "the server died with Redis")
        check(rp.alive(), f"the replay ended while Redis was down: {rp.out_text()[-500:]}")
        check(time.monotonic() - t1 < 60, "no batch of the replay answered `unavailable` in 60 s "
              "without Redis")
        answers += 1
        if st.get("redis") not in ("up", None):
            seen_down = True
        why = why or refused()
        await asyncio.sleep(0.2)
    check(seen_down, f"/health never reported redis down during 5 s ({answers} answers)")
    log(f"/health answered {answers} times while Redis was down ({time.monotonic() - t1:.1f} s),"
        f" and said so; the replay was refused: {why.group(0)}")

    redis.start()
    log("redis restarted from its AOF")
    deadline = time.monotonic() + 120
    while True:
        st = srv.health()
        if st and st.get("redis") == "up":
            break
        check(time.monotonic() < deadline, f"/health still says {st} 120 s after Redis came back")
        await asyncio.sleep(0.1)

    summary, err, resent = await boston.replay_end(r)
    check(resent > 0, f"the replay repeated no batch send, though one was "
          f"refused:\n{err[-1500:]}")
    await srv.wait_caught_up()
    boston.check_log_complete(redis, DEV, expected)
    got = srv.export("csv")
    check(got == ref, "export after the outage differs from the uninterrupted run: "
          + boston.diff_hint(ref, got))
    log("export equals the uninterrupted run, byte for byte")
    srv.stop()


def args(ap):
    ap.add_argument("--runners", type=int, default=2000)


if __name__ == "__main__":
    harness.run("redis_outage", main, args)
