#!/usr/bin/env python3
"""Edit a mounted source file, then wait until the service answers with the new code:
biodev against docker compose, side by side.

Run through bench/run.sh (`make bench`, part "edit"), or alone:
`python3 bench/edit_loop.py`. One compose file (written by this script) with one
service, a Python HTTP server whose source is bind-mounted from the folder, as a team's
dev setup has it. Each side gets the service up once, then makes ROUNDS edits (one
unmeasured first), the sides alternating: each edit changes the MESSAGE line of the
source, and the time is from the write until GET /hello on the published port answers
with the new message (polled every 10 ms).

  biodev            `biodev watch app` running; the edit is all the user does (biodev
                    restarts the process inside the running container, `watch:` with
                    its default `restart: process`)
  biodev container  the same with `watch: {paths: [./app], restart: container}`: the
                    container is restarted, as `biodev watch` did before
  compose           `docker-compose restart app` right after the edit (docker-compose
                    1.29 has no `watch`; compose 2's `watch` with `sync+restart` restarts
                    the container the same way)

Settings: ROUNDS (default 5), BIODEV, COMPOSE, BENCH_OUT.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Failed, SideBySide, log, run, save_results, stats  # noqa: E402
from bench import main as bench_main  # noqa: E402

UPSTREAM, SUBSTITUTE = "python:3.12-slim", "biodev/python:3.11"
POLL = 0.01

COMPOSE_FILE = """\
# The edit loop of bench/edit_loop.py: a service whose source is bind-mounted.
services:
  app:
    image: python:3.12-slim
    command: ["python3", "-u", "/app/server.py"]
    volumes: ["./app:/app:ro"]
    ports: ["127.0.0.1:${APP_PORT:?set by bench/edit_loop.py}:8000"]
    init: true
    stop_grace_period: 2s
    healthcheck:
      test: ["CMD", "python3", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8000/health')"]
      interval: 2s
      timeout: 2s
      retries: 15
    x-biodev:
      watch: WATCH
"""

SERVER = """\
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MESSAGE = "edit 0"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"message": MESSAGE} if self.path == "/hello" else {"status": "ok"}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
"""


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EditBench(SideBySide):
    SIDES = ("bio", "bio_container", "cmp")

    def __init__(self):
        super().__init__()
        pid = os.getpid()
        self.project = {side: f"biodevbench-{pid}-edit-{side.replace('_', '-')}" for side in self.SIDES}
        self.work = tempfile.mkdtemp(prefix="biodev-edit-")
        self.port = {side: free_port() for side in self.SIDES}
        self.folder = {}
        self.watchers = {}
        self.tagged = False
        self.samples = {}
        self.edits = 0

    # ---- set-up and clean-up ---------------------------------------------------------

    def prepare(self, side):
        folder = os.path.join(self.work, side)
        os.makedirs(os.path.join(folder, "app"))
        watch = '{paths: [./app], restart: container}' if side == "bio_container" else "[./app]"
        with open(os.path.join(folder, "compose.yaml"), "w") as f:
            f.write(COMPOSE_FILE.replace("WATCH", watch))
        with open(os.path.join(folder, "app", "server.py"), "w") as f:
            f.write(SERVER)
        os.chmod(folder, 0o755)
        self.folder[side] = folder

    def env(self, side):
        return dict(os.environ, APP_PORT=str(self.port[side]))

    def cmd(self, side, *args):
        if side == "cmp":
            return self.compose + ["-p", self.project[side], "-f", os.path.join(self.folder[side], "compose.yaml"),
                                   *args]
        return [self.biodev, "-p", self.project[side], *args]

    def up(self, side):
        if side == "cmp":
            run(self.cmd(side, "up", "-d"), env=self.env(side), cwd=self.folder[side])
        else:
            run(self.cmd(side, "up"), env=self.env(side), cwd=self.folder[side])
            log_path = os.path.join(self.work, f"watch-{side}.log")
            self.watchers[side] = subprocess.Popen(self.cmd(side, "watch", "app"), cwd=self.folder[side],
                                                   env=self.env(side), stdout=open(log_path, "w"),
                                                   stderr=subprocess.STDOUT)
        self.wait_message(side, "edit 0", timeout=120)
        time.sleep(0.5)  # the watcher has its inotify watches set

    def cleanup(self):
        for p in self.watchers.values():
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        for side in self.SIDES:
            key = "com.docker.compose.project" if side == "cmp" else "dev.biodev.project"
            self.engine.remove_labelled(f"{key}={self.project[side]}")
        if self.tagged:
            self.engine.call("DELETE", f"/images/{UPSTREAM}", ok=(200, 404, 409))
        shutil.rmtree(self.work, ignore_errors=True)

    # ---- one edit --------------------------------------------------------------------

    def message(self, side):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port[side]}/hello", timeout=1) as r:
                return json.load(r).get("message")
        except Exception:  # noqa: BLE001 - down while it restarts
            return None

    def wait_message(self, side, want, timeout=60):
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.message(side) == want:
                return
            time.sleep(POLL)
        log_path = os.path.join(self.work, f"watch-{side}.log")
        extra = open(log_path).read()[-2000:] if os.path.exists(log_path) else ""
        raise Failed(f"{side}: the service did not answer {want!r} within {timeout}s\n{extra}")

    def edit(self, side, measured):
        self.edits += 1
        want = f"edit {self.edits}"
        path = os.path.join(self.folder[side], "app", "server.py")
        with open(path) as f:
            src = f.read()
        lines = [f'MESSAGE = "{want}"' if line.startswith("MESSAGE = ") else line for line in src.split("\n")]
        t0 = time.perf_counter()
        with open(path, "w") as f:
            f.write("\n".join(lines))
        if side == "cmp":
            run(self.cmd(side, "restart", "app"), env=self.env(side), cwd=self.folder[side])
        self.wait_message(side, want)
        secs = time.perf_counter() - t0
        if measured:
            self.samples.setdefault(side, []).append(secs)
        log(f"edit {side:13s} {secs:.2f}s" + ("" if measured else "  (first, not counted)"))

    # ---- the run ---------------------------------------------------------------------

    def main(self):
        if not self.engine.has_image(UPSTREAM):
            if not self.engine.has_image(SUBSTITUTE):
                raise Failed(f"{SUBSTITUTE} is missing: run `biodev images build` first")
            repo, tag = UPSTREAM.rsplit(":", 1)
            self.engine.call("POST", f"/images/{SUBSTITUTE}/tag", query={"repo": repo, "tag": tag})
            self.tagged = True
            log(f"tagged {SUBSTITUTE} as {UPSTREAM} for this run")
        for side in self.SIDES:
            self.prepare(side)
            self.up(side)
        for side in self.SIDES:
            self.edit(side, False)
        for i in range(self.rounds):
            order = self.SIDES if i % 2 == 0 else tuple(reversed(self.SIDES))
            for side in order:
                self.edit(side, True)
        self.report()

    def report(self):
        res = {k: stats(v) for k, v in self.samples.items()}
        b, bc, c = (res[s]["median"] for s in self.SIDES)
        print("| edit to new code (median) | seconds | ratio to compose |")
        print("| --- | --- | --- |")
        print(f"| biodev watch (process restarted in place) | {b:.2f} s | {b / c:.2f}x |")
        print(f"| biodev watch, restart: container | {bc:.2f} s | {bc / c:.2f}x |")
        print(f"| docker compose restart | {c:.2f} s | 1.00x |")
        verdict = "MET" if b / c <= 0.5 else "MISS"
        print(f"{verdict}: edit-to-new-code {b / c:.2f}x compose (target <= 0.5x)")
        save_results(self.out, "edit", self.rounds, res, self.samples)


if __name__ == "__main__":
    sys.exit(bench_main(EditBench))
