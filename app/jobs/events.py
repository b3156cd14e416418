"""The sweep: events and webhook retries that never reached the queue (Redis was down) are enqueued."""
from ..events import bus
from ..extensions import db
from . import app_context

SWEEP_EVERY_S = 60


def sweep_events() -> tuple[int, int]:
    """Returns (events, deliveries) enqueued again."""
    with app_context():
        return bus.sweep(db.session)
