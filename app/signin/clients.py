"""Authlib clients for the providers people sign in with, and what each says about the person.

GitHub and Discord speak OAuth 2 with their own profile APIs; the operator's OIDC provider and
each organization's IdP speak OpenID Connect (discovery, JWKS, signed ID tokens). Every flow
uses PKCE (S256) and a state bound to the browser's session; Authlib checks state, nonce,
issuer, audience, expiry and the ID token's signature.

Clients are built from the settings on first use and kept per process, keyed by those
settings, so a changed setting (or an org's new IdP) takes effect without a restart.
"""
from dataclasses import dataclass, field

from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import current_app
from flask_babel import lazy_gettext as _l

PKCE = {"code_challenge_method": "S256"}
OIDC_SCOPE = "openid email profile"


@dataclass(frozen=True)
class Profile:
    """The person at the provider: a stable subject, and an email only if the provider vouches for it."""

    provider: str
    subject: str
    email: str | None
    name: str | None = None
    claims: dict = field(default_factory=dict, compare=False)


class ProviderRefused(Exception):
    """The provider's answer cannot sign anyone in (no verified email, no subject, ...)."""


def providers() -> dict[str, str]:
    """The site-wide providers turned on by settings: name -> button label."""
    cfg = current_app.config
    labels = {"github": "GitHub", "discord": "Discord", "oidc": cfg.get("OIDC_LABEL") or _l("Single sign-on")}
    return {name: labels[name] for name in ("github", "discord", "oidc") if cfg.get(f"{name.upper()}_CLIENT_ID")}


def site_client(name: str) -> FlaskOAuth2App:
    cfg = current_app.config
    common = {"client_id": cfg[f"{name.upper()}_CLIENT_ID"], "client_secret": cfg.get(f"{name.upper()}_CLIENT_SECRET")}
    if name == "github":
        base, api = cfg["GITHUB_BASE_URL"].rstrip("/"), cfg["GITHUB_API_URL"].rstrip("/")
        settings = {**common, "authorize_url": f"{base}/login/oauth/authorize",
                    "access_token_url": f"{base}/login/oauth/access_token", "api_base_url": api + "/",
                    "client_kwargs": {"scope": "read:user user:email", **PKCE}}
    elif name == "discord":
        base = cfg["DISCORD_BASE_URL"].rstrip("/")
        settings = {**common, "authorize_url": f"{base}/oauth2/authorize",
                    "access_token_url": f"{base}/api/oauth2/token", "api_base_url": f"{base}/api/",
                    "client_kwargs": {"scope": "identify email", **PKCE}}
    else:
        settings = oidc_settings(cfg["OIDC_ISSUER"], common["client_id"], common["client_secret"],
                                 cfg.get("OIDC_SCOPES") or OIDC_SCOPE)
    return _client(name, settings)


def oidc_settings(issuer: str, client_id: str, client_secret: str | None, scope: str = OIDC_SCOPE) -> dict:
    return {"client_id": client_id, "client_secret": client_secret,
            "server_metadata_url": issuer.rstrip("/") + "/.well-known/openid-configuration",
            "client_kwargs": {"scope": scope, **PKCE}}


def org_client(org_id: int, settings: dict) -> FlaskOAuth2App:
    return _client(f"org{org_id}", settings)


_CLIENTS: dict[tuple, FlaskOAuth2App] = {}


def _client(name: str, settings: dict) -> FlaskOAuth2App:
    key = (name, repr(sorted(settings.items())))
    client = _CLIENTS.get(key)
    if client is None:
        # The state and nonce go to the Flask session under the client's name: one flow per provider at a time.
        client = FlaskOAuth2App(FlaskIntegration(name), name, **settings)
        _CLIENTS[key] = client
    return client


def authorize(client: FlaskOAuth2App) -> dict:
    """The token for the code in this callback; state, PKCE and (for OIDC) the ID token checked.

    Authlib checks the ID token's audience only through ``azp`` unless told the audience:
    a token issued to another client that names us as ``azp`` would otherwise pass.
    """
    if not client._server_metadata_url:
        return client.authorize_access_token()
    issuer = client.load_server_metadata()["issuer"]
    return client.authorize_access_token(claims_options={"iss": {"essential": True, "values": [issuer]},
                                                         "aud": {"essential": True, "values": [client.client_id]}})


def fetch_profile(provider: str, client: FlaskOAuth2App, token: dict) -> Profile:
    """Who signed in, from the ID token (OIDC) or the provider's user API (GitHub, Discord)."""
    if provider == "github":
        user = client.get("user", token=token).json()
        emails = client.get("user/emails", token=token).json()
        email = next((e["email"] for e in emails if e.get("primary") and e.get("verified")), None)
        return _checked(Profile(provider, str(user.get("id") or ""), email, user.get("name") or user.get("login")))
    if provider == "discord":
        user = client.get("users/@me", token=token).json()
        email = user.get("email") if user.get("verified") else None
        return _checked(Profile(provider, str(user.get("id") or ""), email, user.get("global_name") or user.get("username")))
    claims = token.get("userinfo")
    if not claims:
        raise ProviderRefused("the provider sent no ID token")
    # An address the IdP does not say it verified could be anyone's: it is not used to find or create accounts.
    email = claims.get("email") if claims.get("email_verified", False) is True else None
    return _checked(Profile(provider, str(claims.get("sub") or ""), email, claims.get("name"), dict(claims)))


def _checked(profile: Profile) -> Profile:
    if not profile.subject:
        raise ProviderRefused("the provider did not say who signed in")
    return profile if profile.email is None else Profile(profile.provider, profile.subject, profile.email.strip().lower(),
                                                         profile.name, profile.claims)
