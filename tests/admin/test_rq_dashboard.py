"""Failed jobs are visible to admins at /admin/rq, and to nobody else."""
from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry

from tests.admin.conftest import _role_client


def test_admin_sees_a_failed_job_with_its_traceback_and_can_requeue_it(app, admin_client):
    connection = app.extensions["tollgate_redis"].client
    queue = Queue("default", connection=connection)
    job = queue.enqueue("app.jobs.rollups.rebuild_period", "not-a-date", "2026-01-01T00:00:00")
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert job.id in FailedJobRegistry(queue=queue).get_job_ids()

    page = admin_client.get("/admin/rq/")
    assert page.status_code == 200
    assert b'href="/admin/rq/"' in admin_client.get("/admin/").data  # Platform > Background jobs
    listed = admin_client.get("/admin/rq/0/data/jobs/default/failed/8/asc/1.json").get_json()
    assert [j["id"] for j in listed["jobs"]] == [job.id]
    assert "Invalid isoformat string" in admin_client.get(f"/admin/rq/0/data/job/{job.id}.json").get_json()["exc_info"]

    assert admin_client.post(f"/admin/rq/job/{job.id}/requeue").status_code == 403  # no X-Requested-With
    resp = admin_client.post(f"/admin/rq/job/{job.id}/requeue", headers={"X-Requested-With": "XMLHttpRequest"})
    assert resp.status_code == 200
    assert job.id not in FailedJobRegistry(queue=queue).get_job_ids()


def test_other_staff_and_anonymous_visitors_are_kept_out(app, client, db):
    assert client.get("/admin/rq/").status_code == 302  # to the sign-in page
    support = _role_client(app, "Support")
    assert support.get("/admin/rq/").status_code == 403
    assert support.get("/admin/rq/0/data/queues.json").status_code == 403
