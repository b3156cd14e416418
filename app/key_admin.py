"""Managing API keys: who may manage which key, what a key's settings may be, and the changes
themselves (create, edit, rotate, revoke, batch). The /me API calls these functions, as must
any console page that manages keys; no caller holds a rule of its own.

Org owners and admins manage every key of their org; members manage their own keys in that
org; viewers read their own keys; individuals manage their own personal keys. A key outside
what the actor may manage is "not found", never "forbidden", so ids of other users' keys leak
nothing. Each change validates everything first: a refusal changes nothing. Functions flush;
the caller commits at its request boundary.
"""
from sqlalchemy import and_, not_, or_, select

from . import key_fields
from .accounts import create_api_key, revoke_keys
from .actor import Actor
from .extensions import db
from .gateway import keycache
from .key_fields import KeyInputError
from .models import ApiKey, KeyStatus, Membership, Organization, OrgRole, TollgateUser, utcnow

__all__ = ["KeyInputError", "KeyNotFound", "KeyForbidden", "visible", "get", "listing", "create",
           "update", "rotate", "revoke", "batch", "BATCH_ACTIONS", "MAX_BATCH"]

BATCH_ACTIONS = ("revoke", "get")
MAX_BATCH = 100


class KeyNotFound(LookupError):
    def __init__(self, key_ids):
        self.key_ids = list(key_ids)
        super().__init__("no API key with id " + ", ".join(map(str, self.key_ids)) + " that you may manage")


class KeyForbidden(PermissionError):
    pass


def visible(actor: Actor) -> list:
    """SQL criteria for the keys ``actor`` may see and, unless read-only, manage."""
    if actor.manages_org:
        return [ApiKey.org_id == actor.org_id]
    org = ApiKey.org_id.is_(None) if actor.org_id is None else ApiKey.org_id == actor.org_id
    return [ApiKey.user_id == actor.user_id, org]


def get(actor: Actor, key_id: int) -> ApiKey:
    key = db.session.scalar(select(ApiKey).where(ApiKey.id == key_id, *visible(actor)))
    if key is None:
        raise KeyNotFound([key_id])
    return key


def listing(actor: Actor, status: str | None = None, after_id: int | None = None, limit: int = 50,
            user_id: int | None = None, project_id: int | None = None, search: str | None = None) -> list[ApiKey]:
    """Newest first; ``after_id`` continues from the last id of the previous page.

    ``user_id``, ``project_id`` and ``search`` (part of the name or prefix) narrow what the
    actor may see; they never widen it.
    """
    query = select(ApiKey).where(*visible(actor)).order_by(ApiKey.id.desc()).limit(limit)
    if status is not None:
        query = query.where(*_status_is(KeyStatus(status)))
    if after_id is not None:
        query = query.where(ApiKey.id < after_id)
    if user_id is not None:
        query = query.where(ApiKey.user_id == user_id)
    if project_id is not None:
        query = query.where(ApiKey.project_id == project_id)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(ApiKey.name.ilike(pattern, escape="\\"), ApiKey.prefix.ilike(pattern, escape="\\")))
    return list(db.session.scalars(query))


def _status_is(status: KeyStatus) -> list:
    """Criteria matching the status ``key_fields.describe`` shows: an active key past its expiry is expired."""
    lapsed = and_(ApiKey.expires_at.is_not(None), ApiKey.expires_at <= utcnow())
    if status == KeyStatus.active:
        return [ApiKey.status == KeyStatus.active, not_(lapsed)]
    if status == KeyStatus.expired:
        return [or_(ApiKey.status == KeyStatus.expired, and_(ApiKey.status == KeyStatus.active, lapsed))]
    return [ApiKey.status == status]


