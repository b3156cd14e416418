"""The only way a webhook leaves Tollgate: http(s) to a public address, resolved at send time.

The host is resolved when the delivery is made and the connection goes to the address that
was checked, so a DNS answer cannot change between the check and the request. Redirects
are never followed (http.client does not) and at most EXCERPT_BYTES of the answer are read.
"""
import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

EXCERPT_BYTES = 512
METADATA_ADDRESSES = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class Refused(ValueError):
    """The URL may not be called; the message says why."""


def check_url(url: str) -> None:
    """What can be known without resolving: refuse other schemes and URLs without a host."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed "[" of an IPv6 host, for one
        raise Refused("the URL cannot be parsed") from None
    if parts.scheme not in ("http", "https"):
        raise Refused("only http and https URLs are allowed")
    if not parts.hostname:
        raise Refused("the URL has no host")
    try:
        parts.port
    except ValueError:
        raise Refused("the URL's port is not a number from 0 to 65535") from None


def resolve(url: str, allowed_networks: list[str]) -> str:
    """The address to connect to; refused if any address the host resolves to is not public."""
    check_url(url)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused(f"cannot resolve host {parts.hostname!r}") from None
    allowed = [ipaddress.ip_network(net, strict=False) for net in allowed_networks]
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not_public(address) and not any(address in net for net in allowed):
            raise Refused(f"host {parts.hostname!r} resolves to {address}, which is not a public address")
        addresses.append(str(address))
    return addresses[0]


def not_public(address) -> bool:
    return (address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
            or address.is_reserved or address.is_unspecified or address in METADATA_ADDRESSES)


def post(url: str, body: bytes, headers: dict, timeout: float, allowed_networks: list[str]) -> tuple[int, str]:
    """POST ``body``; returns (status, first bytes of the answer). Raises Refused or OSError."""
    address = resolve(url, allowed_networks)
    parts = urlsplit(url)
    if parts.scheme == "https":
        conn = _PinnedHTTPS(parts.hostname, address, parts.port, timeout)
    else:
        conn = _PinnedHTTP(parts.hostname, address, parts.port, timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        excerpt = response.read(EXCERPT_BYTES).decode("utf-8", errors="replace")
        return response.status, excerpt
    finally:
        conn.close()


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, address, port, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, address, port, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
