"""The SSRF guard: only public addresses, checked when the delivery is made, unless allow-listed."""
import pytest

from app.webhooks import egress
from tests.webhooks.conftest import run_worker
from tests.webhooks.helpers import create_endpoint, org_owner


@pytest.mark.parametrize("url", [
    "http://10.1.2.3/hook",             # private
    "http://192.168.0.10/hook",         # private
    "http://127.0.0.1:8080/hook",       # loopback
    "http://[::1]:8080/hook",           # IPv6 loopback
    "http://localhost:8080/hook",       # a name that resolves to loopback
    "http://169.254.169.254/latest",    # the cloud metadata address
    "http://[::ffff:127.0.0.1]/hook",   # loopback hidden in an IPv4-mapped IPv6 address
    "http://224.0.0.1/hook",            # multicast
])
def test_non_public_addresses_are_refused(url):
    with pytest.raises(egress.Refused, match="not a public address"):
        egress.resolve(url, [])


@pytest.mark.parametrize("url, reason", [
    ("ftp://example.com/hook", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("http:///hook", "no host"),
])
def test_other_schemes_and_hostless_urls_are_refused(url, reason):
    with pytest.raises(egress.Refused, match=reason):
        egress.check_url(url)


def test_allow_list_lets_a_private_network_through_and_nothing_else():
    assert egress.resolve("http://127.0.0.1:9/hook", ["127.0.0.1/32"]) == "127.0.0.1"
    with pytest.raises(egress.Refused):
        egress.resolve("http://[::1]:9/hook", ["127.0.0.1/32"])


def test_delivery_to_a_name_resolving_to_loopback_is_refused_at_send_time(app, client, receiver, queues,
                                                                          monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_NETWORKS", [])
    _, auth = org_owner()
    endpoint = create_endpoint(client, auth, f"http://localhost:{receiver.port}/hook")
    client.post(f"/api/v1/me/webhooks/{endpoint['id']}/test", headers=auth)

    run_worker(app)

    assert receiver.requests == []
    [delivery] = client.get(f"/api/v1/me/webhooks/{endpoint['id']}/deliveries", headers=auth).get_json()["data"]
    assert delivery["status"] == "failed"
    assert delivery["attempt_log"] and all("not a public address" in a["error"] for a in delivery["attempt_log"])
