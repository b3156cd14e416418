"""The notification center: what each user sees, the unread count in every page's header, mark read."""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, OrgRole, utcnow

O, A, M, V = OrgRole.owner, OrgRole.admin, OrgRole.member, OrgRole.viewer


def _notice(title, user=None, org=None, read=False):
    row = Notification(user_id=user.id if user else None, org_id=org.id if org else None,
                       event="system.balance.notify.dispatched", title=title, body=f"body of {title}",
                       read_at=utcnow() if read else None)
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def notes(team):
    org, member, owner = team["org"], team["users"][M], team["users"][O]
    return {
        "org_wide": _notice("Acme balance is low", org=org),
        "mine_in_org": _notice("Your key hit its cap", user=member, org=org),
        "personal": _notice("Your personal balance is low", user=member),
        "owners": _notice("Only for the owner", user=owner, org=org),
        "foreign": _notice("Other Co balance is low", org=team["other"]),
        "old": _notice("Already read", user=member, read=True),
    }


def _count(body: str) -> str | None:
    found = re.search(r'<span class="badge" id="unread-count">([^<]+)</span>', body)
    return found.group(1) if found else None


def test_the_center_lists_own_personal_and_org_wide_notices_only(role_client, notes):
    body = role_client(M).get("/console/notifications").get_data(as_text=True)
    for name in ("org_wide", "mine_in_org", "personal", "old"):
        assert f'data-notice="{notes[name].id}"' in body, name
    for name in ("owners", "foreign"):
        assert f'data-notice="{notes[name].id}"' not in body, name


def test_every_console_page_shows_the_unread_count(role_client, team, notes):
    client = role_client(M)
    for url in ("/console/", "/console/wallet", "/console/profile", f"/console/orgs/{team['org'].id}/logs"):
        assert _count(client.get(url).get_data(as_text=True)) == "3", url
    assert _count(role_client(V).get("/console/").get_data(as_text=True)) == "1"  # the org-wide notice


def test_mark_read_and_mark_all_read(role_client, notes):
    client = role_client(M)
    assert client.post(f"/console/notifications/{notes['personal'].id}/read").status_code == 302
    db.session.expire_all()
    assert notes["personal"].read_at is not None and notes["org_wide"].read_at is None
    unread = client.get("/console/notifications?unread=1").get_data(as_text=True)
    assert f'data-notice="{notes["personal"].id}"' not in unread and _count(unread) == "2"
    assert client.post("/console/notifications/read-all").status_code == 302
    db.session.expire_all()
    assert notes["org_wide"].read_at is not None and notes["mine_in_org"].read_at is not None
    assert notes["owners"].read_at is None and notes["foreign"].read_at is None  # not theirs: untouched
    assert _count(client.get("/console/").get_data(as_text=True)) is None


def test_another_users_or_orgs_notice_answers_404_and_stays_unread(role_client, notes):
    client = role_client(M)
    for name in ("owners", "foreign"):
        assert client.post(f"/console/notifications/{notes[name].id}/read").status_code == 404
    db.session.expire_all()
    assert notes["owners"].read_at is None and notes["foreign"].read_at is None


def test_hostile_titles_are_inert(role_client, team):
    _notice("<img src=x onerror=alert(1)>{{ 7*7 }}", user=team["users"][M])
    body = role_client(M).get("/console/notifications").get_data(as_text=True)
    assert "<img src=x" not in body and "&lt;img src=x" in body and "{{ 7*7 }}" in body


def test_the_count_stops_at_99_plus(role_client, team):
    db.session.add_all(Notification(user_id=team["users"][M].id, event="x", title=f"n{i}") for i in range(101))
    db.session.commit()
    assert _count(role_client(M).get("/console/").get_data(as_text=True)) == "99+"


def test_mark_read_needs_the_csrf_token(role_client, notes, csrf_on):
    client = role_client(M)
    assert client.post(f"/console/notifications/{notes['personal'].id}/read").status_code == 400
    assert client.post("/console/notifications/read-all").status_code == 400
    assert db.session.scalar(select(Notification.id).where(Notification.read_at.isnot(None))) == notes["old"].id
