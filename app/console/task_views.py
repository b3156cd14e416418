"""The Tasks page: the signed-in user's media calls run as tasks, their state, and their results."""
import mimetypes

from flask import Response, abort, render_template
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import AsyncTask
from .access import login_required
from .blueprint import bp

PAGE_SIZE = 50
# Speech formats the stdlib's table may not know (it has audio/x-wav, not audio/wav).
_AUDIO = {"audio/wav": ".wav", "audio/mpeg": ".mp3", "audio/opus": ".opus", "audio/aac": ".aac",
          "audio/flac": ".flac", "audio/pcm": ".pcm"}


@bp.get("/tasks")
@login_required
def tasks():
    mine = select(AsyncTask).where(AsyncTask.user_id == current_user.id, AsyncTask.request_id.is_not(None))
    rows = db.session.scalars(mine.order_by(AsyncTask.id.desc()).limit(PAGE_SIZE))
    return render_template("console/tasks.html", title="Tasks", tasks=list(rows))


@bp.get("/tasks/<task_id>/content")
@login_required
def task_content(task_id: str):
    task = db.session.scalar(select(AsyncTask).where(AsyncTask.job_id == task_id,
                                                     AsyncTask.user_id == current_user.id))
    if task is None or task.status not in ("finished", "failed"):
        abort(404)
    resp = Response(task.output or b"", content_type=task.output_type or "application/octet-stream")
    kind = (task.output_type or "").split(";")[0]
    suffix = _AUDIO.get(kind) or mimetypes.guess_extension(kind) or ""
    resp.headers["Content-Disposition"] = f'attachment; filename="{task.job_id}{suffix}"'
    return resp
