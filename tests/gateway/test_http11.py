"""The upstream HTTP/1.1 client: body framings, pooled connections, timeouts, hostile answers."""
import socket
import threading
import time

import pytest

from app.gateway import http11

from .netservers import KeepAliveServer


class OneShotServer:
    """Answers each accepted connection's requests with the given raw responses, then closes it."""

    def __init__(self, responses_per_connection: list[list[bytes]]):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.plan = list(responses_per_connection)
        self.requests = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        for answers in self.plan:
            conn, _ = self.sock.accept()
            f = conn.makefile("rb")
            for answer in answers:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = f.readline()
                    if not line:
                        break
                    head += line
                length = int(next((ln.split(b":")[1] for ln in head.split(b"\r\n")
                                   if ln.lower().startswith(b"content-length")), b"0"))
                self.requests.append(head + f.read(length))
                if answer is None:
                    continue  # read the request, never answer
                conn.sendall(answer)
            if None in answers:
                threading.Event().wait(5)
            f.close()  # the makefile holds the socket open until it is closed too
            conn.close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/v1/x"


def _post(server, timeout=5.0):
    return http11.post(server.url, b'{"a": 1}', {"content-type": "application/json"}, 2.0, timeout)


def test_chunked_body_is_dechunked_and_the_connection_reused():
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\n"
    server = OneShotServer([[chunked, chunked]])
    first = _post(server)
    assert (first.status, list(first.chunks())) == (200, [b"hello", b" world"])
    first.close()
    second = _post(server)
    assert second.read() == b"hello world"
    assert len(server.requests) == 2 and server.requests[0].endswith(b'{"a": 1}')


def test_a_pooled_connection_the_server_closed_is_replaced_once():
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    server = OneShotServer([[ok], [ok]])  # the first connection closes after one answer
    first = _post(server)
    assert first.read() == b"ok"
    first.close()
    second = _post(server)
    assert (second.status, second.read()) == (200, b"ok")


def test_body_without_length_is_read_until_close():
    server = OneShotServer([[b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it"]])
    assert _post(server).read() == b"all of it"


def test_silent_upstream_is_a_timeout():
    server = OneShotServer([[None]])
    with pytest.raises(http11.UpstreamTimeout):
        _post(server, timeout=0.3)


def test_refused_connection_is_a_connect_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(http11.UpstreamConnectError):
        http11.post(f"http://127.0.0.1:{port}/", b"{}", {}, 1.0, 1.0)


def test_no_content_answer_has_no_body_to_wait_for():
    server = OneShotServer([[b"HTTP/1.1 204 No Content\r\n\r\n"]])
    resp = _post(server, timeout=0.5)
    assert (resp.status, resp.read()) == (204, b"")


def _idle(server) -> int:
    return len(http11._pools.get(("http", "127.0.0.1", server.port, None), ()))


def test_eof_inside_a_chunked_body_is_an_error_and_the_socket_is_not_pooled():
    server = OneShotServer([[b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"]])
    resp = _post(server)
    with pytest.raises(ConnectionError, match="chunked"):
        list(resp.chunks())
    resp.close()
    assert _idle(server) == 0


@pytest.mark.parametrize("body", [
    b"zz\r\nhello\r\n0\r\n\r\n",  # not hex
    b"5\r\nhelloXX0\r\n\r\n",  # the chunk runs past its size
    b"fffffffffffff\r\nhello",  # a size no answer has; must not be allocated up front
    b"5\r\nhello\r\n0\r\nX-Trailer: 1\r\n",  # EOF among the trailers
])
def test_a_malformed_chunked_body_is_an_error(body):
    server = OneShotServer([[b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body]])
    resp = _post(server)
    with pytest.raises(ConnectionError):
        resp.read()
    resp.close()
    assert _idle(server) == 0


@pytest.mark.parametrize("head", [
    b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 100_000 + b"\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\n" + b"X-Many: 1\r\n" * 500 + b"Content-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\n" + (b"X-Wide: " + b"w" * 30_000 + b"\r\n") * 10 + b"Content-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 " + b"O" * 100_000 + b"\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nContent-Length: two\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nok",
])
def test_an_oversized_or_malformed_head_is_an_error(head):
    server = OneShotServer([[head]])
    with pytest.raises(http11.UpstreamProtocolError):
        _post(server)


def test_idle_pooled_connections_expire(monkeypatch):
    monkeypatch.setattr(http11, "MAX_IDLE_S", 0.2)
    server = KeepAliveServer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    for pause in (0, 0.05, 0.35):
        time.sleep(pause)
        resp = _post(server)
        assert resp.read() == b"ok"
        resp.close()
    assert server.connections == 2  # the second call reused the first; the third found it expired
