"""Each email is written in its reader's language, read from a real SMTP server.

The checks use words the Chinese catalogue already holds (a subject, a role, a page name) and
the Content-Language header, so they hold whatever the catalogue adds for the mails' own text.
"""
from sqlalchemy import select

from app.billing.units import usd_to_credits
from app.events import emitters
from app.extensions import db
from app.jobs.alerts import check_low_balances
from app.models import Notification, OrgRole
from tests.console.conftest import PASSWORD, login
from tests.factories import fund, make_org, make_user


def _speaks(user, locale):
    user.locale = locale
    db.session.commit()


def _only(inbox, address):
    [message] = inbox.to(address)
    return message, message.get_body(("plain",)).get_content()


def test_password_reset_mail_is_in_the_users_saved_chinese(client, inbox, team):
    user = team["users"][OrgRole.member]
    _speaks(user, "zh")
    client.post("/console/password/forgot", data={"email": user.email})  # asked from an English page

    mail, body = _only(inbox, user.email)
    assert mail["Content-Language"] == "zh"
    assert mail["Subject"] == "重置密码"
    assert "/console/password/reset/" in body


def test_password_reset_mail_stays_english_for_an_english_user(client, inbox, team):
    user = team["users"][OrgRole.member]
    _speaks(user, "en")
    client.get("/language/zh")  # whoever asks browses in Chinese: the account's language wins
    client.post("/console/password/forgot", data={"email": user.email})

    mail, _body = _only(inbox, user.email)
    assert mail["Content-Language"] == "en"
    assert mail["Subject"] == "Reset your password"


def test_signup_confirmation_is_in_the_language_the_person_was_browsing_in(app, inbox):
    client = app.test_client()
    client.get("/language/zh")
    client.post("/console/signup", data={"email": "new@example.com", "password": PASSWORD, "confirm": PASSWORD})

    mail, body = _only(inbox, "new@example.com")
    assert mail["Content-Language"] == "zh"
    assert "/console/verify/" in body


def test_invitation_to_an_unknown_address_is_in_the_inviters_language(app, inbox, team):
    _speaks(team["users"][OrgRole.owner], "zh")
    owner = login(app, team["users"][OrgRole.owner].username)
    owner.post(f"/console/orgs/{team['org'].id}/members/invite", data={"email": "stranger@example.com", "role": "admin"})

    mail, body = _only(inbox, "stranger@example.com")
    assert mail["Content-Language"] == "zh"
    assert "管理员" in body  # the role as the Chinese console names it
    assert "Acme" in mail["Subject"]


def test_invitation_to_an_existing_account_is_in_that_accounts_language(app, inbox, team):
    _speaks(team["users"][OrgRole.owner], "zh")
    _speaks(team["outsider"], "en")
    owner = login(app, team["users"][OrgRole.owner].username)
    owner.post(f"/console/orgs/{team['org'].id}/members/invite", data={"email": team["outsider"].email, "role": "admin"})

    mail, body = _only(inbox, team["outsider"].email)
    assert mail["Content-Language"] == "en"
    assert " as admin." in body


def test_low_balance_alert_from_the_job_is_in_the_wallet_owners_chinese(db, inbox):
    user = make_user("solo")
    user.locale, user.low_balance_threshold = "zh", usd_to_credits("5")
    db.session.commit()
    fund(user.wallet.id, "4")

    assert check_low_balances() == 1  # a job: no request, no browser language to go by

    mail, body = _only(inbox, user.email)
    assert mail["Content-Language"] == "zh"
    assert "钱包" in body and "$4.00" in body and "$5.00" in body
    [note] = db.session.scalars(select(Notification)).all()
    assert note.title == "Low balance: $4.00 left"  # the in-app row: the platform's language


def test_payment_mails_follow_the_billing_addresss_account(db, inbox, team):
    billing = team["users"][OrgRole.admin]
    _speaks(billing, "zh")
    org = team["org"]
    org.billing_email = billing.email
    english = make_org("English Co", billing_email="accounts@english.example")
    emitters.payment_received(db.session, org.wallet.id, usd_to_credits("20"), org_id=org.id, user_id=None)
    emitters.payment_failed(db.session, english.wallet.id, usd_to_credits("20"), "card declined",
                            org_id=english.id, user_id=None)
    db.session.commit()  # the events are dispatched inline once committed

    mail, body = _only(inbox, billing.email)
    assert mail["Content-Language"] == "zh"
    assert "钱包" in body and "$20.00" in body and "Acme" in body
    mail, body = _only(inbox, "accounts@english.example")
    assert mail["Content-Language"] == "en"
    assert "Wallet page" in body and "card declined" in body