def create(actor: Actor, fields: dict) -> tuple[ApiKey, str]:
    """A new key for the actor, or for a member of their org when an owner/admin names ``user_id``.

    Returns (key, secret); the secret is shown this once and never stored.
    """
    _may_change(actor)
    if not isinstance(fields, dict):
        raise KeyInputError("body", "the body must be a JSON object")
    fields = dict(fields)
    owner_id = fields.pop("user_id", None)
    org = db.session.get(Organization, actor.org_id) if actor.org_id is not None else None
    # The org's default caps fill what the creator left out; a value sent, null included, wins.
    defaults = {k: v for k, v in ((org.key_defaults or {}) if org else {}).items() if k in key_fields.DEFAULTABLE}
    values = key_fields.parse(actor, {**defaults, **fields}, creating=True)
    owner = db.session.get(TollgateUser, _owner_for(actor, owner_id))
    name = values.pop("name")
    key, secret = create_api_key(owner, name, org=org, **values)
    return key, secret


def update(actor: Actor, key_id: int, fields: dict) -> ApiKey:
    _may_change(actor)
    key = get(actor, key_id)
    if key.status == KeyStatus.revoked:
        raise KeyInputError("id", f"API key {key_id} is revoked and can no longer be changed")
    values = key_fields.parse(actor, fields, creating=False)
    for column, value in values.items():
        setattr(key, column, value)
    if values:
        # Gateways reload the key before their next admission, so new caps apply at once.
        keycache.announce_revocation(db.session)
    db.session.flush()
    return key


def rotate(actor: Actor, key_id: int) -> tuple[ApiKey, str]:
    """A new secret with the same owner and settings; the old key is revoked in the same transaction."""
    _may_change(actor)
    old = get(actor, key_id)
    if old.status == KeyStatus.revoked:
        raise KeyInputError("id", f"API key {key_id} is revoked; create a new key instead")
    settings = {column: getattr(old, column) for column in key_fields.SETTINGS}
    key, secret = create_api_key(old.user, old.name, org=old.org, **settings)
    revoke_keys(ApiKey.id == old.id)
    return key, secret


def revoke(actor: Actor, key_id: int) -> ApiKey:
    _may_change(actor)
    key = get(actor, key_id)
    revoke_keys(ApiKey.id == key.id)
    db.session.refresh(key)
    return key


def batch(actor: Actor, action: str, key_ids: list[int]) -> list[ApiKey]:
    """Revoke or read many keys at once: all of them, or none when one is not the actor's to manage."""
    if action not in BATCH_ACTIONS:
        raise KeyInputError("action", f"action must be one of {', '.join(BATCH_ACTIONS)}")
    if (not isinstance(key_ids, list) or not key_ids or len(key_ids) > MAX_BATCH
            or not all(type(i) is int for i in key_ids)):
        raise KeyInputError("ids", f"ids must be a list of 1 to {MAX_BATCH} integer key ids")
    if action == "revoke":
        _may_change(actor)
    ids = list(dict.fromkeys(key_ids))
    keys = {k.id: k for k in db.session.scalars(select(ApiKey).where(ApiKey.id.in_(ids), *visible(actor)))}
    missing = [i for i in ids if i not in keys]
    if missing:
        raise KeyNotFound(missing)
    if action == "revoke":
        revoke_keys(ApiKey.id.in_(ids))
        for key in keys.values():
            db.session.refresh(key)
    return [keys[i] for i in ids]


def _may_change(actor: Actor) -> None:
    if actor.read_only:
        raise KeyForbidden("viewers may read their keys but not create or change them")


def _owner_for(actor: Actor, owner_id) -> int:
    if owner_id is None or owner_id == actor.user_id:
        return actor.user_id
    if type(owner_id) is not int:
        raise KeyInputError("user_id", "user_id must be an integer user id")
    if not actor.manages_org:
        raise KeyInputError("user_id", "only an org owner or admin may create keys for another user")
    if _membership_id(actor.org_id, owner_id) is None:
        raise KeyInputError("user_id", f"user {owner_id} is not a member of this organization")
    return owner_id


def _membership_id(org_id: int, user_id: int) -> int | None:
    return db.session.scalar(select(Membership.id).where(Membership.org_id == org_id,
                                                         Membership.user_id == user_id,
                                                         Membership.role != OrgRole.viewer))
