"""The team's API: standard library only, so the image builds offline.

GET /health    200 once Postgres and Redis accept connections
GET /hello     a greeting and the Redis hit counter (INCR over RESP)
"""
import json
import os
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

GREETING = "hello from the team api"
VERSION = os.environ.get("APP_VERSION", "dev")


def endpoint(url, default_port):
    u = urlparse(url)
    return u.hostname, u.port or default_port


def redis_command(*args):
    host, port = endpoint(os.environ["REDIS_URL"], 6379)
    payload = f"*{len(args)}\r\n" + "".join(f"${len(a)}\r\n{a}\r\n" for a in args)
    with socket.create_connection((host, port), timeout=2) as s:
        s.sendall(payload.encode())
        return s.recv(512).decode().strip()


def postgres_reachable():
    host, port = endpoint(os.environ["DATABASE_URL"], 5432)
    with socket.create_connection((host, port), timeout=2):
        return True


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = urlparse(self.path).path
        try:
            if path == "/health":
                postgres_reachable()
                return self.reply(200, {"status": "ok", "redis": redis_command("PING")})
            if path == "/hello":
                hits = redis_command("INCR", "hits").lstrip(":")
                return self.reply(200, {"message": GREETING, "version": VERSION, "hits": int(hits)})
        except OSError as e:
            return self.reply(503, {"status": "unavailable", "error": str(e)})
        return self.reply(404, {"error": "not found"})

    def log_message(self, fmt, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
