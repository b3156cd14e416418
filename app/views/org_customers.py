"""Running a customer from its org page: create the org, manage members and customer users,
create and batch-issue API keys on a member's behalf. The rules live in app/memberships.py,
app/key_admin.py and app/accounts.py; these routes only collect the form, audit and commit."""
import secrets

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import accounts, audit, key_admin, memberships
from ..actor import on_behalf_of
from ..console import links
from ..extensions import db
from ..models import Membership, Organization, OrgRole, Plan, UserTier
from .base import is_email

MEMBER_ROLES = [r.value for r in (OrgRole.admin, OrgRole.member, OrgRole.viewer)]


class OrgCustomersMixin:
    """Routes mixed into OrgView: can_create_org, can_members and can_keys on it (Admin)."""

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def create_org(self):
        plans = db.session.scalars(select(Plan).order_by(Plan.id)).all()
        form = {k: request.form.get(k, "").strip() for k in ("name", "billing_email", "plan", "owner_email")}
        if request.method == "POST":
            try:
                org, owner_note = _create_org(form, {p.code for p in plans})
            except ValueError as exc:
                db.session.rollback()
                flash(str(exc), "danger")
                return self.render_template("admin/org_new.html", form=form, plans=plans), 400
            db.session.commit()
            flash(_("Organization %(name)s created; %(owner)s", name=org.name, owner=owner_note), "success")
            return redirect(url_for("OrgView.detail", pk=org.id))
        return self.render_template("admin/org_new.html", form=form, plans=plans)

    @expose("/<int:pk>/members", methods=["POST"])
    @has_access
    def members(self, pk):
        """?op=add|role|remove|create_user, from the forms of the org page's Members section."""
        org = db.session.get(Organization, pk) or abort(404)
        op = request.form.get("op", "")
        try:
            message = _member_op(org, op)
        except ValueError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(message, "success")
        return redirect(url_for("OrgView.detail", pk=pk) + "#members")

    @expose("/<int:pk>/keys", methods=["POST"])
    @has_access
    def keys(self, pk):
        """Create a key for each selected member (one or many); the secrets are shown once."""
        org = db.session.get(Organization, pk) or abort(404)
        user_ids = [int(x) for x in request.form.getlist("user_ids") if x.isdigit()]
        name = request.form.get("name", "").strip()
        members = {m.user_id: m for m in db.session.scalars(
            select(Membership).where(Membership.org_id == org.id, Membership.user_id.in_(user_ids)))}
        try:
            if not user_ids:
                raise ValueError(_("Members: select at least one member"))
            missing = [u for u in user_ids if u not in members]
            if missing:
                raise ValueError(_("Members: users %(ids)s are not members of this organization", ids=missing))
            issued = []
            for user_id in user_ids:
                key, secret = key_admin.create(on_behalf_of(user_id, org.id), {"name": name})
                audit.record("key.create_for_customer", key, {"org_id": org.id, "user_id": user_id,
                                                              "name": key.name, "prefix": key.prefix})
                issued.append((members[user_id].user, key, secret))
        except (ValueError, key_admin.KeyForbidden) as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("OrgView.detail", pk=pk) + "#members")
        db.session.commit()
        return self.render_template("admin/keys_issued.html", org=org, issued=issued)


def _create_org(form: dict, plan_codes: set[str]) -> tuple[Organization, str]:
    if not form["name"]:
        raise ValueError(_("Name: required"))
    if len(form["name"]) > 128:
        raise ValueError(_("Name: at most %(n)d characters", n=128))
    if form["plan"] not in plan_codes:
        raise ValueError(_("Plan: choose one of %(plans)s", plans=", ".join(sorted(plan_codes))))
    for field in ("billing_email", "owner_email"):
        if not is_email(form[field]):
            raise ValueError(_("%(field)s: %(value)r is not an email address",
                               field=field.replace("_", " ").capitalize(), value=form[field]))
    org = accounts.create_org(form["name"], plan_code=form["plan"], billing_email=form["billing_email"].lower())
    owner = memberships.find_by_email(form["owner_email"])
    if owner is not None:
        accounts.add_member(org, owner, OrgRole.owner)
        note = _("%(email)s is its owner.", email=owner.email)
    else:
        invitation = memberships.invite(org, form["owner_email"], OrgRole.owner, current_user.id)
        _send(invitation, org)
        note = _("an invitation to own it was sent to %(email)s.", email=invitation.email)
    audit.record("org.create", org, {"after": {"name": org.name, "billing_email": org.billing_email,
                                               "plan": form["plan"], "owner_email": form["owner_email"].lower()}})
    return org, note


def _member_op(org: Organization, op: str) -> str:
    role = request.form.get("role", OrgRole.member.value)
    if role not in MEMBER_ROLES:
        raise ValueError(_("Role: choose one of %(roles)s", roles=", ".join(MEMBER_ROLES)))
    if op in ("add", "create_user"):
        email = request.form.get("email", "").strip().lower()
        if not is_email(email):
            raise ValueError(_("Email: %(value)r is not an email address", value=email))
        user = memberships.find_by_email(email)
        if op == "create_user":
            if user is not None:
                raise ValueError(_("Email: %(email)s already has an account; add it as a member instead", email=email))
            # A random password nobody knows: the customer sets their own through "Forgot password".
            user = accounts.create_user(email, email, secrets.token_urlsafe(24), tier=UserTier.enterprise)
            audit.record("user.create_for_customer", user, {"email": email, "org_id": org.id})
        if user is None:
            invitation = memberships.invite(org, email, OrgRole(role), current_user.id)
            audit.record("member.invite", org, {"email": email, "role": role, "invite_id": invitation.id})
            _send(invitation, org)
            return _("Invitation sent to %(email)s.", email=email)
        membership = memberships.add_existing(org, user, OrgRole(role))
        audit.record("member.add", org, {"user_id": user.id, "email": user.email, "role": role,
                                         "membership_id": membership.id})
        return _("%(email)s added as %(role)s.", email=user.email, role=role)
    membership = db.session.get(Membership, int(request.form.get("membership_id", "0") or 0))
    if membership is None or membership.org_id != org.id:
        raise ValueError(_("Member: not a member of this organization"))
    if op == "role":
        before = memberships.change_role(membership, OrgRole(role))
        audit.record("member.role_change", org, {"user_id": membership.user_id, "before": before, "after": role})
        return _("Role changed.")
    if op == "remove":
        revoked = memberships.remove(membership)
        audit.record("member.remove", org, {"user_id": membership.user_id, "keys_revoked": revoked})
        return _("Member removed; %(n)d key(s) revoked.", n=len(revoked))
    raise ValueError(_("Operation: unknown %(op)r", op=op))


def _send(invitation, org) -> None:
    try:
        links.send_invite(invitation, org.name, current_user)
    except OSError:
        flash(_("The invitation is saved but its email could not be sent just now."), "warning")
