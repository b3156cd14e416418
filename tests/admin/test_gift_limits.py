"""Gift limits per role: above them a gift waits for a second person, Admin or Finance."""
import re

from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, GiftRequest, GiftStatus, LedgerEntry, Organization, TxType
from tests.factories import make_org


def _gift(client, org, amount, comment="goodwill"):
    review = client.post(f"/admin/orgs/{org.id}/gift", data={"amount_usd": amount, "comment": comment, "step": "review"})
    token = re.search(r'name="confirm_token" value="([^"]+)"', review.get_data(as_text=True)).group(1)
    data = {"amount_usd": amount, "comment": comment, "step": "confirm", "confirm_token": token}
    return review, client.post(f"/admin/orgs/{org.id}/gift", data=data, follow_redirects=True), data


def _balance(org):
    db.session.expire_all()
    return db.session.get(Organization, org.id).wallet.balance


def _actions():
    return [a.action for a in db.session.scalars(select(AuditLog).order_by(AuditLog.id))
            if a.action.startswith(("gift.", "wallet."))]


def test_support_gifts_up_to_the_per_gift_limit_directly(support_client):
    org = make_org()
    review, done, _ = _gift(support_client, org, "100")
    assert 'id="needs-approval"' not in review.get_data(as_text=True)
    assert _balance(org) == 100_000_000 and _actions() == ["wallet.gift"]


def test_support_gift_above_the_limit_files_a_request_and_moves_no_money(support_client):
    org = make_org()
    review, done, data = _gift(support_client, org, "1,000,000")
    assert "per-gift limit of $100.00" in review.get_data(as_text=True)
    assert "waits for an Admin or Finance approval" in done.get_data(as_text=True)
    assert _balance(org) == 0
    [gift] = db.session.scalars(select(GiftRequest)).all()
    assert (gift.amount, gift.status) == (1_000_000_000_000, GiftStatus.pending)
    support_client.post(f"/admin/orgs/{org.id}/gift", data=data)  # the same page submitted again
    assert len(db.session.scalars(select(GiftRequest)).all()) == 1
    assert _actions() == ["gift.request"]


def test_the_daily_limit_counts_the_givers_earlier_gifts_today(support_client):
    org = make_org()
    for _ in range(5):
        _gift(support_client, org, "100")
    assert _balance(org) == 500_000_000
    review, _, _ = _gift(support_client, org, "1")
    assert "daily limit of $500.00" in review.get_data(as_text=True)
    assert _balance(org) == 500_000_000
    assert db.session.scalar(select(GiftRequest.reason)).startswith("above the daily limit")


def test_finance_approves_a_request_once_and_the_credits_land(support_client, finance_client):
    org = make_org()
    _gift(support_client, org, "250")
    gift_id = db.session.scalar(select(GiftRequest.id))
    page = finance_client.get(f"/admin/gift-requests/show/{gift_id}").get_data(as_text=True)
    assert "Approve and post" in page
    finance_client.post(f"/admin/gift-requests/{gift_id}/approve", data={"comment": "ok"})
    assert _balance(org) == 250_000_000
    again = finance_client.post(f"/admin/gift-requests/{gift_id}/approve", follow_redirects=True)
    assert "already approved" in again.get_data(as_text=True) and _balance(org) == 250_000_000
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.type == TxType.credit_gift))
    gift = db.session.get(GiftRequest, gift_id)
    assert gift.status == GiftStatus.approved and gift.ledger_entry_id == entry.id
    assert entry.external_id == f"gift-request:{gift_id}" and entry.actor_id == gift.decided_by_id
    assert _actions() == ["gift.request", "gift.approve"]


def test_a_rejected_request_moves_nothing_and_is_audited(support_client, admin_client):
    org = make_org()
    _gift(support_client, org, "5000")
    gift_id = db.session.scalar(select(GiftRequest.id))
    admin_client.post(f"/admin/gift-requests/{gift_id}/reject", data={"comment": "too much"})
    assert _balance(org) == 0 and db.session.get(GiftRequest, gift_id).status == GiftStatus.rejected
    [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "gift.reject")).all()
    assert row.details["comment"] == "too much" and row.actor_name == "admin-staff"


def test_support_cannot_approve_and_nobody_approves_their_own_request(support_client, admin_client):
    org = make_org()
    _gift(support_client, org, "5000")
    gift_id = db.session.scalar(select(GiftRequest.id))
    assert support_client.post(f"/admin/gift-requests/{gift_id}/approve").status_code in (302, 403)
    assert _balance(org) == 0
    # An admin gifts without limits, so make the admin's own request by hand.
    from app import gifts
    from app.models import TollgateUser
    admin = db.session.scalar(select(TollgateUser).where(TollgateUser.username == "admin-staff"))
    own = gifts.request_gift(org, 1_000_000, None, "test", admin, "form:gift:own-token-000000000")
    db.session.commit()
    response = admin_client.post(f"/admin/gift-requests/{own.id}/approve", follow_redirects=True)
    assert "four eyes" in response.get_data(as_text=True) and _balance(org) == 0


def test_admin_gifts_without_limits(admin_client):
    org = make_org()
    _gift(admin_client, org, "1,000,000")
    assert _balance(org) == 1_000_000_000_000 and db.session.scalars(select(GiftRequest)).all() == []


def test_an_admin_changes_the_limits_under_settings_and_it_is_audited(admin_client, support_client):
    admin_client.post("/admin/settings/gift-limits", data={"Support_per_action_usd": "1,000", "Support_per_day_usd": ""})
    page = admin_client.get("/admin/settings/").get_data(as_text=True)
    assert 'value="1,000.00"' in page
    org = make_org()
    _gift(support_client, org, "900")
    _gift(support_client, org, "900")  # no daily limit any more
    assert _balance(org) == 1_800_000_000
    [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "settings.gift_limits")).all()
    assert row.details["after"]["Support"] == {"per_action": 1_000_000_000, "per_day": None}
    bad = admin_client.post("/admin/settings/gift-limits", data={"Support_per_action_usd": "lots"}, follow_redirects=True)
    assert "Support per gift (USD)" in bad.get_data(as_text=True)
