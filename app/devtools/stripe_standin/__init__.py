"""A Stripe stand-in for development and tests: the few API endpoints Tollgate calls, offline.

It answers the official ``stripe`` SDK (form-encoded requests, Stripe's JSON objects and
error format) and sends webhooks signed with Stripe's scheme, so Tollgate's real
verification code runs. Mount ``create_standin_app()`` under ``/_stripe`` (the embedded
default does) or run it alone::

    python -m app.devtools.stripe_standin --port 12111 --webhook-url http://127.0.0.1:8000/webhooks/stripe

API (``Authorization: Bearer sk_...``): POST /v1/checkout/sessions, GET /v1/checkout/sessions/<id>,
GET /v1/payment_intents/<id>, GET /v1/charges/<id>, POST|GET /v1/refunds, POST /v1/customers, GET /v1/customers/<id>,
POST /v1/payment_intents (off-session charges of a saved card: Checkout saves one when asked
with ``payment_intent_data[setup_future_usage]=off_session`` and a customer). Checkout in
subscription mode and GET|POST|DELETE /v1/subscriptions/<id>: see ``subscriptions.py``.

People: GET /pay/<session id> is the hosted payment page (Pay / Decline buttons); paying
sends ``payment_intent.succeeded`` and ``checkout.session.completed``, declining
``payment_intent.payment_failed`` and ``checkout.session.expired`` (a subscription-mode session:
``checkout.session.completed``, ``customer.subscription.created``, ``invoice.paid``), then returns to the
session's success or cancel URL. GET /receipts/<charge id> is the charge's receipt.

Control (tests): POST /_control/sessions/<id>/{pay,pay_async,async_succeeded,async_failed,decline}
and /_control/charges/<id>/refund (a refund from the dashboard: ``charge.refunded``) take
``{"deliver": false}`` to get the events back unsent; POST /_control/events/<id>/send
re-sends one (signed anew, ``{"timestamp": ...}`` to sign as of another time);
POST /_control/delay ``{"path": "/v1/payment_intents", "seconds": 30}`` slows matching API
calls; POST /_control/decline_off_session ``{"on": true}`` declines saved cards;
GET /_control/requests lists the API calls received.
"""
import time

from flask import Flask, Response, jsonify, redirect, render_template_string, request

from .ledger import Ledger, StripeError, public
from .subscriptions import Subscriptions, add_routes as add_subscription_routes
from .wire import Sender, decode_form, encode_event, sign

__all__ = ["create_standin_app", "sign", "encode_event"]


