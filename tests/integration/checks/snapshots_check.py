"""Seeds, changes and dumps the data of a running stack, for test_snapshots.sh.

  snapshots_check.py seed    # rows, keys (one with a TTL), objects, points
  snapshots_check.py mutate  # add and delete something in every store
  snapshots_check.py state   # every store's content as one canonical JSON document
  snapshots_check.py deny-dump | allow-dump   # Redis refuses DUMP (a store failing mid-save)

Reads DATABASE_URL, REDIS_URL, S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
QDRANT_URL (biodev env). Lease objects (biodev_lease_*, lease-*, lease_*) are left out.
"""
import hashlib
import json
import os
import sys
import urllib.request

import boto3
import psycopg
import redis

E = os.environ
DIM = 384


def pg():
    return psycopg.connect(E["DATABASE_URL"], autocommit=True)


def r():
    return redis.Redis.from_url(E["REDIS_URL"])


def s3():
    return boto3.client("s3", endpoint_url=E["S3_ENDPOINT"], region_name="us-east-1",
                        aws_access_key_id=E["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=E["AWS_SECRET_ACCESS_KEY"])


def q(method, path, body=None):
    req = urllib.request.Request(E["QDRANT_URL"] + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"{}")


def vec(i):
    return [((i * 7 + k) % 13) / 13.0 for k in range(DIM)]


def seed():
    with pg() as c:
        c.execute("CREATE TABLE IF NOT EXISTS snap_items (id int PRIMARY KEY, v text)")
        c.execute("INSERT INTO snap_items SELECT g, 'item ' || g FROM generate_series(1, 500) g")
    rc = r()
    rc.set("greeting", "hello")
    rc.set("session:1", "short-lived", ex=3600)
    rc.hset("user:1", mapping={"name": "ada", "role": "admin"})
    rc.rpush("queue", "a", "b", "c")
    rc.set("binary", bytes(range(256)))
    c = s3()
    c.put_object(Bucket="raw", Key="data/one.csv", Body=b"a,b\n1,2\n", ContentType="text/csv")
    c.put_object(Bucket="raw", Key="with space/two.bin", Body=os.urandom(70000))
    c.put_object(Bucket="processed", Key="result.json", Body=b'{"ok":true}',
                 ContentType="application/json", Metadata={"source": "seed"})
    q("PUT", "/collections/documents/points?wait=true", {"points": [
        {"id": i, "vector": vec(i), "payload": {"n": i}} for i in range(1, 21)]})
    q("PUT", "/collections/extra?wait=true", {"vectors": {"size": 4, "distance": "Dot"}})
    q("PUT", "/collections/extra/points?wait=true", {"points": [
        {"id": 1, "vector": [1, 0, 0, 0], "payload": {"k": "x"}}]})


def mutate():
    with pg() as c:
        c.execute("INSERT INTO snap_items VALUES (1000, 'added')")
        c.execute("DELETE FROM snap_items WHERE id <= 10")
        c.execute("UPDATE snap_items SET v = 'changed' WHERE id = 20")
        c.execute("CREATE TABLE after_snapshot (x int)")
    rc = r()
    rc.set("new-key", "new")
    rc.delete("greeting")
    rc.hset("user:1", "role", "guest")
    rc.persist("session:1")
    c = s3()
    c.put_object(Bucket="raw", Key="added.txt", Body=b"new object")
    c.delete_object(Bucket="raw", Key="data/one.csv")
    c.put_object(Bucket="processed", Key="result.json", Body=b'{"ok":false}')
    c.create_bucket(Bucket="made-after")
    c.put_object(Bucket="made-after", Key="x", Body=b"x")
    q("PUT", "/collections/documents/points?wait=true", {"points": [
        {"id": 99, "vector": vec(99), "payload": {"n": 99}}]})
    q("POST", "/collections/documents/points/delete?wait=true", {"points": [1, 2]})
    q("DELETE", "/collections/extra")
    q("PUT", "/collections/later?wait=true", {"vectors": {"size": 2, "distance": "Cosine"}})


def state():
    out = {}
    with pg() as c:
        out["tables"] = [t for (t,) in c.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        out["rows"] = c.execute("SELECT md5(string_agg(id || ':' || v, ',' ORDER BY id)), "
                                "count(*) FROM snap_items").fetchone()
    rc = r()
    keys = {}
    for k in sorted(rc.scan_iter()):
        keys[k.decode()] = [rc.type(k).decode(), hashlib.md5(rc.dump(k)).hexdigest(),
                            rc.ttl(k) > 0]
    out["redis"] = keys
    c = s3()
    buckets = {}
    for b in sorted(x["Name"] for x in c.list_buckets()["Buckets"]):
        if b.startswith("lease-"):
            continue
        objs = {}
        for o in c.list_objects(Bucket=b).get("Contents", []):
            got = c.get_object(Bucket=b, Key=o["Key"])
            objs[o["Key"]] = [hashlib.md5(got["Body"].read()).hexdigest(),
                              got["ContentType"], got.get("Metadata", {})]
        buckets[b] = objs
    out["s3"] = buckets
    cols = {}
    for col in sorted(x["name"] for x in q("GET", "/collections")["result"]["collections"]):
        if col.startswith("lease_"):
            continue
        info = q("GET", f"/collections/{col}")["result"]["config"]["params"]["vectors"]
        pts = q("POST", f"/collections/{col}/points/scroll",
                {"limit": 1000, "with_payload": True, "with_vector": True})["result"]["points"]
        cols[col] = [info, sorted([p["id"], p["payload"],
                                   [round(v, 4) for v in p["vector"]]] for p in pts)]
    out["qdrant"] = cols
    print(json.dumps(out, sort_keys=True))


def deny_dump():
    r().execute_command("ACL", "SETUSER", "default", "-dump")


def allow_dump():
    r().execute_command("ACL", "SETUSER", "default", "+dump")


{"seed": seed, "mutate": mutate, "state": state, "deny-dump": deny_dump,
 "allow-dump": allow_dump}[sys.argv[1]]()
