"""Passkeys on the Profile page (add several, rename, remove) and signing in with one alone.

The ceremonies are JSON endpoints called by static/js/passkeys.js; CSRF is checked from the
X-CSRFToken header as for forms. Errors answer JSON naming what was wrong.
"""
from flask import Response, abort, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..console.access import login_required
from ..extensions import db, limiter
from ..models import Passkey, TollgateUser
from . import flow, identities, passkeys
from .blueprint import bp, sign_in_limit

MAX_NAME = 64


def _json_error(status: int, field: str, message: str):
    return jsonify(error={"field": field, "message": message}), status


def _name(raw) -> str | None:
    name = (raw or "").strip() if isinstance(raw, str) else None
    return name if name and len(name) <= MAX_NAME else None


@bp.post("/console/profile/passkeys/options")
@login_required
def passkey_register_options():
    return Response(passkeys.registration_options(current_user), mimetype="application/json")


@bp.post("/console/profile/passkeys")
@login_required
def passkey_register():
    body = request.get_json(silent=True) or {}
    name = _name(body.get("name"))
    if name is None:
        return _json_error(400, "name", _("a name of 1 to %(n)d characters", n=MAX_NAME))
    if not isinstance(body.get("credential"), dict):
        return _json_error(400, "credential", _("the browser's answer is missing"))
    try:
        passkey = passkeys.register(current_user, body["credential"], name)
    except passkeys.PasskeyRefused as exc:
        return _json_error(400, "credential", str(exc))
    db.session.flush()
    audit.record("auth.passkey_added", target=current_user, details={"passkey_id": passkey.id, "name": name})
    db.session.commit()
    return jsonify(id=passkey.id, name=passkey.name), 201


@bp.post("/console/profile/passkeys/<int:passkey_id>/rename")
@login_required
def passkey_rename(passkey_id: int):
    passkey, name = _mine(passkey_id), _name(request.form.get("name"))
    if name is None:
        flash(_("name: 1 to %(n)d characters", n=MAX_NAME), "danger")
    else:
        audit.record("auth.passkey_renamed", target=current_user,
                     details={"passkey_id": passkey.id, "before": passkey.name, "after": name})
        passkey.name = name
        db.session.commit()
    return redirect(url_for("console.profile"))


@bp.post("/console/profile/passkeys/<int:passkey_id>/remove")
@login_required
def passkey_remove(passkey_id: int):
    passkey = _mine(passkey_id)
    if identities.ways_in(current_user) <= 1:
        flash(_("This passkey is your only way to sign in: set a password or link a provider first."), "danger")
        return redirect(url_for("console.profile"))
    audit.record("auth.passkey_removed", target=current_user, details={"passkey_id": passkey.id, "name": passkey.name})
    db.session.delete(passkey)
    db.session.commit()
    flash(_("Passkey removed."), "success")
    return redirect(url_for("console.profile"))


def _mine(passkey_id: int) -> Passkey:
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != current_user.id:
        abort(404)
    return passkey


@bp.post("/signin/passkey/options")
@limiter.limit(sign_in_limit, scope="passkey-sign-in")
def passkey_sign_in_options():
    return Response(passkeys.sign_in_options(), mimetype="application/json")


@bp.post("/signin/passkey")
@limiter.limit(sign_in_limit, scope="passkey-sign-in")
def passkey_sign_in():
    body = request.get_json(silent=True) or {}
    if not isinstance(body.get("credential"), dict):
        return _json_error(400, "credential", _("the browser's answer is missing"))
    try:
        passkey = passkeys.sign_in(body["credential"])
    except passkeys.PasskeyRefused as exc:
        flow.record("passkey refused", None, "passkey", error=str(exc)[:200])
        return _json_error(400, "credential", _("This passkey was not accepted."))
    user = db.session.get(TollgateUser, passkey.user_id)
    if not user.is_active:
        flow.record("inactive", user, "passkey")
        return _json_error(403, "credential", _("This account is disabled."))
    response = flow.proceed(user, "passkey", None, flow.safe_next(body.get("next")))
    return jsonify(redirect=response.location)

