"""The inference gateway: /v1/chat/completions, /v1/responses, /v1/messages (and count_tokens),
/v1/embeddings, /v1/models."""
import sys

from flask import Flask, request


def register_gateway(app: Flask) -> None:
    from ..extensions import csrf, limiter
    from . import egress, http11
    from .blueprint import bp

    cfg = app.config
    http11.configure(cfg["GATEWAY_CONNECT_TIMEOUT_S"], cfg["GATEWAY_UPSTREAM_IDLE_S"])
    if cfg.get("HTTPS_PROXY"):
        try:
            egress.parse_proxy(cfg["HTTPS_PROXY"])
        except ValueError as exc:
            print(f"tollgate: configuration error: HTTPS_PROXY: {exc}", file=sys.stderr)
            raise SystemExit(2) from None

    app.register_blueprint(bp)
    csrf.exempt(bp)
    # Keys carry their own RPM/TPM limits, checked with the hold in one Redis call; the
    # filter (unlike an exemption) stops flask-limiter before it resolves any limit.
    limiter.request_filter(_is_gateway_request)


def register_json_errors(app: Flask) -> None:
    """Errors Flask or an extension raises under /v1 and /api are answered in JSON too."""
    from .http_errors import register_json_errors as register

    register(app)


# The one gateway route flask-limiter does limit: count_tokens is free, so no hold meters it.
_LIMITED = "gateway.count_message_tokens"


def _is_gateway_request() -> bool:
    return request.blueprint == "gateway" and request.endpoint != _LIMITED
