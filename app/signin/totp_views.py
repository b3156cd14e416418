"""The second factor: asked after a right password, and turned on or off on the Profile page."""
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..console.access import login_required
from ..extensions import db, limiter
from ..models import TollgateUser
from . import flow, totp
from .blueprint import bp, sign_in_limit
from .forms import CodeForm

MAX_TRIES = 5
# A secret shown for enrolment, kept until a code from it is confirmed.
SETUP_KEY = "signin_totp_setup"
# Recovery codes just made, shown once on the next page.
NEW_CODES_KEY = "signin_new_codes"


@bp.route("/signin/second-factor", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, methods=["POST"], scope="second-factor")
def second_factor():
    pending = session.get(flow.PENDING_KEY)
    user = db.session.get(TollgateUser, pending["user_id"]) if pending else None
    if user is None:
        return redirect(flow.login_url())
    form = CodeForm()
    enrolling = user.totp_enabled_at is None  # staff who must have a second factor and have none yet
    secret = session.setdefault(SETUP_KEY, totp.new_secret()) if enrolling else None
    if form.validate_on_submit():
        if enrolling and totp.accept(user.id, secret, form.code.data):
            session[NEW_CODES_KEY] = totp.enable(user, session.pop(SETUP_KEY))
            audit.record("auth.totp_enabled", target=user, actor=user, details={"at_sign_in": True})
            flow.finish(user, pending["method"], pending["provider"], None, second_factor="totp enrolled")
            return redirect(url_for("signin.recovery_codes", next=pending["next"] or None))
        used = None if enrolling else totp.check(user, form.code.data)
        if used:
            return flow.finish(user, pending["method"], pending["provider"], pending["next"], second_factor=used)
        pending["tries"] += 1
        session[flow.PENDING_KEY] = pending
        if pending["tries"] >= MAX_TRIES:
            session.pop(flow.PENDING_KEY)
            return flow.refuse(_("Too many wrong codes; sign in again."), "bad second factor", user,
                               pending["method"], pending["provider"], tries=pending["tries"])
        flow.record("bad second factor", user, pending["method"], pending["provider"], tries=pending["tries"])
        form.code.errors.append(_("is not a valid code"))
    uri = totp.provisioning_uri(user, secret) if enrolling else None
    return render_template("signin/second_factor.html", form=form, enrolling=enrolling, secret=secret, uri=uri), \
        400 if form.errors else 200


@bp.get("/console/profile/second-factor/codes")
@login_required
def recovery_codes():
    codes = session.pop(NEW_CODES_KEY, None)
    if not codes:
        return redirect(url_for("signin.totp_settings"))
    return render_template("signin/recovery_codes.html", codes=codes,
                           next_url=flow.safe_next(request.args.get("next")) or url_for("console.profile"))


@bp.route("/console/profile/second-factor", methods=["GET", "POST"])
@login_required
def totp_settings():
    form, user = CodeForm(), current_user
    enabled = user.totp_enabled_at is not None
    secret = None if enabled else session.setdefault(SETUP_KEY, totp.new_secret())
    if form.validate_on_submit():
        if not enabled and totp.accept(user.id, secret, form.code.data):
            session[NEW_CODES_KEY] = totp.enable(user, session.pop(SETUP_KEY))
            audit.record("auth.totp_enabled", target=user)
            db.session.commit()
            return redirect(url_for("signin.recovery_codes"))
        if enabled and totp.check(user, form.code.data):
            if request.form.get("action") == "disable":
                if current_app.config["TOTP_REQUIRED_FOR_STAFF"] and flow.is_staff_user(user):
                    abort(403)
                totp.disable(user)
                audit.record("auth.totp_disabled", target=user)
                db.session.commit()
                flash(_("The second factor is off."), "success")
                return redirect(url_for("console.profile"))
            session[NEW_CODES_KEY] = totp.new_recovery_codes(user)
            audit.record("auth.recovery_codes_renewed", target=user)
            db.session.commit()
            return redirect(url_for("signin.recovery_codes"))
        db.session.commit()  # a recovery code given here is used up all the same
        form.code.errors.append(_("is not a valid code"))
    return render_template("signin/totp_settings.html", form=form, enabled=enabled, secret=secret,
                           uri=totp.provisioning_uri(user, secret) if secret else None,
                           left=totp.recovery_codes_left(user) if enabled else 0), 400 if form.errors else 200

