"""The periodic jobs, as data. `app.jobs.schedule` hands them to RQ's cron scheduler in
production; the embedded default runs them in a thread of its own (`run_in_thread`)."""
import logging
import threading
import time

from .alerts import CHECK_EVERY_S, check_low_balances
from .events import SWEEP_EVERY_S, sweep_events
from .payments import (AUTO_RECHARGE_EVERY_S, RECONCILE_EVERY_S, SWEEP_EVERY_S as STRIPE_SWEEP_EVERY_S,
                       auto_recharge_due, reconcile_topups, sweep_stripe_events)
from .expiry import DROP_UNREAD_EVERY_S, EXPIRE_EVERY_S, drop_unread_secrets, expire_keys
from .exports import PURGE_EVERY_S as EXPORTS_PURGE_EVERY_S, purge_exports
from .retention import PURGE_EVERY_S, purge_usage
from .reconcile import REPLAY_EVERY_S, replay_unsettled
from .rollups import REFRESH_EVERY_S, refresh_recent
from .subscriptions import LAPSE_EVERY_S, end_lapsed_subscriptions

log = logging.getLogger(__name__)

PERIODIC = [
    # (function, queue, interval in seconds)
    (refresh_recent, "default", REFRESH_EVERY_S),
    (check_low_balances, "default", CHECK_EVERY_S),
    (replay_unsettled, "billing", REPLAY_EVERY_S),
    (expire_keys, "default", EXPIRE_EVERY_S),
    (drop_unread_secrets, "default", DROP_UNREAD_EVERY_S),
    (sweep_events, "webhooks", SWEEP_EVERY_S),
    (purge_usage, "default", PURGE_EVERY_S),
    (end_lapsed_subscriptions, "billing", LAPSE_EVERY_S),
    (sweep_stripe_events, "billing", STRIPE_SWEEP_EVERY_S),
    (reconcile_topups, "billing", RECONCILE_EVERY_S),
    (auto_recharge_due, "billing", AUTO_RECHARGE_EVERY_S),
    (purge_exports, "default", EXPORTS_PURGE_EVERY_S),
]

# The embedded default is a demo: its dashboards should move within a minute, not five.
EMBEDDED_MAX_INTERVAL_S = 60


def run_in_thread(app) -> threading.Thread:
    """Run every periodic job in this process, in app context, for the embedded default."""

    def loop():
        due = {func: 0.0 for func, _, _ in PERIODIC}
        while True:
            now = time.monotonic()
            for func, _, interval in PERIODIC:
                if due[func] <= now:
                    due[func] = now + min(interval, EMBEDDED_MAX_INTERVAL_S)
                    try:
                        with app.app_context():
                            func()
                    except Exception:  # noqa: BLE001 - one failed run must not stop the others
                        log.exception("periodic job %s failed", func.__name__)
            time.sleep(max(min(due.values()) - time.monotonic(), 1.0))

    thread = threading.Thread(target=loop, name="tollgate-periodic", daemon=True)
    thread.start()
    return thread
