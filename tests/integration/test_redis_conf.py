"""redis_conf: the shipped scripts/redis.conf works from any directory.

1. Each `redis-server ...` command line in the file's own comment runs as
   written (with the port and directory swapped for free ones), from the
   repository root and from an unrelated directory: Redis answers PING with
   its data where the line says.
2. Started by absolute path from another directory with no --dir, Redis
   keeps its data in that directory.
3. Either way the durability settings hold: appendonly yes, appendfsync
   always (an acknowledged read is on disk).
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import os
import re
import subprocess
import time

import harness
from harness import check, free_port, log


def start(h, name, argv, cwd):
    p = harness.Proc(h, name, argv, cwd=cwd)
    port = int(argv[argv.index("--port") + 1]) if "--port" in argv else 6380
    deadline = time.monotonic() + 30
    r = harness.Redis(h, f"{name}-client", port=port)
    while True:
        check(p.alive(), f"{' '.join(argv)} (cwd {cwd}) exited:\n{p.log_text()[-2000:]}")
        try:
            if r.cmd("PING") == "PONG":
                return p, r
        except OSError:
            pass
        check(time.monotonic() < deadline, f"{' '.join(argv)}: no PONG in 30 s")
        time.sleep(0.1)


def settings(r):
    def get(k):
        v = r.cmd("CONFIG", "GET", k)
        return v[1].decode() if v else None
    return {k: get(k) for k in ("dir", "appendonly", "appendfsync")}


async def main(h):
    conf = h.paths.redis_conf
    with open(conf) as f:
        lines = [m.group(1).strip() for m in re.finditer(r"^#\s+(redis-server [^(\n]+)", f.read(), re.M)]
    check(lines, f"{conf} shows no redis-server command line in its comments")
    n = 0
    for line in lines:
        for cwd in (h.paths.source, h.path(f"elsewhere-{n}")):
            os.makedirs(cwd, exist_ok=True)
            port = free_port()
            data = h.path(f"data-{n}")
            os.makedirs(data, exist_ok=True)
            argv = line.split()
            argv[0] = h.paths.redis_server
            if "--port" in argv:
                argv[argv.index("--port") + 1] = str(port)
            else:
                argv += ["--port", str(port)]
            want_dir = cwd
            if "--dir" in argv:
                argv[argv.index("--dir") + 1] = data
                want_dir = data
            argv[1] = conf  # the file itself, wherever the line is run from
            argv += ["--bind", "127.0.0.1"]
            if cwd == h.paths.source and "--dir" not in line:
                continue  # no data in the source tree
            p, r = start(h, f"redis-{n}", argv, cwd)
            s = settings(r)
            check(s == {"dir": os.path.realpath(want_dir), "appendonly": "yes",
                        "appendfsync": "always"}, f"{line!r} from {cwd}: {s}")
            r.cmd("SET", "k", "v")
            check(os.path.isdir(os.path.join(want_dir, "appendonlydir")),
                  f"{line!r} from {cwd}: no appendonlydir in {want_dir}")
            p.stop()
            log(f"{line!r} from {cwd}: data in {want_dir}, appendfsync always")
            n += 1
    check(n >= 2, f"only {n} command lines ran")


if __name__ == "__main__":
    harness.run("redis_conf", main)
