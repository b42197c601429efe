"""A minimal Docker Engine API client over the unix socket, and a Postgres readiness check.

Used by bench.py for what must not carry a CLI's start-up cost: polling compose's
healthchecks, the floor measurement (a bare container started through the API) and
cleanup by label. Standard library only.
"""

import http.client
import json
import os
import socket
import struct
import time
import urllib.parse

API = "/v1.41"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self._path)
        self.sock = s


class EngineError(RuntimeError):
    def __init__(self, status, message):
        super().__init__(f"engine: HTTP {status}: {message}")
        self.status = status


class Engine:
    def __init__(self, socket_path=None, timeout=60):
        host = os.environ.get("DOCKER_HOST", "")
        self.path = socket_path or (host[len("unix://"):] if host.startswith("unix://") else "/var/run/docker.sock")
        self.timeout = timeout

    def call(self, method, path, body=None, query=None, ok=(200, 201, 204, 304)):
        url = API + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        conn = _UnixConnection(self.path, self.timeout)
        try:
            headers = {}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, url, body=data, headers=headers)
            r = conn.getresponse()
            raw = r.read()
        finally:
            conn.close()
        if r.status not in ok:
            try:
                msg = json.loads(raw).get("message", raw.decode(errors="replace"))
            except ValueError:
                msg = raw.decode(errors="replace")
            raise EngineError(r.status, msg)
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode(errors="replace")

    def version(self):
        return self.call("GET", "/version")

    def info(self):
        return self.call("GET", "/info")

    def containers(self, label=None, all_=True):
        q = {"all": "1" if all_ else "0"}
        if label:
            q["filters"] = json.dumps({"label": [label]})
        return self.call("GET", "/containers/json", query=q)

    def networks(self, label):
        return self.call("GET", "/networks", query={"filters": json.dumps({"label": [label]})})

    def volumes(self, label):
        return self.call("GET", "/volumes", query={"filters": json.dumps({"label": [label]})}).get("Volumes") or []

    def has_image(self, ref):
        try:
            self.call("GET", f"/images/{ref}/json")
            return True
        except EngineError as e:
            if e.status == 404:
                return False
            raise

    def inspect(self, cid):
        return self.call("GET", f"/containers/{cid}/json")

    def remove_container(self, cid):
        self.call("DELETE", f"/containers/{cid}", query={"force": "1", "v": "1"}, ok=(204, 404))

    def remove_network(self, nid):
        self.call("DELETE", f"/networks/{nid}", ok=(204, 404))

    def remove_volume(self, name):
        self.call("DELETE", f"/volumes/{name}", ok=(204, 404))

    def remove_labelled(self, label):
        """Remove every container, network and volume carrying `label` (key=value)."""
        for c in self.containers(label):
            self.remove_container(c["Id"])
        for n in self.networks(label):
            self.remove_network(n["Id"])
        for v in self.volumes(label):
            self.remove_volume(v["Name"])


def published_port(container_json, port):
    """The host port published for container `port`/tcp on an IPv4 address, or None."""
    for b in (container_json["NetworkSettings"]["Ports"] or {}).get(f"{port}/tcp") or []:
        if ":" not in b.get("HostIp", ""):
            return int(b["HostPort"])
    return None


def postgres_answers(host, port, user, database, timeout=0.5):
    """True when a Postgres server at host:port accepts connections, as pg_isready means
    it: it answers a startup packet with an authentication request (or an error other
    than 57P03 "starting up"). A connection the userland proxy accepts and then drops,
    because nothing listens in the container yet, is not an answer."""
    params = b"user\0" + user.encode() + b"\0database\0" + database.encode() + b"\0\0"
    packet = struct.pack("!II", 8 + len(params), 196608) + params
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(packet)
            kind = s.recv(1)
            if kind == b"R":
                return True
            if kind == b"E":
                body = s.recv(4096)
                return b"C57P03\0" not in body
            return False
    except OSError:
        return False


def wait_until(predicate, timeout, every):
    """Call predicate() every `every` seconds until it is true; the seconds waited, or
    raises TimeoutError."""
    t0 = time.perf_counter()
    while True:
        if predicate():
            return time.perf_counter() - t0
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError(f"not true after {timeout}s")
        time.sleep(every)
