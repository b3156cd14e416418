"""What the Profile page's sign-in section shows: linked providers, providers to link, passkeys."""
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..models import Organization
from . import clients, identities, passkeys


def profile_context() -> dict:
    return {"signin_profile": _signin_profile}


def _signin_profile() -> dict:
    linked = identities.linked(current_user)
    site = clients.providers()
    return {"linked": linked, "labels": {i.provider: _label(i.provider, site) for i in linked},
            "to_link": {name: label for name, label in site.items() if name not in {i.provider for i in linked}},
            "has_password": bool(current_user.password), "passkeys": passkeys.of_user(current_user)}


def _label(provider: str, site: dict) -> str:
    if provider in site:
        return site[provider]
    if provider.startswith("org:") and provider[4:].isdigit():
        org = db.session.get(Organization, int(provider[4:]))
        return _("%(org)s single sign-on", org=org.name) if org else provider
    return provider  # a provider since turned off by the operator
