"""Ways to sign in beyond FAB's password form: providers, org SSO, a second factor, passkeys."""
from flask import Flask
from flask_login import user_logged_in


def register_signin(app: Flask) -> None:
    from . import org_sso_views, passkey_views, provider_views, totp_views  # noqa: F401  (each adds its routes to the blueprint)
    from .blueprint import bp
    from .flow import remember_generation
    from .passwords import fab_rule
    from .profile import profile_context

    # Set here, not in config.py: the config module cannot import the app package.
    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", fab_rule)
    app.register_blueprint(bp)
    user_logged_in.connect(remember_generation, app)
    app.context_processor(profile_context)
