"""The Stripe stand-in answers the official SDK as Stripe would, and signs webhooks Stripe's way."""
import pytest
import requests
import stripe

from app.devtools.stripe_standin import create_standin_app
from tests.gateway.netservers import LiveServer

SECRET = "whsec_standin_test"


@pytest.fixture
def standin():
    holder = {}
    server = LiveServer(lambda environ, start: holder["app"].wsgi_app(environ, start))
    holder["app"] = create_standin_app(public_url=server.url, webhook_url=None, webhook_secret=SECRET)
    yield server
    server.stop()


def sdk(server, key="sk_test_standin"):
    return stripe.StripeClient(key, base_addresses={"api": server.url}, max_network_retries=0)


def new_session(client, cents=1999, **extra):
    return client.v1.checkout.sessions.create(params={
        "mode": "payment", "success_url": "http://shop.test/ok?cs={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/cancel", "client_reference_id": "42", "metadata": {"topup_id": "42"},
        "payment_intent_data": {"metadata": {"topup_id": "42"}},
        "line_items": [{"quantity": 1, "price_data": {"currency": "usd", "unit_amount": cents,
                                                      "product_data": {"name": "Credits"}}}], **extra})


def test_checkout_session_created_and_retrieved_through_the_sdk(standin):
    client = sdk(standin)
    session = new_session(client)
    assert session.id.startswith("cs_test_") and session.amount_total == 1999 and session.status == "open"
    assert session.url == f"{standin.url}/pay/{session.id}"
    assert session.success_url == f"http://shop.test/ok?cs={session.id}"
    again = client.v1.checkout.sessions.retrieve(session.id)
    assert again.metadata["topup_id"] == "42" and again.payment_status == "unpaid"


def test_errors_come_back_as_the_sdks_exceptions(standin):
    with pytest.raises(stripe.AuthenticationError):
        new_session(sdk(standin, key="pk_wrong"))
    with pytest.raises(stripe.InvalidRequestError) as missing:
        sdk(standin).v1.checkout.sessions.retrieve("cs_test_nope")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as small:
        new_session(sdk(standin), cents=10)
    assert "0.50" in small.value.user_message


def test_paying_raises_signed_events_that_the_sdk_verifies(standin):
    client = sdk(standin)
    session = new_session(client)
    events = requests.post(f"{standin.url}/_control/sessions/{session.id}/pay", json={"deliver": False}).json()["events"]
    assert [e["type"] for e in events] == ["payment_intent.succeeded", "checkout.session.completed"]
    sent = requests.post(f"{standin.url}/_control/events/{events[1]['id']}/send", json={"timestamp": None}).json()
    event = stripe.Webhook.construct_event(sent["payload"], sent["signature"], SECRET)
    assert event.data.object.payment_status == "paid" and event.data.object.amount_total == 1999
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(sent["payload"], sent["signature"], "whsec_other")
    intent = client.v1.payment_intents.retrieve(event.data.object.payment_intent,
                                                params={"expand": ["latest_charge"]})
    assert intent.status == "succeeded" and intent.metadata["topup_id"] == "42"
    assert intent.latest_charge.receipt_url.startswith(standin.url + "/receipts/ch_test_")


def test_refunds_never_exceed_the_charge(standin):
    client = sdk(standin)
    session = new_session(client, cents=1000)
    requests.post(f"{standin.url}/_control/sessions/{session.id}/pay", json={"deliver": False})
    intent_id = client.v1.checkout.sessions.retrieve(session.id).payment_intent
    refund = client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 600})
    assert refund.status == "succeeded" and refund.amount == 600
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 500})
    assert too_much.value.param == "amount"


def test_pay_page_offers_pay_and_decline_then_returns_to_the_shop(standin):
    session = new_session(sdk(standin), cents=2500)
    page = requests.get(session.url)
    assert page.status_code == 200 and "$25.00" in page.text and 'id="pay"' in page.text
    answer = requests.post(session.url, data={"action": "decline"}, allow_redirects=False)
    assert answer.status_code == 302 and answer.headers["Location"] == "http://shop.test/cancel"
    assert sdk(standin).v1.checkout.sessions.retrieve(session.id).status == "expired"


def test_refunds_are_listed_by_charge(standin):
    client = sdk(standin)
    session = new_session(client, cents=1000)
    requests.post(f"{standin.url}/_control/sessions/{session.id}/pay", json={"deliver": False})
    intent = client.v1.payment_intents.retrieve(client.v1.checkout.sessions.retrieve(session.id).payment_intent)
    client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 300})
    listed = client.v1.refunds.list(params={"charge": intent.latest_charge})
    assert [r.amount for r in listed.data] == [300]
