"""RQ's queues, workers and failed jobs for admins, at /admin/rq (rq-dashboard, Admin role only).

rq-dashboard has no authentication of its own: every request to it passes ``_admins_only``
first. Its buttons (retry, delete, empty) post with jQuery, which sends X-Requested-With;
a cross-site form cannot, so that header stands in for the CSRF token it does not send.
"""
from flask import Flask, abort, redirect, request

URL_PREFIX = "/admin/rq"


def register_rq_dashboard(app: Flask) -> None:
    if not app.config.get("REDIS_URL"):
        return  # the embedded default's in-process Redis cannot be reached from outside
    import rq_dashboard

    from .extensions import csrf

    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", [app.config["REDIS_URL"]])
    rq_dashboard.web.setup_rq_connection(app)  # what its own CLI does; connects lazily
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=URL_PREFIX)
    csrf.exempt(rq_dashboard.blueprint)
    # Before the blueprint's own hooks, which connect to Redis.
    app.before_request_funcs.setdefault(rq_dashboard.blueprint.name, []).insert(0, _admins_only)


def _admins_only():
    from flask import current_app
    from flask_login import current_user

    if not current_user.is_authenticated:
        return redirect(current_app.appbuilder.get_url_for_login_with(request.full_path))
    admin = current_app.config["AUTH_ROLE_ADMIN"]
    if not any(role.name == admin for role in current_user.roles):
        abort(403)
    if request.method not in ("GET", "HEAD") and request.headers.get("X-Requested-With") != "XMLHttpRequest":
        abort(403)
    return None
