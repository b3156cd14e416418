"""GitHub, Discord and OIDC sign-in beside the password form, and linking providers on the Profile page."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, TollgateUser, UserIdentity
from .conftest import PASSWORD, login, provider_round_trip, verified_user


def _signed_in_as(client) -> str | None:
    response = client.get("/console/profile")
    if response.status_code != 200:
        return None
    import re

    found = re.search(r'<i class="fa fa-user"></i> ([^<]+)</a>', response.get_data(as_text=True))
    return found and found.group(1).strip()


def _last_login_rows():
    return db.session.scalars(select(AuditLog).where(AuditLog.action.like("auth.login%")).order_by(AuditLog.id)).all()


def test_the_login_page_offers_each_configured_provider_beside_the_password_form(client, oidc, github):
    page = client.get("/login/").get_data(as_text=True)
    assert 'id="password"' in page and 'id="signin-oidc"' in page and "Company login" in page
    assert 'id="signin-github"' in page and 'id="signin-discord"' not in page


def test_unconfigured_provider_answers_404(client):
    assert client.get("/signin/discord").status_code == 404


@pytest.mark.embedded
def test_oidc_sign_in_creates_a_verified_account_linked_by_subject_with_pkce(client, oidc):
    oidc.next_user = {"sub": "abc-123", "email": "New.Person@Example.com", "email_verified": True, "name": "New"}
    callback = provider_round_trip(client, "/signin/oidc")
    response = client.get(callback)
    assert response.status_code == 302
    assert _signed_in_as(client) == "new.person@example.com"
    user = db.session.scalar(select(TollgateUser).where(TollgateUser.email == "new.person@example.com"))
    assert user.email_verified_at is not None and user.password is None
    identity = db.session.scalar(select(UserIdentity))
    assert (identity.provider, identity.subject, identity.user_id) == ("oidc", "abc-123", user.id)
    assert oidc.token_requests[0]["code_verifier"]  # the provider checked it against the S256 challenge
    row = _last_login_rows()[-1]
    assert row.action == "auth.login_success"
    assert row.details["method"] == "oauth" and row.details["provider"] == "oidc" and row.ip == "127.0.0.1"

    # Next time the same subject signs into the same account, even with another address.
    client.get("/logout/")
    oidc.next_user = {"sub": "abc-123", "email": "renamed@example.com", "email_verified": True}
    client.get(provider_round_trip(client, "/signin/oidc"))
    assert _signed_in_as(client) == "new.person@example.com"
    assert db.session.scalar(select(db.func.count()).select_from(TollgateUser)) == 1


@pytest.mark.parametrize("tamper, error", [("audience", "InvalidClaimError"), ("audience-azp", "InvalidClaimError"), ("expired", "ExpiredTokenError"),
                                           ("signature", "BadSignatureError"), ("issuer", "InvalidClaimError")])
def test_a_forged_or_stale_id_token_is_refused_and_audited(client, oidc, tamper, error):
    oidc.tamper = tamper
    response = client.get(provider_round_trip(client, "/signin/oidc"))
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert _signed_in_as(client) is None
    assert db.session.scalar(select(TollgateUser)) is None
    row = _last_login_rows()[-1]
    assert (row.action, row.details["provider"], row.details["reason"], row.details["error"]) == (
        "auth.login_failure", "oidc", "provider refused", error)


def test_a_replayed_state_is_refused_without_asking_the_provider_again(client, oidc):
    callback = provider_round_trip(client, "/signin/oidc")
    client.get(callback)
    assert _signed_in_as(client) == "person@example.com"
    client.get("/logout/")
    response = client.get(callback)
    assert "/login/" in response.headers["Location"] and _signed_in_as(client) is None
    assert len(oidc.token_requests) == 1
    assert _last_login_rows()[-1].details["error"] == "MismatchingStateError"


def test_an_unverified_email_neither_creates_nor_finds_an_account(client, oidc):
    verified_user("taken")
    oidc.next_user = {"sub": "x-1", "email": "taken@example.com", "email_verified": False}
    client.get(provider_round_trip(client, "/signin/oidc"))
    assert _signed_in_as(client) is None
    assert _last_login_rows()[-1].details["reason"] == "no verified email"


def test_github_sign_in_never_takes_over_an_existing_account_with_the_same_email(client, github):
    owner = verified_user("octo")
    owner.email = "octo@example.com"
    db.session.commit()
    client.get(provider_round_trip(client, "/signin/github"))
    assert _signed_in_as(client) is None
    assert _last_login_rows()[-1].details["reason"] == "email in use"

    # The owner links GitHub from the Profile page; then GitHub signs them in.
    signed_in = login(client.application, "octo")
    assert 'id="link-github"' in signed_in.get("/console/profile").get_data(as_text=True)
    signed_in.get(provider_round_trip(signed_in, "/console/profile/link/github", method="post"))
    identity = db.session.scalar(select(UserIdentity))
    assert (identity.provider, identity.subject, identity.user_id) == ("github", "583231", owner.id)
    assert "auth.provider_linked" in [a.action for a in db.session.scalars(select(AuditLog))]
    client.get(provider_round_trip(client, "/signin/github"))
    assert _signed_in_as(client) == "octo@example.com"


def test_discord_sign_in_creates_an_account_from_its_verified_email(client, discord):
    client.get(provider_round_trip(client, "/signin/discord"))
    assert _signed_in_as(client) == "wumpus@example.com"
    assert db.session.scalar(select(UserIdentity.subject)) == "80351110224678912"


def test_discord_account_with_an_unverified_email_is_refused(client, discord):
    discord.next_user = {**discord.next_user, "verified": False}
    client.get(provider_round_trip(client, "/signin/discord"))
    assert _signed_in_as(client) is None


def test_unlinking_the_only_way_in_is_refused_and_allowed_once_there_is_another(client, github, discord):
    client.get(provider_round_trip(client, "/signin/github"))
    identity = db.session.scalar(select(UserIdentity))
    response = client.post(f"/console/profile/identities/{identity.id}/unlink", follow_redirects=True)
    assert "only way to sign in" in response.get_data(as_text=True)
    assert db.session.scalar(select(UserIdentity)) is not None

    client.get(provider_round_trip(client, "/console/profile/link/discord", method="post"))
    assert {i.provider for i in db.session.scalars(select(UserIdentity))} == {"github", "discord"}
    client.post(f"/console/profile/identities/{identity.id}/unlink")
    db.session.expire_all()
    assert [i.provider for i in db.session.scalars(select(UserIdentity))] == ["discord"]


def test_a_provider_account_linked_elsewhere_cannot_be_linked_again(client, github, app):
    client.get(provider_round_trip(client, "/signin/github"))  # creates octo@example.com's account
    other = login(app, verified_user("someone").username, PASSWORD)
    response = other.get(provider_round_trip(other, "/console/profile/link/github", method="post"),
                         follow_redirects=True)
    assert "already linked to another" in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(UserIdentity)) == 1
