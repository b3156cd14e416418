"""The Tasks page (the user's background jobs: log exports and media calls run as tasks) and the
Logs page's CSV export that starts them.

An export of up to CONSOLE_EXPORT_INLINE_MAX_ROWS calls streams at once; a larger one becomes
an ``async_tasks`` row and a job (app/jobs/exports.py), and its file is downloaded from the
Tasks page, by the user who asked for it and nobody else.
"""
import mimetypes
import os

from flask import Response, abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import audit, log_export
from ..csv_stream import csv_response
from ..extensions import db
from ..jobs.exports import EXPORT_TASK, enqueue_export
from ..models import AsyncTask, utcnow
from . import call_log
from .access import login_required, org_scope, usage_scope
from .blueprint import bp, message_page

TASKS_PAGE = 50
# Speech formats the stdlib's table may not know (it has audio/x-wav, not audio/wav).
_AUDIO = {"audio/wav": ".wav", "audio/mpeg": ".mp3", "audio/opus": ".opus", "audio/aac": ".aac",
          "audio/flac": ".flac", "audio/pcm": ".pcm"}


@bp.get("/logs.csv", defaults={"org_id": None})
@bp.get("/orgs/<int:org_id>/logs.csv")
@login_required
def logs_export(org_id: int | None):
    scope = org_scope(org_id) if org_id is not None else None
    usage = usage_scope(org_id)
    try:
        f = call_log.parse_filters(request.args)
    except call_log.BadFilter as exc:
        return message_page(_("Logs"), str(exc))
    if f.key_id is not None and f.key_id not in {k.id for k in call_log.visible_keys(usage)}:
        abort(404)
    filters = call_log.as_query(f)
    limit = current_app.config["CONSOLE_EXPORT_INLINE_MAX_ROWS"]
    name = log_export.filename(usage, filters, utcnow())
    if log_export.count_upto(db.session, usage, filters, limit + 1) <= limit:
        return csv_response(name, log_export.HEADER, lambda conn: log_export.rows(conn, usage, filters))
    where = scope.org.name if scope else "personal account"
    task = AsyncTask(job_id=f"export-{os.urandom(8).hex()}", name=EXPORT_TASK, user_id=current_user.id,
                     description=f"Call log export ({where}): {_describe(f)}")
    db.session.add(task)
    db.session.flush()
    audit.record("console.logs_exported", target=task, details={"org_id": org_id, "filters": f.echo})
    db.session.commit()
    enqueue_export(task.id, usage.org_id, usage.user_id, log_export.filters_to_job(filters))
    flash(_("The export is large: it runs in the background; download it here when it is done."), "info")
    return redirect(url_for("console.tasks"))


def _describe(f: call_log.LogFilters) -> str:
    parts = [f"{name}={value}" for name, value in f.echo.items() if value]
    return ", ".join(parts) or "every call"


@bp.get("/tasks")
@login_required
def tasks():
    rows = db.session.scalars(select(AsyncTask).where(AsyncTask.user_id == current_user.id)
                              .order_by(AsyncTask.id.desc()).limit(TASKS_PAGE)).all()
    return render_template("console/tasks.html", rows=rows,
                           running=any(t.status in ("queued", "started") for t in rows))


@bp.get("/tasks/<int:task_id>/download")
@login_required
def task_download(task_id: int):
    task = db.session.get(AsyncTask, task_id)
    if task is None or task.user_id != current_user.id:
        abort(404)  # another user's task: as if it did not exist
    if task.status != "finished" or not (task.result or {}).get("file"):
        abort(404)
    name = task.result["file"]
    # The name is the job's own ("task<id>-...csv"); send_from_directory refuses paths outside the folder.
    return send_from_directory(log_export.export_dir(), name, as_attachment=True,
                               download_name=name.split("-", 1)[1], mimetype="text/csv")


@bp.get("/tasks/<task_id>/content")
@login_required
def task_content(task_id: str):
    """A media task's result (the image JSON, the audio, the transcript), or its error."""
    task = db.session.scalar(select(AsyncTask).where(AsyncTask.job_id == task_id,
                                                     AsyncTask.user_id == current_user.id))
    if task is None or task.request_id is None or task.status not in ("finished", "failed"):
        abort(404)
    resp = Response(task.output or b"", content_type=task.output_type or "application/octet-stream")
    kind = (task.output_type or "").split(";")[0]
    suffix = _AUDIO.get(kind) or mimetypes.guess_extension(kind) or ""
    resp.headers["Content-Disposition"] = f'attachment; filename="{task.job_id}{suffix}"'
    return resp
