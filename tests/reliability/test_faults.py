"""Faults while two gateways are under load: what callers get, what is charged, how fast it recovers.

Every scenario ends with the same books: the wallet never below zero, its balance equal to
its ledger (checked after every test), every call answered 200 booked exactly once, and no
hold left open.
"""
import os
import subprocess
import sys
import threading
import time

import requests
import sqlalchemy as sa

from app.extensions import db
from app.models import UnsettledUsage

from .conftest import HOLD_TTL_S, record_figures
from .procs import ROOT
from .load import (charged_total, one_call, open_holds, usage_by_request, wait_for_no_holds, wait_for_usage_rows,
                   wallet_balance)
from tests.factories import fund


class BackgroundLoad:
    """Calls from ``threads`` threads until stopped, each outcome stamped with its end (and start) time."""

    def __init__(self, urls, secret, threads=12):
        self.urls, self.secret, self.stopping, self.outcomes = urls, secret, threading.Event(), []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._loop, args=(i,), daemon=True) for i in range(threads)]
        self.started = time.monotonic()
        for t in self.threads:
            t.start()

    def _loop(self, i):
        n = 0
        while not self.stopping.is_set():
            began = time.monotonic() - self.started
            outcome = one_call(self.urls[(i + n) % len(self.urls)], self.secret, "gpt-load", n % 2 == 0, timeout=20)
            outcome.began = began
            with self.lock:
                self.outcomes.append((time.monotonic() - self.started, outcome))
            n += 1

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(30)
        return self.outcomes


def _settled_books(cluster, outcomes):
    served = [o for _, o in outcomes if o.status == 200]
    found = wait_for_usage_rows(len([o for _, o in outcomes if o.request_id]))
    kept = db.session.execute(sa.select(UnsettledUsage.kind, UnsettledUsage.reason)).all()
    assert found >= len(served), (found, len(served), kept[:5], len(kept))
    usage = usage_by_request()
    booked = {rid for rid, u in usage.items() if u.status == "success"}
    missing = [o.request_id for o in served if o.request_id not in booked]
    assert wallet_balance(cluster.org.wallet.id) >= 0
    assert charged_total(cluster.org.wallet.id) == sum(u.total_cost for u in usage.values())
    return served, missing


def _first_success_after(outcomes, moment):
    times = [t for t, o in outcomes if o.status == 200 and t > moment]
    return round(min(times) - moment, 2) if times else None


def test_redis_stopped_and_restarted_under_load(cluster, meter_redis):
    _, secret = cluster.key()
    fund(cluster.org.wallet.id, "10")
    load = BackgroundLoad([gw.url for gw in cluster.gateways], secret)
    time.sleep(1.5)
    meter_redis.stop()
    down_at = time.monotonic() - load.started
    time.sleep(2.0)
    restarting_at = time.monotonic() - load.started
    restarted = meter_redis.restart()
    up_at = time.monotonic() - load.started
    time.sleep(2.5)
    outcomes = load.stop()

    statuses = {o.status for _, o in outcomes}
    assert statuses <= {200, 503}, statuses  # fail closed, never a 500
    during = [o for t, o in outcomes if down_at < o.began and t < restarting_at]  # sent while Redis was down
    assert during and all(o.status == 503 and o.code == "service_unavailable" for o in during), \
        sorted({(o.status, o.code) for o in during}, key=str)
    recovery = _first_success_after(outcomes, up_at)
    assert recovery is not None and recovery < 2.0
    # Calls answered while Redis went away were kept in PostgreSQL; the reconciler books them.
    replay = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "tollgate", "usage", "replay"],
                            cwd=ROOT, env={**os.environ, **cluster.env}, capture_output=True, text=True, timeout=60)
    assert replay.returncode == 0, replay.stderr
    served, missing = _settled_books(cluster, outcomes)
    assert missing == []  # served calls in flight when Redis went away are booked too
    # A call whose admission reply was lost as Redis went down got 503 while its hold may have
    # been written: nothing was forwarded, and the expiry sweep releases it without a charge.
    left = {rid.decode() for rid in cluster.redis.zrange("tg:holds", 0, -1)}
    assert {(o.status, o.code) for _, o in outcomes if o.request_id in left} <= {(503, "service_unavailable")}
    assert wait_for_no_holds(cluster.redis, timeout=HOLD_TTL_S + 6) == (0, 0)
    record_figures("Redis stopped for 2 s and restarted", requests=len(outcomes), served=len(served),
                   refused_503=sum(o.status == 503 for _, o in outcomes), unbooked=len(missing),
                   recovery_s=recovery)
    meter_redis.__dict__.update(restarted.__dict__)  # the module fixture stops the running one


