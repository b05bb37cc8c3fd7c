"""import_headers (issue 12): a participants file with everyday headers,
through the real CLI into the real server.

The issue's file: `Bib, First Name, Last Name, Gender, Date of Birth, Chip`
(spaces after the commas), plus two columns nothing imports, 20 athletes
with genders spelled every way a sign-up form does and dates of birth as
DD/MM/YYYY.  It used to import 20 athletes with no name, sex or age.

Asserted, on a small event of its own (one 10 km race on 2024-06-01):
- the issue's exact header (no bib) is refused, naming the --map to add,
  and nothing reaches the log;
- a file with no name column is refused the same way;
- --dry-run prints which column feeds which field (the date order and the
  line that shows it included) and the columns not imported, and writes
  nothing;
- the import: the server's CSV export has every athlete's name (first +
  last), sex (M, F or X) and age on race day (from the date of birth);
  chip reads at the start and finish mats give every athlete exactly the
  net time of their own two reads, so each chip belongs to its athlete.
"""

import asyncio
import csv
import io
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

from harness import Client, Server, check, log, run

EV = "import-12"
RACE = "10k"
T0 = 1717232400000  # 2024-06-01T09:00:00Z
RACE_DAY = (2024, 6, 1)

YAML = f"""event: {EV}
name: Issue 12 import
date: 2024-06-01
races:
  - id: {RACE}
    name: 10K
    kind: mass
    distance_m: 10000
    ranking: net
    precision_ms: 1
    waves:
      - {{id: "1", start: "2024-06-01T09:00:00Z", bibs: "1-999"}}
    points:
      - {{id: start, name: Start, distance_m: 0, role: start, window_s: 3600}}
      - {{id: finish, name: Finish, distance_m: 10000, role: finish, min_s: 600, dedupe_s: 5}}
"""

FIRST = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John", "Radia",
         "Ken", "Margaret", "Dennis", "Sophie", "Tim", "Karen", "Niklaus", "Hedy", "Linus",
         "Shafi", "Robin"]
LAST = ["Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus",
        "Perlman", "Thompson", "Hamilton", "Ritchie", "Wilson", "Berners-Lee", "Jones",
        "Wirth", "Lamarr", "Torvalds", "Goldwasser", "Milner"]
# as sign-up forms write them, and what the server keeps
GENDERS = [("Female", "F"), ("Male", "M"), ("F", "F"), ("M", "M"), ("W", "F"),
           ("woman", "F"), ("man", "M"), ("Non-binary", "X"), ("x", "X"), ("MALE", "M")]


def athletes():
    out = []
    for i in range(20):
        d, m, y = 1 + (i * 7) % 28, 1 + (i * 5) % 12, 1960 + i * 2
        g, sex = GENDERS[i % len(GENDERS)]
        age = RACE_DAY[0] - y - ((RACE_DAY[1], RACE_DAY[2]) < (m, d))
        out.append({"bib": str(101 + i), "first": FIRST[i], "last": LAST[i], "gender": g,
                    "sex": sex, "dob": f"{d:02d}/{m:02d}/{y}", "age": age,
                    "chip": f"E2003412{101 + i:04d}", "shirt": "SML"[i % 3],
                    "phone": f"555-01{i:02d}"})
    return out


def write(path, header, rows):
    with open(path, "w") as f:
        f.write(", ".join(header) + "\n")
        for r in rows:
            f.write(", ".join(r) + "\n")


async def send_reads(server, token, dev, reads):
    c = await Client.connect(server, "msgpack")
    try:
        await c.hello(token, event=EV)
        await c.expect_ok({"t": "passings", "dev": dev, "seq": 1, "reads": reads})
    finally:
        await c.close()