def create_standin_app(*, public_url: str, webhook_url: str | None, webhook_secret: str,
                       api_key_prefix: str = "sk_") -> Flask:
    app = Flask(__name__)
    ledger = Ledger(public_url)
    subs = Subscriptions(ledger)
    ledger.subscription_total, ledger.subscription_pay = subs.session_total, subs.pay
    sender = Sender(webhook_url, webhook_secret)
    app.extensions["stripe_standin"] = {"ledger": ledger, "sender": sender}
    api_log: list[dict] = []
    delays: dict[str, float] = {}

    def stripe_json(obj, status=200):
        return Response(encode_event(obj), status, content_type="application/json")

    @app.errorhandler(StripeError)
    def stripe_error(exc: StripeError):
        if getattr(exc, "events", None):  # a declined charge still tells the webhook
            sender.send_later(exc.events)
        body = exc.body()
        if getattr(exc, "intent", None):
            body["error"]["payment_intent"] = exc.intent
        return stripe_json(body, exc.status)

    @app.before_request
    def authenticate():
        if not request.path.startswith("/v1/"):
            return None
        api_log.append({"method": request.method, "path": request.path, "at": time.time()})
        for prefix, seconds in list(delays.items()):
            if request.path.startswith(prefix):
                time.sleep(seconds)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer " + api_key_prefix):
            raise StripeError(401, "Invalid API Key provided.", type_="invalid_request_error")
        return None

    def params() -> dict:
        return decode_form(request.form.items(multi=True))

    @app.post("/v1/checkout/sessions")
    def create_session():
        return stripe_json(public(ledger.create_session(params())))

    @app.get("/v1/checkout/sessions/<session_id>")
    def get_session(session_id):
        return stripe_json(public(ledger.session(session_id)))

    @app.get("/v1/payment_intents/<intent_id>")
    def get_intent(intent_id):
        intent = dict(ledger.intent(intent_id))
        if "latest_charge" in (decode_form(request.args.items(multi=True)).get("expand") or []):
            intent["latest_charge"] = ledger.charge(intent["latest_charge"]) if intent["latest_charge"] else None
        return stripe_json(intent)

    @app.get("/v1/charges/<charge_id>")
    def get_charge(charge_id):
        return stripe_json(ledger.charge(charge_id))

    @app.post("/v1/refunds")
    def create_refund():
        refund, charge = ledger.refund(params())
        sender.send_later([ledger.event("charge.refunded", charge)])
        return stripe_json(refund)

    @app.get("/v1/refunds")
    def list_refunds():
        query = decode_form(request.args.items(multi=True))
        charges = [ledger.charge(query["charge"])] if query.get("charge") else list(ledger.charges.values())
        data = [r for c in charges for r in c["refunds"]["data"]]
        return stripe_json({"object": "list", "data": data, "has_more": False, "url": "/v1/refunds"})

    @app.post("/v1/customers")
    def create_customer():
        return stripe_json(ledger.create_customer(params()))

    @app.get("/v1/customers/<customer_id>")
    def get_customer(customer_id):
        return stripe_json(ledger.customer(customer_id))

    @app.post("/v1/payment_intents")
    def create_intent():
        intent, events = ledger.charge_saved_card(params())
        sender.send_later(events)
        return stripe_json(intent)

    @app.errorhandler(404)
    @app.errorhandler(405)
    def unknown_route(exc):
        return stripe_json(StripeError(exc.code, f"Unrecognized request URL ({request.method}: {request.path}).").body(),
                           exc.code)

    # -- The hosted payment page ---------------------------------------------------------------

    @app.get("/pay/<session_id>")
    def pay_page(session_id):
        session = ledger.session(session_id)
        return render_template_string(_PAY_PAGE, session=session, amount=f"{session['amount_total'] / 100:,.2f}")

    @app.post("/pay/<session_id>")
    def pay_submit(session_id):
        session = ledger.session(session_id)
        if request.form.get("action") == "pay":
            sender.send_later(ledger.pay(session_id))
            return redirect(session["success_url"])
        sender.send_later(ledger.decline(session_id))
        return redirect(session["cancel_url"])

    @app.get("/receipts/<charge_id>")
    def receipt(charge_id):
        charge = ledger.charge(charge_id)
        return render_template_string(_RECEIPT_PAGE, charge=charge, amount=f"{charge['amount'] / 100:,.2f}")

    # -- Control, for tests ----------------------------------------------------------------------

    def deliver(events: list[dict]):
        body = request.get_json(silent=True) or {}
        if body.get("deliver", True):
            statuses = sender.send_all(events)
            return jsonify({"events": events, "statuses": statuses})
        return jsonify({"events": events})

    actions = {"pay": lambda s: ledger.pay(s), "pay_async": lambda s: ledger.pay(s, asynchronous=True),
               "async_succeeded": lambda s: ledger.settle_async(s, True),
               "async_failed": lambda s: ledger.settle_async(s, False), "decline": ledger.decline}

    add_subscription_routes(app, subs, sender, stripe_json, deliver, params)

    @app.post("/_control/sessions/<session_id>/<action>")
    def control_session(session_id, action):
        if action not in actions:
            raise StripeError(404, f"unknown action {action}; known: {', '.join(actions)}")
        return deliver(actions[action](session_id))

    @app.post("/_control/charges/<charge_id>/refund")
    def control_refund(charge_id):
        amount = (request.get_json(silent=True) or {}).get("amount")
        _, charge = ledger.refund({"charge": charge_id, **({"amount": amount} if amount else {})})
        return deliver([ledger.event("charge.refunded", charge)])

    @app.post("/_control/events/<event_id>/send")
    def control_send(event_id):
        event = ledger.find_event(event_id)
        payload = encode_event(event)
        timestamp = (request.get_json(silent=True) or {}).get("timestamp")
        return jsonify({"payload": payload.decode(), "signature": sign(payload, sender.secret, timestamp),
                        "status": sender.send(event) if timestamp is None else None})

    @app.post("/_control/decline_off_session")
    def control_decline():
        ledger.decline_off_session = bool((request.get_json(silent=True) or {}).get("on"))
        return jsonify({"decline_off_session": ledger.decline_off_session})

    @app.post("/_control/delay")
    def control_delay():
        body = request.get_json(force=True)
        if body.get("seconds"):
            delays[body["path"]] = float(body["seconds"])
        else:
            delays.pop(body["path"], None)
        return jsonify(delays)

    @app.get("/_control/requests")
    def control_requests():
        return jsonify(api_log)

    @app.get("/_control/deliveries")
    def control_deliveries():
        return jsonify(sender.deliveries)

    return app


_PAY_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Stripe stand-in: pay</title>
<style>body{font-family:sans-serif;max-width:28em;margin:3em auto}button{font-size:1.1em;margin-right:1em}</style>
</head><body><h1>Stripe stand-in</h1>
<p>A development stand-in for Stripe Checkout: no card is charged.</p>
<p>Amount due: <strong id="amount">${{ amount }} {{ session.currency|upper }}</strong></p>
{% if session.status == "open" %}
<form method="post"><button id="pay" name="action" value="pay">Pay</button>
<button id="decline" name="action" value="decline">Decline</button></form>
{% else %}<p id="closed">This session is {{ session.status }}.</p>{% endif %}
</body></html>"""

_RECEIPT_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Receipt</title></head>
<body><h1>Receipt (Stripe stand-in)</h1><p>Charge {{ charge.id }}: ${{ amount }} {{ charge.currency|upper }},
{{ charge.status }}{% if charge.amount_refunded %}, {{ charge.amount_refunded / 100 }} refunded{% endif %}.</p></body></html>"""
