"""The Wallet page's subscription buttons: subscribe (to Stripe Checkout), change plan, cancel or resume.

Each asks Stripe (app/billing/subscribe.py); the plan moves when Stripe's webhook arrives.
"""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from ..billing import subscribe
from ..billing.stripe_api import PaymentsUnavailable
from ..extensions import db
from ..inputs import InputError
from ..models import OrgRole
from .access import login_required, org_scope
from .blueprint import bp


@bp.post("/orgs/<int:org_id>/subscription")
@login_required
def org_subscribe(org_id: int):
    scope = org_scope(org_id, OrgRole.owner)
    page = url_for("console.org_wallet_page", org_id=org_id, _external=True)
    return _ask(page, lambda plan: subscribe.checkout(db.session, scope.org, plan, success_url=f"{page}?subscribed=1",
                                                      cancel_url=f"{page}?cancelled=1"))


@bp.post("/orgs/<int:org_id>/subscription/change")
@login_required
def org_change_plan(org_id: int):
    scope = org_scope(org_id, OrgRole.owner)
    page = url_for("console.org_wallet_page", org_id=org_id)
    return _ask(page, lambda plan: subscribe.change_plan(db.session, scope.org, plan) and None,
                _("Plan change requested: the new plan applies as soon as Stripe confirms it."))


@bp.post("/orgs/<int:org_id>/subscription/cancel")
@login_required
def org_cancel_subscription(org_id: int):
    scope = org_scope(org_id, OrgRole.owner)
    resume = request.form.get("resume") == "1"
    done = (_("Renewal resumed: the subscription renews at the end of its period.") if resume else
            _("Cancellation requested: the plan stays until the end of the paid period."))
    return _ask(url_for("console.org_wallet_page", org_id=org_id),
                lambda _plan: subscribe.set_cancel_at_period_end(db.session, scope.org, not resume) and None,
                done, needs_plan=False)


def _ask(page: str, action, done: str | None = None, needs_plan: bool = True):
    """Run ``action(plan)``; a checkout URL it returns is where the browser goes next."""
    try:
        plan = subscribe.plan_for_sale(db.session, request.form.get("plan", "")) if needs_plan else None
        url = action(plan)
    except (InputError, subscribe.SubscriptionConflict, PaymentsUnavailable) as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(page)
    db.session.commit()
    if url:
        return redirect(url, code=303)
    flash(done, "info")
    return redirect(page)