async def body(h):
    people = athletes()
    redis = h.redis()
    srv = Server(h, redis, event=EV).start()
    yaml_path = h.path("event.yaml")
    with open(yaml_path, "w") as f:
        f.write(YAML)
    h.create_event(srv, yaml_path)
    await srv.wait_caught_up()
    xlen0 = redis.xlen(EV)

    # -- the issue's exact header: no bib column, refused
    exact = h.path("exact.csv")
    write(exact, ["First Name", "Last Name", "Gender", "Date of Birth", "Chip"],
          [[p["first"], p["last"], p["gender"], p["dob"], p["chip"]] for p in people])
    r = h.ctl(srv, ["participants", "import", exact], check_rc=False)
    check(r.returncode == 1, f"a file without a bib column exited {r.returncode}: {r.stderr}")
    check("exact.csv:1: no bib column:" in r.stderr and "--map bib=Header" in r.stderr
          and "nothing sent" in r.stderr,
          f"no bib column: expected the --map to add, got {r.stderr!r}")
    log("the issue's exact header (no bib) is refused with the --map to add")

    # -- no name column: refused
    noname = h.path("noname.csv")
    write(noname, ["Bib", "Gender", "Athlete Full Name"],
          [[p["bib"], p["gender"], f"{p['first']} {p['last']}"] for p in people])
    r = h.ctl(srv, ["participants", "import", noname], check_rc=False)
    check(r.returncode == 1 and "noname.csv:1: no name column: add --map 'name=Athlete Full "
          "Name'" in r.stderr, f"no name column: exited {r.returncode}, {r.stderr!r}")
    log("a file without a name column is refused with the --map to add")

    # -- the issue's file, with a bib and two columns nothing imports
    path = h.path("people.csv")
    header = ["Bib", "First Name", "Last Name", "Gender", "Date of Birth", "Chip",
              "Shirt Size", "Emergency Phone"]
    write(path, header, [[p["bib"], p["first"], p["last"], p["gender"], p["dob"], p["chip"],
                          p["shirt"], p["phone"]] for p in people])
    r = h.ctl(srv, ["participants", "import", path, "--dry-run"])
    shows = next(i for i, p in enumerate(people) if int(p["dob"][:2]) > 12) + 2  # its line
    for want in ["columns of '" + path + "':\n",
                 "  'Bib'             -> bib\n",
                 "  'First Name'      -> first\n",
                 "  'Last Name'       -> last\n",
                 "  'Gender'          -> sex\n",
                 "  'Date of Birth'   -> birth (dates like 05/03/1990 read as DD/MM/YYYY, "
                 f"as line {shows} shows)\n",
                 "  'Chip'            -> chip\n",
                 "  'Shirt Size'      -> not imported\n",
                 "  'Emergency Phone' -> not imported\n",
                 f"20 participants in '{path}' are valid (dry run, nothing imported)"]:
        check(want in r.stdout, f"--dry-run should print {want!r}, got:\n{r.stdout}")
    check(f"{path}:1: warning: columns not imported: 'Shirt Size', 'Emergency Phone' "
          "(use --map fields.NAME=Header to keep one as a custom field)" in r.stderr,
          f"--dry-run should warn of the columns not imported, got {r.stderr!r}")
    await srv.wait_caught_up()
    check(redis.xlen(EV) == xlen0, f"refused files and a dry run wrote to the log "
          f"({xlen0} -> {redis.xlen(EV)})")
    log("--dry-run: every column with its field, the date order, the columns not imported")

    r = h.ctl(srv, ["participants", "import", path])
    check("imported 20 participants" in r.stdout, f"import printed {r.stdout!r}")
    check("warning: columns not imported: 'Shirt Size', 'Emergency Phone'" in r.stderr,
          f"the import should warn of the columns not imported, got {r.stderr!r}")

    # every athlete starts and finishes on their chip, a net time of their own
    net = {p["bib"]: 40 * 60_000 + i * 7_123 for i, p in enumerate(people)}
    start = {p["bib"]: T0 + 5_000 + i * 250 for i, p in enumerate(people)}
    tok_s = h.issue_token(srv, "reader", "mat-start")
    tok_f = h.issue_token(srv, "reader", "mat-finish")
    await send_reads(srv, tok_s, "mat-start", [
        {"chip": p["chip"], "pt": "start", "t": start[p["bib"]]} for p in people])
    await send_reads(srv, tok_f, "mat-finish", [
        {"chip": p["chip"], "pt": "finish", "t": start[p["bib"]] + net[p["bib"]]}
        for p in people])
    await srv.wait_caught_up()

    rows = {r["bib"]: r for r in csv.DictReader(io.StringIO(srv.export("csv", RACE).decode()))}
    check(len(rows) == 20, f"the export has {len(rows)} rows, not 20")
    nets = {r["bib"]: r.get("net") for r in srv.export_rows_json(RACE)}
    for p in people:
        row = rows.get(p["bib"])
        check(row is not None, f"bib {p['bib']} is not in the export")
        want = {"name": f"{p['first']} {p['last']}", "sex": p["sex"], "age": str(p["age"])}
        got = {k: row[k] for k in want}
        check(got == want, f"bib {p['bib']}: export has {got}, expected {want}")
        check(nets.get(p["bib"]) == net[p["bib"]],
              f"bib {p['bib']}: net {nets.get(p['bib'])} ms from its chip's reads, "
              f"expected {net[p['bib']]}")
    log("the export has every name, sex and age; every chip's reads time its own athlete")
    srv.stop()


if __name__ == "__main__":
    run("import_headers", body)
