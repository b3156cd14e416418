"""Signed deliveries by a real RQ worker to a real HTTP receiver: retries, disabling, replay, crashes."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from rq.job import Job
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import select

from app.billing.units import usd_to_credits
from app.extensions import db
from app.jobs import get_queue
from app.jobs.alerts import check_low_balances
from app.models import Notification, WebhookAttempt, WebhookDelivery
from tests.jobs.test_low_balance import spend
from tests.webhooks.conftest import run_worker
from tests.webhooks.helpers import create_endpoint, org_owner, verify


def test_low_balance_reaches_the_endpoint_signed_with_its_secret(app, client, receiver, queues):
    org, auth = org_owner(balance_usd="100", low_balance_threshold=usd_to_credits("25"))
    endpoint = create_endpoint(client, auth, receiver.url, events=["system.balance.notify.dispatched"])
    spend(org.wallet.id, "90")
    assert check_low_balances() == 1

    run_worker(app)

    [request] = receiver.requests
    assert request["json"]["type"] == "system.balance.notify.dispatched"
    assert request["json"]["data"] == {"wallet_id": org.wallet.id, "balance_credits": 10_000_000,
                                       "threshold_credits": 25_000_000}
    assert request["headers"]["Tollgate-Event-Id"] == request["json"]["id"]
    assert verify(endpoint["secret"], request["headers"], request["body"])
    assert not verify(endpoint["secret"], request["headers"], request["body"] + b" ")
    assert not verify(endpoint["secret"], request["headers"], request["body"], now=time.time() + 301)
    [note] = db.session.scalars(select(Notification)).all()
    assert note.org_id == org.id  # the same event also became the in-app notification


def test_unsubscribed_event_types_are_not_sent(app, client, receiver, queues):
    org, auth = org_owner(balance_usd="100", low_balance_threshold=usd_to_credits("25"))
    create_endpoint(client, auth, receiver.url, events=["key.revoked"])
    spend(org.wallet.id, "90")
    check_low_balances()
    run_worker(app)
    assert receiver.requests == []


def test_failed_attempts_are_retried_after_the_backoff_schedule(app, client, receiver, queues, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE_S", ["1", "2"])
    monkeypatch.setitem(app.config, "WEBHOOK_JITTER", 0.0)
    _, auth = org_owner()
    endpoint = create_endpoint(client, auth, receiver.url)
    receiver.replies = [500, 503, 200]
    client.post(f"/api/v1/me/webhooks/{endpoint['id']}/test", headers=auth)

    deadline = time.monotonic() + 8
    while len(receiver.requests) < 3 and time.monotonic() < deadline:
        run_worker(app)
        time.sleep(0.2)

    attempts = db.session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)).all()
    assert [a.response_code for a in attempts] == [500, 503, 200]
    gaps = [(b.attempted_at - a.attempted_at).total_seconds() for a, b in zip(attempts, attempts[1:])]
    assert gaps[0] >= 1.0 and gaps[1] >= 2.0
    assert len(set(receiver.event_ids())) == 1  # every retry carries the same event id
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert attempts[0].response_excerpt.startswith("receiver says no") and len(attempts[0].response_excerpt) <= 512


def test_endpoint_is_disabled_and_its_owner_told_after_the_last_retry_fails(app, client, receiver, queues):
    org, auth = org_owner()
    endpoint = create_endpoint(client, auth, receiver.url)
    receiver.replies = [500, 500, 500]
    client.post(f"/api/v1/me/webhooks/{endpoint['id']}/test", headers=auth)

    run_worker(app)

    assert len(receiver.requests) == 3  # the first try and the two retries of the schedule
    shown = client.get(f"/api/v1/me/webhooks/{endpoint['id']}", headers=auth).get_json()
    assert shown["active"] is False and shown["disabled_at"]
    [note] = db.session.scalars(select(Notification)).all()
    assert (note.org_id, note.event) == (org.id, "webhook.endpoint.disabled")
    deliveries = client.get(f"/api/v1/me/webhooks/{endpoint['id']}/deliveries", headers=auth).get_json()
    [delivery] = deliveries["data"]
    assert (delivery["status"], delivery["attempts"]) == ("failed", 3)
    assert [a["response_code"] for a in delivery["attempt_log"]] == [500, 500, 500]
    # A disabled endpoint receives nothing more, not even a test.
    assert client.post(f"/api/v1/me/webhooks/{endpoint['id']}/test", headers=auth).status_code == 409


def test_replay_sends_the_same_event_id_again(app, client, receiver, queues):
    _, auth = org_owner()
    endpoint = create_endpoint(client, auth, receiver.url)
    client.post(f"/api/v1/me/webhooks/{endpoint['id']}/test", headers=auth)
    run_worker(app)
    [first] = client.get(f"/api/v1/me/webhooks/{endpoint['id']}/deliveries", headers=auth).get_json()["data"]

    resp = client.post(f"/api/v1/me/webhooks/{endpoint['id']}/deliveries/{first['id']}/replay", headers=auth)
    assert resp.status_code == 202
    run_worker(app)

    assert len(receiver.requests) == 2
    assert receiver.event_ids()[0] == receiver.event_ids()[1] == first["event_id"]
    listed = client.get(f"/api/v1/me/webhooks/{endpoint['id']}/deliveries", headers=auth).get_json()["data"]
    assert [d["status"] for d in listed] == ["delivered", "delivered"]


def test_redirects_are_not_followed(app, client, receiver, queues):
    _, auth = org_owner()
    endpoint = create_endpoint(client, auth, receiver.url)
    receiver.replies = [302, 302, 302]
    client.post(f"/api/v1/me/webhooks/{endpoint['id']}/test", headers=auth)
    run_worker(app)
    assert [r["path"] for r in receiver.requests] == ["/hook"] * 3
    assert db.session.scalars(select(WebhookDelivery)).one().last_error == "HTTP 302"


def test_worker_killed_mid_delivery_leaves_the_job_to_rerun_with_the_same_event_id(app, client, receiver, queues):
    _, auth = org_owner()
    endpoint = create_endpoint(client, auth, receiver.url)
    receiver.hold = threading.Event()
    client.post(f"/api/v1/me/webhooks/{endpoint['id']}/test", headers=auth)
    env = {**os.environ, "TOLLGATE_ENV": "testing", "TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "TEST_REDIS_URL": app.config["REDIS_URL"], "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32"}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app:create_app", "tollgate", "worker",
                               "--queues", "webhooks"], env=env, cwd=Path(__file__).parents[2],
                              start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(receiver.requests) == 1
    finally:
        # The work horse runs in a session of its own: kill it, then the worker, as a crash would.
        for pid in _children(worker.pid):
            os.kill(pid, signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    hold, receiver.hold = receiver.hold, None
    hold.set()
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert (delivery.status, delivery.attempts) == ("pending", 0)  # nothing of the killed try was kept
    db.session.rollback()

    # RQ's maintenance finds the abandoned job once its execution lease is over, and schedules
    # its retry (10 s later); the test moves that retry to now rather than wait.
    queue = get_queue("webhooks")
    StartedJobRegistry(queue=queue).cleanup(timestamp=time.time() + 3600)
    scheduled = ScheduledJobRegistry(queue=queue)
    [job_id] = scheduled.get_job_ids()
    scheduled.remove(job_id)
    queue.enqueue_job(Job.fetch(job_id, connection=queue.connection))
    run_worker(app)

    assert len(receiver.requests) == 2
    assert receiver.event_ids()[0] == receiver.event_ids()[1]
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found
