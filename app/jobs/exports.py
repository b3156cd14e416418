"""Background exports: a large range of the call log written to a CSV file, with progress on its task row.

The job takes ids and plain values. It rewrites its file from the start on every run, so a
retry after a crash gives the same file; the task row says queued / started / finished /
failed, the percent done and, when finished, the file's name.
"""
import logging
import os

from rq import Retry

from . import app_context, get_queue

log = logging.getLogger(__name__)
PROGRESS_EVERY = 5000  # rows between progress updates
PURGE_EVERY_S = 3600
EXPORT_TASK = "call_log_export"


def export_logs(task_id: int, org_id: int | None, user_id: int | None, filters: dict) -> None:
    with app_context():
        from .. import csv_stream, log_export
        from ..call_log import UsageScope
        from ..extensions import db
        from ..models import AsyncTask, utcnow

        session = db.session
        task = session.get(AsyncTask, task_id)
        if task is None or task.status == "finished":
            return  # withdrawn, or a repeated run of a finished job
        scope, query = UsageScope(org_id=org_id, user_id=user_id), log_export.filters_from_job(filters)
        total = log_export.count_upto(session, scope, query, 10**9)
        name = f"task{task.id}-" + log_export.filename(scope, query, task.created_at)
        task.status, task.progress, task.error = "started", 0, None
        session.commit()
        try:
            path = os.path.join(log_export.export_dir(), name)
            with db.engine.connect() as conn, open(path + ".part", "w", newline="", encoding="utf-8") as out:
                done = 0
                for chunk in csv_stream.chunks(log_export.HEADER, log_export.rows(conn, scope, query),
                                               every=PROGRESS_EVERY):
                    out.write(chunk)
                    done = min(done + PROGRESS_EVERY, total)
                    task.progress = int(100 * done / total) if total else 100
                    session.commit()
            os.replace(path + ".part", path)  # a half-written file is never offered
        except Exception as exc:
            session.rollback()
            task = session.get(AsyncTask, task_id)
            task.status, task.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
            session.commit()
            raise
        task.status, task.progress, task.finished_at = "finished", 100, utcnow()
        task.result = {"file": name, "rows": total}
        session.commit()




def purge_exports(now_iso: str | None = None) -> int:
    """Delete the files of exports finished more than EXPORT_KEEP_HOURS ago; their tasks stay, without a link."""
    import datetime as dt

    with app_context():
        from flask import current_app
        from sqlalchemy import select

        from .. import log_export
        from ..extensions import db
        from ..models import AsyncTask, utcnow

        now = dt.datetime.fromisoformat(now_iso) if now_iso else utcnow()
        cutoff = now - dt.timedelta(hours=current_app.config["EXPORT_KEEP_HOURS"])
        done = db.session.scalars(select(AsyncTask).where(AsyncTask.name == EXPORT_TASK,
                                                          AsyncTask.status == "finished",
                                                          AsyncTask.finished_at < cutoff)).all()
        purged = 0
        for task in done:
            name = (task.result or {}).get("file")
            if not name:
                continue
            try:
                os.remove(os.path.join(log_export.export_dir(), name))
            except FileNotFoundError:
                pass
            task.result = {**task.result, "file": None, "expired_at": now.isoformat()}
            purged += 1
        db.session.commit()
        return purged


def enqueue_export(task_id: int, org_id: int | None, user_id: int | None, filters: dict):
    return get_queue("default").enqueue(export_logs, task_id, org_id, user_id, filters,
                                        retry=Retry(max=2, interval=[10, 60]), job_timeout=3600)
