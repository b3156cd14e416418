"""The official Stripe SDK, configured from the app's settings; the one place Tollgate builds a client."""
import stripe
from flask import current_app


class PaymentsUnavailable(RuntimeError):
    """Stripe is not configured, or did not answer: nothing was charged."""


def client() -> stripe.StripeClient:
    cfg = current_app.config
    if not cfg.get("STRIPE_SECRET_KEY"):
        raise PaymentsUnavailable("payments are not configured on this deployment (STRIPE_SECRET_KEY)")
    # One client per key and base: settings may change between tests, never within a process.
    cache = current_app.extensions.setdefault("tollgate_stripe", {})
    key = (cfg["STRIPE_SECRET_KEY"], cfg.get("STRIPE_API_BASE"))
    if key not in cache:
        bases = {"api": cfg["STRIPE_API_BASE"]} if cfg.get("STRIPE_API_BASE") else None
        cache[key] = stripe.StripeClient(cfg["STRIPE_SECRET_KEY"], base_addresses=bases, max_network_retries=2)
    return cache[key]


def checkout_origin() -> str:
    """Where Checkout's payment page lives: Stripe's, or the stand-in's under STRIPE_API_BASE."""
    from urllib.parse import urlsplit

    base = current_app.config.get("STRIPE_API_BASE")
    if not base:
        return "https://checkout.stripe.com"
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}"


def verify(payload: bytes, signature: str | None) -> stripe.Event:
    """The event, if ``signature`` is Stripe's for ``payload`` and recent; raises ValueError or
    stripe.SignatureVerificationError otherwise."""
    cfg = current_app.config
    return stripe.Webhook.construct_event(payload, signature or "", cfg["STRIPE_WEBHOOK_SECRET"],
                                          tolerance=cfg["STRIPE_WEBHOOK_TOLERANCE_S"])


def cents(credits: int) -> int:
    """Stripe's USD amounts are cents; ours are credits (1 USD = 1,000,000). Callers pass whole cents."""
    if credits % 10_000:
        raise ValueError(f"{credits} credits is not a whole number of cents")
    return credits // 10_000
