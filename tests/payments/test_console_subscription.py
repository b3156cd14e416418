"""The Wallet page's plan box: subscribe through the stand-in's Checkout, see the next renewal, change, cancel."""
from sqlalchemy import select

from app.accounts import add_member
from app.extensions import db
from app.models import OrgRole
from tests.console.conftest import _fresh_login, login, verified_user  # noqa: F401 - shared fixture
from tests.factories import make_org


def priced_org():
    owner = verified_user("subscriber")
    return owner, make_org(plan="free", owner=owner)


def test_owner_subscribes_from_the_wallet_page_then_changes_and_cancels(app, db, standin, priced_plans):
    owner, org = priced_org()
    client = login(app, owner.username)
    wallet = f"/console/orgs/{org.id}/wallet"
    page = client.get(wallet).get_data(as_text=True)
    assert 'id="subscribe"' in page and 'id="plan-name">Free<' in page
    answer = client.post(f"/console/orgs/{org.id}/subscription", data={"plan": "pro"})
    assert answer.status_code == 303 and answer.headers["Location"].startswith(standin.url + "/pay/")
    standin.pay(answer.headers["Location"].rsplit("/", 1)[1])
    page = client.get(wallet).get_data(as_text=True)
    assert 'id="plan-name">Pro<' in page and 'Next renewal: <time datetime="20' in page
    assert 'id="change-plan"' in page and 'id="cancel-plan"' in page and 'id="subscribe"' not in page

    client.post(f"/console/orgs/{org.id}/subscription/change", data={"plan": "max"})
    standin.app.extensions["stripe_standin"]["sender"].wait()
    assert 'id="plan-name">Max<' in client.get(wallet).get_data(as_text=True)
    answer = client.post(f"/console/orgs/{org.id}/subscription/cancel", follow_redirects=True)
    assert "Cancellation requested" in answer.get_data(as_text=True)
    standin.app.extensions["stripe_standin"]["sender"].wait()
    page = client.get(wallet).get_data(as_text=True)
    assert 'Cancelled: the plan ends on <time datetime="20' in page and "Keep renewing" in page


def test_viewers_see_the_plan_but_no_buttons_and_cannot_subscribe(app, db, standin, priced_plans):
    owner, org = priced_org()
    viewer = verified_user("planviewer")
    add_member(org, viewer, OrgRole.viewer)
    db.session.commit()
    client = login(app, viewer.username)
    page = client.get(f"/console/orgs/{org.id}/wallet").get_data(as_text=True)
    assert 'id="plan-name">Free<' in page and 'id="subscribe"' not in page
    assert client.post(f"/console/orgs/{org.id}/subscription", data={"plan": "pro"}).status_code == 403
    assert standin.requests() == []


def test_an_unknown_plan_comes_back_as_a_message(app, db, standin, priced_plans):
    owner, org = priced_org()
    client = login(app, owner.username)
    answer = client.post(f"/console/orgs/{org.id}/subscription", data={"plan": "gold"}, follow_redirects=True)
    assert "plan &#39;gold&#39; cannot be subscribed to; plans on sale: pro, max" in answer.get_data(as_text=True)


def test_an_admin_sets_a_plans_stripe_price_in_the_plans_view(app, db):
    from app.models import Plan
    from tests.admin.conftest import _role_client

    plan = db.session.scalar(select(Plan).where(Plan.code == "max"))
    admin = _role_client(app, "Admin")
    try:
        assert admin.post(f"/admin/plans/edit/{plan.id}", data={"name": "Max", "stripe_price_id": " price_max_2027 "}
                          ).status_code == 302
        db.session.expire_all()
        assert db.session.get(Plan, plan.id).stripe_price_id == "price_max_2027"
        assert "price_max_2027" in admin.get("/admin/plans/list/").get_data(as_text=True)
    finally:
        db.session.get(Plan, plan.id).stripe_price_id = None
        db.session.commit()
