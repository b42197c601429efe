#!/usr/bin/env python3
"""The same compose file under biodev and under docker compose, side by side.

Run through bench/run.sh (`make bench`, part "team"), or alone:
`python3 bench/compose_team.py`. The file is examples/compose-team/compose.yaml: an API
built from its Dockerfile, Postgres with an init script, Redis, healthchecks and
`depends_on: service_healthy`. Each round, for each side (order alternating, after one
unmeasured warm-up round each):

  cold     `up` from nothing until every service is healthy (compose: `up -d`, then
           its healthchecks polled every 50 ms; biodev: `up`, which returns when ready)
  warm     `up` again with nothing changed
  rebuild  one line of the API's source edited, then `up` until the API is healthy
           again (compose: `up -d --build`)

Both sides run the very same images: where an upstream image the file names is not
on the engine (no registry here), it is tagged from biodev's offline substitute for
the run, and only those tags are removed afterwards. Settings: ROUNDS (default 5),
BIODEV, COMPOSE, BENCH_OUT.
"""

import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engine as eng  # noqa: E402
from bench import COMPOSE_POLL, ROOT, Failed, SideBySide, log, run, save_results, stats  # noqa: E402
from bench import main as bench_main  # noqa: E402

SOURCE = os.path.join(ROOT, "examples", "compose-team")
SERVICES = ("api", "db", "cache")
# The upstream names the file (and its Dockerfile) use, and the images standing in.
SUBSTITUTES = {"postgres:16": "biodev/postgres:15", "redis:7-alpine": "biodev/redis:7",
               "python:3.12-slim": "biodev/python:3.11"}


