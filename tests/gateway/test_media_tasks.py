"""Media calls run as tasks: 202 with a task id at once, held at admission, settled by the job."""
import datetime as dt

import openai
import pytest
import requests
from rq import SimpleWorker

from app.extensions import db
from app.models import AsyncTask
from tests.factories import make_key, make_user

from .helpers import balance, usage_charges, usage_rows
from .test_media import START, media_models, wav_of  # noqa: F401 - the fixture is shared

TASKS = "/api/v1/me/tasks"


@pytest.fixture
def oai(world, live_tollgate, media_models):  # noqa: F811
    return openai.OpenAI(base_url=f"{live_tollgate.url}/v1", api_key=world.secret, max_retries=0)


@pytest.fixture
def queued_jobs(app):
    """Jobs go to Redis for a worker instead of running inline, as in production."""
    app.config["RQ_ASYNC"] = True
    app.extensions["tollgate_queues"].clear()
    yield lambda: SimpleWorker([app.extensions["tollgate_queues"]["default"]],
                               connection=app.extensions["tollgate_redis"].client).work(burst=True)
    app.config["RQ_ASYNC"] = False
    app.extensions["tollgate_queues"].clear()


def test_a_task_is_held_at_once_and_settled_by_a_worker(oai, world, live_tollgate, queued_jobs):
    raw = oai.images.with_raw_response.generate(model="image-test", prompt="a fox", n=2,
                                                extra_headers={"Prefer": "respond-async"})
    assert raw.status_code == 202
    task = raw.http_response.json()
    assert (task["object"], task["status"], task["operation"]) == ("task", "queued", "images")
    assert raw.headers["X-Org-Quota-Remaining-Credits"] == str(START - 80_000)  # held, not yet charged
    assert usage_charges() == []
    url = f"{live_tollgate.url}{TASKS}/{task['id']}"
    assert requests.get(url, headers=world.headers).json()["status"] == "queued"
    assert requests.get(f"{url}/content", headers=world.headers).status_code == 409

    queued_jobs()

    shown = requests.get(url, headers=world.headers).json()
    assert shown["status"] == "finished" and shown["result"]["status_code"] == 200
    content = requests.get(f"{live_tollgate.url}{shown['result_url']}", headers=world.headers)
    assert content.headers["content-type"] == "application/json" and len(content.json()["data"]) == 2
    assert usage_rows()[-1].request_id == task["request_id"] and usage_charges() == [-80_000]
    assert balance(world.org.wallet.id) == START - 80_000


def test_transcription_task_keeps_its_upload_until_the_job_ran(oai, world, live_tollgate, queued_jobs):
    raw = oai.audio.transcriptions.with_raw_response.create(
        model="whisper-test", file=("a.wav", wav_of(2), "audio/wav"), extra_body={"tollgate_async": "true"})
    task_id = raw.http_response.json()["id"]
    assert db.session.scalar(db.select(AsyncTask.upload).where(AsyncTask.job_id == task_id)).startswith(b"RIFF")
    queued_jobs()
    db.session.expire_all()
    row = db.session.scalar(db.select(AsyncTask).where(AsyncTask.job_id == task_id))
    assert row.status == "finished" and row.upload is None
    text = requests.get(f"{live_tollgate.url}{TASKS}/{task_id}/content", headers=world.headers).json()["text"]
    assert text.startswith("The quick brown fox")
    assert balance(world.org.wallet.id) == START - 200


@pytest.mark.embedded
def test_embedded_default_runs_the_task_inline(oai, world, live_tollgate):
    raw = oai.audio.speech.with_raw_response.create(model="speech-test", voice="alloy", input="Hello",
                                                    response_format="wav", extra_body={"tollgate_async": True})
    task = raw.http_response.json()
    assert raw.status_code == 202 and task["status"] == "finished"
    audio = requests.get(f"{live_tollgate.url}{task['result_url']}", headers=world.headers)
    assert audio.content[:4] == b"RIFF" and audio.headers["content-type"] == "audio/wav"
    assert balance(world.org.wallet.id) == START - 75  # 5 characters at 15,000,000 per 1M


def test_another_users_task_is_not_found(oai, world, live_tollgate):
    task = oai.images.with_raw_response.generate(model="image-test", prompt="x",
                                                 extra_body={"tollgate_async": True}).http_response.json()
    other = make_user("other")
    _, secret = make_key(other, world.org)
    for path in ("", "/content"):
        resp = requests.get(f"{live_tollgate.url}{TASKS}/{task['id']}{path}",
                            headers={"Authorization": f"Bearer {secret}"})
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "task_not_found"


def test_a_bad_async_flag_is_refused_naming_it(oai, world):
    with pytest.raises(openai.BadRequestError) as err:
        oai.images.generate(model="image-test", prompt="x", extra_body={"tollgate_async": "soon"})
    assert err.value.body["param"] == "tollgate_async" and usage_charges() == []


def test_results_are_purged_with_the_logs(oai, world):
    from app.jobs.retention import purge_usage

    oai.images.with_raw_response.generate(model="image-test", prompt="x", extra_body={"tollgate_async": True})
    assert db.session.scalar(db.select(db.func.count(AsyncTask.id))) == 1
    purge_usage((dt.datetime.utcnow() + dt.timedelta(days=400)).isoformat())
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(AsyncTask.id))) == 0


def test_a_task_whose_hold_expired_before_it_ran_fails_and_charges_nothing(oai, world, live_tollgate, queued_jobs):
    from app.billing import holds

    raw = oai.images.with_raw_response.generate(model="image-test", prompt="x", extra_body={"tollgate_async": True})
    task_id = raw.http_response.json()["id"]
    holds.sweep_expired(now_ms=holds.clock_ms() + 3_600_000)  # an hour on: the queue was stuck
    queued_jobs()
    shown = requests.get(f"{live_tollgate.url}{TASKS}/{task_id}", headers=world.headers).json()
    assert shown["status"] == "failed" and shown["result"]["status_code"] == 409
    error = requests.get(f"{live_tollgate.url}{shown['result_url']}", headers=world.headers).json()["error"]
    assert error["code"] == "task_expired"
    assert balance(world.org.wallet.id) == START and usage_charges() == []


def test_a_log_export_is_not_a_media_task_of_the_api(world, client):
    """Console log exports share the tasks table; the API's tasks are media tasks only."""
    db.session.add(AsyncTask(job_id="export-1", name="log_export", user_id=world.owner.id, status="finished",
                             result={"file": "usage-1.csv"}))
    db.session.commit()
    for path in ("", "/content"):
        resp = client.get(f"{TASKS}/export-1{path}", headers=world.headers)
        assert resp.status_code == 404 and resp.json["error"]["code"] == "task_not_found"
