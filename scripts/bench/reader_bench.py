#!/usr/bin/env python3
"""reader_bench: raw reads/s one splitline-reader accepts and forwards, journal on.

Starts a fresh Redis (scripts/redis.conf: appendonly, fsync always) and
splitlined with the Chicago 2023 event (no participants: every chip is an
unknown tag, which costs the server the same), then one splitline-reader
(--protocol P, its journal in a temporary directory on the same disk) and
one splitline-emu on mat --mat of the whole Chicago field at --speed 0: the
emulated decoder writes every read as fast as the socket takes it.

It polls the journal files every 5 ms and prints:
  accepted/s   raw reads journalled (raw.jrn appended and fdatasynced: the
               reader syncs before it acks or forwards) per second, from the
               first raw read in the journal to the last
  passings/s   passings made by the filter and journalled (pass.jrn)
  acked/s      passings forwarded to the server and acknowledged (the
               `acked` file), from the first raw read journalled to the last ack
and, as references measured in the same run on the same directory:
  fdatasync/s        one small append + fdatasync at a time
  write+sync MB/s    the raw journal's bytes written in 64 KiB chunks, each
                     chunk fdatasynced (what the reader does per input chunk)
A benchmark prints numbers; it asserts nothing.

    python3 scripts/bench/reader_bench.py [--protocol jchip] [--mat 10K] [--limit N]
        [--reader PATH --emu PATH --server PATH --ctl PATH]

Binaries default to build/release (cmake -S . -B build/release
-DCMAKE_BUILD_TYPE=Release && cmake --build build/release).
"""

import asyncio
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402
from harness import Proc, Server  # noqa: E402

EVENT = "chicago-2023"


def release_bin(name, subs):
    for sub in subs:
        p = os.path.join(ROOT, "build", "release", sub, name)
        if os.access(p, os.X_OK):
            return p
    return None


def extra_args(ap):
    ap.add_argument("--emu", default=release_bin("splitline-emu", ["clients/emu", "clients"]))
    ap.add_argument("--reader",
                    default=release_bin("splitline-reader", ["clients/reader", "clients"]))
    ap.add_argument("--protocol", default="jchip",
                    choices=["jchip", "chronotrack", "mylaps", "raceresult"])
    ap.add_argument("--mat", default="10K")
    ap.add_argument("--limit", type=int, default=None, help="the first N runners only")


def fsize(p):
    try:
        return os.path.getsize(p)
    except OSError:
        return 0


def acked(p):
    try:
        with open(p) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def disk_reference(d, total_bytes):
    """(small fdatasyncs/s, MB/s of 64 KiB chunks each fdatasynced)."""
    p = os.path.join(d, "ref.bin")
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    rec = b"x" * 72
    n = 300
    t0 = time.perf_counter()
    for _ in range(n):
        os.write(fd, rec)
        os.fdatasync(fd)
    syncs = n / (time.perf_counter() - t0)
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, 0)
    chunk = b"y" * 65536
    left = total_bytes
    t0 = time.perf_counter()
    while left > 0:
        os.write(fd, chunk if left >= len(chunk) else chunk[:left])
        os.fdatasync(fd)
        left -= len(chunk)
    mbs = total_bytes / 1e6 / (time.perf_counter() - t0)
    os.close(fd)
    os.unlink(p)
    return syncs, mbs