class TeamBench(SideBySide):
    def __init__(self):
        super().__init__()
        pid = os.getpid()
        self.p_bio = f"biodevbench-{pid}-team-bio"
        self.p_cmp = f"biodevbench-{pid}-team-cmp"
        self.work = tempfile.mkdtemp(prefix="biodev-team-")
        self.tagged = []
        self.samples = {}
        self.env = dict(os.environ, API_PORT="28400", DB_PORT="28401")

    def add(self, name, value):
        self.samples.setdefault(name, []).append(value)

    # ---- set-up and clean-up ---------------------------------------------------------

    def tag_substitutes(self):
        for upstream, local in SUBSTITUTES.items():
            if self.engine.has_image(upstream):
                continue
            if not self.engine.has_image(local):
                raise Failed(f"{local} is missing: run `biodev images build` first")
            repo, tag = upstream.rsplit(":", 1)
            self.engine.call("POST", f"/images/{local}/tag", query={"repo": repo, "tag": tag})
            self.tagged.append(upstream)
            log(f"tagged {local} as {upstream} for this run")

    def fresh_copy(self, side):
        dest = os.path.join(self.work, side)
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(SOURCE, dest)
        os.chmod(dest, 0o755)
        return dest

    def cleanup(self):
        for label in (f"dev.biodev.project={self.p_bio}", f"com.docker.compose.project={self.p_cmp}"):
            self.engine.remove_labelled(label)
        for p in (self.p_bio, self.p_cmp):
            for suffix in ("-api", "_api"):
                self.engine.call("DELETE", f"/images/{p}{suffix}", ok=(200, 404, 409))
        for upstream in self.tagged:
            # Untags only: the substitute keeps its own name.
            self.engine.call("DELETE", f"/images/{upstream}", ok=(200, 404, 409))
        shutil.rmtree(self.work, ignore_errors=True)

    # ---- one side each ---------------------------------------------------------------

    def edit_api(self, folder, n):
        with open(os.path.join(folder, "api", "app.py"), "a") as f:
            f.write(f"# edit {n}\n")

    def bio(self, *args):
        return [self.biodev, "-p", self.p_bio, *args]

    def bio_up(self, folder, expect_change):
        secs, p = run(self.bio("--json", "up"), env=self.env, cwd=folder)
        result = next((json.loads(line) for line in p.stdout.splitlines() if '"type":"result"' in line), None)
        if not result or not result.get("ok"):
            raise Failed(f"biodev up not ok: {p.stdout[-2000:]} {p.stderr[-2000:]}")
        if bool(result.get("changed")) != expect_change:
            raise Failed(f"biodev up: changed={result.get('changed')}, expected {expect_change}")
        return secs

    def bio_round(self, measured, n):
        folder = self.fresh_copy("bio")
        cold = self.bio_up(folder, True)
        warm = self.bio_up(folder, False)
        self.edit_api(folder, n)
        rebuild = self.bio_up(folder, True)
        run(self.bio("down", "-v", "--yes"), env=self.env, cwd=folder)
        if self.engine.containers(f"dev.biodev.project={self.p_bio}"):
            raise Failed("biodev down -v left containers behind")
        self.record("bio", measured, cold, warm, rebuild)

    def compose_cmd(self, folder, *args):
        return self.compose + ["-p", self.p_cmp, "-f", os.path.join(folder, "compose.yaml"), *args]

    def compose_healthy(self):
        cs = self.engine.containers(f"com.docker.compose.project={self.p_cmp}", all_=False)
        return len(cs) == len(SERVICES) and all("(healthy)" in c["Status"] for c in cs)

    def compose_up(self, folder, *extra):
        t0 = time.perf_counter()
        _, p = run(self.compose_cmd(folder, "up", "-d", *extra), env=self.env, cwd=folder)
        time.sleep(COMPOSE_POLL)  # the recreated API is "starting" before it is healthy
        eng.wait_until(self.compose_healthy, timeout=180, every=COMPOSE_POLL)
        return time.perf_counter() - t0, p

    def compose_round(self, measured, n):
        folder = self.fresh_copy("cmp")
        cold, _ = self.compose_up(folder, "--build")
        warm, p = self.compose_up(folder)
        if "Creating" in p.stderr or "Recreating" in p.stderr:
            raise Failed(f"compose warm up recreated something: {p.stderr}")
        self.edit_api(folder, n)
        rebuild, _ = self.compose_up(folder, "--build")
        run(self.compose_cmd(folder, "down", "-v", "--rmi", "local"), env=self.env, cwd=folder)
        self.record("cmp", measured, cold, warm, rebuild)

    def record(self, side, measured, cold, warm, rebuild):
        if measured:
            self.add(f"{side}.cold", cold)
            self.add(f"{side}.warm", warm)
            self.add(f"{side}.rebuild", rebuild)
        name = "biodev: " if side == "bio" else "compose:"
        log(f"team {name} cold {cold:.2f}s  warm {warm * 1000:.0f}ms  rebuild {rebuild:.2f}s"
            + ("" if measured else "  (warm-up, not counted)"))

    # ---- the run ---------------------------------------------------------------------

    def main(self):
        self.tag_substitutes()
        self.bio_round(False, 0)
        self.compose_round(False, 0)
        for i in range(self.rounds):
            order = (self.bio_round, self.compose_round) if i % 2 == 0 else (self.compose_round, self.bio_round)
            for f in order:
                f(True, i + 1)
        self.report()

    def report(self):
        res = {k: stats(v) for k, v in self.samples.items()}
        print("| compose.yaml of examples/compose-team | biodev | docker compose | ratio |")
        print("| --- | --- | --- | --- |")
        for key, label in (("cold", "cold up to healthy"), ("warm", "warm re-up"),
                           ("rebuild", "one-line edit to healthy")):
            b, c = res[f"bio.{key}"]["median"], res[f"cmp.{key}"]["median"]
            print(f"| {label} | {b:.2f} s | {c:.2f} s | {b / c:.2f}x |")
        save_results(self.out, "team", self.rounds, res, self.samples)


if __name__ == "__main__":
    sys.exit(bench_main(TeamBench))
