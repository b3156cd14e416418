"""The console's Webhooks page: create (secret once), edit, rotate, test, replay, delete; who may; hostile input."""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, OrgRole, WebhookDelivery, WebhookEndpoint
from app.webhooks import endpoints
from tests.console.conftest import login
from tests.webhooks.conftest import queues, receiver, run_worker  # noqa: F401 - shared fixtures
from tests.webhooks.helpers import verify

O, A, M, V = OrgRole.owner, OrgRole.admin, OrgRole.member, OrgRole.viewer
HOSTILE = "<script>alert(1)</script>{{ 7*7 }}' OR 1=1 --"


def _create(client, base, url="https://hooks.example.com/in", **extra):
    data = {"url": url, "all_events": "y", "active": "y", **extra}
    return client.post(f"{base}/webhooks", data=data)


def _secret(response) -> str:
    return re.search(r'<pre id="webhook-secret">(whsec_[^<]+)</pre>', response.get_data(as_text=True)).group(1)


def _only_endpoint(org_id=None, user_id=None) -> WebhookEndpoint:
    query = select(WebhookEndpoint).where(WebhookEndpoint.org_id == org_id) if org_id else \
        select(WebhookEndpoint).where(WebhookEndpoint.user_id == user_id, WebhookEndpoint.org_id.is_(None))
    return db.session.scalars(query).one()


@pytest.mark.parametrize("role", [O, A])
def test_owners_and_admins_create_an_org_endpoint_and_see_its_secret_once(role_client, team, role):
    client, base = role_client(role), f"/console/orgs/{team['org'].id}"
    response = _create(client, base, description=HOSTILE)
    assert response.status_code == 200
    endpoint = _only_endpoint(org_id=team["org"].id)
    assert _secret(response) == endpoint.secret and endpoint.events is None and endpoint.enabled
    listing = client.get(f"{base}/webhooks").get_data(as_text=True)
    detail = client.get(f"{base}/webhooks/{endpoint.id}").get_data(as_text=True)
    for body in (listing, detail):
        assert endpoint.secret not in body
        assert "<script>alert(1)" not in body and "&lt;script&gt;" in body and "49" not in body
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "console.webhook_created"))


def test_an_individual_manages_personal_endpoints_apart_from_the_orgs(role_client, team):
    client = role_client(M)
    assert _create(client, "/console").status_code == 200
    mine = _only_endpoint(user_id=team["users"][M].id)
    assert mine.org_id is None
    assert f'data-endpoint="{mine.id}"' in client.get("/console/webhooks").get_data(as_text=True)
    owner_page = role_client(O).get(f"/console/orgs/{team['org'].id}/webhooks").get_data(as_text=True)
    assert f'data-endpoint="{mine.id}"' not in owner_page


