"""An API key's settings as callers send and read them: USD amounts, model names, dates.

``parse`` turns a request's fields into column values or refuses the first bad field by
name; ``describe`` is the one JSON shape of a key. Both the /me API and the console use them.
"""
import datetime as dt
from types import SimpleNamespace

from sqlalchemy import select

from .actor import Actor
from .billing.units import usd_json, usd_to_credits
from .extensions import db
from .gateway import catalog
from .inputs import InputError
from .models import ApiKey, KeyStatus, Project, utcnow

# Columns a rotated key copies from the key it replaces.
SETTINGS = ("project_id", "allowed_models", "per_request_cap", "rpm_limit", "tpm_limit", "quota",
            "cap_5h", "cap_1d", "cap_7d", "model_caps", "expires_at")
USD_CAPS = {"per_request_cap_usd": "per_request_cap", "quota_usd": "quota", "cap_5h_usd": "cap_5h",
            "cap_1d_usd": "cap_1d", "cap_7d_usd": "cap_7d"}
LIMITS = ("rpm_limit", "tpm_limit")
FIELDS = ("name", "allowed_models", "model_caps_usd", "project_id", "expires_at", "expires_in_days",
          *USD_CAPS, *LIMITS)
MAX_DAYS = 3650
# Settings an org may give every new key whose creator leaves them out (Organization.key_defaults).
DEFAULTABLE = ("per_request_cap_usd", "rpm_limit", "tpm_limit", "cap_1d_usd")


KeyInputError = InputError


def parse(actor: Actor, fields: dict, creating: bool) -> dict:
    """Column values for ``fields``; absent fields are left alone, null clears a setting."""
    if not isinstance(fields, dict):
        raise KeyInputError("body", "the body must be a JSON object")
    for name in fields:
        if name not in FIELDS:
            raise KeyInputError(name, f"unknown field '{name}'; known fields: {', '.join(FIELDS)}")
    if creating and "name" not in fields:
        raise KeyInputError("name", "name is required")
    values = {}
    if "name" in fields:
        values["name"] = _name(fields["name"])
    for field, column in USD_CAPS.items():
        if field in fields:
            values[column] = _usd(field, fields[field])
    if values.get("quota") == 0:
        values["quota"] = None  # a lifetime quota of 0 means unlimited
    for field in LIMITS:
        if field in fields:
            values[field] = _positive_int(field, fields[field])
    known = None
    if "allowed_models" in fields:
        known = callable_ids(actor)
        values["allowed_models"] = _models("allowed_models", fields["allowed_models"], known)
    if "model_caps_usd" in fields:
        values["model_caps"] = _model_caps(fields["model_caps_usd"], known or callable_ids(actor))
    if "project_id" in fields:
        values["project_id"] = _project(actor, fields["project_id"])
    if "expires_at" in fields and "expires_in_days" in fields:
        raise KeyInputError("expires_in_days", "send expires_at or expires_in_days, not both")
    if "expires_at" in fields:
        values["expires_at"] = _expiry(fields["expires_at"])
    if "expires_in_days" in fields:
        days = _positive_int("expires_in_days", fields["expires_in_days"])
        if days is not None and days > MAX_DAYS:
            raise KeyInputError("expires_in_days", f"expires_in_days may be at most {MAX_DAYS}")
        values["expires_at"] = None if days is None else utcnow() + dt.timedelta(days=days)
    return values


def describe(key: ApiKey) -> dict:
    status = key.status.value
    if key.status == KeyStatus.active and key.expires_at is not None and key.expires_at <= utcnow():
        status = KeyStatus.expired.value
    return {
        "id": key.id, "name": key.name, "prefix": key.prefix, "status": status,
        "user_id": key.user_id, "org_id": key.org_id, "project_id": key.project_id,
        "allowed_models": list(key.allowed_models or []),
        **{field: usd_json(getattr(key, column)) for field, column in USD_CAPS.items()},
        "rpm_limit": key.rpm_limit, "tpm_limit": key.tpm_limit,
        "model_caps_usd": {m: usd_json(c) for m, c in (key.model_caps or {}).items()},
        "spent_usd": usd_json(key.spent or 0),
        "expires_at": _iso(key.expires_at), "last_used_at": _iso(key.last_used_at),
        "created_at": _iso(key.created_at), "revoked_at": _iso(key.revoked_at),
    }


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _name(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise KeyInputError("name", "name must be a non-empty string")
    if len(value.strip()) > 128:
        raise KeyInputError("name", "name may be at most 128 characters")
    return value.strip()


def _usd(field: str, value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise KeyInputError(field, f"{field} must be a USD amount (number or decimal string) or null")
    try:
        credits = usd_to_credits(value)
    except ValueError as exc:
        raise KeyInputError(field, f"{field}: {exc}") from None
    if credits < 0:
        raise KeyInputError(field, f"{field} may not be negative")
    return credits


def _positive_int(field: str, value) -> int | None:
    if value is None:
        return None
    if type(value) is not int:
        raise KeyInputError(field, f"{field} must be an integer or null")
    if value < 1:
        raise KeyInputError(field, f"{field} must be at least 1")
    return value


def callable_ids(actor: Actor) -> set[str]:
    """Ids of the models ``actor`` may call: what an allowlist or a per-model cap may name."""
    caller = SimpleNamespace(granted_groups=actor.granted_groups, public_groups=actor.public_groups,
                             plan_id=actor.plan_id, allowed_models=frozenset())
    return {m.public_id for m in catalog.current().callable_models(caller)}


def _models(field: str, value, known: set[str]) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
        raise KeyInputError(field, f"{field} must be a list of model ids or null")
    unknown = [m for m in value if m not in known]
    if unknown:
        raise KeyInputError(field, f"{field} names models you may not call: {', '.join(unknown)}")
    return list(dict.fromkeys(value)) or None


def _model_caps(value, known: set[str]) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise KeyInputError("model_caps_usd", "model_caps_usd must be an object of model id -> USD cap, or null")
    _models("model_caps_usd", list(value), known)
    caps = {model: _usd(f"model_caps_usd.{model}", cap) for model, cap in value.items()}
    return {model: cap for model, cap in caps.items() if cap is not None} or None


def _project(actor: Actor, value) -> int | None:
    if value is None:
        return None
    if type(value) is not int:
        raise KeyInputError("project_id", "project_id must be an integer or null")
    found = None if actor.org_id is None else db.session.execute(
        select(Project.archived_at).where(Project.id == value, Project.org_id == actor.org_id)).first()
    if found is None:
        raise KeyInputError("project_id", f"project {value} is not a project of this organization")
    if found.archived_at is not None:
        raise KeyInputError("project_id", f"project {value} is archived and takes no keys")
    return value


def _expiry(value) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise KeyInputError("expires_at", "expires_at must be an ISO 8601 date or date-time string, or null")
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise KeyInputError("expires_at", f"expires_at is not an ISO 8601 date or date-time: {value!r}") from None
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if when <= utcnow():
        raise KeyInputError("expires_at", "expires_at must be in the future")
    return when
