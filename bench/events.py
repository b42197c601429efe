#!/usr/bin/env python3
"""Runs a command and prints the engine's events during it, in milliseconds from the
command's start: where the time of an `up` or a `down` goes, seen from the engine.

    bench/events.py build/biodev -p demo -f bench down
    bench/events.py --filter demo docker-compose -p demo down

--filter NAME keeps only events whose actor name contains NAME (other stacks on the
same engine run healthchecks all the time).
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engine as eng  # noqa: E402


def main(argv):
    filt = None
    if argv[:1] == ["--filter"]:
        filt, argv = argv[1], argv[2:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    e = eng.Engine()
    since = time.time()
    t0 = time.perf_counter()
    p = subprocess.run(argv)
    secs = time.perf_counter() - t0
    until = time.time() + 0.05
    raw = e.call("GET", "/events", query={"since": f"{since:.9f}", "until": f"{until:.9f}"})
    lines = raw.splitlines() if isinstance(raw, str) else [json.dumps(raw)]
    for line in lines:
        if not line.strip():
            continue
        ev = json.loads(line)
        attrs = ev.get("Actor", {}).get("Attributes", {})
        name = attrs.get("name", "") or ev.get("Actor", {}).get("ID", "")
        if filt and filt not in name and filt not in attrs.get("container", ""):
            continue
        ms = ev["timeNano"] / 1e6 - since * 1e3
        extra = attrs.get("signal", "") or attrs.get("exitCode", "")
        print(f"{ms:8.0f} ms  {ev['Type']:9} {ev['Action'][:28]:28} {name} {extra}")
    print(f"{secs * 1000:8.0f} ms  command exited {p.returncode}")
    return p.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
