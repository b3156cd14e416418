"""The money module: every balance change has its ledger row, never overdraws, never repeats."""
import threading

import pytest
import sqlalchemy as sa

from app.billing import money
from app.billing.units import credits_to_usd, usd_to_credits
from app.models import LedgerEntry, TxStatus, TxType, Wallet
from tests.factories import make_org


def _balance(db, wallet_id):
    db.session.expire_all()
    return db.session.get(Wallet, wallet_id).balance


def test_usd_amounts_convert_exactly_to_integer_credits():
    assert usd_to_credits("1") == 1_000_000
    assert usd_to_credits("0.000001") == 1
    assert usd_to_credits(12.34) == 12_340_000
    assert str(credits_to_usd(1_234_567)) == "1.234567"


@pytest.mark.parametrize("bad", ["0.0000001", "abc", "NaN", "Infinity", ""])
def test_usd_amounts_with_sub_credit_precision_or_garbage_are_refused(bad):
    with pytest.raises(ValueError):
        usd_to_credits(bad)


def test_gift_adds_credits_and_writes_its_ledger_row(db):
    org = make_org()
    entry = money.post(db.session, money.Posting(org.wallet.id, 5_000_000, TxType.credit_gift, comment="welcome"))
    db.session.commit()
    assert _balance(db, org.wallet.id) == 5_000_000
    assert entry.balance_after == 5_000_000
    assert entry.status == TxStatus.completed
    wallet = db.session.get(Wallet, org.wallet.id)
    assert wallet.lifetime_added == 5_000_000


def test_debit_beyond_balance_is_refused_and_writes_nothing(db):
    org = make_org(balance_usd="1")
    with pytest.raises(money.InsufficientFunds):
        money.post(db.session, money.Posting(org.wallet.id, -1_000_001, TxType.admin_debit))
    db.session.rollback()
    assert _balance(db, org.wallet.id) == 1_000_000
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 1


def test_same_external_id_is_applied_once(db):
    org = make_org()
    for _ in range(3):
        money.post(db.session, money.Posting(org.wallet.id, 2_000_000, TxType.credit_topup, external_id="evt_1"))
        db.session.commit()
    assert _balance(db, org.wallet.id) == 2_000_000
    assert db.session.get(Wallet, org.wallet.id).lifetime_topup == 2_000_000


@pytest.mark.parametrize("amount, tx_type", [(0, TxType.credit_gift), (-5, TxType.credit_gift),
                                             (5, TxType.admin_debit), (1.5, TxType.admin_credit)])
def test_amounts_of_the_wrong_sign_or_type_are_refused(db, amount, tx_type):
    org = make_org()
    with pytest.raises(money.MoneyError):
        money.post(db.session, money.Posting(org.wallet.id, amount, tx_type))


def test_pending_topup_changes_balance_only_when_completed(db):
    org = make_org()
    entry = money.post_pending(db.session, money.Posting(org.wallet.id, 3_000_000, TxType.credit_topup,
                                                         external_id="cs_1"))
    db.session.commit()
    assert _balance(db, org.wallet.id) == 0
    money.complete_pending(db.session, entry.id)
    money.complete_pending(db.session, entry.id)
    db.session.commit()
    assert _balance(db, org.wallet.id) == 3_000_000


def test_failed_pending_topup_never_lands(db):
    org = make_org()
    entry = money.post_pending(db.session, money.Posting(org.wallet.id, 3_000_000, TxType.credit_topup))
    money.fail_pending(db.session, entry.id, "card declined")
    db.session.commit()
    with pytest.raises(money.MoneyError):
        money.complete_pending(db.session, entry.id)
    db.session.rollback()
    assert _balance(db, org.wallet.id) == 0


def test_concurrent_debits_never_lose_an_update_nor_overdraw(app, db):
    """40 threads each try 5 debits of $1 against a $100 wallet: exactly 100 succeed."""
    org = make_org(balance_usd="100")
    wallet_id = org.wallet.id
    results = {"ok": 0, "refused": 0}
    lock = threading.Lock()
    start = threading.Barrier(40)

    def worker():
        with app.app_context():
            start.wait()
            for _ in range(5):
                try:
                    money.post(db.session, money.Posting(wallet_id, -1_000_000, TxType.admin_debit))
                    db.session.commit()
                    outcome = "ok"
                except money.InsufficientFunds:
                    db.session.rollback()
                    outcome = "refused"
                with lock:
                    results[outcome] += 1
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"ok": 100, "refused": 100}
    assert _balance(db, wallet_id) == 0
    ledger_sum = db.session.scalar(sa.select(sa.func.sum(LedgerEntry.amount)).where(LedgerEntry.wallet_id == wallet_id))
    assert ledger_sum == 0


def test_debit_cannot_take_credits_promised_to_open_holds(db):
    from app.billing import holds
    from tests.factories import make_key, make_user

    user = make_user()
    org = make_org(balance_usd="10", owner=user)
    key, _ = make_key(user, org)
    hold = holds.reserve(holds.HoldRequest(request_id="req_hold_1", wallet_id=org.wallet.id, key_id=key.id,
                                           org_id=org.id, model="m", amount=6_000_000, est_tokens=1))
    assert hold.ok
    with pytest.raises(money.InsufficientFunds):
        money.post(db.session, money.Posting(org.wallet.id, -5_000_000, TxType.admin_debit))
    db.session.rollback()
    money.post(db.session, money.Posting(org.wallet.id, -4_000_000, TxType.admin_debit))
    db.session.commit()
    assert _balance(db, org.wallet.id) == 6_000_000
    holds.release("req_hold_1", {"request_id": "req_hold_1", "wallet_id": org.wallet.id, "api_key_id": key.id,
                                 "model": "m"})


def test_a_refused_posting_without_external_id_raises_instead_of_returning_another_row(db):
    """An IntegrityError with no external id is not a duplicate: no unrelated ledger row comes back."""
    org = make_org(balance_usd="5")  # leaves a funding row whose external_id is NULL
    with pytest.raises(sa.exc.IntegrityError):
        money.post(db.session, money.Posting(org.wallet.id, 1_000_000, TxType.credit_gift, actor_id=987654))
    db.session.rollback()
    assert _balance(db, org.wallet.id) == 5_000_000
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 1
