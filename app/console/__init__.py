"""The customer console (/console): server-rendered pages for individuals and org members."""
from flask import Flask


def register_console(app: Flask) -> None:
    from . import account_views, billing, org_views, pages  # noqa: F401  (each adds its routes to the blueprint)
    from . import org_key_views, project_views, subscription_views, token_views, usage_views  # noqa: F401
    from . import model_views, notice_views, task_views, webhook_views  # noqa: F401
    from .blueprint import bp, customers_leave_admin

    app.register_blueprint(bp)
    app.before_request(customers_leave_admin)
