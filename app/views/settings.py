"""Low-balance alerts: the platform default and each organization's threshold and recipient."""
from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import Organization, PlatformSetting
from .. import platform_settings
from ..platform_settings import LIMITED_ROLES, LOW_BALANCE_KEY, gift_limits, platform_default
from ..roles import SETTINGS
from .base import is_email, parse_usd

class SettingsView(BaseView):
    route_base = "/admin/settings"
    class_permission_name = SETTINGS
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        q = request.args.get("q", "").strip()
        orgs = []
        if q:
            stmt = select(Organization).order_by(Organization.name).limit(50)
            stmt = stmt.where(Organization.id == int(q)) if q.isdigit() else stmt.where(Organization.name.ilike(f"%{q}%"))
            orgs = db.session.scalars(stmt).all()
        return self.render_template("admin/settings.html", default=platform_default(), q=q, orgs=orgs,
                                    gift_limits=gift_limits(), limited_roles=LIMITED_ROLES)

    @expose("/gift-limits", methods=["POST"])
    @has_access
    def save_gift_limits(self):
        """Per-action and per-day gift limits (USD) for each limited role; empty = no limit."""
        try:
            limits = {role: {"per_action": _threshold(request.form.get(f"{role}_per_action_usd"),
                                                      _("%(role)s per gift (USD)", role=role)),
                             "per_day": _threshold(request.form.get(f"{role}_per_day_usd"),
                                                   _("%(role)s per day (USD)", role=role))}
                      for role in LIMITED_ROLES}
        except ValueError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("SettingsView.index"))
        before = platform_settings.save_gift_limits(limits, current_user.id)
        audit.record("settings.gift_limits", ("PlatformSetting", platform_settings.GIFT_LIMITS_KEY),
                     {"before": before, "after": limits})
        db.session.commit()
        flash(_("Gift limits saved."), "success")
        return redirect(url_for("SettingsView.index"))

    @expose("/low-balance", methods=["POST"])
    @has_access
    def save(self):
        org_id = request.form.get("org_id")
        try:
            threshold = _threshold(request.form.get("threshold_usd"))
            email = _email(request.form.get("email"))
        except ValueError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("SettingsView.index", q=request.form.get("q", "")))
        if org_id:
            org = db.session.get(Organization, int(org_id))
            before = {"threshold": org.low_balance_threshold, "email": org.low_balance_email}
            org.low_balance_threshold, org.low_balance_email = threshold, email
            audit.record("settings.org_low_balance", org, {"before": before, "after": {"threshold": threshold, "email": email}})
            message = _("Low-balance alert saved for %(org)s.", org=org.name)
        else:
            row = db.session.get(PlatformSetting, LOW_BALANCE_KEY) or PlatformSetting(key=LOW_BALANCE_KEY)
            before = platform_default()
            row.value, row.updated_by_id = {"threshold": threshold, "email": email}, current_user.id
            db.session.add(row)
            audit.record("settings.platform_low_balance", ("PlatformSetting", LOW_BALANCE_KEY),
                         {"before": before, "after": row.value})
            message = _("Platform default saved.")
        db.session.commit()
        flash(message, "success")
        return redirect(url_for("SettingsView.index", q=request.form.get("q", "")))


def _threshold(raw: str | None, field: str | None = None) -> int | None:
    if not (raw or "").strip():
        return None  # no alert / inherit the platform default / no limit
    return parse_usd(raw, field or _("Threshold (USD)"))


def _email(raw: str | None) -> str | None:
    email = (raw or "").strip()
    if email and not is_email(email):
        raise ValueError(_("Recipient email: %(email)s is not an email address", email=email))
    return email or None


