"""Tokens: the caller's own API keys, personal (/console/tokens) or in an org (/console/orgs/<id>/tokens).

Every rule (who may manage a key, what a setting may be) is ``app.key_admin``'s and
``app.key_fields``'s, shared with the /me API. A key the caller may not manage answers 404.
On an org's Tokens page owners and admins see their own keys too; every key of the org is
on the Org keys page. A new or rotated secret is in that one response and never again.
"""
from flask import abort, flash, make_response, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import key_admin, key_fields
from ..extensions import db
from ..inputs import InputError
from . import key_delivery, key_form
from .access import login_required
from .blueprint import bp, input_refused
from .key_pages import (MAX_EXPORT, KeyFilters, actor_and_scope, audit_keys, key_rows, keys_csv, projects_of, selected_ids,
                        tokens_url)


def _both(rule: str, **options):
    """Register a view at /console<rule> (personal keys) and /console/orgs/<org_id><rule>."""
    def register(view):
        bp.route(rule, defaults={"org_id": None}, **options)(view)
        return bp.route(f"/orgs/<int:org_id>{rule}", **options)(view)
    return register


@_both("/tokens")
@login_required
def tokens(org_id):
    return _tokens_page(org_id)


def _tokens_page(org_id, status: int = 200, problem: InputError | None = None, entered=None):
    scope, actor = actor_and_scope(org_id)
    try:
        filters = KeyFilters.parse(request.args, scope)
    except InputError as exc:
        return _bad(exc)
    keys = key_admin.listing(actor, filters.status, filters.after, filters.page_size + 1,
                             user_id=current_user.id, project_id=filters.project_id, search=filters.search)
    more = len(keys) > filters.page_size
    keys = keys[:filters.page_size]
    return render_template("console/tokens.html", scope=scope, actor=actor, rows=key_rows(keys), filters=filters,
                           waiting=key_delivery.waiting(current_user.id, scope.org.id if scope else None),
                           next_after=keys[-1].id if more else None, problem=problem,
                           entered=entered or {}, models=sorted(key_fields.callable_ids(actor)),
                           projects=projects_of(scope)), status


@_both("/tokens", methods=["POST"], endpoint="create_token")
@login_required
def create_token(org_id):
    scope, actor = actor_and_scope(org_id)
    try:
        fields = key_form.fields_from(request.form, creating=True, models=key_fields.callable_ids(actor))
        key, secret = key_admin.create(actor, fields)
    except key_admin.KeyForbidden:
        abort(403)
    except InputError as exc:
        return _tokens_page(org_id, 400, exc, key_form.refill(request.form))
    audit_keys("console.key_created", [key])
    db.session.commit()
    return _secret_page(scope, key, secret)


def _secret_page(scope, key, secret: str, replaces: int | None = None):
    response = make_response(render_template("console/token_secret.html", scope=scope, key=key, secret=secret,
                                             replaces=replaces, back=tokens_url(scope)))
    # The one response that holds the secret: neither the browser nor a proxy may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@_both("/tokens/<int:key_id>/reveal", methods=["POST"])
@login_required
def reveal_token(org_id, key_id: int):
    """The secret an owner or admin issued to the caller: shown in this response, then gone."""
    scope, _actor = actor_and_scope(org_id)
    revealed = key_delivery.reveal(current_user.id, scope.org.id if scope else None, key_id)
    if revealed is None:
        db.session.commit()  # a row found stale is dropped all the same
        abort(404)
    key, secret = revealed
    audit_keys("console.key_revealed", [key])
    db.session.commit()
    return _secret_page(scope, key, secret)


