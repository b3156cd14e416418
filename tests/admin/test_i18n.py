"""Simplified Chinese through FAB's language switcher."""
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
