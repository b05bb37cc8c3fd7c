"""Integration-test harness: real Redis, real splitlined, real clients.

Each test is a script that builds one Harness, starts what it needs inside it
and talks to the server over the wire exactly as a device, an official or a
spectator would.  Like Redis' tests/support/server.tcl, every process gets a
free port and a private temporary directory, so tests can run in parallel
and never touch a developer's Redis.

Ownership and cleanup: the Harness owns every process it starts (Redis,
servers, CLI runs, replays) and its temporary directory.  On exit, normal or
not, it kills them all (children also get PR_SET_PDEATHSIG, so a harness
killed by ctest's timeout takes them along) and, on failure, prints the tail
of every log and keeps the directory for a post-mortem.  Any sanitizer
report in any log fails the test.

A Cluster (a local Redis Cluster from scripts/cluster, 3 primaries + 3
replicas) stands in for a Redis wherever one is used: its `addr` is the seed
list, its log reads and cmd() go to the primary of the key's slot; the test
kills, stops, restarts nodes and moves slots with it.

Binary paths come from the command line (ctest passes generator
expressions), falling back to environment variables and then to the first
build directory that has them, so a test also runs by hand:
    python3 tests/integration/test_idempotency.py
"""

import argparse
import asyncio
import csv
import ctypes
import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

try:
    import msgpack
    import websockets
except ImportError as e:  # pragma: no cover
    sys.stderr.write(
        "integration tests need python3-websockets and python3-msgpack "
        f"(run scripts/setup): {e}\n")
    sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))
EVENT = "boston-2015"
RACE = "marathon"
SUBPROTO = {"json": "splitline.v1.json", "msgpack": "splitline.v1.msgpack"}
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")


