#!/usr/bin/env python3
"""Leases against the ways tests get a clean database today: see docs/benchmarks.md#leases.

One run, one machine, three ways for a test to get its own seeded Postgres (and, for
leases, its own Redis database, buckets and collections):

  lease      POST $BIODEV_LEASES_URL from the warm pool of the ci stack's lease service,
             LEASES of them back to back (the pool refilled while they run), and
             before that a burst as large as the full pool (what a suite's first tests see);
             the bench first announces its demand (POST .../warm?n=WARM), as a suite
             would with `biodev lease warm N`
  database   CREATE DATABASE, then the init scripts applied to it (what a suite does
             without templates)
  container  a new Postgres container per test, started through the Engine API, waited
             for and seeded, as Testcontainers does it

Each test: get the slice (timed), then check it (the seeded rows are there; a row and a
Redis key written are the only ones: isolation across every lease handed out), then
give it back. After the lease part, no database, bucket or collection of any lease
handed out may be left.

The lease part's WORKERS threads are the same in every phase, each with its keep-alive
connection to the lease service.

Settings (environment): BIODEV=build/biodev, WORKERS=8, LEASES=200, DATABASES=200,
CONTAINERS=16 (0 skips a part), WARM=2*WORKERS (0: announce nothing),
BIODEV_LEASES_POOL_MAX=16 (the lease service's, passed through the profile). Engine objects: the project lease-bench-<pid> and
containers labelled dev.biodevbench.lease=<pid>, removed on exit.
Prints MET/MISS lines against the targets (p50 <= 10 ms, p99 <= 50 ms per lease).
"""

import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import boto3
import psycopg
import redis
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engine as eng  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIODEV = os.path.abspath(os.environ.get("BIODEV", os.path.join(ROOT, "build", "biodev")))
WORKERS = int(os.environ.get("WORKERS", "8"))
LEASES = int(os.environ.get("LEASES", "200"))
DATABASES = int(os.environ.get("DATABASES", "200"))
CONTAINERS = int(os.environ.get("CONTAINERS", "16"))
WARM = int(os.environ.get("WARM", str(2 * WORKERS)))
PROJECT = f"lease-bench-{os.getpid()}"
LABEL = f"dev.biodevbench.lease={os.getpid()}"
SCRIPTS = sorted(os.path.join(ROOT, "init-scripts", "postgres", f)
                 for f in os.listdir(os.path.join(ROOT, "init-scripts", "postgres")) if f.endswith(".sql"))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))]


os.environ.setdefault("BIODEV_LEASES_POOL_MAX", "16")


def biodev(*args, workdir):
    return subprocess.run([BIODEV, "-p", PROJECT, "-f", "ci", *args], cwd=workdir, check=True,
                          capture_output=True, text=True).stdout


class Api:
    """One keep-alive connection per worker, as a test process would hold."""

    def __init__(self, url):
        self.url = urllib.parse.urlsplit(url)
        self.local = threading.local()

    def connect(self):
        self.local.conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=120)
        self.local.conn.connect()

    def call(self, method, path):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=120)
        conn.request(method, path)
        r = conn.getresponse()
        body = r.read()
        return r.status, json.loads(body) if body else None


def check_slice(env, tag):
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
        seeded = db.execute("SELECT count(*) FROM samples WHERE external_id LIKE 'S-%'").fetchone()[0]
        db.execute("INSERT INTO samples (external_id, organism) VALUES (%s, 'bench')", (tag,))
        mine = db.execute("SELECT count(*) FROM samples WHERE organism = 'bench'").fetchone()[0]
    if seeded < 3 or mine != 1:
        raise AssertionError(f"{tag}: {seeded} seeded rows, {mine} bench rows (isolation broken)")
    if "REDIS_URL" in env:
        r = redis.Redis.from_url(env["REDIS_URL"])
        r.set("bench", tag)
        if r.dbsize() != 1:
            raise AssertionError(f"{tag}: redis database has {r.dbsize()} keys, expected only its own")


def run_parallel(n, fn):
    times = []
    lock = threading.Lock()

    def one(i):
        dt = fn(i)
        with lock:
            times.append(dt)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        for f in [pool.submit(one, i) for i in range(n)]:
            f.result()
    return times, time.perf_counter() - t0


