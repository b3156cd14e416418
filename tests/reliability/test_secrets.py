"""After real traffic, no API key, provider key or password is readable in the database,
the gateways' logs or Redis: they hold hashes and ciphertext only."""
import subprocess

import sqlalchemy as sa

from tests.factories import fund

from .load import run_load, wait_for_usage_rows

PROVIDER_KEY = "upstream-key"  # tests.factories.make_provider's plaintext
PASSWORD = "password-123"  # tests.factories.make_user's default


def test_no_secret_in_database_dump_logs_or_redis(cluster, app):
    _, secret = cluster.key()
    fund(cluster.org.wallet.id, "1")
    result = run_load([gw.url for gw in cluster.gateways], secret, "gpt-load", total=20, concurrency=5)
    # A caller who mistypes the key must not find it in the logs either.
    run_load([cluster.gateways[0].url], secret[:-2] + "xx", "gpt-load", total=2, concurrency=2)
    wait_for_usage_rows(22)

    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    dump = subprocess.run(["pg_dump", "-h", url.host or "127.0.0.1", "-U", url.username or "postgres",
                           "--data-only", url.database], capture_output=True, text=True, check=True).stdout
    logs = "".join(gw.output() for gw in cluster.gateways)
    stored = []
    for name in cluster.redis.scan_iter("*"):
        kind = cluster.redis.type(name)
        if kind == b"string":
            stored.append(cluster.redis.get(name))
        elif kind == b"hash":
            stored.extend(cluster.redis.hgetall(name).values())
        elif kind == b"list":
            stored.extend(cluster.redis.lrange(name, 0, -1))
        stored.append(name)
    in_redis = b"\n".join(stored).decode(errors="replace")

    assert result.served() and result.served()[0].request_id in dump  # the dump holds the traffic's rows
    for place, text in (("database dump", dump), ("gateway logs", logs), ("Redis", in_redis)):
        for label, value in (("API key", secret), ("mistyped API key", secret[:-2] + "xx"),
                             ("provider key", PROVIDER_KEY), ("password", PASSWORD)):
            assert value not in text, f"{label} found in {place}"
