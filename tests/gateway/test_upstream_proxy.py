"""Egress through an HTTP proxy: a provider's own proxy, HTTPS_PROXY and NO_PROXY, CONNECT tunnels."""
import base64
import ssl

import pytest

from app.extensions import db
from app.gateway import egress, http11
from app.models import ModelRoute, ProviderKind
from tests.factories import make_provider

from .helpers import chat, usage_rows
from .netservers import ConnectProxy, KeepAliveServer

BODY = b'{"model": "m", "messages": [{"role": "user", "content": "hi"}]}'
HEADERS = {"authorization": "Bearer k", "content-type": "application/json"}


@pytest.fixture
def proxy():
    p = ConnectProxy()
    yield p
    p.stop()


def _post(url, egress_):
    resp = http11.post(f"{url}/v1/chat/completions", BODY, HEADERS, 2.0, 5.0, egress_)
    body = resp.read()
    resp.close()
    return resp.status, body


def test_tls_through_a_connect_tunnel_is_reused_for_the_next_call(proxy, tls_ca):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert("127.0.0.1").configure_cert(context)
    # The mock upstream closes after each answer; this one keeps the connection, as providers do.
    server = KeepAliveServer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", ssl_context=context)
    try:
        via = egress.resolve(server.url, proxy=proxy.url, ca=tls_ca.cert_pem.bytes().decode())
        assert _post(server.url, via) == (200, b"ok")
        assert _post(server.url, via) == (200, b"ok")
    finally:
        server.stop()
    assert (proxy.tunnels, server.connections) == (1, 1)
    assert proxy.targets == [f"127.0.0.1:{server.port}"]


def test_a_plain_http_provider_with_a_proxy_is_tunnelled_too(proxy, mock_upstream):
    assert _post(mock_upstream.url, egress.resolve(mock_upstream.url, proxy=proxy.url))[0] == 200
    assert proxy.tunnels == 1


def test_proxy_credentials_go_in_proxy_authorization(proxy, tls_upstream):
    url = proxy.url.replace("http://", "http://ops:s%40cret@")
    assert _post(tls_upstream.url, egress.resolve(tls_upstream.url, proxy=url, ca=tls_upstream.ca_pem))[0] == 200
    assert proxy.auth == [b"Basic " + base64.b64encode(b"ops:s@cret")]


def test_a_proxy_that_refuses_the_tunnel_is_a_connect_error(tls_upstream):
    refusing = ConnectProxy(refuse=407)
    try:
        with pytest.raises(http11.UpstreamConnectError, match="407"):
            _post(tls_upstream.url, egress.resolve(tls_upstream.url, proxy=refusing.url, ca=tls_upstream.ca_pem))
    finally:
        refusing.stop()


def test_https_proxy_applies_to_https_upstreams_unless_no_proxy_names_them():
    proxy_url = "http://proxy.internal:3128"
    via = egress.resolve("https://api.example.com/v1", https_proxy=proxy_url)
    assert via.proxy == ("proxy.internal", 3128)
    assert egress.resolve("https://api.example.com/v1", https_proxy=proxy_url, no_proxy="localhost,.example.com") is None
    assert egress.resolve("https://api.example.com/v1", https_proxy=proxy_url, no_proxy="*") is None
    assert egress.resolve("http://10.0.0.5:8000/v1", https_proxy=proxy_url) is None  # plain HTTP goes direct
    # A provider's own setting wins over both.
    assert egress.resolve("https://api.example.com/v1", proxy="direct", https_proxy=proxy_url) is None
    own = egress.resolve("https://api.example.com/v1", proxy="http://own:8080", https_proxy=proxy_url,
                         no_proxy="*")
    assert own.proxy == ("own", 8080)


@pytest.mark.parametrize("bad", ["socks5://p:1080", "https://p:3128", "http://", "http://p:notaport", "p:3128"])
def test_an_unusable_proxy_url_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="proxy"):
        egress.resolve("https://api.example.com/v1", proxy=bad)


# Through the gateway.

def _first_route(world, base_url, **fields):
    first = make_provider(f"{base_url}/v1", ProviderKind.openai, name="proxied", priority=-1, **fields)
    db.session.add(ModelRoute(model_id=world.gpt.id, provider_id=first.id))
    db.session.commit()
    return first


def test_gateway_sends_a_provider_through_its_own_proxy(client, world, tls_upstream, proxy):
    proxied = _first_route(world, tls_upstream.url, proxy_url=proxy.url, ca_bundle=tls_upstream.ca_pem)
    resp = chat(client, world.headers)
    assert resp.status_code == 200
    assert usage_rows()[-1].provider_id == proxied.id
    assert proxy.tunnels == 1


def test_gateway_honours_https_proxy_and_no_proxy(app, client, world, tls_upstream, proxy, monkeypatch):
    proxied = _first_route(world, tls_upstream.url, ca_bundle=tls_upstream.ca_pem)
    monkeypatch.setitem(app.config, "HTTPS_PROXY", proxy.url)
    assert chat(client, world.headers).status_code == 200
    assert (usage_rows()[-1].provider_id, proxy.tunnels) == (proxied.id, 1)
    monkeypatch.setitem(app.config, "NO_PROXY", "localhost,127.0.0.1")
    assert chat(client, world.headers).status_code == 200
    assert (usage_rows()[-1].provider_id, proxy.tunnels) == (proxied.id, 1)  # went direct


def test_gateway_falls_back_when_the_proxy_refuses(client, world, tls_upstream):
    refusing = ConnectProxy(refuse=403)
    try:
        _first_route(world, tls_upstream.url, proxy_url=refusing.url, ca_bundle=tls_upstream.ca_pem)
        resp = chat(client, world.headers)
    finally:
        refusing.stop()
    assert resp.status_code == 200
    assert usage_rows()[-1].provider_id == world.openai_provider.id


def test_a_stored_proxy_that_cannot_be_used_fails_that_route_not_the_request(client, world, tls_upstream):
    # Saved around the admin form's check (e.g. by SQL): the provider is skipped, never reached directly.
    _first_route(world, tls_upstream.url, proxy_url="socks5://proxy.corp:1080", ca_bundle=tls_upstream.ca_pem)
    resp = chat(client, world.headers)
    assert resp.status_code == 200
    assert usage_rows()[-1].provider_id == world.openai_provider.id
