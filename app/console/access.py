"""Who may see what in the console: sign-in, platform staff, and org roles.

Every org page goes through ``org_scope``: a caller who is not a member of the org gets
404, exactly as if the org did not exist, so ids of other customers' orgs leak nothing.
A member whose role is too low gets 403. Objects inside the org are loaded with
``get_in_org``, which answers 404 for another org's rows.
"""
import functools
from dataclasses import dataclass

from flask import abort, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import actor as actors
from ..call_log import UsageScope
from ..extensions import appbuilder, db
from ..models import Membership, Organization, OrgRole, OrgStatus
from ..roles import PLATFORM_ROLES

EVERY_ROLE = tuple(OrgRole)
MANAGERS = (OrgRole.owner, OrgRole.admin)
# Who reads org-wide figures (usage, wallet); members see their own calls only.
ORG_READERS = (OrgRole.owner, OrgRole.admin, OrgRole.viewer)


@dataclass(frozen=True)
class OrgScope:
    org: Organization
    membership: Membership

    @property
    def role(self) -> OrgRole:
        return self.membership.role

    def can(self, *roles: OrgRole) -> bool:
        return self.role in roles


def is_staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and any(
        role.name in PLATFORM_ROLES for role in user.roles)


def login_required(view):
    """Send anonymous callers to the back office's login form, which returns them here."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for(appbuilder.sm.auth_view.endpoint + ".login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapper


def org_scope(org_id: int, *roles: OrgRole) -> OrgScope:
    """The caller's membership in ``org_id``: 404 when there is none, 403 when the role is not in ``roles``."""
    row = db.session.execute(
        select(Organization, Membership).join(Membership, Membership.org_id == Organization.id)
        .where(Organization.id == org_id, Organization.status != OrgStatus.deleted,
               Membership.user_id == current_user.id)).first()
    if row is None:
        abort(404)
    scope = OrgScope(org=row.Organization, membership=row.Membership)
    if scope.role not in (roles or EVERY_ROLE):
        abort(403)
    g.console_scope = scope
    return scope


def get_in_org(model, object_id: int, org: Organization):
    """``model``'s row ``object_id`` if it belongs to ``org``; 404 otherwise (another org's, or none)."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.org_id != org.id:
        abort(404)
    return obj


def my_memberships() -> list[Membership]:
    return list(db.session.scalars(
        select(Membership).join(Organization).where(Membership.user_id == current_user.id,
                                                    Organization.status != OrgStatus.deleted)
        .order_by(Organization.name)))


def usage_scope(org_id: int | None) -> UsageScope:
    """Whose calls the signed-in user sees here: the rule of /api/v1/me/usage (app/call_log.py)."""
    return UsageScope.of(actors.for_user(current_user.id, org_id))
