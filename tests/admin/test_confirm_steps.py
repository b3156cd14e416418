"""Confirm steps that move money post once: a one-time token per form, a locked top-up per refund."""
import re
import threading
import time

import sqlalchemy as sa
from sqlalchemy import select

from app.billing import money
from app.extensions import db
from app.models import AuditLog, LedgerEntry, TxType, Wallet
from tests.admin.conftest import PASSWORD, _login
from tests.factories import make_org, make_user


def _token(html: str) -> str:
    return re.search(r'name="confirm_token" value="([^"]+)"', html).group(1)


def _ledger(tx_type):
    db.session.expire_all()
    return db.session.scalars(select(LedgerEntry).where(LedgerEntry.type == tx_type)).all()


def _topup(org, usd):
    entry = money.post(db.session, money.Posting(wallet_id=org.wallet.id, amount=usd * 1_000_000,
                                                 type=TxType.credit_topup))
    db.session.commit()
    return entry


def test_gift_confirm_submitted_twice_posts_once(admin_client):
    org = make_org()
    form = {"amount_usd": "7", "comment": "outage"}
    review = admin_client.post(f"/admin/orgs/{org.id}/gift", data={**form, "step": "review"})
    confirm = {**form, "step": "confirm", "confirm_token": _token(review.get_data(as_text=True))}
    assert admin_client.post(f"/admin/orgs/{org.id}/gift", data=confirm).status_code == 302
    again = admin_client.post(f"/admin/orgs/{org.id}/gift", data=confirm, follow_redirects=True)
    assert "already submitted" in again.get_data(as_text=True)
    assert [e.amount for e in _ledger(TxType.credit_gift)] == [7_000_000]
    assert len(db.session.scalars(select(AuditLog).where(AuditLog.action == "wallet.gift")).all()) == 1


def test_adjustment_confirm_submitted_twice_posts_once(finance_client):
    org = make_org(balance_usd="10")
    form = {"amount_usd": "3", "direction": "debit", "comment": "fix"}
    review = finance_client.post(f"/admin/orgs/{org.id}/adjust", data={**form, "step": "review"})
    confirm = {**form, "step": "confirm", "confirm_token": _token(review.get_data(as_text=True))}
    finance_client.post(f"/admin/orgs/{org.id}/adjust", data=confirm)
    finance_client.post(f"/admin/orgs/{org.id}/adjust", data=confirm)
    assert [e.amount for e in _ledger(TxType.admin_debit)] == [-3_000_000]


def test_confirm_without_its_token_is_refused_naming_it_and_posts_nothing(admin_client):
    org = make_org()
    response = admin_client.post(f"/admin/orgs/{org.id}/gift", data={"amount_usd": "7", "step": "confirm"})
    assert response.status_code == 400 and "one-time token" in response.get_data(as_text=True)
    assert _ledger(TxType.credit_gift) == []


def test_refund_submitted_twice_posts_once(finance_client):
    org = make_org()
    topup = _topup(org, 10)
    page = finance_client.get(f"/admin/transactions/{topup.id}/refund").get_data(as_text=True)
    form = {"amount_usd": "4", "comment": "closure", "confirm_token": _token(page)}
    assert finance_client.post(f"/admin/transactions/{topup.id}/refund", data=form).status_code == 302
    again = finance_client.post(f"/admin/transactions/{topup.id}/refund", data=form, follow_redirects=True)
    assert "already submitted" in again.get_data(as_text=True)
    assert [e.amount for e in _ledger(TxType.credit_refund)] == [-4_000_000]


def _waiting_on_locks() -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND wait_event_type = 'Lock'")).scalar()


def test_concurrent_refunds_of_one_top_up_never_exceed_it(app, finance_client):
    """Two $6 refunds of a $10 top-up race; the wallet holds $30 so only the top-up can stop them."""
    org = make_org(balance_usd="20")
    topup = _topup(org, 10)
    make_user("finance-two", role_name="Finance", password=PASSWORD)
    with app.app_context():  # a fresh ``g``: the first client's cached login must not answer for this one
        second = _login(app, "finance-two")
    clients = [finance_client, second]
    tokens = [_token(c.get(f"/admin/transactions/{topup.id}/refund").get_data(as_text=True)) for c in clients]
    statuses = []

    def refund(client, token):
        response = client.post(f"/admin/transactions/{topup.id}/refund",
                               data={"amount_usd": "6", "comment": "race", "confirm_token": token})
        statuses.append(response.status_code)

    # Hold the wallet row so both requests are inside their refund before either can finish.
    blocker = db.engine.connect()
    blocker.begin()
    blocker.execute(select(Wallet.id).where(Wallet.id == org.wallet.id).with_for_update())
    threads = [threading.Thread(target=refund, args=pair) for pair in zip(clients, tokens)]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 5
        while _waiting_on_locks() < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        blocker.rollback()
        blocker.close()
    for t in threads:
        t.join(10)
    assert sorted(statuses) == [302, 400]
    assert sum(e.amount for e in _ledger(TxType.credit_refund)) == -6_000_000
