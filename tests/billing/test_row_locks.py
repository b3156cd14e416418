"""A row locked FOR UPDATE makes the next locker wait, on PostgreSQL and on the embedded SQLite alike.

Refunds, webhooks, gifts and settlement all check-then-write under such a lock; SQLite has
no row locks, so the embedded default takes its database write lock instead.
"""
import threading

import pytest
from sqlalchemy import select

from app.billing import money
from app.extensions import db
from app.models import LedgerEntry, TxType
from tests.factories import make_org


@pytest.mark.embedded
def test_a_second_refund_waits_for_the_first_and_then_finds_nothing_left(app, db):
    org = make_org()
    topup = money.post(db.session, money.Posting(wallet_id=org.wallet.id, amount=5_000_000, type=TxType.credit_topup))
    db.session.commit()
    topup_id = topup.id
    locked, release, outcome = threading.Event(), threading.Event(), {}

    def first():
        with app.app_context():
            db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.id == topup_id).with_for_update())
            locked.set()
            release.wait(10)
            money.refund(db.session, topup_id, 5_000_000, actor_id=None, comment="first", external_id="r1")
            db.session.commit()

    def second():
        with app.app_context():
            try:
                money.refund(db.session, topup_id, 5_000_000, actor_id=None, comment="second", external_id="r2")
                db.session.commit()
                outcome["second"] = "refunded"
            except money.RefundTooLarge as exc:
                db.session.rollback()
                outcome["second"] = str(exc)

    holder = threading.Thread(target=first)
    holder.start()
    assert locked.wait(10)
    waiter = threading.Thread(target=second)
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive(), "the second refund ran while the top-up was locked"
    release.set()
    holder.join(10)
    waiter.join(10)
    assert outcome["second"] == f"top-up {topup_id} has 0 credits left to refund, 5000000 asked"
    db.session.expire_all()
    assert money.refunded(db.session, topup_id) == 5_000_000
    assert db.session.get(type(org.wallet), org.wallet.id).balance == 0
