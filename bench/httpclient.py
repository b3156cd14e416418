"""A minimal HTTP/1.1 keep-alive client for the benchmark's own load tools.

Raw sockets instead of requests/http.client: it costs a few microseconds per call, it
hands back each body piece the moment it is read (so stream chunks can be timestamped),
and it works the same blocking or under gevent's monkey patching.
"""
import socket
import time


def build_request(host_port: str, path: str, body: bytes, auth: str | None, stream: bool = False) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host_port}", "Content-Type: application/json",
             f"Content-Length: {len(body)}", "Connection: keep-alive"]
    if stream:
        lines.append("Accept: text/event-stream")
    if auth:
        lines.append(f"Authorization: {auth}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    def __init__(self, host: str, port: int, timeout: float = 30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.file = self.sock.makefile("rb", buffering=65536)
        self.reusable = True

    def close(self) -> None:
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass

    def request(self, raw: bytes):
        """Send one request; return (status, iterator of (monotonic time, body bytes))."""
        self.sock.sendall(raw)
        status_line = self.file.readline(65536)
        if not status_line:
            raise ConnectionError("connection closed before the status line")
        status = int(status_line.split(None, 2)[1])
        length, chunked = None, False
        for _ in range(200):  # bounded: no real response sends more header lines
            line = self.file.readline(65536)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                self.reusable = False
        if chunked:
            return status, self._chunked()
        if length is not None:
            return status, self._sized(length)
        self.reusable = False
        return status, self._until_close()

    def _chunked(self):
        while True:
            size_line = self.file.readline(1024)
            if not size_line:
                raise ConnectionError("connection closed inside a chunked body")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                for _ in range(100):  # trailers end with an empty line
                    if self.file.readline(65536) in (b"\r\n", b"\n", b""):
                        break
                return
            data = self.file.read(size)
            self.file.readline(8)
            yield time.monotonic(), data

    def _sized(self, length: int):
        if length:
            yield time.monotonic(), self.file.read(length)

    def _until_close(self):
        while True:
            data = self.file.read1(65536)
            if not data:
                return
            yield time.monotonic(), data
