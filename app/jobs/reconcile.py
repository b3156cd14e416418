"""The reconciler as a periodic job: books parked and unsettled usage, once each."""
import logging

from . import app_context

log = logging.getLogger(__name__)

# Soon enough that an unsettled request is booked at its exact cost before its hold expires.
REPLAY_EVERY_S = 60


def replay_unsettled() -> int:
    """Replay open parked and unsettled usage records; returns how many were booked."""
    with app_context():
        from ..billing import reconcile

        result = reconcile.replay_all()
        for request_id, reason in result.failed:
            log.error("usage record %s still cannot be booked: %s", request_id, reason)
        return result.replayed
