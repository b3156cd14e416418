"""The JSON API for signed-in callers: /api/v1/me/..."""
from flask import Flask


def register_me_api(app: Flask) -> None:
    from ..extensions import csrf
    from .me import bp as account
    from .me_activity import bp as activity
    from .me_billing import bp as billing
    from .me_keys import bp as keys
    from .me_tasks import bp as tasks
    from .me_subscription import bp as subscription
    from .reference import bp as reference
    from .stripe_webhook import bp as stripe_webhook
    from .webhooks import bp as webhooks

    for bp in (account, keys, activity, billing, subscription, tasks, reference, webhooks, stripe_webhook):
        app.register_blueprint(bp)
        csrf.exempt(bp)
