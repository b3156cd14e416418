"""/api/v1/me/billing/subscription: the org's plan, and asking Stripe to start, change or cancel it.

Read by the org's owners, admins and viewers; changed by its owner. A change is a request to
Stripe (202 for change and cancel): the plan moves when Stripe's webhook arrives.
"""
from flask import Blueprint, url_for

from ..billing import subscribe
from ..billing.stripe_api import PaymentsUnavailable
from ..extensions import db
from ..gateway.errors import GatewayError
from ..inputs import InputError
from ..models import Organization, OrgRole
from .caller import json_object, me_endpoint
from .me_billing import READERS

bp = Blueprint("me_subscription_api", __name__, url_prefix="/api/v1/me/billing")


def org_of(actor, *, changing: bool) -> Organization:
    if actor.org_id is None:
        raise GatewayError(403, "permission_error", "subscriptions belong to organizations; this key is personal",
                           code="organization_required")
    allowed = (OrgRole.owner,) if changing else READERS
    if actor.role not in allowed:
        raise GatewayError(403, "permission_error", "only the organization's owner can change its subscription"
                           if changing else "an organization's subscription is for its owners, admins and viewers",
                           code="insufficient_role")
    return db.session.get(Organization, actor.org_id)


def _requesting(action):
    try:
        return action()
    except subscribe.SubscriptionConflict as exc:
        db.session.rollback()
        raise GatewayError(409, "invalid_request_error", str(exc), code="subscription_conflict") from None
    except PaymentsUnavailable as exc:
        db.session.rollback()
        raise GatewayError(502, "api_error", str(exc), code="payments_unavailable") from None


@bp.get("/subscription")
@me_endpoint
def show(actor):
    body = subscribe.describe(db.session, org_of(actor, changing=False))
    db.session.rollback()
    return body


@bp.post("/subscription")
@me_endpoint
def create(actor):
    body = json_object("plan")
    org = org_of(actor, changing=True)
    plan = subscribe.plan_for_sale(db.session, body.get("plan"))
    page = url_for("console.org_wallet_page", org_id=org.id, _external=True)
    url = _requesting(lambda: subscribe.checkout(db.session, org, plan, success_url=f"{page}?subscribed=1",
                                                 cancel_url=f"{page}?cancelled=1"))
    db.session.commit()
    return {"status": "checkout", "plan": plan.code, "checkout_url": url}, 201


@bp.patch("/subscription")
@me_endpoint
def update(actor):
    body = json_object("plan", "cancel_at_period_end")
    if not body:
        raise InputError("plan", "give plan (to change plan) or cancel_at_period_end (true or false)")
    org = org_of(actor, changing=True)
    if "cancel_at_period_end" in body and not isinstance(body["cancel_at_period_end"], bool):
        raise InputError("cancel_at_period_end", "cancel_at_period_end must be true or false")
    if "plan" in body:
        plan = subscribe.plan_for_sale(db.session, body["plan"])
        _requesting(lambda: subscribe.change_plan(db.session, org, plan))
    if "cancel_at_period_end" in body:
        _requesting(lambda: subscribe.set_cancel_at_period_end(db.session, org, body["cancel_at_period_end"]))
    answer = {"status": "requested", "requested": body, **subscribe.describe(db.session, org)}
    db.session.rollback()
    return answer, 202


@bp.delete("/subscription")
@me_endpoint
def cancel(actor):
    org = org_of(actor, changing=True)
    _requesting(lambda: subscribe.set_cancel_at_period_end(db.session, org, True))
    answer = {"status": "requested", "requested": {"cancel_at_period_end": True},
              **subscribe.describe(db.session, org)}
    db.session.rollback()
    return answer, 202
