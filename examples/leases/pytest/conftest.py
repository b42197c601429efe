# A fresh, seeded, isolated slice of the stack for every test: its own database, Redis
# database, buckets and Qdrant collections. Plain HTTP to $BIODEV_LEASES_URL (from
# `eval "$(biodev env)"` or `biodev run`); the lease is bound to the connection, so a
# crashed test run gives it back too.
import http.client
import json
import os
import urllib.parse

import pytest


@pytest.fixture
def lease():
    url = urllib.parse.urlsplit(os.environ["BIODEV_LEASES_URL"])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    conn.request("POST", url.path + "?keepalive=1")
    resp = conn.getresponse()
    body = json.loads(resp.read())
    assert resp.status == 201, body
    yield body["env"]
    conn.request("DELETE", f"{url.path}/{body['id']}")
    assert conn.getresponse().status == 204
    conn.close()
