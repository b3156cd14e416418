"""The end of every sign-in, whatever proved who the person is: audit, second factor, session.

Password, provider, org SSO and passkey sign-ins all finish here, so each writes the same
audit row (method, provider, outcome; the row carries IP and user agent) and each session
starts with the user's current session generation.
"""
from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_appbuilder.utils.base import get_safe_redirect
from flask_login import current_user, login_user

from .. import audit
from ..console.access import is_staff
from ..extensions import appbuilder, db
from . import org_sso

# The user proved the first factor; the second is still owed. Holds user id, method, provider, next.
PENDING_KEY = "signin_pending"
SESSION_GENERATION_KEY = "signin_generation"


def record(outcome: str, user=None, method: str = "password", provider: str | None = None, **details) -> None:
    """One audit row per sign-in event, committed at once: a refused sign-in changes nothing else."""
    success = outcome == "success"
    row = {"method": method, "outcome": outcome, **details}
    if provider:
        row["provider"] = provider
    if user is not None:
        row.setdefault("username", user.username)
    if not success:
        row.setdefault("reason", outcome)
    audit.record("auth.login_success" if success else "auth.login_failure", target=user, details=row,
                 actor=user if success else None)
    db.session.commit()


def needs_second_factor(user, method: str) -> bool:
    # An org's IdP runs its own MFA, and a passkey is already two factors in one.
    if method in ("sso", "passkey"):
        return False
    required = current_app.config.get("TOTP_REQUIRED_FOR_STAFF") and is_staff_user(user)
    return user.totp_enabled_at is not None or required


def is_staff_user(user) -> bool:
    return is_staff(user) or any(role.name == appbuilder.sm.auth_role_admin for role in user.roles)


def proceed(user, method: str, provider: str | None, next_url: str | None):
    """After the first factor: refuse (the org requires its SSO), ask for the second factor, or finish."""
    if method != "sso":
        sso = org_sso.required_for(user)
        if sso is not None and not org_sso.is_owner(user, sso.org_id):
            return refuse(_("%(org)s requires its single sign-on: use “Sign in with your organization” below.",
                            org=sso.org.name), "sso required", user, method, provider, org_id=sso.org_id)
        if sso is not None:
            # Owners keep another way in for when the IdP is down or misconfigured; it is on record.
            audit.record("auth.sso_break_glass", target=sso.org, actor=user,
                         details={"method": method, "provider": provider, "user_id": user.id})
    if needs_second_factor(user, method):
        session[PENDING_KEY] = {"user_id": user.id, "method": method, "provider": provider,
                                "next": next_url or "", "tries": 0}
        return redirect(url_for("signin.second_factor"))
    return finish(user, method, provider, next_url)


def finish(user, method: str, provider: str | None, next_url: str | None, second_factor: str | None = None):
    if method != "password":
        # FAB counts password sign-ins in auth_user_db; the others are counted here.
        appbuilder.sm.update_user_auth_stat(user, True)
    session.pop(PENDING_KEY, None)
    login_user(user, remember=False)
    if getattr(user, "locale", None):
        session["locale"] = user.locale  # the language chosen on the console's profile page
    record("success", user, method, provider, **({"second_factor": second_factor} if second_factor else {}))
    return redirect(next_url or appbuilder.get_url_for_index)


def refuse(message: str, outcome: str, user=None, method: str = "password", provider: str | None = None,
           **details):
    record(outcome, user, method, provider, **details)
    flash(message, "danger")
    return redirect(login_url())


def login_url() -> str:
    return appbuilder.get_url_for_login


def remember_generation(_app, user) -> None:
    """Flask-Login's user_logged_in signal: the new session carries the user's current generation."""
    session[SESSION_GENERATION_KEY] = user.session_generation or 0


def session_is_current(user) -> bool:
    return session.get(SESSION_GENERATION_KEY, 0) == (user.session_generation or 0)


def end_other_sessions(user) -> None:
    """Every session of ``user`` but the caller's own ends at its next request (the caller commits)."""
    user.session_generation = (user.session_generation or 0) + 1
    if getattr(current_user, "is_authenticated", False) and current_user.id == user.id:
        session[SESSION_GENERATION_KEY] = user.session_generation


def safe_next(url) -> str:
    """A local URL to return to after signing in, or "" (anything else, e.g. another host, is dropped)."""
    return get_safe_redirect(url) if isinstance(url, str) and url else ""


def leave_for(client, redirect_uri: str, **params):
    """Send the browser to a provider from a form post.

    The CSP's form-action 'self' also covers redirects that follow a form submission, so a
    302 to the provider would be blocked: a page that navigates on its own is not.
    """
    found = client.create_authorization_url(redirect_uri, **params)
    client.save_authorize_data(redirect_uri=redirect_uri, **found)
    return render_template("signin/leaving.html", url=found["url"])
