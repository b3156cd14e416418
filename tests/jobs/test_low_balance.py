"""Low-balance alerts against a real SMTP server: one notification and one email per drop."""
import email
import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.billing import money
from app.billing.units import usd_to_credits
from app.extensions import db
from app.jobs.alerts import LOW_BALANCE_EVENT, check_low_balances
from app.models import Notification, PlatformSetting, TxType, Wallet
from app.views.settings import LOW_BALANCE_KEY
from tests.factories import fund, make_org, make_user


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        self.messages.append({"to": envelope.rcpt_tos, "subject": message["Subject"],
                              "body": message.get_payload(decode=True).decode()})
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox(app, monkeypatch):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", controller.port)
    monkeypatch.setitem(app.config, "SMTP_USER", None)
    yield handler.messages
    controller.stop()


def spend(wallet_id: int, usd) -> None:
    money.post(db.session, money.Posting(wallet_id=wallet_id, amount=-usd_to_credits(str(usd)),
                                         type=TxType.admin_debit, comment="test spend"))
    db.session.commit()


def notifications():
    return db.session.scalars(select(Notification).order_by(Notification.id)).all()


def set_platform_default(usd) -> None:
    threshold = None if usd is None else usd_to_credits(str(usd))
    db.session.add(PlatformSetting(key=LOW_BALANCE_KEY, value={"threshold": threshold, "email": None}))
    db.session.commit()


def test_org_below_its_threshold_gets_one_notification_and_one_email(db, inbox):
    org = make_org(balance_usd="100", billing_email="billing@acme.test",
                   low_balance_threshold=usd_to_credits("25"), low_balance_email="alerts@acme.test")
    spend(org.wallet.id, "88")

    assert check_low_balances() == 1

    [note] = notifications()
    assert (note.event, note.org_id, note.user_id) == (LOW_BALANCE_EVENT, org.id, None)
    assert "$12.00" in note.title and "$25.00" in note.body
    assert note.data == {"wallet_id": org.wallet.id, "balance_credits": 12_000_000, "threshold_credits": 25_000_000}
    [mail] = inbox
    assert mail["to"] == ["alerts@acme.test"]
    assert "$12.00" in mail["subject"]
    assert "$12.00" in mail["body"] and "$25.00" in mail["body"]


def test_balance_exactly_at_the_threshold_alerts_to_the_billing_email_without_an_alert_email(db, inbox):
    make_org(balance_usd="25", billing_email="billing@acme.test", low_balance_threshold=usd_to_credits("25"))

    assert check_low_balances() == 1
    assert [m["to"] for m in inbox] == [["billing@acme.test"]]


def test_second_run_sends_nothing_while_the_balance_stays_low(db, inbox):
    org = make_org(balance_usd="10", billing_email="billing@acme.test", low_balance_threshold=usd_to_credits("25"))
    check_low_balances()
    spend(org.wallet.id, "5")  # still low: the same drop

    assert check_low_balances() == 0
    assert len(notifications()) == 1 and len(inbox) == 1


def test_alerts_again_after_a_top_up_above_the_threshold_and_a_new_drop(db, inbox):
    org = make_org(balance_usd="10", billing_email="billing@acme.test", low_balance_threshold=usd_to_credits("25"))
    check_low_balances()
    fund(org.wallet.id, "40")  # $50: back above
    assert check_low_balances() == 0
    assert db.session.get(Wallet, org.wallet.id).low_balance_alerted_at is None

    spend(org.wallet.id, "30")  # $20: a new drop
    assert check_low_balances() == 1

    assert len(notifications()) == 2
    assert len(inbox) == 2 and "$20.00" in inbox[1]["body"]


def test_top_up_that_does_not_clear_the_threshold_does_not_rearm(db, inbox):
    org = make_org(balance_usd="10", billing_email="billing@acme.test", low_balance_threshold=usd_to_credits("25"))
    check_low_balances()
    fund(org.wallet.id, "15")  # $25: at the threshold, not above it
    check_low_balances()
    spend(org.wallet.id, "20")

    assert check_low_balances() == 0
    assert len(inbox) == 1


def test_platform_default_applies_when_the_org_has_no_threshold(db, inbox):
    set_platform_default("20")
    low = make_org(balance_usd="15", billing_email="low@acme.test")
    make_org(balance_usd="30", billing_email="fine@acme.test")
    make_org(balance_usd="15", billing_email="own@acme.test", low_balance_threshold=usd_to_credits("5"))

    assert check_low_balances() == 1

    [note] = notifications()
    assert note.org_id == low.id and note.data["threshold_credits"] == 20_000_000
    assert [m["to"] for m in inbox] == [["low@acme.test"]]


def test_configured_default_applies_until_an_admin_saves_one(app, db, inbox):
    make_org(balance_usd="49", billing_email="billing@acme.test")
    assert app.config["LOW_BALANCE_DEFAULT_USD"] == "50"

    assert check_low_balances() == 1
    assert notifications()[0].data["threshold_credits"] == 50_000_000


def test_saved_empty_platform_default_turns_default_alerts_off(db, inbox):
    set_platform_default(None)
    make_org(balance_usd="1", billing_email="billing@acme.test")

    assert check_low_balances() == 0
    assert inbox == []


def test_individual_wallet_alerts_to_the_users_email(db, inbox):
    user = make_user("solo")
    user.low_balance_threshold = usd_to_credits("5")
    db.session.commit()
    fund(user.wallet.id, "7.5")
    spend(user.wallet.id, "3")
    make_user("nothreshold")  # an empty wallet without a threshold never alerts

    assert check_low_balances() == 1

    [note] = notifications()
    assert (note.user_id, note.org_id) == (user.id, None)
    assert note.data["balance_credits"] == 4_500_000
    [mail] = inbox
    assert mail["to"] == ["solo@example.test"]
    assert "$4.50" in mail["body"] and "$5.00" in mail["body"]


def test_smtp_outage_still_records_the_notification(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", _free_port())  # nothing listens there
    org = make_org(balance_usd="10", billing_email="billing@acme.test", low_balance_threshold=usd_to_credits("25"))

    assert check_low_balances() == 1

    db.session.expire_all()
    assert [n.org_id for n in notifications()] == [org.id]
    assert db.session.get(Wallet, org.wallet.id).low_balance_alerted_at is not None
    assert check_low_balances() == 0  # the flag holds: no duplicate on the next run
