"""Logs CSV export: small ranges streamed, large ones as a background task downloadable by its owner only."""
import csv
import io
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AsyncTask, OrgRole, UsageLog, utcnow
from tests.console.conftest import login
from tests.factories import make_key
from tests.webhooks.conftest import queues, run_worker  # noqa: F401 - shared fixtures

O, A, M, V = OrgRole.owner, OrgRole.admin, OrgRole.member, OrgRole.viewer


def _call(key, model, cost=1_234_567, status="success"):
    db.session.add(UsageLog(request_id=f"exp-{model}-{key.id}-{utcnow().timestamp()}", created_at=utcnow(),
                            org_id=key.org_id, user_id=key.user_id, api_key_id=key.id, wallet_id=key.wallet_id,
                            model=model, endpoint="chat", prompt_tokens=10, completion_tokens=5, total_cost=cost,
                            input_cost=cost, status=status))


@pytest.fixture
def calls(team):
    owner_key, _ = make_key(team["users"][O], team["org"])
    member_key, _ = make_key(team["users"][M], team["org"])
    for n in range(3):
        _call(owner_key, f"owner-model-{n}")
    _call(member_key, "=HYPERLINK(\"http://evil.example\")")
    _call(member_key, "member-error", status="error")
    db.session.commit()
    return {"owner_key": owner_key, "member_key": member_key}


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_a_small_range_streams_the_filtered_calls_at_once(role_client, team, calls):
    response = role_client(O).get(f"/console/orgs/{team['org'].id}/logs.csv?status=success")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert len(rows) == 4 and all(r["status"] == "success" for r in rows)
    assert rows[-1]["cost_usd"] == "1.234567" and rows[-1]["prompt_tokens"] == "10"
    # A formula stays text in a spreadsheet.
    assert "'=HYPERLINK(\"http://evil.example\")" in [r["model"] for r in rows]


def test_a_member_exports_only_their_own_calls(role_client, team, calls):
    rows = _csv(role_client(M).get(f"/console/orgs/{team['org'].id}/logs.csv"))
    assert {r["user_id"] for r in rows} == {str(team["users"][M].id)} and len(rows) == 2
    assert role_client(M).get(f"/console/orgs/{team['org'].id}/logs.csv?key={calls['owner_key'].id}").status_code == 404


def test_bad_filters_get_a_400_naming_them(role_client, team):
    response = role_client(O).get(f"/console/orgs/{team['org'].id}/logs.csv?from=yesterday")
    assert response.status_code == 400 and "from" in response.get_data(as_text=True)


def test_a_large_range_becomes_a_task_its_owner_downloads(app, role_client, team, calls, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "CONSOLE_EXPORT_INLINE_MAX_ROWS", 2)
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path))
    client = role_client(O)
    response = client.get(f"/console/orgs/{team['org'].id}/logs.csv")
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/tasks")
    task = db.session.scalars(select(AsyncTask)).one()
    db.session.refresh(task)
    assert (task.status, task.progress, task.user_id, task.result["rows"]) == ("finished", 100, team["users"][O].id, 5)
    page = client.get("/console/tasks").get_data(as_text=True)
    assert f'id="download-{task.id}"' in page
    download = client.get(f"/console/tasks/{task.id}/download")
    assert download.status_code == 200 and len(_csv(download)) == 5
    assert not re.search(r"task\d+-", download.headers["Content-Disposition"])
    # Nobody else sees or downloads it, not even an admin of the same org.
    for role in (A, M):
        other = role_client(role)
        assert other.get(f"/console/tasks/{task.id}/download").status_code == 404
        assert f'data-task="{task.id}"' not in other.get("/console/tasks").get_data(as_text=True)


def test_with_a_worker_the_task_is_queued_then_finished(app, role_client, team, calls, tmp_path, monkeypatch,
                                                        queues):  # noqa: F811
    monkeypatch.setitem(app.config, "CONSOLE_EXPORT_INLINE_MAX_ROWS", 2)
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path))
    client = role_client(V)
    assert client.get(f"/console/orgs/{team['org'].id}/logs.csv").status_code == 302
    task = db.session.scalars(select(AsyncTask)).one()
    assert task.status == "queued"
    assert client.get(f"/console/tasks/{task.id}/download").status_code == 404  # not done yet
    assert 'http-equiv="refresh"' in client.get("/console/tasks").get_data(as_text=True)
    run_worker(app)
    db.session.expire_all()
    assert task.status == "finished" and len(_csv(client.get(f"/console/tasks/{task.id}/download"))) == 5


def test_a_failing_export_shows_as_failed_with_its_reason(app, role_client, team, calls, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setitem(app.config, "CONSOLE_EXPORT_INLINE_MAX_ROWS", 2)
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(blocker))
    client = role_client(O)
    client.get(f"/console/orgs/{team['org'].id}/logs.csv")
    task = db.session.scalars(select(AsyncTask)).one()
    db.session.refresh(task)
    assert task.status == "failed" and "FileExistsError" in task.error
    assert client.get(f"/console/tasks/{task.id}/download").status_code == 404


def test_personal_export_holds_personal_calls_only(app, team, calls):
    user = team["users"][M]
    key, _ = make_key(user)
    _call(key, "personal-model")
    db.session.commit()
    rows = _csv(login(app, user.username).get("/console/logs.csv"))
    assert [r["model"] for r in rows] == ["personal-model"]


def test_export_files_are_deleted_after_their_keep_time_and_the_link_goes(app, role_client, team, calls, tmp_path,
                                                                        monkeypatch):
    import datetime as dt

    from app.jobs.exports import purge_exports
    from app.jobs.periodic import PERIODIC

    assert any(func is purge_exports for func, _, _ in PERIODIC)
    monkeypatch.setitem(app.config, "CONSOLE_EXPORT_INLINE_MAX_ROWS", 2)
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path))
    client = role_client(O)
    client.get(f"/console/orgs/{team['org'].id}/logs.csv")
    client.get(f"/console/orgs/{team['org'].id}/logs.csv?status=success")
    old, new = db.session.scalars(select(AsyncTask).order_by(AsyncTask.id)).all()
    old.finished_at = utcnow() - dt.timedelta(hours=app.config["EXPORT_KEEP_HOURS"] + 1)
    db.session.commit()
    assert purge_exports() == 1
    db.session.expire_all()
    assert sorted(p.name for p in tmp_path.iterdir()) == [new.result["file"]]
    assert client.get(f"/console/tasks/{old.id}/download").status_code == 404
    assert client.get(f"/console/tasks/{new.id}/download").status_code == 200
    page = client.get("/console/tasks").get_data(as_text=True)
    assert f'id="download-{old.id}"' not in page and "file deleted after" in page