# The lease part's workers are the same threads in every phase, each with one keep-alive
# connection to the lease service opened when it starts, as a test process holds it
# across its tests (new threads per phase would time a new connection through the
# engine's port proxy, not the hand-out).
def _lease_cycle(api, path, i):
    """One test: take a lease (timed), check it, give it back (timed apart)."""
    t0 = time.perf_counter()
    status, body = api.call("POST", path)
    dt = time.perf_counter() - t0
    if status != 201:
        raise RuntimeError(f"POST: {status} {body}")
    check_slice(body["env"], f"lease-{i}")
    t1 = time.perf_counter()
    status, _ = api.call("DELETE", f"{path}/{body['id']}")
    if status != 204:
        raise RuntimeError(f"DELETE {body['id']}: {status}")
    return dt, body, time.perf_counter() - t1


def _lease_take(api, path, i):
    t0 = time.perf_counter()
    status, body = api.call("POST", path)
    if status != 201:
        raise RuntimeError(f"POST: {status} {body}")
    return time.perf_counter() - t0, body, 0.0


def run_on(pool, n, fn, *args):
    """n calls of fn(*args, i) on the workers: (results, wall seconds)."""
    t0 = time.perf_counter()
    results = [f.result() for f in [pool.submit(fn, *args, i) for i in range(n)]]
    return results, time.perf_counter() - t0


def lease_part(env_all):
    url = env_all["BIODEV_LEASES_URL"]
    api = Api(url)
    path = urllib.parse.urlsplit(url).path
    if WARM:
        status, body = api.call("POST", f"{path}/warm?n={WARM}&for=600")
        if status != 200:
            raise RuntimeError(f"POST {path}/warm: {status} {body}")
    with ThreadPoolExecutor(WORKERS, initializer=api.connect) as pool:
        # Warm-up: the pool learns the demand, then is let fill.
        run_on(pool, WORKERS * 4, _lease_cycle, api, path)
        wait_pool(api, path)
        # A burst no larger than the pool: what a suite's first tests see.
        _, body = api.call("GET", path)
        taken, burst_wall = run_on(pool, max(1, body["pool"]["ready"]), _lease_take, api, path)
        held = [b for _, b, _ in taken]
        for b in held:
            api.call("DELETE", f"{path}/{b['id']}")
        wait_pool(api, path)
        results, wall = run_on(pool, LEASES, _lease_cycle, api, path)
    handed = [b for _, b, _ in results]
    left = leftovers(env_all, handed + held)
    return ([dt for dt, _, _ in results], wall, left, handed,
            ([dt for dt, _, _ in taken], burst_wall), ([r for _, _, r in results], wall))


def wait_pool(api, path):
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 60:
        _, body = api.call("GET", path)
        p = body["pool"]
        if p["ready"] >= min(max(WORKERS, WARM), p["target"]) and p["making"] == 0 and p["dropping"] == 0:
            return
        time.sleep(0.1)


