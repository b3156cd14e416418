"""The Models page: the gateway's access rules (groups, exclusive grants, plans), prices with the multiplier."""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.gateway import catalog
from app.models import OrgRole, Plan, UserAllowedGroup
from tests.factories import make_group, make_model

O, A, M, V = OrgRole.owner, OrgRole.admin, OrgRole.member, OrgRole.viewer


@pytest.fixture
def models(team):
    everyone, discount = make_group("everyone"), make_group("discount", multiplier="0.8")
    vip = make_group("vip", multiplier="0.5", exclusive=True)
    pro = db.session.scalar(select(Plan).where(Plan.code == "pro"))
    made = {
        "open": make_model("open-model", groups=[everyone], input_price=3_000_000, output_price=15_000_000,
                           cached_input_price=300_000, context_length=200_000, capabilities=["vision", "tools"],
                           display_name="<b>Open</b> {{ 7*7 }}"),
        "cheaper": make_model("cheaper-model", groups=[everyone, discount], input_price=1_000_000,
                              output_price=2_000_000, capabilities=["streaming"]),
        "vip": make_model("vip-model", groups=[vip], input_price=10_000_000),
        "pro": make_model("pro-model", groups=[everyone], plans=[pro]),
        "off": make_model("off-model", groups=[everyone], enabled=False),
    }
    catalog.invalidate()
    yield made
    catalog.invalidate()


def _shown(client, url) -> set[str]:
    return set(re.findall(r'data-model="([^"]+)"', client.get(url).get_data(as_text=True)))


def test_org_members_of_every_role_see_the_models_their_plan_and_groups_give(role_client, team, models):
    for role in (O, A, M, V):
        assert _shown(role_client(role), f"/console/orgs/{team['org'].id}/models") == {
            "open-model", "cheaper-model", "pro-model"}, role


def test_personal_context_uses_the_free_plan_and_an_exclusive_group_needs_a_grant(role_client, team, models):
    client = role_client(M)
    assert _shown(client, "/console/models") == {"open-model", "cheaper-model"}
    db.session.add(UserAllowedGroup(user_id=team["users"][M].id, group_id=models["vip"].groups[0].id))
    db.session.commit()
    assert "vip-model" in _shown(client, "/console/models")
    assert "vip-model" not in _shown(role_client(O), "/console/models")


def test_prices_are_usd_per_million_tokens_with_the_lowest_multiplier_applied(role_client, team, models):
    body = role_client(M).get(f"/console/orgs/{team['org'].id}/models").get_data(as_text=True)
    row = lambda model_id: body.split(f'data-model="{model_id}"')[1].split("</tr>")[0]  # noqa: E731
    assert '<td class="price-input">$3</td>' in row("open-model")
    assert '<td class="price-output">$15</td>' in row("open-model")
    assert '<td class="price-cached">$0.3</td>' in row("open-model")
    assert "200,000" in row("open-model") and "vision" in row("open-model")
    assert '<td class="price-input">$0.8</td>' in row("cheaper-model")  # 0.8 beats 1
    assert '<td class="price-output">$1.6</td>' in row("cheaper-model")
    assert "Pro" in row("pro-model") and "every plan" in row("open-model")


def test_filters_by_name_and_capability_and_sorts(role_client, team, models):
    client, base = role_client(M), f"/console/orgs/{team['org'].id}/models"
    assert _shown(client, f"{base}?q=CHEAP") == {"cheaper-model"}
    assert _shown(client, f"{base}?capability=vision") == {"open-model"}
    assert _shown(client, f"{base}?capability=<script>") == set()
    body = client.get(f"{base}?sort=input").get_data(as_text=True)
    assert body.index('data-model="cheaper-model"') < body.index('data-model="open-model"')
    assert client.get(f"{base}?sort=drop table").status_code == 400


def test_hostile_names_and_queries_are_inert(role_client, team, models):
    body = role_client(M).get(f"/console/orgs/{team['org'].id}/models?q=<script>x</script>").get_data(as_text=True)
    assert "<script>x" not in body and "&lt;script&gt;x" in body
    body = role_client(M).get("/console/models").get_data(as_text=True)
    assert "<b>Open</b>" not in body and "&lt;b&gt;Open" in body and "{{ 7*7 }}" in body
