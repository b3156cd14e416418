"""Providers in the back office: base URLs are checked, "test connection" lists the provider's models."""
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Provider, ProviderKind
from tests.admin.conftest import PASSWORD, _login
from tests.factories import make_model, make_provider, make_user

import pytest


@pytest.fixture
def staff(app, db, fresh_login_per_request):
    make_user("provider-admin", role_name="Admin", password=PASSWORD)
    return _login(app, "provider-admin")


def _add(staff, base_url):
    return staff.post("/admin/providers/add", data={"name": "new-upstream", "api_format": ProviderKind.openai.value,
                                                    "base_url": base_url, "enabled": "y", "priority": "1",
                                                    "weight": "1", "timeout_s": "30", "api_key": "k"})


@pytest.mark.parametrize("bad, says", [("ftp://upstream.test", "must start with http"),
                                       ("upstream.test/v1", "must start with http"), ("https://", "has no host name"),
                                       ("https://up.test/v1?x=1", "must not contain"),
                                       ("https://up.test:notaport/v1", "invalid port")])
def test_a_bad_base_url_is_refused_saying_why(staff, bad, says):
    response = _add(staff, bad)
    assert response.status_code == 200 and says in response.get_data(as_text=True)
    assert db.session.scalars(select(Provider)).all() == []


def test_a_good_base_url_is_stored_without_its_trailing_slash(staff):
    assert _add(staff, "https://upstream.test/v1/").status_code == 302
    assert db.session.scalar(select(Provider.base_url)) == "https://upstream.test/v1"


@pytest.mark.parametrize("kind, suffix", [(ProviderKind.openai, "/v1"), (ProviderKind.anthropic, "")])
def test_test_connection_lists_the_providers_models_beside_those_routed_to_it(staff, mock_upstream, kind, suffix):
    provider = make_provider(f"{mock_upstream.url}{suffix}", kind)
    make_model("routed-model", [provider], [])
    html = staff.post(f"/admin/providers/{provider.id}/test").get_data(as_text=True)
    assert 'id="provider-test-ok"' in html
    listed = html.split('id="provider-listed"')[1].split("</ul>")[0]
    assert "<code>" in listed
    assert "routed-model" in html.split('id="provider-served"')[1]
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "provider.test_connection"))
    assert row.details["ok"] is True and row.details["models"] >= 1


def test_test_connection_shows_the_error_of_an_unreachable_provider(staff):
    provider = make_provider("http://127.0.0.1:9/v1")
    html = staff.post(f"/admin/providers/{provider.id}/test").get_data(as_text=True)
    assert 'id="provider-test-error"' in html and "could not reach" in html