class TestFailure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def log(msg):
    sys.stdout.write(f"[{time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stdout.flush()


# ---------------------------------------------------------------- config

class Paths:
    """Where the binaries and the data are."""

    def __init__(self, ns):
        self.source = os.path.abspath(ns.source_dir)
        self.data = os.path.abspath(ns.data_dir)
        self.server = ns.server
        self.ctl = ns.ctl
        self.replay = ns.replay
        self.redis_server = ns.redis_server
        self.redis_conf = os.path.join(self.source, "scripts", "redis.conf")
        self.event_yaml = os.path.join(self.source, "scripts", "demo", "boston-2015.yaml")
        self.boston_csv = os.path.join(self.data, "boston-2015.csv")
        self.keep = ns.keep


def _guess_bin(name, sub):
    build = os.path.join(SOURCE_DIR, "build")
    if os.path.isdir(build):
        for d in sorted(os.listdir(build)):
            for s in sub:
                p = os.path.join(build, d, s, name)
                if os.access(p, os.X_OK):
                    return p
    return shutil.which(name) or name


def parse_args(argv=None, extra=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default=os.environ.get("SL_SERVER_BIN"))
    ap.add_argument("--ctl", default=os.environ.get("SL_CTL_BIN"))
    ap.add_argument("--replay", default=os.environ.get("SL_REPLAY_BIN"))
    ap.add_argument("--redis-server", default=os.environ.get("SL_REDIS_SERVER")
                    or shutil.which("redis-server") or "/usr/bin/redis-server")
    ap.add_argument("--source-dir", default=SOURCE_DIR)
    ap.add_argument("--data-dir", default=os.environ.get("SL_DATA_DIR")
                    or os.path.join(SOURCE_DIR, "data"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    if extra:
        extra(ap)
    ns = ap.parse_args(argv)
    ns.server = ns.server or _guess_bin("splitlined", ["server"])
    ns.ctl = ns.ctl or _guess_bin("splitline", ["clients/ctl", "clients"])
    ns.replay = ns.replay or _guess_bin("splitline-replay", ["clients/replay", "clients"])
    return ns


# ---------------------------------------------------------------- ports, processes

def free_port():
    """A TCP port free on 127.0.0.1 right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_libc = None


def _libc_call(name, *args):
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL("libc.so.6", use_errno=True)
    return getattr(_libc, name)(*args)


def _die_with_parent():
    # Runs in the child between fork and exec: SIGKILL when the harness dies.
    try:
        _libc_call("prctl", 1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def child_env():
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("SPLITLINE_"):
            del env[k]
    # Sanitizer reports go to stderr, which we capture and scan.
    env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    return env


class Proc:
    """One child process with its output in a log file."""

    def __init__(self, h, name, argv, cwd=None, stdout_file=None):
        self.h, self.name, self.argv = h, name, [str(a) for a in argv]
        self.log_path = os.path.join(h.tmp, f"{name}.log")
        self.out_path = stdout_file
        self._log = open(self.log_path, "ab")
        self._out = open(stdout_file, "ab") if stdout_file else self._log
        self.p = subprocess.Popen(self.argv, cwd=cwd or h.tmp, stdin=subprocess.DEVNULL,
                                  stdout=self._out, stderr=self._log, env=child_env(),
                                  preexec_fn=_die_with_parent)
        h.procs.append(self)

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p.poll() is None

    def signal(self, sig):
        if self.alive():
            try:
                self.p.send_signal(sig)
            except ProcessLookupError:
                pass

    def kill(self):
        self.signal(signal.SIGKILL)
        self.wait(10)

    def stop(self, timeout=20):
        """SIGTERM, then SIGKILL after timeout.  Returns the exit status."""
        self.signal(signal.SIGTERM)
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            log(f"{self.name} ignored SIGTERM for {timeout}s: killing it")
            self.kill()
            return self.p.returncode

    def wait(self, timeout=None):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    async def wait_async(self, timeout):
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                raise TestFailure(f"{self.name} still running after {timeout}s")
            await asyncio.sleep(0.1)
        return self.p.returncode

    def close_files(self):
        for f in {self._log, self._out}:
            try:
                f.close()
            except Exception:
                pass

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def out_text(self):
        if not self.out_path:
            return self.log_text()
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


# ---------------------------------------------------------------- Redis

class RespError(Exception):
    pass


def _resp_encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class _RespReader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(max(65536, n + 2 - len(self.buf)))
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RespError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RespError(f"unexpected reply {line!r}")


class LogReads:
    """Reads of an event's log through self.cmd (one Redis, or a Cluster
    that routes each command by its key's slot)."""

    # The event log and friends (PROTOCOL.md, "Redis layout").
    def log_key(self, event=EVENT):
        return f"sl:{{{event}}}:log"

    def xlen(self, event=EVENT):
        return self.cmd("XLEN", self.log_key(event))

    def last_id(self, event=EVENT):
        r = self.cmd("XREVRANGE", self.log_key(event), "+", "-", "COUNT", "1")
        return r[0][0].decode() if r else None

    def records(self, event=EVENT):
        """Every log record decoded: [(id, map)]."""
        out, start = [], "-"
        while True:
            r = self.cmd("XRANGE", self.log_key(event), start, "+", "COUNT", "5000")
            for rid, fields in r:
                rid = rid.decode()
                kv = {fields[i].decode(): fields[i + 1] for i in range(0, len(fields), 2)}
                out.append((rid, msgpack.unpackb(kv["m"], raw=False, strict_map_key=False)))
            if len(r) < 5000:
                return out
            ms, seq = r[-1][0].decode().split("-")
            start = f"{ms}-{int(seq) + 1}"


class Redis(LogReads):
    """A private redis-server from the shipped scripts/redis.conf, with the
    port and directory overridden.  restart() reuses the same dir (and AOF)."""

    def __init__(self, h, name="redis", port=None):
        self.h, self.name = h, name
        self.port = port or free_port()
        # its own working directory, and the data in var/redis under it
        self.root = os.path.join(h.tmp, name)
        self.dir = os.path.join(self.root, "var", "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None

    @property
    def addr(self):
        return f"127.0.0.1:{self.port}"

    def start(self, timeout=60):
        argv = [self.h.paths.redis_server, self.h.paths.redis_conf, "--port", self.port,
                "--dir", self.dir, "--bind", "127.0.0.1"]
        self.proc = Proc(self.h, self.name, argv, cwd=self.root)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if not self.proc.alive():
                raise TestFailure(f"redis-server exited: {self.proc.log_text()[-2000:]}")
            try:
                if self.cmd("PING") == "PONG":
                    return
            except (OSError, RespError) as e:  # refused, or -LOADING
                last = e
            time.sleep(0.05)
        raise TestFailure(f"redis not ready after {timeout}s: {last}")

    def kill(self):
        self.proc.kill()

    def stop(self):
        self.proc.stop()

    def cmd(self, *args, timeout=30):
        return resp_cmd(self.port, *args, timeout=timeout)


def resp_cmd(port, *args, timeout=30, asking=False):
    """One command to the Redis on 127.0.0.1:port, on a connection of its
    own (after ASKING on it, when asking)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        rd = _RespReader(s)
        if asking:
            s.sendall(_resp_encode(["ASKING"]))
            rd.read()
        s.sendall(_resp_encode(args))
        return rd.read()


CLUSTER_SCRIPT = os.path.join(SOURCE_DIR, "scripts", "cluster")
KEYLESS = {"PING", "INFO", "CLUSTER", "WAIT", "SCRIPT", "CONFIG", "DBSIZE", "ROLE"}


def key_slot(key):
    """Redis Cluster's slot of a key: CRC16/XMODEM of the key, or of its hash
    tag (the bytes between the first '{' and the next '}', if not empty)."""
    b = key.encode() if isinstance(key, str) else key
    i = b.find(b"{")
    if i >= 0:
        j = b.find(b"}", i + 1)
        if j > i + 1:
            b = b[i + 1:j]
    crc = 0
    for c in b:
        crc ^= c << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc & 0x3FFF


class ClusterNode:
    """One redis-server of a Cluster, started by scripts/cluster (not a child
    of the harness: the harness is their subreaper, so it reaps them)."""

    def __init__(self, cluster, port, bus, pid):
        self.cluster, self.port, self.bus, self.pid = cluster, port, bus, pid
        self.stopped = False  # SIGSTOPped by the test
        self.dir = os.path.join(cluster.dir, str(port))

    def __repr__(self):
        return f"127.0.0.1:{self.port}"

    @property
    def addr(self):
        return f"127.0.0.1:{self.port}"

    def alive(self):
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                return False  # it was ours, and exited: reaped now
        except ChildProcessError:
            pass  # not our child (any more)
        try:
            with open(f"/proc/{self.pid}/status") as f:
                st = re.search(r"^State:\s*(\S)", f.read(), re.M)
            return bool(st) and st.group(1) != "Z"
        except OSError:
            return False

    def cmd(self, *args, timeout=10):
        return resp_cmd(self.port, *args, timeout=timeout)

    def info(self, section):
        """{field: value} of INFO <section> (or CLUSTER INFO for "cluster")."""
        txt = self.cmd(*(["CLUSTER", "INFO"] if section == "cluster" else ["INFO", section]))
        txt = txt.decode() if isinstance(txt, bytes) else txt
        return dict(line.split(":", 1) for line in txt.split("\r\n") if ":" in line)

    def myid(self):
        return self.cmd("CLUSTER", "MYID").decode()

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "redis.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""


class Cluster(LogReads):
    """A local Redis Cluster started with scripts/cluster (so the script is
    tested too), usable wherever a Redis is: `addr` is the seed list for
    splitlined's --redis, and cmd() sends each command to the primary of its
    key's slot (following MOVED and ASK, waiting out TRYAGAIN and
    CLUSTERDOWN).  Faults on purpose: kill9, sigstop/sigcont, start_node,
    move_slot.  The Harness stops every node at its end."""

    def __init__(self, h, name="cluster", masters=3, replicas=1, node_timeout=2000, port=None):
        self.h, self.name, self.port = h, name, port
        self.masters, self.replicas, self.node_timeout = masters, replicas, node_timeout
        self.dir = h.path(name)
        self.nodes = {}  # port -> ClusterNode
        self.seeds = None
        self.map = []  # [(lo, hi, primary port)]

    @property
    def addr(self):
        return self.seeds

    def script(self, *args, timeout=120, check_rc=True):
        argv = [CLUSTER_SCRIPT] + [str(a) for a in args]
        r = subprocess.run(argv, cwd=self.h.tmp, stdin=subprocess.DEVNULL, capture_output=True,
                           env=child_env(), timeout=timeout)
        r.stdout, r.stderr = r.stdout.decode(), r.stderr.decode()
        with open(self.h.path(f"{self.name}-script.log"), "a") as f:
            f.write(f"$ {' '.join(argv)}\n# exit {r.returncode}\n{r.stdout}{r.stderr}\n")
        if check_rc and r.returncode != 0:
            raise TestFailure(f"scripts/cluster {' '.join(argv[1:])} exited {r.returncode}:\n"
                              f"{r.stdout[-1000:]}{r.stderr[-2000:]}")
        return r

    def env(self):
        with open(os.path.join(self.dir, "cluster.env")) as f:
            return dict(re.findall(r'^(SL_CLUSTER_\w+)="?([^"\n]*)"?$', f.read(), re.M))

    def start(self, timeout=180):
        _libc_call("prctl", 36, 1)  # PR_SET_CHILD_SUBREAPER: the nodes become ours
        self.h.clusters.append(self)
        r = self.script("start", "--dir", self.dir, "--masters", self.masters, "--replicas",
                        self.replicas, "--node-timeout", self.node_timeout,
                        *(["--port", self.port] if self.port else []), timeout=timeout)
        self.seeds = r.stdout.strip()
        check(re.fullmatch(r"127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+)*", self.seeds),
              f"scripts/cluster start printed {r.stdout!r}, not a seed list")
        e = self.env()
        for p, b, pid in zip(*(e[k].split() for k in ("SL_CLUSTER_PORTS", "SL_CLUSTER_BUS_PORTS",
                                                       "SL_CLUSTER_PIDS"))):
            self.nodes[int(p)] = ClusterNode(self, int(p), int(b), int(pid))
        check(e["SL_CLUSTER_SEEDS"] == self.seeds and
              len(self.nodes) == self.masters * (1 + self.replicas),
              f"cluster.env {e} does not match the seeds printed {self.seeds}")
        self.refresh()
        return self

    def node(self, addr):
        return self.nodes[int(str(addr).rsplit(":", 1)[-1])]

    def live(self):
        """The nodes that run and are not stopped."""
        return [n for n in self.nodes.values() if not n.stopped and n.alive()]

    # -- the slot map
    def slots(self, node):
        """[(lo, hi, primary port, [replica ports])] as node sees it."""
        return [(int(r[0]), int(r[1]), int(r[2][1]), [int(x[1]) for x in r[3:]])
                for r in node.cmd("CLUSTER", "SLOTS")]

    def refresh(self, quiet=False):
        """The slot map again, from the first live node that answers (quiet:
        the old map kept when none does)."""
        last = None
        for n in self.live():
            try:
                self.map = [(lo, hi, p) for lo, hi, p, _ in self.slots(n)]
                return self.map
            except (OSError, RespError) as e:
                last = e
        if not quiet:
            raise TestFailure(f"no live node answers CLUSTER SLOTS: {last}")
        return self.map

    def owner(self, slot):
        for lo, hi, p in self.map:
            if lo <= slot <= hi:
                return self.nodes.get(p)
        return None

    def cmd(self, *args, timeout=30):
        """args sent to the primary of args[1]'s slot (any live node for a
        command without a key), following MOVED/ASK, retrying TRYAGAIN,
        CLUSTERDOWN and a dead node for `timeout` seconds."""
        keyless = str(args[0]).upper() in KEYLESS or len(args) < 2
        deadline = time.monotonic() + timeout
        target, asking, last = None, False, None
        while time.monotonic() < deadline:
            if target is None:
                live = self.live()
                target = (live[0] if live else None) if keyless else \
                    self.owner(key_slot(args[1]))
            if target is None or target.stopped:
                last, target = f"no live primary for {args[:2]}", None
                time.sleep(0.1)
                self.refresh(quiet=True)
                continue
            try:
                return resp_cmd(target.port, *args, timeout=5, asking=asking)
            except RespError as e:
                last = e
                w = str(e).split()
                if w[0] in ("MOVED", "ASK"):
                    target, asking = self.node(w[2]), w[0] == "ASK"
                    if w[0] == "MOVED":
                        self.refresh(quiet=True)
                    continue
                if w[0] not in ("TRYAGAIN", "CLUSTERDOWN", "LOADING"):
                    raise
            except OSError as e:
                last = e
            target, asking = None, False
            time.sleep(0.1)
            self.refresh(quiet=True)
        raise TestFailure(f"cluster: {' '.join(map(str, args[:3]))}: no answer in {timeout}s "
                          f"({last})")

    # -- where an event lives
    def slot_of(self, event=EVENT):
        """The slot of the event's keys, as the cluster computes it."""
        s = self.live()[0].cmd("CLUSTER", "KEYSLOT", self.log_key(event))
        check(s == key_slot(self.log_key(event)), f"CLUSTER KEYSLOT {self.log_key(event)} = {s},"
              f" the harness computes {key_slot(self.log_key(event))}")
        return s

    def primaries(self):
        return [n for n in self.live() if n.info("replication").get("role") == "master"]

    def primary_of(self, event=EVENT, timeout=30):
        """The node that owns the event's slot, once every live node agrees."""
        slot, seen = self.slot_of(event), None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = set()
            for n in self.live():
                try:
                    seen |= {p for lo, hi, p, _ in self.slots(n) if lo <= slot <= hi}
                except (OSError, RespError):
                    seen.add(None)
            if len(seen) == 1 and None not in seen:
                return self.nodes[seen.pop()]
            time.sleep(0.1)
        raise TestFailure(f"the live nodes do not agree on the primary of slot {slot}: {seen}")

    def replica_of(self, node):
        """A live replica whose primary is node."""
        for n in self.live():
            i = n.info("replication")
            if i.get("role") == "slave" and int(i.get("master_port", 0)) == node.port:
                return n
        raise TestFailure(f"{node} has no live replica")

    # -- faults
    def kill9(self, node):
        os.kill(node.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while node.alive():
            check(time.monotonic() < deadline, f"{node} (pid {node.pid}) lives on after SIGKILL")
            time.sleep(0.02)

    def sigstop(self, node):
        os.kill(node.pid, signal.SIGSTOP)
        node.stopped = True

    def sigcont(self, node):
        os.kill(node.pid, signal.SIGCONT)
        node.stopped = False

    def start_node(self, node):
        """Starts a killed node again from its dir (scripts/cluster start-node)."""
        self.script("start-node", "--dir", self.dir, node.port)
        e = self.env()
        node.pid = int(e["SL_CLUSTER_PIDS"].split()[e["SL_CLUSTER_PORTS"].split().index(
            str(node.port))])

    def wait_promoted(self, event, old, timeout=90):
        """The new primary of the event's slot once `old` has been failed over:
        a live node that says role:master and cluster_state:ok, that every
        live node names as the slot's owner."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                n = self.primary_of(event, timeout=1)
                if n is not old and n.info("replication").get("role") == "master" and \
                        n.info("cluster").get("cluster_state") == "ok":
                    self.refresh()
                    return n
            except (OSError, RespError, TestFailure):
                pass
            check(time.monotonic() < deadline,
                  f"the slot of {event} was not failed over from {old} in {timeout}s")
            time.sleep(0.1)

    def move_slot(self, event, to, pause=0.0):
        """Reshards the event's slot to the primary `to`, by hand as
        redis-cli would: IMPORTING on the target, MIGRATING on the source,
        the keys moved one MIGRATE at a time (`pause` seconds apart, so that
        commands meet the slot half moved), then SETSLOT NODE on the target,
        the source and the other primaries."""
        slot, src = self.slot_of(event), self.primary_of(event)
        check(src is not to, f"the slot of {event} is on {to} already")
        sid, did = src.myid(), to.myid()
        check(to.cmd("CLUSTER", "SETSLOT", slot, "IMPORTING", sid) == "OK", "SETSLOT IMPORTING")
        check(src.cmd("CLUSTER", "SETSLOT", slot, "MIGRATING", did) == "OK", "SETSLOT MIGRATING")
        moved = 0
        while True:
            keys = src.cmd("CLUSTER", "GETKEYSINSLOT", slot, 100)
            if not keys:
                break
            for k in keys:
                r = src.cmd("MIGRATE", "127.0.0.1", to.port, "", 0, 10000, "KEYS", k, timeout=30)
                check(r in ("OK", "NOKEY"), f"MIGRATE {k!r}: {r}")
                moved += 1
                time.sleep(pause)
        for n in [to, src] + [p for p in self.primaries() if p not in (to, src)]:
            check(n.cmd("CLUSTER", "SETSLOT", slot, "NODE", did) == "OK", f"SETSLOT NODE on {n}")
        self.refresh()
        return moved

    def stop(self):
        for n in self.nodes.values():
            if n.stopped:
                self.sigcont(n)
        self.script("stop", "--dir", self.dir, check_rc=False)

    def cleanup(self):
        """Every node killed and reaped, whatever happened."""
        for n in self.nodes.values():
            for sig in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.kill(n.pid, sig)
                except OSError:
                    pass
        for n in self.nodes.values():
            deadline = time.monotonic() + 10
            while n.alive() and time.monotonic() < deadline:
                time.sleep(0.02)



# ---------------------------------------------------------------- splitlined

class Server:
    def __init__(self, h, redis, name="server", port=None, event=EVENT, extra=()):
        self.h, self.redis, self.name, self.event = h, redis, name, event
        self.port = port or free_port()
        self.extra = list(extra)
        self.proc = None
        self.admin_token = h.admin_token
        self.admin_token_file = h.admin_token_file

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self):
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self, timeout=120):
        argv = [self.h.paths.server] + (["--event", self.event] if self.event else []) + [
                "--listen", "127.0.0.1", "--port", self.port, "--redis", self.redis.addr,
                "--admin-token-file", self.admin_token_file, "--log-level", "info"] + self.extra
        self.proc = Proc(self.h, self.name, argv)
        self.wait_health(timeout)
        return self

    def kill(self):
        self.proc.kill()

    def stop(self):
        rc = self.proc.stop()
        check(rc in (0, -signal.SIGTERM),
              f"{self.name} exited with status {rc} on SIGTERM:\n{self.proc.log_text()[-3000:]}")
        return rc

    def get(self, path, timeout=60):
        """(status, body bytes) of an HTTP GET; status 0 when nothing answers."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
        except (OSError, urllib.error.URLError):
            return 0, b""

    def health(self):
        st, body = self.get("/health", timeout=10)
        if st == 0:
            return None
        try:
            return json.loads(body)
        except ValueError:
            raise TestFailure(f"/health answered {st} with non-JSON {body[:200]!r}")

    def wait_health(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.proc.alive():
                raise TestFailure(f"{self.name} exited with status {self.proc.p.returncode}:\n"
                                  f"{self.proc.log_text()[-3000:]}")
            h = self.health()
            if h is not None:
                return h
            time.sleep(0.05)
        raise TestFailure(f"{self.name}: no /health after {timeout}s")

    async def wait_caught_up(self, timeout=600):
        """Until the server has folded every record in the Redis log."""
        deadline = time.monotonic() + timeout
        h = None
        while time.monotonic() < deadline:
            check(self.proc.alive(), f"{self.name} died:\n{self.proc.log_text()[-3000:]}")
            want = self.redis.last_id(self.event)
            h = self.health()
            if h is not None:
                got = h.get("last_id")
                if want is None and (not got or got == "0-0"):
                    return h
                if want is not None and got == want:
                    return h
                if "last_id" not in h and h.get("records") == self.redis.xlen(self.event):
                    return h
            await asyncio.sleep(0.1)
        raise TestFailure(f"{self.name} did not catch up with the log in {timeout}s "
                          f"(redis last id {self.redis.last_id(self.event)}, health {h})")

    def export(self, fmt="csv", race=RACE):
        st, body = self.get(f"/api/results/{race}.{fmt}")
        check(st == 200, f"GET /api/results/{race}.{fmt} answered {st}: {body[:300]!r}")
        keep_export(f"{race}.{fmt}", body)
        return body

    def export_rows_json(self, race=RACE):
        doc = json.loads(self.export("json", race))
        rows = doc.get("rows", doc.get("results")) if isinstance(doc, dict) else doc
        check(isinstance(rows, list), f"JSON export has no rows list: {str(doc)[:300]}")
        return rows


# ---------------------------------------------------------------- WebSocket client

class Client:
    """One WebSocket connection in either subprotocol.  Replies (ok/ack/err
    with an id) go to their request; everything else (snapshots, deltas,
    errors without id) is queued in `pushes`."""

    def __init__(self, ws, fmt):
        self.ws, self.fmt = ws, fmt
        self.pushes = asyncio.Queue()
        self.waiting = {}
        self.next_id = 1
        self.closed = None  # (code, reason) once closed
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, server, fmt="json", timeout=30):
        ws = await asyncio.wait_for(
            websockets.connect(server.ws_url, subprotocols=[SUBPROTO[fmt]], max_size=None,
                               ping_interval=None, open_timeout=timeout, close_timeout=2),
            timeout)
        check(ws.subprotocol == SUBPROTO[fmt],
              f"server chose subprotocol {ws.subprotocol!r}, asked {SUBPROTO[fmt]!r}")
        return cls(ws, fmt)

    def encode(self, obj):
        if self.fmt == "json":
            return json.dumps(obj, separators=(",", ":"))
        return msgpack.packb(obj, use_bin_type=True)

    def decode(self, frame):
        if self.fmt == "json":
            check(isinstance(frame, str), f"json connection got a binary frame {frame[:50]!r}")
            return json.loads(frame)
        check(isinstance(frame, bytes), f"msgpack connection got a text frame {frame[:50]!r}")
        return msgpack.unpackb(frame, raw=False, strict_map_key=False)

    async def _read(self):
        try:
            async for frame in self.ws:
                msg = self.decode(frame)
                rid = msg.get("id") if isinstance(msg, dict) else None
                fut = self.waiting.pop(rid, None) if rid is not None else None
                if fut is not None and not fut.done():
                    fut.set_result(msg)
                else:
                    await self.pushes.put(msg)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed = (self.ws.close_code, self.ws.close_reason)
            for fut in self.waiting.values():
                if not fut.done():
                    fut.set_exception(ConnectionError(f"connection closed {self.closed}"))
            self.waiting.clear()
            await self.pushes.put(None)

    async def send(self, obj):
        await self.ws.send(self.encode(obj))

    async def send_raw(self, frame):
        await self.ws.send(frame)

    def new_id(self):
        i = self.next_id
        self.next_id += 1
        return i

    async def request(self, obj, timeout=60):
        obj = dict(obj)
        if "id" not in obj:
            obj["id"] = self.new_id()
        fut = asyncio.get_running_loop().create_future()
        self.waiting[obj["id"]] = fut
        await self.send(obj)
        return await asyncio.wait_for(fut, timeout)

    async def expect_ok(self, obj, timeout=60):
        r = await self.request(obj, timeout)
        check(r.get("t") in ("ok", "ack"), f"{obj.get('t')} got {r}")
        return r

    async def hello(self, token=None, event=EVENT):
        m = {"t": "hello", "event": event}
        if token:
            m["token"] = token
        return await self.expect_ok(m)

    async def next_push(self, timeout=30):
        m = await asyncio.wait_for(self.pushes.get(), timeout)
        if m is None:
            self.pushes.put_nowait(None)  # stays closed
        return m

    async def drain(self, quiet=1.0, limit=600):
        """Every push until none arrives for `quiet` seconds."""
        out, deadline = [], time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                m = await asyncio.wait_for(self.pushes.get(), quiet)
            except asyncio.TimeoutError:
                return out
            if m is None:
                self.pushes.put_nowait(None)
                return out
            out.append(m)
        return out

    async def close(self):
        try:
            await asyncio.wait_for(self.ws.close(), 5)
        except Exception:
            pass
        self.reader.cancel()


async def topic_snapshot(server, token, topic, offset=None, limit=0):
    """The first snapshot of a topic, on a connection of its own."""
    c = await Client.connect(server, "msgpack")
    try:
        await c.hello(token)
        req = {"t": "subscribe", "topic": topic, "limit": limit}
        if offset is not None:
            req["offset"] = offset
        await c.expect_ok(req)
        while True:
            m = await c.next_push(60)
            check(m is not None, f"connection closed waiting for {topic}")
            if m.get("t") == "snapshot" and m.get("topic") == topic:
                return m
    finally:
        await c.close()


# ---------------------------------------------------------------- Harness

class Harness:
    def __init__(self, name, paths):
        self.name, self.paths = name, paths
        self.tmp = tempfile.mkdtemp(prefix=f"sl-{name}-")
        self.procs = []
        self.clusters = []
        self.admin_token = os.urandom(16).hex()
        self.admin_token_file = os.path.join(self.tmp, "admin.token")
        fd = os.open(self.admin_token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, (self.admin_token + "\n").encode())
        os.close(fd)
        for p, what in ((paths.server, "splitlined"), (paths.ctl, "splitline"),
                        (paths.replay, "splitline-replay"), (paths.redis_server, "redis-server")):
            check(os.access(p, os.X_OK), f"{what} not found or not executable: {p!r}")
        check(os.path.exists(paths.boston_csv), f"no race data at {paths.boston_csv}")

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def redis(self, name="redis", port=None):
        return Redis(self, name, port).start()

    def cluster(self, name="cluster", **kw):
        return Cluster(self, name, **kw).start()

    def server(self, redis, name="server", port=None, extra=()):
        return Server(self, redis, name, port, extra=extra).start()

    # -- the officials' CLI
    def ctl(self, server, args, token=None, token_file=None, check_rc=True, timeout=600,
            admin=True):
        argv = [self.paths.ctl, "--server", server.ws_url, "--event", server.event]
        if token:
            argv += ["--token", token]
        elif token_file:
            argv += ["--token-file", token_file]
        elif admin:
            argv += ["--token-file", self.admin_token_file]
        argv += [str(a) for a in args]
        t0 = time.monotonic()
        r = subprocess.run(argv, cwd=self.tmp, stdin=subprocess.DEVNULL, capture_output=True,
                           env=child_env(), timeout=timeout, preexec_fn=_die_with_parent)
        r.stdout = r.stdout.decode("utf-8", "replace")
        r.stderr = r.stderr.decode("utf-8", "replace")
        with open(self.path("ctl.log"), "a") as f:
            f.write(f"$ {' '.join(argv)}\n# exit {r.returncode} in {time.monotonic() - t0:.1f}s\n"
                    f"{r.stdout}{r.stderr}\n")
        scan_sanitizer(r.stderr, "splitline " + " ".join(map(str, args[:2])))
        if check_rc and r.returncode != 0:
            raise TestFailure(f"splitline {' '.join(map(str, args))} exited {r.returncode}:\n"
                              f"stdout: {r.stdout[-2000:]}\nstderr: {r.stderr[-2000:]}")
        return r

    def create_event(self, server, yaml=None):
        return self.ctl(server, ["event", "create", yaml or self.paths.event_yaml])

    def import_boston(self, server, csv_path):
        return self.ctl(server, ["participants", "import", csv_path, "--map", "sex=M/F",
                                 "--chip-from-bib"])

    def issue_token(self, server, role, device=None):
        args = ["token", "issue", "--role", role]
        if device:
            args += ["--device", device]
        tok = self.ctl(server, args).stdout.strip()
        check(re.fullmatch(r"[0-9a-fA-F]{16,128}", tok), f"token issue printed {tok!r}")
        return tok

    # -- the replay device
    def replay(self, server, csv_path, token, device="replay-1", speed=0, extra=(),
               name="replay"):
        argv = [self.paths.replay, "boston", csv_path, "--config", self.paths.event_yaml,
                "--server", server.ws_url, "--event", server.event, "--token", token,
                "--device", device, "--speed", speed, "--seed", "1"] + list(extra)
        return Proc(self, name, argv, stdout_file=self.path(f"{name}.out"))

    async def run_replay(self, *a, timeout=1800, **kw):
        p = self.replay(*a, **kw)
        rc = await p.wait_async(timeout)
        out, err = p.out_text(), p.log_text()
        scan_sanitizer(err, p.name)
        check(rc == 0, f"replay exited {rc}:\nstdout: {out[-2000:]}\nstderr: {err[-3000:]}")
        return parse_replay_summary(out), out, err

    # -- end
    def cleanup(self, failed):
        for p in reversed(self.procs):
            if p.alive():
                p.signal(signal.SIGKILL)
        for p in self.procs:
            p.wait(10)
            p.close_files()
        for c in self.clusters:
            c.cleanup()
        reports = []
        for p in self.procs:
            txt = p.log_text()
            if any(m in txt for m in SANITIZER_MARKS):
                reports.append((p.name, txt))
        if failed or reports:
            for p in self.procs:
                txt = p.log_text()
                if txt:
                    sys.stdout.write(f"---- {p.name} ({p.log_path}), last lines:\n"
                                     f"{tail(txt, 40)}\n")
            for c in self.clusters:
                for n in c.nodes.values():
                    sys.stdout.write(f"---- {c.name} node {n} (pid {n.pid}), last lines:\n"
                                     f"{tail(n.log_text(), 15)}\n")
            for name in ["ctl.log"] + [f"{c.name}-script.log" for c in self.clusters]:
                if os.path.exists(self.path(name)):
                    with open(self.path(name)) as f:
                        sys.stdout.write(f"---- {name}, last lines:\n{tail(f.read(), 40)}\n")
        if failed or reports or self.paths.keep:
            sys.stdout.write(f"kept {self.tmp}\n")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return reports


def sh_blocks(path):
    """The ```sh blocks of a Markdown file: [(first line number, text)]."""
    with open(path) as f:
        lines = f.read().split("\n")
    blocks, cur, start = [], None, 0
    for i, line in enumerate(lines, 1):
        if cur is None and line.strip() == "```sh":
            cur, start = [], i + 1
        elif cur is not None and line.strip() == "```":
            blocks.append((start, "\n".join(cur)))
            cur = None
        elif cur is not None:
            cur.append(line)
    check(cur is None, f"{path}: a ```sh block is not closed")
    return blocks


async def wait_for(cond, what, timeout=20, every=0.05):
    """Polls cond() (a function or a coroutine function) every `every`
    seconds until it returns something true, and returns that; fails the
    test naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if asyncio.iscoroutine(v):
            v = await v
        if v:
            return v
        await asyncio.sleep(every)
    raise TestFailure(f"{what}: not within {timeout}s")


class Proxy:
    """A TCP proxy 127.0.0.1:port -> 127.0.0.1:target_port for cutting a
    link on purpose: down() stops accepting (connections are refused) and
    aborts the live ones (counted in `cut`); up() listens again on the same
    port."""

    def __init__(self, target_port):
        self.target = target_port
        self.port = None
        self.srv = None
        self.conns = set()
        self.cut = 0

    async def _pipe(self, r, w):
        try:
            while True:
                b = await r.read(65536)
                if not b:
                    break
                w.write(b)
                await w.drain()
        except (ConnectionError, asyncio.CancelledError, OSError):
            pass
        finally:
            try:
                w.close()
            except Exception:
                pass

    async def _client(self, cr, cw):
        try:
            sr, sw = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            cw.transport.abort()
            return
        pair = (cw, sw)
        self.conns.add(pair)
        try:
            await asyncio.gather(self._pipe(cr, sw), self._pipe(sr, cw))
        finally:
            self.conns.discard(pair)

    async def up(self):
        self.srv = await asyncio.start_server(self._client, "127.0.0.1", self.port or 0,
                                              reuse_address=True)
        self.port = self.srv.sockets[0].getsockname()[1]

    async def down(self):
        self.srv.close()
        await self.srv.wait_closed()
        for cw, sw in list(self.conns):
            cw.transport.abort()
            sw.transport.abort()
            self.cut += 1
        self.conns.clear()


def tail(text, n):
    return "\n".join(text.rstrip("\n").split("\n")[-n:])


def scan_sanitizer(text, who):
    for m in SANITIZER_MARKS:
        if m in text:
            raise TestFailure(f"sanitizer report from {who}:\n{text[-4000:]}")


REPLAY_SUMMARY = re.compile(
    r"replay: sent (\d+) reads in (\d+) batches, acked (\d+), duplicates (\d+)")


def parse_replay_summary(out):
    m = REPLAY_SUMMARY.search(out)
    check(m, f"replay printed no summary line: {out[-1000:]!r}")
    sent, batches, acked, dups = map(int, m.groups())
    return {"sent": sent, "batches": batches, "acked": acked, "dups": dups}


_kept = {"test": "test", "n": 0}


def http_fetch(port, path, headers=(), conn=None, timeout=60):
    """(status, headers lower-cased, body) of a GET with exactly these headers
    (http.client adds no Accept-Encoding of its own here); on conn when given
    (left open), else on a connection of its own."""
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.putrequest("GET", path, skip_accept_encoding=True)
    for k, v in headers:
        c.putheader(k, v)
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    if conn is None:
        c.close()
    return r.status, hdrs, body


def keep_export(what, body):
    """With SL_KEEP_EXPORTS=DIR, a copy of every export a test fetches goes
    to DIR/<test>-<nnn>-<what>, numbered in the order fetched: two builds'
    runs of the same tests can then be compared file by file (a refactor
    that must leave every export byte-identical)."""
    d = os.environ.get("SL_KEEP_EXPORTS")
    if not d:
        return
    os.makedirs(d, exist_ok=True)
    _kept["n"] += 1
    with open(os.path.join(d, f"{_kept['test']}-{_kept['n']:03d}-{what}"), "wb") as f:
        f.write(body)


def run(name, body, extra_args=None):
    """Entry point of a test script: body(h) is a coroutine function."""
    _kept["test"] = name
    ns = parse_args(extra=extra_args)
    paths = Paths(ns)
    t0 = time.monotonic()
    h = None
    failed = True
    try:
        h = Harness(name, paths)
        h.args = ns
        asyncio.run(body(h))
        failed = False
    except TestFailure as e:
        sys.stdout.write(f"FAIL {name}: {e}\n")
    except Exception:
        sys.stdout.write(f"FAIL {name}: unexpected error\n{traceback.format_exc()}")
    finally:
        reports = h.cleanup(failed) if h else []
    for who, txt in reports:
        sys.stdout.write(f"FAIL {name}: sanitizer report in {who}'s log\n")
        failed = True
    dt = time.monotonic() - t0
    if failed:
        sys.stdout.write(f"{name}: FAILED in {dt:.1f}s\n")
        sys.exit(1)
    sys.stdout.write(f"{name}: passed in {dt:.1f}s\n")
