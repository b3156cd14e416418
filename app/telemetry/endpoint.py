"""GET /metrics: Prometheus text format, for a bearer token or an allowed network only.

Refused (403) unless the request carries ``Authorization: Bearer <METRICS_TOKEN>`` or comes
from an address in METRICS_ALLOW_FROM; with neither setting, nobody may read it. The
address is the TCP peer's: behind a reverse proxy that is the proxy, so prefer the token
there (or let the proxy refuse /metrics from outside).
"""
import hmac
import ipaddress
import os

from flask import Blueprint, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from . import instruments
from .collector import StateCollector

bp = Blueprint("metrics", __name__)


def init_metrics(app) -> None:
    metrics = instruments.enable()
    if multiprocess():
        app.extensions["tollgate_metrics"] = None  # a registry per scrape, over every worker's files
    else:
        registry = CollectorRegistry(auto_describe=False)
        for metric in metrics.metrics():
            registry.register(metric)
        registry.register(StateCollector(app))
        app.extensions["tollgate_metrics"] = registry
    app.register_blueprint(bp)


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


@bp.get("/metrics")
def metrics():
    if not _allowed():
        return Response("/metrics is readable with the bearer token METRICS_TOKEN or from the networks in "
                        "METRICS_ALLOW_FROM\n", status=403, mimetype="text/plain")
    return Response(_scrape(), mimetype=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def _scrape() -> bytes:
    registry = current_app.extensions["tollgate_metrics"]
    if registry is not None:
        return generate_latest(registry)
    registry = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(registry)
    registry.register(StateCollector(current_app._get_current_object()))
    try:
        return generate_latest(registry)
    except FileNotFoundError:
        # A worker's files were folded into the archive between listing and reading them.
        return generate_latest(registry)


def _allowed() -> bool:
    cfg = current_app.config
    token = cfg.get("METRICS_TOKEN")
    if token:
        scheme, _, presented = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode()):
            return True
    try:
        peer = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(peer in network for network in allowed_networks(cfg.get("METRICS_ALLOW_FROM") or []))


def allowed_networks(items: list[str]) -> list:
    return [ipaddress.ip_network(item, strict=False) for item in items]