async def main(h):
    a = h.args
    data = os.path.join(h.paths.data, "chicago-2023-mats.csv")
    yaml = os.path.join(h.paths.source, "scripts", "demo", "chicago-2023.yaml")
    redis = h.redis()
    srv = Server(h, redis, event=EVENT).start()
    h.create_event(srv, yaml)
    tok = h.issue_token(srv, "reader", "reader-bench")
    jdir = h.path("jrn")
    port = harness.free_port()
    argv = [a.reader, "--protocol", a.protocol, "--point", "10k", "--device", "reader-bench",
            "--journal", jdir, "--server", srv.ws_url, "--event", EVENT, "--token", tok,
            "--date", "2023-10-08", "--utc-offset", "-05:00", "--no-clock-fix",
            "--status-every", "0"]
    # RaceResult: the reads are fetched by number after the handshake: the
    # emulator must stay up until they are
    eargv = [a.emu, "--protocol", a.protocol, "--mat", a.mat, "--data", data, "--speed", "0",
             "--linger-ms", "5000" if a.protocol == "raceresult" else "0", "--seed", "7"]
    if a.limit:
        eargv += ["--limit", a.limit]
    if a.protocol == "raceresult":
        eargv += ["--port", port]
        argv += ["--decoder", f"127.0.0.1:{port}"]
        emu = Proc(h, "emu", eargv, stdout_file=h.path("emu.out"))
        await asyncio.sleep(0.5)
        t0 = time.perf_counter()
        rdr = Proc(h, "reader", argv)
    else:
        eargv += ["--connect", f"127.0.0.1:{port}"]
        argv += ["--listen", f"127.0.0.1:{port}"]
        rdr = Proc(h, "reader", argv)
        await asyncio.sleep(0.5)
        t0 = time.perf_counter()
        emu = Proc(h, "emu", eargv, stdout_file=h.path("emu.out"))
    # the emulator says how many reads it holds before it sends any
    nreads = None
    while nreads is None and time.perf_counter() - t0 < 120:
        m = re.search(r"(\d+) crossings, (\d+) reads", emu.log_text())
        if m:
            nreads = int(m.group(2))
            crossings = int(m.group(1))
        await asyncio.sleep(0.005)
    raw_p, pass_p, ack_p = (os.path.join(jdir, x) for x in ("raw.jrn", "pass.jrn", "acked"))
    t_first = t_raw = t_ack = None
    last = (0, 0, 0)
    while time.perf_counter() - t0 < 600:
        now = time.perf_counter()
        cur = (fsize(raw_p), fsize(pass_p), acked(ack_p))
        if t_first is None and cur[0] > 0:
            t_first = now
        if cur[0] != last[0]:
            t_raw = now
        if cur[2] != last[2]:
            t_ack = now
        last = cur
        st = {}
        try:
            with open(os.path.join(jdir, "status.json")) as f:
                st = json.load(f)
        except (OSError, ValueError):
            pass
        if st.get("raw") == nreads and st.get("open_groups") == 0 and \
                st.get("acked") == st.get("passings") and cur[2] == st.get("passings"):
            break
        await asyncio.sleep(0.005)
    rdr.stop()
    emu.wait(30)
    raw_n, pas_n = st.get("raw"), st.get("passings")
    raw_bytes = fsize(raw_p)
    # from the first raw read journalled (the emulator loads its file first)
    dt_raw = t_raw - t_first
    dt_ack = t_ack - t_first
    syncs, mbs = disk_reference(jdir, raw_bytes)
    print(f"reader_bench: {a.protocol}, mat {a.mat}: {crossings} crossings, {nreads} raw reads "
          f"emulated, {raw_n} journalled ({raw_bytes / 1e6:.1f} MB), {pas_n} passings")
    print(f"  accepted:   {raw_n} raw reads in {dt_raw:.2f} s = {raw_n / dt_raw:,.0f} reads/s "
          f"(from the first journalled, {t_first - t0:.2f} s after the start)")
    print(f"  passings:   {pas_n} journalled, acked by the server after {dt_ack:.2f} s "
          f"= {pas_n / dt_ack:,.0f} passings/s ({raw_n / dt_ack:,.0f} raw reads/s end to end)")
    print(f"  reference:  {syncs:,.0f} fdatasync/s (one 72-byte append each); "
          f"{mbs:.1f} MB/s writing {raw_bytes / 1e6:.1f} MB in 64 KiB chunks, each fdatasynced "
          f"= {mbs * 1e6 / (raw_bytes / raw_n):,.0f} raw records/s")


if __name__ == "__main__":
    # build/release binaries unless told otherwise; paths made absolute
    # (the harness runs its children in a temporary directory)
    defaults = {"--server": release_bin("splitlined", ["server"]),
                "--ctl": release_bin("splitline", ["clients"]),
                "--replay": release_bin("splitline-replay", ["clients"])}
    argv = sys.argv[1:]
    for i, x in enumerate(argv):
        if x in ("--server", "--ctl", "--replay", "--reader", "--emu") and i + 1 < len(argv):
            argv[i + 1] = os.path.abspath(argv[i + 1])
    for k, v in defaults.items():
        if k not in argv and v:
            argv += [k, v]
    for k, v in (("--source-dir", ROOT), ("--data-dir", os.environ.get("SL_DATA_DIR")
                                                       or os.path.join(ROOT, "data"))):
        if k not in argv:
            argv += [k, v]
    sys.argv[1:] = argv
    harness.run("reader_bench", main, extra_args)