def leftovers(env_all, handed):
    ids = {l["id"] for l in handed}
    left = []
    with psycopg.connect(env_all["DATABASE_URL"]) as db:
        for (name,) in db.execute("SELECT datname FROM pg_database WHERE datname LIKE 'biodev_lease_%'"):
            if name[len("biodev_lease_"):] in ids:
                left.append(name)
    s3 = boto3.client("s3", endpoint_url=env_all["S3_ENDPOINT"], aws_access_key_id=env_all["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=env_all["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1",
                      config=Config(s3={"addressing_style": "path"}))
    for b in s3.list_buckets()["Buckets"]:
        if b["Name"].startswith("lease-") and b["Name"][6:16] in ids:
            left.append(b["Name"])
    conn = http.client.HTTPConnection(urllib.parse.urlsplit(env_all["QDRANT_URL"]).hostname,
                                      urllib.parse.urlsplit(env_all["QDRANT_URL"]).port, timeout=10)
    conn.request("GET", "/collections")
    for c in json.loads(conn.getresponse().read())["result"]["collections"]:
        if c["name"].startswith("lease_") and c["name"][6:16] in ids:
            left.append(c["name"])
    return left


def apply_scripts(url):
    with psycopg.connect(url, autocommit=True) as db:
        for path in SCRIPTS:
            with open(path) as f:
                db.execute(f.read())


def database_part(env_all):
    base = env_all["DATABASE_URL"]

    def one(i):
        name = f"bench_seeded_{os.getpid()}_{i}"
        t0 = time.perf_counter()
        with psycopg.connect(base, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        url = base.rsplit("/", 1)[0] + "/" + name
        apply_scripts(url)
        dt = time.perf_counter() - t0
        check_slice({"DATABASE_URL": url}, f"db-{i}")
        with psycopg.connect(base, autocommit=True) as db:
            db.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        return dt

    return run_parallel(DATABASES, one)


def container_part(engine):
    pg = {"POSTGRES_USER": "bio", "POSTGRES_PASSWORD": "bench", "POSTGRES_DB": "bio"}

    def one(i):
        t0 = time.perf_counter()
        c = engine.call("POST", "/containers/create", query={"name": f"lease-bench-{os.getpid()}-pg-{i}"}, body={
            "Image": "biodev/postgres:15", "Env": [f"{k}={v}" for k, v in pg.items()],
            "Labels": {LABEL.split("=")[0]: LABEL.split("=")[1]}, "ExposedPorts": {"5432/tcp": {}},
            "HostConfig": {"PortBindings": {"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}, "Init": True}})
        try:
            engine.call("POST", f"/containers/{c['Id']}/start")
            port = None
            while port is None:
                port = eng.published_port(engine.inspect(c["Id"]), 5432)
            url = f"postgresql://bio:bench@127.0.0.1:{port}/bio"
            while True:
                try:
                    apply_scripts(url)
                    break
                except psycopg.OperationalError:
                    time.sleep(0.02)
            dt = time.perf_counter() - t0
            check_slice({"DATABASE_URL": url}, f"container-{i}")
            return dt
        finally:
            engine.remove_container(c["Id"])

    return run_parallel(CONTAINERS, one)


def summary(name, times, wall):
    ms = [t * 1000 for t in times]
    line = (f"{name:10} n={len(ms):4}  p50 {statistics.median(ms):8.1f} ms  p99 {pct(ms, 99):8.1f} ms  "
            f"max {max(ms):8.1f} ms  wall {wall:6.2f} s")
    print(line)
    return {"n": len(ms), "p50_ms": statistics.median(ms), "p99_ms": pct(ms, 99), "max_ms": max(ms), "wall_s": wall}


def main():
    engine = eng.Engine()
    work = tempfile.mkdtemp(prefix="lease-bench-")
    shutil.copytree(os.path.join(ROOT, "init-scripts"), os.path.join(work, "init-scripts"))
    results = {"workers": WORKERS}
    ok = True
    try:
        log(f"bringing up the ci stack as {PROJECT}")
        biodev("up", "--timeout", "300", workdir=work)
        env_all = json.loads(biodev("env", "--format", "json", workdir=work))
        print(f"leases bench: {WORKERS} workers, one machine ({os.cpu_count()} cores), one run, "
              f"pool max {os.environ['BIODEV_LEASES_POOL_MAX']}, announced {WARM}")
        checks = []
        if LEASES:
            times, wall, left, handed, burst, released = lease_part(env_all)
            results["burst"] = summary("burst", *burst)
            r = results["lease"] = summary("lease", times, wall)
            # DELETE answers once the slice is dropped: not a target, but where the pool's
            # refill (which goes first) puts the waiting.
            results["release"] = summary("release", *released)
            checks += [("lease p50 from a warm pool", r["p50_ms"], 10, "{:.1f} ms"),
                       ("lease p99 from a warm pool", r["p99_ms"], 50, "{:.1f} ms")]
            results["lease"]["left_behind"] = left
            print(f"  {'MET ' if not left else 'MISS'}  {'released leases leave nothing behind':44} "
                  f"{len(left)} objects left of {len(handed)} leases")
            print(f"  MET   {'isolation and seeds in every lease':44} {len(handed)} leases checked")
            ok &= not left
        if DATABASES:
            results["database"] = summary("database", *database_part(env_all))
        if CONTAINERS:
            results["container"] = summary("container", *container_part(engine))
        if "burst" in results:
            checks += [("burst from a full pool, p50", results["burst"]["p50_ms"], 10, "{:.1f} ms"),
                       ("burst from a full pool, p99", results["burst"]["p99_ms"], 50, "{:.1f} ms")]
        for name, value, limit, fmt_ in checks:
            met = value <= limit
            ok &= met
            print(f"  {'MET ' if met else 'MISS'}  {name:44} {fmt_.format(value)} (target <= {limit} ms)")
        if LEASES:
            for other in ("database", "container"):
                if other in results:
                    print(f"  ratio {other + ' / lease (p50)':44} "
                          f"{results[other]['p50_ms'] / results['lease']['p50_ms']:.0f}x")
        out = os.path.join(HERE, "out")
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, f"leases-{int(time.time())}.json"), "w") as f:
            json.dump(results, f, indent=2)
    finally:
        subprocess.run([BIODEV, "-p", PROJECT, "down", "-v", "--yes"], cwd=work, capture_output=True)
        engine.remove_labelled(LABEL)
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
