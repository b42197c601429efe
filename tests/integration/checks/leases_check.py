"""Leases against the real stores, with clients nobody here wrote (psycopg, redis-py,
boto3; Qdrant over its REST API). Needs BIODEV_LEASES_URL and the stack's own env
(DATABASE_URL, REDIS_URL, S3_ENDPOINT, AWS_*, QDRANT_URL), as `biodev env` prints them.

  isolation   a row, key, object and point written in one lease is invisible in the
              others and in the stack's own stores
  seeded      each lease has the seeded rows, buckets (with their objects) and collections
  release     DELETE leaves none of the lease's objects behind
  reclaim     a keepalive lease whose connection closes, and a lease whose TTL passes,
              are reclaimed
"""
import http.client
import json
import os
import sys
import time
import urllib.parse
import urllib.request

import boto3
import psycopg
import redis
from botocore.config import Config

LEASES = urllib.parse.urlsplit(os.environ["BIODEV_LEASES_URL"])
QDRANT = os.environ["QDRANT_URL"]
BASE_DB = os.environ["DATABASE_URL"]
REDIS_BASE = os.environ["REDIS_URL"]
SEEDED_BUCKETS = ["raw", "processed", "logs"]


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def api(method, path, conn=None):
    own = conn is None
    conn = conn or http.client.HTTPConnection(LEASES.hostname, LEASES.port, timeout=60)
    conn.request(method, path)
    r = conn.getresponse()
    body = r.read()
    if own:
        conn.close()
    return r.status, (json.loads(body) if body else None)


def new_lease(query=""):
    status, body = api("POST", LEASES.path + query)
    check(status == 201, f"POST {LEASES.path}{query}: {status} {body}")
    return body


def s3():
    return boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"],
                        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
                        region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))