@_both("/tokens/<int:key_id>/edit", methods=["GET", "POST"])
@login_required
def edit_token(org_id, key_id: int):
    scope, actor = actor_and_scope(org_id)
    key = _key(actor, key_id)
    problem = None
    if request.method == "POST":
        try:
            fields = key_form.fields_from(request.form, creating=False, models=key_fields.callable_ids(actor))
            current = key_form.values_of(key)
            for unchanged in ("expires_at", "project_id"):
                # The date box shows the day only, and an archived project takes no new keys:
                # a box left as it was keeps the key's value rather than setting it again.
                if unchanged in fields and fields[unchanged] == current[unchanged]:
                    fields.pop(unchanged)
            key_admin.update(actor, key_id, fields)
        except key_admin.KeyForbidden:
            abort(403)
        except InputError as exc:
            db.session.rollback()
            problem = exc
        else:
            audit_keys("console.key_updated", [key])
            db.session.commit()
            flash(_("The settings of %(name)s are saved.", name=key.name), "success")
            return redirect(_back(scope))
    values = key_form.refill(request.form) if problem else key_form.values_of(key)
    return render_template("console/token_edit.html", scope=scope, key=key, problem=problem, entered=values,
                           back=_back(scope, request.values.get("next", "")),
                           models=sorted(key_fields.callable_ids(actor)), projects=projects_of(scope, key.project_id)), \
        400 if problem else 200


@_both("/tokens/<int:key_id>/rotate", methods=["POST"])
@login_required
def rotate_token(org_id, key_id: int):
    scope, actor = actor_and_scope(org_id)
    _key(actor, key_id)
    try:
        key, secret = key_admin.rotate(actor, key_id)
    except key_admin.KeyForbidden:
        abort(403)
    except InputError as exc:
        return _tokens_page(org_id, 400, exc)
    audit_keys("console.key_rotated", [key], replaces=key_id)
    db.session.commit()
    return _secret_page(scope, key, secret, replaces=key_id)


@_both("/tokens/<int:key_id>/revoke", methods=["POST"])
@login_required
def revoke_token(org_id, key_id: int):
    scope, actor = actor_and_scope(org_id)
    _key(actor, key_id)
    try:
        key = key_admin.revoke(actor, key_id)
    except key_admin.KeyForbidden:
        abort(403)
    audit_keys("console.key_revoked", [key])
    db.session.commit()
    flash(_("%(name)s is revoked; calls with it are refused from now on.", name=key.name), "success")
    return redirect(_back(scope))


@_both("/tokens/batch", methods=["POST"])
@login_required
def batch_tokens(org_id):
    """Revoke the selected keys, or download them as CSV: all of them or, if one is not the caller's, none."""
    scope, actor = actor_and_scope(org_id)
    action = request.form.get("action")
    try:
        ids = selected_ids(request.form)
        keys = key_admin.batch(actor, {"revoke": "revoke", "export": "get"}.get(action, action or ""), ids)
    except key_admin.KeyNotFound:
        abort(404)
    except key_admin.KeyForbidden:
        abort(403)
    except InputError as exc:
        return _bad(exc)
    if action == "export":
        return keys_csv(keys)
    audit_keys("console.keys_revoked", keys)
    db.session.commit()
    flash(_("%(count)d key(s) revoked.", count=len(keys)), "success")
    return redirect(_back(scope))


@_both("/tokens/export.csv")
@login_required
def export_tokens(org_id):
    scope, actor = actor_and_scope(org_id)
    try:
        filters = KeyFilters.parse(request.args, scope)
    except InputError as exc:
        return _bad(exc)
    return keys_csv(key_admin.listing(actor, filters.status, None, MAX_EXPORT,
                                      user_id=current_user.id, project_id=filters.project_id, search=filters.search))


def _key(actor, key_id: int):
    try:
        return key_admin.get(actor, key_id)
    except key_admin.KeyNotFound:
        abort(404)


def _back(scope, target: str | None = None) -> str:
    """Where an action returns: the page it was sent from when that is one of this org's pages."""
    target = request.form.get("next", "") if target is None else target
    if scope is not None and target.startswith(f"/console/orgs/{scope.org.id}/") and "//" not in target:
        return target
    return tokens_url(scope)


def _bad(exc: InputError):
    return input_refused(_("Tokens"), exc)
