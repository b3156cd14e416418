"""Media calls run as tasks: answered 202 with a task id at once, forwarded and settled by a job.

The hold is placed at admission, before the task is queued, exactly as for a call answered
at once; the job forwards the call and settles it through the same code (media_call). The
job gets the task's id and the call without its model (whose routes carry provider keys,
which must not sit in Redis): the job looks the model up in its own catalog. An upload
waits in the task row and is dropped once the job ran; the result is kept there for the
log retention period (app.jobs.retention).
"""
import secrets
import time
from dataclasses import replace

from flask import request
from sqlalchemy import select

from ..billing import holds
from ..extensions import db
from ..models import AsyncTask, utcnow
from . import catalog, media
from .admission import Call
from .errors import GatewayError, invalid
from .media_call import refused, run

ASYNC_FIELD = "tollgate_async"


def wanted(call: Call) -> bool:
    """Whether the caller asked for a task: ``tollgate_async: true`` or ``Prefer: respond-async``."""
    fields = call.media.fields
    flag = fields.pop(ASYNC_FIELD, None)
    if call.op == "transcription" and flag is not None:
        flag = {"true": True, "false": False}.get(str(flag).lower(), flag)
    if flag is not None and not isinstance(flag, bool):
        raise invalid(f"'{ASYNC_FIELD}' must be true or false", ASYNC_FIELD)
    prefer = request.headers.get("Prefer", "")
    return bool(flag) or "respond-async" in (p.strip().lower() for p in prefer.split(","))


def start(call: Call) -> AsyncTask:
    """Record the task and queue its job; the call is already held."""
    from ..jobs import get_queue  # app.jobs imports the gateway's modules, not the other way round

    key = call.key
    task = AsyncTask(job_id=f"task_{secrets.token_hex(12)}", name=call.op, user_id=key.user_id, org_id=key.org_id,
                     api_key_id=key.key_id, request_id=call.request_id, model=call.model_name, status="queued",
                     upload=call.media.upload.data if call.media.upload else None)
    db.session.add(task)
    db.session.commit()
    state = replace(call, model=None, routes=[], media=replace(call.media, upload=replace(
        call.media.upload, data=b"")) if call.media.upload else call.media)
    get_queue("default").enqueue("app.jobs.media.run_task", task.id, state, job_id=task.job_id)
    return task


def execute(task_id: int, call: Call) -> None:
    """The job's work: forward the held call, settle it, keep the answer in the task row."""
    session = db.session
    task = session.get(AsyncTask, task_id)
    task.status = "started"
    session.commit()
    model = catalog.current().models.get(call.model_name)
    if call.media.upload is not None:
        call.media.upload.data = session.scalar(select(AsyncTask.upload).where(AsyncTask.id == task_id))
    call.started = time.monotonic()  # latency is this process's to measure
    if model is None or not holds.heartbeat(call.request_id):
        # The model went away, or the hold expired while the task waited: nothing is charged.
        if model is not None:
            call.held = False  # the expiry sweep released it already
        outcome = refused(call, GatewayError(409, "invalid_request_error", "the task's credit hold expired or its "
                                             "model was removed before it ran; nothing was charged",
                                             code="task_expired"))
    else:
        call.model = model
        call.routes = media.routes(model)
        outcome = run(call)
    task = session.get(AsyncTask, task_id)
    task.status = "finished" if outcome.status < 400 else "failed"
    task.progress, task.finished_at, task.upload = 100, utcnow(), None
    task.output, task.output_type = outcome.body, outcome.content_type
    task.result = {"status_code": outcome.status, "content_type": outcome.content_type,
                   "bytes": len(outcome.body)}
    if outcome.status >= 400:
        task.error = outcome.body.decode(errors="replace")
    session.commit()


def describe(task: AsyncTask) -> dict:
    """A task as the /me API shows it; the result is downloaded from ``result_url``."""
    done = task.status in ("finished", "failed")
    return {
        "id": task.job_id, "object": "task", "operation": task.name, "model": task.model,
        "status": task.status, "request_id": task.request_id,
        "created_at": task.created_at.isoformat() + "Z",
        "finished_at": task.finished_at.isoformat() + "Z" if task.finished_at else None,
        "result": task.result if done else None,
        "result_url": f"/api/v1/me/tasks/{task.job_id}/content" if done else None,
    }
