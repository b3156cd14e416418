"""What a request is charged when its prompt is not plain text: attachments, cache writes,
a provider that reports more than the hold, and an answer the provider did not meter."""
import base64
import os

import pytest

from app.extensions import db
from app.models import utcnow
from app.reporting import rollups
from app.views.base import usd
from tests.admin.conftest import admin_client, admin_user  # noqa: F401 - fixtures

from .helpers import balance, chat, knobs, usage_charges, usage_rows

# 150 KB of file: 200,000 characters of base64. The mock bills one token per 16 of them.
_DATA = base64.b64encode(os.urandom(150_000)).decode()
_MOCK_TOKENS = len(_DATA) // 16


def _openai_image():
    return [{"type": "text", "text": "What is in this image?"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{_DATA}"}}]


def _openai_pdf():
    return [{"type": "text", "text": "Summarise this file."},
            {"type": "file", "file": {"filename": "report.pdf", "file_data": f"data:application/pdf;base64,{_DATA}"}}]


def _anthropic_block(kind, media_type):
    return [{"type": kind, "source": {"type": "base64", "media_type": media_type, "data": _DATA}},
            {"type": "text", "text": "Describe it."}]


@pytest.mark.parametrize("model,path,content", [
    ("gpt-test", "/v1/chat/completions", _openai_image()),
    ("gpt-test", "/v1/chat/completions", _openai_pdf()),
    ("claude-test", "/v1/messages", _anthropic_block("image", "image/png")),
    ("claude-test", "/v1/messages", _anthropic_block("document", "application/pdf")),
], ids=["openai-image", "openai-pdf", "anthropic-image", "anthropic-pdf"])
def test_large_attachments_are_charged_what_the_provider_reports(client, world, model, path, content):
    body = {"model": model, "max_tokens": 100, "messages": [{"role": "user", "content": content}]}
    resp = client.post(path, json=body, headers=world.headers)
    assert resp.status_code == 200, resp.json
    row = usage_rows()[-1]
    assert row.prompt_tokens >= _MOCK_TOKENS
    # Both test models: 1 credit per input token, 2 per output token; nothing cut to the hold.
    assert row.total_cost == row.prompt_tokens + 2 * row.completion_tokens
    assert (row.cost_clamped, row.unbilled_cost) == (False, 0)
    assert usage_charges() == [-row.total_cost]


def test_attachment_above_the_size_limit_is_refused_naming_it(app, client, world):
    app.config["GATEWAY_MAX_ATTACHMENT_BYTES"] = 100_000
    try:
        resp = chat(client, world.headers, messages=[{"role": "user", "content": _openai_image()}])
    finally:
        app.config["GATEWAY_MAX_ATTACHMENT_BYTES"] = 32 * 1024 * 1024
    assert resp.status_code == 400
    assert resp.json["error"]["type"] == "invalid_request_error"
    assert "attachment" in resp.json["error"]["message"] and "100000" in resp.json["error"]["message"]
    assert usage_charges() == []


def test_a_charge_cut_to_the_hold_records_the_loss_and_admins_see_it(client, world, mock_upstream, admin_client):
    # The provider reports far more input than the prompt can hold: the hold caps the charge.
    with knobs(mock_upstream, prompt_tokens=50_000, completion_tokens=16):
        resp = chat(client, world.headers, max_tokens=16)
    assert resp.status_code == 200
    row = usage_rows()[-1]
    hold = row.total_cost
    assert hold < 50_000
    assert (row.cost_clamped, row.error_type) == (True, "cost_clamped_to_hold")
    assert row.unbilled_cost == 50_000 + 32 - hold
    assert balance(world.org.wallet.id) == 10_000_000 - hold

    rollups.rebuild_recent(db.session, utcnow())
    db.session.commit()
    loss = usd(row.unbilled_cost)
    org_page = admin_client.get(f"/admin/orgs/{world.org.id}/").get_data(as_text=True)
    assert "Unbilled (losses)" in org_page and loss in org_page
    platform = admin_client.get("/admin/platform/").get_data(as_text=True)
    assert "Unbilled (losses)" in platform and loss in platform


def test_anthropic_cache_writes_are_charged_at_the_cache_write_price(client, world, mock_upstream):
    world.claude.cache_write_price = 1_250_000  # 1.25 credits a token, input is 1
    db.session.commit()
    with knobs(mock_upstream, prompt_tokens=1000, cache_creation_tokens=800, cached_tokens=100,
               completion_tokens=10):
        resp = client.post("/v1/messages", headers=world.headers, json={
            "model": "claude-test", "max_tokens": 50, "messages": [{"role": "user", "content": "x" * 1200}]})
    assert resp.status_code == 200
    row = usage_rows()[-1]
    assert (row.prompt_tokens, row.cached_tokens, row.cache_write_tokens) == (1000, 100, 800)
    assert row.cache_write_cost == 1000  # 800 x 1.25
    assert row.input_cost == 100 and row.cached_cost == 10 and row.output_cost == 20
    assert row.total_cost == 100 + 10 + 1000 + 20


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/chat/completions"])
def test_streamed_cache_writes_are_charged_at_the_cache_write_price(client, world, mock_upstream, path):
    world.claude.cache_write_price = 2_000_000
    db.session.commit()
    body = {"model": "claude-test", "max_tokens": 50, "stream": True,
            "messages": [{"role": "user", "content": "x" * 1200}]}
    with knobs(mock_upstream, prompt_tokens=1000, cache_creation_tokens=800, completion_tokens=10):
        client.post(path, headers=world.headers, json=body).get_data()
    row = usage_rows()[-1]
    assert (row.stream, row.cache_write_tokens, row.cache_write_cost) == (True, 800, 1600)
    assert row.total_cost == 200 + 1600 + 20


def test_cache_write_price_defaults_to_the_input_price(client, world, mock_upstream):
    with knobs(mock_upstream, prompt_tokens=1000, cache_creation_tokens=800, completion_tokens=0):
        client.post("/v1/messages", headers=world.headers, json={
            "model": "claude-test", "max_tokens": 50, "messages": [{"role": "user", "content": "x" * 1200}]})
    row = usage_rows()[-1]
    assert (row.cache_write_tokens, row.cache_write_cost, row.total_cost) == (800, 800, 1000)


def test_hold_covers_a_prompt_written_to_the_cache_whole(client, world, mock_upstream):
    """The hold prices the prompt bound at the dearest input rate, so a cache write is never cut."""
    world.claude.cache_write_price = 2_000_000
    db.session.commit()
    # 92 bytes and one message: a bound of 100 tokens, all of them written to the cache at 2 credits.
    with knobs(mock_upstream, prompt_tokens=100, cache_creation_tokens=100, completion_tokens=5):
        client.post("/v1/messages", headers=world.headers, json={
            "model": "claude-test", "max_tokens": 5, "messages": [{"role": "user", "content": "x" * 92}]})
    row = usage_rows()[-1]
    assert row.cost_clamped is False
    assert row.total_cost == 200 + 10


def test_local_output_estimate_never_exceeds_max_tokens(client, world, mock_upstream):
    # 16 mock tokens are 79 characters: about 20 at 4 characters a token, above max_tokens.
    with knobs(mock_upstream, no_usage=True, completion_tokens=16):
        resp = chat(client, world.headers, max_tokens=16)
    assert resp.status_code == 200
    row = usage_rows()[-1]
    assert row.usage_estimated is True
    assert row.completion_tokens == 16
    assert row.cost_clamped is False


@pytest.mark.parametrize("chars", [0, 4, 100, 8_000, 31_999, 32_000, 32_003, 1_000_000])
def test_attachment_bound_is_never_below_what_the_mock_bills(chars):
    from app.gateway import pricing
    from app.devtools.mock_upstream import knobs as mock_knobs

    for part in ({"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * chars}},
                 {"type": "file", "file": {"file_data": "A" * chars}},
                 {"type": "document", "source": {"type": "base64", "data": "A" * chars}}):
        assert pricing.attachment_tokens(part) >= mock_knobs.attachment_tokens(part)


def test_attachment_bound_by_reference_text_and_title():
    from app.gateway import pricing

    by_url = {"type": "image", "source": {"type": "url", "url": "https://example.com/big.png"}}
    assert pricing.attachment_tokens(by_url) == pricing.ATTACHMENT_MIN_TOKENS
    text = {"type": "document", "title": "Notes", "source": {"type": "text", "data": "é" * 3000}}
    assert pricing.attachment_tokens(text) == 6000 + 5  # one token per UTF-8 byte, the title beside it


def test_oversized_attachment_names_the_message_that_holds_it():
    from app.gateway import pricing

    big = {"type": "image", "source": {"type": "base64", "data": "A" * 4000}}  # 3,000 bytes of file
    messages = [{"role": "user", "content": "hi"}, {"role": "user", "content": [big]}]
    with pytest.raises(pricing.AttachmentTooLarge, match=r"^messages\[1\]: an attachment of 3000 bytes"):
        pricing.prompt_bound(messages, max_attachment_bytes=2999)
    assert pricing.prompt_bound(messages, max_attachment_bytes=3000) == 8 + 2 + 8 + 2000
