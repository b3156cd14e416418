"""Hundreds of concurrent calls through two production gateways sharing PostgreSQL and Redis."""
from app.billing.units import usd_to_credits
from tests.factories import fund

from .conftest import record_figures
from .load import charged_total, open_holds, run_load, usage_by_request, wait_for_usage_rows, wallet_balance


def test_one_wallet_under_load_never_goes_below_zero_and_books_every_served_call(cluster):
    _, secret = cluster.key()
    fund(cluster.org.wallet.id, "0.006")  # about 50 holds at once; settled calls free theirs again
    urls = [gw.url for gw in cluster.gateways]

    result = run_load(urls, secret, "gpt-load", total=240)

    statuses = result.by_status()
    assert set(statuses) <= {200, 402}, (statuses, {o.message for o in result.outcomes if o.status not in (200, 402)})
    served = result.served()
    assert served and statuses[402] > 0, statuses  # the wallet ran dry part-way: both outcomes happen
    assert all(o.completed for o in served)
    assert wait_for_usage_rows(240) == 240
    usage = usage_by_request()
    assert len(usage) == 240  # one row per call, served or refused
    assert sorted(o.request_id for o in served) == sorted(r for r, u in usage.items() if u.status == "success")
    balance = wallet_balance(cluster.org.wallet.id)
    assert balance >= 0
    assert charged_total(cluster.org.wallet.id) == usd_to_credits("0.006") - balance
    assert charged_total(cluster.org.wallet.id) == sum(u.total_cost for u in usage.values())
    assert open_holds(cluster.redis) == (0, 0)
    record_figures("one wallet, two gateways", requests=240, seconds=round(result.seconds, 2),
                   served=len(served), refused_402=statuses[402], other_errors=0, balance_after=balance,
                   drift=balance - (usd_to_credits("0.006") - charged_total(cluster.org.wallet.id)))


def test_one_keys_rpm_holds_across_two_gateways(cluster):
    _, secret = cluster.key(rpm_limit=30)
    fund(cluster.org.wallet.id, "10")

    result = run_load([gw.url for gw in cluster.gateways], secret, "gpt-load", total=90, concurrency=30)

    statuses = result.by_status()
    assert statuses == {200: 30, 429: 60}
    assert {o.code for o in result.outcomes if o.status == 429} == {"rpm_limit_exceeded"}
    assert wait_for_usage_rows(90) == 90
    assert open_holds(cluster.redis) == (0, 0)
    record_figures("one key's RPM (30), two gateways", requests=90, served=statuses[200],
                   refused_429=statuses[429], seconds=round(result.seconds, 2))


def test_one_keys_rolling_cap_holds_across_two_gateways(cluster):
    key, secret = cluster.key(cap_5h=2_000)
    fund(cluster.org.wallet.id, "10")

    result = run_load([gw.url for gw in cluster.gateways], secret, "gpt-load", total=120, concurrency=40)

    statuses = result.by_status()
    assert set(statuses) == {200, 429}, statuses
    assert {o.code for o in result.outcomes if o.status == 429} == {"cap_5h_exhausted"}
    assert wait_for_usage_rows(120) == 120
    charged = charged_total(cluster.org.wallet.id)
    assert 0 < charged <= 2_000
    assert open_holds(cluster.redis) == (0, 0)
    record_figures("one key's rolling 5h cap (2,000 credits), two gateways", requests=120,
                   served=statuses[200], refused_429=statuses[429], charged=charged,
                   seconds=round(result.seconds, 2))
