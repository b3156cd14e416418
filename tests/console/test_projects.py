"""Projects: create, rename, archive and restore, keys belong to them, usage per project, other orgs 404."""
import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.models import ApiKey, AuditLog, OrgRole, Project, UsageDaily, UsageLog
from tests.console.test_tokens import _keys
from tests.factories import make_key

O, A, M, V = OrgRole.owner, OrgRole.admin, OrgRole.member, OrgRole.viewer


def _projects() -> list[Project]:
    db.session.expire_all()
    return list(db.session.scalars(select(Project).order_by(Project.id)))


def test_create_and_rename_refuse_empty_and_duplicate_names(role_client, team):
    client, url = role_client(A), f"/console/orgs/{team['org'].id}/projects"
    assert client.post(url, data={"name": "Web"}).status_code == 302
    for bad in ("", "  ", "web", "x" * 129):
        response = client.post(url, data={"name": bad})
        assert response.status_code == 400 and "<strong>name</strong>" in response.get_data(as_text=True), bad
    [web] = _projects()
    assert client.post(f"{url}/{web.id}/rename", data={"name": "Storefront"}).status_code == 302
    assert _projects()[0].name == "Storefront"
    assert db.session.scalars(select(AuditLog.action).where(AuditLog.target_type == "Project")).all() == [
        "console.project_created", "console.project_renamed"]


def test_another_orgs_project_answers_404(role_client, team):
    foreign = Project(org_id=team["other"].id, name="theirs")
    db.session.add(foreign)
    db.session.commit()
    client, url = role_client(O), f"/console/orgs/{team['org'].id}/projects/{foreign.id}"
    assert client.post(f"{url}/rename", data={"name": "mine"}).status_code == 404
    assert client.post(f"{url}/archive").status_code == 404
    assert _projects()[0].name == "theirs" and _projects()[0].archived_at is None


def test_an_archived_project_takes_no_new_keys_and_its_keys_keep_working(role_client, team):
    org = team["org"]
    project = Project(org_id=org.id, name="legacy")
    db.session.add(project)
    db.session.commit()
    key, _ = make_key(team["users"][M], org, name="old-key", project_id=project.id)
    owner = role_client(O)
    assert owner.post(f"/console/orgs/{org.id}/projects/{project.id}/archive").status_code == 302
    assert _projects()[0].archived_at is not None
    tokens = f"/console/orgs/{org.id}/tokens"
    assert f'value="{project.id}"' not in owner.get(tokens).get_data(as_text=True)
    refused = owner.post(tokens, data={"name": "new", "project_id": str(project.id)})
    assert refused.status_code == 400 and "archived" in refused.get_data(as_text=True)
    member = role_client(M)
    # Saving a key of the archived project without touching its picker keeps the project.
    saved = member.post(f"{tokens}/{key.id}/edit", data={"name": "renamed", "project_id": str(project.id)})
    assert saved.status_code == 302
    assert db.session.get(ApiKey, key.id).project_id == project.id and len(_keys()) == 1
    assert owner.post(f"/console/orgs/{org.id}/projects/{project.id}/archive", data={"restore": "1"}).status_code == 302
    assert owner.post(tokens, data={"name": "new", "project_id": str(project.id)}).status_code == 200


def test_projects_show_their_keys_and_usage_from_the_rollup_and_today(role_client, team):
    org, member = team["org"], team["users"][M]
    web, ops = Project(org_id=org.id, name="web"), Project(org_id=org.id, name="<b>ops</b>")
    db.session.add_all([web, ops])
    db.session.commit()
    key, _ = make_key(member, org, project_id=web.id)
    yesterday = dt.date.today() - dt.timedelta(days=1)
    db.session.add(UsageDaily(day=yesterday, org_id=org.id, project_id=web.id, user_id=member.id, api_key_id=key.id,
                              model="alpha", requests=3, prompt_tokens=30, completion_tokens=3, total_cost=3_000_000))
    db.session.add(UsageLog(request_id="project-today", created_at=dt.datetime.utcnow(), org_id=org.id,
                            project_id=web.id, user_id=member.id, api_key_id=key.id, wallet_id=key.wallet_id,
                            model="alpha", endpoint="chat", prompt_tokens=10, completion_tokens=2, total_cost=500_000))
    db.session.commit()
    body = role_client(O).get(f"/console/orgs/{org.id}/projects").get_data(as_text=True)
    row = body.split(f'data-project="{web.id}"')[1].split("</tr>")[0]
    assert ">4<" in row and ">45<" in row and "$3.50" in row  # 3 + 1 requests, 33 + 12 tokens
    assert "&lt;b&gt;ops&lt;/b&gt;" in body and "<b>ops</b>" not in body
    old = role_client(O).get(f"/console/orgs/{org.id}/projects",
                              query_string={"from": yesterday.isoformat(), "to": yesterday.isoformat()})
    assert "$3.00" in old.get_data(as_text=True).split(f'data-project="{web.id}"')[1].split("</tr>")[0]
    bad = role_client(O).get(f"/console/orgs/{org.id}/projects", query_string={"from": "soon"})
    assert bad.status_code == 400 and "from:" in bad.get_data(as_text=True)
