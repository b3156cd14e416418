"""A real RQ worker SIGKILLed after Stripe confirmed a payment and before Tollgate credited it."""
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from rq import SimpleWorker
from sqlalchemy import update

from app.extensions import db
from app.jobs.payments import sweep_stripe_events
from app.models import StripeEvent, Wallet
from tests.webhooks.test_delivery import _children

ROOT = Path(__file__).parents[2]


def test_the_retry_after_a_killed_worker_credits_exactly_once(app, client, buyer, standin, monkeypatch):
    monkeypatch.setitem(app.config, "RQ_ASYNC", True)  # jobs wait in Redis for a worker
    monkeypatch.setitem(app.extensions, "tollgate_queues", {})
    topup = client.post("/api/v1/me/billing/topups", json={"amount_usd": "50"}, headers=buyer.headers).json
    completed = standin.pay(topup["stripe_session_id"], deliver=False)[1]
    # The worker's first Stripe call (the receipt, before the credit) hangs: the kill lands there.
    requests.post(f"{standin.url}/_control/delay", json={"path": "/v1/payment_intents", "seconds": 60})
    body, signature = standin.signed(completed["id"])
    assert client.post("/webhooks/stripe", data=body, headers={"Stripe-Signature": signature}).status_code == 200

    env = {**os.environ, "TOLLGATE_ENV": "testing", "TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "TEST_REDIS_URL": app.config["REDIS_URL"], "STRIPE_API_BASE": standin.url}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app:create_app", "tollgate", "worker",
                               "--queues", "billing"], env=env, cwd=ROOT, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90  # a loaded machine starts a worker slowly
        while not any(r["path"].startswith("/v1/payment_intents") for r in standin.requests()):
            assert time.monotonic() < deadline, "the worker never asked Stripe"
            time.sleep(0.1)
    finally:
        for pid in _children(worker.pid):
            os.kill(pid, signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    requests.post(f"{standin.url}/_control/delay", json={"path": "/v1/payment_intents", "seconds": 0})
    assert db.session.get(Wallet, buyer.wallet_id).balance == 0
    assert db.session.get(StripeEvent, completed["id"]).processed_at is None
    db.session.rollback()

    # The sweep finds the stored, unprocessed event and enqueues it; twice, to be sure a second job adds nothing.
    db.session.execute(update(StripeEvent).values(received_at=StripeEvent.received_at - dt.timedelta(minutes=2)))
    db.session.commit()
    assert sweep_stripe_events() == 1 and sweep_stripe_events() == 1
    SimpleWorker(["billing"], connection=app.extensions["tollgate_redis"].client).work(burst=True)

    db.session.expire_all()
    assert db.session.get(Wallet, buyer.wallet_id).balance == 52_500_000  # $50 + 5% (Pro), once
    assert db.session.get(StripeEvent, completed["id"]).outcome == "applied"
