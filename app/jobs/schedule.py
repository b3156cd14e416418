"""Periodic jobs, as data, for RQ's cron scheduler:

    rq cron app.jobs.schedule --url "$REDIS_URL"

Each entry only enqueues; the work runs on an RQ worker (`flask tollgate worker`).
"""
from rq import cron

from .alerts import CHECK_EVERY_S, check_low_balances
from .rollups import REFRESH_EVERY_S, refresh_recent

PERIODIC = [
    # (function, queue, interval in seconds)
    (refresh_recent, "default", REFRESH_EVERY_S),
    (check_low_balances, "default", CHECK_EVERY_S),
]

for func, queue_name, interval in PERIODIC:
    cron.register(func, queue_name=queue_name, interval=interval)
