"""WSGI entry point of a gateway process: only /v1 and /api/v1/me, no back office.

    gunicorn -c python:app.gunicorn_gateway_conf app.gateway.wsgi:application

A gateway process holds no state of its own beyond short caches, so more of them can
be added behind a load balancer at any time.
"""
from flask import Flask


def create_gateway_app(config_class=None) -> Flask:
    from .. import load_config

    config_class = load_config(config_class)
    app = Flask("app")
    app.config.from_object(config_class)

    from .. import api, jobs, models, telemetry  # noqa: F401  (models registers the tables)
    from ..extensions import csrf, db, limiter, redis_conn
    from ..sqlite_parity import configure_sqlite
    from . import register_gateway, register_json_errors

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)  # a gateway on the embedded SQLite keeps PostgreSQL's rules too
    redis_conn.init_app(app)
    limiter.init_app(app)
    csrf.init_app(app)
    jobs.init_app(app)
    register_gateway(app)
    telemetry.register_telemetry(app)
    api.register_me_api(app)
    register_json_errors(app)
    if app.config.get("TOLLGATE_CHECK_SERVICES"):
        from .. import check_services

        check_services(app)
    return app


def _build():
    from ..serving import start_background_settlement

    app = create_gateway_app()
    if not app.config.get("GATEWAY_SYNC_SETTLE") and app.config["GATEWAY_RUN_FLUSHER"]:
        start_background_settlement(app)
    return app


application = _build()
