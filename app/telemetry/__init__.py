"""Watching Tollgate run: probes for load balancers (/healthz, /readyz)."""
from flask import Flask


def register_telemetry(app: Flask) -> None:
    from .probes import bp

    app.register_blueprint(bp)
