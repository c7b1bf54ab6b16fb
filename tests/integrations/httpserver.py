"""A local HTTP server that records requests and answers with queued statuses."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Recorder:
    def __init__(self):
        self.requests = []
        self.answers = []  # (status, body) consumed in order; then 200 {}

    def next_answer(self):
        return self.answers.pop(0) if self.answers else (200, b"{}")


def serve(recorder: Recorder, answer=None):
    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            recorder.requests.append({"method": self.command, "path": self.path,
                                      "headers": dict(self.headers), "body": body})
            status, payload = answer(self, body) if answer else recorder.next_answer()
            if isinstance(payload, dict):
                payload = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_GET = _handle

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    return server
