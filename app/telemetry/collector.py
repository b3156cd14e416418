"""Gauges read from Redis and PostgreSQL when Prometheus scrapes, never on the request path.

They describe the whole deployment (every process shares Redis and PostgreSQL), so any
process's /metrics gives the same values; a dashboard should take max() over instances,
not sum(). A store that cannot be read is reported by ``tollgate_redis_up`` or
``tollgate_database_up`` = 0 and its gauges are left out of that scrape.
"""
import datetime as dt
import logging
import time

import orjson
from flask import Flask
from prometheus_client.core import GaugeMetricFamily
from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from ..billing import mirror
from ..extensions import db
from ..models import UnsettledUsage
from ..models.unsettled import OPEN

log = logging.getLogger(__name__)


class StateCollector:
    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        with self.app.app_context():
            yield from self._redis()
            yield from self._database()

    def describe(self):
        return []  # computed per scrape: registering must not read Redis or PostgreSQL

    def _redis(self):
        client = self.app.extensions["tollgate_redis"].client
        up = GaugeMetricFamily("tollgate_redis_up", "1 if Redis answered this scrape")
        try:
            pipe = client.pipeline(transaction=False)
            pipe.zcard(mirror.HOLDS)
            pipe.llen(mirror.USAGE_QUEUE)
            pipe.lindex(mirror.USAGE_QUEUE, 0)
            pipe.zrange(mirror.PREFIX + "usage:batches", 0, -1, withscores=True)
            pipe.llen(mirror.USAGE_DEAD)
            holds, queued, oldest, batches, dead = pipe.execute()
            pipe = client.pipeline(transaction=False)
            for batch_id, _ in batches:
                pipe.llen(mirror.PREFIX + "usage:b:" + batch_id.decode())
            claimed = sum(pipe.execute()) if batches else 0
            queues = self._queues(client)
        except Exception as exc:  # noqa: BLE001 - a scrape during an outage reports the outage
            log.warning("metrics: Redis unreadable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield _gauge("tollgate_holds_in_flight", "Credit holds open now (requests admitted, not yet settled)",
                     holds)
        yield _gauge("tollgate_settlement_queue_depth", "Usage records waiting to be written to PostgreSQL "
                     "(queued or in a claimed batch)", queued + claimed)
        yield _gauge("tollgate_settlement_lag_seconds", "Age of the oldest usage record not yet written "
                     "(0 when none waits)", _lag(oldest, batches))
        yield _gauge("tollgate_usage_dead_letters", "Usage records kept in Redis because PostgreSQL refused "
                     "even to park them", dead)
        jobs = GaugeMetricFamily("tollgate_rq_queue_jobs", "RQ jobs waiting, by queue", labels=["queue"])
        failed = GaugeMetricFamily("tollgate_rq_failed_jobs", "RQ jobs in the failed registry, by queue",
                                   labels=["queue"])
        for name, (waiting, failures) in queues.items():
            jobs.add_metric([name], waiting)
            failed.add_metric([name], failures)
        yield jobs
        yield failed

    def _queues(self, client) -> dict:
        out = {}
        for name in self.app.config["RQ_QUEUES"]:
            queue = Queue(name, connection=client)
            out[name] = (queue.count, FailedJobRegistry(queue=queue).count)
        return out

    def _database(self):
        up = GaugeMetricFamily("tollgate_database_up", "1 if PostgreSQL answered this scrape")
        try:
            rows = db.session.execute(select(UnsettledUsage.kind, func.count()).where(
                UnsettledUsage.status == OPEN).group_by(UnsettledUsage.kind)).all()
        except Exception as exc:  # noqa: BLE001 - see _redis
            log.warning("metrics: database unreadable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        finally:
            db.session.rollback()
        up.add_metric([], 1)
        yield up
        parked = GaugeMetricFamily("tollgate_parked_records", "Usage records waiting for the reconciler, by kind "
                                   "(parked: PostgreSQL refused them; unsettled: Redis was away at settlement)",
                                   labels=["kind"])
        counts = dict(rows)
        for kind in ("parked", "unsettled"):
            parked.add_metric([kind], counts.get(kind, 0))
        yield parked


def _gauge(name: str, doc: str, value) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _lag(oldest: bytes | None, batches: list) -> float:
    """Seconds since the oldest waiting record was queued or its batch claimed."""
    now = time.time()
    ages = [now - score / 1000 for _, score in batches]
    if oldest:
        try:
            created = dt.datetime.fromisoformat(orjson.loads(oldest)["r"]["created_at"])  # naive UTC
            ages.append(now - created.replace(tzinfo=dt.timezone.utc).timestamp())
        except (ValueError, KeyError, TypeError):
            pass
    return max(0.0, max(ages, default=0.0))
