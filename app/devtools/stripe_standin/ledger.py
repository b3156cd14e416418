"""The stand-in's memory: Checkout Sessions, PaymentIntents, charges, refunds and the events they raise.

Objects are plain dicts in Stripe's JSON shapes (only the fields Tollgate reads, plus the
ones every Stripe object has). One lock guards them all: the stand-in is a dev tool, not a
throughput test.
"""
import secrets
import threading
import time


def new_id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


class StripeError(Exception):
    """Answered in Stripe's error format: {"error": {"type", "code", "message", "param"}}."""

    def __init__(self, status: int, message: str, *, code: str | None = None, param: str | None = None,
                 type_: str = "invalid_request_error"):
        super().__init__(message)
        self.status, self.code, self.param, self.type = status, code, param, type_

    def body(self) -> dict:
        error = {"type": self.type, "message": str(self)}
        if self.code:
            error["code"] = self.code
        if self.param:
            error["param"] = self.param
        return {"error": error}


def missing(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


class Ledger:
    def __init__(self, public_url: str):
        self.public_url = public_url.rstrip("/")
        self.lock = threading.RLock()
        self.sessions: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.customers: dict[str, dict] = {}
        self.events: list[dict] = []
        self.decline_off_session = False  # the saved card is declined (expired, blocked...)
        # Set by the subscriptions module: the total of a subscription-mode session, and paying one.
        self.subscription_total = None
        self.subscription_pay = None

    # -- Checkout Sessions -------------------------------------------------------------------

    def create_session(self, params: dict) -> dict:
        mode = params.get("mode", "payment")
        if mode == "subscription":
            total, currency = self.subscription_total(params), "usd"
        else:
            total, currency = self._payment_total(params)
        for name in ("success_url", "cancel_url"):
            if not params.get(name):
                raise StripeError(400, f"Missing required param: {name}.", param=name)
        session_id = new_id("cs")
        session = {
            "id": session_id, "object": "checkout.session", "livemode": False, "created": int(time.time()),
            "expires_at": int(time.time()) + 86400, "mode": mode,
            "amount_subtotal": total, "amount_total": total, "currency": currency,
            "client_reference_id": params.get("client_reference_id"), "customer": params.get("customer"),
            "customer_email": params.get("customer_email"), "metadata": params.get("metadata") or {},
            "payment_intent": None, "payment_method_types": params.get("payment_method_types") or ["card"],
            "payment_status": "unpaid", "status": "open", "subscription": None,
            "success_url": params["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id),
            "cancel_url": params["cancel_url"], "url": f"{self.public_url}/pay/{session_id}",
            "_intent_metadata": (params.get("payment_intent_data") or {}).get("metadata") or {},
            "_save_card": (params.get("payment_intent_data") or {}).get("setup_future_usage") == "off_session",
            "_line_items": params.get("line_items") or [],
            "_subscription_metadata": (params.get("subscription_data") or {}).get("metadata") or {},
        }
        with self.lock:
            self.sessions[session_id] = session
        return session

    def _payment_total(self, params: dict) -> tuple[int, str]:
        items = params.get("line_items") or []
        if not items:
            raise StripeError(400, "line_items is required in payment mode.", param="line_items")
        total, currency = 0, None
        for n, item in enumerate(items):
            data = item.get("price_data") or {}
            try:
                unit, quantity = int(data["unit_amount"]), int(item.get("quantity", 1))
            except (KeyError, ValueError):
                raise StripeError(400, "Invalid integer: unit_amount", param=f"line_items[{n}][price_data][unit_amount]") from None
            if unit < 50:
                raise StripeError(400, "The Checkout Session's total amount due must add up to at least $0.50 usd",
                                  param=f"line_items[{n}][price_data][unit_amount]")
            total += unit * quantity
            currency = data.get("currency", "usd")
        return total, currency

    def session(self, session_id: str) -> dict:
        with self.lock:
            if session_id not in self.sessions:
                raise missing("checkout.session", session_id)
            return self.sessions[session_id]

    def pay(self, session_id: str, *, asynchronous: bool = False) -> list[dict]:
        """The customer pays: the session completes (unpaid first for an async method); returns its events."""
        with self.lock:
            session = self.session(session_id)
            if session["status"] != "open":
                raise StripeError(400, f"Checkout Session {session_id} is {session['status']}", code="session_not_open")
            if session["mode"] == "subscription":
                return self.subscription_pay(session)
            intent = self._intent(session, "processing" if asynchronous else "succeeded")
            if session["_save_card"] and session["customer"] in self.customers:
                method = new_id("pm")
                intent["payment_method"] = method
                self.customers[session["customer"]]["invoice_settings"]["default_payment_method"] = method
            session.update(status="complete", payment_intent=intent["id"],
                           payment_status="unpaid" if asynchronous else "paid")
            events = [self.event("checkout.session.completed", session)]
            if not asynchronous:
                events.insert(0, self.event("payment_intent.succeeded", intent))
            return events

    def settle_async(self, session_id: str, succeeded: bool) -> list[dict]:
        """A delayed method (bank debit, some wallets) finally succeeds or fails."""
        with self.lock:
            session = self.session(session_id)
            intent = self.intents[session["payment_intent"]]
            if succeeded:
                self._succeed(intent)
                session["payment_status"] = "paid"
                return [self.event("payment_intent.succeeded", intent),
                        self.event("checkout.session.async_payment_succeeded", session)]
            intent.update(status="requires_payment_method", last_payment_error=_declined())
            return [self.event("payment_intent.payment_failed", intent),
                    self.event("checkout.session.async_payment_failed", session)]

    def decline(self, session_id: str) -> list[dict]:
        """The card is declined: the PaymentIntent fails and the session expires without payment."""
        with self.lock:
            session = self.session(session_id)
            if session["status"] != "open":
                raise StripeError(400, f"Checkout Session {session_id} is {session['status']}", code="session_not_open")
            intent = self._intent(session, "requires_payment_method")
            intent["last_payment_error"] = _declined()
            session.update(status="expired", payment_intent=intent["id"])
            return [self.event("payment_intent.payment_failed", intent),
                    self.event("checkout.session.expired", session)]

    # -- PaymentIntents, charges, refunds ----------------------------------------------------

    def _intent(self, session: dict, status: str) -> dict:
        intent = {"id": new_id("pi"), "object": "payment_intent", "livemode": False, "created": int(time.time()),
                  "amount": session["amount_total"], "amount_received": 0, "currency": session["currency"],
                  "customer": session["customer"], "metadata": dict(session["_intent_metadata"]),
                  "status": status, "latest_charge": None, "last_payment_error": None}
        self.intents[intent["id"]] = intent
        if status == "succeeded":
            self._succeed(intent)
        return intent

    def _succeed(self, intent: dict) -> None:
        charge_id = new_id("ch")
        self.charges[charge_id] = {
            "id": charge_id, "object": "charge", "livemode": False, "created": int(time.time()),
            "amount": intent["amount"], "amount_captured": intent["amount"], "amount_refunded": 0,
            "currency": intent["currency"], "paid": True, "refunded": False, "status": "succeeded",
            "payment_intent": intent["id"], "metadata": dict(intent["metadata"]),
            "receipt_url": f"{self.public_url}/receipts/{charge_id}",
            "refunds": {"object": "list", "data": [], "has_more": False, "url": f"/v1/charges/{charge_id}/refunds"},
        }
        intent.update(status="succeeded", amount_received=intent["amount"], latest_charge=charge_id)

    def intent(self, intent_id: str) -> dict:
        with self.lock:
            if intent_id not in self.intents:
                raise missing("payment_intent", intent_id)
            return self.intents[intent_id]

    def charge(self, charge_id: str) -> dict:
        with self.lock:
            if charge_id not in self.charges:
                raise missing("charge", charge_id)
            return self.charges[charge_id]

    def refund(self, params: dict) -> tuple[dict, dict]:
        """Refund (part of) a charge, named by its PaymentIntent or itself; returns the refund and the charge."""
        with self.lock:
            if params.get("payment_intent"):
                intent = self.intent(params["payment_intent"])
                if not intent["latest_charge"]:
                    raise StripeError(400, "This PaymentIntent has no successful charge to refund.",
                                      code="charge_not_refundable", param="payment_intent")
                charge = self.charges[intent["latest_charge"]]
            elif params.get("charge"):
                charge = self.charge(params["charge"])
            else:
                raise StripeError(400, "One of the following params should be provided for this request: "
                                  "payment_intent or charge.", param="payment_intent")
            left = charge["amount"] - charge["amount_refunded"]
            try:
                amount = int(params.get("amount", left))
            except ValueError:
                raise StripeError(400, "Invalid integer: amount", param="amount") from None
            if left <= 0:
                raise StripeError(400, f"Charge {charge['id']} has already been refunded.",
                                  code="charge_already_refunded")
            if not 0 < amount <= left:
                raise StripeError(400, f"Refund amount ({amount / 100:.2f}) is greater than unrefunded amount on "
                                  f"charge ({left / 100:.2f})", param="amount")
            refund = {"id": new_id("re"), "object": "refund", "amount": amount, "charge": charge["id"],
                      "currency": charge["currency"], "created": int(time.time()),
                      "payment_intent": charge["payment_intent"], "metadata": params.get("metadata") or {},
                      "reason": params.get("reason"), "status": "succeeded"}
            charge["refunds"]["data"].insert(0, refund)
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            return refund, charge

    def create_customer(self, params: dict) -> dict:
        customer = {"id": new_id("cus"), "object": "customer", "livemode": False, "created": int(time.time()),
                    "email": params.get("email"), "name": params.get("name"), "metadata": params.get("metadata") or {},
                    "invoice_settings": {"default_payment_method": None}}
        with self.lock:
            self.customers[customer["id"]] = customer
        return customer

    def customer(self, customer_id: str) -> dict:
        with self.lock:
            if customer_id not in self.customers:
                raise missing("customer", customer_id)
            return self.customers[customer_id]

    def charge_saved_card(self, params: dict) -> tuple[dict, list[dict]]:
        """An off-session PaymentIntent, confirmed at once; declined when ``decline_off_session``."""
        with self.lock:
            customer = self.customer(params.get("customer") or "")
            method = params.get("payment_method") or customer["invoice_settings"]["default_payment_method"]
            if not method:
                raise StripeError(400, "The customer has no default payment method.", param="payment_method")
            try:
                amount = int(params["amount"])
            except (KeyError, ValueError):
                raise StripeError(400, "Invalid integer: amount", param="amount") from None
            session = {"amount_total": amount, "currency": params.get("currency", "usd"), "customer": customer["id"],
                       "_intent_metadata": params.get("metadata") or {}}
            if self.decline_off_session:
                intent = self._intent(session, "requires_payment_method")
                intent.update(payment_method=method, last_payment_error=_declined())
                error = StripeError(402, "Your card was declined.", code="card_declined", type_="card_error")
                error.events = [self.event("payment_intent.payment_failed", intent)]
                error.intent = intent
                raise error
            intent = self._intent(session, "succeeded")
            intent["payment_method"] = method
            return intent, [self.event("payment_intent.succeeded", intent)]

    # -- Events ------------------------------------------------------------------------------

    def event(self, type_: str, obj: dict) -> dict:
        event = {"id": new_id("evt"), "object": "event", "api_version": "2025-01-27.acacia",
                 "created": int(time.time()), "livemode": False, "pending_webhooks": 1,
                 "request": {"id": None, "idempotency_key": None}, "type": type_,
                 "data": {"object": public(obj)}}
        with self.lock:
            self.events.append(event)
        return event

    def find_event(self, event_id: str) -> dict:
        with self.lock:
            for event in self.events:
                if event["id"] == event_id:
                    return event
        raise missing("event", event_id)


def public(obj: dict) -> dict:
    """The object as Stripe shows it: without the stand-in's own bookkeeping keys."""
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def _declined() -> dict:
    return {"type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
            "message": "Your card was declined."}
