"""Periodic jobs for RQ's cron scheduler:

    rq cron app.jobs.schedule --url "$REDIS_URL"

Each entry only enqueues; the work runs on an RQ worker (`flask tollgate worker`).
"""
from rq import cron

from .periodic import PERIODIC

for func, queue_name, interval in PERIODIC:
    cron.register(func, queue_name=queue_name, interval=interval)
