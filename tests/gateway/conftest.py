"""Gateway fixtures: the bundled mock upstream (plain and over TLS) and Tollgate itself on real loopback ports."""
import ssl
from types import SimpleNamespace

import pytest
import requests
import trustme

from app.models import ProviderKind
from tests.factories import make_group, make_key, make_model, make_org, make_provider, make_user

from .netservers import LiveServer


@pytest.fixture(scope="session")
def mock_upstream():
    from app.devtools.mock_upstream import create_mock_app

    server = LiveServer(create_mock_app(env={}))
    server.last = lambda endpoint: requests.get(f"{server.url}/_control/last", params={"endpoint": endpoint},
                                                timeout=5).json()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tls_ca():
    """A certificate authority made for this run; providers trust it through their CA bundle."""
    return trustme.CA()


@pytest.fixture(scope="session")
def tls_upstream(tls_ca):
    """The mock upstream over HTTPS, with a certificate for 127.0.0.1 signed by ``tls_ca``."""
    from app.devtools.mock_upstream import create_mock_app

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    server = LiveServer(create_mock_app(env={}), ssl_context=context)
    server.ca_pem = tls_ca.cert_pem.bytes().decode()
    yield server
    server.stop()


@pytest.fixture
def live_tollgate(app):
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_gateway_caches(app):
    from app.gateway import catalog, keycache

    catalog.invalidate()
    keycache.clear()
    yield


@pytest.fixture
def world(db, mock_upstream):
    """An org with $10, its owner, a key, and models served by both kinds of provider."""
    owner = make_user("owner")
    org = make_org("Acme", plan="pro", balance_usd="10", owner=owner)
    openai_p = make_provider(f"{mock_upstream.url}/v1", ProviderKind.openai, name="up-openai")
    anthropic_p = make_provider(mock_upstream.url, ProviderKind.anthropic, name="up-anthropic")
    public = make_group("public")
    gpt = make_model("gpt-test", [openai_p], [public], upstream_name="gpt-upstream", max_output_tokens=1000)
    claude = make_model("claude-test", [anthropic_p], [public], upstream_name="claude-upstream",
                        max_output_tokens=1000)
    embed = make_model("embed-test", [openai_p], [public], kind="embedding", output_price=0)
    key, secret = make_key(owner, org)
    return SimpleNamespace(owner=owner, org=org, key=key, secret=secret, gpt=gpt, claude=claude, embed=embed,
                           openai_provider=openai_p, anthropic_provider=anthropic_p, public=public,
                           headers={"Authorization": f"Bearer {secret}"})
