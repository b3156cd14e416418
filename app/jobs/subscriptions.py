"""Subscriptions whose renewal stayed unpaid through the grace period return to the Free plan."""
from ..billing import subscriptions
from ..extensions import db
from . import app_context

LAPSE_EVERY_S = 600


def end_lapsed_subscriptions() -> int:
    with app_context():
        ended = subscriptions.end_lapsed(db.session)
        db.session.commit()
        return ended
