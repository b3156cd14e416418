"""Organizations: SQL sorting and filtering, gifts with a confirm step, adjustments, edits, key revoke."""
import re

from sqlalchemy import select

from app.extensions import db
from app.models import ApiKey, AuditLog, KeyStatus, LedgerEntry, Organization, Plan, TxType
from tests.factories import make_key, make_org, make_user

TOKEN = "confirm-token-0123456789"  # a confirm step's one-time token, as the review page would give


def _audit(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def test_org_list_sorts_by_wallet_balance_in_sql(admin_client):
    make_org("Poor", balance_usd="1")
    make_org("Rich", balance_usd="900")
    make_org("Middle", balance_usd="50")
    html = admin_client.get("/admin/orgs/list/?_oc_OrgView=credits&_od_OrgView=desc").get_data(as_text=True)
    assert html.index("Rich") < html.index("Middle") < html.index("Poor")
    assert "$900.00" in html


def test_org_list_filters_on_plan_and_name(admin_client):
    make_org("Alpha Labs", plan="pro")
    make_org("Beta Works", plan="free")
    html = admin_client.get("/admin/orgs/list/?_flt_0_plan=free").get_data(as_text=True)
    assert "Beta Works" in html and "Alpha Labs" not in html
    html = admin_client.get("/admin/orgs/list/?_flt_0_name=Alpha").get_data(as_text=True)
    assert "Alpha Labs" in html and "Beta Works" not in html


def test_gift_needs_a_confirm_step_then_posts_credit_gift_with_actor_and_audit(admin_client, admin_user):
    org = make_org()
    review = admin_client.post(f"/admin/orgs/{org.id}/gift", data={"amount_usd": "12.5", "comment": "outage", "step": "review"})
    assert "credit-confirm" in review.get_data(as_text=True)
    assert db.session.scalars(select(LedgerEntry)).all() == []

    token = re.search(r'name="confirm_token" value="([^"]+)"', review.get_data(as_text=True)).group(1)
    done = admin_client.post(f"/admin/orgs/{org.id}/gift", data={"amount_usd": "12.5", "comment": "outage",
                                                                 "step": "confirm", "confirm_token": token})
    assert done.status_code == 302
    entry = db.session.scalars(select(LedgerEntry)).one()
    assert (entry.type, entry.amount, entry.actor_id, entry.comment) == (TxType.credit_gift, 12_500_000, admin_user.id, "outage")
    db.session.refresh(org.wallet)
    assert org.wallet.balance == 12_500_000
    [row] = _audit("wallet.gift")
    assert (row.actor_id, row.target_type, row.target_id) == (admin_user.id, "Organization", str(org.id))
    assert row.details["ledger_entry_id"] == entry.id and row.ip == "127.0.0.1"


def test_gift_refuses_zero_negative_and_garbage_amounts_naming_the_field(admin_client):
    org = make_org()
    for amount in ("0", "-5", "abc", "1.0000001", ""):
        response = admin_client.post(f"/admin/orgs/{org.id}/gift", data={"amount_usd": amount, "step": "confirm"})
        assert response.status_code == 400
        assert "Amount (USD)" in response.get_data(as_text=True)
    assert db.session.scalars(select(LedgerEntry)).all() == [] and _audit("wallet.gift") == []


# One client per test: requests in a test share its app context, so flask-login's cached
# user in ``g`` would leak from one client to the next.
def test_support_can_gift(support_client):
    org = make_org()
    support_client.post(f"/admin/orgs/{org.id}/gift", data={"amount_usd": "5", "step": "confirm", "confirm_token": TOKEN})
    assert db.session.scalars(select(LedgerEntry.amount)).all() == [5_000_000]


def test_auditor_cannot_gift(auditor_client):
    org = make_org()
    assert auditor_client.post(f"/admin/orgs/{org.id}/gift", data={"amount_usd": "5", "step": "confirm"}).status_code == 403
    assert db.session.scalars(select(LedgerEntry)).all() == []


def test_finance_debit_beyond_the_balance_is_refused_and_writes_nothing(finance_client):
    org = make_org(balance_usd="3")
    response = finance_client.post(f"/admin/orgs/{org.id}/adjust",
                                   data={"amount_usd": "4", "direction": "debit", "comment": "fix", "step": "confirm",
                                         "confirm_token": TOKEN})
    assert response.status_code == 400 and "Amount (USD)" in response.get_data(as_text=True)
    assert _audit("wallet.admin_debit") == []
    finance_client.post(f"/admin/orgs/{org.id}/adjust", data={"amount_usd": "2", "direction": "debit", "comment": "fix",
                                                              "step": "confirm", "confirm_token": TOKEN + "2"})
    db.session.refresh(org.wallet)
    assert org.wallet.balance == 1_000_000 and len(_audit("wallet.admin_debit")) == 1


def test_adjustment_without_comment_is_refused(finance_client):
    org = make_org(balance_usd="3")
    response = finance_client.post(f"/admin/orgs/{org.id}/adjust",
                                   data={"amount_usd": "1", "direction": "credit", "step": "confirm"})
    assert response.status_code == 400 and "Comment" in response.get_data(as_text=True)


def test_plan_change_is_audited_with_before_and_after(admin_client):
    org = make_org(plan="free")
    max_plan = db.session.scalar(select(Plan).where(Plan.code == "max"))
    admin_client.post(f"/admin/org-records/edit/{org.id}", data={
        "name": org.name, "billing_email": "ap@example.test", "plan": max_plan.id, "dev_plan": "none", "status": "active"})
    db.session.expire_all()
    assert db.session.get(Organization, org.id).plan.code == "max"
    [change] = _audit("org.plan_change")
    assert change.details == {"before": {"plan": "free"}, "after": {"plan": "max"}}
    [update] = _audit("org.update")
    assert update.details["after"]["billing_email"] == "ap@example.test"


def test_detail_page_shows_metrics_window_members_and_keys_and_revokes_a_key(admin_client):
    owner = make_user()
    org = make_org("Detail Org", owner=owner)
    key, _ = make_key(owner, org=org, name="ci key")
    html = admin_client.get(f"/admin/orgs/{org.id}/?window=7d").get_data(as_text=True)
    assert "ci key" in html and owner.email in html and 'class="active"><a href="?window=7d"' in html
    admin_client.post(f"/admin/orgs/{org.id}/keys/{key.id}/revoke")
    db.session.expire_all()
    assert db.session.get(ApiKey, key.id).status == KeyStatus.revoked
    assert _audit("key.revoke")[0].details["after"] == {"status": "revoked"}
