"""Every admin API endpoint, called as each platform role: the answer follows the screens' grants."""
import pytest

from app.models import AuditLog
from app.models import Project
from tests.factories import make_org, make_user

A, S, F, AU = "Admin", "Support", "Finance", "Auditor"
EVERYONE = {A, S, F, AU}

# (method, url template, JSON body, roles answered with success, success status)
MATRIX = [
    ("GET", "/api/v1/admin/orgs/", None, EVERYONE, 200),
    ("GET", "/api/v1/admin/orgs/{org}", None, EVERYONE, 200),
    ("POST", "/api/v1/admin/orgs/", {"name": "Made by API", "plan": "free"}, {A}, 201),
    ("PUT", "/api/v1/admin/orgs/{org}", {"billing_email": "billing@example.test"}, {A}, 200),
    ("GET", "/api/v1/admin/projects/", None, EVERYONE, 200),
    ("GET", "/api/v1/admin/projects/{project}", None, EVERYONE, 200),
    ("GET", "/api/v1/admin/users/", None, {A, S, AU}, 200),
    ("GET", "/api/v1/admin/users/{user}", None, {A, S, AU}, 200),
    ("POST", "/api/v1/admin/users/", {"username": "newcomer", "email": "newcomer@example.test"}, {A}, 201),
    ("PUT", "/api/v1/admin/users/{user}", {"first_name": "Renamed"}, {A}, 200),
    ("GET", "/api/v1/admin/metrics/orgs/{org}?window=7d", None, EVERYONE, 200),
    ("GET", "/api/v1/admin/metrics/platform?window=30d", None, {A, F, AU}, 200),
    ("GET", "/api/v1/_openapi", None, EVERYONE, 200),
]
CASES = [(role, method, url, body, (ok if role in allowed else 403))
         for method, url, body, allowed, ok in MATRIX for role in (A, S, F, AU)]
CASES += [("anonymous", method, url, body, 401) for method, url, body, _, _ in MATRIX]


@pytest.fixture
def targets(db):
    customer = make_user(username="customer")
    org = make_org(owner=customer)
    project = Project(org_id=org.id, name="default")
    db.session.add(project)
    db.session.commit()
    return {"org": org.id, "user": customer.id, "project": project.id}


@pytest.mark.parametrize("role,method,url,body,expected", CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_each_role_gets_exactly_what_its_screens_allow(client, token_for, targets, db, role, method, url, body,
                                                       expected):
    headers = token_for(role)
    audit_rows = db.session.query(AuditLog).filter(AuditLog.action.notlike("auth.%")).count()
    db.session.rollback()
    response = client.open(url.format(**targets), method=method, json=body, headers=headers)

    assert response.status_code == expected, response.get_data(as_text=True)[:300]
    assert response.is_json  # never an HTML page, refusals included
    if expected in (401, 403):
        assert isinstance(response.get_json()["message"], str)
        # A refused write changes nothing and leaves no audit row.
        assert db.session.query(AuditLog).filter(AuditLog.action.notlike("auth.%")).count() == audit_rows
