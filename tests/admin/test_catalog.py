"""Providers, models, groups and discounts: audited edits, the write-only provider key."""
import pytest
from sqlalchemy import select

from app import crypto
from app.extensions import db
from app.models import AuditLog, DiscountCode, LlmModel, ModelGroup, Provider
from tests.factories import make_group, make_model


def _audit(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def test_provider_key_is_stored_encrypted_shown_masked_and_never_audited(admin_client):
    admin_client.post("/admin/providers/add", data={
        "name": "upstream-a", "api_format": "anthropic", "base_url": "https://a.example", "enabled": "y",
        "priority": "0", "weight": "1", "timeout_s": "60", "api_key": "sk-secret-123456789"})
    provider = db.session.scalar(select(Provider))
    assert provider.kind.value == "anthropic"
    assert crypto.decrypt(provider.api_key_encrypted) == "sk-secret-123456789"
    html = admin_client.get("/admin/providers/list/").get_data(as_text=True)
    assert "sk-secret-123456789" not in html and "sk-…6789" in html
    [created] = _audit("provider.create")
    assert "sk-secret" not in str(created.details)


def test_provider_edit_with_empty_key_keeps_the_old_one(admin_client):
    admin_client.post("/admin/providers/add", data={
        "name": "p", "api_format": "openai-compatible", "base_url": "https://p.example", "priority": "0",
        "weight": "1", "timeout_s": "60", "api_key": "sk-original-key-1"})
    provider = db.session.scalar(select(Provider))
    admin_client.post(f"/admin/providers/edit/{provider.id}", data={
        "name": "p", "api_format": "openai-compatible", "base_url": "https://p.example", "priority": "5",
        "weight": "1", "timeout_s": "60", "api_key": ""})
    db.session.expire_all()
    provider = db.session.get(Provider, provider.id)
    assert provider.priority == 5 and crypto.decrypt(provider.api_key_encrypted) == "sk-original-key-1"
    assert _audit("provider.update")[0].details == {"before": {"priority": 0}, "after": {"priority": 5}}


def test_register_model_with_tags_flags_and_groups(admin_client):
    group = make_group("general")
    admin_client.post("/admin/models/add", data={
        "public_id": "new-model", "upstream_name": "up", "kind": "chat", "context_length": "200000",
        "max_output_tokens": "8192", "input_price": "3000000", "output_price": "15000000",
        "cached_input_price": "300000", "groups": [group.id], "enabled": "y",
        "capability_tags": "vision, tools", "feature_flags": '{"reasoning": true}'})
    model = db.session.scalar(select(LlmModel))
    assert (model.public_id, model.capabilities, model.features) == ("new-model", ["vision", "tools"], {"reasoning": True})
    assert [g.name for g in model.groups] == ["general"]
    assert _audit("model.create")[0].details["after"]["groups"] == ["general"]
    assert "$3.00" in admin_client.get("/admin/models/list/").get_data(as_text=True)


def test_model_with_invalid_feature_flags_is_not_saved(admin_client):
    response = admin_client.post("/admin/models/add", data={
        "public_id": "bad", "upstream_name": "up", "kind": "chat", "context_length": "1", "max_output_tokens": "1",
        "input_price": "0", "output_price": "0", "cached_input_price": "0", "feature_flags": "{nope"},
        follow_redirects=True)
    assert "Feature flags" in response.get_data(as_text=True)
    assert db.session.scalar(select(LlmModel)) is None and _audit("model.create") == []


def test_group_multiplier_and_exclusive_flag_edits_are_audited(admin_client):
    model = make_model()
    group = make_group("cheap")
    admin_client.post(f"/admin/groups/edit/{group.id}", data={
        "name": "cheap", "multiplier": "0.8", "exclusive": "y", "models": [model.id]})
    db.session.expire_all()
    group = db.session.get(ModelGroup, group.id)
    assert str(group.multiplier) == "0.8000" and group.exclusive and group.models[0].id == model.id
    details = _audit("group.update")[0].details
    assert details["after"]["exclusive"] is True and details["after"]["models"] == [model.public_id]


def test_group_delete_is_audited(admin_client):
    group = make_group("old")
    admin_client.post(f"/admin/groups/delete/{group.id}")
    assert db.session.get(ModelGroup, group.id) is None
    assert _audit("group.delete")[0].details["before"]["name"] == "old"


def test_discount_created_from_a_percent_and_a_usd_amount(admin_client):
    admin_client.post("/admin/discounts/add", data={"code": "TEN", "kind_choice": "percent", "value": "10", "active": "y"})
    admin_client.post("/admin/discounts/add", data={"code": "FIVE", "kind_choice": "fixed", "value": "5", "active": "y"})
    codes = {d.code: d for d in db.session.scalars(select(DiscountCode))}
    assert codes["TEN"].percent_bps == 1000 and codes["FIVE"].amount == 5_000_000
    assert len(_audit("discount.create")) == 2


def test_a_percent_that_is_not_a_number_is_named_and_saves_nothing(admin_client):
    page = admin_client.post("/admin/discounts/add", data={"code": "NAN", "kind_choice": "percent", "value": "NaN",
                                                           "active": "y"}, follow_redirects=True)
    assert "a percent above 0 and at most 100" in page.get_data(as_text=True)
    page = admin_client.post("/admin/bonus-ladder/add", data={"min_amount_usd": "5000", "bonus_percent": "NaN"},
                             follow_redirects=True)
    assert "Bonus (%): from 0 to 100" in page.get_data(as_text=True)
    assert db.session.scalar(select(DiscountCode).where(DiscountCode.code == "NAN")) is None


def test_provider_proxy_and_ca_bundle_are_checked_saved_and_reach_the_gateway_snapshot(app, admin_client):
    import trustme

    from app.gateway import catalog

    form = {"name": "private", "api_format": "openai-compatible", "base_url": "https://llm.corp.example/v1",
            "enabled": "y", "priority": "0", "weight": "1", "timeout_s": "60", "api_key": "sk-private-1"}
    page = admin_client.post("/admin/providers/add", data={**form, "proxy_url": "socks5://proxy:1080"},
                             follow_redirects=True).get_data(as_text=True)
    assert "proxy URL" in page and db.session.scalar(select(Provider)) is None
    page = admin_client.post("/admin/providers/add", data={**form, "ca_bundle": "-----BEGIN CERTIFICATE-----\nxx"},
                             follow_redirects=True).get_data(as_text=True)
    assert "CA bundle" in page and db.session.scalar(select(Provider)) is None

    pem = trustme.CA().cert_pem.bytes().decode()
    admin_client.post("/admin/providers/add", data={**form, "proxy_url": "http://ops:hunter2@proxy.corp:3128",
                                                    "ca_bundle": pem})
    provider = db.session.scalar(select(Provider))
    assert (provider.proxy_url, provider.ca_bundle.strip()) == ("http://ops:hunter2@proxy.corp:3128", pem.strip())
    shown = admin_client.get(f"/admin/providers/show/{provider.id}").get_data(as_text=True)
    assert "http://ops:****@proxy.corp:3128" in shown and "hunter2" not in shown and "1 certificate(s)" in shown
    assert "hunter2" not in str(_audit("provider.create")[0].details)

    make_model("private-model", [provider])
    with app.app_context():
        catalog.invalidate()
        via = catalog.current().models["private-model"].routes[0].provider.egress
    assert via.proxy == ("proxy.corp", 3128) and via.proxy_auth == "Basic b3BzOmh1bnRlcjI="
    assert via.ca.strip() == pem.strip()


def test_cache_write_price_is_set_and_cleared_in_the_model_form(admin_client):
    fields = {"public_id": "claude-x", "upstream_name": "up", "kind": "chat", "context_length": "200000",
              "max_output_tokens": "8192", "input_price": "3000000", "output_price": "15000000",
              "cached_input_price": "300000", "enabled": "y"}
    admin_client.post("/admin/models/add", data={**fields, "cache_write_price": "3750000"})
    model = db.session.scalar(select(LlmModel))
    assert model.cache_write_price == 3_750_000
    assert "Cache write price" in admin_client.get("/admin/models/list/").get_data(as_text=True)
    admin_client.post(f"/admin/models/edit/{model.id}", data={**fields, "cache_write_price": ""})
    db.session.expire_all()
    assert db.session.get(LlmModel, model.id).cache_write_price is None  # back to the input price
    admin_client.post(f"/admin/models/edit/{model.id}", data={**fields, "cache_write_price": "-1"})
    db.session.rollback()
    assert db.session.get(LlmModel, model.id).cache_write_price is None
    with admin_client.session_transaction() as session:
        assert ("danger", "Cache write price: must not be negative") in session["_flashes"]


def test_provider_structured_outputs_switch_reaches_the_gateway_catalog(admin_client):
    from app.gateway import catalog

    admin_client.post("/admin/providers/add", data={
        "name": "claude-native", "api_format": "anthropic", "base_url": "https://a.example", "enabled": "y",
        "priority": "0", "weight": "1", "timeout_s": "60", "api_key": "sk-native-1234567", "structured_outputs": "y"})
    provider = db.session.scalar(select(Provider))
    assert provider.structured_outputs is True
    make_model("claude-x", [provider], [make_group("public-x")])
    catalog.invalidate()
    assert catalog.current().models["claude-x"].routes[0].provider.structured_outputs is True
    admin_client.post(f"/admin/providers/edit/{provider.id}", data={
        "name": "claude-native", "api_format": "anthropic", "base_url": "https://a.example", "enabled": "y",
        "priority": "0", "weight": "1", "timeout_s": "60", "api_key": ""})
    db.session.expire_all()
    assert db.session.get(Provider, provider.id).structured_outputs is False


def test_media_prices_are_edited_in_the_model_form_and_reach_the_gateway(admin_client):
    from app.gateway import catalog

    fields = {"public_id": "image-x", "upstream_name": "up", "kind": "image", "context_length": "1",
              "max_output_tokens": "1", "input_price": "0", "output_price": "0", "cached_input_price": "0",
              "char_price": "15000000", "second_price": "100", "enabled": "y"}
    admin_client.post("/admin/models/add", data={
        **fields, "image_price_table": '{"1024x1024": {"standard": 40000, "hd": 80000}}'})
    model = db.session.scalar(select(LlmModel))
    assert (model.image_prices, model.char_price, model.second_price) == (
        {"1024x1024": {"standard": 40000, "hd": 80000}}, 15_000_000, 100)
    assert "1024x1024 hd: 80,000 <small class='text-muted'>($0.08)" in admin_client.get(f"/admin/models/show/{model.id}").get_data(as_text=True)
    catalog.invalidate()
    info = catalog.current().models["image-x"]
    assert (info.image_prices["1024x1024"]["hd"], info.char_price, info.second_price) == (80000, 15_000_000, 100)


@pytest.mark.parametrize("table, message", [
    ('{"1024x1024": {"standard": 0.04}}', "Image prices: 1024x1024 standard must be a whole"),
    ('{"1024x1024": 5}', "Image prices: 1024x1024 must map qualities to credits"),
    ("{nope", "Image prices: not valid JSON"),
])
def test_image_prices_in_credits_only(admin_client, table, message):
    response = admin_client.post("/admin/models/add", data={
        "public_id": "image-y", "upstream_name": "up", "kind": "image", "context_length": "1",
        "max_output_tokens": "1", "input_price": "0", "output_price": "0", "cached_input_price": "0",
        "image_price_table": table}, follow_redirects=True)
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(LlmModel)) is None
