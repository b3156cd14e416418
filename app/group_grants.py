"""Changing a user's model groups from the back office: grants, public restriction, audit, caches."""
from sqlalchemy import delete
from sqlalchemy.orm import Session

from . import audit
from .gateway import keycache
from .group_access import load
from .models import ModelGroup, UserAllowedGroup, UserPublicGroup


def set_access(session: Session, user, groups: list[ModelGroup], chosen: set[int], actor_id: int) -> None:
    """The ticked groups become the user's access: exclusive ones granted or revoked, public ones
    kept (all ticked = no restriction). Raises ValueError when no public group is ticked,
    since an empty restriction means "every public group"."""
    exclusive = {g.id: g for g in groups if g.exclusive}
    public = {g.id: g for g in groups if not g.exclusive}
    keep_public = chosen & set(public)
    if public and not keep_public:
        raise ValueError("Public groups: tick at least one (tick them all for no restriction)")
    before = load(session, user.id)
    want = chosen & set(exclusive)
    have = before.granted & set(exclusive)
    for group_id in sorted(want - have):
        session.add(UserAllowedGroup(user_id=user.id, group_id=group_id, granted_by_id=actor_id))
        audit.record("group.grant", user, {"group": exclusive[group_id].name, "group_id": group_id})
    for group_id in sorted(have - want):
        session.execute(delete(UserAllowedGroup).where(UserAllowedGroup.user_id == user.id,
                                                       UserAllowedGroup.group_id == group_id))
        audit.record("group.revoke", user, {"group": exclusive[group_id].name, "group_id": group_id})
    new_public = None if keep_public == set(public) else keep_public
    old_public = before.public & set(public) if before.public is not None else None
    if new_public != old_public:
        session.execute(delete(UserPublicGroup).where(UserPublicGroup.user_id == user.id))
        for group_id in sorted(new_public or ()):
            session.add(UserPublicGroup(user_id=user.id, group_id=group_id, set_by_id=actor_id))
        audit.record("group.restrict_public", user, {
            "before": sorted(public[g].name for g in old_public) if old_public is not None else "all public groups",
            "after": sorted(public[g].name for g in new_public) if new_public is not None else "all public groups"})
    audit.record("user.assign_groups", user, {
        "exclusive_granted": sorted(exclusive[g].name for g in want),
        "public_groups": sorted(public[g].name for g in keep_public) if new_public is not None else "all"})
    # Cached keys carry the groups they were loaded with: reload them at commit.
    keycache.announce_revocation(session)
