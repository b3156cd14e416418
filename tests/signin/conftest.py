"""Sign-in fixtures: a local OIDC provider, GitHub and Discord stand-ins, and a way to walk a browser-less client through them."""
from urllib.parse import urlsplit

import pytest
import requests

from tests.console.conftest import _fresh_login, csrf_on, inbox, login, team, verified_user, PASSWORD  # noqa: F401
from .oidc_provider import LocalOidcProvider
from .social_standins import SocialStandIn


def _configured(app, settings: dict):
    saved = {k: app.config.get(k) for k in settings}
    app.config.update(settings)
    return saved


@pytest.fixture
def oidc(app):
    provider = LocalOidcProvider().start()
    saved = _configured(app, {"OIDC_ISSUER": provider.issuer, "OIDC_CLIENT_ID": provider.client_id,
                              "OIDC_CLIENT_SECRET": provider.client_secret, "OIDC_LABEL": "Company login"})
    yield provider
    app.config.update(saved)
    provider.stop()


def _social(app, kind: str):
    standin = SocialStandIn(kind).start()
    prefix = kind.upper()
    # GitHub's API lives on another host than its OAuth pages; the stand-in answers both.
    saved = _configured(app, {f"{prefix}_CLIENT_ID": standin.client_id, f"{prefix}_CLIENT_SECRET": standin.client_secret,
                              f"{prefix}_BASE_URL": standin.url, **({"GITHUB_API_URL": standin.url} if kind == "github" else {})})
    yield standin
    app.config.update(saved)
    standin.stop()


@pytest.fixture
def github(app):
    yield from _social(app, "github")


@pytest.fixture
def discord(app):
    yield from _social(app, "discord")


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def provider_round_trip(client, start: str, method: str = "get", data=None) -> str:
    """Follow a sign-in from Tollgate to the provider and back; returns the callback path Tollgate was sent."""
    response = client.post(start, data=data or {}) if method == "post" else client.get(start)
    if response.status_code == 200:  # a page that navigates on its own (after a form post)
        import re

        location = re.search(r'id="continue" href="([^"]+)"', response.get_data(as_text=True)).group(1)
        location = location.replace("&amp;", "&")
    else:
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        location = response.headers["Location"]
    at_provider = requests.get(location, allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302, at_provider.text
    return local_path(at_provider.headers["Location"])
