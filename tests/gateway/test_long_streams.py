"""Streams that outlive their hold's TTL, reach their maximum duration, or lose their hold."""
import time
from decimal import Decimal

import orjson
import pytest

from app.billing import holds
from app.gateway import catalog, pricing
from tests.factories import fund, make_key, make_org, make_user

from .helpers import balance, knobs, usage_charges, usage_rows

HELLO = [{"role": "user", "content": "Hello there"}]


@pytest.fixture
def gateway_config(app):
    """Set gateway settings for one test; the app is shared by the whole session."""
    saved = dict(app.config)

    def set_(**values):
        app.config.update(values)

    yield set_
    app.config.clear()
    app.config.update(saved)


def _events(body: bytes) -> list[tuple[str | None, str]]:
    out = []
    for block in body.decode().split("\n\n"):
        event = data = None
        for line in block.splitlines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
        if data is not None:
            out.append((event, data))
    return out


def _delivered_text(events) -> str:
    text = []
    for _, data in events:
        if data == "[DONE]" or not data.startswith("{"):
            continue
        payload = orjson.loads(data)
        for choice in payload.get("choices") or ():
            text.append((choice.get("delta") or {}).get("content") or "")
        text.append((payload.get("delta") or {}).get("text") or "")
    return "".join(text)


def _stream(client, headers, api="openai", model="gpt-test", max_tokens=40):
    path = "/v1/chat/completions" if api == "openai" else "/v1/messages"
    return client.post(path, headers=headers, buffered=False,
                       json={"model": model, "messages": HELLO, "max_tokens": max_tokens, "stream": True})


def test_stream_longer_than_the_hold_ttl_keeps_its_hold_and_the_wallet_cannot_go_negative(
        app, client, world, mock_upstream, gateway_config):
    """The wallet covers one worst-case hold. A 3 s stream outlives a 1 s hold TTL while the
    sweep runs; a second request meanwhile must be refused, not handed the same credits."""
    gateway_config(GATEWAY_HOLD_TTL_S=1, GATEWAY_HOLD_HEARTBEAT_S=0.2)
    user = make_user("tight")
    org = make_org("Tight", owner=user)
    _, secret = make_key(user, org)
    headers = {"Authorization": f"Bearer {secret}"}
    hold = pricing.hold_amount(catalog.current().models["gpt-test"], Decimal(1), pricing.prompt_bound(HELLO), 40)
    fund(org.wallet.id, Decimal(hold) / 1_000_000)
    started = time.monotonic()
    with knobs(mock_upstream, completion_tokens=40, chunk_delay_ms=75):
        resp = _stream(client, headers)
        assert resp.status_code == 200
        body, second = b"", None
        for piece in resp.response:
            body += piece
            holds.sweep_expired()  # as every flusher does, every few seconds
            if second is None and time.monotonic() - started > 2:
                second = client.post("/v1/chat/completions", headers=headers,
                                     json={"model": "gpt-test", "messages": HELLO, "max_tokens": 40})
        resp.close()
    assert time.monotonic() - started > 2.5
    assert second is not None and second.status_code == 402
    assert "[DONE]" in body.decode() and "error" not in body.decode()
    row = usage_rows()[-1]
    assert (row.completion_tokens, row.error_type) == (40, None)
    assert usage_charges() == [-row.total_cost]
    assert balance(org.wallet.id) == hold - row.total_cost >= 0


@pytest.mark.parametrize("api, model, terminal", [
    ("openai", "gpt-test", '"code":"stream_max_duration"'),
    ("anthropic", "claude-test", '"type":"timeout_error"'),
])
def test_stream_past_its_maximum_duration_ends_with_a_terminal_event_and_is_charged_for_what_was_delivered(
        client, world, mock_upstream, gateway_config, api, model, terminal):
    gateway_config(GATEWAY_STREAM_MAX_S=1, GATEWAY_HOLD_HEARTBEAT_S=0.2)
    started = time.monotonic()
    with knobs(mock_upstream, completion_tokens=40, chunk_delay_ms=100):
        resp = _stream(client, world.headers, api, model)
        body = b"".join(resp.response)
        resp.close()
    assert 1 <= time.monotonic() - started < 2.5
    text = body.decode()
    assert terminal in text.replace(" ", "")
    assert "maximum duration of 1 s" in text
    assert text.endswith("data: [DONE]\n\n") if api == "openai" else "message_stop" not in text
    delivered = (len(_delivered_text(_events(body))) + 3) // 4
    row = usage_rows()[-1]
    assert 0 < row.completion_tokens == delivered < 40
    assert row.usage_estimated is True
    assert row.total_cost == row.prompt_tokens + 2 * row.completion_tokens  # 1 and 2 credits a token
    assert usage_charges() == [-row.total_cost]
    assert balance(world.org.wallet.id) == 10_000_000 - row.total_cost


def test_stream_whose_hold_was_swept_stops_rather_than_serve_output_nobody_pays_for(
        client, world, mock_upstream, gateway_config):
    gateway_config(GATEWAY_HOLD_HEARTBEAT_S=0.2)
    with knobs(mock_upstream, completion_tokens=40, chunk_delay_ms=75):
        resp = _stream(client, world.headers)
        body, started, swept = b"", time.monotonic(), False
        for piece in resp.response:
            body += piece
            if not swept and time.monotonic() - started > 1:
                # As if the process had stalled past the hold's expiry.
                swept = holds.sweep_expired(now_ms=holds.clock_ms() + 3_600_000) == 1
        resp.close()
    assert swept
    text = body.decode()
    assert '"code":"hold_expired"' in text.replace(" ", "")
    delivered = (len(_delivered_text(_events(body))) + 3) // 4
    row = usage_rows()[-1]
    assert row.error_type == "settled_by_sweep"
    # Charged at the last checkpoint before the sweep: at most what was delivered, and the
    # stream ended within a heartbeat of it.
    assert 0 < row.completion_tokens <= delivered < 40
    assert usage_charges() == [-row.total_cost]


def test_a_heartbeat_not_shorter_than_the_hold_ttl_is_refused_at_start(capsys):
    from app import load_config
    from config import TestingConfig

    class Config(TestingConfig):
        GATEWAY_HOLD_TTL_S = 10
        GATEWAY_HOLD_HEARTBEAT_S = 10.0

    with pytest.raises(SystemExit):
        load_config(Config)
    assert "GATEWAY_HOLD_HEARTBEAT_S must be above 0 and below GATEWAY_HOLD_TTL_S (10)" in capsys.readouterr().err
