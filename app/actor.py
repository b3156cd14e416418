"""Who is acting: a user, in one org or on their own, with the role they hold there.

The /me API builds an Actor from the API key it was called with; the console builds one from
the signed-in session. Everything that decides what a caller may see or change takes an Actor,
so both surfaces obey the same rules.
"""
from dataclasses import dataclass, replace

from sqlalchemy import select

from .extensions import db
from . import group_access
from .models import Membership, Organization, OrgRole, Plan

MANAGERS = frozenset({OrgRole.owner, OrgRole.admin})
# Who reads the whole org's usage; a member reads their own calls only.
USAGE_READERS = MANAGERS | {OrgRole.viewer}


@dataclass(frozen=True)
class Actor:
    user_id: int
    org_id: int | None  # None: an individual acting on their own wallet
    role: OrgRole | None  # the role in org_id; None for individuals
    granted_groups: frozenset
    plan_id: int | None
    public_groups: frozenset | None = None  # None = every public group (app/group_access.py)

    @property
    def manages_org(self) -> bool:
        return self.org_id is not None and self.role in MANAGERS

    @property
    def reads_org_usage(self) -> bool:
        return self.org_id is not None and self.role in USAGE_READERS

    @property
    def read_only(self) -> bool:
        return self.role == OrgRole.viewer


def for_key(key) -> Actor:
    """The actor behind an API key (a gateway KeyContext): its owner, in the key's org."""
    return Actor(user_id=key.user_id, org_id=key.org_id, role=_role(key.user_id, key.org_id),
                 granted_groups=key.granted_groups, plan_id=key.plan_id, public_groups=key.public_groups)


def for_user(user_id: int, org_id: int | None) -> Actor:
    """The actor for a signed-in user working in ``org_id`` (None = their own account)."""
    session = db.session
    access = group_access.load(session, user_id)
    if org_id is None:
        plan_id = session.scalar(select(Plan.id).where(Plan.code == "free"))
    else:
        plan_id = session.scalar(select(Organization.plan_id).where(Organization.id == org_id))
    return Actor(user_id=user_id, org_id=org_id, role=_role(user_id, org_id), granted_groups=access.granted,
                 plan_id=plan_id, public_groups=access.public)


def on_behalf_of(user_id: int, org_id: int) -> Actor:
    """Platform staff acting for a customer: that user, in their org, with an org owner's reach,
    so every key rule (app/key_admin.py) applies exactly as it would to the org's own owner."""
    return replace(for_user(user_id, org_id), role=OrgRole.owner)


def _role(user_id: int, org_id: int | None) -> OrgRole | None:
    if org_id is None:
        return None
    # A key outliving its owner's membership acts with the least a member may do.
    return db.session.scalar(select(Membership.role).where(Membership.org_id == org_id,
                                                           Membership.user_id == user_id)) or OrgRole.member
