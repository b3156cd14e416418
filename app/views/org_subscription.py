"""An admin cancels an org's subscription from its detail page (at the end of the paid period, through Stripe)."""
from flask import abort, flash, redirect, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _

from .. import audit
from ..billing import subscribe
from ..billing.stripe_api import PaymentsUnavailable
from ..extensions import db
from ..models import Organization


class SubscriptionRoutesMixin:
    """Mixed into OrgView: the permission is can_cancel_subscription on it (Admin only by default)."""

    @expose("/<int:pk>/subscription/cancel", methods=["POST"])
    @has_access
    def cancel_subscription(self, pk):
        org = db.session.get(Organization, pk) or abort(404)
        try:
            sub = subscribe.set_cancel_at_period_end(db.session, org, True)
        except (subscribe.SubscriptionConflict, PaymentsUnavailable) as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("OrgView.detail", pk=pk))
        audit.record("org.subscription_cancel", org, {"subscription": sub.stripe_subscription_id,
                                                      "after": {"cancel_at_period_end": True}})
        db.session.commit()
        flash(_("Cancellation sent to Stripe: the plan stays until the end of the paid period."), "success")
        return redirect(url_for("OrgView.detail", pk=pk))
