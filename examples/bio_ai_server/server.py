"""bio_ai_server: the backend-for-frontend of the example stack.

Standard library only. Serves /health, /api/hello and /api/embed; edit MESSAGE and
`biodev watch bio_ai_server` restarts it with the change.
"""
import json
import os
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

MESSAGE = "hello from bio_ai_server"
INFERENCE_URL = os.environ.get("INFERENCE_URL", "http://inference:8000")


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/health":
            return self.reply(200, {"status": "ok", "service": "bio_ai_server"})
        if url.path == "/api/hello":
            keys = ["DATABASE_URL", "REDIS_URL", "S3_ENDPOINT", "QDRANT_URL", "INFERENCE_URL"]
            return self.reply(200, {"message": MESSAGE, "configured": [k for k in keys if os.environ.get(k)]})
        if url.path == "/api/embed":
            text = parse_qs(url.query).get("text", [""])[0]
            req = urllib.request.Request(
                INFERENCE_URL + "/v1/embeddings",
                data=json.dumps({"input": text}).encode(),
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    vec = json.load(r)["data"][0]["embedding"]
                return self.reply(200, {"text": text, "dim": len(vec), "head": vec[:4]})
            except Exception as e:  # the caller sees why inference failed
                return self.reply(502, {"error": "inference: %s" % e})
        return self.reply(404, {"error": "no route " + url.path})

    def log_message(self, fmt, *args):
        pass


if __name__ == "__main__":
    print("bio_ai_server listening on :8000", flush=True)
    ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
