"""replay: what splitline-replay tells the person watching it, and resuming.

On a slice of Boston 2015 (the first 300 runners plus bib 3820, whose
`Official Time` cell is a spreadsheet day fraction):
- `--count` prints the number of reads the oracle (boston.py) counts: one
  start read per runner plus one per H:MM:SS cell;
- a run at speed 0 under a pseudo-terminal shows the progress line rewritten
  in place (race clock in the race's UTC offset, sent/acked/in flight) and
  ended with a newline before anything else, warns about the bad cell with
  file, line and bib, says before sending and in the summary that bib 3820
  will never finish, and every other runner finishes with the file's net
  time; a short run at speed 4000 on a 60-column terminal shows the clock
  moving once a second in lines cut to the terminal's width;
- `--resume-after K` on a fresh server sends exactly the reads with seq > K,
  the same reads (chip, point, time) a whole run sends at those seqs, and
  its race clock starts at read K + 1; a run starting past what the server
  has stops with a message instead of resending forever;
- `--resume-after TOTAL` sends nothing and never connects;
- bad `--resume-after` and `--progress` values are usage errors (exit 2).
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import datetime
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time

import boston
import harness
from harness import check, log

NRUNNERS = 300
BAD_BIB = "3820"
EDT = datetime.timezone(datetime.timedelta(hours=-4))
WAVE_STARTS = [(None, datetime.datetime(2015, 4, 20, 9, 32, tzinfo=EDT)),  # elite women
               (8999, datetime.datetime(2015, 4, 20, 10, 0, tzinfo=EDT)),
               (17999, datetime.datetime(2015, 4, 20, 10, 25, tzinfo=EDT)),
               (26999, datetime.datetime(2015, 4, 20, 10, 50, tzinfo=EDT)),
               (99999, datetime.datetime(2015, 4, 20, 11, 15, tzinfo=EDT))]
STATUS = re.compile(r"replay: race clock (\d\d):(\d\d):(\d\d) UTC-04:00, sent ([\d,]+) of "
                    r"([\d,]+) reads, acked ([\d,]+), in flight ([\d,]+)")
CLOCK = re.compile(r"replay: race clock (\d\d):(\d\d):(\d\d) UTC-04:00")


def write_slice(src, dst):
    """The header, the first NRUNNERS rows and bib 3820's row, as they are."""
    with open(src, newline="") as f:
        lines = f.readlines()
    bad = [x for x in lines[1:] if x.startswith(BAD_BIB + ",")]
    check(len(bad) == 1, f"bib {BAD_BIB} is on {len(bad)} lines of {src}")
    with open(dst, "w", newline="") as g:
        g.writelines([lines[0]] + lines[1:NRUNNERS + 1] + bad)
    return dst


def wave_start(bib):
    if not bib.isdigit():
        return WAVE_STARTS[0][1]
    return next(t for hi, t in WAVE_STARTS[1:] if int(bib) <= hi)


def clock_s(m):
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3))


def tod_s(ms):
    """Time of day (s) in EDT of a time in ms since the epoch."""
    d = datetime.datetime.fromtimestamp(ms / 1000, tz=EDT)
    return d.hour * 3600 + d.minute * 60 + d.second


def num(s):
    return int(s.replace(",", ""))


