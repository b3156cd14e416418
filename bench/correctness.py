"""Correctness under load, against Tollgate as deployed for the benchmark (arm D's set-up):

    .venv/bin/python -m bench.correctness [--rpm 60] [--requests 3000] [--threads 50]

1. A key with an RPM limit gets a burst of limit + 30 concurrent requests inside one
   minute: exactly `limit` must pass and the rest must be 429.
2. Another key sends many concurrent requests; once the settler has written them, every
   200 must have one usage row, the ledger's usage debits must equal those rows' costs, and
   the wallet's balance must equal its ledger.
The result is written to docs/performance.md ("Correctness under load").
"""
import argparse
import datetime as dt
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from .arms import tollgate
from .arms.mock import start_mock
from .report import update_docs
from .run import RESULTS, hold_machine_lock
from .servers import pin_self_to_load_cpu, stop_all

REPO = Path(__file__).resolve().parent.parent
BODY = {"model": tollgate.MODEL, "messages": [{"role": "user", "content": "Hello, how are you?"}], "max_tokens": 64}


def fire(url: str, key: str, count: int, threads: int) -> list[requests.Response]:
    local = threading.local()  # one keep-alive session per thread

    def one(_):
        session = getattr(local, "session", None) or setattr(local, "session", requests.Session()) or local.session
        return session.post(f"{url}/v1/chat/completions", json=BODY, headers={"Authorization": f"Bearer {key}"},
                            timeout=30)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(count)))


def make_keys(app, rpm: int) -> tuple[str, str, int]:
    from sqlalchemy import select

    from app.accounts import create_api_key
    from app.extensions import db
    from app.models import Organization, OrgRole

    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.name == "Demo Org"))
        owner = next(m.user for m in org.memberships if m.role == OrgRole.owner)
        _, limited = create_api_key(owner, "rpm check", org=org, rpm_limit=rpm)
        load_key, secret = create_api_key(owner, "ledger check", org=org)
        db.session.commit()
        return limited, secret, load_key.id


def ledger_check(app, key_id: int, ok_ids: set[str], wait_s: float = 60) -> dict:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import ApiKey, LedgerEntry, TxStatus, TxType, UsageLog, Wallet

    with app.app_context():
        deadline = time.monotonic() + wait_s
        while True:
            rows = db.session.execute(select(UsageLog.request_id, UsageLog.total_cost, UsageLog.status)
                                      .where(UsageLog.api_key_id == key_id)).all()
            db.session.rollback()
            if len(rows) >= len(ok_ids) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        success = {r.request_id: r.total_cost for r in rows if r.status == "success"}
        debits = dict(db.session.execute(
            select(LedgerEntry.external_id, LedgerEntry.amount).where(LedgerEntry.type == TxType.usage,
                                                                      LedgerEntry.external_id.like("usage:%"))).all())
        wallet_id = db.session.scalar(select(ApiKey.wallet_id).where(ApiKey.id == key_id))
        balance = db.session.get(Wallet, wallet_id).balance
        ledger = db.session.scalar(select(func.sum(LedgerEntry.amount)).where(
            LedgerEntry.wallet_id == wallet_id, LedgerEntry.status == TxStatus.completed))
        charged = sum(-debits.get(f"usage:{rid}", 0) for rid in success)
        return {"ok_responses": len(ok_ids), "usage_rows": len(success),
                "every_200_has_its_row": set(success) == ok_ids, "usage_costs": sum(success.values()),
                "ledger_debits": charged, "balance": balance, "ledger_sum": ledger}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rpm", type=int, default=60)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=50)
    args = parser.parse_args()
    _lock = hold_machine_lock()  # noqa: F841
    pin_self_to_load_cpu()
    log_dir = RESULTS / f"logs-correctness-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}"
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        mock = start_mock(REPO, log_dir)
        server, _, _ = tollgate.start_tollgate(REPO, mock.url, log_dir)
        os.environ.update(tollgate.tollgate_env(server.port))
        from app import create_app

        app = create_app()
        limited, load_key, load_id = make_keys(app, args.rpm)
        while dt.datetime.now().second > 30:  # the burst must fit in one minute window
            time.sleep(1)
        burst = [r.status_code for r in fire(server.url, limited, args.rpm + 30, 20)]
        rpm_ok = burst.count(200) == args.rpm and burst.count(429) == 30
        responses = fire(server.url, load_key, args.requests, args.threads)
        ok_ids = {r.headers["X-Request-Id"] for r in responses if r.status_code == 200}
        ledger = ledger_check(app, load_id, ok_ids)
    finally:
        stop_all()
    money_ok = (ledger["every_200_has_its_row"] and ledger["usage_costs"] == ledger["ledger_debits"]
                and ledger["balance"] == ledger["ledger_sum"])
    text = "\n".join([
        f"Run of {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC: `.venv/bin/python -m bench.correctness "
        f"--rpm {args.rpm} --requests {args.requests} --threads {args.threads}`", "",
        f"- RPM limit {args.rpm}, burst of {args.rpm + 30} concurrent requests in one minute: "
        f"{burst.count(200)} x 200, {burst.count(429)} x 429, other {len(burst) - burst.count(200) - burst.count(429)}"
        f" ({'exact' if rpm_ok else 'NOT exact'}).",
        f"- {args.requests} requests on {args.threads} threads: {ledger['ok_responses']} x 200, "
        f"{ledger['usage_rows']} success rows; usage costs {ledger['usage_costs']} credits, ledger usage debits "
        f"{ledger['ledger_debits']} credits; wallet balance {ledger['balance']} vs ledger sum {ledger['ledger_sum']} "
        f"({'all equal' if money_ok else 'MISMATCH'}).",
    ])
    print(text)
    update_docs(REPO / "docs" / "performance.md", text, "correctness")
    return 0 if rpm_ok and money_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
