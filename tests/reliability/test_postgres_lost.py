"""PostgreSQL lost while a gateway serves: calls whose key and balances are already in
memory and Redis are still served and metered; their usage waits in Redis and is booked
once PostgreSQL is back. A call that needs the database (an uncached key) gets a 503."""
import time

import requests
import sqlalchemy as sa

from tests.factories import fund

from .conftest import record_figures
from .load import charged_total, one_call, open_holds, usage_by_request, wait_for_usage_rows, wallet_balance
from .procs import CuttableProxy, Gateway


def test_postgresql_lost_then_back_books_every_served_call(cluster, app):
    _, secret = cluster.key()
    _, cold_secret = cluster.key(name="never used")
    fund(cluster.org.wallet.id, "10")
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    via_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    gateway = Gateway({**cluster.env, "DATABASE_URL": via_proxy.replace("postgresql+psycopg2://", "postgresql://"),
                       "GATEWAY_KEY_CACHE_SECONDS": "60"})
    try:
        warm = [one_call(gateway.url, secret, "gpt-load", stream=False) for _ in range(3)]
        assert {o.status for o in warm} == {200}
        proxy.cut()
        cut_at = time.monotonic()
        during = [one_call(gateway.url, secret, "gpt-load", stream=i % 2 == 0) for i in range(10)]
        cold = one_call(gateway.url, cold_secret, "gpt-load", stream=False)
        time.sleep(1.0)  # the flusher fails meanwhile; its batch waits in Redis
        proxy.restore()
        restored_at = time.monotonic()
        after = one_call(gateway.url, secret, "gpt-load", stream=False)
    finally:
        gateway_log = gateway.output()
        gateway.stop()
        proxy.cut()

    assert {o.status for o in during} == {200}, [(o.status, o.code) for o in during]
    assert all(o.completed for o in during)
    assert (cold.status, cold.code) == (503, "service_unavailable")
    assert after.status == 200
    served = warm + during + [after]
    # The gateway stopped before its queue was written: the other gateways' flushers book it.
    assert wait_for_usage_rows(len(served) + 1, timeout=40) >= len(served) + 1, gateway_log[-2000:]
    usage = usage_by_request()
    assert all(usage[o.request_id].status == "success" for o in served)
    assert charged_total(cluster.org.wallet.id) == sum(u.total_cost for u in usage.values()) > 0
    assert wallet_balance(cluster.org.wallet.id) == 10_000_000 - charged_total(cluster.org.wallet.id)
    assert open_holds(cluster.redis) == (0, 0)
    record_figures("PostgreSQL unreachable for one gateway for about 1.5 s", served_while_down=len(during),
                   uncached_key_while_down="503", booked_after_restore=len(served),
                   seconds_down=round(restored_at - cut_at, 2))