def run_pty(h, argv, name, cols=200, timeout=300):
    """Run argv with stderr on a pseudo-terminal (cols wide), stdout to a
    file.  Returns (exit status, stdout, the terminal's bytes as text)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols, 0, 0))
    out_path = h.path(f"{name}.out")
    with open(out_path, "wb") as out:
        p = subprocess.Popen([str(a) for a in argv], cwd=h.tmp, stdin=subprocess.DEVNULL,
                             stdout=out, stderr=slave, env=harness.child_env(),
                             preexec_fn=harness._die_with_parent)
    os.close(slave)
    buf, deadline = b"", time.monotonic() + timeout
    try:
        while True:
            check(time.monotonic() < deadline, f"{name} still running after {timeout}s")
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every copy of the terminal's slave side is closed
                data = b""
            if not data:
                break
            buf += data
        rc = p.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            p.wait()
        os.close(master)
    term = buf.decode("utf-8", "replace")
    with open(h.path(f"{name}.tty"), "w") as f:
        f.write(term)
    with open(out_path, "rb") as f:
        stdout = f.read().decode("utf-8", "replace")
    harness.scan_sanitizer(term, name)
    return rc, stdout, term


def status_segments(term):
    """The progress lines as drawn: every piece of text between a \\r and
    the clear-to-end-of-line that ends it."""
    return re.findall(r"\r([^\r\n]*?)\x1b\[K", term)


def check_line_discipline(term, name):
    """Each drawn progress line is followed by a redraw or ends its line:
    nothing else is ever written onto it."""
    for m in re.finditer(r"\x1b\[K", term):
        nxt = term[m.end():m.end() + 1]
        check(nxt, f"{name}: the progress line was not ended with a newline at exit: "
              f"{term[-200:]!r}")
        check(nxt in ("\r", "\n"),
              f"{name}: text written onto the progress line: "
              f"{term[max(0, m.start() - 80):m.end() + 80]!r}")
    check(term.count("\x1b[K") >= 2 and term.rstrip(" ").endswith("\n"),
          f"{name}: expected a progress line drawn at least twice and ended with a "
          f"newline, got {term[-300:]!r}")


def replay_argv(h, srv, csv_path, token, device, extra=()):
    return [h.paths.replay, "boston", csv_path, "--config", h.paths.event_yaml,
            "--server", srv.ws_url, "--event", srv.event, "--token", token,
            "--device", device, "--seed", "1"] + list(extra)


def device_reads(redis, dev):
    """{seq: (chip, pt, t)} of every read of dev in the log, each seq once."""
    out = {}
    for _, rec in redis.records():
        if rec.get("k") != "passings" or rec.get("dev") != dev:
            continue
        for i, rd in enumerate(rec["reads"]):
            s = rec["seq"] + i
            check(s not in out, f"seq {s} of device {dev} is in the log twice")
            out[s] = (rd.get("chip"), rd.get("pt"), rd.get("t"))
    return out


def run_plain(h, argv, timeout=120):
    r = subprocess.run([str(a) for a in argv], cwd=h.tmp, stdin=subprocess.DEVNULL,
                       capture_output=True, env=harness.child_env(), timeout=timeout,
                       preexec_fn=harness._die_with_parent)
    out, err = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
    harness.scan_sanitizer(err, "splitline-replay " + " ".join(map(str, argv[-2:])))
    return r.returncode, out, err


async def main(h):
    csv_path = write_slice(h.paths.boston_csv, h.path("slice.csv"))
    runners = boston.load(csv_path)
    check(len(runners) == NRUNNERS + 1 and runners[-1].bib == BAD_BIB,
          f"slice has {len(runners)} runners, last {runners[-1].bib}")
    bad = boston.bad_cells(runners)
    check([(r.bib, c) for r, c, _ in bad] == [(BAD_BIB, "Official Time")],
          f"unexpected bad cells in the slice: {[(r.bib, c, v) for r, c, v in bad]}")
    bad_line = runners[-1].line
    total = sum(r.reads for r in runners)
    warning = (f"{csv_path}:{bad_line}: warning: bib {BAD_BIB}: field 'Official Time': "
               f"'0.124548611' is not H:MM:SS; read skipped")
    never = f"replay: 1 runner will never finish: a bad 'Official Time' cell (bib {BAD_BIB})"
    # the latest read: a runner's wave start + its longest elapsed cell, plus
    # a corral delay of at most 20 minutes and under 1 s from --seed
    latest = max(wave_start(r.bib).timestamp() + max(boston.hms(v) for v in r.cells.values()
                                                     if boston.hms(v) is not None)
                 for r in runners)
    latest_lo = tod_s(latest * 1000)

    # ---- usage errors: exit 2, naming the option
    for args, opt in ((["--resume-after", "-1"], "--resume-after"),
                      (["--progress", "sometimes"], "--progress")):
        rc, out, err = run_plain(h, [h.paths.replay, "boston", csv_path, "--config",
                                     h.paths.event_yaml] + args)
        check(rc == 2 and f"{opt} '{args[1]}'" in err and not out,
              f"{' '.join(args)}: exit {rc}, stdout {out!r}, stderr {err!r}")
    log("bad --resume-after and --progress values: exit 2 naming the option")

    # ---- (a) --count: no server, one integer on stdout
    rc, out, err = run_plain(h, [h.paths.replay, "boston", csv_path, "--config",
                                 h.paths.event_yaml, "--seed", "1", "--count"])
    check(rc == 0 and out == f"{total}\n",
          f"--count: exit {rc}, stdout {out!r} (want {total}), stderr {err[-1000:]!r}")
    check(warning in err.splitlines(), f"--count: no warning line {warning!r} in {err!r}")
    log(f"--count: {total} reads, as the file says")

    # ---- (b) a whole run at speed 0, stderr on a terminal
    redis = h.redis()
    srv = h.server(redis)
    h.create_event(srv)
    h.import_boston(srv, csv_path)
    token = h.issue_token(srv, "reader", "replay-b")
    rc, out, term = run_pty(h, replay_argv(h, srv, csv_path, token, "replay-b",
                                           ["--speed", "0", "--progress", "auto"]), "replay-b")
    check(rc == 0, f"replay-b exited {rc}:\nstdout: {out[-2000:]}\nterminal: {term[-3000:]!r}")
    summary = harness.parse_replay_summary(out)
    check(summary["sent"] == total and summary["acked"] == total and summary["dups"] == 0,
          f"replay-b summary {summary}, want {total} sent and acked")
    check(never in out.splitlines(), f"summary does not say {never!r}:\n{out}")
    check(not re.search(r"other cells? skipped|rows? skipped", out),
          f"summary reports other skipped cells:\n{out}")
    lines = term.replace("\r\n", "\n").split("\n")
    check(lines.count(warning) == 1 and sum("warning" in x for x in lines) == 1,
          f"want exactly one warning line {warning!r}; terminal: {term[-3000:]!r}")
    check(never in lines and lines.index(warning) < lines.index(never),
          f"no {never!r} after the warning, before sending: {term[-3000:]!r}")
    check_line_discipline(term, "replay-b")
    segs = status_segments(term)
    st = [STATUS.fullmatch(s) for s in segs]
    check(all(st), f"progress lines not as expected: {[s for s in segs if not STATUS.fullmatch(s)]}")
    first, last = st[0], st[-1]
    t_first = min(tod_s(wave_start(r.bib).timestamp() * 1000) for r in runners)
    check(num(first.group(4)) == 0 and num(first.group(5)) == total and
          clock_s(first) == t_first,
          f"first progress line {first.group(0)!r}: want the earliest wave start "
          f"({t_first // 3600:02d}:{t_first // 60 % 60:02d}), sent 0 of {total:,}")
    check([num(last.group(i)) for i in (4, 5, 6, 7)] == [total, total, total, 0],
          f"last progress line {last.group(0)!r}: want sent {total:,} of {total:,}, all acked")
    check(latest_lo <= clock_s(last) <= latest_lo + 20 * 60 + 1,
          f"last progress line {last.group(0)!r}: race clock not at the latest read "
          f"({latest_lo // 3600:02d}:{latest_lo // 60 % 60:02d}:{latest_lo % 60:02d} "
          f"+ up to 20 min)")
    log(f"terminal: {len(segs)} progress lines, last {last.group(0)!r}")

    await srv.wait_caught_up()
    rows = {str(x["bib"]): x for x in srv.export_rows_json()}
    wrong = []
    for r in runners:
        row = rows.get(r.bib)
        if row is None:
            wrong.append(f"bib {r.bib} missing from the export")
        elif r.bib == BAD_BIB:
            if row.get("status") == "finished" or row.get("start") is None:
                wrong.append(f"bib {r.bib} (bad finish cell): {row}")
        elif row.get("status") != "finished" or row.get("net") != r.time * 1000:
            wrong.append(f"bib {r.bib}: status {row.get('status')}, net {row.get('net')}, "
                         f"file {r.time} s")
    check(not wrong, f"{len(wrong)} runners wrong in the export:\n  " + "\n  ".join(wrong[:10]))
    log(f"export: {len(runners) - 1} runners finished with the file's net times, "
        f"bib {BAD_BIB} started and unfinished")
    full = device_reads(redis, "replay-b")
    check(sorted(full) == list(range(1, total + 1)),
          f"replay-b's log seqs: {len(full)}, want 1..{total}")

    # The clock moves: speed 4000 on a 60-column terminal, 20 runners.
    tok_t = h.issue_token(srv, "reader", "replay-t")
    t0 = time.monotonic()
    rc, out, term = run_pty(h, replay_argv(h, srv, csv_path, tok_t, "replay-t",
                                           ["--speed", "4000", "--limit", "20",
                                            "--progress", "always"]), "replay-t", cols=60)
    dt = time.monotonic() - t0
    check(rc == 0, f"replay-t exited {rc}:\nstdout: {out[-2000:]}\nterminal: {term[-3000:]!r}")
    check_line_discipline(term, "replay-t")
    segs = status_segments(term)
    check(all(len(s) <= 59 for s in segs), f"progress lines wider than 59 columns: {segs}")
    clocks = [clock_s(m) for m in map(CLOCK.match, segs) if m]
    check(len(clocks) == len(segs) and clocks == sorted(clocks) and len(set(clocks)) >= 3,
          f"race clocks over {dt:.1f}s at speed 4000: {segs}")
    check(len(segs) <= dt + 3, f"{len(segs)} progress lines in {dt:.1f}s: more than one a second")
    log(f"speed 4000: {len(segs)} progress lines in {dt:.1f}s, clock "
        f"{clocks[0] // 3600:02d}:{clocks[0] // 60 % 60:02d} to "
        f"{clocks[-1] // 3600:02d}:{clocks[-1] // 60 % 60:02d}")
    srv.stop()

    # ---- (c) --resume-after K on a fresh server, fresh device
    k = total // 2
    redis2 = h.redis("redis-c")
    srv2 = h.server(redis2, "server-c")
    h.create_event(srv2)
    h.import_boston(srv2, csv_path)
    tok_c = h.issue_token(srv2, "reader", "replay-c")
    rc, out, term = run_pty(h, replay_argv(h, srv2, csv_path, tok_c, "replay-c",
                                           ["--speed", "0", "--resume-after", k,
                                            "--progress", "always"]), "replay-c")
    check(rc == 0, f"replay-c exited {rc}:\nstdout: {out[-2000:]}\nterminal: {term[-3000:]!r}")
    summary = harness.parse_replay_summary(out)
    check(summary["sent"] == total - k and summary["acked"] == total - k,
          f"resumed replay: {summary}, want {total - k} sent and acked")
    skipped = f"replay: {k} reads skipped as already acknowledged (resume after seq {k})"
    check(skipped in out.splitlines(), f"summary does not say {skipped!r}:\n{out}")
    first = STATUS.fullmatch(status_segments(term)[0])
    check(first and clock_s(first) == tod_s(full[k + 1][2]) and num(first.group(5)) == total - k,
          f"first progress line of the resumed run {first and first.group(0)!r}: want the "
          f"race clock at read {k + 1} ({full[k + 1]}) and {total - k:,} reads to send")
    await srv2.wait_caught_up()
    got = device_reads(redis2, "replay-c")
    check(sorted(got) == list(range(k + 1, total + 1)),
          f"resumed replay's log seqs {min(got, default=None)}..{max(got, default=None)} "
          f"({len(got)}), want {k + 1}..{total}")
    diff = [s for s in got if got[s] != full[s]]
    check(not diff, f"{len(diff)} resumed reads differ from a whole run's at the same seq, "
          f"e.g. seq {diff[:1]}: {[(got[s], full[s]) for s in diff[:3]]}")
    log(f"--resume-after {k}: seqs {k + 1}..{total} in the log, the same reads as a whole run")

    # A run that starts past what the server has can never fill the gap:
    # it stops at once (exit 1) instead of resending forever.
    start = total + 100
    rc, out, err = run_plain(h, replay_argv(h, srv2, csv_path, tok_c, "replay-c",
                                            ["--speed", "0", "--first-seq", start,
                                             "--progress", "never"]), timeout=120)
    want = (f"device 'replay-c' has seqs up to {total} on the server, but this run starts at "
            f"seq {start}: resume after seq {total} or less")
    check(rc == 1 and want in err, f"--first-seq {start}: exit {rc}, stderr {err[-1500:]!r}")
    check(sorted(device_reads(redis2, "replay-c")) == list(range(k + 1, total + 1)),
          "the refused run changed the log")
    log(f"--first-seq {start} past the server's {total}: refused with a message")
    srv2.stop()

    # ---- (d) nothing left to send: no connection at all (nothing listens there)
    nowhere = f"ws://127.0.0.1:{harness.free_port()}/ws"
    for seq in (total, total + 1000):
        t0 = time.monotonic()
        rc, out, err = run_plain(h, [h.paths.replay, "boston", csv_path, "--config",
                                     h.paths.event_yaml, "--server", nowhere, "--token", "0" * 32,
                                     "--seed", "1", "--resume-after", seq], timeout=60)
        want = (f"replay: all {total} reads were already acknowledged (resume after seq {seq}): "
                f"nothing to send\n")
        check(rc == 0 and out == want and "connect" not in err,
              f"--resume-after {seq}: exit {rc}, stdout {out!r} (want {want!r}), stderr {err!r}")
        check(time.monotonic() - t0 < 30, f"--resume-after {seq} took {time.monotonic() - t0:.1f}s")
    log("--resume-after covering every read: nothing to send, exit 0, no connection")


if __name__ == "__main__":
    harness.run("replay", main)
