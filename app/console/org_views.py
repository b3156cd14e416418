"""Org administration: creating an org, its members (invite, role, remove, transfer) and its settings."""
import datetime as dt

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import audit, key_fields
from .. import memberships
from ..accounts import add_member, create_org
from ..billing import topups, trial
from ..billing.units import credits_to_usd
from ..events import emitters
from ..extensions import db
from ..inputs import InputError
from ..models import Membership, OrgInvite, OrgRole, TollgateUser, utcnow
from . import links
from .access import MANAGERS, get_in_org, login_required, org_scope
from .blueprint import bp
from .forms import ConfirmForm, InviteForm, OrgForm, OrgSettingsForm, RoleForm

# Plan of an org created from the console; admins move it to another plan in the back office.
NEW_ORG_PLAN = "free"


@bp.route("/orgs/new", methods=["GET", "POST"])
@login_required
def new_org():
    if current_user.email_verified_at is None:
        flash(_("Confirm your email address before creating an organization."), "warning")
        return redirect(url_for("console.home"))
    form = OrgForm()
    if form.validate_on_submit():
        org = create_org(form.name.data.strip(), plan_code=NEW_ORG_PLAN, billing_email=current_user.email)
        add_member(org, current_user, OrgRole.owner)
        trial.grant_to_org(db.session, org, current_user.email, actor_id=current_user.id)
        audit.record("console.org_created", target=org, details={"name": org.name})
        db.session.commit()
        flash(_("%(org)s is created; you are its owner.", org=org.name), "success")
        return redirect(url_for("console.org_dashboard", org_id=org.id))
    return render_template("console/org_new.html", form=form), 400 if form.errors else 200


@bp.get("/orgs/<int:org_id>/members")
@login_required
def members(org_id: int):
    return _members_page(org_scope(org_id, *MANAGERS))


def _members_page(scope, status: int = 200, invite_form: InviteForm | None = None):
    rows = db.session.execute(
        select(Membership, TollgateUser).join(TollgateUser, TollgateUser.id == Membership.user_id)
        .where(Membership.org_id == scope.org.id).order_by(Membership.created_at)).all()
    oldest = utcnow() - dt.timedelta(days=current_app.config["CONSOLE_INVITE_LINK_DAYS"])
    pending = db.session.scalars(
        select(OrgInvite).where(OrgInvite.org_id == scope.org.id, OrgInvite.accepted_at.is_(None),
                                OrgInvite.withdrawn_at.is_(None), OrgInvite.created_at > oldest)
        .order_by(OrgInvite.created_at.desc())).all()
    return render_template("console/members.html", scope=scope, rows=rows, pending=pending,
                           invite_form=invite_form or InviteForm(), role_form=RoleForm(),
                           confirm=ConfirmForm()), status


@bp.post("/orgs/<int:org_id>/members/invite")
@login_required
def invite(org_id: int):
    scope = org_scope(org_id, *MANAGERS)
    form = InviteForm()
    if not form.validate_on_submit():
        return _refused(scope, form)
    email = form.email.data.strip().lower()
    try:
        invitation = memberships.invite(scope.org, email, OrgRole(form.role.data), current_user.id)
    except memberships.MembershipError as exc:
        flash(str(exc), "warning")
        return redirect(url_for("console.members", org_id=org_id))
    audit.record("console.member_invited", target=scope.org,
                 details={"email": email, "role": form.role.data, "invite_id": invitation.id})
    emitters.member_invited(db.session, org_id, email, form.role.data, invited_by=current_user.id)
    db.session.commit()
    try:
        links.send_invite(invitation, scope.org.name, current_user)
        flash(_("Invitation sent to %(email)s.", email=email), "success")
    except OSError:
        flash(_("The invitation could not be sent just now; try again in a few minutes."), "danger")
    return redirect(url_for("console.members", org_id=org_id))


@bp.post("/orgs/<int:org_id>/invites/<int:invite_id>/withdraw")
@login_required
def withdraw_invite(org_id: int, invite_id: int):
    scope = org_scope(org_id, *MANAGERS)
    invitation = get_in_org(OrgInvite, invite_id, scope.org)
    if not ConfirmForm().validate_on_submit():
        return _refused(scope, ConfirmForm())
    if invitation.accepted_at is None and invitation.withdrawn_at is None:
        invitation.withdrawn_at = utcnow()
        audit.record("console.invite_withdrawn", target=scope.org, details={"invite_id": invitation.id,
                                                                            "email": invitation.email})
        db.session.commit()
    flash(_("The invitation of %(email)s is withdrawn.", email=invitation.email), "success")
    return redirect(url_for("console.members", org_id=org_id))


@bp.post("/orgs/<int:org_id>/members/<int:membership_id>/role")
@login_required
def change_role(org_id: int, membership_id: int):
    scope = org_scope(org_id, *MANAGERS)
    membership = get_in_org(Membership, membership_id, scope.org)
    form = RoleForm()
    if not form.validate_on_submit():
        return _refused(scope, form)
    try:
        before = memberships.change_role(membership, OrgRole(form.role.data))
    except memberships.MembershipError as exc:
        flash(str(exc), "danger")
        return _members_page(scope, 400)
    audit.record("console.member_role_changed", target=membership,
                 details={"user_id": membership.user_id, "before": before, "after": membership.role.value})
    db.session.commit()
    flash(_("Role changed."), "success")
    return redirect(url_for("console.members", org_id=org_id))


