"""The signed, expiring links the console mails: email verification, password reset, org invite.

Each link is an itsdangerous token signed with SECRET_KEY under its own salt, so a token
made for one purpose never passes for another. A reset token also carries a fragment of
the current password hash: once the password changes, every earlier reset link is dead.
An invite token names an OrgInvite row, which is used once and can be withdrawn.
"""
from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

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
        raise BadLink("This link has expired; ask for a new one.") from None
    except BadSignature:
        raise BadLink("This link is not valid.") from None
    if not isinstance(data, dict):
        raise BadLink("This link is not valid.")
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
    send_mail(user.email, "Confirm your email address",
              f"Hello {user.username},\n\nConfirm your email address for your Tollgate account by opening:\n\n"
              f"{link}\n\nThe link works for {current_app.config['CONSOLE_VERIFY_LINK_HOURS']} hours.\n")


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
    send_mail(new_email, "Confirm your new email address",
              f"Hello {user.username},\n\nTo use this address for your Tollgate account instead of "
              f"{user.email}, open:\n\n{link}\n\nThe link works for "
              f"{current_app.config['CONSOLE_VERIFY_LINK_HOURS']} hours. Until then your account keeps its "
              f"current address. If you did not ask for this, ignore this message.\n")


def send_email_changed_notice(old_email: str, user) -> None:
    send_mail(old_email, "Your email address was changed",
              f"Hello,\n\nThe Tollgate account that used {old_email} now uses {user.email}. If you did not "
              f"do this, reset your password and contact support.\n")


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
        raise BadLink("This link has already been used or is no longer valid; ask for a new one.")
    return user


def send_reset(user) -> None:
    link = _link("console.reset_password", reset_token(user))
    send_mail(user.email, "Reset your password",
              f"Hello {user.username},\n\nSomeone asked to reset the password of your Tollgate account. "
              f"If it was you, choose a new password here:\n\n{link}\n\n"
              f"The link works for {current_app.config['CONSOLE_RESET_LINK_HOURS']} hours and only once. "
              f"If it was not you, ignore this message.\n")


# Org invites --------------------------------------------------------------------------------

def invite_token(invite) -> str:
    return _serializer(_INVITE).dumps({"invite": invite.id, "email": invite.email})


def read_invite_token(token: str) -> int:
    """The id of the OrgInvite row the link was made for."""
    data = _load(_INVITE, token, current_app.config["CONSOLE_INVITE_LINK_DAYS"] * 86400)
    return int(data["invite"])


def send_invite(invite, org_name: str, inviter_name: str) -> None:
    link = _link("console.accept_invite", invite_token(invite))
    send_mail(invite.email, f"You are invited to {org_name} on Tollgate",
              f"Hello,\n\n{inviter_name} invites you to join the organization {org_name!r} on Tollgate "
              f"as {invite.role.value}.\n\nAccept the invitation (create an account or sign in with an "
              f"existing one for this address):\n\n{link}\n\n"
              f"The link works once, for {current_app.config['CONSOLE_INVITE_LINK_DAYS']} days.\n")
