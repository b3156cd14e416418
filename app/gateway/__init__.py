"""The inference gateway: /v1/chat/completions, /v1/messages, /v1/embeddings, /v1/models."""
from flask import Flask


def register_gateway(app: Flask) -> None:
    from ..extensions import csrf, limiter
    from .blueprint import bp

    app.register_blueprint(bp)
    csrf.exempt(bp)
    # Keys carry their own RPM/TPM limits, checked with the hold in one Redis call.
    limiter.exempt(bp)
