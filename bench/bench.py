#!/usr/bin/env python3
"""biodev against docker compose, side by side: see docs/benchmarks.md.

Run through bench/run.sh (`make bench`). Settings come from the environment:

  ROUNDS=5            rounds of the side-by-side part (each side once a round, the
                      order alternating, after one unmeasured warm-up round each)
  BIODEV=build/biodev the binary under test
  COMPOSE=docker-compose
  SCALE_SERVICES=30   services in the generated profile; SCALE_ROUNDS (default ROUNDS)
  WRK_SECONDS=10      per wrk run; WRK_THREADS=2, WRK_CONNECTIONS=64
  SKIP=               comma list of parts to leave out: compose, floor, shared (the
                      bench stack in shared network sandboxes), run (`biodev run -f ci
                      -- true`, shared against separate sandboxes), scale, wrk,
                      team (bench/compose_team.py, run after this by run.sh)
  BENCH_PREFIX=biodevbench-  prefix of every project and object name of the run
  BENCH_OUT=bench/out where the generated profile and results-*.json go

Every engine object a run makes belongs to a project named <prefix><pid>-<part>
(prefix BENCH_PREFIX, default biodevbench-), and is removed on exit, on Ctrl-C and on
SIGTERM; objects of an earlier run with the same prefix whose process is gone are
removed at start. Nothing else is touched.
"""

import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engine as eng  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PREFIX = os.environ.get("BENCH_PREFIX", "").strip() or "biodevbench-"
if not re.match(r"^[a-z0-9][a-z0-9-]*-$", PREFIX):
    sys.exit(f"bench: BENCH_PREFIX={PREFIX!r} must be lowercase letters, digits and dashes, ending in a dash")
FLOOR_LABEL = "dev.biodevbench.run"
PG = {"POSTGRES_USER": "bio", "POSTGRES_PASSWORD": "bio-local-only", "POSTGRES_DB": "bio"}
COMPOSE_POLL = 0.05  # seconds between looks at compose's healthcheck states
FLOOR_POLL = 0.01  # seconds between Postgres connection attempts for the floor


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v) if v.strip() else default


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Failed(RuntimeError):
    pass


def run(cmd, check=True, env=None, timeout=600, cwd=ROOT):
    """Runs cmd in cwd; returns (seconds, CompletedProcess). Output is captured."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                       cwd=cwd, timeout=timeout)
    secs = time.perf_counter() - t0
    if check and p.returncode != 0:
        raise Failed(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stderr[-3000:]}{p.stdout[-2000:]}")
    return secs, p


class SideBySide:
    """What the standalone parts (compose_team.py, edit_loop.py) share: their settings
    (ROUNDS, BIODEV, COMPOSE, BENCH_OUT) and the engine."""

    def __init__(self):
        self.rounds = env_int("ROUNDS", 5)
        self.biodev = os.path.abspath(os.environ.get("BIODEV") or os.path.join(ROOT, "build", "biodev"))
        self.compose = os.environ.get("COMPOSE", "docker-compose").split()
        self.out = os.environ.get("BENCH_OUT") or os.path.join(HERE, "out")
        self.engine = eng.Engine()


def save_results(out_dir, part, rounds, res, samples):
    """Writes one part's medians and every sample to out_dir/results-<part>-<time>.json."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"results-{part}-{time.strftime('%Y%m%d-%H%M%S')}.json")
    with open(path, "w") as f:
        json.dump({"rounds": rounds, "stats": res, "samples": samples}, f, indent=1)
    log(f"results: {path}")


def stats(xs):
    if not xs:
        return None
    return {"min": min(xs), "median": statistics.median(xs), "max": max(xs), "n": len(xs)}


