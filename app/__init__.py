"""Tollgate: an LLM API gateway that sells model access for credits."""
import sys

from flask import Flask

from config import INSTANCE_DIR, ConfigError, config_from_env


def create_app(config_class=None) -> Flask:
    config_class = load_config(config_class)
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(config_class)

    from . import admin_api, extensions, headers, language, jobs, gateway, api, views, cli, console, rq_admin, signin, telemetry

    init_extensions(app)
    headers.init_app(app)
    jobs.init_app(app)
    gateway.register_gateway(app)
    telemetry.register_telemetry(app)
    api.register_me_api(app)
    rq_admin.register_rq_dashboard(app)
    gateway.register_json_errors(app)
    with app.app_context():
        views.register_admin_views(extensions.appbuilder)
        admin_api.register_admin_api(extensions.appbuilder)
    language.register_language(app)
    console.register_console(app)
    signin.register_signin(app)
    cli.register_cli(app)
    if app.config.get("TOLLGATE_MOUNT_MOCK"):
        mount_mock_upstream(app)
    if app.config.get("TOLLGATE_MOUNT_STRIPE_STANDIN"):
        mount_stripe_standin(app, app.config["TOLLGATE_PUBLIC_URL"])
    if app.config.get("TOLLGATE_CHECK_SERVICES"):
        check_services(app)
    return app


def load_config(config_class=None):
    """The config class, validated; a bad setting ends the process with one line naming it."""
    try:
        config_class = config_class or config_from_env()
        config_class.validate()
    except ConfigError as exc:
        print(f"tollgate: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return config_class


def check_services(app: Flask) -> None:
    """Refuse to start when PostgreSQL or Redis cannot be reached, naming the setting."""
    from sqlalchemy import text

    from .extensions import db, redis_conn
    from .setup import describe_startup_error

    try:
        with app.app_context():
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        redis_conn.client.ping()
    except Exception as exc:  # noqa: BLE001 - reported as one line, then the process stops
        print(f"tollgate: cannot start: {describe_startup_error(exc)}", file=sys.stderr)
        raise SystemExit(2) from None


def init_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (registers every table on the shared metadata)
    from .extensions import appbuilder, csrf, db, limiter, migrate, redis_conn
    from .sqlite_parity import configure_sqlite

    with app.app_context():
        db.init_app(app)
        configure_sqlite(db.engine)
        appbuilder.init_app(app, db.session)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    redis_conn.init_app(app)


def mount_mock_upstream(app: Flask) -> None:
    """Serve the bundled mock LLM upstream under /_mock, so a newcomer can call a model offline."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from .devtools.mock_upstream import create_mock_app

    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/_mock": create_mock_app()})


def mount_stripe_standin(app: Flask, base_url: str) -> None:
    """Serve the Stripe stand-in under /_stripe and point Stripe calls and webhooks at it (development).

    Called again by ``run.py`` once it knows the address it serves on.
    """
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from .devtools.stripe_standin import create_standin_app

    base_url = base_url.rstrip("/")
    standin = create_standin_app(public_url=f"{base_url}/_stripe", webhook_url=f"{base_url}/webhooks/stripe",
                                 webhook_secret=app.config["STRIPE_WEBHOOK_SECRET"])
    app.config["STRIPE_API_BASE"] = f"{base_url}/_stripe"
    inner = app.extensions.get("tollgate_inner_wsgi", app.wsgi_app)
    app.extensions["tollgate_inner_wsgi"] = inner
    app.wsgi_app = DispatcherMiddleware(inner, {"/_stripe": standin})
