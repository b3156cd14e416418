"""RQ jobs that keep the back-office rollups current. Jobs take timestamps, never ORM objects."""
import datetime as dt

from . import app_context, get_queue

REFRESH_EVERY_S = 300  # dashboards lag raw usage by at most this much


def refresh_recent(now_iso: str | None = None) -> None:
    """Rebuild the last two hours and their days; scheduled every REFRESH_EVERY_S seconds."""
    with app_context():
        from ..extensions import db
        from ..models import utcnow
        from ..reporting import rollups

        now = dt.datetime.fromisoformat(now_iso) if now_iso else utcnow()
        rollups.rebuild_recent(db.session, now)
        db.session.commit()


def rebuild_period(start_iso: str, end_iso: str) -> None:
    """Backfill or repair: rebuild every hour and day in [start, end)."""
    with app_context():
        from ..extensions import db
        from ..reporting import rollups

        rollups.rebuild_range(db.session, dt.datetime.fromisoformat(start_iso), dt.datetime.fromisoformat(end_iso))
        db.session.commit()


def enqueue_refresh():
    return get_queue("default").enqueue(refresh_recent, job_id="rollups-refresh-recent")
