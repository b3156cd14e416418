"""A real HTTP receiver on a thread, and a real RQ worker in burst mode against the test Redis."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rq import SimpleWorker


class Receiver:
    """Records each request; answers with the statuses queued in ``replies`` (then 200)."""

    def __init__(self):
        self.requests = []
        self.replies = []
        self.hold = None  # a threading.Event the handler waits on before answering
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                          "json": json.loads(body)})
                if receiver.hold is not None:
                    receiver.hold.wait(10)
                status = receiver.replies.pop(0) if receiver.replies else 200
                self.send_response(status)
                if status in (301, 302, 307, 308):
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/elsewhere")
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"receiver says no " * 100)

            def log_message(self, *args):
                pass

        return Handler

    def event_ids(self):
        return [r["json"]["id"] for r in self.requests]


@pytest.fixture
def receiver():
    r = Receiver()
    thread = threading.Thread(target=r.server.serve_forever, daemon=True)
    thread.start()
    yield r
    if r.hold is not None:
        r.hold.set()
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def queues(app, monkeypatch):
    """Jobs go to Redis (not inline) and run only when the test runs a worker."""
    monkeypatch.setitem(app.config, "RQ_ASYNC", True)
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_NETWORKS", ["127.0.0.1/32"])
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE_S", ["0", "0"])
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT_S", 3.0)
    monkeypatch.setitem(app.extensions, "tollgate_queues", {})
    yield
    app.extensions["tollgate_queues"].clear()


def run_worker(app) -> None:
    connection = app.extensions["tollgate_redis"].client
    SimpleWorker(["webhooks", "default"], connection=connection).work(burst=True, with_scheduler=True)
