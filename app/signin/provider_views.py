"""Signing in with GitHub, Discord or the operator's OIDC provider, and linking them on the Profile page."""
import requests
from authlib.integrations.base_client import OAuthError
from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from joserfc.errors import JoseError

from .. import audit
from ..console.access import login_required
from ..extensions import db
from . import clients, flow, identities
from .blueprint import bp

# Set when a signed-in user starts linking a provider; the callback then links instead of signing in.
LINK_KEY = "signin_link"
# Everything a provider round trip can fail with: a refused or forged answer, an unreachable provider.
PROVIDER_ERRORS = (OAuthError, JoseError, requests.RequestException, clients.ProviderRefused, ValueError, KeyError)


def _provider(name: str) -> str:
    if name not in clients.providers():
        abort(404)
    return name


@bp.get("/signin/<name>")
def start(name: str):
    provider = _provider(name)
    session.pop(LINK_KEY, None)
    session["signin_next"] = flow.safe_next(request.args.get("next"))
    return clients.site_client(provider).authorize_redirect(url_for("signin.callback", name=provider, _external=True))


@bp.post("/console/profile/link/<name>")
@login_required
def start_link(name: str):
    provider = _provider(name)
    session[LINK_KEY] = {"user_id": current_user.id, "provider": provider}
    return flow.leave_for(clients.site_client(provider), url_for("signin.callback", name=provider, _external=True))


@bp.get("/signin/<name>/callback")
def callback(name: str):
    provider = _provider(name)
    link = session.pop(LINK_KEY, None)
    client = clients.site_client(provider)
    try:
        token = clients.authorize(client)
        profile = clients.fetch_profile(provider, client, token)
    except PROVIDER_ERRORS as exc:
        current_app.logger.info("sign-in with %s refused: %r", provider, exc)
        return flow.refuse(_("Sign-in with %(provider)s failed; try again.", provider=clients.providers()[provider]),
                           "provider refused", method="oauth", provider=provider, error=type(exc).__name__)
    if link and current_user.is_authenticated and link["user_id"] == current_user.id and link["provider"] == provider:
        return _link(profile)
    user = identities.find_user(provider, profile.subject)
    if user is None:
        user = _first_sign_in(profile)
        if not hasattr(user, "id"):
            return user  # a refusal page
    if not user.is_active:
        return flow.refuse(_("This account is disabled."), "inactive", user, "oauth", provider)
    return flow.proceed(user, "oauth", provider, session.pop("signin_next", None))


def _first_sign_in(profile: clients.Profile):
    """No linked account: a new one when sign-up is open and the address is new; never a silent takeover."""
    if profile.email is None:
        return flow.refuse(_("The provider did not share a verified email address; sign up first, then link it "
                             "from your profile."), "no verified email", method="oauth", provider=profile.provider)
    if identities.user_by_email(profile.email) is not None:
        return flow.refuse(_("An account already uses %(email)s: sign in to it another way, then link this "
                             "provider on your profile page.", email=profile.email), "email in use",
                           method="oauth", provider=profile.provider, email=profile.email)
    if not current_app.config["CONSOLE_SIGNUP_ENABLED"]:
        return flow.refuse(_("Sign-up is closed on this site; ask an administrator for an invitation."),
                           "sign-up closed", method="oauth", provider=profile.provider, email=profile.email)
    user = identities.new_account(profile)
    audit.record("console.signup", target=user, details={"email": profile.email, "provider": profile.provider},
                 actor=user)
    db.session.commit()
    return user


def _link(profile: clients.Profile):
    try:
        identity = identities.link(current_user, profile)
    except identities.LinkRefused as exc:
        flash(str(exc), "danger")
        return redirect(url_for("console.profile"))
    audit.record("auth.provider_linked", target=current_user, details={"provider": profile.provider,
                                                                       "email": identity.email})
    db.session.commit()
    flash(_("%(provider)s is linked: you can sign in with it.", provider=clients.providers()[profile.provider]),
          "success")
    return redirect(url_for("console.profile"))


@bp.post("/console/profile/identities/<int:identity_id>/unlink")
@login_required
def unlink(identity_id: int):
    try:
        identity = identities.unlink(current_user, identity_id)
    except identities.LinkRefused as exc:
        flash(str(exc), "danger")
        return redirect(url_for("console.profile"))
    audit.record("auth.provider_unlinked", target=current_user, details={"provider": identity.provider})
    db.session.commit()
    flash(_("The account is unlinked."), "success")
    return redirect(url_for("console.profile"))