def test_postgresql_connections_terminated_under_load(cluster, app):
    _, secret = cluster.key()
    fund(cluster.org.wallet.id, "10")
    dbname = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    load = BackgroundLoad([gw.url for gw in cluster.gateways], secret)
    killed = 0
    for _ in range(6):
        time.sleep(0.5)
        with db.engine.connect() as conn:
            killed += len(conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": dbname}).all())
            conn.commit()
    stopped_killing = time.monotonic() - load.started
    time.sleep(1.5)
    outcomes = load.stop()
    db.engine.dispose()  # our own pooled connections were terminated too

    statuses = {o.status for _, o in outcomes}
    assert statuses <= {200, 503}, statuses
    assert killed > 0
    assert _first_success_after(outcomes, stopped_killing) is not None  # it recovered
    served, missing = _settled_books(cluster, outcomes)
    assert served
    assert missing == []
    assert open_holds(cluster.redis) == (0, 0)
    record_figures("PostgreSQL connections terminated 6 times in 3 s", requests=len(outcomes),
                   served=len(served), refused_503=sum(o.status == 503 for _, o in outcomes),
                   connections_killed=killed, unbooked=len(missing),
                   recovery_s=_first_success_after(outcomes, stopped_killing))


def _with_upstream(cluster, **knobs):
    requests.post(f"{cluster.upstream.url}/_control", json=knobs, timeout=5).raise_for_status()


def test_upstream_errors_and_cuts_under_load(cluster):
    _, secret = cluster.key()
    cluster.provider.timeout_s = 1  # the gateways re-read it with the catalog, every second
    db.session.commit()
    time.sleep(1.1)
    fund(cluster.org.wallet.id, "10")
    urls = [gw.url for gw in cluster.gateways]
    figures = {}
    try:
        for name, knobs, expected in (("500", {"error": "500"}, {502}), ("429", {"error": "429"}, {429}),
                                      ("timeout", {"error": "timeout", "timeout_s": 3}, {504}),
                                      ("cut", {"cut_after": 3}, {200})):
            requests.post(f"{cluster.upstream.url}/_control/reset", timeout=5).raise_for_status()
            _with_upstream(cluster, **knobs)
            before = charged_total(cluster.org.wallet.id)
            calls = 6 if name == "timeout" else 20  # each timeout costs the provider's 1 s read timeout
            outs = [one_call(urls[i % 2], secret, "gpt-load", stream=(name == "cut") or i % 2 == 0)
                    for i in range(calls)]
            assert {o.status for o in outs} == expected, (name, [(o.status, o.code) for o in outs])
            assert all("json" in o.content_type for o in outs if o.status != 200)
            expected_rows = sum(len(v) for v in figures.values()) + calls
            assert wait_for_usage_rows(expected_rows) >= expected_rows
            charged = charged_total(cluster.org.wallet.id) - before
            if name == "cut":
                assert all(not o.completed for o in outs)  # the caller saw the cut, no [DONE]
                assert charged > 0  # input and the output delivered before the cut
            else:
                assert charged == 0
            figures[name] = outs
            record_figures(f"upstream {name} on every call", requests=calls,
                           statuses=sorted({o.status for o in outs}), charged=charged)
    finally:
        requests.post(f"{cluster.upstream.url}/_control/reset", timeout=5)
    assert open_holds(cluster.redis) == (0, 0)
