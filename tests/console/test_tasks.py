"""Tasks page: the signed-in user's media tasks and their downloads; nobody else's."""
from app.extensions import db
from app.models import AsyncTask, OrgRole, utcnow

O = OrgRole.owner


def _task(user, job_id, status="finished", output=b"RIFF....", output_type="audio/wav"):
    task = AsyncTask(job_id=job_id, name="speech", user_id=user.id, request_id=f"req-{job_id}", model="speech-1",
                     status=status, output=output if status == "finished" else None, output_type=output_type,
                     finished_at=utcnow() if status == "finished" else None)
    db.session.add(task)
    db.session.commit()
    return task


def test_tasks_page_lists_the_users_tasks_with_downloads(role_client, team):
    _task(team["users"][O], "task_done")
    _task(team["users"][O], "task_waiting", status="queued")
    _task(team["outsider"], "task_theirs")
    client = role_client(O)
    body = client.get("/console/tasks").get_data(as_text=True)
    assert "task_done" in body and "task_waiting" in body and "task_theirs" not in body
    assert body.count("/content") == 1  # only the finished task has a result to download
    file = client.get("/console/tasks/task_done/content")
    assert file.status_code == 200 and file.data == b"RIFF...." and file.mimetype == "audio/wav"
    assert 'filename="task_done.wav"' in file.headers["Content-Disposition"]


def test_another_users_or_an_unfinished_task_is_not_found(role_client, team):
    _task(team["outsider"], "task_theirs")
    _task(team["users"][O], "task_waiting", status="queued")
    client = role_client(O)
    assert client.get("/console/tasks/task_theirs/content").status_code == 404
    assert client.get("/console/tasks/task_waiting/content").status_code == 404
