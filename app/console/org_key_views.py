"""Org keys (owners and admins): every key of the org, and keys issued to many members at once.

Issuing runs ``app.key_admin.create`` once per selected member with the same settings, in one
transaction: every key is created or, when one setting or member is refused, none. The secrets
reach people one of two ways: a CSV in the response to the issuing post (nothing kept), or
each member reads theirs once on their Tokens page (``key_delivery``). Revoking and exporting
go through the Tokens pages' batch endpoint, which lets managers act on any key of the org.
"""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import key_admin, key_fields
from ..actor import for_user
from ..extensions import db
from ..inputs import InputError
from ..models import Membership, OrgRole, TollgateUser
from . import key_delivery, key_form
from .access import MANAGERS, login_required, org_scope
from .blueprint import bp, input_refused
from .key_pages import MAX_EXPORT, KeyFilters, audit_keys, inert, key_rows, keys_csv, projects_of, text_csv

DELIVERIES = ("csv", "reveal")


@bp.get("/orgs/<int:org_id>/keys")
@login_required
def org_keys(org_id: int):
    return _page(org_id)


def _page(org_id: int, status: int = 200, problem: InputError | None = None, entered=None):
    scope = org_scope(org_id, *MANAGERS)
    actor = for_user(current_user.id, org_id)
    try:
        filters = KeyFilters.parse(request.args, scope)
    except InputError as exc:
        return input_refused(_("Org keys"), exc)
    keys = key_admin.listing(actor, filters.status, filters.after, filters.page_size + 1, user_id=filters.user_id,
                             project_id=filters.project_id, search=filters.search)
    more = len(keys) > filters.page_size
    keys = keys[:filters.page_size]
    members = _members(org_id)
    owners = dict(db.session.execute(select(TollgateUser.id, TollgateUser.email)
                                     .where(TollgateUser.id.in_({k.user_id for k in keys}))).all())
    return render_template("console/org_keys.html", scope=scope, rows=key_rows(keys), filters=filters,
                           next_after=keys[-1].id if more else None, owners=owners, problem=problem,
                           members=members, member_choices=[(m[0], m[1]) for m in members], entered=entered or {}, models=sorted(key_fields.callable_ids(actor)),
                           projects=projects_of(scope), deliveries=DELIVERIES), status


def _members(org_id: int) -> list[tuple[int, str, str]]:
    """(user id, email, role) of the members who may hold keys: everyone but viewers."""
    return [tuple(r) for r in db.session.execute(
        select(TollgateUser.id, TollgateUser.email, Membership.role)
        .join(Membership, Membership.user_id == TollgateUser.id)
        .where(Membership.org_id == org_id, Membership.role != OrgRole.viewer).order_by(TollgateUser.email))]


@bp.post("/orgs/<int:org_id>/keys/issue")
@login_required
def issue_keys(org_id: int):
    scope = org_scope(org_id, *MANAGERS)
    actor = for_user(current_user.id, org_id)
    delivery = request.form.get("delivery")
    try:
        if delivery not in DELIVERIES:
            raise InputError("delivery", f"delivery must be one of {', '.join(DELIVERIES)}")
        user_ids = _selected_members(request.form)
        fields = key_form.fields_from(request.form, creating=True, models=key_fields.callable_ids(actor))
        issued = [key_admin.create(actor, {**fields, "user_id": user_id}) for user_id in user_ids]
    except InputError as exc:
        db.session.rollback()
        return _page(org_id, 400, exc, {**key_form.refill(request.form), "members": request.form.getlist("members")})
    keys = [key for key, _secret in issued]
    audit_keys("console.key_issued", keys, delivery=delivery, issued_by=current_user.id)
    if delivery == "reveal":
        for key, secret in issued:
            key_delivery.hold(key, secret, current_user.id)
        db.session.commit()
        flash(_("%(count)d key(s) issued; each member sees theirs once on their Tokens page.", count=len(keys)),
              "success")
        return redirect(url_for("console.org_keys", org_id=org_id))
    emails = dict(db.session.execute(select(TollgateUser.id, TollgateUser.email)
                                     .where(TollgateUser.id.in_(user_ids))).all())
    rows = [[inert(emails[k.user_id]), k.id, k.prefix, inert(k.name), secret] for k, secret in issued]
    db.session.commit()
    # The only copy of these secrets: the CSV is built before the commit and never stored.
    return text_csv(["member", "key_id", "prefix", "name", "secret"], rows, f"keys-{scope.org.id}.csv")


def _selected_members(form) -> list[int]:
    raw = form.getlist("members")
    if not raw:
        raise InputError("members", "select at least one member")
    if len(raw) > key_admin.MAX_BATCH or not all(r.isascii() and r.isdigit() and len(r) <= 18 for r in raw):
        raise InputError("members", f"members must be 1 to {key_admin.MAX_BATCH} member ids")
    return list(dict.fromkeys(int(r) for r in raw))


@bp.get("/orgs/<int:org_id>/keys/export.csv")
@login_required
def export_org_keys(org_id: int):
    scope = org_scope(org_id, *MANAGERS)
    try:
        filters = KeyFilters.parse(request.args, scope)
    except InputError as exc:
        return input_refused(_("Org keys"), exc)
    actor = for_user(current_user.id, org_id)
    return keys_csv(key_admin.listing(actor, filters.status, None, MAX_EXPORT, user_id=filters.user_id,
                                      project_id=filters.project_id, search=filters.search),
                    f"org-{org_id}-keys.csv")
