"""The JSON API for signed-in callers: /api/v1/me/..."""
from flask import Flask


def register_me_api(app: Flask) -> None:
    from ..extensions import csrf
    from .me import bp
    from .webhooks import bp as webhooks_bp

    for blueprint in (bp, webhooks_bp):
        app.register_blueprint(blueprint)
        csrf.exempt(blueprint)
