"""Simplified Chinese through FAB's language switcher."""
import pytest

from tests.factories import make_org


def test_switching_to_chinese_translates_the_organizations_list(admin_client):
    make_org("Acme")
    admin_client.get("/lang/zh")
    html = admin_client.get("/admin/orgs/list/").get_data(as_text=True)
    assert "累计额度" in html and "账单邮箱" in html and "Acme" in html
    admin_client.get("/lang/en")
    assert "All-time credits" in admin_client.get("/admin/orgs/list/").get_data(as_text=True)


def test_org_detail_gift_button_is_translated(admin_client):
    org = make_org()
    admin_client.get("/lang/zh")
    assert "赠送额度" in admin_client.get(f"/admin/orgs/{org.id}/").get_data(as_text=True)


def test_the_language_menu_returns_to_the_page_it_was_opened_on(admin_client):
    org = make_org("Acme")
    page = f"/admin/orgs/{org.id}/?tab=ledger"
    html = admin_client.get(page).get_data(as_text=True)
    assert "/language/zh?next=" in html  # the navbar's language menu carries the page
    response = admin_client.get("/language/zh", query_string={"next": page})
    assert response.status_code == 302 and response.headers["Location"] == page
    assert "赠送额度" in admin_client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_the_language_switch_never_leaves_the_site(admin_client, target):
    response = admin_client.get("/language/en", query_string={"next": target})
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"] and "javascript" not in response.headers["Location"]


def test_unknown_languages_are_not_found(admin_client):
    assert admin_client.get("/language/xx?next=/admin/").status_code == 404


def test_statuses_plans_and_transaction_types_read_in_chinese(admin_client):
    org = make_org("Acme", balance_usd="10")
    admin_client.get("/language/zh")
    orgs = admin_client.get("/admin/orgs/list/").get_data(as_text=True)
    assert "正常" in orgs and "All-time credits" not in orgs and ">active<" not in orgs
    detail = admin_client.get(f"/admin/orgs/{org.id}/").get_data(as_text=True)
    assert "管理员入账" in detail and "已完成" in detail and "admin credit" not in detail
    transactions = admin_client.get("/admin/transactions/list/").get_data(as_text=True)
    assert "管理员入账" in transactions and "Transactions" not in transactions.split("<body", 1)[1]
