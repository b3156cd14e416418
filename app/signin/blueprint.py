"""The sign-in blueprint: routes beside FAB's /login/ form (providers, org SSO, second factor, passkeys)."""
from flask import Blueprint, current_app

from ..console.blueprint import _console_context

bp = Blueprint("signin", __name__)
# Its pages use the console's layout, which needs the same context (memberships, staff).
bp.context_processor(_console_context)


def sign_in_limit() -> str:
    """Posts that try a credential here share the login form's per-address limit (flask-limiter syntax)."""
    return current_app.config["LOGIN_LIMIT_PER_IP"]
