"""A bounded concurrent load of chat completions, streamed and not, spread over gateways."""
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
import sqlalchemy as sa

from app.extensions import db
from app.models import LedgerEntry, TxType, UsageLog, Wallet


@dataclass
class Outcome:
    status: int
    request_id: str | None
    stream: bool
    completed: bool  # a 200 whose body arrived whole ([DONE] seen for streams)
    code: str | None = None
    content_type: str = ""
    message: str | None = None


@dataclass
class LoadResult:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def by_status(self) -> Counter:
        return Counter(o.status for o in self.outcomes)

    def served(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == 200]


def one_call(base_url: str, secret: str, model: str, stream: bool, max_tokens: int = 50,
             timeout: float = 30) -> Outcome:
    body = {"model": model, "max_tokens": max_tokens, "stream": stream,
            "messages": [{"role": "user", "content": "Tell me about toll gates"}]}
    try:
        resp = requests.post(f"{base_url}/v1/chat/completions", json=body, stream=stream, timeout=timeout,
                             headers={"Authorization": f"Bearer {secret}"})
    except requests.RequestException:
        return Outcome(0, None, stream, False)
    rid, ctype = resp.headers.get("X-Request-Id"), resp.headers.get("Content-Type", "")
    if resp.status_code != 200:
        try:
            error = resp.json()["error"]
            code, message = error.get("code"), error.get("message")
        except ValueError:
            code, message = "not-json", resp.text[:200]
        return Outcome(resp.status_code, rid, stream, False, code, ctype, message)
    try:
        text = resp.text if stream else None
        # A stream is whole when it ends with [DONE] and carries no error event (a cut, a cap).
        completed = ("data: [DONE]" in text and '"error"' not in text) if stream else bool(resp.json().get("choices"))
    except (requests.RequestException, ValueError):
        completed = False
    return Outcome(200, rid, stream, completed, None, ctype)


def run_load(base_urls: list[str], secret: str, model: str, total: int, concurrency: int = 48,
             stream_every: int = 2, **kwargs) -> LoadResult:
    """``total`` calls, every ``stream_every``-th one streamed, round-robin over the gateways."""
    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        futures = [pool.submit(one_call, base_urls[i % len(base_urls)], secret, model, i % stream_every == 0,
                               **kwargs) for i in range(total)]
        outcomes = [f.result() for f in futures]
    return LoadResult(outcomes, time.monotonic() - started)


def wait_for_usage_rows(count: int, timeout: float = 30.0) -> int:
    """Background settlement writes in batches: wait until ``count`` usage rows exist."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        found = db.session.scalar(sa.select(sa.func.count()).select_from(UsageLog))
        if found >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def usage_by_request() -> dict[str, UsageLog]:
    db.session.rollback()
    return {u.request_id: u for u in db.session.scalars(sa.select(UsageLog))}


def charged_total(wallet_id: int) -> int:
    db.session.rollback()
    return -int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.wallet_id == wallet_id, LedgerEntry.type == TxType.usage)))


def wallet_balance(wallet_id: int) -> int:
    db.session.rollback()
    return db.session.get(Wallet, wallet_id).balance


def open_holds(client) -> tuple[int, int]:
    """(holds still listed, credits still held on any account) in the meter's Redis."""
    held = 0
    for name in client.scan_iter("tg:a:*"):
        held += int(client.hget(name, "held") or 0)
    return client.zcard("tg:holds"), held


def wait_for_no_holds(client, timeout: float) -> tuple[int, int]:
    """Holds left by calls cut off mid-admission expire; wait for the sweep to release them."""
    deadline = time.monotonic() + timeout
    while (left := open_holds(client)) != (0, 0) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left
