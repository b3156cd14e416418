"""Watching Tollgate run: probes for load balancers (/healthz, /readyz) and Prometheus metrics (/metrics)."""
from flask import Flask


def register_telemetry(app: Flask) -> None:
    from .endpoint import init_metrics
    from .probes import bp

    app.register_blueprint(bp)
    if app.config.get("METRICS_ENABLED"):
        init_metrics(app)
