"""web_root: splitlined finds its pages without --web-root.

1. Run from its build folder, with the working directory elsewhere (a
   temporary folder that has no clients/web), it serves the source tree's
   pages: GET / is clients/web/index.html byte for byte.
2. Installed with `cmake --install BUILD --prefix P` (binaries in P/bin,
   pages in P/share/splitline/web), P/bin/splitlined serves P's pages: a
   marker written into P's copy of index.html is what GET / returns, and the
   other programs are installed beside it.
3. An explicit --web-root that is no folder is said in the log.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import os
import subprocess

import harness
from harness import Server, check, log

PROGRAMS = ("splitlined", "splitline", "splitline-replay", "splitline-reader",
            "splitline-emu", "splitline-regatta", "splitline-scan")


async def main(h):
    redis = h.redis()
    src_index = open(os.path.join(h.paths.source, "clients", "web", "index.html"), "rb").read()

    srv = Server(h, redis).start()
    check(not os.path.exists(os.path.join(h.tmp, "clients")), "the test's cwd has clients/")
    st, body = srv.get("/")
    check(st == 200 and body == src_index,
          f"from the build folder: GET / is {st}, {len(body)} bytes, not the source index.html")
    st, _ = srv.get("/scan.html")
    check(st == 200, f"GET /scan.html: {st}")
    check("web root '" + os.path.join(h.paths.source, "clients", "web") + "'"
          in srv.proc.log_text(), "the log does not name the source tree's web root")
    srv.stop()
    log("from the build folder: the source tree's pages")

    build = os.path.dirname(os.path.dirname(os.path.abspath(h.paths.server)))
    prefix = h.path("prefix")
    r = subprocess.run(["cmake", "--install", build, "--prefix", prefix], capture_output=True,
                       text=True, timeout=600)
    check(r.returncode == 0, f"cmake --install {build}: {r.returncode}\n{r.stdout}\n{r.stderr}")
    for p in PROGRAMS:
        check(os.access(os.path.join(prefix, "bin", p), os.X_OK), f"{p} not installed in bin/")
    web = os.path.join(prefix, "share", "splitline", "web")
    for f in ("index.html", "desk.html", "scan.html", "style.css", "protocol.js"):
        check(os.path.isfile(os.path.join(web, f)), f"share/splitline/web/{f} not installed")
    marker = b"<!-- installed copy: web_root test -->\n"
    with open(os.path.join(web, "index.html"), "rb") as f:
        installed = f.read()
    check(installed == src_index, "the installed index.html differs from the source's")
    with open(os.path.join(web, "index.html"), "wb") as f:
        f.write(marker + installed)
    h.paths.server = os.path.join(prefix, "bin", "splitlined")
    srv = Server(h, redis, name="installed").start()
    st, body = srv.get("/")
    check(st == 200 and body.startswith(marker),
          f"installed: GET / is {st} and not the prefix's index.html: {body[:80]!r}")
    srv.stop()
    log(f"installed in {prefix}: the prefix's pages")

    missing = h.path("no-such-dir")
    srv = Server(h, redis, name="bad-root", extra=["--web-root", missing]).start()
    st, _ = srv.get("/")
    check(st == 404, f"GET / with a missing web root: {st}")
    check(f"web root '{missing}' is not a directory" in srv.proc.log_text(),
          f"no warning about the missing web root:\n{srv.proc.log_text()[-1000:]}")
    srv.stop()
    log("a missing --web-root is said in the log")


if __name__ == "__main__":
    harness.run("web_root", main)
