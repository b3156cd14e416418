"""Account flows: sign-up, email verification, password reset and accepting an org invite.

Signing in and out stay with the back office's login form (FAB's AuthDBView, with its
auditing in app/security.py); these pages only create accounts and prove email addresses.
"""
import smtplib

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import func, select

from .. import audit
from ..accounts import add_member, create_user
from ..extensions import appbuilder, db, limiter
from ..billing import trial
from ..labels import label
from ..memberships import find_by_email
from ..models import Membership, OrgInvite, OrgStatus, TollgateUser, Wallet, utcnow
from . import links
from .access import login_required
from .blueprint import bp, message_page
from .credentials import set_password
from .forms import ConfirmForm, EmailForm, NewPasswordForm, SignupForm


def _new_account(email: str, password: str, verified: bool) -> TollgateUser:
    """An individual user whose login name is their email, with a personal wallet."""
    user = create_user(email, email, password, first_name=email.split("@")[0][:64], last_name="-")
    if verified:
        _email_proven(user)
    return user


def _email_proven(user: TollgateUser) -> None:
    # The trial waits for a proven address: an unproven one could be someone else's, whose
    # own sign-up would then find the trial spent.
    user.email_verified_at = utcnow()
    wallet_id = db.session.scalar(select(Wallet.id).where(Wallet.user_id == user.id))
    trial.grant_to_person(db.session, wallet_id, user.email, actor_id=user.id)


def mail_or_warn(send, *args) -> bool:
    try:
        send(*args)
        return True
    except (OSError, smtplib.SMTPException) as exc:
        current_app.logger.warning("console mail not sent: %s", exc)
        flash(_("We could not send the email just now; try again in a few minutes."), "warning")
        return False


def mail_limit() -> str:
    return current_app.config["CONSOLE_MAIL_RATE_LIMIT"]


# Shared by the three forms: one address cannot alternate between them to send more mail.
mail_sending = limiter.shared_limit(mail_limit, scope="console-mail", methods=["POST"])


@bp.route("/signup", methods=["GET", "POST"])
@mail_sending
def signup():
    if not current_app.config["CONSOLE_SIGNUP_ENABLED"]:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("console.home"))
    form = SignupForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        if find_by_email(email) is not None:
            form.email.errors.append(_("An account with this email already exists; sign in or reset its password."))
        else:
            user = _new_account(email, form.password.data, verified=False)
            audit.record("console.signup", target=user, details={"email": email}, actor=user)
            db.session.commit()
            login_user(user)
            if mail_or_warn(links.send_verification, user):
                flash(_("Welcome! We sent a confirmation link to %(email)s.", email=email), "info")
            return redirect(url_for("console.home"))
    return render_template("console/signup.html", form=form), 400 if form.errors else 200


def _still_at(user_id: int, email: str) -> TollgateUser | None:
    """The account a mailed link was made for, if it still uses the address the link names."""
    user = db.session.get(TollgateUser, user_id)
    return user if user is not None and (user.email or "").lower() == email.lower() else None


@bp.get("/verify/<token>")
def verify_email(token: str):
    try:
        user_id, email = links.read_verify_token(token)
    except links.BadLink as exc:
        return message_page(_("Email not confirmed"), str(exc))
    user = _still_at(user_id, email)
    if user is None:
        return message_page(_("Email not confirmed"), _("This link is for an address the account no longer uses."))
    if user.email_verified_at is None:
        _email_proven(user)
        audit.record("console.email_verified", target=user, details={"email": email}, actor=user)
        db.session.commit()
    flash(_("Your email address is confirmed."), "success")
    return redirect(url_for("console.home"))


@bp.get("/email/confirm/<token>")
def confirm_email_change(token: str):
    """The new address is proved by opening the link mailed to it; only now does the account switch."""
    try:
        user_id, old, new = links.read_change_token(token)
    except links.BadLink as exc:
        return message_page(_("Email not changed"), str(exc))
    user = _still_at(user_id, old)
    if user is None:
        return message_page(_("Email not changed"), _("This link has already been used or is no longer valid."))
    taken = find_by_email(new)
    if taken is not None and taken.id != user.id:
        return message_page(_("Email not changed"), _("Another account uses this address now."))
    user.email, user.email_verified_at = new, utcnow()
    # Accounts made by sign-up sign in with their address: the login name follows it.
    if user.username.lower() == old.lower() and not db.session.scalar(
            select(TollgateUser.id).where(func.lower(TollgateUser.username) == new.lower())):
        user.username = new
    audit.record("console.email_changed", target=user, details={"before": old, "after": new}, actor=user)
    db.session.commit()
    mail_or_warn(links.send_email_changed_notice, old, user)
    flash(_("Your account now uses %(email)s.", email=new), "success")
    return redirect(url_for("console.profile"))


