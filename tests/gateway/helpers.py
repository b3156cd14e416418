"""Small helpers shared by the gateway tests."""
import contextlib

import requests
import sqlalchemy as sa

from app.billing import settlement
from app.extensions import db
from app.models import LedgerEntry, TxType, UsageLog, Wallet


def chat(client, headers, model="gpt-test", **body):
    payload = {"model": model, "messages": [{"role": "user", "content": "Hello there"}], **body}
    # buffered: the body is read and the response closed, as a server does, which runs the
    # settlement production schedules for after the response.
    return client.post("/v1/chat/completions", json=payload, headers=headers, buffered=True)


def settled() -> None:
    """Write queued usage now, as a production flusher would; a no-op where settlement is synchronous."""
    settlement.flush_all()
    db.session.expire_all()


def balance(wallet_id) -> int:
    settled()
    return db.session.get(Wallet, wallet_id).balance


def usage_charges() -> list[int]:
    settled()
    return list(db.session.scalars(sa.select(LedgerEntry.amount).where(LedgerEntry.type == TxType.usage)))


def usage_rows() -> list[UsageLog]:
    settled()
    return list(db.session.scalars(sa.select(UsageLog).order_by(UsageLog.id)))


def assert_nothing_charged(world):
    assert balance(world.org.wallet.id) == 10_000_000
    assert usage_charges() == []


@contextlib.contextmanager
def knobs(mock, **values):
    requests.post(f"{mock.url}/_control", json=values, timeout=5).raise_for_status()
    try:
        yield
    finally:
        requests.post(f"{mock.url}/_control/reset", timeout=5).raise_for_status()


@contextlib.contextmanager
def plan_changed(code, **values):
    """Change a plan for one test and put it back: plans outlive tests (they are not truncated)."""
    from app.models import Plan

    plan = db.session.scalar(sa.select(Plan).where(Plan.code == code))
    saved = {name: getattr(plan, name) for name in values}
    for name, value in values.items():
        setattr(plan, name, value)
    db.session.commit()
    try:
        yield plan
    finally:
        plan = db.session.scalar(sa.select(Plan).where(Plan.code == code))
        for name, value in saved.items():
            setattr(plan, name, value)
        db.session.commit()
