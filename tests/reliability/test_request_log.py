"""REQUEST_LOG=json on a real gateway: one JSON line per request, and never a secret or a prompt in its output."""
import json
import time

import pytest
import requests

from app.models import ProviderKind
from tests.factories import make_group, make_key, make_model, make_provider

from .conftest import funded_org, lone_gateway

PROMPT = "zebra-canary-7731 please summarise the quarterly numbers"
FAKE_SECRET = "tg-FAKEsecretDistinctive0123456789abcdef"


@pytest.fixture(scope="module")
def stack(app):
    with lone_gateway(app, REQUEST_LOG="json") as stack:
        yield stack


def _post(gateway, secret: str, model: str, stream: bool = False, header: str = "Authorization"):
    value = f"Bearer {secret}" if header == "Authorization" else secret
    body = {"model": model, "max_tokens": 30, "stream": stream, "messages": [{"role": "user", "content": PROMPT}]}
    r = requests.post(f"{gateway.url}/v1/chat/completions", json=body, headers={header: value}, timeout=30)
    r.content  # noqa: B018 - read the stream to its end
    return r


def test_one_line_per_request_with_no_secret_or_prompt_in_the_output(db, stack):
    gateway = stack.gateway
    owner, org = funded_org(stack, "Logs Co")
    provider = make_provider(f"{stack.upstream.url}/v1", ProviderKind.openai, name="mock-openai")
    make_model("gpt-logged", [provider], [make_group("public")], upstream_name="gpt-upstream", max_output_tokens=1000)
    key, secret = make_key(owner, org)
    time.sleep(1.1)  # the gateway re-reads the catalog every second

    answers = [_post(gateway, secret, "gpt-logged"), _post(gateway, secret, "gpt-logged", stream=True),
               _post(gateway, secret, "gpt-logged", header="x-api-key"),
               _post(gateway, FAKE_SECRET, "gpt-logged"), _post(gateway, secret, "no-such-model")]
    assert [a.status_code for a in answers] == [200, 200, 200, 401, 404]
    time.sleep(0.5)
    output = gateway.output()

    for needle in (secret, secret[len(key.prefix):], FAKE_SECRET, "FAKEsecretDistinctive", "zebra-canary-7731",
                   "quarterly numbers", "upstream-key"):
        assert needle not in output, needle
    lines = {}
    for raw in output.splitlines():
        if raw.startswith("{"):
            line = json.loads(raw)
            lines[line["request_id"]] = line
    ok = lines[answers[0].headers["X-Request-Id"]]
    assert ok["key_prefix"] == key.prefix and ok["org_id"] == org.id
    assert (ok["route"], ok["model"], ok["provider"], ok["status"], ok["stream"]) == \
        ("chat", "gpt-logged", "mock-openai", 200, False)
    assert ok["prompt_tokens"] > 0 and ok["completion_tokens"] > 0 and ok["credits"] > 0 and ok["latency_ms"] >= 0
    streamed = lines[answers[1].headers["X-Request-Id"]]
    assert streamed["stream"] is True and streamed["ttft_ms"] is not None
    refused = lines[answers[3].headers["X-Request-Id"]]
    assert (refused["status"], refused["error"], refused["key_prefix"], refused["credits"]) == \
        (401, "invalid_api_key", None, 0)
    assert lines[answers[4].headers["X-Request-Id"]]["status"] == 404
    assert len([a for a in answers if a.headers["X-Request-Id"] in lines]) == 5