class Bench:
    def __init__(self):
        self.rounds = env_int("ROUNDS", 5)
        self.biodev = os.path.abspath(os.environ.get("BIODEV") or os.path.join(ROOT, "build", "biodev"))
        self.compose = os.environ.get("COMPOSE", "docker-compose").split()
        self.scale_services = env_int("SCALE_SERVICES", 30)
        self.scale_rounds = env_int("SCALE_ROUNDS", self.rounds)
        self.wrk_seconds = env_int("WRK_SECONDS", 10)
        self.wrk_threads = env_int("WRK_THREADS", 2)
        self.wrk_connections = env_int("WRK_CONNECTIONS", 64)
        self.skip = {s.strip() for s in os.environ.get("SKIP", "").split(",") if s.strip()}
        self.out = os.path.abspath(os.environ.get("BENCH_OUT") or os.path.join(HERE, "out"))
        os.makedirs(self.out, exist_ok=True)
        self.engine = eng.Engine()
        pid = os.getpid()
        self.p_bio = f"{PREFIX}{pid}-bio"
        self.p_cmp = f"{PREFIX}{pid}-cmp"
        self.p_scale = f"{PREFIX}{pid}-scale"
        self.p_shared = f"{PREFIX}{pid}-shared"
        self.p_run = f"{PREFIX}{pid}-run"
        self.floor_name = f"{PREFIX}{pid}-floor"
        self.compose_file = os.path.join(HERE, "compose.yaml")
        self.scale_file = os.path.join(self.out, f"scale-{self.scale_services}.yaml")
        self.samples = {}  # name -> list of floats
        self.extra = {}  # name -> anything worth keeping in the JSON
        self.compose_env = None

    # ---- bookkeeping -----------------------------------------------------------------

    def add(self, name, value):
        self.samples.setdefault(name, []).append(value)

    def bio(self, project, *args, profile="bench"):
        return [self.biodev, "-p", project, "-f", profile, *args]

    def machine(self):
        v = self.engine.version()
        info = self.engine.info()
        mem_kb = 0
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_kb = int(line.split()[1])
        cpu = ""
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        _, cv = run(self.compose + ["version", "--short"], check=False)
        _, bv = run([self.biodev, "version"], check=False)
        os_name = ""
        if os.path.exists("/etc/os-release"):
            with open("/etc/os-release") as f:
                m = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M)
                os_name = m.group(1) if m else ""
        return {
            "os": os_name,
            "kernel": platform.release(),
            "cores": os.cpu_count(),
            "cpu": cpu,
            "ram_gib": round(mem_kb / 1024 / 1024, 1),
            "engine": f"{v.get('Version')} (API {v.get('ApiVersion')})",
            "storage_driver": info.get("Driver"),
            "userland_proxy": self._userland_proxy(),
            "data_root": self._data_root_fs(info.get("DockerRootDir", "/var/lib/docker")),
            "compose": (cv.stdout.strip() or cv.stderr.strip()),
            "biodev": bv.stdout.strip().splitlines()[0] if bv.stdout.strip() else "?",
            "load_at_start": os.getloadavg(),
        }

    @staticmethod
    def _userland_proxy():
        """on, off, or unknown when dockerd is not a process here (a remote engine)."""
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().strip() != "dockerd":
                        continue
                with open(f"/proc/{pid}/cmdline") as f:
                    args = f.read().split("\0")
            except OSError:
                continue
            for a in args:
                if a.startswith("--userland-proxy="):
                    return "on" if a.split("=", 1)[1] in ("true", "1") else "off"
            try:
                with open("/etc/docker/daemon.json") as f:
                    return "on" if json.load(f).get("userland-proxy", True) else "off"
            except (OSError, ValueError):
                return "on"  # dockerd's default
        return "unknown"

    @staticmethod
    def _data_root_fs(root):
        """The filesystem under the engine's data root, e.g. "ext4, no journal": on ext4
        without a journal, files made soon after others were deleted cost several times
        more (docs/benchmarks.md), which moves every Postgres figure."""
        best = None
        try:
            with open("/proc/self/mountinfo") as f:
                for line in f:
                    left, right = line.split(" - ", 1)
                    point = left.split()[4]
                    fstype, source = right.split()[:2]
                    inside = root == point or root.startswith(point.rstrip("/") + "/")
                    if inside and (best is None or len(point) > len(best[0])):
                        best = (point, fstype, source)
        except (OSError, ValueError, IndexError):
            return "unknown"
        if best is None:
            return "unknown"
        _, fstype, source = best
        if fstype in ("ext3", "ext4"):
            journal = os.path.exists(f"/proc/fs/jbd2/{os.path.basename(source)}-8")
            return f"{fstype}, {'journal' if journal else 'no journal'}"
        return fstype

    # ---- cleanup ---------------------------------------------------------------------

    def sweep_stale(self):
        """Remove objects of earlier bench runs whose process is gone."""
        seen = set()
        for key in ("dev.biodev.project", "com.docker.compose.project"):
            for c in self.engine.containers(key):
                seen.add((key, c["Labels"].get(key, "")))
            for n in self.engine.networks(key):
                seen.add((key, (n.get("Labels") or {}).get(key, "")))
            for v in self.engine.volumes(key):
                seen.add((key, (v.get("Labels") or {}).get(key, "")))
        for c in self.engine.containers(FLOOR_LABEL):
            seen.add((FLOOR_LABEL, c["Labels"][FLOOR_LABEL]))
        for key, value in sorted(seen):
            m = re.match(rf"^{PREFIX}(\d+)(-|$)", value) if key != FLOOR_LABEL else re.match(r"^(\d+)$", value)
            if not m or self._alive(int(m.group(1))):
                continue
            log(f"removing leftovers of an earlier run: {key}={value}")
            self.engine.remove_labelled(f"{key}={value}")
            if key == FLOOR_LABEL:
                self.engine.remove_volume(f"{PREFIX}{value}-floor-data")
                self.engine.remove_volume(f"{PREFIX}{value}-floor-scale-data")
                self.engine.remove_volume(f"{PREFIX}{value}-floor-stack-data")

    @staticmethod
    def _alive(pid):
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True

    def cleanup(self):
        for project, profile in ((self.p_bio, "bench"), (self.p_scale, self.scale_file), (self.p_shared, "bench"),
                                 (self.p_scale + "-shared", self.scale_file), (self.p_run, "ci"),
                                 (self.p_run + "-sep", "ci")):
            if self.engine.containers(f"dev.biodev.project={project}") or \
                    self.engine.volumes(f"dev.biodev.project={project}"):
                run(self.bio(project, "down", "-v", "--yes", profile=profile), check=False)
            self.engine.remove_labelled(f"dev.biodev.project={project}")
        if self.compose_env and self.engine.containers(f"com.docker.compose.project={self.p_cmp}"):
            run(self.compose + ["-p", self.p_cmp, "-f", self.compose_file, "down", "-v"], check=False,
                env=self.compose_env)
        self.engine.remove_labelled(f"com.docker.compose.project={self.p_cmp}")
        self.engine.remove_labelled(f"{FLOOR_LABEL}={os.getpid()}")
        self.engine.remove_volume(f"{self.floor_name}-data")
        self.engine.remove_volume(f"{self.floor_name}-scale-data")
        self.engine.remove_volume(f"{self.floor_name}-stack-data")
        # compose's default network and named volume carry its labels; a volume the
        # engine made for the floor container does not, hence the removal by name.

    # ---- biodev side -----------------------------------------------------------------

    def bio_up(self, project, profile="bench", cold=True, extra=()):
        """`biodev up --json` under GNU time; returns (seconds, result dict, max RSS in KiB)."""
        with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
            cmd = ["/usr/bin/time", "-f", "%M", "-o", tf.name] + self.bio(project, "--json", "up", *extra,
                                                                          profile=profile)
            secs, p = run(cmd)
            rss_kb = int(tf.read().strip().splitlines()[-1])
        result = next((json.loads(line) for line in p.stdout.splitlines() if '"type":"result"' in line), None)
        if not result or not result.get("ok"):
            raise Failed(f"biodev up ({project}) not ok: {p.stdout[-2000:]} {p.stderr[-2000:]}")
        if cold and not result.get("changed"):
            raise Failed(f"biodev cold up of {project} changed nothing: was the project left running?")
        if not cold and result.get("changed"):
            raise Failed(f"biodev warm up of {project} changed something: {result}")
        return secs, result, rss_kb

    def bio_round(self, measured):
        p = self.p_bio
        cold, result, rss = self.bio_up(p)
        warm, _, rss_warm = self.bio_up(p, cold=False)
        health, _ = run(self.bio(p, "health"))
        down, _ = run(self.bio(p, "down", "-v", "--yes"))
        if self.engine.containers(f"dev.biodev.project={p}") or self.engine.volumes(f"dev.biodev.project={p}"):
            raise Failed("biodev down -v left objects behind")
        if measured:
            self.add("bio.cold", cold)
            self.add("bio.warm", warm)
            self.add("bio.health", health)
            self.add("bio.down", down)
            self.add("bio.rss_cold_kb", rss)
            self.add("bio.rss_warm_kb", rss_warm)
            for s in result["services"]:
                self.add(f"bio.ready.{s['service']}", s.get("seconds", -1))
        log(f"biodev:  cold {cold:.2f}s  warm {warm * 1000:.0f}ms  health {health * 1000:.0f}ms  "
            f"down {down:.2f}s  rss {rss / 1024:.1f}MiB" + ("" if measured else "  (warm-up, not counted)"))

    def shared_round(self, measured):
        """The bench stack in shared network sandboxes (`up --shared-sandbox`): one
        namespace for the four services, which share the bench stack's one network."""
        p = self.p_shared
        cold, result, _ = self.bio_up(p, extra=("--shared-sandbox",))
        if any(not s.get("sandbox") for s in result["services"]):
            raise Failed(f"up --shared-sandbox left a service out of the sandbox: {result}")
        warm, _, _ = self.bio_up(p, cold=False)
        down, _ = run(self.bio(p, "down", "-v", "--yes"))
        if self.engine.containers(f"dev.biodev.project={p}") or self.engine.volumes(f"dev.biodev.project={p}"):
            raise Failed("biodev down -v of the shared-sandbox stack left objects behind")
        if measured:
            self.add("shared.cold", cold)
            self.add("shared.warm", warm)
            self.add("shared.down", down)
        log(f"shared:  cold {cold:.2f}s  warm {warm * 1000:.0f}ms  down {down:.2f}s"
            + ("" if measured else "  (warm-up, not counted)"))

    def run_round(self, measured, r=0):
        """`biodev run -f ci -- true` from start to exit, in shared network sandboxes (its
        default) and with --no-shared-sandbox, the order alternating; then how long until
        the engine lists none of the run's containers (run removes them before it exits)."""
        modes = [("shared", self.p_run, ()), ("separate", self.p_run + "-sep", ("--no-shared-sandbox",))]
        if r % 2:
            modes.reverse()
        for mode, project, flags in modes:
            t0 = time.perf_counter()
            run(self.bio(project, "run", *flags, "--", "true", profile="ci"))
            secs = time.perf_counter() - t0
            eng.wait_until(lambda: not self.engine.containers(f"dev.biodev.project={project}"), timeout=60,
                           every=0.05)
            gone = time.perf_counter() - t0
            if measured:
                self.add(f"run.{mode}", secs)
                self.add(f"run.{mode}_gone", gone)
            log(f"run:     {mode:8} -f ci -- true: exit after {secs:.2f}s, containers gone after {gone:.2f}s"
                + ("" if measured else "  (warm-up, not counted)"))

    # ---- compose side ----------------------------------------------------------------

    def compose_cmd(self, *args):
        return self.compose + ["-p", self.p_cmp, "-f", self.compose_file, *args]

    def compose_healthy(self):
        cs = self.engine.containers(f"com.docker.compose.project={self.p_cmp}", all_=False)
        return len(cs) == 4 and all("(healthy)" in c["Status"] for c in cs)

    def compose_round(self, measured):
        env = self.compose_env
        t0 = time.perf_counter()
        _, p = run(self.compose_cmd("up", "-d"), env=env)
        up_d = time.perf_counter() - t0
        eng.wait_until(self.compose_healthy, timeout=120, every=COMPOSE_POLL)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        _, p = run(self.compose_cmd("up", "-d"), env=env)
        eng.wait_until(self.compose_healthy, timeout=120, every=COMPOSE_POLL)
        warm = time.perf_counter() - t0
        if "Creating" in p.stderr or "Recreating" in p.stderr:
            raise Failed(f"compose warm up recreated something: {p.stderr}")
        health, p = run(self.compose_cmd("ps"), env=env)
        if p.stdout.count("(healthy)") != 4:
            raise Failed(f"compose ps does not show 4 healthy services:\n{p.stdout}")
        down, _ = run(self.compose_cmd("down", "-v"), env=env)
        if measured:
            self.add("cmp.up_d", up_d)
            self.add("cmp.cold", cold)
            self.add("cmp.warm", warm)
            self.add("cmp.health", health)
            self.add("cmp.down", down)
        log(f"compose: cold {cold:.2f}s (up -d {up_d:.2f}s)  warm {warm * 1000:.0f}ms  "
            f"health {health * 1000:.0f}ms  down {down:.2f}s" + ("" if measured else "  (warm-up, not counted)"))

    def prepare_compose(self):
        """The compose twin's variables: biodev's version and the gateway spec biodev gave
        its own gateway (taken from the warm-up stack, so both check the same targets)."""
        gw = self.engine.containers(f"dev.biodev.project={self.p_bio}")
        gw = [c for c in gw if c["Labels"].get("dev.biodev.service") == "gateway"]
        if not gw:
            raise Failed("no gateway in the biodev warm-up stack")
        spec = next(e.split("=", 1)[1] for e in self.engine.inspect(gw[0]["Id"])["Config"]["Env"]
                    if e.startswith("BIODEV_GATEWAY_SPEC="))
        image = self.engine.inspect(gw[0]["Id"])["Config"]["Image"]
        env = dict(os.environ)
        env["BIODEV_VERSION"] = image.split(":", 1)[1]
        env["BIODEV_GATEWAY_SPEC"] = spec
        self.compose_env = env
        self.extra["gateway_spec"] = spec

    # ---- floor -----------------------------------------------------------------------

    def floor_round(self, measured):
        """A bare biodev/postgres:15 container, created and started through the engine API
        with a fresh named volume, until Postgres answers on its published port."""
        body = {
            "Image": "biodev/postgres:15",
            "Env": [f"{k}={v}" for k, v in PG.items()],
            "ExposedPorts": {"5432/tcp": {}},
            "Labels": {FLOOR_LABEL: str(os.getpid())},
            "HostConfig": {
                "Init": True,
                "PortBindings": {"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]},
                "Mounts": [{"Type": "volume", "Source": f"{self.floor_name}-data",
                            "Target": "/var/lib/postgresql/data"}],
            },
        }
        t0 = time.perf_counter()
        c = self.engine.call("POST", "/containers/create", body=body, query={"name": self.floor_name})
        self.engine.call("POST", f"/containers/{c['Id']}/start")
        port = eng.published_port(self.engine.inspect(c["Id"]), 5432)
        eng.wait_until(lambda: eng.postgres_answers("127.0.0.1", port, "bio", "bio"), timeout=120, every=FLOOR_POLL)
        secs = time.perf_counter() - t0
        self.engine.remove_container(c["Id"])
        self.engine.remove_volume(f"{self.floor_name}-data")
        if measured:
            self.add("floor", secs)
        log(f"floor:   postgres container ready in {secs:.2f}s" + ("" if measured else "  (warm-up, not counted)"))

    def stack_floor_round(self, key, project, profile, measured):
        """A profile's containers with no tool in between: one network, then every
        container created and started at once through the engine API (no ordering, no
        probes), until all run and Postgres answers. What the engine needs to start that
        many containers on this machine, whatever drives it. key: "stack" (the bench
        profile) or "scale" (the generated one)."""
        _, p = run(self.bio(project, "--json", "config", profile=profile))
        services = json.loads(p.stdout)["services"]
        label = {FLOOR_LABEL: str(os.getpid())}
        net_name = f"{self.floor_name}-{key}-net"
        vol_name = f"{self.floor_name}-{key}-data"

        def body(name, svc):
            cmd = svc.get("command")
            if cmd == ["serve", "gateway"]:
                cmd = ["serve", "inference"]  # the gateway wants biodev's spec; same binary either way
            env = PG if name == "postgres" else svc.get("env", {})
            image = svc["image"]
            if "offline" in svc and not self.engine.has_image(image):
                image = svc["offline"]["image"]  # as biodev chooses with no registry
            b = {"Image": image, "Env": [f"{k}={v}" for k, v in env.items()], "Labels": label,
                 "ExposedPorts": {}, "HostConfig": {"Init": True, "NetworkMode": net_name, "PortBindings": {}}}
            if cmd:
                b["Cmd"] = cmd
            for spec in svc.get("ports", []):
                cport = spec.rsplit(":", 1)[1]
                b["ExposedPorts"][f"{cport}/tcp"] = {}
                b["HostConfig"]["PortBindings"][f"{cport}/tcp"] = [{"HostIp": "127.0.0.1", "HostPort": ""}]
            if name == "postgres":
                b["HostConfig"]["Mounts"] = [{"Type": "volume", "Source": vol_name,
                                              "Target": "/var/lib/postgresql/data"}]
            return b

        def create_start(item):
            name, b = item
            c = self.engine.call("POST", "/containers/create", body=b,
                                 query={"name": f"{self.floor_name}-{key}-{name}"})
            self.engine.call("POST", f"/containers/{c['Id']}/start")
            return name, c["Id"]

        # The bodies (and the image lookups they need) are made before the clock starts.
        bodies = {name: body(name, svc) for name, svc in services.items()}
        t0 = time.perf_counter()
        self.engine.call("POST", "/networks/create", body={"Name": net_name, "Labels": label})
        with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
            ids = dict(pool.map(create_start, bodies.items()))
        started = time.perf_counter() - t0
        port = eng.published_port(self.engine.inspect(ids["postgres"]), 5432)
        eng.wait_until(lambda: eng.postgres_answers("127.0.0.1", port, "bio", "bio"), timeout=120, every=FLOOR_POLL)
        secs = time.perf_counter() - t0
        self.engine.remove_labelled(f"{FLOOR_LABEL}={os.getpid()}")
        self.engine.remove_volume(vol_name)
        if measured:
            self.add(f"{key}.floor", secs)
            self.add(f"{key}.floor_started", started)
        log(f"floor:   {len(services)} containers all started in {started:.2f}s, postgres ready in {secs:.2f}s"
            + ("" if measured else "  (warm-up, not counted)"))

    # ---- scale -----------------------------------------------------------------------

    def scale(self):
        run([sys.executable, os.path.join(HERE, "gen_scale.py"), "--services", str(self.scale_services),
             "--output", self.scale_file])
        for r in range(self.scale_rounds + 1):
            if "floor" not in self.skip:
                self.stack_floor_round("scale", self.p_scale, self.scale_file, r > 0)
            cold, result, rss = self.bio_up(self.p_scale, profile=self.scale_file)
            n = len(result["services"])
            warm, _, _ = self.bio_up(self.p_scale, profile=self.scale_file, cold=False)
            down, _ = run(self.bio(self.p_scale, "down", "-v", "--yes", profile=self.scale_file))
            if r > 0:
                self.add("scale.cold", cold)
                self.add("scale.warm", warm)
                self.add("scale.down", down)
                self.add("scale.rss_cold_kb", rss)
                slowest = max(result["services"], key=lambda s: s.get("seconds", 0))
                self.extra.setdefault("scale.slowest", []).append([slowest["service"], slowest.get("seconds")])
            log(f"scale:   {n} services cold {cold:.2f}s  warm {warm * 1000:.0f}ms  down {down:.2f}s  "
                f"rss {rss / 1024:.1f}MiB" + ("" if r else "  (warm-up, not counted)"))
            if "shared" not in self.skip:
                ps = self.p_scale + "-shared"
                cold, _, _ = self.bio_up(ps, profile=self.scale_file, extra=("--shared-sandbox",))
                down, _ = run(self.bio(ps, "down", "-v", "--yes", profile=self.scale_file))
                if r > 0:
                    self.add("scale.shared_cold", cold)
                    self.add("scale.shared_down", down)
                log(f"scale:   {n} services in shared sandboxes cold {cold:.2f}s  down {down:.2f}s"
                    + ("" if r else "  (warm-up, not counted)"))

    # ---- wrk -------------------------------------------------------------------------

    def wrk(self, url, script=None, script_args=()):
        cmd = ["wrk", f"-t{self.wrk_threads}", f"-c{self.wrk_connections}", f"-d{self.wrk_seconds}s", "--latency"]
        if script:
            cmd += ["-s", script]
        cmd.append(url)
        if script_args:
            cmd += ["--", *script_args]
        _, p = run(cmd, timeout=self.wrk_seconds + 60)
        rps = float(re.search(r"Requests/sec:\s*([\d.]+)", p.stdout).group(1))
        bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", p.stdout)
        errs = re.search(r"Socket errors:.*", p.stdout)
        p50 = re.search(r"^\s*50%\s+(\S+)", p.stdout, re.M)
        p99 = re.search(r"^\s*99%\s+(\S+)", p.stdout, re.M)
        if bad:
            raise Failed(f"wrk {url}: {bad.group(1)} non-2xx responses")
        return {"rps": rps, "p50": p50.group(1) if p50 else "?", "p99": p99.group(1) if p99 else "?",
                "socket_errors": errs.group(0) if errs else ""}

    def load_tests(self):
        p = self.p_bio
        self.bio_up(p)
        ports, ips = {}, {}
        for c in self.engine.containers(f"dev.biodev.project={p}"):
            svc = c["Labels"]["dev.biodev.service"]
            info = self.engine.inspect(c["Id"])
            cport = {"gateway": 8080, "inference": 8000}.get(svc)
            if cport:
                ports[svc] = eng.published_port(info, cport)
                ips[svc] = next(iter(info["NetworkSettings"]["Networks"].values()))["IPAddress"]
        lua = os.path.join(HERE, "embeddings.lua")
        cases = [
            ("gateway /health", "gateway", 8080, "/health", None, ()),
            ("gateway /api/v1/health", "gateway", 8080, "/api/v1/health", None, ()),
            ("inference embeddings, 1 per request", "inference", 8000, "", lua, ("1",)),
            ("inference embeddings, 32 per request", "inference", 8000, "", lua, ("32",)),
        ]
        for name, svc, cport, path, script, args in cases:
            for via, host, port in (("published port", "127.0.0.1", ports[svc]), ("bridge address", ips[svc], cport)):
                r = self.wrk(f"http://{host}:{port}{path}", script, args)
                batch = int(args[0]) if args else 1
                r["per_second"] = r["rps"] * batch
                self.extra.setdefault("wrk", []).append({"case": name, "via": via, **r})
                log(f"wrk:     {name} via {via}: {r['rps']:.0f} req/s"
                    + (f" = {r['per_second']:.0f} embeddings/s" if batch > 1 else "")
                    + f"  p50 {r['p50']} p99 {r['p99']} {r['socket_errors']}")
        run(self.bio(p, "down", "-v", "--yes"))

    # ---- the whole run ---------------------------------------------------------------

    def main(self):
        if not os.access(self.biodev, os.X_OK):
            raise Failed(f"no biodev binary at {self.biodev} (make build, or set BIODEV=)")
        self.sweep_stale()
        m = self.machine()
        self.extra["machine"] = m
        log(f"machine: {m['os']}, {m['cores']} cores ({m['cpu']}), {m['ram_gib']} GiB, kernel {m['kernel']}, "
            f"engine {m['engine']} ({m['data_root']}, userland proxy {m['userland_proxy']}), "
            f"docker-compose {m['compose']}, {m['biodev']}")
        log(f"load average at start: {' '.join(f'{x:.2f}' for x in m['load_at_start'])}")
        log(f"{self.rounds} rounds; projects {self.p_bio}, {self.p_cmp}")

        # Warm-up: one unmeasured round each (page cache, a stale runtime image rebuilt),
        # which also yields the gateway spec the compose twin needs.
        self.bio_up(self.p_bio)
        self.prepare_compose()
        run(self.bio(self.p_bio, "down", "-v", "--yes"))
        if "compose" not in self.skip:
            self.compose_round(False)
        if "floor" not in self.skip:
            self.floor_round(False)
            self.stack_floor_round("stack", self.p_bio, "bench", False)
        if "shared" not in self.skip:
            self.shared_round(False)
        if "run" not in self.skip:
            self.run_round(False)

        for r in range(self.rounds):
            order = ["bio", "cmp"] if r % 2 == 0 else ["cmp", "bio"]
            for side in order:
                if side == "bio":
                    self.bio_round(True)
                elif "compose" not in self.skip:
                    self.compose_round(True)
            if "floor" not in self.skip:
                self.floor_round(True)
                self.stack_floor_round("stack", self.p_bio, "bench", True)
            if "shared" not in self.skip:
                self.shared_round(True)
            if "run" not in self.skip:
                self.run_round(True, r)

        if "scale" not in self.skip:
            self.scale()
        if "wrk" not in self.skip:
            self.load_tests()
        self.extra["load_at_end"] = os.getloadavg()
        self.report()

    def report(self):
        S = {k: stats(v) for k, v in self.samples.items()}
        m = self.extra["machine"]
        lines = []
        w = lines.append
        w("")
        w(f"machine: {m['os']}; {m['cores']} cores, {m['cpu']}; {m['ram_gib']} GiB RAM; kernel {m['kernel']}")
        w(f"engine {m['engine']}, storage {m['storage_driver']} on {m['data_root']}, "
          f"userland proxy {m['userland_proxy']}; docker-compose {m['compose']}; {m['biodev']}")
        w(f"load average: start {' '.join(f'{x:.2f}' for x in m['load_at_start'])}, "
          f"end {' '.join(f'{x:.2f}' for x in self.extra['load_at_end'])}")
        w(f"rounds: {self.rounds} (side by side), {self.scale_rounds} (scale)")
        w("")

        def fmt(s, unit):
            if not s:
                return "-"
            k = 1000 if unit == "ms" else 1
            d = 0 if unit == "ms" else 2
            return f"{s['min'] * k:.{d}f} / {s['median'] * k:.{d}f} / {s['max'] * k:.{d}f} {unit}"

        def ratio(a, b):
            return S[a]["median"] / S[b]["median"] if S.get(a) and S.get(b) else None

        hdr = f"{'':34} {'biodev min / median / max':>28} {'compose min / median / max':>28} {'ratio':>7}"
        w(hdr)
        w("-" * len(hdr))
        rows = [
            ("cold up -> all ready", "bio.cold", "cmp.cold", "s"),
            ("  (compose: `up -d` returned)", None, "cmp.up_d", "s"),
            ("warm re-up, nothing changed", "bio.warm", "cmp.warm", "ms"),
            ("health of a healthy stack", "bio.health", "cmp.health", "ms"),
            ("down -v", "bio.down", "cmp.down", "s"),
            ("shared sandboxes: cold up", "shared.cold", "cmp.cold", "s"),
            ("shared sandboxes: warm re-up", "shared.warm", "cmp.warm", "ms"),
            ("shared sandboxes: down -v", "shared.down", "cmp.down", "s"),
        ]
        for label, a, b, unit in rows:
            r = ratio(a, b) if a and b else None
            w(f"{label:34} {fmt(S.get(a), unit) if a else '':>28} {fmt(S.get(b), unit):>28} "
              f"{(f'{r:.2f}x' if r else ''):>7}")
        w(f"{'floor: postgres container -> ready':34} {fmt(S.get('floor'), 's'):>28}")
        w(f"{'floor: the 4 containers at once':34} {fmt(S.get('stack.floor'), 's'):>28}")
        w("")
        if S.get("run.shared"):
            w(f"  run -f ci -- true, shared sandboxes  exit {fmt(S['run.shared'], 's')}; "
              f"containers gone {fmt(S['run.shared_gone'], 's')}")
        if S.get("run.separate"):
            w(f"  run -f ci -- true, --no-shared-sandbox  exit {fmt(S['run.separate'], 's')}; "
              f"containers gone {fmt(S['run.separate_gone'], 's')}")
        if S.get("scale.shared_cold"):
            w(f"  scale: {self.scale_services} services in shared sandboxes cold up {fmt(S['scale.shared_cold'], 's')}; "
              f"down -v {fmt(S['scale.shared_down'], 's')}")
        for svc in ("postgres", "redis", "inference", "gateway"):
            if S.get(f"bio.ready.{svc}"):
                w(f"  biodev cold up, {svc:9} ready after  {fmt(S[f'bio.ready.{svc}'], 's')}")
        if S.get("scale.cold"):
            w(f"  scale: {self.scale_services} services cold up    {fmt(S['scale.cold'], 's')}; "
              f"warm {fmt(S['scale.warm'], 'ms')}; down -v {fmt(S['scale.down'], 's')}")
        if S.get("scale.floor"):
            w(f"  scale floor: {self.scale_services} containers at once, all started "
              f"{fmt(S['scale.floor_started'], 's')}; postgres ready {fmt(S['scale.floor'], 's')}")
        if S.get("bio.rss_cold_kb"):
            rss = [x / 1024 for x in self.samples["bio.rss_cold_kb"] + self.samples.get("scale.rss_cold_kb", [])]
            w(f"  biodev max RSS during up: 4 services {max(self.samples['bio.rss_cold_kb']) / 1024:.1f} MiB, "
              f"{self.scale_services} services "
              f"{max(self.samples.get('scale.rss_cold_kb', [0])) / 1024:.1f} MiB (max over all runs {max(rss):.1f})")
        for r in self.extra.get("wrk", []):
            w(f"  wrk {r['case']:38} via {r['via']:15} {r['rps']:9.0f} req/s"
              + (f" ({r['per_second']:.0f}/s)" if r['per_second'] != r['rps'] else "")
              + f"  p50 {r['p50']}  p99 {r['p99']}")
        w("")
        w("targets:")
        checks = []

        def target(name, value, limit, fmt_, ok):
            if value is None:
                return
            checks.append(ok)
            w(f"  {'MET ' if ok else 'MISS'}  {name:44} {fmt_.format(value)} (target {limit})")

        target("cold up / compose cold up", ratio("bio.cold", "cmp.cold"), "<= 0.5x", "{:.2f}x",
               (ratio("bio.cold", "cmp.cold") or 0) <= 0.5)
        target("cold up / floor", ratio("bio.cold", "floor"), "<= 1.3x", "{:.2f}x",
               (ratio("bio.cold", "floor") or 0) <= 1.3)
        if S.get("stack.floor"):
            w(f"  info  cold up / the 4 containers at once{'':19} "
              f"{ratio('bio.cold', 'stack.floor'):.2f}x (what the engine bounds)")
        if S.get("bio.warm"):
            target("warm re-up", S["bio.warm"]["median"] * 1000, "<= 70 ms", "{:.0f} ms",
                   S["bio.warm"]["median"] <= 0.070)
        if S.get("bio.health"):
            target("health", S["bio.health"]["median"] * 1000, "<= 50 ms", "{:.0f} ms",
                   S["bio.health"]["median"] <= 0.050)
        target("down / compose down", ratio("bio.down", "cmp.down"), "<= 0.5x", "{:.2f}x",
               (ratio("bio.down", "cmp.down") or 0) <= 0.5)
        target("shared-sandbox cold up / the 4 at once", ratio("shared.cold", "stack.floor"), "<= 0.7x",
               "{:.2f}x", (ratio("shared.cold", "stack.floor") or 0) <= 0.7)
        target("shared-sandbox cold up / compose cold up", ratio("shared.cold", "cmp.cold"), "<= 0.35x",
               "{:.2f}x", (ratio("shared.cold", "cmp.cold") or 0) <= 0.35)
        target("shared-sandbox down / compose down", ratio("shared.down", "cmp.down"), "<= 0.5x", "{:.2f}x",
               (ratio("shared.down", "cmp.down") or 0) <= 0.5)
        target("run -f ci -- true / same run, separate", ratio("run.shared", "run.separate"), "<= 0.5x",
               "{:.2f}x", (ratio("run.shared", "run.separate") or 0) <= 0.5)
        target(f"{self.scale_services}-service cold up / 4-service cold up", ratio("scale.cold", "bio.cold"),
               "<= 2x", "{:.2f}x", (ratio("scale.cold", "bio.cold") or 0) <= 2)
        target(f"{self.scale_services}-service shared cold up / 4-service shared",
               ratio("scale.shared_cold", "shared.cold"), "<= 2x", "{:.2f}x",
               (ratio("scale.shared_cold", "shared.cold") or 0) <= 2)
        if S.get("scale.floor"):
            w(f"  info  {self.scale_services}-service cold up / its floor{'':22} "
              f"{ratio('scale.cold', 'scale.floor'):.2f}x (what the engine bounds)")
        if S.get("bio.rss_cold_kb"):
            rss = max(self.samples["bio.rss_cold_kb"] + self.samples.get("scale.rss_cold_kb", [])) / 1024
            target("max RSS during up", rss, "<= 15 MB", "{:.1f} MiB", rss * 1.048576 <= 15)
        for r in self.extra.get("wrk", []):
            if r["case"].startswith("gateway") and r["via"] == "published port":
                target(f"{r['case']} req/s", r["rps"], ">= 20k", "{:.0f}", r["rps"] >= 20000)
        text = "\n".join(lines)
        print(text)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = os.path.join(self.out, f"results-{stamp}.json")
        with open(path, "w") as f:
            json.dump({"samples": self.samples, "stats": S, "extra": self.extra}, f, indent=1)
        with open(os.path.join(self.out, f"results-{stamp}.txt"), "w") as f:
            f.write(text + "\n")
        log(f"results: {path}")


def main(make_bench=None):
    """Runs a bench (Bench, or what make_bench makes: an object with main() and
    cleanup()), cleaning up on every way out; returns the exit code."""
    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    b = (make_bench or Bench)()
    code = 0
    try:
        b.main()
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        code = 130
    except (Failed, eng.EngineError, TimeoutError) as e:
        log(f"failed: {e}")
        code = 1
    finally:
        # A second Ctrl-C must not cut the cleanup short; children inherit the ignore.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            b.cleanup()
        except Exception as e:  # noqa: BLE001 - report, never mask the run's own outcome
            log(f"cleanup: {e}")
    return code


if __name__ == "__main__":
    sys.exit(main())
