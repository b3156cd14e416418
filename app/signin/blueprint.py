"""The sign-in blueprint: routes beside FAB's /login/ form (providers, org SSO, second factor, passkeys)."""
from flask import Blueprint

bp = Blueprint("signin", __name__)
