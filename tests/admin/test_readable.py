"""Readable screens: names, badges, times to the second, audit tables, friendly refusals,
menus a role can use, one Users screen, empty charts, a favicon, and the data-access log."""
from sqlalchemy import select

from app.billing import money
from app.extensions import db
from app.models import AuditLog, TxType
from tests.factories import make_group, make_org, make_user


def test_lists_show_badges_names_and_times_to_the_second_not_python_values(admin_client):
    make_group("vip", exclusive=True)
    org = make_org("Readable Co")
    money.post(db.session, money.Posting(wallet_id=org.wallet.id, amount=5_000_000, type=TxType.credit_gift))
    db.session.commit()
    groups = admin_client.get("/admin/groups/list/").get_data(as_text=True)
    assert "label-success" in groups and ">True<" not in groups and ">False<" not in groups
    transactions = admin_client.get("/admin/transactions/list/").get_data(as_text=True)
    assert ">Readable Co</a>" in transactions and "Wallet " not in transactions and ">None<" not in transactions
    assert 'title="' in transactions and "UTC" in transactions
    users = admin_client.get("/admin/users/list/").get_data(as_text=True)
    assert "TollgateUser" not in users and ">None<" not in users


def test_audit_details_read_as_a_before_after_table(admin_client):
    group = make_group("renamed")
    admin_client.post(f"/admin/groups/edit/{group.id}", data={"name": "renamed-again", "multiplier": "0.9",
                                                              "description": ""})
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "group.update"))
    html = admin_client.get(f"/admin/audit/show/{row.id}").get_data(as_text=True)
    table = html.split("audit-details")[1].split("</table>")[0]
    assert "<th>Before</th>" in table and "renamed" in table and "renamed-again" in table
    assert "{'" not in html


def test_a_role_that_cannot_open_a_page_gets_a_page_with_a_way_back(support_client):
    response = support_client.get("/admin/providers/list/")
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and 'id="forbidden"' in html and "Go back" in html


def test_menus_a_role_cannot_use_are_hidden_and_there_is_one_users_screen(support_client, admin_client):
    support = support_client.get("/admin/").get_data(as_text=True)
    assert "Platform" not in support.split('class="nav navbar-nav"')[1].split("</ul>\n</div>")[0]
    admin = admin_client.get("/admin/").get_data(as_text=True)
    assert "List Users" not in admin and "/admin/users/list/" in admin


def test_empty_charts_say_so_and_there_is_a_favicon(admin_client):
    html = admin_client.get("/admin/platform/").get_data(as_text=True)
    assert "No data for this period yet." in html
    icon = admin_client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"


def test_opening_a_customers_page_or_transactions_is_recorded(support_client, finance_client):
    org = make_org("Watched Co", owner=make_user())
    support_client.get(f"/admin/orgs/{org.id}/")
    finance_client.get(f"/admin/transactions/list/?_flt_0_wallet={org.wallet.id}")
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "data.view").order_by(AuditLog.id)).all()
    assert [(r.actor_name, r.target_type, r.details["screen"]) for r in rows] == [
        ("support-staff", "Organization", "organization"), ("finance-staff", "Wallet", "transactions")]
    assert "members" in rows[0].details["sections"]
