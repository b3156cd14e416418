"""The console in Simplified Chinese: labels, roles and the language switch that keeps the page."""
from app.extensions import db
from app.models import OrgRole

from tests.factories import fund

from .conftest import login


def test_members_page_in_chinese_shows_roles_and_labels_translated(app, role_client, team):
    client = role_client(OrgRole.owner)
    page = f"/console/orgs/{team['org'].id}/members"
    english = client.get(page).get_data(as_text=True)
    assert "Members" in english and ">viewer<" in english.replace("selected>", ">")

    response = client.get("/language/zh", query_string={"next": page})
    assert response.status_code == 302 and response.headers["Location"] == page
    html = client.get(page).get_data(as_text=True)
    assert "成员" in html and "只读成员" in html and "所有者" in html and "邀请成员" in html
    assert "Invite a member" not in html and ">viewer<" not in html


def test_the_console_navbar_switch_keeps_the_page_and_the_choice_follows_the_user(app, role_client, team):
    client = role_client(OrgRole.admin)
    page = f"/console/orgs/{team['org'].id}/settings"
    html = client.get(page).get_data(as_text=True)
    assert f'href="/language/zh?next={page}"' in html
    assert client.get(f"/language/zh?next={page}").headers["Location"] == page
    assert "设置" in client.get(page).get_data(as_text=True)
    db.session.expire_all()
    assert team["users"][OrgRole.admin].locale == "zh"
    again = login(app, team["users"][OrgRole.admin].username)
    assert "退出登录" in again.get("/console/").get_data(as_text=True)


def test_wallet_transactions_show_translated_types_and_statuses(app, role_client, team):
    fund(team["org"].wallet.id, 5)
    client = role_client(OrgRole.owner)
    page = f"/console/orgs/{team['org'].id}/wallet"
    assert "admin credit" in client.get(page).get_data(as_text=True)
    client.get("/language/zh")
    html = client.get(page).get_data(as_text=True)
    assert "管理员入账" in html and "已完成" in html
    assert "admin credit" not in html and ">completed<" not in html