@bp.post("/orgs/<int:org_id>/members/<int:membership_id>/remove")
@login_required
def remove_member(org_id: int, membership_id: int):
    scope = org_scope(org_id, *MANAGERS)
    membership = get_in_org(Membership, membership_id, scope.org)
    if not ConfirmForm().validate_on_submit():
        return _refused(scope, ConfirmForm())
    user_id = membership.user_id
    try:
        revoked = memberships.remove(membership)
    except memberships.MembershipError as exc:
        flash(str(exc), "danger")
        return _members_page(scope, 400)
    audit.record("console.member_removed", target=scope.org, details={"user_id": user_id, "keys_revoked": revoked})
    db.session.commit()
    flash(_("Member removed; %(count)d key(s) revoked.", count=len(revoked)), "success")
    return redirect(url_for("console.members", org_id=org_id))


@bp.post("/orgs/<int:org_id>/members/<int:membership_id>/transfer")
@login_required
def transfer_ownership(org_id: int, membership_id: int):
    scope = org_scope(org_id, OrgRole.owner)
    membership = get_in_org(Membership, membership_id, scope.org)
    if not ConfirmForm().validate_on_submit():
        return _refused(scope, ConfirmForm())
    if membership.id == scope.membership.id:
        flash(_("You already own this organization."), "info")
        return redirect(url_for("console.members", org_id=org_id))
    membership.role, scope.membership.role = OrgRole.owner, OrgRole.admin
    audit.record("console.ownership_transferred", target=scope.org,
                 details={"from_user_id": current_user.id, "to_user_id": membership.user_id})
    db.session.commit()
    flash(_("Ownership transferred; you are now an admin of this organization."), "success")
    return redirect(url_for("console.members", org_id=org_id))


@bp.route("/orgs/<int:org_id>/settings", methods=["GET", "POST"])
@login_required
def org_settings(org_id: int):
    scope = org_scope(org_id, *MANAGERS)
    org = scope.org
    form = OrgSettingsForm(retention_days=org.retention_days)
    if form.validate_on_submit() and _auto_recharge_valid(form, scope):
        before = audit.snapshot(org, SETTINGS_AUDITED)
        org.low_balance_threshold = getattr(form.low_balance_usd, "credits", None)
        org.low_balance_email = (form.low_balance_email.data or "").strip().lower() or None
        org.auto_recharge_threshold = getattr(form.auto_recharge_threshold_usd, "credits", None)
        org.auto_recharge_amount = getattr(form.auto_recharge_amount_usd, "credits", None)
        org.retention_days = form.retention_days.data
        org.key_defaults = _key_defaults(form)
        audit.record("console.org_settings_changed", target=org,
                     details=audit.changes(before, audit.snapshot(org, SETTINGS_AUDITED)))
        db.session.commit()
        flash(_("Settings saved."), "success")
        return redirect(url_for("console.org_settings", org_id=org_id))
    if not form.is_submitted():
        form.low_balance_usd.data = _usd_text(org.low_balance_threshold)
        form.low_balance_email.data = org.low_balance_email
        form.auto_recharge_threshold_usd.data = _usd_text(org.auto_recharge_threshold)
        form.auto_recharge_amount_usd.data = _usd_text(org.auto_recharge_amount)
        for name, value in (org.key_defaults or {}).items():
            getattr(form, f"default_{name}").data = value
    return render_template("console/org_settings.html", scope=scope, form=form), 400 if form.errors else 200


SETTINGS_AUDITED = ["low_balance_threshold", "low_balance_email", "auto_recharge_threshold", "auto_recharge_amount",
                    "retention_days", "key_defaults"]


def _key_defaults(form: OrgSettingsForm) -> dict | None:
    """The filled default-cap boxes, in the shape key_fields.parse takes (USD as decimal strings)."""
    values = {name: getattr(form, f"default_{name}").data for name in key_fields.DEFAULTABLE}
    for name in ("per_request_cap_usd", "cap_1d_usd"):
        values[name] = _usd_text(getattr(form[f"default_{name}"], "credits", None)) or None
    return {name: value for name, value in values.items() if value is not None} or None


def _auto_recharge_valid(form: OrgSettingsForm, scope) -> bool:
    """Both auto-recharge fields or neither; the amount within the top-up bounds; set by the owner only."""
    threshold, amount = form.auto_recharge_threshold_usd, form.auto_recharge_amount_usd
    wanted = (getattr(threshold, "credits", None), getattr(amount, "credits", None))
    if wanted != (scope.org.auto_recharge_threshold, scope.org.auto_recharge_amount) and not scope.can(OrgRole.owner):
        threshold.errors.append(_("only the organization's owner can change auto-recharge (it charges their card)"))
        return False
    if (wanted[0] is None) != (wanted[1] is None):
        (amount if wanted[1] is None else threshold).errors.append(_("set both auto-recharge fields, or neither"))
        return False
    if wanted[1] is not None:
        try:
            topups.parse_amount(amount.data.strip())
        except InputError as exc:
            amount.errors.append(str(exc).replace("amount_usd", "the amount"))
            return False
    return True


def _usd_text(credits: int | None) -> str:
    return "" if credits is None else format(credits_to_usd(credits).normalize(), "f")


def _refused(scope, form):
    """The members page again, with a 400 naming each bad field (a missing CSRF token included)."""
    problems = "; ".join(f"{name}: {' '.join(map(str, errs))}" for name, errs in form.errors.items())
    flash(problems or "The form was not valid; reload the page and try again.", "danger")
    return _members_page(scope, 400, form if isinstance(form, InviteForm) else None)
