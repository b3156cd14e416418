"""The stand-in's subscriptions: Checkout in subscription mode, renewals, plan changes, cancellation.

Prices are opaque ids (any ``price_...`` is accepted, billed at ``PRICE_CENTS`` unless
``POST /_control/prices`` set its amount). Objects carry both the older and the newer API's
fields where Stripe moved them (``current_period_end`` on the subscription and on its item;
``invoice.subscription`` and ``invoice.parent.subscription_details.subscription``).

API: GET|POST|DELETE /v1/subscriptions/<id> (update sends ``customer.subscription.updated``,
cancel ``customer.subscription.deleted``). Control: POST /_control/subscriptions/<id>/renew
(``{"fail": true}`` for a declined renewal), /_control/subscriptions/<id>/end, and
/_control/prices ``{"price": "price_pro", "cents": 2000}``.
"""
import time

from flask import request

from .ledger import Ledger, StripeError, missing, new_id

PERIOD_S = 30 * 86400
PRICE_CENTS = 2000


class Subscriptions:
    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self.subscriptions: dict[str, dict] = {}
        self.prices: dict[str, int] = {}

    def session_total(self, params: dict) -> int:
        """The first invoice's amount of a Checkout Session in subscription mode; checks its prices."""
        items = params.get("line_items") or []
        if not items:
            raise StripeError(400, "line_items is required in subscription mode.", param="line_items")
        total = 0
        for n, item in enumerate(items):
            price = item.get("price") or ""
            if not price.startswith("price_"):
                raise StripeError(400, f"No such price: '{price}'", code="resource_missing",
                                  param=f"line_items[{n}][price]")
            total += self.prices.get(price, PRICE_CENTS) * int(item.get("quantity", 1))
        return total

    def pay(self, session: dict) -> list[dict]:
        """A paid subscription-mode session: the subscription exists and its first invoice is paid."""
        now = int(time.time())
        price = session["_line_items"][0]["price"]
        sub_id = new_id("sub")
        sub = {"id": sub_id, "object": "subscription", "livemode": False, "created": now,
               "customer": session["customer"], "status": "active", "cancel_at_period_end": False,
               "canceled_at": None, "ended_at": None, "current_period_start": now,
               "current_period_end": now + PERIOD_S, "metadata": dict(session["_subscription_metadata"]),
               "items": {"object": "list", "has_more": False, "url": f"/v1/subscription_items?subscription={sub_id}",
                         "data": [self._item(price, now)]}}
        self.subscriptions[sub_id] = sub
        session.update(status="complete", payment_status="paid", subscription=sub_id)
        invoice = self._invoice(sub, "subscription_create", paid=True)
        return [self.ledger.event("checkout.session.completed", session),
                self.ledger.event("customer.subscription.created", sub),
                self.ledger.event("invoice.paid", invoice)]

    def get(self, sub_id: str) -> dict:
        if sub_id not in self.subscriptions:
            raise missing("subscription", sub_id)
        return self.subscriptions[sub_id]

    def update(self, sub_id: str, params: dict) -> tuple[dict, list[dict]]:
        sub = self.get(sub_id)
        if sub["status"] == "canceled":
            raise StripeError(400, "A canceled subscription can only update its cancellation_details and metadata.")
        for item in params.get("items") or []:
            current = sub["items"]["data"][0]
            if item.get("id") and item["id"] != current["id"]:
                raise StripeError(400, f"No such subscription item: '{item['id']}'", code="resource_missing",
                                  param="items[0][id]")
            if item.get("price"):
                sub["items"]["data"][0] = {**self._item(item["price"], sub["current_period_start"]),
                                           "id": current["id"]}
        if "cancel_at_period_end" in params:
            sub["cancel_at_period_end"] = params["cancel_at_period_end"] == "true"
        sub["metadata"].update(params.get("metadata") or {})
        return sub, [self.ledger.event("customer.subscription.updated", sub)]

    def cancel(self, sub_id: str) -> tuple[dict, list[dict]]:
        sub = self.get(sub_id)
        if sub["status"] == "canceled":
            raise StripeError(400, f"No such subscription: '{sub_id}' is already canceled", code="resource_missing")
        now = int(time.time())
        sub.update(status="canceled", canceled_at=now, ended_at=now)
        return sub, [self.ledger.event("customer.subscription.deleted", sub)]

    def renew(self, sub_id: str, fail: bool) -> list[dict]:
        """The period ends: a paid invoice moves the period on, a declined one makes the subscription past due."""
        sub = self.get(sub_id)
        if fail:
            sub["status"] = "past_due"
            invoice = self._invoice(sub, "subscription_cycle", paid=False, start=sub["current_period_end"])
            return [self.ledger.event("invoice.payment_failed", invoice),
                    self.ledger.event("customer.subscription.updated", sub)]
        start = sub["current_period_end"]
        sub.update(status="active", current_period_start=start, current_period_end=start + PERIOD_S)
        sub["items"]["data"][0].update(current_period_start=start, current_period_end=start + PERIOD_S)
        return [self.ledger.event("invoice.paid", self._invoice(sub, "subscription_cycle", paid=True, start=start))]

    def _item(self, price: str, start: int) -> dict:
        return {"id": new_id("si"), "object": "subscription_item", "quantity": 1,
                "price": {"id": price, "object": "price", "unit_amount": self.prices.get(price, PRICE_CENTS),
                          "currency": "usd", "recurring": {"interval": "month", "interval_count": 1}},
                "current_period_start": start, "current_period_end": start + PERIOD_S}

    def _invoice(self, sub: dict, reason: str, *, paid: bool, start: int | None = None) -> dict:
        start = sub["current_period_start"] if start is None else start
        price = sub["items"]["data"][0]["price"]
        amount = price["unit_amount"]
        return {"id": new_id("in"), "object": "invoice", "livemode": False, "created": int(time.time()),
                "customer": sub["customer"], "subscription": sub["id"], "billing_reason": reason,
                "parent": {"type": "subscription_details", "subscription_details": {"subscription": sub["id"]}},
                "currency": "usd", "amount_due": amount, "amount_paid": amount if paid else 0,
                "status": "paid" if paid else "open", "attempt_count": 1,
                "lines": {"object": "list", "has_more": False, "data": [{
                    "object": "line_item", "amount": amount, "pricing": {"price_details": {"price": price["id"]}},
                    "period": {"start": start, "end": start + PERIOD_S}}]}}


