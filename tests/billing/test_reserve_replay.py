"""A reserve replayed with the same request id (redis-py retries a timed-out EVALSHA) holds once."""
import socket
import threading
from urllib.parse import urlparse

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.billing import holds
from app.extensions import redis_conn
from tests.billing.conftest import T0


def test_a_replayed_reserve_returns_the_first_result_and_holds_once(meter):
    req = meter.hold(1_000_000, quota=5_000_000, rpm_limit=2, tpm_limit=1_000, est_tokens=600)
    first = holds.reserve(req, now_ms=T0)
    again = holds.reserve(req, now_ms=T0 + 5)
    assert first.ok and again == first
    assert holds.balances(meter.wallet_id, meter.key_id, 5_000_000) == (9_000_000, 4_000_000)
    # Counted once in RPM and TPM: 400 more tokens still fit in the minute, 401 do not.
    assert holds.reserve(meter.hold(1, rpm_limit=2, tpm_limit=1_000, est_tokens=401), now_ms=T0).error == "tpm"
    assert holds.reserve(meter.hold(1, rpm_limit=2, tpm_limit=1_000, est_tokens=400), now_ms=T0).ok
    holds.settle(req.request_id, 0, 0, meter.record(req.request_id))
    assert holds.balances(meter.wallet_id, meter.key_id, 5_000_000)[0] == 10_000_000 - 1


def test_a_reserve_whose_reply_times_out_is_retried_by_redis_py_and_holds_once(app, meter, monkeypatch):
    target = urlparse(app.config["REDIS_URL"])
    proxy = _ReplyDroppingProxy(target.hostname, target.port or 6379)
    client = redis.Redis(host="127.0.0.1", port=proxy.port, db=int(target.path.strip("/") or 0),
                         socket_timeout=0.5, retry=Retry(NoBackoff(), 1))  # as the app's client retries
    monkeypatch.setattr(redis_conn, "client", client)
    try:
        assert holds.reserve(meter.hold(1), now_ms=T0).ok  # loads the wallet snapshot
        proxy.drop_next_ok = True
        result = holds.reserve(meter.hold(2_000_000), now_ms=T0)
        assert proxy.dropped == 1  # the script ran, its reply was lost, redis-py sent it again
        assert (result.ok, result.wallet_available) == (True, 10_000_000 - 1 - 2_000_000)
        assert holds.balances(meter.wallet_id, meter.key_id, None) == (10_000_000 - 1 - 2_000_000, None)
    finally:
        proxy.close()
        client.close()


class _ReplyDroppingProxy:
    """Forwards to Redis; when armed, swallows the next ``ok`` script reply, as a network would."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.drop_next_ok = False
        self.dropped = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while True:
            try:
                down, _ = self.server.accept()
            except OSError:
                return
            up = socket.create_connection(self.upstream)
            threading.Thread(target=self._pipe, args=(down, up, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(up, down, True), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, replies: bool) -> None:
        try:
            while data := src.recv(65536):
                if replies and self.drop_next_ok and b"$2\r\nok\r\n" in data:
                    self.drop_next_ok = False
                    self.dropped += 1
                    continue
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.close()
                except OSError:
                    pass
