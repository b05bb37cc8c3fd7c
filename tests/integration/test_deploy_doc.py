"""deploy_doc: docs/deploy.md's sh examples, as typed.

The guide's examples use fixed ports (a Redis on 6391, nodes on 8091 and
8092, haproxy on 8090 and its stats on 8494, a node of a local cluster on
8093; the cluster's own ports are free ones): the test says which one is
taken if any is, rather than change a command.  They run in one bash (the
later blocks use the jobs of the earlier ones: `kill -9 %2`) from a
directory that looks like the repository root (`scripts/` linked in, the
guide's `var/try/` made there), with `splitlined`, `haproxy` and
`redis-server` on the PATH, as the guide says.  Then what the guide says
they print is checked: both nodes UP, node1 DOWN after the kill, /health
answered through haproxy after it, haproxy's log saying so, a node on the
local cluster of scripts/cluster up in cluster mode; and nothing of theirs
is left running.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import os
import shutil
import signal
import socket
import subprocess

import harness
from harness import check, log

PORTS = (6391, 8090, 8091, 8092, 8093, 8494)


def busy(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return False
        except OSError:
            return True


async def main(h):
    haproxy = h.args.haproxy
    check(os.access(haproxy, os.X_OK), f"haproxy not found ({haproxy!r}): scripts/setup installs it")
    check(shutil.which("curl"), "curl not found: scripts/setup installs it")
    taken = [p for p in PORTS if busy(p)]
    check(not taken, f"docs/deploy.md's examples use ports {PORTS}; taken here: {taken}")
    root = h.path("repo")
    bindir = h.path("bin")
    os.makedirs(root)
    os.makedirs(bindir)
    os.symlink(os.path.join(h.paths.source, "scripts"), os.path.join(root, "scripts"))
    for prog in (h.paths.server, haproxy, h.paths.redis_server):
        os.symlink(os.path.abspath(prog), os.path.join(bindir, os.path.basename(prog)))
    env = harness.child_env()
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    blocks = harness.sh_blocks(os.path.join(h.paths.source, "docs", "deploy.md"))
    check(len(blocks) >= 3, f"docs/deploy.md has only {len(blocks)} sh blocks")
    script = "\n".join(f"echo '---- docs/deploy.md:{start}'\n{text}" for start, text in blocks)
    out_path = h.path("doc.out")
    with open(out_path, "w") as out_f:
        p = subprocess.Popen(["bash", "-euo", "pipefail", "-c", script], cwd=root, env=env,
                             stdin=subprocess.DEVNULL, stdout=out_f, stderr=subprocess.STDOUT,
                             start_new_session=True)
        try:
            p.wait(timeout=200)
        except subprocess.TimeoutExpired:
            pass
        finally:
            try:  # whatever the examples left running: their process group
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
    with open(out_path) as f:
        out = f.read()
    with open(h.path("doc.log"), "w") as f:
        f.write(f"{script}\n# exit {p.returncode}\n{out}")
    check(p.returncode == 0, f"docs/deploy.md's examples exit {p.returncode}:\n{out[-3000:]}")
    lines = out.split("\n")
    ups = [ln for ln in lines if ln in ("node1,UP", "node2,UP")]
    check(ups[:2] == ["node1,UP", "node2,UP"], f"the stats before the kill: {out[-3000:]}")
    after = lines[lines.index("node1,DOWN"):] if "node1,DOWN" in lines else []
    check(after and after[1] == "node2,UP", f"the stats after the kill: {out[-3000:]}")
    check(any(ln.startswith('{"ok":true') for ln in after),
          f"no /health answered through haproxy after the kill: {out[-3000:]}")
    check(any("Server splitlined/node1 is DOWN" in ln for ln in after),
          f"haproxy's log does not say node1 went down: {out[-3000:]}")
    check(any(ln.startswith('{"ok":true') and '"redis_mode":"cluster"' in ln for ln in lines),
          f"the node of the local cluster did not say redis_mode cluster: {out[-3000:]}")
    log(f"docs/deploy.md: {len(blocks)} sh blocks ran; node1 down after the kill, "
        f"node2 answered through haproxy; a node on scripts/cluster's cluster")
    for port in PORTS:
        check(not busy(port), f"port {port} still taken after the examples' last block")
    log("the examples left nothing running")


def args(ap):
    ap.add_argument("--haproxy", default=shutil.which("haproxy") or "/usr/sbin/haproxy")


if __name__ == "__main__":
    harness.run("deploy_doc", main, args)
