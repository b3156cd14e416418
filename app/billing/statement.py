"""A wallet's transactions as customers see them: filters, keyset pages, one row shape for JSON and CSV."""
import datetime as dt

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..call_log import parse_time
from ..csv_stream import csv_response

from ..inputs import InputError
from ..models import LedgerEntry, Topup, TxStatus, TxType
from .units import usd_json

FIELDS = ["id", "type", "status", "amount_usd", "credits", "balance_after_usd", "created_at", "description",
          "price_usd", "stripe_payment_intent_id", "stripe_invoice_id", "receipt_url"]


def query(wallet_id: int, args) -> Select:
    """Newest first; ``args`` (a request's query) may hold type, status, from, to (ISO dates or times)."""
    stmt = (select(LedgerEntry, Topup).outerjoin(Topup, Topup.ledger_entry_id == LedgerEntry.id)
            .where(LedgerEntry.wallet_id == wallet_id).order_by(LedgerEntry.id.desc()))
    for name, enum, column in (("type", TxType, LedgerEntry.type), ("status", TxStatus, LedgerEntry.status)):
        if args.get(name):
            try:
                stmt = stmt.where(column == enum(args[name]))
            except ValueError:
                raise InputError(name, f"{name} must be one of {', '.join(m.value for m in enum)}") from None
    if args.get("from"):
        stmt = stmt.where(LedgerEntry.created_at >= _moment("from", args["from"]))
    if args.get("to"):
        stmt = stmt.where(LedgerEntry.created_at < _moment("to", args["to"], end=True))
    return stmt


def page(session: Session, stmt: Select, after: int | None, limit: int) -> tuple[list[dict], int | None]:
    if after is not None:
        stmt = stmt.where(LedgerEntry.id < after)
    rows = [row(entry, topup) for entry, topup in session.execute(stmt.limit(limit)).all()]
    return rows, rows[-1]["id"] if len(rows) == limit else None


def row(entry: LedgerEntry, topup: Topup | None) -> dict:
    return {
        "id": entry.id, "type": entry.type.value, "status": entry.status.value, "amount_usd": usd_json(entry.amount),
        "credits": entry.amount, "balance_after_usd": usd_json(entry.balance_after),
        "created_at": entry.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "description": entry.comment,
        "price_usd": usd_json(topup.price) if topup else None,
        "stripe_payment_intent_id": topup.stripe_payment_intent_id if topup else None,
        "stripe_invoice_id": (entry.details or {}).get("stripe_invoice_id"),
        "receipt_url": topup.receipt_url if topup else None,
    }


def _moment(name: str, raw: str, end: bool = False) -> dt.datetime:
    """A date (the whole day: ``to`` includes it) or a UTC time."""
    if len(raw) == 10 and end:
        return parse_time(name, raw) + dt.timedelta(days=1)
    return parse_time(name, raw)

def csv_stream(stmt: Select):
    """The statement as CSV, streamed from its own connection a batch of rows at a time."""
    def make_rows(conn):
        with Session(bind=conn) as session:
            for entry, topup in session.execute(stmt.execution_options(yield_per=500)):
                data = row(entry, topup)
                yield [data[name] for name in FIELDS]

    return csv_response("transactions.csv", FIELDS, make_rows)
