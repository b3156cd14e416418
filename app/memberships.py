"""Org membership rules, shared by the console (org managers) and the back office (staff).

Invite by email, change a role, remove a member: each validates first and raises
MembershipError naming the problem, so a refusal changes nothing. Functions flush; callers
audit under their own action names and commit.
"""
from sqlalchemy import func, select

from .accounts import add_member, revoke_keys
from .extensions import db
from .models import ApiKey, Membership, Organization, OrgInvite, OrgRole, TollgateUser


class MembershipError(ValueError):
    pass


def find_by_email(email: str) -> TollgateUser | None:
    return db.session.scalar(select(TollgateUser).where(func.lower(TollgateUser.email) == email.strip().lower()))


def is_member(org_id: int, user_id: int) -> bool:
    return db.session.scalar(select(Membership.id).where(Membership.org_id == org_id,
                                                         Membership.user_id == user_id)) is not None


def invite(org: Organization, email: str, role: OrgRole, invited_by_id: int) -> OrgInvite:
    """An invitation for ``email``; refused when that person is already a member."""
    email = email.strip().lower()
    existing = find_by_email(email)
    if existing is not None and is_member(org.id, existing.id):
        raise MembershipError(f"{email} is already a member.")
    invitation = OrgInvite(org_id=org.id, email=email, role=role, invited_by_id=invited_by_id)
    db.session.add(invitation)
    db.session.flush()
    return invitation


def add_existing(org: Organization, user: TollgateUser, role: OrgRole) -> Membership:
    if is_member(org.id, user.id):
        raise MembershipError(f"{user.email} is already a member.")
    return add_member(org, user, role)


def change_role(membership: Membership, role: OrgRole) -> str:
    """Returns the previous role; the owner's role changes only by a transfer of ownership."""
    if membership.role == OrgRole.owner:
        raise MembershipError("The owner's role changes only by transferring ownership.")
    if role == OrgRole.owner:
        raise MembershipError("Role: an organization has one owner; transfer ownership instead.")
    before = membership.role.value
    membership.role = role
    db.session.flush()
    return before


def remove(membership: Membership) -> list[int]:
    """Removes a member other than the owner; their keys in the org are revoked. Returns the key ids."""
    if membership.role == OrgRole.owner:
        raise MembershipError("The owner cannot be removed; transfer ownership first.")
    org_id, user_id = membership.org_id, membership.user_id
    # Their open sessions end at their next request (app/signin/flow.py checks the generation),
    # so no page they still have open keeps showing the org.
    membership.user.session_generation = (membership.user.session_generation or 0) + 1
    db.session.delete(membership)
    # Their keys in this org stop working at commit: gateways drop them from their caches.
    return revoke_keys(ApiKey.org_id == org_id, ApiKey.user_id == user_id)
