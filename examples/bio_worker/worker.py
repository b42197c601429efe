"""bio_worker: the example async worker. Takes texts from the Redis list `jobs`, gets
their embeddings from the inference service, pushes JSON results to `results`.
Standard library only: speaks RESP to Redis over a socket."""
import json
import os
import socket
import time
import urllib.request
from urllib.parse import urlparse

REDIS = urlparse(os.environ.get("REDIS_URL", "redis://redis:6379/0"))
INFERENCE_URL = os.environ.get("INFERENCE_URL", "http://inference:8000")


def command(sock, *args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)
    return read(sock.makefile("rb"))


def read(f):
    line = f.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind in (b"+", b"-", b":"):
        return rest.decode()
    if kind == b"$":
        n = int(rest)
        return None if n < 0 else f.read(n + 2)[:-2].decode()
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [read(f) for _ in range(n)]
    raise ValueError("bad RESP reply %r" % line)


def embed(text):
    req = urllib.request.Request(INFERENCE_URL + "/v1/embeddings", data=json.dumps({"input": text}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)["data"][0]["embedding"]


def main():
    print("bio_worker waiting for jobs on redis list 'jobs'", flush=True)
    while True:
        try:
            sock = socket.create_connection((REDIS.hostname, REDIS.port or 6379), timeout=10)
            open("/tmp/healthy", "w").close()
            while True:
                job = command(sock, "BLPOP", "jobs", "5")
                if job:
                    vec = embed(job[1])
                    command(sock, "RPUSH", "results", json.dumps({"text": job[1], "dim": len(vec)}))
        except (OSError, ValueError) as e:
            print("bio_worker: %s; retrying" % e, flush=True)
            time.sleep(1)


if __name__ == "__main__":
    main()
