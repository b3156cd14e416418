"""Upstreams over real TLS: a provider's own CA bundle, bad certificates and hanging handshakes fall back."""
import ssl
import time

import pytest
import trustme

from app.billing import holds
from app.extensions import db
from app.gateway import egress, http11
from app.models import ModelRoute, ProviderKind
from tests.factories import make_provider

from .helpers import balance, chat, usage_charges, usage_rows
from .netservers import LiveServer, SilentServer

BODY = b'{"model": "m", "messages": [{"role": "user", "content": "hi"}]}'
HEADERS = {"authorization": "Bearer k", "content-type": "application/json"}


def _post(url, egress_=None, connect_timeout=2.0, read_timeout=5.0):
    return http11.post(f"{url}/v1/chat/completions", BODY, HEADERS, connect_timeout, read_timeout, egress_)


def test_a_provider_ca_bundle_is_trusted(tls_upstream):
    resp = _post(tls_upstream.url, egress.resolve(tls_upstream.url, ca=tls_upstream.ca_pem))
    assert resp.status == 200
    assert b"chat.completion" in resp.read()
    resp.close()


def test_a_ca_bundle_given_as_a_path_is_trusted(tls_upstream, tmp_path):
    path = tmp_path / "ca.pem"
    path.write_text(tls_upstream.ca_pem)
    resp = _post(tls_upstream.url, egress.resolve(tls_upstream.url, ca=str(path)))
    assert (resp.status, resp.read()[:1]) == (200, b"{")


def test_an_untrusted_certificate_is_a_connect_error(tls_upstream):
    with pytest.raises(http11.UpstreamConnectError, match="certificate"):
        _post(tls_upstream.url)  # the system trust store does not know the test CA
    other_ca = trustme.CA().cert_pem.bytes().decode()
    with pytest.raises(http11.UpstreamConnectError, match="certificate"):
        _post(tls_upstream.url, egress.resolve(tls_upstream.url, ca=other_ca))


def test_a_certificate_for_another_name_is_a_connect_error(tls_ca):
    from app.devtools.mock_upstream import create_mock_app

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert("upstream.example").configure_cert(context)
    server = LiveServer(create_mock_app(env={}), ssl_context=context)
    try:
        pem = tls_ca.cert_pem.bytes().decode()
        with pytest.raises(http11.UpstreamConnectError, match="certificate"):
            _post(server.url, egress.resolve(server.url, ca=pem))
    finally:
        server.stop()


def test_a_hanging_handshake_times_out_within_the_connect_timeout():
    silent = SilentServer()
    try:
        started = time.monotonic()
        with pytest.raises(http11.UpstreamTimeout):
            _post(f"https://127.0.0.1:{silent.port}", connect_timeout=0.4, read_timeout=30)
        assert time.monotonic() - started < 2.0
    finally:
        silent.stop()


def test_an_unreadable_ca_bundle_is_refused_by_name():
    with pytest.raises(ValueError, match="CA bundle"):
        egress.check_ca("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----")
    with pytest.raises(ValueError, match="CA bundle"):
        egress.check_ca("/nonexistent/ca.pem")


# Through the gateway: the first route fails at TLS, the second answers.

def _tls_first(world, base_url, **fields):
    """Put a provider at ``base_url`` in front of gpt-test's working route."""
    first = make_provider(f"{base_url}/v1", ProviderKind.openai, name="tls-first", priority=-1, **fields)
    db.session.add(ModelRoute(model_id=world.gpt.id, provider_id=first.id))
    db.session.commit()
    return first


def _assert_second_route_answered_and_hold_settled(resp, world, second_id):
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["object"] == "chat.completion"
    assert usage_rows()[-1].provider_id == second_id
    charged = -sum(usage_charges())
    assert charged > 0
    assert balance(world.org.wallet.id) == 10_000_000 - charged
    available, _ = holds.balances(world.org.wallet.id, world.key.id, None)
    assert available == 10_000_000 - charged  # no hold left behind


def test_gateway_falls_back_when_the_first_route_has_a_bad_certificate(client, world, tls_upstream):
    _tls_first(world, tls_upstream.url)  # no CA bundle: the test CA is unknown
    resp = chat(client, world.headers)
    _assert_second_route_answered_and_hold_settled(resp, world, world.openai_provider.id)


def test_gateway_falls_back_when_the_first_handshake_hangs(app, client, world):
    silent = SilentServer()
    try:
        _tls_first(world, f"https://127.0.0.1:{silent.port}")
        started = time.monotonic()
        resp = chat(client, world.headers)
        elapsed = time.monotonic() - started
    finally:
        silent.stop()
    _assert_second_route_answered_and_hold_settled(resp, world, world.openai_provider.id)
    assert elapsed < app.config["GATEWAY_CONNECT_TIMEOUT_S"] + 2


def test_gateway_reaches_a_private_endpoint_through_its_ca_bundle(client, world, tls_upstream):
    private = _tls_first(world, tls_upstream.url, ca_bundle=tls_upstream.ca_pem)
    resp = chat(client, world.headers)
    assert resp.status_code == 200
    assert usage_rows()[-1].provider_id == private.id


def test_when_every_route_fails_at_tls_the_caller_gets_502_and_nothing_is_held(client, world, tls_upstream):
    db.session.delete(db.session.get(ModelRoute, world.gpt.routes[0].id))
    db.session.commit()
    _tls_first(world, tls_upstream.url)
    resp = chat(client, world.headers)
    assert resp.status_code == 502
    assert resp.json["error"]["code"] == "upstream_unreachable"
    assert "tls-first" in resp.json["error"]["message"]
    assert usage_charges() == []
    assert holds.balances(world.org.wallet.id, world.key.id, None)[0] == 10_000_000


def test_a_stream_from_a_private_endpoint_is_relayed_and_charged(client, world, tls_upstream):
    private = _tls_first(world, tls_upstream.url, ca_bundle=tls_upstream.ca_pem)
    resp = chat(client, world.headers, stream=True, stream_options={"include_usage": True})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "stream_cut" not in body and body.rstrip().endswith("data: [DONE]")
    assert usage_rows()[-1].provider_id == private.id
    assert usage_rows()[-1].usage_estimated is False