@bp.post("/verify/resend")
@login_required
@mail_sending
def resend_verification():
    if current_user.email_verified_at is None and mail_or_warn(links.send_verification, current_user):
        flash(_("We sent a new confirmation link to %(email)s.", email=current_user.email), "info")
    return redirect(url_for("console.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@mail_sending
def forgot_password():
    form = EmailForm()
    if form.validate_on_submit():
        user = find_by_email(form.email.data)
        # The same answer whether or not the address has an account: the form reveals nothing.
        if user is not None and user.is_active:
            audit.record("console.password_reset_requested", target=user, actor=user)
            db.session.commit()
            mail_or_warn(links.send_reset, user)
        flash(_("If an account uses this address, a reset link is on its way."), "info")
        return redirect(url_for(appbuilder.sm.auth_view.endpoint + ".login"))
    return render_template("console/forgot_password.html", form=form), 400 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = links.read_reset_token(token, lambda uid: db.session.get(TollgateUser, uid))
    except links.BadLink as exc:
        return message_page(_("Password not reset"), str(exc))
    form = NewPasswordForm()
    if form.validate_on_submit():
        set_password(user, form.password.data)
        # Following the mailed link proves the address as well.
        user.email_verified_at = user.email_verified_at or utcnow()
        audit.record("console.password_reset", target=user, actor=user)
        db.session.commit()
        flash(_("Your password is changed; sign in with the new one."), "success")
        return redirect(url_for(appbuilder.sm.auth_view.endpoint + ".login"))
    return render_template("console/reset_password.html", form=form), 400 if form.errors else 200


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    try:
        invite = _open_invite(links.read_invite_token(token))
    except links.BadLink as exc:
        return message_page(_("Invitation not accepted"), str(exc))
    org = invite.org
    form = NewPasswordForm()
    if current_user.is_authenticated:
        if (current_user.email or "").lower() != invite.email.lower():
            return message_page(_("Invitation for another address"),
                                _("This invitation is for %(email)s. Sign out, then open the link "
                                  "again to accept it with that address.", email=invite.email), 403)
        join = ConfirmForm()
        if join.validate_on_submit():
            return _join(invite, current_user)
        return render_template("console/invite.html", org=org, invite=invite, form=join, mode="join")
    if find_by_email(invite.email) is not None:
        return render_template("console/invite.html", org=org, invite=invite, form=form, mode="signin",
                               login_url=url_for(appbuilder.sm.auth_view.endpoint + ".login",
                                                 next=url_for("console.accept_invite", token=token)))
    if form.validate_on_submit():
        user = _new_account(invite.email, form.password.data, verified=True)  # the mailed link proves it
        audit.record("console.signup", target=user, details={"email": invite.email, "invited_to": org.id},
                     actor=user)
        login_user(user)
        return _join(invite, user)
    return (render_template("console/invite.html", org=org, invite=invite, form=form, mode="signup"),
            400 if form.errors else 200)


def _open_invite(invite_id: int) -> OrgInvite:
    invite = db.session.get(OrgInvite, invite_id)
    if invite is None or invite.withdrawn_at is not None:
        raise links.BadLink(_("This invitation was withdrawn; ask for a new one."))
    if invite.accepted_at is not None:
        raise links.BadLink(_("This invitation has already been used."))
    if invite.org.status == OrgStatus.deleted:
        raise links.BadLink(_("This organization no longer exists."))
    return invite


def _join(invite: OrgInvite, user: TollgateUser):
    org = invite.org
    already = db.session.scalar(select(Membership).where(Membership.org_id == org.id, Membership.user_id == user.id))
    invite.accepted_at = utcnow()
    if already is None:
        add_member(org, user, invite.role)
        user.email_verified_at = user.email_verified_at or utcnow()
        audit.record("console.member_joined", target=org,
                     details={"user_id": user.id, "role": invite.role.value, "invite_id": invite.id,
                              "invited_by": invite.invited_by_id}, actor=user)
        flash(_("You joined %(org)s as %(role)s.", org=org.name, role=label(invite.role)), "success")
    else:
        flash(_("You are already a member of %(org)s.", org=org.name), "info")
    db.session.commit()
    return redirect(url_for("console.org_dashboard", org_id=org.id))
