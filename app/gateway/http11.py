"""A small keep-alive HTTP/1.1 client for upstream calls.

The gateway sends one kind of request (a JSON POST) and reads one of three kinds of body
(Content-Length, chunked, or until close). urllib3 and http.client cost about 0.29 ms of
CPU per call here; this costs about 0.04 ms. Connections are pooled per (scheme, host,
port, egress) and per process; they work blocking or under gevent's monkey patching.

An upstream is not trusted to be well-formed: lines, heads and chunk sizes are bounded,
a body that ends early is an error, and only a connection whose answer was read to its
exact end goes back to the pool, where it expires after MAX_IDLE_S.
"""
import socket
import threading
import time
from urllib.parse import urlsplit

from . import egress as _egress

_pools: dict[tuple, list] = {}  # key -> [(Connection, monotonic time it went idle)], newest last
_lock = threading.Lock()
_next_sweep = 0.0
MAX_IDLE_PER_HOST = 64
MAX_IDLE_S = 30.0  # set from GATEWAY_UPSTREAM_IDLE_S by configure()
CONNECT_TIMEOUT_S = 5.0  # set from GATEWAY_CONNECT_TIMEOUT_S by configure()
MAX_LINE = 32768  # a status, header, trailer or chunk-size line
MAX_HEADERS = 128  # lines
MAX_HEAD = 131072  # bytes of status line and headers together
_PIECE = 65536
_HEX = b"0123456789abcdefABCDEF"


def configure(connect_timeout_s: float, idle_s: float) -> None:
    global CONNECT_TIMEOUT_S, MAX_IDLE_S
    CONNECT_TIMEOUT_S, MAX_IDLE_S = connect_timeout_s, idle_s


class UpstreamConnectError(OSError):
    """The upstream could not be reached (before any byte of an answer)."""


class UpstreamTimeout(OSError):
    """The upstream did not answer in time."""


class UpstreamProtocolError(ConnectionError):
    """The upstream's answer is not well-formed HTTP/1.1 (or ends before its framing says)."""


