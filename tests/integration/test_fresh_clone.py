"""fresh_clone: the README's two commands from a clone with nothing beside it.

A new user clones Splitline from its public home and has no ../shared, no
build, no var/.  This test is that user, on free ports:

1. Clone the repository into an empty folder (plus the working tree's
   uncommitted edits, so a developer tests what they are about to commit;
   in CI the clone is exactly main).  Nothing is beside it.
2. ./scripts/run refuses bad inputs before it builds anything: a busy HTTP
   port, a busy Redis port, a missing race file, a bad option; each exit
   names the problem and what to do, and leaves no build/ and no var/.
3. ./scripts/run --demo --speed 600: builds, starts Redis and splitlined,
   prints the address and every page (each answers 200) and a token command
   (run as printed: it prints a token); the results export shows a finisher.
4. A second event from the same checkout (--event river-10k, other ports)
   runs beside it with its own var/river-10k/, and stopping it leaves the
   demo's Redis, pid files and logs alone; the same event twice is refused.
5. SIGINT (what Ctrl-C sends) stops the demo and everything it started.
6. --demo again resumes the unfinished replay (every read of the device in
   the log exactly once when it ends, and every runner of the file but the
   one with a bad cell finished); meanwhile every `sh` example of the
   README runs as typed, from the repository root, and exits 0.
7. --demo a third time says the race was already replayed and how to
   start over, and starts no replay; --fresh starts an empty event.
After every stop, no process of the clone is left (none whose cwd, exe or
command line is inside it) and its ports are closed.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import asyncio
import csv
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import harness
from harness import check, free_port, log

EVENT = "boston-2015"
SPEED = "600"
BAD_CELL_BIB = "3820"  # data/README.md: its Official Time is a spreadsheet fraction


def sh(args, cwd, check_rc=True, timeout=120, env=None):
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL, env=env)
    if check_rc:
        check(r.returncode == 0, f"{args} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


def clone(h):
    """git clone of the source tree into an empty folder, plus its uncommitted edits."""
    src = h.paths.source
    empty = h.path("empty")
    os.mkdir(empty)
    dst = os.path.join(empty, "splitline")
    r = subprocess.run(["git", "-C", src, "rev-parse", "--git-dir"], capture_output=True)
    check(r.returncode == 0, f"{src} is not a git checkout: cannot clone it")
    sh(["git", "clone", "-q", src, dst], cwd=empty, timeout=300)
    # the working tree's edits: tracked files changed or deleted, new files not ignored
    files = sh(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
               cwd=src).stdout.split("\0")
    n = 0
    for rel in filter(None, files):
        a, b = os.path.join(src, rel), os.path.join(dst, rel)
        if not os.path.lexists(a):
            if os.path.lexists(b):
                os.remove(b)
                n += 1
            continue
        if os.path.islink(a):
            if os.path.islink(b) and os.readlink(a) == os.readlink(b):
                continue
        elif os.path.isfile(b) and not os.path.islink(b):
            with open(a, "rb") as fa, open(b, "rb") as fb:
                if fa.read() == fb.read() and os.stat(a).st_mode == os.stat(b).st_mode:
                    continue
        os.makedirs(os.path.dirname(b), exist_ok=True)
        if os.path.lexists(b):
            os.remove(b)
        shutil.copy2(a, b, follow_symlinks=False)
        n += 1
    log(f"cloned {src} into {dst} ({n} uncommitted changes overlaid)")
    check(os.listdir(empty) == ["splitline"], f"something beside the clone: {os.listdir(empty)}")
    for d in ("build", "var", "clients/web/node_modules"):
        check(not os.path.exists(os.path.join(dst, d)), f"the clone has {d}/")
    return dst


def clean_env():
    env = harness.child_env()
    for k in ("SL_DATA_DIR", "SL_BUILD_DIR", "SL_RUN_SIGNALS", "ASAN_OPTIONS", "UBSAN_OPTIONS"):
        env.pop(k, None)
    return env


def procs_inside(root):
    """Processes whose cwd, executable or command line is inside root."""
    found = []
    me = os.getpid()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            cwd = ""
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            exe = ""
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if any(x == root or x.startswith(root + "/") for x in (cwd, exe)) or root + "/" in cmd:
            found.append(f"{pid} {cmd.strip()} (cwd {cwd})")
    return found


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode("utf-8", "replace")


class Run:
    """One ./scripts/run in its own session, output to a file."""

    def __init__(self, h, repo, name, args):
        self.repo, self.name = repo, name
        self.out_path = h.path(f"{name}.out")
        self._out = open(self.out_path, "wb")
        self.p = subprocess.Popen(["./scripts/run"] + args, cwd=repo, stdin=subprocess.DEVNULL,
                                  stdout=self._out, stderr=subprocess.STDOUT, env=clean_env(),
                                  start_new_session=True)
        log(f"{name}: ./scripts/run {' '.join(args)} (pid {self.p.pid})")

    def text(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    async def wait_running(self, timeout):
        deadline = time.monotonic() + timeout
        while "Splitline is running" not in self.text():
            check(self.p.poll() is None,
                  f"{self.name}: ./scripts/run exited {self.p.returncode}:\n{self.text()[-3000:]}")
            check(time.monotonic() < deadline,
                  f"{self.name}: not running after {timeout}s:\n{self.text()[-3000:]}")
            await asyncio.sleep(0.5)
        log(f"{self.name}: running")

    async def interrupt(self, timeout=60):
        """SIGINT to its process group, as Ctrl-C at a terminal sends."""
        os.killpg(self.p.pid, signal.SIGINT)
        deadline = time.monotonic() + timeout
        while self.p.poll() is None:
            check(time.monotonic() < deadline,
                  f"{self.name}: still running {timeout}s after SIGINT:\n{self.text()[-2000:]}")
            await asyncio.sleep(0.2)
        self._out.close()
        check("run: stopped" in self.text(), f"{self.name}: no 'run: stopped':\n{self.text()[-2000:]}")
        log(f"{self.name}: stopped by SIGINT (exit {self.p.returncode})")

    def kill(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except OSError:
                pass


async def nothing_left(repo, ports, what):
    # a process that is exiting may linger a moment: wait up to 10 s
    deadline = time.monotonic() + 10
    while True:
        left = procs_inside(repo)
        open_ports = [p for p in ports if listening(p)]
        if not left and not open_ports:
            break
        check(time.monotonic() < deadline,
              f"after {what}: still running: {left}; ports still open: {open_ports}")
        await asyncio.sleep(0.2)
    log(f"after {what}: nothing of the clone runs, ports {ports} closed")


def preflight(repo, h):
    """Bad inputs are refused before anything is built or written."""
    def refused(args, rc, *needles):
        t0 = time.monotonic()
        r = sh(["./scripts/run"] + args, cwd=repo, check_rc=False, timeout=60, env=clean_env())
        dt = time.monotonic() - t0
        out = r.stdout + r.stderr
        check(r.returncode == rc, f"./scripts/run {' '.join(args)}: exit {r.returncode}, "
              f"want {rc}:\n{out}")
        for n in needles:
            check(n in out, f"./scripts/run {' '.join(args)}: no {n!r} in:\n{out}")
        for d in ("build", "var"):
            check(not os.path.exists(os.path.join(repo, d)),
                  f"./scripts/run {' '.join(args)} made {d}/ before refusing")
        log(f"refused in {dt:.2f}s: ./scripts/run {' '.join(args)}: {out.strip().splitlines()[0]}")

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    bport = busy.getsockname()[1]
    try:
        refused(["--port", str(bport), "--redis-port", str(free_port())], 1,
                f"port {bport} on 127.0.0.1 is busy", "--port N")
        refused(["--port", str(free_port()), "--redis-port", str(bport)], 1,
                f"port {bport} is busy", "--redis-port N")
    finally:
        busy.close()
    csv_path = os.path.join(repo, "data", "boston-2015.csv")
    os.rename(csv_path, csv_path + ".away")
    try:
        refused(["--demo", "--port", str(free_port()), "--redis-port", str(free_port())], 1,
                "cannot read", "data/boston-2015.csv", "git checkout -- data/")
    finally:
        os.rename(csv_path + ".away", csv_path)
    refused(["--port", "80a"], 2, "--port '80a' is not a port number")
    refused(["--event", "Boston 2015"], 2, "is not an event id")
    refused(["--demo", "--event", "river-10k"], 1, "--demo replays Boston 2015")
    refused(["--frsh"], 2, "unknown option '--frsh'")


def pages(run, url):
    """Every page printed answers; the token command printed works as typed."""
    text = run.text()
    want = {"results (leaderboard)": "/", "athlete tracker": "/tracker.html",
            "announcer": "/announcer.html", "big screen": "/kiosk.html",
            "regatta": "/regatta.html", "check-in desk": "/desk.html",
            "scanner (phone)": "/scan.html"}
    for label, path in want.items():
        m = re.search(rf"^\s*{re.escape(label)}\s+(\S+)$", text, re.M)
        check(m, f"./scripts/run printed no line for the {label} page:\n{text}")
        page = m.group(1)
        check(page.split("?")[0] == url + path, f"{label}: printed {page}, want {url}{path}")
        status, body = http_get(page.split("?")[0])
        check(status == 200 and "<html" in body.lower(), f"{label} {page}: {status}")
    m = re.search(r"a token:\s+(\./scripts/splitline token issue [^\n]+)", text)
    check(m, f"./scripts/run printed no token command:\n{text}")
    return m.group(1).strip()


def finishers(url):
    _, body = http_get(f"{url}/api/results/marathon.csv", timeout=30)
    rows = list(csv.DictReader(io.StringIO(body)))
    return {r["bib"] for r in rows if r.get("status") == "finished"}, len(rows)


async def run_readme(h, repo):
    blocks = harness.sh_blocks(os.path.join(repo, "README.md"))
    check(len(blocks) >= 4, f"README.md has only {len(blocks)} sh blocks")
    first = [ln.split("#")[0].strip() for ln in blocks[0][1].splitlines() if ln.strip()]
    check(first == ["./scripts/run", "./scripts/test"],
          f"README.md must start with exactly ./scripts/run and ./scripts/test, has {first}")
    for start, text in blocks[1:]:
        t0 = time.monotonic()
        r = await asyncio.to_thread(
            subprocess.run, ["bash", "-euo", "pipefail", "-c", text], cwd=repo,
            capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
            env=clean_env())
        with open(h.path("readme.log"), "a") as f:
            f.write(f"---- README.md:{start}\n{text}\n# exit {r.returncode}\n{r.stdout}{r.stderr}\n")
        check(r.returncode == 0, f"README.md:{start}: the example exits {r.returncode}:\n{text}\n"
              f"stdout: {r.stdout[-2000:]}\nstderr: {r.stderr[-2000:]}")
        log(f"README.md:{start}: ok in {time.monotonic() - t0:.1f}s "
            f"({len(text.splitlines())} lines)")
    return len(blocks) - 1


async def main(h):
    repo = clone(h)
    runs = []
    try:
        await body(h, repo, runs)
    finally:
        for r in runs:
            r.kill()
        for line in procs_inside(repo):
            try:
                os.kill(int(line.split()[0]), signal.SIGKILL)
            except OSError:
                pass


async def body(h, repo, runs):
    preflight(repo, h)

    port, rport = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    demo = Run(h, repo, "demo", ["--demo", "--port", str(port), "--redis-port", str(rport),
                                 "--speed", SPEED])
    runs.append(demo)
    await demo.wait_running(1800)
    token_cmd = pages(demo, url)
    r = sh(["bash", "-c", token_cmd], cwd=repo, env=clean_env())
    check(re.fullmatch(r"[0-9a-f]{32}\n", r.stdout), f"{token_cmd} printed {r.stdout!r}")
    log(f"{token_cmd}: a token")
    text = demo.text()
    m = re.search(r"replaying Boston 2015 \((\d+) reads\)", text)
    check(m, f"the first --demo did not say it replays:\n{text}")
    total = int(m.group(1))

    # a finisher in the export
    deadline = time.monotonic() + 600
    while True:
        fin, nrows = finishers(url)
        if fin:
            break
        check(time.monotonic() < deadline, f"no finisher after 600 s ({nrows} rows)")
        await asyncio.sleep(1)
    log(f"first finisher(s) in the export: {sorted(fin)[:5]} of {nrows} rows")

    # a second event from the same checkout, and the same event twice
    p2, r2 = free_port(), free_port()
    state = os.path.join(repo, "var", EVENT)
    before = {f: os.path.getsize(os.path.join(state, "log", f))
              for f in os.listdir(os.path.join(state, "log"))}
    pids = {f: open(os.path.join(state, f)).read().strip()
            for f in ("redis.pid", "splitlined.pid")}
    river = Run(h, repo, "river", ["--event", "river-10k", "--port", str(p2),
                                   "--redis-port", str(r2)])
    runs.append(river)
    await river.wait_running(300)
    rs = os.path.join(repo, "var", "river-10k")
    for f in ("redis.pid", "splitlined.pid", "admin.token", "run.env", "log/splitlined.log"):
        check(os.path.exists(os.path.join(rs, f)), f"var/river-10k/{f} missing")
    r = sh(["./scripts/splitline", "--event", "river-10k", "status"], cwd=repo, env=clean_env())
    check('"event":"river-10k"' in r.stdout.replace(" ", ""), f"river-10k status: {r.stdout}")
    r = sh(["./scripts/splitline", "status"], cwd=repo, check_rc=False, env=clean_env())
    check(r.returncode != 0 and "several runs are live" in r.stderr,
          f"./scripts/splitline with two runs and no --event: {r.returncode} {r.stderr}")
    r = sh(["./scripts/run", "--port", str(free_port()), "--redis-port", str(free_port())],
           cwd=repo, check_rc=False, env=clean_env())
    check(r.returncode == 1 and "already runs here" in r.stderr,
          f"the same event twice: exit {r.returncode}: {r.stdout}{r.stderr}")
    await river.interrupt()
    check(not listening(p2) and not listening(r2), "river-10k's ports still open")
    for f, pid in pids.items():
        check(open(os.path.join(state, f)).read().strip() == pid, f"the demo's {f} changed")
        check(os.path.exists(f"/proc/{pid}"), f"the demo's {f[:-4]} (pid {pid}) died with river-10k")
    for f, n in before.items():
        check(os.path.getsize(os.path.join(state, "log", f)) >= n, f"the demo's log {f} shrank")
    check(listening(port) and listening(rport), "the demo's ports closed with river-10k")
    log("river-10k ran beside the demo and left it alone")

    # Ctrl-C mid-race: nothing left
    fin, _ = finishers(url)
    check(len(fin) < 26000, f"the replay ended before the test could interrupt it ({len(fin)})")
    await demo.interrupt()
    await nothing_left(repo, [port, rport, p2, r2], "the first --demo")

    # --demo again: the replay resumes; the README's examples run meanwhile
    demo2 = Run(h, repo, "demo2", ["--demo", "--port", str(port), "--redis-port", str(rport),
                                   "--speed", SPEED])
    runs.append(demo2)
    await demo2.wait_running(300)
    text = demo2.text()
    m = re.search(r"resuming the replay of Boston 2015 at read (\d+) of (\d+)", text)
    check(m, f"the second --demo did not resume:\n{text}")
    check(int(m.group(2)) == total and 1 < int(m.group(1)) <= total,
          f"resume at read {m.group(1)} of {m.group(2)} (total {total})")
    check("replaying Boston" not in text, "the second --demo says 'replaying'")
    nblocks = await run_readme(h, repo)
    log(f"{nblocks} README examples ran as typed")

    # the resumed replay ends with every runner but the bad cell's finished
    want = set()
    with open(os.path.join(repo, "data", "boston-2015.csv"), newline="") as f:
        for row in csv.DictReader(f):
            want.add(row["Bib"])
    want.discard(BAD_CELL_BIB)
    deadline = time.monotonic() + 900
    while True:
        done = not [p for p in procs_inside(repo) if "splitline-replay" in p]
        fin, _ = finishers(url)
        if done and fin >= want:
            break
        check(time.monotonic() < deadline,
              f"the resumed replay did not finish: {len(want - fin)} runners not finished")
        await asyncio.sleep(2)
    check(BAD_CELL_BIB not in fin, f"bib {BAD_CELL_BIB} finished despite its bad cell")
    redis = harness.Redis(h, "demo-redis", port=rport)
    seqs = {}
    for _, rec in redis.records(EVENT):
        if rec.get("k") == "passings" and rec.get("dev") == "demo-replay":
            for i in range(len(rec.get("reads") or [])):
                seqs[rec["seq"] + i] = seqs.get(rec["seq"] + i, 0) + 1
    check(sorted(seqs) == list(range(1, total + 1)) and set(seqs.values()) == {1},
          f"demo-replay's reads in the log: {len(seqs)} seqs of {total}, "
          f"{sum(1 for n in seqs.values() if n > 1)} more than once")
    log(f"replay resumed and finished: {total} reads in the log once each, "
        f"{len(fin)} finishers")
    await demo2.interrupt()
    await nothing_left(repo, [port, rport], "the second --demo")

    # --demo a third time: already replayed, nothing sent
    demo3 = Run(h, repo, "demo3", ["--demo", "--port", str(port), "--redis-port", str(rport),
                                   "--speed", SPEED])
    runs.append(demo3)
    await demo3.wait_running(300)
    text = demo3.text()
    check("was already replayed here" in text and "--fresh" in text,
          f"the third --demo did not say the race was replayed:\n{text}")
    check("replaying" not in text and "resuming" not in text, f"the third --demo sends:\n{text}")
    check(not [p for p in procs_inside(repo) if "splitline-replay" in p],
          "the third --demo started a replay")
    await demo3.interrupt()
    await nothing_left(repo, [port, rport], "the third --demo")

    # --fresh: an empty event
    fresh = Run(h, repo, "fresh", ["--fresh", "--port", str(port), "--redis-port", str(rport)])
    runs.append(fresh)
    await fresh.wait_running(300)
    check(f"deleted var/{EVENT}/" in fresh.text(), f"--fresh said nothing:\n{fresh.text()}")
    status, body = http_get(f"{url}/health")
    check('"records":0' in body.replace(" ", ""), f"--fresh: the event is not empty: {body}")
    await fresh.interrupt()
    await nothing_left(repo, [port, rport], "--fresh")


if __name__ == "__main__":
    harness.run("fresh_clone", main)
