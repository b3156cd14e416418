"""Small helpers shared by the gateway tests."""
import contextlib

import requests
import sqlalchemy as sa

from app.extensions import db
from app.models import LedgerEntry, TxType, UsageLog, Wallet


def chat(client, headers, model="gpt-test", **body):
    payload = {"model": model, "messages": [{"role": "user", "content": "Hello there"}], **body}
    return client.post("/v1/chat/completions", json=payload, headers=headers)


def balance(wallet_id) -> int:
    db.session.expire_all()
    return db.session.get(Wallet, wallet_id).balance


def usage_charges() -> list[int]:
    return list(db.session.scalars(sa.select(LedgerEntry.amount).where(LedgerEntry.type == TxType.usage)))


def usage_rows() -> list[UsageLog]:
    db.session.expire_all()
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