class Connection:
    """One TCP connection, tunnelled through a proxy and wrapped in TLS as its key says.

    Every step before the first byte of the request (DNS, TCP, CONNECT, the TLS handshake)
    shares one connect timeout, and any failure among them is an UpstreamConnectError or
    an UpstreamTimeout, both of which let the caller fall back to the next route.
    """

    def __init__(self, key: tuple, connect_timeout: float):
        scheme, host, port, via = key
        give_up_at = time.monotonic() + connect_timeout
        sock = None
        try:
            if via is not None and via.error:
                raise ValueError(via.error)
            target = via.proxy if via is not None and via.proxy else (host, port)
            sock = socket.create_connection(target, timeout=connect_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if via is not None and via.proxy:
                sock.settimeout(_left(give_up_at))
                _egress.tunnel(sock, host, port, via.proxy_auth)
            if scheme == "https":
                context = _egress.tls_context(via.ca if via is not None else None)
                sock.settimeout(_left(give_up_at))
                sock = context.wrap_socket(sock, server_hostname=host)
        except socket.timeout:
            _close_quietly(sock)
            raise UpstreamTimeout(f"connect to {host}:{port} timed out after {connect_timeout:g} s") from None
        except (OSError, ValueError) as exc:  # DNS, refused, proxy refusal, TLS (ssl.SSLError), bad CA
            _close_quietly(sock)
            raise UpstreamConnectError(f"cannot connect to {host}:{port}: {exc}") from None
        self.key = key
        self.sock = sock
        self.file = sock.makefile("rb", buffering=65536)
        self.reused = False

    def close(self) -> None:
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass


class Response:
    """Status and headers are read; the body is read by ``read()`` or ``chunks()``."""

    def __init__(self, conn: Connection, status: int, headers: dict[bytes, bytes]):
        self._conn = conn
        self.status = status
        self.headers = headers
        self._chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        length = headers.get(b"content-length")
        if status in (204, 304):
            self._chunked, length = False, b"0"  # no body, whatever the headers say
        self._remaining = None
        if length is not None and not self._chunked:
            if not length.isdigit():
                raise UpstreamProtocolError(f"bad Content-Length: {length[:40]!r}")
            self._remaining = int(length)
        # Both framings at once is how requests are smuggled: read it chunked, then drop the socket.
        self._keep = (headers.get(b"connection", b"").lower() != b"close"
                      and (self._chunked != (length is not None)))
        self._done = False

    def read(self) -> bytes:
        return b"".join(self.chunks())

    def chunks(self):
        """Body pieces as they arrive (chunked bodies are de-chunked)."""
        f = self._conn.file
        try:
            if self._chunked:
                yield from _dechunk(f)
            elif self._remaining is not None:
                while self._remaining > 0:
                    data = f.read1(min(self._remaining, _PIECE))
                    if not data:
                        raise UpstreamProtocolError("the upstream closed the connection mid-body")
                    self._remaining -= len(data)
                    yield data
            else:
                while data := f.read1(_PIECE):
                    yield data
        except socket.timeout:
            raise UpstreamTimeout("the upstream stopped sending") from None
        self._done = True

    def close(self) -> None:
        """Return the connection to the pool if the body was read to its end, else drop it."""
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        if self._done and self._keep:
            _release(conn)
        else:
            conn.close()


def post(url: str, body: bytes, headers: dict[str, str], connect_timeout: float, read_timeout: float,
         via: "_egress.Egress | None" = None) -> Response:
    """Send one POST; ``via`` (from the catalog snapshot) says how to get there, None = directly."""
    parts = urlsplit(url)
    scheme = parts.scheme or "http"
    port = parts.port or (443 if scheme == "https" else 80)
    key = (scheme, parts.hostname, port, via)
    host_header = parts.netloc.rsplit("@", 1)[-1]
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    head = [f"POST {path} HTTP/1.1", f"Host: {host_header}", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
    # A pooled connection the upstream closed while idle fails before any byte comes back:
    # that one attempt is retried on a fresh connection, which is safe for the same reason.
    for attempt in (0, 1):
        conn = _acquire(key, connect_timeout)
        conn.sock.settimeout(read_timeout)
        try:
            conn.sock.sendall(request)
            status_line = conn.file.readline(MAX_LINE)
            if not status_line:
                raise ConnectionResetError("connection closed before the status line")
        except socket.timeout:
            conn.close()
            raise UpstreamTimeout(f"{key[1]}:{key[2]} did not answer in {read_timeout:g} s") from None
        except OSError as exc:
            conn.close()
            if attempt == 0 and conn.reused:
                continue
            raise UpstreamConnectError(f"{key[1]}:{key[2]}: {exc}") from None
        try:
            return _read_head(conn, status_line)
        except socket.timeout:
            conn.close()
            raise UpstreamTimeout(f"{key[1]}:{key[2]} stopped sending its headers") from None
        except OSError as exc:  # an answer began: never sent again, whatever went wrong
            conn.close()
            if isinstance(exc, UpstreamProtocolError):
                raise
            raise UpstreamProtocolError(f"{key[1]}:{key[2]}: {exc}") from None
    raise AssertionError("unreachable")


def _read_head(conn: Connection, status_line: bytes) -> Response:
    if not status_line.endswith(b"\n"):
        raise UpstreamProtocolError(f"status line longer than {MAX_LINE} bytes or cut short")
    try:
        status = int(status_line.split(b" ", 2)[1])
    except (IndexError, ValueError):
        raise UpstreamProtocolError(f"not an HTTP status line: {status_line[:80]!r}") from None
    headers = {}
    size = len(status_line)
    for _ in range(MAX_HEADERS + 1):
        line = conn.file.readline(MAX_LINE)
        if line in (b"\r\n", b"\n"):
            return Response(conn, status, headers)
        if not line.endswith(b"\n"):
            raise UpstreamProtocolError("the upstream closed the connection inside the headers" if not line
                                        else f"a header line is longer than {MAX_LINE} bytes")
        size += len(line)
        if size > MAX_HEAD:
            raise UpstreamProtocolError(f"the headers are longer than {MAX_HEAD} bytes")
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    raise UpstreamProtocolError(f"more than {MAX_HEADERS} header lines")


def _dechunk(f):
    """The pieces of a chunked body; EOF anywhere before the last chunk's blank line is an error."""
    while True:
        line = f.readline(MAX_LINE)
        if not line.endswith(b"\n"):
            raise UpstreamProtocolError("the upstream closed the connection inside a chunked body" if not line
                                        else "a chunk-size line is too long")
        digits = line.split(b";", 1)[0].strip()
        if not digits or digits.strip(_HEX):  # int() would also take "0x", "+", "_" and spaces
            raise UpstreamProtocolError(f"bad chunk size {digits[:20]!r} in a chunked body")
        size = int(digits, 16)
        if size == 0:
            break
        # Read in bounded pieces: a huge size must not be allocated before a byte arrives.
        while size > 0:
            data = f.read(min(size, _PIECE))
            if not data:
                raise UpstreamProtocolError("the upstream closed the connection inside a chunked body")
            size -= len(data)
            yield data
        if f.readline(3) not in (b"\r\n", b"\n"):
            raise UpstreamProtocolError("a chunk ran past its size in a chunked body")
    for _ in range(MAX_HEADERS + 1):  # trailers, then the blank line that ends the body
        line = f.readline(MAX_LINE)
        if line in (b"\r\n", b"\n"):
            return
        if not line.endswith(b"\n"):
            raise UpstreamProtocolError("the upstream closed the connection inside a chunked body's trailers"
                                        if not line else "a trailer line is too long")
    raise UpstreamProtocolError(f"more than {MAX_HEADERS} trailer lines")


def _acquire(key: tuple, connect_timeout: float) -> Connection:
    now = time.monotonic()
    conn = stale = None
    with _lock:
        idle = _pools.get(key)
        if idle:
            conn, since = idle.pop()
            if now - since >= MAX_IDLE_S:
                # The newest is too old, so are all below it.
                stale = [conn] + [c for c, _ in idle]
                idle.clear()
                conn = None
    if stale:
        for old in stale:
            old.close()
    if conn is not None:
        conn.reused = True
        return conn
    return Connection(key, connect_timeout)


def _release(conn: Connection) -> None:
    now = time.monotonic()
    with _lock:
        idle = _pools.setdefault(conn.key, [])
        kept = len(idle) < MAX_IDLE_PER_HOST
        if kept:
            idle.append((conn, now))
        stale = _expired(now) if now >= _next_sweep else ()
    if not kept:
        conn.close()
    for old in stale:
        old.close()


def _expired(now: float) -> list:
    """Take every idle connection past MAX_IDLE_S out of every pool (hosts no longer called too)."""
    global _next_sweep
    _next_sweep = now + MAX_IDLE_S
    stale = []
    for idle in _pools.values():
        while idle and now - idle[0][1] >= MAX_IDLE_S:
            stale.append(idle.pop(0)[0])
    return stale


def _left(give_up_at: float) -> float:
    left = give_up_at - time.monotonic()
    if left <= 0:
        raise socket.timeout("connect timeout spent")
    return left


def _close_quietly(sock) -> None:
    if sock is not None:
        try:
            sock.close()
        except OSError:
            pass
