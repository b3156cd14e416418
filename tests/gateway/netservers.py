"""Real servers on loopback: a WSGI app and a keep-alive responder (plain or TLS), a TCP server that
never speaks, a CONNECT proxy that counts tunnels."""
import socket
import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    """No access log: it buried failures, and a line written after its test ended hit a closed stream."""

    def log_request(self, code="-", size="-"):
        pass


class LiveServer:
    def __init__(self, wsgi_app, ssl_context=None):
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True, ssl_context=ssl_context,
                                  request_handler=QuietHandler)
        scheme = "https" if ssl_context else "http"
        self.port = self.server.server_port
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class KeepAliveServer:
    """Answers every request on every connection with ``answer``; counts the connections it accepted."""

    def __init__(self, answer: bytes, ssl_context=None):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.ssl_context = ssl_context
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        if self.ssl_context is not None:
            try:
                conn = self.ssl_context.wrap_socket(conn, server_side=True)
            except OSError:
                conn.close()
                return
        f = conn.makefile("rb")
        while True:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                line = f.readline()
                if not line:
                    f.close()
                    conn.close()
                    return
                head += line
            length = int(next(ln.split(b":")[1] for ln in head.split(b"\r\n")
                              if ln.lower().startswith(b"content-length")))
            f.read(length)
            conn.sendall(self.answer)

    @property
    def url(self):
        return f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{self.port}"

    def stop(self):
        self.sock.close()


class SilentServer:
    """Accepts connections and never sends a byte: a TLS handshake against it hangs."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)  # held open, unread, until stop()

    def stop(self):
        self._stop.set()
        self.sock.close()
        for conn in self.accepted:
            conn.close()


class ConnectProxy:
    """A threaded HTTP CONNECT proxy on loopback; ``tunnels`` counts the tunnels it opened.

    ``refuse`` makes it answer every CONNECT with that status (e.g. 407) instead.
    """

    def __init__(self, refuse: int | None = None):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.refuse = refuse
        self.tunnels = 0
        self.targets = []
        self.auth = []
        self._open = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self._open.append(client)
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client):
        head = b""
        while b"\r\n\r\n" not in head:
            data = client.recv(4096)
            if not data:
                client.close()
                return
            head += data
        lines = head.split(b"\r\n")
        method, target, _ = lines[0].split(b" ", 2)
        self.auth.append(next((ln.split(b":", 1)[1].strip() for ln in lines[1:]
                               if ln.lower().startswith(b"proxy-authorization:")), None))
        if method != b"CONNECT" or self.refuse:
            status = self.refuse or 405
            client.sendall(f"HTTP/1.1 {status} Refused\r\nContent-Length: 0\r\n\r\n".encode())
            client.close()
            return
        host, port = target.decode().rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)), timeout=5)
        upstream.settimeout(None)
        self.targets.append(target.decode())
        self.tunnels += 1
        self._open.append(upstream)
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        pump(client, upstream)

    def stop(self):
        self.sock.close()
        for s in self._open:
            try:
                s.close()
            except OSError:
                pass


def pump(src, dst):
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
