"""The JSON API for signed-in callers: /api/v1/me/..."""
from flask import Flask


def register_me_api(app: Flask) -> None:
    from ..extensions import csrf
    from .me import bp

    app.register_blueprint(bp)
    csrf.exempt(bp)
