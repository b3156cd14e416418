"""How an upstream connection leaves Tollgate: directly or through an HTTP proxy, and whom its TLS trusts.

Everything here is decided once per provider when the catalog snapshot is built (a
provider's proxy and CA bundle, HTTPS_PROXY and NO_PROXY as read at start), so a request
only carries the result: an ``Egress``, or None for a direct connection that trusts the
system's CAs, which is the plain fast path.
"""
import base64
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit
from urllib.request import proxy_bypass_environment

DIRECT = "direct"  # a provider's proxy setting that ignores HTTPS_PROXY
_MAX_PROXY_HEAD = 16384

_contexts: dict[str | None, ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


@dataclass(frozen=True)
class Egress:
    """Part of the connection pool's key: connections made differently are never shared."""

    proxy: tuple[str, int] | None = None
    proxy_auth: str | None = None  # the Proxy-Authorization value, from the proxy URL's user:password
    ca: str | None = None  # PEM text or a file path; None trusts the system's CAs
    # A stored setting that cannot be used: the connection fails (and the next route is tried)
    # rather than quietly going out some other way than the one configured.
    error: str | None = None


def resolve(base_url: str, proxy: str | None = None, ca: str | None = None,
            https_proxy: str | None = None, no_proxy: str | None = None) -> Egress | None:
    """The way out for a provider at ``base_url``; ValueError names an unusable setting.

    A provider's own proxy wins; "direct" means none. Otherwise HTTPS_PROXY applies to
    https upstreams whose host NO_PROXY does not name. Plain-HTTP upstreams go direct
    unless the provider names a proxy.
    """
    parts = urlsplit(base_url)
    proxy = (proxy or "").strip()
    ca = (ca or "").strip() or None
    if proxy.lower() == DIRECT:
        proxy = ""
    elif not proxy and https_proxy and parts.scheme == "https" and not _bypassed(parts, no_proxy):
        proxy = https_proxy
    if ca is not None and parts.scheme != "https":
        ca = None  # nothing to verify on a plain connection
    if not proxy and ca is None:
        return None
    address, auth = parse_proxy(proxy) if proxy else (None, None)
    return Egress(proxy=address, proxy_auth=auth, ca=ca)


def parse_proxy(url: str) -> tuple[tuple[str, int], str | None]:
    """(host, port) and the Proxy-Authorization value of an http:// proxy URL."""
    try:
        parts = urlsplit(url)
        port = parts.port or 80
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme != "http" or not parts.hostname or port is None:
        raise ValueError(f"proxy URL {url!r} is not usable: give http://[user:password@]host:port "
                         f"(CONNECT tunnels; https:// and socks proxies are not supported)")
    auth = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        auth = "Basic " + base64.b64encode(pair.encode()).decode()
    return (parts.hostname, port), auth


def redact(url: str | None) -> str | None:
    """The proxy URL with its password hidden, for pages and the audit log."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":****@", 1)).geturl()


def check_ca(ca: str) -> None:
    """Raise ValueError naming the problem when ``ca`` (PEM text or a path) cannot be loaded."""
    _build_context(ca.strip())


def tls_context(ca: str | None) -> ssl.SSLContext:
    """One context per CA bundle, shared by every connection that trusts it."""
    context = _contexts.get(ca)
    if context is None:
        with _contexts_lock:
            context = _contexts.get(ca) or _build_context(ca)
            _contexts[ca] = context
    return context


def _build_context(ca: str | None) -> ssl.SSLContext:
    if ca is None:
        return ssl.create_default_context()
    try:
        if ca.startswith("-----BEGIN"):
            return ssl.create_default_context(cadata=ca)
        return ssl.create_default_context(cafile=ca)
    except (ssl.SSLError, OSError, ValueError) as exc:
        source = "PEM text" if ca.startswith("-----BEGIN") else f"file {ca!r}"
        raise ValueError(f"CA bundle ({source}) cannot be loaded: {exc}") from None


def tunnel(sock: socket.socket, host: str, port: int, auth: str | None) -> None:
    """Ask the proxy on ``sock`` for a CONNECT tunnel to host:port; OSError when it refuses."""
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    head = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"
    if auth:
        head += f"Proxy-Authorization: {auth}\r\n"
    sock.sendall((head + "\r\n").encode("latin-1"))
    answer = b""
    # Byte-exact reads: whatever follows the proxy's answer belongs to the upstream.
    while not answer.endswith(b"\r\n\r\n"):
        if len(answer) > _MAX_PROXY_HEAD:
            raise ConnectionError("the proxy's answer to CONNECT is too long")
        data = sock.recv(1)
        if not data:
            raise ConnectionError("the proxy closed the connection during CONNECT")
        answer += data
    status_line = answer.split(b"\r\n", 1)[0]
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[1].startswith(b"2"):
        raise ConnectionError(f"the proxy refused the tunnel to {target}: "
                              f"{status_line.decode('latin-1', 'replace')[:120]}")


def _bypassed(parts, no_proxy: str | None) -> bool:
    if not no_proxy:
        return False
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return bool(proxy_bypass_environment(host, {"no": no_proxy}))
