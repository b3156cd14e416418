"""Watching Tollgate run: probes (/healthz, /readyz), Prometheus metrics (/metrics), request log lines."""
from flask import Flask


def register_telemetry(app: Flask) -> None:
    from . import request_log
    from .endpoint import init_metrics
    from .probes import bp

    app.register_blueprint(bp)
    if app.config.get("METRICS_ENABLED"):
        init_metrics(app)
    request_log.configure(app)