def add_routes(app, subs: Subscriptions, sender, stripe_json, deliver, params) -> None:
    """Mount the subscription endpoints on the stand-in's Flask app."""

    @app.get("/v1/subscriptions/<sub_id>")
    def get_subscription(sub_id):
        with subs.ledger.lock:
            return stripe_json(subs.get(sub_id))

    @app.post("/v1/subscriptions/<sub_id>")
    def update_subscription(sub_id):
        with subs.ledger.lock:
            sub, events = subs.update(sub_id, params())
        sender.send_later(events)
        return stripe_json(sub)

    @app.delete("/v1/subscriptions/<sub_id>")
    def cancel_subscription(sub_id):
        with subs.ledger.lock:
            sub, events = subs.cancel(sub_id)
        sender.send_later(events)
        return stripe_json(sub)

    @app.post("/_control/subscriptions/<sub_id>/renew")
    def control_renew(sub_id):
        with subs.ledger.lock:  # released before delivery: Tollgate reads the subscription back
            events = subs.renew(sub_id, bool((request.get_json(silent=True) or {}).get("fail")))
        return deliver(events)

    @app.post("/_control/subscriptions/<sub_id>/end")
    def control_end(sub_id):
        with subs.ledger.lock:
            events = subs.cancel(sub_id)[1]
        return deliver(events)

    @app.post("/_control/prices")
    def control_prices():
        body = request.get_json(force=True)
        subs.prices[body["price"]] = int(body["cents"])
        return {"prices": subs.prices}
