"""What the Profile page's sign-in section shows: linked providers, providers to link, and more."""
from flask_login import current_user

from . import clients, identities, passkeys


def profile_context() -> dict:
    return {"signin_profile": _signin_profile}


def _signin_profile() -> dict:
    linked = identities.linked(current_user)
    site = clients.providers()
    return {"linked": linked, "labels": {**site, **{i.provider: i.provider for i in linked if i.provider not in site}},
            "to_link": {name: label for name, label in site.items() if name not in {i.provider for i in linked}},
            "has_password": bool(current_user.password), "passkeys": passkeys.of_user(current_user)}
