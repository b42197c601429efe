"""bio_nexus: the example data service. On the app and data tiers only, so it can reach
Postgres and Redis but not the inference service (mirroring prod's security groups)."""
import json
import os
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def reachable(host, port):
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            body = {"status": "ok", "service": "bio_nexus"}
        elif self.path == "/nexus/reach":
            body = {"postgres": reachable("postgres", 5432), "redis": reachable("redis", 6379),
                    "inference": reachable("inference", 8000)}
        else:
            body = {"error": "no route " + self.path}
        data = json.dumps(body).encode()
        self.send_response(200 if "error" not in body else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        pass


if __name__ == "__main__":
    print("bio_nexus listening on :8000 (DATABASE_URL set: %s)" % bool(os.environ.get("DATABASE_URL")), flush=True)
    ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
