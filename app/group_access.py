"""Which model groups a user may call: exclusive grants, and public groups unless restricted.

Exclusive groups need a grant (user_allowed_groups). Public groups are open to everyone,
unless an admin restricted the user to some of them (user_public_groups): no rows means
every public group, rows mean only those. The gateway's key cache, the console's actor and
the back office's user page all read access through ``load``; the back office changes it
through app/group_grants.py.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import ModelGroup, UserAllowedGroup, UserPublicGroup


@dataclass(frozen=True)
class GroupAccess:
    granted: frozenset  # exclusive group ids granted
    public: frozenset | None  # public group ids kept; None = every public group


def load(session: Session, user_id: int) -> GroupAccess:
    granted = frozenset(session.scalars(select(UserAllowedGroup.group_id).where(UserAllowedGroup.user_id == user_id)))
    public = frozenset(session.scalars(select(UserPublicGroup.group_id).where(UserPublicGroup.user_id == user_id)))
    return GroupAccess(granted=granted, public=public or None)


def callable_groups(access: GroupAccess, groups: list[ModelGroup]) -> list[tuple[ModelGroup, str]]:
    """Every group the user may call with where the right comes from, for the user page."""
    rows = []
    for group in groups:
        if group.exclusive:
            if group.id in access.granted:
                rows.append((group, _l("exclusive: granted to this user")))
        elif access.public is None:
            rows.append((group, _l("public: open to every user")))
        elif group.id in access.public:
            rows.append((group, _l("public: kept by an admin's restriction")))
    return rows


def effective_models(rows: list[tuple[ModelGroup, str]]) -> list[dict]:
    """Each enabled model the groups give, with the lowest multiplier and the group it comes from
    (as the gateway charges it)."""
    best: dict[str, dict] = {}
    for group, _source in rows:
        for model in group.models:
            if not model.enabled:
                continue
            seen = best.get(model.public_id)
            if seen is None or group.multiplier < seen["multiplier"]:
                best[model.public_id] = {"model": model.public_id, "multiplier": group.multiplier, "group": group.name}
    return [best[k] for k in sorted(best)]
