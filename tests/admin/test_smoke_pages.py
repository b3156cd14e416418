"""Every back-office page renders for an admin on an empty and a populated platform."""
import pytest

from tests.factories import make_group, make_key, make_model, make_org, make_provider, make_user

PAGES = ["/admin/", "/admin/platform/", "/admin/usage/", "/admin/usage/?group_by=org&then_by=model",
         "/admin/orgs/list/", "/admin/users/list/", "/admin/groups/list/", "/admin/models/list/",
         "/admin/providers/list/", "/admin/discounts/list/", "/admin/transactions/list/", "/admin/settings/",
         "/admin/audit/list/", "/admin/models/add", "/admin/providers/add", "/admin/groups/add",
         "/admin/discounts/add", "/admin/bonus-ladder/list/", "/admin/bonus-ladder/add", "/admin/stripe-events/list/",
         "/admin/plans/list/"]


@pytest.mark.embedded
@pytest.mark.parametrize("url", PAGES)
def test_admin_page_renders_with_data(admin_client, url):
    owner = make_user()
    org = make_org(balance_usd="10", owner=owner)
    make_key(owner, org=org)
    group = make_group()
    make_model(providers=[make_provider("http://upstream.test")], groups=[group])
    response = admin_client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]


@pytest.mark.embedded
def test_org_detail_and_gift_form_render(admin_client):
    owner = make_user()
    org = make_org(balance_usd="10", owner=owner)
    make_key(owner, org=org)
    for url in (f"/admin/orgs/{org.id}/", f"/admin/orgs/{org.id}/gift", f"/admin/orgs/{org.id}/adjust",
                f"/admin/org-records/edit/{org.id}", f"/admin/users/{owner.id}/delete",
                f"/admin/users/groups?ids={owner.id}"):
        response = admin_client.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[-2000:])
