"""A user's notification center: their own notices and their org's, newest first."""
from sqlalchemy import or_, select

from .actor import Actor
from .extensions import db
from .models import Notification, utcnow


def visible(actor: Actor) -> list:
    mine = Notification.user_id == actor.user_id
    if actor.org_id is None:
        return [mine, Notification.org_id.is_(None)]
    # Org-wide notices (no user) reach whoever acts in the org.
    return [Notification.org_id == actor.org_id, or_(mine, Notification.user_id.is_(None))]


def listing(actor: Actor, unread_only: bool = False, before_id: int | None = None,
            limit: int = 50) -> list[Notification]:
    query = select(Notification).where(*visible(actor)).order_by(Notification.id.desc()).limit(limit)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    return list(db.session.scalars(query))


def mark_read(actor: Actor, notification_id: int) -> Notification | None:
    """The notice, now read; None when it is not the actor's to see."""
    notice = db.session.scalar(select(Notification).where(Notification.id == notification_id, *visible(actor)))
    if notice is not None and notice.read_at is None:
        notice.read_at = utcnow()
        db.session.flush()
    return notice


def describe(notice: Notification) -> dict:
    return {"id": notice.id, "event": notice.event, "title": notice.title, "body": notice.body,
            "data": notice.data, "org_id": notice.org_id,
            "created_at": notice.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "read_at": notice.read_at.strftime("%Y-%m-%dT%H:%M:%SZ") if notice.read_at else None}
