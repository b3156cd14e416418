"""The Free plan's trial allowance: once for a person's own account, once for the first org they
create, never again however the account or org is deleted and recreated."""
import pytest
from sqlalchemy import select

from app.accounts import soft_delete_org, soft_delete_user
from app.billing import trial
from app.extensions import db
from app.models import LedgerEntry, Organization, TollgateUser, TxType, Wallet
from tests.console.conftest import PASSWORD, login, verified_user
from tests.factories import make_org, make_user

TRIAL = 1_000_000  # the default TRIAL_CREDITS_USD of 1


def _signup(client, email):
    return client.post("/console/signup", data={"email": email, "password": PASSWORD, "confirm": PASSWORD})


def _user(email) -> TollgateUser:
    db.session.expire_all()
    return db.session.scalar(select(TollgateUser).where(TollgateUser.email == email))


def _balance(**owner) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Wallet.balance).filter_by(**owner))


def _trials() -> list[LedgerEntry]:
    return list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.comment == trial.TRIAL_COMMENT)))


def _new_org(client, name) -> Organization:
    assert client.post("/console/orgs/new", data={"name": name}).status_code == 302
    return db.session.scalar(select(Organization).where(Organization.name == name))


def test_a_sign_up_gets_the_trial_once_its_email_is_proven(app, inbox):
    client = app.test_client()
    assert _signup(client, "ada@example.com").status_code == 302
    user = _user("ada@example.com")
    assert _balance(user_id=user.id) == 0  # not before the address is proven
    link = inbox.link("ada@example.com", "/console/verify/")
    assert client.get(link).status_code == 302
    assert client.get(link).status_code == 302  # the link opened twice
    assert _balance(user_id=user.id) == TRIAL
    [entry] = _trials()
    assert (entry.type, entry.amount, entry.details) == (TxType.credit_gift, TRIAL, {"trial": True})


def test_a_new_org_gets_the_trial_but_a_second_org_of_the_same_person_does_not(app, db):
    verified_user("founder")
    client = login(app, "founder")
    first, second = _new_org(client, "First"), _new_org(client, "Second")
    assert _balance(org_id=first.id) == TRIAL
    assert _balance(org_id=second.id) == 0
    soft_delete_org(first)
    db.session.commit()
    assert _balance(org_id=_new_org(client, "First again").id) == 0
    assert len(_trials()) == 1 and _trials()[0].wallet_id == first.wallet.id


def test_a_person_who_deletes_and_recreates_their_account_gets_no_second_trial(app, db):
    gone = make_user("gone")
    wallet_id = db.session.scalar(select(Wallet.id).where(Wallet.user_id == gone.id))
    assert trial.grant_to_person(db.session, wallet_id, "Gone@Example.com") is not None
    soft_delete_user(gone)
    db.session.commit()
    again = make_user("gone-again")
    again_wallet = db.session.scalar(select(Wallet.id).where(Wallet.user_id == again.id))
    # The same address in other spellings, or with a +tag, is the same person.
    for email in ("gone@example.com", " GONE@example.com", "gone+2@example.com"):
        assert trial.grant_to_person(db.session, again_wallet, email) is None
    db.session.commit()
    assert _balance(id=again_wallet) == 0 and len(_trials()) == 1
    assert trial.grant_to_person(db.session, again_wallet, "someone.else@example.com") is not None


def test_an_invited_person_gets_their_own_trial_once(app, inbox, db):
    verified_user("boss")
    boss = login(app, "boss")
    org = _new_org(boss, "Boss Co")
    assert boss.post(f"/console/orgs/{org.id}/members/invite",
                     data={"email": "dev@example.com", "role": "member"}).status_code == 302
    invitee = app.test_client()
    path = inbox.link("dev@example.com", "/console/invite/")
    assert invitee.post(path, data={"password": PASSWORD, "confirm": PASSWORD}).status_code == 302
    assert _balance(user_id=_user("dev@example.com").id) == TRIAL
    assert _balance(org_id=org.id) == TRIAL  # the boss's org had its own


def test_an_org_created_without_a_person_is_known_by_its_billing_email(db):
    first = make_org("By admin", plan="free", billing_email="finance@corp.example")
    assert trial.grant_to_org(db.session, first, None) is not None
    again = make_org("By admin again", plan="free", billing_email="Finance@corp.example")
    assert trial.grant_to_org(db.session, again, None) is None
    anonymous = make_org("No email", plan="free")
    assert trial.grant_to_org(db.session, anonymous, None) is not None
    assert trial.grant_to_org(db.session, anonymous, None) is None
    db.session.commit()
    assert [e.amount for e in _trials()] == [TRIAL, TRIAL]


@pytest.fixture
def trials_off(app):
    app.config["TRIAL_CREDITS_USD"] = "0"
    yield
    app.config["TRIAL_CREDITS_USD"] = "1"


def test_a_zero_trial_grants_nothing(app, db, trials_off):
    verified_user("thrifty")
    org = _new_org(login(app, "thrifty"), "Thrifty")
    assert _balance(org_id=org.id) == 0 and _trials() == []