def qdrant(method, path, body=None):
    req = urllib.request.Request(QDRANT + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, None


def buckets_of(env):
    return env["S3_BUCKETS"].split(",")


def slice_exists(lease_id, env):
    """Which parts of a lease's slice still exist."""
    left = []
    with psycopg.connect(BASE_DB) as db:
        n = db.execute("SELECT count(*) FROM pg_database WHERE datname = %s",
                       (f"biodev_lease_{lease_id}",)).fetchone()[0]
        if n:
            left.append("database")
    names = {b["Name"] for b in s3().list_buckets()["Buckets"]}
    left += [b for b in buckets_of(env) if b in names]
    status, _ = qdrant("GET", f"/collections/{env['QDRANT_COLLECTION_PREFIX']}documents")
    if status == 200:
        left.append("collection")
    if redis.Redis.from_url(env["REDIS_URL"]).dbsize():
        left.append("redis keys")
    return left


def main():
    # An object in a seeded bucket: slices made from now on carry a copy.
    s3().put_object(Bucket="raw", Key="seed/readme.txt", Body=b"seeded object")

    leases = [new_lease() for _ in range(4)]
    ids = [l["id"] for l in leases]
    check(len(set(ids)) == 4, f"lease ids repeat: {ids}")
    for l in leases:
        env = l["env"]
        for key in ["DATABASE_URL", "REDIS_URL", "S3_ENDPOINT", "S3_BUCKETS", "QDRANT_URL",
                    "QDRANT_COLLECTION_PREFIX"]:
            check(env.get(key), f"lease {l['id']}: env has no {key}: {env}")

    # Seeded content in each.
    for l in leases:
        env = l["env"]
        with psycopg.connect(env["DATABASE_URL"]) as db:
            n = db.execute("SELECT count(*) FROM samples WHERE external_id IN ('S-0001','S-0002','S-0003')").fetchone()[0]
            check(n == 3, f"lease {l['id']}: {n} seeded samples, expected 3")
            applied = db.execute("SELECT count(*) FROM biodev_seed_ledger").fetchone()[0]
            check(applied >= 2, f"lease {l['id']}: seed ledger has {applied} rows")
        check(len(buckets_of(env)) == len(SEEDED_BUCKETS), f"lease {l['id']}: buckets {env['S3_BUCKETS']}")
        for b in buckets_of(env):
            s3().head_bucket(Bucket=b)
        status, body = qdrant("GET", f"/collections/{env['QDRANT_COLLECTION_PREFIX']}documents")
        check(status == 200, f"lease {l['id']}: collection missing ({status})")
        size = body["result"]["config"]["params"]["vectors"]["size"]
        check(size == 384, f"lease {l['id']}: collection size {size}")
    # The pool held two slices cut before the object was put; later ones carry it.
    raw_copy = buckets_of(leases[3]["env"])[0]
    got = s3().get_object(Bucket=raw_copy, Key="seed/readme.txt")["Body"].read()
    check(got == b"seeded object", f"{raw_copy}: seeded object reads {got!r}")

    # Isolation: write in the first lease, look in the others and in the stack's own stores.
    a = leases[0]["env"]
    with psycopg.connect(a["DATABASE_URL"]) as db:
        db.execute("INSERT INTO samples (external_id, organism) VALUES ('LEASE-A', 'Danio rerio')")
    redis.Redis.from_url(a["REDIS_URL"]).set("only-in-a", "1")
    s3().put_object(Bucket=buckets_of(a)[0], Key="only-in-a.txt", Body=b"a")
    coll = a["QDRANT_COLLECTION_PREFIX"] + "documents"
    status, _ = qdrant("PUT", f"/collections/{coll}/points?wait=true",
                       {"points": [{"id": 1, "vector": [0.1] * 384, "payload": {"lease": "a"}}]})
    check(status == 200, f"upsert into {coll}: {status}")
    status, body = qdrant("POST", f"/collections/{coll}/points/count", {"exact": True})
    check(body["result"]["count"] == 1, f"{coll}: {body}")

    others = [(l["id"], l["env"]) for l in leases[1:]] + [("the stack", {
        "DATABASE_URL": BASE_DB, "REDIS_URL": REDIS_BASE, "S3_BUCKETS": ",".join(SEEDED_BUCKETS),
        "QDRANT_COLLECTION_PREFIX": ""})]
    for name, env in others:
        with psycopg.connect(env["DATABASE_URL"]) as db:
            n = db.execute("SELECT count(*) FROM samples WHERE external_id = 'LEASE-A'").fetchone()[0]
            check(n == 0, f"{name} sees lease A's row")
        check(redis.Redis.from_url(env["REDIS_URL"]).get("only-in-a") is None, f"{name} sees lease A's key")
        keys = [o["Key"] for o in s3().list_objects_v2(Bucket=buckets_of(env)[0]).get("Contents", [])]
        check("only-in-a.txt" not in keys, f"{name} sees lease A's object: {keys}")
        status, body = qdrant("POST", f"/collections/{env['QDRANT_COLLECTION_PREFIX']}documents/points/count",
                              {"exact": True})
        check(status == 200 and body["result"]["count"] == 0, f"{name} sees lease A's point: {status} {body}")
    print(f"isolation and seeds: ok across {len(leases)} leases and the stack", file=sys.stderr)

    # Release leaves nothing behind.
    for l in leases:
        status, _ = api("DELETE", f"{LEASES.path}/{l['id']}")
        check(status == 204, f"DELETE {l['id']}: {status}")
        left = slice_exists(l["id"], l["env"])
        check(not left, f"lease {l['id']} released, but left: {left}")
    status, _ = api("DELETE", f"{LEASES.path}/{ids[0]}")
    check(status == 404, f"second DELETE: {status}")
    print("release: nothing left behind", file=sys.stderr)

    # Reclaim: the keepalive connection closes.
    conn = http.client.HTTPConnection(LEASES.hostname, LEASES.port, timeout=60)
    status, held = api("POST", LEASES.path + "?keepalive=1", conn)
    check(status == 201, f"keepalive lease: {status}")
    status, _ = api("GET", f"{LEASES.path}/{held['id']}")
    check(status == 200, f"keepalive lease {held['id']} not listed while held")
    conn.close()
    t0 = time.monotonic()
    while api("GET", f"{LEASES.path}/{held['id']}")[0] == 200:
        check(time.monotonic() - t0 < 10, f"keepalive lease {held['id']} still held 10 s after its connection closed")
        time.sleep(0.05)
    while slice_exists(held["id"], held["env"]):
        check(time.monotonic() - t0 < 15, f"keepalive lease {held['id']}: left {slice_exists(held['id'], held['env'])}")
        time.sleep(0.1)
    print(f"reclaim on disconnect: {time.monotonic() - t0:.2f} s", file=sys.stderr)

    # Reclaim: the TTL passes.
    short = new_lease("?ttl=1")
    t0 = time.monotonic()
    while api("GET", f"{LEASES.path}/{short['id']}")[0] == 200:
        check(time.monotonic() - t0 < 10, f"lease {short['id']} with ttl=1 still held after 10 s")
        time.sleep(0.1)
    while slice_exists(short["id"], short["env"]):
        check(time.monotonic() - t0 < 15, f"ttl lease {short['id']}: left {slice_exists(short['id'], short['env'])}")
        time.sleep(0.1)
    print(f"reclaim on TTL (1 s): {time.monotonic() - t0:.2f} s", file=sys.stderr)

    status, body = api("GET", LEASES.path)
    check(status == 200 and body["leases"] == [], f"leases still held: {body}")


if __name__ == "__main__":
    main()