def test_edit_saves_url_events_description_and_active(role_client, team):
    client, base = role_client(O), f"/console/orgs/{team['org'].id}"
    _create(client, base)
    endpoint = _only_endpoint(org_id=team["org"].id)
    response = client.post(f"{base}/webhooks/{endpoint.id}", data={
        "url": "https://hooks.example.com/v2", "events": ["key.revoked", "key.created"], "description": "ops"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (endpoint.url, endpoint.events, endpoint.description, endpoint.enabled) == (
        "https://hooks.example.com/v2", ["key.created", "key.revoked"], "ops", False)
    page = client.get(f"{base}/webhooks/{endpoint.id}").get_data(as_text=True)
    assert 'id="endpoint-off"' in page and 'value="key.created" checked' in page


@pytest.mark.parametrize("data, field_text", [
    ({"url": "ftp://hooks.example.com/", "all_events": "y"}, "only http and https"),
    ({"url": "https://hooks.example.com:99999/", "all_events": "y"}, "port"),
    ({"url": "x" * 1025, "all_events": "y"}, "1024"),
    ({"url": "https://hooks.example.com/", "events": ["no.such.event"]}, "not a valid choice"),
    ({"url": "https://hooks.example.com/"}, "non-empty list of event types"),  # neither all nor any chosen
])
def test_bad_fields_get_a_400_naming_them_and_change_nothing(role_client, team, data, field_text):
    client, base = role_client(O), f"/console/orgs/{team['org'].id}"
    _create(client, base, url="https://hooks.example.com/kept")
    endpoint = _only_endpoint(org_id=team["org"].id)
    response = client.post(f"{base}/webhooks/{endpoint.id}", data={"active": "y", **data})
    assert response.status_code == 400 and field_text in response.get_data(as_text=True)
    db.session.expire_all()
    assert endpoint.url == "https://hooks.example.com/kept" and endpoint.events is None


def test_rotating_shows_a_new_secret_once(role_client, team):
    client, base = role_client(A), f"/console/orgs/{team['org'].id}"
    first = _secret(_create(client, base))
    endpoint = _only_endpoint(org_id=team["org"].id)
    second = _secret(client.post(f"{base}/webhooks/{endpoint.id}/rotate"))
    db.session.expire_all()
    assert second != first and endpoint.secret == second


def test_test_event_and_replay_reach_the_receiver_signed_with_the_same_event_id(
        role_client, team, app, receiver, queues):  # noqa: F811
    client, base = role_client(O), f"/console/orgs/{team['org'].id}"
    run_worker(app)  # the team's own set-up events go out before any endpoint exists
    secret = _secret(_create(client, base, url=receiver.url))
    endpoint = _only_endpoint(org_id=team["org"].id)
    assert client.post(f"{base}/webhooks/{endpoint.id}/test").status_code == 302
    run_worker(app)
    assert [r["json"]["type"] for r in receiver.requests] == ["webhook.test"]
    first = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)).one()
    page = client.get(f"{base}/webhooks/{endpoint.id}").get_data(as_text=True)
    assert f'data-delivery="{first.id}"' in page and "delivered" in page
    assert client.post(f"{base}/webhooks/{endpoint.id}/deliveries/{first.id}/replay").status_code == 302
    run_worker(app)
    assert receiver.event_ids() == [first.event_id, first.event_id]
    assert all(verify(secret, r["headers"], r["body"]) for r in receiver.requests)


def test_a_switched_off_endpoint_sends_nothing(role_client, team):
    client, base = role_client(O), f"/console/orgs/{team['org'].id}"
    _create(client, base)
    endpoint = _only_endpoint(org_id=team["org"].id)
    endpoint.enabled = False
    db.session.commit()
    response = client.post(f"{base}/webhooks/{endpoint.id}/test", follow_redirects=True)
    assert "switched off" in response.get_data(as_text=True)
    assert db.session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)) is None


def test_delete_removes_the_endpoint(role_client, team):
    client, base = role_client(O), f"/console/orgs/{team['org'].id}"
    _create(client, base)
    endpoint_id = _only_endpoint(org_id=team["org"].id).id
    assert client.post(f"{base}/webhooks/{endpoint_id}/delete").status_code == 302
    assert db.session.get(WebhookEndpoint, endpoint_id) is None


@pytest.mark.parametrize("suffix, method", [("", "get"), ("", "post"), ("/rotate", "post"), ("/test", "post"),
                                            ("/delete", "post"), ("/deliveries/1/replay", "post")])
def test_another_owners_endpoint_answers_404_and_stays_unchanged(app, team, suffix, method):
    outsider = team["outsider"]
    theirs = endpoints.create(db.session, endpoints.Owner(org_id=team["other"].id, user_id=outsider.id),
                              {"url": "https://hooks.example.com/theirs"})
    personal = endpoints.create(db.session, endpoints.Owner(org_id=None, user_id=outsider.id),
                                {"url": "https://hooks.example.com/personal"})
    db.session.commit()
    secrets = (theirs.secret, personal.secret)
    client = login(app, team["users"][O].username)
    for url in (f"/console/orgs/{team['org'].id}/webhooks/{theirs.id}{suffix}",
                f"/console/orgs/{team['other'].id}/webhooks/{theirs.id}{suffix}",
                f"/console/webhooks/{personal.id}{suffix}", f"/console/webhooks/{theirs.id}{suffix}"):
        response = getattr(client, method)(url, data={"url": "https://evil.example.com/"})
        assert response.status_code == 404, url
    db.session.expire_all()
    assert (theirs.secret, personal.secret) == secrets and theirs.url.endswith("/theirs")


def test_posts_without_a_csrf_token_are_refused(role_client, team, csrf_on):
    client, base = role_client(O), f"/console/orgs/{team['org'].id}"
    assert _create(client, base).status_code == 400
    assert db.session.scalar(select(WebhookEndpoint.id)) is None
