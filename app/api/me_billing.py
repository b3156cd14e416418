"""/api/v1/me/billing: top-ups (quote, then a Stripe Checkout Session) and the wallet's transactions.

Top-ups are for whoever owns the wallet: an org's owner, or an individual for their own.
Transactions are read by the org's owners, admins and viewers, or by the individual.
"""
from flask import Blueprint, request, url_for
from sqlalchemy import select

from ..billing import auto_recharge, statement, topups
from ..billing.stripe_api import PaymentsUnavailable
from ..extensions import db
from ..gateway.errors import GatewayError
from ..models import Organization, OrgRole, TollgateUser, Wallet
from .caller import int_arg, json_object, me_endpoint

bp = Blueprint("me_billing_api", __name__, url_prefix="/api/v1/me/billing")
READERS = (OrgRole.owner, OrgRole.admin, OrgRole.viewer)


def wallet_of(actor, *, paying: bool) -> Wallet:
    if actor.org_id is None:
        return db.session.scalar(select(Wallet).where(Wallet.user_id == actor.user_id))
    if paying and actor.role != OrgRole.owner:
        raise GatewayError(403, "permission_error", "only the organization's owner can top up its wallet",
                           code="insufficient_role")
    if not paying and actor.role not in READERS:
        raise GatewayError(403, "permission_error", "an organization's transactions are for its owners, admins "
                           "and viewers", code="insufficient_role")
    return db.session.scalar(select(Wallet).where(Wallet.org_id == actor.org_id))


def billing_email(actor) -> str | None:
    if actor.org_id is not None:
        email = db.session.scalar(select(Organization.billing_email).where(Organization.id == actor.org_id))
        if email:
            return email
    return db.session.scalar(select(TollgateUser.email).where(TollgateUser.id == actor.user_id))


@bp.get("/topups/quote")
@me_endpoint
def quote(actor):
    wallet = wallet_of(actor, paying=True)
    q = topups.quote(db.session, wallet.id, actor.plan_id, request.args.get("amount_usd"),
                     request.args.get("discount_code"))
    db.session.rollback()
    return topups.describe(q)


@bp.post("/topups")
@me_endpoint
def create_topup(actor):
    body = json_object("amount_usd", "discount_code")
    wallet = wallet_of(actor, paying=True)
    q = topups.quote(db.session, wallet.id, actor.plan_id, body.get("amount_usd"), body.get("discount_code"))
    # The payer comes back to the console's Wallet page, on the host this API was called on.
    page = (url_for("console.org_wallet_page", org_id=actor.org_id, _external=True) if actor.org_id
            else url_for("console.wallet", _external=True))
    try:
        org = db.session.get(Organization, actor.org_id) if actor.org_id else None
        customer = auto_recharge.ensure_customer(db.session, org) if org else None
        topup, checkout_url = topups.start(db.session, q, wallet_id=wallet.id, user_id=actor.user_id,
                                           email=billing_email(actor), cancel_url=f"{page}?cancelled=1",
                                           success_url=f"{page}?paid={{CHECKOUT_SESSION_ID}}", customer=customer)
    except PaymentsUnavailable as exc:
        db.session.rollback()
        raise GatewayError(502, "api_error", str(exc), code="payments_unavailable") from None
    body = {"id": topup.ledger_entry_id, "topup_id": topup.id, "status": "pending",
            "checkout_url": checkout_url, "stripe_session_id": topup.stripe_session_id, **topups.describe(q)}
    db.session.commit()
    return body, 201


@bp.get("/transactions")
@me_endpoint
def transactions(actor):
    wallet = wallet_of(actor, paying=False)
    stmt = statement.query(wallet.id, request.args)
    rows, next_after = statement.page(db.session, stmt, int_arg("after"), int_arg("limit", 50, 1, 200))
    db.session.rollback()
    return {"data": rows, "next_after": next_after}


@bp.get("/transactions.csv")
@me_endpoint
def transactions_csv(actor):
    wallet = wallet_of(actor, paying=False)
    stmt = statement.query(wallet.id, request.args)
    db.session.rollback()
    return statement.csv_stream(stmt)

