"""A user's notification center: their own notices and their org's, newest first.

The /me API asks for one context (the key's org, or none); the console's center shows a user
every context they act in (their own account and each org they belong to), by the same rule.
"""
from sqlalchemy import and_, func, or_, select, update

from .actor import Actor
from .extensions import db
from .models import Notification, utcnow

MAX_COUNTED = 99  # the header shows "99+" beyond this; counting stops there


def _visible(user_id: int, org_id: int | None) -> list:
    mine = Notification.user_id == user_id
    if org_id is None:
        return [mine, Notification.org_id.is_(None)]
    # Org-wide notices (no user) reach whoever acts in the org.
    return [Notification.org_id == org_id, or_(mine, Notification.user_id.is_(None))]


def visible(actor: Actor) -> list:
    return _visible(actor.user_id, actor.org_id)


def everywhere(user_id: int, org_ids) -> list:
    """The notices of a user's own account and of each org in ``org_ids``, as one criterion."""
    return [or_(*(and_(*_visible(user_id, org_id)) for org_id in (None, *org_ids)))]


def listing(actor: Actor, unread_only: bool = False, before_id: int | None = None,
            limit: int = 50) -> list[Notification]:
    return rows_where(visible(actor), unread_only, before_id, limit)


def rows_where(criteria: list, unread_only: bool = False, before_id: int | None = None,
               limit: int = 50) -> list[Notification]:
    query = select(Notification).where(*criteria).order_by(Notification.id.desc()).limit(limit)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    return list(db.session.scalars(query))


def unread_count(criteria: list) -> int:
    """Unread notices, counted up to MAX_COUNTED + 1 (enough to show "99+")."""
    unread = select(Notification.id).where(*criteria, Notification.read_at.is_(None)).limit(MAX_COUNTED + 1)
    return db.session.scalar(select(func.count()).select_from(unread.subquery()))


def mark_read(actor: Actor, notification_id: int) -> Notification | None:
    """The notice, now read; None when it is not the actor's to see."""
    return mark_read_where(visible(actor), notification_id)


def mark_read_where(criteria: list, notification_id: int) -> Notification | None:
    notice = db.session.scalar(select(Notification).where(Notification.id == notification_id, *criteria))
    if notice is not None and notice.read_at is None:
        notice.read_at = utcnow()
        db.session.flush()
    return notice


def mark_all_read(criteria: list) -> int:
    """Mark every unread notice matching ``criteria`` read; how many were."""
    result = db.session.execute(update(Notification).where(*criteria, Notification.read_at.is_(None))
                                .values(read_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount


def describe(notice: Notification) -> dict:
    return {"id": notice.id, "event": notice.event, "title": notice.title, "body": notice.body,
            "data": notice.data, "org_id": notice.org_id,
            "created_at": notice.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "read_at": notice.read_at.strftime("%Y-%m-%dT%H:%M:%SZ") if notice.read_at else None}
