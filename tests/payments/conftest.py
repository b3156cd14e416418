"""Payments against the Stripe stand-in over real sockets: Tollgate served on loopback receives its webhooks."""
from types import SimpleNamespace

import pytest
import requests

from app.devtools.stripe_standin import create_standin_app
from tests.factories import make_key, make_org, make_user
from tests.gateway.netservers import LiveServer


@pytest.fixture(scope="session")
def live_app(app):
    """Tollgate on a loopback port, where the stand-in posts its webhooks."""
    server = LiveServer(app)
    yield server
    server.stop()


class Standin:
    def __init__(self, server, app):
        self.server, self.url, self.app = server, server.url, app

    def control(self, path: str, deliver: bool = True, **body) -> dict:
        answer = requests.post(f"{self.url}/_control/{path}", json={"deliver": deliver, **body}, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def pay(self, session_id: str, deliver: bool = True) -> list[dict]:
        return self.control(f"sessions/{session_id}/pay", deliver)["events"]

    def decline(self, session_id: str, deliver: bool = True) -> list[dict]:
        return self.control(f"sessions/{session_id}/decline", deliver)["events"]

    def signed(self, event_id: str, timestamp: int | None = None) -> tuple[bytes, str]:
        """The event's body and a fresh signature header, without sending it."""
        answer = requests.post(f"{self.url}/_control/events/{event_id}/send",
                               json={"timestamp": timestamp or __import__("time").time()}, timeout=10).json()
        return answer["payload"].encode(), answer["signature"]

    def requests(self) -> list[dict]:
        return requests.get(f"{self.url}/_control/requests", timeout=10).json()


@pytest.fixture
def standin(app, live_app):
    holder = {}
    server = LiveServer(lambda environ, start: holder["app"].wsgi_app(environ, start))
    holder["app"] = create_standin_app(public_url=server.url, webhook_url=f"{live_app.url}/webhooks/stripe",
                                       webhook_secret=app.config["STRIPE_WEBHOOK_SECRET"])
    before = app.config.get("STRIPE_API_BASE")
    app.config["STRIPE_API_BASE"] = server.url
    yield Standin(server, holder["app"])
    holder["app"].extensions["stripe_standin"]["sender"].wait()  # none may land in the next test
    app.config["STRIPE_API_BASE"] = before
    server.stop()


@pytest.fixture
def buyer(db):
    """An org on the Pro plan (+5% on top-ups), its owner and the owner's key."""
    owner = make_user()
    org = make_org(plan="pro", owner=owner, billing_email="billing@acme.test")
    key, secret = make_key(owner, org)
    return SimpleNamespace(owner=owner, org=org, wallet_id=org.wallet.id, key=key,
                           headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture
def priced_plans(db):
    """Pro and Max on sale at Stripe prices price_pro and price_max (plans are kept between tests: reset after)."""
    from sqlalchemy import update

    from app.extensions import db as sqla
    from app.models import Plan

    sqla.session.execute(update(Plan).where(Plan.code.in_(["pro", "max"])).values(stripe_price_id="price_" + Plan.code))
    sqla.session.commit()
    yield
    sqla.session.rollback()
    sqla.session.execute(update(Plan).values(stripe_price_id=None))
    sqla.session.commit()


def deliver_at_once(url: str, signed: list[tuple[bytes, str]]) -> list[int]:
    """POST every (body, signature) to Tollgate's webhook at the same moment, one thread each; the statuses."""
    import threading

    barrier, answers = threading.Barrier(len(signed)), []

    def post(body, signature):
        barrier.wait()
        answers.append(requests.post(f"{url}/webhooks/stripe", data=body, timeout=30,
                                     headers={"Stripe-Signature": signature}).status_code)

    threads = [threading.Thread(target=post, args=pair) for pair in signed]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers
