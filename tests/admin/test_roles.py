"""Every back-office URL, walked as each platform role: allowed is 200, denied never is."""
import pytest
from sqlalchemy import select

from app.billing import money
from app.extensions import db
from app.models import Plan, TxType
from tests.factories import make_group, make_org, make_user

S, F, AU = "support", "finance", "auditor"
# url template -> roles besides Admin that may open it
MATRIX = {
    "/admin/": {S, F, AU},
    "/admin/platform/": {F, AU},
    "/admin/usage/": {S, F, AU},
    "/admin/usage/export.csv": {F, AU},
    "/admin/orgs/list/": {S, F, AU},
    "/admin/orgs/{org}/": {S, F, AU},
    "/admin/orgs/{org}/gift": {S},
    "/admin/orgs/{org}/adjust": {F},
    "/admin/orgs/{org}/delete": set(),
    "/admin/org-records/edit/{org}": set(),
    "/admin/users/list/": {S, AU},
    "/admin/users/show/{user}": {S, AU},
    "/admin/users/groups?ids={user}": set(),
    "/admin/users/{user}/delete": set(),
    "/admin/groups/list/": {S, AU},
    "/admin/groups/add": set(),
    "/admin/groups/edit/{group}": set(),
    "/admin/models/list/": {S, AU},
    "/admin/models/add": set(),
    "/admin/providers/list/": {AU},
    "/admin/providers/add": set(),
    "/admin/discounts/list/": {F, AU},
    "/admin/discounts/add": set(),
    "/admin/bonus-ladder/list/": {F, AU},
    "/admin/bonus-ladder/add": set(),
    "/admin/plans/list/": {F, AU},
    "/admin/plans/edit/{plan}": set(),
    "/admin/stripe-events/list/": {F, AU},
    "/admin/transactions/list/": {F, AU},
    "/admin/transactions/show/{topup}": {F, AU},
    "/admin/transactions/export.csv": {F, AU},
    "/admin/transactions/{topup}/refund": {F},
    "/admin/unsettled/": {F, AU},
    "/admin/settings/": {AU},
    "/admin/audit/list/": {AU},
    "/admin/audit/export.csv": {AU},
    "/users/list/": set(),  # FAB's own security views stay Admin-only
    "/roles/list/": set(),
}


@pytest.fixture
def targets(db):
    user = make_user()
    org = make_org(owner=user)
    group = make_group()
    topup = money.post(db.session, money.Posting(wallet_id=org.wallet.id, amount=5_000_000, type=TxType.credit_topup))
    db.session.commit()
    plan = db.session.scalar(select(Plan.id).where(Plan.code == "pro"))
    return {"org": org.id, "user": user.id, "group": group.id, "topup": topup.id, "plan": plan}


@pytest.mark.parametrize("role", ["admin", S, F, AU, "anonymous"])
def test_each_role_opens_exactly_the_urls_its_grants_allow(request, role, targets):
    client = request.getfixturevalue(f"{role}_client")
    wrong = []
    for template, allowed in MATRIX.items():
        url = template.format(**targets)
        status = client.get(url).status_code
        expect_ok = role == "admin" or role in allowed
        if expect_ok and status != 200 or not expect_ok and status == 200:
            wrong.append((url, status))
        if not expect_ok:
            assert status in (302, 403), (url, status)
    assert not wrong, f"{role}: {wrong}"


def test_support_cannot_post_an_edit_to_a_model_group(support_client, targets):
    support_client.post(f"/admin/groups/edit/{targets['group']}", data={"name": "renamed", "multiplier": "1"})
    from app.models import ModelGroup

    assert db.session.get(ModelGroup, targets["group"]).name != "renamed"
