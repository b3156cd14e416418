"""An admin restricts a user to some public groups: the user page shows it, the gateway enforces it
at once, cached keys included."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, UserPublicGroup
from tests.admin.conftest import PASSWORD, _login
from tests.factories import make_group, make_model, make_user
from tests.gateway.helpers import chat


@pytest.fixture
def staff(app, db, fresh_login_per_request):
    make_user("groups-admin", role_name="Admin", password=PASSWORD)
    return _login(app, "groups-admin")


@pytest.fixture
def cached_keys(app, monkeypatch):
    monkeypatch.setitem(app.config, "GATEWAY_KEY_CACHE_SECONDS", 30)


@pytest.fixture
def images(world):
    group = make_group("images", multiplier="0.5")
    make_model("image-test", [world.openai_provider], [group], upstream_name="gpt-upstream", max_output_tokens=1000)
    return group


def _models(client, world):
    return sorted(m["id"] for m in client.get("/v1/models", headers=world.headers).json["data"])


def test_unticking_a_public_group_stops_its_models_for_a_cached_key(client, world, images, staff, cached_keys):
    assert chat(client, world.headers, model="image-test").status_code == 200  # the key is now cached
    response = staff.post("/admin/users/groups", data={"ids": str(world.owner.id), "group_ids": [world.public.id]})
    assert response.status_code == 302
    refused = chat(client, world.headers, model="image-test")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "model_not_allowed"
    assert chat(client, world.headers, model="gpt-test").status_code == 200
    assert "image-test" not in _models(client, world)
    assert [r.group_id for r in db.session.scalars(select(UserPublicGroup))] == [world.public.id]
    [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "group.restrict_public")).all()
    assert row.details == {"before": "all public groups", "after": ["public"]}

    # Ticking every public group again lifts the restriction: no rows, every public group.
    staff.post("/admin/users/groups", data={"ids": str(world.owner.id), "group_ids": [world.public.id, images.id]})
    assert db.session.scalars(select(UserPublicGroup)).all() == []
    assert chat(client, world.headers, model="image-test").status_code == 200


def test_a_new_public_group_stays_closed_to_a_restricted_user(client, world, images, staff):
    staff.post("/admin/users/groups", data={"ids": str(world.owner.id), "group_ids": [world.public.id]})
    later = make_group("later")
    make_model("later-test", [world.openai_provider], [later], upstream_name="gpt-upstream", max_output_tokens=1000)
    assert chat(client, world.headers, model="later-test").status_code == 403
    other = make_user("unrestricted")
    from tests.factories import make_key
    _, secret = make_key(other, world.org)
    assert chat(client, {"Authorization": f"Bearer {secret}"}, model="later-test").status_code == 200


def test_unticking_every_public_group_is_refused_naming_the_field(world, images, staff):
    response = staff.post("/admin/users/groups", data={"ids": str(world.owner.id), "group_ids": []},
                          follow_redirects=True)
    assert "Public groups: tick at least one" in response.get_data(as_text=True)
    assert db.session.scalars(select(UserPublicGroup)).all() == []


def test_user_page_shows_groups_models_multipliers_and_why(world, images, staff):
    vip = make_group("vip", multiplier="0.8", exclusive=True)
    make_model("vip-test", [world.openai_provider], [vip], upstream_name="gpt-upstream", max_output_tokens=1000)
    staff.post("/admin/users/groups", data={"ids": str(world.owner.id), "group_ids": [world.public.id, vip.id]})
    html = staff.get(f"/admin/users/show/{world.owner.id}").get_data(as_text=True)
    groups = html.split('id="access-groups"')[1].split("</table>")[0]
    assert "vip" in groups and "exclusive: granted to this user" in groups
    assert "public: kept by an admin" in groups and "<td>images</td>" not in groups
    models = html.split('id="access-models"')[1].split("</table>")[0]
    assert "vip-test" in models and "0.8" in models and "image-test" not in models
    assert "Restricted to some public groups" in html
