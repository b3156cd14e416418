"""The signed, expiring links the console mails: email verification, password reset, org invite.

Each link is an itsdangerous token signed with SECRET_KEY under its own salt, so a token
made for one purpose never passes for another. A reset token also carries a fragment of
the current password hash: once the password changes, every earlier reset link is dead.
An invite token names an OrgInvite row, which is used once and can be withdrawn.
"""
from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..labels import label
from ..mail import send_mail

_VERIFY, _RESET, _INVITE = "console-verify-email", "console-reset-password", "console-invite"
_CHANGE = "console-change-email"


class BadLink(ValueError):
    """The link is forged, expired or already used; the message says which, in words for the user."""


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _load(salt: str, token: str, max_age_s: int) -> dict:
    try:
        data = _serializer(salt).loads(token, max_age=max_age_s)
    except SignatureExpired:
        raise BadLink(_("This link has expired; ask for a new one.")) from None
    except BadSignature:
        raise BadLink(_("This link is not valid.")) from None
    if not isinstance(data, dict):
        raise BadLink(_("This link is not valid."))
    return data


def _link(endpoint: str, token: str) -> str:
    # The public URL, not the request's host: behind a proxy the latter may be an internal name.
    return current_app.config["TOLLGATE_PUBLIC_URL"].rstrip("/") + url_for(endpoint, token=token)


def _hours(name: str) -> int:
    return current_app.config[name] * 3600


# Email verification -------------------------------------------------------------------------

def verify_token(user) -> str:
    return _serializer(_VERIFY).dumps({"uid": user.id, "email": user.email})


def read_verify_token(token: str) -> tuple[int, str]:
    data = _load(_VERIFY, token, _hours("CONSOLE_VERIFY_LINK_HOURS"))
    return int(data["uid"]), str(data["email"])


def send_verification(user) -> None:
    link = _link("console.verify_email", verify_token(user))
    hours = current_app.config["CONSOLE_VERIFY_LINK_HOURS"]
    send_mail(user.email, lambda: (
        _("Confirm your email address"),
        _("Hello %(name)s,\n\nConfirm your email address for your Tollgate account by opening:\n\n"
          "%(link)s\n\nThe link works for %(hours)d hours.\n", name=user.username, link=link, hours=hours)),
        reader=user)


# Changing the email address ------------------------------------------------------------------
# The link names the address it replaces: once the account's address changes, by this link or
# another, every earlier link is dead. Until it is opened the old address stays the account's.

def change_token(user, new_email: str) -> str:
    return _serializer(_CHANGE).dumps({"uid": user.id, "old": user.email, "new": new_email})


def read_change_token(token: str) -> tuple[int, str, str]:
    data = _load(_CHANGE, token, _hours("CONSOLE_VERIFY_LINK_HOURS"))
    return int(data["uid"]), str(data["old"]), str(data["new"])


def send_email_change(user, new_email: str) -> None:
    link = _link("console.confirm_email_change", change_token(user, new_email))
    hours = current_app.config["CONSOLE_VERIFY_LINK_HOURS"]
    send_mail(new_email, lambda: (
        _("Confirm your new email address"),
        _("Hello %(name)s,\n\nTo use this address for your Tollgate account instead of %(old_email)s, "
          "open:\n\n%(link)s\n\nThe link works for %(hours)d hours. Until then your account keeps its "
          "current address. If you did not ask for this, ignore this message.\n",
          name=user.username, old_email=user.email, link=link, hours=hours)),
        reader=user)


def send_email_changed_notice(old_email: str, user) -> None:
    send_mail(old_email, lambda: (
        _("Your email address was changed"),
        _("Hello,\n\nThe Tollgate account that used %(old_email)s now uses %(new_email)s. If you did not "
          "do this, reset your password and contact support.\n", old_email=old_email, new_email=user.email)),
        reader=user)


# Password reset -----------------------------------------------------------------------------

def _password_stamp(user) -> str:
    return (user.password or "")[-16:]


def reset_token(user) -> str:
    return _serializer(_RESET).dumps({"uid": user.id, "pw": _password_stamp(user)})


def read_reset_token(token: str, load_user) -> object:
    """The user the link was made for, or BadLink (forged, expired, or the password changed since)."""
    data = _load(_RESET, token, _hours("CONSOLE_RESET_LINK_HOURS"))
    user = load_user(int(data["uid"]))
    if user is None or not user.is_active or data.get("pw") != _password_stamp(user):
        raise BadLink(_("This link has already been used or is no longer valid; ask for a new one."))
    return user


def send_reset(user) -> None:
    link = _link("console.reset_password", reset_token(user))
    hours = current_app.config["CONSOLE_RESET_LINK_HOURS"]
    send_mail(user.email, lambda: (
        _("Reset your password"),
        _("Hello %(name)s,\n\nSomeone asked to reset the password of your Tollgate account. If it was you, "
          "choose a new password here:\n\n%(link)s\n\nThe link works for %(hours)d hours and only once. "
          "If it was not you, ignore this message.\n", name=user.username, link=link, hours=hours)),
        reader=user)


# Org invites --------------------------------------------------------------------------------

def invite_token(invite) -> str:
    return _serializer(_INVITE).dumps({"invite": invite.id, "email": invite.email})


def read_invite_token(token: str) -> int:
    """The id of the OrgInvite row the link was made for."""
    data = _load(_INVITE, token, current_app.config["CONSOLE_INVITE_LINK_DAYS"] * 86400)
    return int(data["invite"])


def send_invite(invite, org_name: str, inviter) -> None:
    """Mailed in the language of the account at the invited address, else in the inviter's."""
    link = _link("console.accept_invite", invite_token(invite))
    days = current_app.config["CONSOLE_INVITE_LINK_DAYS"]
    send_mail(invite.email, lambda: (
        _("You are invited to %(org)s on Tollgate", org=org_name),
        _("Hello,\n\n%(inviter)s invites you to join the organization \"%(org)s\" on Tollgate as %(role)s.\n\n"
          "Accept the invitation (create an account or sign in with an existing one for this address):\n\n"
          "%(link)s\n\nThe link works once, for %(days)d days.\n",
          inviter=inviter.email, org=org_name, role=label(invite.role), link=link, days=days)),
        fallback=inviter.locale)
