"""cluster_script: scripts/cluster as its user sees it (no splitlined).

1. `start` (the defaults: 3 primaries + 3 replicas) prints one seed line;
   every node it names answers, says cluster_state:ok and runs scripts/
   redis.conf's durability settings with the cluster ones (appendfsync
   always, min-replicas-to-write 1, min-replicas-max-lag 10, the node timeout
   asked); three primaries own all 16384 slots, each with a linked replica;
   the data is under DIR/<port>/.  `status` lists the six, exit 0.
2. A second `start` on the same DIR is refused (exit 1) naming the running
   cluster; bad arguments are refused with exit 2 naming the argument, and
   create nothing.
3. A node killed: `status` says so (exit 1); `start-node` brings it back
   from its dir, rejoining; `start-node` of a running node or an unknown
   port is refused.
4. `stop` stops every node (none left running), `status` then exits 1, and
   `start` on the stopped DIR is refused.
5. `--masters 1 --replicas 1 --port P` (slots assigned by hand) gives a
   1-primary cluster on P and P+1; a second cluster on a busy --port is
   refused naming the port.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import os
import re

import harness
from harness import check, log
from test_cluster import free_base


def script(c, *args):
    return c.script(*args, check_rc=False)


def refused(c, args, rc, *words):
    r = script(c, *args)
    check(r.returncode == rc and all(w in r.stderr for w in words) and not r.stdout,
          f"scripts/cluster {' '.join(map(str, args))}: exit {r.returncode}, stdout "
          f"{r.stdout!r}, want exit {rc} naming {words}:\n{r.stderr[-800:]}")
    return r


def config(node, key):
    return node.cmd("CONFIG", "GET", key)[1].decode()


async def main(h):
    c = harness.Cluster(h, node_timeout=1500).start()
    check(len(c.nodes) == 6 and c.addr.count(",") == 5, f"seeds {c.addr}")
    # (CLUSTER SLOTS lists a replica only once it has replicated a write)
    owners = {p: hi - lo + 1 for lo, hi, p, _ in c.slots(c.live()[0])}
    check(sum(owners.values()) == 16384 and
          sorted(owners) == sorted(n.port for n in c.primaries()) and len(owners) == 3,
          f"slots {owners}, primaries {c.primaries()}")
    for p in c.primaries():
        check(c.replica_of(p).info("replication").get("master_link_status") == "up",
              f"{p}'s replica not linked")
    for n in c.nodes.values():
        got = {k: config(n, k) for k in ("appendonly", "appendfsync", "min-replicas-to-write",
                                         "min-replicas-max-lag", "cluster-node-timeout",
                                         "dir", "cluster-enabled")}
        want = {"appendonly": "yes", "appendfsync": "always", "min-replicas-to-write": "1",
                "min-replicas-max-lag": "10", "cluster-node-timeout": "1500",
                "dir": os.path.realpath(n.dir), "cluster-enabled": "yes"}
        check(got == want, f"{n}: {got}")
        check(n.info("cluster").get("cluster_state") == "ok", f"{n}: not ok")
        check(os.path.exists(os.path.join(n.dir, "nodes.conf")), f"{n}: no nodes.conf")
    r = script(c, "status", "--dir", c.dir)
    lines = r.stdout.strip().split("\n")
    check(r.returncode == 0 and len(lines) == 6 and
          sum(" primary " in x for x in lines) == 3 and
          sum("replica of" in x and "(link up)" in x for x in lines) == 3,
          f"status: {r.returncode}\n{r.stdout}")
    log(f"started: {c.addr}, settings of redis.conf + redis-cluster.conf on every node")

    refused(c, ["start", "--dir", c.dir], 1, "runs in", "already")
    bad = h.path("bad")
    for args, word in ((["--masters", "0"], "--masters"), (["--masters", "17"], "--masters"),
                       (["--replicas", "5"], "--replicas"), (["--replicas", "x"], "--replicas"),
                       (["--node-timeout", "99"], "--node-timeout"), (["--port", "80"], "--port"),
                       (["--port"], "--port"), (["--frob"], "--frob")):
        refused(c, ["start", "--dir", bad] + args, 2, word)
    refused(c, ["frob"], 2, "frob")
    refused(c, [], 2, "no command")
    refused(c, ["stop", "--dir", c.dir, "--masters", "3"], 2, "--masters")
    check(not os.path.exists(bad), f"a refused start created {bad}")
    log("a second start and bad arguments refused")

    victim = c.replica_of(c.primaries()[0])
    c.kill9(victim)
    r = script(c, "status", "--dir", c.dir)
    check(r.returncode == 1 and re.search(rf":{victim.port} pid \d+ not running", r.stdout),
          f"status with {victim} killed: {r.returncode}\n{r.stdout}")
    c.start_node(victim)
    await harness.wait_for(lambda: victim.info("replication").get("master_link_status") == "up",
                           f"{victim} linked again", 60)
    refused(c, ["start-node", "--dir", c.dir, victim.port], 1, "runs already")
    refused(c, ["start-node", "--dir", c.dir, 1], 1, "no node on port 1")
    refused(c, ["start-node", "--dir", c.dir], 2, "PORT")
    log(f"{victim} killed, seen by status, started again from its dir")

    c.stop()
    check(not c.live(), f"nodes left running after stop: {c.live()}")
    check(script(c, "status", "--dir", c.dir).returncode == 1, "status of a stopped cluster")
    refused(c, ["start", "--dir", c.dir], 1, "stopped cluster")
    log("stopped: nothing runs, a start on its dir refused")

    base = free_base(2)
    one = harness.Cluster(h, "one", masters=1, replicas=1, port=base).start()
    check(one.addr == f"127.0.0.1:{base},127.0.0.1:{base + 1}", f"1-primary seeds {one.addr}")
    check([(lo, hi, p) for lo, hi, p, _ in one.slots(one.live()[0])] == [(0, 16383, base)],
          f"1-primary slots {one.slots(one.live()[0])}")
    other = harness.Cluster(h, "busy", port=base)
    refused(other, ["start", "--dir", other.dir, "--port", base], 1, f"port {base}", "busy")
    one.stop()
    log(f"1 primary + 1 replica on --port {base}; the same port again refused")


if __name__ == "__main__":
    harness.run("cluster_script", main)
