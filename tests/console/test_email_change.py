"""Changing one's email: the current password, a link mailed to the new address, the old one kept until then."""
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, OrgRole, TollgateUser
from tests.console.conftest import PASSWORD, login, verified_user

M = OrgRole.member


def _ask(client, email, password=PASSWORD):
    return client.post("/console/profile", data={"action": "email", "email-email": email, "email-current": password})


def _signup_user(app, address):
    """An account made by sign-up: its login name is its address."""
    user = verified_user("placeholder")
    user.username = user.email = address
    db.session.commit()
    return user


def test_the_new_address_takes_over_only_when_its_link_is_opened(app, inbox):
    user = _signup_user(app, "old@example.com")
    client = login(app, "old@example.com")
    assert _ask(client, "New@Example.com").status_code == 302
    db.session.expire_all()
    assert user.email == "old@example.com"  # nothing changes before the link is opened
    login(app, "old@example.com")
    link = inbox.link("new@example.com", "/console/email/confirm/")
    assert app.test_client().get(link).status_code == 302  # works in another browser too
    db.session.expire_all()
    assert (user.email, user.username) == ("new@example.com", "new@example.com")
    assert user.email_verified_at is not None
    login(app, "new@example.com")
    assert [m["Subject"] for m in inbox.to("old@example.com")] == ["Your email address was changed"]
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"console.email_change_requested", "console.email_changed"} <= actions
    # Used once: the account no longer has the address the link replaces.
    assert app.test_client().get(link).status_code == 400


def test_a_wrong_password_or_a_taken_address_changes_nothing_and_sends_nothing(app, team, inbox):
    client = login(app, team["users"][M].username)
    wrong = _ask(client, "fresh@example.com", password="not-my-password")
    assert wrong.status_code == 400 and "is not your current password" in wrong.get_data(as_text=True)
    taken = _ask(client, team["users"][OrgRole.owner].email.upper())
    assert taken.status_code == 400 and "is used by another account" in taken.get_data(as_text=True)
    bad = _ask(client, "<script>@x")
    assert bad.status_code == 400 and "<script>@x" not in bad.get_data(as_text=True)
    assert inbox.messages == []


def test_a_link_is_refused_if_another_account_took_the_address_meanwhile(app, team, inbox):
    client = login(app, team["users"][M].username)
    assert _ask(client, "wanted@example.com").status_code == 302
    link = inbox.link("wanted@example.com", "/console/email/confirm/")
    verified_user("quicker").email = "wanted@example.com"
    db.session.commit()
    response = app.test_client().get(link)
    assert response.status_code == 400 and "Another account" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(TollgateUser, team["users"][M].id).email == "member-user@example.com"


def test_a_forged_or_tampered_link_is_refused(app, team, inbox):
    client = login(app, team["users"][M].username)
    _ask(client, "mine@example.com")
    link = inbox.link("mine@example.com", "/console/email/confirm/")
    assert app.test_client().get(link[:-3] + "xyz").status_code == 400
    assert app.test_client().get("/console/email/confirm/not-a-token").status_code == 400


def test_the_email_form_shares_the_mail_rate_limit_but_other_profile_forms_do_not(app, team, inbox):
    client = login(app, team["users"][M].username)
    app.config["CONSOLE_MAIL_RATE_LIMIT"] = "1/hour"
    try:
        assert _ask(client, "a1@example.com").status_code == 302
        assert _ask(client, "a2@example.com").status_code == 429
        language = client.post("/console/profile", data={"action": "language", "lang-locale": "en"})
        assert language.status_code == 302
    finally:
        app.config["CONSOLE_MAIL_RATE_LIMIT"] = "10/hour"


def test_the_email_form_needs_its_csrf_token(app, team, inbox, csrf_on):
    client = login(app, team["users"][M].username)
    assert _ask(client, "fresh@example.com").status_code == 400
    assert inbox.messages == []
