"""Creating orgs, users and keys with the rows they always come with (wallets, memberships),
and ending them: keys are revoked, users and orgs soft-deleted.

Nothing here deletes a user, org or wallet row: their wallets, ledger rows and usage logs
are financial records, and the database refuses such a delete (ON DELETE RESTRICT).
"""
import datetime as dt

from sqlalchemy import delete, select, update

from .events import emitters
from .extensions import appbuilder, db
from .gateway import keycache
from .keys import generate_key
from .models import (ApiKey, KeyStatus, Membership, Organization, OrgRole, OrgStatus, Plan, TollgateUser,
                     UserTier, Wallet, utcnow)


def create_org(name: str, plan_code: str = "free", billing_email: str | None = None, **fields) -> Organization:
    plan = db.session.scalar(select(Plan).where(Plan.code == plan_code))
    if plan is None:
        raise ValueError(f"unknown plan {plan_code!r}")
    return add_org(Organization(name=name, plan=plan, billing_email=billing_email, **fields))


def add_org(org: Organization) -> Organization:
    """A new org joins the session with the empty wallet every org has."""
    db.session.add(org)
    db.session.flush()
    db.session.add(Wallet(org_id=org.id, balance=0))
    db.session.flush()
    return org


def create_user(username: str, email: str, password: str, role_name: str | None = None,
                tier: UserTier = UserTier.individual, first_name: str = "", last_name: str = "",
                commit: bool = True) -> TollgateUser:
    """A user with a personal wallet; ``role_name`` is a platform (back office) role, if any.

    ``commit=False`` leaves the user uncommitted, so the caller's audit row commits with it.
    """
    sm = appbuilder.sm
    role = sm.find_role(role_name or "Public")
    user = sm.add_user(username, first_name or username, last_name or "-", email, role, password, commit=commit)
    if not user:
        raise ValueError(f"could not create user {username!r} (duplicate username or email?)")
    user.tier = tier
    db.session.add(Wallet(user_id=user.id, balance=0))
    db.session.flush()
    return user


def add_member(org: Organization, user: TollgateUser, role: OrgRole = OrgRole.member) -> Membership:
    membership = Membership(org_id=org.id, user_id=user.id, role=role)
    user.tier = UserTier.enterprise
    db.session.add(membership)
    db.session.flush()
    emitters.member_joined(db.session, membership)
    return membership


def create_api_key(user: TollgateUser, name: str, org: Organization | None = None,
                   expires_in_days: int | None = None, **limits) -> tuple[ApiKey, str]:
    """Create a key; returns (row, secret). The secret is never stored and cannot be shown again."""
    wallet_id = org.wallet.id if org is not None else _user_wallet_id(user)
    secret, prefix, digest = generate_key()
    expires_at = limits.pop("expires_at", None)
    if expires_in_days is not None:
        expires_at = dt.datetime.utcnow() + dt.timedelta(days=expires_in_days)
    key = ApiKey(name=name, prefix=prefix, key_hash=digest, user_id=user.id,
                 org_id=org.id if org else None, wallet_id=wallet_id, expires_at=expires_at, **limits)
    db.session.add(key)
    db.session.flush()
    emitters.key_created(db.session, key)
    return key, secret


def _user_wallet_id(user: TollgateUser) -> int:
    wallet_id = db.session.scalar(select(Wallet.id).where(Wallet.user_id == user.id))
    if wallet_id is None:
        raise ValueError(f"user {user.username!r} has no wallet")
    return wallet_id


def revoke_keys(*criteria) -> list[int]:
    """Revoke the active keys matching ``criteria``; gateways stop accepting them at commit."""
    keys = db.session.execute(
        update(ApiKey).where(ApiKey.status != KeyStatus.revoked, *criteria)
        .values(status=KeyStatus.revoked, revoked_at=utcnow())
        .returning(ApiKey.id, ApiKey.prefix, ApiKey.name, ApiKey.user_id, ApiKey.org_id)
        .execution_options(synchronize_session="fetch")).all()
    if keys:
        keycache.announce_revocation(db.session)
    for key in keys:
        emitters.key_revoked(db.session, key)
    return [key.id for key in keys]


def soft_delete_user(user: TollgateUser) -> list[int]:
    """The user can no longer sign in nor call the API; their wallet, ledger and usage stay.

    Returns the ids of the keys revoked.
    """
    user.active, user.deleted_at, user.roles = False, utcnow(), []
    db.session.execute(delete(Membership).where(Membership.user_id == user.id))
    return revoke_keys(ApiKey.user_id == user.id)


def soft_delete_org(org: Organization) -> list[int]:
    """The org leaves the lists and its keys stop working; its wallet, ledger and usage stay."""
    org.status, org.deleted_at = OrgStatus.deleted, utcnow()
    return revoke_keys(ApiKey.org_id == org.id)


def org_status_changed() -> None:
    """A paused or reactivated org: gateways re-read its keys' status at commit."""
    keycache.announce_revocation(db.session)


def apply_status(org: Organization, before: str | None) -> None:
    """An org's status edited (screens or admin API): "deleted" is the soft delete, any other
    change reaches the gateways' key caches at once; nothing happens when it did not change."""
    status = OrgStatus(getattr(org.status, "value", org.status))
    if before == status.value:
        return
    if status == OrgStatus.deleted:
        soft_delete_org(org)
    else:
        org.deleted_at = None
        org_status_changed()
