"""Probes for load balancers and orchestrators: /healthz (alive) and /readyz (can serve).

/healthz checks nothing but that the process answers: an orchestrator restarts a process
that fails it, and a dependency outage must not restart every process at once.
/readyz says whether this process should get traffic: Redis answers (admission needs it
for every request) and this process holds a model catalog. PostgreSQL is not checked:
keys and the catalog are cached, so a database blip leaves gateways serving cached keys
instead of pulling all of them out of rotation together. A process that was asked to
stop (SIGTERM) answers 503 so the load balancer drains it.
"""
import orjson
from flask import Blueprint, Response

from ..extensions import redis_conn
from ..gateway import catalog, stream_clock

bp = Blueprint("probes", __name__)


@bp.get("/healthz")
def healthz():
    return _answer(200, {"status": "ok"})


@bp.get("/readyz")
def readyz():
    checks = {"redis": _redis(), "catalog": _catalog()}
    if stream_clock.drain_began is not None:
        checks["draining"] = "stopping: finishing open streams"
    ready = checks["redis"] == "ok" and checks["catalog"] == "ok" and "draining" not in checks
    return _answer(200 if ready else 503, {"status": "ready" if ready else "not ready", "checks": checks})


def _redis() -> str:
    try:
        redis_conn.client.ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", named in the answer
        return f"unreachable: {type(exc).__name__}"


def _catalog() -> str:
    """"ok" while this process holds a catalog, even one it could not refresh since (database down)."""
    if catalog.loaded():
        return "ok"
    try:
        catalog.current()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - the database is needed for the first load only
        return f"not loaded: {type(exc).__name__}"


def _answer(status: int, body: dict) -> Response:
    # Never cached: a proxy must not answer a probe from an earlier state.
    return Response(orjson.dumps(body), status=status, mimetype="application/json",
                    headers={"Cache-Control": "no-store"})
