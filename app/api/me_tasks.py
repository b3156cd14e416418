"""/api/v1/me/tasks: media calls run as tasks, their state and their result, for the user who started them."""
from flask import Blueprint, Response
from sqlalchemy import select

from ..extensions import db
from ..gateway.errors import GatewayError
from ..gateway.media_tasks import describe
from ..models import AsyncTask
from .caller import me_endpoint

bp = Blueprint("me_tasks_api", __name__, url_prefix="/api/v1/me")


def _owned(actor, task_id: str) -> AsyncTask:
    """The caller's own media task; another user's, or a log export (a console task), is as absent as
    one that never existed."""
    task = db.session.scalar(select(AsyncTask).where(AsyncTask.job_id == task_id, AsyncTask.request_id.is_not(None),
                                                     AsyncTask.user_id == actor.user_id))
    if task is None:
        raise GatewayError(404, "not_found_error", f"no task with id {task_id}", code="task_not_found", param="id")
    return task


@bp.get("/tasks/<task_id>")
@me_endpoint
def show(actor, task_id):
    return describe(_owned(actor, task_id))


@bp.get("/tasks/<task_id>/content")
@me_endpoint
def content(actor, task_id):
    task = _owned(actor, task_id)
    if task.status not in ("finished", "failed"):
        raise GatewayError(409, "invalid_request_error", f"task {task_id} is {task.status}; its result is not ready",
                           code="task_not_finished", param="id")
    return Response(task.output or b"", status=200, content_type=task.output_type or "application/octet-stream")
